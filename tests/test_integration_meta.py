"""scikit-learn meta-estimators, inspection and metrics around our estimators."""

import matplotlib
import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.ensemble import BaggingClassifier, StackingClassifier, VotingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    PrecisionRecallDisplay,
    RocCurveDisplay,
    brier_score_loss,
    classification_report,
)
from sklearn.model_selection import (
    cross_validate,
    learning_curve,
    train_test_split,
    validation_curve,
)
from sklearn.multiclass import OneVsRestClassifier

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier

matplotlib.use("Agg")


#: Small, fast networks: what these tests check is the meta-estimators' use.
SMALL = {
    "hidden_layer_sizes": (16,),
    "ensemble_size": 1,
    "early_stopping": False,
    "lr": 0.01,
    "max_epochs": 30,
}


def binary(**params):
    params = {**SMALL, **params}
    return TorchBinaryClassifier(random_state=0, **params)


def multiclass(**params):
    params = {**SMALL, **params}
    return TorchMulticlassClassifier(random_state=0, **params)


@pytest.fixture(scope="module")
def split():
    X, y = make_classification(
        n_samples=600, n_features=8, n_informative=4, random_state=0
    )
    return train_test_split(X, np.array(["cat", "dog"])[y], random_state=0)


@pytest.fixture(scope="module")
def three_classes():
    X, y = make_classification(
        n_samples=600,
        n_features=8,
        n_informative=5,
        n_classes=3,
        n_clusters_per_class=1,
        random_state=0,
    )
    return train_test_split(X, np.array(["a", "b", "c"])[y], random_state=0)


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_calibration_fixes_an_overconfident_network(method):
    """20% label noise and a big, long-trained net: probabilities near 0 and 1
    that are often wrong. Calibrating on held-out data repairs them."""
    X, y = make_classification(
        n_samples=1200, n_features=8, n_informative=4, flip_y=0.2, random_state=0
    )
    y = np.array(["cat", "dog"])[y]
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, random_state=0
    )
    X_fit, X_cal, y_fit, y_cal = train_test_split(
        X_train, y_train, test_size=0.5, random_state=0
    )
    raw = binary(hidden_layer_sizes=(128, 128), max_epochs=150).fit(X_fit, y_fit)
    calibrated = CalibratedClassifierCV(FrozenEstimator(raw), method=method)
    calibrated.fit(X_cal, y_cal)
    is_dog = y_test == "dog"
    brier_raw = brier_score_loss(is_dog, raw.predict_proba(X_test)[:, 1])
    brier_cal = brier_score_loss(is_dog, calibrated.predict_proba(X_test)[:, 1])
    assert brier_cal < brier_raw - 0.01
    assert list(calibrated.classes_) == ["cat", "dog"]


def test_calibrated_classifier_with_internal_cv(split):
    X_train, X_test, y_train, y_test = split
    calibrated = CalibratedClassifierCV(binary(), method="sigmoid", cv=3)
    calibrated.fit(X_train, y_train)
    assert len(calibrated.calibrated_classifiers_) == 3
    assert calibrated.score(X_test, y_test) > 0.85


def test_bagging_voting_stacking(split):
    X_train, X_test, y_train, y_test = split
    models = {
        "bagging": BaggingClassifier(binary(), n_estimators=3, random_state=0),
        "voting": VotingClassifier(
            [("torch", binary()), ("logreg", LogisticRegression())], voting="soft"
        ),
        "stacking": StackingClassifier(
            [("torch", binary()), ("logreg", LogisticRegression())], cv=3
        ),
    }
    for name, meta in models.items():
        score = meta.fit(X_train, y_train).score(X_test, y_test)
        assert score > 0.85, name
        assert set(meta.predict(X_test)) == {"cat", "dog"}, name
    voting = models["voting"]
    expected = np.mean(
        [est.predict_proba(X_test) for est in voting.estimators_], axis=0
    )
    np.testing.assert_allclose(voting.predict_proba(X_test), expected)


def test_one_vs_rest_with_the_binary_estimator(three_classes):
    X_train, X_test, y_train, y_test = three_classes
    ovr = OneVsRestClassifier(binary()).fit(X_train, y_train)
    assert len(ovr.estimators_) == 3
    assert ovr.score(X_test, y_test) > 0.85
    assert ovr.predict_proba(X_test).shape == (len(X_test), 3)


def test_permutation_importance_finds_the_informative_features():
    X, y = make_classification(
        n_samples=500,
        n_features=6,
        n_informative=2,
        n_redundant=0,
        shuffle=False,
        random_state=0,
    )
    clf = binary().fit(X, y)
    result = permutation_importance(clf, X, y, n_repeats=5, random_state=0)
    top_two = set(np.argsort(result.importances_mean)[-2:])
    assert top_two == {0, 1}  # shuffle=False: the informative ones come first


def test_learning_and_validation_curves(split):
    X_train, _, y_train, _ = split
    _, _, test_scores = learning_curve(
        binary(), X_train, y_train, train_sizes=[0.2, 1.0], cv=3
    )
    assert test_scores[1].mean() >= test_scores[0].mean() - 0.02
    _, valid = validation_curve(
        binary(max_epochs=10),
        X_train,
        y_train,
        param_name="lr",
        param_range=[1e-5, 1e-2],
        cv=3,
    )
    assert valid[1].mean() > valid[0].mean() + 0.05  # lr=1e-5 barely moves


def test_cross_validate_with_several_scorers(three_classes):
    X_train, _, y_train, _ = three_classes
    scoring = ["accuracy", "f1_macro", "roc_auc_ovr", "neg_log_loss"]
    clf = multiclass(hidden_layer_sizes=(32,), max_epochs=60)
    result = cross_validate(clf, X_train, y_train, cv=3, scoring=scoring)
    # LogisticRegression scores 0.83 / 0.83 / 0.946 / -0.39 here
    assert result["test_accuracy"].mean() > 0.88
    assert result["test_f1_macro"].mean() > 0.88
    assert result["test_roc_auc_ovr"].mean() > 0.96
    assert -0.35 < result["test_neg_log_loss"].mean() < 0


def test_report_and_displays(split):
    X_train, X_test, y_train, y_test = split
    clf = binary().fit(X_train, y_train)
    report = classification_report(y_test, clf.predict(X_test), output_dict=True)
    assert report["accuracy"] > 0.85
    assert {"cat", "dog"} <= report.keys()
    cm = ConfusionMatrixDisplay.from_estimator(clf, X_test, y_test)
    assert cm.confusion_matrix.sum() == len(y_test)
    roc = RocCurveDisplay.from_estimator(clf, X_test, y_test)
    assert roc.roc_auc > 0.9
    pr = PrecisionRecallDisplay.from_estimator(clf, X_test, y_test)
    assert pr.average_precision > 0.9
