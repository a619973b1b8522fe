"""Outcome notation and trial data files: parsing, round trips and the error messages."""

import pytest

from dosefind.errors import DataError
from dosefind.outcomes import parse_outcomes, parse_trial_csv, read_trial_csv

LABELS = ("10 mg", "20 mg", "40 mg")


def test_notation_counts_and_round_trip():
    t = parse_outcomes("1NNN 2ntn  2NNN", 4)
    n, y = t.counts()
    assert n.tolist() == [3, 6, 0, 0] and y.tolist() == [0, 1, 0, 0]
    assert t.to_notation() == "1NNN 2NTN 2NNN"
    assert [c.dose for c in t.cohorts] == [0, 1, 1]
    assert parse_outcomes(t.to_notation(), 4) == t
    assert parse_outcomes("", 4).n_total == 0


def test_notation_efficacy_letters_reserved():
    with pytest.raises(DataError, match="efficacy"):
        parse_outcomes("1NEN", 3)
    t = parse_outcomes("1NEB 2T", 3, efficacy=True)
    assert t.to_notation() == "1NEB 2T"
    assert t.counts()[1].tolist() == [1, 1, 0]


@pytest.mark.parametrize(
    "text, match",
    [
        ("4NNN", "dose level 4 does not exist; this design has levels 1 to 3"),
        ("0NNN", "dose level 0"),
        ("1NXN", "'X' is not an outcome"),
        ("NNN", "expected a dose level"),
        ("1", "no patients"),
        ("1NN,2NN", "expected a dose level"),
    ],
)
def test_notation_errors_name_the_cohort(text, match):
    with pytest.raises(DataError, match=match) as e:
        parse_outcomes(text, 3)
    assert "cohort 1" in str(e.value)


def csv(text, labels=LABELS, size=3):
    return parse_trial_csv(text, labels, size, "arm.csv")


def test_csv_splits_runs_into_cohorts_of_the_design_size():
    t = csv(
        "patient_id,dose,dlt\n"
        + "".join(f"p{i},10 mg,0\n" for i in range(4))
        + "p9,20 mg,yes\np10,20 mg,No\n"
    )
    assert t.to_notation() == "1NNN 1N 2TN"
    assert t.source == "arm.csv"


def test_csv_cohort_column_aliases_dates_and_level_numbers():
    t = parse_trial_csv(
        "Subject,Dose Level,Toxicity,Cohort,enrolled_date,Response,site\n"
        "a,1,0,A,2026-01-05,1,x\n"
        "b,1,1,A,2026-01-06,0,x\n"
        "c,2,0,B,,,y\n"
        "d,2,n,B,2026-02-01,,y\n",
        ("1", "2", "3"),
        3,
        "arm.csv",
        efficacy=True,
    )
    # c and d have no response yet: "?" keeps them unknown (plain "NN" would read back as "no response")
    assert t.to_notation() == "1ET 2N?N?"
    assert t.patients[0].dates == (("enrolled_date", "2026-01-05"),)


def test_csv_numeric_labels_must_be_written_as_labels():
    labels = ("10", "20", "40")
    with pytest.raises(DataError, match="unknown dose '2'"):
        csv("id,dose,dlt\na,2,0\n", labels)
    assert csv("id,dose,dlt\na,20,0\n", labels).cohorts[0].dose == 1


@pytest.mark.parametrize(
    "text, match",
    [
        ("", "the file is empty"),
        ("  \n", "the file is empty"),
        ("patient_id,dose,dlt\n", "no patient rows"),
        ("patient_id,dose\na,10 mg\n", "missing column 'dlt'"),
        ("id,dlt\na,0\n", "missing column 'dose'"),
        ("patient_id,dose,dlt\na,30 mg,0\n", r"line 2, column 'dose': unknown dose '30 mg'"),
        ("patient_id,dose,dlt\na,10 mg,2\n", r"line 2, column 'dlt': '2' is not a DLT value; write 1/0"),
        ("patient_id,dose,dlt\na,10 mg,\n", "empty DLT value.*DLT window"),
        ("patient_id,dose,dlt\na,10 mg,0\na,10 mg,1\n", "line 3.*'a' already appears on line 2"),
        ("patient_id,dose,dlt\n,10 mg,0\n", "empty patient id"),
        ("id,dose,dlt,cohort\na,10 mg,0,1\nb,20 mg,0,1\n", "cohort '1' is spread over doses 10 mg"),
        ("id,dose,dlt,cohort\na,10 mg,0,\n", "empty cohort"),
        ("id,dose,dlt,start_date\na,10 mg,0,05/01/2026\n", "not a date; write YYYY-MM-DD"),
        ("id,patient,dose,dlt\na,b,10 mg,0\n", "all mean 'patient_id'"),
    ],
)
def test_csv_errors_name_line_column_and_fix(text, match):
    with pytest.raises(DataError, match=match) as e:
        csv(text)
    assert str(e.value).startswith("arm.csv")


def test_read_trial_csv_file_errors(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_trial_csv(tmp_path / "nope.csv", LABELS, 3)
    p = tmp_path / "latin1.csv"
    p.write_bytes("patient_id,dose,dlt\n\xe9,10 mg,0\n".encode("latin-1"))
    with pytest.raises(DataError, match="UTF-8"):
        read_trial_csv(p, LABELS, 3)
    p.write_text("\ufeffpatient_id;dose;dlt\na;10 mg;0\n", encoding="utf-8")  # BOM and semicolons
    assert read_trial_csv(p, LABELS, 3).to_notation() == "1N"


def test_content_hash_identifies_the_data():
    a = parse_outcomes("1NNN 2NTN", 3)
    assert a.content_hash == parse_outcomes("1nnn 2ntn", 3).content_hash
    assert a.content_hash != parse_outcomes("1NNN 2NNT", 3).content_hash


def test_prefix_hashes_equal_the_content_hash_of_each_prefix(tmp_path):
    """tie_uniforms hashes every prefix of the data in one pass; each must equal the content hash of the
    first k cohorts (the decisions recorded in meetings depend on them)."""
    from dosefind.outcomes import parse_outcomes, read_trial_csv
    from dosefind.specfile import load_design, load_spec

    cases = [parse_outcomes("1NNN 2NNT 2NNN 3TTN 2NN", ("a", "b", "c"))]
    unicode = tmp_path / "u.csv"
    unicode.write_text(
        "patient_id,cohort,dose,dlt\nZoë-1,1,a,0\nJosé-2,1,a,1\n李-3,2,b,0\n", encoding="utf-8"
    )
    cases.append(read_trial_csv(unicode, ("a", "b"), 2))
    arm = load_design("examples/meeting/arm-a.toml")[0]
    cases.append(read_trial_csv("examples/meeting/arm-a.csv", arm.doses, arm.cohort_size))
    tite = load_design("examples/designs/tite-boin.toml")[0]
    cases.append(read_trial_csv("examples/designs/tite-boin-trial.csv", tite.doses, tite.cohort_size))
    bf = load_spec("scenarios/bf-boin.toml").designs[-1]
    cases.append(
        read_trial_csv("examples/designs/bf-boin-trial.csv", bf.doses, bf.cohort_size, efficacy=True)
    )
    for data in cases:
        expected = [data.escalation(k + 1).content_hash for k in range(len(data.cohorts))]
        assert data.prefix_hashes() == expected
        assert len(expected) == len(data.cohorts) > 1
