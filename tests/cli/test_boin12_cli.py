"""BOIN12 through the CLI: simulate (OBD metrics), recommend (responses, utility, desirability,
admissibility), and the refusals (no decision table, no pathways, missing responses, missing true_eff),
each one line with exit code 2."""

from typer.testing import CliRunner

from dosefind.cli import app

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
        ["table", "--design", str(DESIGN)],
        ["paths", "--design", str(DESIGN), "--outcomes", "1NN-E"],
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


def test_meeting_report_without_pathways(tmp_path):
    out = tmp_path / "meeting.html"
    r = runner.invoke(
        app, ["report", "--design", str(DESIGN), "--outcomes", "1NN-E 2EBN- 2EEN-", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    html = out.read_text()
    assert "utility" in html and "Dose transition pathways" not in html
