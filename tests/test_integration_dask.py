"""Grid search and cross-validation on a dask.distributed cluster (joblib's
dask backend), with a LocalCluster of 2 worker processes on loopback."""

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.model_selection import GridSearchCV, cross_validate

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier

distributed = pytest.importorskip("distributed", reason="needs the dask extra")

GRID = {"hidden_layer_sizes": [(8,), (16,)], "lr": [1e-3, 1e-2]}


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def worker_torch_threads():
    import torch

    return torch.get_num_threads()


def test_workers_are_separate_processes_with_one_torch_thread(client):
    threads = client.run(worker_torch_threads)
    assert len(threads) == 2
    assert set(threads.values()) == {1}


def test_grid_search_on_dask_equals_local(client, multiclass_data):
    X, y = multiclass_data
    est = TorchMulticlassClassifier(max_epochs=15, random_state=0)
    local = GridSearchCV(est, GRID, cv=3, n_jobs=1).fit(X, y)
    with parallel_backend("dask"):
        remote = GridSearchCV(est, GRID, cv=3).fit(X, y)
    np.testing.assert_array_equal(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(remote.predict_proba(X), local.predict_proba(X))


def test_cross_validate_on_dask_equals_local(client, multiclass_data):
    X, y = multiclass_data
    y = (y == 0).astype(int)
    est = TorchBinaryClassifier(max_epochs=15, random_state=0)
    local = cross_validate(est, X, y, cv=4, scoring=["accuracy", "roc_auc"])
    with parallel_backend("dask"):
        remote = cross_validate(est, X, y, cv=4, scoring=["accuracy", "roc_auc"])
    for key in ("test_accuracy", "test_roc_auc"):
        np.testing.assert_array_equal(remote[key], local[key])


def test_dask_ml_incremental_trains_chunk_by_chunk(client, multiclass_data):
    """dask-ml's Incremental calls partial_fit once per chunk of a dask array."""
    pytest.importorskip("dask_ml", reason="needs dask-ml")
    import dask.array as da
    from dask_ml.wrappers import Incremental

    X, y = multiclass_data
    Xd, yd = da.from_array(X, chunks=100), da.from_array(y, chunks=100)
    model = Incremental(
        TorchMulticlassClassifier(lr=0.01, random_state=0), scoring="accuracy"
    )
    for _ in range(10):
        model.partial_fit(Xd, yd, classes=[0, 1, 2])
    assert model.estimator_.n_iter_ == 30  # 10 passes x 3 chunks, one epoch each
    assert model.score(Xd, yd) > 0.85
