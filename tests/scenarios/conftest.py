import warnings

import pytest

from aiscale.scenarios import library, run_metrics
from aiscale.scenarios.scenario import base_model


@pytest.fixture(scope="session")
def model():
    return base_model()


@pytest.fixture(scope="session")
def library_runs(model):
    """Every built-in scenario run once (adaptive RK45), with its metrics."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        runs = {}
        for scenario in library(model):
            result = scenario.simulate(model)
            runs[scenario.name] = (scenario, result, run_metrics(result))
    return runs
