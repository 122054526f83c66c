"""The private skorch engine: tensor batches and a lean training epoch."""

from __future__ import annotations

import itertools

import torch
from skorch import NeuralNet
from skorch.callbacks import EpochTimer, PrintLog

from ._data import take_rows


class TensorData:
    """Training data converted once per fit: features, targets, device.

    ``X`` is a CPU or device tensor, or a scipy CSR matrix densified one
    batch at a time; ``y`` is a tensor on the training device.
    """

    def __init__(self, X, y: torch.Tensor, device: torch.device):
        self.X = X
        self.y = y
        self.device = device

    def __len__(self) -> int:
        return self.X.shape[0]

    def batch(self, rows) -> tuple[torch.Tensor, torch.Tensor]:
        Xb = take_rows(self.X, rows).to(self.device, non_blocking=True)
        return Xb, self.y[rows]


class BatchIterator:
    """Mini-batches sliced from a :class:`TensorData`, shuffled if asked.

    Shuffling draws from torch's global RNG, which the estimator seeds
    from ``random_state`` (and restores) around each fit.
    """

    def __init__(self, data: TensorData, batch_size: int, shuffle: bool):
        self.data = data
        self.batch_size = batch_size
        self.shuffle = shuffle

    def _bounds(self) -> list[int]:
        """Batch edges; a last batch of one row joins the previous batch
        (BatchNorm cannot train on a single row)."""
        n = len(self.data)
        edges = [*range(0, n, self.batch_size), n]
        if len(edges) > 2 and edges[-1] - edges[-2] == 1:
            del edges[-2]
        return edges

    def __len__(self) -> int:
        return len(self._bounds()) - 1

    def __iter__(self):
        edges = self._bounds()
        order = None
        if self.shuffle:
            order = torch.randperm(len(self.data)).to(self.data.y.device)
        for start, stop in itertools.pairwise(edges):
            rows = slice(start, stop) if order is None else order[start:stop]
            yield self.data.batch(rows)


class Engine(NeuralNet):
    """skorch's ``NeuralNet`` fed by :class:`BatchIterator`.

    Overrides, each for speed: batches are slices of tensors converted once
    (``get_dataset`` / ``get_iterator``), the epoch loss is accumulated on
    the device and read once per epoch (``run_single_epoch``), and only the
    epoch timer (plus ``PrintLog`` when verbose) runs by default.
    ``flatten_output`` squeezes a binary model's ``(n, 1)`` logits to ``(n,)``.
    """

    def __init__(self, module, criterion, *, flatten_output=False, **net_params):
        super().__init__(module, criterion, **net_params)
        self.flatten_output = flatten_output

    @property
    def _default_callbacks(self):
        callbacks = [("epoch_timer", EpochTimer())]
        if self.verbose:
            callbacks.append(("print_log", PrintLog()))
        return callbacks

    def get_dataset(self, X, y=None):
        return X

    def get_iterator(self, dataset, training=False):
        return BatchIterator(dataset, self.batch_size, shuffle=training)

    def infer(self, x, **fit_params):
        out = self.module_(x, **fit_params)
        return out.reshape(-1) if self.flatten_output else out

    def get_loss(self, y_pred, y_true, X=None, training=False):
        return self.criterion_(y_pred, y_true)

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if iterator is None:
            return
        total = torch.zeros((), device=self.device)
        n_seen = batch_count = 0
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            size = batch[0].shape[0]
            total += step["loss"].detach() * size
            n_seen += size
            batch_count += 1
            self.notify("on_batch_end", batch=batch, training=training, **step)
        self.history.record(prefix + "_batch_count", batch_count)
        self.history.record(prefix + "_loss", (total / max(n_seen, 1)).item())
