"""``aiscale calibrate``: a backtest run end to end with a small budget, and its errors."""

import json
import tomllib

import pandas as pd
import pytest

from aiscale.calibration import SERIES, manifest
from aiscale.calibration.fit import table_model
from aiscale.calibration.series import model_series
from aiscale.cli import main
from aiscale.model import build_model, simulate_baseline
from aiscale.model.parameters import posterior_samples

FREE = "cluster_concentration_rate_per_year,price_performance_growth_per_year"


@pytest.fixture(scope="module")
def backtest_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("calibration")
    import contextlib
    import io
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["calibrate", "--until", "2020", "--params", FREE, "--steps", "10", "--walkers", "6",
                     "--screen", "16", "--out", str(out)])
    return code, stdout.getvalue(), stderr.getvalue(), out


def test_backtest_prints_held_out_errors_per_series_and_year(backtest_run, observations):
    code, stdout, stderr, _ = backtest_run
    assert code == 0, stderr
    assert "backtest: fitted to data up to 2020" in stdout
    lines = stdout.splitlines()
    held, skipped = model_series(observations[observations["year"] > 2020], table_model().names())
    for name, variable in skipped.items():  # held-out series the model has no output for
        assert f"note: series {name} skipped: the model has no output {variable}" in stdout
    for row in held.itertuples():
        assert any(line.split()[:2] == [row.series, str(row.year)] for line in lines), (row.series, row.year)
    assert stderr == ""  # stderr is not a terminal here: no progress bars in logs
    assert stdout.rstrip().endswith(", figures, ...")
    header = next(line for line in lines if line.startswith("parameter"))
    assert header.split() == ["parameter", "prior", "MAP", "table", "median", "95%", "posterior", "post/prior",
                              "note"]
    assert "worst year" in stdout


def test_outputs_scenario_tables_and_figures(backtest_run, observations):
    _, _, _, out = backtest_run
    scenario = tomllib.loads((out / "calibrated.toml").read_text())
    assert set(scenario) == {"name", "description", "parameters"}
    assert "2020" in scenario["description"]
    params = scenario["parameters"]
    assert set(FREE.split(",")) <= set(params)
    run = simulate_baseline(build_model(), stop=2030, parameters=params)  # the model accepts them
    assert run.parameters["cluster_concentration_rate_per_year"] == params["cluster_concentration_rate_per_year"]

    fit = pd.read_csv(out / "fit.csv")
    assert {"series", "points", "rms_log10", "bias_log10", "weight"} <= set(fit.columns)
    assert set(fit["series"]) == set(observations.loc[observations["year"] <= 2020, "series"])
    backtest = pd.read_csv(out / "backtest.csv")
    assert {"series", "year", "observed", "predicted", "log10_error", "percent_error"} <= set(backtest.columns)
    held, _ = model_series(observations[observations["year"] > 2020], table_model().names())
    assert backtest["year"].min() == 2021 and len(backtest) == len(held)
    parameters = pd.read_csv(out / "parameters.csv")
    assert {"parameter", "prior", "value", "default", "p025", "median", "p975", "width_ratio", "identified",
            "at_bound", "note"} <= set(parameters.columns)

    draws = posterior_samples(str(out / "posterior.csv"))  # the loader ensembles will use
    assert list(draws.columns) == FREE.split(",") and len(draws) == 6 * (10 - 10 // 3)

    meta = json.loads((out / "calibrated.json").read_text())
    assert meta["until"] == 2020 and meta["free_parameters"] == FREE.split(",")
    shipped = manifest().set_index("file")["sha256"]
    assert {f["file"]: f["sha256"] for f in meta["data"]["files"]} == shipped.to_dict()
    assert set(meta["series_rules"]) == set(SERIES)
    assert meta["posterior"]["draws"] == len(draws) and meta["posterior"]["parameters"] == FREE.split(",")
    assert set(meta["priors"]) == set(FREE.split(",")) and "normal" in meta["priors"][FREE.split(",")[1]]["prior"]
    assert "at_bound" in meta and "not_identified" in meta
    has = set(model_series(observations, table_model().names())[0]["series"])
    for name in list(SERIES) + ["calibration"]:
        figure = out / (f"fig_{name}.png" if name != "calibration" else "calibration.png")
        if name in has or name == "calibration":
            assert figure.stat().st_size > 10_000
        else:
            assert not figure.exists()


# bad input to `aiscale calibrate`: tests/test_bad_input.py


def test_no_plots_writes_and_claims_no_figures(tmp_path, capsys):
    out = tmp_path / "cal"
    assert main(["calibrate", "--screen", "0", "--steps", "0", "--no-plots", "--params",
                 "price_performance_growth_per_year", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "figures" not in captured.out and captured.err == ""  # no bars: stderr is not a terminal
    assert not [p for p in out.iterdir() if p.suffix in (".png", ".svg")]
