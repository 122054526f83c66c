"""Every ordinary kind of X fits and predicts, and is never modified."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.preprocessing import OneHotEncoder

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier

ESTIMATORS = [TorchBinaryClassifier, TorchMulticlassClassifier]

CONVERSIONS = {
    "float64": lambda X: X,
    "float32": lambda X: X.astype(np.float32),
    "int": lambda X: np.round(X * 10).astype(np.int64),
    "bool": lambda X: X > 0,
    "fortran": np.asfortranarray,
    "non_contiguous": lambda X: np.repeat(X, 2, axis=1)[:, ::2],
    "dataframe": lambda X: pd.DataFrame(X, columns=[f"f{i}" for i in range(6)]),
    "dataframe_mixed": lambda X: pd.DataFrame(
        {"a": X[:, 0], "b": (X[:, 1] > 0), "c": np.round(X[:, 2]).astype(int)}
    ),
    "csr": sp.csr_matrix,
    "csc": sp.csc_matrix,
    "list": lambda X: X.tolist(),
}


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("kind", CONVERSIONS)
def test_input_kinds_fit_and_predict(cls, binary_data, kind):
    X, y = binary_data
    Xc = CONVERSIONS[kind](X)
    before = Xc.copy() if hasattr(Xc, "copy") else list(Xc)
    clf = cls(max_epochs=20, random_state=0).fit(Xc, y)
    proba = clf.predict_proba(Xc)
    assert proba.shape == (300, 2)
    assert np.all(np.isfinite(proba))
    assert clf.score(Xc, y) > 0.7
    if sp.issparse(Xc):
        assert (Xc != before).nnz == 0
    elif isinstance(Xc, pd.DataFrame):
        pd.testing.assert_frame_equal(Xc, before)
    else:
        np.testing.assert_array_equal(np.asarray(Xc), np.asarray(before))


def test_dense_and_sparse_give_the_same_model(binary_data):
    X, y = binary_data
    dense = TorchBinaryClassifier(max_epochs=5, random_state=0).fit(X, y)
    sparse = TorchBinaryClassifier(max_epochs=5, random_state=0).fit(
        sp.csr_matrix(X), y
    )
    np.testing.assert_allclose(
        dense.predict_proba(X), sparse.predict_proba(sp.csr_matrix(X)), atol=1e-6
    )


def test_one_hot_encoder_sparse_output(multiclass_data):
    X, y = multiclass_data
    cats = np.digitize(X[:, :3], [-1, 0, 1])
    Xs = OneHotEncoder().fit_transform(cats)
    assert sp.issparse(Xs)
    clf = TorchMulticlassClassifier(max_epochs=20, random_state=0).fit(Xs, y)
    assert clf.predict(Xs).shape == (300,)
    assert clf.n_features_in_ == Xs.shape[1]


def test_read_only_memmap(tmp_path, binary_data):
    X, y = binary_data
    path = tmp_path / "X.npy"
    np.save(path, X.astype(np.float32))
    Xm = np.load(path, mmap_mode="r")
    assert not Xm.flags.writeable
    clf = TorchBinaryClassifier(max_epochs=5, random_state=0).fit(Xm, y)
    np.testing.assert_array_equal(clf.predict(Xm), clf.predict(X.astype(np.float32)))


def test_feature_names_recorded_and_checked(binary_data):
    X, y = binary_data
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    clf = TorchBinaryClassifier(max_epochs=2, random_state=0).fit(df, y)
    np.testing.assert_array_equal(clf.feature_names_in_, df.columns)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(df.rename(columns={"f0": "other"}))
