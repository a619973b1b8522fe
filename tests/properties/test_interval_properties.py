"""Hypothesis invariants of the interval designs' tables: actions are ordered in y (E before S before D
before DU) for every n, whatever the target, interval, prior and elimination settings; DU holds exactly
where the elimination rule does."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import beta

from dosefind.designs import I3Plus3, Keyboard, Mtpi, Mtpi2, Tpi
from dosefind.designs import layout as L

RANK = {L.TABLE_ESCALATE: 0, L.TABLE_STAY: 1, L.TABLE_DEESCALATE: 2, L.TABLE_ELIMINATE: 3}
N_CAP = 30


@st.composite
def interval_designs(draw):
    target = draw(st.floats(0.08, 0.5))
    lo = draw(st.floats(0.01, 0.9)) * target
    hi = draw(st.floats(0.01, 0.9)) * (1 - target)
    common = {
        "target": target,
        "n_doses": 4,
        "max_n": N_CAP,
        "cutoff_eli": draw(st.floats(0.5, 0.99)),
        "min_n_eli": draw(st.integers(1, 6)),
        "eli_strict": draw(st.booleans()),
    }
    kind = draw(st.sampled_from(["tpi", "mtpi", "mtpi2", "keyboard", "i3plus3"]))
    prior = {"prior_a": draw(st.floats(0.005, 2.0)), "prior_b": draw(st.floats(0.005, 2.0))}
    ties = {"decision_ties": draw(st.sampled_from(["escalate", "deescalate"]))}
    if kind == "tpi":
        return Tpi(k1=draw(st.floats(0.2, 3.0)), k2=draw(st.floats(0.2, 3.0)), **prior, **ties, **common)
    if kind == "mtpi":
        return Mtpi(eps1=lo, eps2=hi, **prior, **ties, **common)
    if kind == "mtpi2":
        return Mtpi2(eps1=lo, eps2=hi, **prior, **ties, **common)
    if kind == "keyboard":
        return Keyboard(margin_left=lo, margin_right=hi, **prior, **ties, **common)
    return I3Plus3(eps1=lo, eps2=hi, **common)


@given(interval_designs())
def test_tables_are_ordered_in_y(design):
    table = design.action_table(N_CAP)
    for n in range(1, N_CAP + 1):
        ranks = [RANK[int(a)] for a in table[n, : n + 1]]
        assert ranks == sorted(ranks), (design.kind, n, ranks)


@given(interval_designs())
def test_du_exactly_where_the_elimination_rule_holds(design):
    table = design.action_table(N_CAP)
    for n in range(1, N_CAP + 1):
        y = np.arange(n + 1)
        over = beta.sf(design.target, design.prior_a + y, design.prior_b + n - y)
        rule = (over > design.cutoff_eli) if design.eli_strict else (over >= design.cutoff_eli)
        rule &= n >= design.min_n_eli
        # cells within 1e-12 of the cutoff may round either way between scipy's two routines
        near = np.abs(over - design.cutoff_eli) < 1e-12
        du = table[n, : n + 1] == L.TABLE_ELIMINATE
        assert (du == rule)[~near].all(), (design.kind, n)
