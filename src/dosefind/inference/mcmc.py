"""The ``--posterior mcmc`` back end: NUTS fits of the fast posterior's models, with ArviZ diagnostics.

The models are the ones :func:`dosefind.inference.summary.fast_posterior` computes exactly, each from the
design's home: for the CRM, the design's one-parameter model
(:func:`~dosefind.designs.crm.pymc_model.build_crm_model`); for PO-CRM (Bayes estimation), the model with the
ordering summed out (:func:`~dosefind.designs.pocrm.pymc_model.build_pocrm_model`); for 3+3, BOIN and BOIN for
combinations, an independent Beta prior (:data:`~dosefind.inference.summary.BETA_PRIOR`) on each dose's DLT
rate with a binomial likelihood. The result is the same :class:`~dosefind.inference.summary.PosteriorTable`
(with the same design-specific columns: BOIN's and BOIN-comb's isotonic estimates, the CRM's plug-in curve,
PO-CRM's plug-in, per-ordering rows and ordering probabilities), plus sampler diagnostics and plain-language
warnings when R-hat, effective sample sizes or divergences say the draws should not be trusted.

PyMC and ArviZ are imported inside the functions: importing dosefind (and the fast path of
``dosefind recommend``) never pays for them.
"""

from __future__ import annotations

import logging
import math
import time
from contextlib import contextmanager

import numpy as np

from ..designs import Design
from ..designs.home import home_of
from ..errors import DataError, MissingExtraError, SpecError
from . import summary
from .settings import McmcSettings
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
        ("ess_tail_min", "tail", "the credible intervals and P(DLT > target)"),
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


def mcmc_posterior(
    design: Design, n_at, tox_at, settings: McmcSettings | None = None, resp_at=None
) -> PosteriorTable:
    """The posterior table of :func:`~dosefind.inference.summary.fast_posterior`, computed by NUTS.

    :func:`sample_posterior` then :func:`posterior_from_draws`; ``diagnostics["seconds"]`` is the wall
    time of both (model building, compilation, sampling and summaries). With the same data and settings
    (seed included) the result is reproducible. ``resp_at`` ([2, D]: responses, responses with a DLT) is
    a phase I/II design's response data (the design's home: EffTox samples its joint model, the others
    add closed-form response columns).
    """
    start = time.perf_counter()
    settings = _check_settings(settings)
    _check_has_posterior(design)
    idata = sample_posterior(design, n_at, tox_at, settings, resp_at)
    return posterior_from_draws(
        design, n_at, tox_at, idata, settings, seconds=time.perf_counter() - start, resp_at=resp_at
    )


def _check_settings(settings) -> McmcSettings:
    if settings is None:
        return McmcSettings()
    if not isinstance(settings, McmcSettings):
        raise SpecError(
            "settings", f"expected McmcSettings, got {type(settings).__name__}", "pass McmcSettings(...)"
        )
    return settings


def _check_has_posterior(design: Design) -> None:
    """The design's home refuses when there is nothing to sample (e.g. a PO-CRM by maximum likelihood)."""
    home_of(design).check_has_posterior(design)


def sample_posterior(design: Design, n_at, tox_at, settings: McmcSettings | None = None, resp_at=None):
    """NUTS draws (ArviZ InferenceData) of the design's posterior model, from its home
    (:meth:`~dosefind.designs.home.DesignHome.pymc_model`): the CRM model, the PO-CRM model with the
    ordering summed out (Bayes estimation only), else the beta-binomial model with
    :data:`~dosefind.inference.summary.BETA_PRIOR`."""
    settings = _check_settings(settings)
    _check_has_posterior(design)
    n_at, tox_at = check_counts(design, n_at, tox_at)
    require_pymc()
    home = home_of(design)
    if resp_at is None:
        model = home.pymc_model(design, n_at, tox_at)
    else:
        model = home.pymc_model_with_responses(design, n_at, tox_at, _response_counts(design, resp_at))
    return sample_model(model, settings)


def _response_counts(design: Design, resp_at) -> np.ndarray:
    resp_at = np.asarray(resp_at, dtype=np.int64)
    if resp_at.shape != (2, design.n_doses):
        raise DataError(
            f"resp_at: shape {resp_at.shape}, expected (2, {design.n_doses}) (responses; responses with DLT)"
        )
    return resp_at


def posterior_from_draws(
    design: Design,
    n_at,
    tox_at,
    idata,
    settings: McmcSettings | None = None,
    seconds: float | None = None,
    resp_at=None,
) -> PosteriorTable:
    """The :class:`PosteriorTable` of the draws in ``idata`` (from :func:`sample_posterior`).

    Means, equal-tailed intervals (mass: the design home's ``credible_mass``, ``numpy.quantile``)
    and P(p_d > target) come from the pooled draws of every chain. For the CRM each dose's p_d is
    ``design.prob_tox`` of the draws of b (so untried doses are covered) and ``extra["plugin"]`` is p_d
    at the posterior mean of b; BOIN and BOIN for combinations add the isotonic estimate of the fast
    table (a function of the data alone, so identical). ``extra["mcse_mean"]``,
    ``["mcse_prob_above_target"]``, ``["mcse_lower"]`` and ``["mcse_upper"]`` are the Monte Carlo
    standard errors of each dose's posterior mean, P(p_d > target) and interval ends (ArviZ: mean MCSE of
    p_d and of the indicator 1{p_d > target}, quantile MCSE). Diagnostics are those of the sampled
    parameters (b, or every p_d); R-hat and ESS of p_d(b) equal those of b, being rank-based.

    The design's home turns the draws into columns
    (:meth:`~dosefind.designs.home.DesignHome.columns_from_draws`; PO-CRM: the ordering is summed out,
    every column a posterior expectation over the draws of b, see
    :func:`dosefind.designs.pocrm.home.pocrm_columns`).
    """
    n_at, tox_at = check_counts(design, n_at, tox_at)
    home = home_of(design)
    if resp_at is None:
        var_names, columns, extra, orderings, warnings = home.columns_from_draws(design, n_at, tox_at, idata)
    else:
        var_names, columns, extra, orderings, warnings = home.columns_from_draws_with_responses(
            design, n_at, tox_at, _response_counts(design, resp_at), idata
        )
    mean, lower, upper, prob_above = columns

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
        mass=home_of(design).credible_mass,
        extra=extra,
        diagnostics=diagnostics,
        warnings=warnings,
        orderings=orderings,
    )


def columns_from_p(design: Design, p) -> tuple[tuple[np.ndarray, ...], dict[str, np.ndarray]]:
    """((mean, lower, upper, P(> target)), MCSE columns) of draws ``p`` [chain, draw, dose] of every dose's
    DLT probability: pooled draws of every chain, equal-tailed intervals (``numpy.quantile``), ArviZ's
    mean MCSE of p_d and of the indicator 1{p_d > target}, and its quantile MCSE of the interval ends."""
    import arviz as az

    p = np.asarray(p, dtype=float)
    if p.ndim != 3 or p.shape[2] != design.n_doses:
        raise DataError(
            f"the draws of p have shape {p.shape}, expected (chains, draws, {design.n_doses}); "
            "sample them with sample_posterior for this design"
        )
    extra: dict[str, np.ndarray] = {}
    tail = (1.0 - home_of(design).credible_mass) / 2
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
    return (mean, lower, upper, prob_above), extra


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
