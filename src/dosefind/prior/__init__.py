"""Meta-analytic-predictive (MAP) priors from historical trials, robustification and effective sample
size, after RBesT (Weber et al. 2021) and OncoBayes2.

``history`` (CSV of historical trials, validated), ``mixtures`` (beta and bivariate normal mixtures,
conjugate update), ``mapfit`` (the hierarchical models in PyMC, imported inside the functions), ``em``
(mixtures fitted to draws, components by AIC or BIC), ``robust`` (a weakly informative component),
``ess`` (ELIR, moment and Morita ESS; per dose for a BLRM prior), ``priorfile`` (TOML prior files with
provenance, a BLRM prior into a design file), ``build`` (the workflow in one call). Only numpy and scipy
are imported at module level. RBesT's conventions followed here are written down in
docs/notes/rbest-conventions.md.
"""

from .em import AIC_PENALTY, AutoFit, EmFit, auto_fit, fit_beta_mixture, fit_bvn_mixture
from .ess import METHODS as ESS_METHODS
from .ess import blrm_ess, ess, ess_normal
from .history import HistoricalData, parse_history, read_history
from .mixtures import BetaMixture, BvnMixture, NormalMixture
from .priorfile import PriorFile, design_with_prior, prior_from_dict, read_prior
from .robust import robustify_beta, robustify_bvn

__all__ = [
    "AIC_PENALTY",
    "ESS_METHODS",
    "AutoFit",
    "BetaMixture",
    "BvnMixture",
    "EmFit",
    "HistoricalData",
    "NormalMixture",
    "PriorFile",
    "auto_fit",
    "blrm_ess",
    "design_with_prior",
    "ess",
    "ess_normal",
    "fit_beta_mixture",
    "fit_bvn_mixture",
    "parse_history",
    "prior_from_dict",
    "read_history",
    "read_prior",
    "robustify_beta",
    "robustify_bvn",
]
