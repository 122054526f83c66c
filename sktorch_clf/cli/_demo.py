"""``sktorch-clf demo``: ``train --cv K`` on the Palmer penguins data that
ships with the package (species from measurements, island and sex)."""

from __future__ import annotations

import argparse
from importlib import resources

from . import _train
from ._output import Console

DATA = "penguins.csv"
TARGET = "species"


def run_demo(args, console: Console) -> int:
    """Train on the bundled data and say where the model went and what to
    run next."""
    with resources.as_file(resources.files("sktorch_clf") / "data" / DATA) as path:
        train_args = argparse.Namespace(
            **vars(args),
            data=str(path),
            target=TARGET,
            model="auto",
            threshold=None,
            drop=[],
            categorical=[],
        )
        status = _train.run(train_args, console)
    console.say(
        "\nnext:\n"
        f"  sktorch-clf evaluate {args.out} {path}\n"
        f"  sktorch-clf predict {args.out} {path} --proba --out predictions.csv"
    )
    return status
