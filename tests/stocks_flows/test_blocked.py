"""Blocks of members computed together (.blocked): the same results as one member at a
time, and the vector math they use against numpy's."""

import numpy as np
import pytest
from numba import njit

from aiscale.stocks_flows.blocked import BLOCK, lower
from aiscale.stocks_flows.runtime import _vlog, _vpow

from .test_compile import jit_model


@pytest.fixture
def jit(monkeypatch):
    monkeypatch.setenv("AISCALE_JIT", "1")


def test_members_in_blocks_equal_single_runs_bit_for_bit(jit):
    """An ensemble of a block or more computes the right-hand side of 64 members at once
    with vector math; a single run computes one member with the same arithmetic: the
    same states and outputs, bit for bit, in the full block and in the padded one."""
    model = jit_model().build()
    growth = np.linspace(0.05, 1.95, BLOCK + 6)
    ds = model.run_ensemble({"growth": growth}, 0, 30, method="rk4", dt=0.25)
    kernel = model.plan.kernel
    assert kernel._block_loops is not None  # the block loop ran
    assert "_pow_block(W, " in kernel.block_loops_source and "_exp_block(W, " in kernel.block_loops_source
    for i in (0, BLOCK // 2, BLOCK - 1, BLOCK, BLOCK + 5):
        single = model.run(0, 30, method="rk4", dt=0.25, parameters={"growth": growth[i]})
        for name in ("size", "tank", "expansion", "filling", "draining"):
            np.testing.assert_array_equal(ds[name].values[i], single[name].to_numpy(), err_msg=f"{name} {i}")


def test_the_block_loop_refuses_other_sizes(jit):
    """Three members given to the 64-member loop: a clear error, not memory overrun."""
    model = jit_model().build()
    kernel, n = model.plan.kernel, len(model.plan.state_names)
    params = {name: np.full(3, value) for name, value in model.parameter_values().items()}
    P = np.ascontiguousarray(kernel.input_matrix(model.plan.static_values(params), 3))
    none = np.zeros(0, np.int64)
    with pytest.raises(ValueError, match=f"exactly {BLOCK} members"):
        kernel.block_fixed_steps(0.0, 0.25, 4, 1, True, np.ones((n, 3)), P, np.empty((5, n, 3)), none, none,
                                 none, 700.0, np.nan, np.ones(3, bool), np.full(3, -1), np.zeros(3, np.int64),
                                 np.zeros(3), np.zeros(3), np.empty((5, 0, 3)), none)


def test_lowering_refuses_statements_it_does_not_know():
    with pytest.raises(ValueError, match="unexpected statement in the kernel's body: 'print"):
        lower(["        x0 = Y[0, m]", "        print(x0)"])  # noqa


@njit(error_model="numpy")
def _logs(x, out):
    for i in range(x.size):
        out[i] = _vlog(x[i])


@njit(error_model="numpy")
def _pows(x, y, out):
    for i in range(x.size):
        out[i] = _vpow(x[i], y[i])


def test_vector_log_is_numpys_within_an_ulp():
    rng = np.random.default_rng(1)
    x = np.concatenate([10 ** rng.uniform(-320, 308, 100_000), rng.uniform(0.5, 2, 50_000),
                        [0.0, -0.0, -1.0, np.inf, -np.inf, np.nan, 5e-324, 1.0, 2.0 ** -1074, 1.7e308]])
    out = np.empty_like(x)
    _logs(x, out)
    with np.errstate(all="ignore"):
        want = np.log(x)
    finite = np.isfinite(want) & (want != 0)
    assert np.max(np.abs(out[finite] - want[finite]) / np.spacing(np.abs(want[finite]))) <= 1.0
    np.testing.assert_array_equal(out[~finite], want[~finite])  # 0, negative, inf, NaN, log 1


def test_vector_pow_is_within_its_error_bound_with_numpys_special_cases():
    """x^y = exp(y log|x|): within (1 + |y ln x|) ulp of numpy's power; numpy's results
    for negative bases, zero, one, infinity and NaN."""
    rng = np.random.default_rng(2)
    x = np.concatenate([10 ** rng.uniform(-30, 30, 100_000), -rng.uniform(0, 10, 2_000)])
    y = np.concatenate([rng.uniform(-3, 3, 100_000), np.round(rng.uniform(-5, 5, 1_000)),
                        rng.uniform(-5, 5, 1_000)])
    special_x = np.array([0.0, 0.0, 0.0, 2.0, np.nan, 1.0, -2.0, np.inf, np.inf, -3.0, 3.0, np.nan])
    special_y = np.array([2.0, -1.0, 0.0, 0.5, 0.0, np.nan, 3.0, -0.5, 2.0, 2.0, 2.0, 1.0])
    x, y = np.concatenate([x, special_x]), np.concatenate([y, special_y])
    out = np.empty_like(x)
    _pows(x, y, out)
    with np.errstate(all="ignore"):
        want = np.power(x, y)
        finite = np.isfinite(want) & (want != 0)
        bound = (1 + np.abs(y[finite] * np.log(np.abs(x[finite])))) * np.finfo(float).eps
        error = np.abs(out[finite] - want[finite]) / np.abs(want[finite])
    assert np.max(np.where(error == 0, 0.0, error / bound)) <= 1.0  # (1^NaN: bound NaN, error 0)
    np.testing.assert_array_equal(out[~finite], want[~finite])
    np.testing.assert_allclose(out[-12:], want[-12:], rtol=4 * np.finfo(float).eps)  # signs, NaN and inf
    np.testing.assert_array_equal(out[-3:-1], [9.0, 9.0])  # squares exact


def _folded(text: str):
    """A compiled ``f(x, y, out)`` that writes ``out[i] = text`` for x[i], y[i]."""
    from aiscale.stocks_flows.runtime import _exp_call, _pow_call  # noqa: F401 (read by the source)

    scope = {"njit": njit, "_exp_call": _exp_call, "_pow_call": _pow_call}
    exec("@njit(error_model='numpy')\ndef f(x, y, out):\n    for i in range(x.size):\n"
         f"        out[i] = {text.replace('X', 'x[i]').replace('Y', 'y[i]')}\n", scope)
    return scope["f"]


def test_powers_of_a_number_and_squares_keep_the_bits_of_vpow():
    """The fixed-step loops write ``c ** y`` (c a positive number) as exp(y log c) and
    ``x ** 2`` as x * x: cheaper, and the same bits as .runtime._vpow, specials included."""
    from aiscale.stocks_flows.compile import _vector_power
    from aiscale.stocks_flows.expr import Expr

    rng = np.random.default_rng(3)
    special = [0.0, -0.0, 1.0, 2.0, -2.0, 0.5, 3.0, 700.0, -700.0, 1e-300, np.inf, -np.inf, np.nan]
    values = np.concatenate([rng.uniform(-30, 30, 20_000), 10 ** rng.uniform(-300, 300, 5_000), special])
    general = _folded("_pow_call(X, Y)")
    for base in (10.0, 2.0, 0.5, 1e-3):
        text = _vector_power(Expr("**", (Expr.const(base), Expr.var("y"))), repr(base), "Y")
        assert "_pow_call" not in text and "_exp_call" in text
        x = np.full_like(values, base)
        folded, want = np.empty_like(values), np.empty_like(values)
        _folded(text)(x, values, folded)
        general(x, values, want)
        np.testing.assert_array_equal(folded, want, err_msg=f"{base} ** y")
    square = _vector_power(Expr("**", (Expr.var("x"), Expr.const(2.0))), "X", "2.0")
    assert square == "(X * X)"
    folded, want = np.empty_like(values), np.empty_like(values)
    _folded(square)(values, values, folded)
    general(values, np.full_like(values, 2.0), want)
    np.testing.assert_array_equal(folded, want)
    assert _vector_power(Expr("**", (Expr.const(-10.0), Expr.var("y"))), "(-10.0)", "Y").startswith("_pow_call")


def test_a_power_or_logarithm_is_computed_once_however_many_equations_read_it(jit, monkeypatch):
    """Two equations that read the same power (written separately, so two trees) and a
    logarithm: the kernel computes each once, with the same results as the numpy code."""
    from aiscale.stocks_flows import Model, log

    m = Model("shared")
    m.parameter("k", 0.7, "1")
    m.parameter("per_year", 1.0, "1/year")
    m.stock("a", 2.0, "1", inflows=["up"], positive=True)
    m.stock("b", 1.0, "1", inflows=["across"])

    @m.flow("1/year")
    def up(a, k, per_year):
        return (0.1 * (a / 3) ** k + log(a)) * per_year

    @m.flow("1/year")
    def across(a, k, per_year):
        return ((a / 3) ** k - log(a) / 2) * per_year

    model = m.build()
    kernel = model.plan.kernel
    for source, function, power, logarithm in ((kernel.loops_source, "flow_derivatives", "_pow_call(", "_log_call("),
                                               (kernel.source, "derivatives", " ** ", "np.log(")):
        flows = source[source.index(f"def {function}("):]
        flows = flows[:flows.index("\n\n\n")]
        assert flows.count(power) == 1 and flows.count(logarithm) == 1, flows
    jitted = model.run(0, 10, method="rk4", dt=0.25)
    monkeypatch.setenv("AISCALE_JIT", "0")
    plain = m.build().run(0, 10, method="rk4", dt=0.25)
    for name in ("a", "b", "up", "across"):
        np.testing.assert_allclose(jitted[name].to_numpy(), plain[name].to_numpy(), rtol=1e-12)


def test_the_block_power_has_the_bits_of_the_scalar_one():
    """.runtime._pow_block (three loops, so that LLVM vectorises them) computes what
    _vpow computes for one member, bit for bit, special cases included."""
    from aiscale.stocks_flows.runtime import _pow_block, _pow_call

    rng = np.random.default_rng(5)
    special = np.array([0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, 1e-300, 1e300, np.inf, -np.inf, np.nan])
    x = np.concatenate([rng.uniform(-20, 20, 2000), 10 ** rng.uniform(-300, 300, 2000), np.repeat(special, 12),
                        np.round(rng.uniform(-5, 5, 64))])
    y = np.concatenate([rng.uniform(-6, 6, 4000), np.tile(special, 12), np.round(rng.uniform(-5, 5, 64))])
    x, y = x[:len(x) // BLOCK * BLOCK], y[:len(x) // BLOCK * BLOCK]
    got = np.empty_like(x)
    for s in range(0, len(x), BLOCK):
        W = np.empty((3, BLOCK))
        W[0], W[1] = x[s:s + BLOCK], y[s:s + BLOCK]
        _pow_block(W, 0, 1, 2)
        got[s:s + BLOCK] = W[2]
    want = np.array([_pow_call(a, b) for a, b in zip(x, y)])
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
