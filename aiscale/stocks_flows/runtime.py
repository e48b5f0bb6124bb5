"""Scalar versions of the equation helpers for JIT-compiled kernels (numba): each
computes on floats what its numpy counterpart in :data:`.functions.NUMERIC` computes
elementwise, NaN propagation included. (Plain math functions such as ``exp`` are
written as numpy calls, which numba compiles for scalars: see ``compile.NUMPY_SCALAR``.)"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from .blocked import BLOCK

_jit = njit(error_model="numpy", cache=True)


@_jit
def _min(a, b):
    if a < b:
        return a
    if b <= a:
        return b
    return a + b  # a NaN: np.minimum propagates it


@_jit
def _max(a, b):
    if a > b:
        return a
    if b >= a:
        return b
    return a + b


@_jit
def _if(c, a, b):
    return a if c else b


@_jit
def _and(a, b):
    return (a != 0) and (b != 0)


@_jit
def _or(a, b):
    return (a != 0) or (b != 0)


@_jit
def _not(a):
    return not a


@_jit
def _log(x, base):
    return np.log(x) / np.log(base)


@_jit
def _safediv(a, b, on_zero):
    return on_zero if b == 0 else a / b


@_jit
def _step(time, height, start):
    return height if time >= start else height * 0.0


@_jit
def _ramp(time, slope, start, end):
    return slope * (_min(_max(time, start), end) - start)


@_jit
def _pulse(time, height, start, width):
    return height if (time >= start and time < start + width) else height * 0.0


@_jit
def _pulse_train(time, start, width, interval, end):
    begin = start + np.floor((time - start) / interval) * interval
    if begin > time:
        begin -= interval
    return 1.0 if (time >= start and time < end and time < begin + width) else 0.0


@_jit
def _lookup(x, xs, ys):
    return np.interp(x, xs, ys)


# ---------------------------------------------------------------------- vector math
# exp written as arithmetic on floats and the bits of 2^k (no library call), so that
# LLVM vectorises the loops of the compiled fixed-step integration that take the
# exponentials of the log-space states (libm's exp keeps a loop scalar, and numba from
# PyPI has no vector math library, SVML). Within 1 ulp of numpy's exp; inf, NaN, 0
# and subnormal results as numpy gives them.
@intrinsic
def _from_bits(typingctx, i):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


_LN2_HI = 6.93147180369123816490e-01  # ln 2 in two parts (fdlibm): k * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10


@njit(error_model="numpy", cache=True, inline="always")
def _vexp(x):
    # x = k ln2 + r with |r| <= ln2 / 2; e^r by its Taylor series to r^13 (truncation
    # error below 1e-17 on that range); 2^k from its bits, in two factors so that
    # subnormal results (k down to -1075) keep their precision
    xc = min(max(x, -745.2), 709.8)
    kf = np.floor(xc * 1.4426950408889634 + 0.5)
    r = (xc - kf * _LN2_HI) - kf * _LN2_LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    k = np.int64(kf)
    half = k >> 1
    res = p * _from_bits((half + 1023) << 52) * _from_bits((k - half + 1023) << 52)
    res = np.inf if x > 709.8 else res
    res = 0.0 if x < -745.2 else res
    return x if x != x else res


@intrinsic
def _to_bits(typingctx, x):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


# log's polynomial in s^2, s = f / (2 + f) (fdlibm's e_log.c, Remez, error < 2^-58.45)
_LG1, _LG2, _LG3 = 6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01
_LG4, _LG5 = 2.222219843214978396e-01, 1.818357216161805012e-01
_LG6, _LG7 = 1.531383769920937332e-01, 1.479819860511658591e-01


@njit(error_model="numpy", cache=True, inline="always")
def _vlog(x):
    # fdlibm's log as arithmetic on floats and their bits (no library call, no branch),
    # so that LLVM vectorises the loops that call it: x = 2^k (1 + f) with 1 + f in
    # [sqrt(2)/2, sqrt(2)); log(1 + f) = 2 atanh(s). Within 1 ulp of numpy's log; 0,
    # negative, subnormal, inf and NaN inputs as numpy gives them.
    tiny = x < 2.2250738585072014e-308
    xs = x * 18014398509481984.0 if tiny else x  # subnormals scaled by 2^54 into the normals
    bits = _to_bits(xs)
    k = ((bits >> 52) & 0x7FF) - (1023 + 54 if tiny else 1023)
    m = _from_bits((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)
    high = m > 1.4142135623730951
    m = m * 0.5 if high else m
    k = k + 1 if high else k
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    r = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7))) + w * (_LG2 + w * (_LG4 + w * _LG6))
    half_f2 = 0.5 * f * f
    dk = np.float64(k)
    res = dk * _LN2_HI - ((half_f2 - (s * (half_f2 + r) + dk * _LN2_LO)) - f)
    res = np.inf if x == np.inf else res
    res = -np.inf if x == 0.0 else res
    res = np.nan if x < 0.0 else res
    return x if x != x else res


@njit(error_model="numpy", cache=True, inline="always")
def _vlog10(x):
    return _vlog(x) * 0.43429448190325182765


@njit(error_model="numpy", cache=True, inline="always")
def _vpow(x, y):
    # x^y = exp(y log|x|), signed and special-cased as numpy's power: a negative base
    # needs an integral exponent (else NaN), x^0 = 1^y = 1. The relative error grows with
    # |y log x|: within (1 + |y log x|) ulp (3e-14 for 1e30^0.5)
    return _pow_signed(x, y, _vexp(y * _vlog(abs(x))))


@njit(error_model="numpy", cache=True, inline="always")
def _pow_signed(x, y, r):
    # x^y from r = exp(y log|x|): its sign and numpy's special cases
    integral = np.floor(y) == y
    odd = integral and np.floor(y * 0.5) != y * 0.5
    r = -r if (x < 0.0 and odd) else r
    r = np.nan if (x < 0.0 and not integral) else r
    r = x * x if y == 2.0 else r  # squares exact
    return 1.0 if (y == 0.0 or x == 1.0) else r


# The same functions as calls, for the scalar version of the fixed-step loops' code
# (inlined into every statement that uses them, they took minutes to compile).
@njit(error_model="numpy", cache=True, nogil=True)
def _exp_call(x):
    return _vexp(x)


@njit(error_model="numpy", cache=True, nogil=True)
def _log_call(x):
    return _vlog(x)


@njit(error_model="numpy", cache=True, nogil=True)
def _log10_call(x):
    return _vlog10(x)


@njit(error_model="numpy", cache=True, nogil=True)
def _pow_call(x, y):
    return _vpow(x, y)


# The vectorised right-hand side (.blocked) computes a block of BLOCK members at a time,
# each statement a loop over the block; its logarithms, exponentials and powers are
# these loops over rows of the block's working array W (compiled once, here, rather
# than inlined into every model's kernel, which took minutes to compile).


@njit(error_model="numpy", cache=True, nogil=True)
def _log_block(W, a, out):
    for j in range(BLOCK):
        W[out, j] = _vlog(W[a, j])


@njit(error_model="numpy", cache=True, nogil=True)
def _log10_block(W, a, out):
    for j in range(BLOCK):
        W[out, j] = _vlog10(W[a, j])


@njit(error_model="numpy", cache=True, nogil=True)
def _exp_block(W, a, out):
    for j in range(BLOCK):
        W[out, j] = _vexp(W[a, j])


@njit(error_model="numpy", cache=True, nogil=True)
def _pow_block(W, a, b, out):
    # _vpow in three loops (as one, LLVM did not vectorise it: 5.5 ns an element
    # against 3.7), with its arithmetic, so its bits
    for j in range(BLOCK):
        W[out, j] = W[b, j] * _vlog(abs(W[a, j]))
    for j in range(BLOCK):
        W[out, j] = _vexp(W[out, j])
    for j in range(BLOCK):
        W[out, j] = _pow_signed(W[a, j], W[b, j], W[out, j])
