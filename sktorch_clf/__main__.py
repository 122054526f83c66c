"""``python -m sktorch_clf``: the ``sktorch-clf`` command line."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
