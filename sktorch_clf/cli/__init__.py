"""The ``sktorch-clf`` command line: ``train``, ``predict``, ``evaluate`` and
``demo`` on CSV or Parquet tables (see ``docs/cli.md``)."""

from ._main import main

__all__ = ["main"]
