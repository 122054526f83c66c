"""ensemble_size: members trained together, probabilities averaged."""

import numpy as np
import pytest
import torch

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier, load
from sktorch_clf._ensemble import MemberEnsemble, mean_of_members

ESTIMATORS = [TorchBinaryClassifier, TorchMulticlassClassifier]


def fit(cls, data, **params):
    params = {"ensemble_size": 3, "max_epochs": 5, "random_state": 0, **params}
    return cls(hidden_layer_sizes=(16,), **params).fit(*data)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_probabilities_are_the_mean_of_the_members(cls, multiclass_data, binary_data):
    data = multiclass_data if cls is TorchMulticlassClassifier else binary_data
    clf = fit(cls, data)
    assert isinstance(clf.module_.body, MemberEnsemble)
    X = torch.as_tensor(data[0][:20], dtype=torch.float32)
    with torch.no_grad():
        members = clf.module_.members(X).double()  # (n, 3, n_outputs)
    if cls is TorchBinaryClassifier:
        expected = torch.sigmoid(members[:, :, 0]).mean(1)
        np.testing.assert_allclose(
            clf.predict_proba(data[0][:20])[:, 1], expected, rtol=1e-6
        )
    else:
        expected = torch.softmax(members, dim=2).mean(1)
        np.testing.assert_allclose(clf.predict_proba(data[0][:20]), expected, rtol=1e-6)


def test_mean_of_members_is_stable_for_extreme_logits():
    members = torch.tensor([[[-300.0], [300.0]], [[50.0], [60.0]]], dtype=torch.float64)
    logits = mean_of_members(members)[:, 0]
    np.testing.assert_allclose(torch.sigmoid(logits), [0.5, 1.0])
    multi = torch.tensor([[[1000.0, 0.0], [0.0, 1000.0]]])
    np.testing.assert_allclose(torch.softmax(mean_of_members(multi), 1), [[0.5, 0.5]])


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_training_minimises_the_members_mean_loss(cls, binary_data):
    clf = fit(cls, binary_data, max_epochs=1)
    net, X = clf.net_, torch.as_tensor(binary_data[0], dtype=torch.float32)
    y = torch.as_tensor(binary_data[1])
    y = y.float() if cls is TorchBinaryClassifier else y.long()
    net.module_.train()
    with torch.no_grad():
        members = net.infer(X)
        loss = net.get_loss(members, y, training=True)
    k = members.shape[1]
    each = [net.criterion_(members[:, i], y).mean() for i in range(k)]
    torch.testing.assert_close(loss, torch.stack(each).mean())


def test_members_learn_and_beat_chance(multiclass_data):
    clf = fit(TorchMulticlassClassifier, multiclass_data, max_epochs=30, lr=0.01)
    assert clf.score(*multiclass_data) > 0.8


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_save_and_load(cls, binary_data, tmp_path):
    clf = fit(cls, binary_data, categorical_features=None)
    clf.save(tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    np.testing.assert_array_equal(
        loaded.predict_proba(binary_data[0]), clf.predict_proba(binary_data[0])
    )
