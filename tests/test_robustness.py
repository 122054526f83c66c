"""Failure modes found in review: each must give a clear error or be harmless."""

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from skorch.callbacks import Callback
from torch import nn

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier, load


def inplace_net():
    return nn.Sequential(nn.ReLU(inplace=True), nn.Linear(6, 1))


def test_module_writing_to_its_input_leaves_caller_data_alone(binary_data):
    X, y = binary_data
    X32 = np.ascontiguousarray(X, dtype=np.float32)
    before = X32.copy()
    clf = TorchBinaryClassifier(module=inplace_net(), max_epochs=2).fit(X32, y)
    clf.predict_proba(X32)
    np.testing.assert_array_equal(X32, before)


def test_module_writing_to_its_input_on_a_read_only_memmap(tmp_path, binary_data):
    """Once a segfault: run in a subprocess so a crash fails only this test."""
    X, y = binary_data
    np.save(tmp_path / "X.npy", X.astype(np.float32))
    np.save(tmp_path / "y.npy", y)
    script = textwrap.dedent(
        """
        import sys, numpy as np
        from torch import nn
        from sktorch_clf import TorchBinaryClassifier
        d = sys.argv[1]
        X = np.load(d + "/X.npy", mmap_mode="r")
        net = nn.Sequential(nn.ReLU(inplace=True), nn.Linear(6, 1))
        clf = TorchBinaryClassifier(module=net, max_epochs=2)
        clf.fit(X, np.load(d + "/y.npy"))
        print(clf.predict_proba(X).shape)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(300, 2)"


def test_failed_refit_leaves_an_unfitted_estimator(binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(max_epochs=2).fit(X, np.array(["a", "b"])[y])
    clf.set_params(optimizer_kwargs={"betas": (2, 0)})
    with pytest.raises(ValueError, match="rejected optimizer_kwargs"):
        clf.fit(X[:, :2], np.array(["x", "y"])[y])
    with pytest.raises(NotFittedError):
        clf.predict(X[:, :2])
    assert not hasattr(clf, "classes_")
    assert not hasattr(clf, "n_features_in_")
    clf.set_params(optimizer_kwargs=None).fit(X, y)  # usable again
    assert clf.predict(X).shape == (300,)


def test_first_fit_failure_then_predict_is_not_fitted(binary_data):
    clf = TorchBinaryClassifier(optimizer="sgd", optimizer_kwargs={"momentum": -1})
    with pytest.raises(ValueError, match="Invalid momentum"):
        clf.fit(*binary_data)
    with pytest.raises(NotFittedError):
        clf.predict_proba(binary_data[0])


def test_sparse_predict_densifies_bounded_blocks(
    monkeypatch, densified_shapes, binary_data
):
    X, y = binary_data
    wide = sp.random(300, 5000, density=0.001, format="csr", random_state=0)
    Xs = sp.hstack([sp.csr_matrix(X), wide], format="csr")
    clf = TorchBinaryClassifier(max_epochs=1).fit(Xs, y)
    monkeypatch.setattr("sktorch_clf._inference._PREDICT_VALUES", 50 * 5006)
    densified_shapes.clear()
    clf.predict_proba(Xs)
    assert [rows for rows, _ in densified_shapes] == [50] * 6


@pytest.mark.parametrize("key", ["lr", "weight_decay", "params"])
def test_optimizer_kwargs_cannot_shadow_parameters(binary_data, key):
    clf = TorchBinaryClassifier(optimizer_kwargs={key: 0.5})
    with pytest.raises(ValueError, match=rf"must not set \['{key}'\]"):
        clf.fit(*binary_data)


class Frozen(nn.Module):
    def __init__(self, n_features_in, n_outputs):
        super().__init__()
        self.linear = nn.Linear(n_features_in, n_outputs).requires_grad_(False)

    def forward(self, X):
        return self.linear(X)


class NoParameters(nn.Module):
    def __init__(self, n_features_in, n_outputs):
        super().__init__()

    def forward(self, X):
        return X[:, :1]


class IntegerLogits(nn.Module):
    def __init__(self, n_features_in, n_outputs):
        super().__init__()
        self.linear = nn.Linear(n_features_in, n_outputs)

    def forward(self, X):
        return self.linear(X).round().long()


class SqueezedLogits(nn.Module):
    def __init__(self, n_features_in, n_outputs):
        super().__init__()
        self.linear = nn.Linear(n_features_in, n_outputs)

    def forward(self, X):
        return self.linear(X).squeeze()


@pytest.mark.parametrize(
    ("module", "error", "match"),
    [
        (Frozen, ValueError, "no trainable parameters"),
        (NoParameters, ValueError, "no trainable parameters"),
        (IntegerLogits, TypeError, "float logits, got dtype torch.int64"),
        (lambda **kw: (nn.Linear(6, 1), None), TypeError, "returned tuple"),
    ],
)
def test_misconfigured_modules(binary_data, module, error, match):
    with pytest.raises(error, match=match):
        TorchBinaryClassifier(module=module, max_epochs=1).fit(*binary_data)


def test_logits_shape_checked_at_predict(multiclass_data):
    X, y = multiclass_data
    clf = TorchMulticlassClassifier(module=SqueezedLogits, max_epochs=1).fit(X, y)
    assert clf.predict(X[:5]).shape == (5,)
    with pytest.raises(ValueError, match=r"shape \(1, 3\) for 1 samples, got \(3,\)"):
        clf.predict(X[:1])


def test_batch_norm_with_batch_size_one(binary_data):
    clf = TorchBinaryClassifier(batch_norm=True, batch_size=1)
    with pytest.raises(ValueError, match="batch_size >= 2"):
        clf.fit(*binary_data)


def test_object_columns_holding_numbers_are_accepted(binary_data):
    X, y = binary_data
    frame = pd.DataFrame(X).astype(object)
    clf = TorchBinaryClassifier(max_epochs=2, random_state=0).fit(frame, y)
    reference = TorchBinaryClassifier(max_epochs=2, random_state=0).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(frame), reference.predict_proba(X))


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA])
def test_missing_labels_in_string_y(binary_data, missing):
    X, y = binary_data
    labels = np.array(["a", "b"], dtype=object)[y]
    labels[5] = missing
    with pytest.raises(ValueError, match="y contains missing values"):
        TorchBinaryClassifier(max_epochs=1).fit(X, labels)


def test_skorch_net_methods_work(binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(max_epochs=2, random_state=0).fit(X, y)
    logits = clf.net_.forward(X).numpy()
    np.testing.assert_allclose(logits, clf._logits(X), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        clf.net_.predict_proba(X), clf.predict_proba(X), rtol=1e-5, atol=1e-6
    )


def test_warnings_point_at_the_callers_line(binary_data):
    with pytest.warns(ConvergenceWarning) as record:
        TorchBinaryClassifier(max_epochs=2).fit(*binary_data)
    assert record[0].filename == __file__
    with pytest.warns(ConvergenceWarning) as record:
        TorchMulticlassClassifier(max_epochs=2).fit(*binary_data)
    assert record[0].filename == __file__


class BFloat16Logits(nn.Module):
    """Computes its logits under CPU autocast, in bfloat16."""

    def __init__(self, n_features_in, n_outputs):
        super().__init__()
        self.linear = nn.Linear(n_features_in, n_outputs)

    def forward(self, X):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return self.linear(X)


@pytest.mark.parametrize("cls", [TorchBinaryClassifier, TorchMulticlassClassifier])
def test_bfloat16_logits_predict(cls, binary_data):
    X, y = binary_data
    clf = cls(module=BFloat16Logits, max_epochs=3, random_state=0).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.predict(X).shape == (300,)
    assert clf.net_.predict_proba(X).shape == (300, 2)


class WithBatchNorm(nn.Module):
    def __init__(self, n_features_in, n_outputs):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_features_in, 8), nn.BatchNorm1d(8), nn.Linear(8, n_outputs)
        )

    def forward(self, X):
        return self.net(X)


@pytest.mark.parametrize(
    "params", [{"batch_norm": True}, {"module": WithBatchNorm}], ids=["mlp", "custom"]
)
def test_batch_norm_and_a_one_row_chunk(params, binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(random_state=0, **params).partial_fit(X, y)
    with pytest.raises(ValueError, match="cannot train on a single row, but X has 1"):
        clf.partial_fit(X[:1], y[:1])
    assert clf.n_iter_ == len(clf.history_) == 1  # no dangling epoch
    clf.partial_fit(X[:2], y[:2])
    assert clf.n_iter_ == len(clf.history_) == 2
    with pytest.raises(ValueError, match="cannot train on a single row"):
        TorchBinaryClassifier(**params).partial_fit(X[:1], y[:1], classes=[0, 1])


def test_an_error_mid_epoch_leaves_no_dangling_epoch(binary_data):
    X, y = binary_data

    class FailOnce(Callback):
        def on_batch_end(self, net, training, **kwargs):
            if len(net.history) == 2:
                raise RuntimeError("a callback's own error")

    clf = TorchBinaryClassifier(max_epochs=1, warm_start=True).fit(X, y)
    with pytest.raises(RuntimeError, match="a callback's own error"):
        clf.set_params(callbacks=[FailOnce()]).fit(X, y)
    assert len(clf.history_) == clf.n_iter_ == 1


def test_a_callbacks_own_error_is_not_blamed_on_the_optimizer(binary_data):
    class Broken(Callback):
        def initialize(self):
            raise ValueError("this callback is misconfigured")

    clf = TorchBinaryClassifier(max_epochs=1, callbacks=[Broken()])
    with pytest.raises(ValueError, match=r"^this callback is misconfigured$"):
        clf.fit(*binary_data)


def test_the_convergence_advice_fits_the_settings(binary_data):
    with pytest.warns(ConvergenceWarning) as record:
        TorchBinaryClassifier(max_epochs=2, early_stopping=True).fit(*binary_data)
    assert "use early_stopping=True" not in str(record[0].message)
    with pytest.warns(ConvergenceWarning, match="or use early_stopping=True"):
        TorchBinaryClassifier(max_epochs=2, early_stopping=False).fit(*binary_data)


@pytest.mark.parametrize(
    "column",
    [pd.date_range("2020-01-01", periods=300), pd.to_timedelta(np.arange(300), "s")],
    ids=["datetime", "timedelta"],
)
def test_dates_in_X_are_named(column, binary_data):
    X, y = binary_data
    frame = pd.DataFrame(X).rename(columns=str).assign(when=column)
    with pytest.raises(ValueError, match=r"columns \['when'\] hold dates or durations"):
        TorchBinaryClassifier(max_epochs=1).fit(frame, y)
    with pytest.raises(ValueError, match=r"holds .*64.* values"):
        TorchBinaryClassifier(max_epochs=1).fit(np.asarray(column).reshape(-1, 1), y)


def test_net_training_methods_point_to_the_estimator(binary_data, tmp_path):
    X, y = binary_data
    clf = TorchBinaryClassifier(max_epochs=1).fit(X, y)
    clf.save(tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    for net in (clf.net_, loaded.net_):
        with pytest.raises(NotImplementedError, match=r"call the estimator's fit"):
            net.fit(X, y)
        with pytest.raises(NotImplementedError, match=r"clf.partial_fit\(X, y\)"):
            net.partial_fit(X, y)
    loaded.partial_fit(X, y)  # the estimator's own continues
    assert loaded.n_iter_ == 2
