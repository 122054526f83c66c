"""The hand-written MLP step gives autograd's gradients and training."""

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from torch import nn

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier, _fast
from sktorch_clf._data import at_most_threads
from sktorch_clf._fast import (
    DirectAdam,
    MLPStep,
    _plain_mlp,
    plain_forward,
    step_threads,
)
from sktorch_clf._network import make_mlp

BCE = nn.BCEWithLogitsLoss(reduction="none")
CRITERIA = {True: BCE, False: nn.CrossEntropyLoss(reduction="none")}

#: The plain MLP on all training rows: what the closed-form step trains.
PLAIN = {"ensemble_size": 1, "early_stopping": False}


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
    step = MLPStep.maybe(module, CRITERIA[binary], binary)
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
        nn.Sequential(*[nn.Linear(4, 4), nn.ReLU()] * 2, nn.Linear(4, 1)),
    ],
    ids=[
        "dropout",
        "batch_norm",
        "gelu",
        "inplace",
        "no_bias",
        "no_act",
        "linear",
        "tied_layers",
    ],
)
def test_other_networks_use_autograd(module):
    assert MLPStep.maybe(module, BCE, binary=True) is None


@pytest.mark.parametrize(
    "add_hook",
    [
        lambda m: m[0].register_forward_hook(lambda *args: None),
        lambda m: m.register_forward_pre_hook(lambda *args: None),
        lambda m: m[0].weight.register_hook(lambda g: g * 0),
        lambda m: nn.modules.module.register_module_forward_hook(lambda *a: None),
    ],
    ids=["module", "sequential", "parameter", "global"],
)
def test_hooks_disable_the_fast_step(add_hook):
    module = make_mlp(4, 1, (8,))
    assert MLPStep.maybe(module, BCE, binary=True) is not None
    handle = add_hook(module)
    try:
        assert MLPStep.maybe(module, BCE, binary=True) is None
    finally:
        handle.remove()


@pytest.mark.parametrize(
    "criterion",
    [
        nn.BCEWithLogitsLoss(reduction="none", pos_weight=torch.tensor(2.0)),
        nn.CrossEntropyLoss(reduction="none", label_smoothing=0.1),
        nn.MSELoss(reduction="none"),
    ],
    ids=["pos_weight", "label_smoothing", "other_loss"],
)
def test_other_losses_disable_the_fast_step(criterion):
    assert MLPStep.maybe(make_mlp(4, 1, (8,)), criterion, binary=True) is None


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
    fast = cls(**PLAIN, **params).fit(X, y, sample_weight=sw)
    assert len(calls) == 20  # 10 epochs x 2 batches took the fast step
    monkeypatch.setattr(MLPStep, "maybe", classmethod(lambda *args: None))
    slow = cls(**PLAIN, **params).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(fast.loss_curve_, slow.loss_curve_, rtol=1e-5)
    np.testing.assert_allclose(
        fast.predict_proba(X), slow.predict_proba(X), rtol=1e-4, atol=1e-6
    )


def shared_mlp(shared: str) -> nn.Module:
    """Two same-shaped layers that share their weight or their bias."""
    torch.manual_seed(0)
    module = nn.Sequential(
        nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 1)
    )
    setattr(module[2], shared, getattr(module[0], shared))
    return module


@pytest.mark.parametrize("shared", ["weight", "bias"])
def test_shared_parameters_train_through_autograd(shared, monkeypatch, binary_data):
    # autograd adds the gradients of a shared parameter's uses; the closed
    # form would assign each layer's in turn
    module = shared_mlp(shared)
    params = {"module": module, "max_epochs": 5, "lr": 0.01, "random_state": 0}
    fast = TorchBinaryClassifier(**PLAIN, **params).fit(*binary_data)
    assert getattr(fast.module_[2], shared) is getattr(fast.module_[0], shared)
    slow_path(monkeypatch)
    slow = TorchBinaryClassifier(**PLAIN, **params).fit(*binary_data)
    X = binary_data[0]
    np.testing.assert_allclose(fast.loss_curve_, slow.loss_curve_, rtol=1e-6)
    np.testing.assert_allclose(
        fast.predict_proba(X), slow.predict_proba(X), rtol=1e-5, atol=1e-7
    )
    # MLPStep, plain_forward and step_threads all ask _plain_mlp
    assert _plain_mlp(module) is None
    assert plain_forward(module) is None


def test_fast_step_is_not_kept_on_the_fitted_net(binary_data):
    clf = TorchBinaryClassifier(**PLAIN, max_epochs=1).fit(*binary_data)
    assert clf.net_.fast_step is None


def _steps(optimizer_factory, direct, n=5):
    torch.manual_seed(0)
    module = make_mlp(5, 3, (8,))
    opt = optimizer_factory(module.parameters())
    runner = DirectAdam.maybe(opt) if direct else None
    assert (runner is not None) == direct
    X, y = torch.randn(16, 5), torch.randint(0, 3, (16,))
    for _ in range(n):
        opt.zero_grad()
        nn.functional.cross_entropy(module(X), y).backward()
        runner.step() if direct else opt.step()
    return module, opt


@pytest.mark.parametrize(
    "factory",
    [
        lambda p: torch.optim.Adam(p, lr=0.01, fused=True),
        lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1, fused=True),
        lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1, fused=True),
    ],
    ids=["adam", "adam_l2", "adamw"],
)
def test_direct_adam_is_bit_identical_to_step(factory):
    direct, direct_opt = _steps(factory, direct=True)
    plain, plain_opt = _steps(factory, direct=False)
    for a, b in zip(direct.parameters(), plain.parameters(), strict=True):
        assert torch.equal(a, b)
    for a, b in zip(
        direct_opt.state_dict()["state"].values(),
        plain_opt.state_dict()["state"].values(),
        strict=True,
    ):
        assert int(a["step"]) == int(b["step"]) == 5
        assert torch.equal(a["exp_avg_sq"], b["exp_avg_sq"])


@pytest.mark.parametrize(
    "factory",
    [
        lambda p: torch.optim.Adam(p, fused=False),
        lambda p: torch.optim.Adam(p, fused=True, amsgrad=True),
        lambda p: torch.optim.Adam(p, fused=True, maximize=True),
        lambda p: torch.optim.SGD(p, lr=0.1),
        lambda p: torch.optim.Adam(
            [{"params": list(p)[:1]}, {"params": []}], fused=True
        ),
    ],
    ids=["not_fused", "amsgrad", "maximize", "sgd", "two_groups"],
)
def test_direct_adam_only_for_the_plain_case(factory):
    module = make_mlp(5, 3, (8,))
    assert DirectAdam.maybe(factory(module.parameters())) is None


def test_direct_adam_not_with_step_hooks():
    opt = torch.optim.Adam(make_mlp(5, 3, (8,)).parameters(), fused=True)
    assert DirectAdam.maybe(opt) is not None
    opt.register_step_pre_hook(lambda *args: None)
    assert DirectAdam.maybe(opt) is None


def test_direct_adam_follows_lr_schedules(binary_data):
    from skorch.callbacks import LRScheduler

    schedule = LRScheduler(policy="StepLR", step_size=1, gamma=0.0)
    clf = TorchBinaryClassifier(
        **PLAIN, lr=0.01, max_epochs=3, callbacks=[schedule], random_state=0
    )
    frozen = clf.fit(*binary_data).module_.state_dict()
    # lr is 0 from the second epoch on: the weights stop moving
    clf.set_params(max_epochs=1).fit(*binary_data)
    one_epoch = clf.module_.state_dict()
    for key, value in frozen.items():
        torch.testing.assert_close(value, one_epoch[key])


def direct_steps(monkeypatch) -> list:
    """The optimizer of each DirectAdam step from now (the first use in a
    process also steps throwaway optimizers: its check against step)."""
    stepped = []
    original = DirectAdam.step
    monkeypatch.setattr(
        DirectAdam,
        "step",
        lambda self: stepped.append(self.optimizer) or original(self),
    )
    return stepped


def test_fits_take_the_direct_step(monkeypatch, binary_data):
    stepped = direct_steps(monkeypatch)
    clf = TorchBinaryClassifier(**PLAIN, max_epochs=2).fit(*binary_data)
    assert stepped.count(clf.net_.optimizer_) == 4  # 2 epochs x 2 batches
    stepped.clear()
    TorchBinaryClassifier(**PLAIN, optimizer="sgd", max_epochs=2).fit(*binary_data)
    assert stepped == []


def reset_state(opt, param, key):
    """Fresh zero state for ``param``: a new dict, or one new tensor."""
    state = opt.state[param]
    if key == "dict":
        opt.state[param] = {k: torch.zeros_like(v) for k, v in state.items()}
    else:
        state[key] = torch.zeros_like(state[key])


@pytest.mark.parametrize("key", ["dict", "exp_avg", "exp_avg_sq", "step"])
@pytest.mark.parametrize("which", [0, -1])
def test_direct_adam_sees_any_replaced_state(key, which):
    def train(direct):
        torch.manual_seed(0)
        module = make_mlp(5, 3, (8, 8))
        opt = torch.optim.Adam(module.parameters(), lr=0.01, fused=True)
        runner = DirectAdam.maybe(opt) if direct else None
        X, y = torch.randn(16, 5), torch.randint(0, 3, (16,))
        for i in range(6):
            if i == 3:
                reset_state(opt, opt.param_groups[0]["params"][which], key)
            opt.zero_grad()
            nn.functional.cross_entropy(module(X), y).backward()
            runner.step() if direct else opt.step()
        return module, opt

    direct, direct_opt = train(direct=True)
    plain, plain_opt = train(direct=False)
    for a, b in zip(direct.parameters(), plain.parameters(), strict=True):
        assert torch.equal(a, b)
    for a, b in zip(direct_opt.state.values(), plain_opt.state.values(), strict=True):
        for k in ("exp_avg", "exp_avg_sq", "step"):
            assert torch.equal(a[k], b[k])


class ResetLastLayerState(Callback):
    """Starts the last bias's Adam state afresh in the middle of an epoch
    (the engine builds its shortcuts anew at each epoch's start)."""

    def on_batch_end(self, net, training, **kwargs):
        batches = sum(len(row["batches"]) for row in net.history)
        if training and batches == 5:  # the first batch of the third epoch
            opt = net.optimizer_
            reset_state(opt, opt.param_groups[0]["params"][-1], "dict")


def test_replaced_state_mid_fit_trains_like_optimizer_step(monkeypatch, binary_data):
    def fit():
        return TorchBinaryClassifier(
            **PLAIN,
            hidden_layer_sizes=(16,),
            lr=0.01,
            max_epochs=5,
            random_state=0,
            callbacks=[ResetLastLayerState()],
        ).fit(*binary_data)

    stepped = direct_steps(monkeypatch)
    direct = fit()
    assert stepped.count(direct.net_.optimizer_) == 10  # 5 epochs x 2 batches
    monkeypatch.setattr(DirectAdam, "maybe", classmethod(lambda *args: None))
    plain = fit()
    for a, b in zip(
        direct.module_.parameters(), plain.module_.parameters(), strict=True
    ):
        assert torch.equal(a, b)


def test_direct_adam_declines_group_options_it_does_not_know():
    opt = torch.optim.Adam(make_mlp(5, 3, (8,)).parameters(), fused=True)
    assert DirectAdam.maybe(opt) is not None
    opt.param_groups[0]["initial_lr"] = 0.001  # an LR scheduler's bookkeeping
    assert DirectAdam.maybe(opt) is not None
    opt.param_groups[0]["a_newer_option"] = True
    assert DirectAdam.maybe(opt) is None


def test_direct_adam_is_compared_with_step_once_per_process(monkeypatch):
    monkeypatch.setattr(_fast, "_agreement", {})
    calls = []
    original = _fast._compare_steps
    monkeypatch.setattr(
        _fast, "_compare_steps", lambda *args: calls.append(1) or original(*args)
    )
    for _ in range(3):
        opt = torch.optim.Adam(make_mlp(5, 3, (8,)).parameters(), fused=True)
        assert DirectAdam.maybe(opt) is not None
    assert calls == [1]
    assert _fast._agreement == {("cpu", torch.float32, False): True}
    opt = torch.optim.AdamW(make_mlp(5, 3, (8,)).parameters(), fused=True)
    assert DirectAdam.maybe(opt) is not None  # another kernel: checked too
    assert calls == [1, 1]


def test_a_direct_step_that_disagrees_falls_back_for_good(monkeypatch, binary_data):
    monkeypatch.setattr(_fast, "_agreement", {})
    original = _fast._fused_step
    wrong_steps = []

    def wrong(opt, group, params, *rest):
        wrong_steps.append(1)
        original(opt, group, params, *rest)
        with torch.no_grad():
            torch._foreach_add_(params, 1e-3)

    monkeypatch.setattr(_fast, "_fused_step", wrong)
    params = {"hidden_layer_sizes": (16,), "max_epochs": 3, "random_state": 0}
    fallback = TorchBinaryClassifier(**PLAIN, **params).fit(*binary_data)
    assert _fast._agreement == {("cpu", torch.float32, False): False}
    assert len(wrong_steps) == 2  # the check's direct steps after the first
    opt = torch.optim.Adam(make_mlp(5, 3, (8,)).parameters(), fused=True)
    assert DirectAdam.maybe(opt) is None  # for good, without checking again
    assert len(wrong_steps) == 2
    monkeypatch.setattr(DirectAdam, "maybe", classmethod(lambda *args: None))
    plain = TorchBinaryClassifier(**PLAIN, **params).fit(*binary_data)
    for a, b in zip(
        fallback.module_.parameters(), plain.module_.parameters(), strict=True
    ):
        assert torch.equal(a, b)


class Freeze(Callback):
    """Freezes the first layer when training starts (as skorch's Freezer)."""

    def on_epoch_begin(self, net, **kwargs):
        net.module_[0].requires_grad_(False)


class Rebind(Callback):
    """Rebinds every parameter's .data once, as some averaging code does."""

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == 1:
            for p in net.module_.parameters():
                p.data = p.data.clone()


class HookOnTrainBegin(Callback):
    def initialize(self):
        self.calls_ = 0
        return self

    def on_train_begin(self, net, **kwargs):
        net.module_[0].register_forward_hook(lambda *args: self._count())

    def _count(self):
        self.calls_ += 1


class ReloadOptimizer(Callback):
    """Replaces the optimizer state mid-fit with a copy of itself."""

    def on_epoch_begin(self, net, **kwargs):
        if len(net.history) == 3:
            net.optimizer_.load_state_dict(net.optimizer_.state_dict())


def slow_path(monkeypatch):
    monkeypatch.setattr(MLPStep, "maybe", classmethod(lambda *args: None))
    monkeypatch.setattr(DirectAdam, "maybe", classmethod(lambda *args: None))


@pytest.mark.parametrize("callback", [Freeze, Rebind, ReloadOptimizer])
def test_callbacks_that_change_the_model_see_the_same_training(
    callback, monkeypatch, binary_data
):
    def fit():
        return TorchBinaryClassifier(
            **PLAIN,
            hidden_layer_sizes=(16,),
            lr=0.01,
            max_epochs=5,
            random_state=0,
            callbacks=[callback()],
        ).fit(*binary_data)

    fast = fit()
    slow_path(monkeypatch)
    slow = fit()
    np.testing.assert_allclose(fast.loss_curve_, slow.loss_curve_, rtol=1e-5)
    for a, b in zip(fast.module_.parameters(), slow.module_.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)
    steps = [int(s["step"]) for s in fast.net_.optimizer_.state.values()]
    assert steps == [int(s["step"]) for s in slow.net_.optimizer_.state.values()]


def test_frozen_layer_stays_frozen(binary_data):
    clf = TorchBinaryClassifier(
        **PLAIN,
        hidden_layer_sizes=(16,),
        max_epochs=3,
        random_state=0,
        callbacks=[Freeze()],
    )
    initial = TorchBinaryClassifier(
        **PLAIN, hidden_layer_sizes=(16,), max_epochs=1, lr=1e-12, random_state=0
    )
    first = initial.fit(*binary_data).module_[0].weight.detach().clone()
    trained = clf.fit(*binary_data).module_[0].weight
    torch.testing.assert_close(trained.detach(), first, rtol=0, atol=1e-9)
    assert trained.grad is None


def test_hooks_registered_at_train_begin_are_honoured(binary_data):
    clf = TorchBinaryClassifier(
        **PLAIN, max_epochs=2, callbacks=[HookOnTrainBegin()], random_state=0
    ).fit(*binary_data)
    assert dict(clf.net_.callbacks_)["HookOnTrainBegin"].calls_ == 4


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
def test_inference_forward_equals_the_module(activation):
    torch.manual_seed(0)
    module = make_mlp(7, 3, (16, 8), activation=activation).eval()
    X = torch.randn(50, 7)
    X_before = X.clone()
    with torch.inference_mode():
        torch.testing.assert_close(plain_forward(module)(X), module(X))
    torch.testing.assert_close(X, X_before)  # the input is never written to


def test_inference_forward_leaves_hooked_or_other_modules_to_torch():
    module = make_mlp(4, 1, (8,))
    handle = module[0].register_forward_hook(lambda *args: None)
    assert plain_forward(module) is None
    handle.remove()
    assert plain_forward(module) is not None
    assert plain_forward(make_mlp(4, 1, (8,), dropout=0.1)) is None


class ThreadSpy(Callback):
    def initialize(self):
        self.seen_ = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.seen_.append(torch.get_num_threads())


@pytest.mark.parametrize(
    ("params", "inside"),
    [
        ({"hidden_layer_sizes": (64, 64), "batch_size": 128}, 1),  # small MLP
        ({"hidden_layer_sizes": (256, 256), "batch_size": 128}, 2),  # large
        ({"hidden_layer_sizes": (64,), "batch_size": 512, "dropout": 0.1}, 2),
    ],
    ids=["small", "large", "not-plain"],
)
def test_small_mlps_train_on_one_thread(two_threads, binary_data, params, inside):
    spy = ThreadSpy()
    clf = TorchBinaryClassifier(**PLAIN, max_epochs=2, callbacks=[spy], **params)
    clf.fit(*binary_data)
    assert clf.net_.callbacks_[-1][1].seen_ == [inside, inside]
    assert torch.get_num_threads() == 2  # restored


def test_thread_limit_is_restored_after_an_error(two_threads):
    def fail_inside():
        with at_most_threads(1):
            assert torch.get_num_threads() == 1
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fail_inside()
    assert torch.get_num_threads() == 2
    with at_most_threads(None):
        assert torch.get_num_threads() == 2


def test_step_threads_rule():
    small = make_mlp(40, 1, (64, 64))
    assert step_threads(small, 128, "cpu") == 1
    assert step_threads(small, 1024, "cpu") is None  # 64 x 64 x 1024 > 2**20
    assert step_threads(small, 128, "cuda") is None
    assert step_threads(nn.Sequential(nn.Linear(4, 4), nn.GELU()), 8, "cpu") is None


@pytest.mark.parametrize("cls", [TorchBinaryClassifier, TorchMulticlassClassifier])
def test_robust_scaling_keeps_the_closed_form_step(cls, monkeypatch, binary_data):
    X, y = binary_data
    X = X * np.array([1, 100, 1, 1, 1e4, 1])

    def fit():
        return cls(**PLAIN, robust_scaling=True, max_epochs=3, random_state=0).fit(X, y)

    fast = fit()
    assert _plain_mlp(fast.module_)[2] is fast.module_[0]
    monkeypatch.setattr(MLPStep, "maybe", classmethod(lambda cls, *a, **k: None))
    np.testing.assert_allclose(
        fit().predict_proba(X), fast.predict_proba(X), rtol=1e-5, atol=1e-6
    )
