import os

# Let scikit-learn run its array-API check on numpy instead of skipping it.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Small networks train fastest on one thread; CI has 2 cores."""
    torch.set_num_threads(1)


@pytest.fixture
def binary_data():
    """A small, learnable binary problem (float64, like most user data)."""
    from sklearn.datasets import make_classification

    return make_classification(
        n_samples=300, n_features=6, n_informative=4, random_state=0
    )


@pytest.fixture
def multiclass_data():
    from sklearn.datasets import make_classification

    return make_classification(
        n_samples=300,
        n_features=6,
        n_informative=4,
        n_classes=3,
        n_clusters_per_class=1,
        random_state=0,
    )


@pytest.fixture
def densified_shapes(monkeypatch):
    """Shapes of every sparse block densified (``csr_matrix.toarray``) from now."""
    import scipy.sparse as sp

    shapes = []
    original = sp.csr_matrix.toarray

    def recording(self, *args, **kwargs):
        shapes.append(self.shape)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sp.csr_matrix, "toarray", recording)
    return shapes


@pytest.fixture
def two_threads():
    """Torch at two intra-op threads for the test (CI's cores), restored."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def gelu_net():
    """A small custom module (GELU hidden layer): not the built-in MLP."""

    class GeluNet(torch.nn.Module):
        def __init__(self, n_features_in, n_outputs):
            super().__init__()
            self.body = torch.nn.Sequential(
                torch.nn.Linear(n_features_in, 16), torch.nn.GELU()
            )
            self.head = torch.nn.Linear(16, n_outputs)

        def forward(self, X):
            return self.head(self.body(X))

    return GeluNet
