"""Marginals (three-point, uniform, log-uniform, normal, lognormal) and the copula."""

import numpy as np
import pytest
from scipy import stats

from aiscale.scenarios.distributions import Distribution, DistributionError, default_distribution, sample


def test_three_point_puts_half_the_mass_on_each_side_of_the_central_value():
    d = Distribution.make("three_point", low=1e28, central=1e36, high=1e40, space="log")
    u = np.linspace(0, 1, 1001)
    x = d.ppf(u)
    assert x[0] == pytest.approx(1e28) and x[500] == pytest.approx(1e36) and x[-1] == pytest.approx(1e40)
    assert np.log10(d.ppf(np.array([0.25, 0.75]))) == pytest.approx([32.0, 38.0])
    odds = Distribution.make("three_point", low=0.1, central=0.5, high=0.9, space="odds")
    assert odds.ppf(np.array([0.5]))[0] == pytest.approx(0.5)
    lin = default_distribution(-0.2, -3.0, 0.9)
    assert lin.space == "linear" and lin.ppf(np.array([0.5]))[0] == pytest.approx(-0.2)


def test_truncated_normal_and_lognormal_stay_in_range():
    u = np.random.default_rng(0).uniform(size=10000)
    n = Distribution.make("normal", mean=0.4, sd=0.2).ppf(u, 0.2, 0.6)
    assert n.min() >= 0.2 and n.max() <= 0.6 and abs(np.median(n) - 0.4) < 0.01
    ln = Distribution.make("lognormal", median=2.0, sigma=0.5).ppf(u, 0.5, 3.0)
    assert ln.min() >= 0.5 and ln.max() <= 3.0
    lu = Distribution.make("loguniform", low=10, high=1e7).ppf(u)
    assert stats.kstest(np.log10(lu), "uniform", args=(1, 6)).pvalue > 0.01


@pytest.mark.parametrize("kind,args,message", [
    ("uniform", {"low": 2, "high": 1}, "must be below high"),
    ("normal", {"mean": 1}, "needs mean, sd; missing sd"),
    ("loguniform", {"low": 0, "high": 1}, "needs low > 0"),
    ("beta", {}, "unknown distribution kind 'beta'"),
])
def test_bad_distributions(kind, args, message):
    with pytest.raises(DistributionError, match=message):
        Distribution.make(kind, **args)


def test_copula_gives_the_rank_correlations_and_is_seeded():
    marginals = {"a": (Distribution.make("loguniform", low=1, high=1e6), None, None),
                 "b": (Distribution.make("uniform", low=0, high=1), None, None),
                 "c": (Distribution.make("three_point", low=1, central=2, high=10), None, None)}
    draws = sample(marginals, 20000, seed=5, correlations={("a", "b"): 0.6, ("b", "c"): -0.3})
    rho = stats.spearmanr(np.column_stack([draws["a"], draws["b"], draws["c"]])).statistic
    assert rho[0, 1] == pytest.approx(0.6, abs=0.02) and rho[1, 2] == pytest.approx(-0.3, abs=0.02)
    assert rho[0, 2] == pytest.approx(0.0, abs=0.03)  # not given: independent
    again = sample(marginals, 20000, seed=5, correlations={("a", "b"): 0.6, ("b", "c"): -0.3})
    assert all(np.array_equal(draws[k], again[k]) for k in draws)
    other = sample(marginals, 20000, seed=6, correlations={("a", "b"): 0.6, ("b", "c"): -0.3})
    assert not np.array_equal(draws["a"], other["a"])
    with pytest.raises(DistributionError, match="not a valid correlation matrix"):
        sample(marginals, 10, 0, {("a", "b"): 0.95, ("b", "c"): 0.95, ("a", "c"): -0.95})


def test_the_baseline_uncertainty_covers_every_ranged_parameter_but_the_levers(model):
    from aiscale.scenarios import load_scenario
    from aiscale.scenarios.distributions import POLICY_LEVERS

    marginals = load_scenario("baseline", model).uncertainty(model)
    ranged = {n for n, p in model.parameters.items() if "__" not in n and p.low is not None and p.low < p.high}
    assert set(marginals) == ranged - set(POLICY_LEVERS)
    draws = sample(marginals, 2000, 1, load_scenario("baseline", model).correlations)
    for name, values in draws.items():
        p = model.parameters[name]
        assert p.low <= values.min() and values.max() <= p.high, name
        if p.value in (p.low, p.high):  # on a bound: spread over the range, no point mass
            assert np.mean(values == p.value) < 0.01, name
            continue
        # the table value is the median
        assert np.mean(values < p.value) <= 0.54 and np.mean(values <= p.value) >= 0.46, name


def test_a_central_value_on_a_bound_is_no_point_mass():
    d = Distribution.make("three_point", low=0.05, central=1.0, high=1.0)
    x = d.ppf(np.linspace(0, 1, 10001))
    assert np.mean(x == 1.0) < 0.001 and x.min() == 0.05 and x.max() == 1.0
    np.testing.assert_allclose(np.median(np.log(x)), np.log(0.05) / 2, atol=0.01)  # uniform in log space


def test_empirical_and_narrowed_marginals_and_truncated_sampling():
    from aiscale.scenarios.distributions import Empirical, Narrowed, sample

    values = np.random.default_rng(0).lognormal(0, 1, 2000)
    e = Empirical.of(values, "a posterior")
    u = np.linspace(0.01, 0.99, 99)
    np.testing.assert_allclose(e.ppf(u), np.quantile(values, u), rtol=0.02)
    base = Distribution.make("uniform", low=0.0, high=10.0)
    n = Narrowed(base, 0.2, 0.6)
    np.testing.assert_allclose(n.ppf(np.array([0.0, 0.5, 1.0])), [2.0, 4.0, 6.0])
    assert n.varied and not Narrowed(base, 0.5, 0.5).varied and "0.2-0.6" in n.describe()
    marginals = {"a": (base, 0.0, 10.0), "b": (base, 0.0, 10.0)}
    pairs = {("a", "b"): 0.8}
    full = sample(marginals, 4000, 1, pairs)
    cut = sample(marginals, 4000, 1, pairs, {"a": (0.2, 0.6)})
    assert 2.0 <= cut["a"].min() and cut["a"].max() <= 6.0
    np.testing.assert_array_equal(cut["b"], full["b"])  # the other marginal is unchanged
    np.testing.assert_allclose(cut["a"], 2.0 + 0.4 * full["a"])  # same ranks, rescaled quantiles


def test_large_draws_are_the_same_on_one_thread_or_several(monkeypatch):
    """The copula's marginals of a large draw are computed on several threads: the same
    numbers as on one."""
    from aiscale.scenarios import distributions, load_scenario

    scenario = load_scenario("baseline")
    marginals = scenario.uncertainty()
    n = -(-1_000_000 // sum(d.varied for d, _, _ in marginals.values()))  # enough for threads
    threaded = distributions.sample(marginals, n, 3, scenario.correlations)
    monkeypatch.setattr(distributions.os, "cpu_count", lambda: 1)
    single = distributions.sample(marginals, n, 3, scenario.correlations)
    assert threaded.keys() == single.keys()
    for name in single:
        np.testing.assert_array_equal(threaded[name], single[name], err_msg=name)
