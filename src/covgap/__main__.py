"""``python -m covgap`` and the ``covgap`` console script."""

from __future__ import annotations

import sys

from covgap.cli import main


def entry_point() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
