"""Inference outside the training machinery: the network's logits."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from ._data import take_rows
from ._fast import plain_forward
from ._network import check_logits

_PREDICT_CHUNK = 65_536
_PREDICT_VALUES = 2**24  # 64 MiB of float32 per dense chunk


def network_logits(
    net, X: torch.Tensor | sp.csr_matrix, n_outputs: int, copy: bool
) -> np.ndarray:
    """Float64 logits of validated ``X``, ``(n_samples, n_outputs)``, from
    ``net.module_`` run in eval mode in large batches.

    A chunk holds at most ``_PREDICT_CHUNK`` rows and ``_PREDICT_VALUES``
    values, so that sparse input is densified a bounded block at a time.
    ``copy=False`` passes slices of ``X`` itself, for a module known not to
    write to its input.
    """
    rows = max(1, min(_PREDICT_CHUNK, _PREDICT_VALUES // X.shape[1]))
    net.module_.eval()
    forward = plain_forward(net.module_) or net.module_
    chunks = []
    with torch.inference_mode():
        for start in range(0, X.shape[0], rows):
            batch = take_rows(X, slice(start, start + rows), copy=copy)
            out = forward(batch.to(net.device))
            check_logits(out, len(batch), n_outputs, "module")
            if out.dtype not in (torch.float32, torch.float64):
                out = out.float()  # e.g. bfloat16 logits: numpy has none
            chunks.append(out.reshape(len(batch), -1).cpu().numpy())
    logits = np.concatenate(chunks).astype(np.float64)
    if np.isnan(logits).any():
        raise ValueError(
            "The network produced NaN outputs for some rows of X; are "
            "their values far outside the training data's range?"
        )
    return logits
