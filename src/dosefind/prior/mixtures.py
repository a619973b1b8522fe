"""Mixture priors: beta mixtures for a binary rate and bivariate normal mixtures on (log alpha, log beta).

Both are frozen dataclasses validated on construction (:class:`~dosefind.errors.SpecError` naming the
field). A beta mixture has density, CDF, moments, quantiles, the mode, sampling and its exact conjugate
update given n patients with r events (as RBesT's ``postmix``: component k's weight becomes proportional
to w_k times the beta-binomial probability of r under Beta(a_k, b_k), its parameters a_k + r, b_k + n - r).
A bivariate normal mixture has density, moments, sampling and the implied prior of the DLT rate p(d)
under the BLRM, logit p(d) = log alpha + exp(log beta) log(d / d*).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

from ..errors import SpecError


def _vector(field: str, values, *, positive: bool = False, n: int | None = None) -> tuple[float, ...]:
    try:
        out = tuple(float(x) for x in np.atleast_1d(np.asarray(values, dtype=float)))
    except (TypeError, ValueError):
        raise SpecError(field, f"expected numbers, got {values!r}", "write a list of numbers") from None
    if not out:
        raise SpecError(field, "empty", "give one value per mixture component")
    if n is not None and len(out) != n:
        raise SpecError(field, f"{len(out)} values for {n} components", "give one value per component")
    for x in out:
        if not math.isfinite(x) or (positive and x <= 0):
            rel = "positive and finite" if positive else "finite"
            raise SpecError(field, f"{x:g} is not {rel}", f"every entry must be {rel}")
    return out


def _weights(field: str, values) -> tuple[float, ...]:
    w = _vector(field, values)
    if any(x <= 0 or x > 1 for x in w):
        raise SpecError(field, f"weights {list(w)} must lie in (0, 1]", "drop components of weight 0")
    if abs(sum(w) - 1.0) > 1e-6:
        raise SpecError(field, f"weights sum to {sum(w):.6g}, not 1", "make the weights sum to 1")
    total = sum(w)
    return tuple(x / total for x in w)


@dataclass(frozen=True)
class BetaMixture:
    """sum_k w_k Beta(a_k, b_k) on a rate in (0, 1)."""

    weights: tuple[float, ...]
    a: tuple[float, ...]
    b: tuple[float, ...]

    def __post_init__(self):
        set_ = object.__setattr__
        w = _weights("weights", self.weights)
        set_(self, "weights", w)
        set_(self, "a", _vector("a", self.a, positive=True, n=len(w)))
        set_(self, "b", _vector("b", self.b, positive=True, n=len(w)))

    @classmethod
    def single(cls, a: float, b: float) -> BetaMixture:
        return cls((1.0,), (a,), (b,))

    @property
    def n_components(self) -> int:
        return len(self.weights)

    def _arrays(self):
        return np.asarray(self.weights), np.asarray(self.a), np.asarray(self.b)

    def logpdf(self, x) -> np.ndarray:
        w, a, b = self._arrays()
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore"):
            lp = np.log(w) + stats.beta.logpdf(x[..., None], a, b)
        return special.logsumexp(lp, axis=-1)

    def pdf(self, x) -> np.ndarray:
        return np.exp(self.logpdf(x))

    def cdf(self, x) -> np.ndarray:
        w, a, b = self._arrays()
        return np.sum(w * stats.beta.cdf(np.asarray(x, dtype=float)[..., None], a, b), axis=-1)

    @property
    def mean(self) -> float:
        w, a, b = self._arrays()
        return float(np.sum(w * a / (a + b)))

    @property
    def var(self) -> float:
        w, a, b = self._arrays()
        m = a / (a + b)
        second = m * (a + 1) / (a + b + 1)
        return float(np.sum(w * second) - self.mean**2)

    @property
    def sd(self) -> float:
        return math.sqrt(self.var)

    def quantile(self, q) -> np.ndarray:
        """Quantiles by root finding on the CDF (to 1e-12 in x)."""
        q = np.atleast_1d(np.asarray(q, dtype=float))
        out = np.empty_like(q)
        for i, qi in enumerate(q):
            if not 0.0 <= qi <= 1.0:
                raise SpecError("q", f"{qi:g} is not a probability", "give probabilities in [0, 1]")
            if qi in (0.0, 1.0):
                out[i] = qi
                continue
            out[i] = optimize.brentq(
                lambda x, qi=qi: float(self.cdf(x)) - qi, 0.0, 1.0, xtol=1e-14, rtol=1e-14
            )
        return out

    def mode(self) -> float:
        """The highest mode: the density maximised around each component (as RBesT's ``mixmode``), more
        precisely (bounded Brent search to 1e-10)."""
        best_x, best_f = 0.5, -np.inf
        for k in range(self.n_components):
            lo, hi = stats.beta.ppf([0.005, 0.995], self.a[k], self.b[k])
            res = optimize.minimize_scalar(
                lambda x: -float(self.logpdf(x)), bounds=(lo, hi), method="bounded", options={"xatol": 1e-10}
            )
            if -res.fun > best_f:
                best_x, best_f = float(res.x), -res.fun
        return best_x

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        w, a, b = self._arrays()
        k = rng.choice(self.n_components, size=size, p=w)
        return rng.beta(a[k], b[k])

    def posterior(self, n: int, r: int) -> BetaMixture:
        """Exact conjugate update given r events in n patients (RBesT's ``postmix``)."""
        if (
            isinstance(n, bool)
            or isinstance(r, bool)
            or int(n) != n
            or int(r) != r
            or n < 0
            or r < 0
            or r > n
        ):
            raise SpecError(
                "data", f"n = {n}, r = {r} is not a count pair", "give whole numbers with 0 <= r <= n"
            )
        w, a, b = self._arrays()
        lw = np.log(w) + log_beta_binomial(r, n, a, b)
        lw -= special.logsumexp(lw)
        return BetaMixture(tuple(np.exp(lw)), tuple(a + r), tuple(b + n - r))

    def predictive_pmf(self, n: int) -> np.ndarray:
        """P(r events in n new patients), r = 0..n (beta-binomial mixture)."""
        w, a, b = self._arrays()
        r = np.arange(n + 1)[:, None]
        return np.sum(w * np.exp(log_beta_binomial(r, n, a, b)), axis=1)

    def robustify(self, weight: float, mean: float = 0.5, n: float = 1.0) -> BetaMixture:
        from .robust import robustify_beta

        return robustify_beta(self, weight, mean=mean, n=n)

    def to_dict(self) -> dict:
        return {"weights": list(self.weights), "a": list(self.a), "b": list(self.b)}

    @classmethod
    def from_dict(cls, d: dict, field: str = "mixture") -> BetaMixture:
        try:
            return cls(d["weights"], d["a"], d["b"])
        except KeyError as e:
            raise SpecError(f"{field}.{e.args[0]}", "missing", "give weights, a and b") from None
        except SpecError as e:
            raise SpecError(f"{field}.{e.field}", e.problem, e.fix) from None


def log_beta_binomial(r, n, a, b):
    """log P(r | n) under a beta-binomial with Beta(a, b)."""
    return (
        special.gammaln(n + 1)
        - special.gammaln(r + 1)
        - special.gammaln(n - r + 1)
        + special.betaln(a + r, b + n - r)
        - special.betaln(a, b)
    )


@dataclass(frozen=True)
class BvnMixture:
    """sum_k w_k BVN(mean_k, diag(sd_k) [[1, corr_k], [corr_k, 1]] diag(sd_k)) on (log alpha, log beta)."""

    weights: tuple[float, ...]
    means: tuple[tuple[float, float], ...]
    sds: tuple[tuple[float, float], ...]
    corrs: tuple[float, ...]

    def __post_init__(self):
        set_ = object.__setattr__
        w = _weights("weights", self.weights)
        set_(self, "weights", w)
        k = len(w)
        set_(self, "means", self._pairs("means", self.means, k, positive=False))
        set_(self, "sds", self._pairs("sds", self.sds, k, positive=True))
        c = _vector("corrs", self.corrs, n=k)
        if any(abs(x) >= 1 for x in c):
            raise SpecError(
                "corrs", f"{list(c)} not all in (-1, 1)", "give correlations strictly between -1 and 1"
            )
        set_(self, "corrs", c)

    @staticmethod
    def _pairs(field, values, k, positive):
        arr = np.asarray(values, dtype=float)
        if arr.shape != (k, 2):
            raise SpecError(field, f"shape {arr.shape}, expected ({k}, 2)", "give a pair per component")
        _vector(field, arr.ravel(), positive=positive)
        return tuple((float(x), float(y)) for x, y in arr)

    @property
    def n_components(self) -> int:
        return len(self.weights)

    def covs(self) -> np.ndarray:
        s = np.asarray(self.sds)
        r = np.asarray(self.corrs)
        out = np.empty((self.n_components, 2, 2))
        out[:, 0, 0] = s[:, 0] ** 2
        out[:, 1, 1] = s[:, 1] ** 2
        out[:, 0, 1] = out[:, 1, 0] = r * s[:, 0] * s[:, 1]
        return out

    def logpdf(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        lp = np.stack(
            [
                math.log(w) + stats.multivariate_normal.logpdf(x, mean=m, cov=c)
                for w, m, c in zip(self.weights, self.means, self.covs(), strict=True)
            ],
            axis=-1,
        )
        return special.logsumexp(lp, axis=-1)

    @property
    def mean(self) -> np.ndarray:
        return np.asarray(self.weights) @ np.asarray(self.means)

    @property
    def cov(self) -> np.ndarray:
        w = np.asarray(self.weights)
        m = np.asarray(self.means)
        second = np.einsum("k,kij->ij", w, self.covs() + np.einsum("ki,kj->kij", m, m))
        return second - np.outer(self.mean, self.mean)

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        k = rng.choice(self.n_components, size=size, p=np.asarray(self.weights))
        chol = np.linalg.cholesky(self.covs())
        z = rng.standard_normal((size, 2))
        return np.asarray(self.means)[k] + np.einsum("nij,nj->ni", chol[k], z)

    def rate_draws(self, doses, reference_dose: float, size: int, rng: np.random.Generator) -> np.ndarray:
        """Draws of p(d) for each dose (shape (size, len(doses))) implied by the prior."""
        theta = self.sample(size, rng)
        x = np.log(np.asarray(doses, dtype=float) / reference_dose)
        return special.expit(theta[:, :1] + np.exp(theta[:, 1:2]) * x[None, :])

    def rate_moments(self, doses, reference_dose: float, nodes: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """E p(d) and Var p(d) for each dose under the prior, by Gauss-Hermite quadrature (``nodes`` per
        axis) in each component's Cholesky coordinates: deterministic, no Monte Carlo error (p(d) is
        smooth and bounded, so the rule converges fast; checked against adaptive integration)."""
        u, w = np.polynomial.hermite_e.hermegauss(nodes)
        w = w / w.sum()
        uu, vv = (g.ravel() for g in np.meshgrid(u, u, indexing="ij"))
        ww = np.outer(w, w).ravel()
        x = np.log(np.asarray(doses, dtype=float) / reference_dose)
        m1 = np.zeros(x.shape[0])
        m2 = np.zeros(x.shape[0])
        for wk, (ma, mb), (sa, sb), r in zip(self.weights, self.means, self.sds, self.corrs, strict=True):
            la = ma + sa * uu
            lb = mb + sb * (r * uu + math.sqrt(1.0 - r * r) * vv)
            p = special.expit(la[:, None] + np.exp(lb)[:, None] * x[None, :])
            m1 += wk * (ww @ p)
            m2 += wk * (ww @ (p * p))
        return m1, m2 - m1 * m1

    def to_components(self) -> list[dict]:
        """``[[design.prior]]`` blocks of a BLRM design file."""
        return [
            {"weight": w, "mean": list(m), "sd": list(s), "corr": c}
            for w, m, s, c in zip(self.weights, self.means, self.sds, self.corrs, strict=True)
        ]

    def to_dict(self) -> dict:
        return {
            "weights": list(self.weights),
            "means": [list(m) for m in self.means],
            "sds": [list(s) for s in self.sds],
            "corrs": list(self.corrs),
        }

    @classmethod
    def from_dict(cls, d: dict, field: str = "mixture") -> BvnMixture:
        try:
            return cls(d["weights"], d["means"], d["sds"], d["corrs"])
        except KeyError as e:
            raise SpecError(f"{field}.{e.args[0]}", "missing", "give weights, means, sds and corrs") from None
        except SpecError as e:
            raise SpecError(f"{field}.{e.field}", e.problem, e.fix) from None


@dataclass(frozen=True)
class NormalMixture:
    """sum_k w_k N(mean_k, sd_k^2) on a real parameter (e.g. a log-odds or a mean), for its effective
    sample size relative to a reference scale (RBesT's ``mixnorm``, ``sigma``)."""

    weights: tuple[float, ...]
    means: tuple[float, ...]
    sds: tuple[float, ...]

    def __post_init__(self):
        set_ = object.__setattr__
        w = _weights("weights", self.weights)
        set_(self, "weights", w)
        set_(self, "means", _vector("means", self.means, n=len(w)))
        set_(self, "sds", _vector("sds", self.sds, positive=True, n=len(w)))

    @property
    def n_components(self) -> int:
        return len(self.weights)

    def logpdf(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)[..., None]
        lp = np.log(self.weights) + stats.norm.logpdf(x, np.asarray(self.means), np.asarray(self.sds))
        return special.logsumexp(lp, axis=-1)

    def pdf(self, x) -> np.ndarray:
        return np.exp(self.logpdf(x))

    @property
    def mean(self) -> float:
        return float(np.dot(self.weights, self.means))

    @property
    def var(self) -> float:
        m, s = np.asarray(self.means), np.asarray(self.sds)
        return float(np.dot(self.weights, s**2 + m**2) - self.mean**2)

    def mode(self) -> float:
        """The highest mode (density maximised around each component, as RBesT's ``mixmode``)."""
        best_x, best_f = self.mean, -np.inf
        for m, s in zip(self.means, self.sds, strict=True):
            res = optimize.minimize_scalar(
                lambda x: -float(self.logpdf(x)),
                bounds=(m - 2.576 * s, m + 2.576 * s),
                method="bounded",
                options={"xatol": 1e-10 * max(1.0, s)},
            )
            if -res.fun > best_f:
                best_x, best_f = float(res.x), -res.fun
        return best_x
