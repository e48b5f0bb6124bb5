"""Scenarios side by side: their metrics as one table, and figures.

    from aiscale.scenarios.compare import compare
    c = compare(["baseline", "pause", "taiwan-shock"])
    c.table          # one row per metric, one column per scenario (formatted)
    c.values         # the same as numbers (NaN: not reached)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..stocks_flows import Model, Result, atomic_write
from ..timespan import END_YEAR, START_YEAR
from .metrics import BINDING, METRICS, binding_index, result_series, run_metrics
from .scenario import Scenario, base_model, load_scenario

BINDING_YEARS = (2025, 2030, 2035, 2040)


@dataclass
class Comparison:
    scenarios: list[Scenario]
    results: dict[str, Result]
    values: pd.DataFrame     # metric key x scenario, numbers
    table: pd.DataFrame      # metric label x scenario, formatted for the screen

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
        written = [out_dir / "compare.csv", out_dir / "binding_timeline.csv"]
        atomic_write(written[0], lambda p: frame.to_csv(p, index_label="key"))
        timelines = self.timelines()
        atomic_write(written[1], lambda p: timelines.to_csv(p, index=False))
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
    return Comparison(loaded, results, values, table)


def _binding_at(result: Result, year: float) -> str:
    times, series, stop, _ = result_series(result)
    if year > stop:
        return "(stopped)"
    b = binding_index(series)[0]
    return BINDING[b[min(np.searchsorted(times, year), len(b) - 1)]]
