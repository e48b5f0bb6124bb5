"""Scenarios side by side: their metrics as one table, and figures.

    from aiscale.scenarios.compare import compare
    c = compare(["baseline", "pause", "taiwan-shock"])
    c.table          # one row per metric, one column per scenario (formatted)
    c.values         # the same as numbers (NaN: not reached)
    c.slack          # why a lever mattered or not: binding constraint and each ceiling's
                     # slack when the scenario's interventions act

The slack of a ceiling is how many orders of magnitude its largest allowed run
(``max_run_flop_<constraint>``) lies above the largest run: 0 for the binding one,
large for a resource that does not matter then. A lever that loosens a ceiling with
slack does nothing until that ceiling binds; one that tightens it does nothing until
the slack is used up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..model.constraints import CONSTRAINTS
from ..stocks_flows import Model, Result, atomic_write
from ..timespan import END_YEAR, START_YEAR
from .metrics import BINDING, METRICS, binding_index, result_series, run_metrics
from .scenario import Scenario, base_model, load_scenario

BINDING_YEARS = (2025, 2030, 2035, 2040)
OPEN_ENDED_YEARS = 3.0   # an intervention without an end is also shown this long after it starts


@dataclass
class Comparison:
    scenarios: list[Scenario]
    results: dict[str, Result]
    values: pd.DataFrame     # metric key x scenario, numbers
    table: pd.DataFrame      # metric label x scenario, formatted for the screen
    slack: pd.DataFrame      # (scenario, year) x binding, slack_<constraint> (orders of magnitude)

    def binding_segments(self) -> dict[str, list[tuple[float, float, str]]]:
        """scenario -> [(start, end, constraint)] of its binding-constraint timeline."""
        out = {}
        for label, result in self.results.items():
            times, series, stop, _ = result_series(result)
            b = binding_index(series)[0]
            cuts = [0, *(np.flatnonzero(b[1:] != b[:-1]) + 1), len(b)]
            out[label] = [(float(times[i]), float(times[min(j, len(times) - 1)]), BINDING[b[i]])
                          for i, j in zip(cuts, cuts[1:])]
        return out

    def timelines(self) -> pd.DataFrame:
        """Long table: scenario, from (year), constraint."""
        rows = [(label, start, constraint) for label, spans in self.binding_segments().items()
                for start, _, constraint in spans]
        return pd.DataFrame(rows, columns=["scenario", "from", "constraint"])

    def write(self, out_dir: str | Path, figures: bool = True) -> list[Path]:
        """``compare.csv`` (numbers), ``binding_timeline.csv`` and, with ``figures``, PNG
        and SVG figures, each written atomically."""
        out_dir = Path(out_dir)
        frame = self.values.copy()
        frame.insert(0, "metric", [m.label for m in METRICS] + list(frame.index[len(METRICS):]))
        frame.insert(1, "unit", [m.unit for m in METRICS] + ["" for _ in frame.index[len(METRICS):]])
        written = [out_dir / "compare.csv", out_dir / "binding_timeline.csv", out_dir / "slack.csv"]
        atomic_write(written[0], lambda p: frame.to_csv(p, index_label="key"))
        timelines = self.timelines()
        atomic_write(written[1], lambda p: timelines.to_csv(p, index=False))
        slack = self.slack
        atomic_write(written[2], lambda p: slack.to_csv(p))
        if figures:
            from .. import plots
            written += plots.save(plots.scenario_trajectories(self.results), out_dir, "compare_trajectories")
            written += plots.save(plots.binding_timelines(self.binding_segments()), out_dir, "compare_binding")
        return written


def _labels(scenarios: Sequence[Scenario]) -> list[str]:
    """Scenario names, made unique ("pause", "pause (2)")."""
    seen: dict[str, int] = {}
    out = []
    for s in scenarios:
        seen[s.name] = seen.get(s.name, 0) + 1
        out.append(s.name if seen[s.name] == 1 else f"{s.name} ({seen[s.name]})")
    return out


def compare(scenarios: Sequence[str | Path | Scenario], start: float = START_YEAR, stop: float = END_YEAR,
            model: Model | None = None, progress: bool = False, **kwargs) -> Comparison:
    """Run each scenario (adaptive RK45, quarterly output) and tabulate its metrics.
    Every scenario is loaded and checked before any is run; ``progress`` shows a bar
    on stderr."""
    from ..progress import each

    if not scenarios:
        raise ValueError("compare needs at least one scenario")
    model = model or base_model()
    loaded = [load_scenario(s, model) for s in scenarios]
    labels = _labels(loaded)
    by_label = dict(zip(labels, loaded))
    results = {label: by_label[label].simulate(model, start=start, stop=stop, **kwargs)
               for label in each(labels, "compare", progress, unit="scenario")}
    metrics = {label: run_metrics(r) for label, r in results.items()}
    rows = {m.label: [m.format(metrics[lb][m.key]) for lb in labels] for m in METRICS}
    rows["blow-up (run stopped)"] = [("none" if np.isnan(metrics[lb]["blowup_year"])
                                      else f"{metrics[lb]['blowup_year']:.2f}") for lb in labels]
    columns: dict[str, dict[str, object]] = {lb: dict(metrics[lb]) for lb in labels}
    for year in BINDING_YEARS:
        if start <= year <= stop:
            row = [_binding_at(r, year) for r in results.values()]
            rows[f"binding constraint in {year}"] = row
            for lb, constraint in zip(labels, row):
                columns[lb][f"binding_{year}"] = constraint
    # built whole (row by row assignment breaks on one column of arrow-backed strings)
    table = pd.DataFrame.from_dict(rows, orient="index", columns=labels)
    values = pd.DataFrame(columns)
    return Comparison(loaded, results, values, table, slack_table(by_label, results, start, stop))


def _binding_at(result: Result, year: float) -> str:
    times, series, stop, _ = result_series(result)
    if year > stop:
        return "(stopped)"
    b = binding_index(series)[0]
    return BINDING[b[min(np.searchsorted(times, year), len(b) - 1)]]


def acting_years(scenario: Scenario, start: float, stop: float) -> list[float]:
    """Years a scenario's interventions act, within [start, stop]: each one's start and
    its last quarter (a window), where a ramp arrives (its end), the first and last
    times of a schedule, or OPEN_ENDED_YEARS (3) years on (open-ended)."""
    years = set()
    for iv in scenario.interventions:
        if iv.kind == "schedule":
            first, last = iv.table[0][0], iv.table[-1][0]
        else:
            first = iv.start
            last = (iv.end if iv.kind == "ramp" else iv.end - 0.25) if iv.end is not None else first + OPEN_ENDED_YEARS
        years |= {float(first), float(max(first, last))}
    return sorted(y for y in years if start <= y <= stop)


def slack_table(scenarios: dict[str, Scenario], results: dict[str, Result], start: float,
                stop: float) -> pd.DataFrame:
    """For each scenario, at the years its interventions act (a scenario without
    interventions: the years of the others, else :data:`BINDING_YEARS`), the binding
    constraint and each ceiling's slack: log10(max_run_flop_<c> / largest run)."""
    acting = {label: acting_years(s, start, stop) for label, s in scenarios.items()}
    others = sorted({y for ys in acting.values() for y in ys}) or [float(y) for y in BINDING_YEARS
                                                                    if start <= y <= stop]
    rows = []
    for label, result in results.items():
        times, series, end, _ = result_series(result)
        binding = binding_index(series)[0]
        frame = result.frame
        for year in acting[label] or others:
            row: dict[str, object] = {"scenario": label, "year": year}
            if year > end:
                row["binding"] = "(stopped)"
            else:
                k = min(int(np.searchsorted(times, year - 1e-9)), len(times) - 1)
                row["binding"] = BINDING[binding[k]]
                run = frame["largest_training_run_flop"].iloc[k]
                for c in CONSTRAINTS:
                    row[f"slack_{c}"] = float(np.log10(frame[f"max_run_flop_{c}"].iloc[k] / run))
            rows.append(row)
    columns = ["scenario", "year", "binding", *(f"slack_{c}" for c in CONSTRAINTS)]
    return pd.DataFrame(rows, columns=columns).set_index(["scenario", "year"])


def format_slack(slack: pd.DataFrame) -> str:
    """The slack table for the screen (orders of magnitude, 2 decimals)."""
    shown = slack.rename(columns=lambda c: c.removeprefix("slack_"))
    numeric = [c for c in shown.columns if c != "binding"]
    shown[numeric] = shown[numeric].map(lambda v: "" if pd.isna(v) else f"{v:.2f}")
    return shown.to_string()
