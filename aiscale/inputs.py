"""Checking what a user typed before any work starts: numbers and output paths.

Every number the command line reads goes through one of the argparse types here, so
NaN, infinity and out-of-range values are refused with one line naming the option
(exit code 2), and every output path is checked for writability before the work
starts (so a mistake costs nothing and leaves nothing behind).
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

# The model is initialised in 2012 and calibrated to 2012-2025; a horizon of
# centuries is meaningless and would only allocate huge output grids.
FIRST_YEAR = 1900.0
LAST_YEAR = 2300.0


def finite_float(text: str) -> float:
    """A real number; NaN and infinities are refused."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, not {text!r}")
    return value


def year(text: str) -> float:
    """A calendar year between :data:`FIRST_YEAR` and :data:`LAST_YEAR`."""
    value = finite_float(text)
    if not FIRST_YEAR <= value <= LAST_YEAR:
        raise argparse.ArgumentTypeError(f"must be a year between {FIRST_YEAR:g} and {LAST_YEAR:g}, not {text}")
    return value


def whole_year(text: str) -> int:
    """A calendar year as a whole number (e.g. a backtest's last year of data)."""
    value = year(text)
    if value != int(value):
        raise argparse.ArgumentTypeError(f"must be a whole year, not {text}")
    return int(value)


def positive_float(text: str) -> float:
    """A finite number > 0 (a time step)."""
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text}")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def at_least(low: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= ``low``."""
    def check(text: str) -> int:
        value = _integer(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {low}, not {text}")
        return value
    check.__name__ = f"integer >= {low}"
    return check


count = at_least(1)          # members, workers, chunk sizes, walkers ...
non_negative = at_least(0)   # seeds, steps, screening points


# ---------------------------------------------------------------------- output paths
class OutputPathError(ValueError):
    """An output path that cannot be written; the message names it."""


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(".")


def _probe(directory: Path, shown: Path) -> None:
    """Create and remove a file in ``directory`` (permissions alone do not tell: root,
    read-only mounts, /proc)."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".aiscale-probe-", dir=directory)
    except OSError as err:
        raise OutputPathError(f"cannot write {shown}: {err.strerror or err} in {directory}") from None
    os.close(fd)
    os.unlink(probe)


def check_output_file(path: str | os.PathLike, what: str = "output file") -> Path:
    """``path`` can be created or replaced as a file: it is not a directory and the
    nearest existing folder above it is a writable directory. Nothing is created."""
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(f"{what} {path} is a directory; give a file name")
    if path.name in ("", ".", ".."):
        raise OutputPathError(f"{what} {path}: give a file name")
    base = _nearest_existing(path.parent)
    if not base.is_dir():
        raise OutputPathError(f"cannot write {path}: {base} is not a directory")
    _probe(base, path)
    return path


def check_output_dir(path: str | os.PathLike, what: str = "output directory") -> Path:
    """``path`` is, or can be created as, a writable directory. Nothing is created."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputPathError(f"{what} {path} is a file, not a directory")
    base = _nearest_existing(path)
    if not base.is_dir():
        raise OutputPathError(f"cannot write into {path}: {base} is not a directory")
    _probe(base, path)
    return path


# ---------------------------------------------------------------------- scenarios and --set
def assignment(text: str) -> tuple[str, float]:
    """``NAME=VALUE``: a parameter and a finite number (``--set``)."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE (a parameter and a number), not {text!r}")
    try:
        return name, finite_float(value.strip())
    except argparse.ArgumentTypeError as err:
        raise argparse.ArgumentTypeError(f"{name}: {err}") from None


def add_scenario_arguments(parser: argparse.ArgumentParser, many: str | None = None) -> None:
    """The same way to name a scenario on every verb that runs the model: positional
    (one, or several with ``many="*"``/``"+"``), a built-in name or a .toml file, and
    ``--set NAME=VALUE`` (repeatable) on top of it."""
    what = "built-in names (see 'aiscale scenarios') or .toml files; ./NAME for a file or folder named like one"
    if many:
        parser.add_argument("scenarios", nargs=many, metavar="SCENARIO",
                            help=f"{what} (default: baseline)" if many == "*" else what)
    else:
        parser.add_argument("scenario", nargs="?", metavar="SCENARIO",
                            help="a built-in name (see 'aiscale scenarios') or a .toml file (default: baseline)")
    parser.add_argument("--set", dest="overrides", action="append", type=assignment, default=[],
                        metavar="NAME=VALUE",
                        help="set a parameter for this command (repeatable), on top of the scenario, "
                             "e.g. --set fab_construction_years=4")
