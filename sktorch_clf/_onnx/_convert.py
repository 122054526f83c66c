"""Export to ONNX: skl2onnx converters for both estimators, and a helper.

A fitted estimator becomes three parts of the ONNX graph: its input rows
(numeric columns cast to float32, categorical columns mapped to the codes of
``_features`` with ``ai.onnx.ml``'s ``LabelEncoder``), the network
(``torch.onnx.export`` of ``module_``, merged in with its names made
unique) and the head (sigmoid and the ``threshold``, or softmax and argmax)
giving skl2onnx's two classifier outputs: the labels and the
probabilities, with or without ZipMap. Needs the ``onnx`` extra
(``pip install "sktorch-clf[onnx]"``): skl2onnx, onnx, onnxruntime.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from skl2onnx import to_onnx as _skl2onnx_to_onnx
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import (
    BooleanTensorType,
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
)
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from .._binary import TorchBinaryClassifier
from .._multiclass import TorchMulticlassClassifier
from ._graph import binary_head, multiclass_head
from ._network import network_output
from ._rows import input_rows

_OPTIONS = {
    "zipmap": [True, False, "columns"],
    "nocl": [False, True],
    "output_class_labels": [False, True],
}


def register_converters() -> None:
    """Register the shape calculator, converter and skl2onnx's classifier
    parser (which handles the ``zipmap``, ``nocl`` and
    ``output_class_labels`` options) for both estimators, so that
    ``skl2onnx.to_onnx`` converts them, alone or at the end of a Pipeline.

    The binary ``threshold`` is read from the fitted estimator when it is
    converted and applied inside the graph. Calling this again is harmless.
    """
    for cls in (TorchBinaryClassifier, TorchMulticlassClassifier):
        _register(cls)


def _register(cls: type) -> None:
    update_registered_converter(
        cls,
        f"Sktorch{cls.__name__}",
        _calculate_output_shapes,
        _convert,
        options=_OPTIONS,
    )


def to_onnx(model, X_sample, *, target_opset=None, options=None):
    """See :func:`sktorch_clf.to_onnx`."""
    final = model.steps[-1][1] if isinstance(model, Pipeline) else model
    if not isinstance(final, TorchBinaryClassifier | TorchMulticlassClassifier):
        raise TypeError(
            "model must be a TorchBinaryClassifier, a TorchMulticlassClassifier "
            f"or a Pipeline ending in one, got {type(final).__name__}"
        )
    check_is_fitted(model)
    register_converters()
    _register(type(final))  # ours, or a subclass of ours
    return _skl2onnx_to_onnx(
        model,
        initial_types=initial_types(X_sample),
        target_opset=target_opset,
        options=options,
    )


def initial_types(X_sample) -> list[tuple[str, object]]:
    """skl2onnx's input types for data like ``X_sample``."""
    if isinstance(X_sample, pd.DataFrame):
        return [
            (str(name), _column_type(X_sample[name])([None, 1]))
            for name in X_sample.columns
        ]
    X_sample = np.asarray(X_sample)
    if X_sample.ndim != 2:
        raise ValueError(
            f"X_sample must be 2-dimensional, got an array of shape {X_sample.shape}"
        )
    return [("X", _dtype_type(X_sample.dtype)([None, X_sample.shape[1]]))]


def _column_type(column: pd.Series):
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    return _dtype_type(dtype)


def _dtype_type(dtype):
    kind = getattr(dtype, "kind", "O")
    if kind == "f":  # onnxruntime's Imputer & co. work in float32 only
        return FloatTensorType
    if kind in "iu":
        return Int64TensorType
    if kind == "b":
        return BooleanTensorType
    return StringTensorType


# -- shapes ---------------------------------------------------------------------
def _calculate_output_shapes(operator) -> None:
    """The label tensor ``(n,)`` and the probabilities ``(n, n_classes)``."""
    model = operator.raw_operator
    n = operator.inputs[0].get_first_dimension()
    nocl = operator.scope_inst.get_options(model, {"nocl": False})["nocl"]
    label_type = Int64TensorType if nocl else _label_type(model.classes_)
    operator.outputs[0].type = label_type([n])
    if len(operator.outputs) > 1:  # float32, whatever the input: the network's
        operator.outputs[1].type = FloatTensorType([n, len(model.classes_)])


def _label_type(classes: np.ndarray):
    """skl2onnx's label types: int64 for integers, bools and whole floats
    (scikit-learn's classifiers take no other floats), strings for strings."""
    if classes.dtype.kind in "iubf":
        return Int64TensorType
    if all(isinstance(c, str) for c in classes):
        return StringTensorType
    if all(
        isinstance(c, int | np.integer) and not isinstance(c, bool) for c in classes
    ):
        return Int64TensorType
    raise ValueError(
        f"classes_ {classes.tolist()} mix types that ONNX cannot hold as labels; "
        "train with string or integer labels to export"
    )


# -- conversion -----------------------------------------------------------------
def _convert(scope, operator, container) -> None:
    model = operator.raw_operator
    check_is_fitted(model)
    rows = input_rows(scope, operator, container, model)
    logits = network_output(scope, container, model, rows)
    if isinstance(model, TorchBinaryClassifier):
        binary_head(scope, operator, container, model, logits)
    else:
        multiclass_head(scope, operator, container, model, logits)
