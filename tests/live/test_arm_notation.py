"""Live arm decisions are the same whether the data come from a CSV file or from the outcome notation.

Simulated arms are rebuilt patient by patient as data files (``test_arm_live.rebuild_arm``: escalation
rows, then extension rows in the engine's enrolment order), read, written in the notation
(``TrialData.to_notation``, extension runs included) and read back: the live recommendation must be the
same from both, phase, selected dose, opening, every cohort's state and the safety monitor. For a
combination arm (BOIN for combinations breaks ties at random, with a uniform derived from the data's
content hash) the CSV file uses the notation's patient ids, so that both readings have the same hash.
"""

import numpy as np
import pytest

from dosefind.arm import Arm, ArmScenario, ExpansionCohort, SafetyMonitor, simulate_arm
from dosefind.designs import design_from_dict
from dosefind.extension import SimonRule
from dosefind.live.arm import ArmPhase, recommend_arm
from dosefind.outcomes import parse_outcomes, parse_trial_csv

from .test_arm_live import ARM, N_ARMS, SCENARIO, SEED, SMALL, _stopped_escalation, rebuild_arm

COMBO_ARM = Arm(
    design_from_dict(
        {
            "kind": "boin_comb",
            "target": 0.3,
            "max_n": 15,
            "cohort_size": 3,
            "grid": {"levels_a": ["1 mg", "2 mg"], "levels_b": ["10 mg", "20 mg", "40 mg"]},
        }
    ),
    (
        ExpansionCohort("BRAF V600", SimonRule(n1=4, r1=0, n=8, r=2), True),
        ExpansionCohort("histology", SimonRule(n1=3, r1=0, n=6, r=1), False),
    ),
    SafetyMonitor(limit=0.35, confidence=0.8),
    open_min_responses=1,
)
COMBO_SCENARIO = ArmScenario(
    "combo",
    (0.05, 0.12, 0.3, 0.12, 0.3, 0.5),
    (0.15, 0.25, 0.35, 0.25, 0.35, 0.45),
    0.3,
    (("histology", (0.1, 0.15, 0.2, 0.15, 0.2, 0.3)),),
)


def read_csv(text, arm, cells=False):
    d = arm.design
    return parse_trial_csv(
        text, d.doses, d.cohort_size, "sim.csv", cells=cells, expansion_cohorts=arm.cohort_names
    )


def read_notation(text, arm, cells=False):
    return parse_outcomes(text, arm.design.doses, cells=cells, expansion_cohorts=arm.cohort_names)


def same_decisions(a, b, data_a, data_b):
    """Everything the two recommendations decide, patient ids and file lines aside."""
    assert a.phase == b.phase
    assert a.selected == b.selected and a.opening == b.opening
    assert (a.responses_at_selected, a.pending_at_selected) == (
        b.responses_at_selected,
        b.pending_at_selected,
    )
    assert a.cohorts == b.cohorts
    assert a.next_dose == b.next_dose and a.headline() == b.headline()
    ea, eb = a.escalation, b.escalation
    assert (ea.next_dose, ea.decision, ea.status, ea.reason, ea.selected) == (
        eb.next_dose,
        eb.decision,
        eb.status,
        eb.reason,
        eb.selected,
    )
    assert ea.explanation == eb.explanation
    assert [(h.cohort.dose, h.design_next, h.followed) for h in ea.history] == [
        (h.cohort.dose, h.design_next, h.followed) for h in eb.history
    ]
    assert (a.safety is None) == (b.safety is None)
    if a.safety is not None:
        sa, sb = a.safety, b.safety
        assert (sa.n, sa.dlts, sa.stopped, sa.next_stop) == (sb.n, sb.dlts, sb.stopped, sb.next_stop)
        if sa.stopped:  # the same patient, by position in the extension
            ids_a = [p.patient_id for p in data_a.extension]
            ids_b = [p.patient_id for p in data_b.extension]
            assert ids_a.index(sa.stopped_after) == ids_b.index(sb.stopped_after)
    assert len(a.warnings) == len(b.warnings)


@pytest.fixture(scope="module")
def simulated():
    return simulate_arm(ARM, SCENARIO, N_ARMS, SEED)


def test_live_arm_decisions_from_csv_and_from_notation_agree(simulated):
    phases = set()
    for t in range(simulated.n_trials):
        text, _ = rebuild_arm(simulated, t)
        from_csv = read_csv(text, ARM)
        notation = from_csv.to_notation()
        from_notation = read_notation(notation, ARM)
        assert from_notation.to_notation() == notation
        assert from_notation.n_extension == from_csv.n_extension
        live_csv, live_notation = recommend_arm(ARM, from_csv), recommend_arm(ARM, from_notation)
        same_decisions(live_csv, live_notation, from_csv, from_notation)
        phases.add(live_csv.phase)
        # every patient's response is known here, so the notation is plain brockk-style letters
        assert "?" not in notation
    assert {ArmPhase.COMPLETE, ArmPhase.NOT_OPENED} <= phases


def _notation_csv(data, arm) -> str:
    """``data`` as a CSV file with the notation's patient ids and cohort labels (same content hash)."""
    rows = ["patient_id,phase,escalation_cohort,cohort,dose,dlt,response"]
    for p in data.patients:
        eff = "" if p.efficacy is None else int(p.efficacy)
        rows.append(f"{p.patient_id},escalation,{p.cohort},,{data.dose_labels[p.dose]},{int(p.dlt)},{eff}")
    for p in data.extension:
        eff = "" if p.efficacy is None else int(p.efficacy)
        rows.append(f"{p.patient_id},extension,,{p.expansion},{data.dose_labels[p.dose]},{int(p.dlt)},{eff}")
    return "\n".join(rows) + "\n"


def test_combination_arm_ties_are_broken_alike_from_csv_and_notation():
    res = simulate_arm(COMBO_ARM, COMBO_SCENARIO, 24, 11)
    tied = 0
    for t in range(res.n_trials):
        text, _ = rebuild_arm(res, t)
        notation = read_csv(text, COMBO_ARM, cells=True).to_notation()
        from_notation = read_notation(notation, COMBO_ARM, cells=True)
        from_csv = read_csv(_notation_csv(from_notation, COMBO_ARM), COMBO_ARM, cells=True)
        assert from_csv.escalation().content_hash == from_notation.escalation().content_hash
        assert from_csv.tie_uniforms() == from_notation.tie_uniforms()
        # every prefix of the escalation: the decisions of every meeting along the way
        for k in range(1, len(from_notation.cohorts) + 1):
            a = recommend_arm(COMBO_ARM, from_csv.escalation(k))
            b = recommend_arm(COMBO_ARM, from_notation.escalation(k))
            same_decisions(a, b, from_csv, from_notation)
            tied += bool(a.escalation.tie)
        same_decisions(
            recommend_arm(COMBO_ARM, from_csv),
            recommend_arm(COMBO_ARM, from_notation),
            from_csv,
            from_notation,
        )
    assert tied > 0  # the comparison covers decisions taken at random


def test_unknown_and_known_negative_responses_reach_the_arm():
    """The marks carry what a data file's response column says: empty (``?``) waits, 0 (``-``) counts."""
    d = SMALL.design
    pending = read_notation("1TEN 1NNN?", SMALL)  # one response known, one pending, two needed
    live = recommend_arm(SMALL, pending)
    assert live.phase == ArmPhase.AWAITING_RESPONSES and live.pending_at_selected == 1
    from_csv = read_csv(_stopped_escalation("010000", pending_last=True), SMALL)
    assert from_csv.to_notation() == "1TEN 1NNN?"
    same_decisions(live, recommend_arm(SMALL, from_csv), pending, from_csv)
    none = read_notation("1T-N-N- 1N-N-N-", SMALL)
    live = recommend_arm(SMALL, none)
    assert live.phase == ArmPhase.NOT_OPENED and "0 responses at dose 1, at least 2 needed" in live.opening
    assert none.to_notation() == "1T-N-N- 1N-N-N-"
    # without marks the same letters say nothing about responses: the arm waits
    assert recommend_arm(SMALL, read_notation("1TNN 1NNN", SMALL)).phase == ArmPhase.AWAITING_RESPONSES
    # an open extension: runs of both cohorts, in treatment order, with a pending response
    text = "1TEN 1NNB [B]1N [A]1EN [B]1N?"
    live = recommend_arm(SMALL, read_notation(text, SMALL))
    assert live.phase == ArmPhase.EXTENSION
    a, b = live.cohorts
    assert (a.new_patients, b.new_patients, b.pending) == (2, 2, 1)
    assert np.isclose(live.safety.n, 10) and live.safety.dlts == 2
    assert d.doses[live.selected] == "1"
