"""BOIN12 through the CLI: simulate (OBD metrics), recommend (responses, utility, desirability,
admissibility), table (the paper's Table 3 form, equal to recommend's desirabilities cell by cell), and the
refusals (missing responses, missing true_eff, bad utilities, a table plot), each one line with exit
code 2."""

import csv
import io

import numpy as np
from typer.testing import CliRunner

from dosefind import load_design
from dosefind.cli import app
from dosefind.designs.home import home_of

from ..conftest import SCENARIOS

runner = CliRunner()
SPEC = SCENARIOS / "boin12-6dose.toml"
DESIGN = SCENARIOS.parent / "examples" / "designs" / "boin12.toml"


def test_simulate_reports_obd_metrics():
    r = runner.invoke(app, ["simulate", str(SPEC), "--trials", "400", "--seed", "3"])
    assert r.exit_code == 0, r.output
    assert "design BOIN12" in r.output and "design BOIN" in r.output
    assert "OBD" in r.output and "n response" in r.output
    r = runner.invoke(app, ["simulate", str(SPEC), "--trials", "300", "--seed", "3", "--format", "csv"])
    assert r.exit_code == 0 and ",prob_select_obd," in r.output and ",mean_resp_at_dose," in r.output


def test_recommend_shows_responses_utility_and_admissibility():
    r = runner.invoke(
        app, ["recommend", "--design", str(DESIGN), "--outcomes", "1NN-E 2EBN- 2EEN-", "--no-log"]
    )
    assert r.exit_code == 0, r.output
    assert "utility" in r.output and "desirab." in r.output and "resp" in r.output
    assert "RECOMMENDATION" in r.output and "desirability" in r.output


def test_refusals_are_one_line_with_exit_2(tmp_path):
    cases = [
        ["table", "--design", str(DESIGN), "--plot", str(tmp_path / "t.png")],
        ["recommend", "--design", str(DESIGN), "--outcomes", "1NNE 2N?NN", "--no-log"],
    ]
    spec = tmp_path / "no-eff.toml"
    spec.write_text(
        '[design]\nkind = "boin12"\ntarget = 0.35\ntarget_eff = 0.25\nn_doses = 3\nmax_n = 12\n\n'
        '[[scenarios]]\nname = "a"\ntrue_tox = [0.1, 0.2, 0.3]\n'
    )
    cases.append(["simulate", str(spec), "--trials", "10"])
    bad = tmp_path / "bad-utilities.toml"
    bad.write_text(spec.read_text().replace("n_doses = 3", "n_doses = 3\nutilities = [100, 40, 60, 120]"))
    cases.append(["simulate", str(bad), "--trials", "10"])
    for args in cases:
        r = runner.invoke(app, args)
        assert r.exit_code == 2, (args, r.output)
        assert len(r.output.strip().splitlines()) == 1, (args, r.output)
        assert "Traceback" not in r.output


def test_meeting_report_with_pathways_and_rds_table(tmp_path):
    out = tmp_path / "meeting.html"
    r = runner.invoke(
        app, ["report", "--design", str(DESIGN), "--outcomes", "1NN-E 2EBN- 2EEN-", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    html = out.read_text()
    assert "utility" in html and "Dose transition pathways" in html and "RDS by DLTs" in html


def test_paths_branch_on_dlts_and_responses():
    scen = f"{SPEC}:OBD 4"
    r = runner.invoke(
        app, ["paths", "--design", str(DESIGN), "--outcomes", "1NN-E", "--cohorts", "1", "--scenario", scen]
    )
    assert r.exit_code == 0, r.output
    assert "2NNB" in r.output and "(20 paths; their probabilities sum to 1.000000)" in r.output
    r = runner.invoke(
        app,
        ["paths", "--design", str(DESIGN), "--outcomes", "1NN-E", "--scenario", "0.1,0.2,0.3,0.4,0.5,0.6"],
    )
    assert r.exit_code == 2 and "--eff" in r.output
    r = runner.invoke(
        app,
        [
            "paths",
            "--design",
            str(DESIGN),
            "--outcomes",
            "1NN-E",
            "--cohorts",
            "1",
            "--scenario",
            "0.1,0.2,0.3,0.4,0.5,0.6",
            "--eff",
            "0.1,0.2,0.3,0.4,0.5,0.6",
            "--format",
            "csv",
        ],
    )
    assert r.exit_code == 0 and ",responses,both," in r.output


def test_table_prints_the_rds_table_and_equals_recommend_cell_by_cell():
    r = runner.invoke(app, ["table", "--design", str(DESIGN)])
    assert r.exit_code == 0, r.output
    assert "RDS by DLTs (rows) and responses (columns)" in r.output and "n = 12" in r.output
    assert "De-escalate if # of DLT >=" in r.output
    r = runner.invoke(app, ["table", "--design", str(DESIGN), "--max-n", "9", "--format", "csv"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO("".join(x for x in r.output.splitlines(True) if x[0] != "#"))))
    assert {int(x["n_treated"]) for x in rows} == {0, 3, 6, 9}
    (design,) = load_design(DESIGN)
    home = home_of(design)
    for x in rows:
        n, y, e = int(x["n_treated"]), int(x["n_dlt"]), int(x["n_response"])
        # one dose with these counts (responses split over DLT / no DLT any way: utilities add)
        both = min(y, e)
        cols = home.response_columns(design, np.array([n]), np.array([y]), np.array([[e], [both]]))
        assert float(x["desirability"]) == float(cols["desirability"][0]), x
        assert (x["score"] == "") == (x["admissible"] == "0")
    r = runner.invoke(app, ["table", "--design", str(DESIGN), "--format", "json"])
    assert r.exit_code == 0 and '"score": "RDS"' in r.output
