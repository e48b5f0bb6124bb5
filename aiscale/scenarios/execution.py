"""Where an ensemble's chunks run: Dask's embedded local scheduler (worker processes
forked from this one, which end with it whatever ends it) or a Dask distributed cluster.
A chunk that fails is retried without touching the others; if it still fails,
:class:`EnsembleError` says which runs, and carries the chunks that finished. Local
workers can exchange arrays with this process through its shared memory
(:class:`SharedArrays`, :class:`Columns`) instead of pickles sent through pipes."""

from __future__ import annotations

import mmap
import os
import sys
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from .scenario import Scenario

PR_SET_PDEATHSIG = 1  # linux/prctl.h: the signal a process gets when its parent dies
CONNECT_TIMEOUT = "15s"  # to reach a Dask scheduler


class EnsembleError(RuntimeError):
    """A chunk failed after its retries. ``finished`` maps chunk index -> result of
    every chunk that did finish, so nothing finished is lost."""

    def __init__(self, message: str, finished: Mapping[int, Any]):
        super().__init__(message)
        self.finished = dict(finished)


@dataclass(frozen=True)
class Chunk:
    """Members ``first`` .. ``first + size - 1`` of an ensemble, with their draws."""

    index: int
    first: int
    size: int
    draws: Mapping[str, np.ndarray] = field(default_factory=dict)


class Columns(Mapping):
    """Named columns held as the rows of one array (name -> row): a chunk's draws,
    which pickle (to a worker) as one array rather than one per parameter, or, when
    the array is columns ``start:stop`` of ``shared``'s ``"values"``, as that address."""

    def __init__(self, names: Sequence[str], values: np.ndarray, shared: tuple[SharedArrays, int, int] | None = None):
        self.names, self.values, self.shared = tuple(names), values, shared
        self._row = {name: i for i, name in enumerate(self.names)}

    @classmethod
    def read(cls, names: tuple[str, ...], shared: SharedArrays, start: int, stop: int) -> Columns:
        return cls(names, shared.read()["values"][:, start:stop])

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[self._row[name]]

    def __iter__(self):
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def __reduce__(self):
        if self.shared is not None:
            return Columns.read, (self.names, *self.shared)
        return Columns, (self.names, self.values)


class SharedArrays:
    """Arrays of ``rows`` rows each, laid out as ``template`` (nested dicts of arrays;
    their first dimension is replaced), in the shared memory of an anonymous file of
    this process (Linux's memfd). Worker processes on this machine write their chunks'
    rows into them (:meth:`write`), rather than send them back to be unpickled and
    copied here; this process reads them as :attr:`arrays`. Pickles as the file's
    address (process and descriptor), not its contents."""

    def __init__(self, template: Mapping[str, Any], rows: int):
        layout, offset = [], 0
        for path, value in _leaves(template):
            value = np.asarray(value)
            layout.append((path, (rows, *value.shape[1:]), value.dtype.str, offset))
            offset += -(-rows * int(np.prod(value.shape[1:], dtype=int)) * value.dtype.itemsize // 64) * 64
        self.layout, self.size, self.pid = tuple(layout), max(offset, 1), os.getpid()
        self.fd = os.memfd_create("aiscale-ensemble", os.MFD_CLOEXEC)
        os.ftruncate(self.fd, self.size)
        self.arrays = self._views(mmap.mmap(self.fd, self.size))

    @staticmethod
    def available() -> bool:
        return hasattr(os, "memfd_create") and os.path.isdir(f"/proc/{os.getpid()}/fd")

    def _views(self, memory: mmap.mmap) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for path, shape, dtype, offset in self.layout:
            *parents, name = path
            node = out
            for p in parents:
                node = node.setdefault(p, {})
            node[name] = np.frombuffer(memory, dtype=dtype, count=int(np.prod(shape, dtype=int)),
                                       offset=offset).reshape(shape)
        return out

    def write(self, rows: Any, values: Mapping[str, Any]) -> bool:
        """Write ``values`` (laid out as the template) into ``rows``; False (nothing
        written) if they are laid out otherwise or the memory cannot be reached."""
        given = dict(_leaves(values))
        if set(given) != {path for path, *_ in self.layout} or any(
                np.asarray(given[path]).shape[1:] != shape[1:] or np.asarray(given[path]).dtype != np.dtype(dtype)
                for path, shape, dtype, _ in self.layout):
            return False
        try:
            arrays = dict(_leaves(self.read()))
        except OSError:
            return False
        for path, value in given.items():
            arrays[path][rows] = value
        return True

    def read(self) -> dict[str, Any]:
        """The arrays, mapped in another process (unmapped when they are no longer used)."""
        fd = os.open(f"/proc/{self.pid}/fd/{self.fd}", os.O_RDWR)
        try:
            return self._views(mmap.mmap(fd, self.size))
        finally:
            os.close(fd)

    def close(self) -> None:
        """Close the file: the arrays stay readable here, no worker can reach them."""
        os.close(self.fd)

    def __getstate__(self) -> dict[str, Any]:
        return {"layout": self.layout, "size": self.size, "pid": self.pid, "fd": self.fd}


def _leaves(tree: Mapping[str, Any], path: tuple[str, ...] = ()):
    for k, v in tree.items():
        if isinstance(v, Mapping):
            yield from _leaves(v, (*path, k))
        else:
            yield (*path, k), v


# ---------------------------------------------------------------------- executing chunks
class ChunkFailed(RuntimeError):
    """A chunk that still failed after its retries (raised inside the task)."""

    def __init__(self, index: int, message: str):
        super().__init__(index, message)
        self.index, self.message = index, message


def retrying(function: Callable, retries: int, scenario: Scenario, chunk: Chunk, *args: Any) -> Any:
    """``function(scenario, chunk, *args)``, tried up to ``1 + retries`` times (the local
    schedulers have no retries of their own)."""
    for _ in range(retries + 1):
        try:
            return function(scenario, chunk, *args)
        except Exception as err:  # noqa: BLE001 - any failure of a chunk is retried
            last = err
    raise ChunkFailed(chunk.index, f"failed after {retries} retries: {type(last).__name__}: {last}")


def execute(function: Callable, chunks: Sequence[Chunk], args: tuple, *, scheduler: str | None = None,
            workers: int | None = None, retries: int = 2, progress: bool = False,
            total: int | None = None, keep: Callable[[Chunk, Any], Any] | None = None) -> list[Any]:
    """``function(args[0], chunk, *args[1:])`` for every chunk, on Dask: the embedded
    local scheduler by default (worker processes forked from this one, so they start
    at once with the model already built; in-process when there is one worker or one
    chunk), or the distributed cluster at ``scheduler``. Results come back in chunk
    order; each is kept as soon as its chunk finishes, so a failure elsewhere loses
    none of them (:class:`EnsembleError` carries them). ``keep(chunk, result)``, if
    given, runs in this process as each chunk finishes (while the others run) and
    what it returns is kept instead of the result."""
    from tqdm import tqdm

    bar = tqdm(total=total if total is not None else len(chunks), unit="run", disable=not progress,
               file=sys.stderr, desc="ensemble", leave=False)
    results: dict[int, Any] = {}

    def done(chunk: Chunk, result: Any) -> None:
        results[chunk.index] = keep(chunk, result) if keep else result
        bar.update(chunk.size if total is not None else 1)

    try:
        if scheduler:
            _run_distributed(function, chunks, args, scheduler, retries, done, results)
        else:
            _run_local(function, chunks, args, workers, retries, done, results)
    finally:
        bar.close()
    return [results[c.index] for c in chunks]


def _failed(chunk: Chunk, message: str, results: Mapping[int, Any]) -> EnsembleError:
    return EnsembleError(f"chunk {chunk.index} (runs {chunk.first}-{chunk.first + chunk.size - 1}) {message}; "
                         f"{len(results)} finished chunk(s) kept", results)


def _run_local(function, chunks, args, workers, retries, done, results) -> None:
    import multiprocessing

    import dask
    from dask.callbacks import Callback

    workers = workers or os.cpu_count() or 1
    keys = {f"aiscale-chunk-{c.index}": c for c in chunks}
    # each task's arguments bound into it, so that Dask does not walk every chunk's draws
    # looking for collections in them (a few ms a chunk)
    tasks = [dask.delayed(partial(retrying, function, retries, args[0], c, *args[1:]))(dask_key_name=k)
             for k, c in keys.items()]

    class Collect(Callback):
        def _posttask(self, key, result, dsk, state, worker_id):  # runs in this process
            if key in keys:
                done(keys[key], result)

    parallel = workers > 1 and len(chunks) > 1
    try:
        with Collect():
            if not parallel:
                dask.compute(*tasks, scheduler="synchronous")
                return
            context = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            pool = multiprocessing.get_context(context).Pool(workers, initializer=worker_started,
                                                             initargs=(os.getpid(),))
            try:
                # chunksize=1: one chunk per submission (dask's default for processes batches
                # six ready tasks into one submission, which runs them all on one worker)
                dask.compute(*tasks, scheduler="processes", num_workers=workers, pool=pool, chunksize=1)
                pool.close()
            except BaseException:  # a failure, Ctrl-C or SIGTERM: stop the workers now
                pool.terminate()
                raise
            finally:
                pool.join()
    except ChunkFailed as err:
        failed = next(c for c in chunks if c.index == err.index)
        raise _failed(failed, err.message, results) from None


def worker_started(parent: int) -> None:
    """Run in each local worker process as it starts: it ends with its parent, whatever
    ends the parent (SIGKILL included: Linux's PR_SET_PDEATHSIG, elsewhere a thread that
    watches the parent), and leaves Ctrl-C and SIGTERM to the parent, which stops it."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    watched = False
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            watched = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            watched = False
    if os.getppid() != parent:  # the parent died before the watch began
        os._exit(1)
    if not watched:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="aiscale-parent-watch").start()


def _watch_parent(parent: int, every: float = 0.5) -> None:
    import time

    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


def _run_distributed(function, chunks, args, scheduler, retries, done, results) -> None:
    from dask.distributed import Client, as_completed

    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT)
    except OSError as err:
        raise OSError(f"cannot reach the Dask scheduler at {scheduler} ({err})") from None
    token = uuid.uuid4().hex[:8]
    try:
        futures = {client.submit(function, args[0], chunk, *args[1:], retries=retries, pure=False,
                                 key=f"aiscale-chunk-{token}-{chunk.index}"): chunk for chunk in chunks}
        for future in as_completed(futures):
            chunk = futures[future]
            if future.status != "finished":
                error = future.exception()
                for other in futures:
                    other.cancel()
                raise _failed(chunk, f"failed after {retries} retries: {type(error).__name__}: {error}", results)
            done(chunk, future.result())
            future.release()
    finally:
        client.close()
