"""A hand-written training step for plain MLPs: no autograd graph per batch.

On small tabular networks the time of a step goes to per-operation overhead
(autograd's graph, its backward engine, Python), not to arithmetic. For an
``nn.Sequential`` of ``Linear`` layers and ReLU / tanh / logistic / identity
activations (the default network without dropout or batch norm) the
gradients have a short closed form, which this module computes with a dozen
tensor operations and writes to ``param.grad``. The optimizer, callbacks
(``on_grad_computed`` sees the gradients) and everything else are unchanged;
``tests/test_fast.py`` checks the gradients against autograd.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _relu_grad(h):
    return h > 0


def _tanh_grad(h):
    return 1 - h * h


def _logistic_grad(h):
    return h * (1 - h)


# activation class -> (forward, derivative written in terms of the output h)
_ACTIVATIONS = {
    nn.ReLU: (torch.relu, _relu_grad),
    nn.Tanh: (torch.tanh, _tanh_grad),
    nn.Sigmoid: (torch.sigmoid, _logistic_grad),
}


class MLPStep:
    """Loss, logits and gradients of one batch for a plain MLP."""

    def __init__(self, linears: list[nn.Linear], activations: list, binary: bool):
        self.linears = linears
        self.activations = activations  # (forward, grad) or None for identity
        self.binary = binary
        # detached views share storage with the parameters (so they see every
        # optimizer update) but record no autograd graph: no no_grad needed
        self.weights = [m.weight.detach() for m in linears]
        self.biases = [m.bias.detach() for m in linears]

    @classmethod
    def maybe(cls, module: nn.Module, binary: bool) -> MLPStep | None:
        """An ``MLPStep`` if ``module`` is exactly such an MLP, else None."""
        if type(module) is not nn.Sequential or _has_hooks(module):
            return None
        layers = list(module)
        linears, activations = layers[0::2], layers[1::2]
        if len(linears) != len(activations) + 1:
            return None
        if not all(type(m) is nn.Linear and m.bias is not None for m in linears):
            return None
        if any(_has_hooks(m) for m in layers):
            return None
        funcs = []
        for act in activations:
            if type(act) is nn.Identity:
                funcs.append(None)
            elif type(act) in _ACTIVATIONS and not getattr(act, "inplace", False):
                funcs.append(_ACTIVATIONS[type(act)])
            else:
                return None
        return cls(linears, funcs, binary)

    def __call__(self, X, y, weight=None) -> tuple[torch.Tensor, torch.Tensor]:
        """Set ``.grad`` of every parameter; return (mean loss, logits)."""
        weights, biases = self.weights, self.biases
        hidden = [X]
        for W, b, act in zip(weights, biases, self.activations, strict=False):
            z = torch.addmm(b, hidden[-1], W.t())
            hidden.append(z if act is None else act[0](z))
        logits = torch.addmm(biases[-1], hidden[-1], weights[-1].t())
        loss, grad = self._loss_and_grad(logits, y, weight)
        for i in range(len(weights) - 1, -1, -1):
            h = hidden[i]
            self.linears[i].weight.grad = grad.t() @ h
            self.linears[i].bias.grad = grad.sum(0)
            if i > 0:
                grad = grad @ weights[i]
                act = self.activations[i - 1]
                if act is not None:
                    grad.mul_(act[1](h))
        return loss, logits.reshape(-1) if self.binary else logits

    def _loss_and_grad(self, logits, y, weight):
        """Mean (weighted) loss and its gradient with respect to the logits."""
        n = logits.shape[0]
        if self.binary:
            z = logits.reshape(-1)
            losses = F.binary_cross_entropy_with_logits(z, y, reduction="none")
            grad = (torch.sigmoid(z) - y).unsqueeze(1)
        else:
            losses = F.cross_entropy(logits, y, reduction="none")
            grad = torch.softmax(logits, dim=1)
            grad[torch.arange(n, device=grad.device), y] -= 1
        if weight is not None:
            losses = losses * weight
            grad = grad * weight.unsqueeze(1)
        return losses.mean(), grad / n


def _has_hooks(module: nn.Module) -> bool:
    return bool(
        module._forward_hooks
        or module._forward_pre_hooks
        or module._backward_hooks
        or getattr(module, "_backward_pre_hooks", None)
    )


class DirectAdam:
    """Runs a fused Adam / AdamW optimizer's kernel without ``Optimizer.step``.

    ``Optimizer.step`` spends about 0.13 ms of Python per call (profiling
    hooks, state grouping) around a fused kernel that needs 0.01 ms on a
    small MLP: on CPU that is a third of a training step. For the plain case
    (one parameter group on one device and dtype, fused, no amsgrad,
    maximize, capturable or hooks) this calls the same kernel with the
    optimizer's own state, so results are bit-identical and ``state_dict``,
    LR schedulers (``lr`` is read at each step) and checkpoints keep working.
    Any other case, or a torch whose kernel signature differs, uses
    ``optimizer.step()``; ``tests/test_fast.py`` compares both.
    """

    def __init__(self, optimizer: torch.optim.Optimizer):
        self.optimizer = optimizer
        self.kernel = (
            torch._fused_adamw_
            if isinstance(optimizer, torch.optim.AdamW)
            or optimizer.defaults.get("decoupled_weight_decay", False)
            else torch._fused_adam_
        )
        self.lists = None  # params, grads, exp_avgs, exp_avg_sqs, steps

    @classmethod
    def maybe(cls, optimizer: torch.optim.Optimizer) -> DirectAdam | None:
        if type(optimizer) not in (torch.optim.Adam, torch.optim.AdamW):
            return None
        if len(optimizer.param_groups) != 1 or _optimizer_hooks(optimizer):
            return None
        group = optimizer.param_groups[0]
        plain = group.get("fused") and not any(
            group.get(key) for key in ("amsgrad", "maximize", "capturable")
        )
        params = group["params"]
        kinds = {(p.device, p.dtype) for p in params}
        if not plain or len(kinds) != 1 or any(p.is_sparse for p in params):
            return None
        return cls(optimizer)

    def step(self) -> None:
        opt = self.optimizer
        params = opt.param_groups[0]["params"]
        if self.lists is None:
            if any(p not in opt.state for p in params):
                opt.step()  # the first step creates the state
                return
            state = [opt.state[p] for p in params]
            self.lists = [
                [s["exp_avg"] for s in state],
                [s["exp_avg_sq"] for s in state],
                [s["step"] for s in state],
            ]
        group = opt.param_groups[0]
        grads = [p.grad for p in params]
        if any(g is None for g in grads):
            opt.step()
            return
        exp_avgs, exp_avg_sqs, steps = self.lists
        beta1, beta2 = group["betas"]
        torch._foreach_add_(steps, 1)
        self.kernel(
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


def _optimizer_hooks(optimizer) -> bool:
    from torch.optim import optimizer as optim_module

    return bool(
        optimizer._optimizer_step_pre_hooks
        or optimizer._optimizer_step_post_hooks
        or optim_module._global_optimizer_pre_hooks
        or optim_module._global_optimizer_post_hooks
    )
