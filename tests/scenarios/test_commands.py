"""The scenario verbs of the command line: scenarios, run --scenario, compare, ensemble,
sensitivity; outputs written only on success, errors as one line with exit code 2."""

import pandas as pd
import pytest
import xarray as xr

from aiscale.cli import main


def test_scenarios_lists_the_library_and_shows_one(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    for name in ("baseline", "pause", "taiwan-shock", "compute-tax", "synthetic-data-works"):
        assert f"  {name} " in out
    assert main(["scenarios", "--show", "pause"]) == 0
    out = capsys.readouterr().out
    assert "extends: baseline" in out and "sources:" in out and "cap largest_training_run_flop <= 2e+27" in out


def test_run_accepts_a_scenario(tmp_path, capsys):
    assert main(["run", "--scenario", "compute-threshold", "--until", "2030", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("aiscale") and "compute-threshold 2012-2030" in out
    assert "binding constraint: power -> policy" in out or "-> policy" in out
    frame = pd.read_csv(tmp_path / "timeseries.csv", index_col="time")
    assert frame.loc[2028.0, "largest_training_run_flop"] <= 1e27 * (1 + 1e-12)


def test_compare_prints_a_table_and_writes_csv_and_figures(tmp_path, capsys):
    assert main(["compare", "baseline", "pause", "--until", "2036", "--out", str(tmp_path), "--plot"]) == 0
    out = capsys.readouterr().out
    assert "largest run >= 1e+28 FLOP" in out and "baseline" in out and "pause" in out
    table = pd.read_csv(tmp_path / "compare.csv", index_col="key")
    assert list(table.columns) == ["metric", "unit", "baseline", "pause"]
    assert table.loc["run_1e28_year", "unit"] == "year"
    assert float(table.loc["run_1e28_year", "pause"]) > float(table.loc["run_1e28_year", "baseline"])
    timeline = pd.read_csv(tmp_path / "binding_timeline.csv")
    assert "policy" in set(timeline.loc[timeline["scenario"] == "pause", "constraint"])
    names = {p.name for p in tmp_path.iterdir()}
    assert {"compare_trajectories.png", "compare_binding.svg"} <= names


def test_ensemble_writes_netcdf_and_prints_the_distribution(tmp_path, capsys):
    path = tmp_path / "e.nc"
    assert main(["ensemble", "pause", "-n", "24", "--seed", "3", "--until", "2040", "--chunk-size", "10",
                 "--workers", "1", "--out", str(path), "--plot", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "pause: 24 runs" in out and "largest run >= 1e+28 FLOP" in out and "p50" in out
    ds = xr.open_dataset(path, engine="h5netcdf")
    assert ds.sizes["run"] == 24 and ds.attrs["scenario"] == "pause" and "stop_time" in ds
    assert (tmp_path / "ensemble_fan.png").exists()


def test_sensitivity_prints_ranked_indices(tmp_path, capsys):
    out_csv = tmp_path / "s.csv"
    assert main(["sensitivity", "--method", "morris", "-n", "3", "--output", "run_1e27_year", "--until", "2030",
                 "--parameters", "max_frontier_cluster_share,hbm_lead_years", "--workers", "1",
                 "--out", str(out_csv)]) == 0
    out = capsys.readouterr().out
    assert "morris indices of run_1e27_year" in out and "mu_star" in out
    assert list(pd.read_csv(out_csv)["parameter"])[0] in ("max_frontier_cluster_share", "hbm_lead_years")


def test_an_unreachable_scheduler_leaves_no_output(tmp_path, capsys, monkeypatch):
    from aiscale.scenarios import execution

    monkeypatch.setattr(execution, "CONNECT_TIMEOUT", "1s")
    path = tmp_path / "e.nc"
    assert main(["ensemble", "-n", "4", "--until", "2014", "--scheduler", "tcp://127.0.0.1:9",
                 "--out", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err and len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_a_failing_chunk_exits_2_and_leaves_no_partial_file(tmp_path, capsys, monkeypatch):
    from aiscale.scenarios import ensemble

    def broken(scenario, chunk, settings):
        if chunk.index == 1:
            raise RuntimeError("disk on fire")
        return ensemble.run_chunk(scenario, chunk, settings)

    original = ensemble.monte_carlo
    monkeypatch.setattr(ensemble, "monte_carlo",
                        lambda *a, **k: original(*a, **{**k, "runner": broken, "workers": 1, "retries": 1}))
    path = tmp_path / "e.nc"
    assert main(["ensemble", "-n", "8", "--chunk-size", "4", "--until", "2014", "--out", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "chunk 1 (runs 4-7) failed after 1 retries: RuntimeError: disk on fire" in err
    assert len(err.splitlines()) == 1 and list(tmp_path.iterdir()) == []


def test_the_ensemble_command_defaults_to_the_ensembles_tolerance():
    from aiscale.cli import build_parser
    from aiscale.scenarios.ensemble import ADAPTIVE_RTOL, Settings

    args = build_parser().parse_args(["ensemble"])
    assert args.rtol == ADAPTIVE_RTOL == Settings().rtol
