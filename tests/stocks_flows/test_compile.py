"""The compiler: generated source, and the JIT-compiled kernel against the numpy code."""

import re

import numpy as np
import pytest

from aiscale.stocks_flows import BlowUp, Model, Threshold, exp, log, maximum, minimum

from .reference_models import delays, sir
from .test_simulation import blowup_model, chain_model


def test_generated_source_writes_each_equation_inline():
    m = sir().build()
    source = m.plan.numpy.source
    assert "ns['succumbing'] = (((v" in source and "ns['recovering'] = (v" in source
    assert "_dynamic(" not in source  # every equation traced: no calls of the functions
    chained = chain_model().build().plan.numpy.source
    assert re.search(r"ns\['arrivals'\] = f\d+_dynamic\(v\d+, v\d+, v\d+\)", chained)  # np.sin: called
    compile(source, "<generated>", "exec")  # it is plain Python


def jit_model() -> Model:
    """Nonlinear flows, a non-negative stock, a positive stock, min/max, a smooth."""
    m = Model("jitted", units=["widget = [widget]"])
    m.parameter("growth", 0.4, "1/year", low=0, high=2)
    m.parameter("capacity", 50.0, "widget", low=1, high=1000)
    m.parameter("drain_rate", 0.3, "1/year")
    m.stock("size", 1.0, "widget", inflows=["expansion"], positive=True)
    m.stock("tank", 5.0, "widget", inflows=["filling"], outflows=["draining"], non_negative=True)

    @m.flow("widget/year")
    def expansion(size, growth, capacity):
        return growth * size * maximum(1 - size / capacity, 0) ** 1.5

    @m.flow("widget/year")
    def filling(size, time, drain_rate, capacity):
        return minimum(size, capacity / 5) * drain_rate * exp(-time * drain_rate / 3)

    @m.flow("widget/year")
    def draining(tank, drain_rate, capacity):
        return drain_rate * (capacity * log(1 + tank / capacity) + capacity / 10)

    m.smooth("perceived_size", "size", 2.0, order=3)
    return m


@pytest.fixture
def jit(monkeypatch):
    monkeypatch.setenv("AISCALE_JIT", "1")


def test_the_kernel_computes_what_the_numpy_code_computes(jit, monkeypatch):
    jitted = jit_model().build()
    assert jitted.plan.kernel is not None and "def derivatives(t, Y, P, DY, V, active):" in \
        jitted.plan.kernel.source
    runs = {"euler": dict(method="euler", dt=0.125), "rk4-log": dict(method="rk4", dt=0.25, log_space="always"),
            "adaptive": dict(rtol=1e-9)}
    ours = {k: jitted.run(0, 30, **kw) for k, kw in runs.items()}
    monkeypatch.setenv("AISCALE_JIT", "0")
    plain = jit_model().build()
    assert plain.plan.kernel is None
    for k, kw in runs.items():
        theirs = plain.run(0, 30, **kw)
        np.testing.assert_allclose(ours[k].states.to_numpy(), theirs.states.to_numpy(),
                                   rtol=1e-12 if k != "adaptive" else 1e-7,
                                   atol=0 if k != "adaptive" else 1e-7, err_msg=k)
    assert (ours["euler"]["tank"] >= 0).all() and ours["euler"]["tank"].min() == 0.0


def test_kernel_ensembles_equal_single_runs_and_stop_at_blowups(jit):
    m = jit_model()
    growth = np.array([0.1, 0.4, 1.2, 2.0])
    ds = m.run_ensemble({"growth": growth}, 0, 20, method="rk4", dt=0.25, log_space="always")
    for i, g in enumerate(growth):
        single = m.run(0, 20, method="rk4", dt=0.25, log_space="always", parameters={"growth": g})
        np.testing.assert_array_equal(ds["size"].values[i], single["size"].to_numpy())
    b = blowup_model()
    rates = np.array([0.5, 1.0, 0.1])
    compiled = b.run_ensemble({"unit_rate": rates}, 0, 5, method="rk4", dt=0.001, saveper=0.5)
    assert b.plan.kernel is not None
    np.testing.assert_allclose(compiled["blowup_time"].values[:2], [2.0, 1.0], rtol=0.01)
    assert np.isnan(compiled["blowup_time"].values[2])
    # with a threshold the Python loop runs, on the same kernel: the same blow-up times
    looped = b.run_ensemble({"unit_rate": rates}, 0, 5, method="rk4", dt=0.001, saveper=0.5,
                            events=[Threshold("s", 1e9, name="far")])
    np.testing.assert_array_equal(looped["blowup_time"].values, compiled["blowup_time"].values)
    r = b.run(0, 3, blowup=BlowUp(max_value=1e6, max_growth_rate=None))
    assert r.blew_up and r.events[-1].detail.startswith("s = ")


def test_delays_in_a_kernel_match_and_the_kernel_is_loaded_from_its_file(jit):
    m = delays().build()
    kernel = m.plan.kernel
    r = m.run(0, 20, method="euler", dt=0.125)
    again = delays().build().plan.kernel
    assert again.source == kernel.source and again.derivatives is kernel.derivatives
    np.testing.assert_allclose(r["shipments"].iloc[-1], delays().run(0, 20, method="euler", dt=0.125)
                               ["shipments"].iloc[-1], rtol=0)


def test_compiled_rk45_takes_the_steps_scipy_takes(jit, monkeypatch):
    """RK45 of a compiled model steps in numba (.rk45) as scipy's RK45 does: the same
    accepted times, saved states, events and blow-ups. Not to the last bit: the error
    estimate is a difference of nearly equal sums, which numba and BLAS add in other
    orders, and the step size follows its fifth root."""
    import scipy.integrate

    from aiscale.stocks_flows import rk45

    times: dict[str, list[float]] = {"compiled": [], "scipy": []}
    compiled_step, scipy_step = rk45.CompiledRK45.step, scipy.integrate.RK45.step

    def record(step, key):
        def wrapped(self):
            message = step(self)
            times[key].append(float(self.t))
            return message
        return wrapped

    monkeypatch.setattr(rk45.CompiledRK45, "step", record(compiled_step, "compiled"))
    monkeypatch.setattr(scipy.integrate.RK45, "step", record(scipy_step, "scipy"))
    m = jit_model()

    @m.auxiliary("widget")
    def doubled_size(size):  # read by no flow: the solver's evaluations leave it out
        return 2 * size

    assert m.build().plan.kernel.pruned
    events = [Threshold("doubled_size", 40.0, name="size 20")]
    ours = m.run(0, 30, rtol=1e-8, breakpoints=[7.5], events=events)
    monkeypatch.setenv("AISCALE_SCIPY_RK45", "1")
    theirs = m.run(0, 30, rtol=1e-8, breakpoints=[7.5], events=events)
    assert len(times["compiled"]) == len(times["scipy"]) > 50
    np.testing.assert_allclose(times["compiled"], times["scipy"], rtol=1e-7)
    np.testing.assert_allclose(ours.states.to_numpy(), theirs.states.to_numpy(), rtol=1e-7, atol=1e-8)
    assert [e.name for e in ours.events] == ["size 20"]
    assert ours.events[0].time == pytest.approx(theirs.events[0].time, rel=1e-7)
    assert np.interp(ours.events[0].time, ours.frame.index, ours["size"]) == pytest.approx(20.0, rel=1e-4)
    np.testing.assert_allclose(ours["doubled_size"], 2 * ours["size"], rtol=1e-15)
    b = blowup_model()
    monkeypatch.delenv("AISCALE_SCIPY_RK45")
    blown = b.run(0, 5)
    monkeypatch.setenv("AISCALE_SCIPY_RK45", "1")
    assert b.plan.kernel is not None and blown.blew_up
    assert blown.events[-1].time == pytest.approx(b.run(0, 5).events[-1].time, rel=1e-9)


def hoisting_model() -> Model:
    """Flows with subtrees of parameters only (a log of a ratio, a power, a sum) and a
    flow that blows up for large ``growth``."""
    m = Model("hoisting", units=["widget = [widget]"])
    m.parameter("growth", 0.4, "1/year", low=0, high=5)
    m.parameter("capacity", 50.0, "widget", low=1, high=1000)
    m.parameter("floor", 2.0, "widget", low=1, high=1000)
    m.parameter("elasticity", 0.7, "dimensionless")
    m.stock("size", 1.0, "widget", inflows=["expansion"], positive=True)
    m.stock("tank", 5.0, "widget", inflows=["filling"], non_negative=True)

    @m.flow("widget/year")
    def expansion(size, growth, capacity, floor, elasticity):
        reach = log(capacity / floor) / (1 + elasticity)
        return growth * size * (size / floor) ** (elasticity - 0.5) * reach / log(capacity / floor) ** 0.5

    @m.flow("widget/year")
    def filling(size, growth, capacity, floor, elasticity):
        return growth * minimum(size, capacity / 5) * exp(-elasticity * capacity / floor)

    @m.auxiliary("widget")
    def headroom(size, capacity, floor):  # read by no flow: only in the saved outputs
        return capacity * (1 - floor / capacity) - size

    return m


def test_parameter_subtrees_are_hoisted_with_the_same_results(jit, monkeypatch):
    """Subtrees of parameters only are computed once per member into rows of P after
    the inputs (kernel.hoisted of them); the runs equal the numpy code's."""
    jitted = hoisting_model().build()
    kernel = jitted.plan.kernel
    assert kernel.hoisted >= 3 and "def hoist(P):" in kernel.source
    row = len(kernel.inputs)
    assert f"P[{row}, m] = " in kernel.source and re.search(rf"= .*P\[{row}, m\]", kernel.source.split(
        "def hoist")[0])  # read by the right-hand side
    assert kernel.input_matrix({name: 1.0 for name in kernel.inputs}, 3).shape == (row + kernel.hoisted, 3)
    runs = {"euler": dict(method="euler", dt=0.125), "rk4-log": dict(method="rk4", dt=0.25, log_space="always"),
            "adaptive": dict(rtol=1e-9)}
    ours = {k: jitted.run(0, 10, **kw) for k, kw in runs.items()}
    monkeypatch.setenv("AISCALE_JIT", "0")
    plain = hoisting_model().build()
    for k, kw in runs.items():
        theirs = plain.run(0, 10, **kw)
        np.testing.assert_allclose(ours[k].frame.to_numpy(), theirs.frame.to_numpy(),
                                   rtol=1e-12 if k != "adaptive" else 1e-7, atol=0 if k != "adaptive" else 1e-7,
                                   err_msg=k)


def test_fixed_step_ensembles_keep_the_outputs_of_members_that_stopped(jit):
    """Members that blew up are held at their last state; their saved outputs are the
    variables at that state, as a single run's are, and the others run on unchanged."""
    m = hoisting_model()
    growth = np.array([0.05, 4.5, 0.1, 5.0])
    ds = m.run_ensemble({"growth": growth}, 0, 12, method="rk4", dt=0.25, log_space="always",
                        blowup=BlowUp(max_value=1e6, max_growth_rate=None), outputs=["size", "headroom", "filling"])
    assert np.isfinite(ds["blowup_time"].values[[1, 3]]).all() and np.isnan(ds["blowup_time"].values[[0, 2]]).all()
    for i, g in enumerate(growth):
        single = m.run(0, 12, method="rk4", dt=0.25, log_space="always", parameters={"growth": g},
                       blowup=BlowUp(max_value=1e6, max_growth_rate=None))
        n = len(single.frame)
        for name in ("size", "headroom", "filling"):
            np.testing.assert_array_equal(ds[name].values[i, :n], single[name].to_numpy(), err_msg=f"{name} {i}")
        if n < ds.sizes["time"]:  # held at the last state, variables evaluated there
            held = ds["headroom"].values[i, n:]
            np.testing.assert_array_equal(held, np.full_like(held, ds["headroom"].values[i, n - 1]))


def test_vector_exp_is_numpys_within_an_ulp():
    """The fixed-step loop's exp (.runtime._vexp, arithmetic that LLVM vectorises) is
    numpy's to 1 ulp, with numpy's inf, NaN, 0 and subnormal results."""
    from numba import njit

    from aiscale.stocks_flows.runtime import _vexp

    @njit(error_model="numpy")
    def exps(x, out):
        for i in range(x.size):
            out[i] = _vexp(x[i])

    rng = np.random.default_rng(7)
    x = np.concatenate([rng.uniform(-750, 712, 100_000), rng.uniform(-1, 1, 10_000),
                        [0.0, -0.0, 1.0, 709.78, 709.79, -708.4, -740.0, -745.1, -746.0, np.inf, -np.inf, np.nan]])
    out = np.empty_like(x)
    exps(x, out)
    with np.errstate(over="ignore"):
        want = np.exp(x)
    normal = np.isfinite(want) & (want >= np.finfo(float).tiny)
    assert np.max(np.abs(out[normal] - want[normal]) / np.spacing(want[normal])) <= 1.0
    sub = (want > 0) & (want < np.finfo(float).tiny)
    assert sub.any() and np.max(np.abs(out[sub] - want[sub])) <= 1e-323
    np.testing.assert_array_equal(out[~normal & ~sub], want[~normal & ~sub])  # inf, 0, NaN


def test_fixed_step_ensembles_in_blocks_equal_one_block(jit, monkeypatch):
    """The compiled fixed-step loop integrates members a block at a time: the same
    states, outputs, blow-ups and step counts as all members together."""
    from aiscale.stocks_flows import integrate

    m = hoisting_model()
    growth = np.linspace(0.05, 5.0, 11)
    kwargs = dict(method="rk4", dt=0.25, log_space="always", blowup=BlowUp(max_value=1e6, max_growth_rate=None),
                  outputs=["size", "tank", "headroom", "filling"])
    whole = m.run_ensemble({"growth": growth}, 0, 12, **kwargs)
    monkeypatch.setattr(integrate, "FIXED_STEP_BLOCK", 3)
    blocks = m.run_ensemble({"growth": growth}, 0, 12, **kwargs)
    assert np.isfinite(whole["blowup_time"].values).any() and np.isnan(whole["blowup_time"].values).any()
    for name in ("size", "tank", "headroom", "filling", "stop_time", "blowup_time"):
        np.testing.assert_array_equal(blocks[name].values, whole[name].values, err_msg=name)
    assert blocks.attrs["stats"] == whole.attrs["stats"] and blocks.attrs["events"] == whole.attrs["events"]


def test_a_kernel_is_compiled_again_when_the_helpers_it_calls_change(tmp_path, monkeypatch):
    """numba compiles the helpers a kernel calls (.runtime) into the kernel's cached
    code: a changed helper gives the kernel another cache file, not the old code."""
    from aiscale.stocks_flows import compile as compiler
    from aiscale.stocks_flows import runtime

    monkeypatch.setenv("AISCALE_CACHE", str(tmp_path))
    source = "# a kernel\nVALUE = 1\n"
    before = compiler._load_cached(source).__name__
    changed = tmp_path / "runtime.py"
    changed.write_text(open(runtime.__file__).read() + "\n# a changed helper\n")
    monkeypatch.setattr(runtime, "__file__", str(changed))
    after = compiler._load_cached(source).__name__
    assert after != before and sorted(p.name for p in (tmp_path / "kernels").glob("*.py")) == sorted(
        [f"{before}.py", f"{after}.py"])
