"""The live posterior tables of the two-drug designs.

* BOIN for combinations: the isotonic column is the bivariate isotonic regression its final selection
  uses (``biviso`` of (y + 0.05) / (n + 0.1), weights n + 0.1, untried cells as pseudo-data), checked on
  hand-computed examples and against the cell the engine selects.
* PO-CRM: the table is the model's posterior, equal to ``pocrm_posterior_summary`` and to the quantities
  the engine decides with (ordering weights, estimates of b, the plug-in under the chosen ordering); the
  model-averaged interval and P(p > target) agree with adaptive quadrature; one ordering is the CRM.
"""

import math
import warnings

import numpy as np
import pytest
from scipy import integrate

from dosefind.constants import CREDIBLE_MASS, Status
from dosefind.designs import BoinComb, Crm, PoCrm
from dosefind.designs import layout as L
from dosefind.designs.boin.home import isotonic_estimate
from dosefind.designs.crm.home import crm_posterior_table
from dosefind.designs.grid import DoseGrid
from dosefind.engine.combination import biviso
from dosefind.engine.pocrm import choose_ordering, fit_orderings, pocrm_posterior_summary
from dosefind.inference.summary import fast_posterior, model_line
from dosefind.live.recommend import recommend
from dosefind.outcomes import parse_outcomes

GRID22 = DoseGrid(levels_a=("1", "2"), levels_b=("1", "2"))
GRID23 = DoseGrid(levels_a=("1", "2"), levels_b=("1", "2", "3"), excluded=("2.3",))


def _counts(grid, cells):
    n = np.zeros(grid.n_cells, dtype=np.int64)
    y = np.zeros(grid.n_cells, dtype=np.int64)
    for label, k, t in cells:
        n[grid.index(label)] += k
        y[grid.index(label)] += t
    return n, y


# ---- BOIN for combinations: the bivariate isotonic estimate ---------------------------------------------
def test_boin_comb_isotonic_pools_along_both_drugs_by_hand():
    """2 x 2: 1.1 has 2/3, 1.2 and 2.1 0/3, 2.2 1/3. Raw (y + 0.05) / (n + 0.1): 2.05/3.1 above 0.05/3.1
    to its right and below, so 1.1 pools with 1.2 (along drug B) and with 2.1 (along drug A):
    (2.05 + 0.05 + 0.05) / 9.3 = 2.15/9.3 for all three, below 2.2's own 1.05/3.1, which stays."""
    design = BoinComb(target=0.3, grid=GRID22, max_n=24)
    n, y = _counts(GRID22, [("1.1", 3, 2), ("1.2", 3, 0), ("2.1", 3, 0), ("2.2", 3, 1)])
    table = fast_posterior(design, n, y)
    expected = np.array([2.15 / 9.3, 2.15 / 9.3, 2.15 / 9.3, 1.05 / 3.1])
    np.testing.assert_allclose(table.extra["isotonic"], expected, rtol=1e-12)
    w = (n + 0.1).reshape(2, 2)
    np.testing.assert_array_equal(table.extra["isotonic"], biviso((y + 0.05).reshape(2, 2) / w, w).ravel())
    # non-decreasing in both drugs; the 1-D pooling over the cell index is a different estimate
    est = table.extra["isotonic"].reshape(2, 2)
    assert np.all(np.diff(est, axis=0) >= -1e-15) and np.all(np.diff(est, axis=1) >= -1e-15)
    assert not np.allclose(isotonic_estimate(n, y), table.extra["isotonic"])
    # the posterior columns are still the beta-binomial ones
    assert table.method == "beta-binomial" and table.model == model_line(design)


def test_boin_comb_isotonic_counts_untried_and_excluded_cells_as_pseudo_data():
    """2 x 3 with 2.3 excluded: only 1.1 tried (3/3). Every other cell is pseudo-data 0.5 with weight 0.1
    (the excluded one too), all above 1.1's 3.05/3.1, so the whole grid pools to
    (3.05 + 5 x 0.05) / (3.1 + 5 x 0.1) = 3.3/3.6 = 11/12; untried cells show nan."""
    design = BoinComb(target=0.3, grid=GRID23, max_n=24)
    n, y = _counts(GRID23, [("1.1", 3, 3)])
    iso = fast_posterior(design, n, y).extra["isotonic"]
    assert iso[0] == pytest.approx(11 / 12, rel=1e-12)
    assert np.isnan(iso[1:]).all()
    assert isotonic_estimate(n, y)[0] == pytest.approx(3.05 / 3.1)  # the 1-D estimate ignores the grid


def test_boin_comb_isotonic_is_what_the_selection_chooses_by():
    """A trial stopped by n_earlystop at cell 2.2 (3/9, stay): the engine selects 1.2, the tried cell whose
    isotonic estimate is closest to the target (already monotone here: 2.05/7.1 at 1.2, 3.05/9.1 at 2.2),
    not the current cell."""
    grid = DoseGrid(levels_a=("1", "2", "3"), levels_b=("1", "2"))
    design = BoinComb(target=0.3, grid=grid, max_n=30, n_earlystop=9)
    data = parse_outcomes("1.1NNN 1.2NNN 1.2NTNT 2.1NNN 2.2NTN 2.2NNN 2.2TNT", design.doses, cells=True)
    rec = recommend(design, data)
    assert rec.status == Status.STOP_SELECT and rec.selected == grid.index("1.2")
    iso = rec.posterior.extra["isotonic"]
    expected = [0.05 / 3.1, 2.05 / 7.1, 0.05 / 3.1, 3.05 / 9.1, np.nan, np.nan]
    np.testing.assert_allclose(iso, expected, rtol=1e-12)
    gap = np.where(np.isnan(iso), np.inf, np.abs(iso - design.target))
    assert rec.selected == int(np.argmin(gap))
    assert rec.to_dict()["posterior"]["extra"]["isotonic"][rec.selected] == pytest.approx(2.05 / 7.1)


# ---- PO-CRM ----------------------------------------------------------------------------------------------
GRID34 = DoseGrid(levels_a=("1", "2", "3"), levels_b=("1", "2", "3", "4"))
SKELETON = (0.02, 0.05, 0.09, 0.14, 0.2, 0.27, 0.34, 0.41, 0.48, 0.55, 0.62, 0.68)
POCRM = PoCrm(
    target=0.3, grid=GRID34, max_n=36, skeleton=SKELETON, ordering_prior=(0.3, 0.3, 0.1, 0.1, 0.1, 0.1)
)
# the data favour some orderings over others (no tie at the top)
LATER = _counts(
    GRID34, [("1.1", 3, 0), ("1.2", 3, 0), ("2.1", 6, 3), ("1.3", 6, 1), ("2.2", 3, 2), ("1.4", 3, 1)]
)


def test_pocrm_table_is_pocrm_posterior_summary():
    n, y = LATER
    table = fast_posterior(POCRM, n, y)
    s = pocrm_posterior_summary(POCRM, n, y)
    assert table.method == "quadrature" and table.model.startswith("PO-CRM")
    assert "6 orderings" in table.model and "b ~ Normal(0, 1.158^2)" in table.model
    np.testing.assert_array_equal(table.mean, s["model_averaged"])
    np.testing.assert_array_equal(table.extra["plugin"], s["plugin"])
    np.testing.assert_array_equal(table.extra["mean_most_probable_ordering"], s["mean"])
    assert [o.prob for o in table.orderings] == list(s["ordering_prob"])
    assert [o.b_hat for o in table.orderings] == list(s["b_hat"])
    for o in table.orderings:
        np.testing.assert_array_equal(o.mean, s["mean_by_ordering"][o.index])
        assert o.cells == POCRM.orderings[o.index] and o.prior == POCRM.ordering_prior[o.index]
    assert table.orderings[s["ordering"]].name == POCRM.ordering_names()[s["ordering"]]
    assert table.warnings == ()
    d = table.to_dict()
    assert [o["prob"] for o in d["orderings"]] == pytest.approx(list(s["ordering_prob"]), rel=1e-15)
    assert d["orderings"][0]["index"] == 1 and d["orderings"][0]["cells"][0] == "1.1"
    # intervals are ordered around the mean, P(> target) is a probability
    assert np.all(table.lower < table.mean) and np.all(table.mean < table.upper)
    assert np.all((table.prob_above_target > 0) & (table.prob_above_target < 1))


def test_pocrm_table_holds_the_engines_decision_inputs():
    n, y = LATER
    table = fast_posterior(POCRM, n, y)
    c = POCRM.compile(max(POCRM.max_n, int(n.sum())))
    work = np.zeros(int(c.ip[L.IP_POCRM_WORK]))
    fit_orderings(c.ip, c.fp, c.grid, n, y, work)
    M = len(POCRM.orderings)
    W = max(int(c.ip[L.IP_POCRM_N_NODES]), 1)
    logw, bhat = work[W : W + M], work[W + M : W + 2 * M]
    prob = np.exp(logw - logw.max())
    np.testing.assert_allclose([o.prob for o in table.orderings], prob / prob.sum(), rtol=1e-14)
    np.testing.assert_array_equal([o.b_hat for o in table.orderings], bhat)
    best = max(range(M), key=lambda m: table.orderings[m].prob)
    for u in (0.01, 0.5, 0.99):  # no tie: every uniform picks the table's ordering
        assert choose_ordering(c.ip, work, u, False) == best
    # the plug-in column is the engine's estimate under that ordering, and the cell the design treats next
    np.testing.assert_allclose(table.extra["plugin"], POCRM.alpha()[best] ** math.exp(bhat[best]), rtol=1e-14)
    notation = " ".join(
        f"{POCRM.doses[c]}{'T' * t}{'N' * (k - t)}" for c, (k, t) in enumerate(zip(n, y, strict=True)) if k
    )
    rec = recommend(POCRM, parse_outcomes(notation, POCRM.doses, cells=True))
    assert rec.posterior.to_dict() == table.to_dict()
    assert rec.status == Status.CONTINUE and not rec.tie
    assert rec.next_dose == int(np.argmin(np.abs(table.extra["plugin"] - POCRM.target)))


def _oracle(design, n_at, tox_at, cell, x):
    """(P(p_cell > target), P(p_cell <= x)) under the model averaged over orderings, by adaptive
    quadrature of each ordering's unnormalised posterior of b (weights from the same integrals)."""
    sd = design.prior_sd
    alpha = design.alpha()
    used = np.flatnonzero(n_at)

    def joint(m, b):
        s = -0.5 * (b / sd) ** 2
        for c in used:
            logp = math.exp(b) * math.log(alpha[m, c])
            s += tox_at[c] * logp + (n_at[c] - tox_at[c]) * math.log(-math.expm1(logp))
        return math.exp(s)

    def integral(m, lo, hi, cut):
        points = [cut] if lo < cut < hi else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", integrate.IntegrationWarning)
            return integrate.quad(
                lambda b: joint(m, b), lo, hi, points=points, epsabs=0, epsrel=1e-11, limit=400
            )[0]

    half = design.prior_range * sd
    z, above, below = [], [], []
    for m in range(len(design.orderings)):
        b_target = math.log(math.log(design.target) / math.log(alpha[m, cell]))  # p > target iff b < this
        b_x = math.log(math.log(x) / math.log(alpha[m, cell]))
        z.append(design.ordering_prior[m] * integral(m, -half, half, 0.0))
        above.append(design.ordering_prior[m] * integral(m, -half, b_target, b_target))
        below.append(design.ordering_prior[m] * integral(m, b_x, half, b_x))
    return sum(above) / sum(z), sum(below) / sum(z)


@pytest.mark.parametrize("cell", ["1.1", "2.1", "2.2", "3.4"])
def test_pocrm_model_averaged_interval_and_tail_match_adaptive_quadrature(cell):
    n, y = LATER
    table = fast_posterior(POCRM, n, y)
    c = GRID34.index(cell)
    tail = (1 - CREDIBLE_MASS) / 2
    above, _ = _oracle(POCRM, n, y, c, 0.5)
    assert table.prob_above_target[c] == pytest.approx(above, abs=1e-7)
    _, below_lower = _oracle(POCRM, n, y, c, table.lower[c])
    _, below_upper = _oracle(POCRM, n, y, c, table.upper[c])
    assert below_lower == pytest.approx(tail, abs=2e-5)
    assert below_upper == pytest.approx(1 - tail, abs=2e-5)


def test_pocrm_with_one_ordering_is_the_crm_on_the_ordered_cells():
    order = ("1.1", "1.2", "2.1", "1.3", "2.2", "1.4", "3.1", "2.3", "3.2", "2.4", "3.3", "3.4")
    design = PoCrm(target=0.3, grid=GRID34, max_n=36, skeleton=SKELETON, orderings=(order,))
    n, y = LATER
    table = fast_posterior(design, n, y)
    rank = design.ranks()[0]
    crm = Crm(target=0.3, n_doses=12, max_n=36, skeleton=SKELETON, prior_sd=design.prior_sd)
    n_r, y_r = np.zeros(12, np.int64), np.zeros(12, np.int64)
    n_r[rank], y_r[rank] = n, y
    ref = crm_posterior_table(crm, n_r, y_r)
    for key in ("mean", "lower", "upper", "prob_above_target"):
        np.testing.assert_allclose(getattr(table, key), getattr(ref, key)[rank], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(table.extra["plugin"], ref.extra["plugin"][rank], rtol=1e-12)
    assert table.orderings[0].prob == 1.0


def test_pocrm_excluded_cells_and_ordering_ties():
    design = PoCrm(target=0.3, grid=GRID23, max_n=24, skeleton=(0.05, 0.1, 0.2, 0.3, 0.4))
    n, y = _counts(GRID23, [("1.1", 3, 0), ("1.2", 3, 1), ("2.1", 3, 1)])
    table = fast_posterior(design, n, y)
    excluded = GRID23.index("2.3")
    for a in (table.mean, table.lower, table.upper, table.prob_above_target, table.extra["plugin"]):
        assert np.isnan(a[excluded]) and np.isfinite(np.delete(a, excluded)).all()
    assert table.to_dict()["mean"][excluded] is None
    # orderings that rank the tried cells alike tie; the table says which one its plug-in column uses
    s = pocrm_posterior_summary(design, n, y)
    tied = np.flatnonzero(np.isclose(s["ordering_prob"], s["ordering_prob"].max(), rtol=1e-12, atol=0))
    assert tied.size > 1
    (warning,) = table.warnings
    assert f"the plug-in column is under ordering {tied[0] + 1}" in warning
    # before any DLT the model does not decide: no warning
    n0, y0 = _counts(GRID23, [("1.1", 3, 0)])
    assert fast_posterior(design, n0, y0).warnings == ()


def test_pocrm_likelihood_table_has_estimates_but_no_posterior():
    design = POCRM.replace(estimation="likelihood")
    n, y = LATER
    table = fast_posterior(design, n, y)
    s = pocrm_posterior_summary(design, n, y)
    assert table.method == "likelihood" and "maximum likelihood" in table.model
    np.testing.assert_array_equal(table.mean, s["model_averaged"])
    np.testing.assert_array_equal(table.extra["plugin"], s["plugin"])
    assert np.isnan(table.lower).all() and np.isnan(table.upper).all()
    assert np.isnan(table.prob_above_target).all()
    assert table.to_dict()["lower"] == [None] * 12


def test_pocrm_recommendation_shows_the_model():
    design = PoCrm(target=0.3, grid=GRID23, max_n=24, skeleton=(0.05, 0.1, 0.2, 0.3, 0.4))
    rec = recommend(design, parse_outcomes("1.1NNN 1.2NNN 2.1NTN", design.doses, cells=True))
    assert rec.posterior.model.startswith("PO-CRM") and rec.posterior.orderings
    row = rec.doses[GRID23.index("2.1")]
    assert row.mean == rec.posterior.mean[GRID23.index("2.1")]
    assert "orderings" in rec.to_dict()["posterior"]


def test_pocrm_likelihood_table_is_empty_before_the_model_can_be_fitted():
    design = POCRM.replace(estimation="likelihood")
    for cells in ([], [("1.1", 3, 0)], [("1.1", 3, 3)]):  # no DLT, or only DLTs: the MLE is on the edge
        n, y = _counts(GRID34, cells)
        table = fast_posterior(design, n, y)
        assert np.isnan(table.mean).all() and np.isnan(table.extra["plugin"]).all()
        (warning,) = table.warnings
        assert "no maximum-likelihood estimates yet" in warning
