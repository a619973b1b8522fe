"""Full Bayesian fits with PyMC (imported lazily): the oracle for the fast posteriors and the
``--posterior mcmc`` option of live use. The design-specific models live in the designs' homes
(``designs/crm/pymc_model.py``, ``designs/pocrm/pymc_model.py``); this package holds what every model
shares: settings, sampling, diagnostics, the beta-binomial model and the posterior table."""

from ..designs.crm.pymc_model import fit_crm
from .mcmc import mcmc_posterior
from .settings import McmcSettings

__all__ = ["McmcSettings", "fit_crm", "mcmc_posterior"]
