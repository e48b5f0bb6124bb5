"""The code templates the compiler (:mod:`.compile`) fills in: the compiled blow-up
indicator, the solvers' right-hand side, the fixed-step loops, and the signatures
they are compiled with. Plain text, read by numba once a model's statements are
written into them."""

from __future__ import annotations

# Fixed-step integration (Euler or RK4, in log space for log_rows) of every member with
# the blow-up indicator of events.BlowUp, the same arithmetic as integrate._fixed_step
# (which runs when there are threshold events, DELAY FIXED pipelines or stage times that
# vary) but for exp, log and pow (.runtime's vector math: within an ulp of numpy's, pow
# within (1 + |y log x|) ulp). Only the variables the flows need are evaluated; the
# outputs are computed at the saved states afterwards (BLOCK_STEPS, below, keeps them as
# it goes, with the same math: the same bits). A member whose indicator crosses
# zero, or whose state stops being finite, stops; its step and indicator values are
# returned for the event.
# Explicit signatures of layout "A" (any strides): one compiled version serves single
# runs (C-contiguous) and ensembles (arrays stored member by member, Fortran order); the
# block loop's P is C-ordered (BLOCK_FIXED).
_A2 = "float64[:, :]"
HOIST = f"void({_A2})"
DERIVATIVES = f"void(float64, {_A2}, {_A2}, {_A2}, {_A2}, boolean[:])"
SOLVER_RHS = (f"void(float64, float64[::1], float64[::1], boolean, float64, {_A2}, {_A2}, {_A2}, {_A2}, "
              "boolean[:], uint64[:], uint64[:], int64[:], float64, float64, float64[:], float64[:, ::1])")

# The indicator of events.BlowUp for every member (g >= 0: blown up), as compiled code.
BLOWUP = """@njit(cache=True, error_model='numpy', nogil=True)
def blowup_indicator(y, dy, positive_rows, log_max, log_rate, g):
    n, N = y.shape
    rates = log_rate == log_rate and len(positive_rows) > 0
    for m in range(N):
        biggest = 0.0
        check = 0.0  # stays 0 while every state and derivative is finite (else NaN)
        for i in range(n):
            a = abs(y[i, m])
            biggest = a if a > biggest else biggest
            check += (y[i, m] - y[i, m]) + (dy[i, m] - dy[i, m])
        gm = np.log(biggest + 1e-300) - log_max
        if rates:
            fastest = -np.inf
            for i in positive_rows:
                rate = dy[i, m] / max(abs(y[i, m]), 1e-300)
                if rate > fastest or rate != rate:
                    fastest = rate
            gr = np.log(max(fastest, 1e-300)) - log_rate
            if gr > gm or gr != gr:
                gm = gr
        g[m] = 1.0 if (gm != gm or check != 0.0) else gm
"""
# The solvers' right-hand side, in their variables (every adaptive solver's: scipy's,
# the compiled RK45 step of .rk45 and the adaptive members of .ensemble), written once:
# solver_rhs for calls from Python; solver_rates, the same body inlined into the RK45
# step (a call passing its ~100 words of array fields costs 2-3% of an adaptive run).
_SOLVER_RATES_BODY = """    # d(solver variable)/dt at (t, z) into dz, kept finite (a blow-up is the indicator's
    # to report); z and dz are the states Y (n, N) flattened in C order, logarithms in
    # log_rows (unsigned, as linear_rows: indexing needs no wraparound of negative
    # indices); tmp: (2, len(log_rows)). With `indicator`, the blow-up indicator into
    # G. A time at or past t_limit (a breakpoint) reads its left limit, as
    # _System._clock does.
    if t >= t_limit:
        t = np.nextafter(t_limit, -np.inf)
    N = Y.shape[1]
    L = log_rows.shape[0]
    for m in range(N):
        zm, Ym = z[m::N], Y[:, m]
        for i in linear_rows:
            Ym[i] = zm[i]
        # the log rows gathered into tmp, so that their exponentials, and below their
        # rates, are computed by vectorised loops (.runtime._vexp)
        for j in range(L):
            tmp[0, j] = zm[log_rows[j]]
        for j in range(L):
            tmp[0, j] = _vexp(tmp[0, j])
        for j in range(L):
            Ym[log_rows[j]] = tmp[0, j]
    flow_derivatives(t, Y, P, DY, V, active)
    if indicator:
        blowup_indicator(Y, DY, positive_rows, log_max, log_rate, G)
    for m in range(N):
        dzm, Ym, DYm = dz[m::N], Y[:, m], DY[:, m]
        for i in linear_rows:
            v = DYm[i]
            dzm[i] = 0.0 if v != v else min(max(v, -1e300), 1e300)
        for j in range(L):
            tmp[0, j] = Ym[log_rows[j]]
            tmp[1, j] = DYm[log_rows[j]]
        for j in range(L):
            v = tmp[1, j] / tmp[0, j]
            tmp[1, j] = 0.0 if v != v else min(max(v, -1e300), 1e300)
        for j in range(L):
            dzm[log_rows[j]] = tmp[1, j]
"""
SOLVER_RHS_SOURCE = (f"@njit({SOLVER_RHS!r}, cache=True, error_model='numpy', nogil=True, _nrt=False)\n"
                     "def solver_rhs(t, z, dz, indicator, t_limit, P, Y, DY, V, active, log_rows, linear_rows,\n"
                     "               positive_rows, log_max, log_rate, G, tmp):\n" + _SOLVER_RATES_BODY)
SOLVER_RATES_INLINE = ("@njit(cache=True, error_model='numpy', nogil=True, inline='always')\n"
                       "def solver_rates(t, z, dz, indicator, t_limit, W):\n"
                       "    P, Y, DY, V, active, log_rows, linear_rows, positive_rows, log_max, log_rate, G, tmp = W\n"
                       + _SOLVER_RATES_BODY)


FIXED = (f"UniTuple(int64, 2)(float64, float64, int64, int64, boolean, {_A2}, {_A2}, float64[:, :, :], "
         "int64[:], int64[:], int64[:], float64, float64, boolean[:], int64[:], int64[:], float64[:], float64[:])")
VARIABLES = "void(float64[:], float64[:, :, :], float64[:, :], float64[:, :, :], int64[:])"
# the block loop's: FIXED's with P C-ordered (the right-hand side reads it row by row:
# typed "A", its loops over a block are not vectorised), and the outputs kept at the
# saves, OUTV (T, K, BLOCK), with the rows of the working array that hold them
BLOCK_FIXED = (f"UniTuple(int64, 2)(float64, float64, int64, int64, boolean, {_A2}, float64[:, ::1], float64[:, :, :], "
               "int64[:], int64[:], int64[:], float64, float64, boolean[:], int64[:], int64[:], float64[:], float64[:], "
               "float64[:, :, :], int64[:])")

# The blow-up indicator's crossings at step k, the same in both fixed-step loops: a
# running member whose indicator g crosses zero stops (at the start: is at or past it),
# its step and indicator values kept for the event; whether any member still runs.
CROSSINGS = """@njit(cache=True, error_model='numpy', nogil=True, inline='always')
def _crossings(k, g, g_old, active, event_k, event_phase, event_g0, event_g1):
    running = False
    for m in range(len(g)):
        if active[m]:
            if k == 0:
                if g[m] >= 0:
                    active[m] = False
                    event_k[m], event_phase[m], event_g0[m], event_g1[m] = 0, 0, g[m], g[m]
            elif g_old[m] < 0 and g[m] >= 0:
                active[m] = False
                event_k[m], event_phase[m], event_g0[m], event_g1[m] = k, 0, g_old[m], g[m]
        g_old[m] = g[m]
        running = running or active[m]
    return running
"""

FIXED_STEPS = """@njit(cache=True, error_model='numpy', nogil=True, inline='always')
def _rate(y, dy, out, log_rows):
    # d(solver variable)/dt; explicit loops, member by member (slice copies of arrays
    # of this layout are slow in numba)
    for m in range(y.shape[1]):
        for i in range(y.shape[0]):
            out[i, m] = dy[i, m]
        for r in log_rows:
            out[r, m] = dy[r, m] / y[r, m]


@njit(cache=True, error_model='numpy', nogil=True, inline='always')
def _exp_rows(x, m, log_rows, tmp):
    # x[r, m] = exp(x[r, m]) for the log rows, gathered so that the exponentials are
    # vectorised (.runtime._vexp)
    for j in range(len(log_rows)):
        tmp[j] = x[log_rows[j], m]
    for j in range(len(log_rows)):
        tmp[j] = _vexp(tmp[j])
    for j in range(len(log_rows)):
        x[log_rows[j], m] = tmp[j]


@njit(cache=True, error_model='numpy', nogil=True, inline='always')
def _save(OUT, s, y):
    # OUT[s] = y as a loop (numba's slice copy between these layouts is slow)
    for m in range(y.shape[1]):
        for i in range(y.shape[0]):
            OUT[s, i, m] = y[i, m]


@njit(cache=True, error_model='numpy', nogil=True, inline='always')
def _stage(t, z, h, k, ys, tmp, P, out, V, active, log_rows):
    # an RK4 stage: d(solver variable)/dt at z + h k
    for m in range(z.shape[1]):
        for i in range(z.shape[0]):
            ys[i, m] = z[i, m] + h * k[i, m]
        _exp_rows(ys, m, log_rows, tmp)
    flow_derivatives(t, ys, P, out, V, active)
    _rate(ys, out, out, log_rows)


@njit(FIXED_SIGNATURE, cache=True, error_model='numpy', nogil=True)
def fixed_steps(t0, dt, steps, per_save, rk4, Y0, P, OUT, log_rows, clamp_rows, positive_rows,
                log_max, log_rate, active, event_k, event_phase, event_g0, event_g1):
    # OUT[s]: the states at save s (members that stopped held at their last state)
    n, N = Y0.shape
    # every array stored member by member (each member's values contiguous)
    is_log = np.zeros(n, dtype=np.bool_)
    for r in log_rows:
        is_log[r] = True
    y = np.empty((N, n)).T
    z = np.empty((N, n)).T
    for m in range(N):
        for i in range(n):
            y[i, m] = Y0[i, m]
            z[i, m] = np.log(Y0[i, m]) if is_log[i] else Y0[i, m]
    dy = np.empty((N, n)).T
    V = np.empty((N, 1)).T  # (flow_derivatives keeps no variable)
    k1 = np.empty((N, n)).T
    k2 = np.empty((N, n)).T
    k3 = np.empty((N, n)).T
    k4 = np.empty((N, n)).T
    tmp = np.empty(len(log_rows))
    ys = np.empty((N, n)).T
    z_new = np.empty((N, n)).T
    y_new = np.empty((N, n)).T
    g = np.empty(N)
    g_old = np.empty(N)
    nfev = 0
    last_saved = -1
    k = 0
    for k in range(steps + 1):
        t = t0 + k * dt
        flow_derivatives(t, y, P, dy, V, active)
        nfev += 1
        blowup_indicator(y, dy, positive_rows, log_max, log_rate, g)
        running = _crossings(k, g, g_old, active, event_k, event_phase, event_g0, event_g1)
        if k % per_save == 0:
            last_saved = k // per_save
            _save(OUT, last_saved, y)
        if k == steps or not running:
            break
        _rate(y, dy, k1, log_rows)
        if rk4:
            _stage(t + dt / 2, z, dt / 2, k1, ys, tmp, P, k2, V, active, log_rows)
            _stage(t + dt / 2, z, dt / 2, k2, ys, tmp, P, k3, V, active, log_rows)
            _stage(t + dt, z, dt, k3, ys, tmp, P, k4, V, active, log_rows)
            nfev += 3
        for m in range(N):
            if not active[m]:
                continue
            # the step, member by member: new solver variables, clamped, as states,
            # and taken only if every one is finite
            finite = True
            for i in range(n):
                if rk4:
                    zi = z[i, m] + dt / 6 * (k1[i, m] + 2 * k2[i, m] + 2 * k3[i, m] + k4[i, m])
                else:
                    zi = z[i, m] + dt * k1[i, m]
                z_new[i, m] = zi
            for i in clamp_rows:
                z_new[i, m] = max(z_new[i, m], 0.0)
            for i in range(n):
                y_new[i, m] = z_new[i, m]
            _exp_rows(y_new, m, log_rows, tmp)
            for i in range(n):
                finite = finite and np.isfinite(y_new[i, m])
            if not finite:
                active[m] = False
                event_k[m], event_phase[m], event_g0[m], event_g1[m] = k, 1, 0.0, 0.0
                continue
            for i in range(n):
                z[i, m] = z_new[i, m]
                y[i, m] = y_new[i, m]
    for s in range(last_saved + 1, OUT.shape[0]):
        _save(OUT, s, y)
    return k, nfev
"""


def derivatives_function(name: str, body: list[str]) -> list[str]:
    """The source of ``name(t, Y, P, DY, V, active)``: the statements ``body`` for each
    active member ``m`` (the others get zero derivatives)."""
    return [f"@njit({DERIVATIVES!r}, cache=True, error_model='numpy', nogil=True)",
            f"def {name}(t, Y, P, DY, V, active):",
            "    for m in range(Y.shape[1]):",
            "        if not active[m]:",
            "            for i in range(DY.shape[0]):",
            "                DY[i, m] = 0.0",
            "            continue",
            *body,
            "",
            ""]


# The fixed-step loop of FIXED_STEPS for one block of BLOCK members whose right-hand side
# is computed together (.blocked): the same arithmetic element by element, so the same
# results, but every array stored row by row (a block's members contiguous) and every
# loop over the block's members, so that the stages, the rates, the exponentials of the
# log rows, the step and the blow-up indicator are vectorised too; the arrays of a block
# outgrow the core's first-level cache, so each is passed over as few times as possible.
BLOCK_STEPS = """@njit(cache=True, error_model='numpy', nogil=True, inline='always')
def _to_rates(y, dy, log_rows):
    # d(solver variable)/dt in place of d(state)/dt: d(log y)/dt = (dy/dt) / y
    for r in log_rows:
        for j in range(BLOCK):
            dy[r, j] = dy[r, j] / y[r, j]


@njit(cache=True, error_model='numpy', nogil=True, inline='always')
def _stage(t, z, h, k, ys, P, out, active, is_log, log_rows, no_rows, none):
    # an RK4 stage: d(solver variable)/dt at z + h k
    for i in range(z.shape[0]):
        if is_log[i]:
            for j in range(BLOCK):
                ys[i, j] = _vexp(z[i, j] + h * k[i, j])
        else:
            for j in range(BLOCK):
                ys[i, j] = z[i, j] + h * k[i, j]
    derivatives(t, ys, P, out, active, no_rows, none)  # (the flows' part only)
    _to_rates(ys, out, log_rows)


@njit(cache=True, error_model='numpy', nogil=True, inline='always')
def _save(OUT, s, y):
    for i in range(y.shape[0]):
        for j in range(BLOCK):
            OUT[s, i, j] = y[i, j]


@njit(cache=True, error_model='numpy', nogil=True, inline='always')
def _blowup(y, dy, positive_rows, log_max, log_rate, g, biggest, check, fastest):
    # blowup_indicator's values, its loops over the block's members
    n = y.shape[0]
    rates = log_rate == log_rate and len(positive_rows) > 0
    for j in range(BLOCK):
        biggest[j] = 0.0
        check[j] = 0.0
        fastest[j] = -np.inf
    for i in range(n):
        for j in range(BLOCK):
            a = abs(y[i, j])
            biggest[j] = a if a > biggest[j] else biggest[j]
            check[j] += (y[i, j] - y[i, j]) + (dy[i, j] - dy[i, j])
    if rates:
        for i in positive_rows:
            for j in range(BLOCK):
                rate = dy[i, j] / max(abs(y[i, j]), 1e-300)
                fastest[j] = rate if (rate > fastest[j] or rate != rate) else fastest[j]
    for j in range(BLOCK):
        gm = np.log(biggest[j] + 1e-300) - log_max
        if rates:
            gr = np.log(max(fastest[j], 1e-300)) - log_rate
            if gr > gm or gr != gr:
                gm = gr
        g[j] = 1.0 if (gm != gm or check[j] != 0.0) else gm


@njit(FIXED_SIGNATURE, cache=True, error_model='numpy', nogil=True)
def fixed_steps(t0, dt, steps, per_save, rk4, Y0, P, OUT, log_rows, clamp_rows, positive_rows,
                log_max, log_rate, active, event_k, event_phase, event_g0, event_g1, OUTV, keep_rows):
    # OUT[s]: the states at save s (members that stopped held at their last state);
    # OUTV[s, q]: the variable in row keep_rows[q] of derivatives' working array, which
    # computes what the flows need, and at a save every variable too
    n, N = Y0.shape
    if N != BLOCK or P.shape[1] != BLOCK or OUT.shape[2] != BLOCK or OUTV.shape[2] != BLOCK:
        raise ValueError('the block loop takes exactly BLOCK members')
    is_log = np.zeros(n, dtype=np.bool_)
    for r in log_rows:
        is_log[r] = True
    is_clamped = np.zeros(n, dtype=np.bool_)
    for r in clamp_rows:
        is_clamped[r] = True
    y = np.empty((n, BLOCK))
    z = np.empty((n, BLOCK))
    for i in range(n):
        for j in range(BLOCK):
            y[i, j] = Y0[i, j]
            z[i, j] = np.log(Y0[i, j]) if is_log[i] else Y0[i, j]
    k1 = np.empty((n, BLOCK))  # d(state)/dt at the step's start, then the solver variables'
    # between saves no variable is kept (views of the arguments: the same array types as
    # at the saves, so that derivatives is compiled once, not once per type)
    no_rows, none = keep_rows[:0], OUTV[0, :0]
    k2 = np.empty((n, BLOCK))
    k3 = np.empty((n, BLOCK))
    k4 = np.empty((n, BLOCK))
    ys = np.empty((n, BLOCK))
    z_new = np.empty((n, BLOCK))
    y_new = np.empty((n, BLOCK))
    g = np.empty(BLOCK)
    g_old = np.empty(BLOCK)
    work = np.empty((3, BLOCK))
    take = np.empty(BLOCK, dtype=np.bool_)
    nfev = 0
    last_saved = -1
    k = 0
    for k in range(steps + 1):
        t = t0 + k * dt
        if k % per_save == 0:
            derivatives(t, y, P, k1, active, keep_rows, OUTV[k // per_save])
        else:
            derivatives(t, y, P, k1, active, no_rows, none)
        nfev += 1
        _blowup(y, k1, positive_rows, log_max, log_rate, g, work[0], work[1], work[2])
        running = _crossings(k, g, g_old, active, event_k, event_phase, event_g0, event_g1)
        if k % per_save == 0:
            last_saved = k // per_save
            _save(OUT, last_saved, y)
        if k == steps or not running:
            break
        _to_rates(y, k1, log_rows)
        if rk4:
            _stage(t + dt / 2, z, dt / 2, k1, ys, P, k2, active, is_log, log_rows, no_rows, none)
            _stage(t + dt / 2, z, dt / 2, k2, ys, P, k3, active, is_log, log_rows, no_rows, none)
            _stage(t + dt, z, dt, k3, ys, P, k4, active, is_log, log_rows, no_rows, none)
            nfev += 3
        # the step: new solver variables, clamped, as states; a running member takes it
        # only if every one is finite (check: 0, or NaN once a state is not finite)
        check = work[0]
        for j in range(BLOCK):
            check[j] = 0.0
        for i in range(n):
            log_row, clamped = is_log[i], is_clamped[i]
            for j in range(BLOCK):
                if rk4:
                    zi = z[i, j] + dt / 6 * (k1[i, j] + 2 * k2[i, j] + 2 * k3[i, j] + k4[i, j])
                else:
                    zi = z[i, j] + dt * k1[i, j]
                zi = max(zi, 0.0) if clamped else zi
                yi = _vexp(zi) if log_row else zi
                z_new[i, j] = zi
                y_new[i, j] = yi
                check[j] += yi - yi
        every = True
        for m in range(BLOCK):
            take[m] = active[m] and check[m] == 0.0
            if active[m] and not take[m]:
                active[m] = False
                event_k[m], event_phase[m], event_g0[m], event_g1[m] = k, 1, 0.0, 0.0
            every = every and take[m]
        if every:  # (the common case) the new arrays become the current ones
            z, z_new = z_new, z
            y, y_new = y_new, y
        else:
            for i in range(n):
                for j in range(BLOCK):
                    z[i, j] = z_new[i, j] if take[j] else z[i, j]
                    y[i, j] = y_new[i, j] if take[j] else y[i, j]
    for s in range(last_saved + 1, OUT.shape[0]):  # every member stopped: held
        derivatives(t0 + (s * per_save) * dt, y, P, k2, active, keep_rows, OUTV[s])
        _save(OUT, s, y)
    return k, nfev
"""
