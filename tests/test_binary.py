"""TorchBinaryClassifier: sigmoid output, probabilities and the threshold."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.utils import get_tags

from sktorch_clf import TorchBinaryClassifier


def network_outputs(clf, X):
    with torch.no_grad():
        return clf.module_(torch.as_tensor(X, dtype=torch.float32))


def make(**params):
    return TorchBinaryClassifier(**{"max_epochs": 30, "random_state": 0, **params})


def test_learns_and_probabilities_are_sigmoid_columns(binary_data):
    X, y = binary_data
    clf = make().fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.all((proba >= 0) & (proba <= 1))
    logits = clf._logits(X)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-logits)), rtol=1e-12)
    assert clf.score(X, y) > 0.85
    assert network_outputs(clf, X).shape == (len(X), 1)


def test_predict_is_positive_class_where_p_at_least_threshold(binary_data):
    X, y = binary_data
    labels = np.array(["neg", "pos"])[y]
    clf = make().fit(X, labels)
    p = clf.predict_proba(X)[:, 1]
    for threshold in [0.0, 0.2, 0.5, 0.8, 1.0]:
        clf.set_params(threshold=threshold)
        expected = np.where(p >= threshold, "pos", "neg")
        np.testing.assert_array_equal(clf.predict(X), expected)
    assert set(clf.set_params(threshold=0.0).predict(X)) == {"pos"}


def test_threshold_changes_predict_without_refit(binary_data):
    X, y = binary_data
    clf = make().fit(X, y)
    net = clf.net_
    low = clf.set_params(threshold=0.1).predict(X).mean()
    high = clf.set_params(threshold=0.9).predict(X).mean()
    assert clf.net_ is net
    assert low > high


def test_threshold_is_grid_searchable(binary_data):
    X, y = binary_data
    search = GridSearchCV(make(max_epochs=5), {"threshold": [0.3, 0.7]}, cv=2)
    search.fit(X, y)
    assert search.best_params_["threshold"] in (0.3, 0.7)
    assert clone(make(threshold=0.3)).threshold == 0.3


def test_binary_only_tag():
    tags = get_tags(TorchBinaryClassifier())
    assert tags.classifier_tags.multi_class is False
    assert tags.input_tags.sparse is True


def test_three_classes_point_to_multiclass_estimator(multiclass_data):
    X, y = multiclass_data
    with pytest.raises(ValueError, match="Use TorchMulticlassClassifier"):
        make().fit(X, y)


@pytest.mark.parametrize("threshold", [-0.1, 1.5, "high"])
def test_invalid_threshold_at_fit(binary_data, threshold):
    X, y = binary_data
    with pytest.raises(ValueError, match="'threshold' parameter"):
        make(threshold=threshold).fit(X, y)


def test_invalid_threshold_set_after_fit(binary_data):
    X, y = binary_data
    clf = make(max_epochs=1).fit(X, y).set_params(threshold=2)
    with pytest.raises(ValueError, match=r"threshold must be in \[0, 1\], got 2"):
        clf.predict(X)
