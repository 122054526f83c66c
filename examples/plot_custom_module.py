"""
======================================
Your own network: a small residual MLP
======================================

Without ``module`` the estimators build an MLP from ``hidden_layer_sizes``.
Any :class:`torch.nn.Module` can take its place: pass the class as
``module=`` and its own arguments as ``module_kwargs``. The estimator calls
it with the sizes the data dictates, ``n_features_in`` and ``n_outputs`` (1
for the binary classifier, the number of classes for the multiclass one),
plus ``module_kwargs``; the network returns logits, with no sigmoid or
softmax at the end.
"""

# %%
# The network
# -----------
# Residual blocks add their output to their input, ``h + f(h)``, which keeps
# deeper networks easy to train.
import os

import matplotlib.pyplot as plt
import torch
from sklearn.datasets import make_moons
from sklearn.inspection import DecisionBoundaryDisplay
from sklearn.model_selection import train_test_split
from torch import nn

from sktorch_clf import TorchBinaryClassifier

# SKTORCH_CLF_EXAMPLES_SMALL=1: fewer rows and epochs (docs build and tests)
SMALL = os.environ.get("SKTORCH_CLF_EXAMPLES_SMALL") == "1"


class ResidualBlock(nn.Module):
    def __init__(self, width: int):
        super().__init__()
        self.f = nn.Sequential(
            nn.LayerNorm(width),
            nn.Linear(width, width),
            nn.ReLU(),
            nn.Linear(width, width),
        )

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return h + self.f(h)


class ResidualMLP(nn.Module):
    def __init__(self, n_features_in: int, n_outputs: int, width=32, n_blocks=2):
        super().__init__()
        self.stem = nn.Linear(n_features_in, width)
        self.blocks = nn.Sequential(*(ResidualBlock(width) for _ in range(n_blocks)))
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(width, n_outputs))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(X)))  # logits


# %%
# Training it
# -----------
# Two interleaved half-moons with noise: the boundary between the classes is
# curved, so a linear model cannot draw it.
X, y = make_moons(n_samples=300 if SMALL else 1000, noise=0.3, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

clf = TorchBinaryClassifier(
    module=ResidualMLP,
    module_kwargs={"width": 32, "n_blocks": 2},
    lr=1e-2,
    max_epochs=10 if SMALL else 200,
    early_stopping=True,
    random_state=0,
)
clf.fit(X_train, y_train)
print(clf.module_)
print(f"test accuracy: {clf.score(X_test, y_test):.3f}")

# %%
# Depth as a hyperparameter
# -------------------------
# ``module_kwargs`` is a parameter like any other: ``set_params``, ``clone``
# and the searches of :mod:`sklearn.model_selection` change it. Here the
# number of residual blocks goes from none (a single hidden layer) to three,
# and the decision boundaries are drawn as ``predict_proba`` of class 1.
depths = [0, 1, 3]
fig, axes = plt.subplots(1, len(depths), figsize=(11, 3.8), sharey=True)
for ax, n_blocks in zip(axes, depths, strict=True):
    clf.set_params(module_kwargs={"width": 32, "n_blocks": n_blocks})
    clf.fit(X_train, y_train)
    DecisionBoundaryDisplay.from_estimator(
        clf, X, response_method="predict_proba", cmap="RdBu", alpha=0.7, ax=ax
    )
    ax.scatter(*X_test.T, c=y_test, cmap="RdBu", edgecolor="k", s=15)
    ax.set_title(f"n_blocks={n_blocks}: test accuracy {clf.score(X_test, y_test):.3f}")
fig.tight_layout()
plt.show()
