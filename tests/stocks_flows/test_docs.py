"""The documentation table and its Markdown rendering."""

from __future__ import annotations

import re

import numpy as np
import pytest

from aiscale.stocks_flows import Model, if_then_else, maximum
from aiscale.stocks_flows.docs import COLUMNS, documentation_markdown, documentation_table

from .reference_models import delays, lookups, sir


def public_names(model: Model) -> set[str]:
    model.build()
    return set(model.parameters) | set(model.plan.public_names)


def documented() -> Model:
    m = Model("documented", units=["widget = [widget]"])
    m.parameter("capacity", 1234.5, "widget", low=100, high=1e4, source="Smith (2020), table 3",
                doc="Most widgets the shed holds.")
    m.parameter("fill_time", 2, "year", source="assumption | to check")
    m.parameter("start_year", 1, "year")
    m.parameter("lifetime", 10, "year")
    m.stock("stock_of_widgets", "capacity", "widget", inflows=["filling"], outflows=["wear"],
            non_negative=True, doc="Widgets in the shed.", source="inventory count")

    @m.flow("widget/year", source="Jones 2021")
    def filling(capacity, stock_of_widgets, fill_time, time, start_year):
        """Fill the gap to capacity,
        but only after the start year."""
        return if_then_else(time > start_year, maximum(capacity - stock_of_widgets, 0 * capacity)
                            / fill_time, 0 * capacity / fill_time)

    @m.flow("widget/year")
    def wear(stock_of_widgets, lifetime):
        return stock_of_widgets / lifetime

    return m


def test_sir_table_has_every_public_element_with_unit_and_equation():
    m = sir()
    table = documentation_table(m)
    assert list(table.columns) == COLUMNS
    assert set(table["name"]) == public_names(m) and len(table) == len(public_names(m))
    rows = table.set_index("name")
    for name in rows.index:
        assert rows.loc[name, "unit"] == m.element(name).unit
    assert rows.loc["succumbing", "kind"] == "flow"
    assert rows.loc["succumbing", "value_or_equation"] == \
        "susceptible * infectious / total_population * contact_infectivity"
    assert rows.loc["recovering", "value_or_equation"] == "infectious / duration"
    assert rows.loc["susceptible", "value_or_equation"] == "d/dt = -succumbing; initial total_population = 1000"
    assert rows.loc["infectious", "value_or_equation"] == "d/dt = succumbing - recovering; initial 5"
    assert rows.loc["recovered", "value_or_equation"] == "d/dt = recovering; initial 0"
    assert rows.loc["contact_infectivity", ["kind", "value_or_equation", "low", "high"]].tolist() == \
        ["parameter", "0.3", 0.0, 5.0]
    assert np.isnan(rows.loc["total_population", "low"]) and np.isnan(rows.loc["succumbing", "high"])


def test_sources_docs_and_traced_equations():
    rows = documentation_table(documented()).set_index("name")
    assert rows.loc["capacity", "source"] == "Smith (2020), table 3"
    assert rows.loc["capacity", "doc"] == "Most widgets the shed holds."
    assert rows.loc["capacity", "value_or_equation"] == "1234.5"
    assert (rows.loc["capacity", "low"], rows.loc["capacity", "high"]) == (100.0, 1e4)
    assert rows.loc["stock_of_widgets", "source"] == "inventory count"
    assert rows.loc["stock_of_widgets", "value_or_equation"] == \
        "d/dt = filling - wear; initial capacity = 1234.5; non-negative"
    assert rows.loc["filling", "source"] == "Jones 2021"
    assert rows.loc["filling", "doc"] == "Fill the gap to capacity, but only after the start year."
    # traced from the function: time reads TIME, helpers print as XMILE builtins
    assert rows.loc["filling", "value_or_equation"] == \
        "IF TIME > start_year THEN MAX(capacity - stock_of_widgets, 0 * capacity) / fill_time " \
        "ELSE 0 * capacity / fill_time"
    assert rows.loc["wear", "value_or_equation"] == "stock_of_widgets / lifetime"


def test_builtins_and_lookups_without_their_hidden_elements():
    m = delays()
    table = documentation_table(m)
    rows = table.set_index("name")
    hidden = {n for n in [*m.stocks, *m.equations] if (m.stocks.get(n) or m.equations[n]).hidden}
    hidden |= {n for n, eq in m.equations.items() if eq.initial_only}
    assert hidden and not hidden & set(table["name"])
    assert set(table["name"]) == public_names(m)
    assert rows.loc["shipments", ["kind", "value_or_equation", "unit"]].tolist() == \
        ["delay", "DELAY3(orders, shipping_time)", "widget/year"]
    assert rows.loc["returns", "value_or_equation"] == "DELAY1(shipments, 0.5)"
    assert rows.loc["perceived_orders", ["kind", "value_or_equation"]].tolist() == \
        ["smooth", "SMTH3(orders, perception_time)"]
    assert rows.loc["perceived_returns", "value_or_equation"] == "SMTH1(returns, perception_time)"
    assert rows.loc["order_pattern", ["kind", "value_or_equation"]].tolist() == \
        ["lookup", "LOOKUP(TIME): (0, 1), (3, 1), (4, 2), (8, 1.5), (12, 0.5), (20, 1)"]
    assert rows.loc["backlog", "value_or_equation"] == "d/dt = orders - shipments; initial 50"
    assert (table["name"] == "shipments").sum() == 1  # shown once, as the delay
    rows = documentation_table(lookups()).set_index("name")
    assert rows.loc["lookup_function_call", "value_or_equation"].startswith("LOOKUP(TIME): (0, 0), (5, 0), (10, 1)")


def test_untraceable_equation_is_shown_not_fatal():
    m = Model("python_if")
    m.parameter("a", 1, "dimensionless")

    @m.auxiliary("dimensionless")
    def uses_python_if(a):
        return a if a > 0 else -a

    row = documentation_table(m).set_index("name").loc["uses_python_if"]
    assert row["value_or_equation"].startswith("uses_python_if(a)  [not traceable")


def test_markdown_has_a_header_and_one_row_per_element():
    m = documented()
    text = documentation_markdown(m)
    lines = text.strip().split("\n")
    table = documentation_table(m)
    assert lines[0] == "| name | kind | unit | value or equation | low | high | source | doc |"
    assert re.fullmatch(r"\|( --- \|){8}", lines[1])
    assert len(lines) == 2 + len(table)
    cells = [re.split(r"(?<!\\)\|", line)[1:-1] for line in lines[2:]]
    assert all(len(row) == 8 for row in cells)  # escaped pipes do not split cells
    assert [c[0].strip() for c in cells] == list(table["name"])
    fill = next(c for c in cells if c[0].strip() == "fill_time")
    assert fill[6].strip() == r"assumption \| to check"
    capacity = next(c for c in cells if c[0].strip() == "capacity")
    assert [c.strip() for c in capacity[3:6]] == ["1234.5", "100", "10000"]
    wear = next(c for c in cells if c[0].strip() == "wear")
    assert wear[4].strip() == "" and wear[5].strip() == ""


@pytest.mark.parametrize("factory", [sir, delays, lookups, documented])
def test_markdown_covers_every_public_element(factory):
    m = factory()
    text = documentation_markdown(m)
    names = {line.split("|")[1].strip() for line in text.strip().split("\n")[2:]}
    assert names == public_names(m)


def test_an_array_is_one_row_as_written():
    """The aging chain and the two-region SIR: each array once, named ``x[dimension]``,
    its equation per part in Vensim's subscript syntax; an intervention that rewires one
    element shows that array's elements one by one."""
    from aiscale.stocks_flows import Intervention

    from .subscript_models import aging_chain, two_region_sir

    rows = documentation_table(aging_chain()).set_index("name")
    assert not [n for n in rows.index if re.search(r"\[c\d\]$", n)]
    assert rows.loc["chips[cohort]", "value_or_equation"] == \
        "d/dt = entering[cohort] - aging[cohort]; initial c1: 50, c2: 40, c3: 30, c4: 20"
    assert rows.loc["entering[cohort]", "value_or_equation"] == "[c1] production; [later] aging[earlier]"
    assert rows.loc["aging[cohort]", "value_or_equation"] == "chips[cohort] / residence_time[cohort]"
    assert rows.loc["residence_time[cohort]", ["kind", "value_or_equation", "low"]].tolist() == \
        ["parameter", "c1: 1, c2: 1.5, c3: 2, c4: 2.5", 0.1]
    assert rows.loc["total_chips", "value_or_equation"] == \
        "chips[c1] + chips[c2] + chips[c3] + chips[c4]"
    sir = two_region_sir()
    rows = documentation_table(sir).set_index("name")
    assert rows.loc["infection[region]", "value_or_equation"].count("infectious[partner]") == 1
    assert rows.loc["duration", "value_or_equation"] == "5"
    rewired = sir.with_interventions([Intervention("step", "infection[north]", start=10, value=0.0)])
    names = set(documentation_table(rewired)["name"])
    assert {"infection[north]", "infection[south]", "recovery[region]"} <= names
