"""Fit time with one or two torch intra-op threads, by network size, and the
effect of ``_fast.step_threads`` (small plain MLPs train on one thread).

Each fit follows a short burst of numpy matrix products, as numpy or
scikit-learn work before a fit in a pipeline would (numpy's OpenBLAS threads
then still hold the second core for a while); ``--quiet`` leaves it out.
Columns: 1 thread; 2 threads without the one-thread rule; 2 threads as
shipped. Interleaved in one process, medians of --repeats.

    python benchmarks/bench_threads.py [--repeats 3] [--quiet]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

from sktorch_clf import TorchBinaryClassifier, _fast

# rows, features, hidden layers, batch size, epochs
CASES = [
    (40_000, 40, (64, 64), 128, 5),
    (40_000, 40, (100,), 200, 5),
    (40_000, 40, (64, 64), 512, 5),
    (40_000, 40, (256, 256), 128, 3),
    (100_000, 100, (256, 256), 1024, 2),
]
SHIPPED = _fast.SMALL_STEP


def fit_seconds(X, y, hidden, batch, epochs, burst) -> float:
    if burst is not None:
        for _ in range(5):
            burst @ burst
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
    parser.add_argument("--quiet", action="store_true", help="no numpy burst")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    rng = np.random.default_rng(0)
    burst = None if args.quiet else rng.standard_normal((800, 800))
    print(f"torch {torch.__version__}, median of {args.repeats}, fit seconds")
    print(
        f"{'rows x cols':>14} {'hidden':>11} {'batch':>6} {'1 thread':>9} "
        f"{'2, no rule':>11} {'2, shipped':>11}"
    )
    columns = [(1, SHIPPED), (2, 0), (2, SHIPPED)]  # threads, SMALL_STEP
    for n, d, hidden, batch, epochs in CASES:
        X = rng.standard_normal((n, d), dtype=np.float32)
        y = (X[:, :5].sum(axis=1) > 0).astype(int)
        times = [[] for _ in columns]
        for _ in range(args.repeats):
            for column, (threads, small_step) in zip(times, columns, strict=True):
                torch.set_num_threads(threads)
                _fast.SMALL_STEP = small_step
                column.append(fit_seconds(X, y, hidden, batch, epochs, burst))
        _fast.SMALL_STEP = SHIPPED
        one, two_off, two_on = (statistics.median(t) for t in times)
        print(
            f"{n:>8} x {d:<3} {hidden!s:>11} {batch:>6} {one:9.3f} "
            f"{two_off:11.3f} {two_on:11.3f}"
        )


if __name__ == "__main__":
    main()
