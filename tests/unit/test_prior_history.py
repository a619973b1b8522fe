"""Historical trial CSV files: every kind of bad input is one DataError naming the row, column and fix."""

import pytest

from dosefind.errors import DataError
from dosefind.prior import parse_history, read_history


def test_binary_file_parses():
    d = parse_history("study,n,r\nA,10,2\nB,20,5\n", "binary")
    assert d.studies == ("A", "B")
    assert d.n.tolist() == [10, 20] and d.r.tolist() == [2, 5]
    assert d.study_index.tolist() == [0, 1]
    assert len(d.sha256) == 64


def test_blrm_file_parses_with_comments_and_any_column_order():
    d = parse_history("# adult data\nn,r,dose,study\n3,0,1,A\n3,1,2,A\n6,1,2,B\n", "blrm")
    assert d.dose.tolist() == [1.0, 2.0, 2.0]
    assert d.study_index.tolist() == [0, 0, 1]


@pytest.mark.parametrize(
    "text, endpoint, words",
    [
        ("study,n,r\nA,3,5\n", "binary", ["row 2", "column r", "5 events but only 3 patients", "r <= n"]),
        ("study,n,r\nA,-3,0\n", "binary", ["row 2", "column n", "negative"]),
        ("study,n,r\nA,3.5,0\n", "binary", ["row 2", "column n", "not a whole number"]),
        ("study,n,r\nA,3,x\n", "binary", ["row 2", "column r", "not a number"]),
        ("study,n\nA,3\n", "binary", ["row 1", "missing column(s) r", "study,n,r"]),
        ("study,n,r,extra\nA,3,1,0\n", "binary", ["unknown column(s) extra"]),
        ("study,n,r\nA,3,1\nA,4,1\n", "binary", ["row 3", "study 'A' already appears in row 2"]),
        ("study,dose,n,r\nA,1,3,0\nA,1,3,1\n", "blrm", ["row 3", "at dose 1", "already appears in row 2"]),
        ("study,dose,n,r\nA,0,3,0\n", "blrm", ["row 2", "column dose", "not positive", "doses > 0"]),
        ("study,dose,n,r\nA,-2,3,0\n", "blrm", ["column dose", "not positive"]),
        ("study,n,r\nA,0,0\n", "binary", ["column n", "0 patients"]),
        ("study,n,r\n,3,0\n", "binary", ["column study", "empty study label"]),
        ("study,n,r\nA,3\n", "binary", ["row 2", "2 fields"]),
        ("study,n,r\n", "binary", ["a header but no rows"]),
        ("", "binary", ["no rows"]),
        ("study,n,r\nA,3,1\n", "poisson", ["endpoint 'poisson'"]),
    ],
)
def test_bad_input_is_one_line_naming_the_place_and_fix(text, endpoint, words):
    with pytest.raises(DataError) as e:
        parse_history(text, endpoint, source="hist.csv")
    msg = str(e.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg
    assert ";" in msg  # the fix follows the problem


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_history(tmp_path / "none.csv", "binary")


def test_bundled_examples_are_valid():
    assert len(read_history("examples/priors/as-placebo.csv", "binary").studies) == 8
    assert read_history("examples/priors/hist-sa.csv", "blrm").n.sum() == 18
