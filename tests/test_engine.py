"""The training engine: batches, sparse handling, devices, verbosity."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from skorch import NeuralNet

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier
from sktorch_clf._batches import BatchIterator, TensorData


def test_net_is_a_skorch_neural_net(binary_data):
    clf = TorchBinaryClassifier(max_epochs=2, random_state=0).fit(*binary_data)
    assert isinstance(clf.net_, NeuralNet)
    assert clf.net_.batch_size == 200
    assert len(clf.history_) == 2
    assert clf.history_[-1, "train_batch_count"] == 2  # 300 rows / 200


def test_batch_iterator_covers_every_row_once():
    X = torch.arange(10, dtype=torch.float32).reshape(10, 1)
    data = TensorData(X, torch.arange(10), torch.device("cpu"))
    shuffled = list(BatchIterator(data, batch_size=4, shuffle=True))
    assert [len(xb) for xb, _ in shuffled] == [4, 4, 2]
    rows = torch.cat([yb for _, yb in shuffled])
    assert sorted(rows.tolist()) == list(range(10))
    for xb, yb in shuffled:
        assert torch.equal(xb[:, 0], yb.float())
    ordered = torch.cat([yb for _, yb in BatchIterator(data, 4, shuffle=False)])
    assert ordered.tolist() == list(range(10))


def test_single_row_tail_joins_previous_batch():
    data = TensorData(torch.zeros(9, 1), torch.arange(9), torch.device("cpu"))
    sizes = [len(yb) for _, yb in BatchIterator(data, batch_size=4, shuffle=True)]
    assert sizes == [4, 5]
    assert len(BatchIterator(data, batch_size=4, shuffle=True)) == 2
    one = TensorData(torch.zeros(1, 1), torch.arange(1), torch.device("cpu"))
    assert [len(yb) for _, yb in BatchIterator(one, 4, shuffle=True)] == [1]


def test_batch_norm_with_a_single_row_tail(binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(batch_norm=True, batch_size=299, max_epochs=2)
    assert clf.fit(X, y).predict(X).shape == (300,)


def test_sparse_input_is_densified_one_batch_at_a_time(densified_shapes, binary_data):
    X, y = binary_data
    X_sparse = sp.csr_matrix(X)
    shapes = densified_shapes
    clf = TorchBinaryClassifier(batch_size=64, max_epochs=2, random_state=0)
    clf.fit(X_sparse, y)
    assert shapes  # the sparse path was taken
    assert max(rows for rows, _ in shapes) <= 64
    shapes.clear()
    clf.predict_proba(X_sparse)
    assert shapes == [(300, 6)]  # one inference chunk of all (few) rows


@pytest.mark.parametrize("verbose", [0, 1])
def test_verbose_prints_a_table_per_epoch(capsys, binary_data, verbose):
    TorchMulticlassClassifier(max_epochs=3, verbose=verbose).fit(*binary_data)
    captured = capsys.readouterr()
    assert captured.out == ""  # the table goes to stderr
    out = captured.err
    if verbose:
        assert "train_loss" in out
        assert (
            len([line for line in out.splitlines() if line.strip()[:1] in "123"]) == 3
        )
    else:
        assert out == ""


def test_auto_device_without_accelerator(binary_data):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA; 'auto' would pick it")
    clf = TorchBinaryClassifier(device="auto", max_epochs=1).fit(*binary_data)
    assert next(clf.module_.parameters()).device.type in ("cpu", "mps")


@pytest.mark.parametrize("device", ["cuda", "cuda:0", "mps"])
def test_unavailable_accelerator_is_a_clear_error(binary_data, device):
    available = {
        "cuda": torch.cuda.is_available(),
        "mps": torch.backends.mps.is_available(),
    }
    if available[device.split(":")[0]]:
        pytest.skip(f"this machine has {device}; the error path needs one without")
    with pytest.raises(ValueError, match=f"device='{device}' was requested but"):
        TorchBinaryClassifier(device=device, max_epochs=1).fit(*binary_data)


def test_predict_chunks_match_single_pass(monkeypatch, binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(max_epochs=2, random_state=0).fit(X, y)
    whole = clf.predict_proba(X)
    monkeypatch.setattr("sktorch_clf._inference._PREDICT_CHUNK", 7)
    np.testing.assert_allclose(clf.predict_proba(X), whole, rtol=1e-6, atol=1e-7)
