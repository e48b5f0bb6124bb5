import warnings

import pytest

from aiscale.calibration import load_history
from aiscale.stocks_flows import Model


@pytest.fixture(scope="session")
def observations():
    return load_history()


@pytest.fixture(autouse=True)
def _quiet_runtime_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@pytest.fixture(scope="session")
def toy_model():
    """A toy model whose training compute depends on scale_a x scale_b only: the two
    are identified only as a product; ``unused`` affects nothing."""
    m = Model("toy", time_unit="year", units=["FLOP = [compute]"])
    m.parameter("scale_a", 1.0, "FLOP", low=0.01, high=100)
    m.parameter("scale_b", 1.0, "dimensionless", low=0.01, high=100)
    m.parameter("growth", 1.0, "1/year", low=0.5, high=2.0)
    m.parameter("unused", 10.0, "dimensionless", low=1.0, high=100.0)  # read by no equation
    m.parameter("constant", 2.0, "dimensionless")                      # no range
    m.stock("level", 1e18, "dimensionless", inflows=["growing"])

    @m.flow("1/year")
    def growing(level, growth):
        return level * growth

    @m.auxiliary("FLOP")
    def largest_training_run_flop(level, scale_a, scale_b):
        return level * scale_a * scale_b

    return m.build()


@pytest.fixture(scope="session")
def toy_observations(toy_model, observations):
    """Noise-free training-compute observations of the toy model with scale_a x scale_b = 10."""
    from aiscale.calibration import synthetic_observations

    return synthetic_observations(observations[observations["series"] == "training_compute"],
                                  {"scale_a": 10.0, "scale_b": 1.0, "growth": 1.0}, noise=False, model=toy_model,
                                  dt=0.25)
