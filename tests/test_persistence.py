"""pickle, joblib and clone."""

import pickle

import joblib
import numpy as np
import pytest
from sklearn.base import clone

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier


@pytest.fixture(params=[TorchBinaryClassifier, TorchMulticlassClassifier])
def fitted(request, multiclass_data, binary_data):
    cls = request.param
    X, y = binary_data if cls is TorchBinaryClassifier else multiclass_data
    labels = np.array(["ant", "bee", "cat"])[y]
    return cls(hidden_layer_sizes=(8,), max_epochs=5, random_state=0).fit(X, labels), X


def test_pickle_round_trip(fitted):
    clf, X = fitted
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))
    np.testing.assert_array_equal(restored.classes_, clf.classes_)
    assert restored.loss_curve_ == clf.loss_curve_


def test_joblib_round_trip(fitted, tmp_path):
    clf, X = fitted
    joblib.dump(clf, tmp_path / "model.joblib")
    restored = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_clone_is_unfitted_with_equal_params(fitted):
    clf, _ = fitted
    copy = clone(clf)
    assert copy.get_params() == clf.get_params()
    assert not hasattr(copy, "net_")
    assert not hasattr(copy, "classes_")
    assert not hasattr(copy, "module_")


def test_fitted_attributes(fitted):
    clf, X = fitted
    assert clf.n_features_in_ == X.shape[1]
    assert clf.n_iter_ == 5
    assert len(clf.loss_curve_) == 5
    assert all(isinstance(v, float) for v in clf.loss_curve_)
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.history_[:, "train_loss"] == clf.loss_curve_
    assert clf.module_ is clf.net_.module_
