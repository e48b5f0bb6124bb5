"""The ``aiscale`` command line: a thin layer over the Python API.

User errors (bad arguments, unknown names, values out of range, unwritable paths)
exit with code 2 and a one-line message; ``--debug`` shows the traceback. Progress
bars (tqdm) go to stderr on a terminal; ``--quiet`` turns them and all other output
but errors off. ``--quiet`` and ``--debug`` go before or after the verb.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import textwrap
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .inputs import (
    add_scenario_arguments,
    check_output_dir,
    check_output_file,
    count,
    non_negative,
    positive_float,
    year,
)
from .timespan import END_YEAR, START_YEAR
from .stocks_flows import ModelError
from .stocks_flows.integrate import ADAPTIVE_METHODS, FIXED_METHODS

METHODS = (*ADAPTIVE_METHODS, *FIXED_METHODS)

if TYPE_CHECKING:
    import pandas as pd

EXAMPLES = {
    "run": """examples:
  aiscale run                                 # 2012-2060, prints milestones
  aiscale run --until 2040 --out out/run      # also writes timeseries.csv, .parquet, metadata.json
  aiscale run --out out/run --plot            # and the figures (PNG and SVG)
  aiscale run pause                           # a built-in scenario (aiscale scenarios) or a .toml file
  aiscale run --set fab_construction_years=4 --set reinvestment_ratio=3   # parameters for this run""",
    "params": """examples:
  aiscale params                              # the parameter table on screen
  aiscale params --format csv > params.csv
  aiscale params --format md --sector data""",
    "loops": """examples:
  aiscale loops                               # named feedback loops, polarity, dominance
  aiscale loops --all                         # every loop the equations contain
  aiscale loops --until 2040 --plot --out out/loops   # causal loop diagram, dominance, sectors
  aiscale loops pause --until 2040            # the loops of a scenario""",
    "export": """examples:
  aiscale export xmile --out my-model.xmile   # for Stella, Vensim (via XMILE) or PySD
  aiscale export xmile --dt 0.0625 --until 2040
  aiscale export xmile pause --out pause.xmile   # a scenario's parameters and interventions""",
    "report": """examples:
  aiscale report --out report.html                          # the baseline, 2012-2060
  aiscale report baseline pause taiwan-shock --until 2045 --out report.html
  aiscale report pause --ensemble 500 --seed 1 --out pause.html   # with Monte Carlo percentiles

one self-contained HTML file (figures embedded, no network needed): milestones, scenario
comparison, binding constraints, calibration summary, ensemble (with --ensemble), feedback
loops and the parameter table with sources""",
}


class UserError(Exception):
    """A problem with what the user asked for: exit code 2, one line."""


class RunFailed(Exception):
    """The work itself failed (e.g. the solver gave up): exit code 1, one line."""


class Terminated(Exception):
    """SIGTERM or SIGHUP: unwind (temporary files are removed) and exit 128 + signal."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class Parser(argparse.ArgumentParser):
    """Argument errors as one line (exit code 2), pointing to the verb's ``--help``."""

    verbs: dict[str, argparse.ArgumentParser] = {}

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")

    def parse_args(self, args=None, namespace=None):  # type: ignore[override]
        parsed, extra = self.parse_known_args(args, namespace)
        if extra:
            self.verbs.get(getattr(parsed, "verb", None), self).error(f"unrecognized arguments: {' '.join(extra)}")
        return parsed


def _common_options(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument("--debug", action="store_true", default=default, help="show full tracebacks on errors")
    parser.add_argument("--quiet", action="store_true", default=default,
                        help="print only errors (no output, no progress bars)")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="aiscale",
        description="A system-dynamics model of AI scaling: chips, power, data, algorithms, "
                    "money and AI-accelerated research.",
        epilog="""examples:
  aiscale run                                 # the baseline 2012-2060 and its milestones
  aiscale compare baseline pause --until 2045 # scenarios side by side
  aiscale report --out report.html            # everything in one HTML file

Run 'aiscale VERB --help' for the options and examples of each verb.""",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"aiscale {__version__}")
    _common_options(parser, False)
    parser.verbs = {}
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")

    def add(name: str, help: str, epilog: str | None) -> argparse.ArgumentParser:
        p = verbs.add_parser(name, help=help, description=help, epilog=epilog,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        _common_options(p, argparse.SUPPRESS)  # after the verb too, without overriding the global flags
        parser.verbs[name] = p
        return p

    def verb(name: str, help: str) -> argparse.ArgumentParser:
        return add(name, help, EXAMPLES.get(name))

    run = verb("run", "simulate the model and print its milestones")
    add_scenario_arguments(run)
    run.add_argument("--scenario", dest="scenario_option", metavar="SCENARIO",
                     help="the same as the positional SCENARIO (kept for older scripts)")
    run.add_argument("--start", type=year, default=START_YEAR, help=f"first year (default {START_YEAR:g})")
    run.add_argument("--until", type=year, default=END_YEAR, help=f"last year (default {END_YEAR:g})")
    run.add_argument("--out", type=Path, help="directory for timeseries.csv, timeseries.parquet, metadata.json "
                                              "(replaced as a whole: a new directory, or an earlier run's)")
    run.add_argument("--method", default="RK45", choices=METHODS, metavar="METHOD",
                     help=f"solver: {', '.join(METHODS)} (default RK45)")
    run.add_argument("--dt", type=positive_float,
                     help="time step of the fixed-step methods euler and rk4 (years; must divide 0.25)")
    run.add_argument("--plot", action="store_true", help="also write figures (PNG and SVG) into --out")

    params = verb("params", "print the parameters the model runs with (calibrated ones marked), units, ranges, "
                            "priors and sources")
    params.add_argument("--format", choices=("table", "csv", "md"), default="table")
    params.add_argument("--sector", help="only this sector's parameters")

    loops = verb("loops", "list the model's feedback loops, their polarity and dominance")
    add_scenario_arguments(loops)
    loops.add_argument("--until", type=year, default=END_YEAR, help="analyse the run up to this year")
    loops.add_argument("--all", action="store_true", help="list every loop, not only the named ones")
    loops.add_argument("--plot", action="store_true",
                       help="write the causal loop diagram, loop dominance and sector diagram figures into --out")
    loops.add_argument("--out", type=Path, help="directory for the --plot figures")

    export = verb("export", "export the model to another tool's format")
    export.add_argument("format", choices=("xmile",), help="file format")
    add_scenario_arguments(export)
    export.add_argument("--out", type=Path, default=Path("aiscale-model.xmile"),
                        help="output file (default aiscale-model.xmile: PySD writes its translation beside it as "
                             "aiscale-model.py, which cannot shadow the aiscale package)")
    export.add_argument("--dt", type=positive_float, default=1 / 32, help="Euler time step in the file (years)")
    export.add_argument("--start", type=year, default=START_YEAR, help=f"first year (default {START_YEAR:g})")
    export.add_argument("--until", type=year,
                        help=f"last year (default {EXPORT_END:g}, or the last whole year before the run blows up)")

    from .scenarios.commands import add_verbs as scenario_verbs
    scenario_verbs(add)

    from .calibration.command import add_arguments as calibrate_arguments
    calibrate_arguments(verb("calibrate", "fit parameters to history (MAP + MCMC posterior with priors) and backtest"))

    from .playground.command import add_arguments as playground_arguments
    playground_arguments(add)

    report = verb("report", "write one self-contained HTML report of scenarios")
    add_scenario_arguments(report, many="*")
    report.add_argument("--out", type=Path, default=Path("report.html"), help="the HTML file (default report.html)")
    report.add_argument("--start", type=year, default=START_YEAR, help=f"first year (default {START_YEAR:g})")
    report.add_argument("--until", type=year, default=END_YEAR, help=f"last year (default {END_YEAR:g})")
    report.add_argument("--ensemble", type=non_negative, default=0, metavar="N",
                        help="also a Monte Carlo ensemble of N runs of the first scenario (default: none)")
    report.add_argument("--seed", type=non_negative, default=0, help="random seed of the ensemble (default 0)")
    report.add_argument("--workers", type=count, help="local worker processes for the ensemble (default: one per core)")
    report.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler for the ensemble, e.g. tcp://HOST:8786")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verb is None:
        parser.print_help()
        return 0
    handler = {"run": _run, "params": _params, "loops": _loops, "export": _export,
               "calibrate": _calibrate, "report": _report, "playground": _playground,
               **_scenario_handlers()}[args.verb]
    try:
        with warnings.catch_warnings(), _terminate_gracefully():
            if not args.debug:
                warnings.simplefilter("ignore", RuntimeWarning)
            status = handler(args)  # None, or a non-zero exit status (aiscale check: 1 if a check fails)
    except BrokenPipeError:  # e.g. `aiscale params | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"aiscale {args.verb}: interrupted", file=sys.stderr)
        return 130
    except Terminated as err:
        print(f"aiscale {args.verb}: terminated by signal {err.signum}", file=sys.stderr)
        return 128 + err.signum
    except (UserError, RunFailed, ModelError, ValueError, OSError, MemoryError, OverflowError) as err:
        if args.debug:
            raise
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        if isinstance(err, MemoryError):
            message = f"out of memory ({message}): ask for less (fewer runs, a shorter horizon)"
        print(f"aiscale {args.verb}: error: {message}", file=sys.stderr)
        return 1 if isinstance(err, RunFailed) else 2
    return status or 0


@contextmanager
def _terminate_gracefully() -> Iterator[None]:
    """SIGTERM and SIGHUP raise :class:`Terminated` in the main thread, so that the
    work unwinds like an interrupt: temporary files are removed, worker processes
    stopped. (Python's default for SIGTERM is to die on the spot.)"""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Terminated(signum)

    wanted = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous = {s: signal.signal(s, handler) for s in wanted}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(text)


def _stages(args: argparse.Namespace, names: Sequence[str]):
    """A progress bar over a command's stages (stderr, a terminal, not --quiet)."""
    from .progress import enabled, stages

    return stages(enabled(args.quiet), args.verb, names)


RUN_OUTPUTS = ("timeseries.csv", "timeseries.parquet", "metadata.json", "variables.csv", "trajectory.png",
               "trajectory.svg", "binding_constraints.png", "binding_constraints.svg")
SAVE_STEP = 0.25  # years between the saved points of a run (quarterly)
EXPORT_END = END_YEAR  # the model's span, unless the run blows up before


def _check_years(args: argparse.Namespace, start: float | None = None) -> None:
    start = args.start if start is None else start
    if args.until <= start:
        raise UserError(f"--until ({args.until:g}) must be after --start ({start:g})")
    quarters = (args.until - start) / SAVE_STEP
    if abs(quarters - round(quarters)) > 1e-9:
        raise UserError(f"--until - --start ({args.until - start:g} years) must be a whole number of quarters "
                        f"(the output step, {SAVE_STEP:g} year)")


def _model_and_name(args: argparse.Namespace, ref: str | None):
    """The model a verb runs: the default one, or a scenario's, with ``--set`` on top."""
    from .model import build_model

    model = build_model()
    if ref is None and not args.overrides:
        return model, "baseline"
    from .scenarios import load_scenario

    scenario = load_scenario(ref or "baseline", model).with_overrides(args.overrides, model)
    return scenario.apply(model), scenario.name


def _check_run_out(out: Path) -> None:
    """``run --out`` replaces the directory as a whole: it must be new, empty, or hold only
    what an earlier run wrote (so nobody's other files are lost)."""
    check_output_dir(out, "--out")
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir() if p.name not in RUN_OUTPUTS and not p.name.startswith("."))
        if foreign:
            raise UserError(f"--out {out} holds files that 'aiscale run' did not write ({', '.join(foreign[:3])}"
                            f"{', ...' if len(foreign) > 3 else ''}); the output directory is replaced as a whole, "
                            "so give a new or empty directory")


def _run(args: argparse.Namespace) -> None:
    from .model import simulate_baseline
    from .scenarios.metrics import milestones_table
    from .stocks_flows import atomic_directory

    ref = args.scenario
    if args.scenario_option:
        if ref and ref != args.scenario_option:
            raise UserError(f"two scenarios ({ref!r} and --scenario {args.scenario_option!r}): give one")
        ref = args.scenario_option
    _check_years(args)
    if args.plot and args.out is None:
        raise UserError("--plot needs --out DIR for the figures")
    kwargs: dict = {"method": args.method}
    if args.method in FIXED_METHODS:
        if args.dt is None:
            raise UserError(f"--method {args.method} needs a time step: --dt (e.g. --dt 0.03125)")
        steps = SAVE_STEP / args.dt
        if abs(steps - round(steps)) > 1e-9:
            raise UserError(f"--dt must divide {SAVE_STEP:g} (e.g. 0.25, 0.125, 0.03125), not {args.dt:g}")
        kwargs.update(dt=args.dt)
    elif args.dt is not None:
        raise UserError(f"--dt sets the step of the fixed-step methods (euler, rk4); {args.method} chooses its "
                        "own steps: add --method rk4 (or euler), or leave --dt out")
    if args.out is not None:
        _check_run_out(args.out)
    names = ["build model", "simulate"] + (["write"] if args.out is not None else []) + (["plot"] if args.plot else [])
    with _stages(args, names) as stage:
        stage("build model")
        model, name = _model_and_name(args, ref)
        stage("simulate")
        result = simulate_baseline(model, start=args.start, stop=args.until, **kwargs)
        _check_solver(result)
        table = milestones_table(result)
        written: list[Path] = []
        if args.out is not None:
            out: Path = args.out
            with atomic_directory(out) as tmp:
                stage("write")
                names = _write_run(result, table, tmp)
                if args.plot:
                    stage("plot")
                    from . import plots

                    names += [p.name for p in plots.save(plots.trajectory_panels(result, title=f"aiscale: {name}"),
                                                         tmp, "trajectory")]
                    names += [p.name for p in plots.save(plots.binding_constraint_timeline(result), tmp,
                                                         "binding_constraints")]
            written = [out / n for n in names]
    _say(args, f"aiscale {__version__}: {name} {args.start:g}-{args.until:g} "
               f"({result.stats['method']}, {result.stats['nfev']} evaluations)\n")
    width = int(table["milestone"].str.len().max())
    _say(args, "\n".join(f"{m:<{width}}  {y}" for m, y in table.itertuples(index=False)))
    if written:
        _say(args, "\nwrote " + ", ".join(str(p) for p in written))


def _check_solver(result) -> None:
    """A solver that gave up is a failed run (exit code 1), not a blow-up of the model."""
    failure = next((e for e in result.events if e.kind == "solver-failure"), None)
    if failure is not None:
        raise RunFailed(f"the {result.stats.get('method')} solver failed at {failure.time:.2f} ({failure.detail}); "
                        "the model did not blow up there: try the default RK45, or --method rk4 --dt 0.03125")


def _write_run(result, table, directory: Path) -> list[str]:
    """A run's files (time series, column units and descriptions, metadata) in ``directory``."""
    frame = result.frame
    variables = _variables(frame)
    frame.to_csv(directory / "timeseries.csv")
    frame.to_parquet(directory / "timeseries.parquet")
    variables.to_csv(directory / "variables.csv", index=False)
    meta = {"metadata": result.metadata, "parameters": result.parameters,
            "events": [e.as_dict() for e in result.events],
            "stats": {k: v for k, v in result.stats.items() if k in ("method", "nfev", "steps", "status")},
            "milestones": table.to_dict(orient="records"),
            "units": dict(zip(variables["name"], variables["unit"]))}
    (directory / "metadata.json").write_text(json.dumps(meta, indent=2, default=str))
    return ["timeseries.csv", "timeseries.parquet", "variables.csv", "metadata.json"]


def _variables(frame):
    """One row per column of a run's frame: name, unit and description."""
    import pandas as pd

    units, docs = frame.attrs.get("units", {}), frame.attrs.get("descriptions", {})
    return pd.DataFrame({"name": ["time", *frame.columns],
                         "unit": [frame.attrs.get("time_unit", "year"), *(units.get(c, "") for c in frame.columns)],
                         "description": ["simulation time", *(docs.get(c, "") for c in frame.columns)]})


def parameter_listing() -> pd.DataFrame:
    """Every parameter with the value the default model runs with (``value``: the
    calibrated value where the shipped calibration sets one), its ``table_value``,
    whether it is ``calibrated``, and its ``prior`` (for parameters fitted by default
    or with a declared prior; see ``aiscale/data/priors.csv``)."""
    from .calibration.priors import prior_for, shipped_priors
    from .model import build_model, calibrated_parameters, parameter_table
    from .stocks_flows.elements import Parameter

    table = parameter_table().reset_index()
    running = build_model().parameters
    table["table_value"] = table["value"]
    table["value"] = [running[n].value if n in running else v for n, v in zip(table["name"], table["value"])]
    table["calibrated"] = table["name"].isin(list(calibrated_parameters()))
    specs = shipped_priors()
    rows = table.set_index("name")
    table["prior"] = [prior_for(Parameter(n, float(rows.loc[n, "table_value"]), None, float(rows.loc[n, "low"]),
                                          float(rows.loc[n, "high"]), str(rows.loc[n, "source"])),
                                specs[n]).describe() if n in specs else "" for n in table["name"]]
    return table


def _params(args: argparse.Namespace) -> None:
    table = parameter_listing()
    if args.sector:
        sectors = sorted(table["sector"].unique())
        if args.sector not in sectors:
            raise UserError(f"unknown sector {args.sector!r}; choose one of {', '.join(sectors)}")
        table = table[table["sector"] == args.sector]
    if args.format == "csv":
        sys.stdout.write(table.to_csv(index=False))
    elif args.format == "md":
        sys.stdout.write(table.to_markdown(index=False) if _has_tabulate() else _markdown(table))
        sys.stdout.write("\n")
    else:
        print("values the default model runs with; calibrated ones are marked, with their table value")
        for _, row in table.iterrows():
            mark = f"  calibrated (table value {row['table_value']:g})" if row["calibrated"] else ""
            print(f"{row['name']:<40} {row['value']:>12.6g} {row['unit']:<22} "
                  f"[{row['low']:g}, {row['high']:g}]{mark}")
            if row["prior"]:
                print(f"    prior: {row['prior']}")
            print(textwrap.fill(f"source: {row['source']}", width=100, initial_indent="    ",
                                subsequent_indent="    "))


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


def _markdown(table) -> str:
    def cell(v) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def _loops(args: argparse.Namespace) -> None:
    from .model import simulate_baseline
    from .model.loops import family_dominance, name_loops
    from .stocks_flows.structure import LoopAnalysis, dominant_periods

    _check_years(args, start=START_YEAR)
    if args.plot and args.out is None:
        raise UserError("--plot needs --out DIR for the figures")
    if args.out is not None and not args.plot:
        raise UserError("--out is where --plot writes its figures: add --plot")
    if args.out is not None:
        check_output_dir(args.out, "--out")
    names = ["build model", "simulate", "find loops", "dominance"] + (["plot"] if args.plot else [])
    with _stages(args, names) as stage:
        stage("build model")
        model, _ = _model_and_name(args, args.scenario)
        stage("simulate")
        result = simulate_baseline(model, stop=args.until)
        _check_solver(result)
        stage("find loops")
        analysis = LoopAnalysis(model, result)
        loops = analysis.loops
        named = name_loops(loops)
        stage("dominance")
        dominance = family_dominance(analysis) if named else None
        written: list[Path] = []
        if args.plot:
            stage("plot")
            written = _loop_figures(model, named, dominance, args.out)
    counts = {p: sum(lp.polarity == p for lp in loops) for p in ("reinforcing", "balancing", "ambiguous",
                                                                  "undetermined")}
    _say(args, f"{len(loops)} feedback loops in the equations: " + ", ".join(f"{n} {p}" for p, n in counts.items())
         + " (undetermined: never active in this run)\n")
    for family, lp in named:
        _say(args, f"{lp.id:>6}  {lp.symbol:<3} {family.name:<26} {family.description}")
    if named:
        _say(args, f"\ndominant feedback (Loops that Matter over all {sum(dominance.attrs['loops'].values())} loops "
                   "of the main feedback structure, summed by family):")
        for begin, end, family in dominant_periods(dominance):
            _say(args, f"  {begin:7.2f} - {end:7.2f}  {family}")
    if written:
        _say(args, "\nwrote " + ", ".join(str(p) for p in written))
    if args.all:
        _say(args, "")
        for lp in loops:
            _say(args, f"{lp.id:>6}  {lp.symbol:<3} {' -> '.join(lp.visible_variables)}")


def _loop_figures(model, named, dominance, out: Path) -> list[Path]:
    """The causal loop diagram, loop dominance and the sector diagram."""
    from . import plots
    from .model.sectors import sector_links

    written = plots.save(plots.named_loop_diagram(named), out, "causal_loop_diagram")
    if dominance is not None:
        written += plots.save(plots.loop_dominance(dominance, {}), out, "loop_dominance")
    written += plots.save(plots.sector_diagram(*sector_links(model)), out, "sectors")
    return written


def _export(args: argparse.Namespace) -> None:
    from .stocks_flows.xmile import export_xmile

    until = EXPORT_END if args.until is None else args.until
    if until <= args.start:
        raise UserError(f"--until ({until:g}) must be after --start ({args.start:g})")
    steps = (until - args.start) / args.dt
    if abs(steps - round(steps)) > 1e-6 * max(1.0, steps):
        raise UserError(f"--until - --start ({until - args.start:g} years) must be a whole number of "
                        f"--dt steps ({args.dt:g})")
    check_output_file(args.out, "--out")
    note = ""
    with _stages(args, ["build model", "simulate", "export"]) as stage:
        stage("build model")
        model, _ = _model_and_name(args, args.scenario)
        stage("simulate")
        blowup = _euler_blowup(model, args.start, until, args.dt)
        if blowup is not None:
            if args.until is None:  # stop before it: tools computing in Python floats overflow past it
                until = float(math.floor(blowup)) if math.floor(blowup) > args.start else args.start + args.dt
                note = f"; ends at {until:g}, before the run's blow-up at {blowup:.1f} (--until to go further)"
            else:
                note = (f"; note: the run blows up at {blowup:.1f}, after which tools that compute in Python "
                        "floats (PySD) overflow")
        stage("export")
        export_xmile(model, args.out, start=args.start, stop=until, dt=args.dt)
    _say(args, f"wrote {args.out} (XMILE 1.0, Euler dt = {args.dt:g} year, {args.start:g}-{until:g}{note})")


def _euler_blowup(model, start: float, stop: float, dt: float) -> float | None:
    """When the exported model's own Euler run (the arithmetic Stella, Vensim and PySD
    do) blows up before ``stop``, or None."""
    from .model import simulate_baseline
    from .scenarios.metrics import STOPPING_KINDS

    result = simulate_baseline(model, start=start, stop=stop, method="euler", dt=dt, saveper=dt)
    return next((e.time for e in result.events if e.kind in STOPPING_KINDS), None)


def _report(args: argparse.Namespace) -> None:
    from .report import STAGES, write_report

    if args.out.suffix.lower() not in (".html", ".htm"):
        raise UserError(f"--out {args.out}: give an HTML file name ending in .html")
    _check_years(args)
    check_output_file(args.out, "--out")
    from .progress import enabled
    from .scenarios.commands import scenario_of
    from .scenarios.ensemble import EnsembleError

    names = [s for s in STAGES if s != "ensemble" or args.ensemble]
    scenarios = [scenario_of(args, ref) for ref in args.scenarios or ["baseline"]]
    try:
        with _stages(args, names) as stage:
            path = write_report(args.out, scenarios, args.start, args.until, args.ensemble, args.seed,
                                workers=args.workers, scheduler=args.scheduler, stage=stage,
                                progress=enabled(args.quiet))
    except EnsembleError as err:
        raise UserError(str(err)) from None
    size = path.stat().st_size / 1e6
    _say(args, f"wrote {path} ({size:.1f} MB, self-contained HTML): {', '.join(s.name for s in scenarios)}, "
               f"{args.start:g}-{args.until:g}" + (f", ensemble of {args.ensemble}" if args.ensemble else ""))


def _calibrate(args: argparse.Namespace) -> None:
    from .calibration.command import run

    run(args, lambda text: _say(args, text), UserError)


def _playground(args: argparse.Namespace) -> None:
    from .playground.command import run

    run(args, lambda text: _say(args, text), UserError)


def _scenario_handlers() -> dict:
    """The verbs of aiscale.scenarios.commands, each called with a ``say`` function."""
    from .scenarios.commands import HANDLERS

    return {verb: (lambda args, h=h: h(args, lambda text: _say(args, text))) for verb, h in HANDLERS.items()}


if __name__ == "__main__":
    sys.exit(main())
