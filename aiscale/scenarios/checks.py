"""Reality checks: behavioural constraints declared as data and evaluated on any run.

As in Vensim's Reality Check, what the model must never do is written down once, with
its reason, and tested on every run rather than eyeballed. The shipped checks live in
``aiscale/data/reality_checks.toml`` (one ``[[check]]`` per constraint: name, kind,
source and the names it reads); a user may give another file of the same form.

    from aiscale.scenarios.checks import check_run, load_checks
    outcomes = check_run(load_scenario("pause").simulate())
    [(o.check.name, o.status, o.detail) for o in outcomes]

Kinds (conditions on a run: its frame, hidden stocks, parameters and events):

``nonnegative``   every stock, the hidden supply-line and smooth stocks included, >= 0
``finite``        every number in the frame is finite
``at_most``       ``left`` <= ``right`` (a variable, parameter, number, or the least of a
                  list of them), within ``rtol``, over ``years`` if given
``near_history``  ``left`` at mid-year within ``tolerance`` orders of magnitude of a shipped
                  history series (``record``: its running maximum), each year of ``years``
``no_blowup``     the run reaches ``until`` without a blow-up event

A check that reads a name the model lacks is skipped ("skipped: model lacks X"), so the
same checks serve models with and without a sector.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..stocks_flows import Result

KINDS = ("nonnegative", "finite", "at_most", "near_history", "no_blowup")
KEYS = ("name", "kind", "source", "left", "right", "years", "rtol", "history", "metric", "record", "tolerance",
        "until")
REQUIRED = {"nonnegative": (), "finite": (), "at_most": ("left", "right"),
            "near_history": ("left", "history", "metric", "tolerance"), "no_blowup": ("until",)}
HOLDS, FAILS, SKIPPED = "holds", "fails", "skipped"


class CheckError(ValueError):
    """A checks file that cannot be used (one line naming the file)."""


@dataclass(frozen=True)
class Check:
    """One reality check (see the module docstring for the kinds)."""

    name: str
    kind: str
    source: str
    left: str = ""
    right: tuple[str | float, ...] = ()
    years: tuple[float, float] | None = None
    rtol: float = 1e-6
    history: str = ""
    metric: str = ""
    record: bool = False
    tolerance: float = 0.0
    until: float | None = None

    @property
    def condition(self) -> str:
        """The condition in words."""
        if self.kind == "at_most":
            right = " and ".join(str(r) for r in self.right)
            return f"{self.left} <= {'least of ' if len(self.right) > 1 else ''}{right}"
        if self.kind == "near_history":
            return f"|log10 {self.left} / {self.history}| <= {self.tolerance:g}"
        if self.kind == "no_blowup":
            return f"no blow-up before {self.until:g}"
        return {"nonnegative": "every stock >= 0", "finite": "every value finite"}[self.kind]


@dataclass(frozen=True)
class Outcome:
    """What a check found on one run: ``holds``, ``fails`` or ``skipped``, and why."""

    check: Check
    status: str
    detail: str

    @property
    def failed(self) -> bool:
        return self.status == FAILS


# ---------------------------------------------------------------------- loading
def load_checks(path: str | Path | None = None) -> tuple[Check, ...]:
    """The checks in ``path`` (default: the shipped ``reality_checks.toml``), validated."""
    if path is None:
        text, where = resources.files("aiscale.data").joinpath("reality_checks.toml").read_text(), "reality_checks.toml"
    else:
        where = str(path)
        try:
            text = Path(path).read_text()
        except OSError as err:
            raise CheckError(f"{where}: cannot read the checks file ({err.strerror})") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise CheckError(f"{where}: malformed TOML: {err}") from None
    rows = doc.get("check")
    if set(doc) != {"check"} or not isinstance(rows, list) or not rows:
        raise CheckError(f"{where}: give the checks as [[check]] tables (and nothing else)")
    checks = tuple(_parse_check(row, f"{where}: check {i + 1}") for i, row in enumerate(rows))
    names = [c.name for c in checks]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise CheckError(f"{where}: two checks are called {duplicate!r}")
    return checks


def _parse_check(row: Any, where: str) -> Check:
    if not isinstance(row, dict):
        raise CheckError(f"{where}: not a table")
    unknown = sorted(set(row) - set(KEYS))
    if unknown:
        raise CheckError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(KEYS)})")
    for key in ("name", "kind", "source"):
        if not isinstance(row.get(key), str) or not row[key].strip():
            raise CheckError(f"{where}: '{key}' must be a non-empty string")
    where = f"{where} ({row['name']!r})"
    kind = row["kind"]
    if kind not in KINDS:
        raise CheckError(f"{where}: unknown kind {kind!r} (known: {', '.join(KINDS)})")
    missing = [k for k in REQUIRED[kind] if k not in row]
    if missing:
        raise CheckError(f"{where}: a {kind} check needs '{missing[0]}'")
    right = row.get("right", [])
    right = tuple(right) if isinstance(right, list) else (right,)
    if any(isinstance(r, bool) or not isinstance(r, (str, int, float)) for r in right):
        raise CheckError(f"{where}: 'right' must be a name, a number or a list of them")
    numbers = {k: row[k] for k in ("rtol", "tolerance", "until") if k in row}
    for key, value in numbers.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
            raise CheckError(f"{where}: '{key}' must be a finite number >= 0, not {value!r}")
    years = row.get("years")
    if years is not None and (not isinstance(years, list) or len(years) != 2
                              or not all(isinstance(y, (int, float)) and not isinstance(y, bool) for y in years)
                              or years[0] > years[1]):
        raise CheckError(f"{where}: 'years' must be [first, last]")
    for key in ("left", "history", "metric"):
        if key in row and (not isinstance(row[key], str) or not row[key]):
            raise CheckError(f"{where}: '{key}' must be a non-empty string")
    if "record" in row and not isinstance(row["record"], bool):
        raise CheckError(f"{where}: 'record' must be true or false")
    return Check(row["name"], kind, row["source"], row.get("left", ""), tuple(float(r) if not isinstance(r, str)
                                                                               else r for r in right),
                 None if years is None else (float(years[0]), float(years[1])), float(row.get("rtol", 1e-6)),
                 row.get("history", ""), row.get("metric", ""), bool(row.get("record", False)),
                 float(row.get("tolerance", 0.0)), None if "until" not in row else float(row["until"]))


# ---------------------------------------------------------------------- evaluating
def check_run(result: Result, checks: Sequence[Check] | None = None) -> list[Outcome]:
    """Every check's outcome on one run (``result``: a simulation, or a doctored copy)."""
    return [evaluate(check, result) for check in (load_checks() if checks is None else checks)]


def evaluate(check: Check, result: Result) -> Outcome:
    """One check on one run."""
    handler: Callable[[Check, Result], tuple[str, str]] = _HANDLERS[check.kind]
    status, detail = handler(check, result)
    return Outcome(check, status, detail)


def _lacks(result: Result, names: Sequence[Any]) -> str | None:
    """'model lacks X' for the first name neither a column nor a parameter."""
    for name in names:
        if isinstance(name, str) and name not in result.frame.columns and name not in result.parameters:
            return f"model lacks {name}"
    return None


def _values(result: Result, name: str | float, frame: pd.DataFrame) -> np.ndarray:
    """A column, a parameter (constant over the run) or a number, over ``frame``'s times."""
    if not isinstance(name, str):
        return np.full(len(frame), float(name))
    if name in frame.columns:
        return frame[name].to_numpy(dtype=float)
    return np.full(len(frame), float(result.parameters[name]))


def _window(check: Check, frame: pd.DataFrame) -> pd.DataFrame:
    if check.years is None:
        return frame
    return frame[(frame.index >= check.years[0]) & (frame.index <= check.years[1] + 1)]


def _nonnegative(check: Check, result: Result) -> tuple[str, str]:
    states = result.states if result.states is not None else result.frame
    values = states.to_numpy(dtype=float)
    scale = np.nanmax(np.abs(values), axis=0)
    lowest = np.nanmin(values, axis=0)
    bad = lowest < -1e-9 * scale
    if not bad.any():
        return HOLDS, f"{states.shape[1]} stocks, none below zero"
    worst = int(np.argmin(np.where(bad, lowest / np.where(scale > 0, scale, 1), np.inf)))
    name = states.columns[worst]
    when = states.index[int(np.nanargmin(values[:, worst]))]
    others = int(bad.sum()) - 1
    return FAILS, (f"{name} = {lowest[worst]:.4g} at {when:.2f}"
                   + (f" (and {others} other stock{'s' if others > 1 else ''})" if others else ""))


def _finite(check: Check, result: Result) -> tuple[str, str]:
    numbers = result.frame.select_dtypes("number")
    bad = ~np.isfinite(numbers.to_numpy(dtype=float))
    if not bad.any():
        return HOLDS, f"{numbers.size} values, all finite"
    row, col = np.argwhere(bad)[0]
    return FAILS, f"{numbers.columns[col]} = {numbers.iat[row, col]} at {numbers.index[row]:.2f}"


def _at_most(check: Check, result: Result) -> tuple[str, str]:
    lacking = _lacks(result, [check.left, *check.right])
    if lacking:
        return SKIPPED, lacking
    frame = _window(check, result.frame)
    if frame.empty:
        return SKIPPED, "the run does not cover the check's years"
    left = _values(result, check.left, frame)
    right = np.min([_values(result, r, frame) for r in check.right], axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(right != 0, left / right, np.where(left > 0, np.inf, 0.0))
    over = left > right + check.rtol * np.abs(right)
    k = int(np.nanargmax(ratio))
    if not over.any():
        return HOLDS, f"at most {ratio[k]:.3g} of the bound ({frame.index[k]:.2f})"
    first = frame.index[int(np.argmax(over))]
    return FAILS, (f"{check.left} = {left[k]:.3g} is {ratio[k]:.3g}x the bound {right[k]:.3g} at "
                   f"{frame.index[k]:.2f} (first above it at {first:.2f})")


def history_series(check: Check, directory: Path | None = None) -> pd.Series:
    """The yearly history a near_history check compares with (its running maximum if
    ``record``), from ``aiscale/data/history`` (or ``directory``)."""
    base = directory or Path(str(resources.files("aiscale.data").joinpath("history")))
    path = base / check.history
    try:
        table = pd.read_csv(path)
    except OSError as err:
        raise CheckError(f"check {check.name!r}: cannot read {path} ({err.strerror})") from None
    if not {"date", "value", "metric"} <= set(table.columns):
        raise CheckError(f"check {check.name!r}: {path} lacks the columns date, value, metric")
    rows = table[table["metric"] == check.metric]
    years = pd.to_numeric(rows["date"], errors="coerce")
    values = pd.to_numeric(rows["value"], errors="coerce")
    keep = years.notna() & values.gt(0)
    if not keep.any():
        raise CheckError(f"check {check.name!r}: {path} has no positive yearly rows of metric {check.metric!r}")
    series = pd.Series(values[keep].to_numpy(), index=years[keep].astype(int).to_numpy()).sort_index()
    series = series.groupby(level=0).max()
    return series.cummax() if check.record else series


def _near_history(check: Check, result: Result) -> tuple[str, str]:
    lacking = _lacks(result, [check.left])
    if lacking:
        return SKIPPED, lacking
    observed = history_series(check)
    first, last = check.years or (observed.index.min(), observed.index.max())
    times = result.frame.index.to_numpy(dtype=float)
    model = result.frame[check.left].to_numpy(dtype=float)
    years = [y for y in observed.index if first <= y <= last and len(times) and times[0] <= y + 0.5 <= times[-1]]
    if not years:
        return SKIPPED, f"the run does not cover {first:g}-{last:g}"
    with np.errstate(divide="ignore", invalid="ignore"):
        simulated = 10 ** np.interp([y + 0.5 for y in years], times, np.log10(model))
        gaps = np.log10(simulated / observed.loc[years].to_numpy())
    gaps = np.where(np.isfinite(gaps), gaps, np.inf)
    k = int(np.argmax(np.abs(gaps)))
    where = f"{years[k]}: {gaps[k]:+.2f} OOM ({simulated[k]:.3g} vs {observed.loc[years[k]]:.3g})"
    if abs(gaps[k]) <= check.tolerance:
        return HOLDS, f"largest gap {where}"
    outside = sum(abs(g) > check.tolerance for g in gaps)
    return FAILS, f"{outside} of {len(years)} years outside {check.tolerance:g} OOM; worst {where}"


def _no_blowup(check: Check, result: Result) -> tuple[str, str]:
    stop = float(result.frame.index[-1])
    blowups = [e for e in result.events if e.kind in ("blow-up", "singularity", "watchdog")]
    if blowups and blowups[0].time < check.until:
        event = blowups[0]
        return FAILS, f"blew up at {event.time:.2f}" + (f": {event.detail}" if event.detail else "")
    if stop < check.until:
        return HOLDS, f"no blow-up up to {stop:g} (the run's end)"
    return HOLDS, f"no blow-up up to {check.until:g}"


_HANDLERS: dict[str, Callable[[Check, Result], tuple[str, str]]] = {
    "nonnegative": _nonnegative, "finite": _finite, "at_most": _at_most, "near_history": _near_history,
    "no_blowup": _no_blowup}


# ---------------------------------------------------------------------- scenarios
@dataclass
class CheckReport:
    """The checks on several scenarios: ``outcomes[scenario]`` lists one per check."""

    checks: tuple[Check, ...]
    outcomes: dict[str, list[Outcome]]

    @property
    def failures(self) -> list[tuple[str, Outcome]]:
        return [(s, o) for s, outs in self.outcomes.items() for o in outs if o.failed]

    def table(self) -> pd.DataFrame:
        """check x scenario: ok / FAIL / skip."""
        mark = {HOLDS: "ok", FAILS: "FAIL", SKIPPED: "skip"}
        return pd.DataFrame({s: [mark[o.status] for o in outs] for s, outs in self.outcomes.items()},
                            index=[c.name for c in self.checks])

    def lines(self, details: bool = False) -> list[str]:
        """The report as text: the table, then failures and skips (every outcome with its
        source when ``details``)."""
        out = [self.table().to_string()]
        if details:
            for check in self.checks:
                out += ["", f"{check.name}: {check.condition}", f"  source: {check.source}"]
                out += [f"  {s}: {o.status}: {o.detail}" for s, outs in self.outcomes.items()
                        for o in outs if o.check is check]
            return out
        if self.failures:
            out += ["", "failed:"] + [f"  {s}: {o.check.name}: {o.detail}" for s, o in self.failures]
        skipped = {o.check.name: o.detail for outs in self.outcomes.values() for o in outs if o.status == SKIPPED}
        if skipped:
            out += ["", "skipped:"] + [f"  {name}: {why}" for name, why in skipped.items()]
        return out


def check_scenarios(scenarios: Sequence[Any], start: float = 2012.0, stop: float = 2060.0,
                    checks: Sequence[Check] | None = None, progress: bool = False) -> CheckReport:
    """Run each scenario (built-in name, file or Scenario; all loaded and validated
    first) and evaluate the checks on it."""
    from ..progress import each
    from .compare import _labels
    from .scenario import base_model, load_scenario

    checks = tuple(load_checks() if checks is None else checks)
    model = base_model()
    loaded = [load_scenario(s, model) for s in scenarios]
    for check in checks:
        if check.kind == "near_history":
            history_series(check)  # a missing or malformed history file is bad input, before any run
    labels = _labels(loaded)
    by_label = dict(zip(labels, loaded))
    outcomes = {label: check_run(by_label[label].simulate(model, start=start, stop=stop), checks)
                for label in each(labels, "check", progress, unit="scenario")}
    return CheckReport(checks, outcomes)
