"""What the playground shows: its sliders and its charts, as two small tables.

``CONTROLS`` is the one place that names the parameters a user can move: (group,
parameter, start year). A policy lever has a start year: its value then applies from
that year on (a ``step`` intervention in the scenario); the other controls change the
parameter for the whole run. Unit, range, documentation and source are read from the
model's parameter table when the page is built, so renaming a parameter means editing
its name here and nowhere else; :func:`controls` fails, naming the entry, if one names
no parameter of the model. The groups follow takeoffspeeds.com (Davidson 2023).

``CHARTS`` names the model outputs each chart draws.
"""

from __future__ import annotations

from typing import Any

from ..plots import CONSTRAINT_COLOURS, POLICY_COLOUR
from ..stocks_flows import Model, ModelError
from ..stocks_flows.errors import did_you_mean

COMPUTE = "Compute requirements and FLOP gap"
RESEARCH = "Returns to R&D"
INVESTMENT = "Investment"
CHIPS = "Chip supply chain"
POWER = "Power"
DATA = "Data"
POLICY = "Policy levers (value from the start year)"
LEVER_START = 2027.0  # default start year of a policy lever: the next full year

CONTROLS: tuple[tuple[str, str, float | None], ...] = (
    (COMPUTE, "full_automation_effective_flop", None),
    (COMPUTE, "flop_gap", None),
    (COMPUTE, "automation_start_effective_flop", None),
    (RESEARCH, "research_returns", None),
    (RESEARCH, "research_parallelism", None),
    (RESEARCH, "hardware_research_elasticity", None),
    (RESEARCH, "flop_per_s_per_ai_researcher", None),
    (RESEARCH, "hardware_rnd_returns", None),
    (RESEARCH, "max_algorithmic_efficiency", None),
    (INVESTMENT, "reinvestment_ratio", None),
    (INVESTMENT, "capability_spending_elasticity", None),
    (INVESTMENT, "expected_market_penetration", None),
    (INVESTMENT, "max_ai_spending_share_of_gwp", None),
    (INVESTMENT, "wake_up_automation_fraction", None),
    (CHIPS, "price_performance_growth_per_year", None),
    (CHIPS, "fab_construction_years", None),
    (CHIPS, "max_ai_wafer_share", None),
    (CHIPS, "chips_per_cowos_wafer", None),
    (POWER, "power_buildout_years", None),
    (POWER, "max_flop_per_joule", None),
    (POWER, "max_ai_share_of_electricity", None),
    (DATA, "synthetic_usable_fraction", None),
    (DATA, "opt_out_rate_per_year", None),
    (DATA, "max_data_epochs", None),
    (POLICY, "compute_tax_rate", LEVER_START),
    (POLICY, "export_controlled_share", LEVER_START),
    (POLICY, "data_restricted_fraction", LEVER_START),
    (POLICY, "power_permitting_multiplier", LEVER_START),
    (POLICY, "capacity_expansion_multiplier", LEVER_START),
    (POLICY, "supply_disruption_fraction", LEVER_START),
)

LOG_SCALE_RATIO = 100.0  # a range spanning this factor or more gets a log-scale slider

# Chart: id, title, left axis, right axis (or None), series. Axis: (unit, scale) with
# scale "log", "linear" or "percent" (a fraction shown in %). Series: (model output,
# label, colour, axis "left"/"right").
CHARTS: tuple[dict[str, Any], ...] = (
    {"id": "compute", "title": "Largest training run and effective compute", "left": ("FLOP", "log"),
     "right": None, "history": True, "series": [
         ("largest_training_run_flop", "largest run (physical FLOP)", "#1f77b4", "left"),
         ("effective_compute_flop", "effective compute (2023 algorithms)", "#ff7f0e", "left")]},
    {"id": "ceilings", "title": "What limits the largest run (thick: binding)", "left": ("FLOP", "log"),
     "right": None, "binding": True, "series": [
         *((f"max_run_flop_{c}", f"{c} ceiling", CONSTRAINT_COLOURS[c], "left")
           for c in ("money", "chips", "power", "data", "latency")),
         ("largest_training_run_flop", "largest run", "#000000", "left")]},
    {"id": "automation", "title": "Automation and research speed-up", "left": ("share of tasks", "percent"),
     "right": ("speed-up (x)", "log"), "series": [
         ("automation_fraction", "tasks automated", "#222222", "left"),
         ("research_speedup", "research speed-up (right)", "#9467bd", "right")]},
    {"id": "gwp", "title": "Growth of gross world product", "left": ("per year", "percent-log"),
     "right": None, "series": [
         ("gwp_growth_rate_per_year", "GWP growth", "#8c564b", "left")]},
    {"id": "money", "title": "Money", "left": ("USD per year", "log"), "right": None, "series": [
        ("ai_revenue_usd_per_year", "AI revenue", "#2ca02c", "left"),
        ("ai_spending_usd_per_year", "AI spending", "#d62728", "left"),
        ("gwp_usd_per_year", "gross world product", "#7f7f7f", "left")]},
    {"id": "fleet", "title": "Compute fleet and power", "left": ("FLOP/s", "log"), "right": ("W", "log"),
     "series": [
         ("gpu_fleet_flop_per_s", "accelerator fleet", "#1f77b4", "left"),
         ("power_limited_fleet_flop_per_s", "what power can run", "#7570b3", "left"),
         ("datacenter_power_w", "datacenter power (right, W)", "#bcbd22", "right")]},
)
BINDING_COLOURS = {**CONSTRAINT_COLOURS, "policy": POLICY_COLOUR}
# The ensemble fan: outputs kept by aiscale.scenarios.ensemble (its SERIES).
FANS: tuple[tuple[str, str, str], ...] = (
    ("largest_training_run_flop", "Largest training run", "log"),
    ("automation_fraction", "Automation", "percent"),
    ("gwp_growth_rate_per_year", "GWP growth", "percent-log"),
)


def chart_columns() -> list[str]:
    """Every model output a chart draws, in order, without repeats."""
    return list(dict.fromkeys(s[0] for chart in CHARTS for s in chart["series"]))


def controls(model: Model) -> list[dict[str, Any]]:
    """The sliders of :data:`CONTROLS` with unit, range, scale, doc and source from
    ``model``'s parameters. Raises :class:`ModelError` naming an entry that is no
    parameter, or has no range to slide over."""
    out = []
    seen = set()
    for group, name, start in CONTROLS:
        if name in seen:
            raise ModelError(f"playground control {name!r} is listed twice in CONTROLS")
        seen.add(name)
        if name not in model.parameters or "__" in name:
            raise ModelError(f"playground control {name!r} ({group}) names no parameter of the model"
                             f"{did_you_mean(name, model.parameters)}: edit CONTROLS in {__name__}")
        p = model.parameters[name]
        if p.low is None or p.high is None or not p.low < p.high:
            raise ModelError(f"playground control {name!r} ({group}) has no range to slide over "
                             f"(low {p.low}, high {p.high} in the parameter table)")
        log = p.low > 0 and p.high / p.low >= LOG_SCALE_RATIO
        out.append({"group": group, "name": name, "unit": p.unit or "dimensionless", "low": p.low,
                    "high": p.high, "value": p.value, "log": log, "doc": p.doc, "source": p.source,
                    "lever": start is not None, "start": start})
    return out
