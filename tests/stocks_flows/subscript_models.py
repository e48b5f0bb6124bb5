"""Two models written twice: with subscripts, and with one scalar stock per element.

* A 4-cohort aging chain (chips entering cohort 1 and ageing through cohorts 2-4 to
  retirement), as the supply side's fleet of chip cohorts.
* A two-region SIR with travel between the regions (each region's infection reads
  its partner's infectious), as a two-bloc model would.

``SCALAR_NAMES`` maps every element name of the subscripted model to the scalar model's.
"""

from aiscale.stocks_flows import Model

COHORTS = ("c1", "c2", "c3", "c4")
RESIDENCE_YEARS = {"c1": 1.0, "c2": 1.5, "c3": 2.0, "c4": 2.5}
POWER_KW = {"c1": 1.0, "c2": 0.7, "c3": 0.5, "c4": 0.35}
REGIONS = ("north", "south")
POPULATION = {"north": 1000.0, "south": 400.0}
CONTACT = {"north": 0.3, "south": 0.45}
INFECTED0 = {"north": 5.0, "south": 1.0}


def aging_chain() -> Model:
    m = Model("aging_chain", time_unit="year", units=["chip = [chips]"], start=0, stop=12)
    m.dimension("cohort", COHORTS)
    m.dimension("later", COHORTS[1:], of="cohort", maps_to="earlier")
    m.dimension("earlier", COHORTS[:-1], of="cohort")
    m.parameter("production_start", 100.0, "chip/year")
    m.parameter("production_growth", 0.3, "1/year")
    m.parameter("residence_time", RESIDENCE_YEARS, "year", low=0.1, dims="cohort")
    m.parameter("power_per_chip", POWER_KW, "kW/chip", dims="cohort")
    m.stock("chips", {"c1": 50.0, "c2": 40.0, "c3": 30.0, "c4": 20.0}, "chip", dims="cohort",
            inflows=["entering"], outflows=["aging"], positive=True)

    @m.auxiliary("chip/year")
    def production(production_start, production_growth, time):
        return production_start * (1 + production_growth * time)

    @m.flow("chip/year", name="entering", dims="c1")
    def entering_first(production):
        """New chips enter the first cohort."""
        return production

    @m.flow("chip/year", name="entering", dims="later", refs={"aging": "aging[earlier]"})
    def entering_later(aging):
        """Chips enter a later cohort as they leave the one before."""
        return aging

    @m.flow("chip/year", dims="cohort")
    def aging(chips, residence_time):
        """Chips leave a cohort after its residence time on average (the last: retire)."""
        return chips / residence_time

    @m.auxiliary("kW", dims="cohort")
    def cohort_power(chips, power_per_chip):
        return chips * power_per_chip

    @m.auxiliary("chip", refs={"chips": "sum(chips[cohort!])"})
    def total_chips(chips):
        return chips

    @m.auxiliary("kW", refs={"cohort_power": "sum(cohort_power[*])"})
    def fleet_power(cohort_power):
        return cohort_power

    @m.auxiliary("kW/chip", refs={"newest": "power_per_chip[c1]"})
    def power_per_chip_vs_newest(fleet_power, total_chips, newest):
        return fleet_power / total_chips - newest
    return m


def aging_chain_scalar() -> Model:
    m = Model("aging_chain", time_unit="year", units=["chip = [chips]"], start=0, stop=12)
    m.parameter("production_start", 100.0, "chip/year")
    m.parameter("production_growth", 0.3, "1/year")
    for c in COHORTS:
        m.parameter(f"residence_time_{c}", RESIDENCE_YEARS[c], "year", low=0.1)
    for c in COHORTS:
        m.parameter(f"power_per_chip_{c}", POWER_KW[c], "kW/chip")
    for c, v in zip(COHORTS, (50.0, 40.0, 30.0, 20.0)):
        m.stock(f"chips_{c}", v, "chip", inflows=[f"entering_{c}"], outflows=[f"aging_{c}"], positive=True)

    @m.auxiliary("chip/year")
    def production(production_start, production_growth, time):
        return production_start * (1 + production_growth * time)

    m.flow("chip/year", name="entering_c1", inputs=["production"])(lambda x: x)
    for before, c in zip(COHORTS, COHORTS[1:]):
        m.flow("chip/year", name=f"entering_{c}", inputs=[f"aging_{before}"])(lambda x: x)
    for c in COHORTS:
        m.flow("chip/year", name=f"aging_{c}", inputs=[f"chips_{c}", f"residence_time_{c}"])(
            lambda chips, residence_time: chips / residence_time)
    for c in COHORTS:
        m.auxiliary("kW", name=f"cohort_power_{c}", inputs=[f"chips_{c}", f"power_per_chip_{c}"])(
            lambda chips, power: chips * power)

    @m.auxiliary("chip")
    def total_chips(chips_c1, chips_c2, chips_c3, chips_c4):
        return chips_c1 + chips_c2 + chips_c3 + chips_c4

    @m.auxiliary("kW")
    def fleet_power(cohort_power_c1, cohort_power_c2, cohort_power_c3, cohort_power_c4):
        return cohort_power_c1 + cohort_power_c2 + cohort_power_c3 + cohort_power_c4

    @m.auxiliary("kW/chip")
    def power_per_chip_vs_newest(fleet_power, total_chips, power_per_chip_c1):
        return fleet_power / total_chips - power_per_chip_c1

    return m


def two_region_sir() -> Model:
    m = Model("two_region_sir", time_unit="day", units=["person = [population]"], start=0, stop=100)
    m.dimension("region", REGIONS, maps_to="partner")
    m.dimension("partner", tuple(reversed(REGIONS)), of="region")
    m.parameter("population", POPULATION, "person", dims="region")
    m.parameter("contact_rate", CONTACT, "1/day", low=0.0, high=5.0, dims="region")
    m.parameter("duration", 5.0, "day", low=0.1)
    m.parameter("travel_share", 0.05, "dimensionless", low=0.0, high=1.0)
    m.stock("susceptible", {r: POPULATION[r] - INFECTED0[r] for r in REGIONS}, "person", dims="region",
            outflows=["infection"])
    m.stock("infectious", INFECTED0, "person", dims="region", inflows=["infection"],
            outflows=["recovery"])
    m.stock("recovered", 0.0, "person", dims="region", inflows=["recovery"])

    @m.flow("person/day", dims="region", refs={"infectious_abroad": "infectious[partner]",
                                               "population_abroad": "population[partner]"})
    def infection(susceptible, infectious, infectious_abroad, population, population_abroad,
                  contact_rate, travel_share):
        """Infection from contacts at home and, for a share of contacts, abroad."""
        at_home = (1 - travel_share) * infectious / population
        abroad = travel_share * infectious_abroad / population_abroad
        return contact_rate * susceptible * (at_home + abroad)

    @m.flow("person/day", dims="region")
    def recovery(infectious, duration):
        return infectious / duration

    @m.auxiliary("person", refs={"infectious": "sum(infectious[region!])"})
    def total_infectious(infectious):
        return infectious

    @m.auxiliary("person", refs={"infectious": "max(infectious[*])"})
    def worst_region_infectious(infectious):
        return infectious

    return m


def two_region_sir_scalar() -> Model:
    from aiscale.stocks_flows import maximum
    m = Model("two_region_sir", time_unit="day", units=["person = [population]"], start=0, stop=100)
    for r in REGIONS:
        m.parameter(f"population_{r}", POPULATION[r], "person")
    for r in REGIONS:
        m.parameter(f"contact_rate_{r}", CONTACT[r], "1/day", low=0.0, high=5.0)
    m.parameter("duration", 5.0, "day", low=0.1)
    m.parameter("travel_share", 0.05, "dimensionless", low=0.0, high=1.0)
    for r in REGIONS:
        m.stock(f"susceptible_{r}", POPULATION[r] - INFECTED0[r], "person", outflows=[f"infection_{r}"])
    for r in REGIONS:
        m.stock(f"infectious_{r}", INFECTED0[r], "person", inflows=[f"infection_{r}"],
                outflows=[f"recovery_{r}"])
    for r in REGIONS:
        m.stock(f"recovered_{r}", 0.0, "person", inflows=[f"recovery_{r}"])

    def infection(susceptible, infectious, infectious_abroad, population, population_abroad,
                  contact_rate, travel_share):
        at_home = (1 - travel_share) * infectious / population
        abroad = travel_share * infectious_abroad / population_abroad
        return contact_rate * susceptible * (at_home + abroad)

    for r, p in zip(REGIONS, reversed(REGIONS)):
        m.flow("person/day", name=f"infection_{r}",
               inputs=[f"susceptible_{r}", f"infectious_{r}", f"infectious_{p}", f"population_{r}",
                       f"population_{p}", f"contact_rate_{r}", "travel_share"])(infection)
    for r in REGIONS:
        m.flow("person/day", name=f"recovery_{r}", inputs=[f"infectious_{r}", "duration"])(
            lambda infectious, duration: infectious / duration)

    @m.auxiliary("person")
    def total_infectious(infectious_north, infectious_south):
        return infectious_north + infectious_south

    @m.auxiliary("person")
    def worst_region_infectious(infectious_north, infectious_south):
        return maximum(infectious_north, infectious_south)

    return m


def scalar_name(name: str) -> str:
    """``chips[c1]`` -> ``chips_c1``: the scalar model's name of an array element."""
    if "[" not in name:
        return name
    base, subs = name[:-1].split("[")
    return "_".join([base, *subs.split(",")])
