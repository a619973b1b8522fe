"""Agreement with the pocrm R package 0.13 (Wages; values in data/pocrm_*.csv, calls in their headers).

The package is the likelihood PO-CRM, dosefind's ``estimation = "likelihood"``:

1. ``pocrm.imp`` on 40 random datasets: ordering probabilities, the chosen ordering, the estimated power
   and DLT probabilities, and the recommended combination.
2. ``pocrm.sim`` operating characteristics (selection per combination) on a 3 x 4 grid, two scenarios,
   against dosefind's simulation of the same design, within the combined Monte Carlo standard error.
"""

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from dosefind import Scenario, simulate_one
from dosefind.designs import PoCrm, typical_orderings
from dosefind.designs.grid import DoseGrid
from dosefind.engine.pocrm import TIE_REL, decide_pocrm, pocrm_posterior_summary

DATA = Path(__file__).parent / "data"

#: The orders matrices given to getwm (combinations numbered row by row, 1-based).
ORDERS = {
    "2x3": [
        (1, 2, 3, 4, 5, 6),
        (1, 4, 2, 5, 3, 6),
        (1, 2, 4, 3, 5, 6),
        (1, 2, 4, 5, 3, 6),
        (1, 4, 2, 3, 5, 6),
    ],
    "3x3": [
        (1, 2, 3, 4, 5, 6, 7, 8, 9),
        (1, 4, 7, 2, 5, 8, 3, 6, 9),
        (1, 2, 4, 3, 5, 7, 6, 8, 9),
        (1, 4, 2, 7, 5, 3, 8, 6, 9),
        (1, 2, 4, 7, 5, 3, 6, 8, 9),
        (1, 4, 2, 3, 5, 7, 8, 6, 9),
    ],
    "3x4": [
        (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12),
        (1, 5, 9, 2, 6, 10, 3, 7, 11, 4, 8, 12),
        (1, 2, 5, 3, 6, 9, 4, 7, 10, 8, 11, 12),
        (1, 5, 2, 9, 6, 3, 10, 7, 4, 11, 8, 12),
        (1, 2, 5, 9, 6, 3, 4, 7, 10, 11, 8, 12),
        (1, 5, 2, 3, 6, 9, 10, 7, 4, 8, 11, 12),
    ],
}
#: The package rounds ord.prob, a.est and ptox.est to 3 decimals; optimize() (tol = eps^0.25) leaves the
#: power a within about 1e-4 of the maximum.
ROUND = 5e-4
A_TOL = ROUND + 2.5e-4


def _grid(name):
    J, K = map(int, name.split("x"))
    return DoseGrid(levels_a=tuple(map(str, range(J))), levels_b=tuple(map(str, range(K))))


def _read(name):
    with open(DATA / name) as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def _floats(text):
    return [float(x) for x in text.split()]


def test_orders_given_to_the_package_are_the_typical_orderings():
    for name, orders in ORDERS.items():
        g = _grid(name)
        assert typical_orderings(g) == tuple(tuple(g.label(c - 1) for c in order) for order in orders)


ROWS = _read("pocrm_imp.csv")


@pytest.mark.parametrize("row", ROWS, ids=[f"data{r['id']}" for r in ROWS])
def test_pocrm_imp(row):
    g = _grid(row["grid"])
    design = PoCrm(
        target=float(row["theta"]),
        grid=g,
        max_n=36,
        skeleton=tuple(_floats(row["skeleton"])),
        estimation="likelihood",
    )
    n = np.zeros(g.n_cells, dtype=np.int64)
    y = np.zeros(g.n_cells, dtype=np.int64)
    for combo, tox in zip(row["combos"].split(), row["y"].split(), strict=True):
        n[int(combo) - 1] += 1
        y[int(combo) - 1] += int(tox)
    fast = pocrm_posterior_summary(design, n, y)
    # dosefind's probabilities rounded to 3 decimals equal the package's in all 40 datasets; the test
    # allows the rounding
    np.testing.assert_allclose(fast["ordering_prob"], _floats(row["ord_prob"]), atol=ROUND + 1e-9, rtol=0)
    # the chosen ordering: R's (both seeds) among dosefind's tied maxima
    logw = np.log(fast["ordering_prob"])
    tied = set(np.flatnonzero(logw >= logw.max() - TIE_REL * max(1.0, abs(logw.max()))))
    r_orders = {int(row["order_est"]) - 1, int(row["order_est_other_seed"]) - 1}
    assert r_orders <= tied
    if len(tied) == 1:
        assert r_orders == tied
    m = int(row["order_est"]) - 1
    a = math.exp(fast["b_hat"][m])
    assert a < 100  # the package searches (0, 500], dosefind (0, 100]
    assert a == pytest.approx(float(row["a_est"]), abs=A_TOL)
    est = design.alpha()[m] ** a
    np.testing.assert_allclose(est, _floats(row["ptox_est"]), atol=2 * A_TOL, rtol=0)
    # the recommendation: the decision kernel, with the tie-break uniform that picks R's ordering
    gaps = np.sort(np.abs(est - design.target))
    assert gaps[1] - gaps[0] > 1e-3  # no near-tie that optimize's tolerance could flip
    c = design.compile()
    work = np.zeros(int(c.ip[15]))
    order = sorted(tied)
    u = (order.index(m) + 0.5) / len(order)
    adm = np.ones(g.n_cells, dtype=np.int8)
    nxt, _status, _reason = decide_pocrm(c.ip, c.fp, c.tables, c.grid, n, y, adm, 0, 1, 0, work, u)
    assert nxt == int(row["dose_rec"]) - 1


# ---- operating characteristics ---------------------------------------------------------------------------
SIM_RUNS = {
    # run: (true DLT probabilities row by row, stop)
    "P1": ((0.05, 0.10, 0.15, 0.30, 0.10, 0.15, 0.30, 0.45, 0.15, 0.30, 0.45, 0.60), None),
    "P2": ((0.02, 0.04, 0.08, 0.12, 0.06, 0.10, 0.20, 0.30, 0.12, 0.30, 0.42, 0.55), 12),
}


def sim_design(stop_n):
    """pocrm.sim(r, getwm(orders, getprior(0.05, 0.3, 6, 12)), rep(1/6, 6), x0 = zones path, stop, n = 36,
    theta = 0.3): patient by patient in both stages."""
    from dosefind.designs import calibrate_skeleton

    return PoCrm(
        target=0.3,
        grid=_grid("3x4"),
        max_n=36,
        cohort_size=1,
        skeleton=calibrate_skeleton(0.3, 0.05, 6, 12),
        estimation="likelihood",
        stop_n=stop_n,
    )


@pytest.mark.slow
@pytest.mark.parametrize("run", list(SIM_RUNS))
def test_pocrm_sim_operating_characteristics(run):
    rows = [r for r in _read("pocrm_sim_oc.csv") if r["run"] == run]
    n_r = sum(int(r["nsim"]) for r in rows)
    counts_r = np.sum([np.array(_floats(r["selection"])) * int(r["nsim"]) for r in rows], axis=0)
    assert np.allclose(counts_r, np.round(counts_r)) and counts_r.sum() == n_r  # exact counts per batch
    true_tox, stop_n = SIM_RUNS[run]
    n_ours = 40_000
    res = simulate_one(sim_design(stop_n), Scenario(run, true_tox=true_tox), n_ours, seed=2011)
    assert (res.selected >= 0).all()
    ours = np.bincount(res.selected, minlength=12) / n_ours
    theirs = counts_r / n_r
    se = np.sqrt(ours * (1 - ours) / n_ours + theirs * (1 - theirs) / n_r)
    # 2 runs x 12 cells + 1 mean sample size = 25 comparisons at z = 4 (two-sided 6.3e-5 each, 0.16% for
    # the family); a floor of one R trial's weight where both proportions are tiny
    z = 4.0
    assert np.all(np.abs(ours - theirs) <= z * se + 1.0 / n_r), (run, ours.round(4), theirs.round(4))
    sizes = res.n_at_dose.sum(axis=1)
    if stop_n is None:
        assert (sizes == 36).all()
    else:
        # mean sample size: R's SE from the spread of its 40 batch means, ours from the trials
        batch = np.array([float(r["mean_n"]) for r in rows])
        se_n = math.sqrt(batch.var(ddof=1) / batch.size + sizes.var(ddof=1) / sizes.size)
        assert abs(sizes.mean() - batch.mean()) <= z * se_n
