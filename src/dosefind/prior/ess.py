"""Effective sample size of a prior, with RBesT's definitions (``ess()``, RBesT 1.7-2 ``R/mixess.R``).

For a beta mixture f on a binary rate (Bernoulli likelihood, Fisher information i_F(p) = 1 / (p (1 - p))):

* ``elir`` (expected local-information ratio; Neuenschwander, Weber, Schmidli & O'Hagan 2020):
  ESS = E_f[ i_f(p) / i_F(p) ], with i_f = -d^2/dp^2 log f(p). Integrated per component on its quantile
  scale (u = F_k(p), over the whole logit scale of u, as RBesT's ``integrate_density`` does for components
  whose density vanishes at 0 and 1), with tighter quadrature. Needs
  a_k, b_k >= 1 (otherwise the integral diverges; RBesT refuses too). For one Beta(a, b) with a, b > 1
  it is a + b; at a = 1 or b = 1 RBesT's formula drops the corresponding term (0 times an infinite
  expectation): ELIR of Beta(1, 1) is 0 there, and here.
* ``moment``: the a + b of the beta with the mixture's mean m and variance v: m (1 - m) / v - 1.
* ``morita`` (Morita, Thall & Mueller 2008, as RBesT computes it, Neuenschwander et al. 2020 Eq. 9):
  (i_f(mode) - i_0(mode)) / E_Y[i_1(mode)], at the mixture's (highest) mode, with i_0 the information
  of the "flattened" prior Beta(mode / s, (1 - mode) / s), s = 100, and E_Y[i_1] the Bernoulli
  information of one patient averaged over the prior predictive of Y in {0, 1}. For one Beta(a, b) it
  is close to, not exactly, a + b (19.991 for Beta(5, 15)).

For a normal mixture and data with reference scale sigma (RBesT's ``ess.normMix``): ELIR
sigma^2 E_f[i_f], moment sigma^2 / Var_f, Morita sigma^2 (i_f(mode) - 1 / (s max_k sd_k^2)).

For a BLRM prior (a bivariate normal mixture on (log alpha, log beta)) the ESS is given per dose, of the
implied prior of p(d): the moment ESS (the a + b of the beta with the prior's mean and variance of p(d),
the beta approximation of Neuenschwander et al. 2008; the moments by quadrature, no Monte Carlo error),
and the ELIR and Morita ESS of a beta mixture fitted by EM to ``n_draws`` seeded draws of p(d) (up to 2
components, by AIC). The implied priors of the BLRM are often far from beta mixtures (at low doses the
mass piles up at p = 0): a fitted component then sits at a = 1 or b = 1 and the row is flagged
(``at_bound``)."""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import integrate, special, stats

from ..errors import SpecError
from .em import auto_fit
from .mixtures import BetaMixture, BvnMixture, NormalMixture

METHODS = ("elir", "moment", "morita")
#: RBesT's flattening factor of Morita's ESS (``ess(..., s = 100)``)
MORITA_S = 100.0


def _components(mix: BetaMixture):
    return (np.asarray(v, dtype=float) for v in (mix.weights, mix.a, mix.b))


def _info(mix: BetaMixture, x) -> np.ndarray:
    """-d^2/dx^2 log f(x) of a beta mixture (at 0 < x < 1)."""
    x = np.asarray(x, dtype=float)
    return _lir(mix, x) / (x * (1 - x))


def _lir(mix: BetaMixture, x, y=None) -> np.ndarray:
    """The local information ratio i_f(x) / i_F(x) = -x (1 - x) d^2/dx^2 log f(x), computed without
    overflow near 0 and 1 (``y`` = 1 - x, given when it is known more precisely than 1 - x): with
    g_k = x (1 - x) d/dx log f_k = (a_k - 1)(1 - x) - (b_k - 1) x and
    h_k = x^2 (1 - x)^2 d^2/dx^2 log f_k = -(a_k - 1)(1 - x)^2 - (b_k - 1) x^2, and q_k the posterior
    weights of the components at x, it is (-sum q_k h_k - Var_q(g)) / (x (1 - x))."""
    w, a, b = _components(mix)
    x = np.asarray(x, dtype=float)
    y = 1 - x if y is None else np.asarray(y, dtype=float)
    x, y = x[..., None], y[..., None]
    with np.errstate(divide="ignore"):
        lp = np.log(w) + special.xlogy(a - 1, x) + special.xlogy(b - 1, y) - special.betaln(a, b)
    q = np.exp(lp - special.logsumexp(lp, axis=-1, keepdims=True))
    g = (a - 1) * y - (b - 1) * x
    h = -(a - 1) * y**2 - (b - 1) * x**2
    mg = np.sum(q * g, axis=-1, keepdims=True)
    num = -np.sum(q * h, axis=-1) - np.sum(q * (g - mg) ** 2, axis=-1)
    return num / (x[..., 0] * y[..., 0])


def ess_elir(mix: BetaMixture) -> float:
    if min(mix.a) < 1 or min(mix.b) < 1:
        raise SpecError(
            "mixture",
            "a component has a or b below 1, where the ELIR effective sample size diverges",
            "fit the mixture with a, b > 1 (the default of the EM fit) or use --method moment or morita",
        )
    total = 0.0
    for w, a, b in zip(mix.weights, mix.a, mix.b, strict=True):
        # E_k[lir(x)] = integral over u in (0, 1) of lir(Q_k(u)), on the logit scale of u (RBesT's
        # integrate_density for components whose density vanishes at 0 and 1; here for every component)
        def f(t, a=a, b=b):
            u, v = special.expit(t), special.expit(-t)  # u and 1 - u, both to full precision
            with warnings.catch_warnings():  # boost's root finder warns in the far tails; x is checked
                warnings.simplefilter("ignore", RuntimeWarning)
                if t <= 0:  # the lower tail: x = F^-1(u); the upper: 1 - x = F^-1 of Beta(b, a) at 1 - u
                    x = float(special.betaincinv(a, b, u))
                    y = 1.0 - x
                else:
                    y = float(special.betaincinv(b, a, v))
                    x = 1.0 - y
            if not (x > 0.0 and y > 0.0):
                return 0.0
            return float(_lir(mix, x, y)) * u * v

        with warnings.catch_warnings():  # "roundoff prevents the requested tolerance": close enough
            warnings.simplefilter("ignore", integrate.IntegrationWarning)
            total += w * integrate.quad(f, -np.inf, np.inf, epsabs=1e-12, epsrel=1e-10, limit=400)[0]
    if not math.isfinite(total):
        raise SpecError("mixture", "the ELIR integral is not finite", "check the mixture's parameters")
    return float(total)


def ess_moment(mix: BetaMixture) -> float:
    m, v = mix.mean, mix.var
    return float(m * (1 - m) / v - 1)


def ess_morita(mix: BetaMixture, s: float = MORITA_S, mode: float | None = None) -> float:
    """Morita's ESS at ``mode`` (default: the mixture's highest mode, :meth:`BetaMixture.mode`)."""
    mode = mix.mode() if mode is None else float(mode)
    info_prior = float(_info(mix, mode))
    a0, b0 = mode / s, (1 - mode) / s
    info0 = (a0 - 1) / mode**2 + (b0 - 1) / (1 - mode) ** 2
    w, a, b = _components(mix)
    pd0 = float(np.sum(w * b / (a + b)))
    e_info = pd0 / (1 - mode) ** 2 + (1 - pd0) / mode**2
    return (info_prior - info0) / e_info


def ess(mix: BetaMixture, method: str = "elir") -> float:
    """Effective sample size of a beta mixture by ``method`` (elir, moment or morita)."""
    if method not in METHODS:
        raise SpecError("method", f"{method!r} is not an ESS method", f"use one of {', '.join(METHODS)}")
    return {"elir": ess_elir, "moment": ess_moment, "morita": ess_morita}[method](mix)


def _normal_info(mix: NormalMixture, x) -> np.ndarray:
    """-d^2/dx^2 log f(x) of a normal mixture: sum q_k / s_k^2 - Var_q(g), g_k = -(x - m_k) / s_k^2."""
    w, m, s = (np.asarray(v, dtype=float) for v in (mix.weights, mix.means, mix.sds))
    x = np.asarray(x, dtype=float)[..., None]
    lp = np.log(w) + stats.norm.logpdf(x, m, s)
    q = np.exp(lp - special.logsumexp(lp, axis=-1, keepdims=True))
    g = -(x - m) / s**2
    mg = np.sum(q * g, axis=-1, keepdims=True)
    return np.sum(q / s**2, axis=-1) - np.sum(q * (g - mg) ** 2, axis=-1)


def ess_normal(
    mix: NormalMixture, sigma: float, method: str = "elir", s: float = MORITA_S, mode: float | None = None
) -> float:
    """ESS of a normal mixture for data with reference scale ``sigma`` (one observation's sd), with
    RBesT's definitions (``ess.normMix``): ELIR sigma^2 E_f[i_f]; moment sigma^2 / Var_f; Morita
    sigma^2 (i_f(mode) - 1 / (s max_k sd_k^2)), at ``mode`` (default: the mixture's highest mode)."""
    if method not in METHODS:
        raise SpecError("method", f"{method!r} is not an ESS method", f"use one of {', '.join(METHODS)}")
    if (
        isinstance(sigma, bool)
        or not isinstance(sigma, (int, float))
        or not (math.isfinite(sigma) and sigma > 0)
    ):
        raise SpecError("sigma", f"{sigma!r}", "give the reference scale (sd of one observation), > 0")
    tau_sq = float(sigma) ** 2
    if method == "moment":
        return tau_sq / mix.var
    if method == "morita":
        mode = mix.mode() if mode is None else float(mode)
        return tau_sq * (float(_normal_info(mix, mode)) - 1.0 / (s * max(mix.sds) ** 2))
    total = 0.0
    for w, m, sd in zip(mix.weights, mix.means, mix.sds, strict=True):

        def f(z, m=m, sd=sd):
            return float(_normal_info(mix, m + sd * z)) * stats.norm.pdf(z)

        total += w * integrate.quad(f, -40.0, 40.0, epsabs=1e-13, epsrel=1e-11, limit=400, points=[0.0])[0]
    return tau_sq * total


def blrm_ess(
    prior: BvnMixture,
    doses,
    reference_dose: float,
    *,
    n_draws: int = 4000,
    seed: int = 1,
    max_components: int = 2,
) -> list[dict]:
    """Per dose: the implied prior of p(d)'s mean and sd and its moment ESS (by quadrature), and the ELIR and
    Morita ESS of a beta mixture fitted to the draws (see the module docstring). ``at_bound`` is true
    when a fitted component sits at a = 1 or b = 1, i.e. the implied prior piles up at 0 or 1, where a
    beta mixture is a poor description and the ELIR/Morita numbers should not be read."""
    if (
        isinstance(reference_dose, bool)
        or not isinstance(reference_dose, (int, float))
        or not (math.isfinite(reference_dose) and reference_dose > 0)
    ):
        raise SpecError("reference_dose", f"{reference_dose!r}", "give the positive reference dose d*")
    doses = np.asarray(doses, dtype=float)
    if doses.size == 0 or np.any(~np.isfinite(doses) | (doses <= 0)):
        raise SpecError("doses", f"{doses.tolist()}", "give positive doses")
    rng = np.random.default_rng(seed)
    p = prior.rate_draws(doses, reference_dose, n_draws, rng)
    means, variances = prior.rate_moments(doses, reference_dose)
    rows = []
    for j, d in enumerate(doses):
        x = p[:, j]
        m, var = float(means[j]), float(variances[j])
        mix = auto_fit(x, "beta", max_components=max_components, seed=seed).mixture
        bound = bool(min(mix.a) < 1 + 1e-6 or min(mix.b) < 1 + 1e-6)
        rows.append(
            {
                "dose": float(d),
                "mean": m,
                "sd": math.sqrt(var),
                "moment": m * (1 - m) / var - 1,
                "elir": ess_elir(mix),
                "morita": ess_morita(mix),
                "components": mix.n_components,
                "at_bound": bound,
            }
        )
    return rows
