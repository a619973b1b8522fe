"""``dosefind verify``: the conformance checks from the command line; a broken decision or a wrong
recorded value makes it fail and name the check."""

import json

from typer.testing import CliRunner

from dosefind.cli import app
from dosefind.conformance import CHECKS, reference
from dosefind.designs import Boin

runner = CliRunner()


def test_quick_passes_with_one_row_per_check(tmp_path):
    out = tmp_path / "verify.json"
    r = runner.invoke(app, ["verify", "--quick", "--format", "json", "--out", str(out)])
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    assert data["passed"] is True and data["mode"] == "quick"
    assert {c["check"] for c in data["checks"]} == {n for n, c in CHECKS.items() if c.quick}
    for row in data["checks"]:
        assert set(row) >= {
            "check",
            "design",
            "reference",
            "quantity",
            "deviation",
            "tolerance",
            "basis",
            "passed",
        }
        assert row["passed"] and row["deviation"] <= row["tolerance"] and row["basis"]
    r = runner.invoke(app, ["verify", "--check", "boin_select_mtd"])
    assert r.exit_code == 0 and "1 of 1 checks pass" in r.output and "select.mtd" in r.output


def test_a_broken_decision_fails_and_names_the_checks(monkeypatch):
    real = Boin._boundaries_at

    def escalate_one_dlt_more(self, n):  # a BOIN whose escalation boundary is one DLT too high
        b_e, b_d, b_elim, p_over = real(self, n)
        return b_e + 1, max(b_d, b_e + 2), b_elim, p_over

    monkeypatch.setattr(Boin, "_boundaries_at", escalate_one_dlt_more)
    r = runner.invoke(app, ["verify", "--check", "boin_boundaries", "--check", "boin_trial_replay"])
    assert r.exit_code == 1, r.output
    assert "check(s) failed: boin_boundaries, boin_trial_replay" in r.output
    assert "FAIL" in r.output and "differ at n = [1, 2," in r.output


def test_a_wrong_posterior_or_recorded_value_fails(monkeypatch):
    import dosefind.engine.posterior as posterior

    real = posterior.crm_posterior_summary

    def shifted(*args, **kwargs):
        post = dict(real(*args, **kwargs))
        post["mean_b"] = post["mean_b"] + 1e-3
        return post

    monkeypatch.setattr(posterior, "crm_posterior_summary", shifted)
    r = runner.invoke(app, ["verify", "--check", "dfcrm_crm_posterior", "-f", "json"])
    assert r.exit_code == 1
    rows = json.loads(r.stdout)["checks"]
    assert rows and not any(row["passed"] for row in rows)
    assert "failed: dfcrm_crm_posterior" in r.output

    (args, text), *rest = reference.GETPRIOR
    monkeypatch.setattr(reference, "GETPRIOR", [(args, text.replace("0.25", "0.26")), *rest])
    r = runner.invoke(app, ["verify", "--check", "dfcrm_getprior"])
    assert r.exit_code == 1 and "failed: dfcrm_getprior" in r.output
    assert "CRM empiric, halfwidth 0.05, target 0.25" in r.output
