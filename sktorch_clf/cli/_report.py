"""Text for people: the result of ``train`` on the terminal and in
``model.txt``."""

from __future__ import annotations

from ._output import key_values, metrics_table, plain

# Parameters that are code or run-time settings, not part of the model's
# description.
_NOT_SHOWN = ("module", "callbacks", "verbose")


def parameters(estimator) -> dict:
    """The estimator's parameters as JSON values (code left out)."""
    params = estimator.get_params(deep=False)
    return {
        k: plain(v)
        for k, v in sorted(params.items())
        if k not in _NOT_SHOWN and _simple(v)
    }


def _simple(value: object) -> bool:
    if isinstance(value, tuple | list):
        return all(_simple(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _simple(v) for k, v in value.items())
    return isinstance(value, int | float | str | bool) or value is None


def _overview(result: dict) -> list[tuple[str, str]]:
    target, columns = result["target"], result["columns"]
    counts = ", ".join(f"{c} {n}" for c, n in result["class_counts"].items())
    rows = [
        ("data", f"{result['data']} ({result['rows']} rows)"),
        ("target", f"{target['name']} ({result['task']}: {counts})"),
        ("numeric", _names(columns["numeric"])),
        ("categorical", _names(columns["categorical"])),
    ]
    if columns["dropped"]:
        rows.append(("dropped", _names(columns["dropped"])))
    return rows


def _names(names: list[str]) -> str:
    return f"{', '.join(names)} ({len(names)})" if names else "none"


def _cv_text(cv: dict | None) -> list[str]:
    if cv is None:
        return ["", "cross-validation skipped (--cv 0)"]
    return [
        "",
        f"stratified {cv['folds']}-fold cross-validation",
        metrics_table(cv["scores"], spread=True),
        "",
        "classification report (out-of-fold predictions)",
        cv["classification_report_text"].rstrip(),
    ]


def train_text(result: dict) -> str:
    """What ``train`` prints: columns, scores, where the model went."""
    lines = [key_values(_overview(result)), *_cv_text(result["cross_validation"])]
    lines += ["", f"model written to {result['model_dir']}"]
    return "\n".join(lines)


def summary(result: dict) -> str:
    """``model.txt``: columns, classes, parameters and scores."""
    from .. import __version__

    params = result["parameters"]
    lines = [
        f"sktorch-clf {__version__} model",
        "",
        key_values(_overview(result)),
        "",
        "parameters",
        key_values([(k, repr(v)) for k, v in params.items()]),
        *_cv_text(result["cross_validation"]),
        "",
        f"final fit on all rows: {result['fit_seconds']:.1f} s",
    ]
    return "\n".join(lines) + "\n"
