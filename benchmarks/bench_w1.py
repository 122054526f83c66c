"""Workload W1 against MLPClassifier, skorch and a hand loop.

W1: make_classification(50_000, 40, n_informative=20), binary and 5-class,
net 40-64-64-out, Adam lr=1e-3, batch_size=128, 20 epochs, no validation
split; accuracy, fit and predict_proba time on a held-out 20%. Ratios are
against MLPClassifier in the same run (medians of --repeats, candidates
interleaved so that machine noise hits all alike; predict_proba is the
median of 15 calls after each fit). ``--threads N`` gives
torch (``set_num_threads``) and numpy's BLAS (threadpoolctl) the same N
threads, so that MLPClassifier's OpenBLAS does not use more cores.

    python benchmarks/bench_w1.py [--epochs 20] [--repeats 3] [--threads 1 2]
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
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from skorch import NeuralNetClassifier
from threadpoolctl import threadpool_limits
from torch import nn

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier
from sktorch_clf._network import make_mlp  # the same Linear/ReLU stack

HIDDEN, BATCH, LR = (64, 64), 128, 1e-3
PREDICT_CALLS = 15


class HandLoop:
    """The eager loop a user writes: tensors once, randperm, slices, Adam."""

    def __init__(self, epochs, n_classes):
        self.epochs, self.n_classes = epochs, n_classes

    def fit(self, X, y):
        torch.manual_seed(0)
        binary = self.n_classes == 2
        self.model = make_mlp(X.shape[1], 1 if binary else self.n_classes, HIDDEN)
        opt = torch.optim.Adam(self.model.parameters(), lr=LR)
        loss_fn = nn.BCEWithLogitsLoss() if binary else nn.CrossEntropyLoss()
        Xt = torch.from_numpy(X)
        yt = torch.from_numpy(y.astype(np.float32 if binary else np.int64))
        for _ in range(self.epochs):
            order = torch.randperm(len(Xt))
            for i in range(0, len(Xt), BATCH):
                idx = order[i : i + BATCH]
                opt.zero_grad()
                out = self.model(Xt[idx])
                loss_fn(out.squeeze(-1) if binary else out, yt[idx]).backward()
                opt.step()
        return self

    def predict_proba(self, X):
        self.model.eval()
        with torch.inference_mode():
            logits = self.model(torch.from_numpy(X))
        if self.n_classes == 2:
            p = torch.sigmoid(logits[:, 0]).numpy()
            return np.column_stack([1 - p, p])
        return torch.softmax(logits, dim=1).numpy()


def candidates(epochs: int, n_classes: int) -> dict:
    ours = TorchBinaryClassifier if n_classes == 2 else TorchMulticlassClassifier
    return {
        "MLPClassifier": lambda: MLPClassifier(
            HIDDEN,
            batch_size=BATCH,
            learning_rate_init=LR,
            max_iter=epochs,
            alpha=0.0,
            n_iter_no_change=epochs + 1,
            random_state=0,
        ),
        "hand loop": lambda: HandLoop(epochs, n_classes),
        "skorch defaults": lambda: NeuralNetClassifier(
            make_mlp(40, n_classes, HIDDEN),
            criterion=nn.CrossEntropyLoss,
            optimizer=torch.optim.Adam,
            lr=LR,
            batch_size=BATCH,
            max_epochs=epochs,
            train_split=None,
            verbose=0,
        ),
        "sktorch_clf": lambda: ours(
            hidden_layer_sizes=HIDDEN,
            ensemble_size=1,  # the same single MLP as the peers, on every row
            early_stopping=False,
            lr=LR,
            batch_size=BATCH,
            max_epochs=epochs,
            n_iter_no_change=epochs + 1,
            random_state=0,
        ),
    }


def measure(make, X_train, y_train, X_test, y_test):
    est = make()
    start = time.perf_counter()
    est.fit(X_train, y_train)
    fit = time.perf_counter() - start
    times = []
    for _ in range(PREDICT_CALLS):  # a single 10k-row call takes milliseconds
        start = time.perf_counter()
        proba = est.predict_proba(X_test)
        times.append(time.perf_counter() - start)
    return fit, statistics.median(times), np.mean(proba.argmax(1) == y_test)


def run(n_classes, threads, epochs, repeats):
    torch.set_num_threads(threads)
    X, y = make_classification(
        50_000, 40, n_informative=20, n_classes=n_classes, random_state=0
    )
    X = X.astype(np.float32)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=0, stratify=y
    )
    split = (X_train, y_train, X_test, y_test)
    makers = candidates(epochs, n_classes)
    results = {name: [] for name in makers}
    with threadpool_limits(limits=threads, user_api="blas"):
        for _ in range(repeats):
            for name, make in makers.items():
                results[name].append(measure(make, *split))
    base = [statistics.median(r[i] for r in results["MLPClassifier"]) for i in (0, 1)]
    print(f"\n{n_classes} classes, {threads} thread(s) for torch and BLAS")
    print(f"{'':18}{'fit s':>8}{'x MLP':>7}{'proba ms':>10}{'x MLP':>7}{'acc':>7}")
    for name, rows in results.items():
        fit, predict, acc = (statistics.median(r[i] for r in rows) for i in range(3))
        print(
            f"{name:18}{fit:8.2f}{fit / base[0]:7.2f}{predict * 1e3:10.1f}"
            f"{predict / base[1]:7.2f}{acc:7.3f}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--classes", type=int, nargs="+", default=[2, 5])
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    print(f"torch {torch.__version__}, {args.epochs} epochs, median of {args.repeats}")
    for threads in args.threads:
        for n_classes in args.classes:
            run(n_classes, threads, args.epochs, args.repeats)


if __name__ == "__main__":
    main()
