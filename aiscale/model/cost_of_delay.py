"""Run length: how long labs train their frontier model, and the cost of delay.

The length of the frontier run is the shorter of two bounds, followed with a lag:

1. **Cost of delay** (the economics of waiting). Money spent later buys more
   effective compute, so a very long run is beaten by a later, shorter one. With g
   the growth rate (e-folds per year) of what a run can achieve per unit of time
   waited -- hardware price-performance plus algorithmic efficiency plus the growth
   of the budget -- the best run length is about 1/g (Sevilla et al. 2022, Epoch,
   "The longest training run": with hardware, software and budgets all improving the
   optimum is ~6.5 months, and runs beyond ~15 months are beaten by later, shorter
   runs). Faster progress, shorter runs, smaller physical runs: the balancing
   cost-of-delay loop. The supply side lowers `hardware_progress_rate_per_year` and
   `algorithmic_progress_rate_per_year` as hardware and software near their
   ceilings, so runs lengthen again (up to the 15-month bound) when progress slows.
2. **What labs are organised to run.** 1/g was months already in 2012, yet the
   largest runs then took days (~3 days; GPT-3 ~15 days in 2020; ~90-125 days for
   GPT-4-era and 2024-25 runs; Epoch notable models, `frontier_run_length.csv`).
   Runs were short because a long run ties up a lab's hardware and its people: with
   a small compute base a lab keeps its machines for many short experiments, and
   multi-month runs need fault tolerance, checkpointing and operations that labs
   built only as their compute grew. So the length labs will commit rises with the
   installed compute base, the accumulated investment in AI compute: a constant
   elasticity (0.5) of the fleet, fitted to the shipped training-time series (runs
   ~33x longer 2012-2024 while installed compute grew ~1,600-4,000x). This bound binds
   through history; the cost-of-delay bound takes over once the fleet is large (from
   the mid-2020s, at ~6 months), and tightens when AI speeds up progress.

Why the fleet and not spending: the fleet is a stock, so the bound never jumps with a
budget swing, and it is pinned by data (Epoch's installed compute) whatever the
demand side does; spending enters through the budget growth in g.

Labs plan a run months before it starts, so the run length follows the lower bound
with a lag (first-order smooth over the planning time).

Latency: a minimum wall time per optimizer step caps the number of serial steps in a
run, and with it the largest run possible (Erdil & Schneider 2024, Epoch).
"""

from __future__ import annotations

from ..stocks_flows import Model, maximum, minimum
from .parameters import declare


def add_cost_of_delay(m: Model) -> None:
    declare(m, "cost_of_delay")

    m.smooth("ai_spending_trend_usd_per_year", "ai_spending_usd_per_year", "growth_trend_years", unit="USD/year",
             doc="AI spending averaged over the growth-trend time (the reference of its growth rate)")

    @m.auxiliary("1/year")
    def ai_spending_growth_per_year(ai_spending_usd_per_year, ai_spending_trend_usd_per_year, growth_trend_years):
        """Growth rate of the budget as labs perceive it (Vensim TREND: the gap between
        spending and its average over the trend time, per year of averaging)."""
        return (ai_spending_usd_per_year - ai_spending_trend_usd_per_year) / (
            ai_spending_trend_usd_per_year * growth_trend_years)

    @m.auxiliary("1/year")
    def effective_compute_per_dollar_growth_per_year(hardware_progress_rate_per_year,
                                                     algorithmic_progress_rate_per_year):
        """Growth of effective compute per dollar = hardware + algorithmic progress."""
        return hardware_progress_rate_per_year + algorithmic_progress_rate_per_year

    @m.auxiliary("year")
    def optimal_run_length_years(run_length_factor, effective_compute_per_dollar_growth_per_year,
                                 ai_spending_growth_per_year, min_run_length_years, max_run_length_years):
        """Cost-of-delay optimum factor / g with g = hardware + algorithms + budget growth
        (Sevilla et al. 2022: ~1/g), within [min, max]; a shrinking budget or stalled
        progress (g <= factor / max) gives the longest run worth doing (~15 months)."""
        growth = effective_compute_per_dollar_growth_per_year + ai_spending_growth_per_year
        longest_worthwhile = run_length_factor / max_run_length_years
        return maximum(run_length_factor / maximum(growth, longest_worthwhile), min_run_length_years)

    @m.auxiliary("year")
    def organisational_run_length_years(run_length_2012_years, gpu_fleet_flop_per_s, gpu_fleet_2012,
                                        run_length_fleet_elasticity):
        """The longest run labs are organised to commit, rising with the installed
        compute base: length_2012 x (fleet / fleet_2012) ^ elasticity."""
        return run_length_2012_years * (gpu_fleet_flop_per_s / gpu_fleet_2012) ** run_length_fleet_elasticity

    @m.auxiliary("year")
    def planned_run_length_years(optimal_run_length_years, organisational_run_length_years):
        """The run labs plan now: the shorter of the cost-of-delay optimum and what they
        are organised to run."""
        return minimum(optimal_run_length_years, organisational_run_length_years)

    m.smooth("run_length_years", "planned_run_length_years", "run_planning_years", order=1, unit="year",
             initial="run_length_2012_years",
             doc="Length of frontier training runs: labs follow the planned length with a lag")

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
