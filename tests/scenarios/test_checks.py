"""Reality checks: declared as data, each one fails on a run doctored to break it and
holds where it should; a check whose names the model lacks is skipped; `aiscale check`
exits 1 when one fails and 2 on bad input."""

import dataclasses
import re
import warnings

import numpy as np
import pytest

from aiscale.cli import main
from aiscale.scenarios.checks import (FAILS, HOLDS, SKIPPED, Check, CheckError, check_run, evaluate,
                                      history_series, load_checks)
from aiscale.stocks_flows.events import Event


@pytest.fixture(scope="module")
def run(model):
    from aiscale.model import simulate_baseline

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return simulate_baseline(model, stop=2030)


@pytest.fixture(scope="module")
def checks():
    return {c.name: c for c in load_checks()}


def doctored(result, frame=None, states=None, parameters=None, events=None):
    """A copy of ``result`` with some of its parts replaced."""
    return dataclasses.replace(result, frame=result.frame.copy() if frame is None else frame,
                               states=result.states.copy() if states is None else states,
                               parameters=dict(result.parameters) if parameters is None else parameters,
                               events=list(result.events) if events is None else events)


def test_shipped_checks_cover_what_the_issue_asks(checks):
    kinds = {c.kind for c in checks.values()}
    assert kinds == {"nonnegative", "finite", "at_most", "near_history", "no_blowup"}
    power = checks["AI power within world electricity"]
    assert (power.left, power.right) == ("datacenter_power_w", ("world_electricity_w",))
    assert {checks[n].right[0] for n in ("price-performance within its physical ceiling",
                                         "energy efficiency within its physical ceiling",
                                         "algorithms within their ceiling")} == {
        "max_flop_per_s_per_usd", "max_flop_per_joule", "max_algorithmic_efficiency"}
    record = checks["frontier compute 2012-2025 within 0.5 OOM of the record"]
    assert (record.tolerance, record.years) == (0.5, (2012.0, 2025.0))
    assert checks["no blow-up before 2060"].until == 2060
    assert all(c.source for c in checks.values())


def test_the_record_is_the_running_maximum_of_the_yearly_maxima(checks):
    record = history_series(checks["frontier compute 2012-2025 within 0.5 OOM of the record"])
    assert record[2012] == pytest.approx(6e17) and record[2020] == pytest.approx(3.14e23)
    assert record[2017] == record[2016] == pytest.approx(6.62e21)  # no new record in 2017
    assert record[2025] == pytest.approx(5e26) and record.is_monotonic_increasing


def test_no_stock_negative(run, checks):
    check = checks["no stock negative"]
    assert evaluate(check, run).status in (HOLDS, FAILS)  # the model's own supply lines are for the lead
    states = run.states.clip(lower=0)
    assert evaluate(check, doctored(run, states=states)).status == HOLDS
    states = states.copy()
    states.loc[2020.0, "human_text_stock_tokens"] = -1e12
    outcome = evaluate(check, doctored(run, states=states))
    assert outcome.status == FAILS and "human_text_stock_tokens = -1e+12 at 2020.00" in outcome.detail


def test_no_nan(run, checks):
    check = checks["no NaN or infinity"]
    assert evaluate(check, run).status == HOLDS
    frame = run.frame.copy()
    frame.loc[2025.0, "gwp_usd_per_year"] = np.nan
    outcome = evaluate(check, doctored(run, frame=frame))
    assert outcome.status == FAILS and "gwp_usd_per_year = nan at 2025.00" in outcome.detail


def test_largest_run_within_every_ceiling(run, checks):
    check = checks["largest run within every ceiling"]
    assert evaluate(check, run).status == HOLDS
    frame = run.frame.copy()
    frame.loc[2026.0, "largest_training_run_flop"] *= 10
    outcome = evaluate(check, doctored(run, frame=frame))
    assert outcome.status == FAILS and "at 2026.00" in outcome.detail


def test_ai_power_within_world_electricity_and_skipped_without_it(run, checks):
    check = checks["AI power within world electricity"]
    frame = run.frame.copy()
    if "world_electricity_w" not in frame:
        outcome = evaluate(check, run)
        assert outcome.status == SKIPPED and outcome.detail == "model lacks world_electricity_w"
    frame["world_electricity_w"] = 3.2e12  # IEA 2025: ~28,000 TWh/yr
    assert evaluate(check, doctored(run, frame=frame)).status == HOLDS
    frame.loc[2029.0:, "datacenter_power_w"] = 4e12
    outcome = evaluate(check, doctored(run, frame=frame))
    assert outcome.status == FAILS and "first above it at 2029.00" in outcome.detail


@pytest.mark.parametrize("name,variable,ceiling", [
    ("price-performance within its physical ceiling", "flop_per_s_per_usd", "max_flop_per_s_per_usd"),
    ("energy efficiency within its physical ceiling", "flop_per_joule", "max_flop_per_joule"),
    ("algorithms within their ceiling", "algorithmic_efficiency", "max_algorithmic_efficiency"),
])
def test_hardware_and_algorithms_within_their_ceilings(run, checks, name, variable, ceiling):
    check = checks[name]
    if ceiling not in run.parameters and ceiling not in run.frame:
        assert evaluate(check, run).detail == f"model lacks {ceiling}"
    top = float(run.frame[variable].max())
    assert evaluate(check, doctored(run, parameters={**run.parameters, ceiling: 2 * top})).status == HOLDS
    outcome = evaluate(check, doctored(run, parameters={**run.parameters, ceiling: top / 2}))
    assert outcome.status == FAILS and variable in outcome.detail


def test_frontier_compute_near_the_record(run, checks):
    check = checks["frontier compute 2012-2025 within 0.5 OOM of the record"]
    record = history_series(check)
    frame = run.frame.copy()
    # a run on the record itself (log-linear between mid-years) holds
    mid = record.loc[2011:2026]
    frame["largest_training_run_flop"] = 10 ** np.interp(frame.index, mid.index + 0.5, np.log10(mid.to_numpy()))
    assert evaluate(check, doctored(run, frame=frame)).status == HOLDS
    frame.loc[2018.0:2019.0, "largest_training_run_flop"] *= 10  # one order of magnitude off in 2018
    outcome = evaluate(check, doctored(run, frame=frame))
    assert outcome.status == FAILS and outcome.detail.startswith("1 of 14 years") and "2018: +1.00 OOM" in outcome.detail
    late = evaluate(check, doctored(run, frame=frame.loc[2026.0:]))
    assert late.status == SKIPPED and late.detail == "the run does not cover 2012-2025"


def test_no_blowup(run, checks):
    check = checks["no blow-up before 2060"]
    outcome = evaluate(check, run)
    assert outcome.status == HOLDS and outcome.detail == "no blow-up up to 2030 (the run's end)"
    blown = doctored(run, events=[Event("blow-up", 2029.5, "blow-up", detail="x grows at 60/year")])
    outcome = evaluate(check, blown)
    assert outcome.status == FAILS and outcome.detail == "blew up at 2029.50: x grows at 60/year"


def test_checks_file_errors_name_the_file_and_the_problem(tmp_path):
    cases = {
        'check = 1': "give the checks as [[check]] tables",
        '[[check]]\nname = "a"\nkind = "maybe"\nsource = "s"': "unknown kind 'maybe'",
        '[[check]]\nname = "a"\nkind = "at_most"\nsource = "s"\nleft = "x"': "a at_most check needs 'right'",
        '[[check]]\nname = "a"\nkind = "finite"\nsource = "s"\nwhen = 1': "unknown key 'when'",
        '[[check]]\nname = "a"\nkind = "no_blowup"\nsource = "s"\nuntil = -1': "'until' must be a finite number",
        '[[check]\n': "malformed TOML",
    }
    for text, message in cases.items():
        path = tmp_path / "c.toml"
        path.write_text(text)
        with pytest.raises(CheckError, match=re.escape(message)) as info:
            load_checks(path)
        assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)


def test_a_users_checks_file(run, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('[[check]]\nname = "runs below 1e30 by 2030"\nkind = "at_most"\nsource = "mine"\n'
                    'left = "largest_training_run_flop"\nright = 1e30\nyears = [2020, 2030]\n')
    (check,) = load_checks(path)
    assert check == Check("runs below 1e30 by 2030", "at_most", "mine", "largest_training_run_flop", (1e30,),
                          (2020.0, 2030.0))
    assert [o.status for o in check_run(run, [check])] == [HOLDS]


def test_aiscale_check_exit_codes(tmp_path, capsys):
    ok = tmp_path / "ok.toml"
    ok.write_text('[[check]]\nname = "finite"\nkind = "finite"\nsource = "s"\n')
    assert main(["check", "baseline", "--until", "2016", "--checks", str(ok)]) == 0
    out = capsys.readouterr().out
    assert "1 reality checks on baseline, 2012-2016" in out and "0 failures in 1 scenario" in out
    failing = tmp_path / "fail.toml"
    failing.write_text('[[check]]\nname = "tiny runs"\nkind = "at_most"\nsource = "s"\n'
                       'left = "largest_training_run_flop"\nright = 1e18\n')
    assert main(["check", "baseline", "pause", "--until", "2016", "--checks", str(failing)]) == 1
    out = capsys.readouterr().out
    assert "tiny runs" in out and "FAIL" in out and "2 failures in 2 scenarios (exit code 1)" in out
    assert main(["check", "basline", "--until", "2016"]) == 2
    assert "unknown scenario 'basline'" in capsys.readouterr().err
    assert main(["check", "baseline", "--checks", str(tmp_path / "none.toml")]) == 2
    assert "cannot read the checks file" in capsys.readouterr().err


def test_aiscale_check_details_prints_conditions_and_sources(capsys):
    assert main(["check", "baseline", "--until", "2014", "--details"]) in (0, 1)
    out = capsys.readouterr().out
    assert "AI power within world electricity: datacenter_power_w <= world_electricity_w" in out
    assert "source: IEA 2025" in out and "baseline: holds: " in out
