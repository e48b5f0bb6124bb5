"""Every kind of bad input, on every verb: exit code 2, one line naming the culprit,
nothing printed on stdout, nothing written, no traceback (unless --debug).

One parametrised test holds every case (argument errors, NaN and infinity wherever a
number is read, values out of range, bad scenario files, unwritable output paths);
the scenario texts of tests/scenarios/test_scenario_files.py are run through the
command line here too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from aiscale.calibration.history import history_dir
from aiscale.cli import main
from tests.scenarios.test_scenario_files import BAD as SCENARIO_TEXTS

FILES = {
    "binary.toml": bytes(range(128, 256)) * 3,
    "binary.csv": bytes(range(128, 256)) * 3,
    "empty.toml": b"",
    "comments-only.toml": b"# nothing but a comment\n",
    "nan-parameter.toml": b'name = "x"\n[parameters]\nfab_construction_years = nan\n',
    "inf-parameter.toml": b'name = "x"\n[parameters]\nreinvestment_ratio = inf\n',
    "nan-start.toml": b'name = "x"\n[[interventions]]\nkind = "step"\ntarget = "export_controlled_share"\n'
                      b'start = nan\nvalue = 0.2\n',
    "inf-multiply.toml": b'name = "x"\n[[interventions]]\nkind = "step"\ntarget = "largest_training_run_flop"\n'
                         b'start = 2030\nvalue = inf\nmode = "multiply"\n',
    "nan-value.toml": b'name = "x"\n[[interventions]]\nkind = "cap"\ntarget = "largest_training_run_flop"\n'
                      b'start = 2030\nvalue = nan\n',
    "inf-end.toml": b'name = "x"\n[[interventions]]\nkind = "pulse"\ntarget = "export_controlled_share"\n'
                    b'start = 2030\nend = inf\nvalue = 0.2\n',
    "nan-table.toml": b'name = "x"\n[[interventions]]\nkind = "schedule"\ntarget = "export_controlled_share"\n'
                      b'table = [[2027, 0.1], [2030, nan]]\n',
    "nan-distribution.toml": b'name = "x"\n[distributions]\nresearch_returns = { kind = "uniform", low = nan, '
                             b'high = 2 }\n',
    "nan-rank.toml": b'name = "x"\n[[correlations]]\nbetween = ["research_returns", "flop_gap"]\nrank = nan\n',
    "malformed.toml": b'name = "bad"\n\n[parameters]\nfab_construction_years 4\n',
    "cycle-a.toml": b'name = "a"\nextends = "cycle-b.toml"\n',
    "cycle-b.toml": b'name = "b"\nextends = "cycle-a.toml"\n',
    "a-file": b"a file where a directory should be\n",
    "mixed/notes.txt": b"somebody's notes\n",
    "baseline/README": b"a folder named like a built-in scenario\n",
    "history/hyperscaler_capex.csv": bytes(range(128, 256)),
}
FILES.update({f"scenario-{k}.toml": ('name = "bad"\n' + textwrap.dedent(text)).encode()
              for k, (_, text, _) in enumerate(SCENARIO_TEXTS)})

CASES = [
    # the command line itself
    ("run --bogus", "unrecognized arguments: --bogus"),
    ("run --until soon", "argument --until: not a number: 'soon'"),
    ("compare", "the following arguments are required: SCENARIO"),
    ("frobnicate", "invalid choice: 'frobnicate'"),
    ("run --method Euler --dt 0.25", "argument --method: invalid choice: 'Euler'"),
    ("params --sector dat", "unknown sector 'dat'"),
    ("playground --port -1", "--port must lie in [0, 65535], not -1"),
    ("playground --port 70000", "--port must lie in [0, 65535], not 70000"),
    # NaN, infinity and out-of-range numbers, wherever a number is read
    ("run --until inf", "argument --until: must be a finite number, not 'inf'"),
    ("run --until nan", "argument --until: must be a finite number, not 'nan'"),
    ("run --start=-inf", "argument --start: must be a finite number"),
    ("run --until 1e300", "argument --until: must be a year between 1900 and 2300"),
    ("run --start 2030 --until 2020", "--until (2020) must be after --start (2030)"),
    ("run --until 2040.1", "must be a whole number of quarters"),
    ("run --method rk4 --dt 0", "argument --dt: must be positive, not 0"),
    ("run --method rk4 --dt -0.25", "argument --dt: must be positive, not -0.25"),
    ("run --method rk4 --dt nan", "argument --dt: must be a finite number"),
    ("run --method rk4 --dt 0.3", "--dt must divide 0.25"),
    ("run --method rk4", "--method rk4 needs a time step: --dt"),
    ("run --dt 0.25", "--dt sets the step of the fixed-step methods"),
    ("loops --until nan", "argument --until: must be a finite number"),
    ("export xmile --dt -1", "argument --dt: must be positive, not -1"),
    ("export xmile --dt inf", "argument --dt: must be a finite number"),
    ("export xmile --dt 0.3 --until 2020", "whole number of --dt steps"),
    ("ensemble -n 0", "argument -n: must be a whole number >= 1, not 0"),
    ("ensemble -n 2.5", "argument -n: not a whole number: '2.5'"),
    ("ensemble -n 1000000000", "1,000,000,000 runs need about"),
    ("ensemble -n 4 --seed -1", "argument --seed: must be a whole number >= 0, not -1"),
    ("ensemble -n 4 --workers 0", "argument --workers: must be a whole number >= 1, not 0"),
    ("ensemble -n 4 --workers -2", "argument --workers: must be a whole number >= 1, not -2"),
    ("ensemble -n 4 --chunk-size 0", "argument --chunk-size: must be a whole number >= 1"),
    ("ensemble -n 4 --until inf", "argument --until: must be a finite number"),
    ("ensemble -n 4 --dt 0.3", "--dt must divide 0.25"),
    ("ensemble -n 4 --dt nan", "argument --dt: must be a finite number"),
    ("ensemble -n 4 --until 2011", "--until (2011) must be after 2012"),
    ("sensitivity -n 100000000", "-n 100000000 (1"),
    ("sensitivity --output year_1e28", "unknown output metric 'year_1e28'"),
    ("report --ensemble -1", "argument --ensemble: must be a whole number >= 0, not -1"),
    ("report --seed -3", "argument --seed: must be a whole number >= 0"),
    ("report --until nan", "argument --until: must be a finite number"),
    ("report --until 2000", "--until (2000) must be after --start (2012)"),
    ("report pasue", "unknown scenario 'pasue' (did you mean: pause?)"),
    ("calibrate --until 2020.5", "argument --until: must be a whole year, not 2020.5"),
    ("calibrate --steps -1", "argument --steps: must be a whole number >= 0"),
    ("calibrate --walkers 0", "argument --walkers: must be a whole number >= 1"),
    ("calibrate --seed nan", "argument --seed: not a whole number: 'nan'"),
    *[(f"calibrate --screen 0 --steps 0 --no-plots --out {{in}}/cal {argv}", message) for argv, message in (
        ("--params reinvestment_rate", "unknown parameter 'reinvestment_rate' (did you mean: reinvestment_ratio"),
        ("--until 2030", "no observations after 2030"),
        ("--until 2000", "no observations up to 2000"),
        ("--data no/such/dir", "history directory not found: no/such/dir"),
        ("--data {in}/binary.csv", "binary.csv: not a text (UTF-8) CSV file"),
        ("--data {in}/binary.toml", "binary.toml: give a directory of raw history files or an observations"),
        ("--data {in}/history", "hyperscaler_capex.csv: not a text (UTF-8) CSV file"))],
    # --set
    ("run --set fab_construction_years", "argument --set: expected NAME=VALUE"),
    ("run --set =3", "argument --set: expected NAME=VALUE"),
    ("run --set fab_construction_years=nan", "argument --set: fab_construction_years: must be a finite number"),
    ("compare baseline --set reinvestment_ratio=-inf", "argument --set: reinvestment_ratio: must be a finite"),
    ("run --set fab_constrution_years=4", "unknown parameter 'fab_constrution_years' (did you mean: "
                                          "fab_construction_years?)"),
    ("ensemble -n 4 --set fab_construction_years=9", "--set fab_construction_years = 9 is out of range: it must "
                                                     "lie in [2, 5] (year)"),
    ("loops --set fab_construction_years=9", "fab_construction_years = 9 is out of range"),
    ("calibrate --set provider_value_capture=0.5", "--set provider_value_capture: provider_value_capture is fitted"),
    # naming scenarios
    ("ensemble basline", "unknown scenario 'basline' (did you mean: baseline?)"),
    ("run --scenario pasue", "unknown scenario 'pasue' (did you mean: pause?)"),
    ("run baseline --scenario pause", "two scenarios ('baseline' and --scenario 'pause')"),
    ("compare baseline nowhere.toml", "no scenario file"),
    ("run ./baseline", "'baseline' is a directory, not a scenario file"),
    ("scenarios pause --show taiwan-shock", "two scenarios"),
    # scenario files
    ("run {in}/binary.toml", "binary.toml: not a text (UTF-8) file"),
    ("compare baseline {in}/empty.toml", "empty.toml: empty scenario file"),
    ("run {in}/comments-only.toml", "comments-only.toml: empty scenario file"),
    ("run {in}/nan-parameter.toml", "nan-parameter.toml: [parameters] fab_construction_years must be a finite "
                                    "number, not nan"),
    ("ensemble {in}/inf-parameter.toml", "inf-parameter.toml: [parameters] reinvestment_ratio must be a finite"),
    ("run {in}/nan-start.toml", "nan-start.toml: intervention 1 (export_controlled_share): 'start' must be a "
                                "finite number, not nan"),
    ("run {in}/inf-multiply.toml", "inf-multiply.toml: intervention 1 (largest_training_run_flop): 'value' "
                                   "must be a finite number, not inf"),
    ("run {in}/nan-value.toml", "'value' must be a finite number, not nan"),
    ("run {in}/inf-end.toml", "'end' must be a finite number, not inf"),
    ("run {in}/nan-table.toml", "table value must be a finite number, not nan"),
    ("ensemble {in}/nan-distribution.toml", "[distributions] research_returns: 'low' must be a finite number"),
    ("sensitivity {in}/nan-rank.toml", "correlation 1: 'rank' must be a finite number, not nan"),
    ("run {in}/malformed.toml", "malformed.toml: malformed TOML"),
    ("report {in}/cycle-a.toml", "cyclic 'extends': cycle-a -> cycle-b -> cycle-a"),
    *[(f"run {{in}}/scenario-{k}.toml", message) for k, (_, _, message) in enumerate(SCENARIO_TEXTS)],
    # outputs: checked before any work, nothing created
    ("run --plot", "--plot needs --out DIR"),
    ("loops --plot", "--plot needs --out DIR"),
    ("loops --out {in}/figures", "--out is where --plot writes its figures: add --plot"),
    ("ensemble -n 4 --plot", "--plot needs --out"),
    ("ensemble -n 4 --out x.csv", "give a NetCDF file name ending in .nc"),
    ("report --out report.txt", "give an HTML file name ending in .html"),
    ("run --out /proc/aiscale-x", "cannot write /proc/aiscale-x"),
    ("ensemble -n 4 --out /proc/x.nc", "cannot write /proc/x.nc"),
    ("ensemble -n 4 --plot /proc/figures", "cannot write /proc/figures"),
    ("sensitivity -n 2 --out /proc/s.csv", "cannot write /proc/s.csv"),
    ("compare baseline --out /proc/c", "cannot write /proc/c"),
    ("report --out /proc/r.html", "cannot write /proc/r.html"),
    ("export xmile --out /proc/x.xmile", "cannot write /proc/x.xmile"),
    ("calibrate --out /proc/cal", "cannot write /proc/cal"),
    ("run --out {in}/a-file", "a-file is a file, not a directory"),
    ("run --out {in}/a-file/sub", "a-file is not a directory"),
    ("export xmile --out {in}", "is a directory; give a file name"),
    ("run --out {in}/mixed", "holds files that 'aiscale run' did not write (notes.txt)"),
]


def run_cli(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exit:  # argparse's errors
        return int(exit.code or 0)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else b"<dir>") for p in root.rglob("*")}


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    inputs = tmp_path / "in"
    shutil.copytree(history_dir(), inputs / "history")  # FILES then spoils one of them
    for name, content in FILES.items():
        (inputs / name).parent.mkdir(parents=True, exist_ok=True)
        (inputs / name).write_bytes(content)
    (tmp_path / "baseline").mkdir()  # shadows nothing: ./baseline names it
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("command,culprit", CASES, ids=[c for c, _ in CASES])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(command, culprit, workdir, capsys):
    before = snapshot(workdir)
    argv = [a.replace("{in}", str(workdir / "in")) for a in command.split()]
    code = run_cli(argv)
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert code == 2, (command, code, err)
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"aiscale {argv[0]}: error: " if argv[0] != "frobnicate" else "aiscale: error: "), err
    assert culprit in err, err
    assert "Traceback" not in err and captured.out == ""
    assert snapshot(workdir) == before  # nothing written, nothing created
    assert not list(Path("/proc").glob("aiscale-*"))


def test_a_folder_named_like_a_built_in_scenario_does_not_shadow_it(workdir, capsys):
    assert run_cli(["run", "baseline", "--until", "2014"]) == 0
    assert "baseline 2012-2014" in capsys.readouterr().out


def test_debug_shows_the_traceback_of_bad_input(workdir):
    from aiscale.scenarios import ScenarioError

    with pytest.raises(ScenarioError, match="not a text"):
        main(["run", str(workdir / "in" / "binary.toml"), "--debug"])


def test_a_solver_failure_is_a_failed_run_not_a_blow_up(tmp_path, capsys, monkeypatch):
    """When the solver gives up (here scipy's BDF is made to fail its first step, as it
    does on a kink it cannot step over; the model itself no longer has one, since issue
    11's automatable share is smooth): exit code 1, one line that says the solver failed
    (not that the model blew up), nothing written."""
    from scipy.integrate import BDF

    monkeypatch.setattr(BDF, "_step_impl", lambda self: (False, "Required step size is less than spacing "
                                                                "between numbers."))
    out = tmp_path / "out"
    assert run_cli(["run", "--method", "BDF", "--until", "2030", "--out", str(out)]) == 1
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and captured.out == ""
    assert err.startswith("aiscale run: error: the BDF solver failed at 20") and "did not blow up" in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_the_real_process_exits_2_with_one_line(tmp_path):
    """The same through the installed entry point: exit status, stderr, no traceback."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    for argv, culprit in ((["run", "--until", "inf"], "--until"), (["ensemble", "-n", "1000000000"], "memory"),
                          (["ensemble", "-n", "4", "--out", "/proc/x.nc"], "/proc/x.nc")):
        done = subprocess.run([sys.executable, "-m", "aiscale.cli", *argv], capture_output=True, text=True,
                              cwd=tmp_path, env=env, timeout=120)
        assert done.returncode == 2 and done.stdout == "", (argv, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and culprit in done.stderr
    assert list(tmp_path.iterdir()) == []
