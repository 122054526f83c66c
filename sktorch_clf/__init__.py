"""PyTorch networks as first-class scikit-learn classifiers."""

from ._binary import TorchBinaryClassifier
from ._multiclass import TorchMulticlassClassifier
from ._persist import load

__all__ = ["TorchBinaryClassifier", "TorchMulticlassClassifier", "load"]
__version__ = "0.1.0"
