"""Capacity that expands toward forecast demand after a construction lead time.

One template serves wafer fabs, CoWoS packaging lines, HBM memory lines, datacenter
power and world electricity generation (anchoring and adjustment with a supply line;
Sterman 2000, Business Dynamics, ch. 17). Suppliers forecast demand for when capacity
ordered now comes on line, by extrapolating its recent trend (Vensim TREND and
FORECAST), order capacity to close the gap between that forecast and the capacity they
have or have under construction, and the orders come on line through a third-order
material delay (DELAY3). Capacity therefore lags demand when demand accelerates and
overshoots when it turns.

Everything starts in steady state: demand has been growing at a stated rate, the trend
suppliers read starts at that rate, and the supply line holds the orders that growth
calls for, so nothing starts negative, jumps, or arrives from nowhere.
"""

from __future__ import annotations

from ..stocks_flows import Model, clip, exp, log, maximum, minimum, safe_div
from .parameters import declare


def add_capacity_planning(m: Model) -> None:
    """Parameters shared by every expanding capacity."""
    declare(m, "capacity")


def demand_forecast(demand_now, demand_smoothed, averaging_time, lead_time, adjustment_time, max_growth):
    """Demand when capacity ordered now is on line (after the adjustment and the lead
    time): today's demand extrapolated along its recent growth (Vensim FORECAST), the
    growth read as the log-trend over the averaging time and never planned above
    ``max_growth`` nor below zero: no supplier builds for a jump it has seen for a few
    months. A straight line falls behind demand that grows fast for years, so capacity
    with a long lead time binds when demand accelerates. No demand at all (a chip budget
    the fleet's electricity bill eats whole) has no trend: growth 0, not log(0/0)."""
    growth = clip(log(safe_div(demand_now, demand_smoothed, 1.0)) / averaging_time, 0.0 * max_growth, max_growth)
    return demand_now * (1 + growth * (lead_time + adjustment_time))


def gap_orders(capacity, forecast_demand, under_construction, adjustment_time, expansion_multiplier):
    """Capacity ordered per year to close the gap between forecast demand and the capacity
    built or being built (a multiplier above 1, e.g. subsidies, orders more)."""
    gap = maximum(forecast_demand - capacity - under_construction, 0.0 * capacity)
    return expansion_multiplier * gap / adjustment_time


def add_expanding_capacity(m: Model, name: str, unit: str, initial: str, demand: str,
                           lead_time: str, multiplier: str, initial_growth: str,
                           max_order_rate: str | None = None, ceiling: str | None = None, doc: str = "",
                           source: str = "") -> None:
    """Declare the stock ``name`` (in ``unit``) expanding toward forecast ``demand``.

    orders = multiplier x max(0, forecast - capacity - under construction) /
    capacity_adjustment_years, at most capacity x ``max_order_rate`` (how fast the
    industry can grow at all); completions = DELAY3(orders, lead). ``initial_growth`` is
    the growth rate of demand before the start, which sets the initial trend and supply line.
    With ``ceiling``, suppliers plan for no more than it (the forecast is capped).
    """
    trend = f"{demand}_trend"
    forecast = f"forecast_{demand}"
    orders = f"{name}_orders"
    completions = f"{name}_completions"
    pipeline = f"{name}_under_construction"
    start_orders = f"{name}_orders_2012"

    m.auxiliary(unit, doc=f"{trend} at the start: demand smoothed after growing at its initial rate",
                name=f"{trend}_2012", inputs=[demand, initial_growth, "demand_expectation_years"])(
        lambda now, growth, averaging_time: now * exp(-growth * averaging_time))
    m.smooth(trend, demand, "demand_expectation_years", order=1, initial=f"{trend}_2012", unit=unit,
             doc=f"{demand} smoothed, to read its trend")
    forecast_inputs = [demand, trend, "demand_expectation_years", lead_time, "capacity_adjustment_years",
                       "max_planned_growth_per_year"]
    if ceiling is None:
        m.auxiliary(unit, doc=f"{demand} as suppliers forecast it for when new capacity comes on line",
                    name=forecast, inputs=forecast_inputs)(demand_forecast)
    else:
        def capped_forecast(demand_now, demand_smoothed, averaging_time, lead_time, adjustment_time, max_growth,
                            most):
            return minimum(demand_forecast(demand_now, demand_smoothed, averaging_time, lead_time, adjustment_time,
                                           max_growth), most)

        m.auxiliary(unit, doc=f"{demand} as suppliers forecast it for when new capacity comes on line, at most "
                    f"{ceiling}", name=forecast, inputs=[*forecast_inputs, ceiling])(capped_forecast)

    inputs = [name, forecast, pipeline, "capacity_adjustment_years", multiplier]
    if max_order_rate is None:
        m.flow(f"{unit}/year", doc=f"Orders for new {name} to close the gap to forecast demand",
               name=orders, inputs=inputs)(gap_orders)
    else:
        def bounded_orders(capacity, forecast_demand, under_construction, adjustment_time, expansion_multiplier,
                           max_rate):
            return minimum(gap_orders(capacity, forecast_demand, under_construction, adjustment_time,
                                      expansion_multiplier), capacity * max_rate)

        m.flow(f"{unit}/year", doc=f"Orders for new {name} to close the gap to forecast demand, within the "
               "fastest build-out the industry can sustain", name=orders, inputs=[*inputs, max_order_rate])(
            bounded_orders)

    # Steady state: capacity growing at the initial rate needs orders of capacity x growth,
    # and the supply line holds them for one lead time (Little's law).
    m.auxiliary(f"{unit}/year", doc=f"{orders} in steady state at the start: capacity x its initial growth",
                name=start_orders, inputs=[initial, initial_growth])(lambda capacity, growth: capacity * growth)
    m.delay(completions, orders, lead_time, order=3, unit=f"{unit}/year", initial=start_orders,
            doc=f"New {name} coming on line after the lead time")
    m.auxiliary(unit, doc=f"{pipeline} in steady state at the start: orders x lead time",
                name=f"{pipeline}_2012", inputs=[start_orders, lead_time])(lambda rate, lead: rate * lead)
    m.stock(pipeline, f"{pipeline}_2012", unit, inflows=[orders], outflows=[completions],
            doc=f"{name} ordered but not yet on line (the supply line)")
    m.stock(name, initial, unit, inflows=[completions], positive=True, doc=doc, source=source)
