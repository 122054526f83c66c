"""Two shortcuts for the training step of small networks (see benchmarks/).

On small tabular networks the time of a step goes to per-operation overhead
(autograd's graph, its backward engine, ``Optimizer.step``'s Python), not to
arithmetic. Each shortcut applies only to the plain case it recognises and
is rebuilt by the engine at every epoch (so callbacks that freeze layers or
add hooks are seen); anything else takes the ordinary path.
``tests/test_fast.py`` compares both paths.
"""

from __future__ import annotations

import itertools
import operator

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules import module as module_globals
from torch.optim import optimizer as optimizer_globals

from ._network import RobustScale

_aten = torch.ops.aten


def _relu_grad(grad, h):
    return _aten.threshold_backward.default(grad, h, 0.0)


# activation class -> (in-place forward, backward from the output h): the
# backward kernels are autograd's own, one fused operation each
_ACTIVATIONS = {
    nn.ReLU: (torch.relu_, _relu_grad),
    nn.Tanh: (torch.tanh_, _aten.tanh_backward.default),
    nn.Sigmoid: (torch.sigmoid_, _aten.sigmoid_backward.default),
}


class MLPStep:
    """Closed-form loss, logits and gradients of a plain MLP, no autograd.

    For an ``nn.Sequential`` of distinct ``Linear`` layers (with bias) and
    ReLU / tanh / logistic / identity activations, trained with our own
    ``BCEWithLogitsLoss`` or ``CrossEntropyLoss`` heads, the gradients have a
    short closed form, computed here with a dozen tensor operations and
    written to ``param.grad`` (``None`` for a frozen parameter). The
    optimizer and the callbacks that read gradients are unchanged.
    The engine builds one per epoch and calls :meth:`refresh` before each
    step when per-batch callbacks could rebind a parameter's ``.data``.
    """

    def __init__(
        self,
        module: nn.Module,
        linears: list,
        activations: list,
        scale: RobustScale | None,
        binary: bool,
    ):
        self.module = module
        self.scale = scale  # a leading RobustScale: no parameters, no gradient
        self.params = [(m.weight, m.bias) for m in linears]
        self.activations = activations  # (forward, grad) or None for identity
        self.binary = binary
        self.refresh()

    def refresh(self) -> None:
        """Detached views of the weights (transposed) and biases: they share
        the parameters' storage but record no autograd graph."""
        self.weights = [W.detach() for W, _ in self.params]
        self.weights_t = [W.t() for W in self.weights]
        self.biases = [b.detach() for _, b in self.params]

    @classmethod
    def maybe(cls, module: nn.Module, criterion, binary: bool) -> MLPStep | None:
        """An ``MLPStep`` if ``module`` is exactly such an MLP, else None."""
        layers = _plain_mlp(module)
        if layers is None or not _plain_criterion(criterion):
            return None
        return cls(module, *layers, binary)

    def __call__(self, X, y, weight=None) -> tuple[torch.Tensor, torch.Tensor]:
        """Set ``.grad`` of every parameter; return (mean loss, logits)."""
        hidden = [X if self.scale is None else self.scale(X)]
        for Wt, b, act in zip(
            self.weights_t, self.biases, self.activations, strict=False
        ):
            z = torch.addmm(b, hidden[-1], Wt)
            hidden.append(z if act is None else act[0](z))
        logits = torch.addmm(self.biases[-1], hidden[-1], self.weights_t[-1])
        loss, grad = self._loss_and_grad(logits, y, weight)
        for i in range(len(self.params) - 1, -1, -1):
            h, (W, b) = hidden[i], self.params[i]
            # a frozen parameter (requires_grad=False) gets no gradient
            W.grad = torch.mm(grad.t(), h) if W.requires_grad else None
            b.grad = grad.sum(0) if b.requires_grad else None
            if i > 0:
                grad = torch.mm(grad, self.weights[i])
                act = self.activations[i - 1]
                if act is not None:
                    grad = act[1](grad, h)
        return loss, logits.reshape(-1) if self.binary else logits

    def _loss_and_grad(self, logits, y, weight):
        """Mean (weighted) loss and its gradient with respect to the logits."""
        n = logits.shape[0]
        if self.binary:
            z = logits.reshape(-1)
            loss = F.binary_cross_entropy_with_logits(z, y, weight)
            grad = torch.sigmoid(z).sub_(y).unsqueeze_(1)
        else:
            log_p = torch.log_softmax(logits, dim=1)
            if weight is None:
                loss = F.nll_loss(log_p, y)
            else:
                loss = (F.nll_loss(log_p, y, reduction="none") * weight).mean()
            # softmax minus the one-hot targets
            minus_one = logits.new_full((1, 1), -1.0).expand(n, 1)
            grad = log_p.exp_().scatter_add_(1, y.unsqueeze(1), minus_one)
        if weight is not None:
            grad.mul_(weight.unsqueeze(1))
        return loss, grad.div_(n)


def mlp_layers(layers: list) -> tuple[RobustScale | None, list, list] | None:
    """``layers`` split into a leading ``RobustScale`` (or None), the biased
    ``Linear`` layers and the layers between them (every other layer; the
    stack may end with either); None when a ``Linear`` is missing or has no
    bias."""
    scale = layers[0] if layers and type(layers[0]) is RobustScale else None
    rest = layers if scale is None else layers[1:]
    linears, between = rest[0::2], rest[1::2]
    if not linears or len(linears) - len(between) not in (0, 1):
        return None
    if not all(type(m) is nn.Linear and m.bias is not None for m in linears):
        return None
    return scale, linears, between


def _plain_mlp(module: nn.Module) -> tuple[list, list, RobustScale | None] | None:
    """The linear layers, activation functions and leading ``RobustScale``
    (or None) of a plain MLP: biased ``Linear`` layers alternating with ReLU
    / tanh / logistic / identity in an ``nn.Sequential``, after an optional
    ``RobustScale``; no parameter shared between layers (autograd adds a
    shared parameter's gradients, the closed form would assign each), and no
    hooks. None for anything else."""
    if type(module) is not nn.Sequential:
        return None
    parts = mlp_layers(list(module))
    if parts is None:
        return None
    scale, linears, activations = parts
    if len(linears) != len(activations) + 1:
        return None
    params = [p for m in linears for p in (m.weight, m.bias)]
    if len({id(p) for p in params}) != len(params):  # tied layers or parameters
        return None
    if has_hooks(module) or any(has_hooks(m) for m in module):
        return None
    funcs = []
    for act in activations:
        if type(act) is nn.Identity:
            funcs.append(None)
        elif type(act) in _ACTIVATIONS and not getattr(act, "inplace", False):
            funcs.append(_ACTIVATIONS[type(act)])
        else:
            return None
    return linears, funcs, scale


# Multiply-adds of a plain MLP's largest layer per batch below which a
# second intra-op thread only adds waiting (benchmarks/bench_threads.py).
SMALL_STEP = 2**20


def step_threads(module: nn.Module, batch_size: int, device) -> int | None:
    """1 for training a small plain MLP on the CPU, else None (unchanged).

    Its matrix products (e.g. 128 x 64 x 64) are too small to split: in a
    quiet process two threads are no faster, and whenever the second core
    is busy (another library's threads, a neighbour) every product waits
    for it (W1 fits took 1.4-1.75x longer with 2 threads than with 1).
    """
    layers = _plain_mlp(module)
    if torch.device(device).type != "cpu" or layers is None:
        return None
    largest = max(m.in_features * m.out_features for m in layers[0])
    return 1 if largest * batch_size < SMALL_STEP else None


def plain_forward(module: nn.Module):
    """For inference (no autograd): the forward pass of a plain MLP with
    activations computed in place, saving a buffer per layer; else None."""
    layers = _plain_mlp(module)
    if layers is None:
        return None
    linears, activations, scale = layers

    def forward(X: torch.Tensor) -> torch.Tensor:
        if scale is not None:
            X = scale(X)
        for linear, act in zip(linears, [*activations, None], strict=True):
            X = torch.addmm(linear.bias, X, linear.weight.t())
            if act is not None:
                X = act[0](X)
        return X

    return forward


def _plain_criterion(criterion) -> bool:
    """Our per-sample BCE-with-logits or cross-entropy, with no options."""
    if type(criterion) is nn.BCEWithLogitsLoss:
        return criterion.weight is None and criterion.pos_weight is None
    if type(criterion) is nn.CrossEntropyLoss:
        return criterion.weight is None and criterion.label_smoothing == 0
    return False


def has_hooks(module: nn.Module) -> bool:
    """Module, parameter or global hooks that a shortcut would bypass."""
    global_hooks = any(
        getattr(module_globals, name, None)
        for name in (
            "_global_forward_hooks",
            "_global_forward_pre_hooks",
            "_global_backward_hooks",
            "_global_backward_pre_hooks",
        )
    )
    module_hooks = (
        module._forward_hooks
        or module._forward_pre_hooks
        or module._backward_hooks
        or getattr(module, "_backward_pre_hooks", None)
    )
    param_hooks = any(
        getattr(p, "_backward_hooks", None)
        or getattr(p, "_post_accumulate_grad_hooks", None)
        for p in module.parameters(recurse=False)
    )
    return bool(global_hooks or module_hooks or param_hooks)


# Group options DirectAdam handles (those of torch's Adam and AdamW), and the
# bookkeeping keys torch's LR schedulers add (read by the schedulers only).
# A group with any other key, e.g. an option of a newer torch, declines.
_ADAM_OPTIONS = frozenset(
    {
        "params",
        "lr",
        "betas",
        "eps",
        "weight_decay",
        "amsgrad",
        "maximize",
        "foreach",
        "capturable",
        "differentiable",
        "fused",
        "decoupled_weight_decay",
    }
)
_SCHEDULER_KEYS = frozenset(
    {"initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum", "swa_lr"}
)
_OFF = ("amsgrad", "maximize", "capturable", "differentiable", "foreach")
_state_tensors = operator.itemgetter("exp_avg", "exp_avg_sq", "step")

# (device type, dtype, decoupled weight decay) -> whether the direct step
# equals Optimizer.step bit for bit; checked once per process and kind
_agreement: dict[tuple, bool] = {}


class DirectAdam:
    """Runs a fused Adam / AdamW optimizer's kernel without ``Optimizer.step``.

    ``Optimizer.step`` spends about 0.13 ms of Python per call (profiling
    hooks, state grouping) around a fused kernel that needs 0.01 ms on a
    small MLP: on CPU that is a third of a training step. For the plain case
    (one parameter group on one device and dtype, fused, no amsgrad,
    maximize, capturable or hooks, no group option it does not know) this
    calls the same kernel with the optimizer's own state, so ``state_dict``,
    LR schedulers (``lr`` and ``betas`` are read at each step) and
    checkpoints keep working. The first use in a process (per device type,
    dtype and kernel) runs a few steps both ways on throwaway tensors:
    unless they agree bit for bit, ``Optimizer.step`` runs for good. A replaced
    optimizer state (``load_state_dict``, a new state dict or tensor for any
    parameter) is picked up before the next step; a missing gradient, or a
    torch whose kernel rejects these arguments, falls back to
    ``optimizer.step()``.
    """

    def __init__(self, optimizer: torch.optim.Optimizer):
        self.optimizer = optimizer
        self.state = None  # the optimizer.state whose tensors `lists` holds
        self.held = []  # its keys, per-parameter dicts and tensors, in order
        self.lists = None  # exp_avgs, exp_avg_sqs, steps (parameter order)
        self.usable = True

    @classmethod
    def maybe(cls, optimizer: torch.optim.Optimizer) -> DirectAdam | None:
        if type(optimizer) not in (torch.optim.Adam, torch.optim.AdamW):
            return None
        if len(optimizer.param_groups) != 1 or optimizer_has_hooks(optimizer):
            return None
        group = optimizer.param_groups[0]
        if not group.keys() <= _ADAM_OPTIONS | _SCHEDULER_KEYS:
            return None
        plain = group.get("fused") and not any(group.get(key) for key in _OFF)
        params = group["params"]
        kinds = {(p.device, p.dtype) for p in params}
        if not plain or len(kinds) != 1 or any(p.is_sparse for p in params):
            return None
        if not _agrees(optimizer, *kinds.pop()):
            return None
        return cls(optimizer)

    def step(self) -> None:
        opt = self.optimizer
        group = opt.param_groups[0]
        params = group["params"]
        grads = [p.grad for p in params]
        lists = self._state_lists(params)
        if not self.usable or lists is None or any(g is None for g in grads):
            opt.step()  # also creates the state on the first step
            return
        try:
            _fused_step(opt, group, params, grads, *lists)
        except (TypeError, RuntimeError):  # another torch's kernel signature
            self.usable = False
            opt.step()

    def _state_lists(self, params):
        """The optimizer's state tensors, re-read when any was replaced."""
        state = self.optimizer.state
        if self.lists is not None and self._unchanged(state):
            return self.lists
        dicts = list(state.values())
        if len(dicts) != len(params) or not all(map(_has_adam_state, dicts)):
            return None  # before the first step, or not Adam's state
        if any(p not in state for p in params):
            return None
        per_param = [_state_tensors(state[p]) for p in params]
        self.lists = [list(column) for column in zip(*per_param, strict=True)]
        # held, so that no other object can take one of their ids
        tensors = itertools.chain.from_iterable(map(_state_tensors, dicts))
        self.state, self.held = state, [*state, *dicts, *tensors]
        return self.lists

    def _unchanged(self, state) -> bool:
        """Whether ``state`` holds the very keys, per-parameter dicts and
        tensors read last time (identities only: a few microseconds)."""
        n = len(state)
        if state is not self.state or 5 * n != len(self.held):
            return False
        dicts = self.held[n : 2 * n]
        now = itertools.chain(
            state,
            state.values(),
            itertools.chain.from_iterable(map(_state_tensors, dicts)),
        )
        try:
            return all(map(operator.is_, now, self.held))
        except KeyError:  # a state tensor was removed from its dict
            return False


def _has_adam_state(state: dict) -> bool:
    return "exp_avg" in state and "exp_avg_sq" in state and "step" in state


def _fused_step(opt, group, params, grads, exp_avgs, exp_avg_sqs, steps) -> None:
    """What ``Optimizer.step`` does for this group, without its Python."""
    decoupled = group.get("decoupled_weight_decay", isinstance(opt, torch.optim.AdamW))
    kernel = torch._fused_adamw_ if decoupled else torch._fused_adam_
    beta1, beta2 = group["betas"]
    torch._foreach_add_(steps, 1)
    try:
        kernel(
            params,
            grads,
            exp_avgs,
            exp_avg_sqs,
            [],
            steps,
            amsgrad=False,
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            maximize=False,
            grad_scale=None,
            found_inf=None,
        )
    except Exception:
        torch._foreach_sub_(steps, 1)
        raise


def _agrees(optimizer, device: torch.device, dtype: torch.dtype) -> bool:
    """Whether :class:`DirectAdam` steps like ``Optimizer.step`` for this
    kind of optimizer, checked the first time it is asked in a process."""
    group = optimizer.param_groups[0]
    decoupled = bool(
        group.get("decoupled_weight_decay", isinstance(optimizer, torch.optim.AdamW))
    )
    kind = (device.type, dtype, decoupled)
    if kind not in _agreement:
        _agreement[kind] = _compare_steps(group, device, dtype, decoupled)
    return _agreement[kind]


def _compare_steps(group, device, dtype, decoupled: bool) -> bool:
    """Three steps both ways on throwaway tensors, with the group's
    hyperparameters: the same parameters and state, bit for bit?"""
    generator = torch.Generator().manual_seed(0)  # not the global RNG

    def draw(*shape):
        return torch.randn(*shape, generator=generator).to(device, dtype)

    start = [draw(5, 3), draw(5)]
    grads = [[draw(5, 3), draw(5)] for _ in range(3)]
    hyper = {k: group[k] for k in ("lr", "betas", "eps", "weight_decay")}
    adam = torch.optim.AdamW if decoupled else torch.optim.Adam

    def train(direct: bool) -> list:
        params = [nn.Parameter(t.clone()) for t in start]
        opt = adam(params, fused=True, **hyper)
        runner = DirectAdam(opt)
        for step_grads in grads:  # the first step creates the state
            for p, g in zip(params, step_grads, strict=True):
                p.grad = g.clone()
            runner.step() if direct else opt.step()
        if direct and not runner.usable:
            return []
        return [*params, *(t for p in params for t in _state_tensors(opt.state[p]))]

    try:
        with torch.no_grad():
            direct, reference = train(True), train(False)
    except (TypeError, RuntimeError, ValueError):
        return False
    return len(direct) == len(reference) == 8 and all(
        torch.equal(a, b) for a, b in zip(direct, reference, strict=True)
    )


def optimizer_has_hooks(optimizer) -> bool:
    return bool(
        optimizer._optimizer_step_pre_hooks
        or optimizer._optimizer_step_post_hooks
        or optimizer_globals._global_optimizer_pre_hooks
        or optimizer_globals._global_optimizer_post_hooks
    )
