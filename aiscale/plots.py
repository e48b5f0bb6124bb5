"""Figures: one consistent style, log axes where values span orders of magnitude,
units in axis labels and a source note on every figure.

Each function takes results and returns a matplotlib Figure drawn in :data:`STYLE`;
:func:`save` writes PNG and SVG atomically and :func:`png_bytes` renders a PNG in
memory (for the HTML report). Nothing here computes model quantities.

The figures: a run's trajectory panels (:func:`trajectory_panels`), its
binding-constraint timeline (:func:`binding_constraint_timeline`), scenarios side by
side (:func:`scenario_trajectories`, :func:`binding_timelines`), Monte Carlo fan charts
(:func:`ensemble_fan_chart`) and milestone-year distributions
(:func:`milestone_distributions`), the calibration against history
(:func:`calibration_fit`, :func:`calibration_series`), the causal loop diagram
(:func:`causal_loop_diagram`), loop dominance (:func:`loop_dominance`), the sector
diagram (:func:`sector_diagram`) and Sobol/Morris indices (:func:`sensitivity_bars`).
"""

from __future__ import annotations

import functools
import io
import math
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # figures are files; never open a window

import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from cycler import cycler  # noqa: E402

from . import __version__  # noqa: E402
from .stocks_flows import Result, atomic_write  # noqa: E402

CONSTRAINT_COLOURS = {"money": "#1b9e77", "chips": "#d95f02", "power": "#7570b3", "data": "#e7298a",
                      "latency": "#66a61e"}
POLICY_COLOUR = "#555555"
# Every figure says what it shows: observations (and whose), or model output only.
SOURCE_NOTE = f"aiscale {__version__}"
PROJECTION_NOTE = SOURCE_NOTE + ": model output, not observations (parameters and their sources: aiscale params)"
DATA_NOTE = (SOURCE_NOTE + ": points are observations (Epoch AI, company filings and trade press: "
             "aiscale/data/history/MANIFEST.csv); lines are the model")
STRUCTURE_NOTE = SOURCE_NOTE + ": the model's structure, read from its equations"
# Colour-blind-safe cycle (Okabe-Ito), light grid, no top/right spines, small type.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
STYLE = {
    "axes.prop_cycle": cycler(color=PALETTE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.framealpha": 0.85,
    "figure.titlesize": 12,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "font.family": "DejaVu Sans",
}


def styled(function: Callable[..., plt.Figure]) -> Callable[..., plt.Figure]:
    """Draw ``function``'s figure in :data:`STYLE`."""
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> plt.Figure:
        with plt.rc_context(STYLE):
            return function(*args, **kwargs)
    return wrapper


def _style(ax: plt.Axes, ylabel: str, log: bool = False, title: str | None = None, xlabel: str = "year") -> None:
    if log:
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)
    ax.grid(True, which="major", alpha=0.3)
    if title:
        ax.set_title(title, fontsize=10)


def _note(fig: plt.Figure, text: str = PROJECTION_NOTE) -> None:
    """The source note, just below the figure (saved with ``bbox_inches="tight"``, so
    it never overlaps an axis label)."""
    fig.text(0.01, -0.005, text, fontsize=7, color="0.4", ha="left", va="top")


@functools.lru_cache(maxsize=1)
def end_of_data() -> float:
    """Where the observations end: the start of the year after the last one in the
    shipped history (the model is calibrated up to there; later years are projection)."""
    from .calibration import load_history

    return float(load_history()["year"].max()) + 1.0


def _mark_end_of_data(ax: plt.Axes, times: Sequence[float]) -> None:
    """A dotted line where the run leaves the period of the observations it was fitted to."""
    end = end_of_data()
    if len(times) and times[0] < end < times[-1]:
        ax.axvline(end, color="0.55", lw=0.9, ls=":", zorder=0, gid="end-of-data")
        ax.text(end, 0.99, " data | projection", transform=ax.get_xaxis_transform(), fontsize=6.5,
                color="0.4", ha="left", va="top")


def save(fig: plt.Figure, out_dir: str | Path, name: str) -> list[Path]:
    """Write ``name.png`` and ``name.svg`` into ``out_dir`` atomically; close the figure."""
    paths = []
    with plt.rc_context(STYLE):
        for suffix in ("png", "svg"):
            path = Path(out_dir) / f"{name}.{suffix}"
            atomic_write(path, lambda p, s=suffix: fig.savefig(p, format=s, dpi=120, bbox_inches="tight"))
            paths.append(path)
    plt.close(fig)
    return paths


def png_bytes(fig: plt.Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (in memory); closes the figure."""
    buffer = io.BytesIO()
    with plt.rc_context(STYLE):
        fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


# ---------------------------------------------------------------------- one run
@styled
def trajectory_panels(result: Result, title: str = "aiscale baseline") -> plt.Figure:
    """Six panels of a run: training compute, ceilings, automation, algorithms, money, capacity."""
    f = result.frame
    fig, axes = plt.subplots(2, 3, figsize=(15, 8), constrained_layout=True)
    fig.suptitle(title)
    ax = axes[0, 0]
    ax.plot(f.index, f["largest_training_run_flop"], label="largest run (physical)")
    ax.plot(f.index, f["effective_compute_flop"], label="effective compute (2023 algorithms)")
    _style(ax, "FLOP", log=True, title="Largest training run")
    ax.legend()

    binding_constraint_timeline(result, ax=axes[0, 1])

    ax = axes[0, 2]
    ax.plot(f.index, f["automation_fraction"], color="k")
    _style(ax, "share of tasks automated", title="Automation")
    ax.set_ylim(0, 1.05)

    ax = axes[1, 0]
    for column, label in (("algorithmic_efficiency", "algorithmic efficiency"), ("flop_per_s_per_usd", "FLOP/s per $")):
        ax.plot(f.index, f[column] / f[column].iloc[0], label=label)
    _style(ax, f"multiplier since {f.index[0]:g} (dimensionless)", log=True, title="Algorithms and hardware")
    ax.legend()

    ax = axes[1, 1]
    for column, label in (("ai_revenue_usd_per_year", "AI revenue"), ("ai_spending_usd_per_year", "AI spending"),
                          ("gwp_usd_per_year", "gross world product")):
        ax.plot(f.index, f[column], label=label)
    _style(ax, "USD per year", log=True, title="Money")
    ax.legend()

    ax = axes[1, 2]
    for column, label in (("gpu_fleet_flop_per_s", "accelerator fleet"),
                          ("power_limited_fleet_flop_per_s", "what power can run")):
        ax.plot(f.index, f[column], label=label)
    _style(ax, "FLOP/s", log=True, title="Compute fleet")
    ax.legend()
    for ax in axes.flat:
        if ax is not axes[0, 1]:  # the binding-constraint panel marks itself
            _mark_end_of_data(ax, f.index)
    _note(fig)
    return fig


@styled
def binding_constraint_timeline(result: Result, ax: plt.Axes | None = None) -> plt.Figure:
    """Each constraint's ceiling on the largest run, the binding one drawn thick."""
    f = result.frame
    fig = ax.figure if ax is not None else plt.figure(figsize=(8, 5), constrained_layout=True)
    ax = ax or fig.add_subplot()
    for name, colour in CONSTRAINT_COLOURS.items():
        ceiling = f[f"max_run_flop_{name}"]
        ax.plot(f.index, ceiling, color=colour, lw=1, alpha=0.6, label=f"{name} ceiling")
        ax.plot(f.index, ceiling.where(f["binding_constraint"] == name), color=colour, lw=3.5)
    ax.plot(f.index, f["largest_training_run_flop"], color="k", lw=1, ls="--", label="largest run")
    _style(ax, "FLOP", log=True, title="Binding constraint (thick: binding)")
    ax.legend(fontsize=7, ncol=2)
    _mark_end_of_data(ax, f.index)
    if ax.figure is fig and len(fig.axes) == 1:
        _note(fig)
    return fig


# ---------------------------------------------------------------------- loops and structure
@styled
def loop_dominance(dominance: pd.DataFrame, names: dict[str, str]) -> plt.Figure:
    """Relative loop scores over time (Loops that Matter), one line per column: a loop
    (labelled by ``names``) or a family of loops (columns named by family)."""
    fig, ax = plt.subplots(figsize=(10, 5), constrained_layout=True)
    scores = dominance.dropna(how="all").fillna(0.0)
    for loop_id in scores.columns:
        ax.plot(scores.index, scores[loop_id], label=names.get(loop_id, loop_id))
    ax.axhline(0, color="0.5", lw=0.8)
    _style(ax, "relative loop score (+ reinforcing, - balancing)", title="Loop dominance over time")
    ax.set_ylim(-1.05, 1.05)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    _note(fig, PROJECTION_NOTE + "; method: Schoenberg, Davidsen & Eberlein 2020")
    return fig


@styled
def causal_loop_diagram(loops: Iterable[tuple[str, str, Sequence[tuple[str, str, str]]]],
                        key_variables: Iterable[str]) -> plt.Figure:
    """A causal loop diagram of named loops drawn over key variables.

    ``loops``: (name, polarity symbol R/B, links) where links are (source, target,
    sign '+'/'-') between key variables (the sign of the path between them). Each
    link carries its polarity; the box lists every loop with its own.
    """
    loops = list(loops)
    g = nx.DiGraph()
    keys = list(key_variables)
    g.add_nodes_from(keys)
    labels = {}
    for _, _, links in loops:
        for u, v, sign in links:
            g.add_edge(u, v)
            labels[(u, v)] = sign
    fig, ax = plt.subplots(figsize=(13, 9), constrained_layout=True)
    pos = nx.kamada_kawai_layout(g)
    nx.draw_networkx_nodes(g, pos, ax=ax, node_color="#f0f0f0", edgecolors="0.3", node_size=2200)
    nx.draw_networkx_labels(g, pos, ax=ax, labels={n: n.replace("_", "\n", 2) for n in g}, font_size=7)
    nx.draw_networkx_edges(g, pos, ax=ax, arrows=True, arrowsize=14, node_size=2200,
                           connectionstyle="arc3,rad=0.12", edge_color="0.35")
    nx.draw_networkx_edge_labels(g, pos, edge_labels=labels, ax=ax, font_size=10, font_color="#b2182b")
    text = "\n".join(f"({symbol}) {name}" for name, symbol, _ in loops)
    ax.text(0.01, 0.99, text, transform=ax.transAxes, va="top", fontsize=9,
            bbox={"facecolor": "white", "edgecolor": "0.6"})
    ax.set_title("Causal loop diagram: the named feedback loops (R reinforcing, B balancing; "
                 "links + same direction, - opposite)")
    ax.axis("off")
    _note(fig, STRUCTURE_NOTE)
    return fig


def named_loop_diagram(named: Sequence[tuple[Any, Any]]) -> plt.Figure:
    """The causal loop diagram of named loops (``(family, loop)`` pairs, families with
    ``name`` and ``passes_through``) over the variables the families run through; a
    family that names no such variable (it is defined by alternatives) is left out."""
    keys = {v for family, _ in named for v in family.passes_through}
    diagram = [(family.name, loop.symbol, loop_path_signs(loop, keys)) for family, loop in named
               if family.passes_through]
    return causal_loop_diagram(diagram, sorted(keys))


def loop_path_signs(loop, keys: set[str]) -> list[tuple[str, str, str]]:
    """Collapse a loop's links onto its key variables: (from, to, sign of the path)."""
    variables = list(loop.variables)
    signs = {(lk.source, lk.target): lk.polarity for lk in loop.links}
    start = next((i for i, v in enumerate(variables) if v in keys), None)
    if start is None:
        return []
    order = variables[start:] + variables[:start] + [variables[start]]
    out, source, sign = [], order[0], 1
    for a, b in zip(order, order[1:]):
        sign *= -1 if signs.get((a, b)) == "-" else 1
        if b in keys:
            out.append((source, b, "+" if sign > 0 else "-"))
            source, sign = b, 1
    return out


@styled
def sector_diagram(links: pd.DataFrame, stocks: Mapping[str, int],
                   title: str = "Model structure: sectors and the influences between them") -> plt.Figure:
    """The sectors as nodes (with their number of stocks) and, between them, arrows
    whose width and label give the number of influences (``links``: columns
    ``source, target, links``)."""
    g = nx.DiGraph()
    g.add_nodes_from(stocks)
    for row in links.itertuples(index=False):
        g.add_edge(row.source, row.target, links=int(row.links))
    fig, ax = plt.subplots(figsize=(11, 8), constrained_layout=True)
    pos = nx.circular_layout(g)
    nx.draw_networkx_nodes(g, pos, ax=ax, node_color="#deebf7", edgecolors="#08519c", node_size=5200)
    labels = {n: f"{n.replace('_', ' ')}\n({stocks[n]} stock{'' if stocks[n] == 1 else 's'})" for n in g}
    nx.draw_networkx_labels(g, pos, ax=ax, font_size=8, labels=labels)
    widths = [0.6 + 1.2 * math.log10(d["links"]) for _, _, d in g.edges(data=True)]
    nx.draw_networkx_edges(g, pos, ax=ax, arrows=True, arrowsize=12, node_size=5200, width=widths,
                           connectionstyle="arc3,rad=0.1", edge_color="0.45")
    nx.draw_networkx_edge_labels(g, pos, ax=ax, font_size=7, label_pos=0.35,
                                 edge_labels={(u, v): d["links"] for u, v, d in g.edges(data=True)},
                                 connectionstyle="arc3,rad=0.1")
    ax.set_title(title + " (arrow labels: number of influences)")
    ax.axis("off")
    _note(fig, STRUCTURE_NOTE)
    return fig


# ---------------------------------------------------------------------- history
def history_panel(ax: plt.Axes, curve: pd.DataFrame, observed: pd.DataFrame, title: str, unit: str,
                  model_label: str, until: int | None = None) -> None:
    """One series: the model (``curve``: year, fit and optionally p025/p975) against
    observations (``observed``: year, value) on a log scale; with ``until``, the
    held-out points are drawn open and the cutoff dashed."""
    if "p025" in curve:
        ax.fill_between(curve["year"], curve["p025"], curve["p975"], color=PALETTE[0], alpha=0.2, lw=0,
                        label="95% band")
    ax.plot(curve["year"], curve["fit"], color=PALETTE[0], label=f"model: {model_label}")
    fitted = observed if until is None else observed[observed["year"] <= until]
    held = observed.iloc[0:0] if until is None else observed[observed["year"] > until]
    ax.plot(fitted["year"], fitted["value"], "o", color="k", ms=4, label="data (fitted)")
    if len(held):
        ax.plot(held["year"], held["value"], "o", mfc="none", color=PALETTE[1], ms=5, label="data (held out)")
    if until is not None:
        ax.axvline(until + 0.5, color="0.5", ls="--", lw=1)
    _style(ax, unit, log=True, title=title)


@styled
def calibration_series(curve: pd.DataFrame, observed: pd.DataFrame, series: Any, until: int | None = None,
                       note: str = "") -> plt.Figure:
    """One calibration series (``series``: its ``title``, ``unit``, ``variable`` and
    ``sampling``) against its data."""
    fig, ax = plt.subplots(figsize=(7, 4.5), constrained_layout=True)
    history_panel(ax, curve, observed, series.title, series.unit, f"{series.variable} ({series.sampling})", until)
    ax.legend(fontsize=7)
    _note(fig, DATA_NOTE + (f"; {note}" if note else ""))
    return fig


@styled
def calibration_fit(curves: Mapping[str, pd.DataFrame], observations: pd.DataFrame, series: Mapping[str, Any],
                    until: int | None = None, title: str = "aiscale calibration", cols: int = 4) -> plt.Figure:
    """Every calibration series in one grid: model (with its band, if any) against data
    on log scales; ``series`` maps each name to its ``title``, ``unit``, ``variable``
    and ``sampling``."""
    names = [n for n in curves if (observations["series"] == n).any()]
    rows = max(1, math.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), constrained_layout=True, squeeze=False)
    for ax, name in zip(axes.flat, names):
        s = series[name]
        observed = observations[observations["series"] == name]
        history_panel(ax, curves[name], observed, s.title, s.unit, f"{s.variable} ({s.sampling})", until)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=6)
    fig.suptitle(title)
    _note(fig, DATA_NOTE)
    return fig


def series_against_history(frame: pd.DataFrame, column: str, history: pd.Series, ylabel: str,
                           title: str, band: tuple[pd.Series, pd.Series] | None = None) -> plt.Figure:
    """A model output against observations on a log scale, with an optional band."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8, 5), constrained_layout=True)
        ax.plot(frame.index, frame[column], label="model")
        if band is not None:
            ax.fill_between(band[0].index, band[0], band[1], alpha=0.25, label="uncertainty")
        ax.scatter(history.index, history.to_numpy(dtype=float), color="k", s=14, zorder=3, label="observed")
        _style(ax, ylabel, log=True, title=title)
        ax.legend(fontsize=8)
        _note(fig, DATA_NOTE)
    return fig


# ---------------------------------------------------------------------- scenarios and ensembles
SCENARIO_PANELS = (("largest_training_run_flop", "FLOP", True, "Largest training run"),
                   ("effective_compute_flop", "FLOP (2023 algorithms)", True, "Effective compute"),
                   ("automation_fraction", "share of tasks automated", False, "Automation"),
                   ("gwp_growth_rate_per_year", "GWP growth (1/year)", True, "GWP growth"))


@styled
def scenario_trajectories(results: dict[str, Result], title: str = "aiscale scenarios") -> plt.Figure:
    """Four panels, one line per scenario: largest run, effective compute, automation,
    GWP growth (each run drawn up to its stop)."""
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), constrained_layout=True)
    fig.suptitle(title)
    for ax, (column, unit, log, name) in zip(axes.flat, SCENARIO_PANELS):
        for label, result in results.items():
            ax.plot(result.frame.index, result.frame[column], lw=1.3, label=label)
        _style(ax, unit, log=log, title=name)
        _mark_end_of_data(ax, max((r.frame.index for r in results.values()), key=lambda index: index[-1]))
    axes[0, 0].legend(fontsize=7, ncol=2)
    _note(fig)
    return fig


@styled
def binding_timelines(segments: dict[str, list[tuple[float, float, str]]]) -> plt.Figure:
    """One bar per scenario, coloured by the binding constraint over time
    (``segments``: scenario -> [(start, end, constraint)])."""
    colours = {**CONSTRAINT_COLOURS, "policy": POLICY_COLOUR}
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(segments) + 1.6), constrained_layout=True)
    for row, (label, spans) in enumerate(segments.items()):
        for start, end, constraint in spans:
            ax.barh(row, end - start, left=start, color=colours[constraint], edgecolor="none")
    ax.set_yticks(range(len(segments)), list(segments))
    ax.invert_yaxis()
    ax.set_xlabel("year")
    ax.set_title("Binding constraint on the largest run", fontsize=10)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colours.values()]
    ax.legend(handles, list(colours), fontsize=7, ncol=len(colours), loc="upper center",
              bbox_to_anchor=(0.5, -0.12 if len(segments) > 3 else -0.25))
    _note(fig)
    return fig


def _fan(ax: plt.Axes, t: np.ndarray, q, colour: str) -> None:
    """The 10-90% band and the median of one quantile array (quantile, time)."""
    ax.fill_between(t, q.sel(quantile=0.1), q.sel(quantile=0.9), alpha=0.25, color=colour, lw=0, label="10-90%")
    ax.plot(t, q.sel(quantile=0.5), color=colour, lw=1.6, label="median (50%)")


ENSEMBLE_PANELS = (*SCENARIO_PANELS, ("research_speedup", "research speed-up (x)", True, "Research speed-up from AI"),
                   ("ai_spending_usd_per_year", "USD/year", True, "AI spending"))


def _observed(ds, column: str) -> tuple[np.ndarray, np.ndarray, str]:
    """The historical observations of an ensemble dataset for output ``column``: times
    (where the calibration samples the model: mid-year, or the year's end for run-rates),
    values and the series' name."""
    if "observed_variable" not in ds.coords:
        return np.zeros(0), np.zeros(0), ""
    pick = ds["observed_variable"].values == column
    if not pick.any():
        return np.zeros(0), np.zeros(0), ""
    from .calibration.series import SERIES

    series = ds["observed_series"].values[pick]
    offset = np.array([1.0 if SERIES[s].sampling == "year-end" else 0.5 for s in series])
    return ds["observed_year"].values[pick] + offset, ds["observed_value"].values[pick], str(series[0])


@styled
def ensemble_fan_chart(ds, title: str = "aiscale ensemble") -> plt.Figure:
    """Fan charts (median and 10-90% band over runs) of an ensemble dataset's series with
    the historical observations the members were checked against, the share of runs
    each constraint binds, and what the distribution is conditioned on."""
    fig, axes = plt.subplots(2, 4, figsize=(19, 8), constrained_layout=True)
    prior = bool(int(ds.attrs.get("prior_only", 0)))
    label = "PRIOR ONLY, not conditioned on history" if prior else "posterior-predictive, matched to history"
    fig.suptitle(f"{title} ({ds.sizes['run']} runs, {label})")
    t = ds["time"].values
    for k, (ax, (column, unit, log, name)) in enumerate(zip(axes.flat, ENSEMBLE_PANELS)):
        if f"{column}_quantiles" not in ds:
            ax.set_axis_off()
            continue
        _fan(ax, t, ds[f"{column}_quantiles"], PALETTE[0] if k < 4 else PALETTE[1])
        when, values, series = _observed(ds, column)
        if len(values):
            from .calibration.series import SERIES

            ax.scatter(when, values, s=14, color="black", zorder=5, label=f"observed: {SERIES[series].title}")
        _style(ax, unit, log=log, title=name)
        if len(values) or k == 0:
            ax.legend(fontsize=7, loc="upper left")
    ax = axes[1, 2]
    colours = {**CONSTRAINT_COLOURS, "policy": POLICY_COLOUR}
    shares = ds["binding_share"]
    ax.stackplot(t, *[shares.sel(constraint=c) for c in shares["constraint"].values],
                 labels=list(shares["constraint"].values),
                 colors=[colours[c] for c in shares["constraint"].values])
    _style(ax, "share of runs", title="Binding constraint")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, loc="lower left")
    for ax in axes.flat[:7]:
        _mark_end_of_data(ax, t)
    ax = axes[1, 3]
    ax.set_axis_off()
    parts = ["Conditioned on: " + ds.attrs.get("conditioning", "(not recorded)")]
    if "draws_total" in ds.attrs:
        parts.append(f"{int(ds.attrs['draws_total']):,} draws, {int(ds.attrs['draws_failing_history']):,} "
                     f"fail the history check" + (" (kept: prior only)" if prior else " (rejected)")
                     + (f", {int(ds.attrs['draws_inconsistent_start']):,} inconsistent with the start (replaced)"
                        if int(ds.attrs.get("draws_inconsistent_start", 0)) else ""))
    ax.text(0, 1, "\n\n".join(textwrap.fill(p, 58) for p in parts), va="top", ha="left", fontsize=7.5,
            transform=ax.transAxes)
    _note(fig)
    return fig


MILESTONE_KEYS = ("run_1e28_year", "run_1e30_year", "data_binding_year", "automation_20_year",
                  "automation_100_year", "blowup_year")


@styled
def milestone_distributions(ds, keys: Sequence[str] = MILESTONE_KEYS,
                            title: str = "aiscale ensemble") -> plt.Figure:
    """Histograms of milestone years over an ensemble's runs (share of runs per year),
    one panel per milestone, with the runs that do not reach it by the end year as a bar
    of their own; median, 10% and 90% marked when reached by enough runs."""
    n = ds.sizes["run"]
    stop = float(ds.attrs.get("stop", ds["time"].values[-1]))
    start = float(ds.attrs.get("start", ds["time"].values[0]))
    labels = dict(line.split(": ", 1) for line in ds.attrs.get("metric_labels", "").split("; ") if ": " in line)
    cols = 3
    rows = int(np.ceil(len(keys) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(15, 3.6 * rows), constrained_layout=True, squeeze=False)
    prior = bool(int(ds.attrs.get("prior_only", 0)))
    fig.suptitle(f"Milestone years: {title} ({n} runs, "
                 f"{'PRIOR ONLY, not conditioned on history' if prior else 'posterior-predictive'})")
    edges = np.arange(np.floor(start), np.ceil(stop) + 1.0)
    for ax, key in zip(axes.flat, keys):
        values = ds[key].values
        years = values[~np.isnan(values)]
        counts, _ = np.histogram(years, bins=edges)
        ax.bar(edges[:-1], counts / n, width=1.0, align="edge", color=PALETTE[0], label="reached in that year")
        never = 1 - len(years) / n
        gap = 3.0
        ax.bar(stop + gap, never, width=2.0, color="0.55", label=f"not reached by {stop:g}")
        ax.text(stop + gap, never, f"{never:.0%}", ha="center", va="bottom", fontsize=8)
        ax.set_xlim(start - 1, stop + gap + 2)
        ticks = [t for t in ax.get_xticks() if start - 1 <= t <= stop - 5]  # clear of the last bar's label
        ax.set_xticks([*ticks, stop + gap], [f"{t:g}" for t in ticks] + [f"not by\n{stop:g}"])
        filled = np.sort(np.where(np.isnan(values), np.inf, values))
        for q, style in ((0.1, ":"), (0.5, "-"), (0.9, ":")):
            v = filled[min(int(np.ceil(q * n)) - 1, n - 1)] if n else np.inf
            if np.isfinite(v):
                ax.axvline(v, color=PALETTE[1], lw=1.2, ls=style)
        ax.set_title(labels.get(key, key), fontsize=10)
        ax.set_ylabel("share of runs")
        ax.grid(True, axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(keys):]:
        ax.set_axis_off()
    axes.flat[0].legend(fontsize=7, loc="upper left")
    _note(fig, PROJECTION_NOTE + "; orange lines: median (solid), 10% and 90% (dotted) of all runs")
    return fig


# ---------------------------------------------------------------------- sensitivity
@styled
def sensitivity_bars(table: pd.DataFrame, method: str, output: str, unit: str = "", runs: int | None = None,
                     top: int = 15) -> plt.Figure:
    """Ranked bars of the ``top`` parameters: Sobol first-order (S1) and total (ST)
    indices, or Morris mu* and sigma, with their 95% confidence intervals as error bars."""
    rows = table.head(top)
    columns = (("S1", "S1_conf", "first order (S1)"), ("ST", "ST_conf", "total (ST)")) if method == "sobol" else \
        (("mu_star", "mu_star_conf", "mu* (mean |effect|)"), ("sigma", None, "sigma (interactions)"))
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(rows) + 1.8), constrained_layout=True)
    y = np.arange(len(rows))
    height = 0.4
    for i, (column, conf, label) in enumerate(columns):
        xerr = rows[conf].to_numpy() if conf else None
        ax.barh(y + (i - 0.5) * height, rows[column].to_numpy(), height, xerr=xerr, label=label,
                color=PALETTE[i], error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "0.3"})
    ax.set_yticks(y, list(rows.index))
    ax.invert_yaxis()
    ax.axvline(0, color="0.5", lw=0.8)
    what = "Sobol indices" if method == "sobol" else "Morris elementary effects"
    xlabel = "share of output variance (dimensionless)" if method == "sobol" else f"effect on {output} ({unit})"
    _style(ax, "parameter", xlabel=xlabel, title=f"{what} of {output}" + (f" ({runs} runs)" if runs else ""))
    ax.grid(True, axis="x", alpha=0.3)
    ax.grid(False, axis="y")
    ax.legend(loc="lower right")
    _note(fig, PROJECTION_NOTE + "; SALib, 95% confidence intervals")
    return fig


__all__ = ["STYLE", "save", "png_bytes", "trajectory_panels", "binding_constraint_timeline", "loop_dominance",
           "causal_loop_diagram", "loop_path_signs", "sector_diagram", "history_panel", "calibration_series",
           "calibration_fit", "series_against_history", "scenario_trajectories", "binding_timelines",
           "ensemble_fan_chart", "milestone_distributions", "sensitivity_bars"]
