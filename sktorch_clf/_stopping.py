"""When to stop training: MLPClassifier's tol / n_iter_no_change rule."""

from __future__ import annotations

import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

_DIVERGED = 10  # a final loss this many times chance level: training diverged


class StopRule:
    """Stop when ``monitor`` has not improved by ``tol`` for ``patience`` epochs.

    As in scikit-learn's MLPClassifier: an epoch counts as no improvement
    when the monitored value is not better than the best so far by more
    than ``tol``. ``monitor='train_loss'`` (lower is better) is the
    convergence check; ``monitor='valid_acc'`` (higher is better) is early
    stopping, which also keeps a copy of the best epoch's weights and puts
    them back at the end (:meth:`restore_best`). Stopping is a plain flag
    read by the training loop, never an exception.
    """

    def __init__(self, monitor: str, tol: float, patience: int, keep_best: bool):
        self.monitor = monitor
        self.tol = tol
        self.patience = patience
        self.keep_best = keep_best
        self.sign = -1.0 if monitor.endswith("loss") else 1.0
        self.best = None
        self.best_epoch = None
        self.best_state = None
        self.bad_epochs = 0
        self.stopped = False

    def should_stop(self, net) -> bool:
        """Record the last epoch of ``net.history``; True means stop now."""
        value = self.sign * net.history[-1, self.monitor]
        if self.best is not None and value < self.best + self.tol:
            self.bad_epochs += 1
        else:
            self.bad_epochs = 0
        if self.best is None or value > self.best:
            self.best = value
            self.best_epoch = net.history[-1, "epoch"]
            if self.keep_best:
                self.best_state = {
                    k: v.detach().clone() for k, v in net.module_.state_dict().items()
                }
        self.stopped = self.bad_epochs >= self.patience
        return self.stopped

    @property
    def best_value(self) -> float | None:
        return None if self.best is None else self.sign * self.best

    def restore_best(self, module: torch.nn.Module) -> None:
        if self.best_state is not None:
            module.load_state_dict(self.best_state)


def warn_about_training(est, stop_rule, interrupted: bool, stacklevel: int) -> None:
    """Warn about a diverged, interrupted or unconverged fit of ``est``."""
    last = est.loss_curve_[-1] if est.loss_curve_ else None
    chance = np.log(len(est.classes_))  # the loss of always guessing evenly
    if last is not None and last > _DIVERGED * chance:
        warnings.warn(
            f"Training diverged: the last training loss {last:.3g} is far above "
            f"the {chance:.3g} of guessing; the probabilities are not to be "
            "trusted. The learning rate may be too high (try a smaller lr) or "
            "the inputs unscaled (try StandardScaler in a Pipeline).",
            UserWarning,
            stacklevel=stacklevel,
        )
    if interrupted:
        warnings.warn(
            "Training was interrupted (KeyboardInterrupt) after "
            f"{est.n_iter_} completed epochs; the model keeps the weights it "
            "had reached.",
            UserWarning,
            stacklevel=stacklevel,
        )
    elif stop_rule is not None and not (
        stop_rule.stopped or est.net_.stopped_by_callback
    ):
        advice = "" if est.early_stopping else ", or use early_stopping=True"
        warnings.warn(
            f"Maximum number of epochs ({est.max_epochs}) reached and the "
            f"optimization hasn't converged yet: the {stop_rule.monitor} still "
            f"improved by more than tol={est.tol} within the last "
            f"{est.n_iter_no_change} epochs. Increase max_epochs or lr"
            f"{advice}.",
            ConvergenceWarning,
            stacklevel=stacklevel,
        )
