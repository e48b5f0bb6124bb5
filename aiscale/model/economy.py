"""Economy: AI revenue, AI spending, investor expectations and gross world product.

Revenue diffuses toward a market that grows with capability (effective compute) and
with the share of work AI can automate. Spending adjusts toward a target set by
revenue (revenue reinvestment) scaled by investor optimism, which rises with revenue
growth and falls when revenue per dollar spent disappoints (investor pullback). As
spending nears its ceiling share of GWP, the room to grow closes (the GWP ceiling).
GWP grows ~3%/yr plus the growth of automated work, so explosive growth is possible
(Davidson 2023; Erdil & Besiroglu 2023).
"""

from __future__ import annotations

from ..stocks_flows import Model, clip, if_then_else, maximum, minimum
from .parameters import declare


def add_economy(m: Model) -> None:
    declare(m, "economy")

    # ---------------------------------------------------------------- GWP
    m.stock("gwp_usd_per_year", "gwp_2012", "USD/year", inflows=["gwp_growth"], positive=True,
            doc="Gross world product")

    @m.auxiliary("1/year")
    def gwp_growth_rate_per_year(gwp_baseline_growth_per_year, automation_output_elasticity,
                                 automation_fraction, fleet_growth_rate_per_year):
        """Baseline growth plus the growth of automated work, which scales with compute."""
        return gwp_baseline_growth_per_year + automation_output_elasticity * automation_fraction * maximum(
            fleet_growth_rate_per_year, 0.0 * fleet_growth_rate_per_year)

    @m.flow("USD/year/year")
    def gwp_growth(gwp_usd_per_year, gwp_growth_rate_per_year):
        """Change of gross world product per year (its growth rate times its level)."""
        return gwp_usd_per_year * gwp_growth_rate_per_year

    # ---------------------------------------------------------------- revenue
    @m.auxiliary("USD/year")
    def ai_market_usd_per_year(gwp_usd_per_year, market_share_at_reference, effective_compute_flop,
                               reference_effective_flop, capability_market_elasticity, labour_share_of_gwp,
                               automation_fraction, max_market_share_of_gwp):
        """What AI could earn: a capability-driven share of GWP plus the wages of automated work."""
        share = (market_share_at_reference * (effective_compute_flop / reference_effective_flop)
                 ** capability_market_elasticity + labour_share_of_gwp * automation_fraction)
        return gwp_usd_per_year * minimum(share, max_market_share_of_gwp)

    m.stock("ai_revenue_usd_per_year", "ai_revenue_2012", "USD/year", inflows=["ai_revenue_change"],
            positive=True, doc="Annual revenue from AI products")

    @m.flow("USD/year/year")
    def ai_revenue_change(ai_revenue_usd_per_year, adoption_rate_per_year, ai_market_usd_per_year):
        """Logistic diffusion toward the market (falls if the market shrinks below revenue)."""
        return adoption_rate_per_year * ai_revenue_usd_per_year * (1 - ai_revenue_usd_per_year / ai_market_usd_per_year)

    @m.auxiliary("USD/year")
    def ai_revenue_trend_2012(ai_revenue_2012, ai_revenue_growth_2012, growth_trend_years):
        """Start of the revenue trend, so that measured growth starts at its 2012 value."""
        return ai_revenue_2012 / (1 + ai_revenue_growth_2012 * growth_trend_years)

    m.smooth("ai_revenue_trend_usd_per_year", "ai_revenue_usd_per_year", "growth_trend_years", order=1,
             initial="ai_revenue_trend_2012", unit="USD/year",
             doc="Revenue smoothed over the trend time, to measure its growth")

    @m.auxiliary("1/year")
    def ai_revenue_growth_rate_per_year(ai_revenue_usd_per_year, ai_revenue_trend_usd_per_year,
                                        growth_trend_years):
        """Revenue growth as investors read it (Vensim TREND)."""
        return (ai_revenue_usd_per_year - ai_revenue_trend_usd_per_year) / (
            ai_revenue_trend_usd_per_year * growth_trend_years)

    # ---------------------------------------------------------------- investors
    m.stock("investor_optimism", "investor_optimism_2012", "dimensionless", inflows=["optimism_change"],
            positive=True, doc="Spending investors back per dollar of revenue, relative to neutral")

    @m.auxiliary("dimensionless")
    def revenue_per_dollar_spent(ai_revenue_usd_per_year, ai_spending_usd_per_year):
        """AI revenue per dollar of AI spending: what investors watch for a payback."""
        return ai_revenue_usd_per_year / ai_spending_usd_per_year

    @m.flow("1/year")
    def optimism_change(investor_optimism, optimism_response, ai_revenue_growth_rate_per_year,
                        hurdle_growth_per_year, max_investor_optimism, pullback_strength,
                        required_revenue_to_spending, revenue_per_dollar_spent):
        """Optimism rises with revenue growth above the hurdle and falls when revenue per
        dollar spent is below what investors require."""
        enthusiasm = optimism_response * (ai_revenue_growth_rate_per_year - hurdle_growth_per_year) * (
            1 - investor_optimism / max_investor_optimism)
        shortfall = maximum(required_revenue_to_spending - revenue_per_dollar_spent, 0.0)
        return investor_optimism * (enthusiasm - pullback_strength * shortfall)

    # ---------------------------------------------------------------- spending
    m.stock("ai_spending_usd_per_year", "ai_spending_2012", "USD/year", inflows=["ai_spending_change"],
            positive=True, doc="AI compute spending (capex) per year")

    @m.auxiliary("USD/year")
    def desired_ai_spending_usd_per_year(ai_revenue_usd_per_year, reinvestment_ratio, investor_optimism):
        """Revenue reinvested, scaled by investor optimism."""
        return ai_revenue_usd_per_year * reinvestment_ratio * investor_optimism

    @m.auxiliary("dimensionless")
    def ai_spending_share_of_gwp(ai_spending_usd_per_year, gwp_usd_per_year):
        """AI spending as a share of gross world product."""
        return ai_spending_usd_per_year / gwp_usd_per_year

    @m.auxiliary("dimensionless")
    def gwp_headroom(ai_spending_share_of_gwp, max_ai_spending_share_of_gwp):
        """Room left under the ceiling share of GWP (1 = none used, 0 = at the ceiling)."""
        return clip(1 - ai_spending_share_of_gwp / max_ai_spending_share_of_gwp, 0.0, 1.0)

    @m.flow("USD/year/year")
    def ai_spending_change(desired_ai_spending_usd_per_year, ai_spending_usd_per_year, gwp_headroom,
                           spending_adjustment_years):
        """Spending closes the gap to its target; increases shrink as spending nears the GWP ceiling."""
        gap = desired_ai_spending_usd_per_year - ai_spending_usd_per_year
        return if_then_else(gap > 0, gap * gwp_headroom, gap) / spending_adjustment_years
