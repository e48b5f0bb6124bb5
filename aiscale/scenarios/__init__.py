"""Scenarios, policy levers, takeoff metrics, Monte Carlo ensembles and sensitivity.

    from aiscale.scenarios import load_scenario, library
    pause = load_scenario("pause")            # a built-in name or a .toml file
    result = pause.simulate()                 # like simulate_baseline, with the scenario applied
    run_metrics(result)["run_1e28_year"]
"""

from .metrics import (
    METRICS,
    binding_constraint_changes,
    compute_metrics,
    crossing_time,
    milestones,
    milestones_table,
    run_metrics,
)
from .scenario import Scenario, ScenarioError, builtin_names, library, load_scenario, parse_scenario

__all__ = ["milestones", "milestones_table", "crossing_time", "binding_constraint_changes", "run_metrics",
           "compute_metrics", "METRICS", "Scenario", "ScenarioError", "load_scenario", "parse_scenario",
           "library", "builtin_names"]
