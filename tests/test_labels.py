"""Labels of any kind go in, the same labels come out."""

import numpy as np
import pandas as pd
import pytest

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier

ESTIMATORS = [TorchBinaryClassifier, TorchMulticlassClassifier]


def _fit_predict(cls, X, y):
    clf = cls(max_epochs=40, random_state=0).fit(X, y)
    return clf, clf.predict(X)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    ("labels", "kind"),
    [
        (np.array(["no", "yes"]), "U"),
        (np.array(["no", "yes"], dtype=object), "O"),
        (np.array([False, True]), "b"),
        (np.array([3, 9]), "i"),
        (np.array([-1.0, 1.0]), "f"),
    ],
)
def test_binary_labels_round_trip(cls, binary_data, labels, kind):
    X, y = binary_data
    clf, pred = _fit_predict(cls, X, labels[y])
    np.testing.assert_array_equal(clf.classes_, labels)
    assert clf.classes_.dtype.kind == kind
    assert pred.dtype.kind == kind
    assert set(pred) <= set(labels)
    assert np.mean(pred == labels[y]) > 0.8


@pytest.mark.parametrize(
    "labels",
    [np.array([3, 7, 9]), np.array(["c", "a", "b"]), np.array([10, -5, 2])],
)
def test_gapped_and_unsorted_multiclass_labels(multiclass_data, labels):
    X, y = multiclass_data
    clf, pred = _fit_predict(TorchMulticlassClassifier, X, labels[y])
    np.testing.assert_array_equal(clf.classes_, np.sort(labels))
    assert np.mean(pred == labels[y]) > 0.8


@pytest.mark.parametrize("dtype", ["category", "object", "string"])
def test_pandas_label_dtypes(multiclass_data, dtype):
    X, y = multiclass_data
    target = pd.Series(np.array(["setosa", "versicolor", "virginica"])[y])
    clf, pred = _fit_predict(TorchMulticlassClassifier, X, target.astype(dtype))
    assert list(clf.classes_) == ["setosa", "versicolor", "virginica"]
    assert pred.dtype.kind in "OU"
    assert np.mean(pred == target.to_numpy()) > 0.8


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_mixed_label_types_rejected(cls, binary_data):
    X, y = binary_data
    mixed = np.array(["a", 1], dtype=object)[y]
    with pytest.raises(TypeError, match=r"y mixes labels of types \['int', 'str'\]"):
        cls(max_epochs=1).fit(X, mixed)
