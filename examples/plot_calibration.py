"""
=======================
Probability calibration
=======================

A classifier is calibrated when, among the samples it gives a probability
of 0.8, about 80% belong to the positive class. A network trained long on
noisy labels drives its training loss down by becoming overconfident: its
probabilities crowd at 0 and 1. This example draws reliability curves with
:class:`~sklearn.calibration.CalibrationDisplay` before and after
:class:`~sklearn.calibration.CalibratedClassifierCV`, which learns a map
from the network's probabilities to calibrated ones on data the network did
not train on.
"""

# %%
# An overconfident network
# ------------------------
# One network (``ensemble_size=1``: averaging several members would already
# temper its confidence), trained for a fixed number of epochs without early
# stopping, on data with 10% of the labels flipped: it learns the flipped
# labels by heart.
import os
import warnings

import matplotlib.pyplot as plt
from sklearn.calibration import CalibratedClassifierCV, CalibrationDisplay
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import brier_score_loss, log_loss
from sklearn.model_selection import train_test_split

from sktorch_clf import TorchBinaryClassifier

# SKTORCH_CLF_EXAMPLES_SMALL=1: fewer rows and epochs (docs build and tests)
SMALL = os.environ.get("SKTORCH_CLF_EXAMPLES_SMALL") == "1"

X, y = make_classification(
    n_samples=1500 if SMALL else 4000,
    n_features=20,
    n_informative=6,
    flip_y=0.1,
    random_state=0,
)
X_train, X_rest, y_train, y_rest = train_test_split(X, y, test_size=0.5, random_state=0)
X_calib, X_test, y_calib, y_test = train_test_split(
    X_rest, y_rest, test_size=0.5, random_state=0
)

overconfident = TorchBinaryClassifier(
    hidden_layer_sizes=(128, 128),
    lr=1e-2,
    max_epochs=10 if SMALL else 100,
    ensemble_size=1,
    early_stopping=False,
    random_state=0,
)
# it stops at max_epochs while the training loss still falls: on purpose
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    overconfident.fit(X_train, y_train)

# %%
# For comparison, the same network with early stopping on the validation log
# loss, which ends training before the probabilities drift far.
early = TorchBinaryClassifier(
    hidden_layer_sizes=(128, 128),
    lr=1e-2,
    max_epochs=10 if SMALL else 100,
    ensemble_size=1,
    early_stopping=True,
    scoring="loss",
    random_state=0,
).fit(X_train, y_train)

# %%
# Calibrating
# -----------
# :class:`~sklearn.frozen.FrozenEstimator` keeps the trained network as it
# is; ``CalibratedClassifierCV`` then fits only the map from its
# probabilities to calibrated ones (isotonic regression here), on the
# calibration split.
calibrated = CalibratedClassifierCV(FrozenEstimator(overconfident), method="isotonic")
calibrated.fit(X_calib, y_calib)

models = {
    "no early stopping": overconfident,
    "early stopping": early,
    "no early stopping, calibrated": calibrated,
}
for name, model in models.items():
    proba = model.predict_proba(X_test)[:, 1]
    print(
        f"{name:>30}: log loss {log_loss(y_test, proba):.3f}, "
        f"Brier score {brier_score_loss(y_test, proba):.3f}"
    )

# %%
# Reliability curves
# ------------------
# Each point is a bin of test samples: the mean predicted probability against
# the fraction that are positive. A calibrated model stays on the diagonal;
# the overconfident network's curve is flatter than the diagonal (too sure
# of itself) until it is calibrated. Below, the histograms show where each
# model's probabilities fall: the overconfident ones crowd at 0 and 1.
fig, (ax, ax_hist) = plt.subplots(2, 1, figsize=(6, 8), height_ratios=[2, 1])
for name, model in models.items():
    display = CalibrationDisplay.from_estimator(
        model, X_test, y_test, n_bins=10, name=name, ax=ax, marker="o"
    )
    ax_hist.hist(display.y_prob, bins=20, range=(0, 1), histtype="step", label=name)
ax.set_title("Reliability on the test set")
ax_hist.set_xlabel("predicted probability of class 1")
ax_hist.set_ylabel("test samples")
fig.tight_layout()
plt.show()
