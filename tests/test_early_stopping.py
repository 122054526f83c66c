"""Early stopping, the tol / n_iter_no_change rule and ConvergenceWarning."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import Callback

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier


class Snapshots(Callback):
    """Keeps a copy of the weights at the end of every epoch."""

    def initialize(self):
        self.states_ = []
        return self

    def on_epoch_end(self, net, **kwargs):
        state = {k: v.detach().clone() for k, v in net.module_.state_dict().items()}
        self.states_.append(state)


@pytest.fixture
def noisy_data():
    """Label noise: validation accuracy peaks early, then overfitting sets in."""
    return make_classification(
        n_samples=400, n_features=20, n_informative=5, flip_y=0.3, random_state=1
    )


def early(**params):
    defaults = {
        "early_stopping": True,
        "scoring": "accuracy",
        "hidden_layer_sizes": (128, 128),
        "lr": 0.01,
        "max_epochs": 300,
        "n_iter_no_change": 5,
        "random_state": 0,
    }
    return TorchMulticlassClassifier(**{**defaults, **params})


def test_stops_early_and_keeps_the_best_epoch(noisy_data):
    X, y = noisy_data
    clf = early(callbacks=[Snapshots()]).fit(X, y)
    scores = clf.validation_scores_
    assert clf.n_iter_ < 300
    assert len(scores) == clf.n_iter_
    assert clf.best_validation_score_ == max(scores)
    assert clf.best_epoch_ == int(np.argmax(scores)) + 1  # first best epoch
    assert clf.n_iter_ >= clf.best_epoch_ + 5
    # the fitted weights are the best epoch's, not the last epoch's
    snapshots = dict(clf.net_.callbacks_)["Snapshots"].states_
    best, last = snapshots[clf.best_epoch_ - 1], snapshots[-1]
    for name, value in clf.module_.state_dict().items():
        assert torch.equal(value, best[name])
    assert any(not torch.equal(v, last[k]) for k, v in best.items())


def test_history_records_validation(noisy_data):
    X, y = noisy_data
    clf = early().fit(X, y)
    frame = clf.history_df_
    assert len(frame) == clf.n_iter_
    assert {"train_loss", "valid_loss", "valid_acc", "dur"} <= set(frame.columns)
    assert frame["valid_acc"].tolist() == clf.validation_scores_
    assert frame["train_loss"].tolist() == clf.loss_curve_
    assert clf.best_loss_ == min(clf.loss_curve_)


def test_validation_split_is_stratified_and_seeded(noisy_data):
    X, y = noisy_data
    a = early(max_epochs=3, validation_fraction=0.25).fit(X, y)
    b = early(max_epochs=3, validation_fraction=0.25).fit(X, y)
    assert a.validation_scores_ == b.validation_scores_
    # 100 validation rows: each accuracy is a multiple of 1/100
    for score in a.validation_scores_:
        assert abs(score * 100 - round(score * 100)) < 1e-6
    # 1% of 40 rows is less than a row: one row per class is held out instead
    one = early(validation_fraction=0.01, max_epochs=2, ensemble_size=1)
    for score in one.fit(X[:40], y[:40]).validation_scores_:
        assert score in (0.0, 0.5, 1.0)
    # by each of the four members (cross-fitted validation): 8 rows
    tiny = early(validation_fraction=0.01, max_epochs=2).fit(X[:40], y[:40])
    for score in tiny.validation_scores_:
        assert abs(score * 8 - round(score * 8)) < 1e-6
    # a class with a single sample cannot be stratified
    y_single = y[:40].copy()
    y_single[0] = 7
    with pytest.raises(ValueError, match=r"validation_fraction=0.01 of 40 samples"):
        early(validation_fraction=0.01).fit(X[:40], y_single)


def test_without_early_stopping_no_validation(binary_data):
    clf = TorchBinaryClassifier(early_stopping=False, max_epochs=3)
    clf.fit(*binary_data)
    assert clf.validation_scores_ is None
    assert clf.best_validation_score_ is None
    assert clf.best_epoch_ is None
    assert "valid_loss" not in clf.history_df_.columns


def test_training_loss_rule_stops_at_a_plateau(binary_data):
    # tol larger than any possible improvement: only the first epoch counts
    clf = TorchBinaryClassifier(
        early_stopping=False, tol=100.0, n_iter_no_change=3, max_epochs=50
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(*binary_data)
    assert clf.n_iter_ == 4


def test_convergence_warning_when_max_epochs_cut_training(binary_data):
    clf = TorchBinaryClassifier(max_epochs=5, random_state=0)
    with pytest.warns(ConvergenceWarning, match=r"Maximum number of epochs \(5\)"):
        clf.fit(*binary_data)
    assert clf.n_iter_ == 5
    assert clf.loss_curve_[-1] < clf.loss_curve_[-2] - 1e-4


def test_early_stopping_is_not_an_exception(noisy_data):
    X, y = noisy_data
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither interruption nor convergence
        clf = early().fit(X, y)
    assert clf.n_iter_ < 300


def test_early_stopping_on_the_validation_loss(noisy_data):
    X, y = noisy_data
    clf = early(scoring="loss").fit(X, y)
    losses = clf.history_df_["valid_loss"].to_numpy()
    assert clf.best_epoch_ == 1 + int(np.argmin(losses))
    assert clf.best_validation_score_ == pytest.approx(-losses.min())
    np.testing.assert_allclose(clf.validation_scores_, -losses)


def test_defaults_converge_on_a_table_of_one_batch():
    """Iris's 120 training rows are one mini-batch: one step per epoch. The
    validation loss of this fold still improves after 200 epochs (the old
    ceiling ended it in a ConvergenceWarning); the default ceiling lets
    early stopping end it, with the weights of its best epoch."""
    X, y = load_iris(return_X_y=True)
    train, _ = next(iter(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y)))
    X_train = StandardScaler().fit(X[train]).transform(X[train])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = TorchMulticlassClassifier(random_state=0).fit(X_train, y[train])
    assert 200 < clf.best_epoch_ < clf.max_epochs == 500
