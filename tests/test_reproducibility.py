"""Randomness comes only from random_state; global RNG state is untouched."""

import random

import numpy as np
import pytest
import torch

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier

ESTIMATORS = [TorchBinaryClassifier, TorchMulticlassClassifier]


def fit_proba(cls, X, y, **params):
    params = {"max_epochs": 5, "dropout": 0.2, **params}
    return cls(**params).fit(X, y).predict_proba(X)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_same_random_state_is_bit_identical(cls, binary_data):
    X, y = binary_data
    first = fit_proba(cls, X, y, random_state=7)
    torch.manual_seed(123)  # global state must not matter
    np.random.seed(123)  # noqa: NPY002
    second = fit_proba(cls, X, y, random_state=7)
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_different_or_no_random_state_differs(cls, binary_data):
    X, y = binary_data
    base = fit_proba(cls, X, y, random_state=0)
    assert not np.array_equal(base, fit_proba(cls, X, y, random_state=1))
    assert not np.array_equal(
        fit_proba(cls, X, y, random_state=None),
        fit_proba(cls, X, y, random_state=None),
    )


def test_random_state_instance_is_accepted(binary_data):
    X, y = binary_data
    a = fit_proba(TorchBinaryClassifier, X, y, random_state=np.random.RandomState(3))
    b = fit_proba(TorchBinaryClassifier, X, y, random_state=np.random.RandomState(3))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("random_state", [0, None])
def test_global_rng_state_unchanged(binary_data, random_state):
    X, y = binary_data
    torch_state = torch.get_rng_state()
    numpy_state = np.random.get_state()  # noqa: NPY002
    python_state = random.getstate()
    clf = TorchMulticlassClassifier(
        max_epochs=3, dropout=0.3, random_state=random_state
    )
    clf.fit(X, y).predict_proba(X)
    assert torch.equal(torch.get_rng_state(), torch_state)
    after = np.random.get_state()  # noqa: NPY002
    assert after[0] == numpy_state[0]
    np.testing.assert_array_equal(after[1], numpy_state[1])
    assert after[2:] == numpy_state[2:]
    assert random.getstate() == python_state


def test_grid_search_in_parallel_equals_sequential(multiclass_data):
    from sklearn.model_selection import GridSearchCV

    X, y = multiclass_data
    grid = {"lr": [1e-3, 1e-2], "dropout": [0.0, 0.2]}
    est = TorchMulticlassClassifier(max_epochs=5, random_state=0)
    one = GridSearchCV(est, grid, cv=3, n_jobs=1).fit(X, y)
    two = GridSearchCV(est, grid, cv=3, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(
        one.cv_results_["mean_test_score"], two.cv_results_["mean_test_score"]
    )
    np.testing.assert_array_equal(one.predict_proba(X), two.predict_proba(X))
