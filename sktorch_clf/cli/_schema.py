"""Strict checks on the JSON of a model directory.

Each helper returns the checked value or raises ``ValueError`` naming where
in the file the problem is (``what``); the model directory turns that into
one line for the user.
"""

from __future__ import annotations

import json
import math


def parse(text: str, what: str) -> object:
    """JSON text to Python values; ``NaN`` and ``Infinity`` are refused."""

    def refuse(token: str) -> None:
        raise ValueError(f"{what} holds {token}, which is not JSON")

    try:
        return json.loads(text, parse_constant=refuse)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{what} is not valid JSON ({exc.msg})") from exc
    except RecursionError as exc:
        raise ValueError(f"{what} is nested too deeply") from exc


def record(value: object, keys: set[str], what: str) -> dict:
    """An object with exactly the keys ``keys``."""
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be an object")
    if set(value) != keys:
        unknown, missing = sorted(set(value) - keys), sorted(keys - set(value))
        detail = "; ".join(
            part
            for part in (
                f"unknown keys {unknown}" if unknown else "",
                f"missing keys {missing}" if missing else "",
            )
            if part
        )
        raise ValueError(f"{what}: {detail}")
    return value


def string(value: object, what: str, choices: tuple[str, ...] = ()) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string")
    if choices and value not in choices:
        raise ValueError(f"{what} must be one of {list(choices)}, got {value!r}")
    return value


def items(value: object, what: str) -> list:
    if not isinstance(value, list):
        raise ValueError(f"{what} must be a list")
    return value


def strings(value: object, what: str) -> list[str]:
    """A list of distinct non-empty strings."""
    names = [string(v, f"{what}[{i}]") for i, v in enumerate(items(value, what))]
    if len(set(names)) != len(names):
        raise ValueError(f"{what} repeats a name")
    return names


def number(value: object, what: str, *, positive: bool = False) -> float:
    """A finite int or float (not a bool); ``positive``: above zero."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{what} must be finite")
    if positive and value <= 0:
        raise ValueError(f"{what} must be above zero")
    return value
