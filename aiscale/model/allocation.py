"""Allocation: how the usable fleet is split between serving the economy and developing AI.

Four uses: economic inference (AI labour sold to the economy), training, experiments
and research inference (AI systems doing AI research). The rule is the first-order
condition of a compute owner who maximises returns: at an optimum the marginal FLOP
earns the same everywhere, so each use's share of compute equals its share of the
marginal returns (with Cobb-Douglas returns, its output elasticity). Erdil 2024 (Epoch,
"Optimally allocating compute between inference and training") applies this to
training vs inference and finds about equal shares when their returns are equal.

Two levels:

* serving vs developing. Serving earns the AI revenue; developing earns the revenue
  gain investors expect at their horizon (``expected_ai_revenue_usd_per_year`` minus
  today's), weighted by ``development_return_weight`` (a dollar of revenue expected in a
  few years is worth less than one earned now). Both are read per dollar of AI spending,
  and move the odds of developing away from their 2012 value: before AI earns labour
  income, the split is the 2012 one (``development_share_2012``); while expected gains
  outrun revenue, development grows; once revenue catches up with what is expected,
  serving takes over.
* within development, training, experiments and research inference in proportion to
  their weights; research inference's weight scales with the share of tasks AI can do,
  because an AI researcher-equivalent's output is the share of research tasks it can
  do (the research sector's AI research labour is inference x automation).

The share adjusts toward its target over ``allocation_adjustment_years``. The frontier
run (``frontier_cluster_share`` of the usable fleet, the supply side's stock) is part of
training: training never gets less than it.
"""

from __future__ import annotations

from ..stocks_flows import Model, maximum
from .parameters import declare


def add_allocation(m: Model) -> None:
    declare(m, "allocation")

    @m.auxiliary("dimensionless")
    def development_odds_multiplier(ai_revenue_usd_per_year, expected_ai_revenue_usd_per_year,
                                    ai_spending_usd_per_year, development_return_weight):
        """How much the returns move the odds of developing vs serving: (1 + expected
        gain per $ spent, weighted) / (1 + revenue per $ spent); 1 before AI earns."""
        gain = maximum(expected_ai_revenue_usd_per_year - ai_revenue_usd_per_year, 0.0)
        return (1 + development_return_weight * gain / ai_spending_usd_per_year) / (
            1 + ai_revenue_usd_per_year / ai_spending_usd_per_year)

    @m.auxiliary("dimensionless")
    def target_development_share(development_share_2012, development_odds_multiplier):
        """Share of the fleet developing AI at which marginal returns balance."""
        odds = development_share_2012 / (1 - development_share_2012) * development_odds_multiplier
        return odds / (1 + odds)

    m.stock("development_share", "development_share_2012", "dimensionless",
            inflows=["development_share_change"], positive=True,
            doc="Share of the usable fleet developing AI (training, experiments, research inference)")

    @m.flow("1/year")
    def development_share_change(target_development_share, development_share, allocation_adjustment_years):
        """Compute moves toward the better-paying use over the adjustment time."""
        return (target_development_share - development_share) / allocation_adjustment_years

    @m.auxiliary("dimensionless")
    def research_inference_weight_now(research_inference_weight, automation_fraction):
        """Research inference's weight (per unit of training's): its return is the share of
        research tasks AI can do."""
        return research_inference_weight * automation_fraction

    @m.auxiliary("dimensionless")
    def training_share_of_fleet(development_share, experiment_weight, research_inference_weight_now,
                                frontier_cluster_share):
        """Training's share of the usable fleet: its part of development, and never less
        than the frontier run's share."""
        return maximum(development_share / (1 + experiment_weight + research_inference_weight_now),
                       frontier_cluster_share)

    @m.auxiliary("dimensionless")
    def other_development_share(development_share, training_share_of_fleet):
        """What development leaves for experiments and research inference."""
        return maximum(development_share - training_share_of_fleet, 0.0)

    @m.auxiliary("dimensionless")
    def experiment_share_of_fleet(other_development_share, experiment_weight, research_inference_weight_now):
        """Experiments' share of the usable fleet: their weight's part of what training leaves."""
        return other_development_share * experiment_weight / (experiment_weight + research_inference_weight_now)

    @m.auxiliary("dimensionless")
    def research_inference_share_of_fleet(other_development_share, experiment_weight,
                                          research_inference_weight_now):
        """Research inference's share of the usable fleet: AI researchers' part of what training leaves."""
        return other_development_share * research_inference_weight_now / (
            experiment_weight + research_inference_weight_now)

    @m.auxiliary("dimensionless")
    def economic_inference_share_of_fleet(training_share_of_fleet, experiment_share_of_fleet,
                                          research_inference_share_of_fleet):
        """The rest serves the economy."""
        return 1 - training_share_of_fleet - experiment_share_of_fleet - research_inference_share_of_fleet

    @m.auxiliary("dimensionless")
    def experiment_share_2012(development_share_2012, experiment_weight):
        """Experiments' share of the fleet in 2012 (no research inference before automation):
        the research sector's unit of experiment compute."""
        return development_share_2012 * experiment_weight / (1 + experiment_weight)

    for use in ("training_compute", "experiment_compute", "research_inference", "economic_inference"):
        share = use.removesuffix("_compute") + "_share_of_fleet"
        m.auxiliary("FLOP/s", doc=f"Usable compute for {use.replace('_', ' ')}", name=f"{use}_flop_per_s",
                    inputs=["usable_fleet_flop_per_s", share])(lambda fleet, s: fleet * s)

    @m.auxiliary("FLOP/s")
    def inference_compute_flop_per_s(economic_inference_flop_per_s, research_inference_flop_per_s):
        """All inference: serving the economy and running AI researchers."""
        return economic_inference_flop_per_s + research_inference_flop_per_s
