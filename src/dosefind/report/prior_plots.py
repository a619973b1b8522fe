"""Figures of a prior against its posterior given new data (``dosefind prior plot``). matplotlib is
imported inside the functions, on an Agg canvas, as in :mod:`dosefind.report.plots`."""

from __future__ import annotations

import numpy as np

from ..constants import CREDIBLE_MASS
from ..prior.mixtures import BetaMixture, BvnMixture
from .plots import _agg_figure, require_matplotlib


def plot_beta_prior_posterior(
    prior: BetaMixture, n: int | None = None, r: int | None = None, title: str = ""
):
    """Density of a beta-mixture prior and (given n, r) its exact posterior."""
    require_matplotlib("prior plots")
    fig = _agg_figure((6.4, 4.0))
    ax = fig.add_subplot(1, 1, 1)
    x = np.linspace(0.0005, 0.9995, 1999)
    ax.plot(x, prior.pdf(x), label=f"prior (mean {prior.mean:.3f})", color="#4575b4")
    if n is not None:
        post = prior.posterior(n, r)
        ax.plot(x, post.pdf(x), label=f"posterior given {r}/{n} (mean {post.mean:.3f})", color="#d73027")
        ax.axvline(r / n if n else 0.0, color="grey", lw=0.8, ls=":", label="observed rate")
    ax.set_xlabel("rate")
    ax.set_ylabel("density")
    ax.set_title(title or "beta mixture prior")
    ax.legend(frameon=False)
    return fig


def plot_blrm_prior_posterior(
    prior: BvnMixture,
    doses,
    reference_dose: float,
    n_at=None,
    tox_at=None,
    title: str = "",
    n_draws: int = 20000,
    seed: int = 1,
):
    """Median and credible interval (``CREDIBLE_MASS``) of p(d) per dose under the prior and (given counts
    per dose) the posterior, the posterior by importance weighting of the prior draws with the binomial
    likelihood."""
    require_matplotlib("prior plots")
    doses = np.asarray(doses, dtype=float)
    rng = np.random.default_rng(seed)
    p = prior.rate_draws(doses, reference_dose, n_draws, rng)
    fig = _agg_figure((6.4, 4.0))
    ax = fig.add_subplot(1, 1, 1)

    tail = (1 - CREDIBLE_MASS) / 2
    pct = f"{round(100 * CREDIBLE_MASS)}%"

    def band(weights, colour, label, shift):
        q = np.empty((3, doses.size))
        for j in range(doses.size):
            o = np.argsort(p[:, j])
            cw = np.cumsum(weights[o])
            cw /= cw[-1]
            q[:, j] = p[o, j][np.searchsorted(cw, [tail, 0.5, 1 - tail])]
        xs = np.arange(doses.size) + shift
        ax.errorbar(xs, q[1], yerr=[q[1] - q[0], q[2] - q[1]], fmt="o", color=colour, label=label, capsize=3)

    band(np.ones(n_draws), "#4575b4", f"prior: median, {pct} interval", -0.1)
    if n_at is not None:
        n_at, tox_at = np.asarray(n_at, float), np.asarray(tox_at, float)
        with np.errstate(divide="ignore"):
            ll = (tox_at * np.log(p) + (n_at - tox_at) * np.log1p(-p)).sum(axis=1)
        w = np.exp(ll - ll.max())
        band(w, "#d73027", f"posterior: median, {pct} interval", 0.1)
    ax.set_xticks(np.arange(doses.size), [f"{d:g}" for d in doses])
    ax.set_xlabel(f"dose (reference dose {reference_dose:g})")
    ax.set_ylabel("P(DLT)")
    ax.set_ylim(0, 1)
    ax.set_title(title or "BLRM prior")
    ax.legend(frameon=False)
    return fig
