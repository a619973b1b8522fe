"""Hypothesis invariants of EffTox on random designs and random cohorts (DLTs and responses), decided
through the one decision path (``DecisionContext.treat``), each decision checked against the fast
posterior's own numbers (``efftox_summary`` on the same counts):

* the next dose is acceptable (both hurdles) and, with ``no_skip``, within one level of the doses tried;
  it has the highest utility among such doses (the lowest on ties);
* the design stops with no dose exactly when no dose is acceptable within reach;
* the admissible mask the decision leaves is that acceptable set; the final selection is in it or none.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dosefind.constants import Status
from dosefind.designs import EffTox
from dosefind.engine.efftox import efftox_summary
from dosefind.engine.replay import DecisionContext


@st.composite
def efftox_designs(draw):
    D = draw(st.integers(3, 5))
    doses = tuple(float(x) for x in np.cumsum(draw(st.lists(st.integers(1, 4), min_size=D, max_size=D))))
    return EffTox(
        doses=doses,
        max_n=draw(st.sampled_from([6, 9, 12])),
        cohort_size=3,
        start_dose=draw(st.integers(1, 2)),
        tox_limit=draw(st.sampled_from([0.25, 0.3, 0.4])),
        eff_limit=draw(st.sampled_from([0.2, 0.3, 0.5])),
        p_tox=draw(st.sampled_from([0.1, 0.2])),
        p_eff=draw(st.sampled_from([0.1, 0.2])),
        no_skip=draw(st.booleans()),
        prior_mean=(-3.0, 1.0, 0.0, 1.5, 0.0, 0.0),
        prior_sd=(2.0, 2.0, 2.0, 2.0, 0.5, 1.0),
    )


@settings(max_examples=15, deadline=None)
@given(design=efftox_designs(), data=st.data())
def test_efftox_invariants(design, data):
    ctx = DecisionContext(design)
    D = design.n_doses
    cur = design.start_dose - 1
    while True:
        size = min(design.cohort_size, design.max_n - ctx.n_total)
        tox = data.draw(st.integers(0, size))
        eff = data.draw(st.integers(0, size))
        both = data.draw(st.integers(max(0, tox + eff - size), min(tox, eff)))
        step = ctx.treat(cur, size, tox, False, eff=eff, efftox=both)
        s = efftox_summary(design, ctx.n_at, ctx.tox_at, ctx.resp_at)
        ok = s["acceptable"].copy()
        if design.no_skip:
            tried = np.flatnonzero(ctx.n_at > 0)
            ok &= (np.arange(D) >= tried.min() - 1) & (np.arange(D) <= tried.max() + 1)
        assert list(ctx.admissible) == [int(x) for x in ok]
        if step.status == Status.STOP_NO_DOSE:
            assert not ok.any()
            break
        assert ok.any()
        best = int(np.flatnonzero(ok)[np.argmax(s["utility"][ok])])
        if step.status != Status.CONTINUE:
            assert ctx.select(full=False) == best
            break
        assert step.next_dose == best
        cur = best
