"""The playground's settings, the scenario file they make, and the runs it shows.

A :class:`Settings` is what the page holds (and its address encodes): a starting
scenario, the horizon, and the controls the user changed (a value as typed, and for a
policy lever its start year). :meth:`Playground.scenario_toml` turns them into a
scenario file: the starting scenario flattened, with the changed parameters in
``[parameters]`` and each changed lever as a ``step`` intervention from its start year
(replacing the scenario's own step on that lever, if it has one). Every run the page
shows is of that text, parsed by :func:`aiscale.scenarios.parse_scenario`, so the
download reproduces it and a bad value gets the command line's message.

The page draws two runs of each setting, both ordinary API calls:

* the **preview**, as soon as a slider is released:
  ``load_scenario(FILE).simulate(stop=UNTIL, **PREVIEW)``, fixed-step RK4 at dt = 1/4
  year with positive stocks in log space, as the Monte Carlo ensemble integrates;
* the **exact** run that replaces it: ``load_scenario(FILE).simulate(stop=UNTIL)``
  (adaptive RK45), which is what ``aiscale run --scenario FILE --until UNTIL`` computes;
  the milestones table and the CSV download are the exact run's.
"""

from __future__ import annotations

import math
import threading
import tomllib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..timespan import END_YEAR
from urllib.parse import parse_qs, urlencode

import numpy as np
import tomli_w

from .. import __version__
from ..model import START_YEAR, simulate_baseline
from ..scenarios import Scenario, load_scenario, milestones_table, parse_scenario
from ..scenarios.metrics import BINDING, CAPPED_RUN, binding_index
from ..scenarios.scenario import base_model, library
from ..stocks_flows import Model, ModelError, Result
from .controls import FANS, chart_columns, controls

PREVIEW: dict[str, Any] = {"method": "rk4", "dt": 0.25, "log_space": False}
EXACT: dict[str, Any] = {}  # simulate_baseline's defaults: adaptive RK45, as `aiscale run`
LAST_YEAR = 2100.0
FILE_NAME = "aiscale-playground.toml"


class SettingsError(ValueError):
    """A setting the playground cannot use: one line, and the control it concerns."""

    def __init__(self, message: str, control: str | None = None):
        super().__init__(message)
        self.control = control


@dataclass(frozen=True)
class Settings:
    """What the page shows: a starting scenario (a key of :attr:`Playground.scenarios`),
    the last year, the changed controls' values as typed, and the start years of
    changed policy levers."""

    scenario: str = "baseline"
    until: float = END_YEAR
    values: Mapping[str, str] = field(default_factory=dict)
    starts: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_query(cls, query: str | Mapping[str, list[str]]) -> Settings:
        """From an address's query: ``scenario=pause&until=2050&flop_gap=100&compute_tax_rate=0.2@2030``."""
        fields = parse_qs(query) if isinstance(query, str) else query
        values, starts = {}, {}
        for key, items in fields.items():
            if key in ("scenario", "until"):
                continue
            text = items[-1]
            if "@" in text:
                text, start = text.rsplit("@", 1)
                starts[key] = _year(start, key)
            values[key] = text
        return cls(fields.get("scenario", ["baseline"])[-1], _year(fields.get("until", ["2060"])[-1], "until"),
                   values, starts)

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Settings:
        values = {str(k): str(v) for k, v in dict(doc.get("values") or {}).items()}
        starts = {str(k): _year(v, str(k)) for k, v in dict(doc.get("starts") or {}).items()}
        return cls(str(doc.get("scenario", "baseline")), _year(doc.get("until", 2060), "until"), values, starts)

    def query(self) -> str:
        """The address query that gives these settings back (:meth:`from_query`)."""
        items = [("scenario", self.scenario), ("until", f"{self.until:g}")]
        for name, text in self.values.items():
            items.append((name, f"{text}@{self.starts[name]:g}" if name in self.starts else text))
        return urlencode(items, safe="@")


def _year(value: Any, what: str) -> float:
    try:
        year = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{what}: the year must be a number, not {value!r}", what) from None
    if not math.isfinite(year):
        raise SettingsError(f"{what}: the year must be a finite number, not {value!r}", what)
    return year


def _number_or_text(text: str) -> float | str:
    """A typed value as a number, or left as text for the scenario parser to reject."""
    try:
        return float(text)
    except ValueError:
        return text


def _finite_list(values: np.ndarray) -> list[float | None]:
    return [v if math.isfinite(v) else None for v in np.asarray(values, dtype=float).tolist()]


class Playground:
    """The playground's state on the server: the model, the scenarios it offers (the
    built-in library, and a file given on the command line first), and small caches
    of intervened models and reference runs. Runs are serialised by a lock."""

    def __init__(self, scenario: str = "baseline", model: Model | None = None):
        self.model = model or base_model()
        self.controls = controls(self.model)
        self.by_name = {c["name"]: c for c in self.controls}
        self.scenarios: dict[str, Scenario] = {}
        first = load_scenario(scenario, self.model)
        self.first = first.name if _is_builtin(first) else str(scenario)  # a file: keyed by its path
        if self.first != first.name:
            self.scenarios[self.first] = first
        for s in library(self.model):
            self.scenarios.setdefault(s.name, s)
        self.lock = threading.RLock()  # one run at a time (they hold the GIL anyway)
        self._models: OrderedDict[str, Model] = OrderedDict()
        self._references: OrderedDict[tuple, dict[str, Any]] = OrderedDict()
        self.ensemble = EnsembleJob()

    # ------------------------------------------------------------------ configuration
    def defaults(self, scenario: Scenario) -> dict[str, Any]:
        """Each control's value in ``scenario`` (and a lever's start year: that of the
        scenario's own step on it, if it has one)."""
        values, starts = {}, {}
        for c in self.controls:
            values[c["name"]] = scenario.parameters.get(c["name"], self.model.parameters[c["name"]].value)
            if c["lever"]:
                starts[c["name"]] = c["start"]
                step = _own_step(scenario, c["name"])
                if step is not None:
                    values[c["name"]], starts[c["name"]] = step.value, step.start
        return {"values": values, "starts": starts}

    def config(self) -> dict[str, Any]:
        """Everything the page builds itself from."""
        from .controls import BINDING_COLOURS, CHARTS

        return {"version": __version__, "start": START_YEAR, "last_year": LAST_YEAR, "first": self.first,
                "controls": self.controls, "charts": CHARTS, "fans": FANS, "binding_colours": BINDING_COLOURS,
                "scenarios": [{"key": k, "name": s.name, "description": s.description, **self.defaults(s)}
                              for k, s in self.scenarios.items()],
                "history": history(), "preview": _describe(PREVIEW), "exact": _describe(EXACT),
                "file_name": FILE_NAME}

    # ------------------------------------------------------------------ the scenario file
    def base(self, settings: Settings) -> Scenario:
        if settings.scenario not in self.scenarios:
            raise SettingsError(f"unknown scenario {settings.scenario!r}: choose one of "
                                f"{', '.join(self.scenarios)}", "scenario")
        return self.scenarios[settings.scenario]

    def scenario_toml(self, settings: Settings) -> str:
        """The scenario file of ``settings`` (not yet checked: :meth:`scenario`)."""
        base = self.base(settings)
        if not START_YEAR < settings.until <= LAST_YEAR:
            raise SettingsError(f"until = {settings.until:g}: the last year must lie in "
                                f"({START_YEAR:g}, {LAST_YEAR:g}]", "until")
        doc = tomllib.loads(base.to_toml())
        changes = []
        for name, text in settings.values.items():
            if name not in self.by_name:
                raise SettingsError(f"{name!r} is not a control of the playground", name)
            value = _number_or_text(text.strip())
            if self.by_name[name]["lever"]:
                start = settings.starts.get(name, self.by_name[name]["start"])
                kept = [iv for iv in doc.get("interventions", []) if not _is_plain_step(iv, name)]
                doc["interventions"] = [*kept, {"kind": "step", "target": name, "start": start, "value": value,
                                                "note": "set in the aiscale playground"}]
                changes.append(f"{name} = {text} from {start:g}")
            else:
                doc.setdefault("parameters", {})[name] = value
                changes.append(f"{name} = {text}")
        doc["name"] = "playground" if not changes else f"{base.name}-playground"
        doc["description"] = (f"{base.name} with {len(changes)} change(s) made in the aiscale playground: "
                              + "; ".join(changes)) if changes else base.description
        header = (f"# A scenario made in the aiscale playground (aiscale {__version__}) from {base.name!r}.\n"
                  f"# Reproduce the playground's milestones: aiscale run --scenario {FILE_NAME} "
                  f"--until {settings.until:g}\n\n")
        try:
            return header + tomli_w.dumps(doc)
        except (TypeError, ValueError) as err:  # a value TOML cannot hold
            raise SettingsError(f"cannot write the scenario file: {err}") from None

    def scenario(self, settings: Settings) -> tuple[Scenario, str]:
        """The checked scenario of ``settings`` and its file's text; a bad value raises
        :class:`SettingsError` with the command line's message and the control."""
        text = self.scenario_toml(settings)
        try:
            return parse_scenario(text, self.model, source=FILE_NAME), text
        except ModelError as err:
            message = str(err).removeprefix(f"{FILE_NAME}: ")
            raise SettingsError(message, self._culprit(message, settings)) from None

    def _culprit(self, message: str, settings: Settings) -> str | None:
        named = [n for n in settings.values if n in message]
        return max(named, key=len) if named else None

    # ------------------------------------------------------------------ runs
    def simulate(self, scenario: Scenario, until: float, exact: bool) -> Result:
        """``scenario.simulate(stop=until, **(EXACT if exact else PREVIEW))``, with the
        model rebuilt only when the scenario's interventions change."""
        key = repr(scenario.interventions)
        with self.lock:
            model = self._models.get(key)
            if model is None:  # rebuilt once per set of interventions; parameters are cheap to set
                model = self._models[key] = self.model.with_interventions(scenario.interventions)
                while len(self._models) > 8:
                    self._models.popitem(last=False)
            model = model.with_parameters(dict(scenario.parameters))
            return simulate_baseline(model, stop=until, **(EXACT if exact else PREVIEW))

    def run(self, settings: Settings, exact: bool) -> dict[str, Any]:
        """What the page draws for ``settings``: the run, the starting scenario's run as
        a reference, milestones of both, and the scenario file."""
        scenario, text = self.scenario(settings)
        result = self.simulate(scenario, settings.until, exact)
        reference = self.reference(settings, exact)
        return {"phase": "exact" if exact else "preview", "settings": _describe(EXACT if exact else PREVIEW),
                "run": series(result), "reference": reference["run"],
                "milestones": _milestone_rows(result), "reference_milestones": reference["milestones"],
                "toml": text, "query": settings.query()}

    def reference(self, settings: Settings, exact: bool) -> dict[str, Any]:
        """The starting scenario as shipped, run with the same settings (cached)."""
        key = (settings.scenario, settings.until, exact)
        with self.lock:
            if key not in self._references:
                result = self.simulate(self.base(settings), settings.until, exact)
                self._references[key] = {"run": series(result), "milestones": _milestone_rows(result)}
                while len(self._references) > 16:
                    self._references.popitem(last=False)
            return self._references[key]

    def csv(self, settings: Settings) -> str:
        """The exact run as CSV (the ``timeseries.csv`` of ``aiscale run --out``)."""
        scenario, _ = self.scenario(settings)
        return self.simulate(scenario, settings.until, exact=True).frame.to_csv()


def _is_builtin(scenario: Scenario) -> bool:
    from ..scenarios.scenario import builtin_names, builtin_path

    return scenario.name in builtin_names() and str(builtin_path(scenario.name)) == scenario.path


def _own_step(scenario: Scenario, name: str):
    """The scenario's only intervention on ``name`` if it is a plain step (set, no end)."""
    on = [iv for iv in scenario.interventions if iv.target == name]
    if len(on) == 1 and on[0].kind == "step" and on[0].mode == "set" and on[0].end is None:
        return on[0]
    return None


def _is_plain_step(item: Mapping[str, Any], name: str) -> bool:
    return (item.get("target") == name and item.get("kind") == "step" and item.get("mode", "set") == "set"
            and "end" not in item)


def _describe(settings: Mapping[str, Any]) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in settings.items())
    return f"load_scenario(FILE).simulate(stop=UNTIL{', ' + args if args else ''})"


def series(result: Result) -> dict[str, Any]:
    """A run as the charts draw it: time, each charted output, and the binding constraint."""
    f = result.frame
    out: dict[str, Any] = {"time": _finite_list(f.index.to_numpy())}
    for name in chart_columns():
        out[name] = _finite_list(f[name].to_numpy())
    inputs = {n: f[n].to_numpy(dtype=float)[None, :] for n in
              ("binding_constraint_index", "largest_training_run_flop", CAPPED_RUN) if n in f}
    out["binding"] = [BINDING[k] for k in binding_index(inputs)[0]]
    return out


def _milestone_rows(result: Result) -> list[list[str]]:
    return milestones_table(result).values.tolist()


def history() -> dict[str, list]:
    """The record of frontier training runs (Epoch AI's notable models: the largest run
    of each year, shipped in ``aiscale/data/history``), at mid-year."""
    from importlib import resources

    import pandas as pd

    with resources.files("aiscale.data").joinpath("history/frontier_training_compute.csv").open() as f:
        table = pd.read_csv(f)
    rows = table[table["metric"] == "annual_max_training_compute"].sort_values("date")
    return {"time": [float(y) + 0.5 for y in rows["date"]], "flop": rows["value"].astype(float).tolist(),
            "model": rows["entity"].astype(str).tolist()}


# ---------------------------------------------------------------------- the ensemble fan
class Cancelled(RuntimeError):
    """A newer request replaced this ensemble."""


class EnsembleJob:
    """One Monte Carlo ensemble at a time, run in a background thread, with progress.

    ``monte_carlo(scenario, n, seed, Settings(stop=until))`` in this process, in chunks
    of ``CHUNK`` members (the result does not depend on the chunking)."""

    CHUNK = 100

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.state: dict[str, Any] = {"status": "idle"}
        self._cancel: threading.Event | None = None

    def start(self, scenario: Scenario, until: float, n: int, seed: int, query: str,
              lock: threading.RLock) -> None:
        with self.lock:
            if self._cancel is not None:
                self._cancel.set()
            cancel = self._cancel = threading.Event()
            self.state = {"status": "running", "done": 0, "total": n, "query": query}
        threading.Thread(target=self._run, args=(scenario, until, n, seed, cancel, lock),
                         daemon=True).start()

    def status(self) -> dict[str, Any]:
        with self.lock:
            return dict(self.state)

    def _update(self, cancel: threading.Event, **changes: Any) -> None:
        with self.lock:
            if cancel is self._cancel:
                self.state.update(changes)

    def _run(self, scenario: Scenario, until: float, n: int, seed: int, cancel: threading.Event,
             lock: threading.RLock) -> None:
        from ..scenarios.ensemble import EnsembleError, run_chunk

        done = 0

        def runner(scenario_: Scenario, chunk: Any, settings: Any) -> dict[str, Any]:
            nonlocal done
            if cancel.is_set():
                raise Cancelled("replaced by a newer ensemble")
            with lock:  # between chunks, slider runs get their turn
                out = run_chunk(scenario_, chunk, settings)
            done += chunk.size
            self._update(cancel, done=done)
            return out

        try:
            ds = ensemble(scenario, until, n, seed, runner=runner, chunk_size=self.CHUNK)
        except EnsembleError as err:
            if not cancel.is_set():
                self._update(cancel, status="error", error=str(err).split(";")[0])
            return
        except (ModelError, ValueError) as err:
            self._update(cancel, status="error", error=str(err))
            return
        self._update(cancel, status="done", result=fan(ds))


def ensemble(scenario: Scenario, until: float, n: int = 1000, seed: int = 0,
             runner: Callable | None = None, chunk_size: int = 1000):
    """The playground's ensemble: ``monte_carlo(scenario, n, seed, Settings(stop=until))``
    in this process."""
    from ..scenarios.ensemble import Settings as EnsembleSettings
    from ..scenarios.ensemble import monte_carlo, run_chunk

    return monte_carlo(scenario, n=n, seed=seed, settings=EnsembleSettings(stop=until), chunk_size=chunk_size,
                       workers=1, retries=0, runner=runner or run_chunk)


def fan(ds) -> dict[str, Any]:
    """What the fan charts draw: 10%, 50% and 90% of each series over the runs, and
    the milestone percentiles."""
    from ..scenarios.dataset import summary_table

    out: dict[str, Any] = {"time": _finite_list(ds["time"].values), "members": int(ds.attrs["members"]),
                           "seed": int(ds.attrs["seed"]), "varied": int(ds.attrs["varied_parameters"])}
    for name, _, _ in FANS:
        q = ds[f"{name}_quantiles"]
        out[name] = {f"p{round(p * 100)}": _finite_list(q.sel(quantile=p).values) for p in (0.1, 0.5, 0.9)}
    table = summary_table(ds, ["run_1e28_year", "run_1e30_year", "automation_20_year", "automation_100_year",
                               "takeoff_automation_years", "blowup_year"])
    out["milestones"] = table[["metric", "p10", "p50", "p90", "reached"]].values.tolist()
    out["blowup_share"] = float(np.mean(~np.isnan(ds["blowup_time"].values)))
    return out
