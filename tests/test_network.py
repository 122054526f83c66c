"""The default MLP and user-supplied networks."""

import functools

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from torch import nn

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier
from sktorch_clf._network import ACTIVATIONS, RobustScale


class TwoLayer(nn.Module):
    def __init__(self, n_features_in, n_outputs, width=8):
        super().__init__()
        self.width = width
        self.body = nn.Sequential(
            nn.Linear(n_features_in, width), nn.ReLU(), nn.Linear(width, n_outputs)
        )

    def forward(self, X):
        return self.body(X)


def linear_factory(n_features_in, n_outputs, bias=True):
    return nn.Linear(n_features_in, n_outputs, bias=bias)


def test_plain_mlp_layout(multiclass_data):
    X, y = multiclass_data
    clf = TorchMulticlassClassifier(
        hidden_layer_sizes=(16, 8),
        activation="tanh",
        ensemble_size=1,
        max_epochs=1,
        random_state=0,
    ).fit(X, y)
    layers = list(clf.module_)
    linears = [m for m in layers if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [
        (6, 16),
        (16, 8),
        (8, 3),
    ]
    tanhs = [m for m in layers if isinstance(m, nn.Tanh)]
    assert len(tanhs) == 2
    assert tanhs[0] is not tanhs[1]


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_every_activation_trains(binary_data, activation):
    X, y = binary_data
    clf = TorchBinaryClassifier(
        activation=activation, ensemble_size=1, max_epochs=40, lr=0.01, random_state=0
    )
    # this problem is not linearly separable: logistic regression scores 0.74
    bound = 0.72 if activation == "identity" else 0.8
    assert clf.fit(X, y).score(X, y) > bound
    assert any(isinstance(m, ACTIVATIONS[activation]) for m in clf.module_)


def test_activation_class_dropout_and_batch_norm(binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(
        hidden_layer_sizes=(32, 32),
        activation=nn.Hardswish,
        dropout=0.2,
        batch_norm=True,
        ensemble_size=1,
        max_epochs=40,
        lr=0.01,
        random_state=0,
    ).fit(X, y)
    kinds = [type(m) for m in clf.module_]
    assert kinds.count(nn.BatchNorm1d) == 2
    assert kinds.count(nn.Dropout) == 2
    assert kinds.count(nn.Hardswish) == 2
    assert clf.score(X, y) > 0.8
    # dropout is off at predict time: repeated predictions agree exactly
    np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_proba(X))


def test_no_hidden_layer_is_logistic_regression(binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(
        hidden_layer_sizes=(),
        ensemble_size=1,
        early_stopping=False,
        max_epochs=100,
        lr=0.01,
        random_state=0,
    ).fit(X, y)
    assert isinstance(clf.module_[0], nn.Linear)
    assert len(clf.module_) == 1
    logreg = LogisticRegression().fit(X, y)
    assert abs(clf.score(X, y) - logreg.score(X, y)) <= 0.02
    agreement = np.mean(clf.predict(X) == logreg.predict(X))
    assert agreement > 0.95


@pytest.mark.parametrize("cls", [TorchBinaryClassifier, TorchMulticlassClassifier])
def test_module_class_gets_sizes_and_kwargs(cls, multiclass_data, binary_data):
    X, y = multiclass_data if cls is TorchMulticlassClassifier else binary_data
    clf = cls(module=TwoLayer, module_kwargs={"width": 12}, max_epochs=40, lr=0.01)
    clf.set_params(random_state=0).fit(X, y)
    assert isinstance(clf.module_, TwoLayer)
    assert clf.module_.width == 12
    n_out = 1 if cls is TorchBinaryClassifier else 3
    assert clf.module_.body[-1].out_features == n_out
    assert clf.score(X, y) > 0.8


def test_factory_and_partial(binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(
        module=linear_factory, max_epochs=40, lr=0.01, random_state=0
    )
    assert clf.fit(X, y).module_.bias is not None
    clf.set_params(module=functools.partial(linear_factory, bias=False)).fit(X, y)
    assert clf.module_.bias is None


def test_module_instance_is_copied_not_trained_in_place(binary_data):
    X, y = binary_data
    net = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 1))
    before = [p.detach().clone() for p in net.parameters()]
    clf = TorchBinaryClassifier(module=net, max_epochs=5, random_state=0).fit(X, y)
    assert clf.module_ is not net
    for p, q in zip(net.parameters(), before, strict=True):
        assert torch.equal(p, q)
    assert not all(
        torch.equal(p, q) for p, q in zip(clf.module_.parameters(), before, strict=True)
    )


def test_module_kwargs_with_instance_is_an_error(binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(module=nn.Linear(6, 1), module_kwargs={"width": 2})
    with pytest.raises(ValueError, match="module_kwargs cannot be used"):
        clf.fit(X, y)


def test_grid_search_over_custom_network(multiclass_data):
    X, y = multiclass_data
    search = GridSearchCV(
        TorchMulticlassClassifier(module=TwoLayer, max_epochs=20, random_state=0),
        {"module_kwargs": [{"width": 2}, {"width": 32}]},
        cv=3,
    ).fit(X, y)
    assert search.best_params_ == {"module_kwargs": {"width": 32}}
    assert search.best_estimator_.module_.width == 32


def test_robust_scaling_layer(binary_data):
    X, y = binary_data
    X = X.copy()
    X[:, 0] = X[:, 0] * 1000 + 5000  # a column on another scale
    X[:3, 1] = 1e6  # outliers
    clf = TorchBinaryClassifier(
        robust_scaling=True,
        ensemble_size=1,
        early_stopping=False,  # fitted on all rows, not the training split
        max_epochs=3,
        random_state=0,
    )
    clf.fit(X, y)
    scale = clf.module_[0]
    assert isinstance(scale, RobustScale)
    q25, median, q75 = np.quantile(X, [0.25, 0.5, 0.75], axis=0)
    np.testing.assert_allclose(scale.center.numpy(), median, rtol=1e-5)
    np.testing.assert_allclose(scale.inv_scale.numpy(), 1.349 / (q75 - q25), rtol=1e-4)
    with torch.no_grad():
        out = scale(torch.as_tensor(X, dtype=torch.float32)).numpy()
    assert np.abs(out).max() < 3
    z = (X[5:, 2] - median[2]) * 1.349 / (q75[2] - q25[2])
    np.testing.assert_allclose(out[5:, 2], z / np.sqrt(1 + (z / 3) ** 2), rtol=1e-4)


def test_robust_scaling_leaves_constant_spread_columns_unscaled():
    X = torch.tensor([[0.0, 1.0], [0.0, 2.0], [1.0, 3.0], [0.0, 4.0], [0.0, 5.0]])
    scale = RobustScale.from_data(X)  # column 0: one-hot like, no spread
    assert scale.inv_scale[0] == 1.0
    assert scale.center[0] == 0.0
