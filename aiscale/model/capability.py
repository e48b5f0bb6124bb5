"""Capability: the best model finished, a stock.

A trained model is a durable asset: what labs deploy is the best model they have
finished, and a run started today is deployed only after its run length plus the
post-training, evaluation and release that follow it (GPT-4 finished training in
August 2022 and was released in March 2023; OpenAI 2023, GPT-4 technical report and
system card). So the frontier model's effective compute follows the effective compute
of the run under way with that lag, and never falls: when a pause ends, bigger runs
start at once but capability grows only as they finish.
"""

from __future__ import annotations

from ..stocks_flows import Model, log, maximum
from .parameters import declare


def add_capability(m: Model) -> None:
    declare(m, "capability")

    @m.auxiliary("year")
    def capability_lag_years(run_length_years, release_lag_years):
        """From the start of a run to its model in use: the run, then post-training and release."""
        return run_length_years + release_lag_years

    m.stock("frontier_model_effective_compute_flop", "effective_compute_flop", "FLOP",
            inflows=["frontier_model_improvement"], positive=True,
            doc="Effective compute of the best model finished and released (2023-algorithm FLOP)")

    @m.flow("FLOP/year")
    def frontier_model_improvement(frontier_model_effective_compute_flop, effective_compute_flop,
                                   capability_lag_years):
        """ln F follows ln E, the run under way, with the capability lag as its time constant:
        while E grows steadily, F = E one lag earlier (first-order smoothing of a ramp lags by
        its time constant); F never falls, since a finished model is not lost."""
        gap = log(effective_compute_flop / frontier_model_effective_compute_flop)
        return frontier_model_effective_compute_flop * maximum(gap, 0.0 * gap) / capability_lag_years
