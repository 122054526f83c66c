"""
==========================================
A mixed-type DataFrame with missing values
==========================================

Real tables mix numbers and categories, and have holes. This example
classifies the Palmer penguins (bundled with the ``palmerpenguins`` package)
from a DataFrame with numeric, string and categorical columns, some of them
missing, in two ways:

1. a :class:`~sklearn.compose.ColumnTransformer` that imputes and scales the
   numbers, one-hot encodes the unordered categories and ordinal encodes the
   ordered one, in front of the network;
2. the raw string and category columns handed to the estimator, which embeds
   them itself (``categorical_features='from_dtype'``).

Both are scored with :func:`~sklearn.model_selection.cross_val_score`; the
species names are the target as they are, with no label encoding by hand.
"""

# %%
# The data
# --------
# Suppose body mass had been recorded only as a size class: an ordered
# category (small < medium < large), with missing values like the others.
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from palmerpenguins import load_penguins
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from sktorch_clf import TorchMulticlassClassifier

# SKTORCH_CLF_EXAMPLES_SMALL=1 trains briefly (docs build and tests)
SMALL = os.environ.get("SKTORCH_CLF_EXAMPLES_SMALL") == "1"

penguins = load_penguins()
y = penguins["species"]
X = penguins.drop(columns=["species", "year"])
X["size"] = pd.cut(
    X.pop("body_mass_g"),
    bins=[0, 3500, 4500, np.inf],
    labels=["small", "medium", "large"],
)
print(X.dtypes, "\n")
print("missing values per column:\n", X.isna().sum())

numeric = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm"]
cv = 3 if SMALL else 5


def network():
    return TorchMulticlassClassifier(
        hidden_layer_sizes=(32,),
        lr=1e-2,
        max_epochs=5 if SMALL else 100,
        early_stopping=True,
        random_state=0,
    )


# %%
# One-hot and ordinal encoding in a ColumnTransformer
# ---------------------------------------------------
# One-hot encoding gives each category its own 0/1 column and implies no
# order: right for the island and the sex (a missing sex becomes a category
# of its own). Ordinal encoding maps ordered categories to 0, 1, 2 in one
# column: right for the size class, once its missing values are imputed.
# Numbers are imputed with the column mean and standardised: networks train
# best on inputs of similar scale.
preprocess = make_column_transformer(
    (OneHotEncoder(handle_unknown="ignore"), ["island", "sex"]),
    (
        make_pipeline(
            SimpleImputer(strategy="most_frequent"),
            OrdinalEncoder(categories=[["small", "medium", "large"]]),
        ),
        ["size"],
    ),
    (make_pipeline(SimpleImputer(), StandardScaler()), numeric),
)
encoded = make_pipeline(preprocess, network())
encoded_scores = cross_val_score(encoded, X, y, cv=cv)
print(f"one-hot + ordinal: mean accuracy {encoded_scores.mean():.3f}")

# %%
# The raw DataFrame: categories embedded by the estimator
# -------------------------------------------------------
# With ``categorical_features='from_dtype'`` the estimator takes a
# DataFrame's string and category columns as they are: it learns their
# categories in ``fit`` and gives each column a learned embedding, with slots
# of their own for missing values and for categories never seen in ``fit``.
# Only the numeric columns still need imputing and scaling; the
# ColumnTransformer passes the rest through and returns a DataFrame.
numbers_only = make_column_transformer(
    (make_pipeline(SimpleImputer(), StandardScaler()), numeric),
    remainder="passthrough",
    verbose_feature_names_out=False,
).set_output(transform="pandas")
embedded = make_pipeline(
    numbers_only, network().set_params(categorical_features="from_dtype")
)
embedded_scores = cross_val_score(embedded, X, y, cv=cv)
print(f"embedded categories: mean accuracy {embedded_scores.mean():.3f}")

embedded.fit(X, y)
clf = embedded[-1]
print("embedded columns:", list(clf.feature_names_in_[clf.is_categorical_]))
print("their categories:", [list(c) for c in clf.categories_])

# %%
# Fold by fold
# ------------
# Both pipelines classify the species almost perfectly; each dot is one
# cross-validation fold.
fig, ax = plt.subplots(figsize=(6, 2.8))
for row, scores in enumerate([encoded_scores, embedded_scores]):
    ax.plot(scores, np.full_like(scores, row), "o", alpha=0.7)
    ax.plot(scores.mean(), row, "k|", markersize=20)
ax.set_yticks([0, 1], ["one-hot + ordinal", "embedded"])
ax.set_ylim(-0.5, 1.5)
ax.set_xlabel(f"accuracy of each of {cv} folds (bar: mean)")
fig.tight_layout()
plt.show()
