"""Scalar versions of the equation helpers for JIT-compiled kernels (numba): each
computes on floats what its numpy counterpart in :data:`.functions.NUMERIC` computes
elementwise, NaN propagation included. (Plain math functions such as ``exp`` are
written as numpy calls, which numba compiles for scalars: see ``compile.NUMPY_SCALAR``.)"""

from __future__ import annotations

import numpy as np
from numba import njit

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
