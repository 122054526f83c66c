import os

# Let scikit-learn run its array-API check on numpy instead of skipping it.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Small networks train fastest on one thread; CI has 2 cores."""
    torch.set_num_threads(1)
