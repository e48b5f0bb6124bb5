"""Out-of-sample backtests: fit to the data up to a cutoff year only, simulate
forward, and score the held-out years.

Nothing after the cutoff reaches the fit: observations are filtered before the
problem is built, and per-series sigma inflation uses only fitted residuals. A free
parameter the pre-cutoff data cannot identify keeps (about) its prior instead of
running to a bound. (The model's structure, the table values and the priors were set
by people who had seen the whole history, which no backtest can undo.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .fit import FitResult, fit, predict, table_model
from .series import SERIES, model_series


@dataclass
class Backtest:
    """A fit to the data up to ``until`` and its errors on the later years."""

    until: int
    result: FitResult
    errors: pd.DataFrame     # per series and held-out year
    skipped: dict[str, str] = field(default_factory=dict)  # held-out series -> the output the model lacks

    @property
    def summary(self) -> pd.DataFrame:
        """Per series: held-out points, RMS and mean log10 error, the worst year and
        its log10 error, median |% error|."""
        rows = []
        for name in SERIES:
            e = self.errors[self.errors["series"] == name]
            if len(e) == 0:
                continue
            r = e["log10_error"].to_numpy()
            worst = int(np.argmax(np.abs(r)))
            rows.append({"series": name, "held_out_points": len(r),
                         "years": f"{e['year'].min()}-{e['year'].max()}",
                         "rms_log10": float(np.sqrt(np.mean(r ** 2))), "bias_log10": float(np.mean(r)),
                         "worst_year": int(e["year"].iloc[worst]), "worst_log10": float(r[worst]),
                         "median_abs_percent": float(np.median(np.abs(e["percent_error"]))),
                         "fitted_points": int((self.result.observations["series"] == name).sum())})
        return pd.DataFrame(rows)


def backtest(observations: pd.DataFrame, until: int, free: Sequence[str] | None = None, draws: int = 100,
             **fit_kwargs: Any) -> Backtest:
    """Fit ``free`` to the observations up to ``until`` (see :func:`.fit.fit`), then
    predict every later observation; with MCMC, also the 2.5-97.5% band of ``draws``
    posterior draws."""
    until = int(until)
    held = observations[observations["year"] > until]
    if len(held) == 0:
        raise ValueError(f"no observations after {until} to hold out")
    result = fit(observations, free, until=until, **fit_kwargs)
    errors = predict(result, held, model=fit_kwargs.get("model"), dt=fit_kwargs.get("dt"), draws=draws,
                     seed=fit_kwargs.get("seed", 0))
    errors = errors.sort_values(["series", "year"], key=lambda c: c.map(list(SERIES).index)
                                if c.name == "series" else c).reset_index(drop=True)
    skipped = model_series(held, (fit_kwargs.get("model") or table_model()).names())[1]
    return Backtest(until, result, errors, skipped)
