"""The command line's arguments: one sub-command each for ``train``,
``predict``, ``evaluate`` and ``demo``, each with an example in its help."""

from __future__ import annotations

import argparse
import sys

PROG = "sktorch-clf"
DEMO_OUT = "sktorch-clf-demo-model"

MAIN_EXAMPLE = """\
examples:
  sktorch-clf demo
  sktorch-clf train data.csv --target label --out my-model
  sktorch-clf evaluate my-model test.csv --target label --plot eval.png
  sktorch-clf predict my-model new.csv --out predictions.csv

Run 'sktorch-clf COMMAND --help' for a command's options.
"""
TRAIN_EXAMPLE = """\
examples:
  sktorch-clf train customers.csv --target churned --drop customer_id
  sktorch-clf train penguins.parquet --target species --cv 10 --out penguin-model
  sktorch-clf train data.csv --target label --cv 0 --max-epochs 50 --json
"""
PREDICT_EXAMPLE = """\
examples:
  sktorch-clf predict penguin-model new.csv --out predictions.csv --id row_id
  sktorch-clf predict churn-model new.parquet --proba --threshold 0.3 --json
"""
EVALUATE_EXAMPLE = """\
examples:
  sktorch-clf evaluate penguin-model test.csv --target species
  sktorch-clf evaluate churn-model test.csv --target churned --plot eval.png
"""
DEMO_EXAMPLE = """\
examples:
  sktorch-clf demo
  sktorch-clf demo --out /tmp/penguins --max-epochs 20 --json
"""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr (exit code 2)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number(kind, low=None, high=None, also=()):
    """An argparse type: a ``kind`` number in ``[low, high]`` or in ``also``."""

    def convert(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {'an integer' if kind is int else 'a number'}, got {text!r}"
            ) from None
        ok = (low is None or value >= low) and (high is None or value <= high)
        if not ok and value not in also:
            extra = f" or {', '.join(map(str, also))}" if also else ""
            bounds = f"in [{low}, {high}]" if high is not None else f">= {low}"
            raise argparse.ArgumentTypeError(f"must be {bounds}{extra}, got {text}")
        return value

    convert.__name__ = kind.__name__
    return convert


def _common(parser: argparse.ArgumentParser, *, training: bool) -> None:
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document on stdout and nothing else there",
    )
    parser.add_argument(
        "--device",
        default="cpu",
        help="where the network runs: cpu, cuda, cuda:1, mps or auto "
        "(default: %(default)s)",
    )
    if training:
        parser.add_argument(
            "--max-epochs",
            type=_number(int, 1),
            metavar="N",
            help="training epochs at most (default: the estimator's)",
        )
        parser.add_argument(
            "--random-state",
            type=_number(int, 0, 2**32 - 1),
            default=0,
            metavar="S",
            help="seed of the folds and the networks (default: %(default)s)",
        )
        parser.add_argument(
            "--cv",
            type=_number(int, 2, also=(0,)),
            default=5,
            metavar="K",
            help="stratified K-fold cross-validation before the final fit; "
            "0 skips it (default: %(default)s)",
        )
        parser.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            help="report each epoch's training loss on stderr",
        )


def _threshold(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--threshold",
        type=_number(float, 0.0, 1.0),
        metavar="T",
        help=f"binary models: predict the second class where its probability "
        f"is >= T ({what})",
    )


def _add(sub, name: str, summary: str, example: str) -> argparse.ArgumentParser:
    return sub.add_parser(
        name,
        help=summary,
        description=summary,
        epilog=example,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser() -> Parser:
    """The parser of ``sktorch-clf`` and its four commands."""
    parser = Parser(
        prog=PROG,
        description="Train, evaluate and apply PyTorch classifiers on a CSV or "
        "Parquet table.",
        epilog=MAIN_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from .. import __version__

    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _train(
        _add(sub, "train", "Cross-validate a classifier and save it.", TRAIN_EXAMPLE)
    )
    _predict(_add(sub, "predict", "Predict the labels of a table.", PREDICT_EXAMPLE))
    _evaluate(
        _add(sub, "evaluate", "Score a model on a labelled table.", EVALUATE_EXAMPLE)
    )
    _demo(_add(sub, "demo", "Train on the bundled penguins data.", DEMO_EXAMPLE))
    return parser


def _train(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", metavar="DATA", help="CSV or Parquet file (.parquet, .pq)")
    p.add_argument("--target", required=True, metavar="COL", help="the label column")
    p.add_argument(
        "--model",
        choices=("auto", "binary", "multiclass"),
        default="auto",
        help="the classifier; auto: binary for two classes (default: %(default)s)",
    )
    p.add_argument(
        "--out",
        default="sktorch-clf-model",
        metavar="MODEL_DIR",
        help="directory to write the model to (default: %(default)s)",
    )
    _threshold(p, "stored in the model; default: the estimator's")
    for flag, what in (
        ("--drop", "columns to leave out (identifiers, leaks)"),
        ("--categorical", "columns to treat as categories even if numeric"),
    ):
        p.add_argument(
            flag, nargs="+", action="extend", default=[], metavar="COL", help=what
        )
    _common(p, training=True)


def _predict(p: argparse.ArgumentParser) -> None:
    p.add_argument("model_dir", metavar="MODEL_DIR", help="written by train")
    p.add_argument("data", metavar="DATA", help="CSV or Parquet file")
    p.add_argument(
        "--out",
        metavar="PREDS",
        help="CSV or Parquet file for the predictions (default: CSV on stdout)",
    )
    p.add_argument(
        "--proba", action="store_true", help="add one probability column per class"
    )
    p.add_argument(
        "--id", metavar="COL", help="a column to copy next to each prediction"
    )
    _threshold(p, "default: the model's")
    _common(p, training=False)


def _evaluate(p: argparse.ArgumentParser) -> None:
    p.add_argument("model_dir", metavar="MODEL_DIR", help="written by train")
    p.add_argument("data", metavar="DATA", help="CSV or Parquet file with labels")
    p.add_argument(
        "--target", metavar="COL", help="the label column (default: the training one)"
    )
    p.add_argument(
        "--plot",
        metavar="FILE",
        help="draw the confusion matrix (and for binary models the ROC and "
        "precision-recall curves) into FILE, e.g. eval.png",
    )
    _threshold(p, "default: the model's")
    _common(p, training=False)


def _demo(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out",
        default=DEMO_OUT,
        metavar="MODEL_DIR",
        help="directory to write the model to (default: %(default)s)",
    )
    _common(p, training=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The arguments of ``argv`` (default: ``sys.argv[1:]``)."""
    return build_parser().parse_args(sys.argv[1:] if argv is None else argv)
