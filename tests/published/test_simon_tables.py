"""Simon's two-stage designs against published tables and documented reference output, through the
conformance check ``simon_tables`` (the rows and their sources: ``dosefind.conformance.reference``)."""

from dosefind.conformance.reference import SIMON_ROWS

from .test_r_reference import assert_check_passes


def test_search_reproduces_the_table_rows():
    assert_check_passes("simon_tables")


def test_rows_cover_both_criteria_and_the_usual_error_rates():
    kinds = {(r[2], r[3], r[4]) for r in SIMON_ROWS}
    for alpha in (0.05, 0.1):
        for beta in (0.1, 0.2):
            assert any((alpha, beta, w) in kinds for w in ("optimal", "minimax"))
    assert {r[4] for r in SIMON_ROWS if r[-1] != "CLINFUN_RUN"} == {"optimal", "minimax"}
