"""``sktorch-clf train``: columns and target from a table, stratified
cross-validation, then one model fitted on all rows and saved."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from . import _metrics, _model_dir, _report
from ._errors import InputError, estimator_errors
from ._output import Console
from ._prep import Prep, infer_columns
from ._progress import Progress, progress_for
from ._table import read_table
from ._target import Target, choose_task, training_labels


def run(args, console: Console) -> int:
    """Train, cross-validate and save; the result on stdout."""
    out = Path(args.out)
    frame = read_table(args.data)
    features, labels, kind = _split(frame, args, console)
    task = choose_task(labels, kind, args.model, args.target)
    if task == "multiclass" and args.threshold is not None:
        raise InputError("--threshold applies to binary models only")
    numeric, categorical, empty = infer_columns(
        features, categorical=args.categorical, note=console.note
    )
    if not numeric and not categorical:
        raise InputError("no feature column has any values")
    _model_dir.prepare(out)
    classes = [c.item() if isinstance(c, np.generic) else c for c in np.unique(labels)]
    target = Target(args.target, kind, classes)
    features = features[numeric + categorical]
    progress = progress_for(console.json_mode, args.verbose)
    cv = None
    if args.cv:
        cv = cross_validate(
            features, labels, task, args, progress, (numeric, categorical)
        )
    prep, estimator, seconds = _fit_final(
        features, labels, task, args, (numeric, categorical), progress, console.note
    )
    dropped = [*args.drop, *empty]
    model = _model_dir.Model(estimator, prep, target, task, dropped)
    result = {
        "command": "train",
        "data": str(args.data),
        "rows": len(labels),
        "target": target.to_dict(),
        "task": task,
        "class_counts": _counts(labels, classes),
        "columns": {"numeric": numeric, "categorical": categorical, "dropped": dropped},
        "parameters": _report.parameters(estimator),
        "cross_validation": cv,
        "fit_seconds": seconds,
        "model_dir": str(out),
    }
    metrics = {k: result[k] for k in ("task", "rows", "class_counts")}
    metrics["classes"] = classes
    metrics["cross_validation"] = cv
    _model_dir.save(out, model, _plain_json(metrics), _report.summary(result))
    console.emit(result)
    console.say(_report.train_text(result))
    return 0


def _fit_final(
    features: pd.DataFrame,
    labels: np.ndarray,
    task: str,
    args,
    roles: tuple[list[str], list[str]],
    progress: Progress,
    note,
) -> tuple[Prep, object, float]:
    """The preprocessing and the estimator fitted on all rows, and the
    seconds it took."""
    start = time.perf_counter()
    prep = Prep.fit(features, *roles)
    estimator = new_estimator(task, args, roles[1])
    X = prep.transform(features, note)
    progress.line(f"training the final model on all {len(labels)} rows")
    with progress.fit("final model", estimator.max_epochs) as callbacks:
        estimator.set_params(callbacks=callbacks)
        with estimator_errors("training failed"):
            estimator.fit(X, labels)
    estimator.set_params(callbacks=None)
    return prep, estimator, time.perf_counter() - start


def _split(
    frame: pd.DataFrame, args, console: Console
) -> tuple[pd.DataFrame, np.ndarray, str]:
    """The feature columns and the labels of the rows that have one."""
    columns = list(frame.columns)
    if args.target not in columns:
        raise InputError(
            f"--target {args.target!r} is not a column of {args.data}; its "
            f"columns are: {_listing(columns)}"
        )
    unknown = [c for c in args.drop if c not in columns]
    if unknown:
        raise InputError(
            f"--drop names columns not in {args.data}: {', '.join(unknown)}"
        )
    if args.target in args.drop:
        raise InputError(f"--drop names the target column {args.target!r}")
    labels, keep, kind = training_labels(frame, args.target, console.note)
    features = frame.drop(columns=[args.target, *args.drop])
    if features.shape[1] == 0:
        raise InputError("no feature columns are left besides the target")
    return features[keep], labels, kind


def _listing(names: list[str], limit: int = 12) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" ... ({len(names)} in all)" if len(names) > limit else "")


def new_estimator(task: str, args, categorical: list[str]):
    """The estimator for ``task`` with the command's settings; every other
    parameter keeps the library's default."""
    from .. import TorchBinaryClassifier, TorchMulticlassClassifier

    params = {
        "categorical_features": categorical or None,
        "random_state": args.random_state,
        "device": args.device,
    }
    if args.max_epochs is not None:
        params["max_epochs"] = args.max_epochs
    if task == "binary":
        if args.threshold is not None:
            params["threshold"] = args.threshold
        return TorchBinaryClassifier(**params)
    return TorchMulticlassClassifier(**params)


def cross_validate(
    features: pd.DataFrame,
    labels: np.ndarray,
    task: str,
    args,
    progress: Progress,
    roles: tuple[list[str], list[str]],
) -> dict:
    """Stratified K-fold scores (mean ± std), out-of-fold report and
    confusion matrix; each fold's preprocessing is fitted on its training
    rows only."""
    classes, counts = np.unique(labels, return_counts=True)
    if counts.min() < args.cv:
        rare = classes[np.argmin(counts)]
        raise InputError(
            f"--cv {args.cv} needs at least {args.cv} rows of each class; class "
            f"{rare!r} has {counts.min()} (lower --cv, or pass --cv 0 to skip)"
        )
    numeric, categorical = roles
    folds = StratifiedKFold(args.cv, shuffle=True, random_state=args.random_state)
    oof = np.empty(len(labels), dtype=labels.dtype)
    fold_scores = []
    with progress.folds(args.cv):
        for i, (train, test) in enumerate(folds.split(features, labels), 1):
            start = time.perf_counter()
            prep = Prep.fit(features.iloc[train], numeric, categorical)
            est = new_estimator(task, args, categorical)
            X_train = prep.transform(features.iloc[train])
            X_test = prep.transform(features.iloc[test])
            with progress.fit(f"fold {i}", est.max_epochs) as callbacks:
                est.set_params(callbacks=callbacks)
                with estimator_errors(f"training fold {i} failed"):
                    est.fit(X_train, labels[train])
            proba, oof[test] = est.predict_proba(X_test), est.predict(X_test)
            scores = _metrics.scores(labels[test], oof[test], proba, list(classes))
            fold_scores.append(scores)
            elapsed = time.perf_counter() - start
            progress.fold_done(i, args.cv, scores["accuracy"], elapsed)
    text, table = _metrics.report(labels, oof, list(classes))
    return {
        "folds": args.cv,
        "scores": _metrics.summarise(fold_scores),
        "classification_report": table,
        "classification_report_text": text,
        "confusion_matrix": _metrics.confusion(labels, oof, list(classes)),
    }


def _counts(labels: np.ndarray, classes: list) -> dict:
    values, n = np.unique(labels, return_counts=True)
    found = dict(zip(values.tolist(), n.tolist(), strict=True))
    return {str(c): found[c] for c in classes}


def _plain_json(value: object) -> object:
    from ._output import plain

    return plain(value)
