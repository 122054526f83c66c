"""Optimizers by name or class, with their keyword arguments."""

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback, LRScheduler

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier


@pytest.mark.parametrize(
    ("optimizer", "kwargs", "lr", "expected"),
    [
        ("adam", None, 1e-2, torch.optim.Adam),
        ("adamw", None, 1e-2, torch.optim.AdamW),
        ("sgd", {"momentum": 0.9}, 0.05, torch.optim.SGD),
        ("sgd", {"momentum": 0.9, "nesterov": True}, 0.05, torch.optim.SGD),
        ("rmsprop", None, 1e-3, torch.optim.RMSprop),
        (torch.optim.Adagrad, None, 0.05, torch.optim.Adagrad),
    ],
)
def test_optimizers_train(multiclass_data, optimizer, kwargs, lr, expected):
    X, y = multiclass_data
    clf = TorchMulticlassClassifier(
        optimizer=optimizer,
        optimizer_kwargs=kwargs,
        lr=lr,
        max_epochs=40,
        random_state=0,
    ).fit(X, y)
    opt = clf.net_.optimizer_
    assert type(opt) is expected
    assert opt.defaults["lr"] == lr
    for key, value in (kwargs or {}).items():
        assert opt.defaults[key] == value
    assert clf.score(X, y) > 0.85


def test_weight_decay_reaches_optimizer_and_shrinks_weights(binary_data):
    X, y = binary_data

    def weight_norm(weight_decay):
        clf = TorchBinaryClassifier(
            optimizer="adamw",
            weight_decay=weight_decay,
            early_stopping=False,  # both train 30 epochs
            max_epochs=30,
            lr=0.01,
        ).set_params(random_state=0)
        clf.fit(X, y)
        assert clf.net_.optimizer_.defaults["weight_decay"] == weight_decay
        return sum(float(p.detach().norm()) for p in clf.module_.parameters())

    assert weight_norm(0.5) < weight_norm(0.0)


def test_weight_decay_needs_an_optimizer_that_has_it(binary_data):
    clf = TorchBinaryClassifier(optimizer=torch.optim.Rprop, weight_decay=0.1)
    with pytest.raises(ValueError, match="Rprop has no weight_decay parameter"):
        clf.fit(*binary_data)


def test_fused_kernel_used_unless_caller_chooses(binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(max_epochs=1).fit(X, y)
    assert clf.net_.optimizer_.defaults["fused"] is True
    clf.set_params(optimizer_kwargs={"foreach": True}).fit(X, y)
    assert not clf.net_.optimizer_.defaults["fused"]
    assert clf.net_.optimizer_.defaults["foreach"] is True


def test_sgd_lr_matters(binary_data):
    X, y = binary_data
    losses = [
        TorchBinaryClassifier(optimizer="sgd", lr=lr, max_epochs=10, random_state=0)
        .fit(X, y)
        .loss_curve_[-1]
        for lr in (1e-4, 0.1)
    ]
    assert losses[1] < losses[0]
    assert np.isfinite(losses).all()


class RecordLR(Callback):
    def initialize(self):
        self.lrs_ = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.lrs_.append(net.optimizer_.param_groups[0]["lr"])


def test_cosine_lr_schedule(binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(
        lr=0.1, lr_schedule="cosine", max_epochs=5, callbacks=[RecordLR()]
    ).fit(X, y)
    seen = dict(clf.net_.callbacks_)["RecordLR"].lrs_
    expected = [
        0.1 * (0.01 + 0.99 * 0.5 * (1 + np.cos(np.pi * k / 4))) for k in range(5)
    ]
    np.testing.assert_allclose(seen, expected)
    # partial_fit: one step of the schedule per call, then its last value
    clf = TorchBinaryClassifier(lr=0.1, lr_schedule="cosine", max_epochs=3)
    lrs = [
        clf.partial_fit(X, y).net_.optimizer_.param_groups[0]["lr"] for _ in range(5)
    ]
    np.testing.assert_allclose(lrs, [0.1, 0.0505, 0.001, 0.001, 0.001])


def test_cosine_schedule_and_an_lr_scheduler_callback_conflict(binary_data):
    clf = TorchBinaryClassifier(lr_schedule="cosine", callbacks=[LRScheduler()])
    with pytest.raises(ValueError, match="both set the learning rate"):
        clf.fit(*binary_data)
