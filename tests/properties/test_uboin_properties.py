"""Hypothesis invariants of U-BOIN on random designs, random cohorts (DLTs and responses) and random
design uniforms, decided through the one decision path (``DecisionContext.treat``):

* the next dose is always admissible: never a dose eliminated for toxicity or futility;
* eliminations are permanent, and a dose eliminated for toxicity takes every higher dose with it;
* stage 1 never skips an untried dose; stage 2 assigns only tried admissible doses;
* stage 2's randomisation probabilities are non-negative, sum to 1, are positive exactly on the tried
  admissible doses, and the dose drawn is one of them;
* the final selection is a tried admissible dose or none.
"""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dosefind.constants import Reason, Status
from dosefind.designs import UBoin
from dosefind.designs.uboin.spec import admissible_from_counts, randomisation_probabilities
from dosefind.engine.replay import DecisionContext


@st.composite
def uboin_designs(draw):
    max_n = draw(st.integers(6, 30))
    u2 = draw(st.integers(0, 100))
    u3 = draw(st.integers(0, 100))
    return UBoin(
        target=draw(st.sampled_from([0.25, 0.3, 0.35])),
        target_eff=draw(st.sampled_from([0.15, 0.25, 0.4])),
        n_doses=draw(st.integers(2, 6)),
        max_n=max_n,
        cohort_size=draw(st.integers(1, 3)),
        n_stage1=draw(st.integers(1, max_n)),
        utilities=(100, u2, u3, 0),
        futility=draw(st.booleans()),
    )


@settings(max_examples=80, deadline=None)
@given(design=uboin_designs(), data=st.data())
def test_uboin_invariants(design, data):
    ctx = DecisionContext(design)
    cur = design.start_dose - 1
    D = design.n_doses
    while True:
        size = min(design.cohort_size, design.max_n - ctx.n_total)
        tox = data.draw(st.integers(0, size))
        eff = data.draw(st.integers(0, size))
        both = data.draw(st.integers(max(0, tox + eff - size), min(tox, eff)))
        u = data.draw(st.floats(1e-9, 1 - 1e-9))
        before = ctx.admissible.copy()
        step = ctx.treat(cur, size, tox, False, u_tie=u, eff=eff, efftox=both)
        after = ctx.admissible
        assert all(after[d] <= before[d] for d in range(D))  # permanent
        ok = admissible_from_counts(design, ctx.n_at, ctx.tox_at, ctx.resp_at)
        assert list(ok.astype(int)) == list(after)  # the mask is a function of the counts
        probs = randomisation_probabilities(design, ctx.n_at, ctx.tox_at, ctx.resp_at, ok)
        pool = [d for d in range(D) if ok[d] and ctx.n_at[d] > 0]
        assert np.all(probs >= 0)
        assert [d for d in range(D) if probs[d] > 0] == pool
        if pool:
            assert math.isclose(probs.sum(), 1.0, abs_tol=1e-12)
        if step.status != Status.CONTINUE:
            break
        nxt = step.next_dose
        assert after[nxt] == 1  # never an inadmissible dose
        if step.reason == Reason.UB_RANDOMISE:
            assert ctx.n_total >= design.n_stage1 and nxt in pool
        else:
            assert all(ctx.n_at[j] > 0 for j in range(cur + 1, nxt))  # no untried dose skipped
        cur = nxt
    if step.status == Status.STOP_SELECT:
        sel = ctx.select(full=False)
        assert sel == -1 or (ctx.n_at[sel] > 0 and ctx.admissible[sel] == 1)
