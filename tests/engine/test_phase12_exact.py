"""Exact operating characteristics and pathways of phase I/II designs (BOIN12, U-BOIN): the dynamic
programme over (patients, DLTs, responses) states against simulation (4 MCSE), against a brute-force
enumeration of every patient's outcome on a tiny design, path probabilities summing to one, and the
refusal of a state space too large, with its count."""

import itertools
import math

import numpy as np
import pytest

from dosefind import Scenario
from dosefind.constants import Status
from dosefind.designs import Boin12, UBoin
from dosefind.engine import simulate_one
from dosefind.engine.replay import DecisionContext
from dosefind.errors import SpecError
from dosefind.oc.exact_states import exact_operating_characteristics
from dosefind.oc.metrics import operating_characteristics
from dosefind.oc.utility import prob_both
from dosefind.outcomes import parse_outcomes
from dosefind.paths import dose_paths

SCEN = Scenario("mid", (0.05, 0.15, 0.3, 0.5), true_eff=(0.1, 0.3, 0.5, 0.5), correlation=0.3)
KEYS = (
    "prob_select",
    "prob_select_none",
    "mean_n_at_dose",
    "prob_select_obd",
    "mean_resp_at_dose",
    "mean_resp",
)


@pytest.mark.parametrize(
    "design",
    [
        Boin12(target=0.3, target_eff=0.25, n_doses=4, max_n=12),
        UBoin(target=0.3, target_eff=0.25, n_doses=4, max_n=12, n_stage1=6),
    ],
    ids=["boin12", "uboin"],
)
def test_exact_equals_simulation_within_4_mcse(design):
    oc, info = exact_operating_characteristics(design, SCEN)
    assert info.states > 100
    sim = operating_characteristics(simulate_one(design, SCEN, 40_000, 9))
    for k in KEYS:
        exact = np.atleast_1d(oc.values[k])
        assert np.all(np.atleast_1d(oc.mcse[k]) == 0.0)
        mc, se = np.atleast_1d(sim.values[k]), np.atleast_1d(sim.mcse[k])
        assert np.all(np.abs(exact - mc) <= 4 * se + 1e-12), (k, exact, mc, se)
    assert math.isclose(sum(oc.values["prob_select"]) + oc.values["prob_select_none"], 1.0, abs_tol=1e-12)


def _brute_force(design, scen):
    """Every sequence of the four outcomes of every patient (cohorts in order), its probability, and the
    design's decisions through DecisionContext.treat: P(select d) and E(responses at d)."""
    D = design.n_doses
    pb = [prob_both(p, q, scen.correlation) for p, q in zip(scen.true_tox, scen.true_eff, strict=True)]
    sel = np.zeros(D + 1)
    resp = np.zeros(D)
    size, max_n = design.cohort_size, design.max_n
    for seq in itertools.product(range(4), repeat=max_n):  # 0 neither, 1 DLT, 2 response, 3 both
        ctx = DecisionContext(design)
        cur, i, prob = design.start_dose - 1, 0, 1.0
        while True:
            n = min(size, max_n - i)
            outs = seq[i : i + n]
            p, q, b = scen.true_tox[cur], scen.true_eff[cur], pb[cur]
            for o in outs:
                prob *= (1 - p - q + b, p - b, q - b, b)[o]
            y = sum(o in (1, 3) for o in outs)
            e = sum(o in (2, 3) for o in outs)
            bb = sum(o == 3 for o in outs)
            i += n
            step = ctx.treat(cur, n, y, full=False, eff=e, efftox=bb)
            if step.status != Status.CONTINUE:
                break
            cur = step.next_dose
        # patients beyond the end of a trial that stopped early repeat the same trial: weight only the
        # patients used (the rest of the sequence sums to 1 over its outcomes)
        unused = seq[i:]
        if any(o != 0 for o in unused):
            continue
        chosen = ctx.select(full=False) if step.status == Status.STOP_SELECT else -1
        sel[chosen if chosen >= 0 else D] += prob
        resp += prob * ctx.resp_at[0]
    return sel, resp


def test_exact_equals_brute_force_on_a_tiny_design():
    design = Boin12(target=0.3, target_eff=0.25, n_doses=3, max_n=6, cohort_size=2, n_star=2, explore_n=4)
    scen = Scenario("tiny", (0.1, 0.3, 0.6), true_eff=(0.2, 0.5, 0.6), correlation=0.4)
    sel, resp = _brute_force(design, scen)
    oc, _ = exact_operating_characteristics(design, scen)
    np.testing.assert_allclose(oc.values["prob_select"], sel[:-1], atol=1e-12)
    np.testing.assert_allclose(oc.values["prob_select_none"], sel[-1], atol=1e-12)
    np.testing.assert_allclose(oc.values["mean_resp_at_dose"], resp, atol=1e-12)


def test_too_many_states_is_refused_with_the_count():
    design = Boin12(target=0.3, target_eff=0.25, n_doses=4, max_n=12)
    with pytest.raises(SpecError, match=r"more than 50 distinct trial states.*states so far.*responses"):
        exact_operating_characteristics(design, SCEN, max_states=50)


@pytest.mark.parametrize(
    "design",
    [
        Boin12(target=0.3, target_eff=0.25, n_doses=4, max_n=12),
        UBoin(target=0.3, target_eff=0.25, n_doses=4, max_n=12, n_stage1=6),
    ],
    ids=["boin12", "uboin"],
)
def test_paths_branch_on_joint_outcomes_and_sum_to_one(design):
    data = parse_outcomes("1NNE 2NEB", design.doses, efficacy=True)
    paths = dose_paths(
        design, data, cohorts=2, true_tox=SCEN.true_tox, true_eff=SCEN.true_eff, correlation=0.3
    )
    leaves = paths.leaves()
    assert math.isclose(sum(x.prob for x in leaves), 1.0, abs_tol=1e-12)
    first = paths.children(0)
    assert len({(x.tox, x.eff, x.both) for x in first}) == 20  # every (DLTs, responses, both) of 3 patients
    if design.kind == "uboin":  # stage 2 from 6 patients: every branch is a randomisation with its chance
        assert paths.has_random_choices
    with pytest.raises(Exception, match="response probabilities"):
        dose_paths(design, data, cohorts=1, true_tox=SCEN.true_tox)
