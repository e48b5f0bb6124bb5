"""The command line: verbs, outputs, and one-line errors with exit code 2."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from aiscale import __version__
from aiscale.cli import main


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert __version__ in capsys.readouterr().out
    assert main([]) == 0
    assert "run" in capsys.readouterr().out


def test_console_script_is_installed():
    out = subprocess.run([sys.executable, "-m", "aiscale.cli", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "params" in out.stdout


def test_run_prints_milestones_and_writes_outputs(tmp_path, capsys):
    assert main(["run", "--until", "2035", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "largest run >= 1e+26 FLOP" in out and "binding constraint" in out
    frame = pd.read_csv(tmp_path / "timeseries.csv", index_col="time")
    assert frame.index[0] == 2012 and frame.index[-1] <= 2035
    back = pd.read_parquet(tmp_path / "timeseries.parquet")
    assert list(back.columns) == list(frame.columns)
    meta = json.loads((tmp_path / "metadata.json").read_text())
    assert meta["metadata"]["aiscale_version"] == __version__
    assert {"milestone", "year"} <= set(meta["milestones"][0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metadata.json", "timeseries.csv", "timeseries.parquet"]


def test_blowup_is_reported_in_the_table(capsys):
    assert main(["run", "--until", "2060"]) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "blow-up" in line)
    assert "none" in line or "20" in line


def test_params_formats(capsys):
    assert main(["params", "--format", "csv"]) == 0
    csv = capsys.readouterr().out
    assert csv.splitlines()[0].startswith("name,value,unit,low,high,sector,source,doc")
    assert main(["params", "--format", "md", "--sector", "data"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("| name |") and "human_text_2012" in md and "gwp_2012" not in md


def test_export_xmile_runs_in_pysd(tmp_path):
    import pysd

    path = tmp_path / "model.xmile"
    assert main(["export", "xmile", "--out", str(path), "--until", "2020", "--dt", "0.125"]) == 0
    frame = pysd.read_xmile(str(path)).run(return_columns=["gpu_fleet_flop_per_s"])
    assert frame["gpu_fleet_flop_per_s"].iloc[-1] > frame["gpu_fleet_flop_per_s"].iloc[0]


@pytest.mark.parametrize("argv,message", [
    (["run", "--start", "2030", "--until", "2020"], "must be after"),
    (["params", "--sector", "dat"], "unknown sector 'dat'"),
    (["export", "xmile", "--dt", "-1"], "must be positive"),
])
def test_user_errors_exit_2_with_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_failed_run_leaves_no_partial_output(tmp_path, capsys):
    target = tmp_path / "out"
    target.write_text("a file where a directory should be")
    assert main(["run", "--until", "2014", "--out", str(target)]) == 2
    assert target.read_text() == "a file where a directory should be"
    assert list(tmp_path.iterdir()) == [target]
