"""The calibrated parameter set is the model's default, shipped with its fit date and
data manifest; ``build_model(calibrated=False)`` keeps the hand-set table."""

import json
import tomllib
from datetime import date
from importlib import resources

import numpy as np
import pytest

from aiscale.calibration import SERIES, default_free, load_history, manifest
from aiscale.calibration.series import Comparison, model_series
from aiscale.cli import main
from aiscale.model import build_model, calibrated_parameters, calibration_info, parameter_table, simulate_baseline
from aiscale.model.parameters import posterior_samples


def shipped(name):
    return resources.files("aiscale.data").joinpath(name)


def test_shipped_file_is_a_scenario_with_fit_date_and_manifest():
    text = shipped("calibrated.toml").read_text()
    scenario = tomllib.loads(text)
    assert set(scenario) == {"name", "description", "parameters"}
    info = calibration_info()
    date.fromisoformat(info["fit_date"])
    assert info["fit_date"] in scenario["description"] and "MANIFEST.csv" in text
    assert scenario["parameters"] == calibrated_parameters()
    assert set(info["free_parameters"]) == set(calibrated_parameters())
    assert info["until"] is None  # fitted to all data
    shipped_files = manifest().set_index("file")["sha256"].to_dict()
    assert {f["file"]: f["sha256"] for f in info["data"]["files"]} == shipped_files
    assert all(f["matches_manifest"] for f in info["data"]["files"])


def test_build_model_uses_the_calibration_unless_asked_not_to():
    table = parameter_table()
    calibrated, hand_set = build_model(), build_model(calibrated=False)
    values = calibrated_parameters()
    assert values and any(values[n] != table.loc[n, "value"] for n in values)
    for name, p in calibrated.parameters.items():
        if name in values:
            assert p.value == values[name] and "calibrated to history on" in p.source
        else:
            assert p.value == hand_set.parameters[name].value
    assert all(p.value == table.loc[n, "value"] for n, p in hand_set.parameters.items())


def test_every_series_rms_is_reported_and_training_compute_fits_within_0_3():
    """Acceptance: fitted to all data, the default model's frontier training compute
    has an RMS log10 residual below 0.3 over 2015-2025 (recomputed here with the
    adaptive solver, not the fit's fixed step), and every series' RMS is reported."""
    stats = {row["series"]: row for row in calibration_info()["statistics"]}
    assert all(np.isfinite(row["rms_log10"]) and row["points"] >= 3 for row in stats.values())
    run = simulate_baseline(stop=2026.5)
    observations, skipped = model_series(load_history(), run.frame.columns)  # series whose output the model has
    assert set(observations["series"]) <= set(stats) and set(stats) | set(skipped) == set(SERIES)
    comparison = Comparison(observations, run.frame.index.to_numpy())
    residuals = comparison.residuals({v: run.frame[v].to_numpy() for v in comparison.variables})[0]
    tc = (observations["series"] == "training_compute") & observations["year"].between(2015, 2025)
    assert tc.sum() == 11
    assert np.sqrt(np.mean(residuals[tc] ** 2)) < 0.3
    for name, row in stats.items():  # the shipped statistics are what the model gives
        if name in skipped:
            continue
        r = residuals[(observations["series"] == name).to_numpy()]
        assert np.sqrt(np.mean(r ** 2)) == pytest.approx(row["rms_log10"], abs=0.01), name


def test_aiscale_run_uses_the_calibrated_defaults(tmp_path, capsys):
    assert main(["run", "--until", "2026", "--out", str(tmp_path)]) == 0
    meta = json.loads((tmp_path / "metadata.json").read_text())
    for name, value in calibrated_parameters().items():
        assert meta["parameters"][name] == value


def test_a_shipped_posterior_belongs_to_the_shipped_calibration():
    info = calibration_info()
    draws = posterior_samples()
    if not info.get("posterior"):
        assert draws is None  # a calibration from before posterior.csv shipped
        return
    assert draws is not None and list(draws.columns) == info["free_parameters"]
    assert len(draws) == info["posterior"]["draws"] >= 1000


def test_bad_posterior_files_are_named(tmp_path):
    name = default_free()[0]
    lo, hi = parameter_table().loc[name, ["low", "high"]]
    path = tmp_path / "posterior.csv"
    for text, message in [
        (f"{name}x\n{lo}\n", f"unknown parameter '{name}x'"),
        (f"{name}\n{lo}\n{hi * 10 + 1}\n", rf"row 3: {name} = '{hi * 10 + 1}' is not a number within \[{lo:g}, {hi:g}\]"),
        (f"{name}\n{lo}\nnan\n", f"row 3: {name} = 'nan' is not a number within"),
        (f"{name}\n", "no draws"),
    ]:
        path.write_text(text)
        with pytest.raises(ValueError, match=message):
            posterior_samples(str(path))
