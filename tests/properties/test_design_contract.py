"""The one contract every registered design passes, asked through the design protocol only.

For each kind in the registry: simulation (doses in range, patients within max_n, reason codes known),
replay of simulated trials (same doses, counts and selection), ``recommend`` on a trial written as
notation (the decision the replay took, explained by a sentence, never by a bare code name), a sentence
for every reason code the design's home says its base rule can emit, the posterior table's shape, dose
transition pathways whose probabilities sum to one, and, where the home declares one, a decision table
that covers every (patients, DLTs) cell. A design added to the registry without an example here fails
the first test.
"""

import math

import numpy as np
import pytest

from dosefind import Boin, Crm, Scenario, ThreePlusThree
from dosefind.constants import Reason, Status, reason_from_code
from dosefind.designs import (
    APlusB,
    Blrm,
    BlrmComb,
    Boin12,
    BoinComb,
    DecisionTableDesign,
    EffTox,
    I3Plus3,
    Keyboard,
    Mtpi,
    Mtpi2,
    PoCrm,
    RollingSix,
    TiteBoin,
    TiteCrm,
    Tpi,
    UBoin,
)
from dosefind.designs.grid import DoseGrid
from dosefind.designs.home import home_of
from dosefind.designs.registry import DESIGNS
from dosefind.engine import simulate_one
from dosefind.engine.replay import replay_simulated_trial, replay_trial
from dosefind.engine.rng import STREAM_EFF, latent_uniforms
from dosefind.errors import SpecError
from dosefind.inference.summary import fast_posterior
from dosefind.live.explain import explain
from dosefind.live.recommend import recommend
from dosefind.outcomes import parse_outcomes
from dosefind.paths import dose_paths
from dosefind.scenario.timing import Timing

GRID = DoseGrid(levels_a=("1", "2"), levels_b=("1", "2", "3"))
TOX6 = (0.05, 0.12, 0.25, 0.4, 0.55, 0.7)
GRID_TOX = (0.05, 0.1, 0.2, 0.15, 0.3, 0.45)

#: a committee's table (cohorts of 3 up to 24 patients): escalate below 1/6, stay to 1/3, DU from 2/3 + 1
COMMITTEE_ROWS = tuple(
    (n, y, "E" if y / n < 1 / 6 else "S" if y / n <= 1 / 3 else "D" if y / n < 0.6 else "DU")
    for n in range(3, 25, 3)
    for y in range(n + 1)
)

#: one small example of every registered kind, with a scenario (true DLT probability per dose or cell)
EXAMPLES = {
    "three_plus_three": (ThreePlusThree(target=0.25, n_doses=6, max_n=36), TOX6),
    "a_plus_b": (APlusB(target=0.25, n_doses=6, a=2, b=4, c=1, d=1, e=2, expand_top_dose=False), TOX6),
    "boin": (Boin(target=0.3, n_doses=6, max_n=24, extrasafe=True), TOX6),
    "crm": (
        Crm(
            target=0.25, n_doses=6, skeleton=(0.05, 0.1, 0.2, 0.3, 0.45, 0.6), max_n=18, safety_confidence=0.9
        ),
        TOX6,
    ),
    "boin_comb": (BoinComb(target=0.3, grid=GRID, max_n=24), GRID_TOX),
    "pocrm": (PoCrm(target=0.3, grid=GRID, skeleton=(0.05, 0.1, 0.2, 0.3, 0.4, 0.5), max_n=18), GRID_TOX),
    "tite_crm": (TiteCrm(target=0.25, n_doses=6, skeleton=(0.05, 0.1, 0.2, 0.3, 0.45, 0.6), max_n=12), TOX6),
    "tite_boin": (TiteBoin(target=0.3, n_doses=6, max_n=24, extrasafe=True), TOX6),
    "rolling_six": (RollingSix(target=0.25, n_doses=6), TOX6),
    "blrm": (Blrm(doses=(1, 2, 4, 8, 12, 16), reference_dose=8, max_n=18, dose_unit="mg"), TOX6),
    "blrm_comb": (
        BlrmComb(
            grid=GRID,
            doses_a=(1, 2),
            doses_b=(1, 2, 3),
            reference_dose_a=2,
            reference_dose_b=2,
            max_n=9,
            target=0.25,
        ),
        GRID_TOX,
    ),
    "tpi": (Tpi(target=0.3, n_doses=6, max_n=24), TOX6),
    "mtpi": (Mtpi(target=0.3, n_doses=6, max_n=24), TOX6),
    "mtpi2": (Mtpi2(target=0.25, n_doses=6, max_n=24, cutoff_eli=0.9), TOX6),
    "keyboard": (Keyboard(target=0.3, n_doses=6, max_n=24), TOX6),
    "i3plus3": (I3Plus3(target=0.25, n_doses=6, max_n=24, cohort_size=2), TOX6),
    "table": (DecisionTableDesign(target=0.3, n_doses=6, max_n=24, rows=COMMITTEE_ROWS), TOX6),
    # phase I/II: a third entry gives the response probabilities (and the scenario a correlation)
    "boin12": (
        Boin12(target=0.35, target_eff=0.25, n_doses=6, max_n=24),
        TOX6,
        (0.1, 0.2, 0.4, 0.5, 0.5, 0.45),
    ),
    "efftox": (
        EffTox(
            doses=(1, 2, 4, 6.6, 10, 14),
            max_n=18,
            prior_mean=(-7.9593, 1.5482, 0.7367, 3.4181, 0.0, 0.0),
            prior_sd=(3.5487, 3.5018, 2.5423, 2.4406, 0.2, 1.0),
        ),
        TOX6,
        (0.2, 0.4, 0.6, 0.7, 0.7, 0.7),
    ),
    "uboin": (
        UBoin(target=0.35, target_eff=0.25, n_doses=6, max_n=24, n_stage1=12),
        TOX6,
        (0.1, 0.2, 0.4, 0.5, 0.5, 0.45),
    ),
}
#: a clock under which nobody is ever pending (patients a month apart, a one-minute window): designs that
#: decide with pending patients are simulated in calendar time only, and then equal their replays
NEVER_PENDING = Timing(patients_per_month=1, dlt_window_days=0.0007, accrual="fixed")


#: kinds whose simulation in these checks takes minutes (the two-drug BLRM's five-parameter posterior:
#: about 90 s of CPU for each of the two heaviest checks), run with the slow statistical checks
SLOW_KINDS = {"blrm_comb"}
HEAVY = [pytest.param(k, marks=pytest.mark.slow) if k in SLOW_KINDS else k for k in sorted(EXAMPLES)]


def test_every_registered_design_has_an_example():
    assert set(DESIGNS) <= set(EXAMPLES), "add an example of the new design to EXAMPLES"


def _example(kind):
    design, tox, *eff = EXAMPLES[kind]
    if eff:
        return design, Scenario("contract", tox, true_eff=eff[0], correlation=0.3)
    return design, Scenario("contract", tox)


def _replay(design, scen, u, u_eff):
    """replay_trial on patients' toxicity values ``u`` (and response values for a phase I/II design)."""
    if not design.uses_efficacy:
        return replay_trial(design, scen.true_tox, u)
    return replay_trial(
        design, scen.true_tox, u, true_eff=scen.true_eff, eff_uniforms=u_eff, rho=scen.correlation
    )


def _notation(design, trace, u, p) -> str:
    """The trial a replay ran, in the outcome notation (patient i: T iff u[i] < p[dose])."""
    tokens, start = [], 0
    for c in trace.cohorts:
        letters = "".join("T" if u[i] < p[c.dose] else "N" for i in range(start, start + c.n))
        token = design.doses[c.dose] if design.dose_grid is not None else str(c.dose + 1)  # cell or level
        tokens.append(token + letters)
        start += c.n
    return " ".join(tokens)


@pytest.mark.parametrize("kind", HEAVY)
def test_simulate_and_replay(kind):
    design, scen = _example(kind)
    timing = NEVER_PENDING if design.uses_pending else None
    res = simulate_one(design, scen, 200, 17, timing=timing)
    assert np.all((res.selected >= -1) & (res.selected < design.n_doses))
    assert np.all(res.n_at_dose.sum(axis=1) <= design.max_n)
    for code in set(int(r) for r in res.reason):
        reason_from_code(code)  # every code the kernel returns is a known reason
    for t in range(15):
        trace = replay_simulated_trial(design, scen, 17, t)
        assert trace.selected == res.selected[t]
        assert list(trace.n_at) == list(res.n_at_dose[t])
        assert list(trace.tox_at) == list(res.tox_at_dose[t])
        assert int(trace.status) == int(res.status[t])
        if design.uses_efficacy:
            assert list(trace.eff_at) == list(res.eff_at_dose[t])


@pytest.mark.parametrize("kind", HEAVY)
def test_recommend_paths_and_posterior(kind):
    design, scen = _example(kind)
    u = latent_uniforms(23, scen.key, 6, design.max_n)
    u_eff = latent_uniforms(23, scen.key, 6, design.max_n, stream=STREAM_EFF)
    cells = design.dose_grid is not None
    for t in range(6):
        trace = _replay(design, scen, u[t], u_eff[t])
        assert trace.notation == _notation(design, trace, u[t], scen.true_tox) or design.uses_efficacy
        data = parse_outcomes(trace.notation, design.doses, efficacy=design.uses_efficacy, cells=cells)
        rec = recommend(design, data)
        last = trace.cohorts[-1]
        assert rec.status == last.status and rec.reason == last.reason
        if last.status == Status.CONTINUE:
            assert rec.next_dose == last.next_dose
        assert rec.explanation and rec.explanation[0] != last.base_reason.name.lower()
        assert len(rec.posterior.mean) == design.n_doses
    # pathways from the first cohort: every outcome, probabilities summing to one
    first = _replay(design, scen, u[0], u_eff[0]).notation.split()[0]
    first = parse_outcomes(first, design.doses, efficacy=design.uses_efficacy, cells=cells)
    # a phase I/II design's pathways branch on the joint (DLTs, responses) outcomes
    eff = {"true_eff": scen.true_eff, "correlation": scen.correlation} if design.uses_efficacy else {}
    paths = dose_paths(design, first, cohorts=2, true_tox=scen.true_tox, **eff)
    if paths.nodes[0].status == Status.CONTINUE:
        assert math.isclose(sum(x.prob for x in paths.leaves()), 1.0, abs_tol=1e-9)
    zeros = np.zeros(design.n_doses, int)
    resp = np.zeros((2, design.n_doses), int) if design.uses_efficacy else None
    table = fast_posterior(design, zeros, zeros, resp)
    assert table.model and table.mean.shape == (design.n_doses,)


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_every_reason_code_has_a_sentence(kind):
    design, _ = _example(kind)
    home = home_of(design)
    codes = home.reason_codes(design)
    assert codes, "the home must list the reason codes its base rule emits"
    D = design.n_doses
    n_at = np.zeros(D, dtype=np.int64)
    tox_at = np.zeros(D, dtype=np.int64)
    n_at[:3] = (3, 6, 3)
    tox_at[:3] = (0, 2, 3)
    for code in codes:
        line = home.explain(design, code, n_at, tox_at, 1, 2, None)
        assert line, f"{kind}: no sentence for {code!r}"
        assert explain(code, design, n_at, tox_at, 1, 2) == line
    for code in (Reason.MAX_N, Reason.NO_ADMISSIBLE_DOSE):  # the rules every design shares
        assert explain(code, design, n_at, tox_at, 1, 2) != code.name.lower()


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_decision_table_where_declared(kind):
    design, _ = _example(kind)
    try:
        table = home_of(design).decision_table(design, None)
    except SpecError as e:
        # a design without a table points to pathways; a phase I/II design (whose pathways are not
        # enumerated either) to simulation
        assert "paths" in str(e) or (design.uses_efficacy and "simulate" in str(e))
        return
    assert table.unit == design.unit and table.kind == design.kind
    if not hasattr(table, "rows"):  # a phase I/II score table: every (DLTs, responses) for each n
        for n in table.n_treated:
            cells = [(c.n_dlt, c.n_response) for c in table.cells if c.n_treated == n]
            assert cells == [(y, e) for y in range(n + 1) for e in range(n + 1)]
        return
    for n in table.n_treated:
        assert [r.n_dlt for r in table.rows if r.n_treated == n] == list(range(n + 1))
    assert {r.action for r in table.rows} <= set(table.labels)
