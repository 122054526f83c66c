"""Predictive quality of sktorch_clf against scikit-learn's classifiers on the
ten real datasets of ``quality_data.py`` (``--datasets more``: the fourteen of
``quality_more.py``, on which the defaults were checked, not chosen).

Protocol: each dataset is split once by ``StratifiedKFold(n_splits=K,
shuffle=True, random_state=0)`` and every model is fitted on the same folds,
one fit after another, with ``random_state=0`` where it has one (``--model-seed``
changes it, not the folds). Per fold:
accuracy, balanced accuracy, log loss (``labels=`` all classes), ROC AUC
(binary datasets), fit time (wall clock of ``fit`` of the whole pipeline,
preprocessing included), predict time, and the number of
``ConvergenceWarning`` raised by ``fit`` (recorded, not silenced). Tables show
mean ± std (ddof=1) over folds. Predicted probabilities are renormalized in
float64 before scoring. A fit that raises is recorded with its error and
makes that model's mean on that dataset NaN. One short untimed fit of this
package warms torch up before the first timed fit.

Models:

- ``sktorch``: ``TorchBinaryClassifier()`` / ``TorchMulticlassClassifier()``
  (by the number of classes), default parameters, after the "onehot"
  preprocessing: categorical columns (pandas category dtype) get
  ``SimpleImputer(strategy="most_frequent")`` + ``OneHotEncoder(
  handle_unknown="ignore", sparse_output=False)``, numeric columns
  ``SimpleImputer(strategy="median")`` + ``StandardScaler()``;
- ``mlp``: ``MLPClassifier()``, same preprocessing;
- ``mlp_es``: ``MLPClassifier((128, 64), early_stopping=True)``, same;
- ``logreg``: ``LogisticRegression(max_iter=1000)``, same;
- ``hgb``: ``HistGradientBoostingClassifier(categorical_features="from_dtype")``
  on the raw frame;
- ``realmlp`` (only with ``--with-realmlp`` or by name in ``--models``; slow;
  ``pip install pytabkit``): pytabkit's ``RealMLP_TD_Classifier`` on the raw
  frame, with only the missing numeric values imputed (median), since it
  refuses NaN in numeric columns; categorical columns go to it untouched;
- ``sktorch_cat`` (only by name in ``--models``): the "ordinal"
  preprocessing (``OrdinalEncoder`` with missing and unknown values as NaN on
  the categorical columns, imputer + scaler on numeric, pandas output), then
  the estimator with ``categorical_features=<the categorical column names>``;
- ``sktorch+LABEL``: one per ``--sktorch-params``, the ``sktorch`` model with
  the given parameters;
- ``sktorch_tuned`` (only by name in ``--models``): ``RandomizedSearchCV``
  of the ``sktorch`` estimator, 12 candidates from ``TUNED_SPACE`` (learning
  rate, network size, dropout, weight decay, batch size, numeric
  embedding), 3-fold, accuracy, after the same preprocessing; the chosen
  parameters are recorded per fold.

``--quick`` runs in a few minutes on a 2-core machine: 3 folds instead of 5
and every dataset reduced to at most 2,000 rows (a stratified sample, seed 0,
taken before the split), all ten datasets, the five default models (RealMLP
only if asked for); ``--folds`` and ``--max-rows`` given explicitly take
precedence. ``--threads N`` (default 1) gives torch and every BLAS / OpenMP
pool (threadpoolctl) N threads, and RealMLP ``n_threads=N``, so that all
models run on the same budget.

``--out`` writes a JSON file, rewritten after each dataset: ``meta`` (command
line, folds, rows, threads, git commit, versions), ``datasets`` (each one's
info from ``quality_data``, plus the rows used) and ``folds`` (one record per
dataset, model and fold: sizes, the estimator's repr, every metric, the
ConvergenceWarning messages or the error); ``--from-json`` prints the tables
and checks of such a file again.

At the end it prints the project's checks for the target model (``sktorch``
or ``--target-model``): accuracy >= mlp, mlp_es and logreg on every dataset
(ties within 0.3 points), log loss <= mlp's on every dataset, mean accuracy
>= hgb's, median over datasets of fit time / mlp's fit time <= 2, and no
ConvergenceWarning.

    pip install -e ".[bench]"
    python benchmarks/quality.py --quick --markdown
    python benchmarks/quality.py --out results.json --markdown       # all, 5 folds
    python benchmarks/quality.py --datasets penguins,credit --models sktorch,mlp
    python benchmarks/quality.py --quick --sktorch-params \\
        'wide={"hidden_layer_sizes": [256, 256], "lr": 0.003}'
    python benchmarks/quality.py --quick --models sktorch,sktorch_cat,hgb
    python benchmarks/quality.py --with-realmlp --out results.json
    python benchmarks/quality.py --from-json results.json --markdown
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import torch
from scipy.stats import loguniform
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    log_loss,
    roc_auc_score,
)
from sklearn.model_selection import (
    RandomizedSearchCV,
    StratifiedKFold,
    train_test_split,
)
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from threadpoolctl import threadpool_limits

import sktorch_clf
from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality_data import DATASETS
from quality_more import MORE_DATASETS

SEED = 0
#: Every loader by name: the ten, then the fourteen of ``--datasets more``.
LOADERS = {**DATASETS, **MORE_DATASETS}
DEFAULT_MODELS = ("sktorch", "mlp", "mlp_es", "logreg", "hgb")
QUICK_FOLDS, QUICK_MAX_ROWS = 3, 2_000
#: Accuracy differences within this (0.3 points) count as ties.
TIE = 0.003
#: Metrics of a fold, in table order.
METRICS = ("accuracy", "balanced_accuracy", "log_loss", "roc_auc", "fit_time")
TITLES = {
    "accuracy": "Accuracy (%)",
    "balanced_accuracy": "Balanced accuracy (%)",
    "log_loss": "Log loss",
    "roc_auc": "ROC AUC (binary datasets)",
    "fit_time": "Fit time (s)",
}
PYTABKIT_HINT = "the realmlp model needs pytabkit: pip install pytabkit"

# Warnings other than ConvergenceWarning seen during fit are shown again,
# once per message and place (warnings' own registry is reset whenever the
# filters change, as they do around every fit).
_SHOWN_WARNINGS: set[tuple] = set()


# -- preprocessing -------------------------------------------------------


def categorical_columns(X: pd.DataFrame) -> list[str]:
    """The columns of pandas category dtype."""
    return [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]


def numeric_columns(X: pd.DataFrame) -> list[str]:
    categorical = set(categorical_columns(X))
    return [c for c in X.columns if c not in categorical]


def _numeric_steps():
    return make_pipeline(SimpleImputer(strategy="median"), StandardScaler())


def onehot_preprocessing(X: pd.DataFrame) -> ColumnTransformer:
    """Impute + one-hot the categorical columns, impute + scale the rest."""
    categorical = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False),
    )
    return ColumnTransformer(
        [
            ("cat", categorical, categorical_columns(X)),
            ("num", _numeric_steps(), numeric_columns(X)),
        ]
    )


def ordinal_preprocessing(X: pd.DataFrame) -> ColumnTransformer:
    """Ordinal codes (NaN for missing and unseen) for the categorical columns,
    impute + scale the rest; a DataFrame out, original column names kept."""
    encoder = OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=np.nan,
        encoded_missing_value=np.nan,
    )
    transformer = ColumnTransformer(
        [
            ("cat", encoder, categorical_columns(X)),
            ("num", _numeric_steps(), numeric_columns(X)),
        ],
        verbose_feature_names_out=False,
    )
    return transformer.set_output(transform="pandas")


def impute_numeric_preprocessing(X: pd.DataFrame) -> ColumnTransformer:
    """Median-impute the numeric columns, pass the rest through as they are
    (a DataFrame out, category dtypes kept)."""
    transformer = ColumnTransformer(
        [("num", SimpleImputer(strategy="median"), numeric_columns(X))],
        remainder="passthrough",
        verbose_feature_names_out=False,
    )
    return transformer.set_output(transform="pandas")


#: Preprocessing by name: a function of the raw frame (its dtypes) returning
#: an unfitted transformer, or None for the raw frame.
PREPROCESSING: dict[str, Callable[[pd.DataFrame], ColumnTransformer] | None] = {
    "onehot": onehot_preprocessing,
    "ordinal": ordinal_preprocessing,
    "impute_numeric": impute_numeric_preprocessing,
    "raw": None,
}


# -- models --------------------------------------------------------------

#: Builds the bare estimator from the raw frame, the number of classes and
#: the thread budget.
Builder = Callable[[pd.DataFrame, int, int], object]


@dataclass(frozen=True)
class Model:
    name: str
    build: Builder
    preprocessing: str = "onehot"


def sktorch_builder(params: dict | None = None) -> Builder:
    def build(X, n_classes, threads):
        cls = TorchBinaryClassifier if n_classes == 2 else TorchMulticlassClassifier
        return cls(**(params or {}))

    return build


def sktorch_cat_build(X, n_classes, threads):
    categorical = categorical_columns(X)
    return sktorch_builder({"categorical_features": categorical or None})(
        X, n_classes, threads
    )


#: The search space of ``sktorch_tuned``: the parameters that matter most.
TUNED_SPACE = {
    "lr": loguniform(3e-4, 1e-2),
    "hidden_layer_sizes": [(128,), (256,), (128, 128), (256, 256), (512, 256, 128)],
    "dropout": [0.0, 0.1, 0.2],
    "weight_decay": [0.0, 1e-5, 1e-4, 1e-3],
    "batch_size": [64, 128, 256, 512],
    "numeric_embedding": [None, "periodic"],
}
TUNED_CANDIDATES, TUNED_CV = 12, 3


def sktorch_tuned_build(X, n_classes, threads):
    """A 12-candidate randomized search (3-fold, accuracy) over
    :data:`TUNED_SPACE`, around the defaults, refitted on the best."""
    estimator = sktorch_builder()(X, n_classes, threads).set_params(random_state=SEED)
    return RandomizedSearchCV(
        estimator,
        TUNED_SPACE,
        n_iter=TUNED_CANDIDATES,
        cv=TUNED_CV,
        scoring="accuracy",
        random_state=SEED,
    )


def realmlp_build(X, n_classes, threads):
    from pytabkit import RealMLP_TD_Classifier

    return RealMLP_TD_Classifier(device="cpu", n_threads=threads)


MODELS: dict[str, Model] = {
    "sktorch": Model("sktorch", sktorch_builder()),
    "mlp": Model("mlp", lambda X, k, t: MLPClassifier()),
    "mlp_es": Model(
        "mlp_es", lambda X, k, t: MLPClassifier((128, 64), early_stopping=True)
    ),
    "logreg": Model("logreg", lambda X, k, t: LogisticRegression(max_iter=1000)),
    "hgb": Model(
        "hgb",
        lambda X, k, t: HistGradientBoostingClassifier(
            categorical_features="from_dtype"
        ),
        "raw",
    ),
    "realmlp": Model("realmlp", realmlp_build, "impute_numeric"),
    "sktorch_cat": Model("sktorch_cat", sktorch_cat_build, "ordinal"),
    "sktorch_tuned": Model("sktorch_tuned", sktorch_tuned_build),
}


def build_model(
    model: Model, X: pd.DataFrame, n_classes: int, threads: int, seed: int = SEED
):
    """The unfitted estimator (pipeline) of ``model`` for the frame ``X``,
    with ``random_state=seed`` where it has one."""
    estimator = model.build(X, n_classes, threads)
    if "random_state" in estimator.get_params(deep=False):
        estimator.set_params(random_state=seed)
    preprocessing = PREPROCESSING[model.preprocessing]
    return (
        estimator
        if preprocessing is None
        else make_pipeline(preprocessing(X), estimator)
    )


def _short(value) -> str:
    if isinstance(value, list | tuple):
        return "-".join(map(str, value))
    return str(value)


def parse_sktorch_params(text: str) -> Model:
    """A ``sktorch+LABEL`` model from ``'LABEL={json}'`` or ``'{json}'``
    (then the label lists the parameters)."""
    label, body = "", text
    if not text.lstrip().startswith("{"):
        label, sep, body = text.partition("=")
        if not sep:
            raise argparse.ArgumentTypeError(
                f"--sktorch-params takes '{{json}}' or 'LABEL={{json}}', got {text!r}"
            )
    try:
        params = json.loads(body)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not isinstance(params, dict):
        raise argparse.ArgumentTypeError("--sktorch-params must be a JSON object")
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    try:
        TorchBinaryClassifier().set_params(**params)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    label = label.strip() or ",".join(f"{k}={_short(v)}" for k, v in params.items())
    return Model(f"sktorch+{label}", sktorch_builder(params))


def require(names: list[str]) -> None:
    """Exit with a clear message if an optional model cannot be built."""
    if "sktorch_cat" in names and (
        "categorical_features" not in TorchBinaryClassifier().get_params()
    ):
        sys.exit(
            f"sktorch_cat needs the categorical_features parameter, which the "
            f"installed sktorch_clf ({sktorch_clf.__file__}) does not have"
        )
    if "realmlp" in names:
        try:
            import pytabkit  # noqa: F401
        except ImportError:
            sys.exit(PYTABKIT_HINT)


def select_models(args: argparse.Namespace) -> dict[str, Model]:
    names = list(args.models or DEFAULT_MODELS)
    if args.with_realmlp and "realmlp" not in names:
        names.append("realmlp")
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        sys.exit(f"unknown model(s) {unknown}; choose from {', '.join(MODELS)}")
    require(names)
    models = {n: MODELS[n] for n in names}
    models.update({m.name: m for m in args.sktorch_params})
    return models


# -- one fold ------------------------------------------------------------


def align_proba(proba, model_classes, classes: np.ndarray) -> np.ndarray:
    """Probabilities in float64 with one column per class of the dataset
    (zeros for a class the model never saw), rows renormalized: float32
    outputs (RealMLP's) miss a sum of one by more than log_loss allows."""
    aligned = np.zeros((len(proba), len(classes)))
    aligned[:, np.searchsorted(classes, model_classes)] = proba
    return aligned / aligned.sum(axis=1, keepdims=True)


def scores(y_true, pred, proba: np.ndarray, classes: np.ndarray) -> dict:
    out = {
        "accuracy": accuracy_score(y_true, pred),
        "balanced_accuracy": balanced_accuracy_score(y_true, pred),
        "log_loss": log_loss(y_true, proba, labels=classes),
    }
    if len(classes) == 2:
        out["roc_auc"] = roc_auc_score(y_true == classes[1], proba[:, 1])
    return out


def timed_fit(model, X, y) -> tuple[float, list[str]]:
    """Fit time and the ConvergenceWarning messages of the fit; other
    warnings are shown as usual."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        model.fit(X, y)
        fit_time = time.perf_counter() - start
    convergence = []
    for w in caught:
        key = (w.category, str(w.message), w.filename, w.lineno)
        if issubclass(w.category, ConvergenceWarning):
            convergence.append(str(w.message))
        elif key not in _SHOWN_WARNINGS:
            _SHOWN_WARNINGS.add(key)
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return fit_time, convergence


def fit_and_score(model, X_train, y_train, X_test, y_test, classes) -> dict:
    fit_time, convergence = timed_fit(model, X_train, y_train)
    start = time.perf_counter()
    proba = model.predict_proba(X_test)
    pred = model.predict(X_test)
    predict_time = time.perf_counter() - start
    proba = align_proba(proba, model.classes_, classes)
    return {
        **scores(np.asarray(y_test), pred, proba, classes),
        "fit_time": fit_time,
        "predict_time": predict_time,
        "convergence_warnings": len(convergence),
        "convergence_messages": sorted(set(convergence)),
    }


# -- one dataset ---------------------------------------------------------


def subsample(X: pd.DataFrame, y: pd.Series, max_rows: int | None):
    """A stratified sample of at most ``max_rows`` rows (seed 0), in the
    original order."""
    if max_rows is None or len(X) <= max_rows:
        return X, y
    keep, _ = train_test_split(
        np.arange(len(X)), train_size=max_rows, stratify=y, random_state=SEED
    )
    keep = np.sort(keep)
    return X.iloc[keep].reset_index(drop=True), y.iloc[keep].reset_index(drop=True)


def final_estimator(estimator):
    return estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator


def run_model(model: Model, X, y, splits, threads: int, seed: int = SEED):
    """One record per fold: its scores, or the error the fit raised."""
    classes = np.unique(y)
    records = []
    for fold, (train, test) in enumerate(splits):
        estimator = build_model(model, X, len(classes), threads, seed)
        record = {
            "model": model.name,
            "fold": fold,
            "n_train": len(train),
            "n_test": len(test),
            "estimator": repr(final_estimator(estimator)),
        }
        data = (X.iloc[train], y.iloc[train], X.iloc[test], y.iloc[test])
        try:
            record |= fit_and_score(estimator, *data, classes)
            best = getattr(final_estimator(estimator), "best_params_", None)
            if best is not None:  # a search: what it chose
                record["best_params"] = repr(best)
        except Exception as exc:
            record["error"] = f"{type(exc).__name__}: {exc}"
            print(f"    fold {fold}: {record['error']}", file=sys.stderr)
        records.append(record)
    return records


def progress_line(records: list[dict]) -> str:
    done = [r for r in records if "error" not in r]
    errors = len(records) - len(done)
    if not done:
        return f"all {errors} fits failed"
    accuracy = statistics.fmean(r["accuracy"] for r in done)
    fit_time = statistics.fmean(r["fit_time"] for r in done)
    warned = sum(r["convergence_warnings"] for r in done)
    line = f"accuracy {accuracy:.4f}, fit {fit_time:.2f} s, {warned} ConvergenceWarning"
    return line + (f", {errors} failed fits" if errors else "")


def run_dataset(name: str, models: dict[str, Model], args, prefix: str):
    """``(info, records)`` of every model on every fold of dataset ``name``."""
    X, y, info = LOADERS[name]()
    X, y = subsample(X, y, args.max_rows)
    info = {**info, "n_rows_used": len(X)}
    cv = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=SEED)
    splits = list(cv.split(X, y))
    print(
        f"{prefix} {name}: {len(X)} rows, {X.shape[1]} columns, "
        f"{info['n_classes']} classes, {args.folds} folds",
        file=sys.stderr,
    )
    records = []
    for model in models.values():
        model_records = run_model(model, X, y, splits, args.threads, args.model_seed)
        print(f"    {model.name}: {progress_line(model_records)}", file=sys.stderr)
        records += [{"dataset": name, **r} for r in model_records]
    return info, records


# -- the run -------------------------------------------------------------


def git_state() -> str:
    try:
        return subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_meta(args, models: dict[str, Model]) -> dict:
    return {
        "argv": sys.argv[1:],
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "folds": args.folds,
        "max_rows": args.max_rows,
        "quick": args.quick,
        "threads": args.threads,
        "seed": SEED,
        "model_seed": args.model_seed,
        "models": {name: m.preprocessing for name, m in models.items()},
        "target_model": args.target_model,
        "commit": git_state(),
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "sktorch_clf": getattr(sktorch_clf, "__version__", "?"),
        },
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
    }


def save(results: dict, path: str) -> None:
    def default(obj):
        return obj.item() if hasattr(obj, "item") else str(obj)

    Path(path).write_text(json.dumps(results, indent=1, default=default) + "\n")


def warm_up() -> None:
    """One short untimed fit, so that torch's one-time start-up costs do
    not land on the first timed fit."""
    rng = np.random.default_rng(SEED)
    X, y = rng.normal(size=(64, 4)), np.arange(64) % 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        TorchBinaryClassifier(max_epochs=2, random_state=SEED).fit(X, y)


def run(args, models: dict[str, Model]) -> dict:
    """Every dataset, every model, every fold; saved after each dataset."""
    warm_up()
    results = {"meta": run_meta(args, models), "datasets": {}, "folds": []}
    start = time.perf_counter()
    for i, name in enumerate(args.datasets, 1):
        prefix = f"[{i}/{len(args.datasets)}]"
        info, records = run_dataset(name, models, args, prefix)
        results["datasets"][name] = info
        results["folds"] += records
        results["meta"]["wall_time_s"] = round(time.perf_counter() - start, 1)
        if args.out:
            save(results, args.out)
    return results


# -- summary -------------------------------------------------------------


@dataclass
class Summary:
    """Per-dataset (rows) and per-model (columns) results."""

    mean: dict[str, pd.DataFrame]  # metric -> mean over folds
    std: dict[str, pd.DataFrame]  # metric -> std over folds (ddof=1)
    convergence: pd.DataFrame  # ConvergenceWarnings, summed over folds
    errors: pd.DataFrame  # failed fits
    n_folds: int
    models: list[str] = field(default_factory=list)


def summarize(records: list[dict]) -> Summary:
    """Means and stds over folds; a fold that failed makes its mean NaN."""
    folds = pd.DataFrame(records).reindex(
        columns=["dataset", "model", "fold", *METRICS, "convergence_warnings", "error"]
    )
    datasets = list(dict.fromkeys(folds["dataset"]))
    models = list(dict.fromkeys(folds["model"]))
    grouped = folds.groupby(["dataset", "model"], sort=False)

    def pivot(values: pd.Series) -> pd.DataFrame:
        return values.unstack("model").reindex(index=datasets, columns=models)

    def mean(values):
        return values.mean(skipna=False)

    return Summary(
        mean={m: pivot(grouped[m].agg(mean)) for m in METRICS},
        std={m: pivot(grouped[m].std()) for m in METRICS},
        convergence=pivot(grouped["convergence_warnings"].sum()),
        errors=pivot(grouped["error"].count()),
        n_folds=int(folds["fold"].max()) + 1,
        models=models,
    )


def render(title: str, header: list[str], rows: list[list[str]], markdown: bool):
    """A table as markdown or as aligned plain text; the first and any
    text column ("lost on") left-aligned, numbers right-aligned."""
    left = [i == 0 or name == "lost on" for i, name in enumerate(header)]
    if markdown:
        lines = [f"### {title}", "", "| " + " | ".join(header) + " |"]
        lines.append("|" + "".join("---|" if x else "---:|" for x in left))
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines) + "\n"
    widths = [max(map(len, column)) for column in zip(header, *rows, strict=True)]

    def line(cells):
        padded = [
            c.ljust(w) if x else c.rjust(w)
            for c, w, x in zip(cells, widths, left, strict=True)
        ]
        return "  ".join(padded).rstrip()

    return "\n".join([title, line(header), *map(line, rows)]) + "\n"


#: Display scale and decimals of each metric.
FORMATS = {
    "accuracy": (100, 2),
    "balanced_accuracy": (100, 2),
    "log_loss": (1, 4),
    "roc_auc": (1, 4),
    "fit_time": (1, 2),
}


def metric_table(summary: Summary, metric: str, markdown: bool) -> str:
    """Mean ± std per dataset and model, then the mean over datasets."""
    mean = summary.mean[metric].dropna(how="all")
    if mean.empty:
        return ""
    std = summary.std[metric].loc[mean.index]
    scale, digits = FORMATS[metric]
    rows = [
        [dataset]
        + [
            f"{m * scale:.{digits}f} ± {s * scale:.{digits}f}"
            for m, s in zip(mean.loc[dataset], std.loc[dataset], strict=True)
        ]
        for dataset in mean.index
    ]
    overall = mean.mean(skipna=False)
    rows.append([f"mean of {len(mean)}"] + [f"{v * scale:.{digits}f}" for v in overall])
    return render(TITLES[metric], ["dataset", *mean.columns], rows, markdown)


def count_table(counts: pd.DataFrame, title: str, markdown: bool) -> str:
    rows = [[d, *(f"{v:.0f}" for v in counts.loc[d])] for d in counts.index]
    return render(title, ["dataset", *counts.columns], rows, markdown)


def wins_table(summary: Summary, target: str, markdown: bool) -> str:
    """Datasets on which ``target``'s accuracy beats, ties (within 0.3
    points) or trails each other model's."""
    accuracy = summary.mean["accuracy"]
    rows = []
    for other in accuracy.columns.drop(target):
        diff = (accuracy[target] - accuracy[other]).dropna()
        lost = diff.index[diff < -TIE]
        won, tied = (diff > TIE).sum(), (diff.abs() <= TIE).sum()
        cells = [other, str(won), str(tied), str(len(lost)), ", ".join(lost) or "-"]
        rows.append(cells)
    title = f"{target} against each model: accuracy wins / ties (within 0.3 points)"
    header = ["model", "wins", "ties", "losses", "lost on"]
    return render(title + " / losses over datasets", header, rows, markdown)


# -- the project's checks ------------------------------------------------

Check = tuple[str, str, str]  # status, what is checked, details


def _status(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def check_every_dataset(summary, target, metric, other, better) -> Check:
    """``better(ours, theirs)`` on every dataset (NaN fails)."""
    what = {
        "accuracy": f"accuracy >= {other}'s on every dataset (ties within 0.3 points)",
        "log_loss": f"log loss <= {other}'s on every dataset",
    }[metric]
    table = summary.mean[metric]
    if other not in table:
        return "SKIP", what, f"{other} was not run"
    scale, digits = FORMATS[metric]
    bad = [
        f"{d} ({ours * scale:.{digits}f} vs {theirs * scale:.{digits}f})"
        for d, ours, theirs in zip(
            table.index, table[target], table[other], strict=True
        )
        if not better(ours, theirs)
    ]
    return _status(not bad), what, ", ".join(bad)


def check_mean_accuracy(summary, target, other="hgb") -> Check:
    what = f"mean accuracy over datasets >= {other}'s"
    table = summary.mean["accuracy"]
    if other not in table:
        return "SKIP", what, f"{other} was not run"
    ours, theirs = table[target].mean(skipna=False), table[other].mean(skipna=False)
    return _status(ours >= theirs), what, f"{ours:.2%} vs {theirs:.2%}"


def check_fit_time(summary, target, other="mlp", bound=2.0) -> Check:
    what = f"median over datasets of fit time / {other}'s <= {bound:g}"
    table = summary.mean["fit_time"]
    if other not in table:
        return "SKIP", what, f"{other} was not run"
    ratio = table[target] / table[other]
    median = ratio.median(skipna=False)
    above = ", ".join(f"{d} {r:.2f}" for d, r in ratio.items() if not r <= bound)
    return _status(median <= bound), what, f"median {median:.2f}; above: {above or '-'}"


def check_no_warnings(summary, target) -> Check:
    counts = summary.convergence[target]
    bad = [f"{d} ({n:.0f} in {summary.n_folds} fits)" for d, n in counts.items() if n]
    return _status(not bad), "no ConvergenceWarning", ", ".join(bad)


def check_no_errors(summary, target) -> Check:
    counts = summary.errors[target]
    bad = [f"{d} ({n:.0f} of {summary.n_folds})" for d, n in counts.items() if n]
    return _status(not bad), "every fit succeeded", ", ".join(bad)


def project_checks(summary: Summary, target: str) -> list[Check]:
    def at_least(ours, theirs):
        return ours >= theirs - TIE

    def at_most(ours, theirs):
        return ours <= theirs

    return [
        *(
            check_every_dataset(summary, target, "accuracy", other, at_least)
            for other in ("mlp", "mlp_es", "logreg")
        ),
        check_every_dataset(summary, target, "log_loss", "mlp", at_most),
        check_mean_accuracy(summary, target),
        check_fit_time(summary, target),
        check_no_warnings(summary, target),
        check_no_errors(summary, target),
    ]


# -- report and command line ---------------------------------------------


def report(results: dict, target: str, markdown: bool) -> None:
    """The tables, the wins of ``target`` and the project's checks."""
    summary = summarize(results["folds"])
    meta = results["meta"]
    print(
        f"{len(summary.mean['accuracy'])} datasets, {meta['folds']} folds, "
        f"max rows {meta['max_rows']}, {meta['threads']} thread(s), "
        f"commit {meta['commit']}, torch {meta['versions']['torch']}, "
        f"scikit-learn {meta['versions']['scikit-learn']}\n"
    )
    for metric in METRICS:
        print(metric_table(summary, metric, markdown))
    title = "ConvergenceWarnings raised by fit (sum over folds)"
    print(count_table(summary.convergence, title, markdown))
    if summary.errors.to_numpy().any():
        print(count_table(summary.errors, "Failed fits", markdown))
    if target not in summary.models:
        print(f"Checks skipped: {target} is not among the models run.")
        return
    if len(summary.models) > 1:
        print(wins_table(summary, target, markdown))
    print(f"Checks for {target}:")
    for status, what, details in project_checks(summary, target):
        print(f"  {status}  {what}" + (f": {details}" if details else ""))


def comma_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def add_run_options(add) -> None:
    add(
        "--datasets",
        type=comma_list,
        default=list(DATASETS),
        help=f"comma-separated, default the ten: {','.join(DATASETS)}; 'more' "
        f"for the {len(MORE_DATASETS)} of quality_more.py",
    )
    add(
        "--quick",
        action="store_true",
        help=f"{QUICK_FOLDS} folds, at most {QUICK_MAX_ROWS} rows per dataset "
        "(unless --folds / --max-rows say otherwise)",
    )
    add("--folds", type=int, default=None, help="CV folds (default 5)")
    add(
        "--max-rows",
        type=int,
        default=None,
        help="stratified subsample (seed 0) of each dataset before CV",
    )
    add(
        "--threads",
        type=int,
        default=1,
        help="torch and BLAS / OpenMP threads for every model (default 1)",
    )
    add(
        "--model-seed",
        type=int,
        default=SEED,
        help="random_state of every model that has one (default 0; the folds "
        "and the subsample keep seed 0): rerun with others to see which "
        "differences are the seed's",
    )


def add_model_options(add) -> None:
    add(
        "--models",
        type=comma_list,
        default=None,
        help=f"comma-separated from {','.join(MODELS)}; "
        f"default {','.join(DEFAULT_MODELS)}",
    )
    add(
        "--with-realmlp",
        action="store_true",
        help="add pytabkit's RealMLP_TD_Classifier (slow; pip install pytabkit)",
    )
    add(
        "--sktorch-params",
        action="append",
        default=[],
        metavar="[LABEL=]JSON",
        type=parse_sktorch_params,
        help="an extra sktorch configuration, run as model sktorch+LABEL "
        "(repeatable), e.g. 'wide={\"hidden_layer_sizes\": [256, 256]}'",
    )
    add(
        "--target-model",
        default="sktorch",
        help="the model the wins and checks are about (default sktorch)",
    )


def add_output_options(add) -> None:
    add("--out", help="write every fold's numbers to this JSON file")
    add("--markdown", action="store_true", help="print markdown tables")
    add(
        "--from-json",
        metavar="PATH",
        help="report an earlier --out file instead of running",
    )


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    for add_options in (add_run_options, add_model_options, add_output_options):
        add_options(parser.add_argument)
    args = parser.parse_args(argv)
    if "more" in args.datasets:
        at = args.datasets.index("more")
        args.datasets[at : at + 1] = list(MORE_DATASETS)
    unknown = set(args.datasets) - set(LOADERS)
    if unknown:
        parser.error(
            f"unknown dataset(s) {sorted(unknown)}; choose from {list(LOADERS)}"
        )
    if args.folds is None:
        args.folds = QUICK_FOLDS if args.quick else 5
    if args.folds < 2 or args.threads < 1 or (args.max_rows or 1) < 1:
        parser.error("--folds must be >= 2, --threads and --max-rows >= 1")
    if args.max_rows is None and args.quick:
        args.max_rows = QUICK_MAX_ROWS
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.from_json:
        results = json.loads(Path(args.from_json).read_text())
    else:
        models = select_models(args)
        torch.set_num_threads(args.threads)
        with threadpool_limits(limits=args.threads):
            results = run(args, models)
    report(results, args.target_model, args.markdown)


if __name__ == "__main__":
    main()
