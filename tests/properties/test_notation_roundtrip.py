"""Outcome notation round trip: any trial written in notation reads back to the same cohorts and counts."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dosefind.outcomes import parse_outcomes, parse_trial_csv


@st.composite
def trials(draw):
    D = draw(st.integers(1, 9))
    cohorts = draw(
        st.lists(st.tuples(st.integers(1, D), st.text(alphabet="NT", min_size=1, max_size=6)), max_size=12)
    )
    return D, cohorts


@given(trials())
def test_notation_round_trip(case):
    D, cohorts = case
    text = " ".join(f"{d}{letters}" for d, letters in cohorts)
    data = parse_outcomes(text, D)
    assert data.to_notation() == text
    assert parse_outcomes(data.to_notation(), D) == data
    n_at, tox_at = data.counts()
    expected_n = np.zeros(D, dtype=int)
    expected_y = np.zeros(D, dtype=int)
    for d, letters in cohorts:
        expected_n[d - 1] += len(letters)
        expected_y[d - 1] += letters.count("T")
    np.testing.assert_array_equal(n_at, expected_n)
    np.testing.assert_array_equal(tox_at, expected_y)


@given(trials())
def test_csv_with_cohort_column_reads_the_same_trial(case):
    D, cohorts = case
    if not cohorts:
        return
    rows = ["patient_id,cohort,dose,dlt"]
    for k, (d, letters) in enumerate(cohorts, start=1):
        rows += [f"p{k}-{i},{k},{d},{int(ch == 'T')}" for i, ch in enumerate(letters)]
    data = parse_trial_csv("\n".join(rows) + "\n", tuple(str(i + 1) for i in range(D)), 3)
    assert data.to_notation() == " ".join(f"{d}{letters}" for d, letters in cohorts)
