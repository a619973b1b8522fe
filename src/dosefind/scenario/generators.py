"""Random dose-toxicity scenarios for operating-characteristic sweeps.

A sweep compares designs over many plausible truths instead of a handful of hand-picked curves. Two
published generators are implemented; both put the maximum tolerated dose (MTD: the dose whose DLT
probability is closest to the target θ) at a position ν drawn uniformly from the K doses, or at a
position the caller fixes.

Notation: K doses, 0-based positions 0..K-1 (``mtd`` is 0-based; descriptions print the 1-based dose
label), θ the target, p_k the true DLT probability at dose k, Φ the standard normal distribution
function. "Gap" (``min_gap``) is the distance from the target of the MTD's nearest-to-target
neighbour: ``gap = min(|p_{ν-1} - θ|, |p_{ν+1} - θ|)`` over the neighbours that exist, the quantity
the model-assisted comparisons call the probability difference around the target.

``clertant_oquigley``: pseudo-uniform algorithm
    Clertant, M. and O'Quigley, J. (2017). Semiparametric dose finding methods. JRSS-B 79(5),
    1487-1508, used for their random-curve comparisons (and later by Yuan's group for phase I/II
    toxicity curves).

    1. ν ~ Uniform{0, ..., K-1} (or given).
    2. M ~ Beta(max(K-1-ν, 0.5), 1); upper bound B = θ + (1 - θ) M.
       (For ν < K-1, Beta(K-1-ν, 1) is the law of the largest of K-1-ν uniforms on (0, 1): B is the
       largest of K-1-ν uniform draws on (θ, 1); the 0.5 keeps B random when the MTD is the top dose.)
    3. Draw K iid Uniform(0, B) values, sort them, and keep them if dose ν is the dose closest to θ
       (otherwise redraw step 3).

    Step 3 as rejection gets very slow for many doses (K = 10, θ = 0.2, ν = K-1: about one acceptance in
    10^6), so it is sampled exactly instead: the closest point x has density proportional to
    a(d)^ν · b(d)^(K-1-ν), d = |x - θ|, a(d) = max(θ - d, 0), b(d) = max(B - θ - d, 0) (the others
    must avoid (θ - d, θ + d) and exactly ν of them lie below); given x, ν points are iid Uniform(0, θ - d)
    and K-1-ν iid Uniform(θ + d, B). The tests compare this with plain rejection. We could not read
    the paper's own text here: the steps above follow how the algorithm is cited and how public code
    from other groups implements it, so check the Beta parameter max(K-1-ν, 0.5) against the paper.

``liu_yuan``: probit random walk around the target
    Liu, S. and Yuan, Y. (2015). Bayesian optimal interval designs for phase I clinical trials. JRSS-C
    64(3), 507-523 (building on the random scenarios of Paoletti, O'Quigley and Maccario 2004,
    "Design efficiency in dose finding studies", CSDA 45(2), 197-214), used by Zhou, Yuan and Nie
    (2018, Clinical Cancer Research 24(18), 4357-4364) and Jin and Yin (2022, CFO design) for their
    random-scenario comparisons. With z_k = Φ⁻¹(p_k):

    1. ν ~ Uniform{0, ..., K-1} (or given); z_ν ~ N(Φ⁻¹(θ), σ0²).
    2. Neighbours, reflected through θ so that the MTD stays the dose closest to the target:
         z_{ν+1} = z_ν + [Φ⁻¹(2θ - p_ν) - z_ν] · 1{p_ν < θ} + ε²,   ε ~ N(μ1, σ1²)
         z_{ν-1} = z_ν - [z_ν - Φ⁻¹(2θ - p_ν)] · 1{p_ν > θ} - ε²,   ε ~ N(μ2, σ2²)
    3. Further doses: z_{k+1} = z_k + ε², ε ~ N(μ1, σ1²) for k > ν; z_{k-1} = z_k - ε²,
       ε ~ N(μ2, σ2²) for k < ν.
    4. p_k = Φ(z_k).

    Defaults σ0 = 0.05, σ1 = σ2 = 0.35 are the published ones; μ1 = μ2 controls the gap (larger μ,
    steeper curves, larger gap). Sources label the upward and downward step distributions
    inconsistently; the papers use equal values, so this only matters for asymmetric settings.
    The reflection is undefined when 2θ - p_ν falls outside (0, 1) (only possible with a large σ0);
    such draws are rejected and redrawn whole.

``two_drug``: two-drug grids, monotone in each drug, a stated share with a target cell
    A J x K matrix of DLT probabilities (rows: levels of drug A, columns: levels of drug B) drawn as a
    two-dimensional version of Liu & Yuan's probit walk (above). We found no published random-scenario
    generator for combination grids to follow, so this one is ours; it keeps the properties the
    combination comparisons ask of hand-written scenarios (Wages, Conaway & O'Quigley 2011, "Dose-finding
    design for multi-drug combinations", Clinical Trials 8(4), 380-389; Riviere, Yuan, Dubois & Zohar 2014,
    "A Bayesian dose-finding design for drug combination clinical trials based on the logistic model",
    Pharmaceutical Statistics 13(4), 247-257: toxicity increasing along every row and column, the
    partial order of the cells, zero, one or several cells near the target). With z = Φ⁻¹(p):

    1. Scenario i has a target cell iff floor((i + 1) s) > floor(i s), s = ``target_share`` (exactly
       floor(n s) or ceil(n s) of any n consecutive scenarios, whatever the seed).
    2. A cell (j*, k*) uniform over the grid; z*: with a target cell N(Φ⁻¹(θ), σ0²), redrawn until
       |Φ(z*) - θ| <= ``band``; without one N(Φ⁻¹(θ), 1).
    3. Steps along each drug: a_j = ε², ε ~ N(μ, σ²) between rows j - 1 and j, b_k likewise between
       columns; z_jk = z* + (A_j - A_j*) + (B_k - B_k*) with A, B the cumulative steps (an additive probit
       surface: strictly increasing along every row and column).
    4. Redrawn whole (steps 2-3) until every p is strictly inside (0, 1) and strictly increasing along
       rows and columns in floating point, and, for a scenario without a target cell, no cell lies within
       ``band`` of θ (such grids are all too toxic, all too safe, or jump over the target).

    Several cells may lie within the band (the MTD contour of a grid); the description names the cell
    drawn in step 2. Defaults μ = 0.4, σ = 0.35, σ0 = 0.05 are Liu & Yuan's step law on each axis.

Extensions common to the single-agent generators (documented departures, off by default):

* ``min_gap``: the whole curve is redrawn until gap >= min_gap, i.e. the curve is drawn from the
  generator's distribution conditioned on the gap. Because the whole curve (MTD probability
  included) is redrawn, conditioning changes p_ν's distribution too.
* Curves whose probabilities are not strictly increasing inside (0, 1) in floating point (possible only
  in far tails) are redrawn, so every returned curve is strictly increasing.

Reproducibility: scenario ``index`` of a study with ``seed`` uses its own stream,
``np.random.default_rng(np.random.SeedSequence([seed, index, generator_id]))``, so it is the same on
every machine, in any order and in any chunking of a sweep.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from fractions import Fraction

import numpy as np

from ..errors import SpecError
from .spec import Scenario

# Stream coordinates: never renumber (renumbering changes every generated scenario).
GENERATOR_IDS = {"clertant_oquigley": 1, "liu_yuan": 2, "two_drug": 3}

# Redraw budget before giving up; reached only with parameters that make acceptance (nearly) impossible.
MAX_ATTEMPTS = 100_000
EXAMPLES = {"n_doses": 5, "rows": 3, "cols": 3, "target": 0.3}
_BATCH = 32  # candidate curves drawn at once by the pseudo-uniform rejection step


def _check_common(n_doses, target, index, seed, mtd, min_gap) -> None:
    if isinstance(n_doses, bool) or not isinstance(n_doses, (int, np.integer)) or n_doses < 2:
        raise SpecError("n_doses", f"expected a whole number >= 2, got {n_doses!r}", "write e.g. n_doses = 5")
    if isinstance(target, bool) or not isinstance(target, (int, float)) or not 0.0 < float(target) < 1.0:
        raise SpecError(
            "target", f"expected a probability strictly between 0 and 1, got {target!r}", "write e.g. 0.3"
        )
    for field, value in (("index", index), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise SpecError(field, f"expected a whole number >= 0, got {value!r}", f"write e.g. {field} = 1")
    if mtd is not None and (
        isinstance(mtd, bool) or not isinstance(mtd, (int, np.integer)) or not 0 <= mtd < n_doses
    ):
        raise SpecError(
            "mtd",
            f"expected a 0-based dose position from 0 to {n_doses - 1}, got {mtd!r}",
            "give the MTD's 0-based position, or None to draw it uniformly",
        )
    limit = max(float(target), 1.0 - float(target))
    if isinstance(min_gap, bool) or not isinstance(min_gap, (int, float)) or not 0.0 <= min_gap < limit:
        raise SpecError(
            "min_gap",
            f"expected a number from 0 up to (not including) {limit:g}, got {min_gap!r}",
            "use 0 for no constraint or a small gap such as 0.05",
        )


def _positive(field: str, value, *, allow_zero: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise SpecError(
            field, f"expected a finite number {bound}, got {value!r}", f"write e.g. {field} = 0.35"
        )
    return float(value)


def _rng(seed: int, index: int, name: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(index), GENERATOR_IDS[name]]))


def mtd_position(true_tox, target: float) -> int | None:
    """0-based position of the dose closest to the target, or None when two doses tie."""
    dist = np.abs(np.asarray(true_tox, dtype=float) - target)
    best = int(np.argmin(dist))
    if np.sum(dist == dist[best]) > 1:
        return None
    return best


def neighbour_gap(true_tox, target: float, mtd: int) -> float:
    """Distance from the target of the MTD's nearest-to-target neighbour (the "gap")."""
    p = np.asarray(true_tox, dtype=float)
    near = [abs(p[k] - target) for k in (mtd - 1, mtd + 1) if 0 <= k < len(p)]
    return float(min(near))


def _acceptable(p: np.ndarray, target: float, mtd: int, min_gap: float) -> bool:
    return (
        bool(np.all(p > 0.0) and np.all(p < 1.0) and np.all(np.diff(p) > 0.0))
        and mtd_position(p, target) == mtd
        and neighbour_gap(p, target, mtd) >= min_gap
    )


def _scenario(name: str, prefix: str | None, index: int, p: np.ndarray, params: dict, nu: int) -> Scenario:
    text = ", ".join(f"{k}={v!r}" for k, v in params.items())
    return Scenario(
        name=f"{prefix or name}-{index}",
        true_tox=tuple(float(x) for x in p),
        description=f"{name}({text}); MTD at dose {nu + 1}",
    )


def _give_up(name: str) -> SpecError:
    return SpecError(
        name,
        f"no acceptable curve after {MAX_ATTEMPTS} draws with these parameters",
        "lower min_gap or use less extreme parameters",
    )


def _closest_point(rng: np.random.Generator, theta: float, bound: float, below: int, above: int) -> float:
    """The dose-ν probability x: density ∝ a(d)^below · b(d)^above on (0, bound), d = |x - θ|.

    a(d) = max(θ - d, 0) and b(d) = max(bound - θ - d, 0) are the lengths left below and above the
    window (θ - d, θ + d) that no other point may enter. Both shrink with d, so the density peaks at
    x = θ; rejection from Uniform(0, bound) with that peak as envelope.
    """
    peak_a, peak_b = theta, bound - theta
    while True:
        x = bound * (1.0 - rng.random(_BATCH))
        d = np.abs(x - theta)
        ratio = (np.maximum(peak_a - d, 0.0) / peak_a) ** below * (
            np.maximum(peak_b - d, 0.0) / peak_b
        ) ** above
        ok = np.flatnonzero(rng.random(_BATCH) < ratio)
        if ok.size:
            return float(x[ok[0]])


def clertant_oquigley(
    n_doses: int,
    target: float,
    index: int,
    seed: int,
    mtd: int | None = None,
    *,
    min_gap: float = 0.0,
    prefix: str | None = None,
) -> Scenario:
    """Scenario ``index`` of the pseudo-uniform generator (Clertant & O'Quigley 2017).

    ``mtd`` is the 0-based MTD position (None: uniform over the doses); ``min_gap`` conditions on the
    neighbours' distance from the target (see the module docstring); ``prefix`` names the scenario
    ``"<prefix>-<index>"`` (default ``"clertant_oquigley"``).
    """
    name = "clertant_oquigley"
    _check_common(n_doses, target, index, seed, mtd, min_gap)
    theta = float(target)
    rng = _rng(seed, index, name)
    nu = int(rng.integers(n_doses)) if mtd is None else int(mtd)
    above = n_doses - 1 - nu
    for _ in range(MAX_ATTEMPTS):
        bound = theta + (1.0 - theta) * rng.beta(max(above, 0.5), 1.0)
        x = _closest_point(rng, theta, bound, nu, above)
        d = abs(x - theta)
        # 1 - U lies in (0, 1]: the points stay off the open interval's ends (theta - d, theta + d).
        low = (theta - d) * (1.0 - rng.random(nu))
        high = bound - (bound - theta - d) * (1.0 - rng.random(above))
        p = np.concatenate([np.sort(low), [x], np.sort(high)])
        if _acceptable(p, theta, nu, float(min_gap)):
            params = dict(n_doses=int(n_doses), target=theta, mtd=mtd, min_gap=float(min_gap))
            params.update(seed=int(seed), index=int(index))
            return _scenario(name, prefix, index, p, params, nu)
    raise _give_up(name)


def liu_yuan(
    n_doses: int,
    target: float,
    index: int,
    seed: int,
    mtd: int | None = None,
    *,
    sigma0: float = 0.05,
    mu1: float = 0.55,
    sigma1: float = 0.35,
    mu2: float = 0.55,
    sigma2: float = 0.35,
    min_gap: float = 0.0,
    prefix: str | None = None,
) -> Scenario:
    """Scenario ``index`` of the probit random-walk generator (Liu & Yuan 2015; Zhou, Yuan & Nie 2018).

    ``sigma0``: sd of Φ⁻¹(p_MTD) around Φ⁻¹(target); ``mu1, sigma1`` / ``mu2, sigma2``: mean and sd of
    ε for steps up / down (a step is ε² on the probit scale; larger μ gives larger gaps around the
    target: at target 0.3, 5 doses, μ = 0.23, 0.38, 0.53, 0.71 give mean gaps near 0.05, 0.07, 0.10,
    0.15). ``mtd``, ``min_gap`` and ``prefix`` as in :func:`clertant_oquigley`.
    """
    name = "liu_yuan"
    _check_common(n_doses, target, index, seed, mtd, min_gap)
    sigma0 = _positive("sigma0", sigma0, allow_zero=True)
    sigma1 = _positive("sigma1", sigma1, allow_zero=True)
    sigma2 = _positive("sigma2", sigma2, allow_zero=True)
    mu1 = _positive("mu1", mu1, allow_zero=True)
    mu2 = _positive("mu2", mu2, allow_zero=True)
    if sigma1 == 0 and mu1 == 0 or sigma2 == 0 and mu2 == 0:
        raise SpecError("mu1", "steps would all be zero (flat curves)", "give mu1, mu2 or sigma1, sigma2 > 0")
    from scipy.special import ndtr, ndtri  # here, not at import: keeps `import dosefind` quick

    theta = float(target)
    z_target = float(ndtri(theta))
    rng = _rng(seed, index, name)
    nu = int(rng.integers(n_doses)) if mtd is None else int(mtd)
    z = np.empty(n_doses)
    for _ in range(MAX_ATTEMPTS):
        z[nu] = rng.normal(z_target, sigma0)
        p_nu = float(ndtr(z[nu]))
        mirror = 2.0 * theta - p_nu  # reflection of p_MTD through the target
        needs_mirror = (nu < n_doses - 1 and p_nu < theta) or (nu > 0 and p_nu > theta)
        if needs_mirror and not 0.0 < mirror < 1.0:
            continue
        z_mirror = float(ndtri(mirror)) if needs_mirror else math.nan
        for k in range(nu + 1, n_doses):
            start = z_mirror if (k == nu + 1 and p_nu < theta) else z[k - 1]
            z[k] = start + rng.normal(mu1, sigma1) ** 2
        for k in range(nu - 1, -1, -1):
            start = z_mirror if (k == nu - 1 and p_nu > theta) else z[k + 1]
            z[k] = start - rng.normal(mu2, sigma2) ** 2
        p = ndtr(z)
        if _acceptable(p, theta, nu, float(min_gap)):
            params = dict(n_doses=int(n_doses), target=theta, mtd=mtd, sigma0=sigma0, mu1=mu1, sigma1=sigma1)
            params.update(mu2=mu2, sigma2=sigma2, min_gap=float(min_gap), seed=int(seed), index=int(index))
            return _scenario(name, prefix, index, p, params, nu)
    raise _give_up(name)


def _grid_shape(rows, cols) -> tuple[int, int]:
    for field, value in (("rows", rows), ("cols", cols)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise SpecError(field, f"expected a whole number >= 1, got {value!r}", f"write e.g. {field} = 3")
    if rows * cols < 2:
        raise SpecError("cols", "a 1 x 1 grid has one cell", "give the grid at least two cells, e.g. 3 x 3")
    return int(rows), int(cols)


def has_target_cell(index: int, target_share: float) -> bool:
    """Whether scenario ``index`` of :func:`two_drug` has a cell within the band of the target: exactly
    floor(n s) or ceil(n s) of any n consecutive indices (s = ``target_share``, read as the decimal it is
    written as, so 0.3 is 3/10 and 10 scenarios have 3 target cells)."""
    share = Fraction(repr(float(target_share)))
    return math.floor((index + 1) * share) > math.floor(index * share)


def two_drug(
    rows: int,
    cols: int,
    target: float,
    index: int,
    seed: int,
    *,
    target_share: float = 1.0,
    band: float = 0.05,
    sigma0: float = 0.05,
    mu: float = 0.4,
    sigma: float = 0.35,
    prefix: str | None = None,
) -> Scenario:
    """Scenario ``index``: a ``rows`` x ``cols`` grid of DLT probabilities, strictly increasing in each
    drug; a share ``target_share`` of the scenarios have a cell within ``band`` of ``target`` (see the
    module docstring, ``two_drug``). The scenario's ``grid_shape`` is (rows, cols), cells in row-major
    order (cell j.k is index (j - 1) cols + k - 1), as two-drug designs read them."""
    name = "two_drug"
    rows, cols = _grid_shape(rows, cols)
    _check_common(rows * cols, target, index, seed, None, 0.0)
    v_share = target_share
    if isinstance(v_share, bool) or not isinstance(v_share, (int, float)) or not 0.0 <= v_share <= 1.0:
        raise SpecError(
            "target_share",
            f"expected a share from 0 to 1, got {target_share!r}",
            "write e.g. target_share = 0.8",
        )
    theta = float(target)
    band = _positive("band", band)
    if band >= min(theta, 1.0 - theta):
        raise SpecError(
            "band",
            f"a band of {band:g} around {theta:g} leaves no room for grids without a target cell",
            f"use a band below {min(theta, 1.0 - theta):g}, e.g. 0.05",
        )
    sigma0 = _positive("sigma0", sigma0, allow_zero=True)
    mu = _positive("mu", mu, allow_zero=True)
    sigma = _positive("sigma", sigma, allow_zero=True)
    if mu == 0 and sigma == 0:
        raise SpecError("mu", "steps would all be zero (flat grids)", "give mu or sigma > 0")
    from scipy.special import ndtr, ndtri  # here, not at import: keeps `import dosefind` quick

    z_target = float(ndtri(theta))
    rng = _rng(seed, index, name)
    with_target = has_target_cell(index, float(target_share))
    for _ in range(MAX_ATTEMPTS):
        j0, k0 = int(rng.integers(rows)), int(rng.integers(cols))
        if with_target:
            z0 = rng.normal(z_target, sigma0)
            while abs(float(ndtr(z0)) - theta) > band:
                z0 = rng.normal(z_target, sigma0)
        else:
            z0 = rng.normal(z_target, 1.0)
        a = np.concatenate([[0.0], np.cumsum(rng.normal(mu, sigma, rows - 1) ** 2)])
        b = np.concatenate([[0.0], np.cumsum(rng.normal(mu, sigma, cols - 1) ** 2)])
        z = z0 + (a - a[j0])[:, None] + (b - b[k0])[None, :]
        p = ndtr(z)
        ok = (
            np.all(p > 0.0)
            and np.all(p < 1.0)
            and np.all(np.diff(p, axis=0) > 0.0)
            and np.all(np.diff(p, axis=1) > 0.0)
        )
        near = bool(np.any(np.abs(p - theta) <= band))
        if ok and near == with_target:
            params = dict(rows=rows, cols=cols, target=theta, target_share=float(target_share), band=band)
            params.update(sigma0=sigma0, mu=mu, sigma=sigma, seed=int(seed), index=int(index))
            text = ", ".join(f"{k}={v!r}" for k, v in params.items())
            where = (
                f"target cell {j0 + 1}.{k0 + 1}" if with_target else f"no cell within {band:g} of the target"
            )
            return Scenario(
                name=f"{prefix or name}-{index}",
                true_tox=tuple(float(x) for x in p.ravel()),
                description=f"{name}({text}); {where}",
                grid_shape=(rows, cols),
            )
    raise _give_up(name)


GENERATORS: dict[str, Callable[..., Scenario]] = {
    "clertant_oquigley": clertant_oquigley,
    "liu_yuan": liu_yuan,
    "two_drug": two_drug,
}


def generate(name: str, count: int, seed: int, *, start: int = 0, **params) -> list[Scenario]:
    """Scenarios ``start .. start + count - 1`` of generator ``name`` (each one reproducible alone).

    ``params`` are the generator's keyword arguments (``target`` and the size, ``n_doses`` or ``rows`` and
    ``cols``, are required).
    """
    if name not in GENERATORS:
        raise SpecError(
            "generator", f"unknown generator {name!r}", "choose one of " + ", ".join(sorted(GENERATORS))
        )
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise SpecError("count", f"expected a whole number >= 1, got {count!r}", "write e.g. count = 1000")
    if isinstance(start, bool) or not isinstance(start, (int, np.integer)) or start < 0:
        raise SpecError("start", f"expected a whole number >= 0, got {start!r}", "write e.g. start = 0")
    func = GENERATORS[name]
    allowed = [p for p in inspect.signature(func).parameters if p not in ("index", "seed")]
    for key in params:
        if key not in allowed:
            raise SpecError(
                f"{name}.{key}", "unknown parameter", "valid parameters are " + ", ".join(allowed)
            )
    for key in ("n_doses", "rows", "cols", "target"):
        if key in allowed and key not in params:
            raise SpecError(f"{name}.{key}", "missing", f"give {key}, e.g. {key}={EXAMPLES[key]}")
    return [func(index=i, seed=seed, **params) for i in range(start, start + count)]
