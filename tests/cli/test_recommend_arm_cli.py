"""``dosefind recommend`` with a phase I/II arm file (escalation on a two-drug grid, expansion cohorts)."""

import json

import pytest
from typer.testing import CliRunner

from dosefind.cli import app
from dosefind.live.audit import AuditLog
from dosefind.outcomes import parse_outcomes, read_trial_csv
from dosefind.outcomes.trial import tie_uniform

runner = CliRunner()

ARM_TOML = """\
[arm]
name = "combo A"
open_min_responses = 1

[design]
kind = "boin_comb"
target = 0.3
max_n = 6
cohort_size = 3

[design.grid]
drug_a = "dabrafenib"
drug_b = "trametinib"
levels_a = ["75 mg", "150 mg"]
levels_b = ["1 mg", "2 mg", "3 mg"]

[safety]
limit = 0.3
confidence = 0.8

[[cohorts]]
name = "BRAF V600"
rule = "simon"
n1 = 4
r1 = 0
n = 8
r = 2

[[cohorts]]
name = "histology"
rule = "simon"
n1 = 3
r1 = 0
n = 6
r = 1
count_escalation = true
"""

#: escalation stops at max_n = 6 and selects cell 2.1 (1 response there); then the extension
ARM_CSV = """\
patient_id,phase,cohort,dose,dlt,response
101,escalation,,1.1,0,0
102,escalation,,1.1,0,1
103,escalation,,1.1,0,0
104,escalation,,2.1,0,0
105,escalation,,2.1,0,1
106,escalation,,2.1,0,0
201,extension,BRAF V600,2.1,0,0
202,extension,histology,2.1,1,1
203,extension,BRAF V600,2.1,0,
"""


@pytest.fixture()
def arm(tmp_path):
    design = tmp_path / "arm-combo.toml"
    design.write_text(ARM_TOML)
    data = tmp_path / "arm.csv"
    data.write_text(ARM_CSV)
    return design, data


def invoke(*args):
    return runner.invoke(app, ["recommend", *map(str, args)])


def test_escalation_phase_names_the_tie_and_the_uniform(arm):
    design, _ = arm
    r = invoke("--design", design, "--outcomes", "1.1NEN", "--no-log")
    assert r.exit_code == 0, r.output
    u = tie_uniform(
        parse_outcomes("1.1NEN", ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3"), True, True).content_hash
    )
    chosen = "2.1" if u < 0.5 else "1.2"
    assert f"ARM RECOMMENDATION: escalation: escalate: next cohort at cell {chosen}" in r.output
    assert f"cells 2.1 and 1.2 tie (equal scores); the tie is broken at random: u_tie = {u:.4f}" in r.output
    assert f"chose {chosen}" in r.output
    assert "the extension opens when escalation selects a cell with at least 1 response there" in r.output
    r2 = invoke("--design", design, "--outcomes", "1.1NEN", "--no-log", "--format", "json")
    d = json.loads(r2.output)
    assert d["phase"] == "escalation" and d["next_dose"] == chosen and d["u_tie"] == u
    assert d["escalation"]["tie_candidates"] and d["cohorts"] == []


def test_extension_text_report(arm):
    design, data = arm
    r = invoke("--design", design, "--data", data, "--no-log")
    assert r.exit_code == 0, r.output
    out = r.output
    assert "ARM RECOMMENDATION: extension at cell 2.1: BRAF V600: continue; histology: continue" in out
    assert "1 response at cell 2.1 (at least 1 needed): the extension opens" in out
    assert "responses in escalation (cell: responders/patients): 1.1 1/3, 2.1 1/3" in out
    # BRAF V600: 2 new patients (one response unknown), next look at 4
    assert "patients: 2 new, 2 counted; 0 responses among the counted, 1 not yet assessed" in out
    assert (
        "next look (look 1, 2 more patient(s) to go): stop for futility if <= 0 responses among the first 4"
        in out
    )
    # histology counts the 3 escalation patients at 2.1 first: look 1 at 3 passed (1 response)
    assert "patients: 1 new, 4 counted (3 from escalation + 1 new); 2 responses among the counted" in out
    final = "final analysis among the first 6: stop for futility (inactive) if <= 1 response, declare active"
    assert f"{final} if >= 2" in out
    assert "Safety at cell 2.1 (escalation and extension pooled):\n  6 patients, 1 DLT;" in out
    assert "decision so far: continue" in out
    assert "Escalation:\n  boin_comb (boin_comb" in out


def test_extension_json_and_audit_log(arm, tmp_path):
    design, data = arm
    log = tmp_path / "trial.sqlite"
    r = invoke("--design", design, "--data", data, "--format", "json", "--log", log)
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["phase"] == "extension" and d["next_dose"] == "2.1" and d["selected_dose"] == "2.1"
    assert d["extension"]["opens"] is True and d["extension"]["patients"] == 3
    braf, hist = d["cohorts"]
    assert (braf["counted"], braf["responses"], braf["pending_responses"], braf["decision"]) == (
        2,
        0,
        1,
        "continue",
    )
    assert braf["next_look"] == {
        "look": 1,
        "n": 4,
        "futility": 0,
        "efficacy": None,
        "final": False,
        "words": "stop for futility if <= 0 responses among the first 4",
    }
    assert (hist["escalation_counted"], hist["counted"], hist["responses"]) == (3, 4, 2)
    assert d["safety"]["n"] == 6 and d["safety"]["dlts"] == 1 and not d["safety"]["stopped"]
    assert d["data"]["extension"][1]["expansion_cohort"] == "histology"
    assert isinstance(d["u_tie"], float) and "sha256" in d["u_tie_rule"]
    records = AuditLog(log).records("recommendation")
    assert len(records) == 1 and records[0].arm == "combo A"
    payload = records[0].payload
    assert payload["phase"] == "extension" and payload["next_dose"] == "2.1"
    assert payload["data_hash"] == d["data_hash"] and payload["u_tie"] == d["u_tie"]
    shown = runner.invoke(app, ["log", "show", str(log)])
    assert "next dose 2.1; extension; extension at cell 2.1" in shown.output
    # the same data give the same recommendation, logged again as the next record of the chain
    r2 = invoke("--design", design, "--data", data, "--log", log, "--arm", "arm 1")
    assert r2.exit_code == 0 and "Logged as record 2" in r2.output
    assert AuditLog(log).records()[-1].arm == "arm 1" and AuditLog(log).verify().ok


def test_completed_extension_and_safety_stop(arm):
    design, data = arm
    rows = "".join(f"3{i},extension,{'BRAF V600' if i % 2 else 'histology'},2.1,1,0\n" for i in range(4))
    data.write_text(ARM_CSV + rows)
    r = invoke("--design", design, "--data", data, "--no-log", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["phase"] == "complete" and d["next_dose"] is None
    # 32 completes histology's final look (2 responses of 6: active), then its DLT (4 of 12 at 2.1)
    # reaches the safety boundary: BRAF V600 stops for safety, 33 comes too late
    assert d["safety"]["stopped"] and d["safety"]["stopped_after"] == "32"
    assert {c["name"]: c["decision"] for c in d["cohorts"]} == {"BRAF V600": "safety", "histology": "active"}
    assert any("enrolled after the extension stopped for safety" in w for w in d["warnings"])


@pytest.mark.parametrize(
    "csv_tail, message",
    [
        (
            "301,extension,histology,1.1,0,1\n",
            "arm.csv, line 11, column 'dose': extension patient 301 was treated",
        ),
        ("301,extension,lung,2.1,0,1\n", "line 11, column 'cohort': unknown expansion cohort 'lung'"),
        ("301,escalation,,2.1,0,1\n", "line 11, column 'phase': an escalation patient after the extension"),
        (
            "301,extension,histology,2,0,1\n",
            "line 11, column 'dose': '2' is not a cell; write the cell as j.k",
        ),
    ],
)
def test_arm_data_errors_exit_2_with_line_column_and_fix(arm, csv_tail, message):
    design, data = arm
    data.write_text(ARM_CSV + csv_tail)
    r = invoke("--design", design, "--data", data, "--no-log")
    assert r.exit_code == 2
    assert message in r.output and "Traceback" not in r.output


def test_arm_file_refuses_name_and_plain_design_refuses_extension_rows(arm, tmp_path):
    design, data = arm
    r = invoke("--design", design, "--data", data, "--name", "x", "--no-log")
    assert r.exit_code == 2 and "an arm file holds one design" in r.output
    plain = tmp_path / "combo.toml"
    plain.write_text(
        ARM_TOML.split("[safety]")[0].replace('[arm]\nname = "combo A"\nopen_min_responses = 1\n', "")
    )
    r = invoke("--design", plain, "--data", data, "--no-log")
    assert r.exit_code == 2 and "extension patients belong to a phase I/II arm" in r.output
    r = invoke("--design", plain, "--outcomes", "1.1NNN", "--no-log")
    assert r.exit_code == 0 and "RECOMMENDATION: escalate: next cohort at cell" in r.output


def test_extension_from_notation_equals_csv(arm):
    """The arm's data written in the outcome notation (extension runs included) gives the CSV's decisions."""
    design, data = arm
    labels = ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3")
    trial = read_trial_csv(data, labels, 3, True, True, ("BRAF V600", "histology"))
    notation = trial.to_notation()
    assert "[BRAF V600]" in notation and "[histology]" in notation
    from_csv = json.loads(invoke("--design", design, "--data", data, "--no-log", "--format", "json").output)
    r = invoke("--design", design, "--outcomes", notation, "--no-log", "--format", "json")
    assert r.exit_code == 0, r.output
    from_notation = json.loads(r.output)
    for key in ("phase", "next_dose", "decision", "selected_dose", "extension", "cohorts", "safety"):
        assert from_notation[key] == from_csv[key], key
    assert from_csv["cohorts"] and from_csv["phase"] != "escalation"
