"""Binding constraints: the largest training run each resource alone would allow.

money: the fleet the chip budget alone would have installed; chips: the fleet the
supply chain (wafers, packaging, memory) alone would have installed; power: the fleet
the datacenter power can run; each times the frontier run's share of the fleet,
utilisation and run length. data: Chinchilla with the data stock and repetition.
latency: serial-step limit within the run length. The largest run is what the usable
fleet gives, within the data and latency ceilings, so it never exceeds any ceiling;
the binding constraint is the lowest ceiling.
"""

from __future__ import annotations

from ..stocks_flows import Model, if_then_else, maximum, minimum
from .parameters import declare

CONSTRAINTS = ("money", "chips", "power", "data", "latency")


def add_constraints(m: Model) -> None:
    declare(m, "constraints")

    @m.auxiliary("s")
    def frontier_run_fleet_seconds(frontier_cluster_share, export_controlled_share, training_utilisation,
                                   run_length_s):
        """Seconds of full-fleet peak compute one frontier run gets: share x utilisation x length."""
        return frontier_cluster_share * (1 - export_controlled_share) * training_utilisation * run_length_s

    def run_flop(fleet_flop_per_s, fleet_seconds):
        return fleet_flop_per_s * fleet_seconds

    for constraint, fleet in (("money", "money_limited_fleet_flop_per_s"),
                              ("chips", "supply_limited_fleet_flop_per_s"),
                              ("power", "power_limited_fleet_flop_per_s")):
        m.auxiliary("FLOP", doc=f"Largest run {constraint} alone would allow", name=f"max_run_flop_{constraint}",
                    inputs=[fleet, "frontier_run_fleet_seconds"])(run_flop)

    @m.auxiliary("FLOP")
    def compute_limited_run_flop(usable_fleet_flop_per_s, money_limited_fleet_flop_per_s,
                                 supply_limited_fleet_flop_per_s, frontier_run_fleet_seconds, reporting_threshold_flop,
                                 reporting_cost_fraction):
        """The run the usable fleet gives; above the reporting threshold, part of its
        budget goes to compliance (reporting, evaluations, audits), never taking it
        below the threshold (a policy lever: no threshold by default). The fleet never
        exceeds what money or supply alone would have installed; the minimum keeps the
        solver's separate errors on the three fleets from showing as a run above a ceiling."""
        fleet = minimum(usable_fleet_flop_per_s, money_limited_fleet_flop_per_s, supply_limited_fleet_flop_per_s)
        run = fleet * frontier_run_fleet_seconds
        return if_then_else(run > reporting_threshold_flop,
                            maximum(reporting_threshold_flop, run / (1 + reporting_cost_fraction)), run)

    @m.auxiliary("FLOP")
    def largest_training_run_flop(compute_limited_run_flop, max_run_flop_data, max_run_flop_latency):
        """Physical FLOP of the largest training run."""
        return minimum(compute_limited_run_flop, max_run_flop_data, max_run_flop_latency)

    @m.auxiliary("dimensionless")
    def binding_constraint_index(max_run_flop_money, max_run_flop_chips, max_run_flop_power, max_run_flop_data,
                                 max_run_flop_latency):
        """Which ceiling is lowest: 0 money, 1 chips, 2 power, 3 data, 4 latency."""
        ceilings = [max_run_flop_money, max_run_flop_chips, max_run_flop_power, max_run_flop_data,
                    max_run_flop_latency]
        index, lowest = 0, max_run_flop_money
        for i, ceiling in enumerate(ceilings[1:], start=1):
            index = if_then_else(ceiling < lowest, i, index)
            lowest = minimum(lowest, ceiling)
        return index

    @m.auxiliary("FLOP")
    def effective_compute_flop(largest_training_run_flop, algorithmic_efficiency):
        """Largest run in 2023-algorithm FLOP: physical FLOP x algorithmic efficiency."""
        return largest_training_run_flop * algorithmic_efficiency
