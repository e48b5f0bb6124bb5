"""The dataset of a Monte Carlo ensemble (:func:`.ensemble.monte_carlo`): per-run draws,
metrics, stop and blow-up times and yearly series, their summaries over runs, each
member's history check and the observations it used, and what the distribution is
conditioned on; written to NetCDF and summarised as a table."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from ..stocks_flows import atomic_write
from .distributions import Distribution, correlation_matrix
from .metrics import BINDING, BY_KEY, METRICS
from .scenario import Scenario, base_model

if TYPE_CHECKING:
    from .ensemble import Conditioning, Settings

QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)


def assemble(scenario: Scenario, draws: Mapping[str, np.ndarray],
             marginals: Mapping[str, tuple[Distribution, float | None, float | None]], out: Mapping[str, Any],
             settings: Settings, seed: int, chunk_size: int, cond: Conditioning | None = None,
             matching: Mapping[str, Any] | None = None) -> xr.Dataset:
    """The ensemble dataset: per-run draws, metrics and series, their summaries, the
    history check of every member and the observations it used."""
    from .. import __version__
    from .matching import observations

    model = base_model()
    n = len(out["stop_time"])
    data: dict[str, Any] = {}
    for name, values in draws.items():
        p = model.parameters[name]
        source = ("joint calibration posterior (aiscale/data/posterior.csv)" if cond and name in cond.fitted
                  else marginals[name][0].describe())
        data[name] = xr.Variable(("run",), values, {"units": p.unit or "", "distribution": source,
                                                    "long_name": p.doc})
    for key, values in out["metrics"].items():
        m = BY_KEY[key]
        data[key] = xr.Variable(("run",), values, {"units": m.unit, "long_name": m.label,
                                                  "note": "NaN: not reached before the run stopped"})
    data["stop_time"] = xr.Variable(("run",), out["stop_time"], {"units": "year",
                                    "long_name": "when the run stopped (the end, or its blow-up)"})
    data["blowup_time"] = xr.Variable(("run",), out["blowup_time"], {"units": "year",
                                      "long_name": "time of the finite-time blow-up (NaN: none)"})
    for name, values in out["series"].items():
        unit = model.element(name).unit or ""
        data[name] = xr.Variable(("run", "time"), values, {"units": unit, "long_name": model.element(name).doc,
                                 "note": "a member that blew up is held at its last finite state"})
        data[f"{name}_quantiles"] = xr.Variable(("quantile", "time"), _quantiles_over_runs(values), {"units": unit})
    if "history" in out:
        data["history_max_sigmas"] = xr.Variable(("run",), out["history"]["max_sigmas"], {
            "long_name": "largest |log10(model / observed)| over the 2012-2025 observations, in sigmas "
                         "(inf: stopped before 2026)"})
        data["history_plausible"] = xr.Variable(("run",), out["history"]["plausible"].astype(np.int8), {
            "long_name": "1: matches every observation within the tolerance"})
    obs = observations()
    data["observed_value"] = xr.Variable(("observation",), obs["value"].to_numpy(dtype=float),
                                         {"long_name": "the historical observations the members were checked against"})
    if "history" in out:
        model_obs = np.full((n, len(obs)), np.nan)
        used = _observation_index(obs, matching)
        model_obs[:, used] = 10.0 ** out["history"]["model_log10"]
        data["history_model_value"] = xr.Variable(("run", "observation"), model_obs, {
            "long_name": "each member's value for each observation (sampled as the calibration does; NaN: the "
                         "model lacks that series' output)"})
    data["binding_constraint"] = xr.Variable(("run", "time"), out["binding"].astype(np.int8, copy=False), {
        "flag_values": np.arange(len(BINDING), dtype=np.int8), "flag_meanings": " ".join(BINDING),
        "long_name": "binding constraint on the largest run (policy: an intervention holds it down)"})
    shares = np.stack([(out["binding"] == k).mean(axis=0) for k in range(len(BINDING))])
    data["binding_share"] = xr.Variable(("constraint", "time"), shares,
                                        {"long_name": "share of runs in which each constraint binds"})
    table = np.stack([out["metrics"][m.key] for m in METRICS])
    data["metric_quantiles"] = xr.Variable(("metric", "quantile"), _metric_quantiles(table), {
        "note": "+inf: that share of runs never reaches the milestone"})
    data["metric_reached_share"] = xr.Variable(("metric",), np.mean(~np.isnan(table), axis=1))
    names = sorted(draws)
    data["rank_correlation"] = xr.Variable(("parameter", "parameter_2"),
                                           correlation_matrix(names, scenario.correlations),
                                           {"long_name": "Spearman rank correlations of the Gaussian copula"})
    coords = {"run": np.arange(n), "time": out["times"], "quantile": list(QUANTILES),
              "constraint": list(BINDING), "metric": [m.key for m in METRICS], "parameter": names,
              "parameter_2": names, "observation": np.arange(len(obs)),
              "observed_series": ("observation", obs["series"].to_numpy(dtype=str)),
              "observed_year": ("observation", obs["year"].to_numpy(dtype=int)),
              "observed_variable": ("observation", np.array([_variable(s) for s in obs["series"]], dtype=str))}
    attrs = {"title": f"aiscale Monte Carlo ensemble: {scenario.name}", "scenario": scenario.name,
             "scenario_description": scenario.description, "scenario_toml": scenario.to_toml(),
             "members": n, "seed": seed, "chunk_size": chunk_size, "method": settings.method,
             "dt": settings.dt, "saveper": settings.saveper, "start": settings.start, "stop": settings.stop,
             "aiscale_version": __version__, "varied_parameters": len(draws),
             "metric_labels": "; ".join(f"{m.key}: {m.label}" for m in METRICS), "integration": settings.describe(),
             "rtol": settings.rtol, **(matching or {})}
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _observation_index(obs, matching: Mapping[str, Any] | None) -> np.ndarray:
    """Positions in ``obs`` of the observations the history check used (those of
    series the model has, within the run)."""
    keys = json.loads((matching or {}).get("history_keys", "[]"))
    index = {(s, int(y)): i for i, (s, y) in enumerate(zip(obs["series"], obs["year"]))}
    return np.array([index[(s, int(y))] for s, y in keys], dtype=int)


def _variable(series: str) -> str:
    from ..calibration.series import SERIES

    return SERIES[series].variable


def _quantiles_over_runs(values: np.ndarray) -> np.ndarray:
    """(quantile, time) of a (run, time) series: ``np.quantile(values, QUANTILES,
    axis=0)``, the same numbers, with each time's runs partitioned as one contiguous row
    (twice as fast for a large ensemble as partitioning down the columns)."""
    return _row_quantiles(values.T.copy(), "linear").T


def _row_quantiles(rows: np.ndarray, method: str) -> np.ndarray:
    """(row, quantile) of each row of ``rows`` (partitioned in place), rows spread over
    the machine's cores (numpy partitions without holding the GIL; the ensemble's
    workers are done by now)."""
    def one(row: np.ndarray) -> np.ndarray:
        return np.quantile(row, QUANTILES, method=method, overwrite_input=True)

    threads = min(os.cpu_count() or 1, 8, len(rows))
    if threads <= 1 or rows.size < 100_000:
        return np.stack([one(row) for row in rows])
    with ThreadPoolExecutor(threads) as pool:
        return np.stack(list(pool.map(one, rows)))


def _metric_quantiles(table: np.ndarray) -> np.ndarray:
    """(metric, quantile): quantiles over runs with "never reached" as +inf (a data
    point, not interpolated, so that an unreached share shows as inf)."""
    filled = np.where(np.isnan(table), np.inf, table)  # a copy, one contiguous row per metric
    return _row_quantiles(filled, "inverted_cdf")


def write_netcdf(ds: xr.Dataset, path: str | Path) -> Path:
    """Write the dataset to NetCDF (HDF5) atomically: a failed write leaves no file."""
    path = Path(path)
    atomic_write(path, lambda p: ds.to_netcdf(p, engine="h5netcdf"))
    return path


def summary_table(ds: xr.Dataset, keys: Sequence[str] | None = None):
    """Quantiles and reached-share of each metric, one row per metric (a DataFrame)."""
    import pandas as pd

    rows = []
    for key in keys or [m.key for m in METRICS]:
        q = ds["metric_quantiles"].sel(metric=key).values
        m = BY_KEY[key]
        rows.append({"metric": m.label, **{f"p{round(qq * 100)}": _fmt_quantile(m, v) for qq, v in zip(QUANTILES, q)},
                     "reached": f"{float(ds['metric_reached_share'].sel(metric=key)):.0%}"})
    return pd.DataFrame(rows)


def _fmt_quantile(metric, value: float) -> str:
    if np.isinf(value):
        return "never"
    return metric.format(float(value))
