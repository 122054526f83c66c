"""PyTorch networks as first-class scikit-learn classifiers."""

from ._binary import TorchBinaryClassifier
from ._multiclass import TorchMulticlassClassifier

__all__ = ["TorchBinaryClassifier", "TorchMulticlassClassifier"]
__version__ = "0.1.0"
