"""The entry point: parse the arguments, run the command, and turn bad input
into one line on stderr with exit code 2."""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator

from ._errors import InputError, one_line
from ._output import Console
from ._parser import parse

EXIT_OK, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 2, 130


def main(argv: list[str] | None = None) -> int:
    """Run ``sktorch-clf`` with ``argv`` (default: ``sys.argv[1:]``).

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after the program's name.

    Returns
    -------
    status : int
        0 on success, 2 for bad input (a one-line message on stderr), 130
        when interrupted. ``--help``, ``--version`` and argument errors exit
        through ``SystemExit`` as argparse does (0 and 2).
    """
    args = parse(argv)
    console = Console(json_mode=args.json)
    try:
        with _warnings_as_notes(console):
            return _command(args.command)(args, console)
    except InputError as exc:
        return _fail(args.command, str(exc))
    except KeyboardInterrupt:
        print(f"sktorch-clf {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # stdout closed early (e.g. piped into head): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _command(name: str):
    from ._apply import run_evaluate, run_predict
    from ._demo import run_demo
    from ._train import run

    return {
        "train": run,
        "predict": run_predict,
        "evaluate": run_evaluate,
        "demo": run_demo,
    }[name]


def _fail(command: str, message: str) -> int:
    print(f"sktorch-clf {command}: error: {one_line(message)}", file=sys.stderr)
    return EXIT_BAD_INPUT


@contextlib.contextmanager
def _warnings_as_notes(console: Console) -> Iterator[None]:
    """Warnings become one-line notes on stderr (each message once)."""

    def show(message, category, filename, lineno, file=None, line=None):
        console.note(f"{category.__name__}: {one_line(message)}")

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = show
        yield
