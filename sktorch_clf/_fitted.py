"""The fitted attributes besides the network, in one place: what training
sets (:func:`record_fit`), what a model file stores (:func:`fitted_state`)
and what loading checks and sets back (:func:`restore_fitted_state`)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from ._inputs import sorted_classes
from ._stopping import StopRule, warn_about_training


def record_fit(
    est, stop_rule: StopRule | None, interrupted: bool, stacklevel: int
) -> None:
    """Set the fitted attributes that the last training call determines,
    and warn about how it ended."""
    history = est.net_.history
    est.loss_curve_ = [row["train_loss"] for row in history]
    est.n_iter_ = len(history)
    # higher is better: accuracy, or the log loss negated (as scikit-learn's
    # HistGradientBoosting records it)
    key, sign = ("valid_loss", -1.0) if est.scoring == "loss" else ("valid_acc", 1.0)
    scores = [sign * row[key] for row in history if key in row]
    est.validation_scores_ = scores if est.early_stopping else None
    est.best_validation_score_ = None
    est.best_epoch_ = None
    est.best_loss_ = min(est.loss_curve_, default=None)
    if stop_rule is not None and est.early_stopping:
        best = stop_rule.best_value
        est.best_validation_score_ = None if best is None else sign * best
        est.best_epoch_ = stop_rule.best_epoch
    warn_about_training(est, stop_rule, interrupted, stacklevel=stacklevel)


def fitted_state(est) -> dict:
    """The fitted attributes besides the network, as model files store
    them; :func:`restore_fitted_state` sets them back."""
    return {
        "classes": est.classes_,
        "n_features_in": est.n_features_in_,
        "feature_names_in": getattr(est, "feature_names_in_", None),
        "loss_curve": est.loss_curve_,
        "n_iter": est.n_iter_,
        "validation_scores": est.validation_scores_,
        "best_validation_score": est.best_validation_score_,
        "best_epoch": est.best_epoch_,
        "best_loss": est.best_loss_,
        "seed": est._seed,
        "is_categorical": est.is_categorical_,
        "categories": est.categories_,
    }


def restore_fitted_state(est, state: dict) -> None:
    """Set the attributes of :func:`fitted_state` from ``state``, after
    checking it (it may come from an edited file)."""
    classes = state["classes"]
    if not isinstance(classes, np.ndarray) or classes.ndim != 1:
        raise TypeError(f"classes_ must be a 1-d array, got {classes!r}")
    if len(classes) < 2:
        raise ValueError(f"classes_ needs at least 2 labels, got {classes.tolist()}")
    if not np.array_equal(sorted_classes(classes), classes):
        raise ValueError(f"classes_ must be sorted and unique, got {classes.tolist()}")
    est._check_classes(classes)

    def number(value, kind=Real) -> bool:
        return isinstance(value, kind) and not isinstance(value, bool)

    def numbers(values) -> bool:
        return isinstance(values, list) and all(map(number, values))

    n_features, names, seed = (
        state["n_features_in"],
        state["feature_names_in"],
        state["seed"],
    )
    valid = {
        "n_features_in_": number(n_features, Integral) and n_features > 0,
        "feature_names_in_": names is None
        or (
            isinstance(names, np.ndarray)
            and names.shape == (n_features,)
            and all(isinstance(name, str) for name in names)
        ),
        "loss_curve_": numbers(state["loss_curve"]),
        "n_iter_": number(state["n_iter"], Integral) and state["n_iter"] >= 0,
        "validation_scores_": state["validation_scores"] is None
        or numbers(state["validation_scores"]),
        "best_validation_score_": state["best_validation_score"] is None
        or number(state["best_validation_score"]),
        "best_epoch_": state["best_epoch"] is None
        or number(state["best_epoch"], Integral),
        "best_loss_": state["best_loss"] is None or number(state["best_loss"]),
        "_seed": number(seed, Integral) and 0 <= seed < 2**64,
    }
    wrong = [name for name, ok in valid.items() if not ok]
    if wrong:
        raise ValueError(f"invalid values for {wrong}")
    est.classes_ = classes
    est.n_features_in_ = n_features
    if names is not None:
        est.feature_names_in_ = names
    est.loss_curve_ = state["loss_curve"]
    est.n_iter_ = state["n_iter"]
    est.validation_scores_ = state["validation_scores"]
    est.best_validation_score_ = state["best_validation_score"]
    est.best_epoch_ = state["best_epoch"]
    est.best_loss_ = state["best_loss"]
    est._seed = seed
    est.is_categorical_, est.categories_ = _checked_categories(state, n_features)


def _checked_categories(state: dict, n_features: int) -> tuple:
    """``is_categorical_`` and ``categories_`` from ``state``, consistent
    with each other and with the number of features."""
    mask, categories = state["is_categorical"], state["categories"]
    if mask is None and categories is None:
        return None, None
    ok = (
        isinstance(mask, np.ndarray)
        and mask.dtype == bool
        and mask.shape == (n_features,)
        and mask.any()
        and isinstance(categories, list)
        and len(categories) == int(mask.sum())
        and all(
            isinstance(c, np.ndarray)
            and c.ndim == 1
            and np.array_equal(sorted_classes(c), c)
            for c in categories
        )
    )
    if not ok:
        raise ValueError(
            "invalid is_categorical_ / categories_: a boolean mask over the "
            "features and, per categorical column, its sorted unique categories"
        )
    return mask, categories
