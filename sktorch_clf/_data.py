"""Input conversion to tensors, device choice and seeding."""

from __future__ import annotations

import contextlib
import functools
import threading
import warnings
from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils import check_random_state
from threadpoolctl import ThreadpoolController


def as_float_tensor(X) -> torch.Tensor | sp.csr_matrix:
    """Return validated ``X`` (float32) as a CPU tensor, sharing memory.

    Sparse input stays a scipy CSR matrix; it is densified per batch.
    The caller's array is never written to: batches are gathered copies.
    """
    if sp.issparse(X):
        return X.tocsr()
    X = np.ascontiguousarray(X, dtype=np.float32)
    with warnings.catch_warnings():
        # A read-only array (e.g. a memmap) is shared, never written to.
        warnings.filterwarnings("ignore", message=".*not writable.*")
        return torch.from_numpy(X)


def take_rows(X: torch.Tensor | sp.csr_matrix, rows, copy: bool = True) -> torch.Tensor:
    """Rows of ``X`` (a slice or an index tensor) as a dense tensor.

    A copy, not a view of the caller's array, unless ``copy=False`` (for a
    module known not to write to its input): a module that writes to its
    input (e.g. ``ReLU(inplace=True)``) must not change the caller's data,
    nor write to a read-only memmap.
    """
    if isinstance(X, torch.Tensor):
        if isinstance(rows, slice):
            return X[rows].clone() if copy else X[rows]
        return X.index_select(0, rows)
    if isinstance(rows, torch.Tensor):
        rows = rows.cpu().numpy()
    return torch.from_numpy(X[rows].toarray())


_DEVICE_HELP = "device must be 'cpu', 'cuda', 'cuda:N', 'mps' or 'auto', got {!r}"


def resolve_device(device: str) -> torch.device:
    """Turn the ``device`` parameter into an available ``torch.device``.

    ``'auto'`` picks CUDA, then MPS, then the CPU.
    """
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(_DEVICE_HELP.format(device)) from exc
    if resolved.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available on "
                "this machine; use device='cpu' or device='auto'"
            )
        if resolved.index is not None and resolved.index >= count:
            raise ValueError(
                f"device={device!r} was requested but only {count} CUDA "
                "device(s) are available"
            )
    elif resolved.type == "mps" and not _mps_available():
        raise ValueError(f"device={device!r} was requested but MPS is not available")
    elif resolved.type not in ("cpu", "cuda", "mps"):
        raise ValueError(_DEVICE_HELP.format(device))
    return resolved


def _mps_available() -> bool:
    return hasattr(torch.backends, "mps") and torch.backends.mps.is_available()


def draw_seed(random_state) -> int:
    """A torch seed from ``random_state`` without touching global RNG state.

    ``None`` draws fresh OS entropy (so fits differ); an int or a
    ``RandomState`` gives a reproducible seed.
    """
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0])
    return int(check_random_state(random_state).randint(0, 2**31 - 1))


# Torch's default generators are process-wide: sections that seed and draw
# from them (building a network, training one that uses dropout) hold this
# lock, so that concurrent fits in threads each draw their own stream.
_GLOBAL_RNG = threading.RLock()


@contextlib.contextmanager
def seeded(seed: int, device: torch.device) -> Iterator[None]:
    """Seed torch's default generators inside, restoring the caller's state
    after; concurrent sections in other threads wait.

    Only the CPU generator and, for a CUDA ``device``, that device's are
    seeded and restored: a CPU fit never initialises CUDA.
    """
    devices = []
    if device.type == "cuda":
        devices = [device.index if device.index is not None else 0]
    with _GLOBAL_RNG, torch.random.fork_rng(devices=devices):
        torch.default_generator.manual_seed(seed)
        for index in devices:
            with torch.cuda.device(index):
                torch.cuda.manual_seed(seed)
        yield


def local_generator(seed: int) -> torch.Generator:
    """A CPU generator of its own (shuffling draws from it, not torch's
    global one)."""
    return torch.Generator().manual_seed(seed)


@contextlib.contextmanager
def at_most_threads(n: int | None) -> Iterator[None]:
    """At most ``n`` OpenMP threads for torch's operations in the calling
    thread only (None: unchanged).

    ``torch.set_num_threads`` would also set the default that every thread
    starting to use torch meanwhile keeps for good. The OpenMP runtime's own
    per-thread setting (through threadpoolctl) limits this thread alone and
    is restored on the way out; where no OpenMP runtime is found nothing is
    limited.
    """
    if n is None or n >= torch.get_num_threads():
        yield
        return
    with _openmp().limit(limits=n):
        yield


@functools.cache
def _openmp() -> ThreadpoolController:
    """The OpenMP runtimes loaded in this process (torch's among them)."""
    return ThreadpoolController().select(user_api="openmp")
