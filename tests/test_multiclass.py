"""TorchMulticlassClassifier: softmax output, argmax predictions."""

import numpy as np
import pytest
import torch
from scipy.special import log_softmax, softmax

from sktorch_clf import TorchMulticlassClassifier


def network_outputs(clf, X):
    with torch.no_grad():
        return clf.module_(torch.as_tensor(X, dtype=torch.float32))


def make(**params):
    return TorchMulticlassClassifier(**{"max_epochs": 30, "random_state": 0, **params})


def test_softmax_probabilities_and_argmax(multiclass_data):
    X, y = multiclass_data
    clf = make().fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    expected = torch.softmax(torch.from_numpy(clf._logits(X)), dim=1).numpy()
    np.testing.assert_allclose(proba, expected, rtol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(1)])
    assert clf.score(X, y) > 0.85
    assert network_outputs(clf, X).shape == (len(X), 3)


def test_log_proba_is_stable_log_softmax(multiclass_data):
    X, y = multiclass_data
    clf = make(lr=0.05).fit(X * 100, y)  # confident: tiny probabilities
    log_proba = clf.predict_log_proba(X * 100)
    assert np.all(np.isfinite(log_proba))
    np.testing.assert_allclose(np.exp(log_proba), clf.predict_proba(X * 100))


def test_two_classes_work(binary_data):
    X, y = binary_data
    clf = make().fit(X, y)
    assert clf.predict_proba(X).shape == (len(X), 2)
    assert network_outputs(clf, X).shape == (len(X), 2)
    assert clf.score(X, y) > 0.85


@pytest.mark.parametrize("n_classes", [2, 5, 16, 17, 40])
def test_softmax_matches_scipy_for_few_and_many_classes(n_classes):
    # few columns are reduced column by column, many with numpy's axis=1
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=30, size=(200, n_classes))
    logits[0] = 1e4  # equal, huge logits: no overflow
    logits[1, 0] = -1e4
    clf = TorchMulticlassClassifier()
    before = logits.copy()
    np.testing.assert_allclose(clf._proba(logits), softmax(logits, axis=1), rtol=1e-12)
    np.testing.assert_allclose(
        clf._log_proba(logits), log_softmax(logits, axis=1), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_array_equal(logits, before)
