"""skorch callbacks, interruption, non-finite losses and verbosity."""

import copy
import warnings

import numpy as np
import pytest
import torch
from skorch.callbacks import (
    Callback,
    Checkpoint,
    EpochScoring,
    GradientNormClipping,
    LRScheduler,
    ProgressBar,
)
from torch import nn

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier

#: The plain MLP (one member, all rows): its first layer is module_[0].
PLAIN = {"ensemble_size": 1, "early_stopping": False}


class GradNorms(Callback):
    """Records the total gradient norm the optimizer will apply."""

    def initialize(self):
        self.norms_ = []
        return self

    def on_grad_computed(self, net, named_parameters, **kwargs):
        grads = [p.grad.norm() for _, p in named_parameters if p.grad is not None]
        self.norms_.append(float(torch.norm(torch.stack(grads))))


class InterruptAt(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


def test_lr_scheduler(binary_data):
    schedule = LRScheduler(policy="StepLR", step_size=2, gamma=0.1)
    clf = TorchBinaryClassifier(lr=0.1, max_epochs=5, callbacks=[schedule])
    clf.fit(*binary_data)
    lrs = clf.history_df_["event_lr"].tolist()
    np.testing.assert_allclose(lrs, [0.1, 0.1, 0.01, 0.01, 0.001])
    assert clf.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-3)


@pytest.mark.filterwarnings("ignore:Training diverged")  # lr=0.5 on X * 50
def test_gradient_norm_clipping(binary_data):
    X, y = binary_data

    def norms(callbacks):
        clf = TorchBinaryClassifier(
            lr=0.5, max_epochs=3, random_state=0, callbacks=[*callbacks, GradNorms()]
        ).fit(X * 50, y)
        return dict(clf.net_.callbacks_)["GradNorms"].norms_

    assert max(norms([])) > 1.0
    assert max(norms([GradientNormClipping(gradient_clip_value=0.5)])) <= 0.5 + 1e-5


def test_callbacks_are_copied_not_modified(binary_data):
    schedule = LRScheduler(policy="StepLR", step_size=1)
    before = copy.deepcopy(vars(schedule))
    clf = TorchBinaryClassifier(max_epochs=2, callbacks=[schedule]).fit(*binary_data)
    assert vars(schedule).keys() == before.keys()
    assert dict(clf.net_.callbacks_)["LRScheduler"] is not schedule


def test_keyboard_interrupt_leaves_a_fitted_model(binary_data):
    X, y = binary_data
    clf = TorchMulticlassClassifier(max_epochs=50, callbacks=[InterruptAt(3)])
    with pytest.warns(UserWarning, match="interrupted .* after 3 completed epochs"):
        clf.fit(X, y)
    assert clf.n_iter_ == 3
    assert clf.predict_proba(X).shape == (300, 2)
    assert np.isfinite(clf.predict_proba(X)).all()


@pytest.mark.parametrize("cls", [TorchBinaryClassifier, TorchMulticlassClassifier])
def test_exploding_training_stops_with_a_clear_error(cls, binary_data):
    X, y = binary_data
    clf = cls(optimizer="sgd", lr=1e30, max_epochs=20, random_state=0)
    with pytest.raises(ValueError, match=r"loss became nan.*lr.*StandardScaler"):
        clf.fit(X * 1e3, y)


def test_nan_outputs_stop_training(binary_data):
    class NanNet(nn.Module):
        def __init__(self, n_features_in, n_outputs):
            super().__init__()
            self.linear = nn.Linear(n_features_in, n_outputs)

        def forward(self, X):
            return self.linear(X) * float("nan")

    with pytest.raises(ValueError, match="train loss became nan in epoch 1"):
        TorchBinaryClassifier(module=NanNet).fit(*binary_data)


def test_verbose_table_shows_validation(capsys, binary_data):
    TorchBinaryClassifier(max_epochs=2, early_stopping=True, verbose=1).fit(
        *binary_data
    )
    err = capsys.readouterr().err
    header = err.splitlines()[0]
    for column in ("epoch", "train_loss", "valid_acc", "valid_loss", "dur"):
        assert column in header
    assert "batch_count" not in header


@pytest.mark.parametrize("cls", [TorchBinaryClassifier, TorchMulticlassClassifier])
def test_epoch_scoring_with_sklearn_scorers(cls, binary_data):
    """skorch's net.predict gives encoded classes, so scorers compare alike."""
    callbacks = [
        EpochScoring("accuracy", lower_is_better=False),
        EpochScoring("accuracy", on_train=True, name="train_acc"),
    ]
    clf = cls(max_epochs=4, early_stopping=True, callbacks=callbacks).fit(*binary_data)
    frame = clf.history_df_
    np.testing.assert_allclose(frame["accuracy"], frame["valid_acc"])
    assert frame["train_acc"].between(0, 1).all()


def test_checkpoint_on_best_losses(tmp_path, binary_data):
    clf = TorchBinaryClassifier(
        max_epochs=4,
        early_stopping=True,
        callbacks=[Checkpoint(dirname=str(tmp_path), monitor="train_loss_best")],
    ).fit(*binary_data)
    frame = clf.history_df_
    losses = frame["train_loss"].tolist()
    expected = [loss < min(losses[:i], default=np.inf) for i, loss in enumerate(losses)]
    assert frame["train_loss_best"].tolist() == expected
    assert frame["event_cp"].tolist() == expected
    assert (tmp_path / "params.pt").exists()
    assert "valid_loss_best" in frame.columns


def test_progress_bar(capsys, binary_data):
    TorchBinaryClassifier(
        early_stopping=False, max_epochs=2, callbacks=[ProgressBar()]
    ).fit(*binary_data)
    err = capsys.readouterr().err
    assert err.count("0/2 [") == 2  # a bar of 2 batches per epoch, 2 epochs


class PoisonWeights(Callback):
    """Puts a NaN into the weights after the last epoch's loss was measured."""

    def on_epoch_end(self, net, **kwargs):
        with torch.no_grad():
            next(net.module_.parameters())[0, 0] = float("nan")


def test_non_finite_final_weights_are_an_error(binary_data):
    clf = TorchBinaryClassifier(**PLAIN, max_epochs=1, callbacks=[PoisonWeights()])
    with pytest.raises(ValueError, match=r"non-finite weights in \['0.weight'\]"):
        clf.fit(*binary_data)


class NanWhenPredicting(nn.Module):
    def __init__(self, n_features_in, n_outputs):
        super().__init__()
        self.linear = nn.Linear(n_features_in, n_outputs)

    def forward(self, X):
        out = self.linear(X)
        return out if self.training else out * float("nan")


def test_nan_outputs_at_predict_are_an_error(binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(module=NanWhenPredicting, **PLAIN, max_epochs=1)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="produced NaN outputs"):
        clf.predict(X)
    clf = TorchBinaryClassifier(**PLAIN, max_epochs=1).fit(X, y)
    with torch.no_grad():
        clf.module_[0].weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match="produced NaN outputs"):
        clf.predict_proba(X)


def test_out_of_memory_suggests_a_smaller_batch(monkeypatch, binary_data):
    """The CUDA out-of-memory path, simulated: no GPU needed."""

    def out_of_memory(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 80 GiB")

    monkeypatch.setattr("sktorch_clf._fast.MLPStep.__call__", out_of_memory)
    clf = TorchBinaryClassifier(**PLAIN, batch_size=4096, max_epochs=1)
    with pytest.raises(MemoryError, match=r"batch_size=4096; try a smaller batch_size"):
        clf.fit(*binary_data)
    assert not hasattr(clf, "net_")  # a failed fit leaves nothing half-done


def test_diverging_training_warns(binary_data):
    """lr=10 on unscaled data: the loss explodes but stays finite."""
    X, y = binary_data
    with pytest.warns(UserWarning, match="Training diverged"):
        TorchBinaryClassifier(lr=10, max_epochs=20, random_state=0).fit(X * 1e6, y)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Training diverged")
        TorchBinaryClassifier(max_epochs=20, random_state=0).fit(X, y)


class InterruptAtBatch(Callback):
    """Ctrl-C in the middle of epoch ``epoch``, after ``batch`` steps."""

    def __init__(self, epoch, batch):
        self.epoch = epoch
        self.batch = batch

    def on_batch_end(self, net, training, **kwargs):
        batches = net.history[-1, "batches"]
        if training and len(net.history) == self.epoch and len(batches) == self.batch:
            raise KeyboardInterrupt


@pytest.mark.parametrize("epoch", [1, 3])
@pytest.mark.parametrize("early_stopping", [False, True])
def test_ctrl_c_mid_epoch_keeps_completed_epochs(epoch, early_stopping, binary_data):
    X, y = binary_data
    clf = TorchMulticlassClassifier(
        max_epochs=10,
        batch_size=50,
        early_stopping=early_stopping,
        callbacks=[InterruptAtBatch(epoch, 2)],
    )
    with pytest.warns(UserWarning, match=f"after {epoch - 1} completed epochs"):
        clf.fit(X, y)
    assert clf.n_iter_ == len(clf.loss_curve_) == len(clf.history_) == epoch - 1
    assert len(clf.history_df_) == epoch - 1
    assert clf.best_loss_ == min(clf.loss_curve_, default=None)
    assert np.isfinite(clf.predict_proba(X)).all()
    clf.set_params(callbacks=None, warm_start=True, max_epochs=2).fit(X, y)
    assert clf.n_iter_ == len(clf.loss_curve_) == epoch + 1
