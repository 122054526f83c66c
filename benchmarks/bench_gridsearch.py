"""GridSearchCV wall time with n_jobs=2 against n_jobs=1 (target: <= 0.6x).

4 candidates x 3 folds of TorchBinaryClassifier on make_classification
(50_000, 40), 10 epochs each; timed with and without the final refit (which
runs alone, in the main process). Also prints the torch intra-op threads that a
joblib worker sees: loky limits OMP_NUM_THREADS to cores // n_jobs, which
torch reads at import, so workers do not oversubscribe the cores.

    python benchmarks/bench_gridsearch.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

import numpy as np
import torch
from joblib import Parallel, delayed
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from sktorch_clf import TorchBinaryClassifier

GRID = {"hidden_layer_sizes": [(32,), (64, 64)], "lr": [1e-3, 1e-2]}


def worker_threads() -> tuple[int, str | None]:
    return torch.get_num_threads(), os.environ.get("OMP_NUM_THREADS")


def search(X, y, n_jobs: int, refit: bool) -> float:
    est = TorchBinaryClassifier(
        ensemble_size=1,
        early_stopping=False,
        max_epochs=10,
        n_iter_no_change=11,
        random_state=0,
    )
    start = time.perf_counter()
    GridSearchCV(est, GRID, cv=3, n_jobs=n_jobs, refit=refit).fit(X, y)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = make_classification(50_000, 40, n_informative=20, random_state=0)
    X = X.astype(np.float32)
    seen = Parallel(n_jobs=2)(delayed(worker_threads)() for _ in range(2))
    print(
        f"{os.cpu_count()} cores; main process torch threads "
        f"{torch.get_num_threads()}; n_jobs=2 workers see (torch, OMP) {seen}"
    )
    search(X, y, 2, refit=False)  # start the worker pool once, as a long run would
    for refit in (True, False):
        times = {1: [], 2: []}
        for _ in range(args.repeats):
            for n_jobs in (1, 2):
                times[n_jobs].append(search(X, y, n_jobs, refit))
        one, two = (statistics.median(times[k]) for k in (1, 2))
        print(
            f"refit={refit}: n_jobs=1 {one:.2f} s, n_jobs=2 {two:.2f} s, "
            f"ratio {two / one:.2f} (median of {args.repeats})"
        )


if __name__ == "__main__":
    main()
