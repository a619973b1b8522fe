"""EffTox through the CLI: simulate (OBD metrics), recommend (posterior pi_T with its interval, responses,
pi_E, the hurdles' probabilities, utility, admissibility), the meeting report, and the refusals (no
decision table, missing responses, bad contour), each one line with
exit code 2); the MCMC back end (the joint model sampled, checked against the fast posterior); dose
transition pathways, which enumerate the four joint outcomes per patient."""

import numpy as np
import pytest
from typer.testing import CliRunner

from dosefind.cli import app

from ..conftest import SCENARIOS

runner = CliRunner()
SPEC = SCENARIOS / "efftox-5dose.toml"
DESIGN = SCENARIOS.parent / "examples" / "designs" / "efftox.toml"


def test_simulate_reports_obd_metrics():
    r = runner.invoke(app, ["simulate", str(SPEC), "--design", str(DESIGN), "--trials", "30", "--seed", "3"])
    assert r.exit_code == 0, r.output
    assert "design EffTox" in r.output and "OBD" in r.output and "n response" in r.output


def test_recommend_shows_the_hurdles_and_utility():
    r = runner.invoke(app, ["recommend", "--design", str(DESIGN), "--outcomes", "1NNE 2EEB", "--no-log"])
    assert r.exit_code == 0, r.output
    for word in ("P(resp)", "P(tox<0.3)", "P(resp>0.5)", "utility", "admissible", "next cohort at dose 4"):
        assert word in r.output, (word, r.output)


def test_meeting_report(tmp_path):
    out = tmp_path / "meeting.html"
    r = runner.invoke(app, ["report", "--design", str(DESIGN), "--outcomes", "1NNE 2EEB", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert out.exists() and "utility" in out.read_text()


def test_paths_enumerate_joint_outcomes():
    r = runner.invoke(app, ["paths", "--design", str(DESIGN), "--outcomes", "1NNE"])
    assert r.exit_code == 0, r.output
    assert "Dose transition pathways" in r.output
    for outcome in ("2NNN", "2EEE", "2TTT", "2BBB"):
        assert outcome in r.output, (outcome, r.output)


def test_refusals_are_one_line_with_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(DESIGN.read_text().replace("tox_star = 0.25", "tox_star = 0.8"))
    cases = [
        ["table", "--design", str(DESIGN)],
        ["recommend", "--design", str(DESIGN), "--outcomes", "1NNT", "--no-log"],
        ["recommend", "--design", str(bad), "--outcomes", "1NNE", "--no-log"],
    ]
    for args in cases:
        r = runner.invoke(app, args)
        assert r.exit_code == 2, (args, r.output)
        assert len(r.output.strip().splitlines()) == 1, (args, r.output)
        assert "Traceback" not in r.output


@pytest.mark.slow
@pytest.mark.pymc
def test_recommend_mcmc_samples_the_joint_model():
    """`--posterior mcmc` samples EffTox's joint model (designs/efftox/pymc_model.py): its columns agree
    with the fast table within the rule's measured error plus four MCSEs, and the decision is the fast
    kernel's whatever the back end."""
    import json

    base = ["recommend", "--design", str(DESIGN), "--outcomes", "1NNE 2EEB", "--no-log", "--format", "json"]
    fast = json.loads(runner.invoke(app, base).output)
    r = runner.invoke(app, [*base, "--posterior", "mcmc", "--chains", "2", "--draws", "1500", "--seed", "5"])
    assert r.exit_code == 0, r.output
    mc = json.loads(r.output)
    assert mc["posterior"]["method"] == "mcmc" and mc["posterior"]["diagnostics"]["chains"] == 2
    assert (mc["next_dose"], mc["reason_code"]) == (fast["next_dose"], fast["reason_code"])
    got, want = mc["posterior"]["extra"], fast["posterior"]["extra"]
    # the rule's measured errors (tests/unit/test_efftox.py's RULE_ERROR) plus four MCSEs
    for key, bound in (("prob_eff", 0.008), ("prob_acc_tox", 0.025), ("prob_acc_eff", 0.025)):
        diff = np.abs(np.array(got[key]) - np.array(want[key]))
        assert np.all(diff <= bound + 4 * np.array(got[f"mcse_{key}"])), (key, got[key], want[key])
    diff = np.abs(np.array(mc["posterior"]["mean"]) - np.array(fast["posterior"]["mean"]))
    assert np.all(diff <= 0.012 + 4 * np.array(got["mcse_mean"])), (
        mc["posterior"]["mean"],
        fast["posterior"]["mean"],
    )
    assert got["responses"] == want["responses"]
