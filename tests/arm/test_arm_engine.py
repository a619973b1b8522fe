"""The arm kernel (escalation + expansion cohorts) against a naive Python oracle, exact binomial values,
the copula's closed form, and invariance to threads, chunks and blocks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import ndtri
from scipy.stats import multivariate_normal

from dosefind import Boin, Crm
from dosefind.arm import Arm, ArmScenario, ExpansionCohort, SafetyMonitor, simulate_arm
from dosefind.constants import CohortDecision, Status
from dosefind.designs import APlusB
from dosefind.engine.arm import EXT_BASE
from dosefind.engine.copula import RESPONSE_BINS, responds, responds_tab, response_table
from dosefind.engine.replay import DecisionContext
from dosefind.engine.rng import STREAM_DESIGN, STREAM_EFF, STREAM_TOX, latent_uniform, trial_key
from dosefind.extension import SimonRule, exact_oc

BOIN = Boin(target=0.3, n_doses=5, max_n=30, cohort_size=3)
SIMON = SimonRule(n1=16, r1=1, n=25, r=3)
SIMON_OPT = SimonRule(n1=9, r1=0, n=17, r=2)


def _arm(safety=None, carry=True, design=BOIN, open_min=0):
    cohorts = (ExpansionCohort("biomarker", SIMON, False), ExpansionCohort("histology", SIMON_OPT, carry))
    return Arm(design, cohorts, safety, open_min)


SCEN = ArmScenario(
    "mixed",
    (0.05, 0.12, 0.25, 0.40, 0.55),
    (0.05, 0.10, 0.20, 0.30, 0.40),
    0.4,
    (("biomarker", (0.1, 0.15, 0.25, 0.3, 0.35)),),
)


def _z(q):
    return float(ndtri(q)) if 0 < q < 1 else (-math.inf if q <= 0 else math.inf)


def oracle_escalation(arm: Arm, sc: ArmScenario, tk) -> tuple[list, int]:
    """An arm's escalation by hand through DecisionContext (the design's decide): the patients
    (dose, DLT, response) in treatment order and the selected dose (-1: none)."""
    d = arm.design
    ctx = DecisionContext(d)
    p = sc.true_tox
    q = sc.true_eff
    rho = sc.correlation
    cur = d.start_dose - 1
    patients = []  # (dose, dlt, response)
    k = 0
    while True:
        size = min(d.cohort_size, d.max_n - len(patients))
        tox = 0
        for _ in range(size):
            i = len(patients)
            u = latent_uniform(tk, i, STREAM_TOX)
            r = responds(u, latent_uniform(tk, i, STREAM_EFF), _z(q[cur]), q[cur], rho)
            patients.append((cur, u < p[cur], bool(r)))
            tox += u < p[cur]
        step = ctx.treat(cur, size, tox, full=False, u_tie=latent_uniform(tk, k, STREAM_DESIGN))
        k += 1
        if step.status != Status.CONTINUE:
            break
        cur = step.next_dose
    sel = ctx.select(full=False) if step.status == Status.STOP_SELECT else -1
    return patients, sel


def oracle_arm(arm: Arm, sc: ArmScenario, seed: int, t: int) -> dict:
    """One arm, by hand: escalation through DecisionContext (the design's decide), then the cohorts."""
    tk = np.uint64(trial_key(seed, sc.key, t))
    p = sc.true_tox
    rho = sc.correlation
    patients, sel = oracle_escalation(arm, sc, tk)
    out = {"selected": sel, "decision": [0] * len(arm.cohorts), "new_n": [0] * len(arm.cohorts)}
    out["counted"] = [0] * len(arm.cohorts)
    out["responses"] = [0] * len(arm.cohorts)
    out["safety_stop"] = False
    if sel < 0 or sum(r for dd, _, r in patients if dd == sel) < arm.open_min_responses:
        return out
    counted = [[] for _ in arm.cohorts]  # responses of counted patients, in order
    decided = [None] * len(arm.cohorts)

    def look(c):
        b = arm.cohorts[c].boundaries
        x = sum(counted[c])
        m = len(counted[c])
        for i, n in enumerate(b.looks):
            if n == m:
                if x <= b.futility[i]:
                    return CohortDecision.FUTILE
                if x >= b.efficacy[i]:
                    return CohortDecision.ACTIVE
        return None

    for c, cohort in enumerate(arm.cohorts):
        if cohort.count_escalation:
            for dd, _, r in patients:
                if dd == sel and decided[c] is None:
                    counted[c].append(r)
                    decided[c] = look(c)
    n_safe = sum(1 for dd, _, _ in patients if dd == sel)
    y_safe = sum(1 for dd, y, _ in patients if dd == sel and y)
    table = arm.safety.table(200) if arm.safety else None
    while any(x is None for x in decided):
        stop = False
        for c, cohort in enumerate(arm.cohorts):
            if decided[c] is not None:
                continue
            i = EXT_BASE * (c + 1) + out["new_n"][c]
            qc = sc.response_of(cohort.name)[sel]
            u = latent_uniform(tk, i, STREAM_TOX)
            r = responds(u, latent_uniform(tk, i, STREAM_EFF), _z(qc), qc, rho)
            out["new_n"][c] += 1
            counted[c].append(bool(r))
            decided[c] = look(c)
            n_safe += 1
            y_safe += u < p[sel]
            if table is not None and table[n_safe, y_safe]:
                stop = True
                break
        if stop:
            out["safety_stop"] = True
            decided = [CohortDecision.SAFETY if x is None else x for x in decided]
    out["decision"] = [int(x) for x in decided]
    out["counted"] = [len(x) for x in counted]
    out["responses"] = [sum(x) for x in counted]
    return out


@pytest.mark.parametrize(
    "arm",
    [_arm(), _arm(SafetyMonitor(limit=0.3, confidence=0.8)), _arm(open_min=2, carry=False)],
    ids=["no-safety", "safety", "open-min"],
)
def test_kernel_equals_oracle(arm):
    res = simulate_arm(arm, SCEN, 120, 11)
    for t in range(120):
        o = oracle_arm(arm, SCEN, 11, t)
        assert res.selected[t] == o["selected"], t
        assert res.decision[t].tolist() == o["decision"], t
        assert res.new_n[t].tolist() == o["new_n"], t
        assert res.counted[t].tolist() == o["counted"], t
        assert res.responses[t].tolist() == o["responses"], t
        assert bool(res.safety_stop[t]) == o["safety_stop"], t


def test_oracle_covers_the_branches():
    """The oracle comparison above must exercise safety stops, carried patients and unopened arms."""
    arm = _arm(SafetyMonitor(limit=0.3, confidence=0.8))
    res = simulate_arm(arm, SCEN, 120, 11)
    assert res.safety_stop.any() and not res.safety_stop.all()
    assert (res.counted[:, 1] > res.new_n[:, 1]).any()
    res2 = simulate_arm(_arm(open_min=2, carry=False), SCEN, 120, 11)
    assert (~res2.opened).any() and res2.opened.any()


def _z_test(hits, probs):
    """z statistic of a sum of independent Bernoulli(probs) outcomes."""
    probs = np.asarray(probs)
    var = float(np.sum(probs * (1 - probs)))
    return (float(np.sum(hits)) - float(np.sum(probs))) / math.sqrt(var)


@pytest.mark.parametrize("carry", [False, True])
def test_cohort_decisions_match_exact_binomial(carry):
    """Given the selected dose, a cohort's P(active) is the rule's exact value at its response rate there.

    Without correlation, responses are independent of the toxicities that drove escalation, so even the
    escalation patients a cohort counts are Bernoulli(q) given the selection. Summing the exact
    probabilities over the opened arms gives the expected number of active decisions; the z statistic
    of the count is compared with 4.5 (two tests, one two-sided 1e-5 level each).
    """
    sc = ArmScenario("flat", SCEN.true_tox, (0.1, 0.15, 0.2, 0.25, 0.3), 0.0)
    arm = _arm(carry=carry)
    res = simulate_arm(arm, sc, 40_000, 3)
    sel = res.selected[res.opened].astype(int)
    for c, cohort in enumerate(arm.cohorts):
        b = cohort.boundaries
        exact = {d: exact_oc(b, sc.true_eff[d]) for d in set(sel.tolist())}
        p_active = np.array([exact[d].prob_active for d in sel])
        hits = res.decision[res.opened, c] == CohortDecision.ACTIVE
        assert abs(_z_test(hits, p_active)) < 4.5
        # counted patients: the rule's exact expected sample size
        en = np.array([exact[d].expected_n for d in sel])
        n = res.counted[res.opened, c].astype(float)
        se = n.std(ddof=1) / math.sqrt(n.size)
        assert abs(n.mean() - en.mean()) < 4.5 * se


def test_copula_joint_probabilities():
    """P(response) = q and P(DLT and response) = Phi_2(z_p, z_q; rho) among extension patients at a dose."""
    rng_p, q, rho = 0.3, 0.4, 0.5
    tk = np.uint64(trial_key(5, 77, 0))
    n = 200_000
    both = resp = tox = 0
    zq = _z(q)
    for i in range(n):
        u = latent_uniform(tk, i, STREAM_TOX)
        r = responds(u, latent_uniform(tk, i, STREAM_EFF), zq, q, rho)
        resp += r
        tox += u < rng_p
        both += r and u < rng_p
    joint = multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]]).cdf([ndtri(rng_p), ndtri(q)])
    for count, p in ((resp, q), (tox, rng_p), (both, joint)):
        se = math.sqrt(p * (1 - p) / n)
        assert abs(count / n - p) < 4.5 * se


def test_copula_decision_is_exact_near_the_threshold():
    """The cheap quantile decides only away from the threshold: on points built to lie within 1e-6 of it,
    the decision equals the one from scipy's quantile."""
    rng = np.random.default_rng(1)
    for rho in (-0.7, 0.2, 0.9):
        s = math.sqrt(1 - rho * rho)
        for _ in range(2000):
            u_t = rng.uniform(1e-9, 1 - 1e-9)
            q = rng.uniform(0.01, 0.99)
            zq = float(ndtri(q))
            z_e = (zq - rho * float(ndtri(u_t))) / s + rng.normal(0, 1e-6)
            u_e = float(0.5 * math.erfc(-z_e / math.sqrt(2)))
            if not 0 < u_e < 1:
                continue
            want = rho * float(ndtri(u_t)) + s * float(ndtri(u_e)) < zq
            assert responds(u_t, u_e, zq, q, rho) == want


def test_invariant_to_threads_chunks_and_blocks():
    arm = _arm(SafetyMonitor(limit=0.3, confidence=0.8))
    ref = simulate_arm(arm, SCEN, 3000, 9, threads=1, chunks=1)
    names = ["selected", "n_at_dose", "eff_at_dose", "decision", "new_n", "responses", "safety_stop", "look"]
    for kw in (dict(threads=2, chunks=5), dict(threads=1, chunks=3, block_trials=701)):
        other = simulate_arm(arm, SCEN, 3000, 9, **kw)
        for name in names:
            np.testing.assert_array_equal(getattr(ref, name), getattr(other, name), err_msg=name)
    tail = simulate_arm(arm, SCEN, 1000, 9, first_trial=2000)
    for name in names:
        np.testing.assert_array_equal(getattr(ref, name)[2000:], getattr(tail, name), err_msg=name)


def test_escalation_is_the_single_outcome_trial():
    """An arm's escalation is exactly the design's trial on the same patients (CRN with simulate_one)."""
    from dosefind import Scenario
    from dosefind.engine import simulate_one

    crm = Crm(target=0.3, n_doses=5, max_n=24, skeleton=(0.05, 0.12, 0.25, 0.4, 0.55))
    apb = APlusB(target=0.3, n_doses=5, a=2, b=4, c=1, d=1, e=2, expand_top_dose=False)
    for design in (BOIN, crm, apb):
        res = simulate_arm(_arm(design=design), SCEN, 2000, 4)
        one = simulate_one(design, Scenario(SCEN.name, SCEN.true_tox), 2000, 4)
        np.testing.assert_array_equal(res.selected, one.selected)
        np.testing.assert_array_equal(res.n_at_dose, one.n_at_dose)
        np.testing.assert_array_equal(res.tox_at_dose, one.tox_at_dose)


def test_response_table_path_equals_the_quantile_decision():
    """responds_tab (table bounds, quantiles only inside them) decides as responds, on uniform points and
    on points built to lie within 1e-9 of the threshold, for several response rates per table."""
    rng = np.random.default_rng(3)
    qs = np.array([0.0, 0.02, 0.3, 0.5, 0.77, 0.999, 1.0])
    for rho in (-0.8, -0.1, 0.3, 0.95):
        tab = response_table(qs, rho)
        assert tab.shape == (qs.size, RESPONSE_BINS + 1)
        s = math.sqrt(1 - rho * rho)
        for _ in range(4000):
            d = int(rng.integers(qs.size))
            q = float(qs[d])
            u_t = float(rng.uniform(0, 1))
            if 0 < q < 1 and rng.random() < 0.5:
                z_e = (float(ndtri(q)) - rho * float(ndtri(u_t))) / s + rng.normal(0, 1e-9)
                u_e = float(0.5 * math.erfc(-z_e / math.sqrt(2)))
            else:
                u_e = float(rng.uniform(0, 1))
            if not 0 < u_e < 1 or not 0 < u_t < 1:
                continue
            zq = float(ndtri(q)) if 0 < q < 1 else (math.inf if q >= 1 else -math.inf)
            assert responds_tab(u_t, u_e, tab, d, q, rho) == responds(u_t, u_e, zq, q, rho)
