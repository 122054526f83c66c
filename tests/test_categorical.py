"""categorical_features: embedded columns, categories learned in fit."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.compose import make_column_transformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder, StandardScaler

from sktorch_clf import TorchBinaryClassifier, TorchMulticlassClassifier, load
from sktorch_clf._fast import _plain_mlp
from sktorch_clf._features import MISSING, UNSEEN
from sktorch_clf._tabular import CategoryEmbedding, TabularMLP, embedding_dim


@pytest.fixture
def frame():
    """Numeric columns and categorical ones of several kinds; the class
    depends on both."""
    rng = np.random.default_rng(0)
    n = 400
    colour = rng.choice(["red", "green", "blue"], n)
    city = pd.Categorical(rng.choice([f"city{i}" for i in range(60)], n))
    code = rng.integers(0, 5, n)
    x = rng.normal(size=n)
    score = x + (colour == "red") * 1.5 - (code == 3) * 1.5
    X = pd.DataFrame(
        {"x": x, "colour": colour, "city": city, "code": code, "z": rng.normal(size=n)}
    )
    X["colour"] = X["colour"].astype(object)
    X.loc[::17, "colour"] = None
    return X, np.where(score > 0.3, "yes", "no")


def fit(X, y, cls=TorchBinaryClassifier, **params):
    params = {"max_epochs": 40, "lr": 0.01, "random_state": 0, **params}
    return cls(**params).fit(X, y)


def test_from_dtype_embeds_category_and_string_columns(frame):
    X, y = frame
    clf = fit(X, y, categorical_features="from_dtype")
    np.testing.assert_array_equal(clf.is_categorical_, [0, 1, 1, 0, 0])
    np.testing.assert_array_equal(clf.categories_[0], ["blue", "green", "red"])
    assert len(clf.categories_[1]) == 60
    module = clf.module_
    assert isinstance(module, TabularMLP)
    assert [e.num_embeddings for e in module.embeddings] == [5, 62]
    assert [e.embedding_dim for e in module.embeddings] == [
        embedding_dim(5),
        embedding_dim(62),
    ]
    assert clf.score(X, y) > 0.85
    assert _plain_mlp(module) is None  # no CPU fast path for embeddings


def test_unseen_and_missing_categories_never_fail(frame):
    X, y = frame
    clf = fit(X, y, categorical_features=["colour", "city", "code"])
    new = X.iloc[:4].copy()
    new["colour"] = ["purple", None, np.nan, "red"]
    new["city"] = pd.Categorical(["atlantis", None, "city1", "nowhere"])
    new["code"] = [99, -1, 2, 3]
    proba = clf.predict_proba(new)
    assert np.isfinite(proba).all()
    # every unseen value shares one slot: the same as another unseen value
    other = new.copy()
    other["colour"] = ["orange", None, np.nan, "red"]
    other["city"] = pd.Categorical(["elsewhere", None, "city1", "void"])
    other["code"] = [7, -5, 2, 3]
    np.testing.assert_array_equal(clf.predict_proba(other), proba)


def test_names_indices_and_mask_select_the_same_columns(frame):
    X, y = frame
    by_name = fit(X, y, categorical_features=["colour", "city", "code"])
    for spec in ([1, 2, 3], [False, True, True, True, False]):
        other = fit(X, y, categorical_features=spec)
        np.testing.assert_array_equal(other.predict_proba(X), by_name.predict_proba(X))


def test_integer_codes_in_an_array(frame):
    X, y = frame
    codes = X.assign(
        colour=X["colour"].map({"red": 0, "green": 1, "blue": 2}),  # NaN stays
        city=X["city"].cat.codes,
    ).to_numpy(dtype=float)
    clf = fit(codes, y, categorical_features=[1, 2, 3])
    np.testing.assert_array_equal(clf.categories_[0], [0, 1, 2])
    assert clf.score(codes, y) > 0.85


def test_after_an_ordinal_encoder_with_pandas_output(frame):
    X, y = frame
    categorical = ["colour", "city"]
    encode = make_column_transformer(
        (
            OrdinalEncoder(
                handle_unknown="use_encoded_value",
                unknown_value=np.nan,
                encoded_missing_value=np.nan,
            ),
            categorical,
        ),
        remainder=StandardScaler(),
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    clf = TorchBinaryClassifier(
        categorical_features=categorical, max_epochs=40, lr=0.01, random_state=0
    )
    model = make_pipeline(encode, clf).fit(X, y)
    assert model.score(X, y) > 0.85
    new = X.iloc[:2].assign(colour=["mauve", None])
    assert np.isfinite(model.predict_proba(new)).all()


def test_object_columns_of_numbers_stay_numeric(frame):
    X, y = frame
    X = X.assign(z=X["z"].astype(object))
    clf = fit(X, y, categorical_features="from_dtype")
    assert not clf.is_categorical_[4]


def test_numeric_data_with_from_dtype_is_the_plain_mlp(binary_data):
    X, y = binary_data
    clf = fit(X, y, categorical_features="from_dtype", ensemble_size=1)
    assert clf.is_categorical_ is None
    assert clf.categories_ is None
    assert _plain_mlp(clf.module_) is not None
    plain = fit(X, y, categorical_features=None, ensemble_size=1)
    np.testing.assert_array_equal(clf.predict_proba(X), plain.predict_proba(X))


@pytest.mark.parametrize(
    ("spec", "change", "match"),
    [
        (["colour", "size"], None, "names column 'size', which is not in X"),
        ([1, 9], None, "index 9, out of range for X with 5 columns"),
        ([True, False], None, "boolean mask needs 5 entries"),
        ([1.5], None, "must hold column names, indices or one boolean"),
        (["z"], None, "categorical column 'z' holds non-integer numbers"),
        (["code"], {"code": -1}, "categorical column 'code' holds negative codes"),
        (["colour"], {"colour": 3}, "categorical column 'colour' mixes values"),
    ],
)
def test_bad_categorical_features(frame, spec, change, match):
    X, y = frame
    if change is not None:
        column, value = next(iter(change.items()))
        X = X.copy()
        X[column] = X[column].astype(object)
        X.loc[0, column] = value
    with pytest.raises(ValueError, match=match):
        fit(X, y, categorical_features=spec, max_epochs=1)


def test_names_need_a_dataframe_and_sparse_input_is_refused(frame):
    X, y = frame
    numbers = X[["x", "code", "z"]].to_numpy()
    with pytest.raises(ValueError, match="X has no column names"):
        fit(numbers, y, categorical_features=["code"], max_epochs=1)
    with pytest.raises(ValueError, match="needs dense X"):
        fit(sp.csr_matrix(numbers), y, categorical_features=[1], max_epochs=1)


def test_multiclass_partial_fit_and_weights(frame):
    X, y = frame
    y3 = np.where(X["code"] > 2, "c", y)
    clf = TorchMulticlassClassifier(categorical_features="from_dtype", random_state=0)
    first, rest = X.iloc[:200], X.iloc[200:]
    clf.partial_fit(first, y3[:200], classes=["c", "no", "yes"])
    seen = [list(c) for c in clf.categories_]
    clf.partial_fit(rest, y3[200:], sample_weight=np.linspace(0.5, 2, 200))
    assert [list(c) for c in clf.categories_] == seen  # learned on the first call
    assert clf.predict_proba(X).shape == (400, 3)


def test_changing_categorical_features_needs_a_new_network(frame):
    X, y = frame
    cats = ["colour", "city"]
    clf = fit(X, y, categorical_features=cats, warm_start=True, max_epochs=2)
    clf.set_params(categorical_features=list(cats)).fit(X, y)  # equal: continues
    clf.set_params(categorical_features=[*cats, "code"])
    with pytest.raises(ValueError, match="categorical_features changed"):
        clf.fit(X, y)


@pytest.mark.parametrize("embedding", [None, "periodic"])
def test_save_and_load_keep_categories(frame, tmp_path, embedding):
    X, y = frame
    clf = fit(X, y, categorical_features="from_dtype", numeric_embedding=embedding)
    clf.save(tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    new = X.iloc[:3].assign(colour=["teal", None, "red"])
    np.testing.assert_array_equal(loaded.predict_proba(new), clf.predict_proba(new))
    for ours, theirs in zip(loaded.categories_, clf.categories_, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_periodic_numeric_embedding(binary_data):
    X, y = binary_data
    clf = fit(X, y, numeric_embedding="periodic", ensemble_size=1)
    assert isinstance(clf.module_, TabularMLP)
    assert clf.module_.numeric.frequencies.shape == (6, 16)
    assert clf.module_.body[0].in_features == 6 * 8
    assert clf.score(X, y) > 0.85


def test_the_caller_frame_is_not_modified(frame):
    X, y = frame
    before = X.copy()
    clf = fit(X, y, categorical_features="from_dtype", max_epochs=2)
    clf.predict(X)
    pd.testing.assert_frame_equal(X, before)


def test_robust_scaling_of_the_numeric_columns_only(frame):
    X, y = frame
    X = X.assign(x=X["x"] * 1e4)
    # 40 epochs on every row, as written before early stopping was the default
    # (a 40-row validation split stops the fit after 5-13 epochs)
    clf = fit(
        X,
        y,
        categorical_features="from_dtype",
        robust_scaling=True,
        early_stopping=False,
    )
    assert clf.module_.scale.center.shape == (3,)  # x, code and z: not colour, city
    assert clf.score(X, y) > 0.85


def test_embedding_rows_start_small_and_the_reserved_rows_at_zero():
    """Rows start uniform in +-1/sqrt(dim), about as loud as a standardized
    number (torch's N(0, 1) start learned the categories less well); the
    missing and unseen rows start at zero."""
    torch.manual_seed(0)
    embedding = CategoryEmbedding(500, 8)
    rows = embedding.weight.detach()[2:]
    bound = 8**-0.5
    assert rows.abs().max() <= bound
    assert rows.std() == pytest.approx(bound / 3**0.5, rel=0.05)
    assert not embedding.weight.detach()[[MISSING, UNSEEN]].any()
