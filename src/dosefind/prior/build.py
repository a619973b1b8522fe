"""The whole MAP workflow as one call: fit the MAP model, approximate its predictive draws by a mixture
(EM, components by an information criterion), and record the provenance."""

from __future__ import annotations

from ..inference.settings import McmcSettings
from .em import AIC_PENALTY, MAX_COMPONENTS, AutoFit, auto_fit
from .history import HistoricalData
from .mapfit import BinaryMapPriors, BlrmMapPriors, MapFit, fit_map
from .priorfile import PriorFile


def mixture_from_draws(
    fit: MapFit, *, criterion: str = "aic", penalty: float = AIC_PENALTY, max_components: int = MAX_COMPONENTS
) -> AutoFit:
    kind = "beta" if fit.endpoint == "binary" else "bvn"
    return auto_fit(
        fit.draws,
        kind,
        max_components=max_components,
        criterion=criterion,
        penalty=penalty,
        seed=fit.settings.seed,
    )


def build_map_prior(
    data: HistoricalData,
    settings: McmcSettings | None = None,
    priors: BinaryMapPriors | BlrmMapPriors | None = None,
    *,
    reference_dose: float | None = None,
    criterion: str = "aic",
    penalty: float = AIC_PENALTY,
    max_components: int = MAX_COMPONENTS,
) -> tuple[PriorFile, MapFit, AutoFit]:
    """MAP prior of ``data`` as a mixture, with its provenance (see :mod:`dosefind.prior`)."""
    fit = fit_map(data, settings, priors, reference_dose)
    em = mixture_from_draws(fit, criterion=criterion, penalty=penalty, max_components=max_components)
    s = fit.settings
    prov = {
        "data_file": data.source,
        "data_sha256": data.sha256,
        "endpoint": data.endpoint,
        "studies": len(data.studies),
        "rows": len(data),
        "seed": s.seed,
        "mcmc": {
            "draws": s.draws,
            "tune": s.tune,
            "chains": s.chains,
            "target_accept": s.target_accept,
            "sampler": "PyMC NUTS",
        },
        "hyperpriors": fit.priors.to_dict(),
        "posterior": fit.summary,
        "warnings": list(fit.warnings),
        "mixture_fit": {
            "method": "EM",
            "criterion": criterion,
            "aic_penalty": penalty if criterion == "aic" else None,
            "components": em.mixture.n_components,
            "ic": {str(k): v for k, v in em.ic.items()},
            "loglik": {str(k): f.loglik for k, f in em.fits.items()},
            "predictive_draws": int(fit.draws.shape[0]),
        },
    }
    return PriorFile(em.mixture, fit.reference_dose, prov), fit, em
