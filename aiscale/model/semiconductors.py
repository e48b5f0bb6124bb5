"""Semiconductors: advanced-node wafers, CoWoS packaging, HBM memory, and the progress of
accelerators toward their physical limits.

Accelerator output is the least of what wafers, packaging and memory allow (Sevilla et
al. 2024, Epoch, "Can AI scaling continue through 2030?": CoWoS and HBM are the
near-term bottleneck, wafer capacity the long-term one). Each capacity is built toward
forecast demand with its own lead time (:mod:`.capacity`); foundries give AI wafer
starts on demand, but only up to a maximum share of their capacity.

Hardware progresses semi-endogenously (:mod:`.progress`): the design frontiers of
price-performance (FLOP/s per $) and energy efficiency (FLOP per joule) grow with
hardware R&D effort, sped up by AI research, with Davidson's (2023) returns to hardware
R&D and ceiling penalty, toward a price-performance ceiling (FTM's, 8.8 orders of
magnitude above 2022) and the CMOS limit of ~4.7e15 FLOP/J (Ho, Erdil & Besiroglu
2023). Chips bought in volume follow the design frontier after FTM's hardware delay. A
chip's FLOP/s is its FLOP per joule times the power its package draws, which rises
toward what cooling can remove, so both physical limits bound it.
"""

from __future__ import annotations

from ..stocks_flows import Model, exp, log, log10, minimum
from .capacity import add_expanding_capacity
from .compute import FLEET_COHORTS, cohort_weights
from .parameters import declare
from .progress import semi_endogenous_progress_rate


def add_semiconductors(m: Model) -> None:
    declare(m, "semiconductors")

    # ---------------------------------------------------------------- wafers
    add_expanding_capacity(
        m, "wafer_capacity_wafers_per_year", "wafer/year", "wafer_capacity_2012",
        demand="wafer_capacity_demand", lead_time="fab_construction_years",
        multiplier="capacity_expansion_multiplier", initial_growth="wafer_baseline_growth_per_year",
        doc="Advanced-node (leading-edge) wafer capacity, 12-inch wafers per year",
        source="tsmc_advanced_node.csv")

    m.stock("non_ai_wafer_demand", "non_ai_wafer_demand_2012", "wafer/year", inflows=["non_ai_wafer_demand_growth"],
            positive=True, doc="Leading-edge wafers wanted for everything but AI accelerators (phones, CPUs, ...)")

    @m.auxiliary("wafer/year")
    def non_ai_wafer_demand_2012(wafer_capacity_2012, accelerators_bought_2012_chips_per_year, good_dies_per_wafer,
                                 capacity_planning_margin):
        """Non-AI wafer demand at the start: the 2012 capacity less what AI accelerators took."""
        return wafer_capacity_2012 - accelerators_bought_2012_chips_per_year / good_dies_per_wafer * capacity_planning_margin

    @m.flow("wafer/year/year")
    def non_ai_wafer_demand_growth(non_ai_wafer_demand, wafer_baseline_growth_per_year):
        """Non-AI demand for leading-edge wafers grows at its historical rate."""
        return non_ai_wafer_demand * wafer_baseline_growth_per_year

    @m.auxiliary("wafer/year")
    def wafer_capacity_demand(non_ai_wafer_demand, ai_wafer_demand, wafer_capacity_wafers_per_year,
                              max_ai_wafer_share):
        """Capacity foundries want: for non-AI use and AI demand, building for AI only as far
        as they would let AI take (the max share: foundries hold back while they doubt AI
        demand will last)."""
        return non_ai_wafer_demand + minimum(ai_wafer_demand, max_ai_wafer_share * wafer_capacity_wafers_per_year)

    @m.auxiliary("wafer/year")
    def ai_wafer_demand(accelerator_demand_chips_per_year, good_dies_per_wafer, capacity_planning_margin):
        """Wafers the accelerators money would buy need, with the margin suppliers plan for."""
        return accelerator_demand_chips_per_year / good_dies_per_wafer * capacity_planning_margin

    @m.auxiliary("dimensionless")
    def ai_wafer_share(ai_wafer_demand, wafer_capacity_wafers_per_year, max_ai_wafer_share):
        """Share of advanced-node wafers going to AI accelerators: what AI demand asks for
        (wafer starts on existing lines follow orders within a production cycle), up to the
        most foundries will give it."""
        return minimum(ai_wafer_demand / wafer_capacity_wafers_per_year, max_ai_wafer_share)

    @m.auxiliary("chip/year")
    def wafer_limited_chips_per_year(wafer_capacity_wafers_per_year, ai_wafer_share,
                                     good_dies_per_wafer, supply_disruption_fraction):
        """Accelerators the AI share of advanced wafers can yield."""
        return (wafer_capacity_wafers_per_year * ai_wafer_share * good_dies_per_wafer
                * (1 - supply_disruption_fraction))

    # ---------------------------------------------------------------- packaging and memory
    @m.auxiliary("chip/year")
    def accelerators_bought_2012_chips_per_year(gpu_fleet_2012, fleet_growth_2012, chip_lifetime_years,
                                                flop_per_s_per_chip):
        """Accelerators bought per year in 2012 if the 2012 fleet had grown steadily: what
        enters the youngest cohort, cohort x (growth + cohorts / lifetime)."""
        youngest = gpu_fleet_2012 * cohort_weights(fleet_growth_2012, chip_lifetime_years)[0]
        return youngest * (fleet_growth_2012 + FLEET_COHORTS / chip_lifetime_years) / flop_per_s_per_chip

    @m.auxiliary("wafer/year")
    def cowos_capacity_2012(accelerators_bought_2012_chips_per_year, chips_per_cowos_wafer, capacity_planning_margin):
        """Packaging capacity at the start: what the 2012 fleet's purchases need, with the
        planning margin (supply starts in steady state)."""
        return accelerators_bought_2012_chips_per_year / chips_per_cowos_wafer * capacity_planning_margin

    add_expanding_capacity(
        m, "cowos_capacity_wafers_per_year", "wafer/year", "cowos_capacity_2012",
        demand="cowos_demand_wafers_per_year", lead_time="packaging_lead_years",
        multiplier="capacity_expansion_multiplier", initial_growth="fleet_growth_2012",
        doc="CoWoS advanced-packaging capacity, interposer wafers per year",
        source="tsmc_cowos_capacity.csv (analyst estimates)")

    @m.auxiliary("wafer/year")
    def cowos_demand_wafers_per_year(accelerator_demand_chips_per_year, chips_per_cowos_wafer,
                                     capacity_planning_margin):
        """Packaging the accelerators money would buy need, with the planning margin."""
        return accelerator_demand_chips_per_year / chips_per_cowos_wafer * capacity_planning_margin

    @m.auxiliary("chip/year")
    def packaging_limited_chips_per_year(cowos_capacity_wafers_per_year, chips_per_cowos_wafer,
                                         supply_disruption_fraction):
        """Accelerators CoWoS lines can package."""
        return cowos_capacity_wafers_per_year * chips_per_cowos_wafer * (1 - supply_disruption_fraction)

    @m.auxiliary("chip/year")
    def hbm_demand_chips_per_year(accelerator_demand_chips_per_year, capacity_planning_margin):
        """Memory sets the accelerators money would buy need, with the planning margin."""
        return accelerator_demand_chips_per_year * capacity_planning_margin

    @m.auxiliary("chip/year")
    def hbm_capacity_2012(accelerators_bought_2012_chips_per_year, capacity_planning_margin):
        """Memory capacity at the start: what the 2012 fleet's purchases need, with the margin."""
        return accelerators_bought_2012_chips_per_year * capacity_planning_margin

    add_expanding_capacity(
        m, "hbm_capacity_chips_per_year", "chip/year", "hbm_capacity_2012",
        demand="hbm_demand_chips_per_year", lead_time="hbm_lead_years",
        multiplier="capacity_expansion_multiplier", initial_growth="fleet_growth_2012",
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

    # ---------------------------------------------------------------- hardware R&D
    m.stock("semiconductor_rnd_effort", 1.0, "dimensionless", inflows=["semiconductor_rnd_growth"],
            positive=True, doc="Human R&D effort in chip design and manufacturing (1 in 2012)")

    @m.auxiliary("1/year")
    def semiconductor_rnd_growth_per_year(price_performance_growth_per_year, hardware_rnd_returns):
        """Growth of human chip R&D effort: the rate on which semi-endogenous progress keeps
        its historical pace, g = r n (Jones 1995; Davidson 2023), so n = g / r. History pins
        g (Hobbhahn & Besiroglu 2022), so the returns r, a forward-looking parameter, change
        what AI-accelerated R&D does later and not the 2012-2025 path."""
        return price_performance_growth_per_year / hardware_rnd_returns

    @m.flow("1/year")
    def semiconductor_rnd_growth(semiconductor_rnd_effort, semiconductor_rnd_growth_per_year):
        """Human chip R&D effort grows at the rate of the balanced path."""
        return semiconductor_rnd_effort * semiconductor_rnd_growth_per_year

    @m.auxiliary("dimensionless")
    def hardware_progress_multiplier(research_speedup, hardware_research_elasticity):
        """AI that speeds up research also speeds hardware R&D (chip design first, then fabs)."""
        return research_speedup ** hardware_research_elasticity

    @m.auxiliary("dimensionless")
    def hardware_research_input(semiconductor_rnd_effort, hardware_progress_multiplier):
        """Effective hardware R&D input (1 in 2012): human effort times the AI speed-up."""
        return semiconductor_rnd_effort * hardware_progress_multiplier

    # ---------------------------------------------------------------- price-performance and energy efficiency
    # Each has a design frontier, which R&D pushes, and what can be bought, which follows it
    # after the time to take a design into volume production (FTM's hardware delay).
    _add_hardware_frontier(m, "flop_per_s_per_usd", "FLOP/s/USD", "flop_per_s_per_usd_2012",
                           "price_performance_growth_per_year", "max_flop_per_s_per_usd",
                           rate="hardware_progress_rate_per_year", design_rate="design_price_performance_rate_per_year",
                           doc="Hardware price-performance of new accelerators: peak FLOP/s bought per dollar",
                           source="epoch_ml_hardware_trimmed.csv")
    _add_hardware_frontier(m, "flop_per_joule_new_chips", "FLOP/J", "flop_per_joule_2012",
                           "energy_efficiency_growth_per_year", "max_flop_per_joule",
                           rate="energy_efficiency_progress_rate_per_year",
                           design_rate="design_energy_efficiency_rate_per_year",
                           doc="Energy efficiency of new accelerators (chip level, peak FLOP per joule)",
                           source="epoch_ml_hardware_trimmed.csv; Ho, Erdil & Besiroglu 2023")

    m.stock("chip_power_w_per_chip", "chip_power_2012_w", "W/chip", inflows=["chip_power_increase"],
            positive=True, doc="Power drawn by one new accelerator package (TDP)",
            source="epoch_ml_hardware_trimmed.csv")

    @m.flow("W/chip/year")
    def chip_power_increase(chip_power_w_per_chip, chip_power_growth_per_year, max_chip_power_w):
        """Packages draw more power each generation, up to what cooling can remove (logistic)."""
        return chip_power_w_per_chip * chip_power_growth_per_year * (1 - chip_power_w_per_chip / max_chip_power_w)

    @m.auxiliary("FLOP/s/chip")
    def flop_per_s_per_chip(flop_per_joule_new_chips, chip_power_w_per_chip):
        """Peak FLOP/s of a new accelerator = its FLOP per joule x the power it draws, so both
        physical limits bound it."""
        return flop_per_joule_new_chips * chip_power_w_per_chip

    @m.auxiliary("USD/chip")
    def accelerator_price_usd(flop_per_s_per_chip, flop_per_s_per_usd):
        """Price of one accelerator: its FLOP/s divided by FLOP/s per dollar."""
        return flop_per_s_per_chip / flop_per_s_per_usd



def _add_hardware_frontier(m: Model, name: str, unit: str, initial: str, growth_2012: str, ceiling: str, rate: str,
                           design_rate: str, doc: str, source: str) -> None:
    """The design frontier ``{name}_design`` (``initial`` in 2012: the best chip released),
    growing semi-endogenously toward ``ceiling``, and ``name``, what is bought in volume,
    following it after ``hardware_delay_years``."""
    design = f"{name}_design"
    headroom = f"{design}_ooms_below_ceiling"
    # The state is the distance to the ceiling in orders of magnitude, a positive stock
    # integrated in log space: it shrinks toward zero however fast R&D goes, so the
    # frontier approaches its ceiling and never crosses it, even at the solver's last digit.
    m.auxiliary("dimensionless", doc=f"{headroom} at the start", name=f"{headroom}_2012",
                inputs=[ceiling, initial])(lambda most, level: log10(most / level))
    m.stock(headroom, f"{headroom}_2012", "dimensionless", outflows=[f"{design}_progress"], positive=True,
            doc=f"Orders of magnitude between the {name} design frontier and its ceiling")
    m.auxiliary(unit, name=design, inputs=[ceiling, headroom],
                doc=f"Design frontier of {name}: the best chips released, not yet bought in volume")(
        lambda most, ooms: most / 10 ** ooms)
    m.auxiliary(unit, doc=f"{name} at the start: one hardware delay of progress behind the design frontier",
                name=f"{name}_at_start", inputs=[initial, growth_2012, "hardware_delay_years"])(
        lambda level, growth, delay: level * exp(-growth * delay))
    m.auxiliary("1/year", name=design_rate,
                doc=f"Growth rate (e-folds/yr) of the {name} design frontier: semi-endogenous, with FTM's ceiling "
                    "penalty",
                inputs=[growth_2012, "hardware_research_input", "research_parallelism", design, initial,
                        "hardware_rnd_returns", ceiling, initial])(semi_endogenous_progress_rate)
    m.flow("1/year", name=f"{design}_progress", doc=f"Orders of magnitude per year the {name} design frontier "
           "gains on its ceiling", inputs=[design_rate])(lambda growth: growth / log(10.0))
    m.stock(name, f"{name}_at_start", unit, inflows=[f"{name}_improvement"], positive=True, doc=doc, source=source)
    m.auxiliary("1/year", name=rate, doc=f"Growth rate (e-folds/yr) of {name}: closing its gap to the design frontier "
                "over the hardware delay", inputs=[design, name, "hardware_delay_years"])(
        lambda frontier, level, delay: log(frontier / level) / delay)
    m.flow(f"{unit}/year", name=f"{name}_improvement", doc=f"New chips reaching {name}",
           inputs=[name, rate])(lambda level, growth: level * growth)
