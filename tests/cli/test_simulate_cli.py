"""``dosefind simulate`` through typer's CliRunner."""

import json

import pytest
from typer.testing import CliRunner

from dosefind.cli import app

from ..conftest import SCENARIOS

runner = CliRunner()
SPEC = SCENARIOS / "target30-6dose.toml"


def test_table_output():
    r = runner.invoke(app, ["simulate", str(SPEC), "--trials", "500", "--seed", "7"])
    assert r.exit_code == 0, r.output
    assert "design BOIN" in r.output and "design CRM" in r.output and "design 3+3" in r.output
    assert "PCS" in r.output and "±" in r.output


def test_json_output_schema(tmp_path):
    out = tmp_path / "oc.json"
    r = runner.invoke(
        app, ["simulate", str(SPEC), "--trials", "300", "--seed", "3", "--format", "json", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    data = json.loads(out.read_text())
    prov = data["provenance"]
    for key in ("version", "seed", "n_trials", "config_hash"):
        assert key in prov
    assert prov["seed"] == 3 and prov["n_trials"] == 300
    assert len(data["results"]) == 3 * 6
    keys = [
        "prob_select",
        "prob_select_none",
        "mean_n_at_dose",
        "mean_tox_at_dose",
        "mean_n",
        "mean_tox",
        "prob_early_stop",
        "pcs",
    ]
    for entry in data["results"]:
        assert entry["n_trials"] == 300
        for k in keys:
            assert k in entry and k in entry["mcse"]
        assert len(entry["prob_select"]) == 6
        assert abs(sum(entry["prob_select"]) + entry["prob_select_none"] - 1) < 1e-9


def test_same_seed_same_numbers():
    a = runner.invoke(app, ["simulate", str(SPEC), "-n", "200", "--seed", "5", "-f", "json"])
    b = runner.invoke(
        app, ["simulate", str(SPEC), "-n", "200", "--seed", "5", "-f", "json", "--threads", "1"]
    )
    ra, rb = json.loads(a.output)["results"], json.loads(b.output)["results"]
    assert ra == rb


def test_csv_is_tidy(tmp_path):
    r = runner.invoke(app, ["simulate", str(SPEC), "-n", "200", "-f", "csv"])
    assert r.exit_code == 0
    lines = [ln for ln in r.output.splitlines() if not ln.startswith("#")]
    assert lines[0] == "design,scenario,dose,metric,value,mcse"
    assert any(",pcs," in ln for ln in lines)


def test_design_override(tmp_path):
    d = tmp_path / "d.toml"
    d.write_text('[design]\nkind = "boin"\nname = "B2"\ntarget = 0.25\nn_doses = 6\nmax_n = 30\n')
    r = runner.invoke(app, ["simulate", str(SPEC), "--design", str(d), "-n", "200", "-f", "json"])
    assert r.exit_code == 0, r.output
    assert {e["design"] for e in json.loads(r.output)["results"]} == {"B2"}


@pytest.mark.parametrize(
    "body, needle",
    [
        (
            '[design]\nkind = "boin"\ntarget = 1.3\nn_doses = 3\nmax_n = 9\n'
            '[[scenarios]]\nname="a"\ntrue_tox=[0.1,0.2,0.3]\n',
            "design.target",
        ),
        (
            '[design]\nkind = "boin"\ntarget = 0.3\nn_doses = 3\nmax_n = 9\nstart_dose = 4\n'
            '[[scenarios]]\nname="a"\ntrue_tox=[0.1,0.2,0.3]\n',
            "design.start_dose",
        ),
        (
            '[design]\nkind = "crm"\ntarget = 0.3\nn_doses = 3\nmax_n = 9\nskeleton = [0.3, 0.2, 0.1]\n'
            '[[scenarios]]\nname="a"\ntrue_tox=[0.1,0.2,0.3]\n',
            "design.skeleton",
        ),
        (
            '[design]\nkind = "boin"\ntarget = 0.3\nn_doses = 3\nmax_n = 9\n[[scenarios]]\nname="a"\n'
            "true_tox=[0.1,1.2,0.3]\n",
            "scenarios[0].true_tox[1]",
        ),
        (
            '[design]\nkind = "boin"\ntarget = 0.3\nn_doses = 3\nmax_n = 9\n[[scenarios]]\nname="a"\n'
            "true_tox=[0.1,0.2]\n",
            "scenarios[0].true_tox",
        ),
        ('[design]\nkind = "boinn"\ntarget = 0.3\n', "design.kind"),
        (
            '[design]\nkind = "boin"\ntarget = 0.3\nn_doses = 3\nmax_n = 9\ncolor = 1\n'
            '[[scenarios]]\nname="a"\ntrue_tox=[0.1,0.2,0.3]\n',
            "design.color",
        ),
        ('[design\nkind = "boin"\n', "not valid TOML"),
    ],
)
def test_bad_input_one_line_exit_2(tmp_path, body, needle):
    f = tmp_path / "bad.toml"
    f.write_text(body)
    r = runner.invoke(app, ["simulate", str(f), "-n", "10"])
    assert r.exit_code == 2, r.output
    assert needle in r.output and "bad.toml" in r.output
    assert "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_missing_file_exit_2():
    r = runner.invoke(app, ["simulate", "nope.toml"])
    assert r.exit_code == 2
    assert "not found" in r.output


def test_non_monotone_scenario_is_flagged(tmp_path):
    f = tmp_path / "nm.toml"
    f.write_text(
        '[design]\nkind = "boin"\ntarget = 0.3\nn_doses = 3\nmax_n = 9\n'
        '[[scenarios]]\nname="bump"\ntrue_tox=[0.1,0.4,0.3]\n'
    )
    r = runner.invoke(app, ["simulate", str(f), "-n", "50"])
    assert r.exit_code == 0
    assert "not non-decreasing" in r.output


def test_help_lists_options():
    r = runner.invoke(app, ["simulate", "--help"])
    assert r.exit_code == 0
    for opt in ("--trials", "--seed", "--format", "--out", "--design"):
        assert opt in r.output
