"""Compute: the accelerator fleet as chip cohorts, the power it draws, the grid, and
how the fleet is used.

Chips are bought within both what the supply chain makes and what the chip budget
affords, after the fleet's electricity bill is paid. The fleet is an aging chain of
cohorts (Sterman 2000, Business Dynamics, ch. 12): new chips enter the first cohort,
age through the others and retire after their service life, and each chip keeps the
FLOP per joule it was made with, so the fleet's efficiency is an average over vintages.
AI datacenter power is built toward what the fleet draws with a lead time, within the
share of world electricity AI can take; world generation grows at its historical rate
and faster when AI demand pays for new plants, with its own, longer lead time. The
usable fleet is what there is power for. Two "potential fleets" age the same way and
hold what money alone and supply alone would have installed; they give the money and
chip ceilings of the binding-constraint picture.
"""

from __future__ import annotations

from collections.abc import Callable

from ..stocks_flows import Model, maximum, minimum
from .capacity import add_expanding_capacity
from .parameters import declare

FLEET_COHORTS = 4  # vintages in the aging chain: a chip's age is known to within a quarter of its life
COHORTS = tuple(f"c{k}" for k in range(1, FLEET_COHORTS + 1))  # youngest first


def cohort_weights(growth_per_year: float, lifetime_years: float, cohorts: int = FLEET_COHORTS) -> list[float]:
    """Shares of a fleet in each cohort when purchases have grown at ``growth_per_year``
    for a long time: each cohort is 1 / (1 + g L / n) the size of the one before."""
    ratio = 1.0 / (1.0 + growth_per_year * lifetime_years / cohorts)
    weights = [ratio ** k for k in range(cohorts)]
    return [w / sum(weights) for w in weights]


def add_cohort_dimension(m: Model) -> None:
    """The ``cohort`` dimension (youngest first) and the aging order between cohorts:
    each ``later_cohort`` receives what leaves the ``earlier_cohort`` at its position
    (Vensim ``later_cohort: c2, c3, c4 -> earlier_cohort``); and the cohorts' shares of
    a fleet whose purchases grew steadily, which start every chain."""
    m.dimension("cohort", COHORTS)
    m.dimension("later_cohort", COHORTS[1:], of="cohort", maps_to="earlier_cohort")
    m.dimension("earlier_cohort", COHORTS[:-1], of="cohort")

    for k, element in enumerate(COHORTS):
        # one part per element: an equation cannot read its element's position (Vensim's
        # ``cohort - 1``), and PySD cannot run an array defined from its own elements
        # (share[later] = share[earlier] x ratio recurses)
        m.auxiliary("dimensionless", name="fleet_cohort_share_2012", dims=element,
                    inputs=["fleet_growth_2012", "chip_lifetime_years"])(_steady_state_share(k))


def _steady_state_share(k: int) -> Callable[[float, float], float]:
    def fleet_cohort_share_2012(fleet_growth_2012, chip_lifetime_years):
        """Share of the 2012 fleet in each cohort: the steady state of purchases growing at
        the 2012 rate for a long time (no start-up transient; :func:`cohort_weights`)."""
        return cohort_weights(fleet_growth_2012, chip_lifetime_years)[k]
    return fleet_cohort_share_2012


def add_cohort_chain(m: Model, name: str, unit: str, additions: str, initial_total: str,
                     doc: str, efficiency_2012: str | None = None) -> None:
    """An aging chain over the ``cohort`` dimension (Sterman 2000, ch. 12): the stock
    ``name_cohort[cohort]``, fed by ``additions`` (``unit``/year) into the youngest
    cohort, each cohort ``name_ageing`` into the next and, from the oldest, retiring;
    the fleet total ``name`` and its ``name_retirement``. The chain starts in the steady
    state of purchases growing at ``fleet_growth_2012``. With ``efficiency_2012`` the
    chain holds the power the compute chain of the same name draws (the initial values
    divide by the efficiency of each cohort's vintage)."""
    cohort, entering, ageing = f"{name}_cohort", f"{name}_entering", f"{name}_ageing"
    inputs = [initial_total, "fleet_cohort_share_2012"] + ([efficiency_2012] if efficiency_2012 else [])

    # with efficiency: every cohort starts at the efficiency of the chips bought in 2012 (the
    # 2012 fleet is young, and its vintages differ by less than the 2012 fleet itself is known)
    m.auxiliary(unit, doc=f"Initial value of {cohort}: the 2012 total times the cohort's steady-state share",
                name=f"{cohort}_2012", inputs=inputs, dims="cohort")(
        (lambda total, share, flop_per_joule: total * share / flop_per_joule) if efficiency_2012
        else (lambda total, share: total * share))
    m.stock(cohort, f"{cohort}_2012", unit, inflows=[entering], outflows=[ageing], positive=True, dims="cohort",
            doc=f"{doc}, by cohort (youngest first)")
    m.flow(f"{unit}/year", doc=f"{doc}: new chips entering the youngest cohort", name=entering,
           inputs=[additions], dims=COHORTS[0])(lambda new: new)
    m.flow(f"{unit}/year", doc=f"{doc}: chips entering a cohort as they age out of the one before",
           name=entering, inputs=["aged"], dims="later_cohort", refs={"aged": f"{ageing}[earlier_cohort]"})(
        lambda aged: aged)
    m.flow(f"{unit}/year", doc=f"{doc}: chips ageing out of a cohort (from the oldest: retiring) after "
           "a quarter of their service life on average", name=ageing, inputs=[cohort, "chip_lifetime_years"],
           dims="cohort")(lambda chips, life: chips * FLEET_COHORTS / life)
    m.auxiliary(unit, doc=doc, name=name, inputs=["cohorts"], refs={"cohorts": f"sum({cohort}[cohort!])"})(
        lambda cohorts: cohorts)
    m.auxiliary(f"{unit}/year", doc=f"{doc}: chips reaching the end of their service life",
                name=f"{name}_retirement", inputs=["oldest"], refs={"oldest": f"{ageing}[{COHORTS[-1]}]"})(
        lambda oldest: oldest)


def add_compute(m: Model) -> None:
    declare(m, "compute")
    add_cohort_dimension(m)

    # ---------------------------------------------------------------- purchases
    @m.auxiliary("USD/year")
    def compute_energy_cost_usd_per_year(fleet_power_draw_w, seconds_per_year, electricity_price_usd_per_kwh,
                                         joules_per_kwh):
        """The fleet's electricity bill: wall power x seconds in a year x price per joule."""
        return fleet_power_draw_w * seconds_per_year * electricity_price_usd_per_kwh / joules_per_kwh

    @m.auxiliary("USD/year")
    def compute_budget_usd_per_year(ai_spending_usd_per_year, chip_share_of_spending):
        """What AI spending puts into compute: accelerators and the electricity they will draw."""
        return ai_spending_usd_per_year * chip_share_of_spending

    @m.auxiliary("USD*s/FLOP")
    def lifetime_energy_cost_usd_per_flop_per_s(flop_per_joule_new_chips, datacenter_overhead, chip_lifetime_years,
                                                seconds_per_year, electricity_price_usd_per_kwh, joules_per_kwh):
        """Electricity one FLOP/s of new chips draws at the wall over its service life."""
        return (datacenter_overhead / flop_per_joule_new_chips * chip_lifetime_years * seconds_per_year
                * electricity_price_usd_per_kwh / joules_per_kwh)

    @m.auxiliary("USD*s/FLOP")
    def compute_cost_usd_per_flop_per_s(flop_per_s_per_usd, compute_tax_rate, lifetime_energy_cost_usd_per_flop_per_s):
        """Total cost of ownership of one FLOP/s of new chips: its price (with any compute
        tax) plus its lifetime electricity. Buyers size purchases on it, as Cottier et al.
        (2024) cost frontier compute (amortised hardware plus energy): a chip whose
        electricity the budget cannot pay is not bought. When chips become nearly free
        against their electricity (price-performance has 8.8 orders of magnitude of headroom,
        energy efficiency 3.5), the electricity sets the cost of compute."""
        return (1 + compute_tax_rate) / flop_per_s_per_usd + lifetime_energy_cost_usd_per_flop_per_s

    @m.auxiliary("dimensionless")
    def energy_share_of_compute_cost(lifetime_energy_cost_usd_per_flop_per_s, compute_cost_usd_per_flop_per_s):
        """Share of the cost of new compute that is electricity (over the chips' life)."""
        return lifetime_energy_cost_usd_per_flop_per_s / compute_cost_usd_per_flop_per_s

    @m.auxiliary("USD/year")
    def chip_spending_usd_per_year(compute_budget_usd_per_year, flop_per_s_per_usd, compute_tax_rate,
                                   compute_cost_usd_per_flop_per_s):
        """The chip budget (compute tax included): the compute budget less what the chips it
        buys will spend on electricity, i.e. the budget times the chips' share of their cost."""
        return compute_budget_usd_per_year * (1 + compute_tax_rate) / flop_per_s_per_usd / compute_cost_usd_per_flop_per_s

    @m.auxiliary("FLOP/s/year")
    def chip_purchases_affordable_flop_per_s_per_year(chip_spending_usd_per_year, flop_per_s_per_usd,
                                                      compute_tax_rate):
        """Compute the chip budget would buy if supply were unlimited (a compute tax, a
        policy lever that is 0 by default, raises the price paid)."""
        return chip_spending_usd_per_year * flop_per_s_per_usd / (1 + compute_tax_rate)

    @m.auxiliary("FLOP/s/year")
    def fleet_additions_flop_per_s_per_year(chip_purchases_affordable_flop_per_s_per_year,
                                            accelerator_output_flop_per_s_per_year):
        """Chips installed: within both the budget and the supply."""
        return minimum(chip_purchases_affordable_flop_per_s_per_year, accelerator_output_flop_per_s_per_year)

    @m.auxiliary("W/year")
    def fleet_power_additions_w_per_year(fleet_additions_flop_per_s_per_year, flop_per_joule_new_chips):
        """Power the new chips draw: they keep the efficiency they were made with."""
        return fleet_additions_flop_per_s_per_year / flop_per_joule_new_chips

    add_cohort_chain(m, "gpu_fleet_flop_per_s", "FLOP/s", "fleet_additions_flop_per_s_per_year", "gpu_fleet_2012",
                     "AI accelerator fleet in service (peak FLOP/s)")
    add_cohort_chain(m, "fleet_chip_power_w", "W", "fleet_power_additions_w_per_year", "gpu_fleet_2012",
                     "Power the accelerator fleet draws at the chip (TDP)",
                     efficiency_2012="flop_per_joule_new_chips_at_start")
    add_cohort_chain(m, "money_limited_fleet_flop_per_s", "FLOP/s", "chip_purchases_affordable_flop_per_s_per_year",
                     "gpu_fleet_2012", "The fleet the chip budget alone would have installed (no supply limit)")
    add_cohort_chain(m, "supply_limited_fleet_flop_per_s", "FLOP/s", "accelerator_output_flop_per_s_per_year",
                     "gpu_fleet_2012", "The fleet supply alone would have installed (every chip made is bought)")

    @m.auxiliary("FLOP/J")
    def flop_per_joule(gpu_fleet_flop_per_s, fleet_chip_power_w):
        """The fleet's energy efficiency: an average over chip vintages (chip level)."""
        return gpu_fleet_flop_per_s / fleet_chip_power_w

    @m.auxiliary("chip")
    def fleet_h100_equivalents(gpu_fleet_flop_per_s, h100_flop_per_s_per_chip):
        """The fleet in H100-equivalents (peak FLOP/s over an H100's), as Epoch counts chips."""
        return gpu_fleet_flop_per_s / h100_flop_per_s_per_chip

    @m.auxiliary("1/year")
    def fleet_growth_rate_per_year(fleet_additions_flop_per_s_per_year, gpu_fleet_flop_per_s_retirement,
                                   gpu_fleet_flop_per_s):
        """Net relative growth of the accelerator fleet (additions minus retirements, per unit of fleet)."""
        return (fleet_additions_flop_per_s_per_year - gpu_fleet_flop_per_s_retirement) / gpu_fleet_flop_per_s

    # ---------------------------------------------------------------- power and the grid
    @m.auxiliary("W")
    def fleet_power_draw_w(fleet_chip_power_w, datacenter_overhead):
        """Power the whole fleet draws at the wall: chips x (servers, networking, cooling)."""
        return fleet_chip_power_w * datacenter_overhead

    @m.auxiliary("W")
    def power_demand_w(fleet_power_draw_w, chip_purchases_affordable_flop_per_s_per_year, power_buildout_years,
                       flop_per_joule_new_chips, datacenter_overhead, power_headroom):
        """Power capacity operators want, with planning headroom: for the fleet they run plus
        the chips budgets will buy while new capacity is built (datacenters are built for
        chips on order, so power is ready when a chip shortage ends)."""
        on_order = chip_purchases_affordable_flop_per_s_per_year * power_buildout_years / flop_per_joule_new_chips
        return (fleet_power_draw_w + on_order * datacenter_overhead) * power_headroom

    @m.auxiliary("W")
    def ai_power_available_w(world_electricity_w, non_ai_electricity_demand_w, max_ai_share_of_electricity):
        """The most generation AI datacenters can have: all that is not needed for other use,
        plus up to the max share of what is (AI outbids other users for a limited share)."""
        return world_electricity_w - (1 - max_ai_share_of_electricity) * non_ai_electricity_demand_w

    add_expanding_capacity(m, "datacenter_power_w", "W", "datacenter_power_2012", demand="power_demand_w",
                           lead_time="power_buildout_years", multiplier="power_permitting_multiplier",
                           initial_growth="fleet_growth_2012", ceiling="ai_power_available_w",
                           doc="AI datacenter power capacity (at the wall)")

    @m.auxiliary("W")
    def datacenter_power_2012(fleet_power_draw_w, power_headroom):
        """2012 AI datacenter power: what the 2012 fleet draws, with the planning headroom."""
        return fleet_power_draw_w * power_headroom

    m.stock("non_ai_electricity_demand_w", "non_ai_electricity_demand_2012", "W",
            inflows=["non_ai_electricity_demand_growth"], positive=True,
            doc="World electricity wanted for everything but AI datacenters (average power)")

    @m.auxiliary("W")
    def non_ai_electricity_demand_2012(world_electricity_2012, datacenter_power_2012):
        """Non-AI electricity demand at the start: world generation less AI datacenters."""
        return world_electricity_2012 - datacenter_power_2012

    @m.flow("W/year")
    def non_ai_electricity_demand_growth(non_ai_electricity_demand_w, electricity_growth_per_year):
        """Non-AI electricity demand grows at the historical rate of world generation."""
        return non_ai_electricity_demand_w * electricity_growth_per_year

    @m.auxiliary("W")
    def electricity_demand_w(non_ai_electricity_demand_w, power_demand_w):
        """Generation the world wants: non-AI use plus what AI datacenters want."""
        return non_ai_electricity_demand_w + power_demand_w

    add_expanding_capacity(m, "world_electricity_w", "W", "world_electricity_2012", demand="electricity_demand_w",
                           lead_time="grid_buildout_years", multiplier="power_permitting_multiplier",
                           initial_growth="electricity_growth_per_year",
                           max_order_rate="max_electricity_growth_per_year",
                           doc="World electricity generation (average power)")

    @m.auxiliary("dimensionless")
    def ai_share_of_electricity(datacenter_power_w, world_electricity_w):
        """Share of world generation that AI datacenters take."""
        return datacenter_power_w / world_electricity_w

    @m.auxiliary("FLOP/s")
    def power_limited_fleet_flop_per_s(datacenter_power_w, flop_per_joule, datacenter_overhead):
        """Compute the available power can run, at the fleet's efficiency."""
        return datacenter_power_w / datacenter_overhead * flop_per_joule

    @m.auxiliary("FLOP/s")
    def usable_fleet_flop_per_s(gpu_fleet_flop_per_s, power_limited_fleet_flop_per_s):
        """Chips that have power to run."""
        return minimum(gpu_fleet_flop_per_s, power_limited_fleet_flop_per_s)

    # ---------------------------------------------------------------- the frontier run
    m.stock("frontier_cluster_share", "frontier_cluster_share_2012", "dimensionless",
            inflows=["cluster_concentration"], positive=True,
            doc="Share of the usable fleet the largest training run gathers")

    @m.auxiliary("dimensionless")
    def frontier_cluster_share_limit(max_frontier_cluster_share_before_wake_up, max_frontier_cluster_share,
                                     wake_up):
        """The largest share of the fleet labs gather for one run: what they committed while
        AI was research (2016-2020 runs: ~0.2%), rising to what they commit once investors
        wake up (GPT-4 to Grok 3: ~1%). Davidson 2023 (FTM) likewise lets training's share
        of compute grow faster after the wake-up."""
        return max_frontier_cluster_share_before_wake_up + wake_up * (
            max_frontier_cluster_share - max_frontier_cluster_share_before_wake_up)

    @m.flow("1/year")
    def cluster_concentration(frontier_cluster_share, cluster_concentration_rate_per_year,
                              frontier_cluster_share_limit):
        """Compute concentrates into frontier runs (logistic toward the share labs will gather)."""
        return cluster_concentration_rate_per_year * frontier_cluster_share * (
            1 - frontier_cluster_share / frontier_cluster_share_limit)
