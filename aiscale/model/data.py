"""Data: the stock of human-written text, synthetic data, and the data-limited run.

Human text grows with the web and shrinks as publishers opt out, which they do more
the more of it AI training uses (Longpre et al. 2024, "Consent in Crisis"): the data
depletion loop. Synthetic data accumulates from inference tokens times the share
usable for training. With repetition, the compute-optimal tokens per parameter rise
from ~20 toward ~60 (Muennighoff et al. 2023), and Chinchilla scaling C = 6 N D gives
the largest run the data allows.
"""

from __future__ import annotations

from ..stocks_flows import Model, log, sqrt
from .parameters import declare


def add_data(m: Model) -> None:
    declare(m, "data")

    m.stock("human_text_stock_tokens", "human_text_2012", "token", inflows=["web_text_growth"],
            outflows=["text_opt_outs"], positive=True, doc="Stock of quality human-written text",
            source="Villalobos et al. 2024; text_data_stock.csv")

    @m.flow("token/year")
    def web_text_growth(human_text_stock_tokens, web_growth_per_year):
        """New human-written text published on the web each year."""
        return human_text_stock_tokens * web_growth_per_year

    @m.auxiliary("token")
    def usable_human_text_tokens(human_text_stock_tokens, data_restricted_fraction):
        """Human text left after copyright and opt-out restrictions."""
        return human_text_stock_tokens * (1 - data_restricted_fraction)

    @m.auxiliary("dimensionless")
    def data_use_fraction(unique_tokens_used_by_largest_run, usable_human_text_tokens):
        """How much of the web AI training takes, saturating: used / (used + available)."""
        return unique_tokens_used_by_largest_run / (unique_tokens_used_by_largest_run + usable_human_text_tokens)

    @m.flow("token/year")
    def text_opt_outs(human_text_stock_tokens, opt_out_rate_per_year, data_use_fraction):
        """Publishers withdraw text faster the more AI training uses it."""
        return human_text_stock_tokens * opt_out_rate_per_year * data_use_fraction

    m.stock("synthetic_data_stock_tokens", 0.0, "token", inflows=["synthetic_data_generation"],
            outflows=["synthetic_data_obsolescence"], doc="Usable synthetic training data")

    @m.flow("token/year")
    def synthetic_data_generation(inference_tokens_per_year, synthetic_usable_fraction):
        """Synthetic tokens good enough to train on: the usable fraction of all inference output."""
        return inference_tokens_per_year * synthetic_usable_fraction

    @m.flow("token/year")
    def synthetic_data_obsolescence(synthetic_data_stock_tokens, synthetic_data_lifetime_years):
        """Synthetic data dropping out of use at the end of its lifetime (first-order)."""
        return synthetic_data_stock_tokens / synthetic_data_lifetime_years

    @m.auxiliary("token/year")
    def inference_tokens_per_year(inference_compute_flop_per_s, inference_utilisation, seconds_per_year,
                                  inference_flop_per_token_parameter, largest_model_parameters):
        """Tokens the inference fleet generates running frontier-size models."""
        return (inference_compute_flop_per_s * inference_utilisation * seconds_per_year
                / (inference_flop_per_token_parameter * largest_model_parameters))

    @m.auxiliary("token")
    def data_stock_tokens(usable_human_text_tokens, synthetic_data_stock_tokens, multimodal_data_multiplier):
        """Unique training data available: human and synthetic text, plus other modalities."""
        return (usable_human_text_tokens + synthetic_data_stock_tokens) * multimodal_data_multiplier

    @m.auxiliary("token/parameter")
    def tokens_per_parameter_with_repetition(tokens_per_parameter, max_tokens_per_parameter, data_epochs):
        """20 tokens per parameter at one epoch, rising log-linearly to ~60 at 60 epochs."""
        return tokens_per_parameter * (max_tokens_per_parameter / tokens_per_parameter) ** (
            log(data_epochs) / log(60.0))

    @m.auxiliary("FLOP")
    def max_run_flop_data(data_stock_tokens, data_epochs, flop_per_token_parameter,
                          tokens_per_parameter_with_repetition):
        """C = 6 N D with D = data x epochs and N = D / (tokens per parameter)."""
        return flop_per_token_parameter * (data_stock_tokens * data_epochs) ** 2 / tokens_per_parameter_with_repetition

    @m.auxiliary("parameter")
    def largest_model_parameters(largest_training_run_flop, flop_per_token_parameter,
                                 tokens_per_parameter_with_repetition):
        """Compute-optimal parameter count of the largest run: N = sqrt(C / (6 r))."""
        return sqrt(largest_training_run_flop / (flop_per_token_parameter * tokens_per_parameter_with_repetition))

    @m.auxiliary("token")
    def unique_tokens_used_by_largest_run(largest_model_parameters, tokens_per_parameter_with_repetition,
                                          data_epochs):
        """Distinct tokens the largest run trains on: its Chinchilla tokens divided by the epochs over the data."""
        return largest_model_parameters * tokens_per_parameter_with_repetition / data_epochs
