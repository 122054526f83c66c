"""Training data as tensors converted once per fit, and its mini-batches."""

from __future__ import annotations

import itertools

import torch
from skorch.dataset import Dataset

from ._data import take_rows


class TensorData(Dataset):
    """Training data converted once per fit: features, targets, weights.

    ``X`` is a CPU or device tensor, or a scipy CSR matrix densified one
    batch at a time; ``y`` and the optional per-sample weights ``w`` are
    tensors on the training device. A skorch ``Dataset`` (with ``X`` and
    ``y``) for the callbacks that read one, such as ``EpochScoring`` with
    ``use_caching=False``; batches are never drawn row by row from it.
    """

    def __init__(
        self, X, y: torch.Tensor | None, device: torch.device, w=None, order=None
    ):
        self.X = X
        self.y = y
        self.w = w
        self.device = device
        self.order = order  # X's rows in this order; y and w already are

    def __len__(self) -> int:
        return self.X.shape[0]

    def shuffled(self, generator: torch.Generator | None) -> TensorData:
        """The same data in a random order drawn from ``generator`` (a CPU
        generator): the small targets and weights are permuted now, X's
        rows one batch at a time."""
        order = torch.randperm(len(self), generator=generator).to(self.device)
        y = None if self.y is None else self.y[order]
        w = None if self.w is None else self.w[order]
        return TensorData(self.X, y, self.device, w, order)

    def batch(self, rows: slice):
        """``(X, y)``, or ``(X, (y, w))`` when the data carries weights."""
        x_rows = rows if self.order is None else self.order[rows]
        Xb = take_rows(self.X, x_rows).to(self.device, non_blocking=True)
        yb = None if self.y is None else self.y[rows]
        if self.w is None:
            return Xb, yb
        return Xb, (yb, self.w[rows])


class BatchIterator:
    """Mini-batches sliced from a :class:`TensorData`, shuffled if asked.

    Shuffling draws from ``generator``, the fit's own generator seeded from
    ``random_state`` (torch's global one when None).
    """

    def __init__(
        self,
        data: TensorData,
        batch_size: int,
        shuffle: bool,
        generator: torch.Generator | None = None,
    ):
        self.data = data
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator

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
        data = self.data.shuffled(self.generator) if self.shuffle else self.data
        for start, stop in itertools.pairwise(self._bounds()):
            yield data.batch(slice(start, stop))


def with_weight(y_true) -> tuple:
    """``(y, weight)`` of a batch's targets; weight is None when unweighted."""
    return y_true if isinstance(y_true, tuple) else (y_true, None)


def without_weight(batch: tuple) -> tuple:
    """A batch as skorch's callbacks expect it, ``(X, y)``."""
    return batch[0], with_weight(batch[1])[0]
