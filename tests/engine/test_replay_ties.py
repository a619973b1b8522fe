"""Replaying simulated trials of designs that break ties with their own randomness (BOIN for combinations,
PO-CRM): :func:`replay_simulated_trial` draws each decision's tie uniform from the trial's key as the
simulation loop does, so every trial is reproduced exactly; without a trial key, :func:`replay_trial` uses
the live rule (a uniform from the content hash of the trial so far), as ``recommend`` does."""

import numpy as np
import pytest

from dosefind import Scenario, Status
from dosefind.designs import BoinComb, PoCrm
from dosefind.designs.grid import DoseGrid
from dosefind.engine import simulate_one
from dosefind.engine.replay import replay_data, replay_simulated_trial, replay_trial
from dosefind.engine.rng import STREAM_DESIGN, latent_uniforms
from dosefind.errors import EngineError
from dosefind.outcomes import parse_outcomes

GRID = DoseGrid(levels_a=("a0", "a1", "a2"), levels_b=("b0", "b1", "b2"))
GRID_CUT = DoseGrid(levels_a=("a0", "a1", "a2"), levels_b=("b0", "b1", "b2", "b3"), excluded=("3.4",))
POCRM = dict(skeleton_halfwidth=0.05, skeleton_nu=4)
DESIGNS = {
    "boin_comb": BoinComb(target=0.3, grid=GRID, max_n=30),
    "boin_comb next.comb, 2 per cohort": BoinComb(
        target=0.25, grid=GRID_CUT, max_n=24, cohort_size=2, rules="next.comb"
    ),
    "pocrm": PoCrm(target=0.3, grid=GRID, max_n=24, **POCRM),
    "pocrm random ordering": PoCrm(target=0.3, grid=GRID, max_n=24, ordering_choice="random", **POCRM),
    "pocrm likelihood": PoCrm(target=0.3, grid=GRID_CUT, max_n=24, estimation="likelihood", **POCRM),
}
# flat curves: every candidate cell looks alike, so the decisions' ties are frequent
FLAT = (0.05, 0.3, 0.6)
N_TRIALS = 150
SEED = 20260402


def cells(design, p: float) -> Scenario:
    return Scenario(f"flat {p}", (p,) * design.grid.n_cells)


def outcome_of(trace) -> tuple:
    return (trace.status, trace.cohorts[-1].reason, trace.selected)


@pytest.mark.parametrize("name", list(DESIGNS))
def test_replay_reproduces_every_simulated_trial_with_ties(name):
    design = DESIGNS[name]
    tie_dependent = 0
    for p in FLAT:
        scen = cells(design, p)
        res = simulate_one(design, scen, N_TRIALS, SEED)
        u_tox = latent_uniforms(SEED, scen.key, N_TRIALS, design.max_n)
        u_design = latent_uniforms(SEED, scen.key, N_TRIALS, design.max_n, stream=STREAM_DESIGN)
        for t in range(N_TRIALS):
            want = (res.status[t], res.reason[t], res.selected[t])
            for trace in (
                replay_simulated_trial(design, scen, SEED, t),
                replay_trial(design, scen.true_tox, u_tox[t], u_ties=u_design[t]),
            ):
                np.testing.assert_array_equal(trace.n_at, res.n_at_dose[t], err_msg=f"{p} trial {t}")
                np.testing.assert_array_equal(trace.tox_at, res.tox_at_dose[t], err_msg=f"{p} trial {t}")
                assert outcome_of(trace) == want, (p, t)
            # the trial depends on the uniforms: other uniforms for its ties give another trial
            other = replay_trial(design, scen.true_tox, u_tox[t], u_ties=1.0 - u_design[t])
            tie_dependent += not (np.array_equal(other.n_at, res.n_at_dose[t]) and outcome_of(other) == want)
    # the flat scenarios really exercise the tie-breaking (so the 0.5 of old would have failed here)
    assert tie_dependent >= 0.1 * len(FLAT) * N_TRIALS, tie_dependent


def test_later_trials_of_a_block():
    """Row t of a run with first_trial = k is trial k + t of the sequence."""
    design, k = DESIGNS["pocrm random ordering"], 1000
    scen = cells(design, 0.3)
    res = simulate_one(design, scen, 20, SEED, first_trial=k)
    for t in range(20):
        trace = replay_simulated_trial(design, scen, SEED, k + t)
        np.testing.assert_array_equal(trace.n_at, res.n_at_dose[t])
        assert outcome_of(trace) == (res.status[t], res.reason[t], res.selected[t])


@pytest.mark.parametrize("name", ["boin_comb", "pocrm random ordering"])
def test_without_a_trial_key_replay_uses_the_live_rule(name):
    """replay_trial without u_ties gives each decision the uniform `recommend` would use on the trial's
    notation (TrialData.tie_uniforms), deterministically; replay_data defaults to the same rule."""
    design = DESIGNS[name]
    scen = cells(design, 0.3)
    u_tox = latent_uniforms(SEED, scen.key, 40, design.max_n)
    for t in range(40):
        trace = replay_trial(design, scen.true_tox, u_tox[t])
        again = replay_trial(design, scen.true_tox, u_tox[t])
        assert [c.u_tie for c in again.cohorts] == [c.u_tie for c in trace.cohorts]
        text = " ".join(
            design.doses[c.dose] + "".join("T" if u < scen.true_tox[c.dose] else "N" for u in patients)
            for c, patients in zip(trace.cohorts, _split(u_tox[t], trace.cohorts), strict=True)
        )
        data = parse_outcomes(text, design.doses, cells=True)
        assert [c.u_tie for c in trace.cohorts] == data.tie_uniforms()
        for u_ties in (data.tie_uniforms(), None):
            ctx, steps = replay_data(design, data, u_ties)
            assert [(s.next_dose, s.status, s.reason) for s in steps] == [
                (c.next_dose, c.status, c.reason) for c in trace.cohorts
            ]
        if trace.status == Status.STOP_SELECT:
            assert ctx.select() == trace.selected


def _split(u, cohorts):
    out, i = [], 0
    for c in cohorts:
        out.append(u[i : i + c.n])
        i += c.n
    return out


def test_too_few_tie_uniforms_is_an_engine_error():
    design = DESIGNS["boin_comb"]
    u = np.full(design.max_n, 0.99)  # no DLT: the trial runs to max_n, ten decisions
    with pytest.raises(EngineError, match="u_ties has 3 uniforms"):
        replay_trial(design, (0.1,) * 9, u, u_ties=[0.5, 0.5, 0.5])
