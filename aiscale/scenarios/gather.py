"""An ensemble's results gathered as its chunks finish: written into arrays for all
members (by this process, or by local workers into its shared memory), never
concatenated at the end; and the rows of later rounds of draws taken once."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .execution import Chunk, SharedArrays


def shared_memory(template: Mapping[str, Any], rows: int) -> SharedArrays | None:
    """Shared memory laid out as ``template``, or None where the system refuses it."""
    try:
        return SharedArrays(template, rows)
    except OSError:
        return None


def into_shared(runner: Callable, shared: SharedArrays, first_run: int, scenario: Any, chunk: Chunk,
                settings: Any) -> dict[str, Any]:
    """``runner``'s results of ``chunk``, written into ``shared``: only which draws could
    start is sent back (or the results, if they cannot be written there)."""
    result = runner(scenario, chunk, settings)
    rows = _member_rows(chunk, first_run, result.get("start"))
    if shared.write(rows, {k: v for k, v in result.items() if k not in ("start", "times")}):
        return {"start": result.get("start"), "shared": True}
    return result


def _chunk_rows(chunk: Chunk, first_run: int) -> slice:
    """The rows of ``chunk``'s draws among results for runs from ``first_run``."""
    return slice(chunk.first - first_run, chunk.first - first_run + chunk.size)


def _member_rows(chunk: Chunk, first_run: int, culprits: np.ndarray | None) -> slice | np.ndarray:
    """The rows of the members of ``chunk`` that were run (all but those inconsistent
    with the start) among results for runs from ``first_run``."""
    rows = _chunk_rows(chunk, first_run)
    return rows if culprits is None or (culprits == "").all() else rows.start + np.flatnonzero(culprits == "")


class Gathered:
    """The results of ``n`` members, written into arrays for all of them as each chunk
    finishes (while the others run; or by the workers themselves, into ``out``), not
    concatenated at the end: no second copy of the results is held, and nothing is
    left to do when the last chunk is in."""

    def __init__(self, n: int, first_run: int = 0, out: dict[str, Any] | None = None):
        self.n, self.first_run, self.out = n, first_run, out
        self.start: np.ndarray | None = None

    def put(self, chunk: Chunk, result: Mapping[str, Any]) -> Any:
        """Keep ``chunk``'s ``result``; what is kept of it (views of its rows, or the
        result itself when some of its draws were not run)."""
        rows = _chunk_rows(chunk, self.first_run)
        culprits = result.get("start")
        if culprits is not None:
            if self.start is None:
                self.start = np.full(self.n, "", dtype=object)
            self.start[rows] = culprits
        at = _member_rows(chunk, self.first_run, culprits)
        whole = isinstance(at, slice)
        if not result.get("shared"):
            result = {k: v for k, v in result.items() if k != "start"}
            if self.out is None:
                self.out = members(result, lambda v: np.empty((self.n, *v.shape[1:]), dtype=v.dtype))
            members(self.out, lambda mine, theirs: mine.__setitem__(at, theirs), result)
        return members(self.out, lambda v: v[rows]) if whole else result

    def result(self) -> dict[str, Any]:
        assert self.out is not None, "no chunk finished"
        return {**self.out, "start": self.start} if self.start is not None else self.out


def members(tree: Mapping[str, Any], fn: Callable[..., Any], *others: Mapping[str, Any], top: bool = True
            ) -> dict[str, Any]:
    """A result (nested dicts of arrays, one row per member) with ``fn(array, *the same
    array in others)`` for each array (the series' ``times`` passed through)."""
    return {k: members(v, fn, *(o[k] for o in others), top=False) if isinstance(v, Mapping)
            else v if top and k == "times" else fn(v, *(o[k] for o in others)) for k, v in tree.items()}


def take(parts: Sequence[tuple[Mapping[str, Any], np.ndarray | None]]) -> dict[str, Any]:
    """The members ``rows`` (indices; None: all) of each result of ``parts``, in
    order, copied once (one result taken whole is itself)."""
    if len(parts) == 1 and parts[0][1] is None:
        return dict(parts[0][0])
    rows = [r for _, r in parts]

    def stack(*arrays: np.ndarray) -> np.ndarray:
        sizes = [len(a) if r is None else len(r) for a, r in zip(arrays, rows)]
        out = np.empty((sum(sizes), *arrays[0].shape[1:]), dtype=arrays[0].dtype)
        for a, r, start, size in zip(arrays, rows, np.cumsum([0, *sizes]), sizes):
            if r is None:
                out[start:start + size] = a
            else:  # (mode "clip": no intermediate copy; the rows are valid)
                np.take(a, r, axis=0, out=out[start:start + size], mode="clip")
        return out

    return members(parts[0][0], stack, *(p for p, _ in parts[1:]))
