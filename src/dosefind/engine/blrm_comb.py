"""Two-drug BLRM kernels: the posterior of the combination model by deterministic quadrature, cached by
state, the EWOC decision over the cells of a grid and the final selection (the spec:
designs/blrm_comb).

Model (Neuenschwander et al. 2014, OncoBayes2's ``blrm_exnex`` with one group): theta = (a_A, b_A, a_B,
b_B, eta), logit p_A(j) = a_A + exp(b_A) xa_j, logit p_B(k) = a_B + exp(b_B) xb_k (x = log(d / d*)),
p0 = 1 - (1 - p_A)(1 - p_B), logit p_jk = logit p0 + eta h_jk, with h_jk the interaction's dose function
(the spec compiles it: linear or saturating); theta normal a priori (block diagonal).

Posterior by quadrature around the mode. Newton's method (gradient exact, Hessian by central differences
of the gradient, Levenberg damping while it is not negative definite) finds the mode m and S, the inverse
negative Hessian there. Lines: a direction u in the cone of (a_A, a_B, eta) (every logit increases along
it, so on every line the event {p_jk < c} is a half-line), chosen to carry the largest worst-cell share
of the variance of the logits; the outer points w on the 4-D complement of u are one sequence of
scrambled Sobol points through the normal quantile, spread 1.3 times the Laplace covariance (the integrand
divided by that normal density); on each line, centred on its own mode with its Laplace scale,
Gauss-Legendre panels over |v| <= V. The cut of every cell and interval along the line is bracketed in
one panel by the cell's logits at the panels' ends (the logits increase along the line; one evaluation of
every cell's logit per panel end, shared by all the cuts) and found by safeguarded Newton from the
secant's root in that panel (about 5.6 steps a cut, against 7.7 from the line's centre before), and the
integral up to it is that of the panel's interpolating polynomial (exact integrals of the Lagrange basis,
as the single-agent BLRM), so no new evaluation of the posterior is needed.

Levels: prefixes of the sequence (level 0 the accurate rule, the largest; the spec's ``LEVELS``). A row
is built prefix by prefix (:func:`extend_row`), each step adding the next points' lines to the sums the
row holds, so a decision can start on the cheapest level and refine without recomputing a line, and a
row is the same whichever way it was reached. Each step records the largest change it made to any
P(target) or P(overdosing): the error estimate :func:`certified_choice` certifies decisions with. The
accuracy is measured in docs/notes/blrm-comb-quadrature.md.

Posterior summary row (the CRM's cache layout, :data:`~dosefind.designs.layout.POST_FIRST` + 4 D): the
level, its error estimate, log of the normaliser (relative to the rule's unit weights); then per cell
E p (``full`` only), P(p < low), P(low <= p < high), P(p >= high).

Grid rows (filled by ``designs/blrm_comb/spec.py``; W columns): see ``ROW_*`` below.
"""

from __future__ import annotations

import math

import numpy as np

from ..constants import Status
from ..designs import layout as L
from .jit import kernel
from .posterior import cache_slot

CONTINUE = int(Status.CONTINUE)
STOP_SELECT = int(Status.STOP_SELECT)
STOP_NO_DOSE = int(Status.STOP_NO_DOSE)
#: the two-drug BLRM's own reason codes (declared by designs/blrm_comb)
R_BLRMC_TARGET = 104  #: the admissible cell with the highest P(target)
R_BLRMC_CAPPED = 105  #: the best cell was beyond the escalation cap: the best within it
R_BLRMC_NO_SAFE = 106  #: no cell within the cap satisfies EWOC: stop
R_BLRMC_MTD = 107  #: enough patients at the recommended cell (and P(target) high enough): stop

#: grid rows
ROW_MEAN = 0  # prior mean of theta (5)
ROW_PREC = 1  # rows 1..5: prior precision (5 x 5)
ROW_XA = 6  # log(dA_j / dA*)
ROW_XB = 7  # log(dB_k / dB*)
ROW_H = 8  # interaction dose function h_jk, cell c = j K + k
ROW_DOSE_A = 9
ROW_DOSE_B = 10
ROW_MAX_INC = 11  # [max increment of drug A, of drug B] (negative: none)
ROW_GL = 12  # Gauss-Legendre nodes on [-1, 1] of the panels along each line
ROW_GL_W = 13  # their weights
ROW_BASIS = 14  # rows 14 .. 14 + Q - 1: per node q the coefficients of the integral of its Lagrange basis
# polynomial from -1; then the outer point sets s = 0, 1, ... (ip[IP_BLRMC_N_SETS]): from row
# 14 + Q + 5 s, four rows of standard normal coordinates z and a row of log weights (log of the weight
# divided by the standard normal density at z); the set's size is fp[FP_BLRMC_SET_SIZE + s]


@kernel
def _softplus(x):
    if x > 0.0:
        return x + math.log1p(math.exp(-x))
    return math.log1p(math.exp(x))


@kernel
def _sigmoid(x):
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@kernel
def _logit_p0(s):
    """logit(1 - exp(-s)) for s = softplus(la) + softplus(lb) > 0."""
    if s > 1e-300:
        return s + math.log(-math.expm1(-s))
    return -700.0


@kernel
def cell_logits(grid, J, K, th, spa, spb, lg):
    """logit p_jk for every cell at theta into ``lg`` (scratch ``spa`` [J], ``spb`` [K])."""
    e1 = math.exp(th[1])
    e2 = math.exp(th[3])
    for j in range(J):
        spa[j] = _softplus(th[0] + e1 * grid[ROW_XA, j])
    for k in range(K):
        spb[k] = _softplus(th[2] + e2 * grid[ROW_XB, k])
    for j in range(J):
        for k in range(K):
            c = j * K + k
            lg[c] = _logit_p0(spa[j] + spb[k]) + th[4] * grid[ROW_H, c]


@kernel
def log_post(grid, J, K, n_at, tox_at, th, spa, spb, lg):
    """Unnormalised log posterior at theta (``lg`` gets the logit of every cell with patients; the
    others' entries are left as they were)."""
    s = 0.0
    for a in range(5):
        da = th[a] - grid[ROW_MEAN, a]
        for b in range(5):
            s -= 0.5 * da * grid[ROW_PREC + a, b] * (th[b] - grid[ROW_MEAN, b])
    e1 = math.exp(th[1])
    e2 = math.exp(th[3])
    for j in range(J):
        spa[j] = math.nan
    for k in range(K):
        spb[k] = math.nan
    for c in range(J * K):
        n = n_at[c]
        if n > 0:
            j = c // K
            k = c % K
            if math.isnan(spa[j]):
                spa[j] = _softplus(th[0] + e1 * grid[ROW_XA, j])
            if math.isnan(spb[k]):
                spb[k] = _softplus(th[2] + e2 * grid[ROW_XB, k])
            lgc = _logit_p0(spa[j] + spb[k]) + th[4] * grid[ROW_H, c]
            lg[c] = lgc
            s += tox_at[c] * lgc - n * _softplus(lgc)
    return s


@kernel
def grad_log_post(grid, J, K, n_at, tox_at, th, g):
    """The gradient of :func:`log_post` into ``g`` (exact)."""
    for a in range(5):
        acc = 0.0
        for b in range(5):
            acc -= grid[ROW_PREC + a, b] * (th[b] - grid[ROW_MEAN, b])
        g[a] = acc
    e1 = math.exp(th[1])
    e2 = math.exp(th[3])
    for j in range(J):
        la = th[0] + e1 * grid[ROW_XA, j]
        pa = _sigmoid(la)
        spa = _softplus(la)
        for k in range(K):
            c = j * K + k
            n = n_at[c]
            if n == 0:
                continue
            lb = th[2] + e2 * grid[ROW_XB, k]
            pb = _sigmoid(lb)
            s = spa + _softplus(lb)
            p0 = -math.expm1(-s)
            lgc = _logit_p0(s) + th[4] * grid[ROW_H, c]
            r = tox_at[c] - n * _sigmoid(lgc)
            g[0] += r * pa / p0
            g[1] += r * pa / p0 * e1 * grid[ROW_XA, j]
            g[2] += r * pb / p0
            g[3] += r * pb / p0 * e2 * grid[ROW_XB, k]
            g[4] += r * grid[ROW_H, c]


@kernel
def _cholesky(a, out):
    """Lower Cholesky factor of the symmetric n x n ``a`` into ``out``; False if not positive definite."""
    n = a.shape[0]
    for i in range(n):
        for j in range(i + 1):
            s = a[i, j]
            for k in range(j):
                s -= out[i, k] * out[j, k]
            if i == j:
                if s <= 0.0:
                    return False
                out[i, i] = math.sqrt(s)
            else:
                out[i, j] = s / out[j, j]
        for j in range(i + 1, n):
            out[i, j] = 0.0
    return True


@kernel
def _chol_solve(lo, b, x):
    """Solve (lo lo^T) x = b."""
    n = lo.shape[0]
    for i in range(n):
        s = b[i]
        for k in range(i):
            s -= lo[i, k] * x[k]
        x[i] = s / lo[i, i]
    for i in range(n - 1, -1, -1):
        s = x[i]
        for k in range(i + 1, n):
            s -= lo[k, i] * x[k]
        x[i] = s / lo[i, i]


@kernel
def _neg_hessian(grid, J, K, n_at, tox_at, th, out):
    """Minus the Hessian of the log posterior by central differences of the exact gradient (symmetrised)."""
    h = 1e-5
    gp = np.empty(5)
    gm = np.empty(5)
    t = th.copy()
    for i in range(5):
        t[i] = th[i] + h
        grad_log_post(grid, J, K, n_at, tox_at, t, gp)
        t[i] = th[i] - h
        grad_log_post(grid, J, K, n_at, tox_at, t, gm)
        t[i] = th[i]
        for a in range(5):
            out[a, i] = -(gp[a] - gm[a]) / (2.0 * h)
    for i in range(5):
        for a in range(i):
            m = 0.5 * (out[a, i] + out[i, a])
            out[a, i] = m
            out[i, a] = m


@kernel
def posterior_mode(grid, J, K, n_at, tox_at, th, cov, prec):
    """The posterior mode into ``th`` (started there), minus the Hessian there into ``prec`` and
    S = prec^-1 into ``cov``; returns the
    log posterior at the mode. Damped Newton: a step solves (H + lambda I) s = g with lambda raised until
    the matrix is positive definite and the step raises the log posterior."""
    spa = np.empty(J)
    spb = np.empty(K)
    lg = np.empty(J * K)
    g = np.empty(5)
    hm = np.empty((5, 5))
    a = np.empty((5, 5))
    lo = np.empty((5, 5))
    step = np.empty(5)
    trial = np.empty(5)
    cur = log_post(grid, J, K, n_at, tox_at, th, spa, spb, lg)
    lam = 0.0
    for _it in range(200):
        grad_log_post(grid, J, K, n_at, tox_at, th, g)
        _neg_hessian(grid, J, K, n_at, tox_at, th, hm)
        moved = False
        for _try in range(60):
            for i in range(5):
                for j in range(5):
                    a[i, j] = hm[i, j]
                a[i, i] += lam
            if not _cholesky(a, lo):
                lam = max(2.0 * lam, 1e-4)
                continue
            _chol_solve(lo, g, step)
            for i in range(5):
                trial[i] = th[i] + step[i]
            new = log_post(grid, J, K, n_at, tox_at, trial, spa, spb, lg)
            if new >= cur - 1e-12 and math.isfinite(new):
                moved = True
                break
            lam = max(4.0 * lam, 1e-4)
        if not moved:
            break
        big = 0.0
        for i in range(5):
            big = max(big, abs(step[i]))
            th[i] = trial[i]
        cur = new
        lam = 0.25 * lam if lam > 1e-8 else 0.0
        if big < 1e-9:
            break
    _neg_hessian(grid, J, K, n_at, tox_at, th, hm)
    lam = 0.0
    while True:
        for i in range(5):
            for j in range(5):
                a[i, j] = hm[i, j]
            a[i, i] += lam
        if _cholesky(a, lo):
            break
        lam = max(2.0 * lam, 1e-6)
    for i in range(5):
        for j in range(5):
            prec[i, j] = a[i, j]
    unit = np.zeros(5)
    col = np.empty(5)
    for i in range(5):
        for j in range(5):
            unit[j] = 1.0 if i == j else 0.0
        _chol_solve(lo, unit, col)
        for j in range(5):
            cov[j, i] = col[j]
    return cur


@kernel
def _cut_in_panel(grid, J, K, c, lc, u, centre, st, cut, lo, hi, flo, fhi, tol):
    """The v in [lo, hi] at which logit p_c = cut on the line theta = base + (centre + st v) u, given
    logit p_c - cut = ``flo`` < 0 at lo and ``fhi`` >= 0 at hi (u has no slope components and
    non-negative others, so the logit increases with v): safeguarded Newton from the secant's root.
    ``lc``: the line's coefficients (:func:`_line_prep`: each drug's logit at t = 0 and eta at t = 0). A
    Newton step that lands on an end of the bracket is taken (the root is there to rounding: bisecting
    towards it instead cost about three more steps a cut on average)."""
    j = c // K
    k = c % K
    la0 = lc[4 + j]
    lb0 = lc[4 + J + k]
    h = grid[ROW_H, c]
    v = lo - flo * (hi - lo) / (fhi - flo) if fhi > flo else 0.5 * (lo + hi)
    for _it in range(100):
        t = centre + st * v
        la = la0 + t * u[0]
        lb = lb0 + t * u[2]
        ea = math.exp(-abs(la))
        eb = math.exp(-abs(lb))
        s = max(la, 0.0) + math.log1p(ea) + max(lb, 0.0) + math.log1p(eb)
        p0 = -math.expm1(-s)
        f = (s + math.log(p0) if s > 1e-300 else -700.0) + (lc[3] + t * u[4]) * h - cut
        if f < 0.0:
            lo = v
        else:
            hi = v
        sa = 1.0 / (1.0 + ea) if la >= 0.0 else ea / (1.0 + ea)
        sb = 1.0 / (1.0 + eb) if lb >= 0.0 else eb / (1.0 + eb)
        d = st * ((u[0] * sa + u[2] * sb) / p0 + u[4] * h) if p0 > 0.0 else 0.0
        nv = v - f / d if d > 0.0 else 0.5 * (lo + hi)
        if not lo <= nv <= hi:
            nv = 0.5 * (lo + hi)
        if abs(nv - v) < tol or hi - lo < tol:
            return nv
        v = nv
    return v


@kernel
def _tried(n_at, J, K, tried, trows, tcols):
    """The cells with patients into ``tried``, their distinct rows into ``trows`` and columns into
    ``tcols``; returns the three counts."""
    nt = 0
    nr = 0
    nc = 0
    for j in range(J):
        used = False
        for k in range(K):
            if n_at[j * K + k] > 0:
                tried[nt] = j * K + k
                nt += 1
                used = True
        if used:
            trows[nr] = j
            nr += 1
    for k in range(K):
        for j in range(J):
            if n_at[j * K + k] > 0:
                tcols[nc] = k
                nc += 1
                break
    return nt, nr, nc


@kernel
def _line_prep(grid, J, K, base, u, lc):
    """The log posterior along the line base + t u in closed form up to the likelihood: ``lc`` gets the
    prior's quadratic in t (lc[0] + t lc[1] + t^2 lc[2]), eta at t = 0 (lc[3]), and each row's and
    column's single-drug logit at t = 0 (lc[4 + j], lc[4 + J + k]; u has no slope components, so along
    the line they move by t u[0] and t u[2])."""
    q0 = 0.0
    q1 = 0.0
    q2 = 0.0
    for a in range(5):
        da = base[a] - grid[ROW_MEAN, a]
        for b in range(5):
            pab = grid[ROW_PREC + a, b]
            q0 += da * pab * (base[b] - grid[ROW_MEAN, b])
            q1 += u[a] * pab * (base[b] - grid[ROW_MEAN, b])
            q2 += u[a] * pab * u[b]
    lc[0] = -0.5 * q0
    lc[1] = -q1
    lc[2] = -0.5 * q2
    lc[3] = base[4]
    e1 = math.exp(base[1])
    e2 = math.exp(base[3])
    for j in range(J):
        lc[4 + j] = base[0] + e1 * grid[ROW_XA, j]
    for k in range(K):
        lc[4 + J + k] = base[2] + e2 * grid[ROW_XB, k]


@kernel
def _line_value(grid, J, K, n_at, tox_at, tr, u, lc, t, spa, spb):
    """The unnormalised log posterior at base + t u (``lc`` from :func:`_line_prep`; ``tr`` = (cells with
    patients, their rows, their columns, and the three counts) from :func:`_tried`): the prior's
    quadratic and the likelihood over the cells with patients, each drug's softplus once per row and
    column."""
    tried, trows, tcols, nt, nr, nc = tr
    s = lc[0] + t * (lc[1] + t * lc[2])
    for i in range(nr):
        j = trows[i]
        spa[j] = _softplus(lc[4 + j] + t * u[0])
    for i in range(nc):
        k = tcols[i]
        spb[k] = _softplus(lc[4 + J + k] + t * u[2])
    eta = lc[3] + t * u[4]
    for i in range(nt):
        c = tried[i]
        lgc = _logit_p0(spa[c // K] + spb[c % K]) + eta * grid[ROW_H, c]
        s += tox_at[c] * lgc - n_at[c] * _softplus(lgc)
    return s


@kernel
def _line_mode(grid, J, K, n_at, tox_at, tr, u, lc, centre, st, at_centre, spa, spb):
    """(t, s): the mode of the log posterior along the line base + t u (Newton from the Gaussian
    conditional mean ``centre``, second differences; at most 2 steps of at most 2 ``st``: the line's
    panels need a centre near its mode, not the mode itself, and on six data sets two steps moved no
    interval probability by more than 2e-7 from eight, docs/notes/blrm-comb-quadrature.md) and the scale
    of its Laplace approximation (kept within [st / 4, 4 st]). ``at_centre``: the log posterior at
    ``centre``, already computed."""
    t = centre
    h = 1e-3 * st
    d2 = -1.0 / (st * st)
    for it in range(2):
        f0 = at_centre if it == 0 else _line_value(grid, J, K, n_at, tox_at, tr, u, lc, t, spa, spb)
        fp_ = _line_value(grid, J, K, n_at, tox_at, tr, u, lc, t + h, spa, spb)
        fm = _line_value(grid, J, K, n_at, tox_at, tr, u, lc, t - h, spa, spb)
        d1 = (fp_ - fm) / (2.0 * h)
        dd = (fp_ - 2.0 * f0 + fm) / (h * h)
        if not dd < 0.0:
            break
        d2 = dd
        step = -d1 / d2
        step = max(min(step, 2.0 * st), -2.0 * st)
        t += step
        if abs(step) < 1e-6 * st:
            break
    s = 1.0 / math.sqrt(-d2)
    return t, max(min(s, 4.0 * st), 0.25 * st)


@kernel
def logit_gradient(grid, K, th, c, out):
    """The gradient of logit p_c in theta into ``out``."""
    j = c // K
    k = c % K
    e1 = math.exp(th[1])
    e2 = math.exp(th[3])
    la = th[0] + e1 * grid[ROW_XA, j]
    lb = th[2] + e2 * grid[ROW_XB, k]
    p0 = -math.expm1(-(_softplus(la) + _softplus(lb)))
    out[0] = _sigmoid(la) / p0
    out[1] = out[0] * e1 * grid[ROW_XA, j]
    out[2] = _sigmoid(lb) / p0
    out[3] = out[2] * e2 * grid[ROW_XB, k]
    out[4] = grid[ROW_H, c]


@kernel
def line_direction(grid, J, K, th, cov, prec, u, c_lo, c_hi):
    """The direction of the lines: u = (alpha, 0, beta, 0, gamma) / norm with alpha, beta, gamma >= 0 (every
    logit increases along it), chosen from a fixed set of candidates to maximise, over the cells, the
    smallest share of the variance of logit p_c (Laplace) that the line carries:
    (g_c . u)^2 / ((u' S^-1 u) (g_c' S g_c)), g_c the gradient of logit p_c at the mode."""
    D = J * K
    g = np.empty((D, 5))
    gsg = np.empty(D)
    for c in range(D):
        logit_gradient(grid, K, th, c, g[c])
        acc = 0.0
        for a in range(5):
            for b in range(5):
                acc += g[c, a] * cov[a, b] * g[c, b]
        gsg[c] = acc
    levels = np.array([0.0, 0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0])
    best = -1.0
    cand = np.zeros(5)
    for i0 in range(levels.shape[0]):
        for i2 in range(levels.shape[0]):
            for i4 in range(levels.shape[0]):
                if i0 == 0 and i2 == 0 and i4 == 0:
                    continue
                cand[0] = levels[i0]
                cand[2] = levels[i2]
                cand[4] = levels[i4]
                nrm = math.sqrt(cand[0] ** 2 + cand[2] ** 2 + cand[4] ** 2)
                upu = 0.0
                for a in range(5):
                    for b in range(5):
                        upu += cand[a] * prec[a, b] * cand[b]
                upu /= nrm * nrm
                worst = 1.0
                for c in range(c_lo, c_hi):
                    gu = (g[c, 0] * cand[0] + g[c, 2] * cand[2] + g[c, 4] * cand[4]) / nrm
                    worst = min(worst, gu * gu / (upu * gsg[c]))
                if worst > best:
                    best = worst
                    for a in range(5):
                        u[a] = cand[a] / nrm


@kernel
def _complement(u, comp):
    """Rows of ``comp`` [4, 5]: an orthonormal basis of the complement of the unit vector u (Gram-Schmidt
    on the axes, the most orthogonal first)."""
    basis = np.empty((5, 5))
    for a in range(5):
        basis[0, a] = u[a]
    n = 1
    for axis in range(5):
        if n == 5:
            break
        v = np.zeros(5)
        v[axis] = 1.0
        for r in range(n):
            dot = 0.0
            for a in range(5):
                dot += v[a] * basis[r, a]
            for a in range(5):
                v[a] -= dot * basis[r, a]
        nrm = 0.0
        for a in range(5):
            nrm += v[a] * v[a]
        nrm = math.sqrt(nrm)
        if nrm < 1e-6:
            continue
        for a in range(5):
            basis[n, a] = v[a] / nrm
        n += 1
    for i in range(4):
        for a in range(5):
            comp[i, a] = basis[i + 1, a]


@kernel
def _family(ip, fp, grid, n_at, tox_at, m0, m1, cuts, acc_below, acc_mean, full, th, cov, prec, top):
    """The lines through the outer points m0 .. m1 - 1 of the point sequence: adds to ``acc_below[c, i]``
    the integral of exp(log posterior - top) over {logit p_c < cuts[c, i]} and (``full``) to
    ``acc_mean[c]`` that of p_c exp(log posterior - top); returns the integral of exp(log posterior - top)
    over those lines (each point weighted by its weight over the normal density, without 1 / M)."""
    J = ip[L.IP_GRID_ROWS]
    K = ip[L.IP_GRID_COLS]
    D = J * K
    NP = ip[L.IP_BLRMC_N_PANELS]
    Q = ip[L.IP_BLRMC_N_GL]
    NC = cuts.shape[1]
    vr = fp[L.FP_BLRMC_V_RANGE]
    width = 2.0 * vr / NP
    basis0 = ROW_BASIS
    gl0 = ROW_GL
    r0 = ROW_BASIS + Q
    u = np.zeros(5)
    line_direction(grid, J, K, th, cov, prec, u, 0, D)
    comp = np.empty((4, 5))
    _complement(u, comp)
    # Laplace: w = comp (theta - mode) ~ N(0, comp S comp'), the u coordinate given w: mean reg . w, sd st
    cu = np.empty(5)
    for a in range(5):
        acc = 0.0
        for b in range(5):
            acc += cov[a, b] * u[b]
        cu[a] = acc
    suu = 0.0
    for a in range(5):
        suu += u[a] * cu[a]
    sww = np.empty((4, 4))
    swt = np.empty(4)
    tmp = np.empty(5)
    for i in range(4):
        for b in range(5):
            acc = 0.0
            for a in range(5):
                acc += comp[i, a] * cov[a, b]
            tmp[b] = acc
        for i2 in range(4):
            acc = 0.0
            for b in range(5):
                acc += tmp[b] * comp[i2, b]
            sww[i, i2] = acc
        acc = 0.0
        for a in range(5):
            acc += comp[i, a] * cu[a]
        swt[i] = acc
    # the outer rule is scaled wider than the Laplace approximation (heavier tails)
    scale = fp[L.FP_BLRMC_SCALE]
    sc2 = scale * scale
    for i in range(4):
        for i2 in range(4):
            sww[i, i2] *= sc2
        swt[i] *= sc2
    suu *= sc2
    lw = np.empty((4, 4))
    _cholesky(sww, lw)
    reg = np.empty(4)
    _chol_solve(lw, swt, reg)
    st2 = suu
    for i in range(4):
        st2 -= swt[i] * reg[i]
    st = math.sqrt(max(st2, 1e-300))
    spa = np.empty(J)
    spb = np.empty(K)
    lg = np.empty(D)
    vals = np.empty(NP * Q)
    panel = np.empty(NP)
    ends = np.empty((D, NP + 1))
    pt = np.empty(5)
    base = np.empty(5)
    z = np.empty(4)
    wv = np.empty(4)
    lc = np.empty(4 + J + K)
    tried = np.empty(D, dtype=np.int64)
    trows = np.empty(J, dtype=np.int64)
    tcols = np.empty(K, dtype=np.int64)
    nt, nr, nc = _tried(n_at, J, K, tried, trows, tcols)
    tr = (tried, trows, tcols, nt, nr, nc)
    total = 0.0
    for m in range(m0, m1):
        logw = grid[r0 + 4, m]
        for i in range(4):
            z[i] = grid[r0 + i, m]
        centre = 0.0
        for i in range(4):
            acc = 0.0
            for i2 in range(i + 1):
                acc += lw[i, i2] * z[i2]
            wv[i] = acc
            centre += acc * reg[i]
        for a in range(5):
            acc = th[a]
            for i in range(4):
                acc += comp[i, a] * wv[i]
            base[a] = acc
        _line_prep(grid, J, K, base, u, lc)
        # lines negligible at their Gaussian centre are skipped
        at_centre = _line_value(grid, J, K, n_at, tox_at, tr, u, lc, centre, spa, spb)
        if at_centre - top + logw < -46.0:
            continue
        centre, sl = _line_mode(grid, J, K, n_at, tox_at, tr, u, lc, centre, st, at_centre, spa, spb)
        wline = math.exp(logw) * 0.5 * width * sl
        tot_line = 0.0
        for p in range(NP):
            a0 = -vr + p * width
            accp = 0.0
            for q in range(Q):
                v = a0 + 0.5 * width * (grid[gl0, q] + 1.0)
                t = centre + sl * v
                rel = _line_value(grid, J, K, n_at, tox_at, tr, u, lc, t, spa, spb) - top
                f = math.exp(rel) if rel > -700.0 else 0.0
                vals[p * Q + q] = f
                accp += grid[gl0 + 1, q] * f
                if full and f > 0.0:
                    wf = wline * grid[gl0 + 1, q] * f
                    for a in range(5):
                        pt[a] = base[a] + t * u[a]
                    cell_logits(grid, J, K, pt, spa, spb, lg)
                    for c in range(D):
                        acc_mean[c] += wf * _sigmoid(lg[c])
            panel[p] = accp
            tot_line += accp
        total += wline * tot_line
        if NC > 0:
            # every cell's logit at the panels' ends brackets each cut in one panel (logits increase
            # along the line)
            for p in range(NP + 1):
                t = centre + sl * (-vr + p * width)
                for a in range(5):
                    pt[a] = base[a] + t * u[a]
                cell_logits(grid, J, K, pt, spa, spb, lg)
                for c in range(D):
                    ends[c, p] = lg[c]
        for c in range(D):
            for i in range(NC):
                x = cuts[c, i]
                if ends[c, 0] >= x:
                    continue
                if ends[c, NP] < x:
                    acc_below[c, i] += wline * tot_line
                    continue
                pp = 0
                while ends[c, pp + 1] < x:
                    pp += 1
                lo = -vr + pp * width
                vstar = _cut_in_panel(
                    grid,
                    J,
                    K,
                    c,
                    lc,
                    u,
                    centre,
                    sl,
                    x,
                    lo,
                    lo + width,
                    ends[c, pp] - x,
                    ends[c, pp + 1] - x,
                    1e-11,
                )
                acc = 0.0
                for p in range(pp):
                    acc += panel[p]
                x = 2.0 * (vstar - (-vr + pp * width)) / width - 1.0
                part = 0.0
                for q in range(Q):
                    w = 0.0
                    for cc in range(Q, -1, -1):
                        w = w * x + grid[basis0 + q, cc]
                    part += w * vals[pp * Q + q]
                acc_below[c, i] += wline * (acc + part)
    return total


@kernel
def level_size(ip, fp, level):
    """The number of outer points of a level: fp[FP_BLRMC_SET_SIZE + level] for the levels 0 (the
    accurate rule) .. N_SETS - 1 (the cheapest a decision tries), the base prefix for level N_SETS."""
    if level >= ip[L.IP_BLRMC_N_SETS]:
        return int(fp[L.FP_BLRMC_BASE_SIZE] + 0.5)
    return int(fp[L.FP_BLRMC_SET_SIZE + level] + 0.5)


@kernel
def _mode_of(grid, J, K, n_at, tox_at):
    """(theta at the posterior mode, S, S^-1, log posterior there)."""
    th = grid[ROW_MEAN, :5].copy()
    cov = np.empty((5, 5))
    prec = np.empty((5, 5))
    top = posterior_mode(grid, J, K, n_at, tox_at, th, cov, prec)
    return th, cov, prec, top


@kernel
def extend_row(ip, fp, grid, n_at, tox_at, row, full, level, fresh, th, cov, prec, top):
    """The summary row of ``level`` from the row of a coarser level (``fresh``: from nothing): the points
    of the sequence from the row's size up to the level's are integrated and merged with what the row
    holds (its normaliser, column 2, as log relative to the mode). Column 0 gets the level, column 1 the
    largest change of any P(target) or P(overdosing) the new points made (the error estimate of the
    coarser level, inf for a fresh row). A row with D more columns (a meeting's, see
    ``design.decision_row_width()``) also gets P(p >= target) per cell there, the target a third cut on
    the same lines: the other columns are the same to the last bit with or without it."""
    D = ip[L.IP_N_DOSES]
    P = L.POST_FIRST
    m0 = 0 if fresh else level_size(ip, fp, int(row[0] + 0.5))
    m1 = level_size(ip, fp, level)
    NC = 3 if row.shape[0] >= P + 5 * D else 2
    cuts = np.empty((D, NC))
    t = fp[L.FP_TARGET]
    for d in range(D):
        cuts[d, 0] = fp[L.FP_BLRMC_LOGIT_LOW]
        cuts[d, 1] = fp[L.FP_BLRMC_LOGIT_HIGH]
        if NC == 3:
            cuts[d, 2] = math.log(t / (1.0 - t))
    acc_below = np.zeros((D, NC))
    acc_mean = np.zeros(D)
    tot_b = _family(ip, fp, grid, n_at, tox_at, m0, m1, cuts, acc_below, acc_mean, full, th, cov, prec, top)
    tot_a = 0.0 if fresh else math.exp(row[2] - top)
    tot = tot_a + tot_b
    est = 0.0
    for d in range(D):
        ua = 0.0
        ha = 0.0
        ma = 0.0
        if not fresh:
            ua = row[P + D + d] * tot_a
            ha = (1.0 - row[P + 3 * D + d]) * tot_a
            ma = row[P + d] * tot_a if full else 0.0
        under = min(max((ua + acc_below[d, 0]) / tot, 0.0), 1.0)
        below_high = min(max((ha + acc_below[d, 1]) / tot, 0.0), 1.0)
        target = min(max(below_high - under, 0.0), 1.0)
        over = min(max(1.0 - below_high, 0.0), 1.0)
        if not fresh:
            est = max(est, abs(target - row[P + 2 * D + d]), abs(over - row[P + 3 * D + d]))
        row[P + d] = (ma + acc_mean[d]) / tot if full else math.nan
        row[P + D + d] = under
        row[P + 2 * D + d] = target
        row[P + 3 * D + d] = over
        if NC == 3:
            ta = 0.0 if fresh else (1.0 - row[P + 4 * D + d]) * tot_a
            row[P + 4 * D + d] = min(max(1.0 - (ta + acc_below[d, 2]) / tot, 0.0), 1.0)
    row[0] = level
    row[1] = math.inf if fresh else est
    row[2] = top + math.log(tot)


@kernel
def integrate(ip, fp, grid, n_at, tox_at, point_set, cuts, below, mean, full):
    """The rule of level ``point_set`` for any cuts: ``below[c, i]`` = P(logit p_c < cuts[c, i]),
    ``mean[c]`` = E p_c (``full``). Returns (log normaliser, mode a_A, mode a_B)."""
    J = ip[L.IP_GRID_ROWS]
    K = ip[L.IP_GRID_COLS]
    D = J * K
    if not 0 <= point_set <= ip[L.IP_BLRMC_N_SETS]:
        raise ValueError("blrm_comb: no such level")
    th, cov, prec, top = _mode_of(grid, J, K, n_at, tox_at)
    NC = cuts.shape[1]
    acc_below = np.zeros((D, NC))
    acc_mean = np.zeros(D)
    total = _family(
        ip,
        fp,
        grid,
        n_at,
        tox_at,
        0,
        level_size(ip, fp, point_set),
        cuts,
        acc_below,
        acc_mean,
        full,
        th,
        cov,
        prec,
        top,
    )
    for c in range(D):
        mean[c] = acc_mean[c] / total if full else math.nan
        for i in range(NC):
            below[c, i] = min(max(acc_below[c, i] / total, 0.0), 1.0)
    return top + math.log(total), th[0], th[2]


@kernel
def blrm_comb_posterior(ip, fp, grid, n_at, tox_at, out, full, point_set):
    """The posterior summary row of a state at level ``point_set`` (see the module doc) into ``out``:
    built level by level from the base prefix, the same arithmetic as a decision's refinements, so a row
    is the same whichever way it was reached."""
    J = ip[L.IP_GRID_ROWS]
    K = ip[L.IP_GRID_COLS]
    n_sets = ip[L.IP_BLRMC_N_SETS]
    if not 0 <= point_set <= n_sets:
        raise ValueError("blrm_comb: no such level")
    th, cov, prec, top = _mode_of(grid, J, K, n_at, tox_at)
    extend_row(ip, fp, grid, n_at, tox_at, out, full, n_sets, True, th, cov, prec, top)
    for level in range(n_sets - 1, point_set - 1, -1):
        extend_row(ip, fp, grid, n_at, tox_at, out, full, level, False, th, cov, prec, top)


@kernel
def _candidates(ip, grid, n_at, admissible, cur, tried_only, cand):
    """cand[c] = 2 for a cell within the escalation cap, 1 for a cell beyond it, 0 for a cell that is
    never chosen (not admissible on the grid, or untried when ``tried_only``)."""
    D = ip[L.IP_N_DOSES]
    K = ip[L.IP_GRID_COLS]
    cj = cur // K
    ck = cur % K
    top_a = 0
    top_b = 0
    for c in range(D):
        if n_at[c] > 0:
            top_a = max(top_a, c // K)
            top_b = max(top_b, c % K)
    lim_a = math.inf
    lim_b = math.inf
    if grid[ROW_MAX_INC, 0] >= 0.0:
        lim_a = (1.0 + grid[ROW_MAX_INC, 0]) * grid[ROW_DOSE_A, cj] * (1.0 + 1e-12)
    if grid[ROW_MAX_INC, 1] >= 0.0:
        lim_b = (1.0 + grid[ROW_MAX_INC, 1]) * grid[ROW_DOSE_B, ck] * (1.0 + 1e-12)
    for c in range(D):
        cand[c] = 0
        if admissible[c] == 0 or (tried_only and n_at[c] == 0):
            continue
        cand[c] = 2
        j = c // K
        k = c % K
        if grid[ROW_DOSE_A, j] > lim_a or grid[ROW_DOSE_B, k] > lim_b:
            cand[c] = 1
        elif ip[L.IP_BLRMC_NO_SKIP] == 1 and (j > top_a + 1 or k > top_b + 1):
            cand[c] = 1
        elif ip[L.IP_BLRMC_NO_DIAGONAL] == 1 and j > cj and k > ck:
            cand[c] = 1


@kernel
def _choose(ip, fp, row_vals, cand, n_at, margin):
    """(best within the cap, best overall, certified): the EWOC-admissible candidates with the highest
    P(target) (the lowest index on ties); certified when no quantity the choice or the stopping rule
    compares is within its margin of its threshold or rival: ``margin[c]`` for cell c's P(overdosing) vs
    the EWOC bound and its P(target) vs the stopping rule's threshold, ``margin[c] + margin[c']`` for the
    P(target) of c vs c' (so errors below the margins cannot change the decision)."""
    D = ip[L.IP_N_DOSES]
    P = L.POST_FIRST
    ewoc = fp[L.FP_BLRMC_EWOC]
    ok = True
    best = -1
    best_p = -1.0
    free = -1
    free_p = -1.0
    for c in range(D):
        if cand[c] == 0:
            continue
        po = row_vals[P + 3 * D + c]
        if abs(po - ewoc) < margin[c]:
            ok = False
        if po > ewoc:
            continue
        pt = row_vals[P + 2 * D + c]
        if pt > free_p:
            free_p = pt
            free = c
        if cand[c] == 2 and pt > best_p:
            best_p = pt
            best = c
    # the runner-up of each choice must trail by more than the margin
    for c in range(D):
        if cand[c] == 0 or row_vals[P + 3 * D + c] > ewoc:
            continue
        pt = row_vals[P + 2 * D + c]
        if c != free and abs(pt - free_p) < margin[c] + margin[free]:
            ok = False
        if cand[c] == 2 and c != best and abs(pt - best_p) < margin[c] + margin[best]:
            ok = False
    if best >= 0 and ip[L.IP_BLRMC_MTD_N] > 0 and n_at[best] >= ip[L.IP_BLRMC_MTD_N]:
        if abs(best_p - fp[L.FP_BLRMC_MTD_PROB]) < margin[best]:
            ok = False
    return best, free, ok


@kernel
def certified_choice(ip, fp, grid, n_at, tox_at, cand, ckeys, cvals, full):
    """(row, best within the cap, best overall): the choice made on the cheapest level whose error
    estimate certifies it: every cell's margin (see :func:`_choose`) is ``fp[FP_BLRMC_SAFETY]`` times the
    level's estimate, at least ``fp[FP_BLRMC_EST_FLOOR]``: the largest change of any cell's P(target) or
    P(overdosing) between the level and the one before (column 1 of the row; each cell's own change was a
    poorer guide, see docs/notes/blrm-comb-quadrature.md). Not certified: the next level's points are
    added to the row, up to level 0, the accurate rule, which decides whatever its margins. The cache keeps
    the row of the finest level computed for the state (its level in column 0)."""
    D = ip[L.IP_N_DOSES]
    J = ip[L.IP_GRID_ROWS]
    K = ip[L.IP_GRID_COLS]
    row, compute = cache_slot(ckeys, n_at, tox_at, D)
    level = ip[L.IP_BLRMC_N_SETS] - 1
    if compute:
        blrm_comb_posterior(ip, fp, grid, n_at, tox_at, cvals[row], full, level)
    else:
        level = int(cvals[row, 0] + 0.5)
    margin = np.zeros(D)
    while True:
        for c in range(D):
            margin[c] = 0.0
            if level > 0:
                margin[c] = fp[L.FP_BLRMC_SAFETY] * max(cvals[row, 1], fp[L.FP_BLRMC_EST_FLOOR])
        best, free, ok = _choose(ip, fp, cvals[row], cand, n_at, margin)
        if ok or level == 0:
            return row, best, free
        level -= 1
        th, cov, prec, top = _mode_of(grid, J, K, n_at, tox_at)
        extend_row(ip, fp, grid, n_at, tox_at, cvals[row], full, level, False, th, cov, prec, top)


@kernel
def decide_blrm_comb(ip, fp, grid, n_at, tox_at, admissible, cur, n_total, ckeys, cvals, full):
    """The next cell: (cell, status, reason)."""
    D = ip[L.IP_N_DOSES]
    cand = np.empty(D, dtype=np.int64)
    _candidates(ip, grid, n_at, admissible, cur, False, cand)
    row, nxt, free = certified_choice(ip, fp, grid, n_at, tox_at, cand, ckeys, cvals, full)
    if nxt < 0:
        return cur, STOP_NO_DOSE, R_BLRMC_NO_SAFE
    reason = R_BLRMC_TARGET if nxt == free else R_BLRMC_CAPPED
    if ip[L.IP_BLRMC_MTD_N] > 0 and n_at[nxt] >= ip[L.IP_BLRMC_MTD_N]:
        pt = cvals[row, L.POST_FIRST + 2 * D + nxt]
        if pt >= fp[L.FP_BLRMC_MTD_PROB] or (
            ip[L.IP_BLRMC_MTD_TOTAL] > 0 and n_total >= ip[L.IP_BLRMC_MTD_TOTAL]
        ):
            return nxt, STOP_SELECT, R_BLRMC_MTD
    return nxt, CONTINUE, reason


@kernel
def select_blrm_comb(ip, fp, grid, n_at, tox_at, admissible, ckeys, cvals, full):
    """The final selection: among the cells tried, the EWOC-admissible one with the highest P(target) (-1
    when none is admissible)."""
    D = ip[L.IP_N_DOSES]
    cand = np.empty(D, dtype=np.int64)
    _candidates(ip, grid, n_at, admissible, 0, True, cand)
    for c in range(D):  # no cap in the final selection
        if cand[c] == 1:
            cand[c] = 2
    _row, best, _free = certified_choice(ip, fp, grid, n_at, tox_at, cand, ckeys, cvals, full)
    return best


def integrate_on_cores(compiled, n_at, tox_at, level, cuts, full):
    """:func:`integrate` (the rule of ``level`` for any cuts) with the lines split in two halves taken on
    two threads when the process has two cores (live use: the interval ends' passes): (below, mean);
    the sums differ from one pass's only in the order of the two halves' additions."""
    from concurrent.futures import ThreadPoolExecutor

    from .replay import usable_cores

    ip, fp, grid = compiled.ip, compiled.fp, compiled.grid
    J = int(ip[L.IP_GRID_ROWS])
    Kc = int(ip[L.IP_GRID_COLS])
    D = J * Kc
    M = level_size(ip, fp, level)
    th, cov, prec, top = _mode_of(grid, J, Kc, n_at, tox_at)
    parts = [(0, M // 2), (M // 2, M)] if usable_cores() > 1 else [(0, M)]

    def part(rng):
        below = np.zeros((D, cuts.shape[1]))
        mean = np.zeros(D)
        tot = _family(ip, fp, grid, n_at, tox_at, rng[0], rng[1], cuts, below, mean, full, th, cov, prec, top)
        return tot, below, mean

    if len(parts) > 1:
        with ThreadPoolExecutor(max_workers=len(parts)) as pool:
            sums = list(pool.map(part, parts))
    else:
        sums = [part(parts[0])]
    total = sum(s[0] for s in sums)
    below = np.clip(sum(s[1] for s in sums) / total, 0.0, 1.0)
    mean = sum(s[2] for s in sums) / total if full else np.full(D, math.nan)
    return below, mean


def blrm_comb_posterior_summary(
    design,
    n_at,
    tox_at,
    quantiles=(),
    point_set: int = 0,
    quantile_level: int | None = None,
    row=None,
    ends=None,
) -> dict:
    """Full posterior summary of a two-drug BLRM for given patients and DLTs per cell (Python API; live
    use): per cell ``mean``, ``prob_under``, ``prob_target``, ``prob_over``, ``prob_above_target`` from the
    row of level ``point_set`` built as a decision builds it (so the numbers are the ones a decision on
    that level reads, to the last bit), and for each q in ``quantiles`` the q-quantile of p (bisection on
    the quadrature CDF of level ``quantile_level``, by default ``point_set``). ``row``: this state's row
    of a coarser or the same level with the target column (``design.decision_row_width()``, means
    computed), e.g. the last decision's; it is extended, not recomputed. ``ends``: the quantiles already
    computed by :func:`interval_ends` with the same arguments (a meeting computes them while the replay
    decides)."""
    from .posterior import check_counts

    n_at, tox_at = check_counts(design, n_at, tox_at)
    D = design.n_doses
    P = L.POST_FIRST
    c = design.compile(max(design.max_n, int(n_at.sum())))
    n_sets = int(c.ip[L.IP_BLRMC_N_SETS])
    if not 0 <= point_set <= n_sets:
        raise ValueError("blrm_comb: no such level")
    J = design.grid.n_rows
    Kc = design.grid.n_cols
    th, cov, prec, top = _mode_of(c.grid, J, Kc, n_at, tox_at)
    usable = (
        row is not None
        and row.shape == (design.decision_row_width(),)
        and point_set <= int(row[0] + 0.5) <= n_sets
        and not np.isnan(row[P : P + D]).any()
    )
    if usable:
        row = row.copy()
    else:  # from nothing: the base prefix, then level by level as blrm_comb_posterior builds a row
        row = np.zeros(design.decision_row_width())
        extend_row(c.ip, c.fp, c.grid, n_at, tox_at, row, True, n_sets, True, th, cov, prec, top)
    for level in range(int(row[0] + 0.5) - 1, point_set - 1, -1):
        extend_row(c.ip, c.fp, c.grid, n_at, tox_at, row, True, level, False, th, cov, prec, top)
    out = {
        "mode": np.array([th[0], th[2]]),
        "log_evidence": float(row[2]),
        "level": int(row[0] + 0.5),
        "mean": row[P : P + D].copy(),
        "prob_under": row[P + D : P + 2 * D].copy(),
        "prob_target": row[P + 2 * D : P + 3 * D].copy(),
        "prob_over": row[P + 3 * D : P + 4 * D].copy(),
        "prob_above_target": row[P + 4 * D : P + 5 * D].copy(),
    }
    if quantiles:
        if ends is None:
            ends = interval_ends(
                design, n_at, tox_at, quantiles, point_set if quantile_level is None else quantile_level
            )
        out.update(ends)
    return out


def interval_ends(design, n_at, tox_at, quantiles, quantile_level: int) -> dict:
    """For each q in ``quantiles`` (key ``f"q{q}"``) the q-quantile of p per cell by the quadrature CDF of
    level ``quantile_level``."""
    from .posterior import check_counts

    if not quantiles:
        return {}
    n_at, tox_at = check_counts(design, n_at, tox_at)
    D = design.n_doses
    c = design.compile(max(design.max_n, int(n_at.sum())))
    J = design.grid.n_rows
    Kc = design.grid.n_cols
    th, cov, _prec, _top = _mode_of(c.grid, J, Kc, n_at, tox_at)
    out = {}
    # two passes of 16 cuts per cell and quantile: the first on the next cheaper level, placed by the
    # Laplace approximation of the cell's logit (its value at the mode +- 5 sds); the second on
    # ``quantile_level`` inside the bracket the first found, widened by one of its steps each side (the
    # cheaper level's CDF is within its error of the finer one's); then interpolation of the CDF in
    # logit p (inverse cubic through the four cuts around the quantile where they increase, else linear
    # in the bracket). Where the first pass brackets no quantile the bracket reaches out to +-15.
    qs = np.asarray(quantiles, dtype=float)
    Mq = len(qs)
    G = 16
    centre = np.empty(D)
    cell_logits(c.grid, J, Kc, th, np.empty(J), np.empty(Kc), centre)
    spread = np.empty(D)
    g = np.empty(5)
    for d in range(D):
        logit_gradient(c.grid, Kc, th, d, g)
        spread[d] = math.sqrt(max(float(g @ cov @ g), 1e-12))
    lo = np.full((D, Mq), -15.0)
    hi = np.full((D, Mq), 15.0)
    flo = np.zeros((D, Mq))
    fhi = np.ones((D, Mq))
    first = np.clip(centre[:, None] + spread[:, None] * np.linspace(-5.0, 5.0, G), -15.0, 15.0)
    grid_cuts = np.repeat(first[:, None, :], Mq, axis=1)  # [D, Mq, G]
    x = np.zeros((D, Mq))
    cheaper = min(quantile_level + 1, int(c.ip[L.IP_BLRMC_N_SETS]))
    for level, widen in ((cheaper, 1), (quantile_level, 0)):
        cdf, _ = integrate_on_cores(c, n_at, tox_at, level, grid_cuts.reshape(D, Mq * G).copy(), False)
        cdf = cdf.reshape(D, Mq, G)
        for d in range(D):
            for i in range(Mq):
                below = np.flatnonzero(cdf[d, i] < qs[i])
                k = below[-1] if below.size else -1
                a, b = k - widen, k + 1 + widen
                new_lo = grid_cuts[d, i, a] if a >= 0 else lo[d, i]
                new_flo = cdf[d, i, a] if a >= 0 else flo[d, i]
                new_hi = grid_cuts[d, i, b] if b < G else hi[d, i]
                new_fhi = cdf[d, i, b] if b < G else fhi[d, i]
                lo[d, i], hi[d, i], flo[d, i], fhi[d, i] = new_lo, new_hi, new_flo, new_fhi
                if widen == 0:
                    span = fhi[d, i] - flo[d, i] if fhi[d, i] > flo[d, i] else 1.0
                    x[d, i] = lo[d, i] + (hi[d, i] - lo[d, i]) * min(
                        max((qs[i] - flo[d, i]) / span, 0.0), 1.0
                    )
                    f4 = cdf[d, i, k - 1 : k + 3]
                    if 1 <= k <= G - 3 and np.all(np.diff(f4) > 0.0):
                        # inverse cubic interpolation through the four cuts around the quantile
                        x4 = grid_cuts[d, i, k - 1 : k + 3]
                        v = 0.0
                        for r in range(4):
                            w = 1.0
                            for r2 in range(4):
                                if r2 != r:
                                    w *= (qs[i] - f4[r2]) / (f4[r] - f4[r2])
                            v += w * x4[r]
                        x[d, i] = min(max(v, lo[d, i]), hi[d, i])
        frac = (np.arange(G) + 1.0) / (G + 1.0)
        grid_cuts = lo[:, :, None] + (hi - lo)[:, :, None] * frac
    for i, q in enumerate(quantiles):
        out[f"q{q}"] = 1.0 / (1.0 + np.exp(-x[:, i]))
    return out
