"""
======================================================
Multiclass: classification report and confusion matrix
======================================================

:class:`~sktorch_clf.TorchMulticlassClassifier` ends in one logit per class.
``predict_proba`` applies the softmax (each row sums to 1) and ``predict``
returns the class of the largest probability (the argmax); training
minimises the cross-entropy. This example recognises handwritten digits and
reads the result as a scikit-learn user would: per-class precision, recall
and F1 in :func:`~sklearn.metrics.classification_report`, and which digits
are confused with which in a confusion matrix.
"""

# %%
# Training
# --------
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import ConfusionMatrixDisplay, classification_report
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktorch_clf import TorchMulticlassClassifier

# SKTORCH_CLF_EXAMPLES_SMALL=1 trains briefly (docs build and tests)
SMALL = os.environ.get("SKTORCH_CLF_EXAMPLES_SMALL") == "1"

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
model = make_pipeline(
    StandardScaler(),
    TorchMulticlassClassifier(
        hidden_layer_sizes=(64,),
        lr=3e-2,
        max_epochs=5 if SMALL else 200,
        early_stopping=True,
        random_state=0,
    ),
)
model.fit(X_train, y_train)

# %%
# Probabilities, then labels
# --------------------------
# One row of probabilities per sample, one column per class of ``classes_``;
# the predicted label is the column with the largest probability.
clf = model[-1]
proba = model.predict_proba(X_test[:3])
print("classes_:", clf.classes_)
print("P(class) of 3 test digits:\n", proba.round(3))
print("row sums:", proba.sum(axis=1).round(6))
print("argmax -> label:", clf.classes_[proba.argmax(axis=1)])
print("predict:        ", model.predict(X_test[:3]))

# %%
# The classification report
# -------------------------
# Precision: of the samples predicted as a digit, how many are that digit.
# Recall: of the samples of a digit, how many were found. F1 is their
# harmonic mean; the averages summarise the ten classes.
y_pred = model.predict(X_test)
print(classification_report(y_test, y_pred, digits=3))

# %%
# The confusion matrix
# --------------------
# Rows are the true digits, columns the predicted ones; everything off the
# diagonal is a mistake. Normalising each row shows the recall of each digit
# on the diagonal.
fig, ax = plt.subplots(figsize=(6, 5.5))
ConfusionMatrixDisplay.from_predictions(
    y_test, y_pred, normalize="true", values_format=".2f", ax=ax, colorbar=False
)
ax.set_title(f"Digits, test accuracy {np.mean(y_pred == y_test):.3f}")
plt.show()
