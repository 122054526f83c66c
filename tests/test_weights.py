"""sample_weight, class_weight and metadata routing."""

import re

import numpy as np
import pytest
import sklearn
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier

ESTIMATORS = [TorchBinaryClassifier, TorchMulticlassClassifier]


def make(cls=TorchMulticlassClassifier, **params):
    # no early stopping: every row trains, as the weighting rules assume
    params = {"early_stopping": False, "max_epochs": 30, "lr": 0.01, **params}
    return cls(random_state=0, **params)


@pytest.fixture
def labelled(binary_data):
    X, y = binary_data
    return X, np.array(["cat", "dog"])[y]


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_upweighting_a_class_raises_its_share(cls, labelled):
    X, y = labelled
    base = np.mean(make(cls).fit(X, y).predict(X) == "dog")
    by_sample = make(cls).fit(X, y, sample_weight=np.where(y == "dog", 5.0, 1.0))
    by_class = make(cls, class_weight={"dog": 5.0}).fit(X, y)
    assert np.mean(by_sample.predict(X) == "dog") > base + 0.05
    np.testing.assert_array_equal(by_class.predict_proba(X), by_sample.predict_proba(X))


def test_class_and_sample_weights_multiply(labelled):
    X, y = labelled
    sw = np.random.RandomState(0).uniform(0.5, 2, size=len(y))
    both = make(class_weight={"cat": 3.0}).fit(X, y, sample_weight=sw)
    product = make().fit(X, y, sample_weight=sw * np.where(y == "cat", 3.0, 1.0))
    np.testing.assert_allclose(both.predict_proba(X), product.predict_proba(X))


def test_balanced_class_weight_helps_the_minority():
    X, y = make_classification(
        n_samples=600, weights=[0.92], flip_y=0.05, random_state=0
    )
    recall = [
        np.mean(make(class_weight=cw).fit(X, y).predict(X)[y == 1] == 1)
        for cw in (None, "balanced")
    ]
    assert recall[1] > recall[0] + 0.05


class Float64Net(nn.Module):
    """An MLP computing in float64, to see the weighting without rounding."""

    def __init__(self, n_features_in, n_outputs):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(n_features_in, 16), nn.ReLU(), nn.Linear(16, n_outputs)
        ).double()

    def forward(self, X):
        return self.body(X.double())


@pytest.mark.parametrize(("module", "rtol"), [(Float64Net, 1e-6), (None, 1e-3)])
def test_integer_weights_match_repeated_rows_in_one_batch(module, rtol):
    """One full batch per epoch: weighted == repeated, up to the float32
    rounding of the weights in a float64 network (~6e-8 seen), and up to
    float32 rounding amplified over 200 Adam steps by default (~9e-5 seen)."""
    rng = np.random.RandomState(42)
    X, y = rng.rand(15, 30), rng.randint(0, 3, size=15)
    sw = rng.randint(0, 5, size=15)
    params = {"module": module, "early_stopping": False, "random_state": 0}
    repeated = TorchMulticlassClassifier(**params)
    repeated.fit(X.repeat(sw, axis=0), y.repeat(sw))
    weighted = TorchMulticlassClassifier(**params)
    weighted.fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), rtol=rtol
    )


def test_integer_weights_close_to_repeated_rows_in_minibatches(binary_data):
    X, y = binary_data
    sw = np.random.RandomState(1).randint(1, 4, size=len(y))
    weighted = make(batch_size=32).fit(X, y, sample_weight=sw)
    repeated = make(batch_size=32).fit(X.repeat(sw, axis=0), y.repeat(sw))
    assert np.mean(weighted.predict(X) == repeated.predict(X)) > 0.95
    diff = np.abs(weighted.predict_proba(X) - repeated.predict_proba(X))
    assert np.median(diff) < 0.05


def test_zero_weights_ignore_rows(binary_data):
    X, y = binary_data
    flipped = 1 - y
    sw = np.r_[np.ones(300), np.zeros(300)]
    clf = make().fit(np.r_[X, X], np.r_[y, flipped], sample_weight=sw)
    assert clf.score(X, y) > 0.85


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize(
    ("weights", "match"),
    [
        (-np.ones(300), "Negative values in data passed to `sample_weight`"),
        (np.ones(299), r"sample_weight.shape == \(299,\), expected \(300,\)"),
        (np.zeros(300), "weight.*zero"),
        (np.ones((300, 2)), "Sample weights must be 1D"),
    ],
)
def test_bad_sample_weight(cls, binary_data, weights, match):
    with pytest.raises(ValueError, match=match):
        make(cls, max_epochs=1).fit(*binary_data, sample_weight=weights)


def test_bad_class_weight(labelled):
    X, y = labelled
    with pytest.raises(ValueError, match=r"class_weight has labels \['cow'\]"):
        make(class_weight={"cow": 2.0}).fit(X, y)
    with pytest.raises(ValueError, match="'class_weight' parameter"):
        make(class_weight="heavy").fit(X, y)


def test_caller_weights_not_modified(binary_data):
    X, y = binary_data
    sw = np.arange(300, dtype=float)
    cw = {0: 2.0}
    make(max_epochs=1, class_weight=cw).fit(X, y, sample_weight=sw)
    np.testing.assert_array_equal(sw, np.arange(300))
    assert cw == {0: 2.0}


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


@pytest.fixture
def weighted_task(binary_data):
    X, y = binary_data
    return X, y, np.where(y == 1, 8.0, 1.0)


def requesting(**params):
    est = make(TorchBinaryClassifier, **params).set_fit_request(sample_weight=True)
    return est.set_score_request(sample_weight=False)


def test_routing_through_pipeline(routing, weighted_task):
    X, y, sw = weighted_task
    Xs = StandardScaler().fit_transform(X)
    scaler = StandardScaler().set_fit_request(sample_weight=False)
    pipe = make_pipeline(scaler, requesting()).fit(X, y, sample_weight=sw)
    direct = requesting().fit(Xs, y, sample_weight=sw)
    unweighted = requesting().fit(Xs, y)
    np.testing.assert_array_equal(pipe.predict_proba(X), direct.predict_proba(Xs))
    assert pipe.predict(X).mean() > unweighted.predict(Xs).mean()


def test_routing_through_cross_validate(routing, weighted_task):
    X, y, sw = weighted_task
    result = cross_validate(
        requesting(),
        X,
        y,
        cv=3,
        params={"sample_weight": sw},
        return_estimator=True,
        return_indices=True,
    )
    for est, train in zip(result["estimator"], result["indices"]["train"], strict=True):
        manual = requesting().fit(X[train], y[train], sample_weight=sw[train])
        np.testing.assert_array_equal(est.predict_proba(X), manual.predict_proba(X))


def test_routing_through_grid_search(routing, weighted_task):
    X, y, sw = weighted_task
    search = GridSearchCV(requesting(), {"hidden_layer_sizes": [(8,)]}, cv=2)
    search.fit(X, y, sample_weight=sw)
    manual = requesting(hidden_layer_sizes=(8,)).fit(X, y, sample_weight=sw)
    np.testing.assert_array_equal(
        search.best_estimator_.predict_proba(X), manual.predict_proba(X)
    )


def test_routing_unrequested_weights_are_an_error(routing, weighted_task):
    X, y, sw = weighted_task
    pipe = make_pipeline(StandardScaler(), make(TorchBinaryClassifier))
    with pytest.raises(ValueError, match="sample_weight"):
        pipe.fit(X, y, sample_weight=sw)


def test_partial_fit_keeps_class_weight_across_class_pure_chunks(binary_data):
    """As SGDClassifier.partial_fit: weights are not rescaled chunk by chunk."""
    X, y = binary_data
    chunks = [y == 0, y == 1]

    def train(class_weight=None, heavy=1.0):
        clf = TorchBinaryClassifier(
            optimizer="sgd", lr=0.01, class_weight=class_weight, random_state=0
        )
        for _ in range(3):
            for rows in chunks:
                weight = np.where(y[rows] == 1, heavy, 1.0)
                clf.partial_fit(X[rows], y[rows], classes=[0, 1], sample_weight=weight)
        return clf.predict_proba(X)[:, 1]

    weighted = train(class_weight={0: 1, 1: 50})
    np.testing.assert_allclose(weighted, train(heavy=50.0), rtol=1e-6)
    assert np.mean(weighted) > np.mean(train()) + 0.05


@pytest.mark.parametrize("value", [-0.2, -3.0, np.nan, np.inf, "2", True, None])
def test_class_weight_values_must_be_non_negative_numbers(labelled, value):
    X, y = labelled
    message = f"class_weight values must be finite non-negative numbers, got {value!r}"
    with pytest.raises(ValueError, match=re.escape(message) + " for label 'dog'"):
        make(class_weight={"cat": 1.0, "dog": value}).fit(X, y)
    with pytest.raises(ValueError, match=re.escape(message)):
        make(class_weight={"dog": value}).partial_fit(X, y)


def test_early_stopping_with_no_weight_on_the_validation_rows(binary_data):
    X, y = binary_data
    weight = np.zeros(len(y))
    weight[:3] = 1.0  # none of them in the validation split of random_state=0
    clf = make(
        TorchBinaryClassifier, early_stopping=True, max_epochs=2, ensemble_size=1
    )
    with pytest.raises(ValueError, match="validation split whose samples all have"):
        clf.fit(X, y, sample_weight=weight)
