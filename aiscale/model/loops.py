"""The model's named feedback loops.

The kernel enumerates every feedback loop from the equations; here we recognise the
ones the literature talks about by the variables they run through, and give each a
short human name. A loop family's representative is its shortest member; every loop
of a family counts toward its dominance (:func:`family_dominance`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..stocks_flows.structure import Loop, LoopAnalysis

OTHER = "other loops"


@dataclass(frozen=True)
class LoopFamily:
    name: str
    expected_polarity: str
    passes_through: tuple[str, ...]
    description: str
    avoids: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()


LOOP_FAMILIES = (
    LoopFamily("revenue reinvestment", "reinforcing",
               ("ai_revenue_usd_per_year", "desired_ai_spending_usd_per_year", "ai_spending_usd_per_year",
                "gpu_fleet_flop_per_s", "economic_inference_flop_per_s", "ai_labour_workers"),
               "revenue -> expected revenue -> capex -> chips -> AI labour serving the economy -> revenue",
               avoids=("investor_confidence", "forecast_due_usd_per_year", "research_input", "gwp_usd_per_year",
                       "power_demand_w", "development_share")),
    LoopFamily("AI-accelerated research", "reinforcing",
               ("automation_fraction", "ai_research_labour", "algorithmic_efficiency"),
               "capability automates research -> faster algorithmic progress -> capability"),
    LoopFamily("supply-capacity expansion", "reinforcing",
               ("accelerator_output_chips_per_year", "gpu_fleet_flop_per_s", "ai_revenue_usd_per_year"),
               "demand -> new wafer, packaging or memory capacity (after a lead time) -> chips -> AI labour "
               "-> revenue -> demand",
               avoids=("gwp_usd_per_year", "investor_confidence", "forecast_due_usd_per_year"),
               any_of=("wafer_capacity_wafers_per_year", "cowos_capacity_wafers_per_year",
                       "hbm_capacity_chips_per_year")),
    LoopFamily("cost of delay", "balancing",
               ("algorithmic_progress_rate_per_year", "run_length_years", "largest_training_run_flop"),
               "faster progress -> shorter runs -> smaller runs -> slower automation of research"),
    LoopFamily("data depletion", "balancing",
               ("human_text_stock_tokens", "max_run_flop_data", "text_opt_outs"),
               "larger runs use more of the web -> publishers opt out -> less data -> smaller data ceiling"),
    LoopFamily("investor pullback", "balancing",
               ("investor_confidence", "forecast_due_usd_per_year", "ai_spending_usd_per_year"),
               "more capex -> more revenue -> higher forecasts -> revenue that misses them a horizon later "
               "-> confidence falls -> less capex"),
    LoopFamily("AI output growth", "reinforcing",
               ("ai_labour_workers", "gwp_usd_per_year", "capability_led_spending_usd_per_year",
                "ai_spending_usd_per_year", "gpu_fleet_flop_per_s"),
               "AI labour raises output -> AI capex grows with the economy -> more compute -> more AI labour",
               avoids=("capital_usd", "development_share")),
    # Last: it takes the loops through capacity orders that no family above claims.
    LoopFamily("capacity planning", "balancing", (),
               "forecast demand above capacity built or being built -> orders -> the supply line -> capacity "
               "(Sterman 2000, ch. 17)",
               avoids=("ai_revenue_usd_per_year",),
               any_of=("wafer_capacity_wafers_per_year_orders", "cowos_capacity_wafers_per_year_orders",
                       "hbm_capacity_chips_per_year_orders", "datacenter_power_w_orders")),
)


def belongs(family: LoopFamily, loop: Loop) -> bool:
    """``loop`` runs through every variable the family names, avoids what it avoids,
    and through one of its alternatives (if it has any)."""
    variables = set(loop.variables)
    return (set(family.passes_through) <= variables and not set(family.avoids) & variables
            and (not family.any_of or bool(set(family.any_of) & variables)))


def family_of(loop: Loop) -> LoopFamily | None:
    """The named family a loop belongs to (the first in :data:`LOOP_FAMILIES` order
    when it qualifies for several), or None."""
    return next((family for family in LOOP_FAMILIES if belongs(family, loop)), None)


def loop_groups(loops: list[Loop]) -> dict[str, str]:
    """Loop id -> family name, for every loop that belongs to a named family: the
    groups over which dominance is summed (``LoopAnalysis.grouped_dominance``)."""
    return {lp.id: family.name for lp in loops if (family := family_of(lp)) is not None}


def name_loops(loops: list[Loop]) -> list[tuple[LoopFamily, Loop]]:
    """For each family, its shortest loop with the expected polarity (or, failing that,
    its shortest loop of any polarity), if the model has one."""
    named = []
    for family in LOOP_FAMILIES:
        members = [lp for lp in loops if belongs(family, lp)]
        if not members:
            continue
        preferred = [lp for lp in members if lp.polarity == family.expected_polarity] or members
        named.append((family, min(preferred, key=len)))
    return named


def family_dominance(analysis: LoopAnalysis) -> pd.DataFrame:
    """Loops that Matter over every loop of the model's main feedback structure, summed
    by family (:func:`loop_groups`; loops in no family: ``"other loops"``). One column
    per family, signed relative scores over time (see
    :func:`aiscale.stocks_flows.structure.group_dominance`)."""
    return analysis.grouped_dominance(loop_groups(analysis.loops), other=OTHER)
