"""The recorded-step logic of ``_graph`` run on the CPU.

A CPU stand-in replaces the CUDA calls: recording runs nothing (as CUDA
capture does) and a replay runs the recorded step again. What these tests
check is ours: which batches replay, when the step is recorded again, the
eager fallbacks, and that training is the same as with the eager step.
``tests/test_gpu.py`` repeats the essentials with real CUDA graphs.
"""

import contextlib
import copy
import pickle
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback, GradientNormClipping, LRScheduler

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier, _graph

N_ROWS, BATCH, EPOCHS = 300, 64, 4  # 4 full batches and one of 44 rows
FULL = N_ROWS // BATCH


class ReplayOnCPU:
    """Records nothing; a replay runs the step. ``fail`` rejects recording.

    Each replay checks that what a recording freezes (:func:`baked_in`) is
    what it was when recorded: a replay of a stale recording fails.
    """

    def __init__(self, fail=False):
        self.fail = fail
        self.attempts = 0
        self.warmups = 0
        self.capturable_at_capture = []

    def available(self, device):
        return True

    def stream(self, device):
        return None

    @contextlib.contextmanager
    def side_stream(self, stream):
        self.warmups += 1
        yield

    def capture(self, stream, body):
        self.attempts += 1
        net = body.__self__.net  # the recorded step is GraphStep._step
        groups = net.optimizer_.param_groups
        self.capturable_at_capture.append([g.get("capturable") for g in groups])
        if self.fail:
            raise RuntimeError("operation not permitted when stream is capturing")
        return body, net, baked_in(net)

    def replay(self, captured):
        body, net, recorded = captured
        assert baked_in(net) == recorded, "replayed a stale recording"
        return body()


def baked_in(net) -> tuple:
    """What a CUDA recording of the step freezes, listed independently of
    ``_graph._signature``: hyperparameters, parameter storage and
    requires_grad, the storage of the optimizer-state tensors, and the
    module, optimizer and optimizer state objects."""
    optimizer = net.optimizer_
    hyper = [
        {k: v for k, v in group.items() if k not in ("params", "capturable")}
        for group in optimizer.param_groups
    ]
    params = [(p.data_ptr(), p.requires_grad) for p in net.module_.parameters()]
    state = [
        (i, key, value.data_ptr(), tuple(value.shape), value.dtype, value.device)
        for i, p in enumerate(net.module_.parameters())
        for key, value in sorted(optimizer.state.get(p, {}).items())
        if isinstance(value, torch.Tensor)
    ]
    objects = (id(net.module_), id(optimizer), id(optimizer.state))
    return hyper, params, state, objects


@pytest.fixture
def backend(monkeypatch):
    stand_in = ReplayOnCPU()
    monkeypatch.setattr(_graph, "BACKEND", stand_in)
    return stand_in


def fit(data, cls=TorchBinaryClassifier, sample_weight=None, **params):
    params = {
        "batch_size": BATCH,
        "max_epochs": EPOCHS,
        "n_iter_no_change": EPOCHS,
        "lr": 0.01,
        "random_state": 0,
        "ensemble_size": 1,
        "early_stopping": False,
        **params,
    }
    return cls(**params).fit(*data, sample_weight=sample_weight)


def assert_same_model(a, b, X):
    """Up to float rounding: the recorded step uses autograd, the eager one
    the closed-form MLP gradients."""
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-5)


def replayed(clf) -> int:
    return clf.net_.graph_replays


@pytest.mark.parametrize("cls", [TorchBinaryClassifier, TorchMulticlassClassifier])
def test_full_batches_replay_and_train_like_eager(
    backend, cls, binary_data, multiclass_data
):
    data = multiclass_data if cls is TorchMulticlassClassifier else binary_data
    graph = fit(data, cls)
    eager = fit(data, cls, cuda_graphs=False)
    assert backend.attempts == 1  # recorded once, kept across epochs
    assert backend.warmups == _graph.GraphStep.WARMUP
    assert replayed(graph) == EPOCHS * FULL - _graph.GraphStep.WARMUP
    assert replayed(eager) == 0
    X = data[0]
    assert_same_model(graph, eager, X)
    np.testing.assert_allclose(graph.loss_curve_, eager.loss_curve_, rtol=1e-5)


def test_capturable_only_while_recording(backend, binary_data):
    clf = fit(binary_data)
    assert backend.capturable_at_capture == [[True]]
    assert clf.net_.optimizer_.param_groups[0]["capturable"] is False


def test_sample_weights_go_through_the_graph(backend, binary_data):
    weights = np.random.default_rng(0).uniform(0, 3, N_ROWS)
    graph = fit(binary_data, sample_weight=weights)
    eager = fit(binary_data, sample_weight=weights, cuda_graphs=False)
    assert replayed(graph) > 0
    X = binary_data[0]
    assert_same_model(graph, eager, X)


@pytest.mark.parametrize("cls", [TorchBinaryClassifier, TorchMulticlassClassifier])
def test_cross_fitted_member_weights_go_through_the_graph(
    backend, cls, binary_data, multiclass_data
):
    data = multiclass_data if cls is TorchMulticlassClassifier else binary_data
    params = {"ensemble_size": 3, "early_stopping": True, "validation_fraction": 0.2}
    graph = fit(data, cls, **params)
    eager = fit(data, cls, cuda_graphs=False, **params)
    assert replayed(graph) > 0
    assert graph.net_.module_.n_members == 3
    assert_same_model(graph, eager, data[0])
    np.testing.assert_allclose(graph.validation_scores_, eager.validation_scores_)


def test_failed_recording_falls_back_to_the_eager_step(monkeypatch, binary_data):
    backend = ReplayOnCPU(fail=True)
    monkeypatch.setattr(_graph, "BACKEND", backend)
    graph = fit(binary_data)
    eager = fit(binary_data, cuda_graphs=False)
    assert backend.attempts == 1  # not retried every epoch
    assert replayed(graph) == 0
    X = binary_data[0]
    # every step ran eagerly, in the same order: the same model
    np.testing.assert_array_equal(graph.predict_proba(X), eager.predict_proba(X))
    assert graph.net_.optimizer_.param_groups[0]["capturable"] is False


def test_failed_recording_is_not_retried_when_the_lr_changes(monkeypatch, binary_data):
    backend = ReplayOnCPU(fail=True)
    monkeypatch.setattr(_graph, "BACKEND", backend)
    schedule = LRScheduler("StepLR", step_size=1, gamma=0.5)
    clf = fit(binary_data, callbacks=[schedule])
    assert backend.attempts == 1
    assert replayed(clf) == 0


def test_learning_rate_schedule_records_again(backend, binary_data):
    schedule = LRScheduler("StepLR", step_size=1, gamma=0.5)
    graph = fit(binary_data, callbacks=[schedule])
    eager = fit(binary_data, callbacks=[schedule], cuda_graphs=False)
    assert backend.attempts == EPOCHS  # a new lr each epoch
    X = binary_data[0]
    assert_same_model(graph, eager, X)


class FreezeFirstLayerAt(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == self.epoch:
            net.module_[0].weight.requires_grad_(False)
            net.module_[0].bias.requires_grad_(False)
            self.frozen = net.module_[0].weight.detach().clone()


def test_frozen_layer_records_again_and_stays_frozen(backend, binary_data):
    freezer = FreezeFirstLayerAt(epoch=2)
    clf = fit(binary_data, callbacks=[freezer])
    assert backend.attempts == 2
    frozen = clf.net_.callbacks_[-1][1].frozen  # the fit's copy of the callback
    torch.testing.assert_close(clf.module_[0].weight.detach(), frozen)


@pytest.mark.parametrize(
    "params",
    [
        {"cuda_graphs": False},
        {"callbacks": [GradientNormClipping(1.0)]},  # acts between backward and step
        {"callbacks": [LRScheduler("StepLR", step_size=5, step_every="batch")]},
        {"optimizer": "rmsprop"},  # keeps its step counter on the CPU
        {"optimizer_kwargs": {"foreach": True}},  # Adam, not fused
        {"optimizer": "sgd", "lr": 0.05, "optimizer_kwargs": {"foreach": True}},
    ],
    ids=["off", "grad-hook", "batch-lr", "rmsprop", "foreach-adam", "foreach-sgd"],
)
def test_cases_that_stay_eager_or_record(backend, binary_data, params):
    clf = fit(binary_data, **params)
    # plain SGD keeps all its state on the device: it records
    expect_graph = params.get("optimizer") == "sgd"
    assert (replayed(clf) > 0) is expect_graph
    assert backend.attempts == int(expect_graph)
    assert clf.score(*binary_data) > 0.8


class AddForwardHook(Callback):
    def on_train_begin(self, net, **kwargs):
        self.calls_ = 0
        net.module_[0].register_forward_hook(lambda *args: self._count())

    def _count(self):
        self.calls_ += 1


def test_module_hooks_keep_the_eager_step(backend, binary_data):
    # a hook would run once, while recording, instead of at every step
    clf = fit(binary_data, callbacks=[AddForwardHook()])
    assert backend.attempts == 0
    assert clf.net_.callbacks_[-1][1].calls_ >= EPOCHS * (FULL + 1)


class PickleMidFit(Callback):
    def on_epoch_end(self, net, **kwargs):
        self.pickled_ = pickle.loads(pickle.dumps(net))


def test_engine_pickles_mid_fit(backend, binary_data):
    clf = fit(binary_data, callbacks=[PickleMidFit()])
    assert replayed(clf) > 0
    pickled = clf.net_.callbacks_[-1][1].pickled_
    assert getattr(pickled, "graph_step", None) is None


def test_custom_module_records_when_opted_in(backend, binary_data, gelu_net):
    Net = gelu_net
    auto = fit(binary_data, module=Net)  # "auto": the built-in MLP only
    graph = fit(binary_data, module=Net, cuda_graphs=True)
    eager = fit(binary_data, module=Net, cuda_graphs=False)
    assert replayed(auto) == 0
    assert replayed(graph) == EPOCHS * FULL - _graph.GraphStep.WARMUP
    X = binary_data[0]
    assert_same_model(graph, eager, X)
    assert_same_model(auto, eager, X)


def test_each_fit_and_partial_fit_records_its_own_step(backend, binary_data):
    X, y = binary_data
    clf = fit(binary_data, warm_start=True)
    clf.fit(X, y)
    assert backend.attempts == 2
    clf.partial_fit(X, y)
    assert backend.attempts == 3
    assert replayed(clf) == FULL - _graph.GraphStep.WARMUP
    clone = pickle.loads(pickle.dumps(clf))  # nothing of the graph is kept
    assert getattr(clone.net_, "graph_step", None) is None
    np.testing.assert_array_equal(clone.predict_proba(X), clf.predict_proba(X))


def test_batch_norm_and_dropout_record(backend, binary_data):
    clf = fit(binary_data, batch_norm=True, dropout=0.2, max_epochs=20)
    assert replayed(clf) > 0
    assert clf.score(*binary_data) > 0.8


class ReplaceOptimizerState(Callback):
    """Gives the optimizer new state tensors at the start of the 3rd epoch."""

    def __init__(self, how):
        self.how = how

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) != 3:
            return
        optimizer = net.optimizer_
        params = optimizer.param_groups[0]["params"]
        if self.how == "tensors":  # in the same per-parameter dicts
            for p in params:
                state = optimizer.state[p]
                state["exp_avg"] = torch.zeros_like(state["exp_avg"])
        elif self.how == "dict":  # the last parameter's state starts afresh
            state = optimizer.state[params[-1]]
            optimizer.state[params[-1]] = {
                k: torch.zeros_like(v) for k, v in state.items()
            }
        else:  # a checkpoint's copy loaded
            optimizer.load_state_dict(copy.deepcopy(optimizer.state_dict()))


@pytest.mark.parametrize("how", ["tensors", "dict", "load_state_dict"])
def test_replaced_optimizer_state_records_again(backend, binary_data, how):
    # a replay of the first recording would update the orphaned tensors
    # (the stand-in fails such a replay)
    graph = fit(binary_data, callbacks=[ReplaceOptimizerState(how)])
    eager = fit(binary_data, callbacks=[ReplaceOptimizerState(how)], cuda_graphs=False)
    assert backend.attempts == 2
    assert backend.warmups == 2 * _graph.GraphStep.WARMUP
    assert replayed(graph) == EPOCHS * FULL - 2 * _graph.GraphStep.WARMUP
    assert_same_model(graph, eager, binary_data[0])
    np.testing.assert_allclose(graph.loss_curve_, eager.loss_curve_, rtol=1e-5)


class Rescaled(torch.nn.Module):
    """Reassigns a tensor attribute in each ``forward``, which reads it: a
    replay would reuse the recording's tensor and value."""

    def __init__(self, n_features_in, n_outputs):
        super().__init__()
        self.linear = torch.nn.Linear(n_features_in, n_outputs)
        self.calls = 0

    def forward(self, X):
        self.calls += 1
        factor = 1.0 + self.calls % 3
        self.scale = torch.full((X.shape[1],), factor, device=X.device)
        return self.linear(X * self.scale)


def test_custom_module_reassigning_tensors_in_forward_is_not_recorded(
    backend, binary_data
):
    auto = fit(binary_data, module=Rescaled)  # cuda_graphs="auto"
    eager = fit(binary_data, module=Rescaled, cuda_graphs=False)
    assert backend.attempts == backend.warmups == 0
    assert replayed(auto) == 0
    X = binary_data[0]
    np.testing.assert_array_equal(auto.predict_proba(X), eager.predict_proba(X))


def test_recording_errors_only_for_the_recording_thread(monkeypatch):
    """``CudaGraphs.capture`` asks CUDA for thread-local capture errors,
    and ends the capture when the recorded body fails."""
    calls = []

    class FakeGraph:
        def capture_begin(self, pool=None, capture_error_mode="global"):
            calls.append(("begin", capture_error_mode))

        def capture_end(self):
            calls.append(("end",))

    monkeypatch.setattr(torch.cuda, "CUDAGraph", FakeGraph)
    monkeypatch.setattr(torch.cuda, "device", lambda device: contextlib.nullcontext())
    monkeypatch.setattr(torch.cuda, "stream", lambda stream: contextlib.nullcontext())
    monkeypatch.setattr(torch.cuda, "synchronize", lambda *args: None)
    stream = SimpleNamespace(device=torch.device("cuda", 0))
    graph, outputs = _graph.CudaGraphs().capture(stream, lambda: "outputs")
    assert isinstance(graph, FakeGraph)
    assert outputs == "outputs"
    assert calls == [("begin", "thread_local"), ("end",)]

    def failing():
        raise RuntimeError("operation not permitted when stream is capturing")

    calls.clear()
    with pytest.raises(RuntimeError, match="capturing"):
        _graph.CudaGraphs().capture(stream, failing)
    assert calls == [("begin", "thread_local"), ("end",)]
