"""Platforms (engine/platform.py, dosefind.platforms): the kernel against a naive child-by-child oracle,
a platform of one arm against the arm's own timed simulation, allocation invariants (Hypothesis),
block/chunk invariance and one-line errors for bad platform files."""

from __future__ import annotations

import copy
import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dosefind.arm.simulate import simulate_arm
from dosefind.arm.spec import ArmScenario, arm_spec_from_dict
from dosefind.designs import RollingSix, TiteBoin, TiteCrm
from dosefind.engine.platform import (
    P_CLOSE,
    P_ESCALATION,
    P_EXT_OPEN,
    P_TO_SELECTED,
    Q_NOT_MATCHED,
    Q_SCREENED,
    Q_TREATED,
    Q_TRUNCATED,
)
from dosefind.errors import SpecError
from dosefind.platforms.simulate import collect
from dosefind.platforms.spec import (
    Platform,
    PlatformArm,
    PlatformScenario,
    Population,
    platform_spec_from_dict,
)
from dosefind.scenario.timing import Timing
from tests.platforms.oracle import oracle_platform

SIMON = {"rule": "simon", "p0": 0.1, "p1": 0.3, "alpha": 0.1, "beta": 0.1, "which": "minimax"}
BOIN = {"kind": "boin", "target": 0.25, "n_doses": 3, "cohort_size": 3, "max_n": 12}
TPT = {"kind": "three_plus_three", "n_doses": 3}
TOX = [0.05, 0.15, 0.35]
EFF = [0.15, 0.3, 0.4]


def _arm(name, design, *, carry=True, two=False, safety=False, **extra):
    cohorts = [{"name": "biomarker", **SIMON, "count_escalation": carry}]
    if two:
        bop2 = {"rule": "bop2", "p0": 0.1, "p1": 0.3, "n": 10, "looks": [5, 10], "alpha": 0.1}
        cohorts.append({"name": "histology", **bop2})
    arm = {
        "name": name,
        "design": dict(design),
        "cohorts": cohorts,
        "scenarios": [
            {"name": "s", "true_tox": TOX, "true_eff": EFF, "correlation": 0.3},
            {"name": "null", "true_tox": TOX, "true_eff": [0.1, 0.1, 0.1]},
        ],
        **extra,
    }
    if safety:
        arm["safety"] = {"limit": 0.25, "confidence": 0.7, "min_n": 3}
    return arm


def _platform(allocation="random", joint=False, rate=6.0, cohorts=False):
    data = {
        "platform": {"name": "test", "allocation": allocation},
        "timing": {"patients_per_month": rate, "dlt_window_days": 21, "response_days": 42},
        "population": {
            "histology": {"nb": 0.4, "glioma": 0.35, "other": 0.25},
            "age_group": {"child": 0.7, "adolescent": 0.3},
        },
        "arms": [
            _arm("A", BOIN, biomarkers=["ALK"], safety=True, two=True),
            _arm("B", TPT, biomarkers=["ALK", "MYCN"], histology=["nb", "glioma"], weight=2.0),
            _arm("C", BOIN, carry=False, opens_after="A", age_group=["child"]),
            _arm(
                "D",
                TPT,
                opens_day=200.0,
                histology=["other"],
                timing={"patients_per_month": 1, "dlt_window_days": 35},
            ),
        ],
        "scenarios": [{"name": "mixed", "arms": {"B": "null"}}],
    }
    if joint:
        data["population"]["profiles"] = [
            {"biomarkers": ["ALK"], "probability": 0.2},
            {"biomarkers": ["ALK", "MYCN"], "probability": 0.1},
            {"biomarkers": ["MYCN"], "probability": 0.25},
        ]
    else:
        data["population"]["biomarkers"] = {"ALK": 0.3, "MYCN": 0.35}
    if cohorts:  # arm A's Simon cohort admits only ALK + MYCN children; its BOP2 cohort nb or glioma
        data["arms"][0]["cohort_eligibility"] = {
            "biomarker": {"biomarkers": ["MYCN"]},
            "histology": {"histology": ["nb", "glioma"], "age_group": ["child"], "count_escalation": True},
        }
        data["arms"][1]["cohort_eligibility"] = {"biomarker": {"histology": ["glioma"]}}
    return platform_spec_from_dict(data)


def _compare(result, row, oracle):
    q = result.columns[row]
    assert q[Q_SCREENED] == oracle["screened"]
    assert q[Q_NOT_MATCHED] == oracle["not_matched"]
    assert q[Q_TREATED] == len(oracle["allocations"])
    assert q[Q_TRUNCATED] == 0
    for a, o in zip(result.arms, oracle["arms"], strict=True):
        assert a.selected[row] == o["selected"]
        assert a.n_at_dose[row].sum() == o["n_esc"]
        assert a.treated[row] == o["treated"]
        np.testing.assert_array_equal(a.time[row], o["time"])  # exact floats, nan where nan
        for k in ("counted", "responses", "decision", "look", "new_n", "tox"):
            np.testing.assert_array_equal(getattr(a, k)[row], o[k], err_msg=k)
        np.testing.assert_array_equal(a.cohort_day[row], o["cohort_day"])
        assert bool(a.safety_stop[row]) == o["safety_stop"]


@pytest.mark.parametrize("allocation", ["random", "priority", "least_enrolled", "probability"])
@pytest.mark.parametrize("joint", [False, True])
def test_kernel_equals_naive_oracle(allocation, joint):
    spec = _platform(allocation, joint)
    sc = spec.scenarios[0]
    res = collect(spec.platform, sc, 6, 11, first_trial=40)
    cum = []
    for row in range(6):
        o = oracle_platform(spec.platform, sc, 11, 40 + row)
        _compare(res, row, o)
        cum.append(np.cumsum(o["monthly"], axis=1))
    # children by calendar month: the sums of each platform's cumulative counts and of their squares
    np.testing.assert_array_equal(res.monthly[0], sum(cum))
    np.testing.assert_array_equal(res.monthly[1], sum(c * c for c in cum))
    assert res.monthly[0][-2, -1] == res.columns[:, Q_SCREENED].sum()  # every child by the last month


@pytest.mark.parametrize("allocation", ["random", "least_enrolled"])
@pytest.mark.parametrize("joint", [False, True])
def test_cohort_eligibility_equals_naive_oracle(allocation, joint):
    """Cohorts with their own eligibility (arm A: a Simon cohort for ALK + MYCN, a BOP2 cohort for nb or
    glioma children, both counting the escalation patients they admit; arm B's only cohort for glioma):
    the kernel equals the oracle on every output, and the rules bite: some escalation patients at the
    RP2D do not count in A's Simon cohort, and some count in both."""
    spec = _platform(allocation, joint, cohorts=True)
    sc = spec.scenarios[0]
    res = collect(spec.platform, sc, 12, 5, first_trial=7)
    for row in range(12):
        _compare(res, row, oracle_platform(spec.platform, sc, 5, 7 + row))
    a = res.arms[0]
    at_sel = np.array([a.n_at_dose[r, a.selected[r]] if a.selected[r] >= 0 else 0 for r in range(12)])
    opened = a.opened
    carried = a.counted[opened] - a.new_n[opened]
    assert np.any(carried[:, 0] < at_sel[opened])
    assert np.any(carried.sum(axis=1) > at_sel[opened])  # a patient counted in both cohorts


def _pending_platform(allocation="random", joint=False):
    """:func:`_platform` with arm A on rolling six, arm C (opening when A closes) on TITE-BOIN and arm D
    (opening on day 200) on TITE-CRM with a two-stage start and the safety stop, each with a DLT window of
    its own."""
    spec = _platform(allocation, joint)
    arms = []
    for a, design in zip(
        spec.platform.arms,
        (
            RollingSix(target=0.25, n_doses=3),
            None,
            TiteBoin(target=0.25, n_doses=3, max_n=12),
            TiteCrm(
                target=0.25,
                n_doses=3,
                skeleton=(0.08, 0.18, 0.32),
                max_n=12,
                x0=(1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 3),
                tgrp_days=14.0,
                safety_confidence=0.8,
                safety_threshold=0.3,
                safety_min_n=3,
            ),
        ),
        strict=True,
    ):
        if design is not None:
            a = dataclasses.replace(
                a,
                arm=dataclasses.replace(a.arm, design=design),
                timing=Timing(patients_per_month=2, dlt_window_days=35),
            )
        arms.append(a)
    return dataclasses.replace(spec, platform=dataclasses.replace(spec.platform, arms=tuple(arms)))


@pytest.mark.parametrize("allocation", ["random", "priority", "least_enrolled", "probability"])
def test_pending_arms_equal_naive_oracle(allocation):
    """Arms on rolling six, TITE-BOIN and TITE-CRM among a cohort arm, competing for children: the kernel
    equals the oracle (the rules written independently, tests/oracles.py) on every output; their
    escalations meet suspensions (a child turned to another arm or not matched while a window runs),
    the two-stage start's waits and stops decided for a child and at a cohort's end."""
    spec = _pending_platform(allocation, joint=allocation == "random")
    sc = spec.scenarios[0]
    res = collect(spec.platform, sc, 16, 21, first_trial=3)
    for row in range(16):
        _compare(res, row, oracle_platform(spec.platform, sc, 21, 3 + row))
    a, c, d = res.arms[0], res.arms[2], res.arms[3]
    assert np.all(a.n_at_dose <= 6) and np.all(a.n_at_dose.sum(axis=1) >= 1)
    assert np.any(c.n_at_dose.sum(axis=1) > 0) and np.any(d.n_at_dose.sum(axis=1) > 0)


def test_blocks_chunks_and_threads_change_nothing():
    for spec in (_platform(), _pending_platform()):
        sc = spec.scenarios[0]
        one = collect(spec.platform, sc, 40, 3)
        many = collect(spec.platform, sc, 40, 3, block_trials=7, chunks=3)
        np.testing.assert_array_equal(one.columns, many.columns)
        for a, b in zip(one.arms, many.arms, strict=True):
            for k in ("selected", "n_at_dose", "new_n", "decision", "time", "cohort_day", "treated"):
                np.testing.assert_array_equal(getattr(a, k), getattr(b, k))


def test_totals_balance_and_arms_take_what_their_rules_treat():
    spec = _platform("least_enrolled")
    res = collect(spec.platform, spec.scenarios[0], 300, 9)
    q = res.columns
    assert np.all(q[:, Q_SCREENED] == q[:, Q_TREATED] + q[:, Q_NOT_MATCHED])
    assert np.all(q[:, Q_TRUNCATED] == 0)
    total = sum(a.treated for a in res.arms)
    np.testing.assert_array_equal(total, q[:, Q_TREATED])
    for a in res.arms:
        np.testing.assert_array_equal(a.treated, a.n_at_dose.sum(axis=1) + a.new_n.sum(axis=1))
    # C opens when A closes; D on day 200 (or later: the first arrival after)
    assert np.all(res.arms[2].time[:, 0] == res.arms[0].time[:, P_CLOSE])
    assert np.all(res.arms[3].time[:, 0] == 200.0)
    assert np.all(res.arms[3].time[:, P_ESCALATION] > 200.0)


ONE_ARM = {
    "design": {"kind": "boin", "target": 0.25, "n_doses": 4, "cohort_size": 3, "max_n": 18},
    "cohorts": [
        {"name": "c1", **SIMON, "count_escalation": True},
        {"name": "c2", "rule": "bop2", "p0": 0.1, "p1": 0.3, "n": 12, "looks": [6, 12], "alpha": 0.1},
    ],
    "scenarios": [
        {
            "name": "s",
            "true_tox": [0.05, 0.1, 0.25, 0.4],
            "true_eff": [0.1, 0.2, 0.3, 0.4],
            "correlation": 0.2,
        }
    ],
}


@pytest.mark.parametrize("safety", [False, True])
def test_platform_of_one_arm_is_the_arms_timed_simulation(safety):
    """Arm 0's patients are the arm's own latent patients and child k arrives as the arm's arrival k, so
    escalation (decisions and its calendar) is the arm's trial for trial. The extension's children come
    from the platform's continuing stream, where the timed arm restarts its arrivals at the opening
    (arrival latent values EXT_BASE + j), so its days agree in distribution only (Poisson arrivals are
    memoryless): the paired difference of the arm's duration and of its safety stops is within 4 MCSE.
    Without the safety monitor each cohort's decisions do not depend on the clock: trial for trial."""
    raw = copy.deepcopy(ONE_ARM)
    if safety:
        raw["safety"] = {"limit": 0.25, "confidence": 0.7, "min_n": 3}
    spec = arm_spec_from_dict(raw)
    timing = Timing(patients_per_month=3, dlt_window_days=28, response_days=56)
    T = 1500
    arm_res = simulate_arm(spec.arm, spec.scenarios[0], T, 5, timing=timing)
    platform = Platform("one", (PlatformArm("A", spec.arm, spec.scenarios),), Population(), timing)
    plat = collect(platform, PlatformScenario("s", ("s",)), T, 5)
    p = plat.arms[0]
    for k in ("selected", "status", "reason", "n_at_dose", "tox_at_dose", "eff_at_dose"):
        np.testing.assert_array_equal(getattr(arm_res, k), getattr(p, k), err_msg=k)
    for a_col, p_col in ((1, P_ESCALATION), (5, P_TO_SELECTED), (2, P_EXT_OPEN)):
        np.testing.assert_array_equal(arm_res.time[:, a_col], p.time[:, p_col])
    if not safety:
        for k in ("counted", "responses", "decision", "look", "new_n", "tox"):
            np.testing.assert_array_equal(getattr(arm_res, k), getattr(p, k), err_msg=k)
        return
    for x, y in ((arm_res.time[:, 0], p.time[:, P_CLOSE]), (arm_res.safety_stop, p.safety_stop)):
        d = np.asarray(y, dtype=float) - np.asarray(x, dtype=float)
        se = d.std(ddof=1) / math.sqrt(T)
        assert se > 0
        assert abs(d.mean()) < 4 * se


TITE_CRM = {
    "kind": "tite_crm",
    "target": 0.25,
    "n_doses": 4,
    "max_n": 15,
    "skeleton_halfwidth": 0.06,
    "skeleton_nu": 2,
}
PENDING = {
    "TITE-CRM": TITE_CRM,
    "TITE-CRM, two-stage start and safety stop": {
        **TITE_CRM,
        "x0": [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4, 4, 4],
        "tgrp_days": 14.0,
        "safety_confidence": 0.8,
        "safety_threshold": 0.3,
        "safety_min_n": 3,
    },
    "rolling six": {"kind": "rolling_six", "target": 0.25, "n_doses": 4},
    "TITE-BOIN": {"kind": "tite_boin", "target": 0.25, "n_doses": 4, "cohort_size": 3, "max_n": 18},
    "TITE-BOIN with modifiers": {
        "kind": "tite_boin",
        "target": 0.25,
        "n_doses": 4,
        "cohort_size": 3,
        "max_n": 18,
        "modifiers": [
            {"kind": "stop_when_n_at_dose", "n": 9, "dose": "recommended"},
            {"kind": "stop_at_n", "n": 15},
        ],
    },
}


@pytest.mark.parametrize("name", list(PENDING))
def test_platform_of_one_pending_arm_is_the_arms_timed_simulation(name):
    """An arm whose design decides with pending patients escalates in the platform loop, child by child:
    in a platform of that one arm, open to every child, its escalation is the timed arm's (the design's
    event-driven trial, engine/tite.py) trial for trial: decisions, DLTs, responses, the day escalation
    ends and the day the first patient was treated at the selected dose, and so the day the extension
    opens. The scenarios span early stops (every dose too toxic) and max_n."""
    spec = arm_spec_from_dict(
        {
            **copy.deepcopy(ONE_ARM),
            "design": PENDING[name],
            "timing": {"patients_per_month": 3, "dlt_window_days": 28},
        }
    )
    timing = Timing(patients_per_month=3, dlt_window_days=28, response_days=56)
    T = 1200
    for tox in ([0.05, 0.1, 0.25, 0.4], [0.45, 0.55, 0.6, 0.7], [0.02, 0.04, 0.06, 0.1]):
        scen = ArmScenario("s", tuple(tox), (0.1, 0.2, 0.3, 0.4), 0.2)
        arm_res = simulate_arm(spec.arm, scen, T, 5, timing=timing)
        platform = Platform("one", (PlatformArm("A", spec.arm, (scen,)),), Population(), timing)
        plat = collect(platform, PlatformScenario("s", ("s",)), T, 5)
        p = plat.arms[0]
        for k in ("selected", "status", "reason", "n_at_dose", "tox_at_dose", "eff_at_dose"):
            np.testing.assert_array_equal(getattr(arm_res, k), getattr(p, k), err_msg=f"{tox} {k}")
        for a_col, p_col in ((1, P_ESCALATION), (5, P_TO_SELECTED), (2, P_EXT_OPEN)):
            np.testing.assert_array_equal(arm_res.time[:, a_col], p.time[:, p_col], err_msg=f"{tox} {p_col}")
        for k in ("counted", "responses", "decision", "look", "new_n", "tox"):
            np.testing.assert_array_equal(getattr(arm_res, k), getattr(p, k), err_msg=f"{tox} {k}")


@given(
    prev=st.lists(st.floats(0.05, 0.9), min_size=2, max_size=3),
    rule=st.sampled_from(["random", "priority", "least_enrolled", "probability"]),
    picks=st.lists(
        st.tuples(st.integers(0, 7), st.booleans(), st.floats(0.0, 120.0), st.integers(0, 7)),
        min_size=1,
        max_size=4,
    ),
    seed=st.integers(0, 2**31),
)
def test_allocation_respects_eligibility_and_free_slots(prev, rule, picks, seed):
    """Random platforms, some arms with cohorts of their own eligibility: the oracle asserts on every
    child that the arm it gets is eligible, open and has a free slot (in its extension, a cohort that
    admits the child); the kernel takes the same allocations (every output equal); totals balance."""
    names = [f"M{i}" for i in range(len(prev))]
    arms = []
    for i, (mask, child_only, day, cohort_mask) in enumerate(picks):
        chosen = [n for b, n in enumerate(names) if mask >> b & 1]
        extra = {"biomarkers": chosen, "opens_day": day}
        if child_only:
            extra["age_group"] = ["child"]
        own = [n for b, n in enumerate(names) if cohort_mask >> b & 1]
        if own:  # the second cohort takes only children with one of ``own``; the first, teens with none
            extra["cohort_eligibility"] = {"histology": {"biomarkers": own}}
            if not child_only:  # both cohorts have rules of their own: both may count escalation
                extra["cohort_eligibility"]["biomarker"] = {"age_group": ["teen"]}
                extra["cohort_eligibility"]["histology"]["count_escalation"] = cohort_mask % 2 == 1
        arms.append(_arm(f"arm{i}", BOIN if i % 2 == 0 else TPT, safety=i == 1, two=bool(own), **extra))
    data = {
        "platform": {"allocation": rule},
        "timing": {"patients_per_month": 8, "dlt_window_days": 14, "response_days": 28},
        "population": {
            "biomarkers": dict(zip(names, prev, strict=True)),
            "age_group": {"child": 0.6, "teen": 0.4},
        },
        "arms": arms,
    }
    spec = platform_spec_from_dict(data)
    sc = spec.scenarios[0]
    res = collect(spec.platform, sc, 2, seed % 1000)
    q = res.columns
    assert np.all(q[:, Q_SCREENED] == q[:, Q_TREATED] + q[:, Q_NOT_MATCHED])
    for row in range(2):
        _compare(res, row, oracle_platform(spec.platform, sc, seed % 1000, row))


def _error(data) -> SpecError:
    with pytest.raises(SpecError) as e:
        platform_spec_from_dict(data)
    assert "\n" not in str(e.value)
    return e.value


def _base():
    return {
        "timing": {"patients_per_month": 4, "dlt_window_days": 28},
        "population": {"biomarkers": {"ALK": 0.2, "NTRK": 0.0}, "histology": {"nb": 0.5, "other": 0.5}},
        "arms": [_arm("A", BOIN, biomarkers=["ALK"]), _arm("B", TPT)],
    }


def test_bad_platform_files_give_one_line_errors():
    d = _base()
    d["population"]["biomarkers"]["ALK"] = 1.5
    assert _error(d).field == "population.biomarkers.ALK"
    d = _base()
    d["arms"][1]["biomarkers"] = ["NTRK"]
    e = _error(d)
    assert e.field == "arms[1].biomarkers" and "no child can be eligible" in e.problem
    d = _base()
    d["population"]["histology"] = {"nb": 1.0, "other": 0.0}
    d["arms"][1]["histology"] = ["other"]
    assert _error(d).field == "arms[1].histology"
    d = _base()
    d["arms"][0]["opens_after"] = "B"
    d["arms"][1]["opens_after"] = "A"
    e = _error(d)
    assert "opens_after" in e.field and "cycle" in e.problem and "opens_day" in e.fix
    d = _base()
    d["arms"][1]["name"] = "A"
    e = _error(d)
    assert e.field == "arms[1].name" and "distinct" in e.fix
    d = _base()
    d["arms"][1]["opens_after"] = "Z"
    assert _error(d).field == "arms[1].opens_after"
    d = _base()
    d["timing"].update(suspension="wait", max_wait_days=7)
    assert _error(d).field == "timing.suspension"
    d = _base()
    d["arms"][0]["timing"] = {"patients_per_month": 2, "dlt_window_days": 28}
    d["arms"][0]["design"] = dict(BOIN, backfill={"cap": 6})  # arms run no backfill
    assert _error(d).field.startswith("arms[0].design")
    for design in (
        {"kind": "rolling_six", "target": 0.25, "n_doses": 3},
        {"kind": "tite_boin", "target": 0.25, "n_doses": 3, "max_n": 12},
        {"kind": "tite_crm", "target": 0.25, "n_doses": 3, "max_n": 12, "skeleton": [0.1, 0.2, 0.3]},
    ):
        d["arms"][0]["design"] = design
        platform_spec_from_dict(d)  # the designs that decide with pending patients run in platforms
    d = _base()
    d["population"]["biomarkers"]["ALK"] = -0.1
    assert _error(d).field == "population.biomarkers.ALK"
    d = _base()
    d["arms"][0]["biomarkers"] = ["KRAS"]
    assert _error(d).field == "arms[0].biomarkers"
    d = _base()
    d["arms"][0]["cohort_eligibility"] = {"simon": {"biomarkers": ["ALK"]}}
    e = _error(d)
    assert e.field == "arms[0].cohort_eligibility.simon" and "'biomarker'" in e.fix
    d = _base()
    d["arms"][0]["cohort_eligibility"] = {"biomarker": {"biomarkers": ["NTRK"]}}
    e = _error(d)
    assert e.field == "arms[0].cohort_eligibility.biomarker.biomarkers" and "no child" in e.problem
    d = _base()
    d["arms"][0]["histology"] = ["nb"]
    d["arms"][0]["cohort_eligibility"] = {"biomarker": {"histology": ["other"]}}
    assert _error(d).field == "arms[0].cohort_eligibility.biomarker.histology"
    d = _base()
    d["arms"][0]["cohort_eligibility"] = {"biomarker": {"sex": ["f"]}}
    assert "cohort_eligibility.biomarker" in _error(d).field
    d = _base()
    d["arms"][0]["cohort_eligibility"] = {"biomarker": {}}
    assert _error(d).field == "arms[0].cohort_eligibility.biomarker"
    d = _base()
    d["arms"][0]["cohort_eligibility"] = ["biomarker"]
    assert _error(d).field == "arms[0].cohort_eligibility"
    d = _base()  # two cohorts count escalation patients, one of them admits every child: refused
    d["arms"][0] = _arm("A", BOIN, biomarkers=["ALK"], two=True)
    d["arms"][0]["cohort_eligibility"] = {"histology": {"histology": ["nb"], "count_escalation": True}}
    e = _error(d)
    assert e.field == "arms[0].cohort_eligibility.biomarker" and "twice" in e.problem
    d["arms"][0]["cohort_eligibility"]["biomarker"] = {"histology": ["other"]}
    platform_spec_from_dict(d)  # both with rules of their own: accepted
    d["arms"][0]["cohort_eligibility"]["histology"]["count_escalation"] = "yes"
    assert _error(d).field == "arms[0].cohort_eligibility.histology.count_escalation"


def test_platform_sums_match_the_rows_and_do_not_depend_on_blocks():
    """The reduction's values and MCSEs equal numpy on the collected rows (means sd/sqrt(n), ddof 1;
    proportions sqrt(p(1-p)/n)), and blocks of 13 give the same rows as one block (days to 1e-12)."""
    from dosefind.platforms.oc import PlatformSums
    from dosefind.platforms.simulate import simulate_platform

    spec = _platform("probability")
    sc = spec.scenarios[0]
    res = collect(spec.platform, sc, 120, 4)
    one = PlatformSums(spec.platform, sc).add(res).rows()
    sums = PlatformSums(spec.platform, sc)
    simulate_platform(spec.platform, sc, 120, 4, on_block=sums.add, block_trials=13)
    many = sums.rows()
    assert [(r["arm"], r["level"], r["metric"]) for r in one] == [
        (r["arm"], r["level"], r["metric"]) for r in many
    ]
    for a, b in zip(one, many, strict=True):
        np.testing.assert_allclose([a["value"], a["mcse"]], [b["value"], b["mcse"]], rtol=1e-12, atol=1e-12)
    got = {(r["arm"], r["level"], r["metric"]): (r["value"], r["mcse"]) for r in one}
    T = 120
    x = res.columns[:, Q_SCREENED]
    np.testing.assert_allclose(
        got["", "", "mean_screened"], (x.mean(), x.std(ddof=1) / math.sqrt(T)), rtol=1e-12
    )
    arm = res.arms[0]
    d = arm.time[:, P_CLOSE] - arm.time[:, 0]
    np.testing.assert_allclose(
        got["A", "", "arm_duration_days"], (d.mean(), d.std(ddof=1) / math.sqrt(T)), rtol=1e-10
    )
    go = arm.decision[:, 0] == 1
    p = go.mean()
    np.testing.assert_allclose(got["A", "biomarker", "prob_go"], (p, math.sqrt(p * (1 - p) / T)), rtol=1e-12)
    opened = ~np.isnan(arm.time[:, P_EXT_OPEN])
    y = arm.cohort_day[opened, 1]
    n = opened.sum()
    np.testing.assert_allclose(
        got["A", "histology", "decision_day"], (y.mean(), y.std(ddof=1) / math.sqrt(n)), rtol=1e-10
    )
    # by calendar month: cumulative means never fall, and the last month reported holds every child
    for arm_name, metric, total in [
        (a.name, "matched_by_month", "mean_matched") for a in spec.platform.arms
    ] + [
        ("", "screened_by_month", "mean_screened"),
        ("", "not_matched_by_month", "mean_not_matched"),
    ]:
        levels = [r["level"] for r in one if (r["arm"], r["metric"]) == (arm_name, metric)]
        assert levels == [str(m) for m in range(1, len(levels) + 1)] and 12 < len(levels) < 120
        values = [got[arm_name, lv, metric][0] for lv in levels]
        assert all(b >= a for a, b in zip(values, values[1:], strict=False))
        np.testing.assert_allclose(got[arm_name, levels[-1], metric], got[arm_name, "", total], rtol=1e-12)
    # the spread: percentiles equal numpy's on the rows, within the sketch's bins (2^-11 of the value),
    # and the same from blocks of 13; their MCSE is half the distance between the order statistics at
    # T q -+ sqrt(T q (1 - q))
    days = {
        ("", "duration_days"): res.columns[:, 0],
        ("A", "rp2d_day"): arm.time[:, P_ESCALATION],
        ("A", "days_to_rp2d"): arm.time[:, P_ESCALATION] - arm.time[:, 0],
        ("C", "close_day"): res.arms[2].time[:, P_CLOSE],
    }
    for (name, metric), x in days.items():
        x = np.sort(x[~np.isnan(x)])
        assert x.size > 50
        for suffix, q in (("q10", 0.1), ("q50", 0.5), ("q90", 0.9)):
            value, mcse = got[name, "", f"{metric}_{suffix}"]
            assert abs(value - np.quantile(x, q)) <= 2.0**-11 * value, (name, metric, suffix)
            half = math.sqrt(x.size * q * (1 - q))
            lo = int(np.clip(math.floor(x.size * q - half), 0, x.size - 1))
            hi = int(np.clip(math.ceil(x.size * q + half), 0, x.size - 1))
            assert abs(mcse - (x[hi] - x[lo]) / 2) <= 2.0**-11 * x[hi], (name, metric, suffix)


def test_platform_spread_is_in_the_text_and_survives_a_sweep_part():
    """The text shows each arm's 10-90% range of the days to its RP2D; the day sums a sweep part stores
    (the time table of the unit store, read back with the platform's bins) give the same percentiles."""
    from dosefind.oc.calendar_sums import ColumnSums
    from dosefind.platforms.oc import PlatformStudyResult, PlatformSums
    from dosefind.platforms.text import oc_text
    from dosefind.sweep.units import add_arrays, add_terms, arrays_of, terms_of

    spec = _pending_platform()
    sc = spec.scenarios[0]
    res = collect(spec.platform, sc, 60, 8)
    sums = PlatformSums(spec.platform, sc).add(res)
    rows = sums.rows()
    text = oc_text(PlatformStudyResult(spec.platform, tuple(rows), {"n_trials": 60, "seed": 8}))
    lo = next(r for r in rows if (r["arm"], r["metric"]) == ("A", "days_to_rp2d_q10"))["value"]
    assert f"(10-90%: {lo:.0f}-" in text
    # through a part: terms and day sums out, rows of the stored form back in
    first, second = arrays_of("platform", sums)
    assert len(second.moments) == 0
    stored = ColumnSums.from_rows(first.to_rows())  # as the unit store reads it back
    again = PlatformSums(spec.platform, sc)
    add_terms("platform", again, terms_of("platform", sums))
    add_arrays("platform", again, (stored, second))
    assert again.rows() == rows


def test_arm_files_relative_to_the_platform_file(tmp_path):
    """An arm given as a file (here the bundled combination arm, a grid design) is read relative to the
    platform file; a scenario is picked by name; an unknown scenario name is a one-line error."""
    import shutil

    from dosefind.platforms import load_platform

    from ..conftest import ROOT

    shutil.copy(ROOT / "scenarios" / "arm-combo.toml", tmp_path / "combo.toml")
    text = """
[platform]
allocation = "priority"
[timing]
patients_per_month = 6
dlt_window_days = 28
[population]
biomarkers = { KRAS = 0.4 }
[[arms]]
name = "combo"
file = "combo.toml"
biomarkers = ["KRAS"]
[[arms]]
name = "mono"
[arms.design]
kind = "boin"
target = 0.3
n_doses = 3
max_n = 12
[[arms.cohorts]]
name = "c"
rule = "simon"
p0 = 0.1
p1 = 0.3
alpha = 0.1
beta = 0.1
which = "minimax"
[[arms.scenarios]]
name = "s"
true_tox = [0.05, 0.1, 0.3]
true_eff = [0.1, 0.2, 0.3]
[[scenarios]]
name = "S"
arms = { combo = "inactive" }
"""
    (tmp_path / "platform.toml").write_text(text, encoding="utf-8")
    spec = load_platform(tmp_path / "platform.toml")
    assert spec.platform.arms[0].file == "combo.toml"
    assert spec.scenarios[0].arm_scenarios == ("inactive", "s")
    sc = spec.scenarios[0]
    res = collect(spec.platform, sc, 4, 2)
    for row in range(4):
        _compare(res, row, oracle_platform(spec.platform, sc, 2, row))
    (tmp_path / "bad.toml").write_text(text.replace('"inactive"', '"nope"'), encoding="utf-8")
    with pytest.raises(SpecError) as e:
        load_platform(tmp_path / "bad.toml")
    assert "\n" not in str(e.value) and "scenarios[0].arms" in e.value.field and "nope" in e.value.problem


def test_common_random_numbers_across_platforms():
    """Platforms compared on the same seed and scenario see the same children, and an arm keeps its
    patients whatever the other arms do: dropping the last two arms leaves arm B's escalation and (no
    safety monitor) its cohorts' decisions unchanged trial for trial, while its days change (it shares
    the children with fewer arms). Arms are keyed by their place in the file: B moved to the first place
    gets other patients."""
    spec = _platform("random")
    full = spec.platform
    alone = Platform(full.name, full.arms[1:2], full.population, full.timing, full.allocation)
    first = Platform(full.name, full.arms[:2], full.population, full.timing, full.allocation)
    sc_full = PlatformScenario("mixed", ("s", "null", "s", "s"))
    sc_first = PlatformScenario("mixed", ("s", "null"))
    a = collect(full, sc_full, 200, 8)
    b = collect(first, sc_first, 200, 8)
    for k in ("selected", "n_at_dose", "tox_at_dose", "eff_at_dose", "counted", "responses", "decision"):
        np.testing.assert_array_equal(getattr(a.arms[1], k), getattr(b.arms[1], k), err_msg=k)
    assert not np.array_equal(a.arms[1].time[:, P_CLOSE], b.arms[1].time[:, P_CLOSE])
    c = collect(alone, PlatformScenario("mixed", ("null",)), 200, 8)
    assert not np.array_equal(c.arms[0].n_at_dose, a.arms[1].n_at_dose)
    assert np.all(a.columns[:, Q_SCREENED] >= 1)
