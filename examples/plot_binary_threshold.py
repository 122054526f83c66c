"""
=======================================
Binary classification and its threshold
=======================================

:class:`~sktorch_clf.TorchBinaryClassifier` ends in one logit per sample. A
sigmoid turns it into the probability of the positive class, ``classes_[1]``,
and ``predict`` compares that probability with ``threshold``: ``p >=
threshold`` means the positive class. Moving the threshold trades precision
for recall without retraining. This example draws that trade-off on the
breast-cancer data, then lets scikit-learn's
:class:`~sklearn.model_selection.TunedThresholdClassifierCV` choose the
threshold by cross-validation.
"""

# %%
# A first model
# -------------
# The labels are strings. ``classes_`` sorts them, so ``'malignant'`` is the
# positive class: column 1 of ``predict_proba``.
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import (
    classification_report,
    f1_score,
    make_scorer,
    precision_recall_curve,
)
from sklearn.model_selection import TunedThresholdClassifierCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktorch_clf import TorchBinaryClassifier

# SKTORCH_CLF_EXAMPLES_SMALL=1 trains briefly (docs build and tests)
SMALL = os.environ.get("SKTORCH_CLF_EXAMPLES_SMALL") == "1"

data = load_breast_cancer()
X, y = data.data, data.target_names[data.target]
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)

model = make_pipeline(
    StandardScaler(),
    TorchBinaryClassifier(
        hidden_layer_sizes=(32,),
        lr=1e-2,
        max_epochs=10 if SMALL else 100,
        early_stopping=True,
        threshold=0.5,
        random_state=0,
    ),
)
model.fit(X_train, y_train)
print("classes_:", model[-1].classes_)
print(classification_report(y_test, model.predict(X_test), digits=3))

# %%
# Tuning the threshold by cross-validation
# ----------------------------------------
# Which threshold is best depends on what a mistake costs. Here we ask for the
# best F1 score of the ``'malignant'`` class; the scorer names the positive
# label, as scorers must with string labels.
f1_malignant = make_scorer(f1_score, pos_label="malignant")
tuned = TunedThresholdClassifierCV(
    model, scoring=f1_malignant, cv=3 if SMALL else 5, store_cv_results=True
)
tuned.fit(X_train, y_train)
print(f"tuned threshold: {tuned.best_threshold_:.3f}")
print(f"cross-validated F1 there: {tuned.best_score_:.3f}")

# %%
# The tuned threshold is an ordinary ``threshold`` for our classifier: set on
# the model the tuner refitted, it makes the same decisions without the
# wrapper.
refitted = tuned.estimator_
refitted[-1].set_params(threshold=tuned.best_threshold_)
same = np.mean(refitted.predict(X_test) == tuned.predict(X_test))
print(f"same predictions as TunedThresholdClassifierCV: {same:.0%}")

# %%
# Precision and recall against the threshold
# ------------------------------------------
# On the test set, a low threshold finds nearly every malignant tumour (high
# recall) at the price of false alarms (lower precision); a high threshold
# does the opposite. The dashed curve is the F1 score the tuner measured by
# cross-validation on the training data.
proba = model.predict_proba(X_test)[:, 1]
precision, recall, thresholds = precision_recall_curve(
    y_test, proba, pos_label="malignant"
)

fig, ax = plt.subplots(figsize=(7, 4.5))
ax.plot(thresholds, precision[:-1], label="precision (test)")
ax.plot(thresholds, recall[:-1], label="recall (test)")
ax.plot(
    tuned.cv_results_["thresholds"],
    tuned.cv_results_["scores"],
    "--",
    label="F1 (cross-validated)",
)
ax.axvline(0.5, color="grey", lw=1, label="threshold=0.5")
ax.axvline(tuned.best_threshold_, color="black", lw=1, label="tuned threshold")
ax.set_xlabel("threshold on P('malignant')")
ax.set_ylim(0, 1.02)
ax.set_title("Precision and recall of 'malignant' against the threshold")
ax.legend(loc="lower left")
plt.show()
