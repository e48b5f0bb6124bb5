"""The playground's exact runs, in a process of their own.

An exact run (adaptive RK45) takes 0.5-1 s, a preview (RK4) 0.1-0.2 s. In the server's
process a slider released during an exact run would wait for it (the runs hold the
GIL); in a worker process the two run side by side on two cores. The worker is
spawned (it shares nothing with the server but its arguments), builds its own
:class:`.session.Playground` for the same starting scenario, and answers with what
``Playground.run(settings, exact=True)`` gives there: the same code, the same numbers.
A queued exact run that a newer one replaces is dropped before it starts.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from functools import lru_cache
from typing import Any

from .session import Playground, Settings


@lru_cache(maxsize=1)
def _playground(scenario: str) -> Playground:
    """The worker process's own playground (built once, when the worker starts)."""
    import warnings

    warnings.simplefilter("ignore", RuntimeWarning)  # blow-ups, as the command line hides them
    return Playground(scenario)


def _start(scenario: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which then stops this
    _playground(scenario)


def _exact(scenario: str, settings: Settings) -> dict[str, Any]:
    return _playground(scenario).run(settings, exact=True)


def _csv(scenario: str, settings: Settings) -> str:
    return _playground(scenario).csv(settings)


class Stale(RuntimeError):
    """A newer exact run replaced this one before it started."""


class ExactWorker:
    """One worker process for the exact runs of a playground started from ``scenario``."""

    def __init__(self, scenario: str):
        self.scenario = scenario
        self.pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=_start,
                                        initargs=(scenario,))
        # Spawn it now (importing aiscale and building the model take a second or two), with
        # SIGINT ignored from its first instruction: Ctrl-C reaches the whole process group.
        try:
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        except ValueError:  # not the main thread: leave the handler alone
            previous = None
        try:
            self.pool.submit(int)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        self.lock = threading.Lock()
        self.pending: Future | None = None

    def run(self, settings: Settings) -> dict[str, Any]:
        """``Playground.run(settings, exact=True)`` in the worker; raises :class:`Stale`
        if a newer run replaced this one while it waited."""
        with self.lock:
            if self.pending is not None:
                self.pending.cancel()  # only if it has not started
            future = self.pending = self.pool.submit(_exact, self.scenario, settings)
        try:
            return future.result()
        except CancelledError:
            raise Stale("replaced by a newer run") from None

    def csv(self, settings: Settings) -> str:
        return self.pool.submit(_csv, self.scenario, settings).result()

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


__all__ = ["ExactWorker", "Stale"]
