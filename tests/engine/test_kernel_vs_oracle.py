"""Each kernel makes the same decisions as a naive pure-Python oracle on identical latent values."""

import numpy as np
import pytest

from dosefind import Boin, Crm, DontSkip, Scenario, StopAtN, StopWhenNAtDose, StopWhenTooToxic, ThreePlusThree
from dosefind.designs import APlusB
from dosefind.engine import simulate_one
from dosefind.engine.rng import latent_uniforms
from oracles import apb_trial, boin_trial, crm_trial, tpt_trial

SCENARIOS = [
    Scenario("low", (0.03, 0.09, 0.16, 0.25, 0.32, 0.40)),
    Scenario("mid", (0.09, 0.16, 0.23, 0.34, 0.51, 0.74)),
    Scenario("high", (0.26, 0.34, 0.47, 0.64, 0.66, 0.77)),
    Scenario("toxic", (0.45, 0.55, 0.65, 0.75, 0.85, 0.95)),
    Scenario("bumpy", (0.05, 0.40, 0.10, 0.30, 0.60, 0.20)),
]


def _mods_dicts(design):
    out = []
    for m in design.modifiers:
        d = m.to_dict()
        out.append(d)
    return out


def _compare(design, oracle, n_trials, seed=11):
    for scen in SCENARIOS:
        res = simulate_one(design, scen, n_trials, seed)
        u = latent_uniforms(seed, scen.key, n_trials, design.max_n)
        for t in range(n_trials):
            sel, n, y, _ = oracle(scen.true_tox, u[t])
            assert res.selected[t] == sel, (scen.name, t, list(res.n_at_dose[t]), n)
            assert list(res.n_at_dose[t]) == n, (scen.name, t)
            assert list(res.tox_at_dose[t]) == y, (scen.name, t)


BOIN_CASES = [
    dict(),
    dict(extrasafe=True, n_earlystop=12),
    dict(cutoff_eli=0.90, phi1=0.2, phi2=0.4, start_dose=2, cohort_size=2, max_n=31),
]


@pytest.mark.parametrize("kw", BOIN_CASES)
def test_boin_matches_oracle(kw):
    base = dict(target=0.3, n_doses=6, cohort_size=3, max_n=36)
    base.update(kw)
    design = Boin(**base)
    _compare(design, lambda p, u: boin_trial(p, u, **base), 400)


def test_boin_with_modifiers_matches_oracle():
    mods = (StopWhenNAtDose(n=9), StopWhenTooToxic(threshold=0.3, confidence=0.8), StopAtN(n=30))
    design = Boin(target=0.25, n_doses=6, cohort_size=3, max_n=36, modifiers=mods)
    kw = dict(target=0.25, n_doses=6, cohort_size=3, max_n=36)
    _compare(design, lambda p, u: boin_trial(p, u, modifiers=_mods_dicts(design), **kw), 400)


@pytest.mark.parametrize("deesc", [True, False])
def test_three_plus_three_matches_oracle(deesc):
    design = ThreePlusThree(n_doses=6, deescalation=deesc)
    _compare(design, lambda p, u: tpt_trial(p, u, n_doses=6, deescalation=deesc), 1000)


def test_three_plus_three_without_top_expansion_matches_oracle():
    design = ThreePlusThree(n_doses=6, expand_top_dose=False)
    _compare(design, lambda p, u: tpt_trial(p, u, n_doses=6, expand_top_dose=False), 500)


APB_CASES = [
    dict(a=3, b=3, c=1, d=1, e=1),
    dict(a=3, b=3, c=1, d=2, e=2, deescalation=False),
    dict(a=4, b=4, c=1, d=2, e=3, expand_top_dose=False),
    dict(a=2, b=4, c=1, d=1, e=2),
    dict(a=3, b=2, c=2, d=2, e=3, deescalation=False, expand_top_dose=False),
]


@pytest.mark.parametrize("kw", APB_CASES)
def test_a_plus_b_matches_oracle(kw):
    design = APlusB(n_doses=6, **kw)
    _compare(design, lambda p, u: apb_trial(p, u, n_doses=6, **kw), 500)


def test_a_plus_b_with_modifiers_matches_oracle():
    kw = dict(a=2, b=4, c=1, d=1, e=2)
    design = APlusB(n_doses=6, modifiers=(StopAtN(n=13), DontSkip(escalation=True, deescalation=True)), **kw)
    _compare(design, lambda p, u: apb_trial(p, u, n_doses=6, modifiers=_mods_dicts(design), **kw), 500)


def test_three_plus_three_with_modifiers_matches_oracle():
    mods = (StopAtN(n=15),)
    design = ThreePlusThree(n_doses=6, modifiers=mods)
    _compare(design, lambda p, u: tpt_trial(p, u, n_doses=6, modifiers=_mods_dicts(design)), 500)


SKELETON = (0.05, 0.12, 0.25, 0.40, 0.55, 0.70)
CRM_CASES = [
    dict(),
    dict(dose_choice="posterior_mean", skip_reference="highest_tried", coherence="off"),
    dict(model="logistic", safety_confidence=0.8, select_tried_only=True),
    dict(no_skip_escalation=False, coherence="off", cohort_size=2, max_n=20, start_dose=2),
]


@pytest.mark.parametrize("kw", CRM_CASES)
def test_crm_matches_oracle(kw):
    base = dict(target=0.3, n_doses=6, cohort_size=3, max_n=24, skeleton=SKELETON)
    base.update(kw)
    design = Crm(**base)
    _compare(design, lambda p, u: crm_trial(p, u, **base), 12)


def test_crm_with_dont_skip_modifier_matches_oracle():
    mods = (DontSkip(escalation=True, deescalation=True),)
    kw = dict(target=0.3, n_doses=6, cohort_size=3, max_n=24, skeleton=SKELETON, no_skip_escalation=False)
    design = Crm(**kw, modifiers=mods)
    _compare(design, lambda p, u: crm_trial(p, u, modifiers=_mods_dicts(design), **kw), 12)


def test_oracle_comparison_is_not_vacuous():
    """The scenarios above exercise every outcome: selection of several doses, and stopping with none."""
    design = Boin(target=0.3, n_doses=6, max_n=36)
    sels = np.concatenate([simulate_one(design, s, 400, 11).selected for s in SCENARIOS])
    assert (sels == -1).any() and len(set(sels.tolist())) >= 5
