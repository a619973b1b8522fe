"""U-BOIN through the CLI: simulate (OBD metrics beside BOIN12), recommend in stage 2 (the randomisation
probabilities and the uniform that chose), paths with the randomisation's branches, exact OCs on a small
design, and the refusals (no decision table, bad n_stage1), each one line with exit code 2."""

from typer.testing import CliRunner

from dosefind.cli import app

from ..conftest import SCENARIOS

runner = CliRunner()
SPEC = SCENARIOS / "uboin-6dose.toml"
DESIGN = SCENARIOS.parent / "examples" / "designs" / "uboin.toml"
STAGE2 = "1NNE 2NEN 3TEN 3NEE 2NNE"


def test_simulate_reports_obd_metrics_beside_boin12():
    r = runner.invoke(app, ["simulate", str(SPEC), "--trials", "300", "--seed", "3"])
    assert r.exit_code == 0, r.output
    assert "design U-BOIN" in r.output and "design BOIN12" in r.output and "OBD" in r.output


def test_recommend_in_stage_2_shows_the_randomisation():
    r = runner.invoke(app, ["recommend", "--design", str(DESIGN), "--outcomes", STAGE2, "--no-log"])
    assert r.exit_code == 0, r.output
    assert "P(rand.)" in r.output and "stage 2" in r.output and "u_tie" in r.output
    r = runner.invoke(app, ["recommend", "--design", str(DESIGN), "--outcomes", "1NNE", "--no-log"])
    assert r.exit_code == 0 and "P(rand.)" not in r.output and "stage 1" in r.output


def test_paths_split_by_the_randomisation():
    r = runner.invoke(app, ["paths", "--design", str(DESIGN), "--outcomes", STAGE2, "--cohorts", "1"])
    assert r.exit_code == 0, r.output
    assert "chance" in r.output or "/" in r.output


def test_exact_on_a_small_design(tmp_path):
    spec = tmp_path / "small.toml"
    spec.write_text(
        '[design]\nkind = "uboin"\ntarget = 0.3\ntarget_eff = 0.25\nn_doses = 3\nmax_n = 9\nn_stage1 = 6\n\n'
        '[[scenarios]]\nname = "a"\ntrue_tox = [0.1, 0.2, 0.4]\ntrue_eff = [0.2, 0.4, 0.5]\n'
    )
    r = runner.invoke(app, ["simulate", str(spec), "--exact"])
    assert r.exit_code == 0, r.output
    assert "exact" in r.output and "OBD" in r.output


def test_refusals_are_one_line_with_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(DESIGN.read_text().replace("n_stage1 = 12", "n_stage1 = 40"))
    for args in (
        ["table", "--design", str(DESIGN)],
        ["recommend", "--design", str(bad), "--outcomes", "1NNE"],
    ):
        r = runner.invoke(app, args)
        assert r.exit_code == 2, (args, r.output)
        assert len(r.output.strip().splitlines()) == 1, (args, r.output)
