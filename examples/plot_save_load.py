"""
===========================================
Saving models safely, and training on a GPU
===========================================

``est.save(path)`` writes a fitted estimator to one ``.safetensors`` file:
the weights as safetensors, everything else (parameters, ``classes_``, the
history) as JSON in its header. Unlike a pickle, the file holds no code, so
loading it with :func:`sktorch_clf.load` runs nothing from the file. It
needs the ``safe`` extra: ``pip install "sktorch-clf[safe]"``.

The second part trains the same model on a GPU when one is present and
loads it on the CPU, as a machine without a GPU would.
"""

# %%
# Save, then load "elsewhere"
# ---------------------------
# ``robust_scaling=True`` puts the input scaling inside the network, so the
# one file is the whole model: no separate scaler to ship. ``load`` rebuilds
# the estimator with the stored parameters and weights; the loaded model
# predicts exactly as the saved one.
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from sklearn.base import clone
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split

import sktorch_clf
from sktorch_clf import TorchMulticlassClassifier

# SKTORCH_CLF_EXAMPLES_SMALL=1 trains briefly (docs build and tests)
SMALL = os.environ.get("SKTORCH_CLF_EXAMPLES_SMALL") == "1"

X, y = load_wine(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
clf = TorchMulticlassClassifier(
    hidden_layer_sizes=(32,),
    robust_scaling=True,
    lr=1e-2,
    max_epochs=10 if SMALL else 200,
    early_stopping=True,
    device="cpu",
    random_state=0,
).fit(X_train, y_train)

folder = Path(tempfile.mkdtemp())
path = folder / "wine.safetensors"
clf.save(path)
print(f"{path.name}: {path.stat().st_size / 1024:.1f} KiB")

loaded = sktorch_clf.load(path)
print(type(loaded).__name__, "classes_:", loaded.classes_)
print("features:", list(loaded.feature_names_in_[:3]), "...")
same = np.array_equal(loaded.predict_proba(X_test), clf.predict_proba(X_test))
print("same probabilities:", same)
print(f"test accuracy: {loaded.score(X_test, y_test):.3f}")

# %%
# The file's header is plain JSON: anyone can read what a file claims to be
# before loading it.
with safe_open(path, framework="pt") as f:
    header = json.loads(f.metadata()["sktorch_clf"])
print("estimator:", header["estimator"])
print("written with:", header["versions"])
print("header entries:", sorted(header))

# %%
# A network defined by your own code (``module=``) is stored as weights only:
# pass the same class to ``load(path, module=...)``.
#
# The same model on a GPU
# -----------------------
# ``device="cuda"`` trains on the first CUDA device. A model file does not
# store the device: ``load`` puts the network where its ``device`` argument
# says, the CPU by default, so a model trained on a GPU serves on a machine
# without one.
if torch.cuda.is_available():
    on_gpu = clone(clf).set_params(device="cuda").fit(X_train, y_train)
    gpu_path = folder / "wine_gpu.safetensors"
    on_gpu.save(gpu_path)
    on_cpu = sktorch_clf.load(gpu_path, device="cpu")
    print("trained on:", next(on_gpu.module_.parameters()).device)
    print("loaded on: ", next(on_cpu.module_.parameters()).device)
    agree = np.mean(on_cpu.predict(X_test) == on_gpu.predict(X_test))
    print(f"CPU copy agrees with the GPU model on {agree:.0%} of the test set")
    print(f"GPU model's test accuracy: {on_gpu.score(X_test, y_test):.3f}")
else:
    print("No CUDA device here: the GPU part is skipped.")

shutil.rmtree(folder)
