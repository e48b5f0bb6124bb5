"""The ``aiscale`` command line: a thin layer over the Python API."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aiscale",
        description="A system-dynamics model of AI scaling: chips, power, data, algorithms, "
                    "money and AI-accelerated research.",
        epilog="Run 'aiscale VERB --help' for the options and examples of each verb.",
    )
    parser.add_argument("--version", action="version", version=f"aiscale {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    parser.add_subparsers(dest="verb", metavar="VERB")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verb is None:
        parser.print_help()
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
