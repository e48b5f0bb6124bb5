import warnings

import pytest

from aiscale.model import build_model, simulate_baseline


@pytest.fixture(scope="session")
def model():
    return build_model()


@pytest.fixture(scope="session")
def baseline(model):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return simulate_baseline(model)


@pytest.fixture(scope="session")
def uncalibrated_baseline():
    """The baseline with the hand-set parameter table, before any fitting."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return simulate_baseline(build_model(calibrated=False))
