"""A safe model file: weights in safetensors, everything else as typed JSON.

This module owns the file format: the header's layout, the format versions
and their readers, the checks on the fitted state, the weights (tied tensors
stored once), and :func:`save` / :func:`load`. How parameter values become
JSON and back is :mod:`._typed_json`'s.

Loading never unpickles and never imports or calls anything the file names:
the estimator class comes from a fixed list, the default MLP is rebuilt from
its (validated) parameters, classes stored by name are looked up in a fixed
allow-list, and a custom network must be passed by the caller. Weights must
match the rebuilt network key for key and shape for shape. Both parts live in
one ``.safetensors`` file: the JSON is stored in the header's metadata.

Format versions: version 2 is written; files of version 1 are upgraded to
version 2 when read (:func:`_from_v1`), and a newer version asks for an
upgrade of the package.
"""

from __future__ import annotations

import contextlib
import json
import os
import warnings
from collections import Counter
from typing import TYPE_CHECKING

import sklearn
import torch

from ._batches import TensorData
from ._data import resolve_device, seeded
from ._fitted import fitted_state, restore_fitted_state
from ._network import check_hidden_layer_sizes
from ._typed_json import MAX_DEPTH, decode, depth, encode, expect_list

if TYPE_CHECKING:
    from ._base import BaseTorchClassifier

StrPath = str | os.PathLike

FORMAT = "sktorch_clf"
VERSION = 2
# Parameters a file does not hold: code (``module``, ``callbacks``) and where
# the network runs (``device``, chosen by ``load``).
NOT_STORED = ("module", "callbacks", "device")
_HEADER = {
    "format", "version", "estimator", "params", "custom_module", "fitted", "versions"
}  # fmt: skip
_HEADER_OPTIONAL = {"history", "tied"}
_FITTED = {"classes", "n_features_in", "loss_curve", "n_iter"}
_FITTED_OPTIONAL = {
    "feature_names_in": None,
    "validation_scores": None,
    "best_validation_score": None,
    "best_epoch": None,
    "best_loss": None,  # None: the lowest of loss_curve
    "seed": 0,
    "is_categorical": None,
    "categories": None,
}


def _safetensors() -> tuple:
    """safetensors' ``safe_open`` and ``save_file``, imported when needed."""
    try:
        from safetensors import safe_open
        from safetensors.torch import save_file
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "save() / load() need the safetensors package: "
            'pip install "sktorch-clf[safe]"'
        ) from exc
    return safe_open, save_file


def versions() -> dict:
    """The versions of the packages a file records (and ``load`` compares)."""
    from . import __version__

    return {
        "sktorch_clf": __version__,
        "torch": torch.__version__.split("+")[0],
        "scikit-learn": sklearn.__version__,
    }


# -- save ---------------------------------------------------------------------
def save(est: BaseTorchClassifier, path: StrPath) -> None:
    """Write fitted ``est`` to ``path`` (see :func:`load`)."""
    _, save_file = _safetensors()
    if type(est).__name__ not in _estimators():
        raise TypeError(
            f"save() stores {sorted(_estimators())}, not a {type(est).__name__}"
        )
    params = est.get_params(deep=False)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "estimator": type(est).__name__,
        "params": {k: encode(v, k) for k, v in params.items() if k not in NOT_STORED},
        "custom_module": est.module is not None,
        "fitted": {
            k: encode(v, f"{k}_" if k != "seed" else "the training seed")
            for k, v in fitted_state(est).items()
        },
        "history": _history_rows(est.history_),
        "versions": versions(),
    }
    tensors, header["tied"] = _tensors(est.module_.state_dict())
    try:
        metadata = json.dumps(header, allow_nan=False)
    except (TypeError, ValueError) as exc:  # pragma: no cover - encode checks
        raise TypeError(f"save() cannot write the header: {exc}") from exc
    save_file(tensors, str(path), metadata={"sktorch_clf": metadata})


def _history_rows(history: list[dict]) -> list[dict]:
    """Each epoch's row without the per-batch lists; values the typed JSON
    cannot hold (a callback may record anything) are left out."""
    rows = []
    for row in history:
        kept = {}
        for key, value in row.items():
            if key != "batches" and isinstance(key, str):
                with contextlib.suppress(TypeError):
                    kept[key] = encode(value, key)
        rows.append(kept)
    return rows


def _storage_key(t: torch.Tensor) -> int | tuple:
    """Tensors with the same key are one tensor under two names."""
    if t.numel() == 0:
        return id(t)
    ptr = t.untyped_storage().data_ptr()
    return (t.device, ptr, t.storage_offset(), tuple(t.shape), t.stride(), t.dtype)


def _ties(state: dict) -> dict:
    """``{alias: name}`` for the entries of ``state`` that are the tensor of
    an earlier entry (e.g. tied weights)."""
    tied, first = {}, {}
    for name, t in state.items():
        tied_to = first.setdefault(_storage_key(t), name)
        if tied_to != name:
            tied[name] = tied_to
    return tied


def _tensors(state: dict) -> tuple[dict, dict]:
    """The CPU tensors to write, each tied tensor once, and the ties.

    safetensors refuses tensors that share memory: tied ones are written
    under one name, and tensors that overlap otherwise are copied.
    """
    tied = _ties(state)
    tensors = {
        k: v.detach().cpu().contiguous() for k, v in state.items() if k not in tied
    }
    uses = Counter(t.untyped_storage().data_ptr() for t in tensors.values())
    for name, t in tensors.items():
        if t.numel() and uses[t.untyped_storage().data_ptr()] > 1:
            tensors[name] = t.clone()
    return tensors, tied


# -- load ---------------------------------------------------------------------
def load(path: StrPath, *, module=None, device: str = "cpu") -> BaseTorchClassifier:
    """Load a model written by ``save``; no code from the file runs.

    Parameters
    ----------
    path : str or path-like
        The ``.safetensors`` file.
    module : torch.nn.Module class, factory or instance, default=None
        Required when the model was trained with a custom ``module``: the
        same network definition (the file holds its weights, not its code).
    device : str, default='cpu'
        Where the loaded network runs.

    Returns
    -------
    estimator : TorchBinaryClassifier or TorchMulticlassClassifier
        A fitted estimator that predicts as the saved one did.
    """
    header, tensors = _read(path)
    est = _new_estimator(header, module, path)
    _set_params(est, header["params"], module, device, path)
    try:
        restore_fitted_state(est, _fitted(header["fitted"]))
        history = _history(header["history"], est)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"{path} has invalid fitted attributes: {exc}") from exc
    _build(est, resolve_device(device), path)
    _load_weights(est, tensors, header["tied"], path)
    est.net_.history.clear()
    for row in history:
        est.net_.history.append({"batches": [], **row})
    _check_versions(header["versions"], path)
    return est


def _new_estimator(header: dict, module, path: StrPath) -> BaseTorchClassifier:
    """An unfitted estimator of the stored class, once ``module`` is known
    to be given exactly when the file holds a custom network."""
    estimators = _estimators()
    if header["estimator"] not in estimators:
        raise ValueError(f"unknown estimator {header['estimator']!r} in {path}")
    if header["custom_module"] and module is None:
        raise ValueError(
            f"{path} holds the weights of a custom module: pass the same "
            "network definition with load(path, module=...)"
        )
    if module is not None and not header["custom_module"]:
        raise ValueError(f"{path} holds the default MLP: load it without module=")
    return estimators[header["estimator"]]()


def _estimators() -> dict[str, type]:
    from ._binary import TorchBinaryClassifier
    from ._multiclass import TorchMulticlassClassifier

    return {c.__name__: c for c in (TorchBinaryClassifier, TorchMulticlassClassifier)}


def _set_params(
    est: BaseTorchClassifier, stored: dict, module, device: str, path: StrPath
) -> None:
    known = set(est.get_params(deep=False)) - set(NOT_STORED)
    unknown = sorted(set(stored) - known)
    if unknown:
        raise ValueError(f"{path} has unknown parameters {unknown}")
    try:
        params = {k: decode(v, f"params[{k!r}]") for k, v in stored.items()}
        est.set_params(**params, module=module, device=device)
        est._validate_params()
        check_hidden_layer_sizes(est.hidden_layer_sizes)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"invalid parameters in {path}: {exc}") from exc


def _fitted(stored: dict) -> dict:
    """The fitted state, optional entries filled in."""
    state = {k: decode(v, f"{k}_") for k, v in stored.items()}
    state = {**_FITTED_OPTIONAL, **state}
    if state["best_loss"] is None and state["loss_curve"]:
        state["best_loss"] = min(state["loss_curve"])
    return state


def _history(rows: object, est: BaseTorchClassifier) -> list[dict]:
    if rows is None:  # files without it: what the loss curve tells
        curve = est.loss_curve_
        return [{"epoch": i, "train_loss": v} for i, v in enumerate(curve, 1)]
    rows = expect_list(rows, est.n_iter_)
    if not all(type(row) is dict for row in rows):
        raise ValueError("history rows must be objects")
    return [{k: decode(v, f"history[{k!r}]") for k, v in row.items()} for row in rows]


def _build(est: BaseTorchClassifier, device: torch.device, path: StrPath) -> None:
    from ._build import build_engine

    sample = TensorData(torch.zeros(2, est.n_features_in_), None, device)
    # the network's initial weights are overwritten: draw them without
    # touching the caller's random state
    try:
        with seeded(0, device):
            est.net_ = build_engine(est, sample, device)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"cannot build the network of {path}: {exc}") from exc


def _read(path: StrPath) -> tuple[dict, dict]:
    safe_open, _ = _safetensors()
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            metadata = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    except Exception as exc:  # safetensors raises its own error types
        raise ValueError(
            f"{path} is not a readable safetensors model file: {exc}"
        ) from exc
    try:
        header = json.loads(metadata["sktorch_clf"])
    except (KeyError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"{path} has no valid sktorch_clf header") from exc
    if depth(header) > MAX_DEPTH:
        raise ValueError(f"{path} has a header nested deeper than {MAX_DEPTH}")
    return _current_header(header, path), tensors


def _current_header(header: object, path: StrPath) -> dict:
    """``header`` in the current format version, optional entries filled in."""
    if isinstance(header, dict) and header.get("format") == "sktorch_clf/1":
        header = _from_v1(header, path)
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT} model file")
    version = header.get("version")
    if type(version) is not int or version < 2:
        raise ValueError(f"{path} has an invalid format version {version!r}")
    if version > VERSION:
        raise ValueError(
            f"{path} has format version {version}, newer than this sktorch_clf "
            f"reads (up to {VERSION}): upgrade sktorch_clf to load it"
        )
    _check_keys(header, _HEADER, _HEADER_OPTIONAL, "", path)
    for key, kind in (("params", dict), ("fitted", dict), ("custom_module", bool)):
        if type(header[key]) is not kind:
            raise ValueError(f"{path} has an invalid {key} entry")
    _check_keys(header["fitted"], _FITTED, set(_FITTED_OPTIONAL), "fitted.", path)
    tied = header.setdefault("tied", {})
    if type(tied) is not dict or not all(type(v) is str for v in tied.values()):
        raise ValueError(f"{path} has an invalid tied entry")
    header.setdefault("history", None)
    return header


def _check_keys(
    entry: dict, required: set, optional: set, prefix: str, path: StrPath
) -> None:
    unknown = {f"{prefix}{k}" for k in set(entry) - required - optional}
    missing = {f"{prefix}{k}" for k in required - set(entry)}
    if unknown or missing:
        raise ValueError(
            f"{path} has an invalid header: unknown keys {sorted(unknown)}, "
            f"missing keys {sorted(missing)}"
        )


_V1_PARAMS = {
    "hidden_layer_sizes", "activation", "dropout", "batch_norm", "optimizer",
    "lr", "weight_decay", "batch_size", "max_epochs", "early_stopping",
    "validation_fraction", "n_iter_no_change", "tol", "warm_start",
    "cuda_graphs", "verbose", "threshold", "module_kwargs", "random_state",
}  # fmt: skip

#: What version 1 did for the parameters it did not know (its files were
#: written before they existed), where today's default differs.
_V1_BEHAVIOUR = {
    "categorical_features": None,
    "ensemble_size": 1,
    "scoring": "accuracy",
}


def _from_v1(header: dict, path: StrPath) -> dict:
    """A version-1 header (plain JSON; no version key) as a version-2 one.

    Version 1 stored a fixed list of parameters as plain JSON (tuples as
    lists, ``None`` for what it could not store), the classes as a list with
    their dtype, and no validation scores, history or training seed.
    """
    v1_keys = {"format", "estimator", "params", "custom_module", "fitted", "versions"}
    v1_fitted = {"classes", "classes_dtype", "n_features_in", "feature_names_in"}
    _check_keys(header, v1_keys, set(), "", path)
    fitted, params = header["fitted"], header["params"]
    if type(fitted) is not dict or type(params) is not dict:
        raise ValueError(f"{path} has an invalid header")
    _check_keys(fitted, v1_fitted | {"loss_curve", "n_iter"}, set(), "fitted.", path)
    unknown = sorted(set(params) - _V1_PARAMS)
    if unknown:
        raise ValueError(f"{path} has unknown parameters {unknown}")
    params = {k: _plain_v1(v) for k, v in params.items() if v is not None}
    params = {**_V1_BEHAVIOUR, **params}
    if isinstance(params.get("hidden_layer_sizes"), list):  # a tuple, saved
        params["hidden_layer_sizes"] = {"$tuple": params["hidden_layer_sizes"]}
    return {
        "format": FORMAT,
        "version": 2,
        "estimator": header["estimator"],
        "params": params,
        "custom_module": header["custom_module"],
        "fitted": {
            "classes": _v1_array(fitted["classes_dtype"], fitted["classes"]),
            **{k: fitted[k] for k in ("n_features_in", "loss_curve", "n_iter")},
            "feature_names_in": _v1_array("|O", fitted["feature_names_in"]),
        },
        "versions": header["versions"],
    }


def _v1_array(dtype: object, items: object) -> dict | None:
    if items is None:
        return None
    return {"$ndarray": [dtype, [len(items)] if type(items) is list else None, items]}


def _plain_v1(value: object) -> object:
    """A version-1 parameter value (plain JSON) in the typed encoding."""
    if isinstance(value, dict):
        return {"$dict": [[k, _plain_v1(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [_plain_v1(v) for v in value]
    return value


def _load_weights(
    est: BaseTorchClassifier, tensors: dict, tied: dict, path: StrPath
) -> None:
    module = est.module_
    state = module.state_dict()
    module_tied = _ties(state)
    if module_tied != tied:
        raise ValueError(
            f"{path}: the network does not share weights as the saved one did "
            f"(saved: {tied}, this network: {module_tied})"
        )
    expected = {k: tuple(v.shape) for k, v in state.items() if k not in tied}
    found = {k: tuple(v.shape) for k, v in tensors.items()}
    if expected.keys() != found.keys():
        raise ValueError(
            f"{path}: the weights do not fit the network: unexpected tensors "
            f"{sorted(found.keys() - expected.keys())}, missing tensors "
            f"{sorted(expected.keys() - found.keys())}"
        )
    wrong = {k: (found[k], expected[k]) for k in expected if found[k] != expected[k]}
    if wrong:
        raise ValueError(
            f"{path}: tensors of the wrong shape (found, expected) for a network "
            f"of {est.n_features_in_} inputs and "
            f"{est._n_outputs(len(est.classes_))} outputs ({len(est.classes_)} "
            f"classes): {wrong}"
        )
    module.load_state_dict({**tensors, **{k: tensors[v] for k, v in tied.items()}})


def _check_versions(saved: object, path: StrPath) -> None:
    current = versions()
    if not isinstance(saved, dict):
        raise ValueError(f"{path} has an invalid versions entry")
    differ = {k: (saved.get(k), v) for k, v in current.items() if saved.get(k) != v}
    if differ:
        warnings.warn(
            f"{path} was saved with other versions (saved, installed): {differ}; "
            "predictions may differ slightly",
            UserWarning,
            stacklevel=3,
        )
