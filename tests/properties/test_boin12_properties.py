"""Hypothesis invariants of BOIN12 on random designs and random cohorts (DLTs and responses), decided
through the one decision path (``DecisionContext.treat``):

* the next dose is at most one level above the current dose (no skipping) and is admissible;
* eliminations are permanent, and a dose eliminated for toxicity takes every higher dose with it, so the
  design never escalates to or above a dose eliminated for toxicity (``rules = "paper"``);
* coherence in the paper's sense for toxicity: after an observed DLT rate >= lambda_d the design never
  escalates;
* a trial that stops with no dose has its lowest dose eliminated for toxicity or no admissible dose;
* the final selection is a tried admissible dose or none.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from dosefind.constants import Status
from dosefind.designs import Boin12
from dosefind.engine.replay import DecisionContext


@st.composite
def boin12_designs(draw):
    target = draw(st.sampled_from([0.25, 0.3, 0.35]))
    u2 = draw(st.integers(0, 100))
    u3 = draw(st.integers(0, 100))
    return Boin12(
        target=target,
        target_eff=draw(st.sampled_from([0.15, 0.25, 0.4])),
        n_doses=draw(st.integers(2, 6)),
        max_n=draw(st.integers(6, 30)),
        cohort_size=draw(st.integers(1, 3)),
        utilities=(100, u2, u3, 0),
        n_star=draw(st.integers(3, 9)),
        explore_n=draw(st.sampled_from([0, 6, 9])),
        rules="paper",
    )


@settings(max_examples=60, deadline=None)
@given(design=boin12_designs(), data=st.data())
def test_boin12_invariants(design, data):
    ctx = DecisionContext(design)
    lam_d = design.boundaries[1]
    cur = design.start_dose - 1
    toxic_floor = design.n_doses  # lowest dose eliminated for toxicity so far
    flags = design.flag_table(design.max_n)
    while True:
        size = min(design.cohort_size, design.max_n - ctx.n_total)
        tox = data.draw(st.integers(0, size))
        eff = data.draw(st.integers(0, size))
        both = data.draw(st.integers(max(0, tox + eff - size), min(tox, eff)))
        before = ctx.admissible.copy()
        step = ctx.treat(cur, size, tox, False, eff=eff, efftox=both)
        after = ctx.admissible
        assert all(after[d] <= before[d] for d in range(design.n_doses))  # permanent
        n, y = int(ctx.n_at[cur]), int(ctx.tox_at[cur])
        if n and flags[n, y] & 4:  # B12_TOXIC
            toxic_floor = min(toxic_floor, cur)
        assert all(after[d] == 0 for d in range(toxic_floor, design.n_doses))
        if step.status != Status.CONTINUE:
            if step.status == Status.STOP_NO_DOSE:
                assert toxic_floor == 0 or not after.any() or step.reason.name.startswith("NO_ADMISSIBLE")
            break
        nxt = step.next_dose
        assert nxt <= cur + 1 and after[nxt] == 1 and nxt < toxic_floor
        if y / n >= lam_d:
            assert nxt <= cur
        cur = nxt
    if step.status == Status.STOP_SELECT:
        sel = ctx.select(full=False)
        assert sel == -1 or (ctx.n_at[sel] > 0 and ctx.admissible[sel] == 1)
