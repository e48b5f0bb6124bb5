"""Faults: `aiscale run` and `aiscale ensemble` killed at random moments (SIGTERM and
SIGKILL) leave no orphaned worker process, no half-written output under its final
name, and no temporary file once the next write to the same path has started (a
SIGTERM removes them at once; a SIGKILL cannot, so the next writer does)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from aiscale.stocks_flows.files import atomic_directory, atomic_write, remove_stale

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="signals and /proc: Linux")


def start(args: list[str], cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "aiscale.cli", *args], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def kill_at(proc: subprocess.Popen, delay: float, signum: int, after_workers: bool = False) -> set[int]:
    """Send ``signum`` ``delay`` seconds after the start (or, with ``after_workers``,
    after its worker processes appeared); return every descendant seen meanwhile."""
    seen: set[int] = set()
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + delay
    while proc.poll() is None and (time.monotonic() < deadline or (after_workers and not seen)):
        try:
            children = {c.pid for c in parent.children(recursive=True)}
        except psutil.NoSuchProcess:
            break
        if after_workers and children and not seen:
            deadline = time.monotonic() + delay
        seen |= children
        time.sleep(0.02)
    if proc.poll() is None:
        proc.send_signal(signum)
    proc.wait(timeout=60)
    return seen


def assert_no_orphans(pids: set[int]) -> None:
    deadline = time.monotonic() + 10
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = {pid for pid in alive if psutil.pid_exists(pid)
                 and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE}
        time.sleep(0.1)
    assert not alive, f"worker processes outlived their parent: {sorted(alive)}"


def temporaries(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(".") and ".tmp" in p.name]


def timed(args: list[str], cwd: Path) -> float:
    began = time.monotonic()
    subprocess.run([sys.executable, "-m", "aiscale.cli", *args, "--quiet"], cwd=cwd, check=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    return time.monotonic() - began


def test_killed_runs_and_ensembles_leave_no_orphans_and_no_stray_files(tmp_path):
    rng = random.Random(20240615)
    out, nc = tmp_path / "run", tmp_path / "ens" / "e.nc"
    commands = {"run": ["run", "--until", "2024", "--out", str(out), "--plot"],
                "ensemble": ["ensemble", "-n", "800", "--chunk-size", "200", "--workers", "2", "--until", "2020",
                             "--out", str(nc)]}
    # the previous outputs, which a killed command must leave whole (or replace whole),
    # and how long each command takes, so that the kills land anywhere in it
    duration = {verb: timed(args, tmp_path) for verb, args in commands.items()}
    commands["run"][2] = "2026"  # a new set differs from the previous one (a mix would show)
    trials = [("run", signal.SIGTERM), ("run", signal.SIGKILL), ("run", signal.SIGTERM),
              ("ensemble", signal.SIGTERM), ("ensemble", signal.SIGKILL), ("ensemble", signal.SIGKILL)]
    outcomes = []
    for verb, signum in trials:
        # a run is killed anywhere in it; an ensemble once its workers run (or before)
        for attempt in range(3):  # a kill that came after the end does not count: sooner
            if verb == "run":
                delay, after = rng.uniform(0.1, 0.9) * duration[verb] / 2 ** attempt, False
            else:
                delay, after = rng.uniform(0.0, 1.0) / 2 ** attempt, signum == signal.SIGKILL or rng.random() < 0.5
            proc = start(commands[verb], tmp_path)
            workers = kill_at(proc, delay, signum, after)
            check_after_kill(proc, signum, workers, out, nc, tmp_path)
            if proc.returncode != 0:
                break
        outcomes.append((verb, signum.name, round(delay, 2), proc.returncode, len(workers)))
    killed = [o for o in outcomes if o[3] not in (0, -signal.SIGTERM)]
    assert len(killed) >= 4, outcomes  # most kills landed mid-work
    assert any(o[0] == "ensemble" and o[1] == "SIGKILL" and o[3] == -signal.SIGKILL and o[4] >= 2
               for o in outcomes), outcomes  # an ensemble killed outright with its workers running


def check_after_kill(proc, signum, workers, out, nc, root) -> None:
    assert_no_orphans(workers)
    if signum == signal.SIGTERM:
        # 143: caught, the work unwound; -15: before or after the work (imports, printing)
        assert proc.returncode in (0, 128 + signal.SIGTERM, -signal.SIGTERM), proc.stderr.read()
        assert not temporaries(root), temporaries(root)  # removed on the way out
    remove_stale(out)  # what the next write to the same path does first
    remove_stale(nc)
    assert not temporaries(root), temporaries(root)
    # each output is the previous version or the new one, never a mix
    meta = json.loads((out / "metadata.json").read_text())
    frame = pd.read_csv(out / "timeseries.csv", index_col="time")
    assert frame.index[-1] == meta["metadata"]["stop"] in (2024, 2026)
    assert {p.name for p in out.iterdir()} == {"timeseries.csv", "timeseries.parquet", "variables.csv",
                                               "metadata.json", "trajectory.png", "trajectory.svg",
                                               "binding_constraints.png", "binding_constraints.svg"}
    import xarray as xr

    with xr.open_dataset(nc, engine="h5netcdf") as ds:
        assert ds.sizes["run"] == 800


def test_sigterm_removes_temporaries_at_once_and_sigkill_leftovers_go_at_the_next_write(tmp_path):
    target = tmp_path / "x.csv"
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, lambda p: (Path(p).write_text("half"), (_ for _ in ()).throw(KeyboardInterrupt)))
    assert list(tmp_path.iterdir()) == []
    # a writer killed by SIGKILL: its temporary (named with its host and pid) stays behind
    code = ("import sys, os; sys.path.insert(0, sys.argv[2]); from aiscale.stocks_flows.files import atomic_write; "
            "atomic_write(sys.argv[1], lambda p: (open(p, 'w').write('half'), os.kill(os.getpid(), 9)))")
    subprocess.run([sys.executable, "-c", code, str(target), str(ROOT)])
    (left,) = temporaries(tmp_path)
    assert not target.exists()
    atomic_write(target, lambda p: Path(p).write_text("whole"))
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"] and target.read_text() == "whole"
    assert not left.exists()


def test_an_output_set_is_replaced_whole_or_not_at_all(tmp_path):
    out = tmp_path / "set"
    with atomic_directory(out) as d:
        (d / "a.csv").write_text("1")
        (d / "b.json").write_text("1")
    with pytest.raises(RuntimeError), atomic_directory(out) as d:
        (d / "a.csv").write_text("2")
        raise RuntimeError("failed between files")
    assert {p.name: p.read_text() for p in out.iterdir()} == {"a.csv": "1", "b.json": "1"}
    with atomic_directory(out) as d:
        (d / "a.csv").write_text("3")
    assert {p.name: p.read_text() for p in out.iterdir()} == {"a.csv": "3"}
    assert [p.name for p in tmp_path.iterdir()] == ["set"]
    # a directory it had to create is removed again when the work fails
    with pytest.raises(RuntimeError), atomic_directory(tmp_path / "new" / "deeper" / "set"):
        raise RuntimeError
    assert [p.name for p in tmp_path.iterdir()] == ["set"]
