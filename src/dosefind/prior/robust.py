"""Robustification: a weakly informative component added to a MAP prior with a stated weight.

Beta mixtures follow RBesT's ``robustify`` (1.7-2, ``R/robustify.R``): the robust component is
Beta(mean (n + 1), (1 - mean) (n + 1)) with ``mean = 1/2`` and ``n = 1`` by default, i.e. Beta(1, 1),
the uniform prior worth n + 1 = 2 patients by moment ESS ("mn" parametrisation with n + 1 observations);
the MAP prior's weights are scaled by 1 - weight and the robust component gets ``weight``.

Bivariate normal mixtures (BLRM) get the design's default weakly informative prior as the robust
component (Neuenschwander et al. 2015, the BLRM design's default): log alpha ~ N(logit(target), 2^2),
log beta ~ N(0, 1), independent, with ``target`` the midpoint of the default target interval
[0.16, 0.33) unless given.
"""

from __future__ import annotations

import math

from ..designs import validate as v
from .mixtures import BetaMixture, BvnMixture

#: the BLRM design's default target (midpoint of its default target interval [0.16, 0.33))
BLRM_DEFAULT_TARGET = 0.5 * (0.16 + 0.33)
#: the BLRM design's default weakly informative prior sds of (log alpha, log beta)
BLRM_WEAK_SD = (2.0, 1.0)


def _weight(weight) -> float:
    return v.real(
        "weight",
        weight,
        low=0.0,
        high=1.0,
        low_open=True,
        high_open=True,
        fix="give the robust component's weight strictly between 0 and 1, e.g. --weight 0.2",
    )


def robustify_beta(mix: BetaMixture, weight: float, mean: float = 0.5, n: float = 1.0) -> BetaMixture:
    """RBesT's ``robustify`` of a beta mixture (see the module docstring)."""
    w = _weight(weight)
    m = v.real(
        "mean",
        mean,
        low=0.0,
        high=1.0,
        low_open=True,
        high_open=True,
        fix="give the robust component's mean strictly between 0 and 1 (RBesT's default 0.5)",
    )
    nn = v.real("n", n, low=0.0, fix="give n >= 0 (the robust component is worth n + 1 patients; default 1)")
    a, b = m * (nn + 1), (1 - m) * (nn + 1)
    return BetaMixture(
        tuple((1 - w) * x for x in mix.weights) + (w,), tuple(mix.a) + (a,), tuple(mix.b) + (b,)
    )


def robustify_bvn(
    mix: BvnMixture,
    weight: float,
    target: float = BLRM_DEFAULT_TARGET,
    sd: tuple[float, float] = BLRM_WEAK_SD,
) -> BvnMixture:
    """Add the BLRM's weakly informative component N((logit target, 0), diag(sd^2)) with ``weight``."""
    w = _weight(weight)
    t = v.probability("target", target, open_interval=True)
    s = tuple(v.real(f"sd[{i}]", x, low=0.0, low_open=True) for i, x in enumerate(sd))
    mean = (math.log(t / (1 - t)), 0.0)
    return BvnMixture(
        tuple((1 - w) * x for x in mix.weights) + (w,),
        tuple(mix.means) + (mean,),
        tuple(mix.sds) + (s,),
        tuple(mix.corrs) + (0.0,),
    )
