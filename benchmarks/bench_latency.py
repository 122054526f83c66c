"""Prediction latency on 1 and 100 rows: sktorch_clf against MLPClassifier
and onnxruntime, side by side in one run.

Iris (3 classes, 4 features) and breast cancer (2 classes, 30 features),
every model with one hidden layer of 100 units (MLPClassifier's default):
MLPClassifier, ours with ``ensemble_size=1`` and with ``ensemble_size=4``,
and our two models exported with ``sktorch_clf.to_onnx`` and run by
onnxruntime (one thread, float64 rows converted to float32 in the call, both
outputs at once). Each figure is the median time of one call in
microseconds, over ``--blocks`` blocks of ``--calls`` calls, candidates
interleaved block by block so that machine noise hits all alike. Torch,
numpy's BLAS and onnxruntime use one thread.

    python benchmarks/bench_latency.py [--calls 50] [--blocks 40]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from functools import partial

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier, to_onnx

HIDDEN, EPOCHS = (100,), 30
DATASETS = {
    "iris": (load_iris, TorchMulticlassClassifier),
    "breast cancer": (load_breast_cancer, TorchBinaryClassifier),
}


def fitted_models(load, ours) -> tuple[np.ndarray, dict]:
    X, y = load(return_X_y=True)
    models = {"MLPClassifier": MLPClassifier(HIDDEN, max_iter=EPOCHS, random_state=0)}
    for k in (1, 4):
        models[f"ours k={k}"] = ours(
            hidden_layer_sizes=HIDDEN,
            max_epochs=EPOCHS,
            ensemble_size=k,
            random_state=0,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short fits stop at max_iter
        for model in models.values():
            model.fit(X, y)
    return X, models


class OnnxModel:
    """One of our models in onnxruntime: both outputs of one run."""

    def __init__(self, model, X):
        import onnxruntime as ort

        onnx_model = to_onnx(model, X[:2], options={id(model): {"zipmap": False}})
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            onnx_model.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )

    def predict_proba(self, X):
        return self.session.run(None, {"X": X.astype(np.float32)})

    predict = predict_proba


def with_onnx(X, models: dict) -> dict:
    try:
        onnx = {
            f"onnxruntime k={k}": OnnxModel(models[f"ours k={k}"], X) for k in (1, 4)
        }
    except ImportError as exc:
        print(f"(onnxruntime left out: {exc})")
        return models
    return {**models, **onnx}


def median_calls(calls: dict, calls_per_block: int, blocks: int) -> dict:
    """Median microseconds of one call of each callable, interleaved."""
    times = {name: [] for name in calls}
    for _ in range(blocks):
        for name, call in calls.items():
            for _ in range(calls_per_block):
                start = time.perf_counter()
                call()
                times[name].append(time.perf_counter() - start)
    return {name: 1e6 * statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--blocks", type=int, default=40)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows_out = []
    with threadpool_limits(1):
        for data, (load, ours) in DATASETS.items():
            X, models = fitted_models(load, ours)
            models = with_onnx(X, models)
            for n_rows in (1, 100):
                rows = X[:n_rows]
                for method in ("predict_proba", "predict"):
                    calls = {
                        name: partial(getattr(model, method), rows)
                        for name, model in models.items()
                    }
                    for call in calls.values():
                        call()  # warm up
                    medians = median_calls(calls, args.calls, args.blocks)
                    rows_out.append((data, n_rows, method, medians))
    names = list(rows_out[0][3])
    print("| data | rows | method | " + " | ".join(names) + " |")
    print("|---|---:|---|" + "---:|" * len(names))
    for data, n_rows, method, medians in rows_out:
        base = medians["MLPClassifier"]
        cells = [
            f"{medians[n]:.0f}"
            if n == "MLPClassifier"
            else f"{medians[n]:.0f} ({medians[n] / base:.2f})"
            for n in names
        ]
        print(f"| {data} | {n_rows} | {method} | " + " | ".join(cells) + " |")
    print("microseconds per call (ratio to MLPClassifier)")


if __name__ == "__main__":
    main()
