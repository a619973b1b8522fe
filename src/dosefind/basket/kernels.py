"""numba kernels of the basket package: arrays in, arrays out, no RNG state.

``response_counts`` draws nothing: patient i of cohort k in trial t responds iff their latent uniform
(``engine.rng.latent_uniform`` of the trial's key, patient index ``k * PATIENT_STRIDE + i``, stream
``STREAM_EFF``) is below the cohort's true rate, so the same seed gives the same patients in every design
and every scenario (common random numbers) whatever the chunking.
"""

from __future__ import annotations

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
def hierarchy_posterior(
    rows_l, rows_t, logw, log_lik, tail, mean, nex_log_lik, nex_tail, nex_mean, p_ex, cutoff
):
    """Posterior P(q_k > q0_k) and E q_k of a normal hierarchy on the logits for each data vector.

    ``rows_l[v, k]`` / ``rows_t[v, k]``: the rows of the node tables (``log_lik``, ``mean`` / ``tail``, shape
    [rows, nodes]) that hold cohort k's (n, x) in data vector v; ``logw[g]``: the log weight of outer node g
    (quadrature weight times the prior of (nu, scale)). With ``p_ex[k] < 1`` (EXNEX) the cohort's marginal
    likelihood is p_ex L_EX + (1 - p_ex) L_NEX, with the NEX part (``nex_*``, per row) free of the nodes.
    Nodes whose log posterior is ``cutoff`` below the largest are skipped."""
    n_vec, n_cohorts = rows_l.shape
    n_nodes = logw.shape[0]
    prob = np.zeros((n_vec, n_cohorts))
    post_mean = np.zeros((n_vec, n_cohorts))
    lp = np.empty(n_nodes)
    mixed = False
    for k in range(n_cohorts):
        if p_ex[k] < 1.0:
            mixed = True
    log_pex = np.log(p_ex)
    log_pnex = np.log1p(-p_ex)
    for v in range(n_vec):
        best = -np.inf
        for g in range(n_nodes):
            s = logw[g]
            for k in range(n_cohorts):
                r = rows_l[v, k]
                if mixed:
                    a = log_pex[k] + log_lik[r, g]
                    b = log_pnex[k] + nex_log_lik[r]
                    s += max(a, b) + np.log1p(np.exp(-abs(a - b)))
                else:
                    s += log_lik[r, g]
            lp[g] = s
            if s > best:
                best = s
        z = 0.0
        for g in range(n_nodes):
            d = lp[g] - best
            if d < -cutoff:
                continue
            w = np.exp(d)
            z += w
            for k in range(n_cohorts):
                r = rows_l[v, k]
                rt = rows_t[v, k]
                if mixed:
                    a = log_pex[k] + log_lik[r, g]
                    b = log_pnex[k] + nex_log_lik[r]
                    m = max(a, b)
                    ea = np.exp(a - m)
                    eb = np.exp(b - m)
                    f = ea / (ea + eb)
                    prob[v, k] += w * (f * tail[rt, g] + (1.0 - f) * nex_tail[rt])
                    post_mean[v, k] += w * (f * mean[r, g] + (1.0 - f) * nex_mean[r])
                else:
                    prob[v, k] += w * tail[rt, g]
                    post_mean[v, k] += w * mean[r, g]
        for k in range(n_cohorts):
            prob[v, k] /= z
            post_mean[v, k] /= z
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
