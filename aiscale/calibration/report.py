"""Writing a calibration: the scenario file, tables, metadata and figures.

``write_outputs(out, ...)`` writes into ``out``:

* ``calibrated.toml``: the fitted parameters as a scenario file (``name``,
  ``description``, ``[parameters]``) for ``aiscale run --scenario FILE``
* ``calibrated.json``: fit date, data manifest (sha256 of every history file),
  settings, MAP values, priors, posterior intervals, identification, correlations,
  statistics
* ``posterior.csv`` (with MCMC): at most 2000 thinned joint posterior draws of the
  free parameters (one column each), for ensembles that draw them jointly
* ``fit.csv``: per series: points, RMS log10 error, bias, sigma, weight
* ``parameters.csv``: per free parameter: MAP, table value, bounds, prior, posterior
  median and 95% interval, prior 95% interval, posterior/prior width, notes
* ``correlations.csv``: posterior correlations (with MCMC)
* ``residuals.csv``: every fitted observation with the model value and its errors
* ``observations.csv``: the observations used (reloadable with ``--data``)
* ``backtest.csv`` (with ``--until``): per series and held-out year: observed,
  predicted, log10 and % error, and the posterior band
* ``fig_<series>.png`` / ``.svg`` and ``calibration.png`` / ``.svg``: model vs data
  on log scales with the 95% band
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..stocks_flows import atomic_write
from .backtest import Backtest
from .fit import FitResult, curves
from .history import check_manifest, history_dir, manifest, sha256
from .series import SERIES


# ---------------------------------------------------------------------------- scenario file
def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _toml_float(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"cannot write {value!r} to TOML")
    text = repr(float(value))
    return text if any(c in text for c in ".en") else text + ".0"


def scenario_text(parameters: Mapping[str, float], name: str, description: str,
                  comments: list[str] = ()) -> str:
    lines = [f"# {c}" for c in comments]
    lines += [f"name = {_toml_string(name)}", f"description = {_toml_string(description)}", "", "[parameters]"]
    lines += [f"{key} = {_toml_float(value)}" for key, value in parameters.items()]
    return "\n".join(lines) + "\n"


def write_scenario(path: str | Path, parameters: Mapping[str, float], name: str, description: str,
                   comments: list[str] = ()) -> Path:
    """Write a scenario TOML file atomically."""
    text = scenario_text(parameters, name, description, comments)
    import tomllib
    tomllib.loads(text)  # never write a file that does not parse
    path = Path(path)
    atomic_write(path, lambda p: Path(p).write_text(text))
    return path


def scenario_parameters(result: FitResult, digits: int = 4) -> dict[str, float]:
    """The overrides that turn the default (calibrated) model into the fitted one:
    the fitted values rounded to ``digits`` significant digits (far inside their
    intervals, kept within the bounds), plus the table value of every shipped
    calibrated parameter this fit did not fit (the fit started from the table)."""
    from ..model import calibrated_parameters, parameter_table

    table = parameter_table()
    out = {name: float(table.loc[name, "value"]) for name in calibrated_parameters()
           if name not in result.parameters}
    for name, value in result.parameters.items():
        v = float(f"{value:.{digits}g}")
        if name in result.bounds:
            lo, hi = result.bounds[name]
            v = min(max(v, lo), hi)
        out[name] = v
    return out


# ---------------------------------------------------------------------------- metadata
def data_manifest(source: str | Path | None = None) -> dict[str, Any]:
    """What data a fit used: the source, and per file its sha256 and whether it
    matches the shipped manifest."""
    if source is not None and Path(source).suffix.lower() == ".csv":
        return {"source": str(source), "kind": "observations csv", "sha256": sha256(source)}
    directory = Path(source) if source is not None else history_dir()
    changed = set(check_manifest(directory))
    files = []
    for row in manifest().itertuples():
        path = directory / row.file
        files.append({"file": row.file, "series": row.series,
                      "sha256": sha256(path) if path.is_file() else None,
                      "matches_manifest": row.file not in changed, "upstream_source": row.upstream_source})
    return {"source": "shipped aiscale/data/history" if source is None else str(source),
            "kind": "raw history files", "manifest": "aiscale/data/history/MANIFEST.csv", "files": files}


def _clean(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, (np.floating, np.integer)):
        return _clean(x.item())
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    return x


def metadata(result: FitResult, source: str | Path | None = None, bt: Backtest | None = None) -> dict[str, Any]:
    corr = result.correlations
    return _clean({
        "fit_date": result.fit_date,
        "aiscale_version": __version__,
        "until": result.until,
        "free_parameters": result.free,
        "parameters": result.values,
        "fixed": result.fixed,
        "table_defaults": result.defaults,
        "intervals_95": result.intervals.to_dict(orient="records"),
        "priors": {p.name: {"prior": p.describe(), "kind": p.kind, "declared": p.declared, "source": p.source}
                   for p in result.priors},
        "at_bound": result.at_bound,
        "not_identified": result.intervals.loc[~result.intervals["identified"], "parameter"].tolist(),
        "skipped_series": {**result.skipped, **({} if bt is None else bt.skipped)},
        "posterior": None if result.samples is None else {
            "file": "posterior.csv", "draws": len(result.posterior()), "parameters": result.free,
            "note": "thinned joint draws after burn-in; MAP in 'parameters'"},
        "neg_log_posterior": result.neg_log_posterior,
        "correlations": None if corr is None else corr.round(4).to_dict(),
        "poorly_identified": [{"a": a, "b": b, "correlation": r} for a, b, r in result.poorly_identified],
        "statistics": result.statistics.to_dict(orient="records"),
        "weighted_cost": result.cost,
        "converged": result.success,
        "optimizer_message": result.message,
        "model_evaluations": result.evaluations,
        "mcmc_acceptance": result.acceptance,
        "sigma_scale": result.sigma_scale,
        "settings": result.settings,
        "series_rules": {s.name: {"file": s.file, "model_output": s.variable, "sampling": s.sampling,
                                  "years": list(s.years), "sigma_log10": s.sigma, "weight": s.weight,
                                  "rule": s.rule} for s in SERIES.values()},
        "data": data_manifest(source),
        "backtest": None if bt is None else bt.summary.to_dict(orient="records"),
    })


# ---------------------------------------------------------------------------- figures
def figures(result: FitResult, observations: pd.DataFrame, out: Path, bt: Backtest | None = None,
            draws: int = 100, seed: int = 0) -> list[Path]:
    """One figure per series and an overview, model vs data on log scales with the
    95% posterior band; held-out points (backtest) drawn open, the cutoff dashed."""
    from .. import plots

    names = [n for n in SERIES if (observations["series"] == n).any()]
    last = 2025
    years = {n: list(range(max(2012, int(observations.loc[observations["series"] == n, "year"].min()) - 2),
                           max(last, int(observations["year"].max())) + 1)) for n in names}
    model_curves = curves(result, years, draws=draws, seed=seed, dt=result.settings.get("dt"))
    written: list[Path] = []
    for name in model_curves:  # the series whose output the model has
        fig = plots.calibration_series(model_curves[name], observations[observations["series"] == name],
                                       SERIES[name], result.until, note="rule: see fit.csv / calibrated.json")
        written += plots.save(fig, out, f"fig_{name}")
    title = "aiscale calibration" + ("" if result.until is None else f" (fitted to data up to {result.until})")
    written += plots.save(plots.calibration_fit(model_curves, observations, SERIES, result.until, title), out,
                          "calibration")
    return written


# ---------------------------------------------------------------------------- all outputs
def write_outputs(out: str | Path, result: FitResult, observations: pd.DataFrame,
                  bt: Backtest | None = None, source: str | Path | None = None, plots: bool = True,
                  draws: int = 100) -> list[Path]:
    out = Path(out)
    written = []

    def csv(name: str, frame: pd.DataFrame) -> None:
        path = out / name
        atomic_write(path, lambda p: frame.to_csv(p, index=False, float_format="%.6g"))
        written.append(path)

    what = "all data" if result.until is None else f"data up to {result.until}"
    description = (f"Parameters fitted to history ({what}) on {result.fit_date} by aiscale calibrate "
                   f"{__version__}: {', '.join(result.free)}.")
    comments = [f"fit date: {result.fit_date}; data manifest: aiscale/data/history/MANIFEST.csv",
                "values rounded to 4 significant digits; full metadata (intervals, statistics, data "
                "checksums): calibrated.json"]
    written.append(write_scenario(out / "calibrated.toml", scenario_parameters(result), "calibrated", description, comments))
    meta = metadata(result, source, bt)
    path = out / "calibrated.json"
    atomic_write(path, lambda p: Path(p).write_text(json.dumps(meta, indent=2)))
    written.append(path)
    csv("fit.csv", result.statistics)
    csv("parameters.csv", result.intervals)
    if result.samples is not None:
        csv("posterior.csv", result.posterior())
    if result.correlations is not None:
        path = out / "correlations.csv"
        atomic_write(path, lambda p: result.correlations.to_csv(p, float_format="%.4f"))
        written.append(path)
    csv("residuals.csv", result.residuals)
    csv("observations.csv", observations)
    if bt is not None:
        csv("backtest.csv", bt.errors)
    if plots:
        written += figures(result, observations, out, bt, draws=draws)
    return written


# ---------------------------------------------------------------------------- text
def _fmt(x: float) -> str:
    return "nan" if not np.isfinite(x) else f"{x:.4g}"


def summary_text(result: FitResult, bt: Backtest | None = None) -> str:
    from .fit import NOT_IDENTIFIED

    lines = []
    what = "all data" if result.until is None else f"data up to {result.until}"
    lines.append(f"fitted {len(result.free)} parameters to {len(result.observations)} observations ({what}); "
                 f"weighted cost {result.cost:.2f}, {result.evaluations} ensemble runs")
    skipped = {**result.skipped, **({} if bt is None else bt.skipped)}
    for series, variable in skipped.items():
        lines.append(f"note: series {series} skipped: the model has no output {variable}")
    lines.append("")
    iv = result.intervals
    priors = [p.describe().replace(" (from range)", "*") for p in result.priors] or [""] * len(iv)
    width = max(len(n) for n in iv["parameter"])
    pw = max(5, *(len(p) for p in priors))
    lines.append(f"{'parameter':<{width}}  {'prior':<{pw}}  {'MAP':>9}  {'table':>9}  {'median':>9}  "
                 f"{'95% posterior':>21}  {'post/prior':>10}  note")
    for row, prior in zip(iv.itertuples(), priors):
        interval = "" if not np.isfinite(row.p025) else f"[{_fmt(row.p025)}, {_fmt(row.p975)}]"
        median = "" if not np.isfinite(row.median) else _fmt(row.median)
        ratio = "" if not np.isfinite(row.width_ratio) else f"{row.width_ratio:.2f}"
        lines.append(f"{row.parameter:<{width}}  {prior:<{pw}}  {_fmt(row.value):>9}  {_fmt(row.default):>9}  "
                     f"{median:>9}  {interval:>21}  {ratio:>10}  {row.note}".rstrip())
    basis = "MCMC" if result.samples is not None else "Laplace approximation at the MAP"
    lines.append(f"post/prior: 95% width of the posterior ({basis}) over the prior's, of ln x for log-scale "
                 f"priors; above {NOT_IDENTIFIED}: not identified by the data")
    if any(not p.declared for p in result.priors):
        lines.append("* default prior: centred on the table value, the table range as its 90% width "
                     "(aiscale/data/priors.csv declares the others, with sources)")
    lines.append("")
    lines.append(f"{'series':<20} {'points':>6} {'years':>10} {'RMS log10':>10} {'bias':>7} {'weight':>7}")
    for row in result.statistics.itertuples():
        lines.append(f"{row.series:<20} {row.points:>6} {row.years:>10} {row.rms_log10:>10.3f} "
                     f"{row.bias_log10:>+7.3f} {row.weight:>7.2f}")
    if bt is not None:
        lines.append("")
        lines.append(f"backtest: fitted to data up to {bt.until}; errors on the held-out years "
                     f"(log10 error = log10(model / observed))")
        lines.append(f"{'series':<20} {'year':>5} {'observed':>11} {'predicted':>11} {'log10 err':>10} {'% err':>9}")
        for row in bt.errors.itertuples():
            lines.append(f"{row.series:<20} {row.year:>5} {row.observed:>11.4g} {row.predicted:>11.4g} "
                         f"{row.log10_error:>+10.3f} {row.percent_error:>+9.0f}")
        lines.append("")
        lines.append(f"{'series':<20} {'held out':>8} {'RMS log10':>10} {'bias':>7} {'worst year':>10} "
                     f"{'worst':>7} {'median |%|':>10}")
        for row in bt.summary.itertuples():
            lines.append(f"{row.series:<20} {row.held_out_points:>8} {row.rms_log10:>10.3f} {row.bias_log10:>+7.3f} "
                         f"{row.worst_year:>10} {row.worst_log10:>+7.3f} {row.median_abs_percent:>10.0f}")
    return "\n".join(lines)
