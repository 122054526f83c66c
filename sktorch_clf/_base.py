"""The estimator shared by the binary and multiclass classifiers."""

from __future__ import annotations

import inspect
from functools import partial
from numbers import Integral, Real

import numpy as np
import torch
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context

# The one module that imports scikit-learn's private parameter validation
# (what scikit-learn-contrib projects use); _binary.py takes Interval from here.
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._data import as_float_tensor, draw_seed, resolve_device, seeded, take_rows
from ._engine import Engine, TensorData
from ._network import (
    ACTIVATIONS,
    build_user_module,
    check_hidden_layer_sizes,
    check_module_output,
    make_mlp,
)

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}
# Optimizers with a fused kernel on CPU and CUDA (one kernel for all weights).
_FUSED = (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD)
_PREDICT_CHUNK = 65_536


class BaseTorchClassifier(ClassifierMixin, BaseEstimator):
    """Shared parameters, fit and inference; subclasses define the head."""

    _parameter_constraints: dict = {
        "module": [None, callable],
        "module_kwargs": [None, dict],
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS)), callable],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_norm": ["boolean"],
        "optimizer": [StrOptions(set(OPTIMIZERS)), callable],
        "optimizer_kwargs": [None, dict],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        module=None,
        module_kwargs=None,
        hidden_layer_sizes=(100,),
        activation="relu",
        dropout=0.0,
        batch_norm=False,
        optimizer="adam",
        optimizer_kwargs=None,
        lr=1e-3,
        weight_decay=0.0,
        batch_size=200,
        max_epochs=200,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.module = module
        self.module_kwargs = module_kwargs
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.optimizer = optimizer
        self.optimizer_kwargs = optimizer_kwargs
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # -- what the binary and multiclass heads define -------------------------
    _flatten_output = False
    _criterion: type[torch.nn.Module]

    def _check_classes(self, classes: np.ndarray) -> None:
        raise NotImplementedError

    def _n_outputs(self, n_classes: int) -> int:
        raise NotImplementedError

    def _target_tensor(self, y_encoded: np.ndarray) -> torch.Tensor:
        raise NotImplementedError

    def _log_proba(self, logits: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    # -- fitted attributes held by the skorch net ----------------------------
    @property
    def module_(self) -> torch.nn.Module:
        """The trained ``torch.nn.Module`` (``net_.module_``)."""
        return self.net_.module_

    @property
    def history_(self):
        """skorch's per-epoch ``History`` of the last fit."""
        return self.net_.history

    # -- public API ----------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train a new network on ``X`` and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Numeric training data. Encode string columns first (e.g. with
            ``OneHotEncoder`` in a ``ColumnTransformer``).
        y : array-like of shape (n_samples,)
            Target labels: strings, ints, bools or any sortable labels.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X, y = self._validate_X(X, y, reset=True)
        classes = _sorted_classes(y)
        check_classification_targets(y)
        self._check_classes(classes)
        y_encoded = np.searchsorted(classes, y)
        device = resolve_device(self.device)
        X_t = as_float_tensor(X)
        sample = take_rows(X_t, slice(0, 2))  # on the CPU, like the new module
        if isinstance(X_t, torch.Tensor):
            X_t = X_t.to(device)
        data = TensorData(X_t, self._target_tensor(y_encoded).to(device), device)
        with seeded(draw_seed(self.random_state)):
            module = self._build_module(len(classes), sample)
            net = self._make_engine(module, device)
            net.partial_fit(data)
        self.classes_ = classes
        self.net_ = net
        self.loss_curve_ = list(net.history[:, "train_loss"])
        self.n_iter_ = len(net.history)
        return self

    def predict_log_proba(self, X):
        """Log of the class probabilities, computed stably from the logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns ordered as ``classes_``.
        """
        return self._log_proba(self._logits(X)).numpy()

    def predict_proba(self, X):
        """Class probabilities of ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities (rows sum to 1), columns ordered as ``classes_``.
        """
        return np.exp(self.predict_log_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -- helpers -------------------------------------------------------------
    def _validate_X(self, X, y=None, *, reset: bool):
        _check_numeric_columns(X)
        kwargs = dict(accept_sparse="csr", dtype=np.float32, reset=reset)
        try:
            if y is None and not reset:
                return validate_data(self, X, **kwargs)
            return validate_data(self, X, y, **kwargs)
        except ValueError as exc:
            if "could not convert" not in str(exc):
                raise
            raise ValueError(
                f"X must be numeric, but {exc}. Encode string or categorical "
                "columns first, e.g. with OneHotEncoder or OrdinalEncoder in a "
                "ColumnTransformer."
            ) from exc

    def _build_module(self, n_classes: int, sample: torch.Tensor) -> torch.nn.Module:
        n_outputs = self._n_outputs(n_classes)
        if self.module is None:
            sizes = check_hidden_layer_sizes(self.hidden_layer_sizes)
            module = make_mlp(
                self.n_features_in_,
                n_outputs,
                sizes,
                activation=self.activation,
                dropout=self.dropout,
                batch_norm=self.batch_norm,
            )
        else:
            module = build_user_module(
                self.module, self.n_features_in_, n_outputs, self.module_kwargs
            )
        check_module_output(module, sample, n_outputs)
        return module

    def _make_engine(self, module: torch.nn.Module, device: torch.device) -> Engine:
        net = Engine(
            module,
            self._criterion,
            flatten_output=self._flatten_output,
            optimizer=self._optimizer_factory(device),
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            train_split=None,
            verbose=self.verbose,
            device=str(device),
        )
        try:
            return net.initialize()
        except (TypeError, ValueError) as exc:
            raise type(exc)(
                f"optimizer={self.optimizer!r} rejected optimizer_kwargs="
                f"{self.optimizer_kwargs!r} (lr={self.lr!r}): {exc}"
            ) from exc

    def _optimizer_factory(self, device: torch.device) -> partial:
        cls = self.optimizer
        if isinstance(cls, str):
            cls = OPTIMIZERS[cls]
        if not (isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)):
            raise TypeError(
                f"optimizer must be one of {sorted(OPTIMIZERS)} or a "
                f"torch.optim.Optimizer subclass, got {self.optimizer!r}"
            )
        kwargs = {}
        if "weight_decay" in inspect.signature(cls).parameters:
            # always explicit: AdamW's own default would be 0.01, not ours
            kwargs["weight_decay"] = self.weight_decay
        elif self.weight_decay:
            raise ValueError(
                f"weight_decay={self.weight_decay!r} was given but optimizer "
                f"{cls.__name__} has no weight_decay parameter"
            )
        kwargs.update(self.optimizer_kwargs or {})
        fusable = issubclass(cls, _FUSED) and device.type in ("cpu", "cuda")
        if fusable and not {"fused", "foreach"} & kwargs.keys():
            kwargs["fused"] = True
        return partial(cls, **kwargs)

    def _logits(self, X) -> torch.Tensor:
        """Float64 CPU logits of ``X``, run in eval mode in large batches."""
        check_is_fitted(self)
        X_t = as_float_tensor(self._validate_X(X, reset=False))
        net = self.net_
        net.module_.eval()
        chunks = []
        with torch.inference_mode():
            for start in range(0, X_t.shape[0], _PREDICT_CHUNK):
                batch = take_rows(X_t, slice(start, start + _PREDICT_CHUNK))
                chunks.append(net.infer(batch.to(net.device)).double().cpu())
        return torch.cat(chunks)


def _sorted_classes(y: np.ndarray) -> np.ndarray:
    """Sorted unique labels of ``y``, keeping its dtype (object stays object)."""
    try:
        return np.unique(y)
    except TypeError as exc:
        types = sorted({type(label).__name__ for label in y})
        raise TypeError(
            f"y mixes labels of types {types} that cannot be sorted; "
            "use labels of one type (e.g. all strings)"
        ) from exc


def _check_numeric_columns(X) -> None:
    """Name the non-numeric columns of a DataFrame in a clear error."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):
        return
    bad = [
        col
        for col, dt in dtypes.items()
        if not (is_numeric_dtype(dt) or is_bool_dtype(dt))
    ]
    if bad:
        raise ValueError(
            f"X must be numeric, but columns {bad} are not (dtypes "
            f"{[str(dtypes[c]) for c in bad]}). Encode them first, e.g. with "
            "OneHotEncoder or OrdinalEncoder in a ColumnTransformer."
        )
