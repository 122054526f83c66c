"""est.save / sktorch_clf.load: safetensors + JSON, and no code ever runs."""

import json
import os
import pathlib
import pickle
import random
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from torch import nn

import sktorch_clf
from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier, load


def rewrite(path, change_header=None, change_tensors=None):
    """Re-save ``path`` after editing its JSON header and/or tensors."""
    with safe_open(str(path), framework="pt") as f:
        header = json.loads(f.metadata()["sktorch_clf"])
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    if change_header:
        change_header(header)
    if change_tensors:
        change_tensors(tensors)
    save_file(tensors, str(path), metadata={"sktorch_clf": json.dumps(header)})


@pytest.fixture
def saved(tmp_path, binary_data):
    X, y = binary_data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    clf = TorchBinaryClassifier(
        hidden_layer_sizes=(8, 4), threshold=0.3, max_epochs=5, random_state=0
    ).fit(frame, np.array(["no", "yes"])[y])
    path = tmp_path / "model.safetensors"
    clf.save(path)
    return clf, frame, path


def test_round_trip_predicts_identically(saved):
    clf, frame, path = saved
    loaded = load(path)
    assert type(loaded) is TorchBinaryClassifier
    np.testing.assert_array_equal(loaded.predict_proba(frame), clf.predict_proba(frame))
    np.testing.assert_array_equal(loaded.predict(frame), clf.predict(frame))
    np.testing.assert_array_equal(loaded.classes_, clf.classes_)
    assert loaded.classes_.dtype == clf.classes_.dtype
    assert list(loaded.feature_names_in_) == list(clf.feature_names_in_)
    assert loaded.get_params()["threshold"] == 0.3
    assert loaded.get_params()["hidden_layer_sizes"] == (8, 4)
    assert_same_params(loaded, clf)
    assert loaded.loss_curve_ == clf.loss_curve_
    with pytest.raises(ValueError, match="feature names"):
        loaded.predict(frame.rename(columns={"f0": "zz"}))


def test_multiclass_with_int_labels_and_continued_training(tmp_path, multiclass_data):
    X, y = multiclass_data
    clf = TorchMulticlassClassifier(max_epochs=3, random_state=0).fit(X, y + 10)
    clf.save(tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    assert loaded.classes_.dtype.kind == "i"
    loaded.partial_fit(X, y + 10)  # usable for more training
    assert loaded.n_iter_ == 4


class Net(nn.Module):
    def __init__(self, n_features_in, n_outputs, width=5):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_features_in, width), nn.Tanh())
        self.head = nn.Linear(width, n_outputs)

    def forward(self, X):
        return self.head(self.body(X))


def test_custom_module_needs_its_definition(tmp_path, binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(
        module=Net, module_kwargs={"width": 7}, max_epochs=3, random_state=0
    ).fit(X, y)
    path = tmp_path / "custom.safetensors"
    clf.save(path)
    with pytest.raises(ValueError, match=r"custom module: pass .* module=\.\.\."):
        load(path)
    loaded = load(path, module=Net)
    assert loaded.module_.body[0].out_features == 7  # module_kwargs were stored
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    with pytest.raises(ValueError, match="do not fit the network"):
        load(path, module=lambda n_features_in, n_outputs, width: nn.Linear(6, 1))


def test_int_hidden_layer_sizes_round_trip(tmp_path, binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(hidden_layer_sizes=12, max_epochs=2).fit(X, y)
    clf.save(tmp_path / "int.safetensors")
    loaded = load(tmp_path / "int.safetensors")
    assert loaded.hidden_layer_sizes == 12
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_not_fitted(tmp_path):
    with pytest.raises(NotFittedError):
        TorchBinaryClassifier().save(tmp_path / "x.safetensors")


def test_wrong_shapes_are_rejected(saved):
    _, _, path = saved
    key = "body.hidden.0.weight"  # the first hidden layer, shape (8, 6)
    rewrite(path, change_tensors=lambda t: t.update({key: torch.zeros(9, 6)}))
    with pytest.raises(
        ValueError, match=rf"wrong shape .*'{key}': \(\(9, 6\), \(8, 6\)\)"
    ):
        load(path)


def test_unknown_tensors_are_rejected(saved):
    _, _, path = saved
    rewrite(path, change_tensors=lambda t: t.update({"evil": torch.zeros(1)}))
    with pytest.raises(ValueError, match=r"unexpected tensors \['evil'\]"):
        load(path)


def nested(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda h: h.update(hook="os.system('rm -rf /')"), r"unknown keys \['hook'\]"),
        (lambda h: h.update(estimator="os.system"), "unknown estimator 'os.system'"),
        (lambda h: h["params"].update(activation="__import__"), "invalid parameters"),
        (lambda h: h["params"].update(hidden_layer_sizes=["x"]), "invalid parameters"),
        (lambda h: h["params"].update(hidden_layer_sizes=-3), "invalid parameters"),
        (
            lambda h: h["params"].update(loader="pickle"),
            r"unknown parameters \['loader'\]",
        ),
        (
            lambda h: h["fitted"].update(classes={"$ndarray": ["V8", [1], [0]]}),
            "unsupported dtype",
        ),
        (lambda h: h["fitted"].update(n_features_in="six"), "invalid fitted"),
        (lambda h: h.update(format="other/9"), "is not a sktorch_clf model file"),
        (lambda h: h.pop("fitted"), r"missing keys \['fitted'\]"),
        (
            lambda h: h["params"].update(optimizer={"$class": "os.system"}),
            r"invalid parameters .*'os.system' is not one of",
        ),
        (
            lambda h: h["params"].update(random_state={"$RandomState": [[1], 0]}),
            r"invalid parameters .*invalid \$RandomState value",
        ),
        (
            lambda h: h["params"].update(lr={"$pickle": "gASV"}),
            r"invalid parameters .*unsupported value",
        ),
        (
            lambda h: h["params"].update(tol={"$np": ["<c16", 0]}),
            r"invalid parameters .*unsupported dtype '<c16'",
        ),
        (
            lambda h: h["fitted"].update(seed=-1),
            r"invalid fitted attributes: invalid values for \['_seed'\]",
        ),
        (lambda h: h.update(history=[{}]), "invalid fitted attributes"),
        (lambda h: h.update(tied={"0.weight": 3}), "invalid tied entry"),
        (
            lambda h: h["params"].update(module_kwargs=nested(500)),
            "nested deeper than 100",
        ),
    ],
    ids=[
        "extra_key",
        "class",
        "activation",
        "sizes_type",
        "sizes_value",
        "param",
        "dtype",
        "n_features",
        "format",
        "missing",
        "class_by_name",
        "random_state",
        "unknown_tag",
        "np_dtype",
        "seed",
        "history",
        "tied",
        "deep",
    ],
)
def test_tampered_headers_are_rejected(saved, change, match):
    _, _, path = saved
    rewrite(path, change_header=change)
    with pytest.raises(ValueError, match=match):
        load(path)


class Payload:
    """Unpickling this would create a marker file: it must never happen."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_pickle_renamed_to_safetensors_runs_no_code(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.safetensors"
    path.write_bytes(pickle.dumps(Payload(str(marker))))
    with pytest.raises(ValueError, match="not a readable safetensors model file"):
        load(path)
    assert not marker.exists()
    assert not os.path.exists(marker)


def test_version_mismatch_warns(saved):
    clf, frame, path = saved
    rewrite(path, change_header=lambda h: h["versions"].update(torch="1.0.0"))
    with pytest.warns(UserWarning, match=r"other versions .*'torch': \('1.0.0'"):
        loaded = load(path)
    np.testing.assert_array_equal(loaded.predict(frame), clf.predict(frame))


def test_load_is_exported():
    assert sktorch_clf.load is load


# -- every parameter, with its type ------------------------------------------


def assert_same(a, b, where="value"):
    """``a == b`` with the same types all the way down (tuples stay tuples,
    numpy scalars keep their dtype, a RandomState keeps its whole state)."""
    assert type(a) is type(b), f"{where}: {type(a)} != {type(b)}"
    if isinstance(a, np.random.RandomState):
        sa, sb = a.get_state(), b.get_state()
        np.testing.assert_array_equal(sa[1], sb[1])
        assert sa[:1] + sa[2:] == sb[:1] + sb[2:], where
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype, where
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, np.generic):
        assert a.dtype == b.dtype, where
        assert a == b, where
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for (ka, va), kb in zip(a.items(), b, strict=True):
            assert_same(ka, kb, f"{where} key {ka!r}")
            assert_same(va, b[kb], f"{where}[{ka!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (va, vb) in enumerate(zip(a, b, strict=True)):
            assert_same(va, vb, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


NOT_STORED = ("module", "callbacks", "device")


def assert_same_params(loaded, original):
    expected = original.get_params()
    got = loaded.get_params()
    for name in NOT_STORED:
        expected.pop(name)
        got.pop(name)
    assert_same(got, expected, "params")


LABELS = {
    "ints": np.array([3, 7, 9]),
    "strings": np.array(["ant", "bee", "cat"]),
    "bools": np.array([False, True, True]),
}


def many_params(cls, labels, random_state):
    classes = np.unique(labels)
    params = dict(
        hidden_layer_sizes=[6, 3],
        optimizer="sgd",
        optimizer_kwargs={"momentum": 0.9, "nesterov": True},
        lr=np.float64(0.05),
        batch_size=np.int64(64),
        max_epochs=4,
        class_weight={classes[0]: 3.0, classes[-1]: 1},  # numpy keys
        cuda_graphs=False,
        tol=0,
        verbose=False,
        random_state=random_state,
    )
    if cls is TorchBinaryClassifier:
        params["threshold"] = 1
    return params


@pytest.mark.parametrize("cls", [TorchBinaryClassifier, TorchMulticlassClassifier])
@pytest.mark.parametrize("kind", list(LABELS))
@pytest.mark.parametrize("seed", ["int", "RandomState"])
def test_every_parameter_round_trips_and_refits_identically(
    tmp_path, multiclass_data, binary_data, cls, kind, seed
):
    X, y = binary_data if cls is TorchBinaryClassifier else multiclass_data
    labels = LABELS[kind][y]  # bools: two classes for the multiclass model too
    random_state = 3 if seed == "int" else np.random.RandomState(3)
    clf = cls(**many_params(cls, labels, random_state)).fit(X, labels)
    clf.save(tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    assert_same_params(loaded, clf)
    refit = clone(loaded).fit(X, labels).predict_proba(X)
    np.testing.assert_array_equal(refit, clone(clf).fit(X, labels).predict_proba(X))


def test_betas_tuple_and_string_class_weight_keys(tmp_path, multiclass_data):
    X, y = multiclass_data
    labels = np.array(["ant", "bee", "cat"])[y].astype(object)
    clf = TorchMulticlassClassifier(
        optimizer_kwargs={"betas": (0.8, 0.99), "amsgrad": True},
        class_weight={"ant": 2, "cat": 0.5},
        hidden_layer_sizes=np.array([5, 4]),
        max_epochs=3,
        random_state=1,
    ).fit(X, labels)
    clf.save(tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    assert_same_params(loaded, clf)
    assert loaded.classes_.dtype == object
    np.testing.assert_array_equal(
        clone(loaded).fit(X, labels).predict_proba(X),
        clone(clf).fit(X, labels).predict_proba(X),
    )


def test_optimizer_and_activation_classes_are_stored_by_name(tmp_path, binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(
        optimizer=torch.optim.Adagrad, activation=nn.Tanh, max_epochs=2, random_state=0
    ).fit(X, y)
    clf.save(tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    assert loaded.optimizer is torch.optim.Adagrad
    assert loaded.activation is nn.Tanh
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


class MyAdam(torch.optim.Adam):
    pass


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"optimizer": MyAdam}, r"cannot store optimizer=.*MyAdam"),
        ({"activation": nn.Hardtanh}, r"cannot store activation=.*Hardtanh"),
        (
            {"optimizer_kwargs": {"betas": [0.9, object()]}},
            r"cannot store optimizer_kwargs\['betas'\]\[1\]: .*object",
        ),
        ({"optimizer_kwargs": {"x": 1 + 2j}}, r"optimizer_kwargs\['x'\]: .*complex"),
    ],
    ids=["optimizer", "activation", "nested", "complex"],
)
def test_what_cannot_be_stored_is_named(tmp_path, binary_data, params, match):
    X, y = binary_data
    clf = TorchBinaryClassifier(max_epochs=1, hidden_layer_sizes=(3,)).fit(X, y)
    clf.set_params(**params)  # after fit: only save() sees them
    with pytest.raises(TypeError, match=match):
        clf.save(tmp_path / "m.safetensors")
    assert not (tmp_path / "m.safetensors").exists()


def test_early_stopping_attributes_and_history_round_trip(tmp_path, binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(
        early_stopping=True, max_epochs=6, n_iter_no_change=2, random_state=0
    ).fit(X, y)
    clf.save(tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    for name in (
        "validation_scores_",
        "best_validation_score_",
        "best_epoch_",
        "best_loss_",
        "loss_curve_",
        "n_iter_",
    ):
        assert_same(getattr(loaded, name), getattr(clf, name), name)
    assert loaded.best_validation_score_ is not None
    pd.testing.assert_frame_equal(loaded.history_df_, clf.history_df_)
    assert "valid_acc" in loaded.history_df_.columns


class Wide(nn.Module):
    def __init__(self, n_features_in, n_outputs, sizes=(4,), scale=1.0):
        super().__init__()
        assert isinstance(sizes, tuple)
        self.net = nn.Sequential(nn.Linear(n_features_in, sizes[0]), nn.ReLU())
        self.head = nn.Linear(sizes[0], n_outputs)

    def forward(self, X):
        return self.head(self.net(X))


def test_module_kwargs_keep_their_tuples(tmp_path, binary_data):
    X, y = binary_data
    kwargs = {"sizes": (7, 3), "scale": np.float32(0.5)}
    clf = TorchBinaryClassifier(
        module=Wide, module_kwargs=kwargs, max_epochs=2, random_state=0
    ).fit(X, y)
    clf.save(tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors", module=Wide)
    assert_same(loaded.module_kwargs, kwargs)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(
        clone(loaded).fit(X, y).predict_proba(X), clone(clf).fit(X, y).predict_proba(X)
    )


# -- classes_ ----------------------------------------------------------------


def set_classes(classes, dtype="<U3"):
    def change(header):
        header["fitted"]["classes"] = {"$ndarray": [dtype, [len(classes)], classes]}

    return change


@pytest.mark.parametrize(
    ("classes", "match"),
    [
        (["yes", "no"], r"classes_ must be sorted and unique, got \['yes', 'no'\]"),
        (["no", "no"], r"classes_ must be sorted and unique"),
        (["no", "yes", "zzz"], "Only binary classification"),
        (["no"], r"classes_ needs at least 2 labels, got \['no'\]"),
        ([], r"classes_ needs at least 2 labels, got \[\]"),
    ],
    ids=["flipped", "duplicates", "three", "one", "none"],
)
def test_tampered_binary_classes_are_rejected(saved, classes, match):
    _, _, path = saved
    rewrite(path, change_header=set_classes(classes))
    with pytest.raises(ValueError, match=match):
        load(path)


def test_tampered_classes_dtype_is_rejected(saved):
    _, _, path = saved
    rewrite(path, change_header=set_classes(["no", "yes"], dtype="|V8"))
    with pytest.raises(ValueError, match="unsupported dtype"):
        load(path)


@pytest.mark.parametrize("classes", [[0, 1], [0, 1, 2, 3]])
def test_multiclass_classes_must_match_the_output_layer(
    tmp_path, multiclass_data, classes
):
    X, y = multiclass_data
    path = tmp_path / "m.safetensors"
    TorchMulticlassClassifier(max_epochs=1, random_state=0).fit(X, y).save(path)
    rewrite(path, change_header=set_classes(classes, dtype="<i8"))
    with pytest.raises(ValueError, match=rf"wrong shape .*{len(classes)} outputs"):
        load(path)


@pytest.mark.parametrize(
    "dtype", ["datetime64[ns]", "datetime64[D]", "datetime64[s]", "timedelta64[ms]"]
)
def test_datetime_labels_round_trip(tmp_path, binary_data, dtype):
    X, y = binary_data
    labels = np.array([20, 40]).astype(dtype)[y]
    clf = TorchBinaryClassifier(max_epochs=2, random_state=0).fit(X, labels)
    clf.save(tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    assert_same(loaded.classes_, clf.classes_)
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))


class Label(str):
    """A str subclass: fits, but is no type the file format knows."""


def test_unstorable_labels_name_classes(tmp_path, binary_data):
    X, y = binary_data
    labels = np.array([Label("a"), Label("b")], dtype=object)[y]
    clf = TorchBinaryClassifier(max_epochs=1).fit(X, labels)
    with pytest.raises(TypeError, match=r"cannot store classes_\[0\]: .*Label"):
        clf.save(tmp_path / "m.safetensors")


# -- networks whose layers share weights -------------------------------------


class Tied(nn.Module):
    """Two layers of one shape that share one weight tensor."""

    def __init__(self, n_features_in, n_outputs):
        super().__init__()
        self.first = nn.Linear(n_features_in, n_features_in)
        self.second = nn.Linear(n_features_in, n_features_in)
        self.second.weight = self.first.weight
        self.head = nn.Linear(n_features_in, n_outputs)

    def forward(self, X):
        return self.head(torch.tanh(self.second(torch.tanh(self.first(X)))))


def test_tied_weights_save_and_stay_tied(tmp_path, binary_data):
    X, y = binary_data
    clf = TorchBinaryClassifier(module=Tied, max_epochs=3, random_state=0).fit(X, y)
    clf.save(tmp_path / "tied.safetensors")
    loaded = load(tmp_path / "tied.safetensors", module=Tied)
    assert loaded.module_.second.weight is loaded.module_.first.weight
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    with safe_open(str(tmp_path / "tied.safetensors"), framework="pt") as f:
        assert "second.weight" not in f.keys()  # noqa: SIM118 - stored once
    with pytest.raises(ValueError, match="does not share"):
        load(tmp_path / "tied.safetensors", module=Untied)


class Untied(Tied):
    def __init__(self, n_features_in, n_outputs):
        super().__init__(n_features_in, n_outputs)
        self.second.weight = nn.Parameter(self.first.weight.detach().clone())


# -- load leaves global random state alone -----------------------------------


def test_load_leaves_global_random_state_untouched(saved):
    _, _, path = saved
    torch.manual_seed(1234)
    torch.rand(3)
    before = (torch.get_rng_state(), torch.initial_seed())
    np_before, py_before = np.random.get_state(), random.getstate()  # noqa: NPY002
    load(path)
    assert torch.equal(torch.get_rng_state(), before[0])
    assert torch.initial_seed() == before[1] == 1234
    np_after = np.random.get_state()  # noqa: NPY002
    np.testing.assert_array_equal(np_after[1], np_before[1])
    assert np_after[2:] == np_before[2:]
    assert random.getstate() == py_before


# -- format versions ---------------------------------------------------------

DATA = pathlib.Path(__file__).parent / "data"


@pytest.mark.parametrize("name", ["binary_v1", "multiclass_v1"])
def test_files_of_format_version_1_still_load(name):
    expected = json.loads((DATA / f"{name}.json").read_text())
    X = np.array(expected["X"])
    if "columns" in expected:
        X = pd.DataFrame(X, columns=expected["columns"])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "was saved with other versions")
        loaded = load(DATA / f"{name}.safetensors")
    np.testing.assert_allclose(
        loaded.predict_proba(X), expected["predict_proba"], rtol=1e-6
    )
    assert loaded.predict(X).tolist() == expected["predict"]
    assert loaded.loss_curve_ == expected["loss_curve"]
    assert loaded.history_df_["train_loss"].tolist() == expected["loss_curve"]
    assert loaded.best_loss_ == min(expected["loss_curve"])


def test_binary_v1_parameters():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "was saved with other versions")
        loaded = load(DATA / "binary_v1.safetensors")
    assert loaded.get_params()["hidden_layer_sizes"] == (4,)
    assert loaded.threshold == 0.4
    assert loaded.random_state == 0
    assert loaded.classes_.tolist() == ["no", "yes"]


def test_tampered_version_1_classes_are_rejected(tmp_path):
    path = tmp_path / "v1.safetensors"
    path.write_bytes((DATA / "binary_v1.safetensors").read_bytes())
    rewrite(path, lambda h: h["fitted"].update(classes=["yes", "no"]))
    with pytest.raises(ValueError, match="classes_ must be sorted and unique"):
        load(path)


def test_a_newer_format_version_asks_for_an_upgrade(saved):
    _, _, path = saved
    rewrite(path, change_header=lambda h: h.update(version=99))
    with pytest.raises(ValueError, match=r"format version 99.*upgrade"):
        load(path)


def test_optional_keys_may_be_missing(saved):
    clf, frame, path = saved

    def drop(header):
        del header["history"], header["tied"]
        for key in ("validation_scores", "best_loss", "seed", "feature_names_in"):
            del header["fitted"][key]
        del header["params"]["class_weight"]

    rewrite(path, change_header=drop)
    loaded = load(path)
    np.testing.assert_array_equal(
        loaded.predict_proba(frame.to_numpy()), clf.predict_proba(frame)
    )
    assert loaded.history_df_["train_loss"].tolist() == clf.loss_curve_
    assert loaded.best_loss_ == clf.best_loss_
    assert not hasattr(loaded, "feature_names_in_")
