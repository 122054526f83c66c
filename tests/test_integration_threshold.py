"""Decision thresholds: TunedThresholdClassifierCV, FixedThresholdClassifier
and a grid search over our own ``threshold``."""

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.metrics import balanced_accuracy_score, f1_score, make_scorer
from sklearn.model_selection import (
    FixedThresholdClassifier,
    GridSearchCV,
    TunedThresholdClassifierCV,
    train_test_split,
)

from sktorch_clf import TorchBinaryClassifier


@pytest.fixture(scope="module")
def imbalanced():
    """10% 'yes' (the positive class, classes_[1]), string labels."""
    X, y = make_classification(
        n_samples=1500,
        n_features=8,
        n_informative=4,
        weights=[0.9],
        class_sep=0.6,
        flip_y=0.02,
        random_state=0,
    )
    labels = np.array(["no", "yes"])[y]
    return train_test_split(X, labels, stratify=labels, random_state=0)


def model(**params):
    params = {"hidden_layer_sizes": (16,), "lr": 0.01, "max_epochs": 40, **params}
    return TorchBinaryClassifier(random_state=0, **params)


def test_tuned_threshold_improves_balanced_accuracy(imbalanced):
    X_train, X_test, y_train, y_test = imbalanced
    default = model().fit(X_train, y_train)
    tuned = TunedThresholdClassifierCV(
        model(), scoring="balanced_accuracy", cv=3, random_state=0
    ).fit(X_train, y_train)
    assert tuned.best_threshold_ < 0.5  # the minority needs a lower bar
    before = balanced_accuracy_score(y_test, default.predict(X_test))
    after = balanced_accuracy_score(y_test, tuned.predict(X_test))
    assert after > before + 0.03
    assert set(tuned.predict(X_test)) == {"no", "yes"}


def test_tuned_threshold_with_string_pos_label_f1(imbalanced):
    X_train, X_test, y_train, y_test = imbalanced
    f1_yes = make_scorer(f1_score, pos_label="yes")
    tuned = TunedThresholdClassifierCV(model(), scoring=f1_yes, cv=3, random_state=0)
    tuned.fit(X_train, y_train)
    default = model().fit(X_train, y_train)
    before = f1_score(y_test, default.predict(X_test), pos_label="yes")
    after = f1_score(y_test, tuned.predict(X_test), pos_label="yes")
    assert tuned.best_threshold_ != 0.5
    assert after > before


@pytest.mark.parametrize(("pos_label", "column"), [("yes", 1), ("no", 0)])
def test_fixed_threshold_classifier(imbalanced, pos_label, column):
    X_train, X_test, y_train, _ = imbalanced
    fitted = model().fit(X_train, y_train)
    fixed = FixedThresholdClassifier(fitted, threshold=0.2, pos_label=pos_label)
    fixed.fit(X_train, y_train)
    proba = fixed.estimator_.predict_proba(X_test)[:, column]
    other = "no" if pos_label == "yes" else "yes"
    expected = np.where(proba >= 0.2, pos_label, other)
    np.testing.assert_array_equal(fixed.predict(X_test), expected)


def test_our_threshold_equals_fixed_threshold(imbalanced):
    X_train, X_test, y_train, _ = imbalanced
    ours = model(threshold=0.2).fit(X_train, y_train)
    fixed = FixedThresholdClassifier(model(), threshold=0.2, pos_label="yes")
    np.testing.assert_array_equal(
        ours.predict(X_test), fixed.fit(X_train, y_train).predict(X_test)
    )


def test_grid_search_over_threshold_with_f1(imbalanced):
    X_train, _, y_train, _ = imbalanced
    y01 = (y_train == "yes").astype(int)
    grid = {"threshold": [0.1, 0.2, 0.3, 0.5]}
    search = GridSearchCV(model(), grid, scoring="f1", cv=3).fit(X_train, y01)
    scores = dict(
        zip(grid["threshold"], search.cv_results_["mean_test_score"], strict=True)
    )
    assert search.best_params_["threshold"] < 0.5
    assert search.best_score_ > scores[0.5]
