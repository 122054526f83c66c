"""The training step recorded once as a CUDA graph and replayed.

A small tabular network's step on a GPU is bound by the CPU launching a few
dozen tiny kernels, not by arithmetic. Recorded as a CUDA graph, the whole
step (forward, loss, backward and the optimizer's update) is one launch.
:class:`GraphStep` warms up on real batches, records the step for full
batches, and replays it; the last, shorter batch, a step that cannot be
recorded (a module that reads values back to the CPU, say) and any case it
does not recognise take the ordinary eager step. Tests swap
:data:`BACKEND` for a CPU stand-in so that this logic runs without a GPU.

A replay runs the kernels of the recording, not ``forward``: it reads and
writes the tensors that were there while recording and repeats the Python
values ``forward`` read then. What the step is seen to depend on (the
module's parameters and buffers, the optimizer's hyperparameters and state
tensors, the training modes) is checked at each epoch and the step recorded
anew when it changed. A module that reassigns a tensor attribute in
``forward`` (``self.scale = ...``), reads one that something else replaces,
or branches on a Python value that changes is not seen: that is why
``cuda_graphs='auto'`` records the built-in MLP only. With
``cuda_graphs=True`` a custom module opts in, and such a module is the
user's responsibility (train it with ``cuda_graphs=False``).
"""

from __future__ import annotations

import contextlib

import torch

from ._fast import has_hooks, optimizer_has_hooks


class CudaGraphs:
    """The CUDA calls :class:`GraphStep` makes."""

    def available(self, device: torch.device) -> bool:
        return device.type == "cuda" and torch.cuda.is_available()

    def stream(self, device: torch.device):
        return torch.cuda.Stream(device=device)

    @contextlib.contextmanager
    def side_stream(self, stream):
        """Run on ``stream``, ordered after and before the current stream's
        work (warm-up belongs on the capture stream, as torch's docs say)."""
        with torch.cuda.device(stream.device):
            current = torch.cuda.current_stream()
            stream.wait_stream(current)
            try:
                with torch.cuda.stream(stream):
                    yield
            finally:
                current.wait_stream(stream)

    def capture(self, stream, body):
        """Record ``body()``; nothing runs. Returns what :meth:`replay` needs.

        ``capture_begin`` / ``capture_end`` are called here rather than through
        ``torch.cuda.graph``, whose exit skips restoring the current stream
        when ending a failed capture raises.
        """
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.device(stream.device):
            torch.cuda.synchronize()
            with torch.cuda.stream(stream):
                # only this thread's unsafe CUDA calls (e.g. cudaMalloc)
                # break the recording, not another thread's (a second model)
                graph.capture_begin(capture_error_mode="thread_local")
                try:
                    outputs = body()
                finally:
                    graph.capture_end()
        return graph, outputs

    def replay(self, captured):
        """Run the recorded step; its outputs are the same tensors each time."""
        graph, outputs = captured
        graph.replay()
        return outputs


BACKEND = CudaGraphs()


class GraphStep:
    """Records and replays one engine's training step for full batches.

    The graph holds the addresses of the module's parameters and buffers,
    the optimizer's state and gradients, and fixed input buffers that each
    batch is copied into. The first full batches run the very same step
    eagerly on the capture stream (warm-up); the next one records it. The
    engine asks :meth:`maybe` at each epoch: the graph is kept while none of
    these, nor the training modes or the optimizer's hyperparameters (a
    learning-rate schedule), has changed, and recorded anew otherwise.
    Python attributes read in ``forward`` (e.g. ``Dropout.p``) are frozen in
    a recording: changing them mid-fit needs ``cuda_graphs=False``.
    """

    WARMUP = 3  # steps run eagerly on the capture stream before recording

    def __init__(self, net, signature: tuple):
        self.net = net
        self.signature = signature
        self.stream = BACKEND.stream(torch.device(net.device))
        self.warm = 0
        self.captured = None
        self.inputs = None  # fixed X, y and weight buffers
        self.keep = None  # gradients the graph writes: kept alive

    @classmethod
    def maybe(cls, net, previous: GraphStep | None) -> GraphStep | None:
        """A step for ``net`` now, reusing ``previous`` if still valid;
        None when the eager step must run (hooks, optimizer, device, or a
        recording that failed earlier in this fit)."""
        device = torch.device(net.device)
        if not (net.cuda_graphs and BACKEND.available(device)) or net.graph_failed:
            return None
        net._set_training(True)  # the mode the training epoch will run in
        if net.batch_hooks or net.grad_hook or not _capturable(net.optimizer_):
            return None  # callbacks that act between the parts of a step
        if optimizer_has_hooks(net.optimizer_) or any(
            has_hooks(m) for m in net.module_.modules()
        ):
            return None  # Python hooks would run once, while recording
        signature = _signature(net)
        if previous is not None and previous.signature == signature:
            return previous
        return cls(net, signature)

    def __call__(self, Xb, y, w) -> dict | None:
        """The step's ``{"loss", "y_pred"}`` for a batch's features, targets
        and weights (or None), or None for the eager step."""
        if Xb.shape[0] != self.net.batch_size or self.net.graph_failed:
            return None
        if self.inputs is None:
            self.inputs = [None if t is None else t.clone() for t in (Xb, y, w)]
        if (w is None) != (self.inputs[2] is None):
            return None
        for buffer, value in zip(self.inputs, (Xb, y, w), strict=True):
            if buffer is not None:
                buffer.copy_(value)
        if self.captured is None:
            if self.warm < self.WARMUP:
                self.warm += 1
                with BACKEND.side_stream(self.stream):
                    loss, y_pred = self._step()
                # as recorded next: e.g. the optimizer state the first step
                # creates (warm-up may go on in the next epoch)
                self.signature = _signature(self.net)
                return {"loss": loss, "y_pred": y_pred}
            self._record()
            if self.net.graph_failed:
                return None
        loss, y_pred = BACKEND.replay(self.captured)
        self.net.graph_replays += 1
        return {"loss": loss, "y_pred": y_pred}

    def _step(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The recorded step: forward, loss, backward and optimizer step on
        the fixed input buffers."""
        net, optimizer = self.net, self.net.optimizer_
        X_in, y_in, w_in = self.inputs
        optimizer.zero_grad(set_to_none=True)  # backward writes fresh grads
        y_pred = net.infer(X_in)
        target = y_in if w_in is None else (y_in, w_in)
        loss = net.get_loss(y_pred, target, X=X_in, training=True)
        loss.backward()
        optimizer.step()
        return loss.detach(), y_pred.detach()

    def _record(self) -> None:
        optimizer = self.net.optimizer_
        optimizer.zero_grad(set_to_none=True)
        # fused Adam's kernel is the same either way; the flag only lets
        # Optimizer.step run under capture (set only then: it warns otherwise)
        toggled = [g for g in optimizer.param_groups if not g.get("capturable", True)]
        for group in toggled:
            group["capturable"] = True
        try:
            self.captured = BACKEND.capture(self.stream, self._step)
        except Exception:
            # e.g. the module synchronises (.item()). Not retried in this fit
            # (a failed capture may keep its memory on some torch versions);
            # the eager step runs this batch next, so a real error surfaces.
            self.net.graph_failed = True
            self.captured = None
            optimizer.zero_grad(set_to_none=True)
        finally:
            for group in toggled:
                group["capturable"] = False
        params = [p for group in optimizer.param_groups for p in group["params"]]
        self.keep = [p.grad for p in params]


def _capturable(optimizer: torch.optim.Optimizer) -> bool:
    """Whether ``optimizer.step()`` keeps all its state on the device.

    Fused Adam / AdamW (our default) and SGD do; so does any optimizer built
    with ``capturable=True``. Others (e.g. RMSprop, foreach Adam) keep a
    step counter on the CPU that a graph would freeze.
    """
    groups = optimizer.param_groups
    if all(group.get("capturable") for group in groups):
        return True
    if type(optimizer) in (torch.optim.Adam, torch.optim.AdamW):
        return all(group.get("fused") for group in groups)
    return type(optimizer) is torch.optim.SGD


def _signature(net) -> tuple:
    """What a recorded step depends on. Identities are held (not ids) so
    that a replaced module, optimizer or optimizer state is noticed; the
    storage of every parameter, buffer and optimizer-state tensor, so that
    a tensor replaced in place of another is too (``load_state_dict``, a
    callback that resets the state)."""
    module, optimizer = net.module_, net.optimizer_
    tensors = [*module.parameters(), *module.buffers()]
    hyper = [
        tuple((k, _value(v)) for k, v in sorted(group.items()) if k != "params")
        for group in optimizer.param_groups
    ]
    state = [
        tuple((k, _held(v)) for k, v in optimizer.state.get(p, {}).items())
        for group in optimizer.param_groups
        for p in group["params"]
    ]
    return (
        _Same(module),
        _Same(optimizer),
        _Same(optimizer.state),
        tuple((t.data_ptr(), t.shape, t.dtype, t.requires_grad) for t in tensors),
        tuple(m.training for m in module.modules()),
        tuple(hyper),
        tuple(state),
    )


def _held(v):
    """An optimizer-state entry as a recording holds it: a tensor by its
    storage (the step updates it there), anything else by value."""
    if isinstance(v, torch.Tensor):
        return ("at", v.data_ptr(), v.shape, v.dtype, v.device)
    return _value(v)


def _value(v):
    """A hyperparameter as recorded: a CPU tensor's value is copied into the
    graph, a device tensor is read at each replay (its address counts)."""
    if isinstance(v, tuple | list):
        return tuple(_value(item) for item in v)
    if isinstance(v, torch.Tensor):
        return v.tolist() if v.device.type == "cpu" else ("at", v.data_ptr())
    return v


class _Same:
    """Equal only to a wrapper of the very same object."""

    def __init__(self, obj):
        self.obj = obj

    def __eq__(self, other) -> bool:
        return isinstance(other, _Same) and other.obj is self.obj

    __hash__ = None
