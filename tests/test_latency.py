"""Fast small-batch prediction: what is planned once per fit, the numpy pass
for small batches, and when the plan is made again."""

import copy
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier, _inference
from sktorch_clf._inference import InferencePlan, inference_plan, numpy_forward

SMALL = {"max_epochs": 3, "lr": 0.01, "random_state": 0}
NETWORKS = [
    pytest.param(TorchBinaryClassifier, {"ensemble_size": 1}, id="binary-mlp"),
    pytest.param(
        TorchMulticlassClassifier,
        {"ensemble_size": 1, "hidden_layer_sizes": (8, 8), "activation": "tanh"},
        id="multiclass-mlp-tanh",
    ),
    pytest.param(
        TorchBinaryClassifier,
        {"ensemble_size": 1, "robust_scaling": True, "activation": "logistic"},
        id="binary-robust-scaling",
    ),
    pytest.param(TorchBinaryClassifier, {"ensemble_size": 4}, id="binary-ensemble"),
    pytest.param(
        TorchMulticlassClassifier,
        {"ensemble_size": 3, "robust_scaling": True, "activation": "identity"},
        id="multiclass-ensemble",
    ),
]


def data_for(cls, binary_data, multiclass_data):
    return binary_data if cls is TorchBinaryClassifier else multiclass_data


@pytest.mark.parametrize(("cls", "params"), NETWORKS)
def test_numpy_pass_equals_the_module(cls, params, binary_data, multiclass_data):
    X, y = data_for(cls, binary_data, multiclass_data)
    clf = cls(**SMALL, **params).fit(X, y)
    forward, _ = numpy_forward(clf.module_)
    X32 = X.astype(np.float32)
    before = X32.copy()
    with torch.inference_mode():
        expected = clf.module_.eval()(torch.from_numpy(X32)).numpy()
    logits = forward(X32)
    assert logits.dtype == np.float64
    np.testing.assert_allclose(logits.reshape(expected.shape), expected, atol=1e-5)
    np.testing.assert_array_equal(X32, before)  # the input is never written to


@pytest.mark.parametrize(("cls", "params"), NETWORKS)
def test_small_batches_predict_as_large_ones(
    cls, params, binary_data, multiclass_data, monkeypatch
):
    X, y = data_for(cls, binary_data, multiclass_data)
    clf = cls(**SMALL, **params).fit(X, y)
    calls = []
    plan = inference_plan(clf)
    original = plan.small
    plan.small = lambda rows: calls.append(len(rows)) or original(rows)
    one_row = np.vstack([clf.predict_proba(X[i : i + 1]) for i in range(5)])
    labels = clf.predict(X[:100])
    assert calls == [1] * 5 + [100]  # the numpy pass ran
    monkeypatch.setattr(_inference, "_NUMPY_ROWS", 0)  # torch for every batch
    np.testing.assert_allclose(one_row, clf.predict_proba(X[:5]), atol=1e-6)
    np.testing.assert_array_equal(labels, clf.predict(X[:100]))
    assert len(calls) == 6


def test_the_plan_is_made_at_the_end_of_fit(binary_data, monkeypatch):
    X, y = binary_data
    made = []
    original = InferencePlan.__init__
    monkeypatch.setattr(
        InferencePlan,
        "__init__",
        lambda self, module: made.append(module) or original(self, module),
    )
    clf = TorchBinaryClassifier(ensemble_size=1, **SMALL).fit(X, y)
    assert made == [clf.module_]
    for _ in range(3):
        clf.predict_proba(X[:1])
        clf.predict(X[:2])
    assert len(made) == 1
    clf.set_params(warm_start=True).fit(X, y)  # every fit plans afresh
    assert len(made) == 2


def test_a_changed_module_is_planned_again(binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(ensemble_size=1, **SMALL).fit(X, y)
    plan = inference_plan(clf)
    assert inference_plan(clf) is plan
    # a layer replaced: the numpy pass must read the new one
    clf.module_[2] = torch.nn.Linear(clf.module_[2].in_features, 1)
    torch.nn.init.zeros_(clf.module_[2].weight)
    torch.nn.init.constant_(clf.module_[2].bias, 2.0)
    assert inference_plan(clf) is not plan
    np.testing.assert_allclose(clf.predict_proba(X[:1])[0, 1], 1 / (1 + np.exp(-2)))
    # a parameter's data rebound
    plan = inference_plan(clf)
    clf.module_[2].bias.data = torch.full((1,), -2.0)
    assert inference_plan(clf) is not plan
    np.testing.assert_allclose(clf.predict_proba(X[:1])[0, 1], 1 / (1 + np.exp(2)))
    # weights changed in place are read where they are
    with torch.no_grad():
        clf.module_[2].bias.fill_(0.0)
    np.testing.assert_allclose(clf.predict_proba(X[:1])[0, 1], 0.5)


def test_forward_hooks_and_training_mode_are_honoured(binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(ensemble_size=2, **SMALL).fit(X, y)
    seen = []
    handle = clf.module_.register_forward_hook(lambda m, i, o: seen.append(len(o)))
    clf.predict_proba(X[:1])
    clf.predict_proba(X[:300])
    assert seen == [1, 300]  # the module itself ran, hooks and all
    handle.remove()
    clf.predict_proba(X[:1])
    assert seen == [1, 300]
    clf.module_.train()
    clf.predict_proba(X[:1])
    assert not any(m.training for m in clf.module_.modules())


def test_pickles_copies_and_clones_carry_no_plan(binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(ensemble_size=2, **SMALL).fit(X, y)
    expected = clf.predict_proba(X[:3])
    for other in (pickle.loads(pickle.dumps(clf)), copy.deepcopy(clf)):
        assert not any(isinstance(v, InferencePlan) for v in vars(other).values())
        np.testing.assert_allclose(other.predict_proba(X[:3]), expected)
    assert clone(clf).get_params() == clf.get_params()


def test_input_checks_are_kept_on_the_fast_path(binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(ensemble_size=1, **SMALL).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict_proba(X[:1, :3])
    bad = X[:1].copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.predict_proba(bad)
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        clf.predict(bad)
    with pytest.raises(ValueError, match=r"numeric|convert"):
        clf.predict_proba(np.array([["a"] * X.shape[1]]))


def test_custom_and_gpu_modules_use_torch(binary_data, gelu_net):
    X, y = binary_data
    clf = TorchBinaryClassifier(module=gelu_net, **SMALL).fit(X, y)
    assert numpy_forward(clf.module_) is None
    assert inference_plan(clf).forward(1) is clf.module_
