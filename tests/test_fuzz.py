"""Property-based tests (hypothesis): random scenario files and random command lines,
bad and valid, never end in a traceback. A bad one is one line naming the culprit
(exit code 2 on the command line) and nothing is written; a valid one is accepted.

The command lines stop where the work would begin (simulating, sampling, fitting are
replaced by a stub that says "accepted"): these tests are about what the user types;
the work itself is tested everywhere else.
"""

from __future__ import annotations

import contextlib
import io
import math
import tempfile
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiscale.cli import main
from aiscale.scenarios.scenario import INTERVENTION_KEYS, TOP_KEYS, ScenarioError, base_model, load_scenario

PARAMETERS = ["fab_construction_years", "reinvestment_ratio", "research_returns", "data_restricted_fraction",
              "export_controlled_share", "flop_gap"]
TARGETS = PARAMETERS + ["largest_training_run_flop", "gpu_fleet_flop_per_s", "chip_spending_usd_per_year",
                        "no_such_thing"]
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))

numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**6, 10**30),
                    st.sampled_from([0, 1, 2, 4, 0.5, 2027, 2030.5, 1e27, -1, float("nan"), float("inf")]))
junk = st.one_of(st.text(max_size=8), st.booleans(), st.lists(st.integers(), max_size=3),
                 st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))
values = st.one_of(numbers, numbers, junk)


@st.composite
def interventions(draw):
    keys = ["kind", "target", *draw(st.lists(st.sampled_from([*INTERVENTION_KEYS, *INTERVENTION_KEYS, "begin"]),
                                             unique=True, max_size=6))]
    item = {}
    for key in dict.fromkeys(keys):
        if key == "kind":
            item[key] = draw(st.sampled_from(["step", "pulse", "ramp", "cap", "schedule", "clamp", 3]))
        elif key == "target":
            item[key] = draw(st.sampled_from(TARGETS))
        elif key == "mode":
            item[key] = draw(st.sampled_from(["set", "multiply", "add", "times"]))
        elif key == "table":
            item[key] = draw(st.lists(st.lists(numbers, min_size=2, max_size=3), max_size=4))
        elif key == "note":
            item[key] = draw(st.text(max_size=10))
        else:
            item[key] = draw(values)
    return item


@st.composite
def scenario_documents(draw):
    doc = {}
    # mostly the right keys, so that most documents reach the deeper checks
    for key in draw(st.lists(st.sampled_from([*TOP_KEYS, *TOP_KEYS, *TOP_KEYS, "paramters"]), unique=True,
                             max_size=6)):
        if key == "parameters":
            doc[key] = draw(st.dictionaries(st.sampled_from(PARAMETERS + ["fab_constrution_years"]), values,
                                            max_size=4))
        elif key == "interventions":
            doc[key] = draw(st.lists(interventions(), max_size=3))
        elif key == "distributions":
            doc[key] = draw(st.dictionaries(st.sampled_from(PARAMETERS), st.fixed_dictionaries(
                {"kind": st.sampled_from(["uniform", "loguniform", "normal", "three_point", "gamma"])},
                optional={"low": numbers, "high": numbers, "central": numbers, "mean": numbers, "sd": numbers}),
                max_size=2))
        elif key == "correlations":
            doc[key] = draw(st.lists(st.fixed_dictionaries(
                {"between": st.lists(st.sampled_from(PARAMETERS + ["nope"]), min_size=0, max_size=3)},
                optional={"rank": values}), max_size=2))
        elif key == "extends":
            doc[key] = draw(st.sampled_from(["baseline", "pause", "basline", "nowhere.toml", "self.toml"]))
        elif key in ("name", "description", "rationale"):
            doc[key] = draw(st.one_of(st.text(max_size=10), st.text(max_size=10), junk))
        elif key == "sources":
            doc[key] = draw(st.one_of(st.lists(st.text(max_size=5), max_size=2), st.just([]), junk))
        else:
            doc[key] = draw(st.one_of(st.dictionaries(st.text(max_size=4), st.integers(), max_size=2), junk))
    return doc


def check_scenario_file(path: Path) -> None:
    try:
        scenario = load_scenario(path, base_model())
    except ScenarioError as err:
        message = str(err)
        assert message.startswith(str(path)) and "\n" not in message and len(message) < 400, message
    else:
        scenario.apply(base_model())  # a scenario that loads, runs


@SETTINGS
@given(doc=scenario_documents())
def test_random_scenario_files_load_or_fail_with_one_line(doc):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "self.toml"
        path.write_text(tomli_w.dumps(doc))
        check_scenario_file(path)


@SETTINGS
@given(content=st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_arbitrary_bytes_as_a_scenario_file_fail_with_one_line(content):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "any.toml"
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
        check_scenario_file(path)


# ---------------------------------------------------------------------- command lines
class Accepted(Exception):  # noqa: N818 - a signal, not an error
    """The input passed every check; the work would start here."""


def accepted(*args, **kwargs):
    raise Accepted


WORK = ["aiscale.model.simulate_baseline", "aiscale.scenarios.ensemble.monte_carlo",
        "aiscale.scenarios.sensitivity.sensitivity", "aiscale.scenarios.compare.compare",
        "aiscale.report.write_report", "aiscale.calibration.load_history"]
OPTIONS = {
    "run": ["--start", "--until", "--method", "--dt", "--out", "--set", "--scenario", "--plot"],
    "loops": ["--until", "--out", "--plot", "--set", "--all"],
    "export": ["--dt", "--start", "--until", "--out", "--set"],
    "compare": ["--start", "--until", "--out", "--set", "--plot"],
    "ensemble": ["-n", "--seed", "--workers", "--chunk-size", "--until", "--dt", "--out", "--plot", "--set"],
    "sensitivity": ["-n", "--seed", "--method", "--output", "--parameters", "--until", "--dt", "--out", "--set"],
    "report": ["--start", "--until", "--ensemble", "--seed", "--workers", "--out", "--set"],
    "calibrate": ["--until", "--steps", "--walkers", "--screen", "--seed", "--out", "--set", "--params"],
    "params": ["--format", "--sector"],
    "scenarios": ["--show"],
}
FLAGS = {"--plot", "--all"}
TRICKY = ["nan", "inf", "-inf", "-1", "0", "1", "2", "0.25", "0.3", "1e300", "1e-300", "2012", "2030", "2040.25",
          "2300", "9999", "abc", "", "rk4", "euler", "RK45", "BDF", "sobol", "morris", "baseline", "pause",
          "./baseline", "nowhere.toml", "out", "out/x.nc", "out/r.html", "/proc/x", "a=b", "x=1",
          "fab_construction_years=4", "fab_construction_years=9", "fab_construction_years=nan",
          "reinvestment_ratio=3", "run_1e28_year", "csv", "data", "1000000000"]
tokens = st.one_of(st.sampled_from(TRICKY), st.floats().map(repr), st.integers(-10**12, 10**12).map(str),
                   st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6))


@st.composite
def command_lines(draw):
    verb = draw(st.sampled_from(sorted(OPTIONS)))
    argv = [verb]
    if verb in ("run", "loops", "ensemble", "sensitivity", "compare", "report") and draw(st.booleans()):
        argv.append(draw(st.sampled_from(["baseline", "pause", "basline", "./baseline", "x.toml"])))
    if verb == "export":
        argv.append(draw(st.sampled_from(["xmile", "xmile", "mdl"])))
    for option in draw(st.lists(st.sampled_from(OPTIONS[verb]), max_size=4)):
        argv += [option] if option in FLAGS else [option, draw(tokens)]
    return argv


@SETTINGS
@given(argv=command_lines())
def test_random_command_lines_are_accepted_or_refused_with_one_line(argv):
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        (Path(folder) / "baseline").mkdir()
        for target in WORK:
            mp.setattr(target, accepted)
        out, err = io.StringIO(), io.StringIO()
        code = None
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exit:
                code = exit.code
            except Accepted:
                code = "accepted"
        message = err.getvalue().strip()
        assert code in (0, 2, "accepted"), (argv, code, message)
        if code == 2:
            assert len(message.splitlines()) == 1 and message.startswith("aiscale"), (argv, message)
            assert "Traceback" not in message and not math.isnan(len(message))
            assert [p.name for p in Path(folder).iterdir()] == ["baseline"], argv  # nothing written
