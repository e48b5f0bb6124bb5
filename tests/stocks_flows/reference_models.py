"""The SD community's reference models (SDXorg test-models), rebuilt with the kernel,
plus small models used across the kernel tests."""

from pathlib import Path

import pandas as pd

from aiscale.stocks_flows import Model

DATA = Path(__file__).resolve().parent.parent / "data"

# Names in the canonical CSVs -> our element names
TEACUP_COLUMNS = {"Teacup Temperature": "teacup_temperature", "Heat Loss to Room": "heat_loss_to_room",
                  "Room Temperature": "room_temperature", "Characteristic Time": "characteristic_time"}
SIR_COLUMNS = {"Susceptible": "susceptible", "Infectious": "infectious", "Recovered": "recovered",
               "Succumbing": "succumbing", "Recovering": "recovering",
               "Contact Infectivity": "contact_infectivity", "Duration": "duration",
               "Total Population": "total_population"}
LOOKUPS_COLUMNS = {"accumulation": "accumulation", "lookup function call": "lookup_function_call",
                   "rate": "rate"}


def canonical(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"{name}.csv", index_col="Time")


def teacup() -> Model:
    m = Model("teacup", time_unit="minute", units=["degree_F = [temperature_F]"])
    m.parameter("room_temperature", 70, "degree_F")
    m.parameter("characteristic_time", 10, "minute")
    m.stock("teacup_temperature", 180, "degree_F", outflows=["heat_loss_to_room"])

    @m.flow("degree_F/minute")
    def heat_loss_to_room(teacup_temperature, room_temperature, characteristic_time):
        """Newton's law of cooling."""
        return (teacup_temperature - room_temperature) / characteristic_time

    return m


def sir() -> Model:
    m = Model("sir", time_unit="day", units=["person = [population]"])
    m.parameter("total_population", 1000, "person")
    m.parameter("contact_infectivity", 0.3, "1/day", low=0.0, high=5.0)
    m.parameter("duration", 5, "day", low=0.1, high=100)
    m.stock("susceptible", "total_population", "person", outflows=["succumbing"])
    m.stock("infectious", 5, "person", inflows=["succumbing"], outflows=["recovering"])
    m.stock("recovered", 0, "person", inflows=["recovering"])

    @m.flow("person/day")
    def succumbing(susceptible, infectious, total_population, contact_infectivity):
        return susceptible * infectious / total_population * contact_infectivity

    @m.flow("person/day")
    def recovering(infectious, duration):
        return infectious / duration

    return m


def lookups() -> Model:
    m = Model("lookups", time_unit="minute")
    m.lookup("lookup_function_call", "time",
             [(0, 0), (5, 0), (10, 1), (15, 1), (20, 0), (25, 0), (30, -1), (35, -1), (40, 0), (45, 0)],
             "dimensionless/minute")
    m.stock("accumulation", 0, "dimensionless", inflows=["rate"])

    @m.flow("dimensionless/minute")
    def rate(lookup_function_call):
        return lookup_function_call

    return m


def delays() -> Model:
    """A model using SMOOTH3, DELAY3, DELAY1, SMOOTH and a lookup together."""
    m = Model("delays", time_unit="year", units=["widget = [widget]"])
    m.parameter("base_orders", 100, "widget/year")
    m.parameter("shipping_time", 2, "year")
    m.parameter("perception_time", 1.5, "year")
    m.lookup("order_pattern", "time", [(0, 1), (3, 1), (4, 2), (8, 1.5), (12, 0.5), (20, 1)],
             "dimensionless")

    @m.flow("widget/year")
    def orders(base_orders, order_pattern):
        return base_orders * order_pattern

    m.delay("shipments", "orders", "shipping_time", order=3, unit="widget/year")
    m.delay("returns", "shipments", 0.5, order=1, unit="widget/year")
    m.smooth("perceived_orders", "orders", "perception_time", order=3, unit="widget/year")
    m.smooth("perceived_returns", "returns", "perception_time", order=1, unit="widget/year")
    m.stock("backlog", 50, "widget", inflows=["orders"], outflows=["shipments"])
    m.stock("customers_stock", 0, "widget", inflows=["shipments"], outflows=["returns"])
    m.stock("returned", 0, "widget", inflows=["returns"])

    @m.auxiliary("dimensionless")
    def order_gap(perceived_orders, perceived_returns, base_orders):
        return (perceived_orders - perceived_returns) / base_orders

    return m
