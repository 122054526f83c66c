"""Cross-fitted validation: each ensemble member holds out its own rows."""

import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score, f1_score, log_loss, roc_auc_score
from skorch.callbacks import EpochScoring

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier
from sktorch_clf._split import validation_split

ESTIMATORS = [TorchBinaryClassifier, TorchMulticlassClassifier]


def labels(n=200):
    """Three imbalanced classes, in blocks (as sorted data would be)."""
    return np.repeat([0, 1, 2], [n // 2, 3 * n // 10, n - n // 2 - 3 * n // 10])


def test_each_member_holds_out_a_stratified_slice_of_its_own():
    y = labels()
    X = np.arange(len(y) * 2, dtype=float).reshape(-1, 2)
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    (X_t, y_t, w_t), (X_v, y_v, w_v) = validation_split(X, y, w, 0.1, 3, members=4)
    # every row trains; each held-out row trains all members but its holder
    assert X_t is X
    assert np.array_equal(y_t, y)
    assert w_t.shape == (200, 4)
    held = np.flatnonzero((w_t == 0).any(axis=1))
    assert len(held) == 4 * 20
    assert np.array_equal(X_v, X[held])
    assert np.array_equal(y_v, y[held])
    assert ((w_t == 0).sum(axis=1) <= 1).all()
    holder = (w_t[held] == 0).argmax(axis=1)
    np.testing.assert_array_equal(
        w_v, w[held, None] * (np.arange(4) == holder[:, None])
    )
    np.testing.assert_array_equal(w_t, w[:, None] * (w_t != 0))
    # each member 20 rows (10%), stratified: class counts within one of each other
    assert np.bincount(holder).tolist() == [20] * 4
    for c in range(3):
        counts = np.bincount(holder[y_v == c], minlength=4)
        assert counts.max() - counts.min() <= 1
    # the slices are drawn at random, reproducibly
    again = validation_split(X, y, w, 0.1, 3, members=4)
    np.testing.assert_array_equal(again[0][2], w_t)
    other = validation_split(X, y, w, 0.1, 4, members=4)
    assert not np.array_equal(other[0][2], w_t)


def test_one_shared_split_when_the_slices_would_not_leave_enough_rows():
    y = labels()
    X = np.zeros((len(y), 2))
    (X_t, _, w_t), (X_v, _, w_v) = validation_split(X, y, None, 0.3, 0, members=4)
    assert w_t is None
    assert w_v is None
    assert len(X_t) == 140
    assert len(X_v) == 60
    # unweighted cross-fitting weighs each row 1 for the members it trains
    (_, _, w_t), (_, _, w_v) = validation_split(X, y, None, 0.2, 0, members=4)
    assert set(np.unique(w_t)) == {0.0, 1.0}
    assert (w_v.sum(axis=1) == 1).all()


def test_all_zero_weights_on_the_held_out_rows_are_an_error():
    y = labels()
    w = np.ones(len(y))
    held = validation_split(np.zeros((200, 1)), y, w, 0.1, 0, members=4)[0][2]
    w[(held == 0).any(axis=1)] = 0.0
    with pytest.raises(ValueError, match="validation split whose samples all"):
        validation_split(np.zeros((200, 1)), y, w, 0.1, 0, members=4)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_member_gets_no_gradient_from_the_rows_it_holds_out(cls, binary_data):
    X, y = binary_data
    clf = cls(ensemble_size=3, max_epochs=1, random_state=0).fit(X, y)
    net = clf.net_
    mask = torch.tensor([[0.0, 1.0, 1.0]]).repeat(len(y), 1)  # member 0 held out
    target = torch.as_tensor(y).float() if cls is TorchBinaryClassifier else None
    target = torch.as_tensor(y) if target is None else target
    net.module_.train()
    net.module_.zero_grad()
    members = net.infer(torch.as_tensor(X, dtype=torch.float32))
    net.get_loss(members, (target, mask), training=True).backward()
    heads = net.module_.body.weight.grad  # (members, hidden, outputs)
    assert torch.count_nonzero(heads[0]) == 0
    assert torch.count_nonzero(heads[1]) > 0
    assert torch.count_nonzero(heads[2]) > 0
    # the mean over (row, member) weights: the members' mean loss when all are 1
    with torch.no_grad():
        full = net.get_loss(members, (target, torch.ones_like(mask)), training=True)
        plain = net.get_loss(members, target, training=True)
    torch.testing.assert_close(full, plain)


def held_out(clf, X, y, sample_weight=None):
    """The fit's validation rows, their labels, the class probabilities
    given by the member holding each row out, and each row's weight."""
    split_seed = clf._call_seeds(0)[2]
    w = None if sample_weight is None else sample_weight / sample_weight.mean()
    k = clf.ensemble_size
    _, (X_v, y_v, w_v) = validation_split(
        X, y, w, clf.validation_fraction, split_seed, k
    )
    with torch.no_grad():
        members = clf.module_.members(torch.as_tensor(X_v, dtype=torch.float32))
    own = members[np.arange(len(y_v)), w_v.argmax(axis=1)].double().numpy()
    if own.shape[1] == 1:
        positive = 1 / (1 + np.exp(-own[:, 0]))
        proba = np.c_[1 - positive, positive]
    else:
        proba = np.exp(own - own.max(1, keepdims=True))
        proba /= proba.sum(1, keepdims=True)
    return X_v, y_v, proba, w_v.sum(axis=1)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_validation_scores_each_row_with_the_member_holding_it_out(
    cls, weighted, multiclass_data, binary_data
):
    X, y = multiclass_data if cls is TorchMulticlassClassifier else binary_data
    sw = np.random.default_rng(1).uniform(0.2, 3.0, len(y)) if weighted else None
    clf = cls(hidden_layer_sizes=(16,), random_state=0, max_epochs=40)
    clf.fit(X, y, sample_weight=sw)
    _, y_v, proba, row_w = held_out(clf, X, y, sw)
    assert len(y_v) == 4 * 30  # 10% of 300 rows, for each of the four members
    best = clf.history_df_.loc[clf.best_epoch_]
    assert best["valid_loss"] == pytest.approx(
        log_loss(y_v, proba, sample_weight=row_w), rel=1e-4
    )
    predicted = proba.argmax(axis=1)
    assert best["valid_acc"] == pytest.approx(
        accuracy_score(y_v, predicted, sample_weight=row_w), rel=1e-6
    )


def test_scoring_callbacks_see_the_held_out_predictions_at_the_threshold(
    binary_data,
):
    scoring = [
        EpochScoring("accuracy", lower_is_better=False),
        EpochScoring("f1", lower_is_better=False),
        EpochScoring("roc_auc", lower_is_better=False),
        EpochScoring("accuracy", use_caching=False, name="whole"),
    ]
    clf = TorchBinaryClassifier(
        threshold=0.7, max_epochs=1, random_state=0, callbacks=scoring
    ).fit(*binary_data)
    X_v, y_v, proba, _ = held_out(clf, *binary_data)
    predicted = (proba[:, 1] >= 0.7).astype(int)
    first = clf.history_df_.iloc[0]
    assert first["valid_acc"] == pytest.approx(accuracy_score(y_v, predicted))
    assert first["accuracy"] == pytest.approx(first["valid_acc"])
    assert first["f1"] == pytest.approx(f1_score(y_v, predicted))
    assert first["roc_auc"] == pytest.approx(roc_auc_score(y_v, proba[:, 1]))
    # without caching, the whole ensemble predicts the validation rows
    whole = accuracy_score(y_v, clf.predict(X_v))
    assert first["whole"] == pytest.approx(whole)


def test_fit_refuses_held_out_rows_that_all_have_zero_weight(binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(max_epochs=1, random_state=0).fit(X, y)
    (_, _, w_t), _ = validation_split(X, y, None, 0.1, clf._call_seeds(0)[2], 4)
    weight = np.where((w_t == 0).any(axis=1), 0.0, 1.0)
    with pytest.raises(ValueError, match="validation split whose samples all have"):
        clf.fit(X, y, sample_weight=weight)


def test_a_single_network_or_a_custom_module_shares_one_split(binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(ensemble_size=1, max_epochs=3, scoring="accuracy")
    for score in clf.fit(X, y).validation_scores_:
        assert abs(score * 30 - round(score * 30)) < 1e-6  # 30 rows


def test_training_loss_counts_each_member_on_the_rows_it_trains(binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(
        hidden_layer_sizes=(8,), max_epochs=2, batch_size=300, random_state=0
    ).fit(X, y)
    # one batch of every row: the epoch's loss is the batch's, as get_loss gives
    assert clf.history_df_["train_batch_count"].tolist() == [1, 1]
