"""The one module that imports scikit-learn's private helpers.

They are what scikit-learn-contrib projects use for parameter validation and
sample weights; importing them here only means a change in scikit-learn
touches one file.
"""

from sklearn.base import _fit_context
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight

__all__ = [
    "Interval",
    "StrOptions",
    "_check_sample_weight",
    "_fit_context",
    "_safe_indexing",
]
