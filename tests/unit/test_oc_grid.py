"""Overdosing metrics on two-drug grids ("above the MTD" by true DLT probability), by hand, and the
single-agent definition (doses above the highest correct dose) unchanged."""

import numpy as np
import pytest

from dosefind import Boin, Scenario, Status
from dosefind.designs import BoinComb, PoCrm
from dosefind.designs.grid import DoseGrid
from dosefind.engine import SimResult, simulate_one
from dosefind.oc import correct_doses, operating_characteristics
from dosefind.oc.metrics import doses_above_mtd, included_doses, no_acceptable_dose
from dosefind.oc.paired import per_trial_metrics

GRID = DoseGrid(levels_a=("1", "2"), levels_b=("1", "2", "3"))  # cells 1.1 1.2 1.3 2.1 2.2 2.3
COMB = BoinComb(target=0.3, grid=GRID, max_n=18)


def _result(design, true_tox, selected, n_at, status=None):
    n_at = np.asarray(n_at, np.int16)
    if status is None:
        status = [Status.STOP_SELECT if s >= 0 else Status.STOP_NO_DOSE for s in selected]
    return SimResult(
        design,
        Scenario("s", tuple(true_tox)),
        1,
        np.asarray(selected, np.int16),
        n_at,
        np.zeros_like(n_at),
        np.asarray(status, np.int8),
        np.zeros(len(selected), np.int8),
    )


# true DLT probabilities, row-major: 1.1 1.2 1.3 / 2.1 2.2 2.3
TRUTH = (0.10, 0.20, 0.30, 0.15, 0.40, 0.55)


def test_grid_cells_above_the_mtd_by_hand():
    # no band: the correct cell is 1.3 (p = 0.30); cells above it are 2.2 and 2.3 (p > 0.30). Cell 2.1 has a
    # higher index than 1.3 but p = 0.15: not above
    np.testing.assert_array_equal(doses_above_mtd(COMB, TRUTH), [0, 0, 0, 0, 1, 1])
    # band 0.1: correct 1.2, 1.3, 2.2 (|p - 0.3| <= 0.1); above: p > 0.4, only 2.3
    np.testing.assert_array_equal(correct_doses(TRUTH, 0.3, 0.1), [0, 1, 1, 0, 1, 0])
    np.testing.assert_array_equal(doses_above_mtd(COMB, TRUTH, 0.1), [0, 0, 0, 0, 0, 1])
    # the closest cell above the target (1.3, p = 0.36) is correct, so not above the MTD itself
    closest_above = (0.05, 0.10, 0.36, 0.08, 0.20, 0.50)
    np.testing.assert_array_equal(correct_doses(closest_above, 0.3), [0, 0, 1, 0, 0, 0])
    np.testing.assert_array_equal(doses_above_mtd(COMB, closest_above), [0, 0, 0, 0, 0, 1])
    # two correct cells straddling the target (0.2 and 0.4): only cells above 0.4
    straddle = (0.05, 0.20, 0.45, 0.10, 0.40, 0.60)
    np.testing.assert_array_equal(correct_doses(straddle, 0.3), [0, 1, 0, 0, 1, 0])
    np.testing.assert_array_equal(doses_above_mtd(COMB, straddle), [0, 0, 1, 0, 0, 1])


def test_grid_overdose_metrics_by_hand():
    res = _result(
        COMB,
        TRUTH,
        selected=[2, 3, 4, -1],  # 1.3 (correct), 2.1 (below), 2.2 (above), none
        n_at=[
            [3, 3, 6, 0, 0, 0],  # nobody above
            [3, 3, 3, 6, 3, 0],  # 3 of 18 at 2.2
            [3, 0, 0, 3, 6, 3],  # 9 of 15 at 2.2 and 2.3
            [3, 0, 0, 0, 0, 0],
        ],
    )
    v, se = operating_characteristics(res).values, operating_characteristics(res).mcse
    assert v["pcs"] == 0.25
    assert v["prob_select_above_mtd"] == 0.25  # the old index rule (index > 2) said 0.5
    assert se["prob_select_above_mtd"] == pytest.approx(np.sqrt(0.25 * 0.75 / 4), rel=1e-15)
    per_trial = np.array([0.0, 3 / 18, 9 / 15, 0.0])
    assert v["prop_treated_above_mtd"] == pytest.approx(per_trial.mean(), rel=1e-15)
    assert se["prop_treated_above_mtd"] == pytest.approx(per_trial.std(ddof=1) / 2, rel=1e-13)
    # with band 0.1 only 2.3 is above: trial 3 has 3 of 15 there, and 2.2 (selected) is correct
    v = operating_characteristics(res, acceptable_band=0.1).values
    assert v["pcs"] == 0.5 and v["prob_select_above_mtd"] == 0.0
    assert v["prop_treated_above_mtd"] == pytest.approx((3 / 15) / 4, rel=1e-15)


def test_excluded_cells_are_never_correct():
    """An excluded cell no trial can select is not 'correct' even when its truth is exactly the target:
    the closest included cells are (here 1.2 and 2.1 at 0.25 and 0.35, equally close)."""
    grid = DoseGrid(levels_a=("1", "2"), levels_b=("1", "2", "3"), excluded=("1.3", "2.3"))
    design = BoinComb(target=0.3, grid=grid, max_n=18)
    truth = (0.10, 0.25, 0.30, 0.35, 0.50, 0.60)
    inc = included_doses(design)
    np.testing.assert_array_equal(inc, [True, True, False, True, True, False])
    np.testing.assert_array_equal(correct_doses(truth, 0.3, None, inc), [0, 1, 0, 1, 0, 0])
    np.testing.assert_array_equal(correct_doses(truth, 0.3), [0, 0, 1, 0, 0, 0])  # without the mask
    np.testing.assert_array_equal(correct_doses(truth, 0.3, 0.06, inc), [0, 1, 0, 1, 0, 0])
    # above the MTD: more toxic than every correct (included) cell
    np.testing.assert_array_equal(doses_above_mtd(design, truth), [0, 0, 0, 0, 1, 1])
    res = _result(design, truth, [1, 1, 3, 4, -1], [[3, 6, 0, 3, 0, 0]] * 5)
    v = operating_characteristics(res).values
    assert v["pcs"] == pytest.approx(3 / 5)
    assert v["prob_select_above_mtd"] == pytest.approx(1 / 5)
    m = per_trial_metrics(res)
    np.testing.assert_array_equal(m["correct_selection"], [1, 1, 1, 0, 0])
    assert included_doses(Boin(target=0.3, n_doses=4, max_n=12)).all()


def test_grid_definition_for_pocrm_and_simulated_trials():
    """Any combination design (here PO-CRM) uses the grid definition; on simulated trials the metrics are
    the per-trial indicators of the mask."""
    design = PoCrm(target=0.3, grid=GRID, max_n=18, skeleton=(0.05, 0.1, 0.2, 0.3, 0.4, 0.5))
    scen = Scenario("s", TRUTH)
    res = simulate_one(design, scen, 400, seed=5)
    v = operating_characteristics(res).values
    above = np.array([0, 0, 0, 0, 1, 1], dtype=bool)
    sel = res.selected.astype(int)
    assert v["prob_select_above_mtd"] == np.mean((sel >= 0) & above[np.maximum(sel, 0)])
    n_at = res.n_at_dose.astype(float)
    expected = (n_at[:, 4] + n_at[:, 5]) / np.maximum(n_at.sum(axis=1), 1)
    assert v["prop_treated_above_mtd"] == pytest.approx(expected.mean(), rel=1e-14)
    assert 0 < v["prob_select_above_mtd"] < 1 and 0 < v["prop_treated_above_mtd"] < 1
    # the per-trial values behind paired comparisons and sweeps use the same mask
    m = per_trial_metrics(res)
    np.testing.assert_array_equal(m["select_above_mtd"], (sel >= 0) & above[np.maximum(sel, 0)])
    np.testing.assert_array_equal(m["n_above_mtd"], n_at[:, 4] + n_at[:, 5])


# ---- single agent: the highest correct dose is the MTD, exactly as before -------------------------------
def _old_overdose_metrics(res, band):
    """The single-agent definition as it stood (oc.metrics before grids were handled), with the later
    rule for a scenario where no dose is acceptable: every dose is then above the MTD (mtd = -1)."""
    correct = correct_doses(res.scenario.true_tox, res.design.target, band)
    mtd = int(np.flatnonzero(correct).max())
    if no_acceptable_dose(res.scenario.true_tox, res.design.target, band):
        mtd = -1
    sel = res.selected.astype(np.int64)
    n_at = res.n_at_dose.astype(np.float64)
    above = n_at[:, mtd + 1 :].sum(axis=1) / np.maximum(n_at.sum(axis=1), 1)
    return float(np.mean(sel > mtd)), float(np.mean(above)), float(np.std(above, ddof=1) / np.sqrt(len(sel)))


@pytest.mark.parametrize(
    "curve",
    [
        (0.05, 0.12, 0.25, 0.33, 0.5),
        (0.05, 0.3, 0.3, 0.45, 0.6),  # flat: two correct doses
        (0.2, 0.4, 0.3, 0.1, 0.5),  # not monotone: dose order still decides
        (0.5, 0.6, 0.7, 0.8, 0.9),  # every dose too toxic: every dose above the (absent) MTD
        (0.38, 0.6, 0.7, 0.8, 0.9),  # too toxic only for the narrower bands
    ],
)
@pytest.mark.parametrize("band", [None, 0.05, 0.1])
def test_single_agent_overdose_metrics_unchanged(curve, band):
    rng = np.random.default_rng(11)
    design = Boin(target=0.3, n_doses=5, max_n=30)
    T = 200
    res = _result(design, curve, rng.integers(-1, 5, T), rng.integers(0, 7, (T, 5)))
    v = operating_characteristics(res, band).values
    mcse = operating_characteristics(res, band).mcse
    select, treated, treated_se = _old_overdose_metrics(res, band)
    assert v["prob_select_above_mtd"] == select
    # the mean of the fractions is now summed exactly (oc.sums); numpy's float sum differs in the last bits
    assert v["prop_treated_above_mtd"] == pytest.approx(treated, rel=1e-14, abs=1e-300)
    assert mcse["prop_treated_above_mtd"] == pytest.approx(treated_se, rel=1e-13, abs=1e-300)


def test_single_agent_mask_is_dose_order():
    design = Boin(target=0.3, n_doses=5, max_n=30)
    # not monotone: the highest correct dose is 3 (p = 0.3); dose 4 (p = 0.1) is above it in dose order
    np.testing.assert_array_equal(doses_above_mtd(design, (0.2, 0.4, 0.3, 0.1, 0.5)), [0, 0, 0, 1, 1])
    # non-decreasing curves: the grid rule (p above every correct dose) picks the same doses
    for curve in [(0.05, 0.3, 0.3, 0.45, 0.6), (0.05, 0.2, 0.4, 0.45, 0.6), (0.4, 0.5, 0.6, 0.7, 0.8)]:
        p = np.asarray(curve)
        grid_rule = p > p[correct_doses(p, 0.3)].max()
        np.testing.assert_array_equal(doses_above_mtd(design, curve), grid_rule)


def test_when_no_dose_is_acceptable_stopping_is_the_correct_answer():
    """Every dose far above the target: PCS is P(no dose selected) (a CRM that treats 36 patients at
    the lowest of doses with DLT probability 1 used to score PCS 100%); the benchmark, which always
    selects a dose, scores 0; with a band, 'far' is the band, else NO_DOSE_MARGIN."""
    from dosefind.oc.benchmark import benchmark_for
    from dosefind.oc.metrics import NO_DOSE_MARGIN, correct_selection

    design = Boin(target=0.3, n_doses=5, max_n=30)
    rng = np.random.default_rng(3)
    sel = rng.integers(-1, 5, 300)
    res = _result(design, (1.0,) * 5, sel, rng.integers(0, 7, (300, 5)))
    v = operating_characteristics(res).values
    assert v["pcs"] == np.mean(sel < 0) and 0 < v["pcs"] < 1
    assert v["prob_select_above_mtd"] == np.mean(sel >= 0)
    assert no_acceptable_dose((0.3 + NO_DOSE_MARGIN + 0.01,) * 3, 0.3)
    assert not no_acceptable_dose((0.3 + NO_DOSE_MARGIN - 0.01, 0.9), 0.3)
    assert no_acceptable_dose((0.36, 0.5), 0.3, acceptable_band=0.05)
    np.testing.assert_array_equal(correct_selection([-1, 1, 2], (0.05, 0.3, 0.5), 0.3), [False, True, False])
    real = simulate_one(design, Scenario("toxic", (0.9,) * 5), 500, seed=2)
    bench = benchmark_for(real)
    assert bench.pcs == 0.0 and not bench.correct.any()
