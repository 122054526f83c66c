"""ONNX export: onnxruntime's labels equal predict, its probabilities equal
predict_proba to 1e-5, on rows the model did not see."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.compose import make_column_transformer
from sklearn.exceptions import NotFittedError
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier, to_onnx

ort = pytest.importorskip("onnxruntime")
skl2onnx = pytest.importorskip("skl2onnx")

SMALL = {"hidden_layer_sizes": (8,), "max_epochs": 5, "lr": 0.01, "random_state": 0}


def session(onnx_model):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(
        onnx_model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def run(model, X_test, feeds=None, zipmap=False, **kwargs):
    """Export ``model`` (its final step without ZipMap), run onnxruntime on
    ``feeds`` (default: ``{"X": float32 X_test}``); (labels, probabilities)."""
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    options = None if zipmap else {id(final): {"zipmap": False}}
    onnx_model = to_onnx(model, X_test[:3], options=options, **kwargs)
    feeds = feeds or {"X": np.asarray(X_test, dtype=np.float32)}
    return session(onnx_model).run(None, feeds)


def assert_parity(model, X_test, labels, proba):
    np.testing.assert_array_equal(labels, model.predict(X_test))
    np.testing.assert_allclose(proba, model.predict_proba(X_test), rtol=0, atol=1e-5)


@pytest.fixture
def split(binary_data):
    X, y = binary_data
    return X[:200], y[:200], X[200:]


def frame_feeds(frame: pd.DataFrame) -> dict:
    """onnxruntime's inputs for a DataFrame: one (n, 1) array per column,
    float32 numbers, int64 integers, strings with missing ones as ''."""
    feeds = {}
    for name in frame.columns:
        column = frame[name]
        if column.dtype.kind == "f":
            values = column.to_numpy(dtype=np.float32)
        elif column.dtype.kind in "iu":
            values = column.to_numpy(dtype=np.int64)
        else:
            values = column.astype(object).where(column.notna(), "").to_numpy()
        feeds[name] = values.reshape(-1, 1)
    return feeds


@pytest.mark.parametrize("ensemble_size", [1, 3])
def test_binary_string_labels_and_threshold(split, ensemble_size):
    X, y, X_test = split
    labels = np.where(y == 1, "spam", "ham")
    clf = TorchBinaryClassifier(threshold=0.3, ensemble_size=ensemble_size, **SMALL)
    clf.fit(X, labels)
    assert 0 < (clf.predict_proba(X_test)[:, 1] >= 0.5).sum() < len(X_test)
    onnx_labels, proba = run(clf, X_test)
    assert onnx_labels.dtype == object  # strings
    assert_parity(clf, X_test, onnx_labels, proba)
    # the threshold is the model's: 0.3 labels more rows "spam" than 0.5
    assert (onnx_labels == "spam").sum() > (proba[:, 1] >= 0.5).sum()


def test_binary_with_zipmap_and_float64_input(split):
    X, y, X_test = split
    clf = TorchBinaryClassifier(threshold=0.7, ensemble_size=1, **SMALL).fit(X, y)
    labels, rows = run(clf, X_test, zipmap=True)
    proba = np.array([[row[0], row[1]] for row in rows])
    assert_parity(clf, X_test, labels, proba)


@pytest.mark.parametrize("ensemble_size", [1, 4])
def test_multiclass_integer_labels(multiclass_data, ensemble_size):
    X, y = multiclass_data
    gapped = np.array([-5, 10, 42])[y]
    clf = TorchMulticlassClassifier(ensemble_size=ensemble_size, **SMALL)
    clf.fit(X[:200], gapped[:200])
    labels, proba = run(clf, X[200:])
    assert labels.dtype == np.int64
    assert set(labels) <= {-5, 10, 42}
    assert_parity(clf, X[200:], labels, proba)


@pytest.mark.parametrize(
    ("params", "opset"),
    [
        ({"numeric_embedding": "periodic", "robust_scaling": True}, None),
        ({"batch_norm": True, "dropout": 0.2, "activation": "gelu"}, 17),
    ],
    ids=["periodic-robust-ensemble", "batch-norm-dropout-opset-17"],
)
def test_other_networks_and_opsets(multiclass_data, params, opset):
    X, y = multiclass_data
    clf = TorchMulticlassClassifier(ensemble_size=2, **SMALL, **params)
    clf.fit(X[:200], y[:200])
    labels, proba = run(clf, X[200:], target_opset=opset)
    assert_parity(clf, X[200:], labels, proba)


def test_one_row_and_many_rows(multiclass_data):
    X, y = multiclass_data
    clf = TorchMulticlassClassifier(ensemble_size=2, **SMALL).fit(X, y)
    sess = session(to_onnx(clf, X[:3], options={id(clf): {"zipmap": False}}))
    for rows in (X[:1], X[:100]):
        labels, proba = sess.run(None, {"X": rows.astype(np.float32)})
        assert_parity(clf, rows, labels, proba)


@pytest.fixture
def mixed_frame():
    rng = np.random.RandomState(0)
    n = 240
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 12, n).round(),
            "income": rng.normal(3, 1, n),
            "city": rng.choice(["paris", "rome", "oslo"], n),
            "grade": rng.choice(["a", "b", "c"], n),
        }
    )
    frame.loc[::11, "age"] = np.nan
    y = np.where(
        frame["age"].fillna(40) / 10 + (frame["city"] == "rome") + frame["income"] > 7,
        "yes",
        "no",
    )
    return frame, y


def test_pipeline_with_column_transformer(mixed_frame):
    frame, y = mixed_frame
    pipe = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["city"]),
            (OrdinalEncoder(), ["grade"]),
            (make_pipeline(SimpleImputer(), StandardScaler()), ["age", "income"]),
        ),
        TorchBinaryClassifier(ensemble_size=2, **SMALL),
    ).fit(frame[:160], y[:160])
    test = frame[160:]
    labels, proba = run(pipe, test, feeds=frame_feeds(test))
    assert_parity(pipe, test, labels, proba)


def test_skl2onnx_converts_a_pipeline_as_it_does_mlpclassifier(mixed_frame):
    from skl2onnx import to_onnx as skl2onnx_to_onnx

    from sktorch_clf._onnx import register_converters

    frame, y = mixed_frame
    numeric = frame[["age", "income"]].astype(np.float32)
    pipe = make_pipeline(
        SimpleImputer(), StandardScaler(), TorchMulticlassClassifier(**SMALL)
    ).fit(numeric[:160], y[:160])
    register_converters()
    onnx_model = skl2onnx_to_onnx(pipe, numeric[:3].to_numpy())
    labels, rows = session(onnx_model).run(None, {"X": numeric[160:].to_numpy()})
    proba = np.array([[row["no"], row["yes"]] for row in rows])
    assert_parity(pipe, numeric[160:], labels, proba)


def test_own_categorical_embeddings(mixed_frame):
    frame, y = mixed_frame
    frame = frame.assign(
        age=frame["age"].fillna(40), grade=frame["grade"].astype("category")
    )
    frame.loc[::13, "city"] = None  # missing: the missing slot
    clf = TorchMulticlassClassifier(ensemble_size=2, **SMALL).fit(frame[:160], y[:160])
    assert clf.is_categorical_.tolist() == [False, False, True, True]
    test = frame[160:].copy()
    test.loc[test.index[::5], "city"] = "tokyo"  # unseen in fit
    labels, proba = run(clf, test, feeds=frame_feeds(test))
    assert_parity(clf, test, labels, proba)


def test_categorical_codes_in_an_array(binary_data):
    X, y = binary_data
    X = X.copy()
    X[:, 1] = np.random.RandomState(0).randint(0, 4, len(X))
    clf = TorchBinaryClassifier(categorical_features=[1], ensemble_size=1, **SMALL)
    clf.fit(X[:200], y[:200])
    test = X[200:].copy()
    test[::4, 1] = 7  # an unseen code
    test[::9, 1] = np.nan  # missing
    labels, proba = run(clf, test)
    assert_parity(clf, test, labels, proba)


def test_custom_module(split, gelu_net):
    X, y, X_test = split
    clf = TorchBinaryClassifier(module=gelu_net, max_epochs=5, random_state=0)
    labels, proba = run(clf.fit(X, y), X_test)
    assert_parity(clf, X_test, labels, proba)


class Unexportable(torch.nn.Module):
    """Trains fine, but torch has no ONNX export for ``cummax``."""

    def __init__(self, n_features_in, n_outputs):
        super().__init__()
        self.linear = torch.nn.Linear(n_features_in, n_outputs)

    def forward(self, X):
        return torch.cummax(self.linear(X), dim=1).values


def test_a_module_torch_cannot_export(split):
    X, y, _ = split
    clf = TorchBinaryClassifier(module=Unexportable, max_epochs=1).fit(X, y)
    with pytest.raises(RuntimeError, match=r"module_ \(Unexportable\).*cummax"):
        to_onnx(clf, X[:3])


def test_what_cannot_be_converted(split):
    X, y, _ = split
    with pytest.raises(TypeError, match="LogisticRegression"):
        to_onnx(LogisticRegression().fit(X, y), X[:3])
    with pytest.raises(NotFittedError):
        to_onnx(TorchBinaryClassifier(), X[:3])
    mixed = TorchBinaryClassifier(max_epochs=1).fit(X, np.where(y, "a", "b"))
    mixed.classes_ = np.array([1, "a"], dtype=object)
    with pytest.raises(ValueError, match="mix types"):
        run(mixed, X[:3])


def test_float_labels_become_integers(split):
    X, y, X_test = split
    clf = TorchBinaryClassifier(ensemble_size=1, **SMALL).fit(X, y.astype(float))
    labels, proba = run(clf, X_test)
    assert labels.dtype == np.int64
    assert_parity(clf, X_test, labels, proba)


def test_the_deployment_guide_runs(tmp_path, monkeypatch):
    """The Python blocks of docs/deploy.md, in order: export, then serve."""
    guide = Path(__file__).parents[1] / "docs" / "deploy.md"
    blocks = re.findall(r"```python\n(.*?)```", guide.read_text(), flags=re.S)
    assert len(blocks) == 2
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for block in blocks:
        exec(compile(block, str(guide), "exec"), namespace)
    model, X = namespace["model"], namespace["X"]
    assert namespace["label"] == model.predict(X[:1])[0]
    np.testing.assert_allclose(
        namespace["proba"], model.predict_proba(X[:1])[0], rtol=0, atol=1e-5
    )


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_model_trained_on_a_gpu(split):
    X, y, X_test = split
    clf = TorchBinaryClassifier(device="cuda", ensemble_size=2, **SMALL).fit(X, y)
    labels, proba = run(clf, X_test)
    assert_parity(clf, X_test, labels, proba)
    assert next(clf.module_.parameters()).device.type == "cuda"  # left as it was
