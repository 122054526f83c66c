"""
=================================================
Class imbalance: class weights against resampling
=================================================

When one class is rare, a network trained on the plain average loss learns
that predicting the common class is nearly always right, and finds few of
the rare samples: its recall of the rare class is low. Two standard
remedies:

- ``class_weight='balanced'`` weighs each sample's loss inversely to its
  class's frequency, so both classes count equally in training;
- resampling the training data, here with scikit-learn's own
  :func:`~sklearn.utils.resample`: drawing the rare class again with
  replacement (oversampling), or keeping only part of the common class
  (undersampling).

All three trade precision of the rare class for its recall.
"""

# %%
# An imbalanced problem
# ---------------------
# About 5% of the samples belong to the class ``'rare'``.
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import balanced_accuracy_score, precision_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.utils import resample

from sktorch_clf import TorchBinaryClassifier

# SKTORCH_CLF_EXAMPLES_SMALL=1: fewer rows and epochs (docs build and tests)
SMALL = os.environ.get("SKTORCH_CLF_EXAMPLES_SMALL") == "1"

X, y = make_classification(
    n_samples=1000 if SMALL else 4000,
    n_features=10,
    n_informative=4,
    weights=[0.95],
    class_sep=0.7,
    random_state=0,
)
y = np.array(["common", "rare"])[y]
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
print(pd.Series(y_train).value_counts())

# %%
# Four ways to train
# ------------------
# Every model trains for the same number of epochs, without early stopping:
# a validation split taken from oversampled data would hold copies of
# training rows and flatter the model. Stopping at ``max_epochs`` emits a
# ``ConvergenceWarning``, silenced here on purpose. Only the training data is
# resampled, never the test data.
base = TorchBinaryClassifier(
    hidden_layer_sizes=(32,),
    lr=1e-2,
    max_epochs=5 if SMALL else 40,
    early_stopping=False,
    threshold=0.5,
    random_state=0,
)
common, rare = X_train[y_train == "common"], X_train[y_train == "rare"]
oversampled = np.vstack([common, resample(rare, n_samples=len(common), random_state=0)])
undersampled = np.vstack(
    [resample(common, n_samples=len(rare), replace=False, random_state=0), rare]
)


def labels(n_common, n_rare):
    return np.array(["common"] * n_common + ["rare"] * n_rare)


setups = {
    "no remedy": (base, X_train, y_train),
    "class_weight='balanced'": (
        clone(base).set_params(class_weight="balanced"),
        X_train,
        y_train,
    ),
    "oversampling": (base, oversampled, labels(len(common), len(common))),
    "undersampling": (base, undersampled, labels(len(rare), len(rare))),
}
rows = []
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, (estimator, X_fit, y_fit) in setups.items():
        model = clone(estimator).fit(X_fit, y_fit)
        y_pred = model.predict(X_test)
        rows.append(
            {
                "setup": name,
                "recall of 'rare'": recall_score(y_test, y_pred, pos_label="rare"),
                "precision of 'rare'": precision_score(
                    y_test, y_pred, pos_label="rare", zero_division=0
                ),
                "balanced accuracy": balanced_accuracy_score(y_test, y_pred),
            }
        )
scores = pd.DataFrame(rows).set_index("setup")
print(scores.round(3).to_string())

# %%
# Recall, precision and balanced accuracy
# ---------------------------------------
# Every remedy finds far more of the rare class; the price is more false
# alarms, that is a lower precision. Lowering the binary ``threshold`` of the
# plain model is a fourth lever of the same kind (see the threshold example).
ax = scores.plot.barh(figsize=(7, 5), xlim=(0, 1))
ax.invert_yaxis()
ax.set_xlabel("score on the test set")
ax.set_ylabel("")
ax.legend(loc="upper center", bbox_to_anchor=(0.4, -0.12), ncol=3)
plt.tight_layout()
plt.show()
