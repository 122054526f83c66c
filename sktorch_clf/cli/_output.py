"""Where output goes: text for people on stdout, or one JSON document for
scripts (``--json``); notes and progress on stderr."""

from __future__ import annotations

import json
import sys
from typing import TextIO

import numpy as np

from ._metrics import NAMES


class Console:
    """The command's output streams.

    Parameters
    ----------
    json_mode : bool
        Text output is suppressed; :meth:`emit` writes the one JSON document.
    stdout, stderr : file-like, default=sys.stdout, sys.stderr
    """

    def __init__(
        self,
        json_mode: bool = False,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ):
        self.json_mode = json_mode
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.notes: list[str] = []

    def note(self, message: str) -> None:
        """A remark on stderr (once per distinct message), kept for JSON."""
        if message not in self.notes:
            self.notes.append(message)
            print(f"note: {message}", file=self.stderr, flush=True)

    def say(self, text: str = "") -> None:
        """Text for people on stdout (nothing under ``--json``)."""
        if not self.json_mode:
            print(text, file=self.stdout, flush=True)

    def emit(self, document: dict) -> None:
        """The JSON document on stdout (only under ``--json``)."""
        if self.json_mode:
            document = {**document, "notes": self.notes}
            json.dump(plain(document), self.stdout, indent=2, allow_nan=False)
            self.stdout.write("\n")
            self.stdout.flush()


def plain(value: object) -> object:
    """numpy scalars and arrays as Python values, for JSON."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def table(rows: list[list[str]], header: list[str] | None = None) -> str:
    """Rows as aligned text: the first column left-aligned, the others right."""
    rows = [header, *rows] if header else rows
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def key_values(pairs: list[tuple[str, str]]) -> str:
    """``name  value`` lines with the values aligned."""
    width = max(len(k) for k, _ in pairs)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in pairs)


def metrics_table(summary: dict, *, spread: bool) -> str:
    """The metrics as a table: ``mean ± std`` (``spread``) or single values."""
    rows = []
    for name, label in NAMES.items():
        value = summary.get(name)
        if value is None:
            continue
        if spread:
            rows.append([label, f"{value['mean']:.3f} ± {value['std']:.3f}"])
        else:
            rows.append([label, f"{value:.3f}"])
    header = ["metric", "mean ± std" if spread else "value"]
    return table(rows, header)


def confusion_table(confusion: dict) -> str:
    """The confusion matrix with class names on both axes."""
    names = [str(c) for c in confusion["labels"]]
    rows = [
        [name, *map(str, counts)]
        for name, counts in zip(names, confusion["matrix"], strict=True)
    ]
    return table(rows, ["true \\ predicted", *names])


def counts(labels: np.ndarray) -> str:
    """``a 3, b 5``: each distinct label and how often it occurs."""
    values, n = np.unique(labels, return_counts=True)
    return ", ".join(f"{v} {k}" for v, k in zip(values, n, strict=True))
