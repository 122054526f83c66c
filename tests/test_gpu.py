"""CUDA training and inference, checked against the CPU (skipped without CUDA).

Run on a GPU machine with ``python -m pytest -m gpu tests/test_gpu.py``.
"""

import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from skorch.callbacks import Callback

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]
ESTIMATORS = [TorchBinaryClassifier, TorchMulticlassClassifier]


def fitted(cls, device, X, y, **params):
    params = {"max_epochs": 20, "lr": 0.01, "random_state": 0, **params}
    return cls(device=device, **params).fit(X, y)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_cuda_matches_cpu(cls, multiclass_data, binary_data):
    X, y = multiclass_data if cls is TorchMulticlassClassifier else binary_data
    cpu = fitted(cls, "cpu", X, y)
    gpu = fitted(cls, "cuda", X, y)
    assert next(gpu.module_.parameters()).device.type == "cuda"
    # same initial weights and batch order; only float rounding differs
    np.testing.assert_allclose(gpu.predict_proba(X), cpu.predict_proba(X), atol=2e-3)
    assert np.mean(gpu.predict(X) == cpu.predict(X)) >= 0.99
    np.testing.assert_allclose(gpu.loss_curve_, cpu.loss_curve_, rtol=1e-3)


def test_cuda_with_sparse_weights_and_early_stopping(binary_data):
    X, y = binary_data
    sw = np.where(y == 1, 2.0, 1.0)
    clf = TorchBinaryClassifier(
        device="cuda", early_stopping=True, max_epochs=30, random_state=0
    ).fit(sp.csr_matrix(X), y, sample_weight=sw)
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.score(sp.csr_matrix(X), y) > 0.8


def test_auto_picks_cuda(binary_data):
    clf = TorchBinaryClassifier(device="auto", max_epochs=1).fit(*binary_data)
    assert next(clf.module_.parameters()).device.type == "cuda"


def test_cuda_index_out_of_range(binary_data):
    with pytest.raises(ValueError, match="CUDA device"):
        TorchBinaryClassifier(device="cuda:99").fit(*binary_data)


def test_gpu_model_loads_and_predicts_without_gpu(tmp_path, binary_data):
    X, y = binary_data
    clf = fitted(TorchBinaryClassifier, "cuda", X, np.array(["no", "yes"])[y])
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(clf))
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "expected.npy", clf.predict_proba(X))
    script = textwrap.dedent(
        """
        import pickle, sys, warnings
        import numpy as np, torch
        assert not torch.cuda.is_available()
        d = sys.argv[1]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # skorch: loading CUDA state on CPU
            clf = pickle.load(open(d + "/model.pkl", "rb"))
        X = np.load(d + "/X.npy")
        assert next(clf.module_.parameters()).device.type == "cpu"
        np.testing.assert_allclose(
            clf.predict_proba(X), np.load(d + "/expected.npy"), atol=1e-5)
        assert set(clf.predict(X)) <= {"no", "yes"}
        print("ok")
        """
    )
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_gpu_model_saved_safely_loads_on_cpu(tmp_path, binary_data):
    X, y = binary_data
    clf = fitted(TorchBinaryClassifier, "cuda", X, y)
    clf.save(tmp_path / "gpu.safetensors")
    from sktorch_clf import load

    loaded = load(tmp_path / "gpu.safetensors")  # device="cpu" by default
    assert next(loaded.module_.parameters()).device.type == "cpu"
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), atol=1e-5)


# -- the recorded training step (CUDA graphs) ------------------------------


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_cuda_graph_trains_like_the_eager_step(cls, multiclass_data, binary_data):
    X, y = multiclass_data if cls is TorchMulticlassClassifier else binary_data
    graph = fitted(cls, "cuda", X, y, batch_size=32)
    eager = fitted(cls, "cuda", X, y, batch_size=32, cuda_graphs=False)
    # every full batch of every epoch but the 3 warm-up steps
    assert graph.net_.graph_replays == graph.n_iter_ * (len(X) // 32) - 3
    assert eager.net_.graph_replays == 0
    np.testing.assert_allclose(
        graph.predict_proba(X), eager.predict_proba(X), atol=1e-4
    )
    np.testing.assert_allclose(graph.loss_curve_, eager.loss_curve_, rtol=1e-4)
    assert graph.net_.optimizer_.param_groups[0]["capturable"] is False


def test_cuda_graph_follows_a_learning_rate_schedule(binary_data):
    from skorch.callbacks import LRScheduler

    X, y = binary_data
    schedule = [LRScheduler("StepLR", step_size=1, gamma=0.5)]
    graph = fitted(
        TorchBinaryClassifier, "cuda", X, y, batch_size=32, callbacks=schedule
    )
    eager = fitted(
        TorchBinaryClassifier,
        "cuda",
        X,
        y,
        batch_size=32,
        callbacks=schedule,
        cuda_graphs=False,
    )
    assert graph.net_.graph_replays > 0
    np.testing.assert_allclose(
        graph.predict_proba(X), eager.predict_proba(X), atol=1e-4
    )


def test_module_that_cannot_be_recorded_trains_eagerly(binary_data):
    class Syncing(torch.nn.Module):
        """Reads a value back to the CPU in forward: not capturable."""

        def __init__(self, n_features_in, n_outputs):
            super().__init__()
            self.linear = torch.nn.Linear(n_features_in, n_outputs)

        def forward(self, X):
            if X.abs().max().item() > 1e6:
                raise ValueError("huge input")
            return self.linear(X)

    X, y = binary_data
    # a custom module records only when opted in ("auto": the built-in MLP)
    graph = fitted(
        TorchBinaryClassifier,
        "cuda",
        X,
        y,
        batch_size=32,
        module=Syncing,
        cuda_graphs=True,
    )
    eager = fitted(
        TorchBinaryClassifier,
        "cuda",
        X,
        y,
        batch_size=32,
        module=Syncing,
        cuda_graphs=False,
    )
    assert graph.net_.graph_replays == 0
    np.testing.assert_allclose(
        graph.predict_proba(X), eager.predict_proba(X), atol=1e-5
    )


def test_cuda_graph_with_dropout_batch_norm_and_weights(binary_data):
    X, y = binary_data
    clf = fitted(
        TorchBinaryClassifier,
        "cuda",
        X,
        y,
        batch_size=32,
        dropout=0.2,
        batch_norm=True,
        max_epochs=40,
        class_weight="balanced",
    )
    assert clf.net_.graph_replays > 0
    assert clf.score(X, y) > 0.85


class ResetAdamMoments(Callback):
    """New first-moment tensors for every parameter at the 3rd epoch."""

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == 3:
            for state in net.optimizer_.state.values():
                state["exp_avg"] = torch.zeros_like(state["exp_avg"])


def test_cuda_graph_records_again_when_optimizer_state_is_replaced(binary_data):
    # a stale recording would keep updating the old moments (the models
    # then differ by about 0.03 in probability)
    X, y = binary_data
    params = {"batch_size": 32, "callbacks": [ResetAdamMoments()]}
    graph = fitted(TorchBinaryClassifier, "cuda", X, y, **params)
    eager = fitted(TorchBinaryClassifier, "cuda", X, y, cuda_graphs=False, **params)
    # 3 warm-up steps before each of the two recordings
    assert graph.net_.graph_replays == graph.n_iter_ * (len(X) // 32) - 6
    np.testing.assert_allclose(
        graph.predict_proba(X), eager.predict_proba(X), atol=1e-4
    )


class Rescaled(torch.nn.Module):
    """Reassigns a tensor attribute in each ``forward``: not recordable."""

    def __init__(self, n_features_in, n_outputs):
        super().__init__()
        self.linear = torch.nn.Linear(n_features_in, n_outputs)
        self.calls = 0

    def forward(self, X):
        self.calls += 1
        self.scale = torch.full((X.shape[1],), 1.0 + self.calls % 3, device=X.device)
        return self.linear(X * self.scale)


def test_custom_modules_record_only_when_opted_in(binary_data, gelu_net):
    X, y = binary_data
    auto = fitted(TorchBinaryClassifier, "cuda", X, y, batch_size=32, module=Rescaled)
    eager = fitted(
        TorchBinaryClassifier,
        "cuda",
        X,
        y,
        batch_size=32,
        module=Rescaled,
        cuda_graphs=False,
    )
    assert auto.net_.graph_replays == 0
    np.testing.assert_allclose(auto.predict_proba(X), eager.predict_proba(X), atol=1e-6)

    params = {"batch_size": 32, "module": gelu_net}
    graph = fitted(TorchBinaryClassifier, "cuda", X, y, cuda_graphs=True, **params)
    plain = fitted(TorchBinaryClassifier, "cuda", X, y, cuda_graphs=False, **params)
    assert graph.net_.graph_replays == graph.n_iter_ * (len(X) // 32) - 3
    np.testing.assert_allclose(
        graph.predict_proba(X), plain.predict_proba(X), atol=1e-4
    )
