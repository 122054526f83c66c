"""Typed JSON: Python values as JSON and back, with their types, safely.

``None``, bools, ints, finite floats, strings and lists are plain JSON;
anything else is a one-key object whose key is a tag (``$tuple``, ``$dict``,
``$float``, ``$np``, ``$ndarray``, ``$RandomState``, ``$class``). Decoding
never imports or calls anything the data names: classes are looked up in a
fixed allow-list (:data:`CLASSES`) and dtypes must match a fixed pattern.
This module also owns the limit on how deeply such data may nest
(:data:`MAX_DEPTH`, :func:`depth`), which callers check before decoding.
"""

from __future__ import annotations

import math
import re

import numpy as np
import torch

from ._network import ACTIVATIONS

_OPTIMIZER_NAMES = (
    "ASGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax",
    "LBFGS", "NAdam", "RAdam", "RMSprop", "Rprop", "SGD", "SparseAdam",
)  # fmt: skip
# The only classes the data can name: torch's optimizers and our activations.
CLASSES = {
    **{
        f"torch.optim.{name}": getattr(torch.optim, name)
        for name in _OPTIMIZER_NAMES
        if hasattr(torch.optim, name)
    },
    **{f"torch.nn.{cls.__name__}": cls for cls in ACTIVATIONS.values()},
}
# dtype names the data may use: bool, ints, floats (<= 64 bits), str, object,
# datetime64 / timedelta64 with their unit
_DTYPE = re.compile(
    r"[<>|=]?(?:[biuf][1248]|U\d{1,6}|O|[Mm]8(\[\d{0,6}[a-zA-Z]{1,2}\])?)"
)
_SCALAR_KINDS = "biufUMm"  # numpy scalars ($np)
_ARRAY_KINDS = _SCALAR_KINDS + "O"  # arrays ($ndarray) may also hold objects
_ITEM_TYPES = {"b": (bool,), "i": (int,), "u": (int,), "f": (int, float), "U": (str,)}
MAX_DEPTH = 100  # how deeply the data may nest


def depth(data: object) -> int:
    """How deeply lists and objects nest in ``data`` (without recursion)."""
    deepest, todo = 0, [(data, 1)]
    while todo:
        item, level = todo.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            todo.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            todo.extend((v, level + 1) for v in item)
    return deepest


def expect_list(value: object, length: int | None = None) -> list:
    """``value`` if it is a list (of ``length`` items), else ``ValueError``."""
    if type(value) is not list or (length is not None and len(value) != length):
        want = "a list" if length is None else f"a list of {length} items"
        raise ValueError(f"expected {want}, got {str(value)[:80]}")
    return value


def _allowed_dtype(name: str, kinds: str) -> np.dtype | None:
    """The dtype called ``name`` if the data may hold it, else ``None``."""
    if not _DTYPE.fullmatch(name):
        return None
    dtype = np.dtype(name)
    return dtype if dtype.kind in kinds else None


# -- encode -------------------------------------------------------------------
def encode(value: object, where: str) -> object:
    """Encode ``value`` as typed JSON.

    Parameters
    ----------
    value : object
        The value: ``None``, bool, int, float, str, list, tuple, dict, numpy
        scalar or array, ``RandomState``, or a class in :data:`CLASSES`.
    where : str
        What the value is, for error messages.

    Returns
    -------
    data : object
        JSON data that :func:`decode` turns back into an equal value of the
        same type.

    Raises
    ------
    TypeError
        Naming ``where``, for a value that cannot be stored.
    """
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    if kind is list:
        return _encode_each(value, where)
    if kind is tuple:
        return {"$tuple": _encode_each(value, where)}
    if kind is dict:
        return {
            "$dict": [
                [encode(k, f"{where} (key {k!r})"), encode(v, f"{where}[{k!r}]")]
                for k, v in value.items()
            ]
        }
    if isinstance(value, np.generic):
        dtype = _dtype_name(value.dtype, where, _SCALAR_KINDS)
        return {"$np": [dtype, _encode_items(np.asarray(value).reshape(1), where)[0]]}
    if kind is np.ndarray:
        dtype = _dtype_name(value.dtype, where, _ARRAY_KINDS)
        items = _encode_items(value.reshape(-1), where)
        return {"$ndarray": [dtype, list(value.shape), items]}
    if kind is np.random.RandomState:
        return {"$RandomState": _random_state(value, where)}
    if isinstance(value, type):
        return {"$class": _class_name(value, where)}
    raise TypeError(
        f"save() cannot store {where}: values of type {kind.__name__} are not "
        f"supported (got {value!r})"
    )


def _encode_each(values, where: str) -> list:
    return [encode(v, f"{where}[{i}]") for i, v in enumerate(values)]


def _dtype_name(dtype: np.dtype, where: str, kinds: str) -> str:
    if _allowed_dtype(dtype.str, kinds) is None:
        raise TypeError(
            f"save() cannot store {where}: values of dtype {dtype} are not "
            "supported (booleans, integers, floats, strings, datetime64, "
            "timedelta64 and, in arrays, objects are)"
        )
    return dtype.str


def _encode_items(flat: np.ndarray, where: str) -> list:
    kind = flat.dtype.kind
    if kind in "Mm":
        return flat.view(np.int64).tolist()  # exact, whatever the unit
    if kind == "O":
        return _encode_each(flat, where)
    return [encode(v, where) for v in flat.tolist()]  # Python bool/int/float/str


def _random_state(rng: np.random.RandomState, where: str) -> list:
    state = rng.get_state(legacy=True)
    if not isinstance(state, tuple) or state[0] != "MT19937":
        raise TypeError(
            f"save() cannot store {where}: only a RandomState of the MT19937 "
            "generator is supported"
        )
    _, keys, pos, has_gauss, gauss = state
    return [keys.tolist(), int(pos), int(has_gauss), encode(float(gauss), where)]


def _class_name(cls: type, where: str) -> str:
    names = [name for name, known in CLASSES.items() if known is cls]
    if not names:
        raise TypeError(
            f"save() cannot store {where}={cls!r}: only the classes "
            f"{sorted(CLASSES)} are stored (by name); other code cannot be "
            "stored safely"
        )
    return names[0]


# -- decode -------------------------------------------------------------------
def decode(data: object, where: str) -> object:
    """Decode typed JSON written by :func:`encode`.

    Parameters
    ----------
    data : object
        Parsed JSON, nested at most :data:`MAX_DEPTH` deep (check it with
        :func:`depth` first: decoding recurses).
    where : str
        What the value is, for error messages.

    Returns
    -------
    value : object
        The value :func:`encode` was given.

    Raises
    ------
    ValueError
        Naming ``where``, for data that :func:`encode` would not have written.
    """
    if data is None or type(data) in (bool, int, str, float):
        return data
    if type(data) is list:
        return _decode_each(data, where)
    if type(data) is dict and len(data) == 1:
        ((tag, body),) = data.items()
        if tag in _DECODERS:
            try:
                return _DECODERS[tag](body, where)
            except (TypeError, ValueError, OverflowError, KeyError) as exc:
                raise ValueError(f"{where}: invalid {tag} value: {exc}") from None
    raise ValueError(f"{where}: unsupported value {str(data)[:80]}")


def _decode_each(items: list, where: str) -> list:
    return [decode(v, f"{where}[{i}]") for i, v in enumerate(items)]


def _decode_tuple(body: object, where: str) -> tuple:
    return tuple(_decode_each(expect_list(body), where))


def _decode_float(body: object, where: str) -> float:
    if body not in ("nan", "inf", "-inf"):
        raise ValueError(f"{body!r} is not nan, inf or -inf")
    return float(body)


def _decode_dict(body: object, where: str) -> dict:
    out = {}
    for pair in expect_list(body):
        key, value = expect_list(pair, 2)
        key = decode(key, f"{where} (key)")
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = decode(value, f"{where}[{key!r}]")
    return out


def _decode_scalar(body: object, where: str) -> np.generic:
    dtype, item = expect_list(body, 2)
    return _decode_array([dtype, [], [item]], where, _SCALAR_KINDS)[()]


def _decode_array(body: object, where: str, kinds: str = _ARRAY_KINDS) -> np.ndarray:
    name, shape, items = expect_list(body, 3)
    dtype = _allowed_dtype(name, kinds) if isinstance(name, str) else None
    if dtype is None:
        raise ValueError(f"unsupported dtype {name!r}")
    shape = tuple(expect_list(shape))
    if not all(type(n) is int and n >= 0 for n in shape):
        raise ValueError(f"invalid shape {list(shape)}")
    items = expect_list(items, math.prod(shape))
    if dtype.kind == "O":
        array = np.empty(len(items), dtype=object)
        array[:] = _decode_each(items, where)
        return array.reshape(shape)
    values = [decode(v, where) for v in items]
    if dtype.kind in "Mm":
        return np.array(values, dtype=np.int64).view(dtype).reshape(shape)
    if not all(type(v) in _ITEM_TYPES[dtype.kind] for v in values):
        raise ValueError(f"items that are not of dtype {name}")
    array = np.array(values, dtype=dtype)
    if dtype.kind != "f" and array.tolist() != values:
        raise ValueError(f"items that do not fit dtype {name}")
    return array.reshape(shape)


def _decode_random_state(body: object, where: str) -> np.random.RandomState:
    keys, pos, has_gauss, gauss = expect_list(body, 4)
    keys = expect_list(keys, 624)
    if not all(type(k) is int and 0 <= k < 2**32 for k in keys):
        raise ValueError("keys must be 624 ints in [0, 2**32)")
    if type(pos) is not int or not 0 <= pos <= 624 or has_gauss not in (0, 1):
        raise ValueError(f"invalid position {pos!r} or has_gauss {has_gauss!r}")
    rng = np.random.RandomState()
    state = ("MT19937", np.array(keys, dtype=np.uint32), pos, has_gauss)
    rng.set_state((*state, float(decode(gauss, where))))
    return rng


def _decode_class(body: object, where: str) -> type:
    if body not in CLASSES:
        raise ValueError(f"{body!r} is not one of {sorted(CLASSES)}")
    return CLASSES[body]


_DECODERS = {
    "$tuple": _decode_tuple,
    "$dict": _decode_dict,
    "$float": _decode_float,
    "$np": _decode_scalar,
    "$ndarray": _decode_array,
    "$RandomState": _decode_random_state,
    "$class": _decode_class,
}
