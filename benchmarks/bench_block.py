"""Cost of a member-evaluation in the compiled fixed-step block loop (the prior-only
ensembles' integrator, 64 members at once), printed (nothing is asserted).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_block.py [--members 1024] [--repeats 5]

A ``--members`` prior-only RK4 ensemble of the baseline (dt = 1/4, 2012-2060) is run once
in this process with the block loop's arguments recorded; the loop is then called again
on copies of them, on one core, best of ``--repeats``: CPU time over members times
evaluations. The right-hand side alone (``flow_derivatives`` of one block at the start)
is timed too. The machine is shared: compare two versions by alternating their runs at
the same load.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from numba import njit

    from aiscale.scenarios.ensemble import Settings, monte_carlo, scenario_model
    from aiscale.scenarios.scenario import load_scenario
    from aiscale.stocks_flows.blocked import BLOCK
    from aiscale.stocks_flows.compile import Kernel

    scenario = load_scenario("baseline")
    kernel = scenario_model(scenario).plan.kernel
    settings = Settings(method="rk4", dt=0.25)
    calls: list[list] = []
    loop = kernel.block_fixed_steps  # (compiled here, not in the timing)

    def recorded(*arguments):
        calls.append([a.copy() if isinstance(a, np.ndarray) else a for a in arguments])
        return loop(*arguments)

    # record the loop's arguments in one ensemble run (the kernel's property, patched)
    original = Kernel.block_fixed_steps
    Kernel.block_fixed_steps = property(lambda self: recorded)  # type: ignore[method-assign,assignment]
    try:
        monte_carlo(scenario, args.members, seed=1, settings=settings, prior_only=True, workers=1,
                    chunk_size=args.members)
    finally:
        Kernel.block_fixed_steps = original  # type: ignore[method-assign]
    steps = calls[0][2]
    evaluations = 4 * steps + 1
    best = np.inf
    for _ in range(args.repeats):
        copies = [[a.copy() if isinstance(a, np.ndarray) else a for a in call] for call in calls]
        start = time.process_time()
        for call in copies:
            loop(*call)
        best = min(best, time.process_time() - start)
    members = BLOCK * len(calls)
    print(f"block loop: {len(calls)} blocks of {BLOCK} members, {evaluations} evaluations a member: "
          f"{1e9 * best / members / evaluations:.0f} ns a member-evaluation ({1e3 * best / members:.3f} ms a member)")

    @njit
    def repeat(function, times, t, Y, P, DY, active, no_rows, none):
        for _ in range(times):
            function(t, Y, P, DY, active, no_rows, none)

    first = calls[0]
    Y = np.ascontiguousarray(first[5])
    P, active = first[6], np.ones(BLOCK, dtype=np.bool_)
    DY, no_rows, none = np.empty_like(Y), np.zeros(0, dtype=np.int64), np.empty((0, BLOCK))
    derivatives = kernel._block_loops.derivatives
    repeat(derivatives, 1, first[0], Y, P, DY, active, no_rows, none)
    times, best = 20_000, np.inf
    for _ in range(args.repeats):
        start = time.process_time()
        repeat(derivatives, times, first[0], Y, P, DY, active, no_rows, none)
        best = min(best, time.process_time() - start)
    print(f"right-hand side alone (what the flows need, one block at 2012): {1e9 * best / times / BLOCK:.0f} ns "
          "a member-evaluation")


if __name__ == "__main__":
    main()
