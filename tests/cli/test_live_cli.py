"""``dosefind recommend`` and ``dosefind paths`` through typer's CliRunner."""

import json

import pytest
from typer.testing import CliRunner

from dosefind.cli import app

from ..conftest import SCENARIOS

runner = CliRunner()
SPEC = SCENARIOS / "target30-6dose.toml"
CRM_DESIGN = SCENARIOS / "crm-5dose.toml"


@pytest.fixture()
def arm(tmp_path):
    design = tmp_path / "arm-a.toml"
    design.write_text(
        '[design]\nkind = "boin"\ntarget = 0.3\ndoses = ["10 mg", "20 mg", "40 mg", "80 mg"]\nmax_n = 24\n'
    )
    data = tmp_path / "arm-a.csv"
    data.write_text(
        "patient_id,dose,dlt\n101,10 mg,0\n102,10 mg,0\n103,10 mg,no\n104,20 mg,1\n105,20 mg,0\n106,20 mg,0\n"
    )
    return design, data


def test_recommend_from_csv_prints_decision_reason_and_table(arm):
    design, data = arm
    r = runner.invoke(app, ["recommend", "--design", str(design), "--data", str(data), "--no-log"])
    assert r.exit_code == 0, r.output
    assert "RECOMMENDATION: stay: next cohort at dose 20 mg" in r.output
    assert "lambda_e 0.236 < observed DLT rate at dose 20 mg 1/3 = 0.333 < lambda_d 0.359: stay" in r.output
    assert "90% CrI" in r.output and "P(>0.3)" in r.output
    assert not (design.parent / "arm-a.dosefind.sqlite").exists()


def test_recommend_json_and_outcomes(tmp_path):
    out = tmp_path / "rec.json"
    args = ["recommend", "--design", str(SPEC), "--name", "CRM", "--outcomes", "1NNN 2NTN", "--no-log"]
    r = runner.invoke(app, [*args, "--format", "json", "--out", str(out)])
    assert r.exit_code == 0, r.output
    d = json.loads(out.read_text())
    assert d["next_dose"] == "2" and d["decision"] == "stay"
    assert d["posterior"]["method"] == "quadrature" and len(d["doses"]) == 6


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--outcomes", "1NNN 9NNN"], "dose level 9 does not exist"),
        ([], "either --data FILE.csv or --outcomes"),
        (["--outcomes", "1NNN", "--draws", "100"], "apply to --posterior mcmc only"),
    ],
)
def test_recommend_user_errors_exit_2_with_one_line(arm, extra, message):
    design, _ = arm
    r = runner.invoke(app, ["recommend", "--design", str(design), "--no-log", *extra])
    assert r.exit_code == 2
    assert message in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_recommend_bad_csv_names_row_and_column(arm):
    design, data = arm
    data.write_text("patient_id,dose,dlt\n1,10 mg,0\n2,15 mg,0\n")
    r = runner.invoke(app, ["recommend", "--design", str(design), "--data", str(data), "--no-log"])
    assert r.exit_code == 2
    assert "arm-a.csv, line 3, column 'dose': unknown dose '15 mg'" in r.output


def test_recommend_several_designs_need_a_name():
    r = runner.invoke(app, ["recommend", "--design", str(SPEC), "--outcomes", "1NNN", "--no-log"])
    assert r.exit_code == 2 and "choose one with --name" in r.output


def test_paths_text_with_scenario_and_csv():
    args = ["paths", "--design", str(SPEC), "--name", "BOIN", "--outcomes", "1NNN 2NTN", "--cohorts", "2"]
    r = runner.invoke(app, [*args, "--scenario", f"{SPEC}:S1"])
    assert r.exit_code == 0, r.output
    assert "now (1NNN 2NTN): stay at 2" in r.output
    assert "(16 paths; their probabilities sum to 1.000000)" in r.output
    r = runner.invoke(app, [*args, "--format", "csv"])
    lines = r.output.strip().splitlines()
    assert lines[0].startswith("node,parent,cohort,path,dose") and len(lines) == 1 + 1 + 4 + 16


def test_paths_scenario_errors():
    args = ["paths", "--design", str(CRM_DESIGN), "--outcomes", "1NNN"]
    r = runner.invoke(app, [*args, "--scenario", "0.1,0.2"])
    assert r.exit_code == 2 and "need 5 DLT probabilities" in r.output
    r = runner.invoke(app, [*args, "--scenario", "low,high"])
    assert r.exit_code == 2 and "not a list of probabilities" in r.output


@pytest.mark.slow
@pytest.mark.pymc
def test_recommend_mcmc_reports_diagnostics(arm):
    design, data = arm
    args = ["recommend", "--design", str(design), "--data", str(data), "--no-log", "--posterior", "mcmc"]
    r = runner.invoke(app, [*args, "--chains", "2", "--draws", "600", "--tune", "500", "--seed", "3"])
    assert r.exit_code == 0, r.output
    assert "RECOMMENDATION: stay: next cohort at dose 20 mg" in r.output  # the decision never depends on it
    assert "mcmc posterior" in r.output and "MCMC: 2 chains x 600 draws; max R-hat" in r.output


def test_paths_table_has_one_row_per_path():
    args = ["paths", "--design", str(SPEC), "--name", "BOIN", "--outcomes", "1NNN 2NTN", "--cohorts", "2"]
    r = runner.invoke(app, [*args, "--format", "table", "--scenario", f"{SPEC}:S1"])
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert lines[1].split() == ["path", "cohort", "1", "cohort", "2", "then", "prob"]
    assert len(lines) == 2 + 16
    assert lines[2].split()[:3] == ["1", "2NNN", "3NNN"]
    assert abs(sum(float(line.split()[-1]) for line in lines[2:]) - 1) < 1e-3  # rounded to 4 decimals
