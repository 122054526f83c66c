"""The hand-written MLP step gives autograd's gradients and training."""

import numpy as np
import pytest
import torch
from torch import nn

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier
from sktorch_clf._fast import MLPStep
from sktorch_clf._network import make_mlp


def autograd_grads(module, X, y, weight, binary):
    module.zero_grad()
    logits = module(X)
    if binary:
        losses = nn.functional.binary_cross_entropy_with_logits(
            logits.reshape(-1), y, reduction="none"
        )
    else:
        losses = nn.functional.cross_entropy(logits, y, reduction="none")
    loss = (losses if weight is None else losses * weight).mean()
    loss.backward()
    return loss.detach(), [p.grad.clone() for p in module.parameters()]


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
@pytest.mark.parametrize("n_outputs", [1, 4])
@pytest.mark.parametrize("weighted", [False, True])
def test_gradients_equal_autograd(activation, n_outputs, weighted):
    torch.manual_seed(0)
    module = make_mlp(7, n_outputs, (16, 8), activation=activation)
    X = torch.randn(33, 7)
    binary = n_outputs == 1
    y = torch.randint(0, 2, (33,)).float() if binary else torch.randint(0, 4, (33,))
    weight = torch.rand(33) * 2 if weighted else None
    expected_loss, expected = autograd_grads(module, X, y, weight, binary)
    step = MLPStep.maybe(module, binary)
    assert step is not None
    loss, logits = step(X, y, weight)
    assert logits.shape == ((33,) if binary else (33, 4))
    torch.testing.assert_close(loss, expected_loss)
    for p, g in zip(module.parameters(), expected, strict=True):
        torch.testing.assert_close(p.grad, g, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "module",
    [
        make_mlp(4, 1, (8,), dropout=0.1),
        make_mlp(4, 1, (8,), batch_norm=True),
        make_mlp(4, 1, (8,), activation="gelu"),
        nn.Sequential(nn.Linear(4, 8), nn.ReLU(inplace=True), nn.Linear(8, 1)),
        nn.Sequential(nn.Linear(4, 8, bias=False), nn.ReLU(), nn.Linear(8, 1)),
        nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 1)),
        nn.Linear(4, 1),
    ],
    ids=["dropout", "batch_norm", "gelu", "inplace", "no_bias", "no_act", "linear"],
)
def test_other_networks_use_autograd(module):
    assert MLPStep.maybe(module, binary=True) is None


def test_hooks_disable_the_fast_step():
    module = make_mlp(4, 1, (8,))
    assert MLPStep.maybe(module, binary=True) is not None
    module[0].register_forward_hook(lambda *args: None)
    assert MLPStep.maybe(module, binary=True) is None


@pytest.mark.parametrize("cls", [TorchBinaryClassifier, TorchMulticlassClassifier])
def test_training_matches_the_autograd_path(cls, monkeypatch, binary_data):
    X, y = binary_data
    sw = np.random.RandomState(0).uniform(0.5, 2, size=len(y))
    params = {"hidden_layer_sizes": (16, 16), "max_epochs": 10, "random_state": 0}
    calls = []
    original = MLPStep.__call__
    monkeypatch.setattr(
        MLPStep, "__call__", lambda *args: calls.append(1) or original(*args)
    )
    fast = cls(**params).fit(X, y, sample_weight=sw)
    assert len(calls) == 20  # 10 epochs x 2 batches took the fast step
    monkeypatch.setattr(MLPStep, "maybe", classmethod(lambda *args: None))
    slow = cls(**params).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(fast.loss_curve_, slow.loss_curve_, rtol=1e-5)
    np.testing.assert_allclose(
        fast.predict_proba(X), slow.predict_proba(X), rtol=1e-4, atol=1e-6
    )


def test_fast_step_is_not_kept_on_the_fitted_net(binary_data):
    clf = TorchBinaryClassifier(max_epochs=1).fit(*binary_data)
    assert clf.net_.fast_step is None
