"""Fit time with one or two torch intra-op threads, by network size, and the
cost of the one-thread rule for small plain MLPs (``_fast.step_threads``).

Columns (fit seconds, medians of --repeats):

- ``1 thread``: ``torch.set_num_threads(1)`` around the whole fit;
- ``no rule``: 2 threads, the rule switched off;
- ``process-wide``: 2 threads, the rule applied as
  ``torch.set_num_threads(1)`` around the training loop, restored after (it
  also sets the default of every thread that starts using torch meanwhile,
  which then keeps one thread for good);
- ``scoped``: 2 threads, the package as it is: only the fitting thread's
  OpenMP runtime is limited to one thread (threadpoolctl); torch's
  process-wide setting is left alone;
- ``scoped*``: the same, in a process that has called
  ``torch.set_num_threads`` (any value) before the fit.

``torch.set_num_threads`` also fixes the thread count of the MKL routines
behind torch's matrix products, after which MKL no longer follows the calling
thread's OpenMP setting. So each column runs in one of two worker processes:
one that never calls ``torch.set_num_threads`` (``no rule``, ``scoped``) and
one that does (the others). The workers take turns, one fit at a time, each
repeat running every column once (interleaved, so that drift on this
machine hits all alike).

Conditions: ``quiet`` (nothing else runs), ``blas`` (each fit follows five
800 x 800 numpy matrix products, as numpy or scikit-learn work before a fit
in a pipeline would; numpy's OpenBLAS threads then still hold the second
core for a while) and ``busy`` (a background process spins on one core for
the whole block, as a neighbour's job would). For networks that the rule
leaves on all threads, the 2-thread columns run the same code, so only
``no rule`` is measured. Ratios are medians of the per-repeat ratios.

    python benchmarks/bench_threads.py [--repeats 5] [--conditions quiet blas busy]
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import signal
import statistics
import subprocess
import sys
import time

# rows, features, hidden layers, batch size, epochs
CASES = [
    (40_000, 40, (64, 64), 128, 5),  # W1's training split and network
    (40_000, 40, (100,), 200, 5),  # MLPClassifier's default network and batch
    (40_000, 40, (64, 64), 512, 5),
    (40_000, 40, (256, 256), 128, 3),
    (100_000, 100, (256, 256), 1024, 2),
]
CONDITIONS = ("quiet", "blas", "busy")
# column -> whether its worker process calls torch.set_num_threads
COLUMNS = {
    "1 thread": True,
    "no rule": False,
    "process-wide": True,
    "scoped": False,
    "scoped*": True,
}
RATIOS = [
    ("scoped", "no rule"),
    ("scoped", "process-wide"),
    ("scoped*", "process-wide"),
]

# Spins on one core; exits by itself within a fraction of a second if this
# script dies without killing it.
SPINNER = """
import os
parent = os.getppid()
while os.getppid() == parent:
    for _ in range(100_000):
        pass
"""


def worker(conn, sets_threads: bool) -> None:
    """Fit on request: receives (case, column, blas), sends fit seconds."""
    import warnings

    import numpy as np
    import torch
    from sklearn.exceptions import ConvergenceWarning

    from sktorch_clf import TorchBinaryClassifier, _engine

    @contextlib.contextmanager
    def process_wide(n):
        """The rule through ``torch.set_num_threads``, restored after."""
        before = torch.get_num_threads()
        if n is None or n >= before:
            yield
            return
        torch.set_num_threads(n)
        try:
            yield
        finally:
            torch.set_num_threads(before)

    @contextlib.contextmanager
    def column_setup(column):
        saved = _engine.step_threads, _engine.at_most_threads
        if column == "1 thread":
            torch.set_num_threads(1)
        elif column == "no rule":
            _engine.step_threads = lambda module, batch_size, device: None
        elif column == "process-wide":
            _engine.at_most_threads = process_wide
        try:
            yield
        finally:
            _engine.step_threads, _engine.at_most_threads = saved
            if sets_threads:
                torch.set_num_threads(2)

    warnings.simplefilter("ignore", ConvergenceWarning)
    if sets_threads:
        torch.set_num_threads(2)
    burst = np.random.default_rng(0).standard_normal((800, 800))
    # one small fit first: torch's first optimizer imports torch._dynamo (1-2 s)
    X = np.random.default_rng(0).standard_normal((1000, 10), dtype=np.float32)
    TorchBinaryClassifier(max_epochs=1).fit(X, X[:, 0] > 0)
    data = {}
    while (request := conn.recv()) is not None:
        case, column, blas = request
        n, d, hidden, batch, epochs = case
        if case not in data:
            X = np.random.default_rng(n + d).standard_normal((n, d), dtype=np.float32)
            data[case] = X, (X[:, :5].sum(axis=1) > 0).astype(int)
        X, y = data[case]
        if blas:
            for _ in range(5):
                burst @ burst
        clf = TorchBinaryClassifier(
            hidden_layer_sizes=hidden,
            ensemble_size=1,
            early_stopping=False,
            batch_size=batch,
            max_epochs=epochs,
            n_iter_no_change=epochs,
            random_state=0,
        )
        with column_setup(column):
            start = time.perf_counter()
            clf.fit(X, y)
            conn.send(time.perf_counter() - start)


def rule_applies(case) -> bool:
    from sktorch_clf._fast import step_threads
    from sktorch_clf._network import make_mlp

    _, d, hidden, batch, _ = case
    return step_threads(make_mlp(d, 1, hidden), batch, "cpu") is not None


@contextlib.contextmanager
def other_core_busy(busy: bool):
    """A background process spinning on one core while inside (if busy)."""
    if not busy:
        yield
        return
    spinner = subprocess.Popen([sys.executable, "-c", SPINNER])
    try:
        time.sleep(0.5)  # let it start spinning
        yield
    finally:
        spinner.kill()
        spinner.wait()


@contextlib.contextmanager
def workers():
    """The two worker processes, keyed by whether they set torch's threads."""
    context = multiprocessing.get_context("spawn")
    conns, procs = {}, []
    try:
        for sets_threads in (False, True):
            ours, theirs = context.Pipe()
            proc = context.Process(target=worker, args=(theirs, sets_threads))
            proc.daemon = True
            proc.start()
            conns[sets_threads] = ours
            procs.append(proc)
        yield conns
        for conn in conns.values():
            conn.send(None)  # done: each worker leaves its loop
        for proc in procs:
            proc.join(timeout=5)
    finally:
        for proc in procs:  # on errors and interrupts, without waiting
            if proc.is_alive():
                proc.kill()
            proc.join()


def measure(conns, case, condition, repeats) -> dict[str, list[float]]:
    """Fit seconds per column, interleaved: one fit of each per repeat."""
    columns = list(COLUMNS) if rule_applies(case) else ["1 thread", "no rule"]
    times = {column: [] for column in columns}
    with other_core_busy(condition == "busy"):
        for _ in range(repeats):
            for column in columns:
                conn = conns[COLUMNS[column]]
                conn.send((case, column, condition == "blas"))
                times[column].append(conn.recv())
    return times


def paired_ratio(times, top, bottom) -> float:
    pairs = zip(times[top], times[bottom], strict=True)
    return statistics.median(a / b for a, b in pairs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--conditions", nargs="+", choices=CONDITIONS, default=list(CONDITIONS)
    )
    parser.add_argument(
        "--cases",
        type=int,
        nargs="+",
        default=list(range(len(CASES))),
        help="indices into CASES (0: W1's network)",
    )
    args = parser.parse_args()
    # a SIGTERM unwinds like Ctrl-C, so the spinner and workers are ended
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    import torch

    print(f"torch {torch.__version__}, median of {args.repeats}, fit seconds")
    header = "".join(f"{c:>13}" for c in COLUMNS)
    ratios = "".join(f"{f'{a}/{b}':>23}" for a, b in RATIOS)
    print(f"{'condition':>9} {'rows x cols':>13} {'hidden':>10} {'batch':>5}{header}")
    print(f"{'':>41}{ratios}")
    with workers() as conns:
        for condition in args.conditions:
            for case in (CASES[i] for i in args.cases):
                times = measure(conns, case, condition, args.repeats)
                cells = "".join(
                    f"{statistics.median(times[c]):13.3f}"
                    if c in times
                    else f"{'-':>13}"
                    for c in COLUMNS
                )
                n, d, hidden, batch, _ = case
                print(
                    f"{condition:>9} {n:>7} x {d:<3} {hidden!s:>10} {batch:>5}{cells}"
                )
                if "scoped" in times:
                    row = "".join(
                        f"{paired_ratio(times, a, b):23.2f}" for a, b in RATIOS
                    )
                    print(f"{'':>41}{row}", flush=True)


if __name__ == "__main__":
    main()
