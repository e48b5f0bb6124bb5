"""Compute: the accelerator fleet, datacenter power, and how the fleet is used.

Chips are bought within both what the supply chain makes and what the chip budget
affords; they retire after their service life. Power capacity is built toward the
fleet's needs with a lead time, and the usable fleet is what there is power for.
Two "potential fleets" integrate what money alone and supply alone would have
installed; they give the money and chip ceilings of the binding-constraint picture.
"""

from __future__ import annotations

from ..stocks_flows import Model, minimum
from .capacity import add_expanding_capacity
from .parameters import declare


def _add_fleet(m: Model, name: str, additions: str, doc: str) -> None:
    """A fleet stock (FLOP/s) fed by ``additions`` and retired after the chip lifetime."""
    retirement = f"{name.removesuffix('_flop_per_s')}_retirement"
    m.stock(name, "gpu_fleet_2012", "FLOP/s", inflows=[additions], outflows=[retirement],
            positive=True, doc=doc)
    m.flow("FLOP/s/year", doc=f"Accelerators of {name} reaching the end of their service life",
           name=retirement, inputs=[name, "chip_lifetime_years"])(lambda fleet, life: fleet / life)


def add_compute(m: Model) -> None:
    declare(m, "compute")

    @m.auxiliary("USD/year")
    def chip_spending_usd_per_year(ai_spending_usd_per_year, chip_share_of_spending):
        """AI spending that goes to accelerators (the rest: datacenters, power, staff)."""
        return ai_spending_usd_per_year * chip_share_of_spending

    @m.flow("FLOP/s/year")
    def chip_purchases_affordable_flop_per_s_per_year(chip_spending_usd_per_year, flop_per_s_per_usd,
                                                      compute_tax_rate):
        """Compute the chip budget would buy if supply were unlimited (a compute tax, a
        policy lever that is 0 by default, raises the price paid)."""
        return chip_spending_usd_per_year * flop_per_s_per_usd / (1 + compute_tax_rate)

    @m.flow("FLOP/s/year")
    def fleet_additions_flop_per_s_per_year(chip_purchases_affordable_flop_per_s_per_year,
                                            accelerator_output_flop_per_s_per_year):
        """Chips installed: within both the budget and the supply."""
        return minimum(chip_purchases_affordable_flop_per_s_per_year, accelerator_output_flop_per_s_per_year)

    @m.flow("FLOP/s/year")
    def supply_potential_additions_flop_per_s_per_year(accelerator_output_flop_per_s_per_year):
        """What the fleet would gain if every accelerator made were bought (no budget limit)."""
        return accelerator_output_flop_per_s_per_year

    _add_fleet(m, "gpu_fleet_flop_per_s", "fleet_additions_flop_per_s_per_year",
               "AI accelerator fleet in service (peak FLOP/s)")
    _add_fleet(m, "money_limited_fleet_flop_per_s", "chip_purchases_affordable_flop_per_s_per_year",
               "The fleet the chip budget alone would have installed (no supply limit)")
    _add_fleet(m, "supply_limited_fleet_flop_per_s", "supply_potential_additions_flop_per_s_per_year",
               "The fleet supply alone would have installed (every chip made is bought)")

    @m.auxiliary("1/year")
    def fleet_growth_rate_per_year(fleet_additions_flop_per_s_per_year, gpu_fleet_retirement,
                                   gpu_fleet_flop_per_s):
        """Net relative growth of the accelerator fleet (additions minus retirements, per unit of fleet)."""
        return (fleet_additions_flop_per_s_per_year - gpu_fleet_retirement) / gpu_fleet_flop_per_s

    # ---------------------------------------------------------------- power
    m.stock("flop_per_joule", "flop_per_joule_2012", "FLOP/J", inflows=["energy_efficiency_improvement"],
            positive=True, doc="Datacenter energy efficiency, FLOP per joule at the wall")

    @m.flow("FLOP/J/year")
    def energy_efficiency_improvement(flop_per_joule, energy_efficiency_growth_per_year):
        """Growth of datacenter FLOP per joule at its historical rate."""
        return flop_per_joule * energy_efficiency_growth_per_year

    @m.auxiliary("W")
    def power_demand_w(gpu_fleet_flop_per_s, flop_per_joule, power_headroom):
        """Power the fleet would draw, with planning headroom."""
        return gpu_fleet_flop_per_s / flop_per_joule * power_headroom

    add_expanding_capacity(m, "datacenter_power_w", "W", "datacenter_power_2012", demand="power_demand_w",
                           lead_time="power_buildout_years", multiplier="power_permitting_multiplier",
                           doc="AI datacenter power capacity")

    @m.auxiliary("FLOP/s")
    def power_limited_fleet_flop_per_s(datacenter_power_w, flop_per_joule):
        """Compute the available power can run."""
        return datacenter_power_w * flop_per_joule

    @m.auxiliary("FLOP/s")
    def usable_fleet_flop_per_s(gpu_fleet_flop_per_s, power_limited_fleet_flop_per_s):
        """Chips that have power to run."""
        return minimum(gpu_fleet_flop_per_s, power_limited_fleet_flop_per_s)

    # ---------------------------------------------------------------- the frontier run
    m.stock("frontier_cluster_share", "frontier_cluster_share_2012", "dimensionless",
            inflows=["cluster_concentration"], positive=True,
            doc="Share of the usable fleet the largest training run gathers")

    @m.flow("1/year")
    def cluster_concentration(frontier_cluster_share, cluster_concentration_rate_per_year,
                              max_frontier_cluster_share):
        """Compute concentrates into frontier runs (logistic toward the maximum share)."""
        return cluster_concentration_rate_per_year * frontier_cluster_share * (
            1 - frontier_cluster_share / max_frontier_cluster_share)
