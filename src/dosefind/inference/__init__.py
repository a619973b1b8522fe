"""Full Bayesian fits with PyMC (imported lazily): the oracle for the fast posteriors and the
``--posterior mcmc`` option of live use."""

from .crm_pymc import McmcSettings, fit_crm
from .mcmc import mcmc_posterior

__all__ = ["McmcSettings", "fit_crm", "mcmc_posterior"]
