"""TorchMulticlassClassifier: one logit per class, softmax, argmax."""

from __future__ import annotations

import numpy as np
import torch

from ._base import BaseTorchClassifier


class TorchMulticlassClassifier(BaseTorchClassifier):
    """Multiclass classifier that trains a PyTorch network, sklearn-style.

    The network outputs one logit per class; training minimises
    cross-entropy (``CrossEntropyLoss``, the stable form of softmax + NLL).
    ``predict_proba`` is the softmax of the logits and ``predict`` returns
    ``classes_[argmax]``. Two classes work too. Labels may be strings, bools,
    gapped integers or any sortable values; they are encoded internally.

    Parameters
    ----------
    module : None, torch.nn.Module class, factory or instance, default=None
        The network. ``None`` builds an MLP from ``hidden_layer_sizes``. A
        class or factory is called as ``module(n_features_in=...,
        n_outputs=n_classes, **module_kwargs)`` and must return logits of
        shape ``(n_samples, n_classes)``. An instance is deep-copied at each
        fit and never trained in place.
    module_kwargs : dict, default=None
        Extra keyword arguments for a ``module`` class or factory.
    hidden_layer_sizes : array-like of int, default=(100,)
        Widths of the hidden layers of the default MLP (``module=None``).
    activation : str or torch.nn.Module class, default='relu'
        Hidden activation of the default MLP: 'relu', 'tanh', 'logistic',
        'identity', 'gelu', 'leaky_relu', 'elu', 'selu', 'silu', or a class.
    dropout : float, default=0.0
        Dropout probability after each hidden activation of the default MLP.
    batch_norm : bool, default=False
        Add ``BatchNorm1d`` after each hidden linear layer of the default MLP.
    optimizer : {'adam', 'adamw', 'sgd', 'rmsprop'} or torch.optim class, \
default='adam'
        The optimizer. Fused kernels are used where torch has them.
    optimizer_kwargs : dict, default=None
        Extra optimizer arguments, e.g. ``{"momentum": 0.9}`` for SGD.
    lr : float, default=1e-3
        Learning rate.
    weight_decay : float, default=0.0
        L2 penalty (``weight_decay`` of the torch optimizer).
    batch_size : int, default=200
        Mini-batch size.
    max_epochs : int, default=200
        Number of passes over the training data.
    device : str, default='cpu'
        'cpu', 'cuda', 'cuda:N', 'mps' or 'auto' (first accelerator found,
        else CPU).
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and dropout. The same int
        gives identical results on CPU; global RNG state is left untouched.
    verbose : int, default=0
        Print a per-epoch table when positive.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels, sorted as scikit-learn sorts them.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when X was a DataFrame with string column names.
    module_ : torch.nn.Module
        The trained network.
    net_ : skorch.NeuralNet
        The skorch net that trained it.
    history_ : skorch.History
        Per-epoch training record.
    loss_curve_ : list of float
        Mean training loss of each epoch.
    n_iter_ : int
        Number of epochs run.

    See Also
    --------
    TorchBinaryClassifier : Sigmoid classifier with a decision threshold.
    sklearn.neural_network.MLPClassifier : scikit-learn's numpy MLP.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sktorch_clf import TorchMulticlassClassifier
    >>> X, y = load_iris(return_X_y=True, as_frame=True)
    >>> clf = TorchMulticlassClassifier(max_epochs=20, random_state=0).fit(X, y)
    >>> clf.classes_
    array([0, 1, 2])
    >>> clf.predict_proba(X.iloc[:3]).sum(axis=1).round(6)
    array([1., 1., 1.])
    """

    _criterion = torch.nn.CrossEntropyLoss

    def predict(self, X):
        """Predict the class with the highest probability.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, of the same kind as the training labels.
        """
        best = self._logits(X).argmax(dim=1).numpy()
        return self.classes_[best]

    def _check_classes(self, classes):
        if len(classes) < 2:
            raise ValueError(
                "TorchMulticlassClassifier needs samples of at least 2 classes "
                f"in y, but y contains only one class: {classes.tolist()[0]!r}"
            )

    def _n_outputs(self, n_classes):
        return n_classes

    def _target_tensor(self, y_encoded):
        return torch.from_numpy(y_encoded.astype(np.int64))

    def _log_proba(self, logits):
        return torch.log_softmax(logits, dim=1)
