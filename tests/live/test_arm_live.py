"""Live recommendations for phase I/II arms.

The oracle: arms simulated by the engine (:func:`dosefind.arm.simulate_arm`) are rebuilt patient by
patient from their latent values (toxicity and efficacy streams, extension patient i of cohort c being
latent patient EXT_BASE * (c + 1) + i, responses from the engine's copula), written as a data file
(escalation rows, then extension rows in the engine's enrolment order) and given to the live arm
recommendation, which must reach the engine's selected dose, opening, cohort decisions, counts,
responses and safety stops, and must not have decided any cohort before the patient at which the engine
decided it.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy.special import ndtri

from dosefind import Boin
from dosefind.arm import Arm, ArmScenario, ExpansionCohort, SafetyMonitor, simulate_arm
from dosefind.constants import CohortDecision, Status
from dosefind.designs import design_from_dict
from dosefind.engine.arm import EXT_BASE
from dosefind.engine.copula import responds
from dosefind.engine.replay import DecisionContext
from dosefind.engine.rng import STREAM_DESIGN, STREAM_EFF, STREAM_TOX, latent_uniform, trial_key
from dosefind.errors import DataError
from dosefind.extension import SimonRule
from dosefind.live.arm import ArmPhase, recommend_arm
from dosefind.live.recommend import recommend
from dosefind.outcomes import parse_outcomes, parse_trial_csv
from dosefind.outcomes.trial import tie_uniform

DESIGN = Boin(target=0.3, n_doses=4, doses=("10 mg", "20 mg", "40 mg", "80 mg"), max_n=18, cohort_size=3)
ARM = Arm(
    DESIGN,
    (
        ExpansionCohort("biomarker", SimonRule(n1=6, r1=1, n=12, r=3), False),
        ExpansionCohort("histology", SimonRule(n1=5, r1=0, n=10, r=2), True),
    ),
    SafetyMonitor(limit=0.35, confidence=0.8),
    open_min_responses=1,
)
SCENARIO = ArmScenario(
    "oracle",
    (0.08, 0.18, 0.35, 0.5),
    (0.1, 0.25, 0.35, 0.45),
    0.3,
    (("biomarker", (0.1, 0.2, 0.3, 0.4)),),
)
SEED = 2024
N_ARMS = 48


def _z(q: float) -> float:
    return float(ndtri(q)) if 0 < q < 1 else (-math.inf if q <= 0 else math.inf)


def rebuild_arm(res, t: int) -> tuple[str, list[tuple[int, int]]]:
    """Arm t of ``res`` as a data file, from the latent values; and the (cohort, patient) enrolment order."""
    arm, sc = res.arm, res.scenario
    d = arm.design
    tk = np.uint64(trial_key(res.seed, sc.key, res.first_trial + t))  # a Python int would be typed int64
    ctx = DecisionContext(d)
    rows = ["patient_id,phase,escalation_cohort,cohort,dose,dlt,response"]
    cur, n, k = d.start_dose - 1, 0, 0
    while True:
        size = min(d.cohort_size, d.max_n - n)
        tox = 0
        for _ in range(size):
            u = latent_uniform(tk, n, STREAM_TOX)
            q = sc.true_eff[cur]
            r = responds(u, latent_uniform(tk, n, STREAM_EFF), _z(q), q, sc.correlation)
            rows.append(f"e{n},escalation,{k + 1},,{d.doses[cur]},{int(u < sc.true_tox[cur])},{int(r)}")
            tox += u < sc.true_tox[cur]
            n += 1
        step = ctx.treat(cur, size, tox, full=False, u_tie=latent_uniform(tk, k, STREAM_DESIGN))
        k += 1
        if step.status != Status.CONTINUE:
            break
        cur = step.next_dose
    # the reconstruction is the engine's escalation
    np.testing.assert_array_equal(ctx.n_at, res.n_at_dose[t])
    np.testing.assert_array_equal(ctx.tox_at, res.tox_at_dose[t])
    order = []
    sel = int(res.selected[t])
    new_n = res.new_n[t]
    for i in range(int(new_n.max(initial=0))):  # the engine enrols in turn across the open cohorts
        for c, cohort in enumerate(arm.cohorts):
            if i >= new_n[c]:
                continue
            j = EXT_BASE * (c + 1) + i
            u = latent_uniform(tk, j, STREAM_TOX)
            q = sc.response_of(cohort.name)[sel]
            r = responds(u, latent_uniform(tk, j, STREAM_EFF), _z(q), q, sc.correlation)
            rows.append(
                f"x{c}-{i},extension,,{cohort.name},{d.doses[sel]},{int(u < sc.true_tox[sel])},{int(r)}"
            )
            order.append((c, i))
    return "\n".join(rows) + "\n", order


def read(text: str, arm: Arm = ARM):
    return parse_trial_csv(
        text, arm.design.doses, arm.design.cohort_size, "sim.csv", expansion_cohorts=arm.cohort_names
    )


@pytest.fixture(scope="module")
def simulated():
    return simulate_arm(ARM, SCENARIO, N_ARMS, SEED)


def test_live_extension_agrees_with_the_engine(simulated):
    res = simulated
    for t in range(res.n_trials):
        text, order = rebuild_arm(res, t)
        data = read(text)
        live = recommend_arm(ARM, data)
        sel = int(res.selected[t])
        assert live.selected == (None if sel < 0 else sel), t
        assert live.phase != ArmPhase.ESCALATION, t
        if not res.opened[t]:
            assert live.phase in (ArmPhase.NO_DOSE, ArmPhase.NOT_OPENED), t
            assert (res.decision[t] == CohortDecision.NOT_OPENED).all()
            continue
        assert live.phase == ArmPhase.COMPLETE, t
        assert not live.warnings, (t, live.warnings)
        for c, state in enumerate(live.cohorts):
            assert state.decision == CohortDecision(int(res.decision[t, c])), (t, c)
            assert state.new_patients == res.new_n[t, c], (t, c)
            assert state.counted == res.counted[t, c], (t, c)
            assert state.responses == res.responses[t, c], (t, c)
            assert state.dlts == res.tox[t, c], (t, c)
            assert state.after_decision == 0 and state.pending == 0
            look = int(res.look[t, c])
            assert (state.decided_look.index if state.decided_look else -1) == look, (t, c)
        assert live.safety.stopped == bool(res.safety_stop[t]), t
        assert live.safety.n == res.n_at_dose[t, sel] + res.new_n[t].sum()
        assert live.safety.dlts == res.tox_at_dose[t, sel] + res.tox[t].sum()
        # no cohort decided earlier than in the engine: just before its last patient it still continues
        ext = data.extension
        for c in range(len(ARM.cohorts)):
            if res.new_n[t, c] == 0:
                continue
            last = max(i for i, (cc, _) in enumerate(order) if cc == c)
            before = recommend_arm(ARM, replace(data, extension=ext[:last]))
            assert before.phase == ArmPhase.EXTENSION, (t, c)
            assert before.cohorts[c].decision is None, (t, c)
            assert before.next_dose == ARM.design.doses[sel]


def test_the_oracle_sees_every_kind_of_outcome(simulated):
    """The comparison above covers safety stops, both rule decisions, cohorts decided from the escalation
    patients alone, unopened extensions and cohorts counting escalation patients."""
    res = simulated
    opened = res.opened
    assert (~opened).any() and opened.any()
    assert res.safety_stop.any() and not res.safety_stop[opened].all()
    dec = res.decision[opened]
    for kind in (CohortDecision.FUTILE, CohortDecision.ACTIVE, CohortDecision.SAFETY):
        assert (dec == kind).any(), kind
    carried = res.counted[:, 1] - res.new_n[:, 1]
    assert (carried[opened] > 0).any()
    assert ((res.new_n[:, 1] == 0) & opened).any()  # decided on escalation patients alone


def test_escalation_phase_follows_the_design_and_ignores_extension_rows():
    data = read("id,dose,dlt,response\n1,10 mg,0,0\n2,10 mg,0,1\n3,10 mg,0,0\n")
    live = recommend_arm(ARM, data)
    assert live.phase == ArmPhase.ESCALATION and live.next_dose == "20 mg"
    assert live.headline() == "escalation: escalate: next cohort at dose 20 mg"
    assert not live.cohorts and live.safety is None
    text = "id,phase,cohort,dose,dlt,response\n1,escalation,,10 mg,0,0\n2,extension,histology,10 mg,0,1\n"
    live = recommend_arm(ARM, read(text))
    assert live.phase == ArmPhase.ESCALATION
    assert any("not evaluated" in w for w in live.warnings)


def _stopped_escalation(responses: str, pending_last: bool = False) -> str:
    """Six patients at dose 1, the first with a DLT: BOIN stays after 1/3, then stops at max_n = 6 and
    selects dose 1."""
    rows = ["id,phase,cohort,dose,dlt,response"]
    for i, r in enumerate(responses):
        value = "" if (pending_last and i == len(responses) - 1) else r
        rows.append(f"e{i},escalation,,1,{int(i == 0)},{value}")
    return "\n".join(rows) + "\n"


SMALL = Arm(
    Boin(target=0.3, n_doses=2, max_n=6, cohort_size=3),
    (
        ExpansionCohort("A", SimonRule(n1=4, r1=0, n=8, r=2), True),
        ExpansionCohort("B", SimonRule(n1=3, r1=0, n=6, r=1), False),
    ),
    SafetyMonitor(limit=0.3, confidence=0.8),
    open_min_responses=2,
)


def small(text):
    return read(text, SMALL)


def test_opening_needs_the_responses_and_waits_for_unknown_ones():
    live = recommend_arm(SMALL, small(_stopped_escalation("100000")))
    assert live.phase == ArmPhase.NOT_OPENED and live.selected == 0
    assert "1 response at dose 1, at least 2 needed" in live.opening
    live = recommend_arm(SMALL, small(_stopped_escalation("100000", pending_last=True)))
    assert live.phase == ArmPhase.AWAITING_RESPONSES and live.next_dose is None
    assert live.pending_at_selected == 1
    live = recommend_arm(SMALL, small(_stopped_escalation("110000")))
    assert live.phase == ArmPhase.EXTENSION and live.next_dose == "1"
    a, b = live.cohorts
    # A counts the six escalation patients: look 1 at 4 (2 responses > r1 = 0) passed, 6 of 8 counted
    assert (a.escalation_counted, a.counted, a.responses, a.decision) == (6, 6, 2, None)
    assert a.next_look.n == 8 and a.next_look.final
    assert b.counted == 0 and b.next_look.n == 3
    assert b.next_look.words() == "stop for futility if <= 0 responses among the first 3"
    assert live.safety.n == 6 and live.safety.dlts == 1


def test_a_look_waits_only_for_responses_that_could_change_it():
    ext = "x1,extension,B,1,0,{}\nx2,extension,B,1,0,{}\nx3,extension,B,1,0,{}\n"
    base = _stopped_escalation("110000")
    # B's look at 3 stops for futility at 0 responses: 0 known and one unknown could go either way
    live = recommend_arm(SMALL, small(base + ext.format(0, "", 0)))
    b = live.cohorts[1]
    assert b.decision is None and b.waiting and b.pending == 1
    # one known response already rules futility out, whatever the unknown one is
    live = recommend_arm(SMALL, small(base + ext.format(1, "", 0)))
    b = live.cohorts[1]
    assert b.decision is None and not b.waiting and b.next_look.n == 6
    live = recommend_arm(SMALL, small(base + ext.format(0, 0, 0)))
    assert live.cohorts[1].decision == CohortDecision.FUTILE
    assert live.phase == ArmPhase.EXTENSION  # A continues


def test_safety_monitor_state_and_stop():
    base = _stopped_escalation("110000")
    live = recommend_arm(SMALL, small(base))
    table = SMALL.safety.table(20)
    boundary = int(np.flatnonzero(table[7, :8])[0])
    assert live.safety.next_stop == boundary
    # enough DLTs in the extension stop every open cohort
    rows = "".join(f"x{i},extension,{'AB'[i % 2]},1,1,0\n" for i in range(6))
    live = recommend_arm(SMALL, small(base + rows))
    assert live.safety.stopped
    assert all(c.decision in (CohortDecision.SAFETY, CohortDecision.FUTILE) for c in live.cohorts)
    assert live.phase == ArmPhase.COMPLETE and live.next_dose is None
    n_stop = next(n for n in range(7, 13) if table[n, 1 + (n - 6)] == 1)
    assert live.safety.stopped_after == f"x{n_stop - 7}"
    late = [w for w in live.warnings if "enrolled after" in w]
    assert len(late) == 6 - (n_stop - 6)


def test_extension_at_another_dose_is_a_data_error_naming_the_line():
    text = _stopped_escalation("110000") + "x1,extension,A,2,0,1\n"
    with pytest.raises(DataError, match=r"sim.csv, line 8, column 'dose': extension patient x1 .* dose 2"):
        recommend_arm(SMALL, small(text))


def test_notation_for_an_arm_reads_responses_only_when_e_or_b_appear():
    d = SMALL.design
    with_responses = parse_outcomes("1TEN 1NNB", d.doses, efficacy=True)
    live = recommend_arm(SMALL, with_responses)
    assert live.phase == ArmPhase.EXTENSION and live.responses_at_selected == 2
    unknown = parse_outcomes("1TNN 1NNN", d.doses, efficacy=True)
    assert not unknown.has_responses
    live = recommend_arm(SMALL, unknown)
    assert live.phase == ArmPhase.AWAITING_RESPONSES and live.pending_at_selected == 6


COMBO = design_from_dict(
    {
        "kind": "boin_comb",
        "target": 0.3,
        "max_n": 12,
        "cohort_size": 3,
        "grid": {"levels_a": ["1 mg", "2 mg", "4 mg"], "levels_b": ["10 mg", "20 mg"]},
    }
)


def test_combination_ties_use_a_uniform_from_the_data_hash():
    data = parse_outcomes("1.1NNN", COMBO.doses, cells=True)
    rec = recommend(COMBO, data)
    assert rec.u_tie == tie_uniform(data.content_hash)
    assert sorted(rec.tie) == [1, 2]  # cells 1.2 and 2.1 tie
    chosen = "2.1" if rec.u_tie < 0.5 else "1.2"
    assert rec.next_label == chosen
    assert any(
        "cells 2.1 and 1.2 tie (equal scores)" in line and f"chose {chosen}" in line
        for line in rec.explanation
    )
    again = recommend(COMBO, parse_outcomes("1.1nnn", COMBO.doses, cells=True))
    assert again.next_label == rec.next_label and again.u_tie == rec.u_tie
    d = rec.to_dict()
    assert d["u_tie"] == rec.u_tie and sorted(d["tie_candidates"]) == ["1.2", "2.1"]
    # a later meeting replays the earlier decision with the uniform that meeting saw
    later = recommend(COMBO, parse_outcomes(f"1.1NNN {chosen}NNN", COMBO.doses, cells=True))
    assert later.history[0].design_next == chosen and later.history[0].followed
    assert later.history[0].cohort.u_tie == rec.u_tie


def test_dose_paths_start_from_the_cell_recommend_chose():
    from dosefind.paths import dose_paths

    for text in ("1.1NNN", "1.1NTN", "1.1TTN", "1.1NNN 1.2NNN", "1.1NNN 2.1NNN"):
        data = parse_outcomes(text, COMBO.doses, cells=True)
        paths = dose_paths(COMBO, data, 1)
        assert paths.nodes[0].next_dose == recommend(COMBO, data).next_dose, text


def test_combination_arm_from_a_data_file_with_cells():
    arm = Arm(COMBO, (ExpansionCohort("all", SimonRule(n1=3, r1=0, n=6, r=1), True),), None, 0)
    rows = ["patient_id,phase,cohort,dose,dlt,response"]
    rows += [f"a{i},escalation,,1.1,0,0" for i in range(3)]
    rows += [f"b{i},escalation,,1.2,{int(i == 0)},{int(i == 1)}" for i in range(3)]
    text = "\n".join(rows) + "\n"
    data = parse_trial_csv(text, COMBO.doses, 3, "combo.csv", cells=True, expansion_cohorts=("all",))
    assert data.to_notation() == "1.1NNN 1.2TEN"
    live = recommend_arm(arm, data)
    assert live.phase == ArmPhase.ESCALATION
    assert live.escalation.next_label in ("1.2", "2.2", "1.1", "2.1")
