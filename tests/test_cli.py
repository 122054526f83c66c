"""The sktorch-clf command line end to end: train, predict, evaluate and demo
in a temporary directory, text and --json output, and predictions equal to
the Python API's."""

import json
from importlib.metadata import entry_points

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier, load
from sktorch_clf.cli import main

FAST = ["--max-epochs", "3", "--random-state", "0"]
NUMERIC = ["length", "width", "grade"]
CATEGORICAL = ["colour"]


def run(argv, capsys):
    """``main(argv)``: its exit status, stdout and stderr."""
    try:
        status = main([str(a) for a in argv])
    except SystemExit as exc:  # --help, argument errors
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def make_table(n=120, seed=0, classes=("no", "yes")):
    """Numbers (with gaps), an integer column, a text column (with gaps)
    and a text target that depends on them."""
    rng = np.random.default_rng(seed)
    length, width = rng.normal(10, 3, n), rng.normal(0, 1, n)
    colour = rng.choice(["red", "green", "blue"], n).astype(object)
    score = (length - 10) / 3 + width + (colour == "red")
    cuts = np.quantile(score, np.linspace(0, 1, len(classes) + 1)[1:-1])
    frame = pd.DataFrame(
        {
            "row_id": np.arange(1000, 1000 + n),
            "length": length,
            "width": width,
            "grade": rng.integers(1, 4, n),
            "colour": colour,
            "target": np.asarray(classes, dtype=object)[np.digitize(score, cuts)],
        }
    )
    frame.loc[::7, "length"] = np.nan
    frame.loc[::11, "colour"] = np.nan
    return frame


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    paths = {}
    for name, classes in (("binary", ("no", "yes")), ("multi", ("a", "b", "c"))):
        paths[name] = root / f"{name}.csv"
        make_table(classes=classes).to_csv(paths[name], index=False)
        paths[f"{name}_new"] = root / f"{name}_new.csv"
        make_table(n=40, seed=1, classes=classes).to_csv(
            paths[f"{name}_new"], index=False
        )
    return paths


@pytest.fixture(scope="module")
def trained(files, tmp_path_factory):
    """A binary model trained once (2-fold cross-validation)."""
    out = tmp_path_factory.mktemp("model") / "model"
    status = main(
        [
            *("train", str(files["binary"]), "--target", "target"),
            *("--drop", "row_id", "--cv", "2", "--out", str(out), *FAST),
        ]
    )
    assert status == 0
    return out


def python_api(path, estimator):
    """What the command line trains, written with the Python API."""
    frame = pd.read_csv(path)
    X, y = frame.drop(columns=["target", "row_id"]), frame["target"]
    numbers = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    prep = make_column_transformer(
        (numbers, NUMERIC),
        ("passthrough", CATEGORICAL),
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    model = make_pipeline(prep, estimator).fit(X, y)
    return model.predict(X), model.predict_proba(X)


@pytest.mark.parametrize(
    ("name", "estimator"),
    [("binary", TorchBinaryClassifier), ("multi", TorchMulticlassClassifier)],
)
def test_round_trip_equals_python_api(files, tmp_path, capsys, name, estimator):
    out, preds = tmp_path / "model", tmp_path / "preds.csv"
    data = files[name]
    args = ["train", data, "--target", "target", "--drop", "row_id", "--cv", "0"]
    assert run([*args, "--out", out, *FAST], capsys)[0] == 0
    status, _, err = run(
        ["predict", out, data, "--proba", "--id", "row_id", "--out", preds], capsys
    )
    assert status == 0, err
    clf = estimator(categorical_features=CATEGORICAL, max_epochs=3, random_state=0)
    labels, proba = python_api(data, clf)
    got = pd.read_csv(preds)
    classes = sorted(set(labels))
    assert list(got.columns) == ["row_id", "prediction"] + [
        f"proba_{c}" for c in classes
    ]
    np.testing.assert_array_equal(got["row_id"], pd.read_csv(data)["row_id"])
    np.testing.assert_array_equal(got["prediction"], labels)
    np.testing.assert_allclose(got.iloc[:, 2:].to_numpy(), proba, rtol=1e-6)
    status, text, _ = run(["evaluate", out, data, "--target", "target"], capsys)
    assert status == 0
    accuracy = float(np.mean(labels == pd.read_csv(data)["target"]))
    assert f"accuracy           {accuracy:.3f}" in text


def test_train_text_says_columns_and_scores(files, tmp_path, capsys):
    out = tmp_path / "m"
    argv = ["train", files["multi"], "--target", "target", "--drop", "row_id"]
    status, text, _ = run([*argv, "--cv", "3", "--out", out, *FAST], capsys)
    assert status == 0
    assert "numeric      length, width, grade (3)" in text
    assert "categorical  colour (1)" in text
    assert "dropped      row_id (1)" in text
    assert "stratified 3-fold cross-validation" in text
    assert "balanced accuracy" in text
    assert "ROC AUC" not in text
    assert "classification report (out-of-fold predictions)" in text
    assert f"model written to {out}" in text
    assert sorted(p.name for p in out.iterdir()) == [
        "metrics.json", "model.safetensors", "model.txt", "preprocessing.json"
    ]  # fmt: skip
    metrics = json.loads((out / "metrics.json").read_text())
    scores = metrics["cross_validation"]["scores"]
    assert len(scores["accuracy"]["folds"]) == 3
    assert scores["accuracy"]["mean"] == pytest.approx(
        np.mean(scores["accuracy"]["folds"])
    )
    assert scores["roc_auc"] is None
    summary = (out / "model.txt").read_text()
    assert "categorical_features  ['colour']" in summary
    assert "max_epochs            3" in summary


def test_train_json_is_one_document(files, tmp_path, capsys):
    argv = ["train", files["binary"], "--target", "target", "--json", "--cv", "2"]
    status, out, _ = run([*argv, "--out", tmp_path / "m", *FAST], capsys)
    assert status == 0
    result = json.loads(out)  # the whole of stdout
    assert result["command"] == "train"
    assert result["task"] == "binary"
    assert result["target"]["classes"] == ["no", "yes"]
    assert result["columns"]["categorical"] == ["colour"]
    assert "row_id" in result["columns"]["numeric"]
    assert any("row_id" in note for note in result["notes"])  # an identifier?
    scores = result["cross_validation"]["scores"]
    assert 0 <= scores["roc_auc"]["mean"] <= 1
    assert set(scores) == {
        "accuracy", "balanced_accuracy", "precision_macro", "recall_macro",
        "f1_macro", "roc_auc", "log_loss",
    }  # fmt: skip


def test_predict_and_evaluate_json(trained, files, tmp_path, capsys):
    status, out, _ = run(["predict", trained, files["binary_new"], "--json"], capsys)
    assert status == 0
    result = json.loads(out)
    assert result["rows"] == 40 == len(result["predictions"])
    assert sum(result["class_counts"].values()) == 40
    plot = tmp_path / "eval.png"
    argv = ["evaluate", trained, files["binary_new"], "--json", "--plot", plot]
    status, out, _ = run(argv, capsys)
    assert status == 0
    result = json.loads(out)
    assert result["rows"] == 40
    assert np.sum(result["confusion_matrix"]["matrix"]) == 40
    assert result["confusion_matrix"]["labels"] == ["no", "yes"]
    assert 0 <= result["scores"]["roc_auc"] <= 1
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_predict_threshold_moves_labels(trained, files, capsys):
    def positives(threshold):
        argv = ["predict", trained, files["binary_new"], "--json"]
        status, out, _ = run([*argv, "--threshold", threshold], capsys)
        assert status == 0
        return json.loads(out)["class_counts"]["yes"]

    assert positives(0) == 40
    assert positives(1) <= positives(0.5) <= positives(0)


def test_predict_ignores_extra_columns_with_a_note(trained, files, tmp_path, capsys):
    frame = pd.read_csv(files["binary_new"]).drop(columns="target")
    frame["notes"] = "x"
    path = tmp_path / "new.csv"
    frame.to_csv(path, index=False)
    status, out, err = run(["predict", trained, path], capsys)
    assert status == 0
    assert "columns the model does not use are ignored: notes" in err
    assert out.splitlines()[0] == "prediction"
    assert len(out.splitlines()) == 41


def test_parquet_in_and_out(files, tmp_path, capsys):
    data, preds = tmp_path / "train.parquet", tmp_path / "preds.parquet"
    pd.read_csv(files["multi"]).to_parquet(data)
    argv = ["train", data, "--target", "target", "--cv", "0", "--out", tmp_path / "m"]
    assert run([*argv, *FAST], capsys)[0] == 0
    status, _, _ = run(["predict", tmp_path / "m", data, "--out", preds], capsys)
    assert status == 0
    assert set(pd.read_parquet(preds)["prediction"]) <= {"a", "b", "c"}


def test_saved_estimator_loads_with_the_python_api(trained):
    est = load(trained / "model.safetensors")
    assert list(est.feature_names_in_) == NUMERIC + CATEGORICAL
    assert list(est.classes_) == ["no", "yes"]


def test_demo(tmp_path, capsys):
    out = tmp_path / "demo"
    argv = ["demo", "--out", out, "--cv", "2", "--json", *FAST]
    status, text, _ = run(argv, capsys)
    assert status == 0
    result = json.loads(text)
    assert result["target"]["classes"] == ["Adelie", "Chinstrap", "Gentoo"]
    assert result["rows"] == 344
    assert result["columns"]["categorical"] == ["island", "sex"]
    assert (out / "model.safetensors").is_file()
    status, text, _ = run(["demo", "--out", out, "--cv", "0", *FAST], capsys)
    assert status == 0
    assert f"model written to {out}" in text
    assert f"sktorch-clf evaluate {out}" in text


@pytest.mark.parametrize("command", [None, "train", "predict", "evaluate", "demo"])
def test_help(command, capsys):
    status, out, err = run([*([command] if command else []), "--help"], capsys)
    assert status == 0
    assert out.startswith("usage: sktorch-clf")
    assert "examples:\n  sktorch-clf" in out
    assert err == ""


def test_console_script_is_main():
    # ``python -m sktorch_clf`` runs in test_cli_errors.py (one subprocess)
    (script,) = entry_points(group="console_scripts", name="sktorch-clf")
    assert script.load() is main


def test_version(capsys):
    from sktorch_clf import __version__

    status, out, _ = run(["--version"], capsys)
    assert status == 0
    assert out == f"sktorch-clf {__version__}\n"


def test_progress_lines_on_stderr(files, tmp_path, capsys):
    argv = ["train", files["binary"], "--target", "target", "--cv", "2"]
    argv += ["--out", tmp_path / "m", *FAST]
    status, _, err = run([*argv, "--verbose"], capsys)
    assert status == 0
    assert "fold 1/2: accuracy" in err
    assert "fold 2/2: accuracy" in err
    assert "fold 1 epoch 1/3: train loss" in err
    assert "training the final model on all 120 rows" in err
    assert "final model epoch 1/3: train loss" in err
    status, _, err = run([*argv, "--json"], capsys)
    assert status == 0
    assert "fold 1/2" not in err
    assert "final model" not in err


def test_train_threshold_is_stored(files, tmp_path, capsys):
    out = tmp_path / "m"
    argv = ["train", files["binary"], "--target", "target", "--cv", "0"]
    status, _, _ = run([*argv, "--threshold", "0.9", "--out", out, *FAST], capsys)
    assert status == 0
    assert load(out / "model.safetensors").threshold == 0.9
    assert "threshold             0.9" in (out / "model.txt").read_text()


def test_evaluate_plot_multiclass(files, tmp_path, capsys):
    out, plot = tmp_path / "m", tmp_path / "eval.png"
    argv = ["train", files["multi"], "--target", "target", "--cv", "0"]
    assert run([*argv, "--out", out, *FAST], capsys)[0] == 0
    status, text, _ = run(["evaluate", out, files["multi_new"], "--plot", plot], capsys)
    assert status == 0
    assert f"plot written to {plot}" in text
    assert "ROC AUC" not in text
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
