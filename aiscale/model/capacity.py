"""Capacity that expands toward forecast demand after a construction lead time.

One template serves wafer fabs, CoWoS packaging lines, HBM memory lines and
datacenter power (anchoring and adjustment with a supply line; Sterman 2000,
Business Dynamics, ch. 17). Suppliers forecast demand one lead time ahead by
extrapolating its recent trend (Vensim FORECAST), order capacity to close the gap
between that forecast and the capacity they have or have under construction, and the
orders come on line through a third-order material delay (DELAY3). Capacity therefore
lags demand by the lead time and overshoots when demand turns.
"""

from __future__ import annotations

from ..stocks_flows import Model, maximum
from .parameters import declare


def add_capacity_planning(m: Model) -> None:
    """Parameters shared by every expanding capacity."""
    declare(m, "capacity")


def add_expanding_capacity(m: Model, name: str, unit: str, initial: str, demand: str,
                           lead_time: str, multiplier: str, baseline_growth: str | None = None,
                           doc: str = "", source: str = "") -> None:
    """Declare the stock ``name`` (in ``unit``) expanding toward forecast ``demand``.

    orders = capacity x baseline growth + multiplier x max(0, forecast - capacity -
    under construction) / capacity_adjustment_years; completions = DELAY3(orders, lead).
    """
    trend = f"{demand}_trend"
    forecast = f"forecast_{demand}"
    orders = f"{name}_orders"
    completions = f"{name}_completions"
    pipeline = f"{name}_under_construction"

    m.smooth(trend, demand, "demand_expectation_years", order=1, unit=unit,
             doc=f"{demand} smoothed, to read its trend")

    def demand_forecast(demand_now, demand_smoothed, averaging_time, lead_time):
        """Demand one lead time ahead: today's demand grown at its recent trend (never below today)."""
        growth = maximum((demand_now - demand_smoothed) / (demand_smoothed * averaging_time), 0.0 / averaging_time)
        return demand_now * (1 + growth * lead_time)

    m.auxiliary(unit, doc=f"{demand} as suppliers forecast it one lead time ahead", name=forecast,
                inputs=[demand, trend, "demand_expectation_years", lead_time])(demand_forecast)

    def gap_orders(capacity, forecast_demand, under_construction, adjustment_time, expansion_multiplier):
        """Capacity ordered per year to close the gap between forecast demand and capacity
        built or being built."""
        gap = maximum(forecast_demand - capacity - under_construction, 0.0 * capacity)
        return expansion_multiplier * gap / adjustment_time

    def gap_and_baseline_orders(capacity, forecast_demand, under_construction, adjustment_time,
                                expansion_multiplier, growth):
        """Capacity ordered per year: baseline growth plus closing the gap to forecast demand."""
        return capacity * growth + gap_orders(capacity, forecast_demand, under_construction, adjustment_time,
                                              expansion_multiplier)

    inputs = [name, forecast, pipeline, "capacity_adjustment_years", multiplier]
    if baseline_growth is not None:
        inputs.append(baseline_growth)
    m.flow(f"{unit}/year", doc=f"Orders for new {name}", name=orders, inputs=inputs)(
        gap_orders if baseline_growth is None else gap_and_baseline_orders)
    m.delay(completions, orders, lead_time, order=3, unit=f"{unit}/year",
            doc=f"New {name} coming on line after the lead time")
    m.stock(pipeline, 0.0, unit, inflows=[orders], outflows=[completions],
            doc=f"{name} ordered but not yet on line (the supply line)")
    m.stock(name, initial, unit, inflows=[completions], positive=True, doc=doc, source=source)
