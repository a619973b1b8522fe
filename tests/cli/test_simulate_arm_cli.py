"""``dosefind simulate`` on an arm file (the bundled combination arm) through typer's CliRunner."""

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dosefind.arm import load_arm, simulate_arm
from dosefind.cli import app

runner = CliRunner()
ARM = Path(__file__).resolve().parents[2] / "scenarios" / "arm-combo.toml"


@pytest.fixture(scope="module")
def json_out():
    r = runner.invoke(app, ["simulate", str(ARM), "--trials", "400", "--seed", "3", "-f", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_json_has_provenance_and_every_metric(json_out):
    prov = json_out["provenance"]
    assert prov["n_trials"] == 400 and prov["seed"] == 3 and len(prov["config_hash"]) == 16
    spec = load_arm(ARM)
    assert prov["arm_hash"] == spec.arm.config_hash()
    rows = json_out["results"]
    metrics = {(r["scenario"], r["metric"], r["level"]) for r in rows}
    for s in spec.scenarios:
        for cohort in spec.arm.cohort_names:
            assert (s.name, "prob_active", cohort) in metrics
        for cell in spec.arm.design.doses:
            assert (s.name, "prob_select", cell) in metrics
        assert (s.name, "prob_open", "") in metrics
    # the CLI reports exactly what the Python API computes for the same seed
    res = simulate_arm(spec.arm, spec.scenarios[0], 400, 3)
    active = next(
        r["value"]
        for r in rows
        if r["scenario"] == spec.scenarios[0].name
        and r["metric"] == "prob_active"
        and r["level"] == "biomarker"
    )
    assert active == pytest.approx(float((res.decision[:, 0] == 1).mean()))
    sel = [
        r["value"] for r in rows if r["scenario"] == spec.scenarios[0].name and r["metric"] == "prob_select"
    ]
    assert sum(sel) + next(
        r["value"]
        for r in rows
        if r["scenario"] == spec.scenarios[0].name and r["metric"] == "prob_select_none"
    ) == pytest.approx(1.0)


def test_table_and_csv():
    r = runner.invoke(app, ["simulate", str(ARM), "--trials", "300", "--quiet"])
    assert r.exit_code == 0, r.output
    assert "targeted agent down, partner across" in r.output and "biomarker" in r.output
    r = runner.invoke(app, ["simulate", str(ARM), "--trials", "300", "-f", "csv"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].startswith("# package: dosefind")
    body = [ln for ln in lines if not ln.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(body))))
    assert set(rows[0]) == {"arm", "scenario", "metric", "level", "value", "mcse"}


def test_errors(tmp_path):
    r = runner.invoke(app, ["simulate", str(ARM), "--design", str(ARM)])
    assert r.exit_code == 2 and "--design" in r.output
    bad = tmp_path / "arm.toml"
    bad.write_text(ARM.read_text().replace('rule = "bop2"', 'rule = "fleming"'))
    r = runner.invoke(app, ["simulate", str(bad), "--trials", "10"])
    assert r.exit_code == 2
    assert "cohorts[1].rule" in r.output and "arm.toml" in r.output


TIMED_ARM = ARM.parent / "arm-paediatric-timed.toml"


def test_timed_arm_reports_its_calendar():
    """The bundled paediatric arm in calendar time: the CLI's calendar metrics are the Python API's,
    provenance records the timing, the table shows the calendar line and each cohort's decision day."""
    from dosefind.engine.arm import A_DURATION, A_ESCALATION

    r = runner.invoke(app, ["simulate", str(TIMED_ARM), "--trials", "400", "--seed", "5", "-f", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    spec = load_arm(TIMED_ARM)
    assert out["provenance"]["timing"] == spec.timing.to_dict()
    rows = {(x["scenario"], x["metric"], x["level"]): (x["value"], x["mcse"]) for x in out["results"]}
    s = spec.scenarios[0]
    res = simulate_arm(spec.arm, s, 400, 5, timing=spec.timing)
    value, mcse = rows[(s.name, "duration_days", "")]
    assert value == pytest.approx(res.time[:, A_DURATION].mean())
    assert mcse == pytest.approx(res.time[:, A_DURATION].std(ddof=1) / 20)
    assert rows[(s.name, "escalation_days", "")][0] == pytest.approx(res.time[:, A_ESCALATION].mean())
    for q in (10, 50, 90):
        assert (s.name, f"duration_days_q{q}", "") in rows
    for cohort in spec.arm.cohort_names:
        day = res.cohort_day[res.opened, spec.arm.cohort_names.index(cohort)]
        assert rows[(s.name, "decision_day", cohort)][0] == pytest.approx(day.mean())
    r = runner.invoke(app, ["simulate", str(TIMED_ARM), "--trials", "300", "--quiet"])
    assert r.exit_code == 0, r.output
    assert "calendar (days): arm ends" in r.output and "decided day" in r.output
    # an untimed arm file keeps its config hash and has no calendar
    untimed = runner.invoke(app, ["simulate", str(ARM), "--trials", "50", "--quiet"])
    assert "calendar" not in untimed.output
