"""Fits in threads: their own random streams, torch's settings left alone."""

import threading

import numpy as np
import pytest
import torch
from joblib import parallel_backend
from sklearn.model_selection import cross_val_predict
from skorch.callbacks import Callback
from torch import nn

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier, _data


class DropoutNet(nn.Module):
    """A custom module that draws random numbers in training."""

    def __init__(self, n_features_in, n_outputs):
        super().__init__()
        self.hidden = nn.Linear(n_features_in, 16)
        self.drop = nn.Dropout(0.3)
        self.out = nn.Linear(16, n_outputs)

    def forward(self, X):
        return self.out(self.drop(torch.relu(self.hidden(X))))


@pytest.mark.parametrize(
    "params",
    [{"dropout": 0.3}, {}, {"module": DropoutNet}],
    ids=["dropout", "plain", "custom-dropout"],
)
@pytest.mark.parametrize("cls", [TorchBinaryClassifier, TorchMulticlassClassifier])
def test_fits_in_threads_equal_fits_in_turn(cls, params, binary_data):
    X, y = binary_data
    clf = cls(max_epochs=4, batch_size=32, random_state=0, **params)
    alone = cross_val_predict(clf, X, y, cv=4, method="predict_proba")
    before = torch.get_rng_state()
    with parallel_backend("threading", n_jobs=4):
        together = cross_val_predict(clf, X, y, cv=4, method="predict_proba")
    np.testing.assert_array_equal(together, alone)
    assert torch.equal(torch.get_rng_state(), before)


def test_shuffling_draws_from_its_own_generator(binary_data, monkeypatch):
    """Whatever else draws from torch's global generator meanwhile."""
    X, y = binary_data

    class DrawEachBatch(Callback):
        def on_batch_begin(self, net, **kwargs):
            torch.rand(1)

    def fit(callbacks):
        clf = TorchBinaryClassifier(max_epochs=3, random_state=0, callbacks=callbacks)
        return clf.fit(X, y).predict_proba(X)

    np.testing.assert_array_equal(fit([DrawEachBatch()]), fit(None))


def test_a_cpu_fit_never_touches_cuda(binary_data, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a CPU fit called into torch.cuda")

    for name in ("is_available", "device_count", "manual_seed", "manual_seed_all"):
        monkeypatch.setattr(torch.cuda, name, forbidden)
    for params in ({}, {"dropout": 0.2}, {"module": DropoutNet}):
        TorchBinaryClassifier(max_epochs=2, random_state=0, **params).fit(*binary_data)


class StartsAThread(Callback):
    """Starts, during the fit, a thread that first uses torch then and reads
    its thread count again after the fit; records the fitting thread's."""

    def initialize(self):
        self.fitting_thread_ = []
        self.other_thread_ = []
        self.fit_done_ = threading.Event()
        self.thread_ = None
        return self

    def _other(self):
        self.other_thread_.append(torch.get_num_threads())  # first use
        torch.ones(64, 64) @ torch.ones(64, 64)
        self.fit_done_.wait(30)
        self.other_thread_.append(torch.get_num_threads())

    def on_epoch_begin(self, net, **kwargs):
        self.fitting_thread_.append(torch.get_num_threads())
        if self.thread_ is None:
            self.thread_ = threading.Thread(target=self._other)
            self.thread_.start()


def fit_and_watch(data) -> StartsAThread:
    """Fit a small MLP while another thread starts; what both threads saw."""
    clf = TorchBinaryClassifier(
        max_epochs=2,
        hidden_layer_sizes=(16,),
        ensemble_size=1,
        callbacks=[StartsAThread()],
    ).fit(*data)
    seen = dict(clf.net_.callbacks_)["StartsAThread"]
    seen.fit_done_.set()
    seen.thread_.join()
    return seen


def test_the_thread_rule_limits_the_fitting_thread_only(two_threads, binary_data):
    seen = fit_and_watch(binary_data)
    assert seen.fitting_thread_ == [1, 1]  # a small MLP: one thread, as before
    assert seen.other_thread_ == [2, 2]  # not the fit's limit, then or after
    assert torch.get_num_threads() == 2


def test_without_an_openmp_runtime_threads_are_left_alone(
    two_threads, binary_data, monkeypatch
):
    nothing = _data.ThreadpoolController().select(user_api="no-such-runtime")
    monkeypatch.setattr(_data, "_openmp", lambda: nothing)
    seen = fit_and_watch(binary_data)
    assert seen.fitting_thread_ == [2, 2]
    assert torch.get_num_threads() == 2
