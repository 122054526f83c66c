"""What the engine's network outputs mean: an ensemble's members, the loss
and hits of a batch, and the predictions skorch's scoring callbacks read."""

from __future__ import annotations

import numpy as np
import torch

from ._batches import with_weight
from ._ensemble import mean_of_members


class Outputs:
    """Mixed into the :class:`~sktorch_clf._engine.Engine` (before skorch's
    ``NeuralNet``): its ``flatten_output`` marks a binary model, whose
    ``(n, 1)`` logits become ``(n,)``; ``threshold`` and ``n_classes`` are
    the estimator's.
    """

    def infer(self, x, **fit_params):
        """The module's logits; in training, an ensemble's per member
        (``(n, members[, n_classes])``)."""
        module = self.module_
        if module.training and getattr(module, "n_members", 1) > 1:
            return self._member_logits(x, **fit_params)
        out = module(x, **fit_params)
        return out.reshape(-1) if self.flatten_output else out

    def _member_logits(self, x, **fit_params) -> torch.Tensor:
        out = self.module_.members(x, **fit_params)
        return out.flatten(1) if self.flatten_output else out

    def validation_step(self, batch, **fit_params):
        """skorch's step; with per-member weights (cross-fitted validation,
        see ``_split``), each row is scored by the member holding it out."""
        Xi, weight = batch[0], with_weight(batch[1])[1]
        if weight is None or weight.dim() == 1:
            return super().validation_step(batch, **fit_params)
        with torch.no_grad():
            members = self._member_logits(Xi, **fit_params)
            loss = self.get_loss(members, batch[1], X=Xi, training=False)
        holder = weight.argmax(dim=1)
        rows = torch.arange(len(holder), device=holder.device)
        return {"loss": loss, "y_pred": members[rows, holder]}

    def _members(self, y_pred: torch.Tensor) -> bool:
        """Whether ``y_pred`` holds an ensemble's members' logits."""
        return y_pred.dim() == (2 if self.flatten_output else 3)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The (weighted) mean loss; an ensemble's members each count.

        Weights of shape ``(n, members)`` weigh each member's loss of each
        row (a row's weight is their mean)."""
        y_true, weight = with_weight(y_true)
        if self._members(y_pred):
            k = y_pred.shape[1]
            targets = y_true.unsqueeze(1).expand(-1, k)
            logits = y_pred if self.flatten_output else y_pred.transpose(1, 2)
            losses = self.criterion_(logits, targets)
            if weight is not None and weight.dim() == 2:
                return (losses * weight).mean()
            losses = losses.mean(1)
        else:
            losses = self.criterion_(y_pred, y_true)
        return losses.mean() if weight is None else (losses * weight).mean()

    def combined(self, y_pred: torch.Tensor) -> torch.Tensor:
        """Logits of the prediction: an ensemble's members combined."""
        if not self._members(y_pred):
            return y_pred
        if self.flatten_output:
            return mean_of_members(y_pred.unsqueeze(2)).reshape(-1)
        return mean_of_members(y_pred)

    def _positive(self, logits: torch.Tensor) -> torch.Tensor:
        """Binary decisions as ``predict`` makes them: ``p >= threshold``."""
        return torch.sigmoid(logits.double()) >= self.threshold

    def _hits(self, y_pred: torch.Tensor, y: torch.Tensor, weight) -> torch.Tensor:
        """The (weighted) number of correct predictions of a batch."""
        if self.flatten_output:
            hits = self._positive(y_pred) == (y >= 0.5)
        else:
            hits = y_pred.argmax(dim=1) == y
        hits = hits.to(y_pred.dtype)
        return hits.sum() if weight is None else (hits * weight).sum()

    # -- what skorch's scoring callbacks call --------------------------------
    # They score with scikit-learn scorers on the encoded targets: the engine
    # answers as a classifier of the classes 0 .. n_classes - 1.

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        return tags

    @property
    def classes_(self) -> np.ndarray:
        return np.arange(self.n_classes)

    def _logits(self, X) -> torch.Tensor:
        logits = self.forward(X)
        return logits.double() if logits.dtype != torch.float64 else logits

    def predict(self, X):
        """Encoded class indices, as ``predict`` of the estimator decides:
        binary ``p >= threshold``, else the argmax."""
        logits = self._logits(X)
        if self.flatten_output:
            return self._positive(logits).long().numpy()
        return logits.argmax(dim=1).numpy()

    def predict_proba(self, X):
        """Class probabilities (binary: two columns), as the estimator's."""
        logits = self._logits(X)
        if self.flatten_output:
            pair = [torch.sigmoid(-logits), torch.sigmoid(logits)]
            return torch.stack(pair, dim=1).numpy()
        return torch.softmax(logits, dim=1).numpy()
