"""Progress on stderr while models train: per fold, and per epoch with
``--verbose``.

On a terminal with tqdm installed (the ``cli`` extra) these are tqdm bars;
otherwise (no tqdm, output to a file or a pipe) plain lines, one per fold
and, with ``--verbose``, one per epoch.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from collections.abc import Callable, Iterator
from typing import TextIO

from skorch.callbacks import Callback


class EpochReport(Callback):
    """A skorch callback that passes each epoch's number and training loss
    to ``report``.

    ``report`` is a plain function: the estimator deep-copies its callbacks
    at each fit, and a function survives that as itself.
    """

    def __init__(self, report: Callable[[int, float], None]):
        self.report = report

    def on_epoch_end(self, net, **kwargs) -> None:
        row = net.history[-1]
        self.report(int(row["epoch"]), float(row.get("train_loss", float("nan"))))


def bars_available(stream: TextIO) -> bool:
    """tqdm is installed and ``stream`` is a terminal."""
    isatty = getattr(stream, "isatty", lambda: False)
    return importlib.util.find_spec("tqdm") is not None and isatty()


class Progress:
    """Fold and epoch progress.

    Parameters
    ----------
    mode : {"bars", "lines", "off"}
    epochs : bool
        Also report each epoch (``--verbose``).
    stream : file-like
    """

    def __init__(self, mode: str, epochs: bool, stream: TextIO):
        self.mode, self.epochs, self.stream = mode, epochs, stream
        self._folds = None

    @contextlib.contextmanager
    def folds(self, n: int) -> Iterator[None]:
        """A span of ``n`` folds (a bar in ``bars`` mode)."""
        if self.mode == "bars":
            from tqdm import tqdm

            self._folds = tqdm(
                total=n, desc="cross-validation", unit="fold", file=self.stream
            )
        try:
            yield
        finally:
            if self._folds is not None:
                self._folds.close()
                self._folds = None

    def fold_done(self, i: int, n: int, accuracy: float, seconds: float) -> None:
        message = f"fold {i}/{n}: accuracy {accuracy:.3f} ({seconds:.1f} s)"
        self.line(message)
        if self._folds is not None:
            self._folds.update(1)

    def line(self, message: str) -> None:
        """A message between bars, or a plain line."""
        if self.mode == "bars":
            from tqdm import tqdm

            tqdm.write(message, file=self.stream)
        elif self.mode == "lines":
            print(message, file=self.stream, flush=True)

    @contextlib.contextmanager
    def fit(self, label: str, max_epochs: int) -> Iterator[list | None]:
        """One fit: yields the callbacks to pass to the estimator (None
        without ``epochs``)."""
        if not self.epochs or self.mode == "off":
            yield None
            return
        report, close = self._epoch_reporter(label, max_epochs)
        try:
            yield [EpochReport(report)]
        finally:
            close()

    def _epoch_reporter(self, label: str, max_epochs: int) -> tuple:
        if self.mode == "bars":
            from tqdm import tqdm

            bar = tqdm(
                total=max_epochs,
                desc=label,
                unit="epoch",
                leave=False,
                file=self.stream,
            )

            def report(epoch: int, loss: float) -> None:
                bar.set_postfix_str(f"loss {loss:.4f}", refresh=False)
                bar.update(1)

            return report, bar.close

        def report_line(epoch: int, loss: float) -> None:
            print(
                f"  {label} epoch {epoch}/{max_epochs}: train loss {loss:.4f}",
                file=self.stream,
                flush=True,
            )

        return report_line, lambda: None


def progress_for(json_mode: bool, verbose: bool, stream: TextIO | None = None):
    """The progress display a command gets on ``stream`` (default: stderr):
    none under ``--json`` unless ``--verbose``; bars on a terminal with tqdm;
    plain lines otherwise."""
    stream = sys.stderr if stream is None else stream
    if json_mode and not verbose:
        return Progress("off", False, stream)
    mode = "bars" if bars_available(stream) else "lines"
    return Progress(mode, verbose, stream)
