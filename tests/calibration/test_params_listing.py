"""``aiscale params`` lists the values the default model runs with: calibrated ones are
marked and keep their table value beside them; fitted parameters show their prior."""

import io

import pandas as pd

from aiscale.calibration import default_free
from aiscale.cli import main, parameter_listing
from aiscale.model import build_model, calibrated_parameters, parameter_table


def test_values_are_those_the_model_runs_with():
    listing = parameter_listing().set_index("name")
    table = parameter_table()
    running = build_model().parameters
    calibrated = calibrated_parameters()
    assert calibrated and set(listing.index[listing["calibrated"]]) == set(calibrated)
    for name, row in listing.iterrows():
        assert row["value"] == running[name].value and row["table_value"] == table.loc[name, "value"]
        if name not in calibrated:
            assert row["value"] == row["table_value"]
    assert any(listing.loc[n, "value"] != listing.loc[n, "table_value"] for n in calibrated)
    assert all(listing.loc[n, "prior"] for n in default_free())


def test_screen_and_csv_mark_the_calibrated_values(capsys):
    assert main(["params"]) == 0
    out = capsys.readouterr().out
    name, value = next(iter(calibrated_parameters().items()))
    table_value = parameter_table().loc[name, "value"]
    line = next(line for line in out.splitlines() if line.startswith(name + " "))
    assert f"{value:.6g}" in line and f"calibrated (table value {table_value:g})" in line
    assert "    prior: " in out
    assert main(["params", "--format", "csv"]) == 0
    csv = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index("name")
    assert csv.loc[name, "value"] == value and csv.loc[name, "table_value"] == table_value
    assert bool(csv.loc[name, "calibrated"])
