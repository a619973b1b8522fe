"""BLRM kernels: the posterior of the two-parameter logistic model by deterministic quadrature, cached by
state, the escalation-with-overdose-control decision and the final selection (the spec: designs/blrm).

Model (Neuenschwander, Branson & Gsponer 2008): logit p_d = theta1 + exp(theta2) x_d with
x_d = log(dose_d / reference dose), (theta1, theta2) = (log alpha, log beta) bivariate normal a priori.

Posterior by quadrature around its mode. Newton's method (Fisher scoring while the observed information
is not positive definite) finds the mode m and the covariance S (inverse negative Hessian). The
coordinates are theta2 = m2 + s2 u and theta1 = m1 + (S12 / S22)(theta2 - m2) + s1 v with
s2 = sqrt(S22), s1 = sqrt(S11 - S12^2 / S22): u on an equally spaced grid (trapezoid rule, exponentially
accurate for these smooth integrands), v in Gauss-Legendre panels. For fixed theta2 the event
p_d < c is the half-line theta1 < logit(c) - exp(theta2) x_d, i.e. v < v*, so every interval
probability is a sum over the u nodes of the integral of the posterior in v up to v*: whole panels
below v* from their nodes, the panel that contains v* by Gauss-Legendre on [panel start, v*] with
fresh evaluations. The accuracy is measured against adaptive integration in tests/unit/test_blrm.py.

Posterior summary row (the CRM's cache layout, :data:`~dosefind.designs.layout.POST_FIRST` + 4 D):
mode theta1, mode theta2, log evidence; then per dose E p_d (``full`` only), P(p_d < low),
P(low <= p_d < high), P(p_d >= high).
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
#: the BLRM's own reason codes (declared by designs/blrm: DESIGN_REASON_CODES)
R_BLRM_TARGET = 100  #: the admissible dose with the highest P(target)
R_BLRM_CAPPED = 101  #: the best dose was beyond the escalation cap: the best within it
R_BLRM_NO_SAFE = 102  #: no dose within the cap satisfies EWOC: stop
R_BLRM_MTD = 103  #: enough patients at the recommended dose (and P(target) high enough): stop


@kernel
def _softplus(x):
    if x > 0.0:
        return x + math.log1p(math.exp(-x))
    return math.log1p(math.exp(x))


@kernel
def blrm_log_post(fp, c0, D, n_at, tox_at, t1, t2):
    """Unnormalised log posterior at (theta1, theta2) = (log alpha, log beta) under the prior component
    whose parameters start at ``fp[c0]`` ([m1, m2, P11, P12, P22, log normaliser, weight]: mean and
    precision)."""
    m1 = fp[c0]
    m2 = fp[c0 + 1]
    d1 = t1 - m1
    d2 = t2 - m2
    s = -0.5 * (fp[c0 + 2] * d1 * d1 + 2.0 * fp[c0 + 3] * d1 * d2 + fp[c0 + 4] * d2 * d2)
    b = math.exp(t2)
    for d in range(D):
        n = n_at[d]
        if n == 0:
            continue
        eta = t1 + b * fp[L.FP_BLRM_X + d]
        s += tox_at[d] * eta - n * _softplus(eta)
    return s


@kernel
def blrm_mode(fp, c0, D, n_at, tox_at, out):
    """The posterior mode and covariance: out = [m1, m2, S11, S12, S22]. Newton steps on the observed
    information when it is positive definite, Fisher scoring otherwise, halving a step that lowers the
    log posterior."""
    t1 = fp[c0]
    t2 = fp[c0 + 1]
    cur = blrm_log_post(fp, c0, D, n_at, tox_at, t1, t2)
    for _it in range(60):
        g1, g2, h11, h12, h22 = _score_information(fp, c0, D, n_at, tox_at, t1, t2)
        det = h11 * h22 - h12 * h12
        s1 = (h22 * g1 - h12 * g2) / det
        s2 = (h11 * g2 - h12 * g1) / det
        step = 1.0
        moved = False
        for _half in range(40):
            n1 = t1 + step * s1
            n2 = t2 + step * s2
            new = blrm_log_post(fp, c0, D, n_at, tox_at, n1, n2)
            if new >= cur - 1e-12:
                t1, t2, cur = n1, n2, new
                moved = True
                break
            step *= 0.5
        if not moved or (abs(step * s1) < 1e-10 and abs(step * s2) < 1e-10):
            break
    _g1, _g2, h11, h12, h22 = _score_information(fp, c0, D, n_at, tox_at, t1, t2)
    det = h11 * h22 - h12 * h12
    out[0] = t1
    out[1] = t2
    out[2] = h22 / det
    out[3] = -h12 / det
    out[4] = h11 / det
    return cur


@kernel
def _score_information(fp, c0, D, n_at, tox_at, t1, t2):
    """The log posterior's gradient at (theta1, theta2) and its information: the observed information
    when it is positive definite, else Fisher's (the observed one drops, in the theta2 direction, the
    second derivative of exp(theta2) in the linear predictor). Returns (g1, g2, h11, h12, h22)."""
    p11 = fp[c0 + 2]
    p12 = fp[c0 + 3]
    p22 = fp[c0 + 4]
    b = math.exp(t2)
    g1 = -(p11 * (t1 - fp[c0]) + p12 * (t2 - fp[c0 + 1]))
    g2 = -(p12 * (t1 - fp[c0]) + p22 * (t2 - fp[c0 + 1]))
    f11 = p11
    f12 = p12
    f22 = p22
    extra = 0.0
    for d in range(D):
        n = n_at[d]
        if n == 0:
            continue
        bx = b * fp[L.FP_BLRM_X + d]
        p = 1.0 / (1.0 + math.exp(-(t1 + bx)))
        r = tox_at[d] - n * p
        w = n * p * (1.0 - p)
        g1 += r
        g2 += r * bx
        f11 += w
        f12 += w * bx
        f22 += w * bx * bx
        extra += r * bx
    o22 = f22 - extra
    if o22 > 0.0 and f11 * o22 - f12 * f12 > 0.0:
        return g1, g2, f11, f12, o22
    return g1, g2, f11, f12, f22


@kernel
def _line(fp, c0, D, n_at, tox_at, t2, start):
    """For fixed theta2, the mode of the posterior in theta1 (Newton from ``start``; the conditional is
    log-concave) and the standard deviation of its Laplace approximation: the centre and scale of the
    line of v nodes."""
    p11 = fp[c0 + 2]
    base = p11 * fp[c0] - fp[c0 + 3] * (t2 - fp[c0 + 1])
    b = math.exp(t2)
    t1 = start
    lo = -math.inf
    hi = math.inf
    for _it in range(100):
        g = base - p11 * t1
        h = p11
        for d in range(D):
            n = n_at[d]
            if n == 0:
                continue
            p = 1.0 / (1.0 + math.exp(-(t1 + b * fp[L.FP_BLRM_X + d])))
            g += tox_at[d] - n * p
            h += n * p * (1.0 - p)
        if g > 0.0:  # the derivative decreases: the mode is above t1
            lo = t1
        else:
            hi = t1
        nt = t1 + g / h
        # Newton left the bracket: bisect, or step at most 4 while unbounded (a step onto an end is taken:
        # the mode is there to rounding, and bisecting towards it cost 2.7 more steps a line on average)
        if not lo <= nt <= hi:
            if lo > -math.inf and hi < math.inf:
                nt = 0.5 * (lo + hi)
            else:
                nt = t1 + max(min(g / h, 4.0), -4.0)
        if abs(nt - t1) < 1e-10:
            t1 = nt
            break
        t1 = nt
    h = p11
    for d in range(D):
        n = n_at[d]
        if n == 0:
            continue
        p = 1.0 / (1.0 + math.exp(-(t1 + b * fp[L.FP_BLRM_X + d])))
        h += n * p * (1.0 - p)
    return t1, 1.0 / math.sqrt(h)


@kernel
def _integrate(ip, fp, c0, grid, n_at, tox_at, mode, lmax, cuts, below, mean, work, full):
    """The quadrature around the mode (``mode`` = [m1, m2, S11, S12, S22], ``lmax`` the log posterior
    there): returns the normaliser z; ``below[d, k]`` gets the unnormalised integral of the posterior
    over {logit p_d < cuts[d, k]}, and with ``full`` ``mean[d]`` the unnormalised integral of p_d.

    Each u node is a line in theta1, centred on the conditional mode with its Laplace scale s1
    (:func:`_line`), with v = (theta1 - centre) / s1 in Gauss-Legendre panels. The integral up to a
    cut inside a panel integrates the panel's interpolating polynomial exactly (``grid`` rows 4.. hold,
    per node q, the coefficients of the integral of its Lagrange basis polynomial from -1), so no new
    evaluation is needed. A line whose mode lies more than 40 below the peak (log scale) is skipped."""
    D = ip[L.IP_N_DOSES]
    NU = ip[L.IP_BLRM_N_U]
    NP = ip[L.IP_BLRM_N_PANELS]
    Q = ip[L.IP_BLRM_N_GL]
    K = cuts.shape[1]
    m1 = mode[0]
    m2 = mode[1]
    s2 = math.sqrt(mode[4])
    beta_reg = mode[3] / mode[4]
    vr = fp[L.FP_BLRM_V_RANGE]
    width = 2.0 * vr / NP
    panel = work[5 : 5 + NP]
    vals = work[5 + NP : 5 + NP + NP * Q]
    for d in range(D):
        mean[d] = 0.0
        for k in range(K):
            below[d, k] = 0.0
    z = 0.0
    for j in range(NU):
        wu = grid[1, j]
        t2 = m2 + s2 * grid[0, j]
        b = math.exp(t2)
        c1, s1 = _line(fp, c0, D, n_at, tox_at, t2, m1 + beta_reg * (t2 - m2))
        if blrm_log_post(fp, c0, D, n_at, tox_at, c1, t2) - lmax < -40.0:
            continue
        total = 0.0
        for p in range(NP):
            a = -vr + p * width
            acc = 0.0
            for q in range(Q):
                t1 = c1 + s1 * (a + 0.5 * width * (grid[2, q] + 1.0))
                rel = blrm_log_post(fp, c0, D, n_at, tox_at, t1, t2) - lmax
                f = math.exp(rel) if rel > -80.0 else 0.0
                vals[p * Q + q] = f
                if f > 0.0:
                    acc += grid[3, q] * f
                    if full:
                        for d in range(D):
                            pd = 1.0 / (1.0 + math.exp(-(t1 + b * fp[L.FP_BLRM_X + d])))
                            mean[d] += wu * 0.5 * width * s1 * grid[3, q] * f * pd
            acc *= 0.5 * width * s1  # d theta1 = s1 dv
            panel[p] = acc
            total += acc
        z += wu * total
        # the integral in v up to v* = (cut - b x_d - c1) / s1: whole panels, then the partial one
        for d in range(D):
            for k in range(K):
                vstar = (cuts[d, k] - b * fp[L.FP_BLRM_X + d] - c1) / s1
                if vstar <= -vr:
                    continue
                if vstar >= vr:
                    below[d, k] += wu * total
                    continue
                pp = min(int((vstar + vr) / width), NP - 1)
                acc = 0.0
                for p in range(pp):
                    acc += panel[p]
                x = 2.0 * (vstar - (-vr + pp * width)) / width - 1.0
                part = 0.0
                for q in range(Q):
                    w = 0.0
                    for c in range(Q, -1, -1):  # Horner: the integral of node q's basis polynomial to x
                        w = w * x + grid[4 + q, c]
                    part += w * vals[pp * Q + q]
                below[d, k] += wu * (acc + 0.5 * width * s1 * part)
    return z


@kernel
def _mixture(ip, fp, grid, n_at, tox_at, cuts, below, mean, work, full):
    """The posterior under the prior mixture (``ip[IP_BLRM_N_COMP]`` bivariate normal components at
    ``fp[FP_BLRM_COMP + 7 k]``): each component's posterior by :func:`_integrate`, mixed with weights
    w_k Z_k / sum (Z_k its evidence), the exact posterior of a mixture prior. ``below[d, k]`` gets
    P(logit p_d < cuts[d, k]), ``mean[d]`` (``full``) E p_d; returns (log evidence, mode theta1, mode
    theta2 of the heaviest component)."""
    D = ip[L.IP_N_DOSES]
    NC = ip[L.IP_BLRM_N_COMP]
    K = cuts.shape[1]
    mode = work[:5]
    part = np.empty((NC, D, K))
    pmean = np.empty((NC, D))
    logz = np.empty(NC)
    m1 = np.empty(NC)
    m2 = np.empty(NC)
    for c in range(NC):
        c0 = L.FP_BLRM_COMP + L.BLRM_COMP_SIZE * c
        lmax = blrm_mode(fp, c0, D, n_at, tox_at, mode)
        z = _integrate(ip, fp, c0, grid, n_at, tox_at, mode, lmax, cuts, part[c], pmean[c], work, full)
        logz[c] = math.log(fp[c0 + 6]) + math.log(z * math.sqrt(mode[4])) + lmax + fp[c0 + 5]
        m1[c] = mode[0]
        m2[c] = mode[1]
        for d in range(D):
            pmean[c, d] /= z
            for k in range(K):
                part[c, d, k] /= z
    top = logz.max()
    total = 0.0
    heavy = 0
    for c in range(NC):
        total += math.exp(logz[c] - top)
        if logz[c] >= logz[heavy]:
            heavy = c
    for d in range(D):
        mean[d] = 0.0
        for k in range(K):
            below[d, k] = 0.0
    for c in range(NC):
        w = math.exp(logz[c] - top) / total
        for d in range(D):
            mean[d] += w * pmean[c, d]
            for k in range(K):
                below[d, k] += w * part[c, d, k]
    return top + math.log(total), m1[heavy], m2[heavy]


@kernel
def blrm_posterior(ip, fp, grid, n_at, tox_at, out, work, full):
    """The posterior summary row of a state (see the module doc) into ``out``."""
    D = ip[L.IP_N_DOSES]
    P = L.POST_FIRST
    cuts = np.empty((D, 2))
    for d in range(D):
        cuts[d, 0] = fp[L.FP_BLRM_LOGIT_LOW]
        cuts[d, 1] = fp[L.FP_BLRM_LOGIT_HIGH]
    below = np.empty((D, 2))
    mean = np.empty(D)
    logz, t1, t2 = _mixture(ip, fp, grid, n_at, tox_at, cuts, below, mean, work, full)
    for d in range(D):
        under = below[d, 0]
        below_high = below[d, 1]
        out[P + d] = mean[d] if full else math.nan
        out[P + D + d] = min(max(under, 0.0), 1.0)
        out[P + 2 * D + d] = min(max(below_high - under, 0.0), 1.0)
        out[P + 3 * D + d] = min(max(1.0 - below_high, 0.0), 1.0)
    out[0] = t1
    out[1] = t2
    out[2] = logz


@kernel
def blrm_cdf(ip, fp, grid, n_at, tox_at, cuts, out, work):
    """P(logit p_d < cuts[d, k]) into ``out[d, k]`` (live use: quantiles of p_d by bisection)."""
    D = ip[L.IP_N_DOSES]
    mean = np.empty(D)
    _mixture(ip, fp, grid, n_at, tox_at, cuts, out, mean, work, False)
    for d in range(D):
        for k in range(cuts.shape[1]):
            out[d, k] = min(max(out[d, k], 0.0), 1.0)


@kernel
def blrm_summary_row(ip, fp, grid, n_at, tox_at, ckeys, cvals, work, full):
    """Row of ``cvals`` holding the posterior summary of this state (computed on a cache miss,
    :func:`~dosefind.engine.posterior.cache_slot`), the CRM's cache layout."""
    row, compute = cache_slot(ckeys, n_at, tox_at, ip[L.IP_N_DOSES])
    if compute:
        blrm_posterior(ip, fp, grid, n_at, tox_at, cvals[row], work, full)
    return row


@kernel
def _best(ip, fp, cvals, row, n_at, cur, tried_only):
    """(best dose, best dose ignoring the cap): the EWOC-admissible dose with the highest P(target)
    (lowest on ties) within the escalation cap, -1 when none."""
    D = ip[L.IP_N_DOSES]
    P = L.POST_FIRST
    ewoc = fp[L.FP_BLRM_EWOC]
    highest = -1
    for d in range(D):
        if n_at[d] > 0:
            highest = d
    ref = cur if ip[L.IP_BLRM_INC_REF] == 0 else max(highest, 0)
    limit = math.inf
    if fp[L.FP_BLRM_MAX_INC] >= 0.0:
        limit = (1.0 + fp[L.FP_BLRM_MAX_INC]) * fp[L.FP_BLRM_DOSE + ref] * (1.0 + 1e-12)
    best = -1
    best_p = -1.0
    free = -1
    free_p = -1.0
    eligible_top = -1
    for d in range(D):
        if cvals[row, P + 3 * D + d] > ewoc:
            continue
        if tried_only and n_at[d] == 0:
            continue
        pt = cvals[row, P + 2 * D + d]
        if pt > free_p:
            free_p = pt
            free = d
        if fp[L.FP_BLRM_DOSE + d] > limit:
            continue
        if ip[L.IP_BLRM_NO_SKIP] == 1 and d > highest + 1:
            continue
        if pt > best_p:
            best_p = pt
            best = d
        eligible_top = d
    floor = fp[L.FP_BLRM_TARGET_FLOOR]
    if best >= 0 and floor >= 0.0 and best_p <= floor:  # crmPack: no dose worth it: the highest eligible
        best = eligible_top
        if free_p <= floor:
            free = best
    return best, free


@kernel
def decide_blrm(ip, fp, grid, n_at, tox_at, cur, n_total, ckeys, cvals, work, full):
    """The next dose: (dose, status, reason)."""
    D = ip[L.IP_N_DOSES]
    row = blrm_summary_row(ip, fp, grid, n_at, tox_at, ckeys, cvals, work, full)
    nxt, free = _best(ip, fp, cvals, row, n_at, cur, False)
    if nxt < 0:
        return cur, STOP_NO_DOSE, R_BLRM_NO_SAFE
    reason = R_BLRM_TARGET if nxt == free else R_BLRM_CAPPED
    if n_at[nxt] >= ip[L.IP_BLRM_MTD_N] and ip[L.IP_BLRM_MTD_N] > 0:
        pt = cvals[row, L.POST_FIRST + 2 * D + nxt]
        if pt >= fp[L.FP_BLRM_MTD_PROB] or (
            ip[L.IP_BLRM_MTD_TOTAL] > 0 and n_total >= ip[L.IP_BLRM_MTD_TOTAL]
        ):
            return nxt, STOP_SELECT, R_BLRM_MTD
    return nxt, CONTINUE, reason


@kernel
def select_blrm(ip, fp, grid, n_at, tox_at, ckeys, cvals, work, full):
    """The final selection: among the doses tried, the EWOC-admissible one with the highest P(target)
    (-1 when none is admissible)."""
    row = blrm_summary_row(ip, fp, grid, n_at, tox_at, ckeys, cvals, work, full)
    _capped, free = _best(ip, fp, cvals, row, n_at, 0, True)
    return free


def blrm_posterior_summary(design, n_at, tox_at, quantiles=()) -> dict:
    """Full posterior summary of a BLRM design for given patients and DLTs per dose (Python API; live
    use): per dose ``mean`` (E p_d), ``prob_under``, ``prob_target``, ``prob_over``, ``prob_above_target``
    (P(p_d > design.target)), and for each q in ``quantiles`` the q-quantile of p_d (bisection on the
    quadrature CDF to 1e-7); ``mode`` (log alpha, log beta) and ``log_evidence``."""
    from .posterior import check_counts

    n_at, tox_at = check_counts(design, n_at, tox_at)
    D = design.n_doses
    c = design.compile(max(design.max_n, int(n_at.sum())))
    work = np.zeros(int(c.ip[L.IP_BLRM_WORK]))
    row = np.zeros(L.POST_FIRST + 4 * D)
    blrm_posterior(c.ip, c.fp, c.grid, n_at, tox_at, row, work, True)
    P = L.POST_FIRST
    t = design.target
    cuts = np.full((D, 1), math.log(t / (1 - t)))
    cdf = np.zeros((D, 1))
    blrm_cdf(c.ip, c.fp, c.grid, n_at, tox_at, cuts, cdf, work)
    out = {
        "mode": row[:2].copy(),
        "log_evidence": float(row[2]),
        "mean": row[P : P + D].copy(),
        "prob_under": row[P + D : P + 2 * D].copy(),
        "prob_target": row[P + 2 * D : P + 3 * D].copy(),
        "prob_over": row[P + 3 * D : P + 4 * D].copy(),
        "prob_above_target": 1.0 - cdf[:, 0],
    }
    for q in quantiles:
        lo = np.full(D, -40.0)
        hi = np.full(D, 40.0)
        for _ in range(60):  # bisection on logit p, all doses at once
            mid = 0.5 * (lo + hi)
            blrm_cdf(c.ip, c.fp, c.grid, n_at, tox_at, mid[:, None].copy(), cdf, work)
            low = cdf[:, 0] < q
            lo = np.where(low, mid, lo)
            hi = np.where(low, hi, mid)
        out[f"q{q}"] = 1.0 / (1.0 + np.exp(-0.5 * (lo + hi)))
    return out
