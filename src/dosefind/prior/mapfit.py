"""Meta-analytic-predictive (MAP) priors fitted in PyMC (imported inside the functions).

Binary endpoint, as RBesT's ``gMAP(cbind(r, n - r) ~ 1 | study, family = binomial)``:

    r_h ~ Binomial(n_h, p_h),  logit p_h = mu + tau eta_h,  eta_h ~ N(0, 1)   (non-centred, RBesT's default)
    mu ~ N(mu_mean, mu_sd^2)   (RBesT's ``beta.prior``; its default sd for binary data is 2)
    tau ~ HalfNormal(tau_scale) (RBesT's default ``tau.dist``), or LogNormal(log m, s)

The MAP prior is the predictive distribution of a new trial's rate, logit p* = mu + tau eta*, eta* ~ N(0, 1),
drawn once per posterior draw (RBesT's ``theta_resp_pred``).

Dose-toxicity (BLRM), as the exchangeable part of OncoBayes2's ``blrm_exnex`` for one drug:

    r_hj ~ Binomial(n_hj, p_h(d_j)),  logit p_h(d) = theta_h1 + exp(theta_h2) log(d / d*)
    theta_h = mu + diag(tau) L z_h,  z_h ~ N(0, I),  L L' = R = [[1, rho], [rho, 1]]
    mu_i ~ N(mu_mean_i, mu_sd_i^2);  tau_i ~ LogNormal(log tau_median_i, tau_log_sd_i) (OncoBayes2's
    ``prior_tau_dist = 1``) or HalfNormal(tau_scale_i);  R ~ LKJ(eta), which for two dimensions is
    (rho + 1) / 2 ~ Beta(eta, eta)

The defaults are OncoBayes2's combination example (``example-combo2``, per drug): mu ~ N((logit 0.2, 0),
diag(2^2, 1^2)), tau_1 ~ LogNormal(log 0.25, log(4)/1.96), tau_2 ~ LogNormal(log 0.125, log(4)/1.96),
LKJ(1). The MAP prior is the predictive theta* = mu + diag(tau) L z*, z* ~ N(0, I).

The predictive draws eta* / z* come from numpy's generator seeded with the MCMC seed (they do not enter
the likelihood, so drawing them after sampling is the same model), so a fit is a function of (data,
priors, settings). Diagnostics are :mod:`dosefind.inference.mcmc`'s (R-hat, bulk and tail ESS,
divergences) on mu and tau.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..designs import validate as v
from ..errors import SpecError
from ..inference.settings import McmcSettings
from .history import HistoricalData

TAU_DISTS = ("halfnormal", "lognormal")


@dataclass(frozen=True)
class BinaryMapPriors:
    """Hyperpriors of the binary MAP model (RBesT's argument names in the docstring above)."""

    mu_mean: float = 0.0
    mu_sd: float = 2.0
    tau_dist: str = "halfnormal"
    #: HalfNormal scale, or for lognormal (median, sd of log tau)
    tau_scale: float = 1.0
    tau_log_sd: float = 1.0

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "mu_mean", v.real("mu_mean", self.mu_mean))
        set_(self, "mu_sd", v.real("mu_sd", self.mu_sd, low=0.0, low_open=True))
        set_(self, "tau_dist", v.choice("tau_dist", self.tau_dist, TAU_DISTS))
        set_(
            self,
            "tau_scale",
            v.real(
                "tau_scale",
                self.tau_scale,
                low=0.0,
                low_open=True,
                fix="give a positive scale (HalfNormal sd, or the lognormal median)",
            ),
        )
        set_(self, "tau_log_sd", v.real("tau_log_sd", self.tau_log_sd, low=0.0, low_open=True))

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class BlrmMapPriors:
    """Hyperpriors of the BLRM MAP model (OncoBayes2's ``prior_EX_*`` arguments)."""

    mu_mean: tuple[float, float] = (math.log(0.2 / 0.8), 0.0)
    mu_sd: tuple[float, float] = (2.0, 1.0)
    tau_dist: str = "lognormal"
    #: lognormal medians (or HalfNormal scales) of tau for (log alpha, log beta)
    tau_scale: tuple[float, float] = (0.25, 0.125)
    tau_log_sd: tuple[float, float] = (math.log(4) / 1.96, math.log(4) / 1.96)
    lkj_eta: float = 1.0

    def __post_init__(self):
        set_ = object.__setattr__
        for name, positive in (
            ("mu_mean", False),
            ("mu_sd", True),
            ("tau_scale", True),
            ("tau_log_sd", True),
        ):
            val = getattr(self, name)
            if not hasattr(val, "__len__") or len(val) != 2:
                raise SpecError(
                    name, f"expected two numbers, got {val!r}", "give (log alpha, log beta) values"
                )
            low = 0.0 if positive else None
            set_(
                self,
                name,
                tuple(v.real(f"{name}[{i}]", x, low=low, low_open=positive) for i, x in enumerate(val)),
            )
        set_(self, "tau_dist", v.choice("tau_dist", self.tau_dist, TAU_DISTS))
        set_(self, "lkj_eta", v.real("lkj_eta", self.lkj_eta, low=0.0, low_open=True))

    def to_dict(self) -> dict:
        return {k: list(x) if isinstance(x, tuple) else x for k, x in self.__dict__.items()}


@dataclass(frozen=True)
class MapFit:
    """Predictive draws of a new trial (``draws``: p* for binary, (log alpha*, log beta*) for the BLRM),
    hyperparameter summaries, diagnostics, warnings, and what was fitted."""

    endpoint: str
    draws: np.ndarray
    settings: McmcSettings
    priors: BinaryMapPriors | BlrmMapPriors
    diagnostics: dict
    warnings: tuple[str, ...]
    summary: dict = field(default_factory=dict)
    reference_dose: float | None = None


def _binary_model(data: HistoricalData, priors: BinaryMapPriors):
    import pymc as pm

    n, r = data.n.astype(np.int64), data.r.astype(np.int64)
    with pm.Model(coords={"study": list(data.studies)}) as model:
        mu = pm.Normal("mu", mu=np.float64(priors.mu_mean), sigma=np.float64(priors.mu_sd))
        if priors.tau_dist == "halfnormal":
            tau = pm.HalfNormal("tau", sigma=np.float64(priors.tau_scale))
        else:
            tau = pm.LogNormal(
                "tau", mu=np.float64(math.log(priors.tau_scale)), sigma=np.float64(priors.tau_log_sd)
            )
        eta = pm.Normal("eta", 0.0, 1.0, dims="study")
        pm.Binomial("r", n=n, logit_p=mu + tau * eta[data.study_index], observed=r)
    return model


def _blrm_model(data: HistoricalData, priors: BlrmMapPriors, reference_dose: float):
    import pymc as pm

    x = np.log(data.dose / reference_dose)
    h = data.study_index
    with pm.Model(coords={"study": list(data.studies), "param": ["log_alpha", "log_beta"]}) as model:
        mu = pm.Normal("mu", mu=np.asarray(priors.mu_mean), sigma=np.asarray(priors.mu_sd), dims="param")
        if priors.tau_dist == "lognormal":
            tau = pm.LogNormal(
                "tau", mu=np.log(priors.tau_scale), sigma=np.asarray(priors.tau_log_sd), dims="param"
            )
        else:
            tau = pm.HalfNormal("tau", sigma=np.asarray(priors.tau_scale), dims="param")
        half = pm.Beta("rho_half", alpha=np.float64(priors.lkj_eta), beta=np.float64(priors.lkj_eta))
        rho = pm.Deterministic("rho", 2.0 * half - 1.0)
        z = pm.Normal("z", 0.0, 1.0, dims=("study", "param"))
        t1 = mu[0] + tau[0] * z[:, 0]
        t2 = mu[1] + tau[1] * (rho * z[:, 0] + pm.math.sqrt(1.0 - rho**2) * z[:, 1])
        logit_p = t1[h] + pm.math.exp(t2[h]) * x
        pm.Binomial("r", n=data.n.astype(np.int64), logit_p=logit_p, observed=data.r.astype(np.int64))
    return model


def _posterior(idata, name: str) -> np.ndarray:
    a = np.asarray(idata.posterior[name].values)
    return a.reshape((-1,) + a.shape[2:])


def _summaries(x: np.ndarray, name: str) -> dict:
    return {f"{name}_mean": float(np.mean(x)), f"{name}_sd": float(np.std(x, ddof=1))}


def fit_map(
    data: HistoricalData,
    settings: McmcSettings | None = None,
    priors: BinaryMapPriors | BlrmMapPriors | None = None,
    reference_dose: float | None = None,
) -> MapFit:
    """Fit the MAP model of ``data.endpoint`` and return the predictive draws of a new trial."""
    from ..inference.mcmc import convergence_diagnostics, diagnostic_warnings, require_pymc, sample_model

    require_pymc()
    settings = settings or McmcSettings()
    if data.endpoint == "binary":
        priors = priors or BinaryMapPriors()
        if not isinstance(priors, BinaryMapPriors):
            raise SpecError("priors", "BLRM hyperpriors given for binary data", "use BinaryMapPriors")
        model = _binary_model(data, priors)
    else:
        priors = priors or BlrmMapPriors()
        if not isinstance(priors, BlrmMapPriors):
            raise SpecError("priors", "binary hyperpriors given for dose-toxicity data", "use BlrmMapPriors")
        if reference_dose is None:
            raise SpecError(
                "reference_dose",
                "missing",
                "give the reference dose d* of the BLRM, e.g. --reference-dose 50",
            )
        reference_dose = v.real(
            "reference_dose", reference_dose, low=0.0, low_open=True, fix="give a positive reference dose d*"
        )
        model = _blrm_model(data, priors, reference_dose)
    idata = sample_model(model, settings)
    names = ["mu", "tau"] + (["rho"] if data.endpoint == "blrm" else [])
    diagnostics = convergence_diagnostics(idata, names)
    warnings = tuple(
        (
            f"{diagnostics['divergences']} divergent transitions: the sampler may have missed part of the "
            "posterior (typical of few historical trials, where tau is weakly identified); rerun with "
            "--target-accept 0.999 and more --tune, and check that the prior changes little"
        )
        if "divergent" in w
        else w
        for w in diagnostic_warnings(diagnostics)
    )
    mu, tau = _posterior(idata, "mu"), _posterior(idata, "tau")
    # the predictive draws of a new trial: a stream of its own, a function of the MCMC seed
    rng = np.random.default_rng([settings.seed, 0x4D4150])
    summary = {}
    if data.endpoint == "binary":
        logit = mu + tau * rng.standard_normal(mu.shape)
        draws = 1.0 / (1.0 + np.exp(-logit))
        summary.update(_summaries(mu, "mu"))
        summary.update(_summaries(tau, "tau"))
    else:
        rho = _posterior(idata, "rho")
        z = rng.standard_normal((mu.shape[0], 2))
        t1 = mu[:, 0] + tau[:, 0] * z[:, 0]
        t2 = mu[:, 1] + tau[:, 1] * (rho * z[:, 0] + np.sqrt(1 - rho**2) * z[:, 1])
        draws = np.column_stack([t1, t2])
        for i, nm in enumerate(("log_alpha", "log_beta")):
            summary.update(_summaries(mu[:, i], f"mu_{nm}"))
            summary.update(_summaries(tau[:, i], f"tau_{nm}"))
        summary.update(_summaries(rho, "rho"))
    summary.update(
        {
            "divergences": diagnostics["divergences"],
            "r_hat_max": diagnostics["r_hat_max"],
            "ess_bulk_min": diagnostics["ess_bulk_min"],
            "ess_tail_min": diagnostics["ess_tail_min"],
        }
    )
    return MapFit(data.endpoint, draws, settings, priors, diagnostics, warnings, summary, reference_dose)
