"""PO-CRM kernels against deliberately naive oracles.

* Posterior: per ordering, scipy's adaptive quadrature (``scipy.integrate.quad``) of prior x likelihood
  on the real line gives the evidence, the posterior mean of b and of every cell's DLT probability; the
  kernel's trapezoid quadrature must agree to 1e-6 (ordering probabilities, means).
* Likelihood estimation: the MLE of the power by ``scipy.optimize.minimize_scalar`` on (0, 100].
* Decisions: a pure-Python transcription of the rules (stage 1, ordering choice, closest cell, stop_n,
  final selection) on the oracle's posterior, on random states (Hypothesis), equals the kernels.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy import integrate, optimize

from dosefind.constants import Reason, Status
from dosefind.designs import PoCrm, typical_orderings
from dosefind.designs.grid import DoseGrid
from dosefind.engine.pocrm import decide_pocrm, pocrm_posterior_summary, select_pocrm
from dosefind.engine.replay import DecisionContext

GRIDS = [(2, 3, ()), (3, 3, ()), (3, 4, ()), (3, 3, ("3.3",)), (2, 4, ("2.4",))]


# ---- the naive oracle --------------------------------------------------------------------------------------
#: the ordering prior each test design was built with (None: the spec's default), recorded where the design
#: is drawn, so that the oracle takes no default from the implementation
GIVEN_PRIOR: dict = {}


def oracle_prior(design):
    """The ordering prior as the test gave it, or uniform over the orderings (Wages, Conaway & O'Quigley
    2011; the pocrm package's examples) when it gave none."""
    given = GIVEN_PRIOR.get(design)
    M = len(design.orderings)
    return list(given) if given is not None else [1.0 / M] * M


def oracle_alpha(design, m):
    """Each cell's skeleton value under ordering m, from the ordering's cell labels ("j.k", 1-based, least
    toxic first): the i-th cell of the ordering gets the i-th skeleton value; excluded cells nan."""
    K = len(design.grid.levels_b)
    alpha = [math.nan] * (len(design.grid.levels_a) * K)
    for i, label in enumerate(design.orderings[m]):
        j, k = (int(x) for x in label.split("."))
        alpha[(j - 1) * K + (k - 1)] = design.skeleton[i]
    return np.asarray(alpha)


def oracle_ordering(design, m, n_at, tox_at):
    """(log evidence, E[b], E[p_c] per cell) of ordering m by adaptive quadrature."""
    alpha = oracle_alpha(design, m)
    sd = design.prior_sd
    used = [c for c in range(len(n_at)) if n_at[c] > 0]

    def log_joint(b):
        if abs(b) > 60 * sd:
            return -math.inf  # prior density below 1e-780: nothing to integrate
        s = -0.5 * (b / sd) ** 2 - math.log(sd * math.sqrt(2 * math.pi))
        for c in used:
            logp = math.exp(b) * math.log(alpha[c])
            if logp == 0.0 and n_at[c] > tox_at[c]:
                return -math.inf  # p = 1 with a patient free of DLT
            s += tox_at[c] * logp + (n_at[c] - tox_at[c]) * (math.log(-math.expm1(logp)) if logp else 0.0)
        return s

    mode = optimize.minimize_scalar(lambda b: -log_joint(b), bounds=(-12 * sd, 12 * sd), method="bounded")
    b0 = mode.x
    top = log_joint(b0)

    def integral(g):
        def f(b):
            lj = log_joint(b)
            return 0.0 if lj == -math.inf else g(b) * math.exp(lj - top)

        parts = [(-math.inf, b0 - 3), (b0 - 3, b0), (b0, b0 + 3), (b0 + 3, math.inf)]
        total = err = 0.0
        with warnings.catch_warnings():
            # QUADPACK warns when round-off stops it short of epsrel; its own error estimate is checked
            warnings.simplefilter("ignore", integrate.IntegrationWarning)
            for lo, hi in parts:
                value, e = integrate.quad(f, lo, hi, epsabs=0, epsrel=1e-11, limit=400)
                total += value
                err += e
        # relative to the evidence: E[g] is then accurate to 1e-9 absolute (g = b can integrate to ~0)
        assert err <= 1e-9 * max(abs(total), scale[0])
        return total

    scale = [0.0]
    z = scale[0] = integral(lambda b: 1.0)
    mean_b = integral(lambda b: b) / z
    mean_p = np.full(len(alpha), np.nan)
    for c in range(len(alpha)):
        if not np.isnan(alpha[c]):
            mean_p[c] = integral(lambda b, c=c: alpha[c] ** math.exp(b)) / z
    return math.log(z) + top, mean_b, mean_p


def oracle_mle(design, m, n_at, tox_at):
    """(maximised log-likelihood, log of the MLE of the power a on (0, 100]) of ordering m."""
    alpha = oracle_alpha(design, m)
    used = [c for c in range(len(n_at)) if n_at[c] > 0]
    if sum(n_at) == sum(tox_at):
        return 0.0, -math.inf

    def ll(a):
        return sum(
            tox_at[c] * a * math.log(alpha[c]) + (n_at[c] - tox_at[c]) * math.log1p(-(alpha[c] ** a))
            for c in used
        )

    res = optimize.minimize_scalar(
        lambda a: -ll(a), bounds=(1e-9, 100.0), method="bounded", options={"xatol": 1e-12}
    )
    a = 100.0 if ll(100.0) >= ll(res.x) else res.x
    return ll(a), math.log(a)


def oracle_fit(design, n_at, tox_at):
    """Per ordering: log weight (log prior + log evidence or maximised log-likelihood) and b estimate."""
    logw, bhat = [], []
    for m in range(len(design.orderings)):
        if design.estimation == "bayes":
            lz, mb, _ = oracle_ordering(design, m, n_at, tox_at)
        else:
            lz, mb = oracle_mle(design, m, n_at, tox_at)
        logw.append(math.log(oracle_prior(design)[m]) + lz)
        bhat.append(mb)
    return np.array(logw), np.array(bhat)


AMBIGUOUS = (1e-9, 1e-6)  # relative gaps the oracle and the kernel may resolve differently


def oracle_choose(logw, u, randomised):
    """(ordering, smallest decisive margin) as the rules say; ties within 1e-9 split by u."""
    top = logw.max()
    if randomised:
        prob = np.exp(logw - top)
        prob /= prob.sum()
        cum = np.cumsum(prob)
        m = int(np.searchsorted(cum, u, side="right"))
        return min(m, len(logw) - 1), float(np.min(np.abs(cum - u)))
    gaps = (top - logw) / max(1.0, abs(top))
    tied = [m for m in range(len(logw)) if gaps[m] <= AMBIGUOUS[0]]
    others = gaps[gaps > AMBIGUOUS[0]]
    margin = float(others.min()) if others.size else 1.0
    return tied[min(int(u * len(tied)), len(tied) - 1)], margin


def oracle_closest(design, m, bhat):
    alpha = oracle_alpha(design, m)
    est = alpha ** math.exp(bhat)
    gaps = np.abs(est - design.target)
    gaps = np.where(np.isnan(gaps), np.inf, gaps)
    best = int(np.argmin(gaps))
    second = np.sort(gaps)[1] if len(gaps) > 1 else np.inf
    return best, float(second - gaps[best])


def oracle_decide(design, n_at, tox_at, u):
    """(next cell, status, reason, margin) by the rules of designs/pocrm/spec.py, in plain Python."""
    total, tox = int(sum(n_at)), int(sum(tox_at))
    stage1 = [design.grid.index(lab) for lab in design.stage1]
    if tox == 0 or (design.estimation == "likelihood" and tox == total):
        if tox == 0:
            nxt, reason = stage1[min(total // design.cohort_size, len(stage1) - 1)], Reason.POCRM_STAGE1
        else:
            nxt, reason = stage1[0], Reason.POCRM_ALL_DLT
        if design.stop_n is not None and max(n_at) > design.stop_n:
            return nxt, Status.STOP_SELECT, Reason.POCRM_STOP_N, 1.0
        return nxt, Status.CONTINUE, reason, 1.0
    logw, bhat = oracle_fit(design, n_at, tox_at)
    m, margin_m = oracle_choose(logw, u, design.ordering_choice == "random")
    nxt, margin_c = oracle_closest(design, m, bhat[m])
    margin = min(margin_m, margin_c)
    if design.stop_n is not None and n_at[nxt] >= design.stop_n:
        return nxt, Status.STOP_SELECT, Reason.POCRM_STOP_N, margin
    return nxt, Status.CONTINUE, Reason.POCRM_MODEL, margin


# ---- random designs and states -----------------------------------------------------------------------------
@st.composite
def designs(draw, estimation=None):
    J, K, excluded = draw(st.sampled_from(GRIDS))
    g = DoseGrid(levels_a=tuple(map(str, range(J))), levels_b=tuple(map(str, range(K))), excluded=excluded)
    R = g.n_cells - len(excluded)
    raw = sorted(draw(st.lists(st.floats(0.01, 0.9), min_size=R, max_size=R, unique=True)))
    assume(all(b - a > 1e-3 for a, b in zip(raw, raw[1:], strict=False)))
    orders = typical_orderings(g)
    M = len(orders)
    weights = draw(st.lists(st.floats(0.2, 1.0), min_size=M, max_size=M))
    prior = tuple(w / sum(weights) for w in weights) if draw(st.booleans()) else None
    if prior is not None:
        prior = prior[:-1] + (1.0 - sum(prior[:-1]),)
    design = PoCrm(
        target=draw(st.sampled_from([0.2, 0.25, 0.3, 0.33])),
        grid=g,
        max_n=36,
        cohort_size=draw(st.sampled_from([1, 2, 3])),
        skeleton=tuple(raw),
        ordering_prior=prior,
        prior_sd=draw(st.sampled_from([math.sqrt(1.34), 0.8, 2.0])),
        estimation=estimation or draw(st.sampled_from(["bayes", "likelihood"])),
        ordering_choice=draw(st.sampled_from(["max", "random"])),
        stop_n=draw(st.sampled_from([None, 3, 6, 9])),
    )
    GIVEN_PRIOR[design] = prior
    return design


@st.composite
def states(draw, design, min_tox=0):
    D = design.n_doses
    mask = design.grid.excluded_mask
    n = np.zeros(D, dtype=np.int64)
    y = np.zeros(D, dtype=np.int64)
    cells = [c for c in range(D) if not mask[c]]
    for _ in range(draw(st.integers(1, 8))):
        c = draw(st.sampled_from(cells))
        k = draw(st.integers(1, 4))
        n[c] += k
        y[c] += draw(st.integers(0, k))
    assume(n.sum() <= design.max_n and y.sum() >= min_tox)
    return n, y


# ---- posterior vs adaptive quadrature ----------------------------------------------------------------------
def random_cases(seed, count):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        J, K, excluded = GRIDS[i % len(GRIDS)]
        g = DoseGrid(
            levels_a=tuple(map(str, range(J))), levels_b=tuple(map(str, range(K))), excluded=excluded
        )
        R = g.n_cells - len(excluded)
        sk = np.sort(rng.uniform(0.01, 0.85, R))
        prior = rng.dirichlet(np.ones(len(typical_orderings(g))) * 2)
        d = PoCrm(target=0.3, grid=g, max_n=36, skeleton=tuple(sk), ordering_prior=tuple(prior))
        GIVEN_PRIOR[d] = tuple(prior)
        n = np.zeros(g.n_cells, dtype=np.int64)
        y = np.zeros(g.n_cells, dtype=np.int64)
        included = np.flatnonzero(~g.excluded_mask)
        total = rng.integers(1, 37)
        for c in rng.choice(included, size=total):
            n[c] += 1
            y[c] += rng.random() < 0.35
        out.append((d, n, y))
    return out


@pytest.mark.parametrize("case", range(12))
def test_posterior_matches_adaptive_quadrature(case):
    d, n, y = random_cases(2024, 12)[case]
    fast = pocrm_posterior_summary(d, n, y)
    M = len(d.orderings)
    logz, mean_b, mean_p = zip(*(oracle_ordering(d, m, n, y) for m in range(M)), strict=True)
    logw = np.log(oracle_prior(d)) + np.array(logz)
    prob = np.exp(logw - logw.max())
    prob /= prob.sum()
    np.testing.assert_allclose(fast["ordering_prob"], prob, rtol=0, atol=1e-6)
    np.testing.assert_allclose(fast["b_hat"], mean_b, rtol=0, atol=1e-6)
    np.testing.assert_allclose(fast["mean_by_ordering"], np.array(mean_p), rtol=0, atol=1e-6)
    avg = prob @ np.nan_to_num(np.array(mean_p))
    included = ~d.grid.excluded_mask
    np.testing.assert_allclose(fast["model_averaged"][included], avg[included], rtol=0, atol=1e-6)
    assert np.isnan(fast["model_averaged"][~included]).all()
    best = int(np.argmax(logw))
    np.testing.assert_allclose(fast["plugin"], oracle_alpha(d, best) ** math.exp(mean_b[best]), atol=1e-6)


def test_default_ordering_prior_is_uniform():
    g = DoseGrid(levels_a=("a", "b"), levels_b=("x", "y", "z"))
    d = PoCrm(target=0.3, grid=g, max_n=36, skeleton=(0.05, 0.1, 0.2, 0.3, 0.4, 0.5))
    zero = np.zeros(d.n_doses, dtype=np.int64)
    M = len(d.orderings)
    np.testing.assert_allclose(
        pocrm_posterior_summary(d, zero, zero)["ordering_prob"], [1 / M] * M, atol=1e-12
    )


def test_posterior_without_data_is_the_prior():
    d, _, _ = random_cases(7, 1)[0]
    zero = np.zeros(d.n_doses, dtype=np.int64)
    fast = pocrm_posterior_summary(d, zero, zero)
    np.testing.assert_allclose(fast["ordering_prob"], oracle_prior(d), atol=1e-12)
    np.testing.assert_allclose(fast["b_hat"], 0.0, atol=1e-9)


def test_likelihood_estimates_match_scipy():
    for d0, n, y in random_cases(99, 10):
        d = d0.replace(estimation="likelihood")
        GIVEN_PRIOR[d] = GIVEN_PRIOR[d0]
        if y.sum() == 0:
            continue
        fast = pocrm_posterior_summary(d, n, y)
        for m in range(len(d.orderings)):
            ll, loga = oracle_mle(d, m, n, y)
            if math.isinf(loga):
                assert math.isinf(fast["b_hat"][m])
                continue
            assert fast["b_hat"][m] == pytest.approx(loga, abs=1e-6)
        logw, _ = oracle_fit(d, n, y)
        prob = np.exp(logw - logw.max())
        np.testing.assert_allclose(fast["ordering_prob"], prob / prob.sum(), atol=1e-9)


# ---- decisions vs the naive rules --------------------------------------------------------------------------
def _kernel_decide(design, n, y, u):
    c = design.compile()
    work = np.zeros(int(c.ip[15]))
    adm = np.ones(design.n_doses, dtype=np.int8)
    return decide_pocrm(c.ip, c.fp, c.tables, c.grid, n, y, adm, 0, 1, 0, work, u)


@given(data=st.data())
def test_decisions_match_naive_rules(data):
    design = data.draw(designs())
    n, y = data.draw(states(design))
    u = data.draw(st.floats(0.001, 0.999))
    nxt, status, reason = _kernel_decide(design, n, y, u)
    o_next, o_status, o_reason, margin = oracle_decide(design, n, y, u)
    assume(margin > AMBIGUOUS[1])
    assert (nxt, Status(status), Reason(reason)) == (o_next, o_status, o_reason)


@given(data=st.data())
def test_final_selection_matches_naive_rules(data):
    design = data.draw(designs())
    n, y = data.draw(states(design, min_tox=1))
    c = design.compile()
    work = np.zeros(int(c.ip[15]))
    got = select_pocrm(c.ip, c.fp, c.tables, c.grid, n, y, np.ones(design.n_doses, dtype=np.int8), work)
    logw, bhat = oracle_fit(design, n, y)
    top = logw.max()
    gaps = (top - logw) / max(1.0, abs(top))
    assume(np.all((gaps <= AMBIGUOUS[0]) | (gaps > AMBIGUOUS[1])))
    tied = np.flatnonzero(gaps <= AMBIGUOUS[0])
    picks = {oracle_closest(design, int(m), bhat[m]) for m in tied}
    assume(all(margin > AMBIGUOUS[1] for _, margin in picks))
    assert got in {cell for cell, _ in picks}


def test_stage1_walks_the_path_and_stops_on_stop_n():
    g = DoseGrid(levels_a=("1", "2"), levels_b=("1", "2", "3"))
    d = PoCrm(target=0.3, grid=g, max_n=30, cohort_size=2, skeleton=(0.05, 0.1, 0.2, 0.3, 0.4, 0.5), stop_n=4)
    ctx = DecisionContext(d)
    path = [d.grid.index(lab) for lab in d.stage1]
    cur = path[0]
    for i in range(len(path) - 1):
        step = ctx.treat(cur, 2, 0)
        assert (step.next_dose, step.reason) == (path[i + 1], Reason.POCRM_STAGE1)
        cur = step.next_dose
    for _ in range(2):  # the path is used up: stay at its last cell (2, then 4 = stop_n patients there)
        step = ctx.treat(cur, 2, 0)
        assert step.next_dose == path[-1] and step.status == Status.CONTINUE
    step = ctx.treat(cur, 2, 0)  # 6 > stop_n = 4 patients at the top cell without DLT: stop, select it
    assert step.status == Status.STOP_SELECT and step.reason == Reason.POCRM_STOP_N
    assert ctx.select() == path[-1]


def test_first_dlt_hands_over_to_the_model_and_likelihood_waits_for_a_non_dlt():
    g = DoseGrid(levels_a=("1", "2"), levels_b=("1", "2", "3"))
    sk = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5)
    bayes = DecisionContext(PoCrm(target=0.3, grid=g, max_n=30, cohort_size=1, skeleton=sk))
    assert bayes.treat(0, 1, 1).reason == Reason.POCRM_MODEL
    lik = DecisionContext(
        PoCrm(target=0.3, grid=g, max_n=30, cohort_size=1, skeleton=sk, estimation="likelihood")
    )
    step = lik.treat(0, 1, 1)
    assert (step.next_dose, step.reason) == (0, Reason.POCRM_ALL_DLT)
    assert lik.treat(0, 1, 0).reason == Reason.POCRM_MODEL


def test_randomised_choice_draws_orderings_in_proportion():
    """With ordering_choice = "random" the ordering is u's quantile of the posterior probabilities: over a
    grid of u the chosen cells' frequencies equal the probabilities of the orderings recommending them."""
    d0, n, y = random_cases(5, 5)[2]
    d = d0.replace(ordering_choice="random")
    GIVEN_PRIOR[d] = GIVEN_PRIOR.get(d0)
    assume_y = y.sum() > 0
    assert assume_y
    fast = pocrm_posterior_summary(d, n, y)
    us = (np.arange(20000) + 0.5) / 20000
    got = np.bincount([_kernel_decide(d, n, y, u)[0] for u in us], minlength=d.n_doses) / us.size
    want = np.zeros(d.n_doses)
    for m, p in enumerate(fast["ordering_prob"]):
        want[oracle_closest(d, m, fast["b_hat"][m])[0]] += p
    np.testing.assert_allclose(got, want, atol=1 / us.size + 1e-9)
