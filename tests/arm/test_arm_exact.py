"""Exact operating characteristics of arms (arm/exact.py, issue 17 item 1): against an independent
patient-by-patient enumeration (shares no code with the package: its own 3+3, looks, rounds, safety rule
and copula probability) to 1e-12, and against simulation within Monte Carlo error on the bundled arm file
and on arms that take every path (responses split by DLTs, a phase I/II escalation, no safety monitor,
no correlation, a threshold to open)."""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, stats

from dosefind.arm.exact import exact_arm_oc, exact_arm_spec
from dosefind.arm.oc import simulate_arm_spec
from dosefind.arm.spec import Arm, ArmScenario, ArmSpec, ExpansionCohort, SafetyMonitor, load_arm
from dosefind.designs import Boin, ThreePlusThree
from dosefind.designs.boin12 import Boin12
from dosefind.extension import SimonRule
from dosefind.oc.exact import exact_three_plus_three

ROOT = Path(__file__).resolve().parents[2]
#: |exact - simulated| <= Z * MCSE: with about 250 rows per comparison, P(any |z| > 4.5) is below 0.002
Z = 4.5


# ---------------------------------------------------------------------------------------------------
# the independent enumeration


def _both(p: float, q: float, rho: float) -> float:
    """P(DLT and response) of the Gaussian copula, integrated over the response's latent normal."""
    if p <= 0.0 or q <= 0.0:
        return 0.0
    if p >= 1.0 or q >= 1.0:
        return min(p, q)
    h, k, s = stats.norm.ppf(p), stats.norm.ppf(q), math.sqrt(1 - rho * rho)
    value, _ = integrate.quad(
        lambda z: stats.norm.pdf(z) * stats.norm.cdf((h - rho * z) / s),
        -np.inf,
        k,
        epsabs=1e-14,
        epsrel=1e-13,
    )
    return value


@cache
def _four(p: float, q: float, rho: float) -> dict:
    b = _both(p, q, rho)
    return {(1, 1): b, (1, 0): p - b, (0, 1): q - b, (0, 0): 1 - p - q + b}


def oracle(p, q, rho, coh_q, looks, safety_limit, safety_conf, safety_min_n, open_min):
    """Every metric of a 2-dose 3+3 arm (no de-escalation, top dose expanded) with cohort 0 counting the
    escalation patients at the selected dose: patient by patient, each patient's (DLT, response) drawn
    from the copula; ``looks[c]`` = [(n, futility, efficacy)]; safety: stop when P(rate > limit | Beta(1
    + y, 1 + n - y)) > conf with n >= min_n, after every new patient."""
    C = len(looks)
    out: dict = {}

    def add(key, value):
        out[key] = out.get(key, 0.0) + value

    def decide_look(c, count, resp, lk):
        if lk < len(looks[c]) and count == looks[c][lk][0]:
            if resp <= looks[c][lk][1]:
                return 2, lk  # futile
            if resp >= looks[c][lk][2]:
                return 1, lk  # active
            return -1, lk + 1
        return -1, lk

    @cache
    def stop(n, y):
        return n >= safety_min_n and stats.beta.sf(safety_limit, 1 + y, 1 + n - y) > safety_conf

    K = 6  # per cohort: active, futile, safety, counted, new patients, their DLTs; then stop, any active

    @cache
    def extension(state, ns, ys, c_next, s):
        """Expected metrics from here: state = per cohort (decision, count, resp, look)."""
        if all(st[0] >= 0 for st in state):
            return final(state, False)
        c = c_next
        while state[c][0] >= 0:  # the next open cohort in cohort order, a new round after the last
            c = (c + 1) % C
        total = np.zeros(K * C + 2)
        for (dlt, r), po in _four(p[s], coh_q[c][s], rho).items():
            dec, cnt, rsp, lk = state[c]
            cnt, rsp = cnt + 1, rsp + r
            dec, lk = decide_look(c, cnt, rsp, lk)
            st = list(state)
            st[c] = (dec, cnt, rsp, lk)
            here = np.zeros(K * C + 2)
            here[K * c + 4] += 1
            here[K * c + 5] += dlt
            if stop(ns + 1, ys + dlt):
                here += final(tuple((3 if d < 0 else d, n_, r_, k_) for d, n_, r_, k_ in st), True)
            else:
                here += extension(tuple(st), ns + 1, ys + dlt, (c + 1) % C, s)
            total += po * here
        return total

    def final(state, stopped):
        m = np.zeros(K * C + 2)
        for c, (dec, cnt, _r, _k) in enumerate(state):
            m[K * c + dec - 1] = 1.0  # 1 active, 2 futile, 3 safety
            m[K * c + 3] = cnt
        m[K * C] = stopped
        m[K * C + 1] = any(st[0] == 1 for st in state)
        return m

    # escalation, cohort by cohort: a cohort's 64 ordered outcomes grouped by what anything later reads
    # (its DLT count, and its responses in treatment order), states merged layer by layer
    @cache
    def cohort(d):
        four = _four(p[d], q[d], rho)
        out: dict = {}
        for outcome in np.ndindex(4, 4, 4):
            pats = [((k >> 1) & 1, k & 1) for k in outcome]  # (dlt, resp)
            key = (sum(t for t, _r in pats), tuple(r for _t, r in pats))
            out[key] = out.get(key, 0.0) + math.prod(four[pt] for pt in pats)
        return out

    def escalate():
        layer = {(0, (0, 0), (0, 0), ((), ())): 1.0}
        while layer:
            nxt: dict = {}
            for (d, n, y, seqs), prob in layer.items():
                for (k, resps), pr in cohort(d).items():
                    n2, y2, s2 = list(n), list(y), list(seqs)
                    n2[d] += 3
                    y2[d] += k
                    s2[d] += resps
                    state = (tuple(n2), tuple(y2), tuple(s2))
                    # 3+3 without de-escalation, 2 doses, the top dose expanded
                    if y2[d] >= 2:
                        end(d - 1, *state, prob * pr)
                        continue
                    if n2[d] == 3 and y2[d] == 0 and d == 0:
                        key = (1, *state)
                    elif n2[d] == 3:
                        key = (d, *state)
                    elif d == 0:
                        key = (1, *state)
                    else:
                        end(d, *state, prob * pr)
                        continue
                    nxt[key] = nxt.get(key, 0.0) + prob * pr
            layer = nxt

    def end(sel, n, y, seqs, prob):
        add("prob_select_none", prob * (sel < 0))
        for d in range(2):
            add(("prob_select", d), prob * (sel == d))
            add(("mean_n_at_dose", d), prob * n[d])
            add(("mean_tox_at_dose", d), prob * y[d])
            add(("mean_resp_at_dose", d), prob * sum(seqs[d]))
        if sel < 0:
            return
        carried = seqs[sel]
        if sum(carried) < open_min:
            return
        add("prob_open", prob)
        for c in range(C):
            add(("true_response_at_selected", c), prob * coh_q[c][sel])
        state = [(-1, 0, 0, 0) for _ in range(C)]
        dec, cnt, rsp, lk = state[0]
        for r in carried:  # cohort 0 counts the escalation patients at sel, in treatment order
            cnt, rsp = cnt + 1, rsp + r
            dec, lk = decide_look(0, cnt, rsp, lk)
            if dec >= 0:
                break
        state[0] = (dec, cnt, rsp, lk)
        m = extension(tuple(state), n[sel], y[sel], 0, sel)
        names = ("prob_active", "prob_futile", "prob_cohort_safety_stop", "mean_counted", "mean_new_n")
        for c in range(C):
            for j, name in enumerate(names + ("mean_cohort_tox",)):
                add((name, c), prob * m[K * c + j])
        add("prob_safety_stop", prob * m[K * C])
        add("prob_any_active", prob * m[K * C + 1])

    escalate()
    return out


@pytest.mark.parametrize(
    "n1, carry_looks",
    [
        (2, [(2, 0, 3), (5, 1, 2)]),  # looks at 2 and 5: one in each escalation cohort at the dose
        (4, [(4, 0, 5), (5, 1, 2)]),  # both looks inside the second cohort at the dose
    ],
)
def test_exact_arm_equals_an_independent_patient_by_patient_enumeration(n1, carry_looks):
    p, q, rho = (0.15, 0.35), (0.3, 0.5), 0.6
    coh_q = [(0.3, 0.5), (0.2, 0.45)]  # cohort 0 responds like escalation; cohort 1 its own rate
    # cohort 0: Simon n1 (stop if 0), n = 5 (active if >= 2), counting the escalation patients
    # cohort 1: Simon n1 = 3 (stop if 0), n = 4 (active if >= 2)
    arm = Arm(
        design=ThreePlusThree(n_doses=2, deescalation=False),
        cohorts=(
            ExpansionCohort("carry", SimonRule(n1=n1, r1=0, n=5, r=1), count_escalation=True),
            ExpansionCohort("new", SimonRule(n1=3, r1=0, n=4, r=1)),
        ),
        safety=SafetyMonitor(limit=0.3, confidence=0.7, min_n=3),
        open_min_responses=1,
        name="tiny",
    )
    looks = [
        [
            (int(n), int(f), int(e))
            for n, f, e in zip(c.boundaries.looks, c.boundaries.futility, c.boundaries.efficacy, strict=True)
        ]
        for c in arm.cohorts
    ]
    assert looks == [carry_looks, [(3, 0, 4), (4, 1, 2)]]  # the boundaries this test means
    scenario = ArmScenario("S", p, q, rho, (("new", coh_q[1]),))
    rows, cost = exact_arm_oc(arm, scenario)
    got = {(r["metric"], r["level"]): r["value"] for r in rows}
    ref = oracle(p, q, rho, coh_q, looks, 0.3, 0.7, 3, 1)
    names = ("carry", "new")
    labels = arm.design.doses
    for key, value in ref.items():
        if isinstance(key, tuple):
            metric, i = key
            level = (
                names[i]
                if metric not in ("prob_select", "mean_n_at_dose", "mean_tox_at_dose", "mean_resp_at_dose")
                else labels[i]
            )
            if metric == "true_response_at_selected":
                value /= ref["prob_open"]
            assert got[metric, level] == pytest.approx(value, abs=1e-10), (metric, level)
        else:
            assert got[key, ""] == pytest.approx(value, abs=1e-10), key
    # the escalation part against the independent 3+3 enumerator as well
    three = exact_three_plus_three(p, deescalation=False)
    for d, label in enumerate(labels):
        assert got["prob_select", label] == pytest.approx(three["prob_select"][d], abs=1e-12)
    # every cohort ends active, futile or stopped by safety when the extension opens
    for name in names:
        total = got["prob_active", name] + got["prob_futile", name] + got["prob_cohort_safety_stop", name]
        assert total == pytest.approx(got["prob_open", ""], abs=1e-12)
    assert 0.0 < got["prob_safety_stop", ""] < got["prob_open", ""]  # the monitor is exercised
    assert cost["states"] > 0


# ---------------------------------------------------------------------------------------------------
# against simulation


def _check_against_simulation(spec: ArmSpec, n_trials: int, seed: int) -> float:
    """Every row of the exact result within Z MCSE of a simulation; a proportion the simulation never (or
    always) saw is held to the binomial MCSE at the exact value, a mean the simulation saw constant to
    the chance of missing the rest. Returns the largest |z|."""
    exact = exact_arm_spec(spec)
    sim = simulate_arm_spec(spec, n_trials, seed)
    assert exact.provenance["method"] == "exact"
    worst = 0.0
    for e, s in zip(exact.rows, sim.rows, strict=True):
        assert (e["scenario"], e["metric"], e["level"]) == (s["scenario"], s["metric"], s["level"])
        assert e["mcse"] == 0.0
        if math.isnan(s["value"]):  # no simulated arm opened: nothing to compare with
            continue
        se = s["mcse"]
        if e["metric"].startswith("prob_") and e["metric"] != "prob_active_if_open":
            se = max(se, math.sqrt(max(e["value"] * (1 - e["value"]), 0.0) / n_trials))
        diff = abs(e["value"] - s["value"])
        if se == 0.0:
            # every simulated arm had the same value x0: a mean at distance d from x0 puts mass >= d / R
            # elsewhere (R: the largest count any metric has), which T arms all miss with probability
            # <= exp(-T d / R); held to 1e-4
            R = spec.arm.design.max_n + spec.arm.max_extension_n
            assert diff <= R * math.log(1e4) / n_trials, (e, s)
            continue
        z = diff / se
        worst = max(worst, z)
        assert z <= Z, (e["scenario"], e["metric"], e["level"], e["value"], s["value"], se)
    return worst


@pytest.mark.parametrize("name", ["arm-combo.toml", "arm-boin.toml"])
def test_the_bundled_arm_files_equal_simulation_within_mcse(name):
    """Every untimed arm file bundled (arm-paediatric-timed.toml runs in calendar time: refused)."""
    spec = load_arm(ROOT / "scenarios" / name)
    assert spec.timing is None
    _check_against_simulation(spec, 60_000, 11)


def _scenarios(D, rho, names=("escalation", "other")):
    tox = [(0.05, 0.12, 0.25, 0.4)[:D], (0.2, 0.35, 0.5, 0.6)[:D]]
    eff = [(0.15, 0.3, 0.45, 0.55)[:D], (0.1, 0.1, 0.12, 0.12)[:D]]
    other = [(0.2, 0.35, 0.5, 0.6)[:D], (0.05, 0.05, 0.1, 0.1)[:D]]
    return tuple(ArmScenario(f"s{i}", tox[i], eff[i], rho, ((names[1], other[i]),)) for i in range(len(tox)))


def _two_cohorts(carry_rule, other_rule):
    return (
        ExpansionCohort("escalation", carry_rule, count_escalation=True),
        ExpansionCohort("other", other_rule),
    )


def test_responses_split_by_dlts_with_a_safety_monitor_equal_simulation():
    """BOIN, correlation 0.5: the carrying cohort's looks at 4 and 9 patients fall among the escalation
    patients at the selected dose (their DLTs among the first 4 and 9 are carried); the safety monitor and
    a threshold of 2 responses to open."""
    arm = Arm(
        design=Boin(target=0.25, n_doses=4, max_n=18),
        cohorts=_two_cohorts(SimonRule(n1=4, r1=0, n=9, r=2), SimonRule(n1=5, r1=0, n=10, r=2)),
        safety=SafetyMonitor(limit=0.3, confidence=0.8, min_n=3),
        open_min_responses=2,
        name="split",
    )
    spec = ArmSpec(arm, _scenarios(4, 0.5))
    _check_against_simulation(spec, 60_000, 3)


def test_a_phase_one_two_escalation_equals_simulation():
    """BOIN12 decides on responses too: the states carry the responses among the first L patients."""
    arm = Arm(
        design=Boin12(target=0.3, target_eff=0.25, n_doses=3, max_n=12),
        cohorts=_two_cohorts(SimonRule(n1=3, r1=0, n=8, r=1), SimonRule(n1=4, r1=0, n=8, r=2)),
        safety=SafetyMonitor(limit=0.35, confidence=0.8, min_n=3),
        name="phase 1/2",
    )
    spec = ArmSpec(arm, _scenarios(3, 0.3))
    _check_against_simulation(spec, 60_000, 5)


def test_independent_cohorts_without_correlation_or_monitor_equal_simulation():
    """3+3, no correlation (nothing carried), no safety monitor (the cohorts are independent)."""
    arm = Arm(
        design=ThreePlusThree(n_doses=4),
        cohorts=_two_cohorts(SimonRule(n1=2, r1=0, n=7, r=1), SimonRule(n1=5, r1=0, n=9, r=1)),
        name="plain",
    )
    spec = ArmSpec(arm, _scenarios(4, 0.0))
    _check_against_simulation(spec, 60_000, 9)
