"""The model directory of sktorch-clf: plain JSON and safetensors, read
without pickle, and every tampered or damaged file refused with one line and
exit code 2."""

import hashlib
import json
import pickle
import shutil

import numpy as np
import pandas as pd
import pytest
import torch

from sktorch_clf.cli import main

FAST = ["--max-epochs", "2", "--cv", "0"]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A binary and a multiclass model trained on the same columns."""
    root = tmp_path_factory.mktemp("models")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=60),
            "k": rng.choice(["u", "v"], 60),
            "two": np.repeat([0, 1], 30),
            "three": np.repeat(["a", "b", "c"], 20),
        }
    )
    data = root / "data.csv"
    frame.to_csv(data, index=False)
    for target, drop in (("two", "three"), ("three", "two")):
        argv = ["train", data, "--target", target, "--drop", drop]
        assert main([str(a) for a in [*argv, "--out", root / target, *FAST]]) == 0
    return root, data


@pytest.fixture
def model(models, tmp_path):
    """A fresh copy of the binary model, free to tamper with."""
    root, data = models
    copy = tmp_path / "model"
    shutil.copytree(root / "two", copy)
    return copy, data


def predict(model_dir, data, capsys):
    try:
        status = main(["predict", str(model_dir), str(data), "--json"])
    except SystemExit as exc:  # pragma: no cover - argument errors
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def assert_refused(model_dir, data, capsys, match):
    status, out, err = predict(model_dir, data, capsys)
    assert status == 2, err
    assert out == ""
    assert err.count("\n") == 1, err
    assert match in err, err


def edit_json(model_dir, change):
    path = model_dir / "preprocessing.json"
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def set_digest(model_dir):
    digest = hashlib.sha256((model_dir / "model.safetensors").read_bytes())
    edit_json(model_dir, lambda d: d.update(model_sha256=digest.hexdigest()))


def test_preprocessing_is_plain_validated_json(model):
    model_dir, _ = model
    document = json.loads((model_dir / "preprocessing.json").read_text())
    assert document["format"] == "sktorch_clf.cli"
    assert [c["name"] for c in document["numeric"]] == ["x"]
    assert [c["name"] for c in document["categorical"]] == ["k"]
    assert document["target"] == {"name": "two", "kind": "int", "classes": [0, 1]}
    assert document["dropped"] == ["three"]


def test_loading_never_unpickles(model, capsys, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("unpickling")

    for module, name in ((pickle, "load"), (pickle, "loads"), (torch, "load")):
        monkeypatch.setattr(module, name, refuse)
    status, out, err = predict(*model, capsys)
    assert status == 0, err
    assert json.loads(out)["rows"] == 60


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.update(extra=1), "unknown keys ['extra']"),
        (lambda d: d.pop("target"), "missing keys ['target']"),
        (lambda d: d.update(version=2), "version must be 1"),
        (lambda d: d.update(format="pickle"), "format must be one of"),
        (lambda d: d["numeric"][0].update(scale=-1.0), "scale must be above zero"),
        (lambda d: d["numeric"][0].update(mean="0"), "mean must be a number"),
        (lambda d: d["target"].update(classes=[1, 0]), "sorted"),
        (lambda d: d["target"].update(classes=[0, 1, 2]), "do not belong together"),
        (lambda d: d.update(task="multiclass"), "do not belong together"),
        (lambda d: d["categorical"][0].update(name="x"), "repeats a name"),
        (lambda d: d.update(model_sha256="0" * 64), "changed after training"),
    ],
)
def test_tampered_preprocessing_is_refused(model, capsys, change, match):
    edit_json(model[0], change)
    assert_refused(*model, capsys, match)


def test_json_that_is_not_json(model, capsys):
    model_dir, data = model
    path = model_dir / "preprocessing.json"
    path.write_text(path.read_text().replace('"mean": ', '"mean": NaN, "m": ', 1))
    assert_refused(model_dir, data, capsys, "holds NaN, which is not JSON")
    path.write_text("{")
    assert_refused(model_dir, data, capsys, "is not valid JSON")


def test_changed_weights_are_refused(model, capsys):
    model_dir, data = model
    path = model_dir / "model.safetensors"
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0xFF
    path.write_bytes(bytes(raw))
    assert_refused(model_dir, data, capsys, "model.safetensors was changed")
    path.write_bytes(b"garbage")
    set_digest(model_dir)
    assert_refused(model_dir, data, capsys, "cannot be loaded")


def test_model_file_of_another_model_is_refused(models, model, capsys):
    root, _ = models
    model_dir, data = model
    shutil.copy(root / "three" / "model.safetensors", model_dir)
    set_digest(model_dir)
    assert_refused(model_dir, data, capsys, "a TorchMulticlassClassifier for a binary")


@pytest.mark.parametrize("name", ["model.safetensors", "preprocessing.json"])
def test_missing_file(model, capsys, name):
    (model[0] / name).unlink()
    assert_refused(*model, capsys, f"not a model directory (no {name})")


def test_retraining_into_a_model_directory_replaces_it(model, capsys):
    model_dir, data = model
    argv = ["train", data, "--target", "three", "--out", model_dir, *FAST]
    assert main([str(a) for a in argv]) == 0
    capsys.readouterr()
    status, out, _ = predict(model_dir, data, capsys)
    assert status == 0
    assert set(json.loads(out)["class_counts"]) == {"a", "b", "c"}
