"""Monte Carlo ensembles: posterior-predictive and matched to history (or prior-only,
labelled), members that agree with adaptive single runs, seeded, chunk-invariant, the
same on a Dask cluster, retried, never losing a finished chunk, saved to NetCDF."""

import functools
import os
import uuid
import warnings

import numpy as np
import pytest
import xarray as xr

from aiscale.scenarios.dataset import summary_table, write_netcdf
from aiscale.scenarios.ensemble import EnsembleError, Settings, monte_carlo, run_chunk

SHORT = Settings(stop=2040.0)
FIXED = Settings(stop=2040.0, method="rk4", dt=0.25)
N = 48


def data(ds):
    """The dataset without its attributes (which record e.g. the chunk size)."""
    return ds.drop_attrs()


@pytest.fixture(scope="module")
def reference():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return monte_carlo("baseline", N, seed=11, settings=SHORT, chunk_size=N, workers=1)


@pytest.fixture(scope="module")
def prior():
    # seed 39: one member blows up (RK4 at 2030.43; the adaptive run of its parameters at 2030.50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return monte_carlo("baseline", N, seed=39, settings=FIXED, chunk_size=N, workers=1, prior_only=True)


def test_same_seed_same_ensemble_and_chunking_changes_nothing(reference):
    again = monte_carlo("baseline", N, seed=11, settings=SHORT, chunk_size=N, workers=1)
    xr.testing.assert_identical(data(reference), data(again))
    for chunk_size, workers in ((7, 1), (20, 2)):
        chunked = monte_carlo("baseline", N, seed=11, settings=SHORT, chunk_size=chunk_size, workers=workers)
        xr.testing.assert_identical(data(reference), data(chunked))
    other = monte_carlo("baseline", N, seed=12, settings=SHORT, chunk_size=N, workers=1)
    assert not np.array_equal(other["price_performance_growth_per_year"].values,
                              reference["price_performance_growth_per_year"].values)


def test_where_shared_memory_is_refused_results_come_back_through_pipes(reference, monkeypatch):
    import aiscale.scenarios.ensemble as ensemble

    class Refused(ensemble.SharedArrays):
        def __init__(self, *args):
            raise OSError("memfd_create: operation not permitted")

    monkeypatch.setattr(ensemble, "SharedArrays", Refused)
    ds = monte_carlo("baseline", N, seed=11, settings=SHORT, chunk_size=20, workers=2)
    xr.testing.assert_identical(data(reference), data(ds))


def test_members_equal_single_fixed_step_runs(prior):
    reference = prior
    from aiscale.model import DEFAULT_BLOWUP
    from aiscale.scenarios import load_scenario
    from aiscale.scenarios.ensemble import scenario_model

    model = scenario_model(load_scenario("baseline"))
    names = [n for n in reference.data_vars if reference[n].dims == ("run",) and n in model.parameters]
    for i in (0, 17):
        r = model.run(2012, 2040, method="rk4", dt=0.25, saveper=0.25, log_space=False, blowup=DEFAULT_BLOWUP,
                      parameters={n: float(reference[n].values[i]) for n in names})
        yearly = r.frame["largest_training_run_flop"].loc[reference["time"].values[:len(r.frame.loc[::4])]]
        np.testing.assert_array_equal(reference["largest_training_run_flop"].values[i, :len(yearly)], yearly.to_numpy())


def test_members_agree_with_adaptive_single_runs(reference):
    """Each member is integrated on its own adaptive step: its milestone years are those
    of ``aiscale.run`` with the same parameters (RK45, rtol 1e-6) within 0.05 years."""
    import aiscale
    from aiscale.scenarios.metrics import run_metrics

    names = [n for n in reference.data_vars if reference[n].dims == ("run",) and n in aiscale.build_model().parameters]
    checked = 0
    for i in range(0, N, 12):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            single = aiscale.run("baseline", stop=2040.0, parameters={n: float(reference[n].values[i]) for n in names})
        if single.stats.get("status") == "solver-failure":  # the reference itself failed: nothing to compare
            continue
        metrics = run_metrics(single)
        checked += 1
        for key, value in metrics.items():
            if not key.endswith(("_year", "_years")) or key not in reference:
                continue
            member = float(reference[key].values[i])
            assert np.isnan(member) == np.isnan(value), (i, key, member, value)
            if not np.isnan(member):
                assert abs(member - value) <= 0.05, (i, key, member, value)
    assert checked >= 3


def test_posterior_predictive_members_match_history_and_say_why_draws_were_rejected(reference, prior):
    import json

    assert (reference["history_plausible"].values == 1).all()
    assert np.isfinite(reference["history_max_sigmas"].values).all()
    assert (reference["history_max_sigmas"].values <= reference.attrs["history_tolerance_sigmas"]).all()
    attrs = reference.attrs
    assert attrs["members"] == N and attrs["draws_total"] >= N and attrs["prior_only"] == 0
    assert attrs["draws_rejected"] == attrs["draws_failing_history"] + attrs["draws_inconsistent_start"]
    assert attrs["draws_total"] - attrs["draws_rejected"] >= N  # plausible draws beyond N are not kept
    reasons = json.loads(attrs["rejection_reasons"])
    assert sum(reasons.values()) >= attrs["draws_rejected"] and all(v > 0 for v in reasons.values())
    assert "posterior-predictive" in attrs["conditioning"] and "posterior.csv" in attrs["conditioning"]
    # the fitted parameters come from the calibration posterior's rows, jointly
    from aiscale.model.parameters import posterior_samples

    post = posterior_samples()
    fitted = attrs["posterior_parameters"].split(", ")
    assert fitted and set(fitted) <= set(post.columns)
    rows = {tuple(r) for r in post[fitted].to_numpy()}
    assert all(tuple(reference[f].values[i] for f in fitted) in rows for i in range(N))
    assert "calibration posterior" in reference[fitted[0]].attrs["distribution"]
    # prior-only: nothing rejected, labelled, the history check still counted
    assert prior.attrs["prior_only"] == 1 and prior.attrs["draws_rejected"] == 0 and prior.attrs["members"] == N
    assert prior.attrs["conditioning"].startswith("prior only") and "NOT conditioned" in prior.attrs["conditioning"]
    assert prior.attrs["draws_failing_history"] == int((prior["history_plausible"].values == 0).sum()) > 0


def test_blowups_keep_their_time_and_leave_no_nan(prior):
    reference = prior
    stop, blowup = reference["stop_time"].values, reference["blowup_time"].values
    blew = ~np.isnan(blowup)
    assert blew.any() and (~blew).any()
    assert (blowup[blew] <= stop[blew]).all() and (stop[~blew] == 2040.0).all()
    np.testing.assert_array_equal(reference["blowup_year"].values, blowup)
    for name in ("largest_training_run_flop", "effective_compute_flop", "automation_fraction"):
        assert np.isfinite(reference[name].values).all(), name
    q = reference["metric_quantiles"]
    assert (q.sel(metric="run_1e26_year").values[:1] < np.inf).all()
    shares = reference["binding_share"].sum("constraint").values
    np.testing.assert_allclose(shares, 1.0)
    table = summary_table(reference)
    assert {"metric", "p5", "p50", "p95", "reached"} <= set(table.columns)


def test_netcdf_round_trip_and_atomic_write(reference, tmp_path):
    path = write_netcdf(reference, tmp_path / "e.nc")
    back = xr.open_dataset(path, engine="h5netcdf").load()
    xr.testing.assert_identical(data(reference), data(back))
    assert back.attrs["scenario"] == "baseline" and back.attrs["seed"] == 11
    assert [p.name for p in tmp_path.iterdir()] == ["e.nc"]

    bad = reference.copy()
    bad.attrs["not_storable"] = {"a": 1}  # a dict attribute fails half-way through the write
    with pytest.raises(Exception):
        write_netcdf(bad, tmp_path / "f.nc")
    assert [p.name for p in tmp_path.iterdir()] == ["e.nc"]


# ---------------------------------------------------------------------- failures and retries
def flaky(scenario, chunk, settings, marker_dir, fail_chunk, failures):
    """run_chunk, except that chunk ``fail_chunk`` fails its first ``failures`` attempts."""
    if chunk.index == fail_chunk:
        attempts = len(os.listdir(marker_dir))
        with open(os.path.join(marker_dir, uuid.uuid4().hex), "w"):
            pass
        if attempts < failures:
            raise RuntimeError(f"injected failure {attempts + 1}")
    return run_chunk(scenario, chunk, settings)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failed_chunk_is_retried_locally(reference, tmp_path, workers):
    runner = functools.partial(flaky, marker_dir=str(tmp_path), fail_chunk=1, failures=2)
    ds = monte_carlo("baseline", N, seed=11, settings=SHORT, chunk_size=16, workers=workers, retries=2,
                     runner=runner)
    xr.testing.assert_identical(data(reference), data(ds))
    assert len(os.listdir(tmp_path)) == 3


def test_a_chunk_that_keeps_failing_loses_no_finished_chunk(tmp_path):
    runner = functools.partial(flaky, marker_dir=str(tmp_path), fail_chunk=1, failures=99)
    with pytest.raises(EnsembleError, match=r"chunk 1 \(runs 16-31\) failed after 1 retries") as info:
        monte_carlo("baseline", N, seed=11, settings=SHORT, chunk_size=16, workers=1, retries=1, runner=runner)
    finished = info.value.finished
    assert finished and 1 not in finished  # whatever finished before the failure is kept
    assert all(part["stop_time"].shape == (16,) for part in finished.values())


@pytest.fixture(scope="module")
def cluster():
    from dask.distributed import LocalCluster

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                         dashboard_address=None, silence_logs=50)
    yield c
    c.close()


def test_a_dask_cluster_on_loopback_gives_exactly_the_local_result(reference, cluster):
    assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    ds = monte_carlo("baseline", N, seed=11, settings=SHORT, chunk_size=10, scheduler=cluster.scheduler_address)
    xr.testing.assert_identical(data(reference), data(ds))


def test_the_cluster_retries_a_failed_chunk_and_reports_one_that_keeps_failing(reference, cluster, tmp_path):
    once = tmp_path / "once"
    once.mkdir()
    runner = functools.partial(flaky, marker_dir=str(once), fail_chunk=2, failures=1)
    ds = monte_carlo("baseline", N, seed=11, settings=SHORT, chunk_size=10, scheduler=cluster.scheduler_address,
                     retries=2, runner=runner)
    xr.testing.assert_identical(data(reference), data(ds))
    always = tmp_path / "always"
    always.mkdir()
    runner = functools.partial(flaky, marker_dir=str(always), fail_chunk=2, failures=99)
    with pytest.raises(EnsembleError, match=r"chunk 2 \(runs 20-29\) failed after 1 retries") as info:
        monte_carlo("baseline", N, seed=11, settings=SHORT, chunk_size=10, scheduler=cluster.scheduler_address,
                    retries=1, runner=runner)
    assert 2 not in info.value.finished and len(os.listdir(always)) == 2


# ---------------------------------------------------------------------- acceptance against history
@pytest.fixture(scope="module")
def baseline_to_2027():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return monte_carlo("baseline", 400, seed=0, settings=Settings(stop=2027.0), workers=2)


def _training_compute(ds):
    pick = ds["observed_series"].values == "training_compute"
    years = ds["observed_year"].values[pick]
    observed = np.log10(ds["observed_value"].values[pick])
    model = np.log10(ds["history_model_value"].values[:, pick])
    return years, observed, np.quantile(model, [0.1, 0.5, 0.9], axis=0)


def test_baseline_band_of_2020_2025_is_within_one_order_of_magnitude_of_history(baseline_to_2027):
    years, observed, (p10, _, p90) = _training_compute(baseline_to_2027)
    recent = years >= 2020
    assert recent.sum() == 6
    assert (p10[recent] >= observed[recent] - 1).all() and (p90[recent] <= observed[recent] + 1).all(), (
        p10[recent] - observed[recent], p90[recent] - observed[recent])


def test_baseline_median_2025_largest_run_is_within_0_3_orders_of_magnitude_of_the_record(baseline_to_2027):
    """The largest run at mid-2025 (the calibration's sampling) against the record to
    date (Grok 4, 5e26 FLOP)."""
    years, observed, (_, median, _) = _training_compute(baseline_to_2027)
    gap = median[years == 2025][0] - observed[years == 2025][0]
    assert abs(gap) <= 0.3, gap


def test_ensembles_of_presets_work_the_same_way():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = monte_carlo("ftm-best-guess", 24, seed=2, settings=Settings(stop=2030.0), workers=1)
    assert ds.attrs["scenario"] == "ftm-best-guess" and ds.sizes["run"] == 24
    assert (ds["history_plausible"].values == 1).all() and ds.attrs["conditioning"].startswith("posterior-predictive")
    for name in ("largest_training_run_flop", "effective_compute_flop", "ai_spending_usd_per_year"):
        assert np.isfinite(ds[name].values).all(), name


def test_the_figures_show_the_evidence(reference):
    import matplotlib

    matplotlib.use("Agg")
    from aiscale import plots

    fig = plots.ensemble_fan_chart(reference)
    largest = fig.axes[0]
    observed = [c for c in largest.collections if c.get_label().startswith("observed")]
    assert observed and len(observed[0].get_offsets()) == int((reference["observed_variable"].values
                                                              == "largest_training_run_flop").sum())
    assert any("Conditioned on: posterior-predictive" in t.get_text() for ax in fig.axes for t in ax.texts)
    fig = plots.milestone_distributions(reference, keys=("run_1e30_year", "automation_100_year"))
    for ax, key in zip(fig.axes, ("run_1e30_year", "automation_100_year")):
        bars = list(ax.patches)
        never = float(np.isnan(reference[key].values).mean())
        grey = [p for p in bars if abs(p.get_x() - (2040.0 + 3.0 - 1.0)) < 1e-9]
        assert len(grey) == 1 and grey[0].get_height() == pytest.approx(never)
        assert any(label.get_text().startswith("not by") for label in ax.get_xticklabels())
    import matplotlib.pyplot as plt

    plt.close("all")


def test_no_member_stops_at_the_start_draws_inconsistent_with_it_are_replaced_and_counted(monkeypatch):
    """Prior-only draws whose 2012 state the watchdog would stop at once are not members:
    they are counted, with the stock that makes them inconsistent, and replaced. Under
    the model's own watchdog no baseline prior draw is (capex closes its gap to what
    investors want in logs, so even a draw that wants 30x the 2012 capex grows at 4.5 a
    year, not 40); a watchdog that calls growth above 5 a year a blow-up finds some (a
    2012 chip budget that buys several times the 2012 fleet's purchases)."""
    import json

    import aiscale.model
    from aiscale.scenarios import load_scenario
    from aiscale.scenarios.ensemble import conditioning, draw, scenario_model
    from aiscale.scenarios.matching import start_inconsistencies
    from aiscale.stocks_flows import BlowUp
    from aiscale.stocks_flows.ensemble import run_adaptive

    strict = BlowUp(max_value=1e200, max_growth_rate=5.0)
    n, settings = 300, Settings(stop=2030.0, method="rk4")
    scenario = load_scenario("baseline")
    marginals = scenario.uncertainty()
    cond, posterior = conditioning(scenario, marginals, True, settings)
    draws = draw(scenario, marginals, n, 3, 0, cond, posterior)
    model = scenario_model(scenario)
    assert (start_inconsistencies(model, draws, 2012.0, aiscale.model.DEFAULT_BLOWUP) == "").all()
    monkeypatch.setattr(aiscale.model, "DEFAULT_BLOWUP", strict)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = monte_carlo("baseline", n, seed=3, settings=settings, prior_only=True, workers=1)
    assert ds.sizes["run"] == n
    assert not (ds["blowup_time"].values <= 2012.0 + 1e-9).any()
    bad = ds.attrs["draws_inconsistent_start"]
    assert bad > 0 and ds.attrs["draws_total"] >= n + bad and ds.attrs["draws_rejected"] == bad
    culprits = json.loads(ds.attrs["start_inconsistencies"])
    assert sum(culprits.values()) == bad
    from aiscale.scenarios.commands import history_line

    said = history_line(ds)
    assert f"{bad} of {ds.attrs['draws_total']} draws are inconsistent with the 2012 start" in said
    assert "replaced, not run" in said and all(name in said for name in culprits)
    assert f"of {n} members" in said  # the history check (not applied) counts the members kept
    # the check is not vacuous: the draws it refuses stop at the first step, the others do not
    culprit = start_inconsistencies(model, draws, 2012.0, strict)
    assert (culprit != "").sum() > 0
    r = run_adaptive(model, draws, 2012.0, 2013.0, rtol=1e-5, blowup=strict)
    np.testing.assert_array_equal(r["blowup_time"] == 2012.0, culprit != "")
    # checked in blocks (so the memory held does not grow with the ensemble), the same verdicts
    import aiscale.scenarios.matching as matching

    monkeypatch.setattr(matching, "START_CHECK_BLOCK", 37)
    np.testing.assert_array_equal(start_inconsistencies(model, draws, 2012.0, strict), culprit)


def test_draws_that_fail_history_stop_at_its_end_and_the_others_are_as_in_one_pass():
    """Matching history, a chunk integrates every draw to the end of history only, and
    goes on with the draws that match it: their results equal those of one pass, and
    the history check of every draw is the one-pass check."""
    import dataclasses

    from aiscale.scenarios import load_scenario
    from aiscale.scenarios.ensemble import conditioning, draw
    from aiscale.scenarios.execution import Chunk

    scenario = load_scenario("baseline")
    marginals = scenario.uncertainty()
    cond, posterior = conditioning(scenario, marginals, False, SHORT)
    matched = draw(scenario, marginals, 30, 5, 0, cond, posterior)
    prior = draw(scenario, marginals, 10, 5, 0, *conditioning(scenario, marginals, True, SHORT))  # most fail history
    draws = {k: np.concatenate([matched[k], prior[k]]) for k in matched}
    once = run_chunk(scenario, Chunk(0, 0, 40, draws), SHORT)
    screened = run_chunk(scenario, Chunk(0, 0, 40, draws), dataclasses.replace(SHORT, match_history=True))
    ok = once["history"]["plausible"]
    assert ok.any() and (~ok).any()
    for key, value in once["history"].items():
        np.testing.assert_array_equal(screened["history"][key], value)
    for key, value in once["metrics"].items():
        np.testing.assert_array_equal(screened["metrics"][key][ok], value[ok])
        assert np.isnan(screened["metrics"][key][~ok]).all()
    for name, value in once["series"].items():
        np.testing.assert_array_equal(screened["series"][name][ok], value[ok])
    np.testing.assert_array_equal(screened["binding"][ok], once["binding"][ok])
    np.testing.assert_array_equal(screened["stop_time"][ok], once["stop_time"][ok])


def test_plausible_ranges_are_remembered_on_disk_keyed_on_the_model(tmp_path, monkeypatch):
    from aiscale.scenarios import ensemble, load_scenario, matching

    calls = []

    def scan(model, marginals, names, start, saveper, rtol):
        calls.append(names)
        return {name: (0.25, 0.75) for name in names}

    scenario = load_scenario("baseline")
    model = ensemble.scenario_model(scenario)
    other = ensemble.scenario_model(load_scenario("pause"))
    assert model.plan.kernel and other.plan.kernel  # compiled (or loaded) before the cache moves
    monkeypatch.setenv("AISCALE_CACHE", str(tmp_path))
    monkeypatch.setattr(matching, "plausible_ranges", scan)
    marginals = tuple(sorted(scenario.uncertainty().items()))
    names = ("ai_spending_2012", "reinvestment_ratio")
    ensemble._ranges.cache_clear()
    try:
        first = ensemble._ranges(ensemble._ModelKey(scenario), marginals, names, 2012.0, 0.25, 1e-5)
        ensemble._ranges.cache_clear()  # a new process: read from disk, not scanned again
        again = ensemble._ranges(ensemble._ModelKey(scenario), marginals, names, 2012.0, 0.25, 1e-5)
        assert first == again == {name: (0.25, 0.75) for name in names} and len(calls) == 1
        assert len(list((tmp_path / "ranges").glob("*.json"))) == 1
        key = ensemble._ranges_key(model, marginals, names, 2012.0, 0.25, 1e-5)
        assert key != ensemble._ranges_key(model, marginals, names, 2012.0, 0.25, 1e-4)
        assert key != ensemble._ranges_key(other, marginals, names, 2012.0, 0.25, 1e-5)
    finally:
        ensemble._ranges.cache_clear()


def test_a_chunk_runs_only_its_draws_that_can_start(monkeypatch):
    """Checking its own draws against the start, a chunk runs the others only, with the
    results they have on their own; a chunk of draws none of which can start returns
    no member (and every array with its shape)."""
    import dataclasses

    import aiscale.model
    from aiscale.scenarios import load_scenario
    from aiscale.scenarios.ensemble import conditioning, draw, scenario_model
    from aiscale.scenarios.execution import Chunk
    from aiscale.scenarios.matching import start_inconsistencies
    from aiscale.stocks_flows import BlowUp

    strict = BlowUp(max_value=1e200, max_growth_rate=5.0)
    scenario = load_scenario("baseline")
    marginals = scenario.uncertainty()
    draws = draw(scenario, marginals, 120, 3, 0, *conditioning(scenario, marginals, True))
    culprit = start_inconsistencies(scenario_model(scenario), draws, 2012.0, strict)
    good = culprit == ""
    assert good.any() and not good.all()
    monkeypatch.setattr(aiscale.model, "DEFAULT_BLOWUP", strict)
    settings = Settings(stop=2016.0, method="rk4", check_start=True)
    out = run_chunk(scenario, Chunk(0, 0, len(good), draws), settings)
    np.testing.assert_array_equal(out["start"], culprit)
    alone = run_chunk(scenario, Chunk(0, 0, int(good.sum()), {k: v[good] for k, v in draws.items()}),
                      dataclasses.replace(settings, check_start=False))
    for part in ("metrics", "series", "history"):
        for key, value in alone[part].items():
            np.testing.assert_array_equal(out[part][key], value)
    none = run_chunk(scenario, Chunk(0, 0, int((~good).sum()), {k: v[~good] for k, v in draws.items()}), settings)
    assert (none["start"] != "").all() and none["stop_time"].shape == (0,)
    for part in ("series", "history"):
        for key, value in alone[part].items():
            assert none[part][key].shape == (0, *value.shape[1:]) and none[part][key].dtype == value.dtype


def test_rounds_keep_their_members_in_order_copied_once():
    from aiscale.scenarios.ensemble import take

    first = {"x": np.arange(5.0), "times": np.arange(3.0), "h": {"y": np.arange(10).reshape(5, 2)}}
    second = {"x": np.arange(5.0, 8.0), "times": np.arange(3.0), "h": {"y": np.arange(10, 16).reshape(3, 2)}}
    out = take([(first, np.array([0, 2])), (second, None)])
    np.testing.assert_array_equal(out["x"], [0, 2, 5, 6, 7])
    np.testing.assert_array_equal(out["h"]["y"], [[0, 1], [4, 5], [10, 11], [12, 13], [14, 15]])
    assert out["times"] is first["times"]
    assert take([(first, None)])["x"] is first["x"]  # one round kept whole: not copied


def test_quantiles_over_runs_are_numpys():
    from aiscale.scenarios.dataset import QUANTILES, _metric_quantiles, _quantiles_over_runs

    values = np.exp(np.random.default_rng(0).normal(size=(1001, 5)) * 30)
    values[::3, 1], values[7, 2], values[:, 4] = np.nan, np.inf, 1.0
    np.testing.assert_array_equal(_quantiles_over_runs(values), np.quantile(values, QUANTILES, axis=0))
    table = values.T.copy()  # (metric, run); NaN: never reached
    np.testing.assert_array_equal(_metric_quantiles(table), np.quantile(
        np.where(np.isnan(table), np.inf, table), QUANTILES, axis=1, method="inverted_cdf").T)


def test_quantiles_over_many_runs_are_numpys_whichever_thread_computes_them():
    """Large ensembles' quantiles are computed row by row on several threads: numpy's
    quantiles of the same rows, bit for bit (both methods the datasets use)."""
    from aiscale.scenarios.dataset import QUANTILES, _metric_quantiles, _quantiles_over_runs

    values = np.random.default_rng(2).lognormal(size=(5_000, 40))
    np.testing.assert_array_equal(_quantiles_over_runs(values), np.quantile(values, QUANTILES, axis=0))
    table = values[:, :30].T.copy()
    table[3, ::7] = np.nan  # never reached: +inf, a data point
    want = np.quantile(np.where(np.isnan(table), np.inf, table), QUANTILES, axis=1, method="inverted_cdf").T
    np.testing.assert_array_equal(_metric_quantiles(table), want)
