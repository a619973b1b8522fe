"""EffTox kernels (Thall & Cook 2004): the posterior of the six-parameter model by a deterministic rule,
cached by state, the decision after a cohort and the final choice (the spec and the rules in words:
designs/efftox).

Model, at standardised dose x: logit pi_T = mu_T + beta_T x, logit pi_E = mu_E + beta_E1 x + beta_E2 x^2,
and the outcome (efficacy a, toxicity b) of a patient has probability

    pi_ab = pi_E^a (1 - pi_E)^(1 - a) pi_T^b (1 - pi_T)^(1 - b)
            + (-1)^(a + b) pi_E (1 - pi_E) pi_T (1 - pi_T) (e^psi - 1) / (e^psi + 1),

written here as products that stay positive in floating point (e.g. pi_00 = (1 - pi_E)(1 - pi_T)
(1 + pi_E pi_T c), c = tanh(psi / 2)). Independent normal priors on the six parameters.

Posterior rule (measured in docs/notes/efftox-conventions.md): Newton's method finds the mode (the
analytic gradient and Hessian, a ridge while it is not negative definite, step halving); then
self-normalised importance sampling on a FIXED point set: M scrambled Sobol points (fixed seed, compiled
into ``grid``) mapped to a standard multivariate t (designs/efftox: T_DF), placed at the mode with a scale
(``FP_EFT_T_SCALE``) times the Laplace covariance's factor, with the Laplace Gaussian as a control
variate (its values are known exactly: a normal CDF for each hurdle, a one-dimensional integral for each
posterior mean). One pass over the points computes each point's log posterior and the per-dose values
the summary averages (:func:`point_values`). The same data give the same numbers on every machine and in
every trial (no randomness at decisions).

Summary row (the CRM's cache layout, POST_FIRST + 4 D): [effective sample size of the weights, log
posterior at the mode, Newton iterations], then per dose E pi_T, E pi_E, P(pi_T < tox_limit),
P(pi_E > eff_limit). The cache key packs a dose's (patients, DLTs) and (responses, responses with a DLT)
into the two int16 halves of the CRM's key rows (designs/efftox caps max_n so the packing fits).
"""

from __future__ import annotations

import math

import numpy as np

from ..constants import Reason, Status
from ..designs import layout as L
from .jit import kernel
from .posterior import cache_slot

CONTINUE = int(Status.CONTINUE)
STOP_NO_DOSE = int(Status.STOP_NO_DOSE)
R_BEST = int(Reason.EFFTOX_BEST)
R_NO_SKIP = int(Reason.EFFTOX_NO_SKIP)
R_NONE = int(Reason.EFFTOX_NONE_ACCEPTABLE)
NPAR = 6


@kernel
def counts_of(n_at, tox_at, resp_at, cnt):
    """cnt[k, d], k = 2 a + b: patients at dose d with efficacy a and toxicity b."""
    for d in range(n_at.shape[0]):
        both = resp_at[1, d]
        cnt[3, d] = both
        cnt[2, d] = resp_at[0, d] - both
        cnt[1, d] = tox_at[d] - both
        cnt[0, d] = n_at[d] - tox_at[d] - resp_at[0, d] + both


@kernel
def _logistic(eta):
    """(p, 1 - p, log p, log(1 - p)) of logit p = eta, from one exp and one log1p."""
    ex = math.exp(-abs(eta))
    l1 = math.log1p(ex)
    if eta >= 0.0:
        return 1.0 / (1.0 + ex), ex / (1.0 + ex), -l1, -eta - l1
    return ex / (1.0 + ex), 1.0 / (1.0 + ex), eta - l1, -l1


@kernel
def log_post(fp, D, cnt, th):
    """Unnormalised log posterior at th = (mu_T, beta_T, mu_E, beta_E1, beta_E2, psi)."""
    s = 0.0
    for i in range(NPAR):
        z = (th[i] - fp[L.FP_EFT_PRIOR_MEAN + i]) / fp[L.FP_EFT_PRIOR_SD + i]
        s -= 0.5 * z * z
    c = math.tanh(0.5 * th[5])
    for d in range(D):
        c00 = cnt[0, d]
        c01 = cnt[1, d]
        c10 = cnt[2, d]
        c11 = cnt[3, d]
        if c00 + c01 + c10 + c11 == 0:
            continue
        x = fp[L.FP_EFT_X + d]
        t, tb, log_t, log_tb = _logistic(th[0] + th[1] * x)
        e, eb, log_e, log_eb = _logistic(th[2] + x * (th[3] + th[4] * x))
        s += (c00 + c01) * log_eb + (c10 + c11) * log_e + (c00 + c10) * log_tb + (c01 + c11) * log_t
        if c00 > 0:
            s += c00 * math.log1p(e * t * c)
        if c01 > 0:
            s += c01 * math.log1p(-e * tb * c)
        if c10 > 0:
            s += c10 * math.log1p(-eb * t * c)
        if c11 > 0:
            s += c11 * math.log1p(eb * tb * c)
    return s


@kernel
def gradient_information(fp, D, cnt, th, g, A):
    """The gradient of :func:`log_post` at th into g and minus its Hessian into A, analytically: per dose
    the derivatives of each cell's log probability in (eta_E, eta_T, psi), then the chain rule through
    eta_T = mu_T + beta_T x and eta_E = mu_E + beta_E1 x + beta_E2 x^2."""
    for i in range(NPAR):
        sd2 = fp[L.FP_EFT_PRIOR_SD + i] ** 2
        g[i] = -(th[i] - fp[L.FP_EFT_PRIOR_MEAN + i]) / sd2
        for j in range(NPAR):
            A[i, j] = 0.0
        A[i, i] = 1.0 / sd2
    c = math.tanh(0.5 * th[5])
    dc = 0.5 * (1.0 - c * c)
    for d in range(D):
        if cnt[0, d] + cnt[1, d] + cnt[2, d] + cnt[3, d] == 0:
            continue
        x = fp[L.FP_EFT_X + d]
        t, tb, _lt, _ltb = _logistic(th[0] + th[1] * x)
        e, eb, _le, _leb = _logistic(th[2] + x * (th[3] + th[4] * x))
        ve = e * eb
        vt = t * tb
        G = ve * vt
        qe = 1.0 - 2.0 * e
        qt = 1.0 - 2.0 * t
        gE = 0.0
        gT = 0.0
        gP = 0.0
        hEE = 0.0
        hTT = 0.0
        hPP = 0.0
        hET = 0.0
        hEP = 0.0
        hTP = 0.0
        for k in range(4):
            m = cnt[k, d]
            if m == 0:
                continue
            a = k // 2
            b = k % 2
            s = 1.0 if a == b else -1.0
            sa = 1.0 if a == 1 else -1.0
            sb = 1.0 if b == 1 else -1.0
            Aa = e if a == 1 else eb
            Bb = t if b == 1 else tb
            lik = Aa * Bb + s * c * G
            lE = sa * ve * Bb + s * c * G * qe
            lT = sb * vt * Aa + s * c * G * qt
            lP = s * G * dc
            lEE = sa * ve * qe * Bb + s * c * G * (qe * qe - 2.0 * ve)
            lTT = sb * vt * qt * Aa + s * c * G * (qt * qt - 2.0 * vt)
            lET = sa * sb * ve * vt + s * c * G * qe * qt
            lEP = s * dc * G * qe
            lTP = s * dc * G * qt
            lPP = -s * G * c * dc
            fE = lE / lik
            fT = lT / lik
            fP = lP / lik
            gE += m * fE
            gT += m * fT
            gP += m * fP
            hEE += m * (lEE / lik - fE * fE)
            hTT += m * (lTT / lik - fT * fT)
            hPP += m * (lPP / lik - fP * fP)
            hET += m * (lET / lik - fE * fT)
            hEP += m * (lEP / lik - fE * fP)
            hTP += m * (lTP / lik - fT * fP)
        g[0] += gT
        g[1] += gT * x
        g[2] += gE
        g[3] += gE * x
        g[4] += gE * x * x
        g[5] += gP
        # minus the Hessian: J^T (-h) J with J's rows (1, x, 0, 0, 0, 0), (0, 0, 1, x, x^2, 0), e_5
        je = (1.0, x, x * x)
        A[0, 0] -= hTT
        A[0, 1] -= hTT * x
        A[1, 1] -= hTT * x * x
        for p in range(3):
            A[0, 2 + p] -= hET * je[p]
            A[1, 2 + p] -= hET * x * je[p]
            for q in range(p, 3):
                A[2 + p, 2 + q] -= hEE * je[p] * je[q]
            A[2 + p, 5] -= hEP * je[p]
        A[0, 5] -= hTP
        A[1, 5] -= hTP * x
        A[5, 5] -= hPP
    for i in range(NPAR):
        for j in range(i):
            A[i, j] = A[j, i]


@kernel
def _cholesky(A, R, ridge):
    """Lower Cholesky factor R of A + ridge I; False when it is not positive definite."""
    for i in range(NPAR):
        for j in range(i + 1):
            s = A[i, j] + (ridge if i == j else 0.0)
            for k in range(j):
                s -= R[i, k] * R[j, k]
            if i == j:
                if s <= 0.0 or not math.isfinite(s):
                    return False
                R[i, i] = math.sqrt(s)
            else:
                R[i, j] = s / R[j, j]
        for j in range(i + 1, NPAR):
            R[i, j] = 0.0
    return True


@kernel
def _solve(R, g, out):
    """out = (R R^T)^-1 g for the lower factor R."""
    for i in range(NPAR):
        s = g[i]
        for k in range(i):
            s -= R[i, k] * out[k]
        out[i] = s / R[i, i]
    for i in range(NPAR - 1, -1, -1):
        s = out[i]
        for k in range(i + 1, NPAR):
            s -= R[k, i] * out[k]
        out[i] = s / R[i, i]


@kernel
def posterior_mode(fp, D, cnt, th, R):
    """Newton's method from the prior mean: the mode into th, the Cholesky factor of minus the Hessian
    there into R; returns (log posterior at the mode, iterations)."""
    for i in range(NPAR):
        th[i] = fp[L.FP_EFT_PRIOR_MEAN + i]
    A = np.empty((NPAR, NPAR))
    g = np.empty(NPAR)
    tmp = np.empty(NPAR)
    step = np.empty(NPAR)
    cur = log_post(fp, D, cnt, th)
    iters = 0
    for _it in range(100):
        iters += 1
        gradient_information(fp, D, cnt, th, g, A)
        ridge = 0.0
        while not _cholesky(A, R, ridge):
            ridge = 1e-6 if ridge == 0.0 else ridge * 10.0
        _solve(R, g, step)
        lam = 1.0
        moved = False
        for _half in range(50):
            for i in range(NPAR):
                tmp[i] = th[i] + lam * step[i]
            new = log_post(fp, D, cnt, tmp)
            if new >= cur - 1e-12:
                moved = True
                break
            lam *= 0.5
        if not moved:
            break
        size = 0.0
        for i in range(NPAR):
            size = max(size, abs(tmp[i] - th[i]))
            th[i] = tmp[i]
        cur = new
        if size < 1e-9:
            break
    gradient_information(fp, D, cnt, th, g, A)
    ridge = 0.0
    while not _cholesky(A, R, ridge):
        ridge = 1e-6 if ridge == 0.0 else ridge * 10.0
    return cur, iters


@kernel
def _ipow(v, k):
    """v ** k for an integer k >= 0 by squaring (no pow call)."""
    r = 1.0
    while k > 0:
        if k & 1:
            r *= v
        v *= v
        k >>= 1
    return r


@kernel
def point_values(fp, D, cnt, th, vals):
    """The log posterior at th (unnormalised, as :func:`log_post`) and, per dose d, pi_T, pi_E and the
    hurdles' indicators [pi_T < tox_limit], [pi_E > eff_limit] into vals[0..3, d]: one exponential per
    dose and probability, shared by the weight and the summary, and one logarithm per dose with data
    (the product of its cells' probabilities to their counts; a sum of logarithms where that product
    would underflow)."""
    s = 0.0
    for i in range(NPAR):
        z = (th[i] - fp[L.FP_EFT_PRIOR_MEAN + i]) / fp[L.FP_EFT_PRIOR_SD + i]
        s -= 0.5 * z * z
    c = math.tanh(0.5 * th[5])
    lt = fp[L.FP_EFT_LOGIT_TOX_LIMIT]
    le = fp[L.FP_EFT_LOGIT_EFF_LIMIT]
    for d in range(D):
        x = fp[L.FP_EFT_X + d]
        et = th[0] + th[1] * x
        ee = th[2] + x * (th[3] + th[4] * x)
        ex = math.exp(-abs(et))
        if et >= 0.0:
            t = 1.0 / (1.0 + ex)
            tb = ex / (1.0 + ex)
        else:
            t = ex / (1.0 + ex)
            tb = 1.0 / (1.0 + ex)
        ex = math.exp(-abs(ee))
        if ee >= 0.0:
            e = 1.0 / (1.0 + ex)
            eb = ex / (1.0 + ex)
        else:
            e = ex / (1.0 + ex)
            eb = 1.0 / (1.0 + ex)
        vals[0, d] = t
        vals[1, d] = e
        vals[2, d] = 1.0 if et < lt else 0.0
        vals[3, d] = 1.0 if ee > le else 0.0
        c00 = cnt[0, d]
        c01 = cnt[1, d]
        c10 = cnt[2, d]
        c11 = cnt[3, d]
        if c00 + c01 + c10 + c11 == 0:
            continue
        p00 = eb * tb * (1.0 + e * t * c)
        p01 = eb * t * (1.0 - e * tb * c)
        p10 = e * tb * (1.0 - eb * t * c)
        p11 = e * t * (1.0 + eb * tb * c)
        prod = _ipow(p00, c00) * _ipow(p01, c01) * _ipow(p10, c10) * _ipow(p11, c11)
        if prod > 1e-250:
            s += math.log(prod)
        else:
            if c00 > 0:
                s += c00 * math.log(p00)
            if c01 > 0:
                s += c01 * math.log(p01)
            if c10 > 0:
                s += c10 * math.log(p10)
            if c11 > 0:
                s += c11 * math.log(p11)
    return s


@kernel
def _weighted_points(ip, fp, grid, n_at, tox_at, resp_at, thetas, weights, vals, mode, Rinv):
    """The M points of the rule into ``thetas`` [M, 6], their self-normalised importance weights into
    ``weights`` [M] and :func:`point_values` into ``vals`` [M, 4, D]; the mode into ``mode`` and the
    inverse of minus the Hessian's lower Cholesky factor there into ``Rinv``; returns (effective sample
    size, log posterior at the mode, Newton iterations)."""
    D = ip[L.IP_N_DOSES]
    M = ip[L.IP_EFT_N_POINTS]
    cnt = np.empty((4, D), dtype=np.int64)
    counts_of(n_at, tox_at, resp_at, cnt)
    R = np.empty((NPAR, NPAR))
    lmax, iters = posterior_mode(fp, D, cnt, mode, R)
    # theta = mode + scale R^-T z has covariance scale^2 (R R^T)^-1, the scaled Laplace covariance
    for j in range(NPAR):
        for i in range(NPAR):
            s = 1.0 if i == j else 0.0
            for k in range(i):
                s -= R[i, k] * Rinv[k, j]
            Rinv[i, j] = s / R[i, i]
    scale = fp[L.FP_EFT_T_SCALE]
    top = -math.inf
    for m in range(M):
        for i in range(NPAR):
            s = mode[i]
            for k in range(i, NPAR):  # (R^-1)^T[i, k] = Rinv[k, i], nonzero for k >= i
                s += scale * Rinv[k, i] * grid[m, k]
            thetas[m, i] = s
        lw = point_values(fp, D, cnt, thetas[m], vals[m]) - lmax - grid[m, NPAR]
        weights[m] = lw
        if lw > top:
            top = lw
    sw = 0.0
    sw2 = 0.0
    for m in range(M):
        w = math.exp(weights[m] - top)
        weights[m] = w
        sw += w
        sw2 += w * w
    for m in range(M):
        weights[m] /= sw
    return sw * sw / sw2, lmax, iters


@kernel
def importance_points(ip, fp, grid, n_at, tox_at, resp_at, thetas, weights):
    """The posterior as weighted points: the M parameter vectors into ``thetas`` [M, 6] and their
    self-normalised importance weights into ``weights`` [M]; returns (effective sample size, log
    posterior at the mode, Newton iterations)."""
    vals = np.empty((ip[L.IP_EFT_N_POINTS], 4, ip[L.IP_N_DOSES]))
    mode = np.empty(NPAR)
    Rinv = np.zeros((NPAR, NPAR))
    return _weighted_points(ip, fp, grid, n_at, tox_at, resp_at, thetas, weights, vals, mode, Rinv)


@kernel
def logistic_normal_mean(mu, sd):
    """E[1 / (1 + exp(-eta))] for eta ~ N(mu, sd^2): the trapezoid rule in eta on mu +- 8 sd with spacing
    h = min(1, sd / 2) (the integrand is analytic; its poles lie pi from the real axis), weights
    normalised (error below 1e-7). The nodes' Gaussian weights and exponentials by recurrences (two
    exponentials per call)."""
    h = min(1.0, 0.5 * sd)
    K = int(math.ceil(8.0 * sd / h))
    num = 0.0
    den = 0.0
    lo = mu - K * h
    if abs(mu) + K * h > 600.0:  # the recurrence's first exponential could overflow: one per node
        for j in range(-K, K + 1):
            u = j * h / sd
            w = math.exp(-0.5 * u * u)
            eta = mu + j * h
            if eta >= 0.0:
                p = 1.0 / (1.0 + math.exp(-eta))
            else:
                ex = math.exp(eta)
                p = ex / (1.0 + ex)
            num += w * p
            den += w
        return num / den
    c = h * h / (sd * sd)
    w = math.exp(-0.5 * K * K * c)  # exp(-u_j^2 / 2) at j = -K, u_j = j h / sd
    r = math.exp((K - 0.5) * c)  # w_(j+1) / w_j = exp(-(2 j + 1) c / 2)
    q = math.exp(-c)
    em = math.exp(-lo)  # exp(-eta_j) at j = -K
    step = math.exp(-h)
    for _j in range(2 * K + 1):
        num += w / (1.0 + em)
        den += w
        w *= r
        r *= q
        em *= step
    return num / den


@kernel
def efftox_posterior(ip, fp, grid, n_at, tox_at, resp_at, out, work):
    """The posterior summary row of a state into ``out`` (module doc): the weighted points' averages,
    each corrected by the Laplace Gaussian as a control variate (its exact value minus its average over
    the same points with the Gaussian's own self-normalised weights)."""
    D = ip[L.IP_N_DOSES]
    M = ip[L.IP_EFT_N_POINTS]
    P = L.POST_FIRST
    thetas = np.empty((M, NPAR))
    vals = np.empty((M, 4, D))
    mode = np.empty(NPAR)
    Rinv = np.zeros((NPAR, NPAR))
    weights = work[:M]
    ess, lmax, iters = _weighted_points(
        ip, fp, grid, n_at, tox_at, resp_at, thetas, weights, vals, mode, Rinv
    )
    for j in range(4 * D):
        out[P + j] = 0.0
    for m in range(M):
        w = weights[m] - grid[m, NPAR + 1]  # the Laplace Gaussian's weight (designs/efftox: point_set)
        for k in range(4):
            for d in range(D):
                out[P + k * D + d] += w * vals[m, k, d]
    # the Gaussian's exact values: eta = a' theta ~ N(a' mode, |R^-1 a|^2)
    lt = fp[L.FP_EFT_LOGIT_TOX_LIMIT]
    le = fp[L.FP_EFT_LOGIT_EFF_LIMIT]
    a = np.empty(NPAR)
    for k in range(2):
        for d in range(D):
            x = fp[L.FP_EFT_X + d]
            for i in range(NPAR):
                a[i] = 0.0
            if k == 0:
                a[0] = 1.0
                a[1] = x
            else:
                a[2] = 1.0
                a[3] = x
                a[4] = x * x
            mu = 0.0
            var = 0.0
            for i in range(NPAR):
                mu += a[i] * mode[i]
                v = 0.0
                for j in range(i + 1):
                    v += Rinv[i, j] * a[j]
                var += v * v
            sd = math.sqrt(var)
            if k == 0:
                hurdle = 0.5 * math.erfc(-(lt - mu) / (sd * math.sqrt(2.0)))  # P(eta_T < logit tox_limit)
            else:
                hurdle = 0.5 * math.erfc(-(mu - le) / (sd * math.sqrt(2.0)))  # P(eta_E > logit eff_limit)
            out[P + k * D + d] += logistic_normal_mean(mu, sd)
            out[P + (2 + k) * D + d] += hurdle
    for j in range(4 * D):
        out[P + j] = min(1.0, max(0.0, out[P + j]))
    out[0] = ess
    out[1] = lmax
    out[2] = iters


@kernel
def efftox_summary_row(ip, fp, grid, n_at, tox_at, resp_at, ckeys, cvals, work):
    """Row of ``cvals`` holding the posterior summary of this state (computed on a cache miss)."""
    D = ip[L.IP_N_DOSES]
    base = ip[L.IP_N_CAP] + 1
    ka = np.empty(D, dtype=np.int64)
    kb = np.empty(D, dtype=np.int64)
    for d in range(D):
        ka[d] = n_at[d] * base + tox_at[d]
        kb[d] = resp_at[0, d] * base + resp_at[1, d]
    row, compute = cache_slot(ckeys, ka, kb, D)
    if compute:
        efftox_posterior(ip, fp, grid, n_at, tox_at, resp_at, cvals[row], work)
    return row


@kernel
def utility(fp, pe, pt):
    """The desirability of (pi_E, pi_T): 1 - ||((1 - pi_E) / (1 - eff0), pi_T / tox1)||_p."""
    p = fp[L.FP_EFT_P]
    a = (1.0 - pe) / (1.0 - fp[L.FP_EFT_EFF0])
    b = pt / fp[L.FP_EFT_TOX1]
    return 1.0 - (a**p + b**p) ** (1.0 / p)


@kernel
def _choose(ip, fp, cvals, row, n_at, admissible):
    """(best acceptable dose within reach, best acceptable dose anywhere), -1 when none; ``admissible``
    gets 1 for the acceptable doses within reach, 0 for the others (recomputed at every decision:
    acceptability is not permanent)."""
    D = ip[L.IP_N_DOSES]
    P = L.POST_FIRST
    lo = D
    hi = -1
    for d in range(D):
        if n_at[d] > 0:
            lo = min(lo, d)
            hi = max(hi, d)
    best = -1
    best_u = -math.inf
    free = -1
    free_u = -math.inf
    for d in range(D):
        admissible[d] = 0
        if cvals[row, P + 2 * D + d] <= fp[L.FP_EFT_P_TOX] or cvals[row, P + 3 * D + d] <= fp[L.FP_EFT_P_EFF]:
            continue
        u = utility(fp, cvals[row, P + D + d], cvals[row, P + d])
        if u > free_u:  # ties: the lower dose (R's which.max)
            free_u = u
            free = d
        if ip[L.IP_EFT_NO_SKIP] == 1 and hi >= 0 and (d < lo - 1 or d > hi + 1):
            continue
        admissible[d] = 1
        if u > best_u:
            best_u = u
            best = d
    return best, free


@kernel
def decide_efftox(ip, fp, grid, n_at, tox_at, resp_at, admissible, cur, ckeys, cvals, work):
    """(next dose, status, reason) after a cohort; ``admissible`` becomes this decision's mask."""
    row = efftox_summary_row(ip, fp, grid, n_at, tox_at, resp_at, ckeys, cvals, work)
    best, free = _choose(ip, fp, cvals, row, n_at, admissible)
    if best < 0:
        return cur, STOP_NO_DOSE, R_NONE
    return best, CONTINUE, R_BEST if best == free else R_NO_SKIP


@kernel
def select_efftox(ip, fp, grid, n_at, tox_at, resp_at, admissible, ckeys, cvals, work):
    """The final choice: the dose the design would give next on the final data (-1: none acceptable)."""
    row = efftox_summary_row(ip, fp, grid, n_at, tox_at, resp_at, ckeys, cvals, work)
    best, _free = _choose(ip, fp, cvals, row, n_at, admissible)
    return best


def efftox_summary(design, n_at, tox_at, resp_at) -> dict:
    """The posterior summary of an EffTox design on counts (Python API; live use and tests): per dose
    ``prob_tox``, ``prob_eff`` (posterior means), ``prob_acc_tox`` P(pi_T < tox_limit),
    ``prob_acc_eff`` P(pi_E > eff_limit), ``utility`` (of the posterior means), ``acceptable`` (both
    hurdles), and ``ess`` (the importance weights' effective sample size), ``mode_log_post``."""
    D = design.n_doses
    n_at = np.asarray(n_at, dtype=np.int64)
    tox_at = np.asarray(tox_at, dtype=np.int64)
    resp_at = np.asarray(resp_at, dtype=np.int64).reshape(2, D)
    c = design.compile(max(design.max_n, int(n_at.sum())))
    work = np.zeros(int(c.ip[L.IP_EFT_WORK]))
    row = np.zeros(L.POST_FIRST + 4 * D)
    efftox_posterior(c.ip, c.fp, c.grid, n_at, tox_at, resp_at, row, work)
    P = L.POST_FIRST
    pt = row[P : P + D].copy()
    pe = row[P + D : P + 2 * D].copy()
    acc_t = row[P + 2 * D : P + 3 * D].copy()
    acc_e = row[P + 3 * D : P + 4 * D].copy()
    return {
        "prob_tox": pt,
        "prob_eff": pe,
        "prob_acc_tox": acc_t,
        "prob_acc_eff": acc_e,
        "utility": design.utility(pe, pt),
        "acceptable": (acc_t > design.p_tox) & (acc_e > design.p_eff),
        "ess": float(row[0]),
        "mode_log_post": float(row[1]),
    }


def efftox_points(design, n_at, tox_at, resp_at) -> tuple[np.ndarray, np.ndarray]:
    """(parameter vectors [M, 6], normalised weights [M]): the weighted points the fast posterior
    averages over (credible intervals in live use are weighted quantiles of them)."""
    D = design.n_doses
    c = design.compile(max(design.max_n, int(np.asarray(n_at).sum())))
    M = int(c.ip[L.IP_EFT_N_POINTS])
    thetas = np.zeros((M, NPAR))
    weights = np.zeros(M)
    importance_points(
        c.ip,
        c.fp,
        c.grid,
        np.asarray(n_at, dtype=np.int64),
        np.asarray(tox_at, dtype=np.int64),
        np.asarray(resp_at, dtype=np.int64).reshape(2, D),
        thetas,
        weights,
    )
    return thetas, weights
