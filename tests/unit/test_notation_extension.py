"""The outcome notation for phase I/II arms: extension runs ``[name]dose letters``, response marks ``?``
(not yet assessed) and ``-`` (no response), errors with line and column, and round trips
TrialData -> notation -> TrialData (Hypothesis), also for data read from CSV files."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dosefind.errors import DataError
from dosefind.outcomes import Phase, parse_outcomes, parse_trial_csv
from dosefind.outcomes.trial import CohortData, Patient, TrialData

CELLS = ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3")
COHORTS = ("BRAF V600", "histology")


def arm(text, labels=CELLS, cells=True, names=COHORTS):
    return parse_outcomes(text, labels, cells=cells, expansion_cohorts=names)


def outcome_content(data: TrialData):
    """What the notation carries: cohorts (dose, DLT, response per patient) and the extension patients
    (expansion cohort, dose, DLT, response) in order."""
    return (
        tuple((c.dose, tuple((p.dlt, p.efficacy) for p in c.patients)) for c in data.cohorts),
        tuple((p.expansion, p.dose, p.dlt, p.efficacy) for p in data.extension),
    )


# ---- reading -------------------------------------------------------------------------------------------
def test_extension_runs_hold_the_arms_patients_in_order():
    t = arm("1.1NNN 2.1NEN [BRAF V600]2.1EN?N [histology]2.1T- [braf v600] 2.1b")
    assert [c.dose for c in t.cohorts] == [0, 3] and t.n_total == 6
    assert [p.patient_id for p in t.patients] == ["c1p1", "c1p2", "c1p3", "c2p1", "c2p2", "c2p3"]
    assert [(p.patient_id, p.expansion, p.dose, p.dlt, p.efficacy) for p in t.extension] == [
        ("x1", "BRAF V600", 3, False, True),
        ("x2", "BRAF V600", 3, False, None),
        ("x3", "BRAF V600", 3, False, False),
        ("x4", "histology", 3, True, False),
        ("x5", "BRAF V600", 3, True, True),  # names match ignoring case; a space after ] is allowed
    ]
    assert all(p.phase == Phase.EXTENSION and p.cohort is None for p in t.extension)
    assert all(p.phase == Phase.ESCALATION for p in t.patients)
    # escalation responses are recorded (E, B or a mark appears): N is "no response"
    assert [p.efficacy for p in t.patients] == [False, False, False, False, True, False]
    assert t.to_notation() == "1.1NNN 2.1NEN [BRAF V600]2.1EN?N [histology]2.1T [BRAF V600]2.1B"
    assert arm(t.to_notation()) == t


def test_response_marks():
    # no E, B or mark: every response is unknown (a toxicity-only history typed for an arm)
    assert all(p.efficacy is None for p in arm("1.1NNN 1.1TNN").patients)
    # "-": assessed, no response; with every response known and none positive the writer keeps the marks
    t = arm("1.1N-N-N- 1.1T-N-N-")
    assert [p.efficacy for p in t.patients] == [False] * 6 and t.has_responses
    assert t.to_notation() == "1.1N-N-N- 1.1T-N-N-"
    assert arm("1.1n-NN 1.1TNN").to_notation() == "1.1N-N-N- 1.1T-N-N-"  # one mark records them all
    # "?": not yet assessed, the others known
    t = arm("1.1NN?T? 1.2E")
    assert [(p.dlt, p.efficacy) for p in t.patients] == [
        (False, False),
        (False, None),
        (True, None),
        (False, True),
    ]
    assert t.to_notation() == "1.1NN?T? 1.2E"
    # an extension alone can record the responses of the escalation
    t = arm("1.1NNN [histology]1.1N?")
    assert [p.efficacy for p in t.patients] == [False] * 3 and t.extension[0].efficacy is None


def test_toxicity_only_notation_is_unchanged():
    t = parse_outcomes("1NNN 2NTN", 3)
    assert t.to_notation() == "1NNN 2NTN" and not t.extension
    assert parse_outcomes("1NEN 2T", 3, efficacy=True).to_notation() == "1NEN 2T"


def test_names_with_brackets_and_backslashes_round_trip():
    names = ("cohort [a]", "back\\slash")
    t = arm(r"1.1NEN [cohort [a\]]1.1E [back\\slash]1.1N", names=names)
    assert [p.expansion for p in t.extension] == ["cohort [a]", "back\\slash"]
    assert t.to_notation() == r"1.1NEN [cohort [a\]]1.1E [back\\slash]1.1N"
    assert arm(t.to_notation(), names=names) == t


def test_several_lines():
    t = arm("1.1NNN\n2.1NEN\n[histology]2.1EE\n[BRAF V600]2.1N")
    assert t.to_notation() == "1.1NNN 2.1NEN [histology]2.1EE [BRAF V600]2.1N"


# ---- errors: line, column and the fix -------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, match",
    [
        ("1.1NNN 1.1NXN", r"line 1, column 12, cohort 2 \('1.1NXN'\): 'X' is not an outcome"),
        ("1.1NNN\n  2.1N?X", r"line 2, column 8, cohort 2 \('2.1N\?X'\): 'X' is not an outcome"),
        ("1.1E?", r"line 1, column 5, cohort 1 \('1.1E\?'\): 'E\?' contradicts itself"),
        ("1.1?N", r"line 1, column 4, .*'\?' must follow an outcome letter N or T"),
        ("1.1N?-", r"line 1, column 6, .*a second response mark"),
        ("[histology]2.1N 1.1NNN", r"line 1, column 17, cohort 1 \('1.1NNN'\): an escalation cohort after "),
        ("1.1NNN [lung]1.1N", r"line 1, column 9, extension run 1 \('\[lung\]1.1N'\): unknown expansion "),
        (
            "1.1NNN [histology",
            r"line 1, column 8: '\[' opens an expansion cohort's name that is never closed",
        ),
        ("1.1NNN [histology]", r"line 1, column 8, extension run 1 .*: no dose after \[histology\]"),
        ("1.1NNN [histology]3.1N", r"line 1, column 19, extension run 1 .*: cell 3.1 does not exist"),
        ("1.1NNN\n[histology]1.1", r"line 2, column 12, extension run 1 .*: no patients"),
        ("1.1NNN []1.1N", r"line 1, column 9, .*empty expansion cohort name"),
    ],
)
def test_errors_give_line_and_column(text, match):
    with pytest.raises(DataError, match=match):
        arm(text)


def test_marks_and_runs_need_phase_one_two_data():
    with pytest.raises(DataError, match=r"line 1, column 5, .*'\?' marks a response .* toxicity-only design"):
        parse_outcomes("1NNN?", 3)
    with pytest.raises(
        DataError, match="extension patients belong to a phase I/II arm; give --design an arm"
    ):
        parse_outcomes("1NNN [a]1N", 3)
    with pytest.raises(
        DataError, match="need the arm's expansion cohorts to be named; pass expansion_cohorts"
    ):
        parse_outcomes("1NNN [a]1N", 3, efficacy=True)


# ---- round trips ----------------------------------------------------------------------------------------
_STATES = st.sampled_from(
    [(False, None), (True, None), (False, False), (True, False), (False, True), (True, True)]
)


@st.composite
def arm_data(draw):
    """Trial data as the notation builds it: escalation cohorts, then extension patients of random
    expansion cohorts at random doses; responses absent, or a mix of known and not yet assessed."""
    cells = draw(st.booleans())
    labels = CELLS if cells else ("10 mg", "20 mg", "40 mg")
    names = draw(st.sampled_from([COHORTS, ("A",), ("a]b", "c\\d", "e f")]))
    recorded = draw(st.booleans())
    state = _STATES if recorded else st.sampled_from([(False, None), (True, None)])
    cohorts = []
    for k, (dose, states) in enumerate(
        draw(
            st.lists(
                st.tuples(st.integers(0, len(labels) - 1), st.lists(state, min_size=1, max_size=4)),
                max_size=6,
            )
        ),
        start=1,
    ):
        patients = tuple(
            Patient(f"c{k}p{i}", dose, dlt, str(k), eff) for i, (dlt, eff) in enumerate(states, start=1)
        )
        cohorts.append(CohortData(dose, patients))
    ext = draw(
        st.lists(st.tuples(st.sampled_from(names), st.integers(0, len(labels) - 1), state), max_size=8)
    )
    extension = tuple(
        Patient(f"x{i}", dose, dlt, None, eff, expansion=name)
        for i, (name, dose, (dlt, eff)) in enumerate(ext, 1)
    )
    return TrialData(labels, tuple(cohorts), "notation", cells, extension), names


@given(arm_data())
def test_trial_data_to_notation_and_back(case):
    data, names = case
    text = data.to_notation()
    back = parse_outcomes(text, data.dose_labels, cells=data.cells, expansion_cohorts=names)
    assert back == data
    assert back.to_notation() == text
    assert back.content_hash == data.content_hash


def _csv(data: TrialData) -> str:
    """The data as an arm's CSV file, with file-style patient ids and escalation cohort labels."""
    rows = ["patient_id,phase,escalation_cohort,cohort,dose,dlt,response"]
    for k, c in enumerate(data.cohorts, start=1):
        for i, p in enumerate(c.patients):
            eff = "" if p.efficacy is None else int(p.efficacy)
            rows.append(f"P{k:02d}{i},escalation,C{k},,{data.dose_labels[p.dose]},{int(p.dlt)},{eff}")
    for i, p in enumerate(data.extension):
        eff = "" if p.efficacy is None else int(p.efficacy)
        name = '"' + p.expansion.replace('"', '""') + '"'
        rows.append(f"E{i},extension,,{name},{data.dose_labels[p.dose]},{int(p.dlt)},{eff}")
    return "\n".join(rows) + "\n"


@given(arm_data())
def test_csv_data_survive_the_notation(case):
    data, names = case
    if not data.cohorts and not data.extension:
        return
    from_csv = parse_trial_csv(
        _csv(data), data.dose_labels, 3, "arm.csv", cells=data.cells, expansion_cohorts=names
    )
    assert outcome_content(from_csv) == outcome_content(data)
    back = parse_outcomes(from_csv.to_notation(), data.dose_labels, cells=data.cells, expansion_cohorts=names)
    assert outcome_content(back) == outcome_content(from_csv)
    assert back.to_notation() == from_csv.to_notation() == data.to_notation()
