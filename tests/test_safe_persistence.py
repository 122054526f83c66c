"""est.save / sktorch_clf.load: safetensors + JSON, and no code ever runs."""

import json
import os
import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from sklearn.exceptions import NotFittedError
from torch import nn

import sktorch_clf
from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier, load


def rewrite(path, change_header=None, change_tensors=None):
    """Re-save ``path`` after editing its JSON header and/or tensors."""
    with safe_open(str(path), framework="pt") as f:
        header = json.loads(f.metadata()["sktorch_clf"])
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    if change_header:
        change_header(header)
    if change_tensors:
        change_tensors(tensors)
    save_file(tensors, str(path), metadata={"sktorch_clf": json.dumps(header)})


@pytest.fixture
def saved(tmp_path, binary_data):
    X, y = binary_data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    clf = TorchBinaryClassifier(
        hidden_layer_sizes=(8, 4), threshold=0.3, max_epochs=5, random_state=0
    ).fit(frame, np.array(["no", "yes"])[y])
    path = tmp_path / "model.safetensors"
    clf.save(path)
    return clf, frame, path


def test_round_trip_predicts_identically(saved):
    clf, frame, path = saved
    loaded = load(path)
    assert type(loaded) is TorchBinaryClassifier
    np.testing.assert_array_equal(loaded.predict_proba(frame), clf.predict_proba(frame))
    np.testing.assert_array_equal(loaded.predict(frame), clf.predict(frame))
    np.testing.assert_array_equal(loaded.classes_, clf.classes_)
    assert loaded.classes_.dtype == clf.classes_.dtype
    assert list(loaded.feature_names_in_) == list(clf.feature_names_in_)
    assert loaded.get_params()["threshold"] == 0.3
    assert loaded.get_params()["hidden_layer_sizes"] == (8, 4)
    assert loaded.loss_curve_ == clf.loss_curve_
    with pytest.raises(ValueError, match="feature names"):
        loaded.predict(frame.rename(columns={"f0": "zz"}))


def test_multiclass_with_int_labels_and_continued_training(tmp_path, multiclass_data):
    X, y = multiclass_data
    clf = TorchMulticlassClassifier(max_epochs=3, random_state=0).fit(X, y + 10)
    clf.save(tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    assert loaded.classes_.dtype.kind == "i"
    loaded.partial_fit(X, y + 10)  # usable for more training
    assert loaded.n_iter_ == 4


class Net(nn.Module):
    def __init__(self, n_features_in, n_outputs, width=5):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_features_in, width), nn.Tanh())
        self.head = nn.Linear(width, n_outputs)

    def forward(self, X):
        return self.head(self.body(X))


def test_custom_module_needs_its_definition(tmp_path, binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(
        module=Net, module_kwargs={"width": 7}, max_epochs=3, random_state=0
    ).fit(X, y)
    path = tmp_path / "custom.safetensors"
    clf.save(path)
    with pytest.raises(ValueError, match=r"custom module: pass .* module=\.\.\."):
        load(path)
    loaded = load(path, module=Net)
    assert loaded.module_.body[0].out_features == 7  # module_kwargs were stored
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    with pytest.raises(ValueError, match="do not fit the network"):
        load(path, module=lambda n_features_in, n_outputs, width: nn.Linear(6, 1))


def test_int_hidden_layer_sizes_round_trip(tmp_path, binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(hidden_layer_sizes=12, max_epochs=2).fit(X, y)
    clf.save(tmp_path / "int.safetensors")
    loaded = load(tmp_path / "int.safetensors")
    assert loaded.hidden_layer_sizes == (12,)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_not_fitted(tmp_path):
    with pytest.raises(NotFittedError):
        TorchBinaryClassifier().save(tmp_path / "x.safetensors")


def test_wrong_shapes_are_rejected(saved):
    _, _, path = saved
    rewrite(path, change_tensors=lambda t: t.update({"0.weight": torch.zeros(9, 6)}))
    with pytest.raises(
        ValueError, match=r"wrong shape .*'0.weight': \(\(9, 6\), \(8, 6\)\)"
    ):
        load(path)


def test_unknown_tensors_are_rejected(saved):
    _, _, path = saved
    rewrite(path, change_tensors=lambda t: t.update({"evil": torch.zeros(1)}))
    with pytest.raises(ValueError, match=r"unexpected tensors \['evil'\]"):
        load(path)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda h: h.update(hook="os.system('rm -rf /')"), r"unknown keys \['hook'\]"),
        (lambda h: h.update(estimator="os.system"), "unknown estimator 'os.system'"),
        (lambda h: h["params"].update(activation="__import__"), "invalid parameters"),
        (lambda h: h["params"].update(hidden_layer_sizes=["x"]), "invalid parameters"),
        (lambda h: h["params"].update(hidden_layer_sizes=-3), "invalid parameters"),
        (
            lambda h: h["params"].update(loader="pickle"),
            r"unknown parameters \['loader'\]",
        ),
        (
            lambda h: h["fitted"].update(classes_dtype="V8"),
            "unsupported classes_ dtype",
        ),
        (lambda h: h["fitted"].update(n_features_in="six"), "invalid fitted"),
        (lambda h: h.update(format="other/9"), "is not a sktorch_clf/1 model file"),
        (lambda h: h.pop("fitted"), r"missing keys \['fitted'\]"),
    ],
    ids=[
        "extra_key",
        "class",
        "activation",
        "sizes_type",
        "sizes_value",
        "param",
        "dtype",
        "n_features",
        "format",
        "missing",
    ],
)
def test_tampered_headers_are_rejected(saved, change, match):
    _, _, path = saved
    rewrite(path, change_header=change)
    with pytest.raises(ValueError, match=match):
        load(path)


class Payload:
    """Unpickling this would create a marker file: it must never happen."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_pickle_renamed_to_safetensors_runs_no_code(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.safetensors"
    path.write_bytes(pickle.dumps(Payload(str(marker))))
    with pytest.raises(ValueError, match="not a readable safetensors model file"):
        load(path)
    assert not marker.exists()
    assert not os.path.exists(marker)


def test_version_mismatch_warns(saved):
    clf, frame, path = saved
    rewrite(path, change_header=lambda h: h["versions"].update(torch="1.0.0"))
    with pytest.warns(UserWarning, match=r"other versions .*'torch': \('1.0.0'"):
        loaded = load(path)
    np.testing.assert_array_equal(loaded.predict(frame), clf.predict(frame))


def test_load_is_exported():
    assert sktorch_clf.load is load
