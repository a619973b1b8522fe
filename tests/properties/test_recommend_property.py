"""`recommend` is the engine: trials driven cohort by cohort by live recommendations end exactly where
the simulation engine's trials with the same patients end."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dosefind import Scenario, Status
from dosefind.engine import simulate_one
from dosefind.engine.rng import latent_uniforms
from dosefind.live.recommend import recommend
from dosefind.outcomes import parse_outcomes

from .test_design_properties import curves, designs

TRIALS = 24  # with the CI profile (60 designs): about 1,400 trials, 4,700 recommendations


def drive_with_recommend(design, curve, uniforms):
    """Run one trial where every next dose comes from `recommend` on the notation of the data so far."""
    notation = []
    used = 0
    histories = 0
    while True:
        rec = recommend(design, parse_outcomes(" ".join(notation), design.doses))
        histories += 1
        if rec.stopped:
            return rec, histories
        dose = rec.next_dose
        size = min(design.cohort_size, design.max_n - used)
        letters = "".join("T" if u < curve[dose] else "N" for u in uniforms[used : used + size])
        used += size
        notation.append(f"{dose + 1}{letters}")


@given(data=st.data())
def test_recommend_reproduces_engine_trials(data):
    design = data.draw(designs())
    curve = data.draw(curves(design.n_doses))
    seed = data.draw(st.integers(0, 2**40))
    scen = Scenario("h", curve)
    res = simulate_one(design, scen, TRIALS, seed)
    u = latent_uniforms(seed, scen.key, TRIALS, design.max_n)
    for t in range(TRIALS):
        rec, _ = drive_with_recommend(design, curve, u[t])
        n_at, tox_at = rec.data.counts()
        np.testing.assert_array_equal(n_at, res.n_at_dose[t])
        np.testing.assert_array_equal(tox_at, res.tox_at_dose[t])
        assert rec.status == Status(res.status[t])
        assert int(rec.reason) == int(res.reason[t])
        assert (rec.selected if rec.selected is not None else -1) == res.selected[t]
        assert all(h.followed in (True, None) for h in rec.history)
        assert not rec.warnings or all("last cohort has" in w for w in rec.warnings)
