"""Cost of a member-evaluation in the compiled adaptive member loop (``run_adaptive``,
the posterior-predictive ensembles' integrator), printed (nothing is asserted).

    PYTHONPATH=. .venv/bin/python benchmarks/bench_adaptive.py [--members 500] [--repeats 3]

``--members`` posterior-predictive draws of the baseline (drawn, not history-checked),
2012-2060, rtol 1e-5, integrated on one core; CPU time of ``run_adaptive`` divided by
its right-hand-side evaluations, best of ``--repeats``. The machine is shared: compare
two versions by alternating their runs at the same load.
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from aiscale.model import DEFAULT_BLOWUP
    from aiscale.scenarios import ensemble as E
    from aiscale.scenarios.scenario import load_scenario
    from aiscale.stocks_flows.ensemble import run_adaptive

    scenario = load_scenario("baseline")
    marginals = scenario.uncertainty()
    conditioned, posterior = E.conditioning(scenario, marginals, False, E.Settings())
    draws = E.draw(scenario, marginals, args.members, 0, 0, conditioned, posterior)
    model = E.scenario_model(scenario)
    # compiled (or loaded from the cache) before the clock starts
    run_adaptive(model, {k: v[:5] for k, v in draws.items()}, 2012, 2060, rtol=1e-5, blowup=DEFAULT_BLOWUP)
    best = None
    for _ in range(args.repeats):
        cpu = time.process_time()
        r = run_adaptive(model, draws, 2012, 2060, rtol=1e-5, blowup=DEFAULT_BLOWUP,
                         outputs=["largest_training_run_flop"])
        cpu = time.process_time() - cpu
        if best is None or cpu < best[0]:
            best = (cpu, r["nfev"])
    cpu, nfev = best
    print(f"adaptive member loop, {args.members} posterior draws of the baseline, 2012-2060, rtol 1e-5, one core: "
          f"{cpu / nfev * 1e6:.3f} us a member-evaluation, {nfev / args.members:.0f} evaluations and "
          f"{cpu / args.members * 1e3:.2f} ms of CPU a member (best of {args.repeats})")


if __name__ == "__main__":
    main()
