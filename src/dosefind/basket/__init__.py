"""Basket phase II trials: K cohorts (tumour types) with a binary response, each deciding go / no go on
P(q_k > q0_k | data), analysed independently (beta-binomial, Simon, BOP2) or with borrowing across
cohorts (Fujikawa et al. 2020; Berry et al. 2013; EXNEX, Neuenschwander et al. 2016; the calibrated
hierarchical model, Chu & Yuan 2018; the multisource exchangeability model, Hobbs & Landin 2018), or in two
stages that pool stated groups of cohorts or continue in the flagged ones (Cunanan et al. 2017).

``spec`` (files, validation), ``beta`` and ``hierarchy`` (posteriors), ``decide`` (the one decision path),
``simulate`` (simulated trials, operating characteristics with MCSE), ``exact`` (exact operating
characteristics by enumeration), ``live`` (a basket's data analysed with the borrowing shown).
"""

from .spec import (
    BasketDesign,
    BasketScenario,
    BasketSpec,
    Berry,
    Bop2,
    Cbhm,
    Cohort,
    Enrichment,
    Exnex,
    Fujikawa,
    Independent,
    Mem,
    Simon,
    load_basket,
    spec_from_dict,
)

__all__ = [
    "BasketDesign",
    "BasketScenario",
    "BasketSpec",
    "Berry",
    "Bop2",
    "Cbhm",
    "Cohort",
    "Enrichment",
    "Exnex",
    "Fujikawa",
    "Independent",
    "Mem",
    "Simon",
    "load_basket",
    "spec_from_dict",
]
