"""Per-dose posterior summaries for live use: one table shape for every design and back end.

Each design's home gives its fast table (:meth:`~dosefind.designs.home.DesignHome.posterior_table`):
by default closed form for the beta-binomial designs (3+3, BOIN, BOIN for combinations, the table-driven
family: an independent Beta prior on each dose's DLT rate, the prior BOIN's elimination rule uses),
with the design's own columns beside it (BOIN's isotonic estimate, BOIN for combinations' bivariate
isotonic regression), and quadrature for the CRM and PO-CRM (the same likelihood, prior and grid the
simulation engine decides on; ``designs/crm/home.py``, ``designs/pocrm/home.py``). This module holds
the table's shape and the beta-binomial default. The PyMC back end (:mod:`dosefind.inference.mcmc`)
fills the same :class:`PosteriorTable` from NUTS draws of the same models (PO-CRM: Bayes estimation only).
Every interval is equal-tailed with mass :data:`dosefind.constants.CREDIBLE_MASS`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..constants import CREDIBLE_MASS
from ..designs import Design
from ..designs.home import home_of
from ..engine.posterior import check_counts

#: Beta(a, b) prior on each dose's DLT rate for the beta-binomial summaries (BOIN's elimination prior).
BETA_PRIOR = (1.0, 1.0)

#: Points of the dense grid used for CRM posterior quantiles (the moments come from the engine's grid).
CRM_QUANTILE_POINTS = 4001


@dataclass(frozen=True)
class OrderingSummary:
    """One ordering of a PO-CRM: its cells (least toxic first), prior and posterior probability, the
    estimate of b and, per cell (0-based index, nan for excluded cells), the posterior mean DLT
    probability and the plug-in estimate under it."""

    index: int  #: 0-based position in ``design.orderings``
    name: str  #: the typical ordering's name, else "ordering m"
    cells: tuple[str, ...]
    prior: float
    prob: float  #: posterior probability (likelihood estimation: weight prior x maximised likelihood)
    b_hat: float  #: posterior mean of b (likelihood estimation: log of the MLE of the power)
    mean: np.ndarray
    plugin: np.ndarray

    def to_dict(self) -> dict:
        return {
            "index": self.index + 1,
            "name": self.name,
            "cells": list(self.cells),
            "prior": self.prior,
            "prob": self.prob,
            "b_hat": _clean([self.b_hat])[0],
            "mean": _clean(self.mean),
            "plugin": _clean(self.plugin),
        }


def _clean(a) -> list:
    """Floats for JSON, None for nan and infinities."""
    return [None if not math.isfinite(x) else float(x) for x in np.asarray(a, dtype=float)]


@dataclass(frozen=True)
class PosteriorTable:
    """Posterior of each dose's DLT probability.

    Arrays have one entry per dose (0-based). ``lower``/``upper`` bound the equal-tailed interval of
    mass ``mass``. ``extra`` holds design-specific columns (e.g. the CRM plug-in curve, BOIN's isotonic
    estimate), ``orderings`` a PO-CRM's orderings (empty for other designs), ``diagnostics`` the sampler
    diagnostics of an MCMC fit (None for the fast back end) and ``warnings`` anything the user should
    read before trusting the numbers.
    """

    method: str  #: "beta-binomial", "quadrature", "mcmc" or "likelihood" (PO-CRM by maximum likelihood)
    model: str  #: one line describing the model and prior
    target: float
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    prob_above_target: np.ndarray
    mass: float = CREDIBLE_MASS
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    diagnostics: dict | None = None
    warnings: tuple[str, ...] = ()
    orderings: tuple[OrderingSummary, ...] = ()

    def to_frame(self, labels=None):
        """One row per dose: mean, lower, upper, prob_above_target and the design's extra columns (those
        with one value per dose); ``labels`` (the design's dose labels) as the first column."""
        from ..display import frame

        n = len(self.mean)
        cols = {"mean": self.mean, "lower": self.lower, "upper": self.upper}
        cols["prob_above_target"] = self.prob_above_target
        cols.update({k: v for k, v in self.extra.items() if np.ndim(v) == 1 and len(v) == n})
        rows = []
        for d in range(n):
            row = {"dose": labels[d] if labels is not None else d + 1}
            row.update({k: float(v[d]) for k, v in cols.items()})
            rows.append(row)
        return frame(rows, attrs={"method": self.method, "model": self.model, "mass": self.mass})

    def to_dict(self) -> dict:
        out = {
            "method": self.method,
            "model": self.model,
            "target": self.target,
            "mass": self.mass,
            "mean": _clean(self.mean),
            "lower": _clean(self.lower),
            "upper": _clean(self.upper),
            "prob_above_target": _clean(self.prob_above_target),
            "extra": {k: _clean(v) for k, v in self.extra.items()},
            "diagnostics": self.diagnostics,
            "warnings": list(self.warnings),
        }
        if self.orderings:
            out["orderings"] = [o.to_dict() for o in self.orderings]
        return out


def beta_posterior(
    design: Design, n_at, tox_at, prior: tuple[float, float] = BETA_PRIOR, extra: dict | None = None
) -> PosteriorTable:
    """Independent Beta(a + y, b + n - y) posterior per dose (closed form); ``extra`` holds the design's
    own columns (:meth:`~dosefind.designs.home.DesignHome.posterior_extra`)."""
    from scipy.special import betainc, betaincinv  # scipy.special only: keeps `recommend` quick

    n_at, tox_at = check_counts(design, n_at, tox_at)
    a = prior[0] + tox_at
    b = prior[1] + n_at - tox_at
    tail = (1.0 - CREDIBLE_MASS) / 2
    extra = dict(extra or {})
    return PosteriorTable(
        method="beta-binomial",
        model=beta_model_line(prior),
        target=design.target,
        mean=a / (a + b),
        lower=betaincinv(a, b, tail),
        upper=betaincinv(a, b, 1.0 - tail),
        prob_above_target=1.0 - betainc(a, b, design.target),
        extra=extra,
    )


def beta_model_line(prior: tuple[float, float] = BETA_PRIOR) -> str:
    """One line naming the beta-binomial model (shared by the fast and PyMC back ends)."""
    return f"independent Beta({prior[0]:g}, {prior[1]:g}) prior on each dose's DLT rate"


def model_line(design: Design) -> str:
    """One line naming the model and prior of the posterior (the same for the fast and PyMC back ends)."""
    return home_of(design).model_line(design)


def fast_posterior(design: Design, n_at, tox_at, resp_at=None, context=None) -> PosteriorTable:
    """The default posterior of live use, from the design's home: quadrature for the CRM and PO-CRM (the
    model's estimates for a PO-CRM by maximum likelihood), closed-form beta-binomial otherwise. With
    ``resp_at`` ([2, D]: responses, responses with a DLT) a phase I/II design's home adds its response
    columns (:meth:`~dosefind.designs.home.DesignHome.posterior_with_responses`). ``context``: the replay
    that reached this state, whose last decision's work the home may build on
    (:meth:`~dosefind.designs.home.DesignHome.posterior_table_after_replay`)."""
    home = home_of(design)
    if resp_at is not None:
        return home.posterior_with_responses(design, n_at, tox_at, resp_at)
    if context is not None:
        table = home.posterior_table_after_replay(design, context)
        if table is not None:
            return table
    return home.posterior_table(design, n_at, tox_at)
