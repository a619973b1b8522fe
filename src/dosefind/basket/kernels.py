"""numba kernels of the basket package: arrays in, arrays out, no RNG state.

``response_counts`` draws nothing: patient i of cohort k in trial t responds iff their latent uniform
(``engine.rng.latent_uniform`` of the trial's key, patient index ``k * PATIENT_STRIDE + i``, stream
``STREAM_EFF``) is below the cohort's true rate, so the same seed gives the same patients in every design
and every scenario (common random numbers) whatever the chunking.
"""

from __future__ import annotations

import math

import numpy as np

from ..engine.jit import kernel
from ..engine.rng import STREAM_EFF, latent_uniform, trial_key

PATIENT_STRIDE = 1 << 20  # patient index of cohort k's i-th patient: k * PATIENT_STRIDE + i


@kernel
def response_counts(seed, scenario_key, first_trial, n_trials, rates, looks):
    """x[t, k, l]: responses among the first looks[k, l] patients of cohort k in trial first_trial + t."""
    n_cohorts, n_looks = looks.shape
    out = np.zeros((n_trials, n_cohorts, n_looks), dtype=np.int64)
    for t in range(n_trials):
        tk = trial_key(seed, scenario_key, first_trial + t)
        for k in range(n_cohorts):
            q = rates[k]
            i = 0
            x = 0
            for j in range(n_looks):
                while i < looks[k, j]:
                    if latent_uniform(tk, k * PATIENT_STRIDE + i, STREAM_EFF) < q:
                        x += 1
                    i += 1
                out[t, k, j] = x
    return out


@kernel
def responses_after(seed, scenario_key, first_trial, rates, start, extra):
    """y[t, k]: responses among patients start[k], ..., start[k] + extra[t, k] - 1 of cohort k in trial
    first_trial + t (a two-stage enrichment's stage 2: the cohort's next patients, whatever their number)."""
    n_trials, n_cohorts = extra.shape
    out = np.zeros((n_trials, n_cohorts), dtype=np.int64)
    for t in range(n_trials):
        tk = trial_key(seed, scenario_key, first_trial + t)
        for k in range(n_cohorts):
            q = rates[k]
            y = 0
            for i in range(start[k], start[k] + extra[t, k]):
                if latent_uniform(tk, k * PATIENT_STRIDE + i, STREAM_EFF) < q:
                    y += 1
            out[t, k] = y
    return out


@kernel
def hierarchy_posterior(rows_l, rows_t, logw, log_lik, tail, mean, cutoff):
    """Posterior P(q_k > q0_k) and E q_k of a normal hierarchy on the logits for each data vector.

    ``rows_l[v, k]`` / ``rows_t[v, k]``: the rows of the node tables (``log_lik``, ``mean`` / ``tail``, shape
    [rows, nodes]) that hold cohort k's (n, x) in data vector v; ``logw[g]``: the log weight of outer node g
    (quadrature weight times the prior of (nu, scale)). EXNEX's mixture is already in the tables. Nodes
    whose log posterior is ``cutoff`` below the largest get weight 0.

    Each pass runs along the nodes of one table row at a time (the rows are contiguous): the log posterior
    adds the cohorts' rows in cohort order, then the weights exp(lp - max), then the sums of weight x tail
    and weight x mean, two cohorts per pass, each sum over the nodes in node order."""
    n_vec, n_cohorts = rows_l.shape
    n_nodes = logw.shape[0]
    prob = np.zeros((n_vec, n_cohorts))
    post_mean = np.zeros((n_vec, n_cohorts))
    lp = np.empty(n_nodes)
    w = np.empty(n_nodes)
    for v in range(n_vec):
        for g in range(n_nodes):
            lp[g] = logw[g]
        for k in range(n_cohorts):
            row = log_lik[rows_l[v, k]]
            for g in range(n_nodes):
                lp[g] += row[g]
        best = -np.inf
        for g in range(n_nodes):
            if lp[g] > best:
                best = lp[g]
        z = 0.0
        for g in range(n_nodes):
            d = lp[g] - best
            if d < -cutoff:
                w[g] = 0.0
            else:
                e = np.exp(d)
                w[g] = e
                z += e
        k = 0
        while k < n_cohorts:
            ta = tail[rows_t[v, k]]
            ma = mean[rows_l[v, k]]
            if k + 1 < n_cohorts:
                tb = tail[rows_t[v, k + 1]]
                mb = mean[rows_l[v, k + 1]]
                s0 = 0.0
                s1 = 0.0
                s2 = 0.0
                s3 = 0.0
                for g in range(n_nodes):
                    wg = w[g]
                    s0 += wg * ta[g]
                    s1 += wg * ma[g]
                    s2 += wg * tb[g]
                    s3 += wg * mb[g]
                prob[v, k + 1] = s2 / z
                post_mean[v, k + 1] = s3 / z
            else:
                s0 = 0.0
                s1 = 0.0
                for g in range(n_nodes):
                    s0 += w[g] * ta[g]
                    s1 += w[g] * ma[g]
            prob[v, k] = s0 / z
            post_mean[v, k] = s1 / z
            k += 2
    return prob, post_mean


@kernel
def _log_f(theta, n, x, nu, sd):
    """log of Binomial(x | n, expit theta) (without the binomial coefficient) times N(theta; nu, sd)."""
    if theta > 0:
        lse = theta + np.log1p(np.exp(-theta))
    else:
        lse = np.log1p(np.exp(theta))
    z = (theta - nu) / sd
    return x * theta - n * lse - 0.5 * z * z - np.log(sd) - 0.9189385332046727


@kernel
def _expit(t):
    if t >= 0:
        return 1.0 / (1.0 + np.exp(-t))
    e = np.exp(t)
    return e / (1.0 + e)


@kernel
def _panel_integrals(lo, hi, n, x, nu, sd, ref, z, w, panels):
    """(integral of f / exp(ref), integral of expit(theta) f / exp(ref)) on [lo, hi] (composite
    Gauss-Legendre)."""
    s0 = 0.0
    s1 = 0.0
    if hi <= lo:
        return s0, s1
    width = (hi - lo) / panels
    for p in range(panels):
        a = lo + p * width
        half = 0.5 * width
        mid = a + half
        for j in range(z.shape[0]):
            t = mid + half * z[j]
            f = np.exp(_log_f(t, n, x, nu, sd) - ref) * half * w[j]
            s0 += f
            s1 += f * _expit(t)
    return s0, s1


@kernel
def node_integrals(ns, xs, cs, nus, sds, z, w, panels, drop):
    """For each row r = (n, x, c) and node g = (nu, sd): log L = log of the integral over theta of
    Binomial(x | n, expit theta) N(theta; nu, sd^2) (binomial coefficient left out), the tail
    P(theta > c | x, nu, sd) and the mean E[expit theta | x, nu, sd]. sd = 0 is a point mass at nu.

    Each integral runs over [mode - left, mode + right], where the integrand has dropped ``drop`` (in
    logs) below its mode (found by stepping out from the Laplace scale), on ``panels`` Gauss-Legendre
    panels, split at c for the tail."""
    n_rows = ns.shape[0]
    n_nodes = nus.shape[0]
    log_lik = np.empty((n_rows, n_nodes))
    tail = np.empty((n_rows, n_nodes))
    mean = np.empty((n_rows, n_nodes))
    for r in range(n_rows):
        n = ns[r]
        x = xs[r]
        c = cs[r]
        for g in range(n_nodes):
            nu = nus[g]
            sd = sds[g]
            if sd == 0.0:
                p = _expit(nu)
                log_lik[r, g] = x * np.log(p) + (n - x) * np.log1p(-p) if 0 < p < 1 else -np.inf
                tail[r, g] = 1.0 if nu > c else 0.0
                mean[r, g] = p
                continue
            # mode of the log-concave integrand by damped Newton
            t = nu
            for _ in range(200):
                p = _expit(t)
                grad = x - n * p - (t - nu) / (sd * sd)
                hess = -n * p * (1.0 - p) - 1.0 / (sd * sd)
                step = -grad / hess
                if step > 2.0:
                    step = 2.0
                elif step < -2.0:
                    step = -2.0
                t += step
                if abs(step) < 1e-12:
                    break
            p = _expit(t)
            scale = 1.0 / np.sqrt(n * p * (1.0 - p) + 1.0 / (sd * sd))
            ref = _log_f(t, n, x, nu, sd)
            left = scale
            while _log_f(t - left, n, x, nu, sd) > ref - drop:
                left *= 1.5
            right = scale
            while _log_f(t + right, n, x, nu, sd) > ref - drop:
                right *= 1.5
            lo = t - left
            hi = t + right
            s0, s1 = _panel_integrals(lo, hi, n, x, nu, sd, ref, z, w, panels)
            log_lik[r, g] = ref + np.log(s0)
            mean[r, g] = s1 / s0
            if c <= lo:
                tail[r, g] = 1.0
            elif c >= hi:
                tail[r, g] = 0.0
            elif c - lo < hi - c:
                below, _ = _panel_integrals(lo, c, n, x, nu, sd, ref, z, w, panels)
                tail[r, g] = max(0.0, 1.0 - below / s0)
            else:
                above, _ = _panel_integrals(c, hi, n, x, nu, sd, ref, z, w, panels)
                tail[r, g] = min(1.0, above / s0)
    return log_lik, tail, mean


# --- CBHM (Chu & Yuan 2018): sigma^2 fixed by the data, one outer integral over mu ----------------------

_LOG_SQRT_2PI = 0.9189385332046727


@kernel
def _log_ndtr(z):
    """log Phi(z), accurate in the far left tail (asymptotic series below -20)."""
    if z > -20.0:
        return np.log(0.5 * math.erfc(-z / math.sqrt(2.0)))
    r = 1.0 / (z * z)
    series = 1.0 - r * (1.0 - 3.0 * r * (1.0 - 5.0 * r * (1.0 - 7.0 * r * (1.0 - 9.0 * r))))
    return -0.5 * z * z - np.log(-z) - _LOG_SQRT_2PI + np.log(series)


@kernel
def _em_factor(t, mu, s2, n, x, h):
    """Euler-Maclaurin endpoint correction of a trapezoid rule of step h for f(theta) = expit(theta)^x
    (1 - expit(theta))^(n - x) exp(-(theta - mu)^2 / (2 s2)), divided by f(t): the integral over
    [t, inf) is h (f(t) / 2 + f(t + h) + ...) + f(t) * this factor (and minus it at a right end)."""
    p = 1.0 / (1.0 + np.exp(-t)) if t >= 0 else np.exp(t) / (1.0 + np.exp(t))
    pq = p * (1.0 - p)
    g1 = x - n * p - (t - mu) / s2
    g2 = -n * pq - 1.0 / s2
    g3 = -n * pq * (1.0 - 2.0 * p)
    g4 = -n * pq * (1.0 - 6.0 * pq)
    g5 = -n * pq * (1.0 - 2.0 * p) * (1.0 - 12.0 * pq)
    d1 = g1
    d3 = g3 + 3.0 * g1 * g2 + g1**3
    d5 = g5 + 5.0 * g1 * g4 + 10.0 * g2 * g3 + 10.0 * g1 * g1 * g3 + 15.0 * g1 * g2 * g2 + 10.0 * g1**3 * g2
    d5 += g1**5
    h2 = h * h
    return h2 / 12.0 * d1 - h2 * h2 / 720.0 * d3 + h2 * h2 * h2 / 30240.0 * d5


@kernel
def _scaled_lik(t, n, x, lmax):
    lse = t + np.log1p(np.exp(-t)) if t > 0 else np.log1p(np.exp(t))
    return np.exp(x * t - n * lse - lmax)


@kernel
def _chi_square(nv, xv):
    """Pearson's chi-square of the 2 x K responders / non-responders table (cohorts without patients left
    out); 0 when the pooled rate is 0 or 1."""
    big_n = 0.0
    big_x = 0.0
    for k in range(nv.shape[0]):
        big_n += nv[k]
        big_x += xv[k]
    if big_n <= 0:
        return 0.0
    ph = big_x / big_n
    if ph <= 0.0 or ph >= 1.0:
        return 0.0
    t = 0.0
    for k in range(nv.shape[0]):
        if nv[k] > 0:
            d = xv[k] - nv[k] * ph
            t += d * d / (nv[k] * ph * (1.0 - ph))
    return t


@kernel
def cbhm_sigma2(n, x, a, b, s2_min, s2_max):
    """sigma^2 = exp(a + b log max(T, 1)) within [s2_min, s2_max], and T, for each data vector."""
    n_vec = n.shape[0]
    s2 = np.empty(n_vec)
    tt = np.empty(n_vec)
    for v in range(n_vec):
        t = _chi_square(n[v].astype(np.float64), x[v].astype(np.float64))
        tt[v] = t
        val = np.exp(a + b * np.log(max(t, 1.0)))
        s2[v] = min(max(val, s2_min), s2_max)
    return s2, tt


@kernel
def cbhm_posterior(
    n,
    x,
    rows,
    s2s,
    cuts,
    lik,
    ex,
    ex_off,
    lev_off,
    lev_len,
    lev_zero,
    lev_first,
    lmax,
    support,
    c0,
    h_fine,
    i0,
    n_fine,
    m0,
    sd0,
    acc,
    node_cap,
):
    """P(theta_k > cuts[k] | data) and E[q_k | data] under theta_k ~ N(mu, s2) given mu, mu ~ N(m0, sd0^2),
    sigma^2 = ``s2s[v]`` fixed, for data vectors n[v], x[v] (``rows[v, k]``: the row of ``lik`` holding
    cohort k's (n, x)).

    The grid: theta_i = c0 + (i - i0) h_fine, i = 0..n_fine - 1; a level L is every 2^L-th point
    (those i = i0 + v 2^L), the step h = 2^L h_fine. Levels L >= ``lev_first`` are tabulated contiguously
    in the flat ``lik``: level L, row r, point v at ``lev_off[L] + r * lev_len[L] + lev_zero[L] + v``,
    expit(theta)^x (1 - expit(theta))^(n - x) / exp(lmax[r]) (lmax the row's maximum over the real line);
    ``ex[ex_off[L] + lev_zero[L] + v]`` is expit(theta) there. Finer levels (tiny sigma^2) evaluate both
    directly. For each vector the step h is the fine step times the largest power of
    two within acc / sqrt(max(n_max / 4 + 1 / s2, C_mu)) (C_mu below; the trapezoid rule's error
    for an integrand analytic in a strip is about exp(-2 pi^2 / (h^2 C)) for curvature bound C). The outer
    rule over mu is the trapezoid rule on nodes m h apart on the same grid, walked out from a Laplace
    guess until the log posterior is 40 below its peak; the inner integrals over theta_k are the
    trapezoid rule on the window of +-9 s around the mode of the integrand (within ``support[r]``, where
    the row's likelihood is within exp(-60) of its peak), with Euler-Maclaurin
    corrections (to h^6) at the cut and at the grid's ends, beyond which the binomial factor is
    log-linear and the integrals are closed-form normal CDFs. Returns (prob, mean, nodes used) with
    prob NaN when ``node_cap`` nodes did not suffice."""
    n_vec, n_coh = n.shape
    prob = np.zeros((n_vec, n_coh))
    post_mean = np.zeros((n_vec, n_coh))
    used = np.zeros(n_vec, dtype=np.int64)
    lps = np.empty(node_cap)
    ra = np.empty((node_cap, n_coh))
    rb = np.empty((node_cap, n_coh))
    tstar = np.empty(n_coh)
    tstart = np.empty(n_coh)
    gl_z = np.array(
        [
            -0.9602898564975363,
            -0.7966664774136267,
            -0.5255324099163290,
            -0.1834346424956498,
            0.1834346424956498,
            0.5255324099163290,
            0.7966664774136267,
            0.9602898564975363,
        ]
    )
    gl_w = np.array(
        [
            0.1012285362903763,
            0.2223810344533745,
            0.3137066458778873,
            0.3626837833783620,
            0.3626837833783620,
            0.3137066458778873,
            0.2223810344533745,
            0.1012285362903763,
        ]
    )
    for v in range(n_vec):
        s2 = s2s[v]
        s = np.sqrt(s2)
        n_max = 0.0
        for k in range(n_coh):
            n_max = max(n_max, float(n[v, k]))
        c_theta = n_max / 4.0 + 1.0 / s2
        # curvature bound of the outer integrand: the prior, each log L_k (about 1 / (s2 + 1 / info_k))
        # and the tail and mean ratios (1 / s2: a step of width >= s in mu; 2 / s2 gave the same
        # numbers to 1e-14 on the reference cases at twice the nodes)
        c_mu = 1.0 / s2 + 1.0 / (sd0 * sd0)
        for k in range(n_coh):
            pk = (x[v, k] + 0.5) / (n[v, k] + 1.0)
            info = (n[v, k] + 1.0) * pk * (1.0 - pk)
            c_mu += 1.0 / (s2 + 1.0 / info)
        h_target = acc / np.sqrt(max(c_theta, c_mu))
        stride = 1
        level = 0
        while 2 * stride * h_fine <= h_target and 2 * stride <= i0 and level + 1 < lev_off.shape[0]:
            stride *= 2
            level += 1
        h = stride * h_fine
        tabled = level >= lev_first
        m = max(1, int(np.floor(acc / np.sqrt(c_mu) / h)))
        v_min = -(i0 // stride)
        v_max = (n_fine - 1 - i0) // stride
        th_lo = c0 + v_min * h
        th_hi = c0 + v_max * h
        span = th_hi - th_lo
        mu_reach = 12.0 * sd0 + 40.0
        d_cap = (v_max - v_min) + 2 * int(np.ceil((abs(m0 - c0) + mu_reach) / h)) + 2
        d_n = min(int(np.ceil(38.5 * s / h)) + 2, d_cap)
        gauss = np.empty(d_n)
        for d in range(d_n):
            z = d * h
            gauss[d] = np.exp(-0.5 * z * z / s2)
        # Laplace guess of mu's posterior mode
        num = m0 / (sd0 * sd0)
        den = 1.0 / (sd0 * sd0)
        for k in range(n_coh):
            nk = float(n[v, k])
            pk = (x[v, k] + 0.5) / (nk + 1.0)
            th = np.log(pk / (1.0 - pk))
            tstart[k] = th
            var = 1.0 / ((nk + 1.0) * pk * (1.0 - pk)) + s2
            num += th / var
            den += 1.0 / var
        w0 = int(np.round((num / den - c0) / (m * h)))
        n_nodes = 0
        lp_max = -np.inf
        failed = False
        for direction in (1, -1):
            for k in range(n_coh):
                tstar[k] = tstart[k]
            w = w0 if direction == 1 else w0 - 1
            while True:
                if n_nodes >= node_cap:
                    failed = True
                    break
                mu = c0 + w * m * h
                if abs(mu - m0) > mu_reach:
                    break
                zmu = (mu - m0) / sd0
                lp = -0.5 * zmu * zmu
                vmu = w * m  # mu's index on the step-h grid
                for k in range(n_coh):
                    nk = float(n[v, k])
                    xk = float(x[v, k])
                    r = rows[v, k]
                    # mode of the integrand over theta (log-concave): damped Newton from the last node's
                    t = tstar[k]
                    if 9.0 * s < span:
                        for _ in range(60):
                            p = 1.0 / (1.0 + np.exp(-t)) if t >= 0 else np.exp(t) / (1.0 + np.exp(t))
                            g1 = xk - nk * p - (t - mu) / s2
                            g2 = -nk * p * (1.0 - p) - 1.0 / s2
                            step = -g1 / g2
                            lim = 2.0 + 3.0 * s
                            if step > lim:
                                step = lim
                            elif step < -lim:
                                step = -lim
                            t += step
                            if abs(step) < 0.02 * s:  # the window only needs the mode to +-0.5 s
                                break
                        tstar[k] = t
                        w_lo = max(t - 9.5 * s, support[r, 0])
                        w_hi = min(t + 9.5 * s, support[r, 1])
                    else:
                        w_lo = support[r, 0]
                        w_hi = support[r, 1]
                    # the window: where the integrand is within exp(-40) of its mode, and the likelihood
                    # within exp(-60) of its peak
                    lo = v_min - 1 if w_lo < th_lo else int(np.ceil((w_lo - c0) / h))
                    hi = v_max + 1 if w_hi > th_hi else int(np.floor((w_hi - c0) / h))
                    left = lo <= v_min
                    right = hi >= v_max
                    va = max(lo, v_min)
                    vb = min(hi, v_max)
                    # where the cut falls on the step-h grid
                    rel = (cuts[k] - c0) / h
                    vc = int(np.ceil(rel - 1e-9))
                    on_grid = abs(rel - vc) < 1e-9
                    sl = 0.0
                    sa = 0.0
                    sb = 0.0
                    base = lev_off[level] + r * lev_len[level] + lev_zero[level] if tabled else 0
                    ebase = ex_off[level] + lev_zero[level] if tabled else 0
                    lmr = lmax[r]
                    for vv in range(va, vb + 1):
                        d = abs(vv - vmu)
                        if d >= d_n:
                            continue
                        th = c0 + vv * h if not tabled else 0.0
                        if tabled:
                            f = lik[base + vv] * gauss[d]
                            e = ex[ebase + vv]
                        else:
                            f = _scaled_lik(th, nk, xk, lmr) * gauss[d]
                            e = 1.0 / (1.0 + np.exp(-th))
                        if f == 0.0:
                            continue
                        wgt = 1.0
                        if (vv == v_min and left) or (vv == v_max and right):
                            wgt = 0.5
                        fl = wgt * f
                        sl += fl
                        sb += fl * e
                        if vv > vc:
                            sa += fl
                        elif vv == vc:
                            sa += 0.5 * f
                    big_l = h * sl
                    big_b = h * sb
                    big_a = h * sa
                    lsc = np.log(s) + _LOG_SQRT_2PI - lmax[r]
                    if left and va <= vb:
                        d = abs(v_min - vmu)
                        f0 = _scaled_lik(th_lo, nk, xk, lmr) * gauss[d] if d < d_n else 0.0
                        if f0 > 0.0:
                            big_l += f0 * _em_factor(th_lo, mu, s2, nk, xk, h)
                            eb = _em_factor(th_lo, mu, s2, nk + 1.0, xk + 1.0, h)
                            big_b += f0 / (1.0 + np.exp(-th_lo)) * eb
                    if left:
                        z = (th_lo - mu - xk * s2) / s
                        big_l += np.exp(lsc + xk * mu + 0.5 * xk * xk * s2 + _log_ndtr(z))
                        z = (th_lo - mu - (xk + 1.0) * s2) / s
                        big_b += np.exp(lsc + (xk + 1.0) * mu + 0.5 * (xk + 1.0) ** 2 * s2 + _log_ndtr(z))
                    if right:
                        if va <= vb:
                            d = abs(v_max - vmu)
                            f1 = _scaled_lik(th_hi, nk, xk, lmr) * gauss[d] if d < d_n else 0.0
                            if f1 > 0.0:
                                cl = f1 * _em_factor(th_hi, mu, s2, nk, xk, h)
                                big_l -= cl
                                big_a -= cl
                                eb = _em_factor(th_hi, mu, s2, nk + 1.0, xk + 1.0, h)
                                big_b -= f1 / (1.0 + np.exp(-th_hi)) * eb
                        nx = nk - xk
                        z = (mu - nx * s2 - th_hi) / s
                        tail = np.exp(lsc - nx * mu + 0.5 * nx * nx * s2 + _log_ndtr(z))
                        big_l += tail
                        big_a += tail
                        big_b += tail
                    # the cut: Euler-Maclaurin at the first grid point above it, Gauss-Legendre below it
                    if vc < va:
                        big_a = big_l
                    elif vc <= vb:
                        d = abs(vc - vmu)
                        fc = _scaled_lik(c0 + vc * h, nk, xk, lmr) * gauss[d] if d < d_n else 0.0
                        if fc > 0.0:
                            big_a += fc * _em_factor(c0 + vc * h, mu, s2, nk, xk, h)
                        if not on_grid:
                            lo_c = cuts[k]
                            hi_c = c0 + vc * h
                            half = 0.5 * (hi_c - lo_c)
                            mid = lo_c + half
                            for q in range(8):
                                tq = mid + half * gl_z[q]
                                lse = tq + np.log1p(np.exp(-tq)) if tq > 0 else np.log1p(np.exp(tq))
                                zq = (tq - mu) / s
                                big_a += half * gl_w[q] * np.exp(xk * tq - nk * lse - lmax[r] - 0.5 * zq * zq)
                    if big_l > 0.0:
                        lp += np.log(big_l)
                        ra[n_nodes, k] = min(max(big_a / big_l, 0.0), 1.0)
                        rb[n_nodes, k] = min(max(big_b / big_l, 0.0), 1.0)
                    else:
                        lp = -np.inf
                        ra[n_nodes, k] = 0.0
                        rb[n_nodes, k] = 0.0
                lps[n_nodes] = lp
                n_nodes += 1
                if lp > lp_max:
                    lp_max = lp
                if lp < lp_max - 40.0:
                    break
                w += direction
            if failed:
                break
        used[v] = n_nodes
        if failed or not np.isfinite(lp_max):
            for k in range(n_coh):
                prob[v, k] = np.nan
                post_mean[v, k] = np.nan
            continue
        z_sum = 0.0
        for j in range(n_nodes):
            wj = np.exp(lps[j] - lp_max)
            z_sum += wj
            for k in range(n_coh):
                prob[v, k] += wj * ra[j, k]
                post_mean[v, k] += wj * rb[j, k]
        for k in range(n_coh):
            prob[v, k] /= z_sum
            post_mean[v, k] /= z_sum
    return prob, post_mean, used
