"""Property-based tests of hostile input (hypothesis, fixed seed).

Every case either fits and predicts (finite probabilities in [0, 1] whose
rows sum to 1, labels from classes_) or raises a ValueError / TypeError
with a message. Never a raw torch error, a crash or a hang.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier

settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every run
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci")

SPECIAL = [np.nan, np.inf, -np.inf, 1e30, -1e30, 1e-30, 0.0, 1e300]
DTYPES = ["float16", "float32", "float64", "int8", "int64", "bool"]
LAYOUTS = ["c", "fortran", "strided", "frame", "mixed_frame", "csr", "coo"]


@st.composite
def inputs(draw):
    n = draw(st.integers(1, 50))
    d = draw(st.integers(1, 10))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    scale = draw(st.sampled_from([1.0, 1e-20, 1e20]))
    X = rng.normal(size=(n, d)) * scale
    if draw(st.booleans()):  # special values in random places
        for _ in range(draw(st.integers(1, 3))):
            X[rng.integers(n), rng.integers(d)] = draw(st.sampled_from(SPECIAL))
    if draw(st.booleans()):
        X[:, rng.integers(d)] = 3.0  # a constant column
    if n > 1 and draw(st.booleans()):
        X[-1] = X[0]  # duplicated rows
    dtype = draw(st.sampled_from(DTYPES))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X = X.astype(dtype) if dtype != "bool" else X > 0
    X = layout(X, draw(st.sampled_from(LAYOUTS)))
    y = labels(draw, rng, n)
    return X, y


def layout(X, kind):
    if kind == "fortran":
        return np.asfortranarray(X)
    if kind == "strided":
        return np.repeat(X, 2, axis=1)[:, ::2]
    if kind == "frame":
        return pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])
    if kind == "mixed_frame":
        frame = pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])
        frame["flag"] = frame["c0"] > 0
        frame["count"] = np.arange(len(frame)) % 3
        return frame
    if kind in ("csr", "coo") and X.dtype != np.float16:
        return sp.csr_matrix(X) if kind == "csr" else sp.coo_matrix(X)
    return X


def labels(draw, rng, n):
    kind = draw(st.sampled_from(["int", "str", "bool", "one", "nan", "float"]))
    k = draw(st.integers(2, 4))
    base = rng.integers(0, k, size=n)
    if kind == "int":
        return base * 7 - 3
    if kind == "str":
        return np.array(["apple", "pear", "fig", "kiwi"])[base]
    if kind == "bool":
        return base % 2 == 0
    if kind == "one":
        return np.zeros(n, dtype=int)
    if kind == "nan":
        y = base.astype(float)
        y[rng.integers(n)] = np.nan
        return y
    return base + 0.5


def check_outcome(cls, X, y):
    clf = cls(hidden_layer_sizes=(4,), max_epochs=2, batch_size=16, random_state=0)
    try:
        clf.fit(X, y)
        proba = clf.predict_proba(X)
        pred = clf.predict(X)
    except (ValueError, TypeError) as exc:
        assert str(exc), "an error must say what is wrong"  # noqa: PT017
        return
    assert proba.shape == (X.shape[0], len(clf.classes_))
    assert np.all(np.isfinite(proba))
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    assert set(np.unique(pred)) <= set(clf.classes_)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.filterwarnings("ignore:Training diverged")
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.DataConversionWarning")
@pytest.mark.parametrize("cls", [TorchBinaryClassifier, TorchMulticlassClassifier])
@given(case=inputs())
def test_hostile_input(cls, case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check_outcome(cls, *case)


def test_unseen_labels_at_score_are_just_wrong_answers(binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(max_epochs=2).fit(X, y)
    assert clf.score(X, np.full(len(y), 9)) == 0.0
