"""Checks and conversions of what the caller passes to fit / partial_fit."""

from __future__ import annotations

from numbers import Real

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pandas.api.types import (
    is_bool_dtype,
    is_datetime64_any_dtype,
    is_numeric_dtype,
    is_timedelta64_dtype,
)
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.validation import check_array, check_X_y, validate_data

from ._features import (
    categorical_mask,
    encode,
    holds_only_numbers,
    is_frame,
    learn_categories,
)
from ._sklearn_private import _check_sample_weight


def validate_X(est, X, y=None, *, reset: bool):
    """scikit-learn's ``validate_data`` to float32 (CSR kept sparse), with a
    clear error for non-numeric input; categorical columns become codes
    (``_features``), their categories learned when ``reset``."""
    if reset:
        est.is_categorical_ = est.categories_ = None
        if est.categorical_features is not None:
            _learn_categorical(est, X)
    if est.is_categorical_ is not None:
        return _validate_mixed(est, X, y, reset=reset)
    check_numeric_columns(X)
    kwargs = dict(accept_sparse="csr", dtype=np.float32, reset=reset)
    try:
        if y is None and not reset:
            # float64 kept, then cast: scikit-learn's own conversion to
            # float32 costs about 20 us a call, a tenth of a one-row predict
            kwargs["dtype"] = (np.float64, np.float32)
            return _as_float32(validate_data(est, X, **kwargs))
        return validate_data(est, X, y, **kwargs)
    except ValueError as exc:
        if "could not convert" not in str(exc):
            raise
        raise ValueError(
            f"X must be numeric, but {exc}. Encode string or categorical "
            "columns first, e.g. with OneHotEncoder or OrdinalEncoder in a "
            "ColumnTransformer, or name them in categorical_features."
        ) from exc


def _as_float32(X):
    """Validated float64 (or float32) ``X`` as float32, refusing values
    beyond float32's range as ``check_array(dtype=np.float32)`` does."""
    if X.dtype == np.float32:
        return X
    X = X.astype(np.float32)
    values = X.data if sp.issparse(X) else X
    # sklearn.utils.assert_all_finite says the same, but costs 15 us more a
    # call than this sum (its array-namespace dispatch): the cast is here
    # to save time
    if not np.isfinite(values.sum()) and not np.isfinite(values).all():
        raise ValueError(
            "Input X contains infinity or a value too large for dtype('float32')."
        )
    return X


def _as_2d(X):
    """A DataFrame stays one (its dtypes and names matter); other input
    becomes an object or numeric ndarray."""
    if sp.issparse(X):
        raise ValueError(
            "categorical_features needs dense X (a DataFrame or an array), "
            "got a sparse matrix"
        )
    X = X if is_frame(X) else np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"Expected a 2D array, got {X.ndim}D input of shape {X.shape}")
    return X


def _learn_categorical(est, X) -> None:
    """Set ``is_categorical_`` and ``categories_`` from ``X`` (None when
    ``categorical_features`` finds no column)."""
    if isinstance(est.categorical_features, str) and not is_frame(X):
        return  # "from_dtype" finds categories in a DataFrame's dtypes only
    X = _as_2d(X)
    mask = categorical_mask(est.categorical_features, X, X.shape[1])
    if mask.any():
        est.is_categorical_ = mask
        est.categories_ = learn_categories(X, mask)


def _validate_mixed(est, X, y, reset: bool):
    """Codes for the categorical columns, float32 for the others, in the
    columns' order; numeric columns checked as scikit-learn checks X."""
    X = _as_2d(X)
    validate_data(est, X, skip_check_array=True, reset=reset)
    mask = est.is_categorical_
    codes = encode(X, mask, est.categories_)
    numeric = X.iloc[:, ~mask] if is_frame(X) else X[:, ~mask]
    check_numeric_columns(numeric)
    numeric = check_array(numeric, dtype=np.float32, ensure_min_features=0)
    out = np.empty((len(codes), len(mask)), dtype=np.float32)
    out[:, ~mask] = numeric
    out[:, mask] = codes
    if y is None:
        return out
    return check_X_y(out, y, dtype=None)


def check_numeric_columns(X) -> None:
    """Name the non-numeric columns of a DataFrame in a clear error, and
    refuse dates and durations (numpy would turn them into nanoseconds)."""
    if getattr(getattr(X, "dtype", None), "kind", None) in ("m", "M"):
        raise ValueError(
            f"X must be numeric, but it holds {X.dtype} values (dates or "
            "durations); convert them to numbers first, e.g. days since a "
            "reference date"
        )
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):
        return
    dates = [col for col, dt in dtypes.items() if _is_date(dt)]
    if dates:
        raise ValueError(
            f"X must be numeric, but columns {dates} hold dates or durations "
            f"(dtypes {[str(dtypes[c]) for c in dates]}); convert them to "
            "numbers first, e.g. days since a reference date or the year"
        )
    bad = [
        col
        for col, dt in dtypes.items()
        if not (is_numeric_dtype(dt) or is_bool_dtype(dt))
        and not holds_only_numbers(X[col])
    ]
    if bad:
        raise ValueError(
            f"X must be numeric, but columns {bad} are not (dtypes "
            f"{[str(dtypes[c]) for c in bad]}). Pass categorical_features="
            "'from_dtype' (or their names) to embed them, or encode them "
            "first, e.g. with OneHotEncoder in a ColumnTransformer."
        )


def _is_date(dtype) -> bool:
    return is_datetime64_any_dtype(dtype) or is_timedelta64_dtype(dtype)


def check_no_missing_labels(y) -> None:
    """A clear error for None / NaN / pd.NA among object or string labels
    (scikit-learn reports NaN in numeric y itself)."""
    labels = np.asarray(y)
    if labels.dtype == object and pd.isna(labels).any():
        raise ValueError("Input y contains missing values (None, NaN or pd.NA)")


def sorted_classes(y: np.ndarray) -> np.ndarray:
    """Sorted unique labels of ``y``, keeping its dtype (object stays object)."""
    try:
        return np.unique(y)
    except TypeError as exc:
        types = sorted({type(label).__name__ for label in y})
        raise TypeError(
            f"y mixes labels of types {types} that cannot be sorted; "
            "use labels of one type (e.g. all strings)"
        ) from exc


def encode_labels(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Positions of ``y``'s labels in ``classes``; unknown labels raise."""
    unseen = np.setdiff1d(sorted_classes(y), classes)
    if unseen.size:
        raise ValueError(
            f"y contains labels {unseen.tolist()} that are not in classes "
            f"{classes.tolist()}; pass every label with classes= on the first "
            "call to partial_fit"
        )
    return np.searchsorted(classes, y)


def training_weights(
    sample_weight, class_weight, X, y: np.ndarray, classes: np.ndarray, partial: bool
) -> np.ndarray | None:
    """``sample_weight`` times the ``class_weight`` of each label; None when
    neither is given.

    ``fit`` scales them to mean 1 (so the loss keeps its scale whatever the
    weights' unit). ``partial_fit`` uses them as given, as
    ``SGDClassifier.partial_fit`` does, so that weights keep their relative
    scale from one call (one chunk) to the next.
    """
    if partial and class_weight == "balanced":
        raise ValueError(
            "class_weight='balanced' is not supported by partial_fit, whose "
            "chunks need not show the class balance; pass a dict instead"
        )
    if sample_weight is not None:
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
    by_class = _class_sample_weight(class_weight, y, classes)
    if sample_weight is None and by_class is None:
        return None
    if by_class is not None:
        sample_weight = by_class if sample_weight is None else sample_weight * by_class
    if not sample_weight.sum() > 0:
        raise ValueError(
            "The combined sample_weight and class_weight are all zero: "
            "no sample would be trained on"
        )
    return sample_weight if partial else sample_weight / sample_weight.mean()


def _class_sample_weight(class_weight, y: np.ndarray, classes: np.ndarray):
    """Per-sample weights from ``class_weight`` (None, 'balanced' or a dict)."""
    if class_weight is None:
        return None
    if not isinstance(class_weight, dict):
        return compute_sample_weight(class_weight, y)
    unknown = [label for label in class_weight if label not in set(classes)]
    if unknown:
        raise ValueError(
            f"class_weight has labels {unknown} that are not in classes_ "
            f"{classes.tolist()}"
        )
    for label, value in class_weight.items():
        ok = isinstance(value, Real) and not isinstance(value, bool)
        if not (ok and np.isfinite(value) and value >= 0):
            raise ValueError(
                "class_weight values must be finite non-negative numbers, got "
                f"{value!r} for label {label!r}"
            )
    return np.array([class_weight.get(label, 1.0) for label in y], dtype=float)
