"""Fit time with one or two torch intra-op threads, by network size.

Small tabular networks gain nothing from a second thread (their matrix
products are too small to split); larger ones do. Threads are interleaved
in one process; medians of --repeats.

    python benchmarks/bench_threads.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

from sktorch_clf import TorchBinaryClassifier

# rows, features, hidden layers, batch size, epochs
CASES = [
    (40_000, 40, (64, 64), 128, 5),
    (40_000, 40, (64, 64), 512, 5),
    (40_000, 40, (100,), 200, 5),
    (40_000, 40, (256, 256), 128, 3),
    (100_000, 100, (256, 256), 1024, 2),
]


def fit_seconds(X, y, hidden, batch, epochs) -> float:
    clf = TorchBinaryClassifier(
        hidden_layer_sizes=hidden,
        batch_size=batch,
        max_epochs=epochs,
        n_iter_no_change=epochs,
        random_state=0,
    )
    start = time.perf_counter()
    clf.fit(X, y)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    rng = np.random.default_rng(0)
    print(f"torch {torch.__version__}, median of {args.repeats}")
    print(
        f"{'rows x cols':>14} {'hidden':>11} {'batch':>6} {'1 thread s':>11} "
        f"{'2 threads s':>12}"
    )
    for n, d, hidden, batch, epochs in CASES:
        X = rng.standard_normal((n, d), dtype=np.float32)
        y = (X[:, :5].sum(axis=1) > 0).astype(int)
        times = {1: [], 2: []}
        for _ in range(args.repeats):
            for threads in times:
                torch.set_num_threads(threads)
                times[threads].append(fit_seconds(X, y, hidden, batch, epochs))
        one, two = (statistics.median(times[t]) for t in (1, 2))
        print(f"{n:>8} x {d:<3} {hidden!s:>11} {batch:>6} {one:11.3f} {two:12.3f}")


if __name__ == "__main__":
    main()
