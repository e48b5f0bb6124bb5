"""The model's named feedback loops.

The kernel enumerates every feedback loop from the equations; here we recognise the
ones the literature talks about by the variables they run through, and give each a
short human name. A loop family's representative is its shortest member.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..stocks_flows.structure import Loop


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
)


def name_loops(loops: list[Loop]) -> list[tuple[LoopFamily, Loop]]:
    """For each family, its shortest loop with the expected polarity (or, failing that,
    its shortest loop of any polarity), if the model has one."""
    named = []
    for family in LOOP_FAMILIES:
        members = [lp for lp in loops if set(family.passes_through) <= set(lp.variables)
                   and not set(family.avoids) & set(lp.variables)
                   and (not family.any_of or set(family.any_of) & set(lp.variables))]
        if not members:
            continue
        preferred = [lp for lp in members if lp.polarity == family.expected_polarity] or members
        named.append((family, min(preferred, key=len)))
    return named
