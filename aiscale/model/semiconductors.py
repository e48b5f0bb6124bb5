"""Semiconductors: advanced-node wafers, the AI share of them, CoWoS packaging, HBM
memory, and the performance and price-performance of accelerators.

Accelerator output is the least of what wafers, packaging and memory allow
(Epoch 2024, "Can AI scaling continue through 2030?"; DOMAIN.md: CoWoS and HBM are the
near-term bottleneck, wafer capacity the long-term one).
"""

from __future__ import annotations

from ..stocks_flows import Model, if_then_else, minimum
from .capacity import add_expanding_capacity
from .parameters import declare


def add_semiconductors(m: Model) -> None:
    declare(m, "semiconductors")

    # ---------------------------------------------------------------- wafers
    add_expanding_capacity(
        m, "wafer_capacity_wafers_per_year", "wafer/year", "wafer_capacity_2012",
        demand="wafer_capacity_demand", lead_time="fab_construction_years",
        multiplier="capacity_expansion_multiplier", baseline_growth="wafer_baseline_growth_per_year",
        doc="Advanced-node (leading-edge) wafer capacity, 12-inch wafers per year",
        source="tsmc_advanced_node.csv")

    @m.auxiliary("wafer/year")
    def wafer_capacity_demand(ai_wafer_demand, wafer_capacity_wafers_per_year, ai_wafer_share):
        """Capacity foundries would want: non-AI use stays, AI use grows to its demand."""
        return wafer_capacity_wafers_per_year * (1 - ai_wafer_share) + ai_wafer_demand

    @m.auxiliary("wafer/year")
    def ai_wafer_demand(accelerator_demand_chips_per_year, good_dies_per_wafer):
        """Wafers the accelerators money would buy need."""
        return accelerator_demand_chips_per_year / good_dies_per_wafer

    m.stock("ai_wafer_share", "ai_wafer_share_2012", "dimensionless", inflows=["ai_wafer_share_change"],
            positive=True, doc="Share of advanced-node wafers going to AI accelerators")

    @m.auxiliary("dimensionless")
    def target_ai_wafer_share(ai_wafer_demand, wafer_capacity_wafers_per_year, max_ai_wafer_share):
        """The share AI demand asks for, up to the most foundries will give."""
        return minimum(ai_wafer_demand / wafer_capacity_wafers_per_year, max_ai_wafer_share)

    @m.flow("1/year")
    def ai_wafer_share_change(target_ai_wafer_share, ai_wafer_share, ai_share_increase_years,
                              ai_share_decrease_years):
        """Foundries hold back: the share rises slowly toward demand and falls faster."""
        gap = target_ai_wafer_share - ai_wafer_share
        return gap / if_then_else(gap > 0, ai_share_increase_years, ai_share_decrease_years)

    @m.auxiliary("chip/year")
    def wafer_limited_chips_per_year(wafer_capacity_wafers_per_year, ai_wafer_share,
                                     good_dies_per_wafer, supply_disruption_fraction):
        """Accelerators the AI share of advanced wafers can yield."""
        return (wafer_capacity_wafers_per_year * ai_wafer_share * good_dies_per_wafer
                * (1 - supply_disruption_fraction))

    # ---------------------------------------------------------------- packaging and memory
    add_expanding_capacity(
        m, "cowos_capacity_wafers_per_year", "wafer/year", "cowos_capacity_2012",
        demand="cowos_demand_wafers_per_year", lead_time="packaging_lead_years",
        multiplier="capacity_expansion_multiplier",
        doc="CoWoS advanced-packaging capacity, interposer wafers per year",
        source="tsmc_cowos_capacity.csv (analyst estimates)")

    @m.auxiliary("wafer/year")
    def cowos_demand_wafers_per_year(accelerator_demand_chips_per_year, chips_per_cowos_wafer):
        """CoWoS packaging wafers that accelerator demand calls for."""
        return accelerator_demand_chips_per_year / chips_per_cowos_wafer

    @m.auxiliary("chip/year")
    def packaging_limited_chips_per_year(cowos_capacity_wafers_per_year, chips_per_cowos_wafer,
                                         supply_disruption_fraction):
        """Accelerators CoWoS lines can package."""
        return cowos_capacity_wafers_per_year * chips_per_cowos_wafer * (1 - supply_disruption_fraction)

    add_expanding_capacity(
        m, "hbm_capacity_chips_per_year", "chip/year", "hbm_capacity_2012",
        demand="accelerator_demand_chips_per_year", lead_time="hbm_lead_years",
        multiplier="capacity_expansion_multiplier",
        doc="High-bandwidth-memory supply, in accelerator sets per year")

    @m.auxiliary("chip/year")
    def memory_limited_chips_per_year(hbm_capacity_chips_per_year):
        """Accelerators the HBM memory supply can equip each year."""
        return hbm_capacity_chips_per_year

    @m.auxiliary("chip/year")
    def accelerator_output_chips_per_year(wafer_limited_chips_per_year, packaging_limited_chips_per_year,
                                          memory_limited_chips_per_year):
        """Accelerators made per year: the least of the wafer, packaging and memory limits."""
        return minimum(wafer_limited_chips_per_year, packaging_limited_chips_per_year,
                       memory_limited_chips_per_year)

    @m.auxiliary("FLOP/s/year")
    def accelerator_output_flop_per_s_per_year(accelerator_output_chips_per_year, flop_per_s_per_chip):
        """Peak FLOP/s of the accelerators produced each year (chips made times FLOP/s per chip)."""
        return accelerator_output_chips_per_year * flop_per_s_per_chip

    @m.auxiliary("chip/year")
    def accelerator_demand_chips_per_year(chip_purchases_affordable_flop_per_s_per_year,
                                          flop_per_s_per_chip):
        """Accelerators the chip budget would buy at today's prices."""
        return chip_purchases_affordable_flop_per_s_per_year / flop_per_s_per_chip

    # ---------------------------------------------------------------- chip performance and price
    m.stock("flop_per_s_per_chip", "flop_per_s_per_chip_2012", "FLOP/s/chip",
            inflows=["chip_performance_improvement"], positive=True,
            doc="Peak dense FLOP/s per accelerator (H100-equivalent = ~1e15)")
    m.stock("flop_per_s_per_usd", "flop_per_s_per_usd_2012", "FLOP/s/USD",
            inflows=["price_performance_improvement"], positive=True,
            doc="Hardware price-performance: peak FLOP/s bought per dollar of accelerators")

    @m.auxiliary("dimensionless")
    def hardware_progress_multiplier(research_speedup, hardware_research_elasticity):
        """AI that speeds up research also speeds hardware R&D (DOMAIN.md)."""
        return research_speedup ** hardware_research_elasticity

    @m.flow("FLOP/s/chip/year")
    def chip_performance_improvement(flop_per_s_per_chip, chip_performance_growth_per_year,
                                     hardware_progress_multiplier):
        """Growth of peak FLOP/s per accelerator: the historical trend, sped up by AI-accelerated hardware research."""
        return flop_per_s_per_chip * chip_performance_growth_per_year * hardware_progress_multiplier

    @m.auxiliary("1/year")
    def hardware_progress_rate_per_year(price_performance_growth_per_year, hardware_progress_multiplier):
        """Growth rate of FLOP/s per dollar (e-folds per year)."""
        return price_performance_growth_per_year * hardware_progress_multiplier

    @m.flow("FLOP/s/USD/year")
    def price_performance_improvement(flop_per_s_per_usd, hardware_progress_rate_per_year):
        """Growth of FLOP/s bought per dollar of accelerator, at the hardware progress rate."""
        return flop_per_s_per_usd * hardware_progress_rate_per_year

    @m.auxiliary("USD/chip")
    def accelerator_price_usd(flop_per_s_per_chip, flop_per_s_per_usd):
        """Price of one accelerator: its FLOP/s divided by FLOP/s per dollar."""
        return flop_per_s_per_chip / flop_per_s_per_usd

