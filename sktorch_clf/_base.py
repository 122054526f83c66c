"""The estimator shared by the binary and multiclass classifiers."""

from __future__ import annotations

import contextlib
from numbers import Integral, Real

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from ._batches import TensorData
from ._build import OPTIMIZERS, build_engine, ensemble_members, update_engine
from ._data import (
    as_float_tensor,
    draw_seed,
    local_generator,
    resolve_device,
    seeded,
)
from ._fitted import record_fit
from ._inference import inference_plan, network_logits, plan_inference
from ._inputs import (
    check_no_missing_labels,
    encode_labels,
    sorted_classes,
    training_weights,
    validate_X,
)
from ._network import (
    ACTIVATIONS,
    check_batch_rows,
    draws_random_numbers,
)
from ._sklearn_private import Interval, StrOptions, _fit_context
from ._split import validation_split
from ._stopping import StopRule

# Training warnings point at the caller of fit / partial_fit, through
# warn_about_training, record_fit, _train, _fit, fit and scikit-learn's
# _fit_context wrapper (tested).
_USER_FRAME = 7


class BaseTorchClassifier(ClassifierMixin, BaseEstimator):
    """Shared parameters, fit and inference; subclasses define the head."""

    _parameter_constraints: dict = {
        "module": [None, callable],
        "module_kwargs": [None, dict],
        "categorical_features": [None, StrOptions({"from_dtype"}), "array-like"],
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS)), callable],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_norm": ["boolean"],
        "numeric_embedding": [None, StrOptions({"periodic"})],
        "robust_scaling": ["boolean"],
        "ensemble_size": [Interval(Integral, 1, None, closed="left")],
        "optimizer": [StrOptions(set(OPTIMIZERS)), callable],
        "optimizer_kwargs": [None, dict],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "lr_schedule": [StrOptions({"constant", "cosine"})],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "scoring": [StrOptions({"loss", "accuracy"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "class_weight": [None, StrOptions({"balanced"}), dict],
        "warm_start": ["boolean"],
        "callbacks": [None, list],
        "device": [str],
        "cuda_graphs": [StrOptions({"auto"}), "boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        module=None,
        module_kwargs=None,
        categorical_features="from_dtype",
        hidden_layer_sizes=(100,),
        activation="relu",
        dropout=0.0,
        batch_norm=False,
        numeric_embedding=None,
        robust_scaling=False,
        ensemble_size=4,
        optimizer="adam",
        optimizer_kwargs=None,
        lr=3e-3,
        lr_schedule="constant",
        weight_decay=0.0,
        batch_size=200,
        max_epochs=500,
        early_stopping=True,
        scoring="loss",
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        class_weight=None,
        warm_start=False,
        callbacks=None,
        device="cpu",
        cuda_graphs="auto",
        random_state=None,
        verbose=0,
    ):
        self.module = module
        self.module_kwargs = module_kwargs
        self.categorical_features = categorical_features
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.numeric_embedding = numeric_embedding
        self.robust_scaling = robust_scaling
        self.ensemble_size = ensemble_size
        self.optimizer = optimizer
        self.optimizer_kwargs = optimizer_kwargs
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.scoring = scoring
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.callbacks = callbacks
        self.device = device
        self.cuda_graphs = cuda_graphs
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

    def _log_proba(self, logits: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _proba(self, logits: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # -- fitted attributes held by the skorch net ----------------------------
    @property
    def module_(self) -> torch.nn.Module:
        """The trained ``torch.nn.Module`` (``net_.module_``)."""
        return self.net_.module_

    @property
    def history_(self):
        """skorch's per-epoch ``History`` since the network was built (a
        ``warm_start`` fit or ``partial_fit`` adds to it)."""
        return self.net_.history

    @property
    def history_df_(self):
        """``history_`` as a pandas DataFrame, one row per epoch."""
        rows = [
            {k: v for k, v in row.items() if k != "batches"} for row in self.history_
        ]
        return pd.DataFrame(rows, columns=None if rows else ["epoch"]).set_index(
            "epoch"
        )

    # -- public API ----------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on ``X`` and ``y`` for up to ``max_epochs`` epochs.

        A new network is built unless ``warm_start=True`` and the estimator
        is already fitted, in which case training continues from the current
        weights and optimizer state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Numeric training data. Encode string columns first (e.g. with
            ``OneHotEncoder`` in a ``ColumnTransformer``).
        y : array-like of shape (n_samples,)
            Target labels: strings, ints, bools or any sortable labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative per-sample weights of the loss; multiplied by the
            weights from ``class_weight``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        warm = self.warm_start and hasattr(self, "net_")
        return self._fit(
            X, y, sample_weight, classes=None, reset=not warm, partial=False
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch on ``X`` and ``y``, continuing from the last call.

        The first call builds the network. Later calls must have the same
        features; every label must be among ``classes_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Numeric training data.
        y : array-like of shape (n_samples,)
            Target labels.
        classes : array-like of shape (n_classes,), default=None
            All labels that may ever appear. Required on the first call when
            its ``y`` does not contain every class; ignored afterwards
            (it must then match ``classes_``).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative per-sample weights of the loss.

        Returns
        -------
        self : object
            The estimator, trained one epoch more.
        """
        first = not hasattr(self, "net_")
        return self._fit(
            X, y, sample_weight, classes=classes, reset=first, partial=True
        )

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
        return self._log_proba(self._logits(X))

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
        return self._proba(self._logits(X))

    def save(self, path) -> None:
        """Write the fitted model to a safe ``.safetensors`` file.

        Weights go to safetensors, everything else (the parameters with
        their types, ``classes_``, feature names, the other fitted attributes,
        the history's epoch rows, versions) to JSON in the file's header.
        Unlike a pickle, the file holds no code: load it with
        :func:`sktorch_clf.load` (passing ``module=`` again for a custom
        network). Not stored: ``module`` (its weights are), ``callbacks`` and
        ``device``. A parameter value the file cannot hold (e.g. an optimizer
        class outside ``torch.optim``) raises a ``TypeError`` naming it.

        Parameters
        ----------
        path : str or path-like
            Where to write, conventionally ending in ``.safetensors``.
        """
        from ._persist import save

        check_is_fitted(self)
        save(self, path)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -- training ------------------------------------------------------------
    def _fit(self, X, y, sample_weight, *, classes, reset: bool, partial: bool):
        """Shared by fit and partial_fit (``partial``: one epoch, no split).

        A fresh fit that fails leaves the estimator unfitted, never a mix of
        the old network and the new data's attributes.
        """
        try:
            return self._train(X, y, sample_weight, classes, reset, partial)
        except Exception:
            if reset:
                for name in [k for k in vars(self) if k.endswith("_")]:
                    delattr(self, name)
            raise

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "net_")

    def _train(self, X, y, sample_weight, classes, reset, partial):
        if y is not None:
            check_no_missing_labels(y)
        X, y = validate_X(self, X, y, reset=reset)
        if reset:
            self.classes_ = self._fit_classes(y, classes)
            self._seed = draw_seed(self.random_state)
        elif classes is not None and partial:
            self._check_same_classes(classes)
        y_encoded = encode_labels(y, self.classes_)
        weights = training_weights(
            sample_weight, self.class_weight, X, y, self.classes_, partial
        )
        device = resolve_device(self.device)
        # fresh, reproducible seeds for every fit / partial_fit call
        init_seed, shuffle_seed, split_seed, dropout_seed = self._call_seeds(
            0 if reset else len(self.net_.history)
        )
        valid = stop_rule = None
        if not partial:
            stop_rule = self._stop_rule()
            if self.early_stopping:
                members = ensemble_members(self)
                (X, y_encoded, weights), valid = validation_split(
                    X, y_encoded, weights, self.validation_fraction, split_seed, members
                )
                valid = self._tensor_data(*valid, device)
        train = self._tensor_data(X, y_encoded, weights, device)
        if reset:
            with seeded(init_seed, device):
                self.net_ = build_engine(self, train, device)
        else:
            update_engine(self, self.net_, device, partial)
        check_batch_rows(self.net_.module_, len(train), self.batch_size)
        # dropout & co. draw from torch's global generator: seeded, one fit
        # at a time; shuffling draws from the fit's own generator
        random = draws_random_numbers(self.net_.module_)
        with seeded(dropout_seed, device) if random else contextlib.nullcontext():
            interrupted = self.net_.train(
                train,
                valid,
                1 if partial else self.max_epochs,
                stop_rule,
                shuffle=local_generator(shuffle_seed),
                # the lr schedule spans a fit, or max_epochs partial_fit calls
                schedule_start=len(self.net_.history) if partial else 0,
            )
        record_fit(self, stop_rule, interrupted, stacklevel=_USER_FRAME)
        plan_inference(self)  # what prediction needs to know, found once
        return self

    def _call_seeds(self, epochs_done: int) -> list[int]:
        entropy = np.random.SeedSequence([self._seed, epochs_done])
        return [int(v) for v in entropy.generate_state(4)]

    def _fit_classes(self, y: np.ndarray, classes) -> np.ndarray:
        found = sorted_classes(y)
        check_classification_targets(y)
        if classes is not None:
            found = sorted_classes(np.asarray(classes))
        self._check_classes(found)
        return found

    def _check_same_classes(self, classes) -> None:
        given = sorted_classes(np.asarray(classes))
        if not np.array_equal(given, self.classes_):
            raise ValueError(
                f"classes={given.tolist()} differs from classes_="
                f"{self.classes_.tolist()} of the first call to partial_fit"
            )

    def _stop_rule(self) -> StopRule:
        if self.early_stopping:
            monitor = "valid_loss" if self.scoring == "loss" else "valid_acc"
            return StopRule(monitor, self.tol, self.n_iter_no_change, True)
        return StopRule("train_loss", self.tol, self.n_iter_no_change, False)

    def _tensor_data(self, X, y_encoded, weights, device) -> TensorData:
        X_t = as_float_tensor(X)
        if isinstance(X_t, torch.Tensor):
            X_t = X_t.to(device)
        y_t = self._target_tensor(y_encoded).to(device)
        w = None
        if weights is not None:
            w = torch.from_numpy(weights.astype(np.float32)).to(device)
        return TensorData(X_t, y_t, device, w)

    # -- inference ------------------------------------------------------------
    def _logits(self, X) -> np.ndarray:
        """Float64 logits of ``X``: one per row (binary) or per class."""
        if not self.__sklearn_is_fitted__():  # (check_is_fitted's tags cost
            check_is_fitted(self)  # 10-30 us a call: asked only to raise)
        X = validate_X(self, X, reset=False)
        n_outputs = self._n_outputs(len(self.classes_))
        plan = inference_plan(self)
        # our own networks never write to their input: no defensive copy
        copy = self.module is not None
        logits = network_logits(self.net_, X, n_outputs, copy=copy, plan=plan)
        return logits.reshape(-1) if self._flatten_output else logits
