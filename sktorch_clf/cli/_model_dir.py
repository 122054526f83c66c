"""The model directory: what ``train`` writes and ``predict`` / ``evaluate``
read back, with every file checked on the way in.

Files:

- ``model.safetensors``: the fitted estimator (``est.save``; weights in
  safetensors, parameters and fitted state as JSON, no pickle).
- ``preprocessing.json``: the columns, the numeric statistics, the target's
  classes and the SHA-256 digest of ``model.safetensors``.
- ``metrics.json``: the cross-validation scores (for people and scripts).
- ``model.txt``: a short human-readable summary.

Loading reads only ``preprocessing.json`` and ``model.safetensors``; a
missing file, an unknown or missing key, a wrong type, a digest that does not
match, or an estimator that disagrees with the preprocessing is an
:class:`InputError`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import _schema
from ._errors import InputError, one_line
from ._prep import Prep
from ._target import Target

FORMAT = "sktorch_clf.cli"
VERSION = 1
MODEL = "model.safetensors"
PREP = "preprocessing.json"
METRICS = "metrics.json"
SUMMARY = "model.txt"
FILES = (MODEL, PREP, METRICS, SUMMARY)
TASKS = ("binary", "multiclass")
_KEYS = {"format", "version", "task", "target", "numeric", "categorical"}
_KEYS |= {"dropped", "model_sha256"}


@dataclass
class Model:
    """A loaded model directory: the estimator and what surrounds it."""

    estimator: object
    prep: Prep
    target: Target
    task: str
    dropped: list[str]


def prepare(out: Path) -> None:
    """Make ``out`` ready to hold a model (created if needed).

    Raises
    ------
    InputError
        ``out`` is a file, or a folder that holds other files than a model's,
        or safetensors (needed to save the model) is not installed.
    """
    if importlib.util.find_spec("safetensors") is None:
        raise InputError(
            'saving a model needs safetensors: pip install "sktorch-clf[cli]"'
        )
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a directory for the model")
    if out.is_dir():
        others = sorted(p.name for p in out.iterdir() if p.name not in FILES)
        if others:
            raise InputError(
                f"--out {out} holds other files ({', '.join(others[:3])}); "
                "choose a new or empty directory"
            )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {out}: {exc.strerror or exc}") from exc


def save(out: Path, model: Model, metrics: dict, summary: str) -> None:
    """Write the four files of a model directory into ``out``."""
    try:
        model.estimator.save(out / MODEL)
    except ImportError as exc:
        raise InputError(
            'saving a model needs safetensors: pip install "sktorch-clf[cli]"'
        ) from exc
    document = {
        "format": FORMAT,
        "version": VERSION,
        "task": model.task,
        "target": model.target.to_dict(),
        **model.prep.to_dict(),
        "dropped": model.dropped,
        "model_sha256": _digest(out / MODEL),
    }
    _write(out / PREP, json.dumps(document, indent=2, allow_nan=False) + "\n")
    _write(out / METRICS, json.dumps(metrics, indent=2, allow_nan=False) + "\n")
    _write(out / SUMMARY, summary)


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def load(directory: str | Path, *, device: str = "cpu", note=None) -> Model:
    """Read and check a model directory.

    Parameters
    ----------
    directory : str or Path
    device : str, default="cpu"
        Where the network runs.
    note : callable, default=None
        Receives remarks (e.g. a model saved with other package versions).

    Raises
    ------
    InputError
        A missing directory or file, or a file that was changed or damaged.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(f"{directory}: no such model directory")
    for name in (PREP, MODEL):
        if not (directory / name).is_file():
            raise InputError(
                f"{directory} is not a model directory (no {name}); "
                "train one with: sktorch-clf train"
            )
    try:
        text = (directory / PREP).read_text(encoding="utf-8")
        document = _schema.parse(text, PREP)
        parts = _parts(document)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{directory}: invalid {PREP}: {exc}") from exc
    if _digest(directory / MODEL) != parts.pop("model_sha256"):
        raise InputError(
            f"{directory}: {MODEL} was changed after training (its SHA-256 "
            f"digest differs from the one in {PREP})"
        )
    estimator = _estimator(directory / MODEL, device, note)
    model = Model(estimator=estimator, **parts)
    _check_agree(model, directory)
    return model


def _parts(document: object) -> dict:
    """The checked entries of ``preprocessing.json``."""
    _schema.record(document, _KEYS, "the document")
    _schema.string(document["format"], "format", (FORMAT,))
    if document["version"] != VERSION or isinstance(document["version"], bool):
        raise ValueError(
            f"version must be {VERSION}, got {document['version']!r} "
            "(a model from another sktorch-clf release?)"
        )
    digest = _schema.string(document["model_sha256"], "model_sha256")
    if len(digest) != 64 or not set(digest) <= set("0123456789abcdef"):
        raise ValueError("model_sha256 must be 64 hexadecimal digits")
    return {
        "prep": Prep.from_dict(document["numeric"], document["categorical"]),
        "target": Target.from_dict(document["target"]),
        "task": _schema.string(document["task"], "task", TASKS),
        "dropped": _schema.strings(document["dropped"], "dropped"),
        "model_sha256": digest,
    }


def _estimator(path: Path, device: str, note) -> object:
    from .. import load as load_estimator

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            estimator = load_estimator(path, device=device)
        except ImportError as exc:
            raise InputError(
                'loading a model needs safetensors: pip install "sktorch-clf[cli]"'
            ) from exc
        except (ValueError, TypeError, RuntimeError) as exc:
            raise InputError(f"{path} cannot be loaded: {one_line(exc)}") from exc
    for warning in caught:
        if note is not None:
            note(one_line(warning.message))
    return estimator


def _check_agree(model: Model, directory: Path) -> None:
    """The estimator fits the preprocessing: class, columns and classes."""
    est = model.estimator
    expected = {"binary": "TorchBinaryClassifier"}.get(
        model.task, "TorchMulticlassClassifier"
    )
    names = getattr(est, "feature_names_in_", None)
    problems = []
    if type(est).__name__ != expected:
        problems.append(f"a {type(est).__name__} for a {model.task} task")
    if names is None or list(names) != model.prep.columns:
        problems.append("other feature columns than the preprocessing's")
    if [_plain(c) for c in est.classes_] != model.target.classes:
        problems.append("other classes than the target's")
    if problems:
        raise InputError(
            f"{directory}: the files do not belong together ({'; '.join(problems)})"
        )


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value
