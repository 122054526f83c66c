"""Small helpers that add nodes and constants to skl2onnx's container,
and the classifier head: the label and probability outputs."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto
from skl2onnx.common.data_types import Int64TensorType, StringTensorType


def new_name(scope, hint: str) -> str:
    return scope.get_unique_variable_name(hint)


def add_node(
    scope, container, op_type, inputs, outputs, domain="", version=None, **attrs
) -> None:
    container.add_node(
        op_type,
        inputs,
        outputs,
        op_domain=domain,
        op_version=version,
        name=scope.get_unique_operator_name(op_type),
        **attrs,
    )


def add_constant(scope, container, hint, onnx_type, values, shape) -> str:
    name = new_name(scope, hint)
    container.add_initializer(name, onnx_type, shape, values)
    return name


def add_cast(scope, container, name: str, to: int) -> str:
    out = new_name(scope, "cast")
    add_node(scope, container, "Cast", [name], [out], to=to)
    return out


# -- the head -------------------------------------------------------------------
def binary_head(scope, operator, container, model, logits: str) -> None:
    """Probabilities ``[sigmoid(-z), sigmoid(z)]``; label ``classes_[1]``
    where ``sigmoid(z) >= threshold`` (in float64, as ``predict``)."""
    threshold = model.threshold
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must be in [0, 1], got {threshold!r}")
    shape = add_constant(scope, container, "shape", TensorProto.INT64, [-1, 1], [2])
    z = new_name(scope, "logit")
    add_node(scope, container, "Reshape", [logits, shape], [z])
    minus_z, p, q = new_name(scope, "neg"), new_name(scope, "p"), new_name(scope, "q")
    add_node(scope, container, "Neg", [z], [minus_z])
    add_node(scope, container, "Sigmoid", [z], [p])
    add_node(scope, container, "Sigmoid", [minus_z], [q])
    proba = new_name(scope, "proba")
    add_node(scope, container, "Concat", [q, p], [proba], axis=1)
    _probability_output(scope, operator, container, proba)
    p64 = new_name(scope, "p64")
    add_node(
        scope,
        container,
        "Sigmoid",
        [add_cast(scope, container, z, TensorProto.DOUBLE)],
        [p64],
    )
    t = add_constant(
        scope, container, "threshold", TensorProto.DOUBLE, [float(threshold)], []
    )
    positive = new_name(scope, "positive")
    add_node(scope, container, "GreaterOrEqual", [p64, t], [positive])
    index = add_cast(scope, container, positive, TensorProto.INT64)
    flat = add_constant(scope, container, "shape", TensorProto.INT64, [-1], [1])
    index_1d = new_name(scope, "index")
    add_node(scope, container, "Reshape", [index, flat], [index_1d])
    _label_output(scope, operator, container, model, index_1d)


def multiclass_head(scope, operator, container, model, logits: str) -> None:
    """Probabilities ``softmax(z)``; label ``classes_[argmax(z)]``."""
    proba = new_name(scope, "proba")
    add_node(scope, container, "Softmax", [logits], [proba], axis=1)
    _probability_output(scope, operator, container, proba)
    index = new_name(scope, "index")
    add_node(scope, container, "ArgMax", [logits], [index], axis=1, keepdims=0)
    _label_output(scope, operator, container, model, index)


def _probability_output(scope, operator, container, proba: str) -> None:
    if len(operator.outputs) > 1:
        add_node(scope, container, "Identity", [proba], [operator.outputs[1].onnx_name])


def _label_values(classes: np.ndarray, onnx_type) -> tuple[int, list]:
    if onnx_type is StringTensorType:
        return TensorProto.STRING, [str(c).encode("utf-8") for c in classes]
    return TensorProto.INT64, [int(c) for c in classes]


def _label_output(scope, operator, container, model, index: str) -> None:
    output = operator.outputs[0]
    if (
        isinstance(output.type, Int64TensorType)
        and scope.get_options(model, {"nocl": False})["nocl"]
    ):
        add_node(scope, container, "Identity", [index], [output.onnx_name])
        return
    onnx_type, values = _label_values(model.classes_, type(output.type))
    classes = add_constant(
        scope, container, "classes", onnx_type, values, [len(values)]
    )
    add_node(scope, container, "Gather", [classes, index], [output.onnx_name], axis=0)
