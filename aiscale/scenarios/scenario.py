"""Scenario files (TOML): parameter overrides, interventions and uncertainty.

A scenario file::

    name = "taiwan-shock"
    description = "Advanced wafer and packaging output cut by 80% in 2027, recovering by 2034"
    extends = "baseline"          # a built-in scenario's name, or a path relative to this file
    rationale = "why, in a paragraph"
    sources = ["a publication or dataset", "..."]

    [parameters]                  # constant overrides for the whole run
    fab_construction_years = 4

    [[interventions]]             # time-dependent changes (aiscale.stocks_flows.interventions)
    kind = "schedule"             # step | pulse | ramp | cap | schedule
    target = "supply_disruption_fraction"   # a parameter, flow or auxiliary
    table = [[2027, 0.8], [2030, 0.4], [2034, 0.0]]
    # start = 2027, end = 2030, value = 0.5, mode = "set" | "multiply" | "add", note = "..."

    [distributions]               # optional: Monte Carlo marginals (see distributions.py)
    full_automation_effective_flop = { kind = "three_point", low = 1e28, central = 1e35, high = 1e40 }

    [[correlations]]              # optional: rank correlations of the Gaussian copula
    between = ["fab_construction_years", "packaging_lead_years"]
    rank = 0.4
    why = "the same industry builds both"

    [metadata]                    # optional, free-form (e.g. a calibration's fit statistics)

A scenario that ``extends`` another starts from it: its parameters, distributions and
correlations override the parent's, and its interventions come after the parent's.
Every problem is reported as one line naming the file and what is wrong: malformed
TOML (with its line and column), unknown keys and names (with the closest ones), wrong
types, values out of range (with the bounds), interventions on targets the model does
not have, and cyclic ``extends``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..stocks_flows import Intervention, Model, ModelError, Result
from ..stocks_flows.errors import did_you_mean
from ..stocks_flows.interventions import InterventionError
from .distributions import POLICY_LEVERS, Distribution, DistributionError, default_distribution

TOP_KEYS = ("name", "description", "extends", "rationale", "sources", "parameters", "interventions",
            "distributions", "correlations", "metadata")
INTERVENTION_KEYS = ("kind", "target", "start", "end", "value", "table", "mode", "note")
CORRELATION_KEYS = ("between", "rank", "why")


class ScenarioError(ModelError, ValueError):
    """A scenario that cannot be used; the message is one line naming the file."""


@dataclass(frozen=True)
class Scenario:
    """A resolved scenario: its own name and text, everything inherited merged in."""

    name: str
    description: str = ""
    rationale: str = ""
    sources: tuple[str, ...] = ()
    parameters: Mapping[str, float] = field(default_factory=dict)
    interventions: tuple[Intervention, ...] = ()
    distributions: Mapping[str, Distribution] = field(default_factory=dict)
    correlations: Mapping[tuple[str, str], float] = field(default_factory=dict)
    lineage: tuple[str, ...] = ()       # the scenarios it extends, nearest first
    path: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    fixed: frozenset[str] = frozenset()  # set by the user (--set): held at their value in ensembles

    # ---------------------------------------------------------------- using it
    def apply(self, model: Model | None = None) -> Model:
        """``model`` (default: :func:`aiscale.model.build_model`) with this scenario's
        parameter values and interventions."""
        if model is None:
            model = base_model()
        try:
            model = model.with_parameters(dict(self.parameters))
            # without interventions the compiled plan is shared, not rebuilt
            return model.with_interventions(self.interventions) if self.interventions else model
        except (ModelError, ValueError) as err:
            raise ScenarioError(f"{self.where}: {err}") from None

    def simulate(self, model: Model | None = None, **kwargs: Any) -> Result:
        """Run the scenario like :func:`aiscale.model.simulate_baseline`."""
        from ..model import simulate_baseline
        return simulate_baseline(self.apply(model), **kwargs)

    @property
    def where(self) -> str:
        return self.path or f"scenario {self.name!r}"

    @property
    def fingerprint(self) -> str:
        """A hash of everything that changes the model the scenario gives."""
        text = json.dumps({"parameters": sorted(self.parameters.items()),
                           "interventions": [repr(iv) for iv in self.interventions]}, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def uncertainty(self, model: Model | None = None
                    ) -> dict[str, tuple[Distribution, float | None, float | None]]:
        """Every parameter's Monte Carlo marginal with its range: the scenario's
        ``[distributions]`` where given, else the default three-point form centred on
        the scenario's value; policy levers and fixed parameters are left out."""
        model = model or base_model()
        out = {}
        for name, p in model.parameters.items():
            if p.role != "user":
                continue
            if name in self.fixed:
                continue
            if name in self.distributions:
                d = self.distributions[name]
            elif name in POLICY_LEVERS or p.low is None or p.high is None or not p.low < p.high:
                continue
            else:
                d = default_distribution(self.parameters.get(name, p.value), p.low, p.high)
            if d.varied:
                out[name] = (d, p.low, p.high)
        return out

    def with_overrides(self, overrides: Mapping[str, float] | Iterable[tuple[str, float]],
                       model: Model | None = None, where: str = "--set") -> Scenario:
        """This scenario with parameters set to fixed values (the command line's
        ``--set name=value``): checked like a file's ``[parameters]`` (known names,
        finite values within range), applied after the scenario's own values and held
        fixed in ensembles and sensitivity analyses."""
        items = list(overrides.items() if isinstance(overrides, Mapping) else overrides)
        if not items:
            return self
        model = model or base_model()

        def fail(message: str) -> ScenarioError:
            return ScenarioError(f"{where} {message}")

        values = {name: _parameter_value(model, name, value, f"{name}={value:g}:", name, fail)
                  for name, value in items}
        shown = ", ".join(f"{k}={v:g}" for k, v in values.items())
        return dataclasses.replace(self, name=f"{self.name} ({shown})" if len(values) <= 2 else
                                   f"{self.name} (+{len(values)} settings)",
                                   parameters={**self.parameters, **values}, fixed=self.fixed | set(values))

    def to_toml(self) -> str:
        """The resolved scenario as TOML (inheritance flattened)."""
        import tomli_w

        doc: dict[str, Any] = {"name": self.name, "description": self.description}
        if self.rationale:
            doc["rationale"] = self.rationale
        if self.sources:
            doc["sources"] = list(self.sources)
        if self.parameters:
            doc["parameters"] = dict(self.parameters)
        if self.interventions:
            doc["interventions"] = [_intervention_dict(iv) for iv in self.interventions]
        if self.distributions:
            doc["distributions"] = {k: d.as_dict() for k, d in self.distributions.items()}
        if self.correlations:
            doc["correlations"] = [{"between": list(k), "rank": v} for k, v in self.correlations.items()]
        return tomli_w.dumps(doc)


def _intervention_dict(iv: Intervention) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": iv.kind, "target": iv.target}
    if iv.kind == "schedule":
        out["table"] = [list(p) for p in iv.table]
    else:
        out["start"] = iv.start
        out["value"] = iv.value
    if iv.end is not None:
        out["end"] = iv.end
    if iv.mode != "set":
        out["mode"] = iv.mode
    if iv.note:
        out["note"] = iv.note
    return out


# ---------------------------------------------------------------------- the library
LIBRARY_PACKAGE = "aiscale.scenarios.library"


def builtin_names() -> list[str]:
    """Names of the built-in scenarios (``aiscale/scenarios/library/*.toml``)."""
    files = resources.files(LIBRARY_PACKAGE)
    return sorted(p.name.removesuffix(".toml") for p in files.iterdir() if p.name.endswith(".toml"))


def builtin_path(name: str) -> Path:
    return Path(str(resources.files(LIBRARY_PACKAGE).joinpath(f"{name}.toml")))


def library(model: Model | None = None) -> list[Scenario]:
    """Every built-in scenario, loaded and validated; baseline first."""
    names = builtin_names()
    names.sort(key=lambda n: (n != "baseline", n))
    return [load_scenario(n, model) for n in names]


@lru_cache(maxsize=1)
def base_model() -> Model:
    """The default model (built once per process)."""
    from ..model import build_model
    return build_model()


# ---------------------------------------------------------------------- loading
def load_scenario(ref: str | Path | Scenario, model: Model | None = None) -> Scenario:
    """A scenario by built-in name or file path, with ``extends`` resolved and every
    value checked against ``model`` (default: the default model)."""
    if isinstance(ref, Scenario):
        return ref
    model = model or base_model()
    path = _locate(str(ref), None)
    return _load(path, model, ())


def parse_scenario(text: str, model: Model | None = None, source: str = "<scenario>",
                   base_dir: Path | None = None) -> Scenario:
    """A scenario from TOML text (``extends`` resolved relative to ``base_dir``)."""
    model = model or base_model()
    doc = _parse_toml(text, source)
    return _resolve(doc, source, base_dir or Path.cwd(), model, (source,))


def _locate(ref: str, base_dir: Path | None) -> Path:
    """A built-in name, or a path (relative to ``base_dir`` when given). A bare name
    (no ``/``, no ``.toml``) is the built-in scenario even when a file or folder of
    that name exists: ``./baseline`` names the path."""
    candidate = Path(ref)
    if base_dir is not None and not candidate.is_absolute():
        candidate = base_dir / candidate
    is_path = candidate.suffix == ".toml" or "/" in ref or "\\" in ref
    if not is_path and ref in builtin_names():
        return builtin_path(ref)
    if is_path or candidate.exists():
        if candidate.is_dir():
            raise ScenarioError(f"{str(candidate)!r} is a directory, not a scenario file")
        if not candidate.is_file():
            raise ScenarioError(f"no scenario file {str(candidate)!r}")
        return candidate
    raise ScenarioError(f"unknown scenario {ref!r}{did_you_mean(ref, builtin_names())}: give a built-in "
                        "name (see 'aiscale scenarios') or a .toml file")


def _load(path: Path, model: Model, chain: tuple[str, ...]) -> Scenario:
    key = str(path.resolve())
    if key in chain:
        names = [Path(c).stem for c in (*chain[chain.index(key):], key)]
        raise ScenarioError(f"{path}: cyclic 'extends': {' -> '.join(names)}")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ScenarioError(f"{path}: cannot read the scenario file ({err.strerror})") from None
    except UnicodeDecodeError as err:
        raise ScenarioError(f"{path}: not a text (UTF-8) file: byte {err.object[err.start]:#04x} at "
                            f"position {err.start}; a scenario is a TOML text file") from None
    doc = _parse_toml(text, str(path))
    return _resolve(doc, str(path), path.parent, model, (*chain, key))


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{source}: malformed TOML: {err}") from None
    if not doc:
        raise ScenarioError(f"{source}: empty scenario file: give at least a name, [parameters] or "
                            "[[interventions]] (see 'aiscale scenarios baseline')")
    return doc


def _resolve(doc: dict[str, Any], source: str, base_dir: Path, model: Model, chain: tuple[str, ...]) -> Scenario:
    def fail(message: str) -> ScenarioError:
        return ScenarioError(f"{source}: {message}")

    for key in doc:
        if key not in TOP_KEYS:
            raise fail(f"unknown key {key!r}{did_you_mean(key, TOP_KEYS)}; a scenario has "
                       f"{', '.join(TOP_KEYS)}")
    name = _string(doc, "name", fail, default=Path(source).stem)
    description = _string(doc, "description", fail, default="")
    rationale = _string(doc, "rationale", fail, default="")
    sources = doc.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise fail("'sources' must be a list of strings")

    parent = None
    if "extends" in doc:
        extends = doc["extends"]
        if not isinstance(extends, str):
            raise fail(f"'extends' must be a scenario name or file (a string), not {_type(extends)}")
        try:
            parent_path = _locate(extends, base_dir)
        except ScenarioError as err:
            raise fail(f"extends: {err}") from None
        parent = _load(parent_path, model, chain)

    parameters = dict(parent.parameters) if parent else {}
    parameters.update(_parameters(doc.get("parameters", {}), model, fail))
    interventions = list(parent.interventions) if parent else []
    interventions += _interventions(doc.get("interventions", []), fail)
    distributions = dict(parent.distributions) if parent else {}
    distributions.update(_distributions(doc.get("distributions", {}), model, fail))
    correlations = dict(parent.correlations) if parent else {}
    correlations.update(_correlations(doc.get("correlations", []), model, fail))
    metadata = doc.get("metadata", {})
    if not isinstance(metadata, dict):
        raise fail("'metadata' must be a table")

    scenario = Scenario(name=name, description=description, rationale=rationale, sources=tuple(sources),
                        parameters=parameters, interventions=tuple(interventions),
                        distributions=distributions, correlations=correlations,
                        lineage=((parent.name, *parent.lineage) if parent else ()),
                        path=source, metadata=metadata)
    scenario.apply(model)  # every intervention target, unit and range, checked by the kernel
    return scenario


def _type(value: Any) -> str:
    return {bool: "a boolean", str: "a string", list: "a list", dict: "a table", int: "an integer",
            float: "a number"}.get(type(value), type(value).__name__)


def _string(doc: Mapping[str, Any], key: str, fail, default: str) -> str:
    value = doc.get(key, default)
    if not isinstance(value, str):
        raise fail(f"{key!r} must be a string, not {_type(value)}")
    return value


def _number(value: Any, what: str, fail) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise fail(f"{what} must be a number, not {_type(value)} ({value!r})")
    if not math.isfinite(value):
        raise fail(f"{what} must be a finite number, not {value!r}")
    return float(value)


def _user_parameters(model: Model) -> list[str]:
    """The parameters a scenario may set: the model's own (not generated by a builtin
    or added by an intervention)."""
    return [name for name, p in model.parameters.items() if p.role == "user"]


def _parameters(table: Any, model: Model, fail) -> dict[str, float]:
    if not isinstance(table, dict):
        raise fail(f"[parameters] must be a table of name = number, not {_type(table)}")
    return {name: _parameter_value(model, name, value, "[parameters]:", f"[parameters] {name}", fail)
            for name, value in table.items()}


def _parameter_value(model: Model, name: str, value: Any, where: str, what: str, fail) -> float:
    """``value`` checked as the value of parameter ``name``: a known public parameter,
    a finite number, within its range. ``where`` prefixes an unknown name, ``what``
    names the value in the other messages."""
    public = _user_parameters(model)
    if name not in public:
        raise fail(f"{where} unknown parameter {name!r}{did_you_mean(name, public)}")
    v = _number(value, what, fail)
    p = model.parameters[name]
    if p.violation(v) is not None:  # the kernel's one range check
        raise fail(f"{what} = {v:g} is out of range: it must lie in {p.range_text} ({p.unit})")
    return v


def _interventions(items: Any, fail) -> list[Intervention]:
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise fail("'interventions' must be an array of tables ([[interventions]])")
    out = []
    for k, item in enumerate(items, start=1):
        where = f"intervention {k}"
        for key in item:
            if key not in INTERVENTION_KEYS:
                raise fail(f"{where}: unknown key {key!r}{did_you_mean(key, INTERVENTION_KEYS)}; "
                           f"an intervention has {', '.join(INTERVENTION_KEYS)}")
        for key in ("kind", "target"):
            if key not in item:
                raise fail(f"{where}: missing {key!r}")
        for key in ("kind", "target", "mode", "note"):
            if key in item and not isinstance(item[key], str):
                raise fail(f"{where}: {key!r} must be a string, not {_type(item[key])}")
        numbers = {key: _number(item[key], f"{where} ({item['target']}): {key!r}", fail)
                   for key in ("start", "end", "value") if key in item}
        table = item.get("table", [])
        if not isinstance(table, list) or not all(
                isinstance(p, list) and len(p) == 2 for p in table):
            raise fail(f"{where} ({item['target']}): 'table' must be a list of [time, value] pairs")
        table = [(_number(t, f"{where} table time", fail), _number(v, f"{where} table value", fail))
                 for t, v in table]
        try:
            out.append(Intervention(item["kind"], item["target"], table=tuple(table),
                                    mode=item.get("mode", "set"), note=item.get("note", ""), **numbers))
        except InterventionError as err:
            raise fail(f"{where}: {err}") from None
    return out


def _distributions(table: Any, model: Model, fail) -> dict[str, Distribution]:
    if not isinstance(table, dict):
        raise fail("[distributions] must be a table of parameter = { kind = ..., ... }")
    out = {}
    for name, spec in table.items():
        if name not in model.parameters or model.parameters[name].role != "user":
            raise fail(f"[distributions]: unknown parameter {name!r}"
                       f"{did_you_mean(name, _user_parameters(model))}")
        if not isinstance(spec, dict) or "kind" not in spec:
            raise fail(f"[distributions] {name} must be an inline table with a kind, e.g. "
                       "{ kind = \"loguniform\", low = 1, high = 10 }")
        args = {k: v for k, v in spec.items() if k not in ("kind", "space")}
        for k, v in args.items():
            _number(v, f"[distributions] {name}: {k!r}", fail)
        try:
            d = Distribution.make(str(spec["kind"]), space=spec.get("space"), **args)
        except DistributionError as err:
            raise fail(f"[distributions] {name}: {err}") from None
        p = model.parameters[name]
        lo, hi = d.support
        if d.kind in ("three_point", "uniform", "loguniform") and (
                (p.low is not None and lo < p.low) or (p.high is not None and hi > p.high)):
            raise fail(f"[distributions] {name}: [{lo:g}, {hi:g}] is out of range: it must lie in "
                       f"[{p.low:g}, {p.high:g}] ({p.unit})")
        out[name] = d
    return out


def _correlations(items: Any, model: Model, fail) -> dict[tuple[str, str], float]:
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise fail("'correlations' must be an array of tables ([[correlations]])")
    out = {}
    for k, item in enumerate(items, start=1):
        for key in item:
            if key not in CORRELATION_KEYS:
                raise fail(f"correlation {k}: unknown key {key!r}{did_you_mean(key, CORRELATION_KEYS)}")
        pair = item.get("between")
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
            raise fail(f"correlation {k}: 'between' must be a list of two parameter names")
        for name in pair:
            if name not in model.parameters:
                raise fail(f"correlation {k}: unknown parameter {name!r}{did_you_mean(name, model.parameters)}")
        if pair[0] == pair[1]:
            raise fail(f"correlation {k}: a parameter cannot be correlated with itself ({pair[0]})")
        if "rank" not in item:
            raise fail(f"correlation {k}: missing 'rank' (a Spearman rank correlation in (-1, 1))")
        rho = _number(item["rank"], f"correlation {k}: 'rank'", fail)
        if not -1 < rho < 1:
            raise fail(f"correlation {k}: rank = {rho:g} is out of range: it must lie in (-1, 1)")
        out[tuple(sorted(pair))] = rho
    return out
