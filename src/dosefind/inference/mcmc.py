"""The ``--posterior mcmc`` back end: NUTS fits of the fast posterior's models, with ArviZ diagnostics.

The models are the ones :func:`dosefind.inference.summary.fast_posterior` computes exactly: for the CRM,
the design's one-parameter model (:func:`~dosefind.inference.crm_pymc.build_crm_model`); for PO-CRM
(Bayes estimation), the model with the ordering summed out
(:func:`~dosefind.inference.pocrm_pymc.build_pocrm_model`); for 3+3, BOIN and BOIN for combinations, an
independent Beta prior (:data:`~dosefind.inference.summary.BETA_PRIOR`) on each dose's DLT rate with a
binomial likelihood. The result is the same :class:`~dosefind.inference.summary.PosteriorTable` (with the
same design-specific columns: BOIN's and BOIN-comb's isotonic estimates, the CRM's plug-in curve,
PO-CRM's plug-in, per-ordering rows and ordering probabilities), plus sampler diagnostics and
plain-language warnings when R-hat, effective sample sizes or divergences say the draws should not be
trusted.

PyMC and ArviZ are imported inside the functions: importing dosefind (and the fast path of
``dosefind recommend``) never pays for them.
"""

from __future__ import annotations

import logging
import math
import time
from contextlib import contextmanager

import numpy as np

from ..constants import CREDIBLE_MASS
from ..designs import BoinComb, Crm, Design, PoCrm
from ..errors import DataError, MissingExtraError, SpecError
from . import summary
from .crm_pymc import McmcSettings, build_crm_model
from .summary import BETA_PRIOR, PosteriorTable, check_counts

#: Largest acceptable rank-normalised split R-hat (Vehtari et al. 2021).
R_HAT_MAX = 1.01
#: Smallest acceptable bulk and tail effective sample size (Vehtari et al. 2021: 100 per chain, 4 chains).
ESS_MIN = 400


def require_pymc():
    """Import PyMC and ArviZ, or raise :class:`MissingExtraError` saying how to install them."""
    try:
        import arviz  # noqa: F401
        import pymc
    except ImportError as exc:
        raise MissingExtraError(
            f"the MCMC posterior needs PyMC and ArviZ, which could not be imported ({exc}); "
            'install them with: pip install "dosefind[bayes]" (or use the fast posterior, '
            "which computes the same model exactly)"
        ) from exc
    return pymc


def build_beta_binomial_model(design: Design, n_at, tox_at, prior: tuple[float, float] = BETA_PRIOR):
    """PyMC model: p_d ~ Beta(a, b) independently, y_d ~ Binomial(n_d, p_d), for every dose.

    Doses without patients contribute Binomial(0, p_d) (a constant), so their p_d has the prior.
    """
    pm = require_pymc()
    n_at, tox_at = check_counts(design, n_at, tox_at)
    a, b = _check_prior(prior)
    # float64 constants: pytensor stores Python floats that fit float32 (1.0, 0.5) as float32 and would
    # compute the Beta normalising constant in single precision
    a, b = np.float64(a), np.float64(b)
    with pm.Model(coords={"dose": list(design.doses)}) as model:
        p = pm.Beta("p", alpha=a, beta=b, dims="dose")
        pm.Binomial("y", n=n_at, p=p, observed=tox_at, dims="dose")
    return model


def _check_prior(prior) -> tuple[float, float]:
    try:
        a, b = (float(x) for x in prior)
    except (TypeError, ValueError):
        raise SpecError("prior", f"expected two numbers (a, b), got {prior!r}", "write e.g. (1, 1)") from None
    if not (math.isfinite(a) and math.isfinite(b) and a > 0 and b > 0):
        raise SpecError("prior", f"Beta({a:g}, {b:g}) is not a proper prior", "use a > 0 and b > 0")
    return a, b


@contextmanager
def _quiet_pymc():
    """Silence PyMC's progress messages (INFO logs): library code does not print; warnings still pass."""
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def sample_model(model, settings: McmcSettings):
    """NUTS draws from ``model`` with ``settings``; returns the ArviZ InferenceData.

    Convergence checks are ArviZ's, computed by :func:`convergence_diagnostics` (PyMC's own would log).
    """
    pm = require_pymc()
    with _quiet_pymc():
        return pm.sample(
            draws=settings.draws,
            tune=settings.tune,
            chains=settings.chains,
            cores=settings.cores,
            target_accept=settings.target_accept,
            random_seed=settings.seed,
            progressbar=False,
            compute_convergence_checks=False,
            model=model,
        )


def convergence_diagnostics(idata, var_names: list[str]) -> dict:
    """Rank-normalised split R-hat, bulk and tail ESS of every entry of ``var_names``, and divergences.

    Per-parameter values are lists aligned with ``parameters`` (labels such as ``b`` or ``p[3]``, with
    the dose coordinate); non-finite values (e.g. a chain that never moved) are None and make
    ``r_hat_max`` / ``ess_*_min`` None too, which :func:`diagnostic_warnings` reports.
    """
    import arviz as az

    post = idata.posterior[var_names]
    # a chain that never moves has zero variance: ArviZ divides by it and returns NaN, reported below
    with np.errstate(divide="ignore", invalid="ignore"):
        rhat = az.rhat(post, method="rank")
        ess_bulk = az.ess(post, method="bulk")
        ess_tail = az.ess(post, method="tail")
    labels, r, eb, et = [], [], [], []
    for name in var_names:
        da = rhat[name]
        if da.ndim == 0:
            labels.append(name)
        else:
            (dim,) = da.dims
            labels += [f"{name}[{c}]" for c in da[dim].values]
        r += _finite_list(da.values)
        eb += _finite_list(ess_bulk[name].values)
        et += _finite_list(ess_tail[name].values)
    stats = getattr(idata, "sample_stats", None)
    divergences = 0
    if stats is not None and "diverging" in stats:
        divergences = int(np.asarray(stats["diverging"].values).sum())
    return {
        "r_hat_max": _worst(r, max),
        "ess_bulk_min": _worst(eb, min),
        "ess_tail_min": _worst(et, min),
        "divergences": divergences,
        "chains": int(post.sizes["chain"]),
        "draws": int(post.sizes["draw"]),
        "parameters": labels,
        "r_hat": r,
        "ess_bulk": eb,
        "ess_tail": et,
    }


def _finite_list(values) -> list[float | None]:
    return [float(x) if math.isfinite(x) else None for x in np.atleast_1d(np.asarray(values, dtype=float))]


def _worst(values: list[float | None], pick) -> float | None:
    return None if not values or any(x is None for x in values) else pick(values)


def diagnostic_warnings(diagnostics: dict) -> tuple[str, ...]:
    """Plain-language warnings (with what to do) for poor R-hat, ESS or any divergence.

    Every warning about R-hat or ESS suggests the same number of draws: enough for the worse ESS to
    reach :data:`ESS_MIN` with a quarter to spare (ESS grows in proportion to the draws), at least
    four times as many for an R-hat problem, never fewer than the default, rounded up to a thousand.
    """
    draws = int(diagnostics["draws"])
    chains = int(diagnostics["chains"])
    r_hat = diagnostics["r_hat_max"]
    bad_r_hat = r_hat is None or r_hat > R_HAT_MAX
    factor = 4.0 if bad_r_hat else 2.0
    low_ess = []
    for key, what, affects in (
        ("ess_bulk_min", "bulk", "posterior means"),
        ("ess_tail_min", "tail", f"the {round(100 * CREDIBLE_MASS)}% intervals and P(DLT > target)"),
    ):
        ess = diagnostics[key]
        if ess is None or ess < ESS_MIN:
            low_ess.append((ess, what, affects))
            factor = max(factor, 4.0 if ess is None or ess <= 0 else 1.25 * ESS_MIN / ess)
    more = max(McmcSettings().draws, int(math.ceil(factor * draws / 1000.0)) * 1000)
    out = []
    if bad_r_hat:
        shown = "could not be computed" if r_hat is None else f"is {r_hat:.3f}, above {R_HAT_MAX}"
        out.append(
            f"R-hat {shown}: the {chains} chains disagree, so the sampler has not converged; rerun with "
            f"more draws: --draws {more}, and do not use these numbers until R-hat is at most {R_HAT_MAX}"
        )
    for ess, what, affects in low_ess:
        shown = "could not be computed" if ess is None else f"is {ess:.0f}, below {ESS_MIN}"
        out.append(
            f"the smallest {what} effective sample size {shown}, so {affects} are imprecise; "
            f"rerun with more draws: --draws {more}"
        )
    divergences = diagnostics["divergences"]
    if divergences > 0:
        out.append(
            f"{divergences} divergent transition{'s' if divergences > 1 else ''}: the sampler may have "
            "missed part of the posterior; rerun with a higher target_accept (e.g. 0.99) and compare with "
            "the fast posterior (--posterior fast), which computes the same model without sampling"
        )
    return tuple(out)


def mcmc_posterior(design: Design, n_at, tox_at, settings: McmcSettings | None = None) -> PosteriorTable:
    """The posterior table of :func:`~dosefind.inference.summary.fast_posterior`, computed by NUTS.

    :func:`sample_posterior` then :func:`posterior_from_draws`; ``diagnostics["seconds"]`` is the wall
    time of both (model building, compilation, sampling and summaries). With the same data and settings
    (seed included) the result is reproducible.
    """
    start = time.perf_counter()
    settings = _check_settings(settings)
    _check_has_posterior(design)
    idata = sample_posterior(design, n_at, tox_at, settings)
    return posterior_from_draws(design, n_at, tox_at, idata, settings, seconds=time.perf_counter() - start)


def _check_settings(settings) -> McmcSettings:
    if settings is None:
        return McmcSettings()
    if not isinstance(settings, McmcSettings):
        raise SpecError(
            "settings", f"expected McmcSettings, got {type(settings).__name__}", "pass McmcSettings(...)"
        )
    return settings


def _check_has_posterior(design: Design) -> None:
    """A PO-CRM by maximum likelihood (the pocrm package) has no prior, hence nothing to sample."""
    if isinstance(design, PoCrm) and design.estimation != "bayes":
        raise SpecError(
            "estimation",
            'a PO-CRM with estimation = "likelihood" has no prior, hence no posterior to sample',
            "use the fast posterior (--posterior fast) for its maximum-likelihood estimates, or "
            'estimation = "bayes" for a posterior',
        )


def sample_posterior(design: Design, n_at, tox_at, settings: McmcSettings | None = None):
    """NUTS draws (ArviZ InferenceData) of the design's posterior model: the CRM model for a
    :class:`Crm`, the PO-CRM model with the ordering summed out for a :class:`PoCrm` (Bayes estimation
    only), else the beta-binomial model with :data:`~dosefind.inference.summary.BETA_PRIOR`."""
    settings = _check_settings(settings)
    _check_has_posterior(design)
    n_at, tox_at = check_counts(design, n_at, tox_at)
    require_pymc()
    if isinstance(design, Crm):
        model = build_crm_model(design, n_at, tox_at)
    elif isinstance(design, PoCrm):
        from .pocrm_pymc import build_pocrm_model

        model = build_pocrm_model(design, n_at, tox_at)
    else:
        model = build_beta_binomial_model(design, n_at, tox_at)
    return sample_model(model, settings)


def posterior_from_draws(
    design: Design, n_at, tox_at, idata, settings: McmcSettings | None = None, seconds: float | None = None
) -> PosteriorTable:
    """The :class:`PosteriorTable` of the draws in ``idata`` (from :func:`sample_posterior`).

    Means, equal-tailed intervals (mass :data:`~dosefind.constants.CREDIBLE_MASS`, ``numpy.quantile``)
    and P(p_d > target) come from the pooled draws of every chain. For the CRM each dose's p_d is
    ``design.prob_tox`` of the draws of b (so untried doses are covered) and ``extra["plugin"]`` is p_d
    at the posterior mean of b; BOIN and BOIN for combinations add the isotonic estimate of the fast
    table (a function of the data alone, so identical). ``extra["mcse_mean"]``,
    ``["mcse_prob_above_target"]``, ``["mcse_lower"]`` and ``["mcse_upper"]`` are the Monte Carlo
    standard errors of each dose's posterior mean, P(p_d > target) and interval ends (ArviZ: mean MCSE of
    p_d and of the indicator 1{p_d > target}, quantile MCSE). Diagnostics are those of the sampled
    parameters (b, or every p_d); R-hat and ESS of p_d(b) equal those of b, being rank-based.

    PO-CRM: see :func:`_pocrm_columns` (the ordering is summed out; every column is a posterior
    expectation over the draws of b).
    """
    import arviz as az

    n_at, tox_at = check_counts(design, n_at, tox_at)
    extra: dict[str, np.ndarray] = {}
    orderings: tuple[summary.OrderingSummary, ...] = ()
    warnings: tuple[str, ...] = ()
    if isinstance(design, PoCrm):
        _check_has_posterior(design)
        var_names = ["b"]
        columns, extra, orderings, warnings = _pocrm_columns(design, n_at, tox_at, idata)
        mean, lower, upper, prob_above = columns
    else:
        if isinstance(design, Crm):
            var_names = ["b"]
            b = idata.posterior["b"].values  # [chain, draw]
            p = design.prob_tox(b)  # [chain, draw, dose]
            extra["plugin"] = design.prob_tox(float(b.mean()))
        else:
            var_names = ["p"]
            p = np.asarray(idata.posterior["p"].values, dtype=float)
            if design.kind == "boin":
                extra["isotonic"] = summary.isotonic_estimate(n_at, tox_at)
            elif isinstance(design, BoinComb):
                extra["isotonic"] = summary.bivariate_isotonic_estimate(design, n_at, tox_at)
        if p.ndim != 3 or p.shape[2] != design.n_doses:
            raise DataError(
                f"the draws of p have shape {p.shape}, expected (chains, draws, {design.n_doses}); "
                "sample them with sample_posterior for this design"
            )
        tail = (1.0 - CREDIBLE_MASS) / 2
        draws = az.convert_to_dataset({"p": p})
        above = az.convert_to_dataset({"p": (p > design.target).astype(float)})
        with np.errstate(divide="ignore", invalid="ignore"):  # NaN for draws that never moved (see warnings)
            extra["mcse_mean"] = np.asarray(az.mcse(draws, method="mean")["p"].values, dtype=float)
            # an indicator that never changes (P = 0 or 1 in every draw) has no Monte Carlo error
            extra["mcse_prob_above_target"] = np.nan_to_num(
                np.asarray(az.mcse(above, method="mean")["p"].values, dtype=float), nan=0.0
            )
            for key, prob in (("mcse_lower", tail), ("mcse_upper", 1.0 - tail)):
                extra[key] = np.asarray(az.mcse(draws, method="quantile", prob=prob)["p"].values, dtype=float)
        flat = p.reshape(-1, design.n_doses)
        lower, upper = np.quantile(flat, [tail, 1.0 - tail], axis=0)
        mean = flat.mean(axis=0)
        prob_above = (flat > design.target).mean(axis=0)

    diagnostics = convergence_diagnostics(idata, var_names)
    warnings = diagnostic_warnings(diagnostics) + warnings
    if settings is not None:
        diagnostics.update(_provenance(design, settings))
    diagnostics["seconds"] = None if seconds is None else round(seconds, 3)
    return PosteriorTable(
        method="mcmc",
        model=summary.model_line(design),
        target=design.target,
        mean=mean,
        lower=lower,
        upper=upper,
        prob_above_target=prob_above,
        extra=extra,
        diagnostics=diagnostics,
        warnings=warnings,
        orderings=orderings,
    )


def _weighted_quantiles(values: np.ndarray, weights: np.ndarray, probs) -> np.ndarray:
    """Quantiles of the discrete distribution putting ``weights`` (summing to 1) on ``values`` (1-D): the
    smallest value whose cumulative weight reaches each probability (the inverse of the step CDF)."""
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    idx = np.searchsorted(cum, np.asarray(probs, dtype=float) * cum[-1], side="left")
    return values[order][np.minimum(idx, values.size - 1)]


def _pocrm_columns(design: PoCrm, n_at, tox_at, idata):
    """PO-CRM's table from the draws of b (the ordering summed out; see :mod:`.pocrm_pymc`).

    With w_m(b) = P(m | b, data) and p_mc(b) = s[rank_m(c)] ** exp(b)
    (:func:`~dosefind.inference.pocrm_pymc.ordering_curves`), every column is a posterior expectation,
    Rao-Blackwellised over the ordering: P(m | data) = E[w_m]; E[b | m] = E[w_m b] / E[w_m]; E[p_c | m] =
    E[w_m p_mc] / E[w_m]; the table's mean E[sum_m w_m p_mc] (mixed over orderings); P(p_c > target) =
    E[sum_m w_m 1{p_mc > target}]; the interval ends are quantiles of the mixture that puts weight
    w_m(b_i) / N on p_mc(b_i) for every draw i and ordering m. ``extra`` has the fast table's ``plugin``
    (s[rank_m(c)] ** exp(E[b | m]) under the most probable ordering m) and
    ``mean_most_probable_ordering``, and the MCSEs: ArviZ's mean MCSE of the per-draw values averaged
    above, and for each interval end ArviZ's quantile MCSE carried over to the mixture (the effective
    sample size of the per-draw probability sum_m w_m 1{p_mc <= end}, the Beta interval of that ESS, its
    ends read from the mixture). Excluded cells are nan.
    """
    import arviz as az

    from .pocrm_pymc import ordering_curves

    b = np.asarray(idata.posterior["b"].values, dtype=float)
    if b.ndim != 2:
        raise DataError(
            f"the draws of b have shape {b.shape}, expected (chains, draws); sample them with "
            "sample_posterior for this design"
        )
    w, p = ordering_curves(design, n_at, tox_at, b)  # [C, S, M], [C, S, M, D]
    included = ~design.grid.excluded_mask
    p_in = p[..., included]  # [C, S, M, R]
    M, D = w.shape[-1], design.n_doses
    N = b.size
    prob = w.reshape(N, M).mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):  # an ordering of probability 0 has no estimate
        b_hat = (w * b[..., None]).reshape(N, M).mean(axis=0) / prob
        by_ordering = np.full((M, D), np.nan)
        by_ordering[:, included] = (w[..., None] * p_in).reshape(N, M, -1).mean(axis=0) / prob[:, None]
    mixed = (w[..., None] * p_in).sum(axis=2)  # [C, S, R]
    above = (w[..., None] * (p_in > design.target)).sum(axis=2)
    tail = (1.0 - CREDIBLE_MASS) / 2
    values = p_in.reshape(N * M, -1)
    weights = w.reshape(N * M) / N
    R = values.shape[1]
    ends = np.array([_weighted_quantiles(values[:, r], weights, (tail, 1.0 - tail)) for r in range(R)])

    def mcse_mean(x):  # [C, S, R] -> [R]
        return np.asarray(az.mcse(az.convert_to_dataset({"x": x}), method="mean")["x"].values, dtype=float)

    def mcse_end(r, q, end):
        """ArviZ's quantile MCSE (mcse(method="quantile")) with the mixture in place of the sorted draws."""
        from scipy.special import betaincinv

        below = (w * (p_in[..., r] <= end)).sum(axis=2)  # [C, S]
        ess = float(np.asarray(az.ess(az.convert_to_dataset({"x": below}), method="mean")["x"].values))
        if not math.isfinite(ess):
            return math.nan
        lo, hi = betaincinv(ess * q + 1, ess * (1 - q) + 1, np.array([0.1586553, 0.8413447]))
        th1, th2 = _weighted_quantiles(values[:, r], weights, (lo, hi))
        return (th2 - th1) / 2

    def full(x):
        out = np.full(D, np.nan)
        out[included] = x
        return out

    extra: dict[str, np.ndarray] = {}
    best = int(np.argmax(prob))
    alpha = design.alpha()
    plugin = np.full((M, D), np.nan)
    for m in range(M):
        if math.isfinite(b_hat[m]):
            plugin[m, included] = alpha[m, included] ** math.exp(b_hat[m])
    extra["plugin"] = plugin[best].copy()
    extra["mean_most_probable_ordering"] = by_ordering[best].copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        extra["mcse_mean"] = full(mcse_mean(mixed))
        extra["mcse_prob_above_target"] = full(np.nan_to_num(mcse_mean(above), nan=0.0))
        extra["mcse_lower"] = full([mcse_end(r, tail, ends[r, 0]) for r in range(R)])
        extra["mcse_upper"] = full([mcse_end(r, 1.0 - tail, ends[r, 1]) for r in range(R)])
    names = design.ordering_names()
    orderings = tuple(
        summary.OrderingSummary(
            m,
            names[m],
            tuple(design.orderings[m]),
            float(design.ordering_prior[m]),
            float(prob[m]),
            float(b_hat[m]),
            by_ordering[m].copy(),
            plugin[m].copy(),
        )
        for m in range(M)
    )
    columns = (
        full(mixed.reshape(N, -1).mean(axis=0)),
        full(ends[:, 0]),
        full(ends[:, 1]),
        full(above.reshape(N, -1).mean(axis=0)),
    )
    warnings = summary._ordering_tie_warning(design, n_at, tox_at, prob, best)
    return columns, extra, orderings, warnings


def _provenance(design: Design, settings: McmcSettings) -> dict:
    import arviz as az
    import pymc as pm

    from .. import __version__

    return {
        "tune": settings.tune,
        "seed": settings.seed,
        "target_accept": settings.target_accept,
        "cores": settings.cores,
        "sampler": "NUTS",
        "pymc": pm.__version__,
        "arviz": az.__version__,
        "dosefind": __version__,
        "design_hash": design.config_hash(),
    }
