"""A real mixed-type dataset end to end: palmerpenguins with string targets."""

import numpy as np
import pytest
from palmerpenguins import load_penguins
from sklearn.compose import make_column_transformer
from sklearn.dummy import DummyClassifier
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier

NUMERIC = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]


def preprocessing(categorical):
    return make_column_transformer(
        (
            make_pipeline(
                SimpleImputer(strategy="most_frequent"),
                OneHotEncoder(handle_unknown="ignore"),
            ),
            categorical,
        ),
        (OrdinalEncoder(), ["year"]),
        (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), NUMERIC),
    )


@pytest.fixture(scope="module")
def penguins():
    return load_penguins()


@pytest.fixture(scope="module")
def species_task(penguins):
    """Multiclass: species (3 string labels) from a frame with missing values."""
    X = penguins.drop(columns="species")
    assert X.isna().any().any()
    return X, penguins["species"]


@pytest.fixture(scope="module")
def sex_task(penguins):
    """Binary: sex ('female' / 'male') from measurements, species and island."""
    known = penguins.dropna(subset=["sex"])
    return known.drop(columns="sex"), known["sex"]


def multiclass_pipeline(**params):
    params = {
        "hidden_layer_sizes": (32,),
        "random_state": 0,
        **params,
    }
    return make_pipeline(
        preprocessing(["island", "sex"]), TorchMulticlassClassifier(**params)
    )


def binary_pipeline(**params):
    params = {
        "hidden_layer_sizes": (32,),
        "random_state": 0,
        **params,
    }
    return make_pipeline(
        preprocessing(["island", "species"]), TorchBinaryClassifier(**params)
    )


def majority_rate(X, y):
    return cross_val_score(DummyClassifier(), X, y, cv=5).mean()


def test_species_cross_validation(species_task):
    X, y = species_task
    scores = cross_val_score(multiclass_pipeline(), X, y, cv=5)
    assert majority_rate(X, y) < 0.45
    assert scores.mean() > 0.95


def test_sex_cross_validation(sex_task):
    X, y = sex_task
    scores = cross_val_score(binary_pipeline(), X, y, cv=5)
    assert majority_rate(X, y) < 0.52
    assert scores.mean() > 0.85


def test_predictions_are_original_string_labels(species_task, sex_task):
    X, y = species_task
    pred = multiclass_pipeline().fit(X, y).predict(X)
    assert set(pred) == {"Adelie", "Chinstrap", "Gentoo"}
    Xb, yb = sex_task
    model = binary_pipeline().fit(Xb, yb)
    assert list(model.classes_) == ["female", "male"]
    assert set(model.predict(Xb)) == {"female", "male"}


def test_grid_search_multiclass_parallel(species_task):
    X, y = species_task
    grid = {
        "torchmulticlassclassifier__hidden_layer_sizes": [(8,), (32, 16)],
        "torchmulticlassclassifier__lr": [1e-4, 1e-2],
    }
    search = GridSearchCV(multiclass_pipeline(max_epochs=30), grid, cv=3, n_jobs=2)
    search.fit(X, y)
    assert search.best_params_["torchmulticlassclassifier__lr"] == 1e-2
    assert search.best_score_ > 0.95
    assert search.predict(X.iloc[:5]).dtype.kind in "OU"


def test_grid_search_binary_threshold_parallel(sex_task):
    X, y = sex_task
    grid = {
        "torchbinaryclassifier__hidden_layer_sizes": [(16,)],
        "torchbinaryclassifier__lr": [1e-2],
        "torchbinaryclassifier__threshold": [0.05, 0.5, 0.95],
    }
    search = GridSearchCV(binary_pipeline(max_epochs=30), grid, cv=3, n_jobs=2)
    search.fit(X, y)
    results = search.cv_results_["mean_test_score"]
    assert search.best_params_["torchbinaryclassifier__threshold"] == 0.5
    assert results[1] > max(results[0], results[2])
    assert np.all(np.isfinite(results))
