"""BOIN12's kernels against the naive oracle (tests/oracles.py::boin12_trial, written from the paper's
rules with scipy's beta distribution and the copula written out), trial by trial on the engine's own
latent values: the same doses, counts, responses, status and selected dose. Plus the phase I/II frame:
responses drawn only for designs that read them, and bad input refused by field."""

import numpy as np
import pytest

from dosefind import Scenario
from dosefind.constants import Status
from dosefind.designs import Boin, Boin12
from dosefind.engine import simulate_one
from dosefind.engine.rng import STREAM_EFF, latent_uniforms
from dosefind.errors import SpecError
from oracles import boin12_trial

SCENARIOS = {
    # OBD in the middle; the highest doses too toxic
    "mid": ((0.05, 0.1, 0.2, 0.3, 0.45, 0.6), (0.1, 0.2, 0.4, 0.5, 0.5, 0.5), 0.3),
    # flat response, futility at the low doses
    "futile": ((0.02, 0.05, 0.1, 0.15, 0.25, 0.4), (0.02, 0.05, 0.3, 0.35, 0.35, 0.35), 0.0),
    # toxic from the start: eliminations and stops
    "toxic": ((0.4, 0.5, 0.6, 0.7, 0.8, 0.9), (0.3, 0.4, 0.5, 0.5, 0.5, 0.5), -0.2),
}
CASES = [
    dict(rules="paper"),
    dict(rules="escalation"),
    dict(rules="paper", explore_n=0, n_star=9, utilities=(100, 30, 50, 0)),
    dict(rules="paper", cohort_size=2, max_n=30, start_dose=2),
]


@pytest.mark.parametrize("kw", CASES)
@pytest.mark.parametrize("scen", sorted(SCENARIOS))
def test_boin12_matches_oracle(kw, scen):
    tox, eff, rho = SCENARIOS[scen]
    base = dict(target=0.35, target_eff=0.25, n_doses=6, max_n=36)
    base.update(kw)
    design = Boin12(**base)
    s = Scenario(scen, tox, true_eff=eff, correlation=rho)
    T = 150
    res = simulate_one(design, s, T, 11)
    u = latent_uniforms(11, s.key, T, design.max_n)
    ue = latent_uniforms(11, s.key, T, design.max_n, stream=STREAM_EFF)
    for t in range(T):
        sel, n, y, e, status = boin12_trial(
            tox,
            eff,
            rho,
            u[t],
            ue[t],
            target=0.35,
            target_eff=0.25,
            n_doses=6,
            max_n=design.max_n,
            cohort=design.cohort_size,
            utilities=design.utilities,
            n_star=design.n_star,
            explore_n=design.explore_n,
            rules=design.rules,
            start=design.start_dose - 1,
        )
        assert list(res.n_at_dose[t]) == n, (t, kw)
        assert list(res.tox_at_dose[t]) == y, (t, kw)
        assert list(res.eff_at_dose[t]) == e, (t, kw)
        assert int(res.selected[t]) == sel, (t, kw)
        assert (int(res.status[t]) == Status.STOP_SELECT) == (status == "select")


def test_oracle_comparison_is_not_vacuous():
    """The scenarios reach every branch worth checking: stops with no dose, several selected doses,
    eliminations for futility and the exploration rule."""
    design = Boin12(target=0.35, target_eff=0.25, n_doses=6, max_n=36)
    reasons = set()
    picks = set()
    for name, (tox, eff, rho) in SCENARIOS.items():
        res = simulate_one(design, Scenario(name, tox, true_eff=eff, correlation=rho), 2000, 3)
        reasons |= {int(r) for r in res.reason}
        picks |= {int(d) for d in res.selected}
    assert -1 in picks and len(picks) >= 5
    from dosefind.constants import Reason

    assert {int(Reason.MAX_N), int(Reason.B12_LOWEST_TOXIC)} <= reasons


def test_responses_are_drawn_only_for_designs_that_read_them():
    """A toxicity-only design under a scenario with responses gives the trials it gave without them
    (bit-identical), and no response columns."""
    tox, eff, rho = SCENARIOS["mid"]
    boin = Boin(target=0.3, n_doses=6, max_n=36)
    a = simulate_one(boin, Scenario("mid", tox), 500, 5)
    b = simulate_one(boin, Scenario("mid", tox, true_eff=eff, correlation=rho), 500, 5)
    assert b.eff_at_dose is None
    for col in ("selected", "n_at_dose", "tox_at_dose", "status", "reason"):
        assert np.array_equal(getattr(a, col), getattr(b, col))


def test_phase12_input_errors_name_the_field():
    design = Boin12(target=0.35, target_eff=0.25, n_doses=6, max_n=36)
    with pytest.raises(SpecError, match="true_eff"):
        simulate_one(design, Scenario("x", SCENARIOS["mid"][0]), 10, 1)
    cases = [
        (dict(utilities=(100, 40, 60, 120)), "utilities"),
        (dict(utilities=(100, 40, 60, -1)), "utilities"),
        (dict(utilities=(100, 40, 60)), "utilities"),
        (dict(utilities=(40, 100, 60, 0)), "utilities"),
        (dict(utilities=(100, 40, 60.5, 0)), "utilities"),
        (dict(target_eff=1.2), "target_eff"),
        (dict(target_eff=0.0), "target_eff"),
        (dict(cutoff_tox=1.0), "cutoff_tox"),
        (dict(cutoff_eff=0.0), "cutoff_eff"),
        (dict(rules="shiny"), "rules"),
    ]
    base = dict(target=0.35, target_eff=0.25, n_doses=6, max_n=36)
    for kw, field in cases:
        with pytest.raises(SpecError) as err:
            Boin12(**{**base, **kw})
        assert err.value.field == field and "\n" not in str(err.value)
    with pytest.raises(SpecError, match="correlation"):
        Scenario("x", (0.1, 0.2), true_eff=(0.1, 0.2), correlation=1.0)
