"""Bad input gets a clear ValueError / TypeError, never a raw torch error."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.exceptions import NotFittedError

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier

ESTIMATORS = [TorchBinaryClassifier, TorchMulticlassClassifier]


@pytest.fixture
def data():
    X = np.random.RandomState(0).normal(size=(40, 4))
    return X, (X[:, 0] > 0).astype(int)


def quick(cls, **params):
    return cls(max_epochs=1, random_state=0, **params)


def with_value(X, value, dtype=None):
    X = X.astype(dtype or X.dtype, copy=True)
    X[3, 1] = value
    return X


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    ("make_X", "match"),
    [
        (lambda X: with_value(X, np.nan), "Input X contains NaN"),
        (lambda X: with_value(X, np.inf), "Input X contains infinity"),
        (lambda X: with_value(X, 1e300), "value too large for dtype"),
        (lambda X: with_value(X, "red", object), "Encode string or categorical"),
        (lambda X: X + 1j, "Complex data not supported"),
        (lambda X: X[:0], "0 sample"),
        (lambda X: X[:, :0], "0 feature"),
        (lambda X: X[:, 0], "Expected 2D array, got 1D array"),
    ],
    ids=["nan", "inf", "too_large", "string", "complex", "empty", "no_features", "1d"],
)
def test_bad_X_at_fit(cls, data, make_X, match):
    X, y = data
    X_bad = make_X(X)
    with pytest.raises(ValueError, match=match):
        quick(cls).fit(X_bad, y[: len(X_bad)])


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_string_dataframe_columns_named_in_error(cls, data):
    """Embedded by default; named in the error when embedding is off."""
    X, y = data
    df = pd.DataFrame(X, columns=list("abcd")).assign(island="Biscoe")
    df["sex"] = pd.Categorical(["male", "female"] * 20)
    np.testing.assert_array_equal(
        quick(cls).fit(df, y).is_categorical_, [0] * 4 + [1] * 2
    )
    with pytest.raises(
        ValueError,
        match=r"\['island', 'sex'\] are not.*categorical_features.*OneHotEncoder",
    ):
        quick(cls).set_params(categorical_features=None).fit(df, y)


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("method", ["predict", "predict_proba", "predict_log_proba"])
def test_bad_X_at_predict(cls, data, method):
    X, y = data
    clf = quick(cls).fit(X, y)
    predict = getattr(clf, method)
    with pytest.raises(ValueError, match=r"X has 3 features, but .* is expecting 4"):
        predict(X[:, :3])
    with pytest.raises(ValueError, match="Input X contains NaN"):
        predict(with_value(X, np.nan))
    with pytest.raises(ValueError, match="Expected 2D array"):
        predict(X[0])


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("value", [np.inf, 1e300, 1e39, -1e39])
@pytest.mark.parametrize("rows", [slice(3, 4), slice(0, 40)], ids=["1_row", "40_rows"])
@pytest.mark.parametrize("sparse", [False, True])
def test_values_beyond_float32_at_predict(cls, data, value, rows, sparse):
    """Finite in float64 but not in float32 (the network's precision): the
    same ValueError as at fit, for small and large batches, dense or
    sparse; float32 input passes as it is."""
    X, y = data
    clf = quick(cls).fit(X, y)
    X_bad = with_value(X, value)[rows]  # row 3 holds the value
    X_bad = sp.csr_matrix(X_bad) if sparse else X_bad
    with pytest.raises(ValueError, match="infinity or a value too large"):
        clf.predict_proba(X_bad)
    X32 = X.astype(np.float32)
    np.testing.assert_allclose(clf.predict_proba(X32), clf.predict_proba(X), rtol=1e-6)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_predict_before_fit(cls, data):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        cls().predict(data[0])


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    ("y_of", "error", "match"),
    [
        (lambda y: np.zeros_like(y), ValueError, "only one class: 0"),
        (lambda y: np.full(len(y), "spam"), ValueError, "only one class: 'spam'"),
        (lambda y: np.linspace(0, 1, len(y)), ValueError, "Unknown label type"),
        (lambda y: np.where(y, 1.0, np.nan), ValueError, "Input y contains NaN"),
        (lambda y: y[:-1], ValueError, "inconsistent numbers of samples"),
        (lambda y: None, ValueError, "requires y to be passed"),
    ],
    ids=["one_class", "one_string_class", "continuous", "nan", "length", "none"],
)
def test_bad_y(cls, data, y_of, error, match):
    X, y = data
    with pytest.raises(error, match=match):
        quick(cls).fit(X, y_of(y))


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"activation": "swish"}, ValueError, "'activation' parameter"),
        ({"optimizer": "adagrad2"}, ValueError, "'optimizer' parameter"),
        (
            {"hidden_layer_sizes": (16, 0)},
            ValueError,
            r"positive integers, got \(16, 0\)",
        ),
        ({"hidden_layer_sizes": (-3,)}, ValueError, "positive integers"),
        ({"hidden_layer_sizes": (8.5,)}, TypeError, "only integers"),
        ({"lr": 0.0}, ValueError, "'lr' parameter"),
        ({"batch_size": 0}, ValueError, "'batch_size' parameter"),
        ({"dropout": 1.0}, ValueError, "'dropout' parameter"),
        ({"device": "gpu"}, ValueError, "device must be 'cpu', 'cuda'.*got 'gpu'"),
        ({"optimizer": dict}, TypeError, "torch.optim.Optimizer subclass"),
        (
            {"optimizer": "sgd", "optimizer_kwargs": {"momentun": 0.9}},
            TypeError,
            "rejected optimizer_kwargs=.*momentun",
        ),
        (
            {"optimizer": "sgd", "optimizer_kwargs": {"momentum": -1}},
            ValueError,
            "rejected optimizer_kwargs=.*Invalid momentum",
        ),
        ({"module": lambda **kw: "not a module"}, TypeError, "returned str"),
        ({"module": torch.nn.Linear(5, 1)}, ValueError, "module failed on a batch"),
        (
            {"module": torch.nn.Linear(4, 7)},
            ValueError,
            "module must return logits of shape",
        ),
    ],
)
def test_bad_parameters(cls, data, params, error, match):
    X, y = data
    with pytest.raises(error, match=match):
        quick(cls, **params).fit(X, y)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_caller_objects_not_modified(cls, data):
    X, y = data
    X_before, y_before = X.copy(), y.copy()
    kwargs = {"momentum": 0.9}
    quick(cls, optimizer="sgd", optimizer_kwargs=kwargs).fit(X, y)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    assert kwargs == {"momentum": 0.9}
