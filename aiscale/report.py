"""``aiscale report``: one self-contained HTML file about a set of scenarios.

    from aiscale.report import write_report
    write_report("report.html", ["baseline", "pause"], stop=2045, ensemble=200)

The file needs no network: its style is inline and every figure is embedded as a
base64 PNG. Sections (``id`` in :data:`SECTIONS`): the milestones of the first
scenario, the scenarios compared, binding constraints, the shipped calibration (read
from ``aiscale/data/calibrated.json``; no fit is run), a Monte Carlo ensemble of the
first scenario when asked, the feedback loops (polarity, dominance, the causal loop
diagram, the sector diagram), the limitations of all this, and every parameter with its
source.

:func:`gather` runs what the report needs (:class:`ReportData`); :func:`render`
turns that into HTML; :func:`write_report` does both and writes atomically.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import __version__
from .timespan import END_YEAR, START_YEAR

SECTIONS = (("milestones", "Milestones"), ("comparison", "Scenario comparison"),
            ("binding", "Binding constraints"), ("calibration", "Calibration against history"),
            ("ensemble", "Monte Carlo ensemble"), ("loops", "Feedback loops and structure"),
            ("limitations", "Limitations: what this report cannot tell you"),
            ("parameters", "Parameters and sources"))
STAGES = ("run scenarios", "analyse loops", "calibration", "ensemble", "draw figures", "write")
CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 78rem;
       margin: 2rem auto; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2rem;
     margin-top: 2.5rem; } h3 { font-size: 1.05rem; margin-top: 1.5rem; }
nav ul { columns: 2; padding-left: 1.2rem; } .meta { color: #555; font-size: 0.9rem; }
table.data { border-collapse: collapse; font-size: 0.82rem; margin: 0.6rem 0; }
table.data th, table.data td { border-bottom: 1px solid #e3e3e3; padding: 0.2rem 0.6rem; text-align: left;
     vertical-align: top; }
table.data th { background: #f4f6f8; } table.data td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.85rem; } .warning { color: #8a4b00; }
footer { margin-top: 3rem; color: #777; font-size: 0.8rem; }
"""


@dataclass
class ReportData:
    """Everything the report shows, computed once."""

    comparison: Any                 # aiscale.scenarios.compare.Comparison (first scenario: the primary)
    model: Any                      # the primary scenario's model
    loops: Any                      # LoopAnalysis of the primary run
    named_loops: list               # [(LoopFamily, Loop)]
    dominance: pd.DataFrame         # relative scores of all loops over time, summed by family
    calibration: dict[str, Any]     # aiscale/data/calibrated.json
    history: pd.DataFrame           # the observations
    history_curves: dict[str, pd.DataFrame]  # the default model sampled by each series' rule
    ensemble: Any = None            # xarray.Dataset, when asked
    start: float = START_YEAR
    stop: float = END_YEAR
    created: str = ""

    @property
    def primary(self) -> str:
        return next(iter(self.comparison.results))

    @property
    def result(self):
        return self.comparison.results[self.primary]


# ---------------------------------------------------------------------- gathering
def gather(scenarios: Sequence[str | Path] = ("baseline",), start: float = START_YEAR, stop: float = END_YEAR,
           ensemble: int = 0, seed: int = 0, *, workers: int | None = None, scheduler: str | None = None,
           chunk_size: int = 1000, stage: Callable[[str], None] = lambda name: None,
           progress: bool = False) -> ReportData:
    """Run the scenarios (adaptive RK45), analyse the first one's loops, read the
    shipped calibration and, with ``ensemble`` > 0, run a Monte Carlo ensemble of the
    first scenario (RK4, dt = 1/4 year)."""
    from .calibration import SERIES, load_history
    from .calibration.series import run_curves
    from .model import build_model, calibration_info, simulate_baseline
    from .model.loops import family_dominance, name_loops
    from .scenarios.compare import compare
    from .scenarios.scenario import base_model
    from .stocks_flows.structure import LoopAnalysis

    if stop <= start:
        raise ValueError(f"the report's end ({stop:g}) must be after its start ({start:g})")
    if ensemble < 0:
        raise ValueError(f"--ensemble must be 0 or more, not {ensemble}")
    stage("run scenarios")
    comparison = compare(list(scenarios) or ["baseline"], start=start, stop=stop, progress=progress)
    model = comparison.scenarios[0].apply(base_model())
    stage("analyse loops")
    analysis = LoopAnalysis(model, comparison.results[next(iter(comparison.results))])
    named = name_loops(analysis.loops)
    dominance = family_dominance(analysis) if named else pd.DataFrame()
    stage("calibration")
    history = load_history()
    years = {name: list(range(int(START_YEAR), 2026)) for name in SERIES}
    calibrated = simulate_baseline(build_model(), stop=2027.0)
    curves = run_curves(calibrated.frame, years)
    ds = None
    if ensemble:
        stage("ensemble")
        from .scenarios.ensemble import Settings, monte_carlo
        ds = monte_carlo(comparison.scenarios[0], ensemble, seed, Settings(start=start, stop=stop),
                         chunk_size=chunk_size, workers=workers, scheduler=scheduler, progress=progress)
    return ReportData(comparison, model, analysis, named, dominance, dict(calibration_info()), history, curves,
                      ds, start, stop, _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))


# ---------------------------------------------------------------------- HTML pieces
def esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def figure(fig, caption: str) -> str:
    """A matplotlib figure as an embedded PNG (the figure is closed)."""
    from .plots import png_bytes

    data = base64.b64encode(png_bytes(fig)).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{esc(caption)}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def table(frame: pd.DataFrame, index: bool = False, numeric: Sequence[str] = ()) -> str:
    """A DataFrame as an HTML table (escaped); ``numeric`` columns right-aligned."""
    head = ([frame.index.name or ""] if index else []) + [str(c) for c in frame.columns]
    rows = []
    for key, row in zip(frame.index, frame.itertuples(index=False)):
        cells = [f"<th>{esc(key)}</th>"] if index else []
        for column, value in zip(frame.columns, row):
            cls = ' class="num"' if column in numeric else ""
            cells.append(f"<td{cls}>{esc(_cell(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return ('<table class="data"><thead><tr>' + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "" if np.isnan(value) else f"{value:.4g}"
    return str(value)


def paragraph(text: str, cls: str = "") -> str:
    attribute = f' class="{cls}"' if cls else ""
    return f"<p{attribute}>{esc(text)}</p>"


def section(key: str, title: str, *parts: str) -> str:
    return f'<section id="{key}">\n<h2>{esc(title)}</h2>\n' + "\n".join(parts) + "\n</section>"


# ---------------------------------------------------------------------- sections
def milestones_section(data: ReportData) -> str:
    from . import plots
    from .scenarios.metrics import milestones_table

    scenario = data.comparison.scenarios[0]
    result = data.result
    return section(
        "milestones", f"Milestones: {data.primary}",
        paragraph(f"{scenario.name}: {scenario.description}"),
        paragraph(f"{data.start:g}-{data.stop:g}, {result.stats['method']}, {result.stats['nfev']} evaluations; "
                  "years interpolated between quarterly points."),
        table(milestones_table(result), numeric=("year",)),
        figure(plots.trajectory_panels(result, title=f"aiscale: {data.primary}"),
               "Trajectories of the run: largest training run, ceilings, automation, algorithms and hardware, "
               "money, compute fleet"))


def comparison_section(data: ReportData) -> str:
    from . import plots

    c = data.comparison
    rows = [f"<li><b>{esc(label)}</b>: {esc(s.description)}</li>" for label, s in zip(c.results, c.scenarios)]
    return section(
        "comparison", "Scenario comparison",
        "<ul>" + "".join(rows) + "</ul>",
        table(c.table.rename_axis("metric"), index=True, numeric=tuple(c.table.columns)),
        figure(plots.scenario_trajectories(c.results), "The scenarios side by side"))


def binding_section(data: ReportData) -> str:
    from . import plots

    c = data.comparison
    return section(
        "binding", "Binding constraints",
        paragraph("The largest run each of money, chips, power, data and latency alone would allow; the lowest "
                  "binds (policy: an intervention holds the largest run below it)."),
        figure(plots.binding_constraint_timeline(data.result),
               f"Ceilings on the largest run in {data.primary}, the binding one drawn thick"),
        figure(plots.binding_timelines(c.binding_segments()), "The binding constraint over time, per scenario"),
        table(c.timelines(), numeric=("from",)))


def calibration_section(data: ReportData) -> str:
    from . import plots
    from .calibration import SERIES

    info = data.calibration
    intervals = pd.DataFrame(info.get("intervals_95", []))
    statistics = pd.DataFrame(info.get("statistics", []))
    method = ("the posterior mode (MAP) of weighted log10 residuals and each parameter's prior, MCMC for the "
              "posterior" if "priors" in info else "weighted least squares on log10 residuals, MCMC for the intervals")
    parts = [paragraph(f"The default parameters were fitted to history on {info.get('fit_date', '?')} by aiscale "
                       f"calibrate {info.get('aiscale_version', '')} ({method}; data: "
                       f"{info.get('data', {}).get('source', '?')}); "
                       f"weighted cost {info.get('weighted_cost', float('nan')):.2f}. The figure shows the shipped "
                       "default model (no fit is run for this report).")]
    if len(intervals):
        names = {"parameter": "parameter", "prior": "prior", "value": "fitted", "default": "table value",
                 "low": "low", "high": "high", "p025": "2.5%", "median": "posterior median", "p975": "97.5%",
                 "width_ratio": "posterior/prior width", "note": "note"}
        intervals = intervals[[c for c in names if c in intervals]].rename(columns=names)
        parts += ["<h3>Fitted parameters (95% posterior intervals)</h3>",
                  table(intervals, numeric=("fitted", "table value", "low", "high", "2.5%", "posterior median",
                                            "97.5%", "posterior/prior width"))]
    if len(statistics):
        keep = [c for c in ("series", "points", "years", "rms_log10", "bias_log10", "sigma_log10", "weight",
                            "model_output") if c in statistics]
        parts += ["<h3>Fit per series (log10 residuals)</h3>",
                  table(statistics[keep], numeric=("points", "rms_log10", "bias_log10", "sigma_log10", "weight"))]
    for name in info.get("at_bound", []):
        parts.append(paragraph(f"at a bound: {name} (the data pull it out of its range)", "warning"))
    for series, variable in (info.get("skipped_series") or {}).items():
        parts.append(paragraph(f"series {series} not fitted: the model has no output {variable}"))
    for p in info.get("poorly_identified", []):
        parts.append(paragraph(f"poorly identified: {p['a']} and {p['b']} have posterior correlation "
                               f"{p['correlation']:+.3f}", "warning"))
    parts.append(figure(plots.calibration_fit(data.history_curves, data.history, SERIES,
                                              title="The default (calibrated) model against history"),
                        "Model (sampled by each series' rule) against the observations, log scales"))
    return section("calibration", "Calibration against history", *parts)


def ensemble_section(data: ReportData) -> str:
    from . import plots
    from .scenarios.commands import SUMMARY_KEYS
    from .scenarios.dataset import summary_table

    from .scenarios.commands import history_line

    ds = data.ensemble
    blown = float(ds["metric_reached_share"].sel(metric="blowup_year"))
    return section(
        "ensemble", "Monte Carlo ensemble",
        f"<p><b>What this distribution is conditioned on.</b> {esc(ds.attrs['conditioning'])}</p>"
        if "conditioning" in ds.attrs else "",
        paragraph(history_line(ds).replace("\n", " ")) if "draws_total" in ds.attrs else "",
        paragraph(f"{ds.attrs['scenario']}: {ds.sizes['run']} runs, {ds.attrs['varied_parameters']} parameters "
                  f"varied, seed {ds.attrs['seed']}, {ds.attrs.get('integration', 'RK4')}; {blown:.0%} of runs end "
                  "in a finite-time blow-up. Percentiles over runs ('never': that share of runs never reaches it)."),
        table(summary_table(ds, SUMMARY_KEYS), numeric=("p5", "p10", "p25", "p50", "p75", "p90", "p95")),
        figure(plots.ensemble_fan_chart(ds, f"aiscale ensemble: {ds.attrs['scenario']}"),
               "Fan charts: median and 10-90% band over runs, with the historical observations the members were "
               "checked against; share of runs each constraint binds"),
        figure(plots.milestone_distributions(ds, title=ds.attrs["scenario"]),
               "Milestone years: share of runs reaching each milestone in each year; the grey bar: runs that do "
               "not reach it by the end year"))


def loops_section(data: ReportData) -> str:
    from . import plots
    from .model.sectors import sector_links
    from .stocks_flows.structure import dominant_periods

    loops = data.loops.loops
    counts = {p: sum(lp.polarity == p for lp in loops) for p in ("reinforcing", "balancing", "ambiguous",
                                                                  "undetermined")}
    named = pd.DataFrame([{"loop": lp.id, "polarity": f"{lp.symbol} ({lp.polarity})", "name": f.name,
                           "length": len(lp), "path": f.description} for f, lp in data.named_loops])
    periods = pd.DataFrame([{"from": round(a, 2), "to": round(b, 2), "dominant feedback": family}
                            for a, b, family in dominant_periods(data.dominance)]) if len(data.dominance) else None
    links, stocks = sector_links(data.model)
    parts = [paragraph(f"{len(loops)} feedback loops in the equations: "
                       + ", ".join(f"{n} {p}" for p, n in counts.items())
                       + " (undetermined: never active in this run). The named loops:"),
             table(named, numeric=("length",))]
    if periods is not None and len(periods):
        total = sum(data.dominance.attrs.get("loops", {}).values())
        parts += [f"<h3>Dominance (Loops that Matter over all {total} loops of the main feedback structure, "
                  "summed by family)</h3>",
                  table(periods, numeric=("from", "to")),
                  figure(plots.loop_dominance(data.dominance, {}), "Relative loop scores over time, summed by "
                         "family ('other loops': in no named family)")]
    parts += [figure(plots.named_loop_diagram(data.named_loops),
                     "Causal loop diagram: link polarity (+/-) and loop polarity (R/B)"),
              figure(plots.sector_diagram(links, stocks), "The model's sectors and the influences between them")]
    return section("loops", "Feedback loops and structure", *parts)


def limitations_section(data: ReportData) -> str:
    """What the numbers above rest on and where they stop meaning much; the specifics
    (end of the data, blow-up, worst-fitting series, poorly identified parameters) are
    read from this report's runs and the shipped calibration."""
    from .plots import end_of_data
    from .scenarios.metrics import run_metrics

    end = end_of_data()
    items = [f"Everything after {end:g} is projection. The model is fitted to eight yearly series up to "
             f"{end - 1:g} (the calibration section); the figures mark that year with a dotted line "
             "(data | projection). Before it, the curves are the model's fit, not the data.",
             "The structure is a choice: one global frontier, no strategic competition between labs or states, "
             "policy only through the scenario levers, and functional forms (CES research production, "
             "log-linear automation, Chinchilla data needs) taken from the literature cited in the parameter "
             "table. Other structures fit the same history and project differently; the ensemble does not cover "
             "that."]
    blowups = {label: run_metrics(r)["blowup_year"] for label, r in data.comparison.results.items()}
    blown = {label: year for label, year in blowups.items() if np.isfinite(year)}
    if blown:
        items.append("A finite-time blow-up ends " + ", ".join(f"{label} at {year:.1f}" for label, year in
                                                                blown.items())
                     + ": full automation feeds hardware and algorithmic progress until growth rates pass the "
                       "model's bound, and the run is stopped there. That is the model leaving its domain: "
                       "physical limits the equations leave out bind first. Milestones within a few years of "
                       "the blow-up depend mostly on the functional forms.")
    statistics = pd.DataFrame(data.calibration.get("statistics", []))
    if len(statistics) and "rms_log10" in statistics:
        worst = statistics.sort_values("rms_log10").iloc[-1]
        items.append(f"The fit is uneven: {worst['series']} is off by {worst['rms_log10']:.2f} orders of "
                     "magnitude (RMS, log10), the worst series; its parameters carry that error into the "
                     "projections.")
    pairs = data.calibration.get("poorly_identified", [])
    if pairs:
        items.append("Poorly identified: " + "; ".join(f"{p['a']} and {p['b']} (posterior correlation "
                                                       f"{p['correlation']:+.2f})" for p in pairs)
                     + ". The data constrain only a combination of each pair.")
    items += ["Uncertainty bands are parameter uncertainty only, within the documented ranges: the posterior "
              "intervals of the calibration (short MCMC chains: read them as indicative) and, in the ensemble, the "
              "calibration posterior with the other parameters' three-point marginals narrowed to history. "
              "Structural uncertainty and data errors are not in them.",
              "Loop dominance (Loops that Matter) sums every loop's score into the named family it runs "
              "through (the first, if several; 'other loops' if none): a family is a way of reading, not a "
              "mechanism of its own. min() switches between constraints turn loops on and off abruptly, so "
              "short dominance periods are indicative.",
              "Numbers are rounded for display; single runs use an adaptive solver (relative tolerance 1e-6) and "
              "ensemble members their own adaptive step (relative tolerance 1e-5: milestone years within 0.05 "
              "years of the single run's for more than 99% of members)."]
    return section("limitations", "Limitations: what this report cannot tell you",
                   "<ul>" + "".join(f"<li>{esc(item)}</li>" for item in items) + "</ul>")


def parameters_section(data: ReportData) -> str:
    from .model import parameter_table

    table_values = parameter_table()
    rows = []
    for name, p in data.model.parameters.items():
        sector = table_values.loc[name, "sector"] if name in table_values.index else ""
        rows.append({"parameter": name, "sector": sector, "value": f"{p.value:.4g}", "unit": p.unit or "",
                     "range": "" if p.low is None else f"[{p.low:g}, {p.high:g}]", "source": p.source})
    frame = pd.DataFrame(rows)
    return section("parameters", "Parameters and sources",
                   paragraph(f"{len(frame)} parameters of {data.primary} (calibrated values name the fit and "
                             "the table value)."),
                   table(frame, numeric=("value",)))


# ---------------------------------------------------------------------- the document
def render(data: ReportData, stage: Callable[[str], None] = lambda name: None) -> str:
    """The report as one HTML document."""
    stage("draw figures")
    builders = {"milestones": milestones_section, "comparison": comparison_section, "binding": binding_section,
                "calibration": calibration_section, "ensemble": ensemble_section, "loops": loops_section,
                "limitations": limitations_section, "parameters": parameters_section}
    present = [(key, title) for key, title in SECTIONS if key != "ensemble" or data.ensemble is not None]
    body = [builders[key](data) for key, _ in present]
    nav = "<nav><ul>" + "".join(f'<li><a href="#{key}">{esc(title)}</a></li>' for key, title in present) + "</ul></nav>"
    title = f"aiscale report: {', '.join(data.comparison.results)}"
    head = (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="generator" content="aiscale {esc(__version__)}">\n'
            f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n")
    header = (f"<header><h1>{esc(title)}</h1>"
              + paragraph(f"aiscale {__version__}, {data.start:g}-{data.stop:g}, generated {data.created}. "
                          "A system-dynamics model of AI scaling; every number below comes from the model "
                          "and its shipped, sourced parameters.", "meta")
              + nav + "</header>")
    footer = ("<footer>" + esc(f"aiscale {__version__}. Observations (calibration section only): Epoch AI, "
                               "company filings and trade press (aiscale/data/history/MANIFEST.csv); everything "
                               "else is model output from the sourced parameters.") + "</footer>")
    return head + header + "\n" + "\n".join(body) + "\n" + footer + "\n</body>\n</html>\n"


def write_report(path: str | Path, scenarios: Sequence[str | Path] = ("baseline",), start: float = START_YEAR,
                 stop: float = END_YEAR, ensemble: int = 0, seed: int = 0, *, workers: int | None = None,
                 scheduler: str | None = None, chunk_size: int = 1000,
                 stage: Callable[[str], None] = lambda name: None, progress: bool = False) -> Path:
    """Gather, render and write the report atomically (nothing is written on failure)."""
    from .stocks_flows import atomic_write

    data = gather(scenarios, start, stop, ensemble, seed, workers=workers, scheduler=scheduler,
                  chunk_size=chunk_size, stage=stage, progress=progress)
    text = render(data, stage)
    stage("write")
    path = Path(path)
    atomic_write(path, lambda p: Path(p).write_text(text, encoding="utf-8"))
    return path
