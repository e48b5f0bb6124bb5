"""The law of technical progress shared by hardware and software: semi-endogenous
growth with diminishing returns and a ceiling (Jones 1995; Davidson 2023, "What a
compute-centric framework says about takeoff speeds"; Epoch's GATE).

Each frontier X (FLOP/s per dollar, FLOP per joule, algorithmic efficiency) grows at
a rate that rises with its research input and falls as X rises, because ideas get
harder to find, and falls to zero as X nears its physical or logical ceiling.
"""

from __future__ import annotations

from typing import Any

from ..stocks_flows import clip, log


def ceiling_penalty(level: Any, reference: Any, ceiling: Any) -> Any:
    """Share of the returns to R&D left as the frontier nears its ceiling: 1 up to the
    reference level the ceiling is quoted against, 0 at the ceiling, linear in orders of
    magnitude between (Davidson 2023, FTM's ``ceiling_penalty``, which counts from its
    2022 start)."""
    return clip(log(ceiling / level) / log(ceiling / reference), 0.0, 1.0)


def semi_endogenous_progress_rate(rate_2012: Any, research_input: Any, parallelism: Any, level: Any, level_2012: Any,
                                  returns: Any, ceiling: Any, penalty_reference: Any) -> Any:
    """d ln X / dt = g0 R^lambda (X / X0)^(-lambda / r) x ceiling penalty.

    Jones (1995) semi-endogenous growth as in Davidson 2023 and Epoch's GATE: the rate rises
    with research input R (1 in 2012) to the power lambda (the parallelisation penalty) and
    falls as the level rises ("ideas get harder to find"), with returns r = lambda / beta
    (doubling cumulative input gives r doublings of X); the returns fall to zero as X nears
    its physical ceiling, counting from ``penalty_reference``."""
    return (rate_2012 * research_input ** parallelism * (level / level_2012) ** (-parallelism / returns)
            * ceiling_penalty(level, penalty_reference, ceiling))
