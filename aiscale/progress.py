"""Progress bars for the command line: tqdm on stderr, shown on a terminal unless
``--quiet`` (never in pipes or logs, where they would only add noise).

    with stages(enabled, "run", ["build model", "simulate", "write"]) as stage:
        stage("build model"); ...
        stage("simulate"); ...
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


def enabled(quiet: bool) -> bool:
    """Show progress: not ``--quiet`` and stderr is a terminal."""
    return not quiet and sys.stderr.isatty()


def bar(total: int | None, desc: str, show: bool, unit: str = "step", **kwargs: Any):
    """A tqdm bar on stderr, cleared when it closes."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not show, file=sys.stderr, leave=False,
                dynamic_ncols=True, **kwargs)


def each(items: Iterable[T], desc: str, show: bool, total: int | None = None, unit: str = "item") -> Iterator[T]:
    """Iterate over ``items`` with a bar."""
    items = list(items) if total is None else items
    with bar(total if total is not None else len(items), desc, show, unit) as b:  # type: ignore[arg-type]
        for item in items:
            b.set_postfix_str(str(item)[:40], refresh=False)
            yield item
            b.update(1)


@contextmanager
def stages(show: bool, desc: str, names: Sequence[str]) -> Iterator[Callable[[str], None]]:
    """A bar over the named stages of a command: call ``stage(name)`` as each begins
    (the previous one counts as done)."""
    b = bar(len(names), desc, show, bar_format="{desc} |{bar:20}| {n_fmt}/{total_fmt} [{elapsed}]")
    begun = False

    def stage(name: str) -> None:
        nonlocal begun
        if begun:
            b.update(1)
        begun = True
        b.set_description_str(f"{desc}: {name}")

    try:
        yield stage
    finally:
        b.close()
