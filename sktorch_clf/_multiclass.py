"""TorchMulticlassClassifier: one logit per class, softmax, argmax."""

from __future__ import annotations

import numpy as np
import torch

from ._base import BaseTorchClassifier
from ._docs import fill_doc
from ._inference import row_reduce, softmax_rows_


@fill_doc
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
    {shared_parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels, sorted as scikit-learn sorts them.
    {shared_attributes}

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
        best = self._logits(X).argmax(axis=1)
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
        shifted = logits - row_reduce(np.maximum, logits)[:, None]
        return shifted - np.log(row_reduce(np.add, np.exp(shifted)))[:, None]

    def _proba(self, logits):
        return softmax_rows_(logits.copy())
