"""Adult dose-toxicity data onto the paediatric dose scale: a prior for a paediatric BLRM and a CRM
skeleton.

The adult model is the BLRM (Neuenschwander, Branson & Gsponer 2008): logit p(d) = log alpha +
beta log(d / d*_a), with (log alpha, log beta) bivariate normal a priori (by default the weakly
informative prior of Neuenschwander et al. 2015: N(logit(target), 2^2) x N(0, 1)), updated with the adult
data (per dose: patients n, DLTs r). An adult prior or posterior known only as (mean, sd, corr) is the
same model with no data.

The mapping. Under a :class:`~dosefind.paediatric.scaling.Scaling` a paediatric (size-normalised) dose
x is exposure-equivalent to the adult dose g(x) = S_a x. The paediatric model is the adult model read
at exposure-equivalent doses, p_paed(x) = p_adult(g(x)):

    logit p_paed(x) = log alpha + beta log(S_a x / d*_a)
                    = [log alpha + beta c] + beta log(x / d*_p),    c = log(d*_p S_a / d*_a),

for any paediatric reference dose d*_p. With d*_p = g^-1(d*_a) (c = 0) the paediatric model has the
same (log alpha, log beta) as the adult one; otherwise log alpha_p = log alpha + exp(log beta) c and
log beta_p = log beta. Because g is proportional, the slope is unchanged (a power-law exposure
relation g(x) = k x^gamma would add log gamma to log beta; not offered here).

The prior. The adult posterior of (log alpha_p, log beta) is summarised by its mean m and covariance S,
computed by two-dimensional quadrature (a dense trapezoid grid around the mode, see
:func:`fit_adult`; checked against scipy's adaptive integration), and the paediatric prior is the
mixture

    (1 - w) N(m, k S + diag(tau^2, 0))  +  w N((logit(target), 0), diag(2^2, 1)),

with three stated discounts for the paediatric-adult difference (:class:`Discount`): k
(``inflation``, default 2: in the normal approximation the adult information counts half, as a power
prior with weight 1/k, Ibrahim & Chen 2000), tau (``extrapolation_sd``, default 0.5 on log alpha: the
odds of a DLT at the reference dose may differ between children and adults by a factor e^(+-2 tau)
(2.7) with 95% probability, beyond what the adult data leave uncertain), and a weakly informative
component with weight w (``robust_weight``, default 0.2) that lets children's data overrule the adults'
when they conflict (Schmidli et al. 2014, Biometrics 70:1023). These defaults are choices to be
discussed with the clinical team, not estimates.

The skeleton. The CRM skeleton is the adult posterior mean of p at the exposure-equivalent adult doses,
E[p_adult(g(x_i))], from the engine's BLRM quadrature (``engine.blrm.blrm_posterior_summary``), with the
check that it lies in (0, 1) and increases strictly.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..designs import validate as v
from ..designs.blrm.spec import Blrm, PriorComponent
from ..errors import SpecError
from .scaling import Scaling

#: grid spacing (in the posterior's Laplace standard deviations) and the first half-width of the grid
GRID_STEP = 0.1
GRID_HALFWIDTH = 12.0
#: the grid is widened until the posterior on its edge is below exp(-EDGE_LOG) of its peak
EDGE_LOG = 40.0


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def weakly_informative(target: float, weight: float = 1.0) -> PriorComponent:
    """The weakly informative BLRM prior of Neuenschwander et al. (2015): log alpha ~ N(logit(target),
    2^2), log beta ~ N(0, 1), independent (the BLRM design's default)."""
    return PriorComponent(weight, (logit(target), 0.0), (2.0, 1.0), 0.0)


# ---- adult data ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AdultData:
    """Adult dose-toxicity data: per dose (in the adult unit) the patients ``n`` and DLTs ``r``."""

    doses: tuple[float, ...]
    n: tuple[int, ...]
    r: tuple[int, ...]
    source: str | None = None

    def __post_init__(self):
        set_ = object.__setattr__
        if not (len(self.doses) == len(self.n) == len(self.r)) or not self.doses:
            raise SpecError(
                "adult data", "doses, n and r must have the same positive length", "give one n and r per dose"
            )
        doses = tuple(
            v.real(f"dose[{i}]", x, low=0.0, low_open=True, fix="give positive adult doses")
            for i, x in enumerate(self.doses)
        )
        if len(set(doses)) != len(doses):
            raise SpecError("dose", "a dose appears twice", "give one row per dose (add up n and r)")
        n = tuple(
            v.integer(f"n[{i}]", x, low=0, fix="give n as a whole number >= 0") for i, x in enumerate(self.n)
        )
        r = tuple(
            v.integer(f"r[{i}]", x, low=0, fix="give r as a whole number >= 0") for i, x in enumerate(self.r)
        )
        for i, (ni, ri) in enumerate(zip(n, r, strict=True)):
            if ri > ni:
                raise SpecError(
                    f"r[{i}]", f"{ri} DLTs among {ni} patients at dose {doses[i]:g}", "r cannot exceed n"
                )
        order = sorted(range(len(doses)), key=lambda i: doses[i])
        set_(self, "doses", tuple(doses[i] for i in order))
        set_(self, "n", tuple(n[i] for i in order))
        set_(self, "r", tuple(r[i] for i in order))


def read_adult_csv(path: str | Path) -> AdultData:
    """Adult data from a CSV with columns ``dose``, ``n``, ``r`` (one row per dose; ``#`` lines are
    comments). Errors name the file, the line and the column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SpecError("file", f"{path.name} not found", "check the path") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError("file", f"cannot read {path.name} ({e})", "give a UTF-8 CSV file") from None
    lines = [
        (i + 1, ln)
        for i, ln in enumerate(text.splitlines())
        if ln.strip() and not ln.lstrip().startswith("#")
    ]
    if not lines:
        raise SpecError("file", "no rows", "write a header dose,n,r and one row per dose", path.name)
    header_no, header = lines[0]
    cols = [c.strip().lower() for c in next(csv.reader([header]))]
    for need in ("dose", "n", "r"):
        if need not in cols:
            raise SpecError(
                f"line {header_no}",
                f"no column {need!r} in the header {header!r}",
                "the header is dose,n,r",
                path.name,
            )
    doses, ns, rs = [], [], []
    for no, ln in lines[1:]:
        cells = [c.strip() for c in next(csv.reader([ln]))]
        if len(cells) != len(cols):
            raise SpecError(
                f"line {no}",
                f"{len(cells)} values for {len(cols)} columns",
                "one value per column",
                path.name,
            )
        row = dict(zip(cols, cells, strict=True))
        try:
            dose = float(row["dose"])
        except ValueError:
            raise SpecError(
                f"line {no}, dose", f"{row['dose']!r} is not a number", "give the dose as a number", path.name
            ) from None
        vals = {}
        for key in ("n", "r"):
            try:
                vals[key] = int(row[key])
            except ValueError:
                raise SpecError(
                    f"line {no}, {key}",
                    f"{row[key]!r} is not a whole number",
                    f"give {key} as a whole number",
                    path.name,
                ) from None
        if not (math.isfinite(dose) and dose > 0):
            raise SpecError(
                f"line {no}, dose", f"{row['dose']} is not a positive dose", "give positive doses", path.name
            )
        if vals["n"] < 0 or vals["r"] < 0:
            raise SpecError(f"line {no}, n/r", "negative count", "give counts >= 0", path.name)
        if vals["r"] > vals["n"]:
            raise SpecError(
                f"line {no}, r",
                f"{vals['r']} DLTs among n = {vals['n']} patients",
                "r cannot exceed n",
                path.name,
            )
        doses.append(dose)
        ns.append(vals["n"])
        rs.append(vals["r"])
    if not doses:
        raise SpecError("file", "a header but no data rows", "add one row dose,n,r per dose", path.name)
    try:
        return AdultData(tuple(doses), tuple(ns), tuple(rs), source=path.name)
    except SpecError as e:
        raise e.with_source(path.name) from None


# ---- the adult model and its posterior by quadrature --------------------------------------------------
@dataclass(frozen=True)
class AdultModel:
    """The adult BLRM: reference dose d*_a, a bivariate normal prior on (log alpha, log beta), and the
    adult data (None: the prior is itself the adult posterior, given as (mean, sd, corr))."""

    reference_dose: float
    prior: PriorComponent
    data: AdultData | None = None

    def __post_init__(self):
        object.__setattr__(
            self,
            "reference_dose",
            v.real(
                "reference_dose",
                self.reference_dose,
                low=0.0,
                low_open=True,
                fix="give the adult reference dose d*",
            ),
        )

    def log_posterior(self, la, lb) -> np.ndarray:
        """Unnormalised log posterior at arrays of (log alpha, log beta)."""
        la = np.asarray(la, dtype=float)
        lb = np.asarray(lb, dtype=float)
        m = np.asarray(self.prior.mean)
        prec = np.linalg.inv(self.prior.cov)
        d1, d2 = la - m[0], lb - m[1]
        out = -0.5 * (prec[0, 0] * d1 * d1 + 2 * prec[0, 1] * d1 * d2 + prec[1, 1] * d2 * d2)
        if self.data is not None:
            b = np.exp(np.minimum(lb, 700.0))  # beyond, the posterior is 0 anyway; no overflow to inf
            for dose, n, r in zip(self.data.doses, self.data.n, self.data.r, strict=True):
                if n == 0:
                    continue
                eta = la + b * math.log(dose / self.reference_dose)
                out = out + r * eta - n * np.logaddexp(0.0, eta)
        return out

    def _score_hessian(self, t):
        la, lb = t
        m = np.asarray(self.prior.mean)
        prec = np.linalg.inv(self.prior.cov)
        g = -prec @ (t - m)
        h = -prec.copy()
        if self.data is not None:
            b = math.exp(lb)
            for dose, n, r in zip(self.data.doses, self.data.n, self.data.r, strict=True):
                bx = b * math.log(dose / self.reference_dose)
                p = 1.0 / (1.0 + math.exp(-(la + bx)))
                res = r - n * p
                w = n * p * (1 - p)
                g += np.array([res, res * bx])
                h -= np.array([[w, w * bx], [w * bx, w * bx * bx - res * bx]])
        return g, h

    def mode(self) -> tuple[np.ndarray, np.ndarray]:
        """(posterior mode, inverse negative Hessian there): Newton with step halving."""
        t = np.asarray(self.prior.mean, dtype=float).copy()
        cur = float(self.log_posterior(t[0], t[1]))
        for _ in range(200):
            g, h = self._score_hessian(t)
            neg = -h
            if np.linalg.eigvalsh(neg).min() <= 0:  # not concave here: a gradient step in the prior metric
                step = self.prior.cov @ g
            else:
                step = np.linalg.solve(neg, g)
            s = 1.0
            while s > 1e-12:
                new = t + s * step
                val = float(self.log_posterior(new[0], new[1]))
                if val >= cur - 1e-14:
                    break
                s *= 0.5
            else:
                break
            t, cur = new, val
            if np.abs(s * step).max() < 1e-11:
                break
        _g, h = self._score_hessian(t)
        neg = -h
        if np.linalg.eigvalsh(neg).min() <= 0:
            return t, self.prior.cov
        return t, np.linalg.inv(neg)


@dataclass(frozen=True)
class AdultPosterior:
    """The adult posterior on a quadrature grid: nodes (log alpha, log beta) and normalised weights."""

    model: AdultModel
    log_alpha: np.ndarray = field(repr=False)
    log_beta: np.ndarray = field(repr=False)
    weights: np.ndarray = field(repr=False)

    def moments(self, shift: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """Mean and covariance of (log alpha + exp(log beta) shift, log beta): the paediatric
        parameters for c = ``shift`` (see the module doc)."""
        t1 = self.log_alpha + np.exp(self.log_beta) * shift
        t = np.stack([t1, self.log_beta])
        mean = t @ self.weights
        dev = t - mean[:, None]
        cov = (dev * self.weights) @ dev.T
        return mean, cov

    def mean_prob(self, adult_doses) -> np.ndarray:
        """E p(d) at adult doses, from this grid (a check of the engine's quadrature)."""
        x = np.log(np.asarray(adult_doses, dtype=float) / self.model.reference_dose)
        from scipy.special import expit

        eta = self.log_alpha[:, None] + np.exp(self.log_beta)[:, None] * x[None, :]
        return self.weights @ expit(eta)


def fit_adult(model: AdultModel) -> AdultPosterior:
    """The adult posterior by quadrature: a trapezoid grid with step ``GRID_STEP`` in the coordinates
    z = L^-1 (theta - mode) (L the Cholesky factor of the inverse negative Hessian at the mode), over
    [-R, R]^2 with R = ``GRID_HALFWIDTH``, widened (x1.5, up to 60) until the posterior on the grid's
    edge is below exp(-40) of its peak. The trapezoid rule is exponentially accurate for smooth
    integrands that vanish at the edges; tests check the moments against scipy's adaptive quadrature."""
    mode, cov = model.mode()
    chol = np.linalg.cholesky(cov)
    half = GRID_HALFWIDTH
    while True:
        z = np.arange(-half, half + GRID_STEP / 2, GRID_STEP)
        z1, z2 = np.meshgrid(z, z, indexing="ij")
        t1 = mode[0] + chol[0, 0] * z1
        t2 = mode[1] + chol[1, 0] * z1 + chol[1, 1] * z2
        lp = model.log_posterior(t1, t2)
        top = lp.max()
        edge = max(lp[0].max(), lp[-1].max(), lp[:, 0].max(), lp[:, -1].max())
        if edge - top < -EDGE_LOG or half >= 60.0:
            break
        half *= 1.5
    w = np.exp(lp - top).ravel()
    w /= w.sum()
    return AdultPosterior(model, t1.ravel(), t2.ravel(), w)


def adult_mean_prob(model: AdultModel, adult_doses) -> np.ndarray:
    """E p(d) under the adult posterior at ``adult_doses``, by the engine's BLRM quadrature (the fast
    posterior the BLRM design decides with): a BLRM over the adult data's doses, the requested doses and
    the reference dose, with the data's counts and none elsewhere."""
    from ..engine.blrm import blrm_posterior_summary

    wanted = [float(d) for d in adult_doses]
    data = model.data
    points: dict[str, list] = {}

    def key(x: float) -> str:
        return f"{x:.12g}"

    for d in wanted + [model.reference_dose]:
        points.setdefault(key(d), [float(key(d)), 0, 0])
    if data is not None:
        for d, n, r in zip(data.doses, data.n, data.r, strict=True):
            p = points.setdefault(key(d), [float(key(d)), 0, 0])
            p[1] += n
            p[2] += r
    grid = sorted(points.values())
    pr = model.prior
    total = sum(p[1] for p in grid)
    design = Blrm(
        doses=tuple(p[0] for p in grid),
        reference_dose=float(key(model.reference_dose)),
        prior_mean=pr.mean,
        prior_sd=pr.sd,
        prior_corr=pr.corr,
        max_n=max(total, 3),
        cohort_size=1,
    )
    s = blrm_posterior_summary(design, np.array([p[1] for p in grid]), np.array([p[2] for p in grid]))
    index = {key(p[0]): i for i, p in enumerate(grid)}
    return np.array([s["mean"][index[key(d)]] for d in wanted])


# ---- the mapping ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Discount:
    """How far the adult information is trusted for children (see the module doc): the covariance
    inflation k, the extra sd on log alpha tau, and the weight w of the weakly informative component."""

    inflation: float = 2.0
    extrapolation_sd: float = 0.5
    robust_weight: float = 0.2

    def __post_init__(self):
        set_ = object.__setattr__
        set_(
            self,
            "inflation",
            v.real("inflation", self.inflation, low=1.0, fix="give a covariance inflation >= 1 (1: none)"),
        )
        set_(
            self,
            "extrapolation_sd",
            v.real("extrapolation_sd", self.extrapolation_sd, low=0.0, fix="give an sd >= 0 (0: none)"),
        )
        set_(
            self,
            "robust_weight",
            v.real(
                "robust_weight",
                self.robust_weight,
                low=0.0,
                high=1.0,
                high_open=True,
                fix="give the weakly informative component's weight in [0, 1), e.g. 0.2",
            ),
        )


def paediatric_parameters(log_alpha, log_beta, shift: float):
    """(log alpha_p, log beta_p) = (log alpha + exp(log beta) shift, log beta): the paediatric model's
    parameters for c = ``shift`` = log(d*_p S_a / d*_a)."""
    return np.asarray(log_alpha) + np.exp(log_beta) * shift, np.asarray(log_beta)


@dataclass(frozen=True)
class PaediatricPrior:
    """The adult information on the paediatric dose scale."""

    doses: tuple[float, ...]  # paediatric (size-normalised)
    adult_equivalent: tuple[float, ...]  # g(x)
    reference_dose: float  # d*_p
    adult_reference_dose: float  # d*_a
    shift: float  # c
    adult_mean: tuple[float, float]  # of (log alpha_p, log beta)
    adult_cov: tuple[tuple[float, float], tuple[float, float]]
    components: tuple[PriorComponent, ...]
    skeleton: tuple[float, ...]
    discount: Discount
    target: float


def _component(weight: float, mean, cov) -> PriorComponent:
    sd = np.sqrt(np.diag(cov))
    corr = float(cov[0, 1] / (sd[0] * sd[1]))
    return PriorComponent(float(weight), (float(mean[0]), float(mean[1])), (float(sd[0]), float(sd[1])), corr)


def check_skeleton(values) -> tuple[float, ...]:
    """A CRM skeleton must lie in (0, 1) and increase strictly: raise a SpecError otherwise."""
    s = tuple(float(x) for x in values)
    for i, x in enumerate(s):
        if not 0.0 < x < 1.0:
            raise SpecError(
                f"skeleton[{i}]",
                f"{x!r} is not strictly between 0 and 1",
                "use doses within the adult data's range",
            )
    for i in range(1, len(s)):
        if s[i] <= s[i - 1]:
            raise SpecError(
                f"skeleton[{i}]",
                f"{s[i]:.6g} does not increase on {s[i - 1]:.6g}",
                "space the paediatric doses further apart",
            )
    return s


def map_adult_to_paediatric(
    model: AdultModel,
    scaling: Scaling,
    doses,
    reference_dose: float | None = None,
    discount: Discount | None = None,
    target: float = 0.245,
) -> PaediatricPrior:
    """The adult model's information on the paediatric doses ``doses`` (size-normalised, increasing):
    the mixture prior for a paediatric BLRM with reference dose ``reference_dose`` (default: the
    paediatric dose nearest, on the log scale, to g^-1(d*_a)) and the CRM skeleton (module doc).
    ``target`` centres the weakly informative component (the BLRM design's default: the target
    interval's midpoint)."""
    discount = discount or Discount()
    x = tuple(
        v.real(f"doses[{i}]", d, low=0.0, low_open=True, fix="give positive doses")
        for i, d in enumerate(doses)
    )
    if not x:
        raise SpecError("doses", "no paediatric doses", "give at least one dose")
    for i in range(1, len(x)):
        if x[i] <= x[i - 1]:
            raise SpecError(f"doses[{i}]", f"{x[i]:g} does not increase on {x[i - 1]:g}", "sort the doses")
    target = v.probability("target", target, open_interval=True)
    equivalent = model.reference_dose / scaling.adult_size  # g^-1(d*_a)
    if reference_dose is None:
        reference_dose = min(x, key=lambda d: (abs(math.log(d / equivalent)), d))
    reference_dose = v.real(
        "reference_dose", reference_dose, low=0.0, low_open=True, fix="give a paediatric reference dose"
    )
    if not x[0] <= reference_dose <= x[-1]:
        raise SpecError(
            "reference_dose",
            f"{reference_dose:g} is outside the paediatric doses {x[0]:g}-{x[-1]:g}",
            "choose one of the paediatric doses",
        )
    shift = math.log(reference_dose / equivalent)
    post = fit_adult(model)
    mean, cov = post.moments(shift)
    informed = discount.inflation * cov + np.diag([discount.extrapolation_sd**2, 0.0])
    comps = [_component(1.0 - discount.robust_weight, mean, informed)]
    if discount.robust_weight > 0:
        comps.append(weakly_informative(target, discount.robust_weight))
    adult_doses = tuple(float(scaling.adult_equivalent(d)) for d in x)
    skeleton = check_skeleton(adult_mean_prob(model, adult_doses))
    return PaediatricPrior(
        doses=x,
        adult_equivalent=adult_doses,
        reference_dose=reference_dose,
        adult_reference_dose=model.reference_dose,
        shift=shift,
        adult_mean=(float(mean[0]), float(mean[1])),
        adult_cov=((float(cov[0, 0]), float(cov[0, 1])), (float(cov[1, 0]), float(cov[1, 1]))),
        components=tuple(comps),
        skeleton=skeleton,
        discount=discount,
        target=target,
    )
