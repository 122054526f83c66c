"""PyTorch networks as first-class scikit-learn classifiers."""

from importlib.metadata import version as _version

from ._binary import TorchBinaryClassifier
from ._multiclass import TorchMulticlassClassifier
from ._onnx import to_onnx
from ._persist import load

__all__ = ["TorchBinaryClassifier", "TorchMulticlassClassifier", "load", "to_onnx"]
__version__ = _version("sktorch-clf")  # the package metadata: pyproject.toml
