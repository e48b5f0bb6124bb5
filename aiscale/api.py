"""What the command line's ``run`` and ``ensemble`` do, as two Python functions
(``aiscale.run``, ``aiscale.ensemble``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .timespan import END_YEAR, START_YEAR

if TYPE_CHECKING:
    import xarray as xr

    from .scenarios.scenario import Scenario
    from .stocks_flows import Result


def run(scenario: str | Path | Scenario = "baseline", *, start: float = START_YEAR, stop: float = END_YEAR,
        parameters: Mapping[str, float] | None = None, method: str = "RK45", dt: float | None = None,
        **options: Any) -> Result:
    """One run of ``scenario`` (a built-in name, a .toml file or a :class:`Scenario`),
    like ``aiscale run SCENARIO --set NAME=VALUE``: adaptive RK45 by default (``method=
    "rk4"`` or ``"euler"`` with ``dt`` for fixed steps), quarterly output, stopped at a
    reported event if the takeoff blows up.

    ``parameters``: values set on top of the scenario, checked like a scenario file's
    (known names, finite, within range). ``options`` go to
    :func:`aiscale.stocks_flows.simulate` (e.g. ``rtol``, ``saveper``). The result's
    ``frame`` has one column per variable; ``frame.attrs["units"]`` and
    ``["descriptions"]`` say what each is; milestones: ``aiscale.milestones_table``.
    """
    from .model import simulate_baseline
    from .scenarios.scenario import load_scenario

    chosen = load_scenario(scenario).with_overrides(parameters or {}, where="parameters:")
    if dt is not None:
        options["dt"] = dt
    return simulate_baseline(chosen.apply(), start=start, stop=stop, method=method, **options)


def ensemble(scenario: str | Path | Scenario = "baseline", n: int = 1000, *, seed: int = 0, stop: float = END_YEAR,
             dt: float | None = None, parameters: Mapping[str, float] | None = None, workers: int | None = None,
             scheduler: str | None = None, chunk_size: int = 500, progress: bool = False,
             prior_only: bool = False) -> xr.Dataset:
    """A Monte Carlo ensemble of ``n`` members of ``scenario``, like ``aiscale ensemble``:
    posterior-predictive and matched to 2012-2025 history (``prior_only=True``: every
    parameter from its prior, nothing rejected), each member on its own adaptive step
    (``dt``: fixed RK4 steps instead); an
    ``xarray.Dataset`` of each run's draws, metrics and yearly series, with units and
    descriptions in each variable's attributes (see :func:`aiscale.scenarios.ensemble.monte_carlo`).

    ``parameters``: values set on top of the scenario and held fixed (not drawn).
    ``workers``: local processes (default one per core); ``scheduler``: a Dask
    cluster's address instead.
    """
    from .scenarios.ensemble import Settings, monte_carlo
    from .scenarios.scenario import load_scenario

    chosen = load_scenario(scenario).with_overrides(parameters or {}, where="parameters:")
    settings = Settings(stop=stop) if dt is None else Settings(stop=stop, method="rk4", dt=dt)
    return monte_carlo(chosen, n, seed, settings, prior_only=prior_only, chunk_size=chunk_size, workers=workers,
                       scheduler=scheduler, progress=progress)
