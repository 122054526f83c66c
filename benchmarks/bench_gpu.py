"""GPU training throughput (samples/s) of sktorch_clf against skorch defaults
and a hand-written eager loop, plus predict_proba throughput (rows/s).

Workload: 1M x 100 float32, binary, net 100-256-256-1, Adam,
one epoch, batch 1024 and 4096, with the recorded CUDA-graph step
(``cuda_graphs=True``, the default) and without. Needs CUDA.

    python benchmarks/bench_gpu.py [--n-samples 1000000] [--repeats 1]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from skorch import NeuralNetBinaryClassifier
from torch import nn

from sktorch_clf import TorchBinaryClassifier
from sktorch_clf._network import make_mlp  # the same Linear/ReLU stack

HIDDEN = (256, 256)


def sync_time(fn) -> float:
    torch.cuda.synchronize()
    start = time.perf_counter()
    fn()
    torch.cuda.synchronize()
    return time.perf_counter() - start


def hand_loop(X, y, batch, fused):
    """Data on the GPU once, randperm, slices, eager step."""

    def run():
        model = nn.Sequential(*make_mlp(X.shape[1], 1, HIDDEN), nn.Flatten(0)).cuda()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=fused or None)
        loss_fn = nn.BCEWithLogitsLoss()
        Xt = torch.from_numpy(X).cuda()
        yt = torch.from_numpy(y).cuda()
        order = torch.randperm(len(Xt), device="cuda")
        for i in range(0, len(Xt), batch):
            idx = order[i : i + batch]
            opt.zero_grad()
            loss_fn(model(Xt[idx]), yt[idx]).backward()
            opt.step()

    return sync_time(run)


def skorch_defaults(X, y, batch):
    net = NeuralNetBinaryClassifier(
        nn.Sequential(*make_mlp(X.shape[1], 1, HIDDEN), nn.Flatten(0)),
        optimizer=torch.optim.Adam,
        lr=1e-3,
        batch_size=batch,
        max_epochs=1,
        train_split=None,
        device="cuda",
        verbose=0,
    )
    return sync_time(lambda: net.fit(X, y))


def ours(X, y, batch, cuda_graphs=True):
    """Fit and predict_proba seconds, and how many steps replayed a graph."""
    clf = TorchBinaryClassifier(
        hidden_layer_sizes=HIDDEN,
        ensemble_size=1,  # the same single MLP as skorch's, on every row
        early_stopping=False,
        batch_size=batch,
        max_epochs=1,
        device="cuda",
        cuda_graphs=cuda_graphs,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # one epoch
        fit = sync_time(lambda: clf.fit(X, y))
    predict = sync_time(lambda: clf.predict_proba(X))
    return fit, predict, clf.net_.graph_replays


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=1_000_000)
    parser.add_argument("--skorch-samples", type=int, default=200_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.n_samples, 100), dtype=np.float32)
    y = (X[:, :10].sum(axis=1) > 0).astype(np.float32)
    n, n_sk = len(X), args.skorch_samples
    ours(X[:5000], y[:5000], 1024)  # warm-up: CUDA context, cuBLAS, kernels
    hand_loop(X[:5000], y[:5000], 1024, True)
    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}, {n}x100")
    print("batch  candidate                         samples/s")
    for batch in (1024, 4096):
        fit, predict, replays = ours(X, y, batch)
        eager_fit = ours(X, y, batch, cuda_graphs=False)[0]
        rows = [
            (f"sktorch_clf fit ({replays} replays)", n / fit),
            ("sktorch_clf fit, eager", n / eager_fit),
            ("hand eager", n / hand_loop(X, y, batch, False)),
            ("hand eager fused", n / hand_loop(X, y, batch, True)),
            (
                f"skorch ({n_sk} rows)",
                n_sk / skorch_defaults(X[:n_sk], y[:n_sk], batch),
            ),
            ("sktorch_clf predict", n / predict),
        ]
        for name, rate in rows:
            print(f"{batch:5d}  {name:32s}{rate / 1e6:8.2f}M")


if __name__ == "__main__":
    main()
