"""Bad input to sktorch-clf: exit code 2, one line on stderr naming the
problem, nothing on stdout (also under --json), never a traceback."""

import importlib.util
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sktorch_clf.cli import main

FAST = ["--max-epochs", "2", "--cv", "0"]


def run(argv, capsys):
    try:
        status = main([str(a) for a in argv])
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def assert_bad_input(argv, capsys, match):
    """Exit code 2, one line on stderr that contains ``match``, empty stdout
    (with and without --json)."""
    for extra in ([], ["--json"]):
        status, out, err = run([*argv, *extra], capsys)
        assert status == 2, err
        assert out == ""
        assert err.endswith("\n"), err
        assert err.count("\n") == 1, err
        assert "Traceback" not in err
        assert match in err, err


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=60),
            "z": rng.normal(size=60),
            "kind": rng.choice(["p", "q"], 60),
            "y": np.repeat(["a", "b", "c"], 20),
        }
    )
    path = root / "train.csv"
    frame.to_csv(path, index=False)
    return root, path, frame


@pytest.fixture(scope="module")
def model(data):
    root, path, _ = data
    out = root / "model"
    assert main(["train", str(path), "--target", "y", "--out", str(out), *FAST]) == 0
    return out


def write(root, name, frame):
    path = root / name
    frame.to_csv(path, index=False)
    return path


def test_missing_and_unreadable_files(data, tmp_path, capsys):
    root, _, _ = data
    train = ["--target", "y", "--out", tmp_path / "m"]
    assert_bad_input(["train", root / "nope.csv", *train], capsys, "no such file")
    assert_bad_input(["train", root, *train], capsys, "is a directory")
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"not a parquet file")
    assert_bad_input(["train", junk, *train], capsys, f"cannot read {junk}")


def test_empty_files(tmp_path, capsys):
    empty, header = tmp_path / "empty.csv", tmp_path / "header.csv"
    empty.write_text("")
    header.write_text("x,y\n")
    out = ["--target", "y", "--out", tmp_path / "m"]
    assert_bad_input(["train", empty, *out], capsys, "is empty")
    assert_bad_input(["train", header, *out], capsys, "has no data rows")


def test_unknown_target_and_drop_columns(data, tmp_path, capsys):
    _, path, _ = data
    out = ["--out", tmp_path / "m"]
    assert_bad_input(
        ["train", path, "--target", "label", *out], capsys, "--target 'label'"
    )
    assert_bad_input(
        ["train", path, "--target", "y", "--drop", "x", "w", *out],
        capsys,
        "--drop names columns not in",
    )
    assert_bad_input(
        ["train", path, "--target", "y", "--drop", "y", *out], capsys, "target column"
    )


def test_target_with_one_class(data, tmp_path, capsys):
    _, _, frame = data
    path = write(tmp_path, "one.csv", frame.assign(y="a"))
    argv = ["train", path, "--target", "y", "--out", tmp_path / "m"]
    assert_bad_input(argv, capsys, "has one class")


@pytest.mark.parametrize(
    "values",
    [np.linspace(0, 1, 60), np.arange(60)],
    ids=["fractions", "many-integers"],
)
def test_continuous_target_suggests_regression(data, tmp_path, capsys, values):
    _, _, frame = data
    path = write(tmp_path, "reg.csv", frame.assign(y=values))
    argv = ["train", path, "--target", "y", "--out", tmp_path / "m"]
    assert_bad_input(argv, capsys, "looks continuous")
    assert_bad_input(argv, capsys, "regression")


def test_training_settings_that_do_not_fit(data, tmp_path, capsys):
    _, path, _ = data
    train = ["train", path, "--target", "y", "--out", tmp_path / "m"]
    assert_bad_input([*train, "--cv", "30"], capsys, "--cv 30 needs at least 30 rows")
    assert_bad_input([*train, "--model", "binary"], capsys, "two classes")
    assert_bad_input([*train, "--threshold", "0.3"], capsys, "binary models only")
    assert_bad_input([*train, "--cv", "1"], capsys, "argument --cv: must be >= 2 or 0")
    assert_bad_input([*train, "--threshold", "1.5"], capsys, "must be in [0.0, 1.0]")
    assert_bad_input(["train", path], capsys, "required: --target")
    assert_bad_input(["fit", path], capsys, "invalid choice: 'fit'")


def test_out_that_is_not_a_model_directory(data, tmp_path, capsys):
    _, path, _ = data
    (tmp_path / "other.txt").write_text("keep me")
    train = ["train", path, "--target", "y"]
    assert_bad_input([*train, "--out", tmp_path], capsys, "holds other files")
    assert_bad_input([*train, "--out", tmp_path / "other.txt"], capsys, "is a file")


def test_missing_model_directory(data, tmp_path, capsys):
    _, path, _ = data
    assert_bad_input(
        ["predict", tmp_path / "gone", path], capsys, "no such model directory"
    )
    assert_bad_input(["evaluate", tmp_path, path], capsys, "not a model directory")


def test_predict_file_without_training_columns(data, model, tmp_path, capsys):
    _, _, frame = data
    path = write(tmp_path, "new.csv", frame.drop(columns=["z", "kind"]))
    assert_bad_input(
        ["predict", model, path], capsys, "lacks the training columns: z, kind"
    )


def test_predict_and_evaluate_options(data, model, tmp_path, capsys):
    _, path, frame = data
    assert_bad_input(["predict", model, path, "--id", "nope"], capsys, "--id 'nope'")
    assert_bad_input(
        ["predict", model, path, "--threshold", "0.5"], capsys, "binary models only"
    )
    assert_bad_input(
        ["evaluate", model, path, "--target", "x2"], capsys, "--target 'x2'"
    )
    unseen = write(tmp_path, "unseen.csv", frame.assign(y="d"))
    assert_bad_input(["evaluate", model, unseen], capsys, "not trained on: d")
    text = write(tmp_path, "text.csv", frame.assign(x="many"))
    assert_bad_input(["predict", model, text], capsys, "should hold numbers")


def test_subprocess_bad_input_is_one_line(tmp_path):
    argv = ["train", tmp_path / "no.csv", "--target", "y", "--json"]
    done = subprocess.run(
        [sys.executable, "-m", "sktorch_clf", *argv],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"sktorch-clf train: error: {tmp_path / 'no.csv'}: no such file"
    ]


def test_json_output_of_a_success_is_only_json(data, model, capsys):
    _, path, _ = data
    status, out, _ = run(["evaluate", model, path, "--json"], capsys)
    assert status == 0
    assert json.loads(out)["command"] == "evaluate"


def test_without_safetensors_before_any_training(data, tmp_path, capsys, monkeypatch):
    _, path, _ = data
    real = importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == "safetensors" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    argv = ["train", path, "--target", "y", "--out", tmp_path / "m"]
    assert_bad_input(argv, capsys, 'pip install "sktorch-clf[cli]"')
    assert not (tmp_path / "m").exists()
