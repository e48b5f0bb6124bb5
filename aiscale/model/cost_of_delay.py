"""Cost of delay: fast progress makes long training runs a waste.

Money spent later buys more effective compute, so a long run is beaten by a later,
shorter one. With g the growth rate (e-folds per year) of effective compute per
dollar, the best run length is about 1/g (Sevilla et al. 2022, "The longest training
run", Epoch), bounded between about a month and a year and a half. Labs plan runs on
the progress they have seen, so the run length follows 1/g with a lag. Faster
progress, shorter runs, smaller physical runs: a balancing loop.

Latency: a minimum wall time per optimizer step caps the number of serial steps in a
run, and with it the largest run possible (Erdil & Schneider 2024, Epoch).
"""

from __future__ import annotations

from ..stocks_flows import Model, clip
from .parameters import declare


def add_cost_of_delay(m: Model) -> None:
    declare(m, "cost_of_delay")

    @m.auxiliary("1/year")
    def effective_compute_per_dollar_growth_per_year(hardware_progress_rate_per_year,
                                                     algorithmic_progress_rate_per_year):
        """g: growth of effective compute per dollar = hardware + algorithmic progress."""
        return hardware_progress_rate_per_year + algorithmic_progress_rate_per_year

    @m.auxiliary("year")
    def optimal_run_length_years(run_length_factor, effective_compute_per_dollar_growth_per_year,
                                 min_run_length_years, max_run_length_years):
        """Best run length ~ factor / g, within [min, max]."""
        return clip(run_length_factor / effective_compute_per_dollar_growth_per_year,
                    min_run_length_years, max_run_length_years)

    m.smooth("run_length_years", "optimal_run_length_years", "growth_trend_years", order=1,
             initial="run_length_2012_years", unit="year",
             doc="Length of frontier training runs: labs follow the optimum with a lag")

    @m.auxiliary("s")
    def run_length_s(run_length_years, seconds_per_year):
        """Length of the largest training run in seconds."""
        return run_length_years * seconds_per_year

    @m.auxiliary("token")
    def latency_limited_training_tokens(run_length_s, min_step_time_s, max_batch_tokens):
        """Serial steps possible in the run times the largest useful batch."""
        return run_length_s / min_step_time_s * max_batch_tokens

    @m.auxiliary("FLOP")
    def max_run_flop_latency(latency_limited_training_tokens, flop_per_token_parameter,
                             tokens_per_parameter_with_repetition):
        """Chinchilla C = 6 N D with N = D / (tokens per parameter)."""
        return (flop_per_token_parameter * latency_limited_training_tokens ** 2
                / tokens_per_parameter_with_repetition)
