"""Grid search of a PyTorch classifier on a Dask cluster.

Set DASK_SCHEDULER_ADDRESS (e.g. tcp://head-node:8786) to use an existing
cluster; without it a LocalCluster of 2 single-threaded workers is started.
Needs the dask extra: pip install ".[dask]" from a checkout.
"""

import os

from distributed import Client, LocalCluster
from joblib import parallel_backend
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktorch_clf import TorchMulticlassClassifier


def main():
    X, y = load_digits(return_X_y=True)
    search = GridSearchCV(
        make_pipeline(
            StandardScaler(),
            TorchMulticlassClassifier(lr=1e-2, early_stopping=True, random_state=0),
        ),
        {"torchmulticlassclassifier__hidden_layer_sizes": [(32,), (128, 64)]},
        cv=3,
    )
    address = os.environ.get("DASK_SCHEDULER_ADDRESS")
    if address:
        client = Client(address)
    else:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1)
        client = Client(cluster)
    with client, parallel_backend("dask"):
        print("dashboard:", client.dashboard_link)
        search.fit(X, y)
    print("best:", search.best_params_, f"accuracy {search.best_score_:.3f}")


if __name__ == "__main__":
    main()
