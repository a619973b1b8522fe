"""Deterministic posteriors of the normal hierarchies on the cohorts' logits (Berry et al. 2013; EXNEX,
Neuenschwander et al. 2016) by quadrature.

Write eta_k = logit q_k. Given the hierarchy's mean nu and scale s the cohorts are independent, so

    P(q_k > q0_k | data) = sum_g W_g(data) P(eta_k > logit q0_k | x_k, nu_g, s_g),
    W_g(data) proportional to w_g prior(nu_g, s_g) prod_k L_k(x_k | nu_g, s_g),

with L_k the integral of Binomial(x_k | n_k, expit eta) N(eta; nu, s^2) over eta. The outer rule is a
trapezoid rule (exponentially accurate for smooth integrands that vanish at the ends): in log s for Berry's
inverse-gamma prior on s^2, in s itself (an even function of s) for EXNEX's half-normal prior; in nu on a
map u(nu) whose step is the local posterior scale 1 / sqrt(information(nu) + 1 / mu_sd^2), so nodes are
dense where the data could put the posterior and sparse in the prior's tails. The inner integrals (L_k,
the tail probability and E q_k for every possible (n, x) of every cohort at every node) depend only on the
design and the cohorts, so they are tabulated once (``node_integrals``, composite Gauss-Legendre around the
mode) and every data vector costs one pass over the node tables (``hierarchy_posterior``).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .kernels import hierarchy_posterior, node_integrals
from .spec import Berry, Cohort, Exnex


class Grid(NamedTuple):
    """The outer rule: the step in log s (Berry) or s (EXNEX), the nu rule's step in u (the trapezoid's
    node spacing, or the Gauss-Legendre panels' width), the inner integrals' Gauss-Legendre panels, and for
    the Gauss-Legendre nu rule the growth of the panels graded around a cut (None: the trapezoid rule)."""

    scale_step: float
    u_step: float
    inner_panels: int
    growth: float | None = None


# "fine" is the accurate rule (composite Gauss-Legendre in nu, graded panels growing by 1.5 around the
# cuts; docs/notes/basket-conventions.md, "Located" and "The accurate rule by default"), Berry's default;
# "default" is the trapezoid rule, EXNEX's default (within a few 1e-6 there; off by up to a few 1e-3 in
# P(q > q0) for Berry), with 1/3 to 1/2 of the nodes
GRIDS = {
    "coarse": Grid(0.4, 1.2, 3),
    "default": Grid(0.3, 0.9, 4),
    "fine": Grid(0.3, 4.0, 8, 1.5),
}
INNER_NODES = 16
DROP = 42.0  # integrands are cut where they fall exp(-42) below their peak
STEP_NODES = 1.5  # node density across a tail step, per step width (in units of ustep = 1)
CUTOFF = 42.0


@dataclass(frozen=True)
class NodeTables:
    """Outer nodes (nu, scale, log weight) and the per-(n, x, c) inner tables of one design + cohorts."""

    nus: np.ndarray
    scales: np.ndarray
    logw: np.ndarray
    row: dict  # (cohort index, n, x) -> row
    log_lik: np.ndarray
    tail: np.ndarray
    mean: np.ndarray
    nex_log_lik: np.ndarray
    nex_tail: np.ndarray
    nex_mean: np.ndarray
    p_ex: np.ndarray
    # what the posterior kernel reads: for Berry the tables above; for EXNEX the cohort's mixture
    # p_ex L_EX + (1 - p_ex) L_NEX per (row, node) and the tail and mean mixed with the EX weight
    kernel_log_lik: np.ndarray
    kernel_tail: np.ndarray
    kernel_mean: np.ndarray

    @property
    def n_nodes(self) -> int:
        return len(self.nus)


def _logit(p):
    return np.log(p) - np.log1p(-p)


def _scale_nodes(design, n_cohorts: int, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Scale nodes and log(weight * prior density) of the hierarchy's scale."""
    if isinstance(design, Berry):
        a, b = design.sigma2_shape, design.sigma2_scale
        # log density of l = log s when s^2 ~ InvGamma(a, b): log 2 + a log b - lgamma(a) - 2 a l - b e^{-2l}
        lo = 0.5 * math.log(b / (DROP + 2.0))  # b e^{-2l} = DROP + 2
        hi = min(1.5 + (DROP - 7.0) / max(n_cohorts - 1 + 2 * a, 1.0), 12.0)
        ls = np.arange(lo, hi + step / 2, step)
        logp = math.log(2.0) + a * math.log(b) - math.lgamma(a) - 2 * a * ls - b * np.exp(-2 * ls)
        ends = np.ones_like(ls)
        ends[[0, -1]] = 0.5
        return np.exp(ls), logp + np.log(step * ends)
    c = design.tau_scale
    tstep = step * c / 2.5
    # midpoint rule on the half-line: the integrand is an even analytic function of tau, so this is half
    # the full line's midpoint rule (exponentially accurate), and no node sits at tau = 0
    taus = np.arange(0.5 * tstep, c * math.sqrt(2 * DROP), tstep)
    logp = 0.5 * math.log(2 / math.pi) - math.log(c) - 0.5 * (taus / c) ** 2
    return taus, logp + math.log(tstep)


def _nu_nodes(
    center: float, prior_sd: float, scale: float, info_n: np.ndarray, cuts: np.ndarray, ustep: float
):
    """nu nodes for one scale: uniform steps of ``ustep`` in u(nu), du = dnu sqrt(info(nu) + 1 / prior_sd^2)
    plus a bump around each cut logit q0: for a small scale, P(eta_k > c | nu, scale) is a step of width
    about the scale at nu = c, which the nodes must resolve."""
    half = math.sqrt(2 * DROP) * prior_sd
    lo = min(center - half, float(cuts.min()) - 5.0)
    hi = max(center + half, float(cuts.max()) + 5.0)
    n_max = float(info_n.max())
    bumps = []
    for c in cuts:
        pc = 1.0 / (1.0 + math.exp(-c))
        width = 1.0 / math.sqrt(n_max * pc * (1 - pc) + 1.0 / scale**2)
        reach = 3.0 * width + min(scale**2 * n_max * 0.5, 3.0)
        bumps.append((c, width, reach))
    # the helper grid that carries the map u(nu) resolves every bump
    fine = np.unique(
        np.concatenate(
            [np.linspace(lo, hi, 8001)] + [np.linspace(c - 9 * r, c + 9 * r, 2001) for c, _, r in bumps]
        )
    )
    density = _nu_density(fine, scale, info_n, prior_sd)
    for c, width, reach in bumps:
        density = density + (STEP_NODES / width) * np.exp(-0.5 * ((fine - c) / reach) ** 2)
    u = np.concatenate([[0.0], np.cumsum(0.5 * (density[1:] + density[:-1]) * np.diff(fine))])
    n_steps = max(int(math.ceil(u[-1] / ustep)), 4)
    uu = np.linspace(0.0, u[-1], n_steps + 1)
    nu = np.interp(uu, u, fine)
    dnu_du = 1.0 / np.interp(nu, fine, density)
    h = uu[1] - uu[0]
    ends = np.ones_like(uu)
    ends[[0, -1]] = 0.5
    return nu, _log_prior(nu, center, prior_sd) + np.log(h * ends * dnu_du)


def _log_prior(nu: np.ndarray, center: float, prior_sd: float) -> np.ndarray:
    """log N(nu; center, prior_sd^2)."""
    return -0.5 * ((nu - center) / prior_sd) ** 2 - math.log(prior_sd) - 0.5 * math.log(2 * math.pi)


def _nu_density(nu: np.ndarray, scale: float, info_n: np.ndarray, prior_sd: float) -> np.ndarray:
    """sqrt(information about nu + 1 / prior_sd^2): the local posterior scale of nu."""
    v = np.exp(-np.abs(nu)) / (1.0 + np.exp(-np.abs(nu))) ** 2
    info = np.sum(info_n[:, None] * v[None, :] / (1.0 + scale**2 * info_n[:, None] * v[None, :]), axis=0)
    return np.sqrt(info + 1.0 / prior_sd**2)


NU_GAUSS_LEGENDRE = np.polynomial.legendre.leggauss(8)


def _nu_nodes_gl(
    center: float,
    prior_sd: float,
    scale: float,
    info_n: np.ndarray,
    cuts: np.ndarray,
    width_u: float,
    growth: float,
):
    """nu nodes for one scale by composite 8-point Gauss-Legendre panels in nu: edges at equal steps
    ``width_u`` of u(nu) (du = dnu sqrt(info(nu) + 1 / prior_sd^2)), and around each cut c panels of the
    width w = s sqrt(1 + s^2 I) of the step of P(eta_k > c | nu, s) in nu over the whole range the step
    can sit in, c +- (s^2 I D + 4 w) (the step sits at c + s^2 I_k (c - the cohort's own logit); I = n_max / 4
    and D = |c| + log(2 (n_max + 1)) + 1 bound them), then panels growing by ``growth`` until they reach
    the smooth panels' width. Returns the nodes and log(weight x prior density)."""
    half = math.sqrt(2 * DROP) * prior_sd
    lo = min(center - half, float(cuts.min()) - 5.0)
    hi = max(center + half, float(cuts.max()) + 5.0)
    helper = np.linspace(lo, hi, 20001)
    dens = _nu_density(helper, scale, info_n, prior_sd)
    u = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(helper))])
    n_panels = max(int(math.ceil(u[-1] / width_u)), 2)
    edges = np.interp(np.linspace(0.0, u[-1], n_panels + 1), u, helper)
    n_max = float(info_n.max())
    graded: list[float] = []
    for c in cuts:
        big_i = n_max * 0.25
        w = scale * math.sqrt(1.0 + scale**2 * big_i)
        d_max = abs(c) + math.log(2.0 * (n_max + 1.0)) + 1.0
        shift = min(scale**2 * big_i * d_max, 20.0)
        smooth = width_u / float(_nu_density(np.array([c]), scale, info_n, prior_sd)[0])
        if w >= smooth:
            continue
        k = int(math.ceil((shift + 4.0 * w) / w))
        graded += list(c + w * np.arange(-k, k + 1))
        step, x0 = w, k * w
        while step < smooth:
            step *= growth
            x0 += step
            graded += [c - x0, c + x0]
    if graded:
        edges = edges[(edges < min(graded)) | (edges > max(graded))]
    e = np.unique(np.concatenate([edges, np.array(graded)]))
    e = e[(e >= lo) & (e <= hi)]
    z, gw = NU_GAUSS_LEGENDRE
    half_w = (e[1:] - e[:-1]) / 2
    mid = (e[1:] + e[:-1]) / 2
    nu = (mid[:, None] + half_w[:, None] * z[None, :]).ravel()
    weight = (half_w[:, None] * gw[None, :]).ravel()
    return nu, _log_prior(nu, center, prior_sd) + np.log(weight)


def _offset(design) -> float:
    return _logit(design.target) if isinstance(design, Berry) else 0.0


def build_tables(
    design: Berry | Exnex, cohorts: tuple[Cohort, ...], extra: frozenset = frozenset()
) -> NodeTables:
    """The outer nodes and inner tables for every (n, x) the cohorts can reach at their looks, and at the
    sizes (cohort index, n) in ``extra`` (data between looks). The nodes do not depend on ``extra``."""
    grid = GRIDS[design.grid]
    sstep, ustep, panels = grid.scale_step, grid.u_step, grid.inner_panels
    k = len(cohorts)
    center = design.mu_mean_for(cohorts) + _offset(design)
    scales, logw_s = _scale_nodes(design, k, sstep)
    info_n = np.array([c.n for c in cohorts], dtype=float)
    cuts = np.unique(_logit(np.array([c.q0 for c in cohorts])))
    nus, sds, logw = [], [], []
    for s, lw in zip(scales, logw_s, strict=True):
        if grid.growth is None:
            nu, lwn = _nu_nodes(center, design.mu_sd, s, info_n, cuts, ustep)
        else:
            nu, lwn = _nu_nodes_gl(center, design.mu_sd, s, info_n, cuts, ustep, grid.growth)
        nus.append(nu)
        sds.append(np.full_like(nu, s))
        logw.append(lw + lwn)
    nus = np.concatenate(nus)
    sds = np.concatenate(sds)
    logw = np.concatenate(logw)
    keys: dict = {}
    row: dict = {}
    ns, xs, cs, nex = [], [], [], []
    for i, c in enumerate(cohorts):
        q0c = float(_logit(c.q0))
        nm = 0.0
        if isinstance(design, Exnex):
            nm = q0c if design.nex_mean is None else design.nex_mean
        for n in sorted(set(c.looks) | {m for j, m in extra if j == i}):
            for x in range(n + 1):
                key = (n, x, q0c, nm)
                if key not in keys:
                    keys[key] = len(ns)
                    ns.append(n)
                    xs.append(x)
                    cs.append(q0c)
                    nex.append(nm)
                row[(i, n, x)] = keys[key]
    ns_a = np.array(ns, dtype=np.float64)
    xs_a = np.array(xs, dtype=np.float64)
    cs_a = np.array(cs)
    z, w = np.polynomial.legendre.leggauss(INNER_NODES)
    log_lik, tail, mean = node_integrals(ns_a, xs_a, cs_a, nus, sds, z, w, panels, DROP)
    if isinstance(design, Exnex):
        nex_a = np.array(nex)
        nl, nt, nmn = np.empty(len(ns)), np.empty(len(ns)), np.empty(len(ns))
        for m in np.unique(nex_a):  # one NEX prior per distinct mean: one node
            sel = nex_a == m
            one = node_integrals(
                ns_a[sel],
                xs_a[sel],
                cs_a[sel],
                np.array([m]),
                np.array([design.nex_sd]),
                z,
                w,
                4 * panels,
                DROP,
            )
            nl[sel], nt[sel], nmn[sel] = (arr[:, 0] for arr in one)
        p_ex = np.full(k, design.p_ex)
        with np.errstate(divide="ignore"):
            a = math.log(design.p_ex) + log_lik if design.p_ex > 0 else np.full_like(log_lik, -np.inf)
            b = (math.log1p(-design.p_ex) if design.p_ex < 1 else -np.inf) + nl[:, None]
        k_log_lik = np.logaddexp(a, b)
        f = np.exp(a - k_log_lik)
        k_tail = f * tail + (1 - f) * nt[:, None]
        k_mean = f * mean + (1 - f) * nmn[:, None]
    else:
        nl = np.zeros(len(ns))
        nt = np.zeros(len(ns))
        nmn = np.zeros(len(ns))
        p_ex = np.ones(k)
        k_log_lik, k_tail, k_mean = log_lik, tail, mean
    return NodeTables(nus, sds, logw, row, log_lik, tail, mean, nl, nt, nmn, p_ex, k_log_lik, k_tail, k_mean)


_ARRAYS = (
    "nus scales logw log_lik tail mean nex_log_lik nex_tail nex_mean p_ex kernel_log_lik kernel_tail "
    "kernel_mean"
).split()


def _stored(design: Berry | Exnex, cohorts: tuple[Cohort, ...]) -> Path:
    """Where the tables of (design, cohorts) are kept between processes: beside the compiled kernels
    (``engine/jit.py``), named by a hash of the design, the cohorts and the source of this module and
    of the kernels, so any change to them computes the tables afresh."""
    import hashlib

    import numba

    from ..engine.jit import kernel_sources_hash

    h = hashlib.sha256()
    for part in (repr(design), repr(cohorts), kernel_sources_hash()):
        h.update(part.encode())
    for f in (Path(__file__), Path(__file__).with_name("kernels.py")):
        h.update(f.read_bytes())
    return Path(numba.config.CACHE_DIR).parent / "basket-tables" / f"{h.hexdigest()[:24]}.npz"


def _load(path: Path) -> NodeTables | None:
    try:
        with np.load(path) as z:
            arrays = {k: z[k] for k in _ARRAYS}
            keys = z["row_keys"]
            rows = z["row_values"]
    except (OSError, KeyError, ValueError):
        return None
    row = {(int(i), int(n), int(x)): int(r) for (i, n, x), r in zip(keys, rows, strict=True)}
    return NodeTables(row=row, **arrays)


def _save(path: Path, t: NodeTables) -> None:
    from ..atomic import atomic_path

    keys = np.array(list(t.row), dtype=np.int64).reshape(-1, 3)
    values = np.array(list(t.row.values()), dtype=np.int64)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, row_keys=keys, row_values=values, **{k: getattr(t, k) for k in _ARRAYS})
    except OSError:  # a read-only or full disk: the tables are computed again next time
        pass


@functools.lru_cache(maxsize=8)
def tables_for(design: Berry | Exnex, cohorts: tuple[Cohort, ...]) -> NodeTables:
    """The node tables of (design, cohorts): from this process's memory, else from the disk store
    (seconds to tens of seconds to build for a seven-cohort basket), else built and stored."""
    path = _stored(design, cohorts)
    if path.is_file():
        tables = _load(path)
        if tables is not None:
            return tables
    tables = build_tables(design, cohorts)
    _save(path, tables)
    return tables


@functools.lru_cache(maxsize=8)
def _tables_with(design: Berry | Exnex, cohorts: tuple[Cohort, ...], extra: frozenset) -> NodeTables:
    return build_tables(design, cohorts, extra)


def tables_covering(design: Berry | Exnex, cohorts: tuple[Cohort, ...], n: np.ndarray) -> NodeTables:
    """The node tables of (design, cohorts) with rows for every size in the data ``n`` [V, K]: the stored
    tables when every size is a look (always in simulation), else tables built with the other sizes too
    (a live analysis between looks; the same nodes)."""
    t = tables_for(design, cohorts)
    extra = frozenset(
        (k, int(m)) for k in range(n.shape[1]) for m in np.unique(n[:, k]) if (k, int(m), 0) not in t.row
    )
    return _tables_with(design, cohorts, extra) if extra else t


def _rows_of(row: dict, n: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The table row of every cohort's (n, x) in data arrays [V, K], from ``row[(k, n, x)]``, and where a
    size has no rows (those get row 0)."""
    rows = np.zeros(n.shape, dtype=np.int64)
    missing = np.zeros(n.shape, dtype=bool)
    for k in range(n.shape[1]):
        for nn in np.unique(n[:, k]):
            sel = n[:, k] == nn
            if (k, int(nn), 0) in row:
                rows[sel, k] = np.array([row[(k, int(nn), xx)] for xx in range(int(nn) + 1)])[x[sel, k]]
            else:
                missing[sel, k] = True
    return rows, missing


def hierarchy_probabilities(
    design: Berry | Exnex, cohorts: tuple[Cohort, ...], n: np.ndarray, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """P(q_k > q0_k | data) and the posterior mean of q_k for data arrays n, x of shape [V, K].

    Repeated data vectors are computed once (the counts of simulated trials repeat often)."""
    n = np.asarray(n, dtype=np.int64)
    x = np.asarray(x, dtype=np.int64)
    t = tables_covering(design, cohorts, n)
    if n.shape[0] == 0:
        return np.zeros(n.shape), np.zeros(n.shape)
    rows, _ = _rows_of(t.row, n, x)
    uniq, inverse = np.unique(rows, axis=0, return_inverse=True)
    # the EX / NEX mixture is already in the kernel tables
    prob, mean = hierarchy_posterior(
        uniq, uniq, t.logw, t.kernel_log_lik, t.kernel_tail, t.kernel_mean, CUTOFF
    )
    inverse = inverse.reshape(-1)
    return prob[inverse], mean[inverse]


@functools.lru_cache(maxsize=8)
def predictive_tables(design: Berry | Exnex, cohorts: tuple[Cohort, ...]) -> tuple[np.ndarray, dict]:
    """H[(k, n, x), g]: given the outer node g = (nu, scale), the probability that cohort k, with x
    responses of n, reaches its go count z_k at its last look N_k:

        sum over y >= z_k - x of C(m, y) L(N_k, x + y | g) / L(n, x | g),   m = N_k - n,

    L the cohort's marginal likelihood without binomial coefficients (``kernel_log_lik``: for EXNEX the
    EX / NEX mixture, so the predictive mixes them as the posterior does), divided by the same sum over
    every y (1 but for the inner rule's error). Rows for every (k, look, x); at the last look H is 1 or 0.
    Returns (H, row) with row[(k, n, x)] the row of H."""
    from scipy.special import gammaln

    from .decide import go_counts

    t = tables_for(design, cohorts)
    ll = t.kernel_log_lik
    z = go_counts(design, cohorts)
    blocks: list[np.ndarray] = []
    row: dict = {}
    count = 0
    for k, c in enumerate(cohorts):
        big = c.n
        final_rows = np.array([t.row[(k, big, xx)] for xx in range(big + 1)])
        for n in c.looks:
            m = big - n
            y = np.arange(m + 1)
            log_c = gammaln(m + 1) - gammaln(y + 1) - gammaln(m - y + 1)
            block = np.empty((n + 1, ll.shape[1]))
            for x in range(n + 1):
                if m == 0:
                    block[x] = 1.0 if x >= z[k] else 0.0
                else:
                    with np.errstate(invalid="ignore", divide="ignore"):
                        terms = np.exp(log_c[:, None] + ll[final_rows[x + y]] - ll[t.row[(k, n, x)]][None, :])
                        share = terms[y >= z[k] - x].sum(axis=0) / terms.sum(axis=0)
                    # a node where the data are impossible (log L = -inf) has no posterior weight
                    block[x] = np.nan_to_num(share, nan=0.0)
                row[(k, n, x)] = count + x
            blocks.append(block)
            count += n + 1
    h = np.ascontiguousarray(np.concatenate(blocks, axis=0))
    return h, row


def hierarchy_predictive(
    design: Berry | Exnex, cohorts: tuple[Cohort, ...], n: np.ndarray, x: np.ndarray
) -> np.ndarray:
    """The predictive probability [V, K] that each cohort reaches its go count at its last look
    (:func:`dosefind.basket.decide.predictive`): the node tables' posterior weights applied to
    :func:`predictive_tables` instead of the tail. NaN for a cohort between looks (no decision there)."""
    n = np.asarray(n, dtype=np.int64)
    x = np.asarray(x, dtype=np.int64)
    t = tables_covering(design, cohorts, n)
    h, hrow = predictive_tables(design, cohorts)
    if n.shape[0] == 0:
        return np.zeros(n.shape)
    k_all = n.shape[1]
    rows_l, _ = _rows_of(t.row, n, x)
    # between looks: no decision, no predictive probability (row 0 stands in; NaN below)
    rows_h, off_look = _rows_of(hrow, n, x)
    uniq, inverse = np.unique(np.concatenate([rows_l, rows_h], axis=1), axis=0, return_inverse=True)
    pp, _ = hierarchy_posterior(
        np.ascontiguousarray(uniq[:, :k_all]),
        np.ascontiguousarray(uniq[:, k_all:]),
        t.logw,
        t.kernel_log_lik,
        h,
        t.kernel_mean,
        CUTOFF,
    )
    out = np.minimum(pp[inverse.reshape(-1)], 1.0)
    out[off_look] = np.nan
    return out
