"""Research: algorithmic efficiency, the research workforce, and automation.

Algorithmic efficiency grows semi-endogenously (Jones 1995; Epoch GATE): its growth
rate rises with research input to the power lambda and falls as efficiency rises
("ideas get harder to find"), with returns r = lambda / beta. Research input is a CES
of labour (human researchers plus AI research labour) and experiment compute. AI
research labour is the inference compute running AI researchers, times the share of
research tasks AI can do, over the compute one researcher-equivalent needs.

The automation fraction (the share of tasks AI can do) comes from the automation
sector (automation.py).
"""

from __future__ import annotations

from ..stocks_flows import Model
from .parameters import declare
from .progress import semi_endogenous_progress_rate


def add_research(m: Model) -> None:
    declare(m, "research")

    m.stock("algorithmic_efficiency", "algorithmic_efficiency_2012", "dimensionless",
            inflows=["algorithmic_improvement"], positive=True,
            doc="Effective compute per physical FLOP (1 = 2023 algorithms)",
            source="Ho et al. 2024")
    m.stock("human_researchers", "human_researchers_2012", "researcher", inflows=["researcher_hiring"],
            positive=True, doc="Human AI researchers")

    @m.flow("researcher/year")
    def researcher_hiring(human_researchers, researcher_growth_per_year):
        """Growth of the human AI research workforce at its trend rate."""
        return human_researchers * researcher_growth_per_year

    @m.auxiliary("researcher")
    def ai_research_labour(research_inference_flop_per_s, automation_fraction, flop_per_s_per_ai_researcher):
        """AI researcher-equivalents: compute running AI researchers x share of tasks AI can do."""
        return research_inference_flop_per_s * automation_fraction / flop_per_s_per_ai_researcher

    @m.auxiliary("FLOP/s")
    def experiment_compute_reference_flop_per_s(experiment_share_2012, gpu_fleet_2012):
        """Experiment compute at the start, the unit of the research CES."""
        return experiment_share_2012 * gpu_fleet_2012

    def research_ces(labour, experiments, labour_ref, experiments_ref, weight, rho):
        """CES of labour and experiment compute, each relative to its 2012 level (= 1 then)."""
        return (weight * (labour / labour_ref) ** rho + (1 - weight) * (experiments / experiments_ref) ** rho) ** (1 / rho)

    ces_inputs = ["experiment_compute_flop_per_s", "human_researchers_2012",
                  "experiment_compute_reference_flop_per_s", "labour_share_in_research", "research_substitution"]

    @m.auxiliary("dimensionless")
    def research_input(human_researchers, ai_research_labour, experiment_compute_flop_per_s,
                       human_researchers_2012, experiment_compute_reference_flop_per_s,
                       labour_share_in_research, research_substitution):
        """Research input (1 in 2012): human and AI labour with experiment compute."""
        return research_ces(human_researchers + ai_research_labour, experiment_compute_flop_per_s,
                            human_researchers_2012, experiment_compute_reference_flop_per_s,
                            labour_share_in_research, research_substitution)

    m.auxiliary("dimensionless", doc="Research input if AI did no research labour",
                name="human_only_research_input", inputs=["human_researchers", *ces_inputs])(research_ces)

    @m.auxiliary("dimensionless")
    def research_speedup(research_input, human_only_research_input, research_parallelism):
        """How much faster research goes thanks to AI labour (1 = no speed-up)."""
        return (research_input / human_only_research_input) ** research_parallelism

    m.auxiliary("1/year", name="algorithmic_progress_rate_per_year",
                doc="d ln A / dt = g0 R^lambda (A / A0)^(-lambda / r) x ceiling penalty: semi-endogenous growth "
                    "with diminishing returns near the software ceiling, counted from 2022 algorithms as FTM "
                    "quotes it (Davidson 2023)",
                inputs=["algorithmic_progress_2012", "research_input", "research_parallelism", "algorithmic_efficiency",
                        "algorithmic_efficiency_2012", "research_returns", "max_algorithmic_efficiency",
                        "algorithmic_efficiency_2022"],
                )(semi_endogenous_progress_rate)

    @m.flow("1/year")
    def algorithmic_improvement(algorithmic_efficiency, algorithmic_progress_rate_per_year):
        """Growth of algorithmic efficiency (effective compute per physical FLOP) at the research-driven rate."""
        return algorithmic_efficiency * algorithmic_progress_rate_per_year
