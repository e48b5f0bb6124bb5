"""Speed of Monte Carlo ensembles of the AI-scaling model, printed (nothing is asserted).

    .venv/bin/python benchmarks/bench_ensemble.py [--members 10000] [--sample 100]

In one run:
(a) a 10,000-member Monte Carlo ensemble of the baseline scenario, 2012-2060 (85
    parameters drawn through the Gaussian copula, RK4 dt = 1/4 in log space, metrics
    from quarterly output), on every local core and on one; wall time and cost per run;
(b) the same runs one by one: the same fixed-step single runs (bit-identical to the
    ensemble's members, checked), and adaptive RK45 runs as ``aiscale run`` does them,
    timed on a sample and scaled to the ensemble's size.

Wall-clock times; the target is 10,000 members in 10 s or less on 2 cores. The number
of cores the machine really gives is measured too (two processes of pure Python
against one), since a shared virtual machine may deliver less than its nominal count.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiscale.model import DEFAULT_BLOWUP  # noqa: E402
from aiscale.scenarios import load_scenario  # noqa: E402
from aiscale.scenarios.distributions import sample  # noqa: E402
from aiscale.scenarios.ensemble import Settings, monte_carlo, scenario_model  # noqa: E402

START, STOP = 2012.0, 2060.0


def fmt(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.0f} us"


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


def _same_years(member: np.ndarray, single) -> bool:
    """An ensemble member's yearly values equal a single run's at its whole years."""
    years = single.index[single.index == np.floor(single.index)]
    return np.array_equal(member[:len(years)], single.loc[years].to_numpy())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=100, help="single runs timed for the one-by-one estimate")
    args = parser.parse_args()
    n = args.members
    warnings.simplefilter("ignore")
    settings = Settings(start=START, stop=STOP)
    rows = []

    def row(what: str, wall: float, per_run: float, note: str = "") -> None:
        rows.append((what, fmt(wall), fmt(per_run), note))
        print(f"  measured: {what}: {fmt(wall)}", file=sys.stderr, flush=True)

    cores = os.cpu_count() or 1
    print(f"measuring ({cores} cores nominal) ...", file=sys.stderr, flush=True)
    scenario = load_scenario("baseline")
    scenario_model(scenario)  # build the model once, outside the timings
    monte_carlo(scenario, 50, seed=1, settings=settings, workers=1)  # warm up

    t0 = time.perf_counter()
    ds = monte_carlo(scenario, n, seed=1, settings=settings)
    wall = time.perf_counter() - t0
    blew = float(ds["metric_reached_share"].sel(metric="blowup_year"))
    row(f"ensemble, {cores} local worker processes", wall, wall / n,
        f"{ds.attrs['varied_parameters']} parameters varied; {blew:.0%} of runs blow up (frozen there)")
    t0 = time.perf_counter()
    one = monte_carlo(scenario, n, seed=1, settings=settings, workers=1)
    wall1 = time.perf_counter() - t0
    same = one.drop_attrs().identical(ds.drop_attrs())
    row("ensemble, 1 process", wall1, wall1 / n, f"results {'identical' if same else 'DIFFER'}")

    model = scenario_model(scenario)
    draws = sample(scenario.uncertainty(), n, 1, scenario.correlations)
    k = min(args.sample, n)
    t0 = time.perf_counter()
    singles = [model.run(START, STOP, method="rk4", dt=settings.dt, saveper=settings.saveper, log_space="always",
                         blowup=DEFAULT_BLOWUP, parameters={name: v[i] for name, v in draws.items()})
               for i in range(k)]
    per = (time.perf_counter() - t0) / k
    yearly = ds["largest_training_run_flop"].values
    identical = all(_same_years(yearly[i], r.frame["largest_training_run_flop"]) for i, r in enumerate(singles))
    row(f"one by one, same RK4 runs (est. from {k})", per * n, per,
        f"{per * n / wall:.0f}x the ensemble; members {'identical' if identical else 'DIFFER'}")
    k2 = max(1, k // 5)
    t0 = time.perf_counter()
    for i in range(k2):
        model.run(START, STOP, saveper=0.25, blowup=DEFAULT_BLOWUP, parameters={name: v[i] for name, v in draws.items()})
    per = (time.perf_counter() - t0) / k2
    row(f"one by one, adaptive RK45 (est. from {k2})", per * n, per, f"{per * n / wall:.0f}x the ensemble")

    effective = effective_cores()
    print(f"\naiscale Monte Carlo, {n:,} members of the baseline, {START:g}-{STOP:g} "
          f"(RK4, dt = {settings.dt:g} year, log space)")
    print(f"machine: {cores} cores nominal, {effective:.2f} effective (two busy processes vs one)\n")
    width = max(len(r[0]) for r in rows)
    print(f"{'':<{width}}  {'wall':>9}  {'per run':>9}")
    for what, wall_s, per_s, note in rows:
        print(f"{what:<{width}}  {wall_s:>9}  {per_s:>9}  {note}")
    target = "met" if wall <= 10 else "missed"
    print(f"\ntarget: {n:,} members in 10 s or less on 2 cores: {target} ({fmt(wall)} here)")


if __name__ == "__main__":
    main()
