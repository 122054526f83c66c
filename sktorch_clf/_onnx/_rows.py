"""The estimator's input rows in the graph: numeric columns as float32,
categorical columns as the codes of ``_features`` (``LabelEncoder``)."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto
from skl2onnx.common.data_types import FloatTensorType, StringTensorType

from .._features import FIRST, MISSING, UNSEEN
from ._graph import add_cast, add_constant, add_node, new_name


# -- the input rows -------------------------------------------------------------
def input_rows(scope, operator, container, model) -> str:
    """float32 rows ``(n, n_features_in_)`` from the operator's inputs,
    side by side; categorical columns become their codes."""
    n_features = model.n_features_in_
    mask = model.is_categorical_
    if mask is None:
        mask = np.zeros(n_features, dtype=bool)
    categories = iter(model.categories_ or [])
    pieces, start = [], 0
    for var in operator.inputs:
        width = _width(var, n_features, len(operator.inputs))
        columns = mask[start : start + width]
        if isinstance(var.type, StringTensorType):
            if width != 1 or not columns.all():
                raise ValueError(
                    f"Input {var.onnx_name!r} holds strings, but the columns "
                    f"{start}..{start + width - 1} it feeds are not categorical "
                    "columns of the estimator: encode strings in the pipeline "
                    "(e.g. OneHotEncoder or OrdinalEncoder) or fit the "
                    "estimator on them (categorical_features)"
                )
            cats = next(categories)
            pieces.append(_string_codes(scope, container, var, cats, start))
        else:
            rows = var.onnx_name
            if not isinstance(var.type, FloatTensorType):
                rows = add_cast(scope, container, rows, TensorProto.FLOAT)
            if not columns.any():
                pieces.append(rows)
            else:
                for k in range(width):
                    column = _column(scope, container, rows, k)
                    if columns[k]:
                        column = _number_codes(
                            scope, container, column, next(categories), start + k
                        )
                    pieces.append(column)
        start += width
    if start != n_features:
        raise ValueError(
            f"The model's inputs have {start} columns in all, but the "
            f"estimator was fitted on {n_features} features"
        )
    if len(pieces) == 1:
        return pieces[0]
    rows = new_name(scope, "rows")
    add_node(scope, container, "Concat", pieces, [rows], axis=1)
    return rows


def _width(var, n_features: int, n_inputs: int) -> int:
    shape = getattr(var.type, "shape", None) or []
    width = shape[1] if len(shape) == 2 else None
    if isinstance(width, int | np.integer):
        return int(width)
    if n_inputs == 1:
        return n_features
    raise ValueError(
        f"Input {var.onnx_name!r} has no known number of columns; give every "
        "input a shape (n, n_columns)"
    )


def _column(scope, container, rows: str, k: int) -> str:
    index = add_constant(scope, container, "column", TensorProto.INT64, [k], [1])
    out = new_name(scope, "column")
    add_node(scope, container, "Gather", [rows, index], [out], axis=1)
    return out


def _string_codes(scope, container, var, categories, j: int) -> str:
    """The codes of a string column: ``2 + i`` for the ``i``-th category,
    the missing slot for ``""`` (unless it is a category), the unseen slot
    for any other string."""
    if not all(isinstance(c, str) for c in categories):
        raise ValueError(
            f"Input {var.onnx_name!r} holds strings, but categorical column {j} "
            f"was fitted on numbers ({categories.tolist()[:5]}); give it a "
            "numeric input"
        )
    keys = [str(c) for c in categories]
    values = [float(FIRST + i) for i in range(len(keys))]
    if "" not in keys:
        keys, values = [*keys, ""], [*values, float(MISSING)]
    out = new_name(scope, "codes")
    add_node(
        scope,
        container,
        "LabelEncoder",
        [var.onnx_name],
        [out],
        domain="ai.onnx.ml",
        version=2,  # string / float keys to float values, all runtimes
        keys_strings=keys,
        values_floats=values,
        default_float=float(UNSEEN),
    )
    return out


def _number_codes(scope, container, column: str, categories, j: int) -> str:
    """The codes of a float32 column of category numbers; NaN is missing."""
    if not np.issubdtype(np.asarray(categories).dtype, np.number):
        raise ValueError(
            f"Categorical column {j} was fitted on strings "
            f"({categories.tolist()[:5]}), but its ONNX input is numeric; "
            "give it a string input"
        )
    mapped = new_name(scope, "codes")
    add_node(
        scope,
        container,
        "LabelEncoder",
        [column],
        [mapped],
        domain="ai.onnx.ml",
        version=2,  # string / float keys to float values, all runtimes
        keys_floats=[float(c) for c in categories],
        values_floats=[float(FIRST + i) for i in range(len(categories))],
        default_float=float(UNSEEN),
    )
    missing = new_name(scope, "missing")
    add_node(scope, container, "IsNaN", [column], [missing])
    slot = add_constant(
        scope, container, "slot", TensorProto.FLOAT, [float(MISSING)], []
    )
    out = new_name(scope, "codes")
    add_node(scope, container, "Where", [missing, slot, mapped], [out])
    return out
