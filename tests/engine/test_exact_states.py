"""Exact operating characteristics (oc/exact_states.py) against the independent 3+3 enumerator (to
1e-12), against exact pathways (to 1e-12), and against simulation within Monte Carlo error for every
count-based design, random choices included; refusals."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from dosefind.cli import app
from dosefind.designs import Blrm, Boin, Crm, ThreePlusThree
from dosefind.designs.boin_comb import BoinComb
from dosefind.designs.grid import DoseGrid
from dosefind.designs.pocrm import PoCrm
from dosefind.designs.tite_crm import TiteCrm
from dosefind.engine.simulate import simulate_one
from dosefind.errors import SpecError
from dosefind.oc.exact import exact_three_plus_three
from dosefind.oc.exact_states import exact_operating_characteristics
from dosefind.oc.metrics import operating_characteristics
from dosefind.outcomes import parse_outcomes
from dosefind.paths import dose_paths
from dosefind.scenario import Scenario

SCENARIOS_5 = [
    (0.05, 0.10, 0.20, 0.30, 0.45),
    (0.30, 0.40, 0.50, 0.60, 0.70),
    (0.02, 0.04, 0.06, 0.08, 0.30),
    (0.50, 0.60, 0.70, 0.80, 0.90),
]


@pytest.mark.parametrize("deescalation", [True, False])
@pytest.mark.parametrize("tox", SCENARIOS_5)
def test_three_plus_three_equals_the_independent_enumerator(tox, deescalation):
    design = ThreePlusThree(n_doses=5, deescalation=deescalation)
    oc, info = exact_operating_characteristics(design, Scenario("S", tox))
    ref = exact_three_plus_three(tox, deescalation=deescalation)
    for key in ("prob_select", "mean_n_at_dose", "mean_tox_at_dose"):
        np.testing.assert_allclose(oc.values[key], ref[key], rtol=0, atol=1e-12)
    assert oc.values["prob_select_none"] == pytest.approx(ref["prob_select_none"], abs=1e-12)
    assert oc.values["mean_n"] == pytest.approx(ref["mean_n"], abs=1e-12)
    assert sum(oc.values["prob_select"]) + oc.values["prob_select_none"] == pytest.approx(1.0, abs=1e-12)
    assert all(v == 0.0 for v in oc.mcse["prob_select"]) and oc.mcse["pcs"] == 0.0
    assert info.states > 1 and info.decisions >= info.states - 1


def test_exact_equals_the_end_of_every_pathway():
    """Pathways enumerated to the end of the trial (max_n / cohort_size cohorts, plus the empty cohort at
    max_n) give each selection's probability; the exact OCs merge states and must agree to 1e-12."""
    design = Boin(target=0.3, n_doses=3, max_n=12)
    tox = (0.15, 0.3, 0.5)
    paths = dose_paths(design, parse_outcomes("", design.doses), cohorts=design.max_n // 3 + 1, true_tox=tox)
    sel = np.zeros(3)
    none = 0.0
    for node in paths.nodes:
        if node.depth == 0 or int(node.status) == 0:
            continue
        if node.selected >= 0:
            sel[node.selected] += node.prob
        else:
            none += node.prob
    assert sel.sum() + none == pytest.approx(1.0, abs=1e-12)  # every pathway ended
    oc, _ = exact_operating_characteristics(design, Scenario("S", tox))
    np.testing.assert_allclose(oc.values["prob_select"], sel, atol=1e-12)
    assert oc.values["prob_select_none"] == pytest.approx(none, abs=1e-12)


def _grid_boin():
    return BoinComb(target=0.3, max_n=18, grid=DoseGrid(levels_a=("1", "2"), levels_b=("1", "2", "3")))


def _grid_pocrm():
    g = DoseGrid(levels_a=("1", "2"), levels_b=("1", "2", "3"))
    return PoCrm(target=0.3, grid=g, max_n=12, cohort_size=2, skeleton=(0.05, 0.1, 0.2, 0.3, 0.4, 0.5))


CASES = [
    (Boin(target=0.3, n_doses=5, max_n=24), (0.05, 0.12, 0.3, 0.45, 0.6)),
    (
        Crm(target=0.25, n_doses=5, max_n=18, skeleton=(0.05, 0.12, 0.25, 0.4, 0.55)),
        (0.1, 0.2, 0.3, 0.5, 0.6),
    ),
    (
        Blrm(doses=(1, 2, 4, 8), reference_dose=4, max_n=12, mtd_min_n=3, mtd_min_prob_target=0.4),
        (0.05, 0.15, 0.3, 0.5),
    ),
    (_grid_boin(), (0.05, 0.1, 0.25, 0.15, 0.3, 0.5)),  # random tie-breaks
    (_grid_pocrm(), (0.05, 0.15, 0.3, 0.2, 0.35, 0.5)),  # drawn orderings
]


@pytest.mark.parametrize("design,tox", CASES, ids=lambda x: getattr(x, "kind", ""))
def test_exact_agrees_with_simulation_within_monte_carlo_error(design, tox):
    """Each simulated metric within 4.5 standard errors of the exact value: for proportions the binomial
    standard error at the exact probability; for means the simulated MCSE. About 30 comparisons per
    design, so the chance of a false alarm is about 30 x 7e-6 (and the seeds are fixed)."""
    scen = Scenario("S", tox)
    T = 6000
    oc, _ = exact_operating_characteristics(design, scen)
    sim = operating_characteristics(simulate_one(design, scen, T, 2024))
    props = ["prob_select", "prob_select_none", "prob_early_stop", "prob_stop_before_max_n", "pcs"]
    props.append("prob_select_above_mtd")
    for key in props:
        e = np.atleast_1d(np.asarray(oc.values[key], dtype=float))
        s = np.atleast_1d(np.asarray(sim.values[key], dtype=float))
        se = np.sqrt(np.maximum(e * (1 - e), 1e-12) / T)
        z = np.abs(s - e) / se
        assert z.max() < 4.5 or np.abs(s - e).max() < 1.5 / T, (key, e, s)
    for key in ("mean_n_at_dose", "mean_tox_at_dose", "mean_n", "mean_tox", "prop_treated_above_mtd"):
        e = np.atleast_1d(np.asarray(oc.values[key], dtype=float))
        s = np.atleast_1d(np.asarray(sim.values[key], dtype=float))
        se = np.atleast_1d(np.asarray(sim.mcse[key], dtype=float))
        ok = np.where(se > 0, np.abs(s - e) <= 4.5 * se, np.abs(s - e) < 1e-12)
        assert ok.all(), (key, e, s, se)
    assert sum(oc.values["prob_select"]) + oc.values["prob_select_none"] == pytest.approx(1.0, abs=1e-12)


def test_a_state_limit_refuses_with_the_simulation_to_use_instead():
    design = Boin(target=0.3, n_doses=5, max_n=24)
    with pytest.raises(SpecError, match="simulate it instead"):
        exact_operating_characteristics(design, Scenario("S", (0.1, 0.2, 0.3, 0.4, 0.5)), max_states=50)


def test_pending_patient_designs_are_refused():
    design = TiteCrm(target=0.25, n_doses=3, max_n=12, skeleton=(0.1, 0.25, 0.4))
    with pytest.raises(SpecError, match="pending"):
        exact_operating_characteristics(design, Scenario("S", (0.1, 0.2, 0.3)))


SPEC = """
[design]
kind = "boin"
target = 0.3
n_doses = 3
max_n = 12

[[scenarios]]
name = "S1"
true_tox = [0.1, 0.3, 0.5]
"""


def test_cli_exact_json_says_method_exact_with_zero_mcse(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    r = CliRunner().invoke(app, ["simulate", str(spec), "--exact", "-f", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["provenance"]["method"] == "exact"
    assert out["provenance"]["exact"][0]["states"] > 1
    res = out["results"][0]
    assert all(x == 0.0 for x in res["mcse"]["prob_select"])
    assert math.isclose(sum(res["prob_select"]) + res["prob_select_none"], 1.0, abs_tol=1e-12)
    r = CliRunner().invoke(app, ["simulate", str(spec), "--exact"])
    assert r.exit_code == 0 and "exact (no Monte Carlo error" in r.output
    assert "±" not in r.output and "Monte Carlo standard error" not in r.output  # no MCSE claimed


def test_cli_exact_refuses_trials_and_timed_specs(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC)
    r = CliRunner().invoke(app, ["simulate", str(spec), "--exact", "--trials", "100"])
    assert r.exit_code == 2 and "leave out --trials" in r.output
    timed = tmp_path / "t.toml"
    timed.write_text(SPEC + "\n[timing]\npatients_per_month = 2\ndlt_window_days = 28\n")
    r = CliRunner().invoke(app, ["simulate", str(timed), "--exact"])
    assert r.exit_code == 2 and "calendar time" in r.output and "Traceback" not in r.output


def test_spec_file_exact_true_and_its_conflicts(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC + "\n[simulation]\nexact = true\n")
    r = CliRunner().invoke(app, ["simulate", str(spec), "-f", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["provenance"]["method"] == "exact"
    bad = tmp_path / "b.toml"
    bad.write_text(SPEC + "\n[simulation]\nexact = true\nn_trials = 5000\n")
    r = CliRunner().invoke(app, ["simulate", str(bad)])
    assert r.exit_code == 2 and "simulation.n_trials" in r.output and "exact = true" in r.output
    wrong = tmp_path / "w.toml"
    wrong.write_text(SPEC + '\n[simulation]\nexact = "yes"\n')
    r = CliRunner().invoke(app, ["simulate", str(wrong)])
    assert r.exit_code == 2 and "simulation.exact" in r.output


def test_design_option_keeps_the_specs_timing(tmp_path):
    """--design replaces the designs only: a timed spec stays timed (it used to lose its [timing])."""
    timed = tmp_path / "t.toml"
    timed.write_text(SPEC + "\n[timing]\npatients_per_month = 2\ndlt_window_days = 28\n")
    design = tmp_path / "d.toml"
    design.write_text('[design]\nkind = "three_plus_three"\nn_doses = 3\n')
    r = CliRunner().invoke(app, ["simulate", str(timed), "--design", str(design), "-n", "200", "-f", "json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)["results"][0]
    assert "duration_days" in res


def test_a_computation_projected_too_long_is_refused_early_with_its_estimate():
    design = Boin(target=0.3, n_doses=5, max_n=24)
    scen = Scenario("S", (0.1, 0.2, 0.3, 0.4, 0.5))
    # refused after the first cohort (not at the end), with the projection that refused it
    with pytest.raises(SpecError, match=r"would take more than 0 s: after cohort 1 of 8.*ms per decision"):
        exact_operating_characteristics(design, scen, max_seconds=1e-9)
    oc, _info = exact_operating_characteristics(design, scen, max_seconds=3600.0)  # the same, allowed
    assert sum(oc.values["prob_select"]) + oc.values["prob_select_none"] == pytest.approx(1.0, abs=1e-12)
