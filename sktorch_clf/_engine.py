"""The private skorch engine: a lean training epoch over tensor batches."""

from __future__ import annotations

import math
import sys

import numpy as np
import torch
from sklearn.utils import check_array
from skorch import NeuralNet
from skorch.callbacks import (
    Callback,
    EarlyStopping,
    EpochTimer,
    LRScheduler,
    PrintLog,
)
from skorch.utils import TeeGenerator

from ._batches import BatchIterator, TensorData, with_weight, without_weight
from ._data import as_float_tensor, at_most_threads
from ._fast import DirectAdam, MLPStep, step_threads
from ._graph import GraphStep
from ._outputs import Outputs
from ._stopping import StopRule

_FINAL_LR = 0.01  # the cosine schedule's last learning rate, as a share of lr


def _listens(callback: Callback, name: str) -> bool:
    """Whether ``callback`` acts on notification ``name``; an LRScheduler
    stepping per epoch has a per-batch method that returns at once."""
    method = getattr(type(callback), name)
    if method is getattr(Callback, name):
        return False
    per_epoch = isinstance(callback, LRScheduler) and callback.step_every == "epoch"
    return not (per_epoch and method is LRScheduler.on_batch_end)


def _print_to_stderr(text: str) -> None:
    print(text, file=sys.stderr)


class Engine(Outputs, NeuralNet):
    """skorch's ``NeuralNet`` fed by :class:`BatchIterator`.

    Overrides, each for speed or control: batches are slices of tensors
    converted once (``get_iterator``); the epoch loss is accumulated on the
    device and read once per epoch (``run_single_epoch``); only the epoch
    timer (plus ``PrintLog`` when verbose) runs by default; :meth:`train`
    replaces skorch's ``fit_loop`` so that a :class:`StopRule` can end
    training with a plain ``break``. The criterion returns per-sample losses
    (``reduction='none'``) and :meth:`get_loss` takes their (weighted) mean
    (with the members, hits and predictions, in :class:`Outputs`).
    ``flatten_output`` marks a binary model: ``(n, 1)`` logits become ``(n,)``.
    ``cuda_graphs`` lets full training batches on CUDA replay a recorded
    step (:class:`GraphStep`); ``graph_replays`` counts them in a fit.
    """

    # per-fit state, set by train() and _find_hooks(); these class-level
    # defaults hold before a first fit and after loading or unpickling
    fast_step = direct_step = graph_step = None
    batch_hooks = True
    grad_hook = False
    record_batches = False
    shuffle_generator = None
    graph_replays = 0
    graph_failed = False
    stopped_by_callback = False
    lr_schedule = "constant"
    epoch_open = False

    def __init__(
        self,
        module,
        criterion,
        *,
        flatten_output=False,
        cuda_graphs=True,
        threshold=0.5,
        n_classes=2,
        **net_params,
    ):
        super().__init__(module, criterion, **net_params)
        self.flatten_output = flatten_output
        self.n_classes = n_classes
        self.cuda_graphs = cuda_graphs
        self.threshold = threshold

    def __getstate__(self):
        """Without the per-fit shortcuts (a mid-fit ``Checkpoint`` pickle)."""
        state = super().__getstate__()
        for key in ("fast_step", "direct_step", "graph_step", "shuffle_generator"):
            state.pop(key, None)
        return state

    @property
    def _default_callbacks(self):
        callbacks = [("epoch_timer", EpochTimer())]
        if self.verbose:
            keys = ["train_batch_count", "valid_batch_count"]
            printer = PrintLog(keys_ignored=keys, sink=_print_to_stderr)
            callbacks.append(("print_log", printer))
        return callbacks

    def train(
        self,
        train: TensorData,
        valid: TensorData | None,
        epochs: int,
        stop_rule: StopRule | None = None,
        shuffle: torch.Generator | None = None,
        schedule_start: int = 0,
    ) -> bool:
        """Run up to ``epochs`` epochs; return True if interrupted by Ctrl-C.

        On ``KeyboardInterrupt`` the model keeps the weights reached so far,
        as in skorch, and the history keeps the epochs that completed. A
        ``stop_rule`` ends training early and may restore the weights of its
        best epoch; so may skorch's ``EarlyStopping``. ``shuffle`` is the
        generator the batch order is drawn from; ``schedule_start`` is the
        position of the first epoch in the learning-rate schedule.
        """
        self.check_training_readiness()
        self.shuffle_generator = shuffle
        self.graph_replays = 0
        self.graph_failed = False  # a failed recording is not retried
        self.stopped_by_callback = False
        self.notify("on_train_begin", X=train, y=None)
        interrupted = False
        epochs_before = len(self.history)
        try:
            threads = step_threads(self.module_, self.batch_size, self.device)
            with at_most_threads(threads):
                self._epochs(train, valid, epochs, stop_rule, schedule_start)
        except KeyboardInterrupt:
            interrupted = True
        except torch.OutOfMemoryError as exc:
            raise MemoryError(
                f"The {self.device} device ran out of memory while training with "
                f"batch_size={self.batch_size}; try a smaller batch_size (or a "
                f"smaller network). torch said: {exc}"
            ) from exc
        finally:
            self._drop_unfinished_epoch(epochs_before)
            if self.graph_step is not None:
                # release the gradients in the graph's memory pool
                self.optimizer_.zero_grad(set_to_none=True)
            # they hold the module's layers and optimizer state: not pickled
            self.fast_step = self.direct_step = self.graph_step = None
            self.shuffle_generator = None
        self._check_finite_weights()
        if stop_rule is not None:
            stop_rule.restore_best(self.module_)
        self.notify("on_train_end", X=train, y=None)
        return interrupted

    def _epochs(self, train, valid, epochs, stop_rule, schedule_start) -> None:
        batches_train = self.get_iterator(train, training=True)
        batches_valid = None if valid is None else self.get_iterator(valid)
        on_epoch = {"dataset_train": train, "dataset_valid": valid}
        for epoch in range(epochs):
            self._schedule_lr(schedule_start + epoch)
            self.epoch_open = True
            self.notify("on_epoch_begin", **on_epoch)
            self._find_hooks()  # after the callbacks' epoch start (e.g. Freezer)
            self.run_single_epoch(batches_train, True, "train", step_fn=self.train_step)
            self.run_single_epoch(
                batches_valid, False, "valid", step_fn=self.validation_step
            )
            self.epoch_open = False  # its losses are recorded
            if self._end_epoch(on_epoch):
                self.stopped_by_callback = True
                break
            if stop_rule is not None and stop_rule.should_stop(self):
                break

    def _schedule_lr(self, position: int) -> None:
        """``lr_schedule='cosine'``: the learning rate of epoch ``position``
        falls from ``lr`` to ``lr / 100`` along half a cosine over
        ``max_epochs`` epochs (and stays there)."""
        if self.lr_schedule != "cosine":
            return
        progress = min(position / max(self.max_epochs - 1, 1), 1.0)
        factor = _FINAL_LR + (1 - _FINAL_LR) * 0.5 * (1 + math.cos(math.pi * progress))
        for group in self.optimizer_.param_groups:
            group["lr"] = self.lr * factor

    def _end_epoch(self, on_epoch: dict) -> bool:
        """Notify the end of an epoch; True if a callback stopped training.

        skorch's ``EarlyStopping`` stops by raising ``KeyboardInterrupt``
        once it has missed ``patience`` epochs: that is a stop, not a Ctrl-C.
        """
        try:
            self.notify("on_epoch_end", **on_epoch)
        except KeyError as exc:  # skorch's History names the missing key
            raise ValueError(
                f"A callback read from the history what this fit does not record "
                f"({exc.args[0]}). Each epoch records train_loss and, with "
                "early_stopping=True, valid_loss and valid_acc (e.g. skorch's "
                "EarlyStopping monitors valid_loss: set early_stopping=True or "
                "monitor='train_loss')."
            ) from exc
        except KeyboardInterrupt:
            if not any(
                isinstance(cb, EarlyStopping) and cb.misses_ >= cb.patience
                for _, cb in self.callbacks_
            ):
                raise
            return True
        return False

    def _drop_unfinished_epoch(self, epochs_before: int) -> None:
        """Remove the history row of an epoch that an interrupt or an error
        cut short, so that the history holds completed epochs only."""
        history = self.history
        if self.epoch_open and len(history) > epochs_before:
            del history[-1]
        self.epoch_open = False

    def _check_finite_weights(self) -> None:
        """The last step's update is not covered by the epoch loss check."""
        bad = [
            name
            for name, p in self.module_.named_parameters()
            if not torch.isfinite(p).all()
        ]
        if bad:
            raise ValueError(
                f"Training produced non-finite weights in {bad}. The learning "
                "rate may be too high (try a smaller lr) or the inputs unscaled "
                "(try StandardScaler in a Pipeline)."
            )

    def _find_hooks(self) -> None:
        """Which per-batch notifications some callback actually listens to
        (the others are skipped: each costs Python calls on every step), and
        which shortcuts of ``_fast`` apply to the module and optimizer now."""

        def hooked(name):
            return any(_listens(cb, name) for _, cb in self.callbacks_)

        self.batch_hooks = hooked("on_batch_begin") or hooked("on_batch_end")
        self.record_batches = any(
            not isinstance(cb, EpochTimer | PrintLog) for _, cb in self.callbacks_
        )
        self.grad_hook = hooked("on_grad_computed")
        self.fast_step = MLPStep.maybe(
            self.module_, self.criterion_, self.flatten_output
        )
        self.direct_step = DirectAdam.maybe(self.optimizer_)
        self.graph_step = GraphStep.maybe(self, getattr(self, "graph_step", None))

    def train_step(self, batch, **fit_params):
        """One optimizer step: a replayed CUDA graph where one applies,
        else :meth:`eager_step`."""
        graph = getattr(self, "graph_step", None)
        if graph is not None and not fit_params:
            step = graph(batch[0], *with_weight(batch[1]))
            if step is not None:
                return step
        return self.eager_step(batch, **fit_params)

    def eager_step(self, batch, **fit_params):
        """One optimizer step without skorch's closure and step accumulator
        (only optimizers like LBFGS, which re-evaluate the loss, need them),
        taking the shortcuts of ``_fast`` where they apply."""
        if isinstance(self.optimizer_, torch.optim.LBFGS):
            return super().train_step(batch, **fit_params)
        fast = getattr(self, "fast_step", None)
        if fast is not None and (fit_params or fast.module is not self.module_):
            fast = None  # module replaced by a callback, or forward arguments
        if fast is None:
            self._zero_grad_optimizer()
            step = self.train_step_single(batch, **fit_params)
        else:  # sets every .grad itself
            if self.batch_hooks:
                fast.refresh()  # a per-batch callback may rebind param.data
            Xi, (y, weight) = batch[0], with_weight(batch[1])
            loss, y_pred = fast(Xi, y, weight)
            step = {"loss": loss, "y_pred": y_pred}
        if self.grad_hook:
            params = TeeGenerator(self.get_all_learnable_params())
            self.notify(
                "on_grad_computed",
                named_parameters=params,
                batch=without_weight(batch),
                training=True,
            )
        direct = getattr(self, "direct_step", None)
        if direct is not None and direct.optimizer is self.optimizer_:
            direct.step()
        else:
            self._step_optimizer(None)
        return step

    def train_step_single(self, batch, **fit_params):
        """skorch's step, but the training mode is set once per epoch."""
        Xi, yi = batch
        y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        loss.backward()
        return {"loss": loss, "y_pred": self.combined(y_pred.detach())}

    def get_iterator(self, dataset, training=False):
        return BatchIterator(
            dataset, self.batch_size, shuffle=training, generator=self.shuffle_generator
        )

    def get_dataset(self, X, y=None):
        """Our :class:`TensorData`, or, for skorch's own ``net_.forward(X)``
        and ``net_.predict_proba(X)``, X validated and wrapped the same way."""
        if isinstance(X, TensorData):
            return X
        if isinstance(X, torch.Tensor):  # a TensorData's X, e.g. for scoring
            return TensorData(X, None, torch.device(self.device))
        X = as_float_tensor(check_array(X, accept_sparse="csr", dtype=np.float32))
        y = None if y is None else torch.as_tensor(np.asarray(y))
        return TensorData(X, y, torch.device(self.device))

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """One pass; records the epoch's loss (and accuracy when not training)
        as means weighted by the samples' weights."""
        if iterator is None:
            return
        # running sums stay on the device; read once per epoch (no sync per batch)
        sums = torch.zeros(3, dtype=torch.float64, device=self.device)
        loss_sum, hits_sum, weight_sum = sums[0], sums[1], sums[2]
        batch_count = n_rows = 0
        self._set_training(training)
        hooks, record = self.batch_hooks, self.record_batches
        for batch in iterator:
            seen = without_weight(batch)  # what callbacks see: (X, y)
            if hooks:
                self.notify("on_batch_begin", batch=seen, training=training)
            else:  # what notify's own NeuralNet.on_batch_begin would do
                self.history.new_batch()
            step = step_fn(batch, **fit_params)
            size = batch[0].shape[0]
            y, weight = with_weight(batch[1])
            if weight is not None and weight.dim() == 2:
                weight = weight.mean(1)  # a row's weight, over the members
            loss_sum.add_(step["loss"].detach(), alpha=size)  # sum of w * loss
            if weight is None:
                n_rows += size
            else:
                weight_sum.add_(weight.sum())
            if not training:
                hits_sum.add_(self._hits(step["y_pred"], y, weight))
            batch_count += 1
            if record:  # per-batch history, read by skorch's scoring callbacks
                self.history.record_batch(prefix + "_loss", step["loss"].item())
                self.history.record_batch(prefix + "_batch_size", size)
            if hooks:
                self.notify("on_batch_end", batch=seen, training=training, **step)
        total_loss, hits, weight = sums.tolist()
        weight += n_rows
        loss = total_loss / weight
        if not math.isfinite(loss):
            raise ValueError(
                f"The {prefix} loss became {loss} in epoch {len(self.history)}. "
                "The learning rate may be too high (try a smaller lr) or the "
                "inputs unscaled (try StandardScaler in a Pipeline)."
            )
        self.history.record(prefix + "_batch_count", batch_count)
        self._record_loss(prefix + "_loss", loss)
        if not training:
            self.history.record(prefix + "_acc", hits / weight)

    def _record_loss(self, key: str, loss: float) -> None:
        """The loss and, as skorch's default scoring does, ``<key>_best``
        (read by ``Checkpoint`` and friends)."""
        earlier = [row[key] for row in self.history[:-1] if key in row]
        self.history.record(key, loss)
        self.history.record(key + "_best", not earlier or loss < min(earlier))

    # -- what the estimator does instead -----------------------------------
    def fit(self, X, y=None, **fit_params):
        raise _use_the_estimator("fit")

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        raise _use_the_estimator("partial_fit")

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        raise _use_the_estimator("fit")


def _use_the_estimator(method: str) -> NotImplementedError:
    return NotImplementedError(
        f"net_.{method}() is not supported: net_ is the engine the estimator "
        f"trains with (its inputs are prepared by the estimator); call the "
        f"estimator's {method}() instead, e.g. clf.{method}(X, y)"
    )
