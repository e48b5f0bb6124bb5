"""Metrics of a run: milestone years, takeoff speeds, peak growth rates, the
binding-constraint timeline and the blow-up time.

One vectorised implementation (:func:`compute_metrics`) serves single runs (one row)
and ensembles (one row per member). Crossing times are interpolated between saved
points, log-linearly for quantities that span orders of magnitude, so quarterly output
gives milestone years to within days. Only times up to each run's stop (the end, or
its blow-up) count: an ensemble member frozen at its blow-up reaches no milestone
after it. A milestone never reached is NaN (``None`` in :func:`milestones`).

Milestones: the largest training run passes 1e26 ... 1e32 FLOP; effective compute
(2023-algorithm FLOP) passes 1e28 ... 1e36 (Davidson 2023 puts full automation at
~1e36); data becomes the binding constraint; automation reaches 20%, 50%, 100%; GWP
growth reaches 5% and 20% a year; AI speeds research up 2x and 10x; the compute overhang
(how many orders of magnitude larger a run the available finance would allow than the
largest run done) closes to below one order of magnitude.
Takeoff speeds: years from 20% to 100% automation (Davidson 2023's measure), from 5%
to 20% GWP growth, from a 2x to a 10x research speed-up.
Peak growth rates (up to the stop): GWP growth; the largest run's growth over a year
(the run one year later over the run now, leaving out years in which a policy holds the
run: when a pause or cap lifts, the run under way jumps to what the fleet allows, a step
of the intervention, not growth); the frontier model's effective compute over a year
(capability, a stock: it never jumps); algorithmic progress (x per year).
Values: the largest run in 2030 (log10 FLOP) and the overhang in 2025 (orders of magnitude).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..model.constraints import CONSTRAINTS
from ..stocks_flows import Result

RUN_MILESTONES_FLOP = (1e26, 1e27, 1e28, 1e29, 1e30, 1e31, 1e32)
EFFECTIVE_MILESTONES_FLOP = (1e28, 1e30, 1e32, 1e34, 1e36)
AUTOMATION_MILESTONES = (0.2, 0.5, 1.0)
GWP_GROWTH_MILESTONES = (0.05, 0.2)
SPEEDUP_MILESTONES = (2.0, 10.0)
OVERHANG_CLOSED_OOMS = 1.0   # the overhang counts as closed below one order of magnitude
BINDING = (*CONSTRAINTS, "policy")   # "policy": an intervention holds the largest run below its own value
POLICY = len(CONSTRAINTS)
STOPPING_KINDS = ("blow-up", "singularity", "watchdog")

# The model outputs the metrics read (plus largest_training_run_flop__base when a
# scenario intervenes on the largest run).
INPUTS = ("largest_training_run_flop", "frontier_model_effective_compute_flop", "effective_compute_flop",
          "automation_fraction",
          "gwp_growth_rate_per_year", "research_speedup", "algorithmic_progress_rate_per_year",
          "binding_constraint_index", "compute_overhang_ooms")
CAPPED_RUN = "largest_training_run_flop__base"


@dataclass(frozen=True)
class Metric:
    """One scalar metric: a machine name (``--output`` of ``aiscale sensitivity``), the
    label shown in tables, its unit and how to format it."""

    key: str
    label: str
    unit: str
    fmt: str = "{:.1f}"

    def format(self, value: Any) -> str:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return "not reached"
        return self.fmt.format(value)


def _metrics() -> tuple[Metric, ...]:
    out = [Metric(f"run_{lv:.0e}_year".replace("+", ""), f"largest run >= {lv:.0e} FLOP", "year")
           for lv in RUN_MILESTONES_FLOP]
    out += [Metric(f"effective_{lv:.0e}_year".replace("+", ""), f"effective compute >= {lv:.0e} FLOP", "year")
            for lv in EFFECTIVE_MILESTONES_FLOP]
    out.append(Metric("data_binding_year", "data becomes binding", "year"))
    out += [Metric(f"automation_{share * 100:.0f}_year", f"automation >= {share:.0%}", "year")
            for share in AUTOMATION_MILESTONES]
    out += [Metric(f"gwp_growth_{g * 100:.0f}_year", f"GWP growth >= {g:.0%}/yr", "year")
            for g in GWP_GROWTH_MILESTONES]
    out += [Metric(f"speedup_{s:.0f}x_year", f"research speed-up >= {s:.0f}x", "year") for s in SPEEDUP_MILESTONES]
    out.append(Metric("overhang_closed_year", f"compute overhang < {OVERHANG_CLOSED_OOMS:g} OOM", "year"))
    out += [
        Metric("takeoff_automation_years", "takeoff years (20% -> 100% automation)", "years"),
        Metric("takeoff_gwp_years", "takeoff years (5% -> 20% GWP growth)", "years"),
        Metric("takeoff_research_years", "takeoff years (2x -> 10x research speed-up)", "years"),
        Metric("peak_gwp_growth", "peak GWP growth (per year)", "1/year", "{:.0%}"),
        Metric("peak_run_growth", "peak growth of the largest run over a year (x)", "x/year", "{:.3g}x"),
        Metric("peak_effective_compute_growth", "peak growth of the frontier model's effective compute "
               "over a year (x)", "x/year", "{:.3g}x"),
        Metric("peak_algorithmic_progress", "peak algorithmic progress (x/yr)", "x/year", "{:.3g}x"),
        Metric("log10_run_2030", "log10 largest run in 2030 (FLOP)", "log10 FLOP", "{:.2f}"),
        Metric("overhang_2025_ooms", "compute overhang in 2025 (OOM)", "orders of magnitude", "{:.2f}"),
        Metric("blowup_year", "blow-up (run stopped)", "year", "{:.2f}"),
    ]
    return tuple(out)


METRICS = _metrics()
METRIC_KEYS = tuple(m.key for m in METRICS)
BY_KEY = {m.key: m for m in METRICS}


# ---------------------------------------------------------------------- vectorised core
def first_crossing(times: np.ndarray, values: np.ndarray, level: float, valid: np.ndarray,
                   log: bool = False) -> np.ndarray:
    """(N,) first time each row of ``values`` (N, T) reaches ``level`` within ``valid``,
    interpolated between saved points (log-linearly with ``log``); NaN if never."""
    above = (values >= level - 1e-12 * abs(level)) & valid
    reached = above.any(axis=1)
    i = above.argmax(axis=1)
    rows = np.arange(values.shape[0])
    i0 = np.maximum(i - 1, 0)
    v0, v1 = values[rows, i0], values[rows, i]
    target = np.full(v0.shape, float(level))
    with np.errstate(all="ignore"):
        if log:
            pos = (v0 > 0) & (v1 > 0)
            v0 = np.where(pos, np.log(np.where(pos, v0, 1.0)), v0)
            v1 = np.where(pos, np.log(np.where(pos, v1, 1.0)), v1)
            target = np.where(pos, np.log(level), target)
        frac = np.where(v1 == v0, 1.0, (target - v0) / (v1 - v0))
    frac = np.clip(np.nan_to_num(frac, nan=1.0), 0.0, 1.0)
    t = np.where(i == 0, times[0], times[i0] + frac * (times[i] - times[i0]))
    return np.where(reached, t, np.nan)


def _first_true(times: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.where(mask.any(axis=1), times[mask.argmax(axis=1)], np.nan)


def _peak(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    masked = np.where(valid, values, -np.inf)
    peak = masked.max(axis=1)
    return np.where(np.isfinite(peak), peak, np.nan)


GROWTH_WINDOW_YEARS = 1.0


def _peak_growth_over_window(times: np.ndarray, values: np.ndarray, mask: np.ndarray,
                             window: float = GROWTH_WINDOW_YEARS) -> np.ndarray:
    """Largest growth factor over ``window`` years: the value at t over the value at
    t - window (log-linear between saved points), over the t where ``mask`` holds (a
    valid prefix of the run, so t - window is valid too); NaN when the run is shorter
    than the window."""
    ends = times - window >= times[0] - 1e-9
    if not ends.any():
        return np.full(values.shape[0], np.nan)
    logs = np.log(np.maximum(values, 1e-300))
    before = _interp_each_row(times[ends] - window, times, logs)
    return np.exp(_peak(logs[:, ends] - before, mask[:, ends]))


def _interp_each_row(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """``np.interp(x, xp, row)`` for every row of ``fp`` (N, len(xp)) at once, with
    numpy's arithmetic (a point on a node takes the node's value; between nodes the
    slope times the distance from the left node, from the right one if that is NaN)."""
    j = np.searchsorted(xp, x, side="right") - 1          # xp[j] <= x < xp[j + 1]
    last = len(xp) - 1
    lo, hi = np.clip(j, 0, last), np.clip(j + 1, 0, last)
    on_node = (j >= last) | (xp[lo] == x)
    with np.errstate(all="ignore"):
        slope = (fp[:, hi] - fp[:, lo]) / (xp[hi] - xp[lo])
        between = slope * (x - xp[lo]) + fp[:, lo]
        retry = slope * (x - xp[hi]) + fp[:, hi]
    between = np.where(np.isnan(between), np.where(np.isnan(retry) & (fp[:, lo] == fp[:, hi]), fp[:, lo], retry),
                       between)
    out = np.where(on_node, fp[:, lo], between)
    return np.where(np.isnan(x), x, np.where(j < 0, fp[:, :1], out))


def _free_windows(times: np.ndarray, held: np.ndarray, window: float = GROWTH_WINDOW_YEARS) -> np.ndarray:
    """(N, T) True where no saved point within the ``window`` years before t (t included)
    has the run held by a policy."""
    held_so_far = np.cumsum(held, axis=1)
    j = np.searchsorted(times, times - window - 1e-9, side="left")
    before = np.where(j > 0, held_so_far[:, np.maximum(j - 1, 0)], 0)
    return (held_so_far - before) == 0


def binding_index(series: Mapping[str, np.ndarray]) -> np.ndarray:
    """(N, T) binding constraint as an index into :data:`BINDING`: the model's lowest
    ceiling, or "policy" where an intervention holds the largest run below its own
    value."""
    index = np.clip(np.rint(series["binding_constraint_index"]), 0, len(CONSTRAINTS) - 1).astype(np.int8)
    if CAPPED_RUN in series:
        held = series["largest_training_run_flop"] < series[CAPPED_RUN] * (1 - 1e-9)
        index = np.where(held, np.int8(POLICY), index)
    return index


def compute_metrics(times: np.ndarray, series: Mapping[str, np.ndarray], stop_time: np.ndarray,
                    blowup_time: np.ndarray) -> dict[str, np.ndarray]:
    """Every metric of :data:`METRICS` for each row: ``series`` maps each name of
    :data:`INPUTS` to an (N, T) array at ``times``; ``stop_time`` and ``blowup_time``
    (N,) say when each run stopped and when it blew up (NaN if it did not)."""
    times = np.asarray(times, dtype=float)
    stop = np.asarray(stop_time, dtype=float)
    valid = times[None, :] <= stop[:, None] + 1e-9 * np.maximum(1.0, np.abs(stop[:, None]))
    run, eff = series["largest_training_run_flop"], series["effective_compute_flop"]
    out: dict[str, np.ndarray] = {}
    for level in RUN_MILESTONES_FLOP:
        out[f"run_{level:.0e}_year".replace("+", "")] = first_crossing(times, run, level, valid, log=True)
    for level in EFFECTIVE_MILESTONES_FLOP:
        out[f"effective_{level:.0e}_year".replace("+", "")] = first_crossing(times, eff, level, valid, log=True)
    binding = binding_index(series)
    out["data_binding_year"] = _first_true(times, (binding == CONSTRAINTS.index("data")) & valid)
    for share in AUTOMATION_MILESTONES:
        out[f"automation_{share * 100:.0f}_year"] = first_crossing(
            times, series["automation_fraction"], share - 1e-9, valid)
    for g in GWP_GROWTH_MILESTONES:
        out[f"gwp_growth_{g * 100:.0f}_year"] = first_crossing(times, series["gwp_growth_rate_per_year"], g, valid)
    for s in SPEEDUP_MILESTONES:
        out[f"speedup_{s:.0f}x_year"] = first_crossing(times, series["research_speedup"], s, valid, log=True)
    out["overhang_closed_year"] = first_crossing(times, -series["compute_overhang_ooms"], -OVERHANG_CLOSED_OOMS, valid)
    out["takeoff_automation_years"] = out["automation_100_year"] - out["automation_20_year"]
    out["takeoff_gwp_years"] = out["gwp_growth_20_year"] - out["gwp_growth_5_year"]
    out["takeoff_research_years"] = out["speedup_10x_year"] - out["speedup_2x_year"]
    out["peak_gwp_growth"] = _peak(series["gwp_growth_rate_per_year"], valid)
    free = _free_windows(times, binding == POLICY)
    out["peak_run_growth"] = _peak_growth_over_window(times, run, valid & free)
    out["peak_effective_compute_growth"] = _peak_growth_over_window(
        times, series["frontier_model_effective_compute_flop"], valid)
    out["peak_algorithmic_progress"] = np.exp(_peak(series["algorithmic_progress_rate_per_year"], valid))
    out["log10_run_2030"] = _value_at(times, np.log10(np.maximum(run, 1e-300)), 2030.0, valid)
    out["overhang_2025_ooms"] = _value_at(times, series["compute_overhang_ooms"], 2025.0, valid)
    out["blowup_year"] = np.asarray(blowup_time, dtype=float)
    return {m.key: out[m.key] for m in METRICS}


def _value_at(times: np.ndarray, values: np.ndarray, t: float, valid: np.ndarray) -> np.ndarray:
    """Each row at time ``t`` (linear between saved points); a run stopped before ``t``
    keeps its last valid value."""
    if not times[0] <= t <= times[-1]:
        return np.full(values.shape[0], np.nan)
    last = np.where(valid, np.arange(len(times))[None, :], 0).max(axis=1)
    held = values[np.arange(values.shape[0]), last]
    return np.where(times[last] >= t, _interp_rows(times, values, t), held)


def _interp_rows(times: np.ndarray, values: np.ndarray, t: float) -> np.ndarray:
    j = int(np.clip(np.searchsorted(times, t), 1, len(times) - 1))
    w = (t - times[j - 1]) / (times[j] - times[j - 1])
    return values[:, j - 1] * (1 - w) + values[:, j] * w


def binding_changes(times: np.ndarray, binding: np.ndarray, stop: float) -> list[tuple[float, str, str]]:
    """(time, from, to) each time one run's binding constraint changes, up to its stop."""
    keep = times <= stop + 1e-9
    t, b = times[keep], binding[keep]
    changed = np.flatnonzero(b[1:] != b[:-1]) + 1
    return [(float(t[i]), BINDING[b[i - 1]], BINDING[b[i]]) for i in changed]


def timeline_text(times: np.ndarray, binding: np.ndarray, stop: float) -> str:
    """A run's binding-constraint timeline as one line: ``money 2012, chips 2014.2, ...``."""
    parts = [f"{BINDING[binding[0]]} {times[0]:g}"]
    parts += [f"{to} {t:.1f}" for t, _, to in binding_changes(times, binding, stop)]
    return ", ".join(parts)


# ---------------------------------------------------------------------- single runs
def crossing_time(series: pd.Series, level: float, log: bool = False) -> float | None:
    """First time ``series`` reaches ``level`` (interpolated), or None if it never does."""
    values = series.to_numpy(dtype=float)[None, :]
    t = first_crossing(series.index.to_numpy(dtype=float), values, level, np.ones_like(values, bool), log)[0]
    return None if np.isnan(t) else float(t)


def result_series(result: Result) -> tuple[np.ndarray, dict[str, np.ndarray], float, float]:
    """A single run as metric inputs: times, series (1, T), stop time, blow-up time."""
    f = result.frame
    series = {name: f[name].to_numpy(dtype=float)[None, :] for name in INPUTS}
    if CAPPED_RUN in f:
        series[CAPPED_RUN] = f[CAPPED_RUN].to_numpy(dtype=float)[None, :]
    blowups = [e.time for e in result.events if e.kind in STOPPING_KINDS]
    return f.index.to_numpy(dtype=float), series, float(f.index[-1]), (blowups[0] if blowups else np.nan)


def run_metrics(result: Result) -> dict[str, float]:
    """Every metric of one run, by key (NaN: not reached)."""
    times, series, stop, blowup = result_series(result)
    values = compute_metrics(times, series, np.array([stop]), np.array([blowup]))
    return {k: float(v[0]) for k, v in values.items()}


def binding_constraint_changes(frame: pd.DataFrame) -> list[tuple[float, str, str]]:
    """(time, from, to) each time the binding constraint changes ("policy" when an
    intervention holds the largest run below its own value)."""
    series = {name: frame[name].to_numpy(dtype=float)[None, :] for name in
              ("binding_constraint_index", "largest_training_run_flop", CAPPED_RUN) if name in frame}
    binding = binding_index(series)[0]
    times = frame.index.to_numpy(dtype=float)
    return binding_changes(times, binding, times[-1])


def milestones(result: Result) -> dict[str, Any]:
    """Milestone years and takeoff metrics of a run of the AI-scaling model, by label
    (None: not reached), with ``"binding constraint changes"`` and ``"blow-up"``."""
    values = run_metrics(result)
    out: dict[str, Any] = {BY_KEY[k].label: (None if np.isnan(v) else v) for k, v in values.items()
                           if k != "blowup_year"}
    out["blow-up"] = None if np.isnan(values["blowup_year"]) else values["blowup_year"]
    out["binding constraint changes"] = binding_constraint_changes(result.frame)
    return out


def milestones_table(result: Result) -> pd.DataFrame:
    """The milestones as a two-column table (milestone, year) for the screen or CSV."""
    values = run_metrics(result)
    rows = [(m.label, m.format(values[m.key])) for m in METRICS if m.key not in ("blowup_year", "log10_run_2030")]
    changes = binding_constraint_changes(result.frame)
    frame = result.frame
    series = {n: frame[n].to_numpy(dtype=float)[None, :] for n in
              ("binding_constraint_index", "largest_training_run_flop", CAPPED_RUN) if n in frame}
    rows.append((f"binding constraint at {frame.index[0]:.0f}", BINDING[binding_index(series)[0, 0]]))
    rows += [(f"binding constraint: {a} -> {b}", f"{t:.1f}") for t, a, b in changes]
    blowup = values["blowup_year"]
    rows.append(("blow-up (run stopped)", "none" if np.isnan(blowup) else f"{blowup:.2f}"))
    if not np.isnan(blowup):
        event = next(e for e in result.events if e.kind in STOPPING_KINDS)
        rows.append(("blow-up cause", event.detail or event.name))
    return pd.DataFrame(rows, columns=["milestone", "year"])
