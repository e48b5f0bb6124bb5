"""Calibration against history, with out-of-sample backtests.

    from aiscale.calibration import load_history, fit, backtest
    observations = load_history()              # yearly observations of every series
    result = fit(observations)                 # least squares + MCMC, default free parameters
    result.statistics                          # per series: points, RMS log10 error, bias
    bt = backtest(observations, until=2020)    # fit up to 2020, errors on 2021-2025

``SERIES`` documents every comparison rule (history file, model output, sampling,
years, sigma and weight); ``aiscale calibrate`` is the command line.
"""

from .backtest import Backtest, backtest
from .fit import (DEFAULT_FREE, CalibrationWarning, FitResult, Problem, fit, predict, sensitivity,
                  synthetic_observations)
from .history import HistoryError, check_manifest, history_dir, manifest
from .report import scenario_text, summary_text, write_outputs, write_scenario
from .series import SERIES, Series, load_history, series_table

__all__ = ["load_history", "fit", "backtest", "predict", "sensitivity", "synthetic_observations", "Backtest",
           "FitResult", "Problem", "SERIES", "Series", "series_table", "DEFAULT_FREE", "CalibrationWarning",
           "HistoryError", "manifest", "check_manifest", "history_dir", "write_outputs", "write_scenario",
           "scenario_text", "summary_text"]
