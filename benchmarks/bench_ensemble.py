"""Speed and accuracy of Monte Carlo ensembles of the AI-scaling model, printed (nothing
is asserted).

    .venv/bin/python benchmarks/bench_ensemble.py [--members 10000] [--reference 200]
                                                  [--large 100000] [--skip-large]

In one run:
(a) the default ensemble: ``--members`` posterior-predictive members of the baseline,
    2012-2060, matched to history (draws that fail the history check are replaced), each
    member on its own adaptive RK45 step (rtol 5e-5, the default), on every local core; wall time,
    CPU time (this process and its workers), draws run and peak memory;
(b) its accuracy: the milestone years of ``--reference`` members (spread over the
    ensemble) against ``aiscale.run`` with the same parameters (adaptive RK45, rtol
    1e-6): the share of members whose every milestone year agrees within 0.05 years
    (members whose reference run itself fails, "solver-failure", are counted apart);
(c) the large ensemble of issue 13: ``--large`` members, prior-only, fixed-step RK4
    (dt = 1/4, the fast path) and, for comparison, the same number with the default;
    wall time and peak memory (the largest resident set of this process and of its
    worker processes);
(d) how many cores the machine really gives (two processes of pure Python against one):
    the machine is shared, so wall times vary from run to run.

Targets: (a) 10,000 members in 10 s or less on 2 cores, with (b) at least 99% of members
within 0.05 years; (c) 100,000 members in 20 s or less with peak memory 2 GB or less.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiscale.scenarios.ensemble import Settings, monte_carlo, scenario_model  # noqa: E402
from aiscale.scenarios.scenario import load_scenario  # noqa: E402

START, STOP = 2012.0, 2060.0
TOLERANCE_YEARS = 0.05


def fmt(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1e3:.1f} ms"


def _spin(_: int) -> int:
    total = 0
    for i in range(3_000_000):
        total += i
    return total


def effective_cores() -> float:
    """How many cores two busy processes actually get (2.0 on two free cores)."""
    t0 = time.perf_counter()
    _spin(0)
    _spin(0)
    serial = time.perf_counter() - t0
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with context.Pool(2) as pool:
        pool.map(_spin, range(2))  # warm
        t0 = time.perf_counter()
        pool.map(_spin, range(2))
        parallel = time.perf_counter() - t0
    return serial / parallel


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its finished worker processes."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_memory_gb() -> float:
    """The largest resident set so far of this process and of any finished child (GB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) * 1024 / 1e9  # Linux reports kB


def accuracy(ds, count: int) -> tuple[float, int, int, float]:
    """(share within the tolerance, members compared, reference failures, worst gap in years)."""
    import aiscale
    from aiscale.scenarios.metrics import run_metrics

    names = [n for n in ds.data_vars if ds[n].dims == ("run",) and n in aiscale.build_model().parameters]
    keys = [k for k in ds["metric"].values if str(k).endswith(("_year", "_years"))]
    picks = np.unique(np.linspace(0, ds.sizes["run"] - 1, count).astype(int))
    good = failures = compared = 0
    worst = 0.0
    for i in picks:
        single = aiscale.run(ds.attrs["scenario"], parameters={n: float(ds[n].values[i]) for n in names})
        if single.stats.get("status") == "solver-failure":
            failures += 1
            continue
        metrics = run_metrics(single)
        gap = 0.0
        for key in keys:
            a, b = float(ds[key].values[i]), metrics[key]
            if np.isnan(a) != np.isnan(b):
                gap = np.inf
            elif not np.isnan(a):
                gap = max(gap, abs(a - b))
        compared += 1
        good += gap <= TOLERANCE_YEARS
        worst = max(worst, gap)
    return good / max(compared, 1), compared, failures, worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--reference", type=int, default=200, help="members compared with adaptive single runs")
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    n = args.members
    cores = os.cpu_count() or 1
    lines = []

    def say(text: str) -> None:
        lines.append(text)
        print(f"  measured: {text}", file=sys.stderr, flush=True)

    print(f"measuring ({cores} cores nominal) ...", file=sys.stderr, flush=True)
    scenario = load_scenario("baseline")
    scenario_model(scenario)  # build the model once, outside the timings
    monte_carlo(scenario, 50, seed=1, settings=Settings(start=START, stop=STOP), workers=1)  # warm up (and ranges)
    monte_carlo(scenario, 50, seed=1, settings=Settings(start=START, stop=STOP, method="rk4"), workers=1,
                prior_only=True)

    t0, c0 = time.perf_counter(), cpu_seconds()
    ds = monte_carlo(scenario, n, seed=1, settings=Settings(start=START, stop=STOP))
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    draws = int(ds.attrs["draws_total"])
    say(f"(a) {n:,} posterior-predictive members, adaptive RK45 rtol {ds.attrs['rtol']:g}, {cores} workers: "
        f"{fmt(wall)} wall, {fmt(cpu)} CPU ({draws:,} draws, {int(ds.attrs['draws_rejected']):,} rejected; "
        f"{fmt(cpu / n)} of CPU a member kept); peak memory {peak_memory_gb():.2f} GB")
    share, compared, failures, worst = accuracy(ds, args.reference)
    say(f"(b) milestone years within {TOLERANCE_YEARS:g} years of aiscale.run (RK45 rtol 1e-6): {share:.1%} of "
        f"{compared} members compared (worst {worst:.3g} years); {failures} reference runs failed "
        "('solver-failure') and are not compared")
    accuracy_ok = share >= 0.99
    large_wall = None
    if not args.skip_large:
        big = args.large
        t0 = time.perf_counter()
        large = monte_carlo(scenario, big, seed=1, settings=Settings(start=START, stop=STOP, method="rk4"),
                            prior_only=True)
        large_wall = time.perf_counter() - t0
        say(f"(c) {big:,} members, prior-only, fixed RK4 dt = 1/4: {fmt(large_wall)}; peak memory "
            f"{peak_memory_gb():.2f} GB; {large.sizes['run']:,} members")
        del large
    effective = effective_cores()
    print(f"\naiscale Monte Carlo ensembles of the baseline, {START:g}-{STOP:g}")
    print(f"machine: {cores} cores nominal, {effective:.2f} effective (two busy processes vs one)\n")
    for line in lines:
        print(line)
    print(f"\ntarget: {n:,} members in 10 s or less on 2 cores, milestones within {TOLERANCE_YEARS:g} years for "
          f">= 99%: speed {'met' if wall <= 10 else 'missed'} ({fmt(wall)}), accuracy "
          f"{'met' if accuracy_ok else 'missed'} ({share:.1%})")
    if large_wall is not None:
        print(f"target: {args.large:,} members in 20 s or less, peak memory 2 GB or less: speed "
              f"{'met' if large_wall <= 20 else 'missed'} ({fmt(large_wall)}), memory "
              f"{'met' if peak_memory_gb() <= 2 else 'missed'} ({peak_memory_gb():.2f} GB)")


if __name__ == "__main__":
    main()
