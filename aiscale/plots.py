"""Figures: one consistent style, log axes where values span orders of magnitude,
units in axis labels and a source note on every figure.

Each function takes results and returns a matplotlib Figure; :func:`save` writes PNG
and SVG atomically. Nothing here computes model quantities.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # figures are files; never open a window

import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402
import pandas as pd  # noqa: E402

from . import __version__  # noqa: E402
from .stocks_flows import Result, atomic_write  # noqa: E402

CONSTRAINT_COLOURS = {"money": "#1b9e77", "chips": "#d95f02", "power": "#7570b3", "data": "#e7298a",
                      "latency": "#66a61e"}
SOURCE_NOTE = f"aiscale {__version__}; history: Epoch AI and others (see aiscale params)"


def _style(ax: plt.Axes, ylabel: str, log: bool = False, title: str | None = None) -> None:
    if log:
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.set_xlabel("year")
    ax.grid(True, which="major", alpha=0.3)
    if title:
        ax.set_title(title, fontsize=10)


def _note(fig: plt.Figure, text: str = SOURCE_NOTE) -> None:
    fig.text(0.01, 0.005, text, fontsize=7, color="0.4", ha="left", va="bottom")


def save(fig: plt.Figure, out_dir: str | Path, name: str) -> list[Path]:
    """Write ``name.png`` and ``name.svg`` into ``out_dir`` atomically; close the figure."""
    paths = []
    for suffix in ("png", "svg"):
        path = Path(out_dir) / f"{name}.{suffix}"
        atomic_write(path, lambda p, s=suffix: fig.savefig(p, format=s, dpi=120, bbox_inches="tight"))
        paths.append(path)
    plt.close(fig)
    return paths


def trajectory_panels(result: Result, title: str = "aiscale baseline") -> plt.Figure:
    """Six panels of a run: training compute, ceilings, automation, algorithms, money, capacity."""
    f = result.frame
    fig, axes = plt.subplots(2, 3, figsize=(15, 8), constrained_layout=True)
    fig.suptitle(title)
    ax = axes[0, 0]
    ax.plot(f.index, f["largest_training_run_flop"], label="largest run (physical)")
    ax.plot(f.index, f["effective_compute_flop"], label="effective compute (2023 algorithms)")
    _style(ax, "FLOP", log=True, title="Largest training run")
    ax.legend(fontsize=8)

    binding_constraint_timeline(result, ax=axes[0, 1])

    ax = axes[0, 2]
    ax.plot(f.index, f["automation_fraction"], color="k")
    _style(ax, "share of tasks automated", title="Automation")
    ax.set_ylim(0, 1.05)

    ax = axes[1, 0]
    ax.plot(f.index, f["algorithmic_efficiency"], label="algorithmic efficiency")
    ax.plot(f.index, f["flop_per_s_per_usd"] / f["flop_per_s_per_usd"].iloc[0], label="FLOP/s per $ (relative)")
    _style(ax, "multiplier (dimensionless)", log=True, title="Algorithms and hardware")
    ax.legend(fontsize=8)

    ax = axes[1, 1]
    for column, label in (("ai_revenue_usd_per_year", "AI revenue"), ("ai_spending_usd_per_year", "AI spending"),
                          ("gwp_usd_per_year", "gross world product")):
        ax.plot(f.index, f[column], label=label)
    _style(ax, "USD per year", log=True, title="Money")
    ax.legend(fontsize=8)

    ax = axes[1, 2]
    for column, label in (("gpu_fleet_flop_per_s", "accelerator fleet (FLOP/s)"),
                          ("power_limited_fleet_flop_per_s", "what power can run (FLOP/s)")):
        ax.plot(f.index, f[column], label=label)
    _style(ax, "FLOP/s", log=True, title="Compute fleet")
    ax.legend(fontsize=8)
    _note(fig)
    return fig


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
    if ax.figure is fig and len(fig.axes) == 1:
        _note(fig)
    return fig


def loop_dominance(dominance: pd.DataFrame, names: dict[str, str]) -> plt.Figure:
    """Relative loop scores over time (Loops that Matter), one band per loop."""
    fig, ax = plt.subplots(figsize=(10, 5), constrained_layout=True)
    scores = dominance.dropna(how="all").fillna(0.0)
    for loop_id in scores.columns:
        ax.plot(scores.index, scores[loop_id], label=names.get(loop_id, loop_id))
    ax.axhline(0, color="0.5", lw=0.8)
    _style(ax, "relative loop score (+ reinforcing, - balancing)", title="Loop dominance over time")
    ax.set_ylim(-1.05, 1.05)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    _note(fig, SOURCE_NOTE + "; method: Schoenberg, Davidsen & Eberlein 2020")
    return fig


def causal_loop_diagram(loops: Iterable[tuple[str, str, Sequence[tuple[str, str, str]]]],
                        key_variables: Iterable[str]) -> plt.Figure:
    """A causal loop diagram of named loops drawn over key variables.

    ``loops``: (name, polarity symbol R/B, links) where links are (source, target,
    sign '+'/'-') between key variables (the sign of the path between them).
    """
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
    ax.set_title("Causal loop diagram: the named feedback loops (R reinforcing, B balancing)")
    ax.axis("off")
    _note(fig)
    return fig


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


def series_against_history(frame: pd.DataFrame, column: str, history: pd.Series, ylabel: str,
                           title: str, band: tuple[pd.Series, pd.Series] | None = None) -> plt.Figure:
    """A model output against observations on a log scale, with an optional band."""
    fig, ax = plt.subplots(figsize=(8, 5), constrained_layout=True)
    ax.plot(frame.index, frame[column], label="model")
    if band is not None:
        ax.fill_between(band[0].index, band[0], band[1], alpha=0.25, label="uncertainty")
    ax.scatter(history.index, history.to_numpy(dtype=float), color="k", s=14, zorder=3, label="observed")
    _style(ax, ylabel, log=True, title=title)
    ax.legend(fontsize=8)
    _note(fig)
    return fig


__all__ = ["trajectory_panels", "binding_constraint_timeline", "loop_dominance", "causal_loop_diagram",
           "loop_path_signs", "series_against_history", "save"]


# ---------------------------------------------------------------------- scenarios and ensembles
POLICY_COLOUR = "#555555"
SCENARIO_PANELS = (("largest_training_run_flop", "FLOP", True, "Largest training run"),
                   ("effective_compute_flop", "FLOP (2023 algorithms)", True, "Effective compute"),
                   ("automation_fraction", "share of tasks", False, "Automation"),
                   ("gwp_growth_rate_per_year", "per year", True, "GWP growth"))


def scenario_trajectories(results: dict[str, Result], title: str = "aiscale scenarios") -> plt.Figure:
    """Four panels, one line per scenario: largest run, effective compute, automation,
    GWP growth (each run drawn up to its stop)."""
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), constrained_layout=True)
    fig.suptitle(title)
    for ax, (column, unit, log, name) in zip(axes.flat, SCENARIO_PANELS):
        for label, result in results.items():
            ax.plot(result.frame.index, result.frame[column], lw=1.3, label=label)
        _style(ax, unit, log=log, title=name)
    axes[0, 0].legend(fontsize=7, ncol=2)
    _note(fig)
    return fig


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


def ensemble_fan_chart(ds, title: str = "aiscale ensemble") -> plt.Figure:
    """Median and 50% / 90% bands over time of an ensemble dataset's series, and the
    share of runs each constraint binds."""
    fig, axes = plt.subplots(2, 3, figsize=(15, 8), constrained_layout=True)
    fig.suptitle(f"{title} ({ds.sizes['run']} runs)")
    t = ds["time"].values
    for ax, (column, unit, log, name) in zip(axes.flat, SCENARIO_PANELS):
        q = ds[f"{column}_quantiles"]
        ax.fill_between(t, q.sel(quantile=0.05), q.sel(quantile=0.95), alpha=0.2, color="C0", label="90%")
        ax.fill_between(t, q.sel(quantile=0.25), q.sel(quantile=0.75), alpha=0.35, color="C0", label="50%")
        ax.plot(t, q.sel(quantile=0.5), color="C0", lw=1.5, label="median")
        _style(ax, unit, log=log, title=name)
    axes[0, 0].legend(fontsize=7)
    ax = axes[1, 1]
    q = ds["research_speedup_quantiles"]
    ax.fill_between(t, q.sel(quantile=0.05), q.sel(quantile=0.95), alpha=0.2, color="C1")
    ax.fill_between(t, q.sel(quantile=0.25), q.sel(quantile=0.75), alpha=0.35, color="C1")
    ax.plot(t, q.sel(quantile=0.5), color="C1", lw=1.5)
    _style(ax, "x", log=True, title="Research speed-up from AI")
    ax = axes[1, 2]
    colours = {**CONSTRAINT_COLOURS, "policy": POLICY_COLOUR}
    shares = ds["binding_share"]
    ax.stackplot(t, *[shares.sel(constraint=c) for c in shares["constraint"].values],
                 labels=list(shares["constraint"].values),
                 colors=[colours[c] for c in shares["constraint"].values])
    _style(ax, "share of runs", title="Binding constraint")
    ax.legend(fontsize=7, loc="lower left")
    _note(fig)
    return fig


__all__ += ["scenario_trajectories", "binding_timelines", "ensemble_fan_chart"]
