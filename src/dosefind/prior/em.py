"""Mixtures fitted to draws by expectation-maximisation, the number of components by an information
criterion (RBesT's ``mixfit`` and ``automixfit``).

Beta mixtures (binary MAP priors): maximum likelihood of sum_k w_k Beta(a_k, b_k) by EM; the M step
maximises each component's weighted beta log-likelihood exactly (L-BFGS on log(a - 1), log(b - 1)), with
a, b > 1 by default as RBesT's ``EM_bmm_ab(constrain_gt1 = TRUE)`` (the ELIR effective sample size is
only defined for a, b >= 1). Draws exactly 0 or 1 are moved to machine epsilon and 1 - epsilon (RBesT).

Bivariate normal mixtures (BLRM MAP priors on (log alpha, log beta)): the closed-form EM.

Both start from several initial values (equal-count groups of the sorted draws, then seeded random
groups) and keep the fit with the highest log-likelihood, so the result is a function of (draws, seed).
Convergence: the change of the mean log-likelihood per draw below ``tol`` (default 1e-8; information
criteria need the log-likelihood to well under 1).

Information criteria (smaller is better), with df = 3K - 1 (beta) or 6K - 1 (bivariate normal) free
parameters and N draws: AIC_k = -2 logL + k df, BIC = -2 logL + log(N) df. The default is RBesT's: AIC
with penalty k = 6 (``automixfit(k = 6)``, after Collett 2003, favouring fewer components); BIC is offered.
Both count MCMC draws, not patients: with more draws either picks more components (RBesT chose 2
components for the AS data with its default 4,000 draws and 4 with 40,000).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from ..errors import SpecError
from .mixtures import BetaMixture, BvnMixture

CRITERIA = ("aic", "bic")
#: RBesT's automixfit default AIC penalty (Collett 2003 suggests 2 to 6; 6 favours fewer components).
AIC_PENALTY = 6.0
MAX_COMPONENTS = 4


@dataclass(frozen=True)
class EmFit:
    mixture: BetaMixture | BvnMixture
    loglik: float
    df: int
    nobs: int
    iterations: int
    converged: bool

    def aic(self, penalty: float = AIC_PENALTY) -> float:
        return -2.0 * self.loglik + penalty * self.df

    def bic(self) -> float:
        return -2.0 * self.loglik + math.log(self.nobs) * self.df

    def criterion(self, name: str, penalty: float = AIC_PENALTY) -> float:
        return self.aic(penalty) if name == "aic" else self.bic()


@dataclass(frozen=True)
class AutoFit:
    """The chosen fit and every fit tried, with the criterion's values (``ic[K]``)."""

    best: EmFit
    fits: dict[int, EmFit]
    criterion: str
    penalty: float
    ic: dict[int, float] = field(default_factory=dict)

    @property
    def mixture(self):
        return self.best.mixture


def _check_draws(x, dim: int) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    if dim == 1:
        x = x.ravel()
    elif x.ndim != 2 or x.shape[1] != dim:
        raise SpecError("draws", f"shape {x.shape}, expected (N, {dim})", f"give N draws of {dim} numbers")
    if not np.all(np.isfinite(x)):
        raise SpecError("draws", "contain non-finite values", "remove NaN/inf draws")
    return x


def _check_k(n_components: int, n: int, per: int) -> int:
    if isinstance(n_components, bool) or int(n_components) != n_components or n_components < 1:
        raise SpecError("components", f"{n_components!r} is not a positive whole number", "use 1 to 8")
    if n < 20 * per * n_components:
        raise SpecError(
            "draws",
            f"{n} draws for {n_components} components",
            f"give at least {20 * per * n_components} draws (MCMC draws of the MAP prior)",
        )
    return int(n_components)


# ----------------------------------------------------------------------------------------------- beta


def _row_logsumexp(v: np.ndarray) -> np.ndarray:
    """log(sum(exp(v), axis=1)) for finite rows (the E step's log-likelihoods): scipy's logsumexp costs
    half a millisecond a call in its checks, and the fits call it tens of thousands of times."""
    m = v.max(axis=1)
    return m + np.log(np.exp(v - m[:, None]).sum(axis=1))


def _beta_from_moments(x: np.ndarray, gt1: bool) -> tuple[float, float]:
    m = float(np.clip(np.mean(x), 1e-6, 1 - 1e-6))
    v = float(np.var(x))
    n = m * (1 - m) / v - 1 if v > 0 else 100.0
    n = max(n, 2.5 if gt1 else 0.5)
    a, b = m * n, (1 - m) * n
    if gt1:
        a, b = max(a, 1.05), max(b, 1.05)
    return a, b


def _beta_mstep(c1, c2, a, b, gt1: bool):
    """Maximise (a - 1) c1 + (b - 1) c2 - log B(a, b) for every component at once: the weighted mean
    log-likelihood of a beta, concave in (a, b) (an exponential family in its natural parameters).
    Newton steps, halved until the value increases and a, b stay above the bound (1 with the a, b > 1
    constraint, else 0); a component pushed to the bound is held there and its other parameter solved."""
    lo = (1.0 if gt1 else 0.0) + 1e-8

    def value(a, b):
        return (a - 1) * c1 + (b - 1) * c2 - special.betaln(a, b)

    a, b = np.maximum(a.copy(), lo), np.maximum(b.copy(), lo)
    for _ in range(100):
        dab = special.digamma(a + b)
        ga = c1 - special.digamma(a) + dab
        gb = c2 - special.digamma(b) + dab
        tab = special.polygamma(1, a + b)
        haa = -special.polygamma(1, a) + tab
        hbb = -special.polygamma(1, b) + tab
        det = haa * hbb - tab * tab
        da = -(hbb * ga - tab * gb) / det
        db = -(-tab * ga + haa * gb) / det
        at_a = (a <= lo) & (da < 0)
        at_b = (b <= lo) & (db < 0)
        da = np.where(at_a, 0.0, np.where(at_b, -ga / haa, da))
        db = np.where(at_b, 0.0, np.where(at_a, -gb / hbb, db))
        v0 = value(a, b)
        step = np.ones_like(a)
        for _ in range(60):
            na, nb = np.maximum(a + step * da, lo), np.maximum(b + step * db, lo)
            bad = value(na, nb) < v0 - 1e-15 * np.abs(v0)
            if not np.any(bad):
                break
            step = np.where(bad, step / 2, step)
        a, b = na, nb
        if np.all(np.abs(step * da) <= 1e-12 * a) and np.all(np.abs(step * db) <= 1e-12 * b):
            break
    return a, b


def _em_beta(x, lx, l1x, w, a, b, gt1, max_iter, tol):
    n = x.size
    prev = -np.inf
    for it in range(1, max_iter + 1):
        lli = np.log(w) + (a - 1) * lx[:, None] + (b - 1) * l1x[:, None] - special.betaln(a, b)
        lnorm = _row_logsumexp(lli)
        ll = float(lnorm.sum())
        if abs(ll - prev) / n < tol:
            return w, a, b, ll, it, True
        prev = ll
        resp = np.exp(lli - lnorm[:, None])
        nk = resp.sum(axis=0)
        w = np.maximum(nk / n, 1e-300)
        w = w / w.sum()
        c1 = (resp * lx[:, None]).sum(axis=0) / np.maximum(nk, 1e-300)
        c2 = (resp * l1x[:, None]).sum(axis=0) / np.maximum(nk, 1e-300)
        live = nk > 1e-8 * n
        na, nb = _beta_mstep(c1, c2, a, b, gt1)
        a, b = np.where(live, na, a), np.where(live, nb, b)
    lli = np.log(w) + (a - 1) * lx[:, None] + (b - 1) * l1x[:, None] - special.betaln(a, b)
    return w, a, b, float(_row_logsumexp(lli).sum()), max_iter, False


def _initial_groups(order_key: np.ndarray, k: int, n_init: int, rng: np.random.Generator):
    """Index groups: equal-count groups of the sorted key, then random centres (nearest in key)."""
    n = order_key.size
    order = np.argsort(order_key, kind="stable")
    yield np.array_split(order, k)
    for _ in range(n_init - 1):
        centres = order_key[rng.choice(n, size=k, replace=False)]
        lab = np.argmin(np.abs(order_key[:, None] - centres[None, :]), axis=1)
        yield [np.flatnonzero(lab == j) if np.any(lab == j) else order[j::k] for j in range(k)]


def fit_beta_mixture(
    draws,
    n_components: int,
    *,
    constrain_gt1: bool = True,
    n_init: int = 4,
    seed: int = 1,
    max_iter: int = 1000,
    tol: float = 1e-8,
) -> EmFit:
    """Maximum-likelihood K-component beta mixture of draws in [0, 1] by EM (RBesT's ``mixfit(type =
    "beta")``); components in decreasing weight, as RBesT orders them."""
    x = _check_draws(draws, 1)
    if np.any((x < 0) | (x > 1)):
        raise SpecError("draws", "values outside [0, 1]", "give draws of a probability")
    k = _check_k(n_components, x.size, 3)
    eps = np.finfo(float).eps
    x = np.where(x == 0, eps, np.where(x == 1, 1 - eps, x))
    lx, l1x = np.log(x), np.log1p(-x)
    rng = np.random.default_rng(seed)
    best = None
    for groups in _initial_groups(special.logit(x), k, n_init, rng):
        ab = np.array([_beta_from_moments(x[g], constrain_gt1) for g in groups])
        w0 = np.array([len(g) for g in groups], dtype=float) / x.size
        out = _em_beta(x, lx, l1x, w0, ab[:, 0].copy(), ab[:, 1].copy(), constrain_gt1, max_iter, tol)
        if best is None or out[3] > best[3] + 1e-9:
            best = out
    w, a, b, ll, it, conv = best
    o = np.argsort(-w, kind="stable")
    mix = BetaMixture(tuple(w[o]), tuple(a[o]), tuple(b[o]))
    return EmFit(mix, ll, 3 * k - 1, x.size, it, conv)


# -------------------------------------------------------------------------------- bivariate normal


def _em_bvn(x, w, mu, cov, max_iter, tol):
    n = x.shape[0]
    prev = -np.inf
    ridge = 1e-9 * np.eye(2)

    def loglik_terms(w, mu, cov):
        out = np.empty((n, len(w)))
        for k in range(len(w)):
            d = x - mu[k]
            c = cov[k]
            det = c[0, 0] * c[1, 1] - c[0, 1] ** 2
            inv = np.array([[c[1, 1], -c[0, 1]], [-c[0, 1], c[0, 0]]]) / det
            q = np.einsum("ni,ij,nj->n", d, inv, d)
            out[:, k] = math.log(w[k]) - math.log(2 * math.pi) - 0.5 * math.log(det) - 0.5 * q
        return out

    for it in range(1, max_iter + 1):
        lli = loglik_terms(w, mu, cov)
        lnorm = _row_logsumexp(lli)
        ll = float(lnorm.sum())
        if abs(ll - prev) / n < tol:
            return w, mu, cov, ll, it, True
        prev = ll
        resp = np.exp(lli - lnorm[:, None])
        nk = np.maximum(resp.sum(axis=0), 1e-300)
        w = np.maximum(nk / n, 1e-300)
        w = w / w.sum()
        mu = (resp.T @ x) / nk[:, None]
        for k in range(len(w)):
            d = x - mu[k]
            cov[k] = (resp[:, k, None] * d).T @ d / nk[k] + ridge
    lli = loglik_terms(w, mu, cov)
    return w, mu, cov, float(_row_logsumexp(lli).sum()), max_iter, False


def fit_bvn_mixture(
    draws, n_components: int, *, n_init: int = 4, seed: int = 1, max_iter: int = 1000, tol: float = 1e-8
) -> EmFit:
    """Maximum-likelihood K-component bivariate normal mixture of (N, 2) draws by EM."""
    x = _check_draws(draws, 2)
    k = _check_k(n_components, x.shape[0], 6)
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    key = centred @ vt[0]
    rng = np.random.default_rng(seed)
    best = None
    for groups in _initial_groups(key, k, n_init, rng):
        groups = [g if len(g) >= 3 else np.arange(x.shape[0]) for g in groups]
        w0 = np.array([len(g) for g in groups], dtype=float)
        w0 /= w0.sum()
        mu0 = np.array([x[g].mean(axis=0) for g in groups])
        cov0 = np.array([np.cov(x[g].T) + 1e-6 * np.eye(2) for g in groups])
        out = _em_bvn(x, w0, mu0, cov0, max_iter, tol)
        if best is None or out[3] > best[3] + 1e-9:
            best = out
    w, mu, cov, ll, it, conv = best
    o = np.argsort(-w, kind="stable")
    sds = np.sqrt(np.stack([cov[:, 0, 0], cov[:, 1, 1]], axis=1))
    corr = cov[:, 0, 1] / (sds[:, 0] * sds[:, 1])
    mix = BvnMixture(tuple(w[o]), tuple(map(tuple, mu[o])), tuple(map(tuple, sds[o])), tuple(corr[o]))
    return EmFit(mix, ll, 6 * k - 1, x.shape[0], it, conv)


def auto_fit(
    draws,
    kind: str,
    *,
    max_components: int = MAX_COMPONENTS,
    criterion: str = "aic",
    penalty: float = AIC_PENALTY,
    seed: int = 1,
    constrain_gt1: bool = True,
) -> AutoFit:
    """Fit 1..max_components components and keep the smallest information criterion (RBesT's
    ``automixfit``: AIC with penalty 6 by default; ``criterion = "bic"`` for BIC). With few draws the
    largest number tried is what 20 draws per free parameter allow."""
    if criterion not in CRITERIA:
        raise SpecError("criterion", f"{criterion!r} is not known", "use aic (RBesT's default) or bic")
    if kind not in ("beta", "bvn"):
        raise SpecError("kind", f"{kind!r} is not a mixture kind", "use beta or bvn")
    if (
        isinstance(max_components, bool)
        or int(max_components) != max_components
        or not 1 <= max_components <= 8
    ):
        raise SpecError("max_components", f"{max_components!r}", "use a whole number from 1 to 8")
    if not (math.isfinite(penalty) and penalty > 0):
        raise SpecError("penalty", f"{penalty!r}", "use a positive AIC penalty (RBesT: 6; classical AIC: 2)")
    n = np.asarray(draws).shape[0]
    # no more components than the draws support (20 draws per free parameter, as _check_k asks)
    top = max(1, min(int(max_components), n // (20 * (3 if kind == "beta" else 6))))
    fits = {}
    for k in range(1, top + 1):
        if kind == "beta":
            fits[k] = fit_beta_mixture(draws, k, seed=seed, constrain_gt1=constrain_gt1)
        else:
            fits[k] = fit_bvn_mixture(draws, k, seed=seed)
    ic = {k: f.criterion(criterion, penalty) for k, f in fits.items()}
    best = min(ic, key=lambda k: (ic[k], k))
    return AutoFit(fits[best], fits, criterion, float(penalty), ic)
