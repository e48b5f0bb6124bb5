"""Monte Carlo ensembles: seeded, chunk-invariant, the same on a Dask cluster, retried,
never losing a finished chunk, saved to NetCDF."""

import functools
import os
import uuid
import warnings

import numpy as np
import pytest
import xarray as xr

from aiscale.scenarios.ensemble import (EnsembleError, Settings, monte_carlo, run_chunk, summary_table,
                                        write_netcdf)

SHORT = Settings(stop=2040.0)
N = 48


def data(ds):
    """The dataset without its attributes (which record e.g. the chunk size)."""
    return ds.drop_attrs()


@pytest.fixture(scope="module")
def reference():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return monte_carlo("baseline", N, seed=11, settings=SHORT, chunk_size=N, workers=1)


def test_same_seed_same_ensemble_and_chunking_changes_nothing(reference):
    again = monte_carlo("baseline", N, seed=11, settings=SHORT, chunk_size=N, workers=1)
    xr.testing.assert_identical(data(reference), data(again))
    for chunk_size, workers in ((7, 1), (20, 2)):
        chunked = monte_carlo("baseline", N, seed=11, settings=SHORT, chunk_size=chunk_size, workers=workers)
        xr.testing.assert_identical(data(reference), data(chunked))
    other = monte_carlo("baseline", N, seed=12, settings=SHORT, chunk_size=N, workers=1)
    assert not np.array_equal(other["research_returns"].values, reference["research_returns"].values)


def test_members_equal_single_fixed_step_runs(reference):
    from aiscale.model import DEFAULT_BLOWUP
    from aiscale.scenarios import load_scenario
    from aiscale.scenarios.ensemble import scenario_model

    model = scenario_model(load_scenario("baseline"))
    names = [n for n in reference.data_vars if reference[n].dims == ("run",) and n in model.parameters]
    for i in (0, 17):
        r = model.run(2012, 2040, method="rk4", dt=0.25, saveper=0.25, log_space="always", blowup=DEFAULT_BLOWUP,
                      parameters={n: float(reference[n].values[i]) for n in names})
        yearly = r.frame["largest_training_run_flop"].loc[reference["time"].values[:len(r.frame.loc[::4])]]
        np.testing.assert_array_equal(reference["largest_training_run_flop"].values[i, :len(yearly)], yearly.to_numpy())


def test_blowups_keep_their_time_and_leave_no_nan(reference):
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
