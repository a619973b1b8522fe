"""Operating-characteristic definitions and their Monte Carlo standard errors."""

import numpy as np
import pytest

from dosefind import Boin, Scenario, Status
from dosefind.engine import SimResult
from dosefind.oc import correct_doses, operating_characteristics


def test_correct_doses_closest_and_band():
    np.testing.assert_array_equal(correct_doses([0.1, 0.26, 0.34, 0.5], 0.3), [False, True, True, False])
    np.testing.assert_array_equal(correct_doses([0.1, 0.2, 0.33, 0.5], 0.3, 0.1), [False, True, True, False])
    # nothing within the band: the closest counts
    np.testing.assert_array_equal(correct_doses([0.5, 0.6], 0.3, 0.05), [True, False])


def _result(selected, n_at, tox_at, status):
    d = Boin(target=0.3, n_doses=3, max_n=9)
    s = Scenario("s", (0.1, 0.3, 0.5))
    return SimResult(
        d,
        s,
        1,
        np.asarray(selected, np.int16),
        np.asarray(n_at, np.int16),
        np.asarray(tox_at, np.int16),
        np.asarray(status, np.int8),
        np.zeros(len(selected), np.int8),
    )


def test_values_and_mcse_by_hand():
    res = _result(
        selected=[1, 1, 2, -1],
        n_at=[[3, 6, 0], [3, 3, 3], [3, 3, 3], [3, 0, 0]],
        tox_at=[[0, 2, 0], [0, 1, 2], [1, 0, 1], [3, 0, 0]],
        status=[Status.STOP_SELECT, Status.STOP_SELECT, Status.STOP_SELECT, Status.STOP_NO_DOSE],
    )
    oc = operating_characteristics(res)
    v, se = oc.values, oc.mcse
    assert v["prob_select"] == [0.0, 0.5, 0.25]
    assert se["prob_select"][1] == pytest.approx(np.sqrt(0.25 / 4))
    assert v["prob_select_none"] == 0.25 and v["prob_early_stop"] == 0.25
    assert v["pcs"] == 0.5  # dose 2 (p = 0.3) is correct
    assert v["prob_select_above_mtd"] == 0.25
    assert v["mean_n"] == pytest.approx(30 / 4)
    assert se["mean_n"] == pytest.approx(np.std([9, 9, 9, 3], ddof=1) / 2)
    assert v["prop_treated_above_mtd"] == pytest.approx((0 + 3 / 9 + 3 / 9 + 0) / 4)
    assert v["prob_stop_before_max_n"] == 0.25
    rows = oc.tidy()
    assert {r["metric"] for r in rows} >= {"prob_select", "pcs", "mean_n_at_dose"}
    assert all(set(r) == {"design", "scenario", "dose", "metric", "value", "mcse"} for r in rows)
