"""Speed of the modelling kernel, printed as a table (nothing is asserted).

    .venv/bin/python benchmarks/bench_kernel.py

(a) one run of a 10-stock test model (an eight-cohort aging chain with resources and
    pollution: a lookup and nonlinear flows), 0..100 years, adaptive RK45 and Euler;
(b) a 10,000-member vectorised Euler ensemble of it, against the same runs one by one
    (timed on 200 and scaled up);
(c) PySD and pysimlin running the exported XMILE of the same model (Euler);
(d) one 2012-2060 baseline run of the AI-scaling model (skipped if it does not import).

Times are wall-clock, best of a few repeats unless said otherwise.
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiscale.stocks_flows import Model, exp, export_xmile  # noqa: E402

START, STOP, DT, SAVEPER = 0.0, 100.0, 0.0625, 1.0
COHORTS = 8
ENSEMBLE_SIZE = 10_000
ONE_BY_ONE_SAMPLE = 200


# ---------------------------------------------------------------------- the test model
def test_model() -> Model:
    """Ten stocks: eight population cohorts (an aging chain), a non-renewable resource
    and pollution. Births depend on the working-age population, a lookup of the
    remaining resource fraction and pollution; deaths rise with the square of the
    pollution index; pollution is absorbed with saturation."""
    m = Model("aging_chain", time_unit="year",
              units=["person = [population]", "resource = [resource]", "pollutant = [pollution]"])
    m.parameter("base_fertility", 0.045, "1/year", low=0.01, high=0.1)
    m.parameter("cohort_years", 10, "year")
    m.parameter("base_mortality", 0.002, "1/year")
    m.parameter("initial_resources", 1e12, "resource")
    m.parameter("use_per_person", 10, "resource/person/year")
    m.parameter("pollution_per_resource", 0.1, "pollutant/resource")
    m.parameter("absorption_time", 20, "year")
    m.parameter("absorption_capacity", 1e10, "pollutant")
    m.parameter("pollution_tolerance", 1e11, "pollutant")

    cohorts = [f"cohort_{i}" for i in range(1, COHORTS + 1)]
    for i, c in enumerate(cohorts, start=1):
        inflow = "births" if i == 1 else f"aging_{i - 1}"
        outflows = [f"deaths_{i}"] + ([f"aging_{i}"] if i < COHORTS else ["old_age_deaths"])
        m.stock(c, 1e8, "person", inflows=[inflow], outflows=outflows)
    m.stock("resources", "initial_resources", "resource", outflows=["extraction"], non_negative=True)
    m.stock("pollution", 1e8, "pollutant", inflows=["pollution_generation"], outflows=["absorption"])

    m.auxiliary("person", name="population", inputs=cohorts)(
        lambda c1, c2, c3, c4, c5, c6, c7, c8: c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8)
    m.auxiliary("person", name="working_age", inputs=cohorts[2:6])(
        lambda c3, c4, c5, c6: c3 + c4 + c5 + c6)

    @m.auxiliary("dimensionless")
    def resource_fraction(resources, initial_resources):
        return resources / initial_resources

    m.lookup("extraction_efficiency", "resource_fraction",
             [(0, 0), (0.25, 0.15), (0.5, 0.5), (0.75, 0.85), (1, 1)], "dimensionless")

    @m.auxiliary("dimensionless")
    def pollution_index(pollution, pollution_tolerance):
        return pollution / pollution_tolerance

    @m.flow("person/year")
    def births(base_fertility, working_age, extraction_efficiency, pollution_index):
        return base_fertility * working_age * (0.5 + extraction_efficiency) * exp(-pollution_index)

    for i, c in enumerate(cohorts, start=1):
        if i < COHORTS:
            m.flow("person/year", name=f"aging_{i}", inputs=[c, "cohort_years"])(lambda x, t: x / t)
        m.flow("person/year", name=f"deaths_{i}", inputs=[c, "base_mortality", "pollution_index"])(
            _deaths(1.0 + 0.5 * (i - 1) ** 2))  # mortality rises with age

    @m.flow("person/year")
    def old_age_deaths(cohort_8, cohort_years):
        return cohort_8 / cohort_years

    @m.flow("resource/year")
    def extraction(population, use_per_person, extraction_efficiency):
        return population * use_per_person * extraction_efficiency

    @m.flow("pollutant/year")
    def pollution_generation(extraction, pollution_per_resource):
        return extraction * pollution_per_resource

    @m.flow("pollutant/year")
    def absorption(pollution, absorption_time, absorption_capacity):
        return pollution / (absorption_time * (1 + pollution / absorption_capacity))

    return m.build()


def _deaths(factor: float) -> Callable:
    def deaths(cohort, base_mortality, pollution_index):
        return cohort * base_mortality * factor * (1 + pollution_index ** 2)
    return deaths


# ---------------------------------------------------------------------- timing helpers
def best_of(fn: Callable[[], object], repeats: int = 5) -> tuple[float, object]:
    """Least wall time of ``repeats`` calls (after one warm-up call), and the last value."""
    value = fn()
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t0)
    return best, value


def fmt_time(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} us"


ROWS: list[tuple[str, str, str, str]] = []


def row(what: str, wall: float, per_run: float = np.nan, note: str = "") -> None:
    ROWS.append((what, fmt_time(wall), fmt_time(per_run), note))
    print(f"  measured: {what}: {fmt_time(wall)}", file=sys.stderr, flush=True)


def section(title: str) -> None:
    ROWS.append((title, "", "", ""))


def max_relative_difference(got, want) -> float:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-12)))


# ---------------------------------------------------------------------- the benchmarks
def bench_single(model: Model) -> None:
    section(f"(a) single run, {len(model.stocks)}-stock aging chain, t = 0..100")
    t, r = best_of(lambda: model.run(START, STOP))
    row("kernel, adaptive RK45 (default)", t, t, f"{r.stats['nfev']} evaluations, {r.stats['steps']} steps")
    t, r = best_of(lambda: model.run(START, STOP, method="euler", dt=DT, saveper=SAVEPER))
    row(f"kernel, Euler dt={DT}", t, t, f"{r.stats['nfev']} evaluations")


def bench_ensemble(model: Model) -> None:
    section(f"(b) {ENSEMBLE_SIZE:,} members, Euler dt={DT}, t = 0..100")
    rng = np.random.default_rng(1)
    fertility = rng.uniform(0.02, 0.07, ENSEMBLE_SIZE)
    t0 = time.perf_counter()
    ds = model.run_ensemble({"base_fertility": fertility}, START, STOP, method="euler", dt=DT,
                            saveper=SAVEPER)
    t = time.perf_counter() - t0
    row("kernel, one vectorised ensemble", t, t / ENSEMBLE_SIZE, f"{ds.sizes['run']} runs x {ds.sizes['time']} times")

    sample = fertility[:ONE_BY_ONE_SAMPLE]
    model.run(START, STOP, method="euler", dt=DT, saveper=SAVEPER)  # warm
    t0 = time.perf_counter()
    singles = [model.run(START, STOP, method="euler", dt=DT, saveper=SAVEPER,
                         parameters={"base_fertility": f}) for f in sample]
    t_sample = time.perf_counter() - t0
    per_run = t_sample / ONE_BY_ONE_SAMPLE
    same = all(np.array_equal(ds["population"].values[i], singles[i]["population"].to_numpy())
               for i in range(ONE_BY_ONE_SAMPLE))
    row(f"kernel, one by one (est. from {ONE_BY_ONE_SAMPLE})", per_run * ENSEMBLE_SIZE, per_run,
        f"{per_run * ENSEMBLE_SIZE / t:.0f}x the ensemble's time; results {'identical' if same else 'DIFFER'}")


def engine_runs(model: Model, start: float, stop: float, dt: float, columns: list[str],
                saveper: float | None = None, repeats: int = 5) -> dict[str, tuple[float, float, object] | str]:
    """PySD and pysimlin on ``model`` exported to XMILE: per engine (load time, best run
    time of ``repeats``, results with lower-case column names), or why it did not run.
    PySD reads the XMILE builtins (SMTHN, DELAYN, TREND, FORCST); simlin 0.8 reads no
    TREND or FORCST, so it gets the export with the builtins written out as stocks and
    flows (otherwise it runs, but computes another model)."""
    out: dict[str, tuple[float, float, object] | str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{model.name}.xmile"
        expanded = Path(tmp) / f"{model.name}-expanded.xmile"
        export_xmile(model, path, start=start, stop=stop, dt=dt, saveper=saveper)
        export_xmile(model, expanded, start=start, stop=stop, dt=dt, saveper=saveper, builtins="expand")
        try:
            import pysd
        except ImportError:
            out["PySD"] = "not installed"
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t_load, pmodel = best_of(lambda: pysd.read_xmile(str(path)), repeats=1)
                t_run, res = best_of(lambda: pmodel.run(return_columns=columns, saveper=saveper or dt),
                                     repeats=repeats)
            out["PySD"] = (t_load, t_run, res)
        try:
            import simlin
        except ImportError:
            out["pysimlin"] = "not installed"
        else:
            t_load, smodel = best_of(lambda: simlin.load(expanded), repeats=1)
            t_run, run = best_of(lambda: smodel.run(analyze_loops=False), repeats=repeats)
            out["pysimlin"] = (t_load, t_run, run.results.rename(columns=str.lower))
    return out


def bench_engines(model: Model) -> None:
    section(f"(c) exported XMILE, Euler dt={DT}, t = 0..100")
    reference = model.run(START, STOP, method="euler", dt=DT, saveper=SAVEPER).frame
    for engine, got in engine_runs(model, START, STOP, DT, ["population"], SAVEPER).items():
        if isinstance(got, str):
            row(engine, np.nan, note=got)
            continue
        t_load, t_run, res = got
        diff = max_relative_difference(res["population"].to_numpy(), reference["population"])
        row(f"{engine} run()", t_run, t_run, f"load {fmt_time(t_load)}; max rel diff {diff:.1e}")


def bench_ai_model() -> None:
    section("(d) AI-scaling model, baseline 2012-2060")
    try:
        from aiscale.model import build_model, simulate_baseline
    except ImportError as err:
        row("aiscale.model", np.nan, note=f"not importable: {err}")
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            model = build_model()
            t_build = time.perf_counter() - t0
            t0 = time.perf_counter()
            first = simulate_baseline(model)
            t_first = time.perf_counter() - t0
            t_run, r = best_of(lambda: simulate_baseline(model), repeats=3)
    except Exception as err:  # the model is being written: report, do not stop
        row("aiscale.model", np.nan, note=f"failed: {type(err).__name__}: {err}"[:90])
        return
    del first
    row("build_model()", t_build, note=f"{len(model.stocks)} stocks, {len(model.equations)} equations")
    row("simulate_baseline(model), first", t_first)
    row("simulate_baseline(model), best of 3", t_run, t_run,
        f"{r.stats['method']}, {r.stats['nfev']} evaluations, {r.stats['steps']} steps")


def print_table() -> None:
    headers = ("", "wall time", "per run", "notes")
    widths = [max(len(r[i]) for r in [headers, *ROWS]) for i in range(4)]
    line = "-" * (sum(widths) + 6)
    print(line)
    print(f"{headers[0]:<{widths[0]}}  {headers[1]:>{widths[1]}}  {headers[2]:>{widths[2]}}  {headers[3]}")
    print(line)
    for what, wall, per, note in ROWS:
        if not wall and not per and not note:
            print(what)
        else:
            print(f"  {what:<{widths[0] - 2}}  {wall:>{widths[1]}}  {per:>{widths[2]}}  {note}")
    print(line)


def main() -> None:
    import platform

    import scipy

    model = test_model()
    print(f"aiscale kernel benchmark: Python {platform.python_version()}, numpy {np.__version__}, "
          f"scipy {scipy.__version__}, {platform.machine()}")
    bench_single(model)
    bench_ensemble(model)
    bench_engines(model)
    bench_ai_model()
    print_table()


if __name__ == "__main__":
    main()
