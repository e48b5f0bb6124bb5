"""Writing outputs so that a failure or a kill never leaves half of them.

:func:`atomic_write` writes one file to a temporary name beside it and renames it into
place; :func:`atomic_directory` builds a whole set of files in a temporary folder and
swaps it into place (Linux ``renameat2(RENAME_EXCHANGE)``: readers see the old set or
the new one, never a mix). Temporaries are named ``.<name>.<host>-<pid>.<random>.tmp``:
an exception or SIGTERM removes them at once, and one that a SIGKILL left behind is
removed by the next write to the same path (its writer's pid no longer runs).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:24] or "host"


def _prefix(path: Path) -> str:
    return f".{path.name}.{_host()}-{os.getpid()}."


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(path: str | os.PathLike) -> list[Path]:
    """Remove the temporaries that killed writers of ``path`` left beside it (this
    host's, whose process is gone); return what was removed."""
    path = Path(path)
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.{re.escape(_host())}-(\d+)\.[^/]*\.tmp$")
    try:
        entries = list(path.parent.iterdir())
    except OSError:
        return []
    removed = []
    for entry in entries:
        match = pattern.match(entry.name)
        if match and not _alive(int(match.group(1))):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _make_parents(directory: Path) -> list[Path]:
    """``mkdir -p``; the directories it created, outermost first."""
    missing = [d for d in (directory, *directory.parents) if not d.exists()][::-1]
    directory.mkdir(parents=True, exist_ok=True)
    return missing


def _remove_empty(created: list[Path]) -> None:
    for d in reversed(created):
        with contextlib.suppress(OSError):
            d.rmdir()


def atomic_write(path: str | os.PathLike, write: Callable[[str], Any]) -> None:
    """Call ``write(tmp_path)`` then rename into place: a failed write leaves no file
    (and no directory it had to create)."""
    path = Path(path)
    created = _make_parents(path.parent)
    remove_stale(path)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=_prefix(path), suffix=".tmp", dir=path.parent)
        os.close(fd)
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file ordinary permissions
        os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        _remove_empty(created)
        raise


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False where that is not available."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike) -> Iterator[Path]:
    """Build a set of files in the yielded temporary folder; on success it replaces
    ``path`` as a whole (an existing ``path`` must be a directory, and all of it is
    replaced). On failure nothing changes."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"{path} is a file, not a directory")
    created = _make_parents(path.parent)
    remove_stale(path)
    tmp = None
    try:
        tmp = Path(tempfile.mkdtemp(prefix=_prefix(path), suffix=".tmp", dir=path.parent))
        os.chmod(tmp, 0o777 & ~_umask())
        yield tmp
        if not path.exists():
            os.rename(tmp, path)
            tmp = None
        elif _exchange(tmp, path):
            shutil.rmtree(tmp)  # now the previous set
            tmp = None
        else:  # no atomic swap here: the old set is moved aside first (removed at the next start if killed)
            old = Path(tempfile.mkdtemp(prefix=_prefix(path), suffix=".tmp", dir=path.parent))
            os.rename(path, old / "previous")
            os.rename(tmp, path)
            tmp = None
            shutil.rmtree(old)
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        _remove_empty(created)
        raise
