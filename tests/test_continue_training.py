"""warm_start and partial_fit: continuing from the current weights."""

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier


class Linear(torch.nn.Module):
    def __init__(self, n_features_in, n_outputs):
        super().__init__()
        self.linear = torch.nn.Linear(n_features_in, n_outputs)

    def forward(self, X):
        return self.linear(X)


def adam_steps(clf):
    states = clf.net_.optimizer_.state.values()
    return {int(state["step"]) for state in states}


def test_warm_start_continues_weights_and_optimizer(binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(warm_start=True, max_epochs=5, random_state=0)
    clf.fit(X, y)
    module, first_curve = clf.module_, list(clf.loss_curve_)
    assert adam_steps(clf) == {10}  # 5 epochs x 2 batches
    clf.fit(X, y)
    assert clf.module_ is module
    assert adam_steps(clf) == {20}
    assert clf.n_iter_ == 10
    assert clf.loss_curve_[:5] == first_curve
    assert clf.loss_curve_[5] < first_curve[0]


def test_without_warm_start_fit_starts_over(binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(max_epochs=5, random_state=0).fit(X, y)
    first = clf.predict_proba(X)
    clf.fit(X, y)
    assert clf.n_iter_ == 5
    assert adam_steps(clf) == {10}
    np.testing.assert_array_equal(clf.predict_proba(X), first)


def test_warm_start_with_other_features_or_labels(binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(warm_start=True, max_epochs=2).fit(X, y)
    with pytest.raises(ValueError, match="X has 5 features"):
        clf.fit(X[:, :5], y)
    with pytest.raises(ValueError, match=r"labels \[7\] that are not in classes"):
        clf.fit(X, np.where(y == 1, 7, 0))


def test_partial_fit_runs_one_epoch_per_call(multiclass_data):
    X, y = multiclass_data
    clf = TorchMulticlassClassifier(random_state=0)
    for call in range(1, 4):
        clf.partial_fit(X, y)
        assert clf.n_iter_ == call
        assert len(clf.loss_curve_) == call
    assert adam_steps(clf) == {6}


def test_partial_fit_on_chunks_learns(multiclass_data):
    X, y = multiclass_data
    clf = TorchMulticlassClassifier(lr=0.01, random_state=0)
    chunks = np.array_split(np.arange(len(y)), 5)
    for _ in range(10):
        for rows in chunks:
            clf.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
    assert clf.n_iter_ == 50
    assert clf.score(X, y) > 0.85


def test_partial_fit_classes_for_a_first_chunk_missing_one(multiclass_data):
    X, y = multiclass_data
    labels = np.array(["a", "b", "c"])[y]
    first = labels != "c"
    clf = TorchMulticlassClassifier(random_state=0)
    clf.partial_fit(X[first], labels[first], classes=["c", "a", "b"])
    np.testing.assert_array_equal(clf.classes_, ["a", "b", "c"])
    assert clf.predict_proba(X[:2]).shape == (2, 3)
    clf.partial_fit(X, labels)  # "c" now arrives: fine
    with pytest.raises(ValueError, match=r"labels \['d'\] that are not in classes"):
        clf.partial_fit(X[:3], np.array(["a", "b", "d"]))
    with pytest.raises(ValueError, match="differs from classes_"):
        clf.partial_fit(X, labels, classes=["a", "b"])


def test_partial_fit_without_classes_learns_them_from_the_first_chunk(
    multiclass_data,
):
    X, y = multiclass_data
    first = y != 2
    clf = TorchMulticlassClassifier().partial_fit(X[first], y[first])
    with pytest.raises(ValueError, match="pass every label with classes="):
        clf.partial_fit(X, y)


def test_partial_fit_checks(binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier().partial_fit(X, y)
    with pytest.raises(ValueError, match=r"X has 4 features, but .* expecting 6"):
        clf.partial_fit(X[:, :4], y)
    balanced = TorchBinaryClassifier(class_weight="balanced")
    with pytest.raises(ValueError, match="'balanced' is not supported by partial_fit"):
        balanced.partial_fit(X, y)
    with pytest.raises(ValueError, match="only one class"):
        TorchBinaryClassifier().partial_fit(X[y == 0], y[y == 0])


def test_partial_fit_is_reproducible_and_leaves_global_rng(binary_data):
    X, y = binary_data
    state = torch.get_rng_state()

    def run():
        clf = TorchBinaryClassifier(dropout=0.3, random_state=3)
        for _ in range(3):
            clf.partial_fit(X, y)
        return clf.predict_proba(X)

    np.testing.assert_array_equal(run(), run())
    assert torch.equal(torch.get_rng_state(), state)


def test_partial_fit_epochs_are_shuffled_differently(binary_data):
    """Each call draws a fresh (reproducible) seed, not the same shuffle."""
    X, y = binary_data
    orders = []

    class Record(torch.nn.Module):
        def __init__(self, n_features_in, n_outputs):
            super().__init__()
            self.linear = torch.nn.Linear(n_features_in, n_outputs)

        def forward(self, X):
            if self.training:
                orders.append(X[:, 0].clone())
            return self.linear(X)

    clf = TorchBinaryClassifier(module=Record, batch_size=300, random_state=0)
    clf.partial_fit(X, y).partial_fit(X, y)
    assert not torch.equal(orders[0], orders[1])


class CountSteps(Callback):
    def initialize(self):
        self.batches_ = 0
        return self

    def on_batch_end(self, net, training, **kwargs):
        self.batches_ += training


@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_continued_training_applies_changed_settings(how, binary_data, capsys):
    X, y = binary_data

    def train(clf):
        return clf.fit(X, y) if how == "warm_start" else clf.partial_fit(X, y)

    clf = TorchBinaryClassifier(
        optimizer="sgd",
        warm_start=True,
        early_stopping=False,  # every row trains: 30 batches of 10
        max_epochs=2,
        random_state=0,
    )
    train(clf)
    optimizer = clf.net_.optimizer_
    counter = CountSteps()
    clf.set_params(
        lr=1e-5,
        weight_decay=1e-3,
        optimizer_kwargs={"momentum": 0.9, "nesterov": True},
        batch_size=10,
        max_epochs=3,
        callbacks=[counter],
        verbose=1,
    )
    train(clf)
    assert clf.net_.optimizer_ is optimizer  # its state is kept
    group = optimizer.param_groups[0]
    assert (group["lr"], group["weight_decay"]) == (1e-5, 1e-3)
    assert (group["momentum"], group["nesterov"]) == (0.9, True)
    epochs = 3 if how == "warm_start" else 1
    assert dict(clf.net_.callbacks_)["CountSteps"].batches_ == 30 * epochs
    assert not hasattr(counter, "batches_")  # the caller's is copied, not used
    assert "train_loss" in capsys.readouterr().err  # verbose now
    clf.set_params(optimizer_kwargs=None)
    train(clf)
    assert (group["momentum"], group["nesterov"]) == (0.0, False)


def test_an_unchanged_setting_keeps_its_schedule(binary_data):
    """A learning rate that a schedule moved stays where the schedule put it."""
    X, y = binary_data
    clf = TorchBinaryClassifier(lr=0.1, warm_start=True, max_epochs=2).fit(X, y)
    group = clf.net_.optimizer_.param_groups[0]
    group["lr"] = 0.03  # as an LRScheduler callback would
    clf.partial_fit(X, y).fit(X, y)
    assert group["lr"] == 0.03
    clf.set_params(lr=0.2).partial_fit(X, y)
    assert group["lr"] == 0.2


@pytest.mark.parametrize(
    "change",
    [
        {"hidden_layer_sizes": (7,)},
        {"activation": "tanh"},
        {"dropout": 0.5},
        {"batch_norm": True},
        {"optimizer": "adamw"},
        {"module": Linear},
    ],
    ids=lambda change: next(iter(change)),
)
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_changes_that_need_a_new_network_are_errors(how, change, binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(warm_start=True, max_epochs=2, random_state=0)
    clf.fit(X, y)
    before = clf.predict_proba(X)
    name = next(iter(change))
    clf.set_params(**change)
    train = clf.fit if how == "warm_start" else clf.partial_fit
    with pytest.raises(ValueError, match=rf"^{name} changed from .* warm_start=False"):
        train(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), before)


def test_a_device_given_another_way_is_no_change(binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(warm_start=True, max_epochs=2).fit(X, y)
    clf.set_params(device="auto" if not torch.cuda.is_available() else "cuda")
    clf.fit(X, y)  # still the same device: continues
    assert clf.n_iter_ == 4
