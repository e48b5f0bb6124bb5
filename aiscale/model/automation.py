"""Automation: the share of cognitive tasks AI can do, as a function of capability.

Compute-centric takeoff models make the automatable share a function of the effective
training compute of the best AI model (Davidson 2023; Epoch's GATE, Erdil et al.
2025): full automation needs ``full_automation_effective_flop`` (1e36 FLOP at 2022
algorithms in Davidson's best guess), and 20% of tasks are automatable a FLOP gap
(1e4) below that. Between those points we follow Davidson's requirement distribution
exactly (his ``quantiles_from_gap``, in units of gap^(1/7) orders of magnitude below
full automation: 100% at 0 units, 50% at 4, 20% at 7; log-linear in between). Below
20% Davidson puts 10% at 8.5 units, 5% at 9.5 and 0% at 10.5; we keep that shape but
stretch it so that his 0% point falls at ``automation_start_effective_flop``: his
model starts in 2022 and has no economy of AI before it, while ours must earn the AI
revenue of 2023-2025. Below his 5% point we do not drop to 0 (a hard start made the
value of AI labour jump by six orders of magnitude in one year) but continue his 10% ->
5% step: the share halves per further unit, 2.5% at the start threshold, so it is small
but positive at any capability and smooth in log compute. Above 5% and with the start
at Davidson's 10.5 units (full / gap^1.5) the curve is his.

Capability is read from one place, :data:`CAPABILITY`: the effective compute of the
best completed model.
"""

from __future__ import annotations

from ..stocks_flows import Model, if_then_else, log10, maximum
from .parameters import declare

# The capability the automatable share follows: the best completed model (a stock,
# aiscale/model/capability.py), not the run under way, which automates nothing yet.
CAPABILITY = "frontier_model_effective_compute_flop"

# Davidson 2023 (github epoch-research/ftm, SimulateTakeOff.quantiles_from_gap): the
# requirement of the q-th quantile of tasks, in units of gap^(1/7) OOM below full
# automation. Our position coordinate keeps 0-7 units as his and maps the start
# threshold onto 10.5.
FTM_GAP_UNITS = 7.0
FTM_START_UNITS = 10.5
AUTOMATION_CURVE = ((0.0, 1.0), (4.0, 0.5), (7.0, 0.2), (8.5, 0.1), (9.5, 0.05))
# Below his 5% point Davidson's curve falls linearly to 0 at 10.5 units; a hard zero makes
# AI's economic value jump from nothing to millions of human-equivalents in one step.
# aiscale continues his 10% -> 5% step instead: the share halves every further unit, so it
# is positive (if tiny) at any capability and smooth in log compute.
TAIL_UNITS, TAIL_SHARE, TAIL_HALVING_UNITS = 9.5, 0.05, 1.0


def add_automation(m: Model) -> None:
    declare(m, "automation")

    @m.auxiliary("dimensionless", inputs=[CAPABILITY, "full_automation_effective_flop", "flop_gap",
                                          "automation_start_effective_flop"],
                 name="automation_curve_position")
    def automation_curve_position(capability_flop, full_automation_effective_flop, flop_gap,
                                  automation_start_effective_flop):
        """Where capability sits on Davidson's requirement curve, in units of gap^(1/7)
        orders of magnitude below full automation (0 = full automation, 7 = the 20%
        point); below the 20% point the distance to the start threshold is rescaled so
        that the start sits at 10.5 units, as in Davidson's curve."""
        unit = log10(flop_gap) / FTM_GAP_UNITS
        units_below_full = log10(full_automation_effective_flop / capability_flop) / unit
        # the start must lie below the 20% point; if set above it, 0-20% is a jump
        start_units = maximum(log10(full_automation_effective_flop / automation_start_effective_flop) / unit,
                              FTM_GAP_UNITS * 1.000001)
        stretched = FTM_GAP_UNITS + (FTM_START_UNITS - FTM_GAP_UNITS) * (
            units_below_full - FTM_GAP_UNITS) / (start_units - FTM_GAP_UNITS)
        return if_then_else(units_below_full <= FTM_GAP_UNITS, units_below_full, stretched)

    @m.auxiliary("dimensionless", source="Davidson 2023, What a compute-centric framework says about takeoff "
                                          "speeds (github epoch-research/ftm, quantiles_from_gap)")
    def automation_fraction(automation_curve_position):
        """Share of cognitive tasks AI can do (0-1): Davidson's requirement curve read at the
        capability's position, log-linear between his quantiles (1 beyond full automation),
        and below his 5% point halving per unit (his 10% -> 5% step continued), so narrow AI
        early on has a small positive share instead of a hard start (one function, not a
        lookup plus a tail, so that it adds no parallel path to the feedback loops)."""
        pos = maximum(automation_curve_position, 0.0)
        tail = TAIL_SHARE * 2.0 ** (-(pos - TAIL_UNITS) / TAIL_HALVING_UNITS)
        share = tail
        for (x0, y0), (x1, y1) in reversed(list(zip(AUTOMATION_CURVE[:-1], AUTOMATION_CURVE[1:]))):
            share = if_then_else(pos <= x1, y0 + (y1 - y0) * (pos - x0) / (x1 - x0), share)
        return share
