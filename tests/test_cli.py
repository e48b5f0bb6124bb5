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
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metadata.json", "timeseries.csv", "timeseries.parquet",
                                                          "variables.csv"]
    # units and descriptions travel with the outputs
    variables = pd.read_csv(tmp_path / "variables.csv", index_col="name")
    assert set(frame.columns) <= set(variables.index)
    assert variables.loc["largest_training_run_flop", "unit"] == "FLOP"
    assert meta["units"]["largest_training_run_flop"] == "FLOP"
    assert back.attrs["units"]["largest_training_run_flop"] == "FLOP"


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


def test_the_default_export_runs_in_pysd_to_its_end_and_shadows_nothing(tmp_path, monkeypatch, capsys):
    """To 2060 PySD's Python floats overflowed at a blow-up; the default export ends before
    one if the run has one (model v2's baseline has none: it runs to 2060), and its name
    cannot become a module named aiscale."""
    import warnings

    import pysd

    monkeypatch.chdir(tmp_path)
    assert main(["export", "xmile", "--dt", "0.125"]) == 0
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = pysd.read_xmile("aiscale-model.xmile").run(return_columns=["largest_training_run_flop"])
    assert 2030 < frame.index[-1] <= 2060 and frame["largest_training_run_flop"].notna().all()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["aiscale-model.py", "aiscale-model.xmile"]


# every bad-input case: tests/test_bad_input.py


def test_failed_run_leaves_no_partial_output(tmp_path, capsys):
    target = tmp_path / "out"
    target.write_text("a file where a directory should be")
    assert main(["run", "--until", "2014", "--out", str(target)]) == 2
    assert target.read_text() == "a file where a directory should be"
    assert list(tmp_path.iterdir()) == [target]


# ---------------------------------------------------------------------- a friendly command line
import shlex  # noqa: E402

from aiscale.cli import build_parser  # noqa: E402

VERBS = ("run", "params", "loops", "export", "scenarios", "compare", "check", "ensemble", "sensitivity", "calibrate",
         "report", "playground")


def help_text(verb, capsys):
    with pytest.raises(SystemExit) as info:
        main([verb, "--help"])
    assert info.value.code == 0
    return capsys.readouterr().out


def test_every_verb_has_help_with_examples_that_parse(capsys):
    parser = build_parser()
    assert set(parser.verbs) == set(VERBS)
    for verb in VERBS:
        text = help_text(verb, capsys)
        examples = text.split("examples:\n", 1)[1]
        commands = [line.split("#")[0].split(">")[0].strip() for line in examples.splitlines()
                    if line.startswith(f"  aiscale {verb}")]
        assert commands, verb
        for command in commands:
            args = parser.parse_args(shlex.split(command)[1:])  # exits 2 if an example has drifted
            assert args.verb == verb
        assert "--quiet" in text and "--debug" in text


def test_quiet_before_or_after_the_verb(tmp_path, capsys):
    for argv in (["--quiet", "run", "--until", "2014"], ["run", "--until", "2014", "--quiet"]):
        assert main(argv) == 0
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err == ""
    assert build_parser().parse_args(["--debug", "params"]).debug is True
    assert build_parser().parse_args(["params", "--debug"]).debug is True
    assert build_parser().parse_args(["params"]).debug is False


def test_debug_shows_the_traceback_and_interrupts_exit_130(monkeypatch, capsys):
    from aiscale import cli

    with pytest.raises(cli.UserError, match="unknown sector"):
        main(["params", "--sector", "dat", "--debug"])

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_params", interrupted)
    assert main(["params"]) == 130
    assert capsys.readouterr().err.strip() == "aiscale params: interrupted"


def test_progress_bars_go_to_stderr_on_a_terminal_unless_quiet(monkeypatch, capsys):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["run", "--until", "2014"]) == 0
    captured = capsys.readouterr()
    assert "run: simulate" in captured.err and "run: simulate" not in captured.out
    assert main(["compare", "baseline", "pause", "--until", "2014"]) == 0
    assert "compare:" in capsys.readouterr().err
    assert main(["run", "--until", "2014", "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)  # a pipe or a log: no bars
    assert main(["run", "--until", "2014"]) == 0
    assert capsys.readouterr().err == ""


def test_plot_writes_each_verbs_figures_into_out(tmp_path, capsys):
    assert main(["run", "--until", "2016", "--out", str(tmp_path / "run"), "--plot"]) == 0
    written = {p.name for p in (tmp_path / "run").iterdir()}
    assert {"trajectory.png", "trajectory.svg", "binding_constraints.png"} <= written
    assert main(["loops", "--until", "2020", "--out", str(tmp_path / "loops"), "--plot"]) == 0
    names = {p.name for p in (tmp_path / "loops").iterdir()}
    assert names == {f"{n}.{s}" for n in ("causal_loop_diagram", "loop_dominance", "sectors") for s in ("png", "svg")}
    assert main(["compare", "baseline", "--until", "2016", "--out", str(tmp_path / "cmp")]) == 0
    assert {p.suffix for p in (tmp_path / "cmp").iterdir()} == {".csv"}  # figures only with --plot
    assert main(["ensemble", "-n", "4", "--until", "2016", "--workers", "1", "--out",
                 str(tmp_path / "ens" / "e.nc"), "--plot"]) == 0
    assert {"e.nc", "ensemble_fan.png", "ensemble_milestones.svg"} <= {p.name for p in (tmp_path / "ens").iterdir()}
    assert main(["sensitivity", "--method", "morris", "-n", "2", "--until", "2016", "--parameters",
                 "hbm_lead_years,max_frontier_cluster_share", "--output", "log10_run_2030", "--workers", "1",
                 "--plot", str(tmp_path / "sens")]) == 0
    assert {p.name for p in (tmp_path / "sens").iterdir()} == {"sensitivity_morris_log10_run_2030.png",
                                                             "sensitivity_morris_log10_run_2030.svg"}
    capsys.readouterr()
    assert main(["ensemble", "-n", "4", "--until", "2016", "--plot"]) == 2
    assert "--plot needs --out" in capsys.readouterr().err
