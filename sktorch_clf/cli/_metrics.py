"""The scores the command line reports, their summary over folds, the
classification report and the confusion matrix."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn import metrics

# name -> label, in the order of every table.
NAMES = {
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "precision_macro": "precision (macro)",
    "recall_macro": "recall (macro)",
    "f1_macro": "F1 (macro)",
    "roc_auc": "ROC AUC",
    "log_loss": "log loss",
}


def scores(
    y_true: np.ndarray, y_pred: np.ndarray, proba: np.ndarray, classes: list
) -> dict[str, float | None]:
    """Every metric of :data:`NAMES` on one set of predictions.

    ``roc_auc`` is for binary models only (the probability of
    ``classes[1]``); it is None for multiclass models and where ``y_true``
    holds one class.
    """
    macro = {"labels": classes, "average": "macro", "zero_division": 0}
    with warnings.catch_warnings():
        # a class missing from y_true: balanced accuracy warns, still defined
        warnings.simplefilter("ignore", UserWarning)
        balanced = metrics.balanced_accuracy_score(y_true, y_pred)
    out = {
        "accuracy": metrics.accuracy_score(y_true, y_pred),
        "balanced_accuracy": balanced,
        "precision_macro": metrics.precision_score(y_true, y_pred, **macro),
        "recall_macro": metrics.recall_score(y_true, y_pred, **macro),
        "f1_macro": metrics.f1_score(y_true, y_pred, **macro),
        "roc_auc": None,
        "log_loss": metrics.log_loss(y_true, proba, labels=classes),
    }
    if len(classes) == 2 and len(np.unique(y_true)) == 2:
        positive = np.asarray(y_true) == classes[1]
        out["roc_auc"] = metrics.roc_auc_score(positive, proba[:, 1])
    return {k: None if v is None else float(v) for k, v in out.items()}


def summarise(folds: list[dict]) -> dict[str, dict | None]:
    """Per metric: the mean and standard deviation over folds, and each fold's
    value (None where a metric does not apply)."""
    out = {}
    for name in NAMES:
        values = [fold[name] for fold in folds]
        if any(v is None for v in values):
            out[name] = None
            continue
        out[name] = {
            "mean": float(np.mean(values)),
            "std": float(np.std(values)),
            "folds": values,
        }
    return out


def report(y_true: np.ndarray, y_pred: np.ndarray, classes: list) -> tuple[str, dict]:
    """scikit-learn's classification report, as text and as a dict."""
    names = [str(c) for c in classes]
    common = {"labels": classes, "target_names": names, "zero_division": 0}
    text = metrics.classification_report(y_true, y_pred, digits=3, **common)
    table = metrics.classification_report(y_true, y_pred, output_dict=True, **common)
    return text, table


def confusion(y_true: np.ndarray, y_pred: np.ndarray, classes: list) -> dict:
    """The confusion matrix (rows: true class, columns: predicted class)."""
    matrix = metrics.confusion_matrix(y_true, y_pred, labels=classes)
    return {"labels": list(classes), "matrix": matrix.tolist()}
