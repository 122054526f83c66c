"""The rows early stopping sets aside: one validation split, or, for an
ensemble, a slice of its own for each member (cross-fitted validation)."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split

from ._sklearn_private import _safe_indexing


def validation_split(X, y, weights, fraction: float, seed: int, members: int = 1):
    """``(X, y, weights)`` to train on and to validate on.

    One stratified split, as MLPClassifier's early stopping: the
    validation part holds ``fraction`` of the rows and at least one sample
    per class, even where ``fraction`` of a small training set (e.g. in
    HalvingGridSearchCV's first rounds) would be fewer.

    With ``members > 1`` (an ensemble), each member sets aside a slice of
    its own of that size, disjoint from the others', and trains on every
    other row; the weights become ``(n, members)``, member ``j``'s weight of
    each row (see :func:`_member_split`). When the slices together would
    leave fewer rows than classes to train on, all members share one split.
    """
    n_classes = len(np.unique(y))
    n_valid = max(int(np.ceil(fraction * len(y))), n_classes)
    if members > 1 and members * n_valid <= len(y) - n_classes:
        held = _stratified(y, members * n_valid, fraction, seed)[1]
        return _member_split(X, y, weights, held, seed, members)
    train, valid = _stratified(y, n_valid, fraction, seed)
    _check_weights(weights, valid)

    def part(rows):
        w = None if weights is None else weights[rows]
        return _safe_indexing(X, rows), y[rows], w

    return part(train), part(valid)


def _member_split(X, y, weights, held: np.ndarray, seed: int, members: int):
    """Cross-fitted validation: the ``held`` rows (a stratified sample),
    dealt out at random to the members class by class (so that each slice
    is stratified too).

    Training keeps every row, with weight 0 for the member that holds it
    out; validation keeps the held-out rows, each weighted for its holding
    member only, so that a row's validation loss is that of the member
    which never trained on it. Both weights are the sample weights (1 when
    None) times that mask.
    """
    held = np.random.default_rng(seed).permutation(held)
    held = held[np.argsort(y[held], kind="stable")]  # random within a class
    holder = np.full(len(y), -1)
    holder[held] = np.arange(len(held)) % members
    held = np.sort(held)
    _check_weights(weights, held)
    base = np.ones(len(y)) if weights is None else weights
    mask = holder[:, None] == np.arange(members)
    train_w = base[:, None] * ~mask
    valid_w = base[held, None] * mask[held]
    return (X, y, train_w), (_safe_indexing(X, held), y[held], valid_w)


def _stratified(y, n_valid: int, fraction: float, seed: int):
    """Sorted row indices of a stratified split: (train, valid)."""
    rows = np.arange(len(y))
    try:
        train, valid = train_test_split(
            rows, test_size=n_valid, stratify=y, random_state=seed
        )
    except ValueError as exc:
        raise ValueError(
            f"early_stopping could not set aside validation_fraction={fraction} "
            f"of {len(y)} samples stratified by class: {exc}"
        ) from exc
    return np.sort(train), np.sort(valid)


def _check_weights(weights, valid) -> None:
    if weights is not None and not weights[valid].sum() > 0:
        raise ValueError(
            "early_stopping set aside a validation split whose samples all "
            "have zero weight (sample_weight times class_weight), so its "
            "accuracy is undefined; give those samples weight, or use "
            "early_stopping=False"
        )
