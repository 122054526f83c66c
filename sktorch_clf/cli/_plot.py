"""``evaluate --plot``: the confusion matrix and, for binary models, the ROC
and precision-recall curves, in one image."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._errors import InputError
from ._table import first_line


def plot(
    path: str | Path, y: np.ndarray, proba: np.ndarray, confusion: dict, classes: list
) -> None:
    """Draw the evaluation plots into ``path`` (its suffix picks the format,
    e.g. ``.png`` or ``.pdf``).

    Raises
    ------
    InputError
        matplotlib is not installed, or the file cannot be written.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from sklearn.metrics import (
            ConfusionMatrixDisplay,
            PrecisionRecallDisplay,
            RocCurveDisplay,
        )
    except ImportError as exc:
        raise InputError(
            '--plot needs matplotlib: pip install "sktorch-clf[cli]"'
        ) from exc
    binary = len(classes) == 2 and len(np.unique(y)) == 2
    fig, axes = plt.subplots(1, 3 if binary else 1, figsize=(15 if binary else 6, 5))
    axes = np.atleast_1d(axes)
    matrix = np.asarray(confusion["matrix"])
    names = [str(c) for c in classes]
    ConfusionMatrixDisplay(matrix, display_labels=names).plot(
        ax=axes[0], colorbar=False
    )
    axes[0].set_title("confusion matrix")
    if binary:
        positive = np.asarray(y) == classes[1]
        label = f"P({names[1]})"
        RocCurveDisplay.from_predictions(positive, proba[:, 1], ax=axes[1], name=label)
        axes[1].set_title("ROC curve")
        PrecisionRecallDisplay.from_predictions(
            positive, proba[:, 1], ax=axes[2], name=label
        )
        axes[2].set_title("precision-recall curve")
    fig.tight_layout()
    try:
        fig.savefig(path)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot write the plot {path}: {first_line(exc)}") from exc
    finally:
        plt.close(fig)
