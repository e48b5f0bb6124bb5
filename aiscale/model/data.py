"""Data: the stock of human-written text, synthetic data, repetition, and the
data-limited run.

Human text is the quality-adjusted stock of public text of Villalobos et al. 2024
(Epoch, "Will we run out of data?"): the indexed web (~5e14 tokens in 2024; Common
Crawl holds ~1e14) after quality filtering (~20% usable), ~1e14 tokens in 2024,
growing ~8% a year (`text_data_stock.csv`, a re-run of their model). It shrinks as
publishers opt out, which they do more the more of it AI training uses (Longpre et
al. 2024, "Consent in Crisis"): the data depletion loop. Other modalities multiply
it; synthetic data accumulates from the text AI generates times the share usable
for training.

Repetition follows Muennighoff et al. 2023 ("Scaling data-constrained language
models"): ~4 epochs cost almost nothing, repeated tokens lose value with a decay
constant of ~15 epochs (so ~16 is the useful limit), and with repetition the
compute-optimal tokens per parameter rise from ~20 toward ~60. Labs repeat only when
they must: the repetition they plan is the ratio of the data the compute-limited run
wants to the unique data there is (at least 1, at most the useful limit), and the
epochs in use follow it with a lag (a run's data recipe is fixed when it starts).
Villalobos et al.'s "effective stock" (~3e14 tokens in 2024) is this unique stock
times 2-5x of repetition; here repetition is endogenous instead. Chinchilla scaling
C = 6 N D (Hoffmann et al. 2022) with D = unique data x epochs and N = D / (tokens per
parameter) gives the largest run the data allows.
"""

from __future__ import annotations

from ..stocks_flows import Model, clip, log, sqrt
from .parameters import declare

# Muennighoff et al. 2023: the tokens-per-parameter ratio reaches its maximum at ~60 epochs.
MOST_EPOCHS = 60.0


def add_data(m: Model) -> None:
    declare(m, "data")

    m.stock("human_text_stock_tokens", "human_text_2012", "token", inflows=["web_text_growth"],
            outflows=["text_opt_outs"], positive=True, doc="Stock of quality-adjusted public human text",
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

    @m.auxiliary("token/year")
    def inference_tokens_per_year(inference_compute_flop_per_s, inference_utilisation, seconds_per_year,
                                  inference_flop_per_token_parameter, largest_model_parameters):
        """Tokens the inference fleet could generate running frontier-size models."""
        return (inference_compute_flop_per_s * inference_utilisation * seconds_per_year
                / (inference_flop_per_token_parameter * largest_model_parameters))

    @m.auxiliary("token/year")
    def generated_text_tokens_per_year(inference_tokens_per_year, automation_fraction):
        """Text AI generates: the inference fleet's tokens for the tasks AI can do (none
        before capable language models; ~4e14 tokens in 2024, when Google processed ~1e13
        tokens a month and OpenAI ~1e11 words a day)."""
        return inference_tokens_per_year * automation_fraction

    @m.flow("token/year")
    def synthetic_data_generation(generated_text_tokens_per_year, synthetic_usable_fraction):
        """Synthetic tokens good enough to train on: the usable fraction of AI-generated text."""
        return generated_text_tokens_per_year * synthetic_usable_fraction

    @m.flow("token/year")
    def synthetic_data_obsolescence(synthetic_data_stock_tokens, synthetic_data_lifetime_years):
        """Synthetic data dropping out of use at the end of its lifetime (first-order)."""
        return synthetic_data_stock_tokens / synthetic_data_lifetime_years

    @m.auxiliary("token")
    def data_stock_tokens(usable_human_text_tokens, multimodal_data_multiplier, synthetic_data_stock_tokens):
        """Unique training data available: human text with other modalities, plus synthetic data."""
        return usable_human_text_tokens * multimodal_data_multiplier + synthetic_data_stock_tokens

    @m.auxiliary("token/parameter")
    def tokens_per_parameter_with_repetition(tokens_per_parameter, max_tokens_per_parameter, data_epochs):
        """Compute-optimal tokens per parameter: ~20 at one epoch, rising log-linearly in
        the epochs to the maximum at ~60 epochs (Muennighoff et al. 2023)."""
        return tokens_per_parameter * (max_tokens_per_parameter / tokens_per_parameter) ** (
            log(data_epochs) / log(MOST_EPOCHS))

    @m.auxiliary("token")
    def training_tokens_wanted(compute_limited_run_flop, flop_per_token_parameter,
                               tokens_per_parameter_with_repetition):
        """Tokens the compute-limited run would train on: D = sqrt(C r / 6) (C = 6 N D, D = r N)."""
        return sqrt(compute_limited_run_flop * tokens_per_parameter_with_repetition / flop_per_token_parameter)

    @m.auxiliary("dimensionless")
    def planned_data_epochs(training_tokens_wanted, data_stock_tokens, max_data_epochs):
        """Repetition labs plan: data wanted / unique data, from 1 (data ample) to the
        useful limit (Muennighoff et al. 2023: ~16 epochs)."""
        return clip(training_tokens_wanted / data_stock_tokens, 1.0, max_data_epochs)

    m.smooth("data_epochs", "planned_data_epochs", "epoch_adjustment_years", order=1, unit="dimensionless",
             initial="data_epochs_2012",
             doc="Epochs over the unique data in frontier runs: follows the plan with a lag")

    @m.auxiliary("FLOP")
    def max_run_flop_data(data_stock_tokens, data_epochs, flop_per_token_parameter,
                          tokens_per_parameter_with_repetition):
        """C = 6 N D with D = unique data x epochs and N = D / (tokens per parameter)."""
        return flop_per_token_parameter * (data_stock_tokens * data_epochs) ** 2 / tokens_per_parameter_with_repetition

    @m.auxiliary("parameter")
    def largest_model_parameters(largest_training_run_flop, flop_per_token_parameter,
                                 tokens_per_parameter_with_repetition):
        """Compute-optimal parameter count of the largest run: N = sqrt(C / (6 r))."""
        return sqrt(largest_training_run_flop / (flop_per_token_parameter * tokens_per_parameter_with_repetition))

    @m.auxiliary("token")
    def unique_tokens_used_by_largest_run(largest_model_parameters, tokens_per_parameter_with_repetition,
                                          data_epochs):
        """Unique tokens the largest run trains on: N r / epochs."""
        return largest_model_parameters * tokens_per_parameter_with_repetition / data_epochs
