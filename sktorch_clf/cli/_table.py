"""Reading and writing the tables the command line works on (CSV, Parquet)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ._errors import InputError

PARQUET = (".parquet", ".pq")


def is_parquet(path: Path) -> bool:
    return path.name.lower().endswith(PARQUET)


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (``.tsv``: tab-separated) or Parquet file into a frame.

    Parameters
    ----------
    path : str or Path
        The file; its name decides the format (``.parquet`` / ``.pq``:
        Parquet, ``.tsv``: tab-separated, anything else: CSV, compressed ones
        included).

    Returns
    -------
    frame : DataFrame
        At least one row and one column, column names as strings.

    Raises
    ------
    InputError
        A missing, unreadable or empty file, or repeated column names.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path} is a directory, not a data file")
    frame = _read(path)
    if frame.shape[1] == 0 or len(frame) == 0:
        raise InputError(f"{path} has no data rows")
    frame.columns = [str(c) for c in frame.columns]
    repeated = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if repeated:
        raise InputError(f"{path} has repeated column names: {', '.join(repeated)}")
    return frame


def _read(path: Path) -> pd.DataFrame:
    try:
        if is_parquet(path):
            return pd.read_parquet(path)
        sep = "\t" if path.name.lower().endswith((".tsv", ".tsv.gz")) else ","
        return pd.read_csv(path, sep=sep)
    except ImportError as exc:
        raise InputError(
            f"reading Parquet files needs pyarrow: pip install 'sktorch-clf[cli]'"
            f" ({path})"
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise InputError(f"{path} is empty") from exc
    except Exception as exc:  # every reader error is about the file
        raise InputError(f"cannot read {path}: {first_line(exc)}") from exc


def write_table(frame: pd.DataFrame, path: str | Path) -> None:
    """Write ``frame`` as Parquet (by the name) or CSV, without the index."""
    path = Path(path)
    try:
        if is_parquet(path):
            frame.to_parquet(path, index=False)
        else:
            frame.to_csv(path, index=False)
    except ImportError as exc:
        raise InputError(
            "writing Parquet files needs pyarrow: pip install 'sktorch-clf[cli]'"
        ) from exc
    except OSError as exc:
        raise InputError(f"cannot write {path}: {first_line(exc)}") from exc


def first_line(exc: BaseException, limit: int = 200) -> str:
    """An exception's message, first line only and at most ``limit`` characters."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
