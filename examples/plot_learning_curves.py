"""
==================================
Learning curves and early stopping
==================================

Every fitted estimator keeps a per-epoch record of its training,
``history_df_``: a pandas DataFrame indexed by epoch. With
``early_stopping=True`` a stratified ``validation_fraction`` of the training
data is set aside, its loss and accuracy are recorded each epoch, training
stops once the monitored ``scoring`` has not improved for
``n_iter_no_change`` epochs, and the weights of the best epoch,
``best_epoch_``, are kept (the default ensemble of four members sets aside
one such slice per member, each scored by the member that never trained on
it). Plotting training against validation loss shows where the network
starts to overfit.
"""

# %%
# Training with a validation split
# --------------------------------
# A wide network on a small dataset overfits quickly: the training loss keeps
# falling while the validation loss turns up.
import os

import matplotlib.pyplot as plt
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktorch_clf import TorchBinaryClassifier

# SKTORCH_CLF_EXAMPLES_SMALL=1 trains briefly (docs build and tests)
SMALL = os.environ.get("SKTORCH_CLF_EXAMPLES_SMALL") == "1"

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
clf = TorchBinaryClassifier(
    hidden_layer_sizes=(256, 256),
    lr=3e-3,
    max_epochs=8 if SMALL else 200,
    early_stopping=True,
    scoring="loss",
    validation_fraction=0.2,
    n_iter_no_change=4 if SMALL else 25,
    random_state=0,
)
model = make_pipeline(StandardScaler(), clf).fit(X_train, y_train)
print(f"epochs run: {clf.n_iter_}, best epoch kept: {clf.best_epoch_}")
print(f"test accuracy with the best epoch's weights: {model.score(X_test, y_test):.3f}")

# %%
# The history
# -----------
# One row per epoch: the mean training loss, the validation loss and
# accuracy, and how long the epoch took.
history = clf.history_df_
print(history[["train_loss", "valid_loss", "valid_acc"]].round(4).head(10))

# %%
# The learning curves
# -------------------
# The dashed line marks the epoch whose weights the model keeps; the epochs
# after it are the patience (``n_iter_no_change``) that confirmed it.
fig, ax = plt.subplots(figsize=(7, 4.5))
history.plot(y=["train_loss", "valid_loss"], ax=ax)
ax.axvline(
    clf.best_epoch_, color="black", ls="--", label=f"best epoch ({clf.best_epoch_})"
)
ax.set_xlabel("epoch")
ax.set_ylabel("log loss")
ax.set_title("Training and validation loss")
ax.legend()
plt.show()
