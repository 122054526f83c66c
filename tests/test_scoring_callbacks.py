"""skorch's scoring and stopping callbacks score what ``predict`` returns."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from skorch.callbacks import (
    BatchScoring,
    Callback,
    EarlyStopping,
    EpochScoring,
    InputShapeSetter,
    PassthroughScoring,
)

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier

ESTIMATORS = [TorchBinaryClassifier, TorchMulticlassClassifier]


class KeepValidation(Callback):
    """Keeps the validation rows (features and encoded targets)."""

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        self.X_ = dataset_valid.X.numpy()
        self.y_ = dataset_valid.y.numpy().astype(int)


def fit_one_epoch(cls, data, callbacks, **params):
    """One epoch, so that the final weights are the scored ones; one network,
    whose validation rows are scored by the whole model (an ensemble's are
    scored by the members holding them out: tests/test_crossfit.py)."""
    keep = KeepValidation()
    params = {"ensemble_size": 1, **params}
    clf = cls(max_epochs=1, early_stopping=True, random_state=0, **params)
    clf.set_params(callbacks=[*callbacks, keep]).fit(*data)
    kept = dict(clf.net_.callbacks_)["KeepValidation"]
    return clf, kept.X_, clf.classes_[kept.y_]


@pytest.mark.parametrize("use_caching", [True, False])
@pytest.mark.parametrize("threshold", [0.1, 0.5, 0.9])
def test_valid_scores_use_the_threshold(threshold, use_caching, binary_data):
    scoring = [
        EpochScoring("accuracy", use_caching=use_caching, lower_is_better=False),
        EpochScoring("f1", use_caching=use_caching, lower_is_better=False),
    ]
    clf, X_valid, y_valid = fit_one_epoch(
        TorchBinaryClassifier, binary_data, scoring, threshold=threshold
    )
    frame = clf.history_df_
    predicted = clf.predict(X_valid)
    assert frame["valid_acc"].iloc[0] == pytest.approx(
        accuracy_score(y_valid, predicted)
    )
    assert frame["accuracy"].iloc[0] == pytest.approx(frame["valid_acc"].iloc[0])
    assert frame["f1"].iloc[0] == pytest.approx(f1_score(y_valid, predicted))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_roc_auc_scoring(cls, binary_data):
    scoring = [EpochScoring("roc_auc", lower_is_better=False)]
    clf, X_valid, y_valid = fit_one_epoch(cls, binary_data, scoring)
    expected = roc_auc_score(y_valid, clf.predict_proba(X_valid)[:, 1])
    assert clf.history_df_["roc_auc"].iloc[0] == pytest.approx(expected)


@pytest.mark.parametrize("weights", ["class_weight", "sample_weight"])
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_training_scores_with_weights(cls, weights, binary_data):
    X, y = binary_data
    scoring = [
        EpochScoring("f1", on_train=True, lower_is_better=False),
        EpochScoring("accuracy", on_train=True, use_caching=False, name="acc"),
        BatchScoring("accuracy", on_train=True, name="batch_acc"),
        PassthroughScoring("train_loss", on_train=True),  # from the batches
    ]
    # the last epoch's model is the final one (no best-epoch weights restored)
    clf = cls(max_epochs=3, early_stopping=False, random_state=0, callbacks=scoring)
    w = np.linspace(0.5, 2.0, len(y))
    if weights == "class_weight":
        clf.set_params(class_weight={0: 1.0, 1: 3.0}).fit(X, y)
    else:
        clf.fit(X, y, sample_weight=w)
    frame = clf.history_df_
    for column in ("f1", "acc", "batch_acc"):
        assert frame[column].between(0, 1).all()
    # the batch losses' mean, weighted by batch size, is the epoch's loss
    plain = clone(clf).set_params(callbacks=None)
    plain.fit(X, y, sample_weight=None if weights == "class_weight" else w)
    np.testing.assert_allclose(frame["train_loss"], plain.loss_curve_, rtol=1e-6)
    last = clf.score(X, y)
    assert frame["acc"].iloc[-1] == pytest.approx(last)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_skorch_early_stopping_is_a_stop_not_a_ctrl_c(cls, binary_data):
    stop = EarlyStopping(monitor="valid_acc", lower_is_better=False, patience=2)
    clf = cls(max_epochs=200, early_stopping=True, callbacks=[stop], random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # neither "interrupted" nor unconverged
        clf.fit(*binary_data)
    assert clf.n_iter_ < 200
    assert clf.n_iter_ == len(clf.loss_curve_) == len(clf.history_)


class PoisonAtStop(Callback):
    """Puts a NaN into the weights at the end of epoch 2."""

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == 2:
            next(net.module_.parameters()).data[0, 0] = float("nan")


def test_skorch_early_stopping_keeps_the_final_weights_check(binary_data):
    stop = EarlyStopping(monitor="train_loss", patience=1, threshold=10.0)  # epoch 2
    clf = TorchBinaryClassifier(max_epochs=50, callbacks=[PoisonAtStop(), stop])
    with pytest.raises(ValueError, match="non-finite weights"):
        clf.fit(*binary_data)


def test_a_callback_reading_an_unrecorded_key(binary_data):
    clf = TorchBinaryClassifier(
        early_stopping=False, max_epochs=3, callbacks=[EarlyStopping()]
    )
    with pytest.raises(ValueError, match=r"valid_loss.*early_stopping=True"):
        clf.fit(*binary_data)


def test_input_shape_setter_is_refused(binary_data):
    clf = TorchBinaryClassifier(max_epochs=3, callbacks=[InputShapeSetter()])
    with pytest.raises(ValueError, match="callbacks: InputShapeSetter is not needed"):
        clf.fit(*binary_data)
