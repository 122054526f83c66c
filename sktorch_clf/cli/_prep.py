"""The preprocessing around the estimator: column roles, numeric imputation
and scaling, categorical labels, and their plain-JSON form.

Numeric columns are imputed with their training median and standardised
(scikit-learn's ``SimpleImputer(strategy="median")`` and ``StandardScaler``
fit them, and the same arithmetic applies their statistics). Categorical
columns pass to the estimator as text labels, which it embeds itself:
integral numbers become ``"3"``, bools ``"True"`` / ``"False"``, anything
else ``str(value)``, and missing values stay missing, so that a column read
as ``int64`` in one file and as ``float64`` or text in another gives the same
labels. The estimator sees the numeric columns first, then the categorical
ones, each in the order of the training file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.types import (
    is_bool_dtype,
    is_complex_dtype,
    is_datetime64_any_dtype,
    is_numeric_dtype,
    is_timedelta64_dtype,
)
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler

from . import _schema
from ._errors import InputError

Note = Callable[[str], None]
# A text column with more distinct values than this (and than half its rows)
# is probably an identifier or free text: the user is told.
MANY_CATEGORIES = 50


def _ignore(message: str) -> None:
    """The default ``note``: say nothing."""


def infer_columns(
    frame: pd.DataFrame, categorical=(), note: Note = _ignore
) -> tuple[list[str], list[str], list[str]]:
    """Split the feature columns into numeric, categorical and empty ones.

    Categorical: category, text, object and bool columns, and those named in
    ``categorical``. Numeric: int and float columns. Empty (only missing
    values): left out, with a note.

    Raises
    ------
    InputError
        A date, duration or complex column, or a ``categorical`` name that
        is not a column.
    """
    absent = [name for name in categorical if name not in frame.columns]
    if absent:
        raise InputError(f"--categorical names columns not in the data: {absent}")
    numeric, categories, empty = [], [], []
    for name in frame.columns:
        values = frame[name]
        if values.isna().all():
            note(f"column {name!r} has no values; it is left out")
            empty.append(name)
        elif name in categorical or is_categorical(values):
            categories.append(name)
            _note_suspicious_text(values, name, note)
        else:
            _check_numeric_dtype(values, name)
            numeric.append(name)
            _note_identifier(values, name, note)
    return numeric, categories, empty


def is_categorical(values: pd.Series) -> bool:
    """Category, text, object and bool columns (not dates or numbers)."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype) or is_bool_dtype(dtype):
        return True
    return not (
        is_numeric_dtype(dtype)
        or is_datetime64_any_dtype(dtype)
        or is_timedelta64_dtype(dtype)
    )


def _check_numeric_dtype(values: pd.Series, name: str) -> None:
    if is_complex_dtype(values.dtype) or not is_numeric_dtype(values.dtype):
        raise InputError(
            f"column {name!r} holds {values.dtype} values, which the model cannot "
            f"use: convert it to numbers or pass --drop {name}"
        )


def _note_suspicious_text(values: pd.Series, name: str, note: Note) -> None:
    present = values.dropna()
    n_distinct = present.nunique()
    if n_distinct > MANY_CATEGORIES and n_distinct > len(present) / 2:
        note(
            f"column {name!r} has {n_distinct} distinct values in {len(present)} "
            f"rows: if it is an identifier or free text, pass --drop {name}"
        )
    numbers = pd.to_numeric(present.astype(str), errors="coerce")
    if not is_bool_dtype(values.dtype) and 0.9 <= numbers.notna().mean() < 1:
        example = present[numbers.isna().to_numpy()].iloc[0]
        note(
            f"column {name!r} holds mostly numbers but also text such as "
            f"{example!r}; it is treated as categorical (leave missing values "
            "empty, or pass --categorical / --drop)"
        )


def _note_identifier(values: pd.Series, name: str, note: Note) -> None:
    present = values.dropna()
    integral = present.dtype.kind in "iu"
    if integral and len(present) > 20 and present.is_unique:
        note(
            f"column {name!r} has a different value in every row: if it is an "
            f"identifier, pass --drop {name}"
        )


def category_labels(values: pd.Series) -> pd.Series:
    """A categorical column as text labels, missing values kept (NaN)."""
    missing = values.isna().to_numpy()
    labels = [
        np.nan if gone else text_label(v)
        for v, gone in zip(values.to_numpy(dtype=object), missing, strict=True)
    ]
    return pd.Series(labels, index=values.index, dtype=object, name=values.name)


def text_label(value: object) -> str:
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def numeric_values(values: pd.Series, name: str) -> np.ndarray:
    """A numeric column as float64, missing and infinite values as NaN.

    Raises
    ------
    InputError
        A value that is not a number.
    """
    numbers = _numbers(values, name)
    return np.where(np.isfinite(numbers), numbers, np.nan)


def _numbers(values: pd.Series, name: str) -> np.ndarray:
    """float64, missing values as NaN, infinities kept."""
    if is_numeric_dtype(values.dtype) and not is_complex_dtype(values.dtype):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    coerced = pd.to_numeric(values, errors="coerce")
    bad = (coerced.isna() & values.notna()).to_numpy()
    if bad.any() or is_complex_dtype(coerced.dtype):
        example = values[bad].iloc[0] if bad.any() else values.iloc[0]
        raise InputError(f"column {name!r} should hold numbers, not {example!r}")
    return coerced.to_numpy(dtype=np.float64, na_value=np.nan)


@dataclass
class Prep:
    """Fitted preprocessing: per numeric column its training median, mean
    and scale; per categorical column its training dtype (for information)."""

    numeric: list[dict]
    categorical: list[dict]

    @property
    def columns(self) -> list[str]:
        """The columns the estimator receives, in its order."""
        return [c["name"] for c in self.numeric + self.categorical]

    @property
    def categorical_names(self) -> list[str]:
        return [c["name"] for c in self.categorical]

    @classmethod
    def fit(
        cls, frame: pd.DataFrame, numeric: list[str], categorical: list[str]
    ) -> Prep:
        """Learn the numeric statistics of ``frame`` (training rows only)."""
        stats = []
        if numeric:
            block = np.column_stack([numeric_values(frame[c], c) for c in numeric])
            imputer = SimpleImputer(strategy="median", keep_empty_features=True)
            scaler = StandardScaler().fit(imputer.fit_transform(block))
            stats = [
                {"name": c, "median": float(m), "mean": float(mu), "scale": float(s)}
                for c, m, mu, s in zip(
                    numeric,
                    imputer.statistics_,
                    scaler.mean_,
                    scaler.scale_,
                    strict=True,
                )
            ]
        kinds = [{"name": c, "dtype": str(frame[c].dtype)} for c in categorical]
        return cls(stats, kinds)

    def transform(self, frame: pd.DataFrame, note: Note = _ignore) -> pd.DataFrame:
        """The estimator's input: imputed, scaled numbers, then text labels."""
        out = {}
        for col in self.numeric:
            name = col["name"]
            x = _numbers(frame[name], name)
            if np.isinf(x).any():
                note(f"column {name!r}: infinite values are treated as missing")
            x = np.where(np.isfinite(x), x, col["median"])
            out[name] = (x - col["mean"]) / col["scale"]
        for name in self.categorical_names:
            out[name] = category_labels(frame[name]).to_numpy()
        return pd.DataFrame(out, index=frame.index, columns=self.columns)

    def to_dict(self) -> dict:
        return {"numeric": self.numeric, "categorical": self.categorical}

    @classmethod
    def from_dict(cls, numeric: object, categorical: object) -> Prep:
        """Rebuild from JSON values, checking every field.

        Raises
        ------
        ValueError
            A missing or unknown key, a wrong type, a non-finite number, a
            scale that is not positive, or a repeated column.
        """
        nums = [
            _numeric_entry(entry, f"numeric[{i}]")
            for i, entry in enumerate(_schema.items(numeric, "numeric"))
        ]
        cats = [
            _categorical_entry(entry, f"categorical[{i}]")
            for i, entry in enumerate(_schema.items(categorical, "categorical"))
        ]
        prep = cls(nums, cats)
        _schema.strings(prep.columns, "the columns")  # none repeated
        return prep


def _numeric_entry(entry: object, what: str) -> dict:
    _schema.record(entry, {"name", "median", "mean", "scale"}, what)
    return {
        "name": _schema.string(entry["name"], f"{what}.name"),
        "median": _schema.number(entry["median"], f"{what}.median"),
        "mean": _schema.number(entry["mean"], f"{what}.mean"),
        "scale": _schema.number(entry["scale"], f"{what}.scale", positive=True),
    }


def _categorical_entry(entry: object, what: str) -> dict:
    _schema.record(entry, {"name", "dtype"}, what)
    return {
        "name": _schema.string(entry["name"], f"{what}.name"),
        "dtype": _schema.string(entry["dtype"], f"{what}.dtype"),
    }
