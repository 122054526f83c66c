"""Building one fit's network, optimizer and skorch engine from parameters."""

from __future__ import annotations

import copy
import inspect
from functools import partial

import torch

from ._data import take_rows
from ._engine import Engine, TensorData
from ._network import (
    build_user_module,
    check_hidden_layer_sizes,
    check_module_output,
    make_mlp,
)

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
    module = build_module(est, n_outputs)
    sample = take_rows(train.X, slice(0, 2)).cpu()  # the new module is on the CPU
    check_module_output(module, sample, n_outputs)
    net = Engine(
        module,
        partial(est._criterion, reduction="none"),
        flatten_output=est._flatten_output,
        cuda_graphs=use_cuda_graphs(est),
        optimizer=optimizer_factory(est, device),
        lr=est.lr,
        max_epochs=est.max_epochs,
        batch_size=est.batch_size,
        train_split=None,
        callbacks=copy.deepcopy(est.callbacks),  # never mutate the caller's
        verbose=est.verbose,
        device=str(device),
    )
    try:
        return net.initialize()
    except (TypeError, ValueError) as exc:
        raise type(exc)(
            f"optimizer={est.optimizer!r} rejected optimizer_kwargs="
            f"{est.optimizer_kwargs!r} (lr={est.lr!r}): {exc}"
        ) from exc


def use_cuda_graphs(est) -> bool:
    """``cuda_graphs``, with ``'auto'`` meaning the built-in MLP only: a
    recorded step keeps reading the tensors it saw while recording, which
    a custom module may reassign in ``forward``."""
    if est.cuda_graphs == "auto":
        return est.module is None
    return bool(est.cuda_graphs)


def build_module(est, n_outputs: int) -> torch.nn.Module:
    """The default MLP, or the user's ``module`` built for the data's sizes."""
    if est.module is None:
        if est.batch_norm and est.batch_size == 1:
            raise ValueError(
                "batch_norm=True cannot train on batches of one row; "
                "use batch_size >= 2"
            )
        return make_mlp(
            est.n_features_in_,
            n_outputs,
            check_hidden_layer_sizes(est.hidden_layer_sizes),
            activation=est.activation,
            dropout=est.dropout,
            batch_norm=est.batch_norm,
        )
    return build_user_module(
        est.module, est.n_features_in_, n_outputs, est.module_kwargs
    )


def optimizer_factory(est, device: torch.device) -> partial:
    """The optimizer class with its keyword arguments; skorch adds ``lr``."""
    cls = est.optimizer
    if isinstance(cls, str):
        cls = OPTIMIZERS[cls]
    if not (isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)):
        raise TypeError(
            f"optimizer must be one of {sorted(OPTIMIZERS)} or a "
            f"torch.optim.Optimizer subclass, got {est.optimizer!r}"
        )
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
