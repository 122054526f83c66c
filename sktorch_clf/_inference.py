"""Inference outside the training machinery: the network's logits.

What prediction needs to know about a fitted module (its forward pass in
torch and, for small batches, in numpy) is found once (:func:`plan_inference`,
at the end of fit, otherwise on first use) and kept in a registry keyed
weakly by the estimator, so that the estimator's pickles, copies and clones
are unchanged. Before each use, identity checks confirm that the module is
still the one planned for, with the same submodules and the same parameter
storage; a module replaced or changed since (a layer swapped, a submodule
added, a parameter or its data rebound, the module moved to another device)
is planned again. Hooks and training mode are looked at in every call.
"""

from __future__ import annotations

import contextlib
import operator
import weakref

import numpy as np
import scipy.sparse as sp
import torch
from scipy.special import expit
from torch import nn
from torch.nn.modules import module as module_globals

from ._data import as_float_tensor, take_rows
from ._ensemble import MemberEnsemble
from ._fast import mlp_layers, plain_forward
from ._network import RobustScale, check_logits
from ._tabular import TabularMLP

_PREDICT_CHUNK = 65_536
_PREDICT_VALUES = 2**24  # 64 MiB of float32 per dense chunk
# Batches up to this many rows run in numpy where the network allows it: a
# torch operation costs microseconds of dispatch, about the arithmetic of a
# small batch, where numpy's costs about a third (benchmarks/bench_latency.py).
_NUMPY_ROWS = 256
# From this many values on, a ReLU in the numpy pass runs in torch, in place.
_TORCH_RELU_SIZE = 4096


class InferencePlan:
    """How to run ``module`` for prediction, and what tells whether that
    still holds: its containers' children and, for the numpy pass, the
    tensors it reads (by identity and storage address)."""

    def __init__(self, module: nn.Module):
        self.module = module
        self.modules = list(module.modules())
        self.structure = _structure(self.modules)
        self.fast = plain_forward(module)
        self.small, slots = numpy_forward(module) or (None, [])
        # the dicts holding the tensors read, their names, the tensors, and
        # their addresses
        self.holders = [getattr(owner, kind) for owner, kind, _ in slots]
        self.names = [name for _, _, name in slots]
        self.tensors = list(map(dict.get, self.holders, self.names))
        self.addresses = list(map(torch.Tensor.data_ptr, self.tensors))

    def current(self) -> bool:
        """Whether the module still has the submodules and tensors planned
        for (checked in C-level loops: this runs before every prediction)."""
        return (
            _structure(self.modules) == self.structure
            and all(
                map(operator.is_, map(dict.get, self.holders, self.names), self.tensors)
            )
            and list(map(torch.Tensor.data_ptr, self.tensors)) == self.addresses
        )

    def forward(self, n_rows: int | None = None):
        """The module in eval mode, as a callable, unless a forward hook (the
        module's own or a global one) must run: for ``n_rows`` (dense rows)
        up to ``_NUMPY_ROWS`` the numpy pass (float32 rows to float64
        logits), else the fast torch pass; the module itself otherwise."""
        if any(map(_TRAINING, self.modules)):
            self.module.eval()
        if (self.fast is None and self.small is None) or self.hooked():
            return self.module
        if self.small is not None and n_rows is not None and n_rows <= _NUMPY_ROWS:
            return self.small
        return self.fast or self.module

    def hooked(self) -> bool:
        """Whether a forward hook (global or of a submodule) would run."""
        return bool(
            module_globals._global_forward_hooks
            or module_globals._global_forward_pre_hooks
            or any(map(_HOOKS, self.modules))
            or any(map(_PRE_HOOKS, self.modules))
        )


_TRAINING = operator.attrgetter("training")
_HOOKS = operator.attrgetter("_forward_hooks")
_PRE_HOOKS = operator.attrgetter("_forward_pre_hooks")
_CHILDREN = operator.attrgetter("_modules")


def _structure(modules: list[nn.Module]) -> list:
    return list(map(tuple, map(dict.values, map(_CHILDREN, modules))))


_plans: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def plan_inference(est) -> InferencePlan:
    """Plan prediction with ``est.net_.module_`` afresh (e.g. after fit)."""
    plan = InferencePlan(est.net_.module_)
    with contextlib.suppress(TypeError):  # an estimator that is not hashable
        _plans[est] = plan
    return plan


def inference_plan(est) -> InferencePlan:
    """The :class:`InferencePlan` of the fitted ``est``: the one made for
    its current module, or a new one."""
    try:
        plan = _plans.get(est)
    except TypeError:
        plan = None
    if plan is None or plan.module is not est.net_.module_ or not plan.current():
        plan = plan_inference(est)
    return plan


def network_logits(
    net,
    X: np.ndarray | torch.Tensor | sp.csr_matrix,
    n_outputs: int,
    copy: bool,
    plan: InferencePlan,
) -> np.ndarray:
    """Float64 logits of validated float32 ``X``, ``(n_samples, n_outputs)``, from
    ``net.module_`` run in eval mode in large batches, or in numpy for a
    small dense batch where ``plan`` has a numpy pass.

    A chunk holds at most ``_PREDICT_CHUNK`` rows and ``_PREDICT_VALUES``
    values, so that sparse input is densified a bounded block at a time.
    ``copy=False`` passes slices of ``X`` itself, for a module known not to
    write to its input. ``plan`` is ``net.module_``'s current
    :class:`InferencePlan` (:func:`inference_plan`).
    """
    forward = plan.forward(None if sp.issparse(X) else X.shape[0])
    if forward is plan.small:
        logits = forward(np.asarray(X, dtype=np.float32))
    else:
        logits = _torch_logits(net, forward, as_float_tensor(X), n_outputs, copy)
    if np.isnan(logits).any():
        raise ValueError(
            "The network produced NaN outputs for some rows of X; are "
            "their values far outside the training data's range?"
        )
    return logits


def _torch_logits(net, forward, X, n_outputs: int, copy: bool) -> np.ndarray:
    rows = max(1, min(_PREDICT_CHUNK, _PREDICT_VALUES // max(1, X.shape[1])))
    chunks = []
    with torch.inference_mode():
        for start in range(0, X.shape[0], rows):
            batch = take_rows(X, slice(start, start + rows), copy=copy)
            out = forward(batch.to(net.device))
            check_logits(out, len(batch), n_outputs, "module")
            if out.dtype not in (torch.float32, torch.float64):
                out = out.float()  # e.g. bfloat16 logits: numpy has none
            chunks.append(out.reshape(len(batch), -1).cpu().numpy())
    logits = chunks[0] if len(chunks) == 1 else np.concatenate(chunks)
    return logits.astype(np.float64)


# -- the numpy pass ------------------------------------------------------------
def _relu(h: np.ndarray) -> None:
    if h.size < _TORCH_RELU_SIZE:
        np.maximum(h, 0, out=h)
    else:  # torch's in-place ReLU: about twice as fast as numpy's maximum
        torch.relu_(torch.from_numpy(h))


def _tanh(h: np.ndarray) -> None:
    np.tanh(h, out=h)


def _logistic(h: np.ndarray) -> None:
    expit(h, out=h)


_NUMPY_ACTIVATIONS = {
    nn.ReLU: _relu,
    nn.Tanh: _tanh,
    nn.Sigmoid: _logistic,
    nn.Identity: None,
}


def numpy_forward(module: nn.Module):
    """``(forward, tensor slots)`` for the networks the estimators build on
    the CPU in float32 (the plain MLP; the tabular network without
    categorical columns or numeric embedding, over a plain body or a member
    ensemble), else None. ``forward`` maps float32 rows to float64 logits
    with numpy; the slots ``(owner, "_parameters" or "_buffers", name)`` are
    the tensors whose memory it reads."""
    tensors = [*module.parameters(), *module.buffers()]
    if not tensors or any(
        t.device.type != "cpu" or t.dtype not in (torch.float32, torch.int64)
        for t in tensors
    ):
        return None
    slots: list = []
    if type(module) is nn.Sequential:
        forward = _numpy_stack(list(module), slots)
    elif type(module) is TabularMLP and _passes_rows_through(module):
        forward = _numpy_tabular(module, slots)
    else:
        return None
    if forward is None:
        return None
    return lambda X: forward(X).astype(np.float64, copy=False), slots


def _passes_rows_through(module: TabularMLP) -> bool:
    """Every column numeric, in order, not embedded (maybe scaled)."""
    n = len(module.num_index)
    return (
        not len(module.cat_index)
        and module.numeric is None
        and torch.equal(module.num_index, torch.arange(n))
        and (module.scale is None or type(module.scale) is RobustScale)
    )


def _view(owner: nn.Module, kind: str, name: str, slots: list) -> np.ndarray:
    slots.append((owner, kind, name))
    return getattr(owner, kind)[name].detach().numpy()


def _numpy_scale(scale: RobustScale, slots: list):
    center = _view(scale, "_buffers", "center", slots)
    inv_scale = _view(scale, "_buffers", "inv_scale", slots)

    def forward(X: np.ndarray) -> np.ndarray:
        z = (X - center) * inv_scale
        z *= 1 / np.sqrt(1 + (z * np.float32(1 / 3)) ** 2)
        return z

    return forward


def _numpy_stack(layers: list, slots: list):
    """Alternating biased ``Linear`` layers and ReLU / tanh / logistic /
    identity activations (ending with either), after an optional
    ``RobustScale``; None for any other layer."""
    parts = mlp_layers(layers)
    if parts is None:
        return None
    scale, linears, activations = parts
    if not all(type(a) in _NUMPY_ACTIVATIONS for a in activations):
        return None
    if scale is not None:
        scale = _numpy_scale(scale, slots)
    funcs = [_NUMPY_ACTIVATIONS[type(a)] for a in activations]
    funcs += [None] * (len(linears) - len(funcs))
    weights = [
        (
            _view(m, "_parameters", "weight", slots).T,
            _view(m, "_parameters", "bias", slots),
        )
        for m in linears
    ]

    def forward(X: np.ndarray) -> np.ndarray:
        if scale is not None:
            X = scale(X)
        for (W_t, b), act in zip(weights, funcs, strict=True):
            X = X @ W_t
            X += b
            if act is not None:
                act(X)
        return X

    return forward


def _numpy_tabular(module: TabularMLP, slots: list):
    scale = None if module.scale is None else _numpy_scale(module.scale, slots)
    if type(module.body) is MemberEnsemble:
        body = _numpy_ensemble(module.body, slots)
    elif type(module.body) is nn.Sequential:
        body = _numpy_stack(list(module.body), slots)
    else:
        return None
    if body is None or scale is None:
        return body
    return lambda X: body(scale(X))


def _numpy_ensemble(ensemble: MemberEnsemble, slots: list):
    """``MemberEnsemble.forward``: the members' logits, then the logits of
    their mean probability (in float64 probabilities, not log space)."""
    if type(ensemble.hidden) is not nn.Sequential or not len(ensemble.hidden):
        return None
    hidden = _numpy_stack(list(ensemble.hidden), slots)
    if hidden is None:
        return None
    signs = _view(ensemble, "_parameters", "signs", slots)
    weight = _view(ensemble, "_parameters", "weight", slots)
    bias = _view(ensemble, "_parameters", "bias", slots)
    k = ensemble.n_members

    def forward(X: np.ndarray) -> np.ndarray:
        n = X.shape[0]
        h = hidden((X[None] * signs).reshape(k * n, -1)).reshape(k, n, -1)
        members = np.matmul(h, weight)
        members += bias
        return _mean_of_members(members)

    return forward


def _mean_of_members(members: np.ndarray) -> np.ndarray:
    """The logits of the members' mean probability, from their float32
    logits ``(k, n, n_outputs)``: a log-odds (binary) or class
    log-probabilities, in float64. Sums, not means: the binary log-odds need
    no division, the class log-probabilities subtract ``log(k)``. Reductions
    over a row's few classes go column by column (:func:`row_reduce`)."""
    k, n, n_outputs = members.shape
    z = members.reshape(k * n, n_outputs).astype(np.float64)
    with np.errstate(divide="ignore"):  # a mean probability below 1e-308
        if n_outputs == 1:
            z = z.reshape(k, n)
            positive = expit(z).sum(axis=0)
            negative = expit(-z, out=z).sum(axis=0)
            return (np.log(positive) - np.log(negative)).reshape(n, 1)
        proba = softmax_rows_(z)
        return np.log(proba.reshape(k, n, n_outputs).sum(axis=0)) - np.log(k)


def softmax_rows_(z: np.ndarray) -> np.ndarray:
    """The softmax of each row of float ``z``, computed in place in ``z``
    (stably: each row shifted by its maximum first)."""
    z -= row_reduce(np.maximum, z)[:, None]
    np.exp(z, out=z)
    z /= row_reduce(np.add, z)[:, None]
    return z


def row_reduce(ufunc: np.ufunc, values: np.ndarray) -> np.ndarray:
    """``ufunc.reduce(values, axis=1)``, column by column for a few columns
    of many rows: numpy reduces a handful of columns per row about ten times
    slower than it combines whole columns (0.4 ms against 0.03 ms for
    10k x 5); below 32 rows the loop's calls cost more (29 us against 12 us
    for one row of 3)."""
    if values.shape[1] > 16 or values.shape[0] < 32:
        return ufunc.reduce(values, axis=1)
    out = values[:, 0].copy()
    for j in range(1, values.shape[1]):
        ufunc(out, values[:, j], out=out)
    return out
