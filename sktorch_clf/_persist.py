"""A safe model file: weights in safetensors, everything else as JSON.

Loading never unpickles and never imports or calls anything the file names:
the estimator class comes from a fixed list, the default MLP is rebuilt from
its (validated) parameters, and a custom network must be passed by the
caller. Weights must match the rebuilt network key for key and shape for
shape. Both parts live in one ``.safetensors`` file: the JSON is stored in
the header's metadata.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import sklearn
import torch

from ._data import resolve_device
from ._engine import TensorData
from ._network import check_hidden_layer_sizes

FORMAT = "sktorch_clf/1"
_JSON_PARAMS = (
    "hidden_layer_sizes",
    "activation",
    "dropout",
    "batch_norm",
    "optimizer",
    "lr",
    "weight_decay",
    "batch_size",
    "max_epochs",
    "early_stopping",
    "validation_fraction",
    "n_iter_no_change",
    "tol",
    "warm_start",
    "cuda_graphs",
    "verbose",
    "threshold",
)
_KEYS = {"format", "estimator", "params", "custom_module", "fitted", "versions"}
_FITTED = {
    "classes",
    "classes_dtype",
    "n_features_in",
    "feature_names_in",
    "loss_curve",
    "n_iter",
}


def _safetensors():
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
    from . import __version__

    return {
        "sktorch_clf": __version__,
        "torch": torch.__version__.split("+")[0],
        "scikit-learn": sklearn.__version__,
    }


def save(est, path) -> None:
    """Write fitted ``est`` to ``path`` (see :func:`load`)."""
    _, save_file = _safetensors()
    params = est.get_params(deep=False)
    if not isinstance(params["activation"], str):
        raise TypeError(
            "save() stores activation by name; a custom activation class "
            f"({params['activation']!r}) cannot be saved safely"
        )
    stored = {k: _plain(params[k]) for k in _JSON_PARAMS if k in params}
    stored["hidden_layer_sizes"] = list(
        check_hidden_layer_sizes(params["hidden_layer_sizes"])
    )
    if not isinstance(params["optimizer"], str):
        stored["optimizer"] = None  # a class is code: not stored
    stored["module_kwargs"] = params["module_kwargs"]
    stored["random_state"] = (
        params["random_state"] if isinstance(params["random_state"], int) else None
    )
    header = {
        "format": FORMAT,
        "estimator": type(est).__name__,
        "params": stored,
        "custom_module": est.module is not None,
        "fitted": {
            "classes": est.classes_.tolist(),
            "classes_dtype": est.classes_.dtype.str,
            "n_features_in": int(est.n_features_in_),
            "feature_names_in": (
                est.feature_names_in_.tolist()
                if hasattr(est, "feature_names_in_")
                else None
            ),
            "loss_curve": [float(v) for v in est.loss_curve_],
            "n_iter": int(est.n_iter_),
        },
        "versions": versions(),
    }
    try:
        metadata = json.dumps(header)
    except TypeError as exc:
        raise TypeError(
            "save() needs JSON-serialisable module_kwargs, got "
            f"{params['module_kwargs']!r}"
        ) from exc
    tensors = {
        k: v.detach().cpu().contiguous() for k, v in est.module_.state_dict().items()
    }
    save_file(tensors, str(path), metadata={"sktorch_clf": metadata})


def _plain(value):
    """JSON-ready parameter values (numpy scalars become Python ones)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def load(path, *, module=None, device="cpu"):
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
    from ._binary import TorchBinaryClassifier
    from ._build import build_engine
    from ._multiclass import TorchMulticlassClassifier

    header, tensors = _read(path)
    classes = {
        c.__name__: c for c in (TorchBinaryClassifier, TorchMulticlassClassifier)
    }
    if header["estimator"] not in classes:
        raise ValueError(f"unknown estimator {header['estimator']!r} in {path}")
    if header["custom_module"] and module is None:
        raise ValueError(
            f"{path} holds the weights of a custom module: pass the same "
            "network definition with load(path, module=...)"
        )
    params = {k: v for k, v in header["params"].items() if v is not None}
    est = classes[header["estimator"]]()
    try:
        if "hidden_layer_sizes" in params:
            sizes = params["hidden_layer_sizes"]
            params["hidden_layer_sizes"] = check_hidden_layer_sizes(sizes)
        est.set_params(**params, module=module, device=device)
        est._validate_params()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"invalid parameters in {path}: {exc}") from exc
    try:
        _set_fitted(est, header["fitted"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path} has invalid fitted attributes: {exc}") from exc
    sample = TensorData(
        torch.zeros(2, est.n_features_in_), None, resolve_device(device)
    )
    est.net_ = build_engine(est, sample, resolve_device(device))
    _load_weights(est.module_, tensors, path)
    for epoch, loss in enumerate(est.loss_curve_, start=1):  # history_ from JSON
        est.net_.history.new_epoch()
        est.net_.history.record("epoch", epoch)
        est.net_.history.record("train_loss", loss)
    _check_versions(header["versions"], path)
    return est


def _read(path):
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
    except (KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} has no valid sktorch_clf header") from exc
    _check_header(header, path)
    return header, tensors


def _check_header(header, path) -> None:
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT} model file")
    unknown = set(header) - _KEYS
    missing = _KEYS - set(header)
    fitted = header.get("fitted")
    if isinstance(fitted, dict):
        unknown |= {f"fitted.{k}" for k in set(fitted) - _FITTED}
        missing |= {f"fitted.{k}" for k in _FITTED - set(fitted)}
    if unknown or missing or not isinstance(header.get("params"), dict):
        raise ValueError(
            f"{path} has an invalid header: unknown keys {sorted(unknown)}, "
            f"missing keys {sorted(missing)}"
        )
    unknown_params = (
        set(header["params"])
        - set(_JSON_PARAMS)
        - {
            "module_kwargs",
            "random_state",
        }
    )
    if unknown_params:
        raise ValueError(f"{path} has unknown parameters {sorted(unknown_params)}")


def _set_fitted(est, fitted) -> None:
    dtype = np.dtype(fitted["classes_dtype"])
    if dtype.kind not in "biufUO":
        raise ValueError(f"unsupported classes_ dtype {dtype}")
    est.classes_ = np.array(fitted["classes"], dtype=dtype)
    est.n_features_in_ = int(fitted["n_features_in"])
    if fitted["feature_names_in"] is not None:
        names = np.array(fitted["feature_names_in"], dtype=object)
        if len(names) != est.n_features_in_:
            raise ValueError("feature_names_in does not match n_features_in")
        est.feature_names_in_ = names
    est.loss_curve_ = [float(v) for v in fitted["loss_curve"]]
    est.n_iter_ = int(fitted["n_iter"])
    est.validation_scores_ = est.best_validation_score_ = est.best_epoch_ = None
    est.best_loss_ = min(est.loss_curve_) if est.loss_curve_ else None
    est._seed = 0


def _load_weights(module: torch.nn.Module, tensors: dict, path) -> None:
    expected = {k: tuple(v.shape) for k, v in module.state_dict().items()}
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
            f"{path}: tensors of the wrong shape (found, expected): {wrong}"
        )
    module.load_state_dict(tensors)


def _check_versions(saved: dict, path) -> None:
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
