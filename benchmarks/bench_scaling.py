"""Fit time per epoch from 1e3 to 1e6 rows, and peak memory during fit.

Each size runs in a fresh subprocess. The input has 100 columns (1M rows of
float32 = 381 MiB); the net is 100-64-64-1, batch 128, one epoch. "extra MB"
is the peak resident memory during fit (VmHWM, reset just before fit through
/proc/self/clear_refs) minus the resident memory with the input loaded,
for sktorch_clf and MLPClassifier with the same settings. Each child first
builds one torch optimizer: torch imports torch._dynamo (1-2 s, once per
process) on the first optimizer, which would otherwise dominate small fits.

    python benchmarks/bench_scaling.py [--sizes 1000 10000 100000 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, sys, time, warnings
import numpy as np, torch
from sklearn.exceptions import ConvergenceWarning
warnings.simplefilter("ignore", ConvergenceWarning)
torch.set_num_threads(1)
n, which, dtype = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rng = np.random.default_rng(0)
X = rng.standard_normal((n, 100), dtype=np.float32).astype(dtype)
y = (X[:, :10].sum(axis=1) > 0).astype(int)
if which == "sktorch_clf":
    from sktorch_clf import TorchBinaryClassifier
    est = TorchBinaryClassifier(hidden_layer_sizes=(64, 64), batch_size=128,
                                ensemble_size=1, early_stopping=False,
                                max_epochs=1, random_state=0)
else:
    from sklearn.neural_network import MLPClassifier
    est = MLPClassifier((64, 64), batch_size=128, max_iter=1, random_state=0)
torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # once-per-process import

def status(key):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(key + ":"))

with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current resident size
base = status("VmRSS")
start = time.perf_counter()
est.fit(X, y)
seconds = time.perf_counter() - start
extra_mb = (status("VmHWM") - base) / 1024
print(json.dumps({"seconds": seconds, "extra_mb": extra_mb,
                  "input_mb": X.nbytes / 2**20}))
"""


def measure(n: int, which: str, dtype: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(n), which, dtype],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000]
    )
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    args = parser.parse_args()
    print(f"input {args.dtype}, 100 columns, one epoch, batch 128, threads=1")
    header = ("s/epoch", "us/row", "input MB", "extra MB")
    print(f"{'rows':>9} {'':12}" + "".join(f"{h:>10}" for h in header))
    for n in args.sizes:
        for which in ("sktorch_clf", "MLPClassifier"):
            r = measure(n, which, args.dtype)
            print(
                f"{n:9d} {which:12}{r['seconds']:10.3f}{r['seconds'] / n * 1e6:10.2f}"
                f"{r['input_mb']:10.0f}{r['extra_mb']:10.0f}"
            )


if __name__ == "__main__":
    main()
