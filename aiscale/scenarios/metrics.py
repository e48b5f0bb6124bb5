"""Metrics of a run: milestone years, binding-constraint changes, takeoff speed.

Crossing times are interpolated between saved points, log-linearly for quantities
that span orders of magnitude, so quarterly output gives milestone years to within
days.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..stocks_flows import Result

RUN_MILESTONES_FLOP = (1e26, 1e27, 1e28, 1e29, 1e30)
AUTOMATION_MILESTONES = (0.2, 0.5, 1.0)


def crossing_time(series: pd.Series, level: float, log: bool = False) -> float | None:
    """First time ``series`` reaches ``level`` (interpolated), or None if it never does."""
    values = series.to_numpy(dtype=float)
    times = series.index.to_numpy(dtype=float)
    above = np.flatnonzero(values >= level - 1e-12 * abs(level))
    if len(above) == 0:
        return None
    i = above[0]
    if i == 0:
        return float(times[0])
    v0, v1, target = values[i - 1], values[i], level
    if log and v0 > 0 and v1 > 0:
        v0, v1, target = np.log(v0), np.log(v1), np.log(level)
    frac = 1.0 if v1 == v0 else (target - v0) / (v1 - v0)
    return float(times[i - 1] + np.clip(frac, 0.0, 1.0) * (times[i] - times[i - 1]))


def binding_constraint_changes(frame: pd.DataFrame) -> list[tuple[float, str, str]]:
    """(time, from, to) each time the binding constraint changes."""
    labels = frame["binding_constraint"]
    changed = labels.ne(labels.shift()) & labels.shift().notna()
    return [(float(t), str(labels.shift()[t]), str(labels[t])) for t in labels.index[changed]]


def milestones(result: Result) -> dict[str, Any]:
    """Milestone years and takeoff metrics of a run of the AI-scaling model."""
    f = result.frame
    out: dict[str, Any] = {}
    for level in RUN_MILESTONES_FLOP:
        out[f"largest run >= {level:.0e} FLOP"] = crossing_time(f["largest_training_run_flop"], level, log=True)
    data_binding = f.index[f["binding_constraint"] == "data"]
    out["data becomes binding"] = float(data_binding[0]) if len(data_binding) else None
    for share in AUTOMATION_MILESTONES:
        out[f"automation >= {share:.0%}"] = crossing_time(f["automation_fraction"], share - 1e-9)
    t20, t100 = out["automation >= 20%"], out["automation >= 100%"]
    out["takeoff years (20% -> 100% automation)"] = None if t20 is None or t100 is None else t100 - t20
    blowups = [e for e in result.events if e.kind in ("blow-up", "singularity", "watchdog")]
    out["blow-up"] = blowups[0].time if blowups else None
    out["binding constraint changes"] = binding_constraint_changes(f)
    return out


def _fmt(value: Any) -> str:
    if value is None:
        return "not reached"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def milestones_table(result: Result) -> pd.DataFrame:
    """The milestones as a two-column table (milestone, year) for the screen or CSV."""
    m = milestones(result)
    rows = [(k, _fmt(v)) for k, v in m.items() if k not in ("binding constraint changes", "blow-up")]
    first = result.frame["binding_constraint"].iloc[0]
    rows.append((f"binding constraint at {result.frame.index[0]:.0f}", first))
    rows += [(f"binding constraint: {a} -> {b}", f"{t:.1f}") for t, a, b in m["binding constraint changes"]]
    blowup = m["blow-up"]
    rows.append(("blow-up (run stopped)", "none" if blowup is None else f"{blowup:.2f}"))
    if blowup is not None:
        event = next(e for e in result.events if e.time == blowup)
        rows.append(("blow-up cause", event.detail or event.name))
    return pd.DataFrame(rows, columns=["milestone", "year"])
