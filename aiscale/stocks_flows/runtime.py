"""Scalar versions of the equation helpers for JIT-compiled kernels (numba): each
computes on floats what its numpy counterpart in :data:`.functions.NUMERIC` computes
elementwise, NaN propagation included. (Plain math functions such as ``exp`` are
written as numpy calls, which numba compiles for scalars: see ``compile.NUMPY_SCALAR``.)"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

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
