"""Economy: a task-based production function for gross world product, AI revenue from
the work AI does, and AI capex that leads revenue.

Production (Davidson 2023's goods sector; Epoch's GATE, Erdil et al. 2025; the task
framework of Acemoglu & Restrepo 2018). Output is a normalised CES of capital K and
cognitive labour C in efficiency units, with labour-augmenting technology B:

    Y = Y0 [a_K (K/K0)^rho_K + (1 - a_K) (B C/C0)^rho_K]^(1/rho_K)

with a_K the capital share and 1 - a_K the labour share of 2012 (C0 = L0, no AI then).
B grows at FTM's TFP growth over the labour share, so output grows as with FTM's
Hicks-neutral TFP at 2012 shares, and the shares stay put on the balanced path for any
rho_K (Uzawa 1961).
Cognitive labour is a CES over a unit continuum of equally weighted tasks. A share a
(``automation_fraction``) can be done by AI labour N as well as by humans L, one for
one; the rest only by humans. Allocating both optimally gives every task the same input
while AI labour is scarce (C = L + N), and otherwise all AI labour on the automatable
tasks and all humans on the rest:

    C = [a x_a^rho + (1 - a) x_h^rho]^(1/rho),  x_a = max(N/a, L + N),  x_h = min(L/(1-a), L + N)

With rho < 0 (tasks are complements, Davidson's best guess -0.5), AI labour without
automation is worth nothing and full automation with abundant AI labour makes output
grow with compute: explosive growth needs a large automatable share. AI labour is the
inference compute serving the economy, in effective FLOP (physical x algorithmic
efficiency), over the compute one human-equivalent needs on the hardest task AI can do
now. As in Davidson 2023 a task's runtime requirement sits at the same quantile as its
training requirement, so runtime ~ training^elasticity (his runtime FLOP gap 10 over his
FLOP gap 1e4: 1/4), up to full automation; its level at 2024's frontier (1e27 effective
FLOP) is fitted to the labs' revenue and the full-automation level follows from it (see
docs/peers.md). Capital accumulates from a fixed savings rate and depreciates; human
labour and technology grow at their historical rates; capital starts on its balanced-growth
path, so 2012 has no start-up transient. GWP growth is read as Vensim's TREND over a
year (exact for steady exponential growth).

Revenue: AI labour is paid its marginal product; providers capture a share of that
value as revenue and the frontier labs (OpenAI, Anthropic, xAI) a share of that.

Investment (capex, ``ai_spending_usd_per_year``) moves toward what investors want to
spend, bounded by the finance available: a share of big-tech cash flow plus outside
finance (debt, equity) of a few dollars per dollar of AI revenue, never more than a
share of GWP (Davidson's ceiling). Capability-led spending (AI R&D and narrow AI) grows
with GWP and capability from its 2012 level, on its own growth path from the start.
Once the automatable share passes the wake-up threshold (Davidson's "wake-up"),
investors add capex in proportion to the AI revenue they expect at their horizon:
today's revenue extrapolated at its trend growth (Sterman's FORECAST), at most what
providers could earn from the tasks AI can do now, plus a share of that addressable
market. Confidence falls when revenue comes in below what was forecast a horizon ago
(investor pullback). The overhang is how many orders of magnitude larger a run the
available finance would allow than the largest run done.
"""

from __future__ import annotations

from ..stocks_flows import Model, clip, exp, log, log10, maximum, minimum
from .automation import CAPABILITY
from .parameters import declare

WAKE_UP_RAMP = 0.25  # the wake-up signal rises from 0 to 1 as the automatable share grows by this fraction
TINY_SHARE = 1e-9  # keeps N/a and L/(1-a) finite at a = 0 and a = 1 (the terms they enter vanish there)


def add_economy(m: Model) -> None:
    declare(m, "economy")
    _add_production(m)
    _add_revenue(m)
    _add_investment(m)


# ---------------------------------------------------------------------------- production
def _add_production(m: Model) -> None:
    m.stock("labour_augmenting_technology", 1.0, "dimensionless", inflows=["technology_growth"], positive=True,
            doc="Labour-augmenting (Harrod-neutral) technology, 1 in 2012: what a human-equivalent of "
                "cognitive labour produces with today's know-how")

    @m.flow("1/year")
    def technology_growth(labour_augmenting_technology, tfp_growth_per_year, labour_share_of_gwp):
        """Exogenous technical progress, labour-augmenting: TFP growth g_A over the labour
        share, the rate that gives the same output growth as Hicks-neutral TFP at the 2012
        factor shares. Labour-augmenting, because only then is there a balanced growth path
        with constant factor shares when capital and labour are not Cobb-Douglas (Uzawa
        1961); Hicks-neutral TFP with rho != 0 would move the labour share every year
        (with rho = -2, FTM's conservative value, from 0.52 in 2012 to 0.64 by 2025)."""
        return labour_augmenting_technology * tfp_growth_per_year / labour_share_of_gwp

    m.stock("human_labour_workers", "labour_force_2012", "worker", inflows=["labour_force_growth"],
            positive=True, doc="World labour force")

    @m.flow("worker/year")
    def labour_force_growth(human_labour_workers, labour_force_growth_per_year):
        """Growth of the world labour force at its historical rate."""
        return human_labour_workers * labour_force_growth_per_year

    @m.auxiliary("1/year")
    def balanced_growth_2012_per_year(tfp_growth_per_year, labour_share_of_gwp, labour_force_growth_per_year):
        """GWP growth on the balanced path without AI: g_A / labour share + g_L, the growth of
        labour in efficiency units (output and capital grow together, exactly for any CES)."""
        return tfp_growth_per_year / labour_share_of_gwp + labour_force_growth_per_year

    @m.auxiliary("USD")
    def capital_2012_usd(savings_rate, gwp_2012, balanced_growth_2012_per_year, capital_depreciation_per_year):
        """Capital on its balanced-growth path: K/Y = s / (g + delta), so K grows with Y from the start."""
        return savings_rate * gwp_2012 / (balanced_growth_2012_per_year + capital_depreciation_per_year)

    m.stock("capital_usd", "capital_2012_usd", "USD", inflows=["capital_investment"],
            outflows=["capital_depreciation"], positive=True, doc="World capital stock")

    @m.flow("USD/year")
    def capital_investment(savings_rate, gwp_usd_per_year):
        """Investment in capital: the savings rate times output."""
        return savings_rate * gwp_usd_per_year

    @m.flow("USD/year")
    def capital_depreciation(capital_usd, capital_depreciation_per_year):
        """Capital wearing out at its depreciation rate."""
        return capital_usd * capital_depreciation_per_year

    @m.auxiliary("FLOP/s/worker", name="runtime_flop_per_s_per_worker",
                 inputs=["reference_runtime_flop_per_s_per_worker", "runtime_reference_effective_flop",
                         "runtime_requirement_elasticity", "full_automation_effective_flop", CAPABILITY])
    def runtime_flop_per_s_per_worker(reference_runtime_flop_per_s_per_worker, runtime_reference_effective_flop,
                                      runtime_requirement_elasticity, full_automation_effective_flop,
                                      capability_flop):
        """Inference compute per human-equivalent on the hardest task AI can do now. As in
        Davidson 2023, a task's runtime requirement sits at the same quantile of its
        distribution as its training requirement, so runtime ~ training^elasticity (his
        runtime FLOP gap over his training FLOP gap, in orders of magnitude: 1/4 in his
        best guess), up to full automation. The level is anchored where history pins it,
        at ``runtime_reference_effective_flop`` (about 2024, the labs' revenue): a harder
        full-automation requirement or another elasticity changes the future, not 2012-2025."""
        orders_above_reference = log10(minimum(capability_flop, full_automation_effective_flop)
                                       / runtime_reference_effective_flop)
        return reference_runtime_flop_per_s_per_worker * 10.0 ** (runtime_requirement_elasticity
                                                                  * orders_above_reference)

    @m.auxiliary("FLOP/s/worker")
    def full_automation_runtime_flop_per_s_per_worker(reference_runtime_flop_per_s_per_worker,
                                                      runtime_reference_effective_flop,
                                                      runtime_requirement_elasticity,
                                                      full_automation_effective_flop):
        """Runtime compute per human-equivalent at full automation: FTM's
        full_automation_requirements_runtime (Davidson 2023), here implied by the level
        history pins and the runtime curve."""
        return reference_runtime_flop_per_s_per_worker * (
            full_automation_effective_flop / runtime_reference_effective_flop) ** runtime_requirement_elasticity

    @m.auxiliary("worker")
    def ai_labour_workers(economic_inference_flop_per_s, algorithmic_efficiency, runtime_flop_per_s_per_worker):
        """AI labour in human-equivalents: inference compute serving the economy, in
        effective FLOP/s, over the compute one human-equivalent needs."""
        return economic_inference_flop_per_s * algorithmic_efficiency / runtime_flop_per_s_per_worker

    @m.auxiliary("worker")
    def automated_task_input_workers(ai_labour_workers, human_labour_workers, automation_fraction):
        """Work done on each automatable task: all of it equal (L + N) while AI labour is
        scarce, else the AI labour spread over the automatable tasks (N/a)."""
        return maximum(ai_labour_workers / maximum(automation_fraction, TINY_SHARE),
                       human_labour_workers + ai_labour_workers)

    @m.auxiliary("worker")
    def human_task_input_workers(ai_labour_workers, human_labour_workers, automation_fraction):
        """Work done on each task only humans can do: L + N while AI labour is scarce, else
        all humans spread over those tasks (L/(1-a))."""
        return minimum(human_labour_workers / maximum(1 - automation_fraction, TINY_SHARE),
                       human_labour_workers + ai_labour_workers)

    @m.auxiliary("worker")
    def cognitive_labour_workers(automated_task_input_workers, human_task_input_workers, automation_fraction,
                                 task_substitution):
        """CES over tasks of human and AI labour (rho = task_substitution; Davidson 2023)."""
        rho = task_substitution
        return (automation_fraction * automated_task_input_workers ** rho
                + (1 - automation_fraction) * human_task_input_workers ** rho) ** (1 / rho)

    @m.auxiliary("dimensionless")
    def cognitive_share_of_gwp(capital_usd, capital_2012_usd, cognitive_labour_workers, labour_force_2012,
                               labour_augmenting_technology, labour_share_of_gwp, capital_labour_substitution):
        """Share of output paid to cognitive labour (human and AI): the labour share of 2012,
        moving as cognitive labour in efficiency units grows faster or slower than capital
        (constant on the balanced path without AI)."""
        rho = capital_labour_substitution
        capital_term = (1 - labour_share_of_gwp) * (capital_usd / capital_2012_usd) ** rho
        labour_term = labour_share_of_gwp * (
            labour_augmenting_technology * cognitive_labour_workers / labour_force_2012) ** rho
        return labour_term / (capital_term + labour_term)

    @m.auxiliary("USD/year")
    def gwp_usd_per_year(gwp_2012, labour_augmenting_technology, capital_usd, capital_2012_usd,
                         cognitive_labour_workers, labour_force_2012, labour_share_of_gwp,
                         capital_labour_substitution):
        """Gross world product: a normalised CES of capital and cognitive labour in
        efficiency units (technology x human-equivalents)."""
        rho = capital_labour_substitution
        return gwp_2012 * (
            (1 - labour_share_of_gwp) * (capital_usd / capital_2012_usd) ** rho
            + labour_share_of_gwp * (labour_augmenting_technology * cognitive_labour_workers
                                     / labour_force_2012) ** rho) ** (1 / rho)

    @m.auxiliary("USD/year/worker")
    def output_per_cognitive_worker_usd_per_year(gwp_usd_per_year, cognitive_share_of_gwp,
                                                 cognitive_labour_workers):
        """Marginal product of cognitive labour (dY/dC)."""
        return gwp_usd_per_year * cognitive_share_of_gwp / cognitive_labour_workers

    @m.auxiliary("USD/year/worker")
    def wage_usd_per_year(output_per_cognitive_worker_usd_per_year, cognitive_labour_workers,
                          human_task_input_workers, task_substitution):
        """Marginal product of human labour: dY/dC x dC/dL, dC/dL = (C / x_h)^(1 - rho)."""
        return output_per_cognitive_worker_usd_per_year * (
            cognitive_labour_workers / human_task_input_workers) ** (1 - task_substitution)

    @m.auxiliary("USD/year/worker")
    def ai_labour_marginal_product_usd_per_year(output_per_cognitive_worker_usd_per_year, cognitive_labour_workers,
                                                automated_task_input_workers, task_substitution):
        """Marginal product of AI labour: dY/dC x dC/dN, dC/dN = (C / x_a)^(1 - rho). It
        equals the wage while AI labour is scarce and falls once it saturates the tasks AI
        can do."""
        return output_per_cognitive_worker_usd_per_year * (
            cognitive_labour_workers / automated_task_input_workers) ** (1 - task_substitution)

    @m.auxiliary("USD/year")
    def ai_labour_value_usd_per_year(ai_labour_workers, ai_labour_marginal_product_usd_per_year):
        """Value of the work AI does, paid at its marginal product."""
        return ai_labour_workers * ai_labour_marginal_product_usd_per_year

    @m.auxiliary("USD/year")
    def gwp_trend_2012_usd_per_year(gwp_2012, balanced_growth_2012_per_year, gwp_growth_measurement_years):
        """Start of the GWP trend, so that measured growth starts at the balanced rate."""
        return gwp_2012 / (1 + balanced_growth_2012_per_year * gwp_growth_measurement_years)

    m.smooth("gwp_trend_usd_per_year", "gwp_usd_per_year", "gwp_growth_measurement_years", order=1,
             initial="gwp_trend_2012_usd_per_year", unit="USD/year",
             doc="GWP smoothed over the measurement time, to read its growth")

    @m.auxiliary("1/year")
    def gwp_growth_rate_per_year(gwp_usd_per_year, gwp_trend_usd_per_year, gwp_growth_measurement_years):
        """GWP growth as statistics report it (Vensim TREND; exact for steady exponential growth)."""
        return (gwp_usd_per_year - gwp_trend_usd_per_year) / (gwp_trend_usd_per_year * gwp_growth_measurement_years)


# ---------------------------------------------------------------------------- revenue
def _add_revenue(m: Model) -> None:
    @m.auxiliary("USD/year")
    def ai_revenue_usd_per_year(ai_labour_value_usd_per_year, provider_value_capture):
        """Revenue of AI providers: the share of AI labour's value they capture."""
        return ai_labour_value_usd_per_year * provider_value_capture

    @m.auxiliary("USD/year")
    def frontier_lab_revenue_usd_per_year(ai_revenue_usd_per_year, frontier_lab_share_of_ai_revenue):
        """Revenue of the frontier labs (OpenAI, Anthropic, xAI): a run-rate, compared at
        year end with the shipped lab-revenue series."""
        return ai_revenue_usd_per_year * frontier_lab_share_of_ai_revenue

    m.smooth("ai_revenue_trend_usd_per_year", "ai_revenue_usd_per_year", "growth_trend_years", order=1,
             unit="USD/year", doc="AI revenue smoothed over the trend time, to measure its growth (it starts "
                                  "at zero measured growth; revenue is negligible until the wake-up)")

    @m.auxiliary("1/year")
    def ai_revenue_growth_rate_per_year(ai_revenue_usd_per_year, ai_revenue_trend_usd_per_year, growth_trend_years):
        """AI revenue growth as investors read it (Vensim TREND)."""
        return (ai_revenue_usd_per_year - ai_revenue_trend_usd_per_year) / (
            ai_revenue_trend_usd_per_year * growth_trend_years)

    @m.auxiliary("1/year")
    def expected_revenue_growth_per_year(ai_revenue_growth_rate_per_year, max_expected_revenue_growth_per_year):
        """The growth investors extrapolate: the trend, never negative, at most what they
        find credible."""
        return clip(ai_revenue_growth_rate_per_year, 0.0, max_expected_revenue_growth_per_year)

    @m.auxiliary("USD/year")
    def revenue_forecast_usd_per_year(ai_revenue_usd_per_year, expected_revenue_growth_per_year,
                                      investment_horizon_years):
        """AI revenue expected at the horizon from its trend (Sterman 2000's FORECAST: a
        linear extrapolation of the trend growth)."""
        return ai_revenue_usd_per_year * (1 + expected_revenue_growth_per_year * investment_horizon_years)

    @m.auxiliary("USD/year")
    def addressable_market_usd_per_year(gwp_usd_per_year, cognitive_share_of_gwp, automation_fraction):
        """The market AI could address: the wages of the tasks it can do (capability
        progress raises it)."""
        return gwp_usd_per_year * cognitive_share_of_gwp * automation_fraction


# ---------------------------------------------------------------------------- investment
def _add_investment(m: Model) -> None:
    @m.auxiliary("dimensionless")
    def wake_up_signal(automation_fraction, wake_up_automation_fraction):
        """0 below the wake-up threshold, rising to 1 at 1.25 times it (Davidson 2023's trigger;
        the automatable share grows ~30%/yr around 2023, so the ramp takes under a year)."""
        return minimum(maximum((automation_fraction / wake_up_automation_fraction - 1) / WAKE_UP_RAMP, 0.0), 1.0)

    m.smooth("wake_up", "wake_up_signal", "wake_up_years", order=1, unit="dimensionless",
             doc="How far investors have woken up to AI's economic value (0-1)")

    @m.auxiliary("USD/year")
    def expected_ai_revenue_usd_per_year(revenue_forecast_usd_per_year, wake_up,
                                         expected_market_penetration, addressable_market_usd_per_year,
                                         provider_value_capture):
        """AI revenue investors expect at their horizon: the revenue trend, never more than
        providers' share of the wages of the tasks AI can do now (AI labour cannot earn
        more than the work it can take on: the task model's bound, Acemoglu & Restrepo
        2018), plus, once awake, a share of that market."""
        market = addressable_market_usd_per_year
        return (minimum(revenue_forecast_usd_per_year, provider_value_capture * market)
                + wake_up * expected_market_penetration * market)

    m.smooth("forecast_due_usd_per_year", "revenue_forecast_usd_per_year", "investment_horizon_years", order=3,
             unit="USD/year", doc="The revenue forecasts made about a horizon ago, now due (third-order "
                                  "information delay, Sterman 2000)")

    @m.auxiliary("dimensionless")
    def revenue_realisation(ai_revenue_usd_per_year, forecast_due_usd_per_year):
        """Revenue now over what was forecast for now (below 1: disappointed)."""
        return ai_revenue_usd_per_year / forecast_due_usd_per_year

    @m.auxiliary("dimensionless")
    def target_investor_confidence(revenue_realisation, pullback_strength, wake_up):
        """Confidence investors would settle at: full while forecasts are met, falling with
        the shortfall (elasticity ``pullback_strength``); only investors who are awake to
        AI revenue judge it."""
        return 1 - wake_up * (1 - minimum(revenue_realisation, 1.0) ** pullback_strength)

    m.smooth("investor_confidence", "target_investor_confidence", "confidence_adjustment_years", order=1,
             unit="dimensionless",
             doc="Investor confidence (1 = forecasts met): multiplies the capex expected revenue justifies")

    m.stock("capability_at_start_flop", CAPABILITY, "FLOP", doc="Capability in 2012 (constant)")

    @m.auxiliary("1/year", name="capability_led_spending_growth_per_year",
                 inputs=["balanced_growth_2012_per_year", "capability_spending_elasticity",
                         "frontier_model_improvement", CAPABILITY])
    def capability_led_spending_growth(balanced_growth_2012_per_year, capability_spending_elasticity,
                                       frontier_model_improvement, capability_flop):
        """Growth of capability-led spending: GWP's growth (balanced in 2012) plus the
        elasticity times capability's growth."""
        return balanced_growth_2012_per_year + capability_spending_elasticity * frontier_model_improvement / capability_flop

    m.stock("capability_led_spending_growth_2012_per_year", "capability_led_spending_growth_per_year", "1/year",
            doc="Growth of capability-led spending in 2012 (constant): capex starts on its own growth path")

    def capability_led_spending(ai_spending_2012, capability_led_spending_growth_2012_per_year,
                                spending_adjustment_years, gwp_usd_per_year, gwp_2012, capability_flop,
                                capability_at_start_flop, capability_spending_elasticity):
        """Capex capability progress alone justifies (AI R&D and narrow AI before AI earns
        much labour income): the 2012 level, growing with GWP and with capability^elasticity.
        It starts one adjustment time ahead of spending on its own growth path (a factor
        exp(growth x adjustment time)), so spending grows at that rate from the first day
        (no start-up transient)."""
        return (ai_spending_2012 * exp(capability_led_spending_growth_2012_per_year * spending_adjustment_years)
                * gwp_usd_per_year / gwp_2012
                * (capability_flop / capability_at_start_flop) ** capability_spending_elasticity)

    m.auxiliary("USD/year", name="capability_led_spending_usd_per_year",
                inputs=["ai_spending_2012", "capability_led_spending_growth_2012_per_year", "spending_adjustment_years",
                        "gwp_usd_per_year", "gwp_2012", CAPABILITY, "capability_at_start_flop",
                        "capability_spending_elasticity"])(capability_led_spending)

    m.stock("big_tech_cash_flow_share_of_gwp", "big_tech_cash_flow_share_2012", "dimensionless",
            inflows=["big_tech_cash_flow_share_change"], positive=True,
            doc="Operating cash flow of Microsoft, Alphabet, Amazon and Meta as a share of GWP")

    @m.flow("1/year")
    def big_tech_cash_flow_share_change(big_tech_cash_flow_share_of_gwp, big_tech_cash_flow_growth_per_year,
                                        max_big_tech_cash_flow_share):
        """Big tech's share of the economy grows at its 2012-2024 rate, levelling off."""
        return big_tech_cash_flow_growth_per_year * big_tech_cash_flow_share_of_gwp * (
            1 - big_tech_cash_flow_share_of_gwp / max_big_tech_cash_flow_share)

    @m.auxiliary("USD/year")
    def outside_finance_usd_per_year(ai_revenue_usd_per_year, outside_finance_per_ai_revenue,
                                     max_ai_spending_share_of_gwp, gwp_usd_per_year):
        """Finance from outside big tech (debt, equity, governments): lenders and investors
        fund a multiple of the revenue AI earns, never more than the share of GWP a
        compute-centric economy could spend on compute (Davidson 2023's ceiling)."""
        return minimum(outside_finance_per_ai_revenue * ai_revenue_usd_per_year,
                       max_ai_spending_share_of_gwp * gwp_usd_per_year)

    @m.auxiliary("USD/year")
    def available_finance_usd_per_year(big_tech_cash_flow_share_of_gwp, capex_share_of_cash_flow,
                                       gwp_usd_per_year, outside_finance_usd_per_year):
        """Finance AI capex can draw on: a share of big-tech cash flow plus outside finance."""
        return gwp_usd_per_year * big_tech_cash_flow_share_of_gwp * capex_share_of_cash_flow + outside_finance_usd_per_year

    @m.auxiliary("USD/year")
    def desired_ai_spending_usd_per_year(capability_led_spending_usd_per_year, reinvestment_ratio,
                                         expected_ai_revenue_usd_per_year, investor_confidence,
                                         available_finance_usd_per_year):
        """Capex investors want: capability-led spending plus capex per dollar of expected
        revenue, the latter scaled by confidence, within the finance available. A bust cuts
        the capex that revenue forecasts justified, not the R&D capex capability progress
        justifies on its own (as before investors woke up): the dot-com bust cut telecom
        capex by well over half, not to nothing."""
        wanted = (capability_led_spending_usd_per_year
                  + investor_confidence * reinvestment_ratio * expected_ai_revenue_usd_per_year)
        return minimum(wanted, available_finance_usd_per_year)

    m.stock("ai_spending_usd_per_year", "ai_spending_2012", "USD/year", inflows=["ai_spending_change"],
            positive=True, logarithmic=True,  # its change is a partial adjustment in logs (below)
            doc="AI datacenter capex per year (chips, buildings, power, networking)")

    @m.flow("USD/year/year")
    def ai_spending_change(desired_ai_spending_usd_per_year, ai_spending_usd_per_year, spending_adjustment_years):
        """Capex closes the gap to what investors want over the adjustment time, in
        proportion (partial adjustment in logs): capex 30 times below what investors want
        grows at ln 30 / 0.75 = 4.5 e-folds a year, not at 29 / 0.75 = 39 (which no
        construction pipeline delivers). Near the target it is the same as closing the
        gap in dollars."""
        return ai_spending_usd_per_year * log(desired_ai_spending_usd_per_year / ai_spending_usd_per_year) / (
            spending_adjustment_years)

    @m.auxiliary("dimensionless")
    def ai_spending_share_of_gwp(ai_spending_usd_per_year, gwp_usd_per_year):
        """AI capex as a share of gross world product."""
        return ai_spending_usd_per_year / gwp_usd_per_year

    @m.auxiliary("FLOP")
    def max_fundable_run_flop(largest_training_run_flop, available_finance_usd_per_year, ai_spending_usd_per_year,
                              max_frontier_cluster_share, frontier_cluster_share):
        """The largest run available finance would allow: the fleet all of it would sustain
        (finance / spending times today's), with the largest share one run can gather."""
        return (largest_training_run_flop * available_finance_usd_per_year / ai_spending_usd_per_year
                * maximum(max_frontier_cluster_share / frontier_cluster_share, 1.0))

    @m.auxiliary("dimensionless")
    def compute_overhang_ooms(max_fundable_run_flop, largest_training_run_flop):
        """Orders of magnitude between the run finance would allow and the largest run done."""
        return log10(max_fundable_run_flop / largest_training_run_flop)
