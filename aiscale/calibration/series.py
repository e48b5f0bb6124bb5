"""The calibration series: each historical series, the model output it is compared
with, the comparison rule and its weight.

Every series is yearly (one observation per calendar year) so that a backtest can
hold out whole years. Residuals are ``log10(model) - log10(observed)``; a series'
weight is ``1 / sigma**2`` with ``sigma`` the scatter (orders of magnitude) expected
of one point from measurement error and from the mismatch between what was measured
and what the model represents. ``SERIES`` documents every rule; ``aiscale calibrate``
prints them and ``series_table()`` gives them as a table. A series whose model output
a model lacks is skipped with a note (:func:`model_series`), so the series can name
outputs a model version does not have yet.

Model-side sampling of an output ``x(t)`` for calendar year ``Y``:

* ``mid-year``: ``x(Y + 0.5)``
* ``year-end``: ``x(Y + 1)``, for run-rates and capacities reported at year end
* ``annual-mean``: the mean of ``x`` over ``[Y, Y + 1]`` (trapezoid on the quarterly
  output), for flows reported as yearly totals (revenue, capex, shipments)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .history import HistoryError, Record, history_dir, load_observations_csv, observations_frame, read_records

SAMPLINGS = ("mid-year", "year-end", "annual-mean")
H100_DENSE_BF16_FLOP_PER_S = 9.894e14  # NVIDIA H100 SXM5, epoch_ml_hardware_trimmed.csv
# Export-control variants (cut-down chips for China) are not frontier price-performance.
EXPORT_VARIANTS = ("H20", "H800", "A800", "L20")


@dataclass(frozen=True)
class Series:
    name: str
    title: str
    file: str
    variable: str
    unit: str
    sampling: str
    sigma: float
    years: tuple[int, int]
    rule: str
    derive: Callable[[Series, Path], list[dict]]

    @property
    def weight(self) -> float:
        return 1.0 / self.sigma ** 2

    def observation(self, year: int, value: float, records: list[Record], note: str = "") -> dict:
        return {"series": self.name, "year": int(year), "value": float(value), "unit": self.unit,
                "source": self.file, "rows": " ".join(str(r.line) for r in records), "note": note}

    def in_years(self, year: int) -> bool:
        return self.years[0] <= year <= self.years[1]


def _select(path: Path, required: tuple[str, ...], **equal: str) -> list[Record]:
    return [r for r in read_records(path, required) if all(r.text(k) == v for k, v in equal.items())]


# ---------------------------------------------------------------------------- derivations
def _training_compute(s: Series, path: Path) -> list[dict]:
    records = _select(path, ("date", "value", "entity", "metric"), metric="annual_max_training_compute")
    by_year = sorted(((r.year(), r.number("value"), r) for r in records), key=lambda x: x[0])
    out, best, best_rec = [], 0.0, None
    for year, value, rec in by_year:
        if value > best:
            best, best_rec = value, rec
        if s.in_years(year):
            note = rec.text("entity") if best_rec is rec else (
                f"record to date: {best_rec.text('entity')} ({best_rec.year()}); "
                f"largest of {year}: {rec.text('entity')} {value:.3g}")
            out.append(s.observation(year, best, sorted({r.line: r for r in (rec, best_rec)}.values(), key=lambda r: r.line), note))
    return out


def _nvidia_revenue(s: Series, path: Path) -> list[dict]:
    records = _select(path, ("value", "metric", "fiscal_period"), metric="data_center_revenue_fiscal_year")
    out = []
    for rec in records:
        label = rec.text("fiscal_period")
        if not (label.startswith("FY") and label[2:].isdigit()):
            raise HistoryError(f"{path}, row {rec.line}: fiscal_period is not FYyyyy: {label!r}")
        year = int(label[2:]) - 1  # NVIDIA's FY(Y+1) runs from late January Y to late January Y+1
        if s.in_years(year):
            out.append(s.observation(year, rec.number("value") * 1e6, [rec], f"{label} -> calendar {year}"))
    return out


def _hyperscaler_capex(s: Series, path: Path) -> list[dict]:
    records = _select(path, ("date", "value", "metric"), metric="capex_sum_big4")
    return [s.observation(r.year(), r.number("value") * 1e6, [r]) for r in records if s.in_years(r.year())]


def _lab_revenue(s: Series, path: Path) -> list[dict]:
    records = _select(path, ("date", "value", "entity", "metric", "note"), metric="revenue_annualized")
    points: dict[str, list[tuple[float, float, Record]]] = {}
    for rec in records:
        note = rec.text("note").lower()
        if "outlier" in note or "period" in note:  # outliers and full-year (not run-rate) figures
            continue
        points.setdefault(rec.text("entity"), []).append((rec.decimal_date(), rec.number("value"), rec))
    out = []
    for year in range(s.years[0], s.years[1] + 1):
        t = year + 1.0  # 31 December
        total, used, labs = 0.0, [], []
        for lab, pts in sorted(points.items()):
            pts = sorted(pts, key=lambda p: p[0])
            near = [p for p in pts if abs(p[0] - t) <= 1 / 12]
            before = [p for p in pts if p[0] <= t]
            after = [p for p in pts if p[0] >= t]
            if near:  # geometric mean of the reports within a month of year end
                value = math.exp(np.mean([math.log(p[1]) for p in near]))
                recs = [p[2] for p in near]
            elif before and after and after[0][0] - before[-1][0] <= 1.0:
                (t0, v0, r0), (t1, v1, r1) = before[-1], after[0]
                value = math.exp(math.log(v0) + (math.log(v1) - math.log(v0)) * (t - t0) / (t1 - t0))
                recs = [r0, r1]
            else:
                continue  # no report near this year end: the lab is left out
            total += value
            used += recs
            labs.append(f"{lab} {value / 1e9:.2g}B")
        if total > 0:
            out.append(s.observation(year, total, sorted({r.line: r for r in used}.values(), key=lambda r: r.line), "; ".join(labs)))
    return out


def _accelerator_output(s: Series, path: Path) -> list[dict]:
    records = [r for r in read_records(path, ("period_start", "designer", "h100e_median"))
               if r.text("designer").startswith("ALL TRACKED")]
    by_year: dict[int, list[Record]] = {}
    for rec in records:
        by_year.setdefault(rec.year("period_start"), []).append(rec)
    out = []
    for year, recs in sorted(by_year.items()):
        if s.in_years(year) and len(recs) == 4:  # whole years only
            h100e = sum(r.number("h100e_median") for r in recs)
            out.append(s.observation(year, h100e * H100_DENSE_BF16_FLOP_PER_S, recs, f"{h100e:.3g} H100e"))
    return out


def _price_performance(s: Series, path: Path) -> list[dict]:
    records = read_records(path, ("hardware", "type", "release_date", "release_price_usd",
                                  "tensor_fp16_bf16_flops"))
    by_year: dict[int, list[tuple[float, Record]]] = {}
    for rec in records:
        price = rec.number("release_price_usd", required=False)
        flops = rec.number("tensor_fp16_bf16_flops", required=False)
        name = rec.text("hardware")
        if (rec.text("type") != "GPU" or price is None or flops is None or price < 10_000
                or any(v in name.split() for v in EXPORT_VARIANTS)):
            continue
        by_year.setdefault(rec.year("release_date"), []).append((flops / price, rec))
    out = []
    for year, items in sorted(by_year.items()):
        if s.in_years(year):
            value = math.exp(np.mean([math.log(v) for v, _ in items]))
            names = ", ".join(r.text("hardware") for _, r in items)
            out.append(s.observation(year, value, [r for _, r in items], names))
    return out


def _dataset_tokens(s: Series, path: Path) -> list[dict]:
    records = _select(path, ("date", "value", "entity", "metric"), metric="annual_max_training_dataset_size")
    return [s.observation(r.year(), r.number("value"), [r], r.text("entity"))
            for r in records if s.in_years(r.year())]


def _cowos(s: Series, path: Path) -> list[dict]:
    records = read_records(path, ("date", "value", "unit", "metric", "note"))
    by_year: dict[int, list[tuple[float, Record]]] = {}
    for rec in records:
        metric, note = rec.text("metric"), rec.text("note").lower()
        if metric not in ("cowos_capacity_wafers_per_month", "cowos_annual_output_wafers"):
            continue
        if note.startswith(("planned", "early plan")):  # plans later superseded by reports
            continue
        value = rec.number("value") * (12 if metric == "cowos_capacity_wafers_per_month" else 1)
        by_year.setdefault(rec.year(), []).append((value, rec))
    out = []
    for year, items in sorted(by_year.items()):
        if s.in_years(year):
            value = math.exp(np.mean([math.log(v) for v, _ in items]))
            out.append(s.observation(year, value, [r for _, r in items], f"geometric mean of {len(items)} estimates"))
    return out


SERIES: dict[str, Series] = {s.name: s for s in [
    Series("training_compute", "Frontier training compute", "frontier_training_compute.csv",
           "largest_training_run_flop", "FLOP", "mid-year", 0.25, (2012, 2025),
           "Largest training compute of any notable model published up to year Y (the running maximum of "
           "Epoch's yearly maxima, so a year without a new record keeps the record) vs the largest run at "
           "mid-year: published runs trail the fleet by their training time and publication lag.",
           _training_compute),
    Series("nvidia_revenue", "NVIDIA data-center revenue", "nvidia_datacenter_revenue.csv",
           "chip_spending_usd_per_year", "USD/year", "annual-mean", 0.11, (2014, 2025),
           "NVIDIA data-center revenue of fiscal year FY(Y+1) (late January Y to late January Y+1) vs AI "
           "chip spending averaged over calendar year Y. NVIDIA's ~80-90% share of AI accelerators roughly "
           "offsets the networking and non-AI HPC revenue the segment also holds. Weighted at issue 11's "
           "acceptance band (30%, sigma 0.11) as capex is at its 0.15: at 0.2 the fit trades NVIDIA 2023 "
           "(+42%) for capex 2023 (big-4 capex fell 7% in 2023 while NVIDIA's data-center revenue tripled).",
           _nvidia_revenue),
    Series("hyperscaler_capex", "Hyperscaler capex (big 4)", "hyperscaler_capex.csv",
           "ai_spending_usd_per_year", "USD/year", "annual-mean", 0.15, (2023, 2025),
           "Capex of Microsoft, Alphabet, Amazon and Meta (cash, finance leases excluded) vs AI spending "
           "averaged over the year, from 2023 only: before the generative-AI build-out most hyperscaler "
           "capex was not for AI; from 2023 the excluded finance leases and other AI buyers roughly "
           "offset the non-AI share.",
           _hyperscaler_capex),
    Series("lab_revenue", "Frontier-lab revenue (OpenAI + Anthropic + xAI)", "ai_lab_revenue.csv",
           "frontier_lab_revenue_usd_per_year", "USD/year", "year-end", 0.2, (2023, 2025),
           "Sum over OpenAI, Anthropic and xAI of the annualised revenue at 31 December (reports within a "
           "month averaged geometrically, else log-linear interpolation between reports at most a year "
           "apart; rows flagged as outliers or as full-year period revenue dropped) vs the model's "
           "frontier-lab revenue (run-rate) at year end. Run-rate reports scatter by ~20-40% (sigma 0.2); "
           "skipped (with a note) by a model without that output.",
           _lab_revenue),
    Series("accelerator_output", "AI accelerators shipped (H100-equivalents)",
           "epoch_ai_chip_sales_quarterly_totals.csv", "accelerator_output_flop_per_s_per_year",
           "FLOP/s/year", "annual-mean", 0.2, (2022, 2025),
           "Epoch's H100-equivalents shipped per calendar year (sum of the four quarterly medians over "
           "all tracked designers; whole years only) times the H100's 9.894e14 dense BF16 FLOP/s vs "
           "accelerator output in FLOP/s per year averaged over the year. Coverage grows (TPU from 2022Q4, "
           "AMD and Trainium from 2024Q1).",
           _accelerator_output),
    Series("price_performance", "Accelerator price-performance", "epoch_ml_hardware_trimmed.csv",
           "flop_per_s_per_usd_design", "FLOP/s/USD", "mid-year", 0.2, (2017, 2025),
           "Geometric mean over data-center GPUs released in year Y (list price >= $10k, with tensor "
           "FP16/BF16 FLOP/s; export-control variants H20/H800/A800/L20 excluded) of tensor FLOP/s per "
           "list dollar vs the design frontier's FLOP/s per $ at mid-year (what is released; volume purchases "
           "follow it after the hardware delay).",
           _price_performance),
    Series("dataset_tokens", "Largest language-model dataset", "llm_training_dataset_tokens.csv",
           "unique_tokens_used_by_largest_run", "token", "mid-year", 0.4, (2020, 2025),
           "Epoch's yearly maximum training-dataset size of language models vs the unique tokens the "
           "largest run uses at mid-year, from 2020: before, the largest datasets belonged to small "
           "models (embeddings, translation), not to the largest runs.",
           _dataset_tokens),
    Series("cowos_capacity", "TSMC CoWoS capacity", "tsmc_cowos_capacity.csv",
           "cowos_capacity_wafers_per_year", "wafer/year", "annual-mean", 0.3, (2023, 2025),
           "Geometric mean of the analyst estimates for year Y (monthly capacity x 12 and annual output; "
           "superseded plans dropped) vs CoWoS capacity averaged over the year. The estimates conflict, "
           "so they count as a band (sigma 0.3).",
           _cowos),
]}


def series_table() -> pd.DataFrame:
    """Every series with its file, model output, sampling, years, sigma, weight and rule."""
    return pd.DataFrame([{"series": s.name, "title": s.title, "file": s.file, "model_output": s.variable,
                          "sampling": s.sampling, "years": f"{s.years[0]}-{s.years[1]}", "sigma_log10": s.sigma,
                          "weight": s.weight, "rule": s.rule} for s in SERIES.values()])


def model_series(observations: pd.DataFrame, names: Iterable[str]) -> tuple[pd.DataFrame, dict[str, str]]:
    """The observations of the series whose model output is among ``names`` (a
    model's element names), and the skipped series with the output they lack."""
    names = set(names)
    skipped = {s: SERIES[s].variable for s in dict.fromkeys(observations["series"])
               if SERIES[s].variable not in names}
    return observations[~observations["series"].isin(list(skipped))], skipped


def load_history(source: str | Path | None = None, series: list[str] | None = None) -> pd.DataFrame:
    """Yearly observations (columns ``series, year, value, unit, source, rows, note``).

    ``source``: a directory of raw history files (default: the shipped copies) or a
    CSV of observations (``series, year, value``) as ``aiscale calibrate`` writes them.
    ``series``: restrict to these names.
    """
    if series is not None:
        unknown = [n for n in series if n not in SERIES]
        if unknown:
            raise HistoryError(f"unknown series {', '.join(map(repr, unknown))} (known: {', '.join(SERIES)})")
    path = Path(source) if source is not None else history_dir()
    if path.suffix.lower() == ".csv":
        frame = load_observations_csv(path, SERIES)
        frame = frame[frame["series"].isin(series or list(SERIES))]
        return observations_frame(frame.to_dict("records"))
    if path.is_file():
        raise HistoryError(f"{path}: give a directory of raw history files or an observations .csv file")
    if not path.is_dir():
        raise HistoryError(f"history directory not found: {path}")
    rows: list[dict] = []
    for name in series or list(SERIES):
        s = SERIES[name]
        derived = s.derive(s, path / s.file)
        for row in derived:
            if not row["value"] > 0:
                raise HistoryError(f"{path / s.file}, row {row['rows']}: {name} value must be positive, "
                                   f"not {row['value']!r}")
        rows += derived
    return observations_frame(rows)


# ---------------------------------------------------------------------------- model side
def sampling_weights(times: np.ndarray, year: int, sampling: str) -> np.ndarray:
    """Weights ``w`` over the saved ``times`` so that ``x @ w`` is the sampled model value."""
    times = np.asarray(times, dtype=float)
    w = np.zeros(len(times))

    def at(t: float) -> None:
        if not times[0] - 1e-9 <= t <= times[-1] + 1e-9:
            raise ValueError(f"the run ({times[0]:g}-{times[-1]:g}) does not cover {t:g}")
        k = int(np.clip(np.searchsorted(times, t) - 1, 0, len(times) - 2))
        frac = (t - times[k]) / (times[k + 1] - times[k])
        w[k] += 1 - frac
        w[k + 1] += frac

    if sampling == "mid-year":
        at(year + 0.5)
    elif sampling == "year-end":
        at(year + 1.0)
    elif sampling == "annual-mean":
        inside = (times >= year - 1e-9) & (times <= year + 1 + 1e-9)
        idx = np.flatnonzero(inside)
        if len(idx) < 2 or times[idx[0]] > year + 1e-9 or times[idx[-1]] < year + 1 - 1e-9:
            raise ValueError(f"the run ({times[0]:g}-{times[-1]:g}) does not cover the year {year}")
        dt = np.diff(times[idx])
        w[idx[:-1]] += dt / 2
        w[idx[1:]] += dt / 2
        w /= dt.sum()
    else:
        raise ValueError(f"unknown sampling {sampling!r}; use one of {SAMPLINGS}")
    return w


class Comparison:
    """Maps model runs onto a set of observations: ``predict(outputs)`` gives the model
    value for every observation, for one run or an ensemble, in one matrix product."""

    def __init__(self, observations: pd.DataFrame, times: np.ndarray):
        self.observations = observations.reset_index(drop=True)
        self.times = np.asarray(times, dtype=float)
        self.variables = sorted({SERIES[s].variable for s in self.observations["series"]})
        self.index = {v: [] for v in self.variables}
        self.weights = {v: [] for v in self.variables}
        for i, row in self.observations.iterrows():
            s = SERIES[row["series"]]
            self.index[s.variable].append(i)
            self.weights[s.variable].append(sampling_weights(self.times, int(row["year"]), s.sampling))
        self.matrices = {v: np.array(w).T for v, w in self.weights.items()}
        self.log_observed = np.log10(self.observations["value"].to_numpy(dtype=float))
        self.sigma = np.array([SERIES[s].sigma for s in self.observations["series"]])

    @property
    def end(self) -> float:
        """The last time any observation needs."""
        return float(self.times[np.flatnonzero(np.any([m.any(axis=1) for m in self.matrices.values()], axis=0))[-1]])

    def predict(self, outputs: dict[str, np.ndarray]) -> np.ndarray:
        """Model values, shape (N, n_obs), from outputs of shape (N, T) (or (T,))."""
        n_obs = len(self.observations)
        first = np.atleast_2d(outputs[self.variables[0]])
        pred = np.empty((first.shape[0], n_obs))
        for v in self.variables:
            pred[:, self.index[v]] = np.atleast_2d(outputs[v]) @ self.matrices[v]
        return pred

    def residuals(self, outputs: dict[str, np.ndarray]) -> np.ndarray:
        """log10(model) - log10(observed), shape (N, n_obs); non-positive model values give +-30."""
        pred = self.predict(outputs)
        with np.errstate(all="ignore"):
            logp = np.where(pred > 0, np.log10(np.where(pred > 0, pred, 1.0)), -30.0)
        return np.where(np.isfinite(logp), logp, 30.0) - self.log_observed


def run_curves(frame: pd.DataFrame, years: dict[str, list[int]]) -> dict[str, pd.DataFrame]:
    """Per series, one run's output (``frame``: time-indexed, e.g. ``Result.frame``)
    sampled by the series' rule for each year in ``years[name]``: a frame of ``year``
    and ``fit``. Years the run does not cover, and series whose output the run lacks,
    are left out."""
    times = frame.index.to_numpy(dtype=float)
    out = {}
    for name, ys in years.items():
        s = SERIES[name]
        if s.variable not in frame:
            continue
        values = frame[s.variable].to_numpy(dtype=float)
        rows = []
        for year in ys:
            try:
                rows.append((int(year), float(values @ sampling_weights(times, int(year), s.sampling))))
            except ValueError:  # outside the run
                continue
        out[name] = pd.DataFrame(rows, columns=["year", "fit"])
    return out
