"""
==========================================================
Grid search over network size, learning rate and optimizer
==========================================================

The estimators are ordinary scikit-learn estimators, so
:class:`~sklearn.model_selection.GridSearchCV` tunes them like any other:
here the width of the hidden layers, the learning rate and the optimizer
(Adam against plain SGD), each combination scored by cross-validation on the
handwritten digits.
"""

# %%
# The search
# ----------
# Parameters of a step of a pipeline are addressed as ``<step>__<parameter>``.
# Every network trains for the same number of epochs, so the learning rate
# and the optimizer decide how far each one gets; one network per candidate
# (``ensemble_size=1``) keeps the search quick. Fits that stop at
# ``max_epochs`` while still improving emit a ``ConvergenceWarning``; here
# that is on purpose, so the search silences it.
import os
import warnings

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktorch_clf import TorchMulticlassClassifier

# SKTORCH_CLF_EXAMPLES_SMALL=1: fewer rows, epochs and candidates (docs, tests)
SMALL = os.environ.get("SKTORCH_CLF_EXAMPLES_SMALL") == "1"

X, y = load_digits(return_X_y=True)
if SMALL:
    X, y = X[:500], y[:500]

pipe = make_pipeline(
    StandardScaler(),
    TorchMulticlassClassifier(
        max_epochs=5 if SMALL else 20,
        ensemble_size=1,
        early_stopping=False,
        n_iter_no_change=20,
        random_state=0,
    ),
)
param_grid = {
    "torchmulticlassclassifier__hidden_layer_sizes": [(8,), (64,)],
    "torchmulticlassclassifier__lr": [1e-2, 1e-1] if SMALL else [1e-3, 1e-2, 1e-1],
    "torchmulticlassclassifier__optimizer": ["adam", "sgd"],
}
search = GridSearchCV(pipe, param_grid, cv=3)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X, y)
print("best parameters:", search.best_params_)
print(f"best cross-validated accuracy: {search.best_score_:.3f}")

# %%
# All the scores
# --------------
# ``cv_results_`` holds every candidate's mean and spread over the folds.
results = pd.DataFrame(search.cv_results_)
results = results.rename(
    columns=lambda c: c.replace("param_torchmulticlassclassifier__", "")
)
results["hidden_layer_sizes"] = results["hidden_layer_sizes"].astype(str)
print(
    results[["hidden_layer_sizes", "lr", "optimizer", "mean_test_score"]]
    .sort_values("mean_test_score", ascending=False)
    .to_string(index=False)
)

# %%
# Plotted against the learning rate
# ---------------------------------
# SGD needs a larger learning rate than Adam to make progress in the same
# number of epochs, and the wider network learns faster at every setting.
sizes = results["hidden_layer_sizes"].unique()
fig, axes = plt.subplots(1, len(sizes), figsize=(9, 3.8), sharey=True)
for ax, size in zip(axes, sizes, strict=True):
    for optimizer, group in results[results["hidden_layer_sizes"] == size].groupby(
        "optimizer"
    ):
        ax.errorbar(
            group["lr"].astype(float),
            group["mean_test_score"],
            yerr=group["std_test_score"],
            marker="o",
            capsize=3,
            label=optimizer,
        )
    ax.set_xscale("log")
    ax.set_xlabel("learning rate (lr)")
    ax.set_title(f"hidden_layer_sizes={size}")
axes[0].set_ylabel("cross-validated accuracy")
axes[0].legend(title="optimizer")
fig.tight_layout()
plt.show()
