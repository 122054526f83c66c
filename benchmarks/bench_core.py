"""Fit and predict_proba time of sktorch_clf against a hand-written torch loop
and default skorch, as ratios from one run (medians of --repeats).

Workload (DESIGN.md): make_classification(50_000, 40), binary,
net 40-64-64-1, Adam lr=1e-3, batch_size=128, torch threads=1.

    python benchmarks/bench_core.py [--epochs 5] [--repeats 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from skorch import NeuralNetBinaryClassifier
from torch import nn

from sktorch_clf import TorchBinaryClassifier
from sktorch_clf._network import make_mlp  # the same Linear/ReLU stack

HIDDEN = (64, 64)
BATCH = 128
LR = 1e-3


class SkorchModule(nn.Module):
    def __init__(self, n_features=40):
        super().__init__()
        self.net = make_mlp(n_features, 1, HIDDEN)

    def forward(self, X):
        return self.net(X).squeeze(-1)


def hand_loop(X, y, epochs, fused):
    """The loop a user writes by hand: tensors once, randperm, slices."""
    torch.manual_seed(0)
    model = make_mlp(X.shape[1], 1, HIDDEN)
    opt = torch.optim.Adam(model.parameters(), lr=LR, fused=fused or None)
    loss_fn = nn.BCEWithLogitsLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.float32))
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(Xt))
        for i in range(0, len(Xt), BATCH):
            idx = order[i : i + BATCH]
            opt.zero_grad()
            loss = loss_fn(model(Xt[idx]).squeeze(-1), yt[idx])
            loss.backward()
            opt.step()
    fit = time.perf_counter() - start
    start = time.perf_counter()
    model.eval()
    with torch.inference_mode():
        p = torch.sigmoid(model(torch.from_numpy(X))).numpy()
    np.column_stack([1 - p, p])
    return fit, time.perf_counter() - start


def timed_estimator(make, X, y):
    """Fit and predict_proba time of a fresh estimator."""
    est = make()
    start = time.perf_counter()
    est.fit(X, y)
    fit = time.perf_counter() - start
    start = time.perf_counter()
    est.predict_proba(X)
    return fit, time.perf_counter() - start


def candidates(X, y, epochs):
    ours = lambda: TorchBinaryClassifier(  # noqa: E731
        hidden_layer_sizes=HIDDEN,
        ensemble_size=1,  # the same single MLP as the peers, on every row
        early_stopping=False,
        lr=LR,
        batch_size=BATCH,
        max_epochs=epochs,
        random_state=0,
    )
    skorch = lambda: NeuralNetBinaryClassifier(  # noqa: E731
        SkorchModule,
        module__n_features=X.shape[1],
        optimizer=torch.optim.Adam,
        lr=LR,
        batch_size=BATCH,
        max_epochs=epochs,
        train_split=None,
        verbose=0,
    )
    return {
        "hand loop": lambda: hand_loop(X, y, epochs, fused=False),
        "hand loop, fused Adam": lambda: hand_loop(X, y, epochs, fused=True),
        # skorch's binary net needs a float32 target; ints raise RuntimeError
        "skorch defaults": lambda: timed_estimator(skorch, X, y.astype(np.float32)),
        "sktorch_clf": lambda: timed_estimator(ours, X, y),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=50_000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore", ConvergenceWarning)  # short fits on purpose
    X, y = make_classification(args.n_samples, 40, n_informative=20, random_state=0)
    X = X.astype(np.float32)
    runs = candidates(X, y, args.epochs)
    results = {name: [] for name in runs}
    for _ in range(args.repeats):  # interleaved, so drift hits all alike
        for name, run in runs.items():
            results[name].append(run())
    medians = {
        name: tuple(statistics.median(r[i] for r in rs) for i in (0, 1))
        for name, rs in results.items()
    }
    base_fit, base_pred = medians["hand loop"]
    print(
        f"torch {torch.__version__}, threads={args.threads}, "
        f"{args.n_samples}x40, batch {BATCH}, {args.epochs} epochs, "
        f"median of {args.repeats}"
    )
    print(f"{'':24}{'fit s':>8}{'x hand':>8}{'proba ms':>10}{'x hand':>8}")
    for name, (fit, pred) in medians.items():
        print(
            f"{name:24}{fit:8.2f}{fit / base_fit:8.2f}"
            f"{pred * 1e3:10.1f}{pred / base_pred:8.2f}"
        )


if __name__ == "__main__":
    main()
