"""Trial data for two-drug grids (cells "j.k") and phase I/II arms (responses, extension patients)."""

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dosefind.designs.grid import DoseGrid
from dosefind.errors import DataError
from dosefind.outcomes import Phase, parse_outcomes, parse_trial_csv

GRID = DoseGrid(("1 mg", "2 mg"), ("10 mg", "20 mg", "40 mg"))
CELLS = GRID.cell_labels  # 1.1 1.2 1.3 2.1 2.2 2.3
COHORTS = ("BRAF V600", "histology")


def test_cell_notation_counts_indices_and_round_trip():
    t = parse_outcomes("1.1NNN 1.2ntn 2.2TNN", CELLS, cells=True)
    assert [c.dose for c in t.cohorts] == [0, 1, 4]  # c = j * K + k
    assert [CELLS[c.dose] for c in t.cohorts] == ["1.1", "1.2", "2.2"]
    n, y = t.counts()
    assert n.tolist() == [3, 3, 0, 0, 3, 0] and y.tolist() == [0, 1, 0, 0, 1, 0]
    assert t.cells and t.to_notation() == "1.1NNN 1.2NTN 2.2TNN"
    assert parse_outcomes(t.to_notation(), CELLS, cells=True) == t
    assert parse_outcomes("01.02N", CELLS, cells=True).to_notation() == "1.2N"
    assert parse_outcomes("", CELLS, cells=True).n_total == 0


@st.composite
def grid_trials(draw):
    J, K = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    letters = draw(st.sampled_from(["NT", "NTEB"]))
    cohorts = draw(
        st.lists(
            st.tuples(
                st.integers(1, J), st.integers(1, K), st.text(alphabet=letters, min_size=1, max_size=5)
            ),
            max_size=10,
        )
    )
    return J, K, letters, cohorts


@given(grid_trials())
def test_cell_notation_round_trip_property(case):
    J, K, letters, cohorts = case
    labels = tuple(f"{j}.{k}" for j in range(1, J + 1) for k in range(1, K + 1))
    text = " ".join(f"{j}.{k}{x}" for j, k, x in cohorts)
    efficacy = letters == "NTEB"
    data = parse_outcomes(text, labels, efficacy=efficacy, cells=True)
    assert data.to_notation() == text
    assert parse_outcomes(data.to_notation(), labels, efficacy=efficacy, cells=True) == data
    for (j, k, x), c in zip(cohorts, data.cohorts, strict=True):
        assert c.dose == (j - 1) * K + (k - 1)
        assert c.tox == x.count("T") + x.count("B")
    recorded = any(ch in "EB" for _, _, x in cohorts for ch in x)
    assert data.has_responses == recorded


@pytest.mark.parametrize(
    "text, cells, match",
    [
        ("2NNN", True, r"cohort 1 \('2NNN'\): name the cell as j.k \(drug A level, drug B level\)"),
        ("3.1NNN", True, "cell 3.1 does not exist; this grid has cells 1.1 to 2.3"),
        ("1.4N", True, "cell 1.4 does not exist"),
        ("1.1", True, "no patients"),
        ("1.1NXN", True, "'X' is not an outcome"),
        ("N1.1", True, "expected a cell j.k then one letter per patient, e.g. '2.1NTN'"),
        ("1.1NNN", False, "'1.1' is not a dose level .*write a whole level number 1 to 6"),
    ],
)
def test_cell_notation_errors(text, cells, match):
    with pytest.raises(DataError, match=match):
        parse_outcomes(text, CELLS, cells=cells)


def test_responses_in_the_notation_are_recorded_only_when_e_or_b_appear():
    t = parse_outcomes("1.1NEN 2.1BTN", CELLS, efficacy=True, cells=True)
    assert t.has_responses
    assert [p.efficacy for p in t.patients] == [False, True, False, True, False, False]
    assert [p.dlt for p in t.patients] == [False, False, False, True, True, False]
    assert t.to_notation() == "1.1NEN 2.1BTN"
    absent = parse_outcomes("1.1NNN 2.1TNN", CELLS, efficacy=True, cells=True)
    assert not absent.has_responses and all(p.efficacy is None for p in absent.patients)
    with pytest.raises(DataError, match="toxicity-only design"):
        parse_outcomes("1.1NEN", CELLS, cells=True)


def csv(text, **kw):
    kw.setdefault("cells", True)
    kw.setdefault("expansion_cohorts", COHORTS)
    return parse_trial_csv(text, CELLS, 3, "arm.csv", **kw)


ARM_CSV = (
    "patient_id,phase,cohort,dose,dlt,response,enrolled_date\n"
    "1,escalation,,1.1,0,0,2026-01-05\n"
    "2,escalation,,1.1,0,1,\n"
    "3,escalation,,1.1,0,,\n"
    "4,Escalation,,2.1,1,0,\n"
    "5,extension,BRAF V600,2.1,0,1,2026-03-01\n"
    "6,expansion,histology,2.1,1,,\n"
)


def test_arm_csv_with_cells_phases_cohorts_and_responses():
    t = csv(ARM_CSV)
    # the notation keeps the unknown responses ("?") and the extension runs
    assert t.cells and t.to_notation() == "1.1NEN? 2.1T [BRAF V600]2.1E [histology]2.1T?"
    assert [p.efficacy for p in t.patients] == [False, True, None, False]  # empty: not yet assessed
    assert [(p.expansion, p.dose, p.dlt, p.efficacy, p.line) for p in t.extension] == [
        ("BRAF V600", 3, False, True, 6),
        ("histology", 3, True, None, 7),
    ]
    assert [p.phase for p in t.extension] == [Phase.EXTENSION] * 2
    assert t.patients[0].phase == Phase.ESCALATION
    d = t.to_dict()
    assert d["extension"][0] == {
        "patient_id": "5",
        "expansion_cohort": "BRAF V600",
        "dose": "2.1",
        "dlt": False,
        "efficacy": True,
        "dates": {"enrolled_date": "2026-03-01"},
    }
    # the extension is part of the data's identity; the escalation part alone is not changed by it
    assert t.content_hash != t.escalation().content_hash
    assert replace(t, extension=()).content_hash == t.escalation().content_hash


def test_files_without_an_extension_keep_their_content_hash():
    plain = parse_trial_csv("id,dose,dlt\na,1.1,0\nb,1.1,1\n", CELLS, 3, "x.csv", cells=True)
    phased = csv("id,phase,dose,dlt\na,escalation,1.1,0\nb,escalation,1.1,1\n")
    assert plain.content_hash == phased.content_hash
    old = parse_trial_csv("id,dose,dlt\na,10 mg,0\n", ("10 mg", "20 mg"), 3, "x.csv")
    assert old.to_dict().keys() == {"dose_labels", "cohorts"}


def test_escalation_cohort_column_groups_escalation_patients():
    t = csv(
        "id,phase,escalation_cohort,cohort,dose,dlt,response\n"
        "a,escalation,1,,1.1,0,0\nb,escalation,1,,1.1,0,0\nc,escalation,2,,1.1,1,1\n"
        "d,extension,,histology,1.1,0,1\n"
    )
    assert t.to_notation() == "1.1NN 1.1B [histology]1.1E"
    # without a phase column, escalation_cohort is the ordinary cohort column
    t = parse_trial_csv("id,escalation_cohort,dose,dlt\na,x,1.1,0\nb,y,1.1,0\n", CELLS, 3, cells=True)
    assert t.to_notation() == "1.1N 1.1N"


@pytest.mark.parametrize(
    "text, match",
    [
        ("id,dose,dlt\na,2,0\n", r"arm.csv, line 2, column 'dose': '2' is not a cell; write the cell as j.k"),
        (
            "id,dose,dlt\na,3.1,0\n",
            r"line 2, column 'dose': unknown cell '3.1'; this grid has cells 1.1 to 2.3",
        ),
        ("id,dose,dlt\na,,0\n", r"line 2, column 'dose': empty dose; write the cell as j.k"),
        (
            "id,phase,dose,dlt\na,,1.1,0\n",
            r"line 2, column 'phase': empty phase; write escalation, extension or backfill",
        ),
        (
            "id,phase,dose,dlt\na,stage 2,1.1,0\n",
            r"'stage 2' is not a phase; write escalation, extension or backfill",
        ),
        (
            "id,phase,cohort,dose,dlt,response\na,extension,histology,1.1,0,1\nb,escalation,,1.1,0,1\n",
            r"line 3, column 'phase': an escalation patient after the extension started \(line 2\)",
        ),
        (
            "id,phase,cohort,dose,dlt\na,escalation,1,1.1,0\n",
            r"line 2, column 'cohort': '1' on an escalation row; .*'escalation_cohort'",
        ),
        (
            "id,phase,cohort,dose,dlt,response\na,extension,lung,1.1,0,1\n",
            r"line 2, column 'cohort': unknown expansion cohort 'lung'; the arm's cohorts are 'BRAF V600'",
        ),
        (
            "id,phase,cohort,dose,dlt,response\na,extension,,1.1,0,1\n",
            r"line 2, column 'cohort': empty expansion cohort; write one of the arm's cohorts",
        ),
        (
            "id,phase,dose,dlt,response\na,extension,1.1,0,1\n",
            r"line 2, column 'phase': an extension patient needs its expansion cohort; add a column 'cohort'",
        ),
        (
            "id,phase,cohort,dose,dlt\na,extension,histology,1.1,0\n",
            r"line 2, column 'phase': an extension patient needs a response; add a column 'response'",
        ),
        (
            "id,dose,dlt,response\na,1.1,0,maybe\n",
            r"line 2, column 'response': 'maybe' is not a response value; write 1/0",
        ),
        ("id,cohort,escalation_cohort,dose,dlt\na,1,1,1.1,0\n", r"line 1: columns 'cohort' and .* keep one"),
    ],
)
def test_arm_csv_errors_name_line_column_and_fix(text, match):
    with pytest.raises(DataError, match=match) as e:
        csv(text)
    assert str(e.value).startswith("arm.csv")


def test_extension_rows_need_an_arm():
    text = "id,phase,cohort,dose,dlt,response\na,extension,histology,1.1,0,1\n"
    with pytest.raises(
        DataError, match="extension patients belong to a phase I/II arm; give --design an arm"
    ):
        csv(text, expansion_cohorts=None)


def test_expansion_cohort_names_are_matched_ignoring_case():
    t = csv("id,phase,cohort,dose,dlt,response\na,extension,braf v600,1.1,0,1\n")
    assert t.extension[0].expansion == "BRAF V600"
