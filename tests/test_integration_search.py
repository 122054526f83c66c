"""Model selection over network and optimizer hyperparameters, pandas output
upstream, the HTML repr, and torch threads inside joblib workers."""

import os

import numpy as np
import pandas as pd
import torch
from scipy.stats import loguniform
from sklearn.compose import make_column_transformer
from sklearn.datasets import make_classification
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import (
    GridSearchCV,
    HalvingGridSearchCV,
    RandomizedSearchCV,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sktorch_clf import TorchMulticlassClassifier

SPACE = {
    "hidden_layer_sizes": [(8,), (32, 16)],
    "lr": [1e-4, 1e-2],
    "batch_size": [32, 128],
    "dropout": [0.0, 0.2],
    "max_epochs": [20, 60],
}


def data():
    return make_classification(
        n_samples=400,
        n_features=8,
        n_informative=5,
        n_classes=3,
        n_clusters_per_class=1,
        random_state=0,
    )


def early():
    return TorchMulticlassClassifier(
        early_stopping=True, n_iter_no_change=5, random_state=0
    )


def test_randomized_search_with_early_stopping():
    X, y = data()
    space = {**SPACE, "lr": loguniform(1e-4, 3e-2)}
    search = RandomizedSearchCV(early(), space, n_iter=6, cv=3, random_state=0)
    search.fit(X, y)
    results = pd.DataFrame(search.cv_results_)
    assert len(results) == 6
    assert search.best_score_ > 0.8
    best = search.best_estimator_
    assert best.best_epoch_ is not None
    assert best.n_iter_ <= best.max_epochs
    # learning rate matters: the best candidate is not among the slowest
    assert search.best_params_["lr"] > 1e-4 * 3


def test_halving_grid_search_with_early_stopping():
    X, y = data()
    search = HalvingGridSearchCV(early(), SPACE, cv=3, factor=4, random_state=0)
    search.fit(X, y)
    assert search.n_iterations_ >= 2
    assert search.best_params_["lr"] == 1e-2
    assert search.best_score_ > 0.8


def test_pandas_output_feature_names_reach_the_estimator():
    X, y = data()
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(8)])
    frame["color"] = np.array(["red", "green", "blue"])[np.arange(400) % 3]
    pipe = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(sparse_output=False), ["color"]),
            remainder=StandardScaler(),
        ).set_output(transform="pandas"),
        TorchMulticlassClassifier(max_epochs=5, random_state=0),
    ).fit(frame, y)
    names = list(pipe[-1].feature_names_in_)
    assert names[:3] == [
        "onehotencoder__color_blue",
        "onehotencoder__color_green",
        "onehotencoder__color_red",
    ]
    assert names[3:] == [f"remainder__x{i}" for i in range(8)]


def test_html_repr_renders():
    html = make_pipeline(StandardScaler(), TorchMulticlassClassifier())._repr_html_()
    assert "TorchMulticlassClassifier" in html
    assert "StandardScaler" in html


def torch_threads(estimator, X, y):
    """A 'score' that reports the worker's torch intra-op threads."""
    return torch.get_num_threads()


def test_joblib_workers_do_not_oversubscribe():
    X, y = data()
    search = GridSearchCV(
        TorchMulticlassClassifier(max_epochs=1),
        {"lr": [1e-3, 1e-2]},
        cv=2,
        n_jobs=2,
        scoring=torch_threads,
    ).fit(X, y)
    expected = max(1, (os.cpu_count() or 2) // 2)
    assert set(search.cv_results_["mean_test_score"]) == {expected}
