"""Calibration against history as a Bayesian posterior, with out-of-sample backtests.

    from aiscale.calibration import load_history, fit, backtest
    observations = load_history()              # yearly observations of every series
    result = fit(observations)                 # MAP + MCMC, the default free parameters and their priors
    result.intervals                           # per parameter: MAP, posterior, prior, identification, bounds
    result.statistics                          # per series: points, RMS log10 error, bias
    result.posterior()                         # thinned joint posterior draws (for ensembles)
    bt = backtest(observations, until=2020)    # fit up to 2020, errors on 2021-2025

``SERIES`` documents every comparison rule (history file, model output, sampling,
years, sigma and weight); the priors are data (``aiscale/data/priors.csv``, see
:mod:`.priors`); ``aiscale calibrate`` is the command line.
"""

from .backtest import Backtest, backtest
from .fit import CalibrationWarning, FitResult, Problem, fit, predict, sensitivity, synthetic_observations
from .history import HistoryError, check_manifest, history_dir, manifest
from .priors import Prior, PriorSpec, default_free, prior_for, read_priors
from .report import scenario_text, summary_text, write_outputs, write_scenario
from .series import SERIES, Series, load_history, series_table

__all__ = ["load_history", "fit", "backtest", "predict", "sensitivity", "synthetic_observations", "Backtest",
           "FitResult", "Problem", "SERIES", "Series", "series_table", "default_free", "CalibrationWarning",
           "Prior", "PriorSpec", "prior_for", "read_priors", "HistoryError", "manifest", "check_manifest",
           "history_dir", "write_outputs", "write_scenario", "scenario_text", "summary_text"]
