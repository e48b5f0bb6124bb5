"""The scenario verbs of the command line: ``scenarios``, ``compare``, ``check``,
``ensemble`` and ``sensitivity`` (``aiscale.cli`` adds them; ``run --scenario`` lives
there).

Every handler takes the parsed arguments and a ``say`` function (which prints unless
``--quiet``) and returns the exit status (None: 0); user errors are raised as
``ValueError`` (one line, exit code 2). Nothing is written until the work has
succeeded, and then atomically.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable
from pathlib import Path

from ..inputs import add_scenario_arguments, check_output_dir, check_output_file, count, non_negative, positive_float, year
from ..timespan import END_YEAR, START_YEAR
from .metrics import METRIC_KEYS

EXAMPLES = {
    "scenarios": """examples:
  aiscale scenarios                    # the built-in scenarios
  aiscale scenarios pause              # one scenario in full (rationale, sources, TOML)""",
    "compare": """examples:
  aiscale compare baseline pause taiwan-shock
  aiscale compare baseline my.toml --out out/compare          # also compare.csv, binding_timeline.csv, slack.csv
  aiscale compare baseline pause --until 2045 --out out/compare --plot   # and the figures""",
    "check": """examples:
  aiscale check                        # every built-in scenario, 2012-2060
  aiscale check baseline pause         # exit code 1 if a check fails
  aiscale check my.toml --details      # every check's result and source
  aiscale check --checks my_checks.toml --until 2040

the reality checks (aiscale/data/reality_checks.toml): no stock negative, AI power within
world electricity, hardware and algorithms within their ceilings, frontier compute near the
historical record, no blow-up before 2060, ...; a check whose names the model lacks is skipped""",
    "ensemble": """examples:
  aiscale ensemble -n 1000                         # baseline, posterior-predictive, local cores
  aiscale ensemble ftm-best-guess -n 10000         # a preset, conditioned on history the same way
  aiscale ensemble -n 1000 --prior-only            # every parameter from its prior, no history check
  aiscale ensemble pause -n 10000 --seed 1 --out pause.nc
  aiscale ensemble pause -n 1000 --out out/pause.nc --plot   # fan chart, milestone years in out/
  aiscale ensemble -n 100000 --scheduler tcp://10.0.0.5:8786""",
    "sensitivity": """examples:
  aiscale sensitivity --method sobol -n 64 --output automation_100_year
  aiscale sensitivity pause --method morris -n 20 --output run_1e28_year
  aiscale sensitivity --method morris -n 10 --out out/morris.csv --plot   # and a bar chart in out/""",
}

SUMMARY_KEYS = ("run_1e28_year", "run_1e30_year", "effective_1e36_year", "data_binding_year",
                "automation_20_year", "automation_100_year", "takeoff_automation_years", "takeoff_gwp_years",
                "takeoff_research_years", "peak_gwp_growth", "blowup_year")


class CommandError(ValueError):
    """A user error in a scenario verb (exit code 2)."""


def add_verbs(verb: Callable[..., argparse.ArgumentParser]) -> None:
    """Add the verbs, given the CLI's ``verb(name, help, epilog)`` factory."""
    p = verb("scenarios", "list the built-in scenarios, or show one in full", EXAMPLES["scenarios"])
    p.add_argument("scenario", nargs="?", metavar="SCENARIO", help="print this scenario (name or file) in full")
    p.add_argument("--show", metavar="SCENARIO", help="the same as SCENARIO")

    p = verb("compare", "run scenarios and compare their milestones side by side", EXAMPLES["compare"])
    add_scenario_arguments(p, many="+")
    p.add_argument("--out", type=Path, help="directory for compare.csv, binding_timeline.csv and slack.csv")
    p.add_argument("--plot", action="store_true", help="also write the figures (PNG and SVG) into --out")
    p.add_argument("--start", type=year, default=START_YEAR, help=f"first year (default {START_YEAR:g})")
    p.add_argument("--until", type=year, default=END_YEAR, help=f"last year (default {END_YEAR:g})")

    p = verb("check", "evaluate the reality checks on scenarios (exit code 1 if one fails)", EXAMPLES["check"])
    p.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                   help="built-in names or .toml files (default: every built-in scenario)")
    p.add_argument("--checks", type=Path, help="a TOML file of [[check]] tables (default: the shipped checks)")
    p.add_argument("--details", action="store_true", help="print every check's result, condition and source")
    p.add_argument("--start", type=year, default=2012.0, help="first year (default 2012)")
    p.add_argument("--until", type=year, default=2060.0, help="last year (default 2060)")

    p = verb("ensemble", "Monte Carlo ensemble of a scenario, conditioned on history (chunked, on Dask)",
             EXAMPLES["ensemble"])
    add_scenario_arguments(p)
    _ensemble_options(p, n=1000)
    p.add_argument("--prior-only", action="store_true",
                   help="draw every parameter from its prior range and keep every member (not conditioned on "
                        "history: the calibration posterior and the history check are not used)")
    p.add_argument("--out", type=Path, help="NetCDF file for the dataset (e.g. ensemble.nc)")
    p.add_argument("--plot", nargs="?", const=True, metavar="DIR",
                   help="also write the fan chart and milestone-year distributions (PNG and SVG) into the "
                        "directory of --out, or into DIR")

    p = verb("sensitivity", "global sensitivity (SALib Sobol or Morris) of one output metric",
             EXAMPLES["sensitivity"])
    add_scenario_arguments(p)
    p.add_argument("--method", choices=("sobol", "morris"), default="sobol")
    p.add_argument("--output", default="automation_100_year", metavar="METRIC",
                   help=f"the metric to explain (default automation_100_year); one of: {', '.join(METRIC_KEYS)}")
    p.add_argument("--parameters", help="comma-separated parameters to vary (default: every uncertain one)")
    _ensemble_options(p, n=64, what="base sample (Sobol, rounded up to a power of 2) or trajectories (Morris)")
    p.add_argument("--prior-only", action="store_true",
                   help="sample every parameter's prior range (default: the posterior-predictive distribution: "
                        "fitted parameters within their calibration posterior, the others within their "
                        "history-plausible ranges)")
    p.add_argument("--out", type=Path, help="CSV file for the indices")
    p.add_argument("--plot", nargs="?", const=True, metavar="DIR",
                   help="also write a bar chart of the indices (PNG and SVG) into the directory of --out, or into DIR")


def _ensemble_options(p: argparse.ArgumentParser, n: int, what: str = "members") -> None:
    p.add_argument("-n", type=count, default=n, help=f"{what} (default {n})")
    p.add_argument("--seed", type=non_negative, default=0, help="random seed (default 0)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://HOST:8786 (default: local cores)")
    p.add_argument("--workers", type=count, help="local worker processes (default: one per core)")
    p.add_argument("--chunk-size", type=count, default=200,  # ensemble.DEFAULT_CHUNK (not imported: startup)
                   help="members per chunk (default 200; with --dt, rounded up to a multiple of 64)")
    p.add_argument("--until", type=year, default=END_YEAR, help=f"last year (default {END_YEAR:g})")
    p.add_argument("--dt", type=positive_float,
                   help="integrate with fixed RK4 steps of DT years instead (faster, less accurate; must divide 0.25)")
    p.add_argument("--rtol", type=positive_float, default=5e-5,  # ensemble.ADAPTIVE_RTOL (not imported: startup)
                   help="relative tolerance of each member's adaptive step (default 5e-5)")


def _settings(args: argparse.Namespace):
    from .ensemble import Settings

    if args.dt is not None and abs(0.25 / args.dt - round(0.25 / args.dt)) > 1e-9:
        raise CommandError(f"--dt must divide 0.25 (e.g. 0.25, 0.125, 0.0625), not {args.dt:g}")
    if not args.rtol < 1:
        raise CommandError(f"--rtol must be below 1, not {args.rtol:g}")
    if args.until <= START_YEAR:
        raise CommandError(f"--until ({args.until:g}) must be after {START_YEAR:g}")
    quarters = (args.until - START_YEAR) * 4
    if abs(quarters - round(quarters)) > 1e-9:
        raise CommandError(f"--until ({args.until:g}) must be {START_YEAR:g} plus a whole number of quarters "
                           "(e.g. 2040.25)")
    if args.dt is not None:
        return Settings(stop=args.until, method="rk4", dt=args.dt, rtol=args.rtol)
    return Settings(stop=args.until, rtol=args.rtol)


def scenario_of(args: argparse.Namespace, ref: str | None = None):
    """The scenario a verb names (default: baseline), with ``--set`` on top."""
    from .scenario import load_scenario

    return load_scenario(ref or getattr(args, "scenario", None) or "baseline").with_overrides(args.overrides)


def _progress(args: argparse.Namespace) -> bool:
    from ..progress import enabled

    return enabled(args.quiet)


def _plot_dir(args: argparse.Namespace) -> Path | None:
    """Where ``--plot`` writes: its DIR, or the directory of ``--out`` (checked writable)."""
    if args.plot is None:
        return None
    if args.plot is not True:
        return check_output_dir(Path(args.plot), "--plot")
    if args.out is None:
        raise CommandError("--plot needs --out FILE (figures go next to it) or a directory: --plot DIR")
    return check_output_dir(args.out.parent, "--plot")


# ---------------------------------------------------------------------- handlers
def scenarios(args: argparse.Namespace, say: Callable[[str], None]) -> None:
    from ..progress import stages
    from .scenario import base_model, builtin_names, library, load_scenario

    if args.scenario and args.show and args.scenario != args.show:
        raise CommandError(f"two scenarios ({args.scenario!r} and --show {args.show!r}): give one")
    args.show = args.show or args.scenario
    with stages(_progress(args), "scenarios", ["build model", "load scenarios"]) as stage:
        stage("build model")
        base_model()
        stage("load scenarios")
        if args.show:
            shown = load_scenario(args.show)
        else:
            scenarios = library()
    if args.show:
        s = shown
        say(f"{s.name}: {s.description}")
        if s.lineage:
            say(f"extends: {' <- '.join(s.lineage)}")
        if s.rationale:
            say("\n" + textwrap.fill(" ".join(s.rationale.split()), width=90))
        if s.sources:
            say("\nsources:\n" + "\n".join(f"  - {src}" for src in s.sources))
        if s.interventions:
            say("\ninterventions:\n" + "\n".join(f"  - {iv.describe()}" for iv in s.interventions))
        say("\nresolved TOML:\n" + s.to_toml())
        return
    width = max(len(s.name) for s in scenarios)
    say(f"{len(builtin_names())} built-in scenarios (aiscale scenarios --show NAME for one in full):\n")
    for s in scenarios:
        say(textwrap.fill(s.description, width=100, initial_indent=f"  {s.name:<{width}}  ",
                          subsequent_indent=" " * (width + 4)))


def compare(args: argparse.Namespace, say: Callable[[str], None]) -> None:
    from .compare import compare as run_compare
    from .compare import format_slack

    if args.until <= args.start:
        raise CommandError(f"--until ({args.until:g}) must be after --start ({args.start:g})")
    quarters = (args.until - args.start) * 4
    if abs(quarters - round(quarters)) > 1e-9:
        raise CommandError(f"--until - --start ({args.until - args.start:g} years) must be a whole number of quarters")
    if args.plot and args.out is None:
        raise CommandError("--plot needs --out DIR for the figures")
    if args.out is not None:
        check_output_dir(args.out, "--out")
    scenarios = [scenario_of(args, ref) for ref in args.scenarios]
    c = run_compare(scenarios, start=args.start, stop=args.until, progress=_progress(args))
    say(c.table.to_string())
    say("\nwhy a lever did or did not matter: the binding constraint and each ceiling's slack (orders of "
        "magnitude above the largest run) in the years the interventions act\n")
    say(format_slack(c.slack))
    if args.out is not None:
        written = c.write(args.out, figures=args.plot)
        say("\nwrote " + ", ".join(str(p) for p in written))


def check(args: argparse.Namespace, say: Callable[[str], None]) -> int:
    from .checks import check_scenarios, load_checks
    from .scenario import builtin_names

    if args.until <= args.start:
        raise CommandError(f"--until ({args.until:g}) must be after --start ({args.start:g})")
    checks = load_checks(args.checks)
    scenarios = args.scenarios or sorted(builtin_names(), key=lambda n: (n != "baseline", n))
    report = check_scenarios(scenarios, start=args.start, stop=args.until, checks=checks, progress=_progress(args))
    shown = ", ".join(report.outcomes) if args.scenarios else f"the {len(scenarios)} built-in scenarios"
    say(f"{len(checks)} reality checks on {shown}, {args.start:g}-{args.until:g} "
        "(ok: holds, FAIL: fails, skip: the model lacks a name it reads)\n")
    say("\n".join(report.lines(details=args.details)))
    failures = report.failures
    say(f"\n{len(failures)} failure{'s' if len(failures) != 1 else ''} in {len(report.outcomes)} "
        f"scenario{'s' if len(report.outcomes) != 1 else ''}" + (" (exit code 1)" if failures else ""))
    return 1 if failures else 0


def ensemble(args: argparse.Namespace, say: Callable[[str], None]) -> None:
    import time

    from .dataset import summary_table, write_netcdf
    from .ensemble import EnsembleError, monte_carlo

    if args.n < 1:
        raise CommandError(f"-n must be at least 1, not {args.n}")
    if args.out is not None and args.out.suffix not in (".nc", ".nc4", ".netcdf"):
        raise CommandError(f"--out {args.out}: give a NetCDF file name ending in .nc")
    settings = _settings(args)
    if args.out is not None:
        check_output_file(args.out, "--out")
    plot_dir = _plot_dir(args)
    scenario = scenario_of(args)
    began = time.perf_counter()
    try:
        ds = monte_carlo(scenario, args.n, args.seed, settings, prior_only=args.prior_only,
                         chunk_size=args.chunk_size, scheduler=args.scheduler, workers=args.workers,
                         progress=_progress(args))
    except EnsembleError as err:
        raise CommandError(str(err)) from None
    seconds = time.perf_counter() - began
    label = "PRIOR ONLY (not conditioned on history)" if args.prior_only else "posterior-predictive"
    say(f"{ds.attrs['scenario']}: {ds.attrs['members']} runs, {label}, {ds.attrs['varied_parameters']} parameters "
        f"varied, seed {args.seed}, {settings.describe()}, {settings.start:g}-{settings.stop:g} ({seconds:.1f} s)")
    say(textwrap.fill("conditioned on: " + ds.attrs["conditioning"], width=100, subsequent_indent="  ") + "\n")
    say(history_line(ds))
    say("")
    say(summary_table(ds, SUMMARY_KEYS).to_string(index=False))
    blown = float(ds["metric_reached_share"].sel(metric="blowup_year"))
    say(f"\n{blown:.0%} of runs end in a finite-time blow-up (held at their state there, with their blow-up time)")
    written = []
    if args.out is not None:
        written.append(write_netcdf(ds, args.out))
    if plot_dir is not None:
        from .. import plots
        written += plots.save(plots.ensemble_fan_chart(ds, f"aiscale ensemble: {ds.attrs['scenario']}"),
                              plot_dir, "ensemble_fan")
        written += plots.save(plots.milestone_distributions(ds, title=ds.attrs["scenario"]), plot_dir,
                              "ensemble_milestones")
    if written:
        say("wrote " + ", ".join(str(p) for p in written))


def history_line(ds) -> str:
    """What the history check did: draws run, rejected and why (every reason, in a fixed
    order; or, prior-only, how many members would have failed it)."""
    import json

    from ..calibration.series import SERIES
    from .matching import BLOWUP_REASON

    reasons = json.loads(ds.attrs.get("rejection_reasons", "{}"))
    series = [s for s in SERIES if s in ds["observed_series"].values] if "observed_series" in ds.coords else []
    why = ", ".join([f"{BLOWUP_REASON} {reasons.get(BLOWUP_REASON, 0)}"]
                    + [f"{s} {reasons.get(f'{s} outside tolerance', 0)}" for s in series])
    total, failing = int(ds.attrs["draws_total"]), int(ds.attrs["draws_failing_history"])
    inconsistent = int(ds.attrs.get("draws_inconsistent_start", 0))
    culprits = json.loads(ds.attrs.get("start_inconsistencies", "{}"))
    start = (f"\n  {inconsistent} of {total} draws are inconsistent with the {float(ds.attrs['start']):g} start "
             f"(the watchdog would stop them at once: {', '.join(f'{k} {v}' for k, v in culprits.items())}): "
             "replaced, not run") if inconsistent else ""
    if int(ds.attrs.get("prior_only", 0)):
        members = ds.sizes["run"]
        failing = int((ds["history_plausible"].values == 0).sum()) if "history_plausible" in ds else failing
        return (f"history check (not applied): {failing} of {members} members ({failing / members:.0%}) do not match "
                f"2012-2025 history\n  they fail (a member may fail several): {why}{start}")
    rejected = failing + inconsistent
    text = f"history matching: {total} draws, {rejected} rejected ({rejected / total:.0%}), " \
           f"{int(ds.attrs['members'])} kept"
    if int(ds.attrs["members"]) < int(ds.attrs["members_requested"]):
        text += f" (FEWER than the {int(ds.attrs['members_requested'])} asked for: the draws ran out)"
    return text + f"\n  rejected because (a draw may fail several): {why}{start}"


def sensitivity(args: argparse.Namespace, say: Callable[[str], None]) -> None:
    from ..stocks_flows import atomic_write
    from .ensemble import EnsembleError
    from .sensitivity import sensitivity as run_sensitivity

    settings = _settings(args)
    if args.out is not None:
        check_output_file(args.out, "--out")
    plot_dir = _plot_dir(args)
    parameters = [p.strip() for p in args.parameters.split(",") if p.strip()] if args.parameters else None
    scenario = scenario_of(args)
    try:
        r = run_sensitivity(scenario, args.method, args.n, args.output, args.seed, parameters, settings,
                            prior_only=args.prior_only, chunk_size=args.chunk_size, scheduler=args.scheduler,
                            workers=args.workers, progress=_progress(args))
    except EnsembleError as err:
        raise CommandError(str(err)) from None
    say(f"{args.method} indices of {args.output} ({r.table.shape[0]} parameters, {r.runs} runs, seed {args.seed}; "
        f"{r.censored_share:.0%} of runs never reach it and count as the end of the run)")
    start = (f"; {r.start_inconsistent_share:.1%} contradict the {settings.start:g} start and stop there at once "
             "(they count as never reaching it)" if r.start_inconsistent_share else "")
    say(textwrap.fill(f"inputs: {r.conditioning}; {r.history_failing_share:.0%} of the design's runs fail the "
                      f"history check (none is rejected: the design needs every point){start}", width=100,
                      subsequent_indent="  "))
    say("each index with the low and high ends of its 95% bootstrap interval (seeded); wide: how many of the "
        "row's indices have an interval wider than the index (not resolved at this -n)\n")
    say(r.formatted().to_string(float_format=lambda x: f"{x:.3f}"))
    warning = r.warning()
    say("\n" + warning if warning else f"\nconverged: every index that matters is resolved to half its value at -n {r.n}")
    written = []
    if args.out is not None:
        table = r.table
        atomic_write(args.out, lambda p: table.to_csv(p))
        written.append(args.out)
    if plot_dir is not None:
        from .. import plots
        from .metrics import BY_KEY
        fig = plots.sensitivity_bars(r.table, args.method, args.output, BY_KEY[args.output].unit, r.runs)
        written += plots.save(fig, plot_dir, f"sensitivity_{args.method}_{args.output}")
    if written:
        say("\nwrote " + ", ".join(str(p) for p in written))


HANDLERS = {"scenarios": scenarios, "compare": compare, "check": check, "ensemble": ensemble,
            "sensitivity": sensitivity}
