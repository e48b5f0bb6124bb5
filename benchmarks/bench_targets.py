"""The kernel's speed against the targets of kernel v2 (issue 13, point 5), printed side
by side with PySD and pysimlin in one run (nothing is asserted).

    .venv/bin/python benchmarks/bench_targets.py [--members 100000] [--repeats 20]

(1) the whole AI model exported to XMILE, Euler dt = 1/16, 2012-2038 (416 steps):
    aiscale's own run of the model, PySD and pysimlin running the exported file;
(2) the adaptive baseline 2012-2060 (``simulate_baseline``);
(3) building the model: in this process a second time, and in a new process with the
    on-disk caches warm (unit checks, compiled kernel) and cold;
(4) ``aiscale run`` as a process;
(5) a Monte Carlo ensemble of the baseline, 2012-2060 (RK4, dt = 1/4), on
    every local core, with the peak memory of the process tree.

Times are wall clock, best of ``--repeats`` unless said otherwise, with the CPU time of
this process beside them: the machine may be shared, and CPU time is less disturbed by
other processes than wall time. The load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiscale.model import END_YEAR, START_YEAR, build_model, simulate_baseline  # noqa: E402
from aiscale.stocks_flows import FixedStep  # noqa: E402
from bench_kernel import engine_runs  # noqa: E402  (benchmarks/ is on the path when run as a script)
from bench_kernel import fmt_time as fmt  # noqa: E402

EULER_DT, EULER_STOP = 1 / 16, 2038.0
ROWS: list[tuple[str, str, str, str, str]] = []


def best(fn: Callable[[], object], repeats: int) -> tuple[float, float, object]:
    """Least wall time and least CPU time of ``repeats`` calls after a warm-up call."""
    value = fn()
    wall = cpu = np.inf
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        value = fn()
        wall = min(wall, time.perf_counter() - w0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu, value


def row(what: str, wall: float, cpu: float = np.nan, target: str = "", note: str = "") -> None:
    ROWS.append((what, fmt(wall), fmt(cpu), target, note))
    print(f"  measured: {what}: {fmt(wall)}", file=sys.stderr, flush=True)


def section(title: str) -> None:
    ROWS.append((title, "", "", "", ""))


def verdict(value: float, limit: float, smaller: bool = True) -> str:
    ok = value <= limit if smaller else value >= limit
    return "met" if ok else "missed"


# ---------------------------------------------------------------------- (1) engines
def bench_engines(model, repeats: int) -> None:
    section(f"(1) whole model exported to XMILE, Euler dt = 1/16, {START_YEAR:g}-{EULER_STOP:g}")
    w_ours, c_ours, ours = best(lambda: model.run(START_YEAR, EULER_STOP, solver=FixedStep(EULER_DT)), repeats)
    row("aiscale model.run (frame of every variable)", w_ours, c_ours, note=f"{ours.stats['steps']} steps")
    stocks = [s for s in model.stocks if not model.stocks[s].hidden]
    runs = engine_runs(model, START_YEAR, EULER_STOP, EULER_DT, stocks, repeats=repeats)
    for engine, got in runs.items():
        if isinstance(got, str):
            row(engine, np.nan, note=got)
            continue
        t_load, t_run, res = got
        diff = max(abs(res[s].iloc[-1] / ours[s].iloc[-1] - 1) for s in stocks)
        if engine == "PySD":
            target = f"aiscale {t_run / w_ours:.0f}x faster (>= 50x: {verdict(t_run / w_ours, 50, False)})"
        else:
            target = f"aiscale {w_ours / t_run:.1f}x its time (<= 2x: {verdict(w_ours / t_run, 2)})"
        row(f"{engine} run()", t_run, target=target,
            note=f"load {fmt(t_load)}; stocks at {EULER_STOP:g} within {diff:.1e}")


# ---------------------------------------------------------------------- (2)-(4)
def bench_baseline(model, repeats: int) -> None:
    section(f"(2) adaptive baseline {START_YEAR:g}-{END_YEAR:g} (RK45, quarterly output)")
    w, c, r = best(lambda: simulate_baseline(model), repeats)
    row("simulate_baseline(model)", w, c, f"<= 20 ms: {verdict(min(w, c), 0.020)}",
        f"{r.stats['nfev']} evaluations, {r.stats['steps']} steps")


def _in_new_process(code: str, cache: str | None = None) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if cache is not None:
        env["AISCALE_CACHE"] = cache
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


BUILD = ("import time, warnings; warnings.simplefilter('ignore'); from aiscale.model import build_model; "
         "t = time.perf_counter(); build_model(); print(time.perf_counter() - t)")
FIRST_RUN = ("import time, warnings; warnings.simplefilter('ignore'); "
             "from aiscale.model import build_model, simulate_baseline; t = time.perf_counter(); "
             "simulate_baseline(build_model()); print(time.perf_counter() - t)")


def bench_build(repeats: int) -> None:
    section("(3) building the model")
    w, c, _ = best(build_model, max(3, repeats // 4))
    row("build_model(), again in this process", w, c)
    warm = min(_in_new_process(BUILD) for _ in range(3))
    row("build_model() in a new process, warm cache", warm, target=f"<= 0.2 s: {verdict(warm, 0.2)}",
        note="unit checks remembered on disk")
    with tempfile.TemporaryDirectory() as cold:
        t_cold = _in_new_process(FIRST_RUN, cache=cold)
        t_warm = _in_new_process(FIRST_RUN, cache=cold)
    row("build and first baseline run, cold cache", t_cold, note="pint unit checks and numba compilation")
    row("build and first baseline run, warm cache", t_warm, note="the compiled kernel is loaded from disk")


def children_cpu() -> float:
    """CPU time (user + system) of this process's finished children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_cli(repeats: int) -> None:
    section("(4) `aiscale run` as a process")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    walls, cpus = [], []
    for _ in range(max(3, repeats // 5)):
        t0, c0 = time.perf_counter(), children_cpu()
        subprocess.run([sys.executable, "-m", "aiscale.cli", "run"], capture_output=True, env=env, check=True)
        walls.append(time.perf_counter() - t0)
        cpus.append(children_cpu() - c0)
    row("aiscale run (imports, build, run, milestones)", min(walls), min(cpus),
        target=f"<= 1.5 s: {verdict(min(walls), 1.5)}", note="CPU: the process's")


# ---------------------------------------------------------------------- (5) ensemble
class PeakMemory:
    """Peak resident memory of this process and its children, sampled every 0.1 s."""

    def __init__(self) -> None:
        import psutil

        self.process, self.peak, self.running = psutil.Process(), 0, True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        import psutil

        while self.running:
            total = 0
            for p in [self.process, *self.process.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(0.1)

    def stop(self) -> int:
        self.running = False
        self.thread.join()
        return self.peak


def bench_ensemble(members: int) -> None:
    from aiscale.scenarios import load_scenario
    from aiscale.scenarios.ensemble import Settings, monte_carlo, scenario_model

    cores = os.cpu_count() or 1
    section(f"(5) Monte Carlo ensemble of the baseline, {START_YEAR:g}-{END_YEAR:g}, RK4 dt = 1/4, "
            f"{cores} local worker processes")
    scenario = load_scenario("baseline")
    scenario_model(scenario)
    fixed = Settings(method="rk4", dt=0.25)  # the fast path: prior-only, fixed-step RK4 (the default, posterior-
    # predictive with adaptive members, is measured by benchmarks/bench_ensemble.py)
    monte_carlo(scenario, 50, seed=1, settings=fixed, prior_only=True, workers=1)  # warm: kernel loaded, caches filled
    # one core first, in this process: CPU time per member and per member-evaluation
    one = min(2_000, members)
    evaluations = 4 * int(round((END_YEAR - START_YEAR) / fixed.dt)) + 1  # RK4: 4 a step, and the last state
    c0 = time.process_time()
    monte_carlo(scenario, one, seed=1, settings=fixed, prior_only=True, workers=1)
    c1 = time.process_time() - c0
    row(f"{one:,} members on one core (this process)", np.nan, c1,
        note=f"{1e3 * c1 / one:.2f} ms a member, {1e6 * c1 / one / evaluations:.2f} us a member-evaluation "
             f"({evaluations} evaluations a member; drawing, metrics and assembly included)")
    memory = PeakMemory()
    t0, c0, k0 = time.perf_counter(), time.process_time(), children_cpu()
    ds = monte_carlo(scenario, members, seed=1, settings=fixed, prior_only=True)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0 + children_cpu() - k0  # the workers end with the call
    peak = memory.stop()
    scale = 100_000 / members
    blew = float(ds["metric_reached_share"].sel(metric="blowup_year"))
    row(f"{members:,} members", wall, cpu, target=f"100,000 in <= 20 s: {verdict(wall * scale, 20)}"
        + ("" if members == 100_000 else f" (scaled: {fmt(wall * scale)})"),
        note=f"CPU of all processes: {1e3 * cpu / members:.2f} ms a member, {fmt(cpu * scale / cores)} "
             f"for 100,000 on {cores} free cores; {blew:.0%} of runs blow up (frozen there)")
    row("peak memory, process tree", np.nan, target=f"<= 2 GB: {verdict(peak / 1e9, 2.0)}",
        note=f"{peak / 1e9:.2f} GB")


# ---------------------------------------------------------------------- report
def print_table() -> None:
    headers = ("", "wall", "CPU", "target", "notes")
    widths = [max(len(r[i]) for r in [headers, *ROWS]) for i in range(4)]
    line = "-" * (sum(widths) + 40)
    print(line)
    print(f"{headers[0]:<{widths[0]}}  {headers[1]:>{widths[1]}}  {headers[2]:>{widths[2]}}  "
          f"{headers[3]:<{widths[3]}}  {headers[4]}")
    print(line)
    for what, wall, cpu, target, note in ROWS:
        if not (wall or cpu or target or note):
            print(what)
        else:
            print(f"  {what:<{widths[0] - 2}}  {wall:>{widths[1]}}  {cpu:>{widths[2]}}  "
                  f"{target:<{widths[3]}}  {note}")
    print(line)


def main() -> None:
    import platform

    import numba
    import scipy

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000, help="ensemble members (default 100,000)")
    parser.add_argument("--repeats", type=int, default=20, help="repeats of the short timings (default 20)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    load_before = os.getloadavg()
    model = build_model()
    bench_engines(model, args.repeats)
    bench_baseline(model, args.repeats)
    bench_build(args.repeats)
    bench_cli(args.repeats)
    bench_ensemble(args.members)
    print(f"aiscale kernel v2 targets: Python {platform.python_version()}, numpy {np.__version__}, "
          f"scipy {scipy.__version__}, numba {numba.__version__}, {platform.machine()}, "
          f"{os.cpu_count()} cores; load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after")
    print_table()


if __name__ == "__main__":
    main()
