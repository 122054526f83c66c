"""Categorical columns: which they are, the categories learned in fit, and
their integer codes, with reserved slots for missing and unseen values.

A categorical column's codes replace its values in the float32 array the
network receives (exact below 2**24), so that batching, devices and
prediction chunking stay those of numeric data; the network embeds those
columns (``_tabular``). Code 0 is a missing value, 1 a value not seen in
fit, and ``2 + i`` the ``i``-th category of ``categories_`` (sorted).
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

MISSING, UNSEEN, FIRST = 0, 1, 2


def n_slots(categories: np.ndarray) -> int:
    """The embedding rows a column needs: its categories and the two
    reserved slots."""
    return len(categories) + FIRST


def is_frame(X) -> bool:
    return isinstance(X, pd.DataFrame)


def column(X, j: int) -> np.ndarray:
    """Column ``j`` of a DataFrame or 2-d array, as a 1-d array."""
    return X.iloc[:, j].to_numpy() if is_frame(X) else np.asarray(X)[:, j]


def _name(X, j: int) -> str:
    return f"column {X.columns[j]!r}" if is_frame(X) else f"column {j}"


def categorical_mask(categorical_features, X, n_features: int) -> np.ndarray:
    """Which columns of ``X`` the ``categorical_features`` parameter names.

    ``"from_dtype"``: the DataFrame columns of category, string or object
    dtype (none for an array). Otherwise indices, column names or a boolean
    mask, each checked against ``X``.
    """
    if isinstance(categorical_features, str):  # "from_dtype", as validated
        if not is_frame(X):
            return np.zeros(n_features, dtype=bool)
        return np.array(
            [_categorical_dtype(X.iloc[:, j]) for j in range(n_features)], dtype=bool
        )
    given = np.asarray(categorical_features)
    if given.dtype == bool:
        if given.shape != (n_features,):
            raise ValueError(
                f"categorical_features as a boolean mask needs {n_features} "
                f"entries (one per column of X), got {given.shape[0]}"
            )
        return given.copy()
    mask = np.zeros(n_features, dtype=bool)
    for entry in given.reshape(-1).tolist():
        mask[_column_index(entry, X, n_features)] = True
    return mask


def _categorical_dtype(values: pd.Series) -> bool:
    """A category column, or a string / object one that holds more than
    numbers (an object column of numbers stays numeric)."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return True
    if is_numeric_dtype(dtype) or is_bool_dtype(dtype) or dtype.kind in "mM":
        return False
    return not holds_only_numbers(values)


def holds_only_numbers(values: pd.Series) -> bool:
    """Whether every value of a column converts to a float (NaN included)."""
    try:
        values.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return True


def _column_index(entry, X, n_features: int) -> int:
    if isinstance(entry, str):
        if not is_frame(X):
            raise ValueError(
                f"categorical_features names column {entry!r}, but X has no "
                "column names (pass a DataFrame, or column indices)"
            )
        names = [str(c) for c in X.columns]
        if entry not in names:
            raise ValueError(
                f"categorical_features names column {entry!r}, which is not "
                f"in X; its columns are {names}"
            )
        return names.index(entry)
    if isinstance(entry, Integral) and not isinstance(entry, bool):
        if not 0 <= entry < n_features:
            raise ValueError(
                f"categorical_features has index {entry}, out of range for X "
                f"with {n_features} columns"
            )
        return int(entry)
    raise ValueError(
        "categorical_features must hold column names, indices or one boolean "
        f"per column, got {entry!r}"
    )


def learn_categories(X, mask: np.ndarray) -> list[np.ndarray]:
    """The sorted categories each categorical column shows in fit."""
    return [_categories(column(X, j), _name(X, j)) for j in np.flatnonzero(mask)]


def _categories(values: np.ndarray, name: str) -> np.ndarray:
    present = values[~pd.isna(values)]
    numeric = present.dtype == object and _all_numbers(present)
    if present.dtype.kind in "fc" or numeric:
        numbers = present.astype(np.float64)
        if not np.all(np.isfinite(numbers)) or np.any(numbers != np.round(numbers)):
            raise ValueError(
                f"categorical {name} holds non-integer numbers (e.g. "
                f"{_first_bad(numbers)!r}); categorical numbers must be integer "
                "codes"
            )
        present = numbers.astype(np.int64)
    if present.dtype.kind in "iu" and present.size and present.min() < 0:
        raise ValueError(
            f"categorical {name} holds negative codes (e.g. {int(present.min())}); "
            "integer category codes must be >= 0 (missing values are NaN)"
        )
    try:
        return np.unique(present)
    except TypeError as exc:
        kinds = sorted({type(v).__name__ for v in present})
        raise ValueError(
            f"categorical {name} mixes values of types {kinds} that cannot be "
            "sorted; use one type per column (e.g. all strings)"
        ) from exc


def _all_numbers(values: np.ndarray) -> bool:
    return all(
        isinstance(v, int | float | np.number) and not isinstance(v, bool)
        for v in values
    )


def _first_bad(numbers: np.ndarray) -> float:
    bad = ~np.isfinite(numbers) | (numbers != np.round(numbers))
    return float(numbers[np.argmax(bad)])


def encode(X, mask: np.ndarray, categories: list[np.ndarray]) -> np.ndarray:
    """Codes of the categorical columns of ``X``, ``(n_samples, n_categorical)``
    float32: never an error for new or missing values."""
    out = np.empty((len(X), len(categories)), dtype=np.float32)
    for k, (j, cats) in enumerate(zip(np.flatnonzero(mask), categories, strict=True)):
        out[:, k] = _codes(column(X, j), cats)
    return out


def _codes(values: np.ndarray, categories: np.ndarray) -> np.ndarray:
    found = pd.Index(categories).get_indexer(np.asarray(values, dtype=object))
    codes = np.where(found < 0, UNSEEN, found + FIRST)
    codes[pd.isna(values)] = MISSING
    return codes
