"""The one decision code path of a basket design: the posterior of every cohort given the data so far,
then each open cohort's decision at this look. Simulation, exact enumeration and live analysis all call
:func:`analyze` and :func:`decide`.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from .beta import fujikawa_shapes, prob_above
from .spec import BasketDesign, Berry, Cbhm, Cohort, Exnex, Fujikawa, Independent, Mem, RuleDesign


class CohortStatus(IntEnum):
    OPEN = 0  # still enrolling: no decision yet
    STOP_FUTILITY = 1  # stopped at an interim look for futility (no go)
    STOP_EFFICACY = 2  # stopped at an interim look with a go
    NO_GO = 3  # final analysis: no go
    GO = 4  # final analysis: go


GO_STATUSES = (CohortStatus.STOP_EFFICACY, CohortStatus.GO)

STATUS_WORDS = {
    CohortStatus.OPEN: "continue",
    CohortStatus.STOP_FUTILITY: "stop (futility)",
    CohortStatus.STOP_EFFICACY: "go (early)",
    CohortStatus.NO_GO: "no go",
    CohortStatus.GO: "go",
}


def independent_shapes(prior, n, x) -> tuple[np.ndarray, np.ndarray]:
    a, b = prior
    return a + x, b + n - x


def state_sizes(cohorts: tuple[Cohort, ...], n: np.ndarray) -> tuple[int, ...]:
    """The cohort sizes Fujikawa's divergence table must hold for data ``n``: every look, and any other
    size in the data (a live analysis between looks; 0 for a cohort with no patients, whose posterior is
    the prior). A simulation's sizes are its looks, so its table is built once."""
    return tuple(sorted({s for c in cohorts for s in c.looks} | {int(v) for v in np.unique(n)}))


def analyze(
    design: BasketDesign, cohorts: tuple[Cohort, ...], n: np.ndarray, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(P(q_k > q0_k | data), posterior mean of q_k), arrays [V, K], for data arrays n, x of shape [V, K]
    (every cohort's data so far, stopped cohorts included: a borrowing design borrows from them)."""
    n = np.asarray(n, dtype=np.int64)
    x = np.asarray(x, dtype=np.int64)
    q0 = np.array([c.q0 for c in cohorts])
    if isinstance(design, (Independent, RuleDesign)):
        a, b = independent_shapes(design.prior, n, x)
        return prob_above(a, b, q0[None, :]), a / (a + b)
    if isinstance(design, Fujikawa):
        a, b, _ = fujikawa_shapes(
            n, x, design.prior, design.epsilon, design.tau, design.share_prior, state_sizes(cohorts, n)
        )
        return prob_above(a, b, q0[None, :]), a / (a + b)
    if isinstance(design, (Berry, Exnex)):
        from .hierarchy import hierarchy_probabilities

        return hierarchy_probabilities(design, cohorts, n, x)
    if isinstance(design, Cbhm):
        from .cbhm import cbhm_probabilities

        return cbhm_probabilities(design, cohorts, n, x)
    if isinstance(design, Mem):
        from .mem import mem_probabilities

        return mem_probabilities(design, cohorts, n, x)
    raise TypeError(f"no posterior for {type(design).__name__}")  # pragma: no cover


def go_counts(design: BasketDesign, cohorts: tuple[Cohort, ...]) -> np.ndarray:
    """z_k: the fewest responses of n_k with P(q_k > q0_k) > threshold under Beta(``design.go_prior()``)
    alone (n_k + 1 when none): the count a predictive probability aims at."""
    from ..extension.predictive import final_success_count

    prior = design.go_prior()
    return np.array([final_success_count(c.q0, design.threshold, c.n, prior) for c in cohorts])


def _beta_binomial_tail(need: np.ndarray, m: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """P(Y >= need) for Y ~ BetaBinomial(m, a, b), elementwise over 1-D arrays (the terms summed from the
    log pmf, so no cancellation)."""
    from scipy.special import betaln, gammaln

    out = np.zeros(m.shape)
    top = int(m.max()) if m.size else 0
    for y in range(top + 1):
        use = (y >= need) & (y <= m)
        if not use.any():
            continue
        mm, aa, bb = m[use], a[use], b[use]
        log = gammaln(mm + 1) - gammaln(y + 1) - gammaln(mm - y + 1) + betaln(aa + y, bb + mm - y)
        out[use] += np.exp(log - betaln(aa, bb))
    return np.minimum(out, 1.0)


def predictive(design: BasketDesign, cohorts: tuple[Cohort, ...], n: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Predictive probability [V, K] that each cohort's responses at its last look reach its go count z_k
    (:func:`go_counts`), the responses of its n_k - n remaining patients drawn from the design's posterior
    of q_k given every cohort's data so far (its borrowing included): a beta-binomial tail for the Beta
    posteriors (independent, Fujikawa: baskexact's ``interim_postpred``; the MEM: their mixture over each
    row's exchangeability patterns, :func:`dosefind.basket.mem.mem_predictive`), the hierarchy's quadrature
    for Berry and EXNEX (:func:`dosefind.basket.hierarchy.hierarchy_predictive`). A cohort at its last look
    gets 1 or 0: whether it reached z_k."""
    n = np.asarray(n, dtype=np.int64)
    x = np.asarray(x, dtype=np.int64)
    if isinstance(design, (Berry, Exnex)):
        from .hierarchy import hierarchy_predictive

        return hierarchy_predictive(design, cohorts, n, x)
    sizes_n = np.array([c.n for c in cohorts])
    if isinstance(design, Mem):
        from .mem import mem_predictive

        need = go_counts(design, cohorts)[None, :] - x
        return mem_predictive(design, n, x, need, sizes_n[None, :] - n)
    if isinstance(design, Independent):
        a, b = independent_shapes(design.prior, n, x)
    elif isinstance(design, Fujikawa):
        a, b, _ = fujikawa_shapes(
            n, x, design.prior, design.epsilon, design.tau, design.share_prior, state_sizes(cohorts, n)
        )
    else:
        raise TypeError(f"no predictive probability for {type(design).__name__}")  # pragma: no cover
    m = (sizes_n[None, :] - n).ravel()
    need = (go_counts(design, cohorts)[None, :] - x).ravel()
    out = _beta_binomial_tail(need, m, np.asarray(a, float).ravel(), np.asarray(b, float).ravel())
    return out.reshape(n.shape)


def interim_probabilities(
    design: BasketDesign, cohorts: tuple[Cohort, ...], n: np.ndarray, x: np.ndarray, prob: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """What an interim look compares with ``efficacy`` and with ``futility``: the posterior ``prob``
    itself, or with ``interim = "predictive"`` the predictive probability of a go (both); for the CBHM
    with ``futility_rate = "midpoint"`` the futility side is P(q_k > (q0_k + q1) / 2 | data), Chu & Yuan's
    rule."""
    compared = predictive(design, cohorts, n, x) if design.interim == "predictive" else prob
    if isinstance(design, Cbhm) and design.futility_rate == "midpoint":
        from .cbhm import _logit, cbhm_probabilities

        cuts = [_logit((c.q0 + design.q1) / 2.0) for c in cohorts]
        return compared, cbhm_probabilities(design, cohorts, n, x, cuts=cuts)[0]
    return compared, compared


def decide_look(
    design: BasketDesign,
    cohorts: tuple[Cohort, ...],
    look: int,
    final: bool,
    n: np.ndarray,
    x: np.ndarray,
    prob: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The statuses of every cohort analysed at ``look`` given the data (n, x) and their posterior P(q > q0)
    ``prob`` (from :func:`analyze`), with the probabilities the interim rule compared: (status, compared
    with efficacy, compared with futility). Simulation, exact OCs and the live analysis all decide here."""
    if final:
        return decide(design, look, True, prob, x), prob, prob
    eff, fut = interim_probabilities(design, cohorts, n, x, prob)
    return decide(design, look, False, eff, x, fut), eff, fut


def decide(
    design: BasketDesign,
    look: int,
    final: bool,
    prob: np.ndarray,
    x: np.ndarray | None = None,
    futility_prob: np.ndarray | None = None,
) -> np.ndarray:
    """Status of each cohort analysed at ``look`` (0-based; ``final``: its last look), from P(q > q0)
    (posterior designs; ``futility_prob``, when given, is what an interim look's futility rule compares)
    or the response counts ``x`` (Simon / BOP2 boundaries)."""
    if isinstance(design, RuleDesign):
        bnd = design.boundaries()
        go = x >= bnd.efficacy[look]
        stop = x <= bnd.futility[look]
    else:
        if final:
            go = prob > design.threshold
            stop = ~go
        else:
            fut = prob if futility_prob is None else futility_prob
            go = prob > design.efficacy if design.efficacy is not None else np.zeros(prob.shape, bool)
            stop = fut < design.futility if design.futility is not None else np.zeros(prob.shape, bool)
    out = np.full(prob.shape, int(CohortStatus.OPEN), dtype=np.int8)
    if final:
        out[:] = np.where(go, int(CohortStatus.GO), int(CohortStatus.NO_GO))
    else:
        out[stop] = int(CohortStatus.STOP_FUTILITY)
        out[go] = int(CohortStatus.STOP_EFFICACY)
    return out


def run_looks(design: BasketDesign, cohorts: tuple[Cohort, ...], counts: np.ndarray):
    """Every trial's path through the looks, from the response counts x[t, k, l] at each cohort's looks.

    Returns (status [T, K], n_used [T, K], x_used [T, K], prob [T, K], estimate [T, K]): each cohort's
    final status, its patients and responses when it stopped, and P(q > q0) and the posterior mean of its
    last analysis (with the borrowing of that look)."""
    n_trials, k, n_looks = counts.shape
    looks = np.array([c.looks for c in cohorts], dtype=np.int64)
    status = np.zeros((n_trials, k), dtype=np.int8)
    n_used = np.repeat(looks[None, :, 0], n_trials, axis=0)
    x_used = counts[:, :, 0].copy()
    prob = np.zeros((n_trials, k))
    est = np.zeros((n_trials, k))
    for look in range(n_looks):
        open_ = status == CohortStatus.OPEN
        rows = np.flatnonzero(open_.any(axis=1))
        if rows.size == 0:
            break
        n_now = np.where(open_[rows], looks[None, :, look], n_used[rows])
        x_now = np.where(open_[rows], counts[rows, :, look], x_used[rows])
        p, m = analyze(design, cohorts, n_now, x_now)
        new, _, _ = decide_look(design, cohorts, look, look == n_looks - 1, n_now, x_now, p)
        o = open_[rows]
        sub_status = status[rows]
        sub_status[o] = new[o]
        status[rows] = sub_status
        for arr, val in ((n_used, n_now), (x_used, x_now), (prob, p), (est, m)):
            sub = arr[rows]
            sub[o] = val[o]
            arr[rows] = sub
    return status, n_used, x_used, prob, est
