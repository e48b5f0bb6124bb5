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
    for i in (0, 31, BLOCK - 1, BLOCK, BLOCK + 5):
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
                                 np.zeros(3), np.zeros(3))


def test_lowering_refuses_statements_it_does_not_know():
    with pytest.raises(ValueError, match="unexpected statement in the kernel's body: 'print"):
        lower(["        x0 = Y[0, m]", "        print(x0)"])


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
