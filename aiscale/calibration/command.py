"""The ``aiscale calibrate`` verb (registered by :mod:`aiscale.cli`).

Imports nothing heavy at module level: the parser is built on every command.
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable
from pathlib import Path

from ..inputs import check_output_dir
from ..progress import enabled

EXAMPLES = """examples:
  aiscale calibrate                            # fit the default free parameters to all history
  aiscale calibrate --until 2020               # backtest: fit to data up to 2020, score 2021-2025
  aiscale calibrate --priors my_priors.csv     # other priors (columns as aiscale/data/priors.csv)
  aiscale calibrate --params price_performance_growth_per_year,reinvestment_ratio --steps 0
  aiscale calibrate --data ../shared/data/history --out out/cal   # other copies of the raw files
  aiscale calibrate --steps 0 --screen 0 --no-plots            # the MAP only, quick, no figures

writes into --out: calibrated.toml (a scenario file for 'aiscale run --scenario'), calibrated.json,
posterior.csv (joint posterior draws), fit.csv, parameters.csv, correlations.csv, residuals.csv,
observations.csv, backtest.csv (with --until) and figures (fig_<series>.png/.svg, calibration.png/.svg)"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..inputs import assignment, count, non_negative, whole_year

    parser.epilog = EXAMPLES
    parser.add_argument("--until", type=whole_year, metavar="YEAR",
                        help="fit only to data up to YEAR and report errors on the later years (backtest)")
    parser.add_argument("--params", metavar="A,B,C",
                        help="comma-separated free parameters (default: fit = 1 in the priors table)")
    parser.add_argument("--priors", type=Path, metavar="CSV",
                        help="priors table (default: aiscale/data/priors.csv; columns name, fit, prior, lower, "
                             "upper, interval, source)")
    parser.add_argument("--out", type=Path, default=Path("out/calibration"),
                        help="output directory (default out/calibration)")
    parser.add_argument("--data", type=Path, metavar="PATH",
                        help="a directory of raw history files or an observations CSV (default: shipped history)")
    parser.add_argument("--steps", type=non_negative, default=500,
                        help="MCMC steps per walker (default 500, the first third discarded; 0 = the MAP only)")
    parser.add_argument("--walkers", type=count, help="MCMC walkers (default 4 x free parameters)")
    parser.add_argument("--screen", type=non_negative, default=512,
                        help="Sobol points screened for starting points (default 512; 0 = start at the table values)")
    parser.add_argument("--seed", type=non_negative, default=0, help="random seed (default 0)")
    parser.add_argument("--set", dest="overrides", action="append", type=assignment, default=[], metavar="NAME=VALUE",
                        help="hold a parameter that is not fitted at this value (repeatable)")
    parser.add_argument("--plot", action="store_true",
                        help="write the figures into --out (the default; --no-plots turns them off)")
    parser.add_argument("--no-plots", action="store_true", help="do not write figures")


def run(args: argparse.Namespace, say: Callable[[str], None], error: type[Exception] = ValueError) -> None:
    from . import backtest, fit, load_history, summary_text, write_outputs
    from .priors import read_priors

    if args.steps < 0:
        raise error(f"--steps must be 0 or more, not {args.steps}")
    if args.walkers is not None and args.walkers < 2:
        raise error(f"--walkers must be at least 2, not {args.walkers}")
    if args.priors is not None:
        read_priors(args.priors)  # a bad table stops here, before any work
    free = None
    if args.params:
        free = tuple(p.strip() for p in args.params.split(",") if p.strip())
        if not free:
            raise error("--params names no parameter")
    fixed = _fixed(args.overrides, free, args.priors, error)
    check_output_dir(args.out, "--out")
    observations = load_history(args.data)
    kwargs = dict(mcmc=args.steps > 0, steps=max(args.steps, 1), walkers=args.walkers, seed=args.seed,
                  screen=args.screen, progress=enabled(args.quiet), refine=3 if args.screen > 0 else 1,
                  priors=None if args.priors is None else str(args.priors), fixed=fixed or None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if args.until is not None:
            bt = backtest(observations, args.until, free, **kwargs)
            result = bt.result
        else:
            bt = None
            result = fit(observations, free, **kwargs)
        written = write_outputs(args.out, result, observations, bt, source=args.data, plots=not args.no_plots)
    say("")
    say(summary_text(result, bt))
    from .fit import CalibrationWarning
    for w in caught:
        if issubclass(w.category, CalibrationWarning) and not str(w.message).startswith("skipped series"):
            say(f"warning: {w.message}")
    say(f"\nwrote {len(written)} files into {args.out}: calibrated.toml (scenario), fit.csv"
        + (", posterior.csv" if result.samples is not None else "")
        + (", backtest.csv" if bt is not None else "") + (", figures" if not args.no_plots else "") + ", ...")


def _fixed(overrides, free, priors, error) -> dict[str, float]:
    """``--set`` values: parameters of the table, within range, and not fitted."""
    from ..scenarios.scenario import Scenario
    from .fit import table_model
    from .priors import default_free

    fitted = default_free(priors) if free is None else free
    for name, _ in overrides:
        if name in fitted:
            raise error(f"--set {name}: {name} is fitted (a free parameter); leave it out of --set or --params")
    checked = Scenario("table").with_overrides(overrides, table_model())
    return dict(checked.parameters)
