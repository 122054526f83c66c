"""``sktorch-clf predict`` and ``sktorch-clf evaluate``: a saved model on a
new table."""

from __future__ import annotations

import pandas as pd

from . import _metrics, _model_dir
from ._errors import InputError
from ._output import Console, confusion_table, key_values, metrics_table
from ._table import read_table, write_table
from ._target import labelled_rows


def features(
    model: _model_dir.Model,
    frame: pd.DataFrame,
    path: str,
    console: Console,
    used_elsewhere: tuple = (),
) -> pd.DataFrame:
    """The estimator's input from ``frame``: every training column must be
    there; other columns are ignored with a note."""
    columns = model.prep.columns
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(f"{path} lacks the training columns: {', '.join(missing)}")
    skipped = set(used_elsewhere) | set(model.dropped) | {model.target.name}
    extra = [c for c in frame.columns if c not in columns and c not in skipped]
    if extra:
        console.note(f"columns the model does not use are ignored: {', '.join(extra)}")
    return model.prep.transform(frame, console.note)


def _load(args, console: Console) -> _model_dir.Model:
    model = _model_dir.load(args.model_dir, device=args.device, note=console.note)
    if args.threshold is not None:
        if model.task != "binary":
            raise InputError("--threshold applies to binary models only")
        model.estimator.set_params(threshold=args.threshold)
    return model


def run_predict(args, console: Console) -> int:
    """Predicted labels (and probabilities) for each row of a table."""
    model = _load(args, console)
    frame = read_table(args.data)
    if args.id is not None and args.id not in frame.columns:
        raise InputError(f"--id {args.id!r} is not a column of {args.data}")
    ids = () if args.id is None else (args.id,)
    X = features(model, frame, args.data, console, used_elsewhere=ids)
    table = predictions(model, X, args.proba)
    if args.id is not None:
        table.insert(0, args.id, frame[args.id].to_numpy())
    labels = table["prediction"].to_numpy()
    counts = {str(c): int((labels == c).sum()) for c in model.target.classes}
    result = {
        "command": "predict",
        "model_dir": str(args.model_dir),
        "data": str(args.data),
        "rows": len(table),
        "out": None if args.out is None else str(args.out),
        "class_counts": counts,
    }
    if args.out is not None:
        write_table(table, args.out)
        console.say(f"{len(table)} predictions written to {args.out}")
        console.say(key_values([(k, str(v)) for k, v in counts.items()]))
    elif console.json_mode:
        result["predictions"] = table.to_dict(orient="records")
    else:
        console.say(table.to_csv(index=False).rstrip("\n"))
    console.emit(result)
    return 0


def predictions(model: _model_dir.Model, X: pd.DataFrame, proba: bool) -> pd.DataFrame:
    """``prediction`` and, with ``proba``, one ``proba_<class>`` column per
    class."""
    out = pd.DataFrame({"prediction": model.estimator.predict(X)}, index=X.index)
    if proba:
        p = model.estimator.predict_proba(X)
        for j, c in enumerate(model.target.classes):
            out[f"proba_{c}"] = p[:, j]
    return out.reset_index(drop=True)


def run_evaluate(args, console: Console) -> int:
    """The model's scores, report and confusion matrix on a labelled table."""
    model = _load(args, console)
    frame = read_table(args.data)
    name = model.target.name if args.target is None else args.target
    if name not in frame.columns:
        raise InputError(f"--target {name!r} is not a column of {args.data}")
    y, keep = labelled_rows(frame, model.target, name, console.note)
    X = features(model, frame[keep], args.data, console, used_elsewhere=(name,))
    classes = model.target.classes
    proba, y_pred = model.estimator.predict_proba(X), model.estimator.predict(X)
    scores = _metrics.scores(y, y_pred, proba, classes)
    text, report = _metrics.report(y, y_pred, classes)
    confusion = _metrics.confusion(y, y_pred, classes)
    if args.plot is not None:
        from ._plot import plot

        plot(args.plot, y, proba, confusion, classes)
    console.emit(
        {
            "command": "evaluate",
            "model_dir": str(args.model_dir),
            "data": str(args.data),
            "rows": len(y),
            "scores": scores,
            "classification_report": report,
            "confusion_matrix": confusion,
            "plot": None if args.plot is None else str(args.plot),
        }
    )
    console.say(f"{args.data}: {len(y)} labelled rows, target {name!r}")
    console.say(metrics_table(scores, spread=False))
    console.say("\nclassification report\n" + text.rstrip())
    console.say("\nconfusion matrix\n" + confusion_table(confusion))
    if args.plot is not None:
        console.say(f"\nplot written to {args.plot}")
    return 0
