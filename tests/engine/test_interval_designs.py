"""The interval designs against naive oracles written from the papers (tests/oracles.py: scipy.stats.beta,
exact fractions for interval ends; no code shared with designs/table/interval.py):

* every cell of each design's table for several targets, intervals, priors and elimination settings;
* simulated trials (cohorts of 1, 2 and 3) equal the oracle's trials on the same latent values, the
  final selection included (each design's own rule, written as its reference package writes it);
* the selection kernel on random data and on constructed ties, for every tie rule.
"""

import numpy as np
import pytest

from dosefind.designs import I3Plus3, Keyboard, Mtpi, Mtpi2, Tpi
from dosefind.designs import layout as L
from dosefind.engine import simulate_one
from dosefind.engine.rng import latent_uniforms
from dosefind.engine.table import select_table
from oracles import interval_select, interval_table, table_trial

from .test_kernel_vs_oracle import SCENARIOS

NAME = {L.TABLE_ESCALATE: "E", L.TABLE_STAY: "S", L.TABLE_DEESCALATE: "D", L.TABLE_ELIMINATE: "DU"}
CLASSES = {"tpi": Tpi, "mtpi": Mtpi, "mtpi2": Mtpi2, "keyboard": Keyboard, "i3plus3": I3Plus3}

#: (kind, parameters) settings; each is checked at every target below
SETTINGS = [
    ("tpi", {"k1": 1.0, "k2": 1.5, "prior_a": 0.005, "prior_b": 0.005, "decision_ties": "deescalate"}),
    ("tpi", {"k1": 1.5, "k2": 1.0, "prior_a": 1.0, "prior_b": 1.0, "decision_ties": "escalate"}),
    ("mtpi", {"eps1": 0.05, "eps2": 0.05, "decision_ties": "deescalate"}),
    (
        "mtpi",
        {"eps1": 0.1, "eps2": 0.05, "cutoff_eli": 0.9, "eli_strict": False, "decision_ties": "escalate"},
    ),
    ("mtpi2", {"eps1": 0.05, "eps2": 0.05, "decision_ties": "escalate"}),
    (
        "mtpi2",
        {
            "eps1": 0.03,
            "eps2": 0.07,
            "prior_a": 0.5,
            "prior_b": 0.5,
            "min_n_eli": 1,
            "decision_ties": "escalate",
        },
    ),
    ("keyboard", {"margin_left": 0.05, "margin_right": 0.05, "decision_ties": "deescalate"}),
    ("keyboard", {"margin_left": 0.1, "margin_right": 0.1, "min_n_eli": 2, "decision_ties": "deescalate"}),
    ("i3plus3", {"eps1": 0.05, "eps2": 0.05}),
    ("i3plus3", {"eps1": 0.1, "eps2": 0.05, "cutoff_eli": 0.9}),
]
TARGETS = (0.15, 0.2, 0.25, 0.3, 0.35)


def _design(kind, target, par, **kw):
    return CLASSES[kind](target=target, n_doses=kw.pop("n_doses", 6), max_n=kw.pop("max_n", 30), **par, **kw)


@pytest.mark.parametrize(("kind", "par"), SETTINGS, ids=[f"{k}-{i}" for i, (k, _) in enumerate(SETTINGS)])
def test_table_equals_the_papers_rule(kind, par):
    for target in TARGETS:
        design = _design(kind, target, par)
        table = design.action_table(30)
        oracle = interval_table(kind, 30, target, **par)
        for n in range(1, 31):
            for y in range(n + 1):
                assert NAME[int(table[n, y])] == oracle[n][y], (kind, target, n, y)


def _selector(design):
    a, b, weights, ties = design.selection()
    names = {L.TABLE_WEIGHTS_N: "n", L.TABLE_WEIGHTS_INVERSE_VARIANCE: "inverse_variance"}
    tie_names = {L.TABLE_TIES_INCREMENT: "increment", L.TABLE_TIES_MEAN: "mean", L.TABLE_TIES_BELOW: "below"}

    def select(n, y, adm):
        return interval_select(
            n, y, adm, target=design.target, a=a, b=b, weights=names[weights], ties=tie_names[ties]
        )

    return select


@pytest.mark.parametrize("kind", sorted(CLASSES))
@pytest.mark.parametrize("cohort_size", [1, 2, 3])
def test_trials_equal_the_oracle(kind, cohort_size):
    par = next(p for k, p in SETTINGS if k == kind)
    design = _design(kind, 0.25, par, max_n=24, cohort_size=cohort_size, start_dose=2)
    table = interval_table(kind, 24, 0.25, **par)
    n_trials, seed = 80, 3
    for scen in SCENARIOS:
        res = simulate_one(design, scen, n_trials, seed)
        u = latent_uniforms(seed, scen.key, n_trials, design.max_n)
        for t in range(n_trials):
            sel, n, y, _ = table_trial(
                scen.true_tox,
                u[t],
                table,
                n_doses=6,
                target=0.25,
                cohort_size=cohort_size,
                max_n=24,
                start_dose=2,
                selector=_selector(design),
            )
            assert list(res.n_at_dose[t]) == n, (scen.name, t)
            assert list(res.tox_at_dose[t]) == y, (scen.name, t)
            assert res.selected[t] == sel, (scen.name, t, n, y)


def _kernel_select(design, n, y, adm):
    c = design.compile()
    return select_table(
        c.ip,
        c.fp,
        np.asarray(n, dtype=np.int64),
        np.asarray(y, dtype=np.int64),
        np.asarray(adm, dtype=np.int8),  # the engine's type: no second compilation
        np.zeros(6 * len(n)),
    )


@pytest.mark.parametrize("kind", sorted(CLASSES))
def test_selection_on_random_data(kind):
    rng = np.random.default_rng(17)
    par = next(p for k, p in SETTINGS if k == kind)
    designs = [_design(kind, t, par, n_doses=5) for t in (0.2, 0.3)]
    for case in range(400):
        design = designs[case % 2]
        n = rng.choice([0, 1, 2, 3, 6, 9], size=5)
        y = np.array([rng.integers(0, k + 1) for k in n])
        adm = np.ones(5, dtype=int)
        adm[rng.integers(1, 6) :] = 0
        assert _kernel_select(design, n, y, adm) == _selector(design)(list(n), list(y), list(adm)), (
            n,
            y,
            adm,
        )


@pytest.mark.parametrize(("ties", "expected"), [("mean", 2), ("below", 1), ("increment", 1)])
def test_selection_tie_rules_differ(ties, expected):
    """Target 0.5, y/n = 2/4, 0/4, 3/4: doses 1 and 2 pool to 0.25, dose 3 is 0.75, all three exactly
    0.25 from the target. TPI's and mTPI-2's rule: their mean is below the target, so the highest (dose 3);
    mTPI's: the highest below the target (dose 2); the BOIN/Keyboard increment: dose 2 (0.25 + 2e-10 is
    closer than 0.75 + 3e-10)."""
    n, y, adm = [4, 4, 4], [2, 0, 3], [1, 1, 1]
    design = Mtpi(
        target=0.5,
        n_doses=3,
        max_n=12,
        select_ties=ties,
        select_weights="n",
        select_prior_a=0.0,
        select_prior_b=0.0,
    )
    assert _kernel_select(design, n, y, adm) == expected
    assert interval_select(n, y, adm, target=0.5, a=0.0, b=0.0, weights="n", ties=ties) == expected
