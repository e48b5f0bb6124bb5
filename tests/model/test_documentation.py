"""Every public variable of the model says what it is (the documentation table, the
XMILE export, the outputs' variables.csv and DataFrame attrs all show it)."""

from aiscale.stocks_flows import documentation_table


def test_every_public_variable_has_a_doc_and_a_unit(model):
    table = documentation_table(model)
    missing = table.loc[table["doc"].fillna("").str.strip() == "", "name"].tolist()
    assert not missing, f"{len(missing)} variables without a doc: {', '.join(missing)}"
    assert not table.loc[table["unit"].fillna("").str.strip() == "", "name"].tolist()
