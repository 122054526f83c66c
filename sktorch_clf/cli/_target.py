"""The target column: its labels, its classes and the model they call for.

Labels are one of three kinds, decided at training and kept in the model
directory: ``"int"`` (integral numbers, also when read as floats), ``"bool"``
and ``"str"`` (anything else, as text). A labelled file for ``evaluate`` is
read with the training kind, so that ``1`` and ``1.0`` are the same class.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_complex_dtype, is_numeric_dtype

from . import _schema
from ._errors import InputError
from ._prep import Note, text_label

KINDS = ("str", "int", "bool")
# An integer target with more distinct values than this looks like a
# quantity to regress, unless the user says --model multiclass.
LOOKS_CONTINUOUS = 30
REGRESSION_HINT = (
    "sktorch-clf trains classifiers; use a regression tool "
    "(e.g. scikit-learn's HistGradientBoostingRegressor)"
)


@dataclass
class Target:
    """The target's column name, label kind and sorted classes."""

    name: str
    kind: str
    classes: list

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "classes": self.classes}

    @classmethod
    def from_dict(cls, value: object) -> Target:
        """Rebuild from JSON, checking the kind and the classes (of that
        kind, sorted, distinct, at least two)."""
        _schema.record(value, {"name", "kind", "classes"}, "target")
        kind = _schema.string(value["kind"], "target.kind", KINDS)
        classes = _schema.items(value["classes"], "target.classes")
        wanted = {"str": str, "int": int, "bool": bool}[kind]
        if not all(type(c) is wanted for c in classes):
            raise ValueError(f"target.classes must all be of kind {kind!r}")
        if len(classes) < 2 or any(a >= b for a, b in pairwise(classes)):
            raise ValueError("target.classes must be two or more, sorted, distinct")
        return cls(_schema.string(value["name"], "target.name"), kind, classes)


def training_labels(
    frame: pd.DataFrame, name: str, note: Note
) -> tuple[np.ndarray, np.ndarray, str]:
    """The target's labels for training, the rows that have one, and the
    labels' kind.

    Raises
    ------
    InputError
        No values, or non-integer numbers (a continuous target).
    """
    values, keep = _labelled_rows(frame, name, note)
    present = values[keep]
    if isinstance(present.dtype, pd.CategoricalDtype):
        present = present.astype(object)
    if is_bool_dtype(present.dtype) or _all(present, bool | np.bool_):
        return present.to_numpy(dtype=bool), keep, "bool"
    numeric = is_numeric_dtype(present.dtype) and not is_complex_dtype(present.dtype)
    if numeric or _all(present, int | float | np.number):
        return _integer_labels(present, name), keep, "int"
    return np.array([text_label(v) for v in present], dtype=object), keep, "str"


def _all(values: pd.Series, types) -> bool:
    return values.dtype == object and all(isinstance(v, types) for v in values)


def _integer_labels(values: pd.Series, name: str) -> np.ndarray:
    numbers = values.to_numpy(dtype=np.float64)
    fractional = ~np.isfinite(numbers) | (numbers != np.round(numbers))
    if fractional.any():
        example = numbers[np.argmax(fractional)]
        raise InputError(
            f"target {name!r} looks continuous (it holds numbers such as "
            f"{example:g}): {REGRESSION_HINT}"
        )
    return numbers.astype(np.int64)


def choose_task(labels: np.ndarray, kind: str, model: str, name: str) -> str:
    """``"binary"`` or ``"multiclass"``, from ``--model`` and the classes.

    Raises
    ------
    InputError
        One class; many integer classes under ``--model auto`` (continuous);
        ``--model binary`` for other than two classes.
    """
    classes = np.unique(labels)
    if len(classes) < 2:
        raise InputError(
            f"target {name!r} has one class ({classes[0]!r}): a classifier needs "
            "at least two"
        )
    if model == "auto" and kind == "int" and len(classes) > LOOKS_CONTINUOUS:
        raise InputError(
            f"target {name!r} looks continuous ({len(classes)} distinct numbers): "
            f"{REGRESSION_HINT}, or pass --model multiclass if they are classes"
        )
    if model == "binary" and len(classes) != 2:
        raise InputError(
            f"--model binary needs a target with two classes; {name!r} has "
            f"{len(classes)}"
        )
    if model == "auto":
        return "binary" if len(classes) == 2 else "multiclass"
    return model


def labelled_rows(
    frame: pd.DataFrame, target: Target, name: str, note: Note
) -> tuple[np.ndarray, np.ndarray]:
    """The labels of a file to evaluate on (of the training kind), and the
    rows that have one.

    Raises
    ------
    InputError
        No labelled rows, or a label that is not one of the model's classes.
    """
    values, keep = _labelled_rows(frame, name, note)
    present = values[keep].to_numpy(dtype=object)
    labels = [_as_class(v, target.kind) for v in present]
    unknown = sorted(
        {
            str(v)
            for v, c in zip(present, labels, strict=True)
            if c not in target.classes
        }
    )
    if unknown:
        raise InputError(
            f"target {name!r} holds labels the model was not trained on: "
            f"{', '.join(unknown[:5])}{' ...' if len(unknown) > 5 else ''} "
            f"(its classes: {', '.join(map(str, target.classes))})"
        )
    dtype = {"str": object, "int": np.int64, "bool": bool}[target.kind]
    return np.array(labels, dtype=dtype), keep


def _as_class(value: object, kind: str) -> object:
    """``value`` as a label of ``kind``, or None if it cannot be one."""
    if kind == "str":
        return text_label(value)
    if kind == "bool":
        if isinstance(value, bool | np.bool_):
            return bool(value)
        return {"true": True, "false": False}.get(str(value).strip().lower())
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def _labelled_rows(
    frame: pd.DataFrame, name: str, note: Note
) -> tuple[pd.Series, np.ndarray]:
    """The target column and the mask of rows that have a value (noted when
    some do not; an error when none does)."""
    values = frame[name]
    keep = values.notna().to_numpy()
    if not keep.any():
        raise InputError(f"target column {name!r} has no values")
    if not keep.all():
        note(f"{int((~keep).sum())} rows without a {name!r} value are left out")
    return values, keep
