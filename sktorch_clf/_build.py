"""Building one fit's network, optimizer and skorch engine from parameters."""

from __future__ import annotations

import copy
import inspect
from functools import partial

import numpy as np
import torch
from skorch.callbacks import InputShapeSetter, LRScheduler

from ._batches import TensorData
from ._data import take_rows
from ._engine import Engine
from ._ensemble import MemberEnsemble
from ._features import n_slots
from ._network import (
    RobustScale,
    build_user_module,
    check_hidden_layer_sizes,
    check_module_output,
    make_mlp,
)
from ._tabular import TabularMLP

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}
# Optimizers with a fused kernel on CPU and CUDA (one kernel for all weights).
_FUSED = (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD)


def build_engine(est, train: TensorData, device: torch.device) -> Engine:
    """An initialised :class:`Engine` for estimator ``est`` and its data."""
    n_outputs = est._n_outputs(len(est.classes_))
    module = build_module(est, n_outputs, train.X)
    sample = take_rows(train.X, slice(0, 2)).cpu()  # the new module is on the CPU
    check_module_output(module, sample, n_outputs)
    check_callbacks(est.callbacks, est.lr_schedule)
    factory = optimizer_factory(est, device)
    make_optimizer(est, factory, module)  # a clear error for bad kwargs
    net = Engine(
        module,
        partial(est._criterion, reduction="none"),
        flatten_output=est._flatten_output,
        n_classes=len(est.classes_),
        optimizer=factory,
        lr=est.lr,
        max_epochs=est.max_epochs,
        batch_size=est.batch_size,
        train_split=None,
        callbacks=copy.deepcopy(est.callbacks),  # never mutate the caller's
        verbose=est.verbose,
        device=str(device),
    )
    net.initialize()
    net.built_from = _structure(est, device)
    net.settings = _settings(est)
    _configure(est, net)
    return net


def update_engine(est, net: Engine, device: torch.device, partial_fit: bool) -> None:
    """Apply to a trained ``net`` the parameters changed since it was built
    or last trained (``set_params`` between ``warm_start`` fits or
    ``partial_fit`` calls). What needs a new network is an error."""
    _check_structure(est, net, device, partial_fit)
    before, now = net.settings, _settings(est)
    changed = {k for k in now if not _same(before.get(k), now[k])}
    if changed & {"lr", "weight_decay", "optimizer_kwargs"}:
        fresh = make_optimizer(est, optimizer_factory(est, device), net.module_)
        keys = {k for k in ("lr", "weight_decay") if k in changed}
        if "optimizer_kwargs" in changed:
            keys |= set(before["optimizer_kwargs"] or {}) | set(now["optimizer_kwargs"])
        for group, new in zip(
            net.optimizer_.param_groups, fresh.param_groups, strict=False
        ):
            group.update({k: new[k] for k in keys if k in new})
    if changed & {"callbacks", "verbose"}:
        check_callbacks(est.callbacks, est.lr_schedule)
        net.callbacks = copy.deepcopy(est.callbacks)
        net.verbose = est.verbose
        net.initialize_callbacks()
    net.lr = est.lr
    net.settings = now
    _configure(est, net)


def _configure(est, net: Engine) -> None:
    """What the engine reads afresh at every fit."""
    net.batch_size = est.batch_size
    net.max_epochs = est.max_epochs
    net.cuda_graphs = use_cuda_graphs(est)
    net.threshold = getattr(est, "threshold", 0.5)
    net.lr_schedule = est.lr_schedule


def _settings(est) -> dict:
    """The parameters a continued fit applies when they changed."""
    return {
        "lr": est.lr,
        "weight_decay": est.weight_decay,
        "optimizer_kwargs": copy.deepcopy(est.optimizer_kwargs or {}),
        "callbacks": est.callbacks,
        "verbose": est.verbose,
    }


def _structure(est, device: torch.device) -> dict:
    """The parameters the network and optimizer were built from."""
    built = {
        "module": est.module,
        "categorical_features": _as_tuple(est.categorical_features),
        "module_kwargs": None if est.module_kwargs is None else dict(est.module_kwargs),
        "optimizer": optimizer_class(est),
        "device": str(device),
    }
    if est.module is None:
        built["hidden_layer_sizes"] = check_hidden_layer_sizes(est.hidden_layer_sizes)
        built["activation"] = est.activation
        built["dropout"] = est.dropout
        built["batch_norm"] = est.batch_norm
        built["numeric_embedding"] = est.numeric_embedding
        built["robust_scaling"] = est.robust_scaling
        built["ensemble_size"] = est.ensemble_size
    return built


def _check_structure(est, net: Engine, device, partial_fit: bool) -> None:
    before = getattr(net, "built_from", None)
    if before is None:
        return
    now = _structure(est, device)
    # the module first: the default MLP's own parameters follow from it
    for key in sorted(before.keys() | now.keys(), key=lambda k: (k != "module", k)):
        if not _same(before.get(key), now.get(key)):
            how = (
                "partial_fit continues the network of its first call"
                if partial_fit
                else "fit with warm_start=True continues the current network"
            )
            raise ValueError(
                f"{key} changed from {before.get(key)!r} to {now.get(key)!r} "
                f"since the network was built, but {how}. Build a new one with "
                "warm_start=False (or on a clone of the estimator)."
            )


def _as_tuple(value):
    """A list-like parameter as a tuple (compared by value), else itself."""
    if value is None or isinstance(value, str):
        return value
    return tuple(np.asarray(value).tolist())


def _same(a, b) -> bool:
    """Equal values (identical objects for modules, classes and callbacks)."""
    if a is b:
        return True
    if isinstance(a, list) or callable(a) or callable(b):
        return False  # callbacks lists, modules and factories: by identity
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # e.g. arrays in module_kwargs
        return False


def check_callbacks(callbacks, lr_schedule: str = "constant") -> None:
    """Refuse the skorch callbacks that cannot work here, with the reason."""
    for cb in callbacks or []:
        cb = cb[1] if isinstance(cb, tuple) else cb
        if isinstance(cb, LRScheduler) and lr_schedule != "constant":
            raise ValueError(
                f"callbacks: an LRScheduler and lr_schedule={lr_schedule!r} would "
                "both set the learning rate; use one (lr_schedule='constant' "
                "with the callback)"
            )
        if isinstance(cb, InputShapeSetter):
            raise ValueError(
                "callbacks: InputShapeSetter is not needed and cannot work here: "
                "the estimator builds the network for the data's n_features_in_ "
                "(a module class is called with n_features_in=...)"
            )


def make_optimizer(est, factory: partial, module: torch.nn.Module):
    """The optimizer for ``module``'s parameters, or a clear error naming the
    parameters that it rejected."""
    try:
        return factory(module.parameters(), lr=est.lr)
    except (TypeError, ValueError) as exc:
        raise type(exc)(
            f"optimizer={est.optimizer!r} rejected optimizer_kwargs="
            f"{est.optimizer_kwargs!r} (lr={est.lr!r}, weight_decay="
            f"{est.weight_decay!r}): {exc}"
        ) from exc


def use_cuda_graphs(est) -> bool:
    """``cuda_graphs``, with ``'auto'`` meaning the built-in MLP only: a
    recorded step keeps reading the tensors it saw while recording, which
    a custom module may reassign in ``forward``."""
    if est.cuda_graphs == "auto":
        return est.module is None
    return bool(est.cuda_graphs)


def ensemble_members(est) -> int:
    """How many members the network of ``est`` trains: ``ensemble_size`` for
    the default network, 1 for the user's ``module``."""
    return 1 if est.module is not None else est.ensemble_size


def build_module(est, n_outputs: int, X) -> torch.nn.Module:
    """The default MLP (behind embeddings for categorical columns or a
    numeric embedding), or the user's ``module`` built for the data's sizes.
    ``X`` is the training data (a tensor or CSR matrix), for the statistics
    of ``robust_scaling``."""
    if est.module is not None:
        return build_user_module(
            est.module, est.n_features_in_, n_outputs, est.module_kwargs
        )
    sizes = check_hidden_layer_sizes(est.hidden_layer_sizes)
    categorical = categorical_slots(est)
    embedding = est.numeric_embedding
    numeric = [j for j in range(est.n_features_in_) if j not in dict(categorical)]
    scale = _robust_scale(X, numeric) if est.robust_scaling and numeric else None
    width = TabularMLP.input_width(est.n_features_in_, categorical, embedding)
    members = ensemble_members(est)
    plain = not categorical and embedding is None and members == 1
    body = make_mlp(
        width,
        n_outputs,
        sizes,
        activation=est.activation,
        dropout=est.dropout,
        batch_norm=est.batch_norm,
        scale=scale if plain else None,
    )
    if plain:
        return body  # the plain MLP: the CPU fast path applies
    if members > 1:  # the body's hidden layers, shared, k heads
        last = body[-1]
        body = MemberEnsemble(width, body[:-1], last.in_features, n_outputs, members)
    return TabularMLP(est.n_features_in_, categorical, body, embedding, scale)


_SCALE_ROWS = 10_000  # rows that robust_scaling's statistics are taken from


def _robust_scale(X, columns: list[int]) -> RobustScale:
    """A :class:`RobustScale` of the ``columns`` of (a random sample of the
    rows of) ``X``, drawn from torch's generator (seeded by the caller)."""
    rows = torch.randperm(X.shape[0])[:_SCALE_ROWS].sort().values
    if isinstance(X, torch.Tensor):
        rows = rows.to(X.device)
    sample = take_rows(X, rows).cpu()[:, columns]
    return RobustScale.from_data(sample)


def categorical_slots(est) -> list[tuple[int, int]]:
    """``(column, embedding rows)`` of each categorical column."""
    if getattr(est, "is_categorical_", None) is None:
        return []
    columns = np.flatnonzero(est.is_categorical_).tolist()
    return [(j, n_slots(c)) for j, c in zip(columns, est.categories_, strict=True)]


def optimizer_class(est) -> type[torch.optim.Optimizer]:
    """The class named or given by the ``optimizer`` parameter."""
    cls = est.optimizer
    if isinstance(cls, str):
        cls = OPTIMIZERS[cls]
    if not (isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)):
        raise TypeError(
            f"optimizer must be one of {sorted(OPTIMIZERS)} or a "
            f"torch.optim.Optimizer subclass, got {est.optimizer!r}"
        )
    return cls


def optimizer_factory(est, device: torch.device) -> partial:
    """The optimizer class with its keyword arguments; skorch adds ``lr``."""
    cls = optimizer_class(est)
    reserved = {"params", "lr", "weight_decay"} & set(est.optimizer_kwargs or {})
    if reserved:
        raise ValueError(
            f"optimizer_kwargs must not set {sorted(reserved)}: use the lr and "
            "weight_decay parameters (params are the module's), got "
            f"optimizer_kwargs={est.optimizer_kwargs!r}"
        )
    kwargs = {}
    if "weight_decay" in inspect.signature(cls).parameters:
        # always explicit: AdamW's own default would be 0.01, not ours
        kwargs["weight_decay"] = est.weight_decay
    elif est.weight_decay:
        raise ValueError(
            f"weight_decay={est.weight_decay!r} was given but optimizer "
            f"{cls.__name__} has no weight_decay parameter"
        )
    kwargs.update(est.optimizer_kwargs or {})
    fusable = issubclass(cls, _FUSED) and device.type in ("cpu", "cuda")
    if fusable and not {"fused", "foreach"} & kwargs.keys():
        kwargs["fused"] = True
    return partial(cls, **kwargs)
