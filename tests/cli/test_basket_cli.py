"""``dosefind basket``: simulate (text, JSON, CSV, exact), analyze, and bad inputs (one line, exit 2)."""

import json

import pytest
from typer.testing import CliRunner

from dosefind.cli import app

from ..conftest import ROOT

EXAMPLE = str(ROOT / "examples" / "baskets" / "rare-seven.toml")
DATA = str(ROOT / "examples" / "baskets" / "rare-seven-data.csv")
runner = CliRunner()

SMALL = """
[basket]
name = "small"
q0 = 0.2

[[cohorts]]
name = "a"
n = 8

[[cohorts]]
name = "b"
n = 10

[[designs]]
name = "none"
kind = "independent"
threshold = 0.9

[[designs]]
name = "borrow"
kind = "fujikawa"
threshold = 0.9
tau = 0.2

[[scenarios]]
name = "null"
rates = [0.2, 0.2]

[[scenarios]]
name = "mixed"
rates = [0.2, 0.5]
"""


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    return path


def test_simulate_text_json_csv(small, tmp_path):
    r = runner.invoke(app, ["basket", "simulate", str(small), "--trials", "400", "--seed", "3"])
    assert r.exit_code == 0, r.output
    assert "design borrow" in r.output and "fwer" in r.output and "scenario mixed" in r.output
    r = runner.invoke(app, ["basket", "simulate", str(small), "-n", "400", "--format", "json"])
    doc = json.loads(r.output)
    assert doc["provenance"]["n_trials"] == 400 and doc["provenance"]["config_hash"]
    metrics = {row["metric"] for row in doc["rows"]}
    assert {"prob_go", "type1_error", "power", "fwer", "bias", "mse", "mean_n"} <= metrics
    out = tmp_path / "oc.csv"
    r = runner.invoke(
        app, ["basket", "simulate", str(small), "-n", "400", "--format", "csv", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    text = out.read_text()
    assert text.startswith("# package: dosefind")
    assert "design,scenario,metric,cohort,value,mcse" in text


def test_simulate_exact_has_no_mcse(small):
    r = runner.invoke(app, ["basket", "simulate", str(small), "--exact", "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["provenance"]["method"] == "exact"
    assert all(row["mcse"] == 0 for row in doc["rows"])


def test_simulate_one_design_of_the_bundled_basket():
    r = runner.invoke(
        app,
        ["basket", "simulate", EXAMPLE, "--trials", "200", "--design-name", "fujikawa", "--format", "json"],
    )
    assert r.exit_code == 0, r.output
    assert {row["design"] for row in json.loads(r.output)["rows"]} == {"fujikawa"}


def test_analyze_shows_independent_and_borrowed_posteriors():
    r = runner.invoke(app, ["basket", "analyze", EXAMPLE, "--data", DATA, "--design-name", "fujikawa"])
    assert r.exit_code == 0, r.output
    assert "independent" in r.output and "borrowed" in r.output and "borrowing weights" in r.output
    assert "chordoma" in r.output and "go" in r.output
    r = runner.invoke(app, ["basket", "analyze", EXAMPLE, "--data", DATA, "--format", "json"])
    doc = json.loads(r.output)
    assert len(doc["cohorts"]) == 7
    row = doc["cohorts"][0]
    assert row["independent_lower"] < row["independent_mean"] < row["independent_upper"]


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda t: t.replace("rates = [0.2, 0.5]", "rates = [0.2, 1.5]"), "scenarios[1].rates[1]"),
        (
            lambda t: t.replace("threshold = 0.9\n\n[[designs]]", "threshold = 1.9\n\n[[designs]]"),
            "threshold",
        ),
        (lambda t: t.replace('name = "b"', 'name = "a"'), "cohorts[1].name"),
    ],
)
def test_bad_files_fail_in_one_line(tmp_path, edit, words):
    path = tmp_path / "bad.toml"
    path.write_text(edit(SMALL))
    r = runner.invoke(app, ["basket", "simulate", str(path), "-n", "100"])
    assert r.exit_code == 2
    assert words in r.output
    assert "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_bad_data_and_options(small, tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("cohort,n,responses\na,5,7\n")
    r = runner.invoke(app, ["basket", "analyze", str(small), "--data", str(data)])
    assert r.exit_code == 2 and "responses cannot exceed n" in r.output
    r = runner.invoke(app, ["basket", "simulate", str(small), "--exact", "--trials", "10"])
    assert r.exit_code == 2 and "--trials" in r.output
    r = runner.invoke(app, ["basket", "simulate", str(small), "--design-name", "nope"])
    assert r.exit_code == 2 and "'none'" in r.output
    r = runner.invoke(app, ["basket", "simulate", str(small), "--out", str(tmp_path)])
    assert r.exit_code == 2 and "is a folder" in r.output


def test_analyze_with_the_calibrated_hierarchical_model():
    r = runner.invoke(app, ["basket", "analyze", EXAMPLE, "--data", DATA, "--design-name", "cbhm"])
    assert r.exit_code == 0, r.output
    assert "homogeneity T" in r.output and "sigma^2" in r.output and "CBHM" in r.output
    r = runner.invoke(
        app, ["basket", "analyze", EXAMPLE, "--data", DATA, "--design-name", "cbhm", "-f", "json"]
    )
    rows = json.loads(r.output)["cohorts"]
    assert all(row["sigma2"] > 0 for row in rows)


def test_calibrate_prints_the_threshold_and_refuses_bad_input():
    args = ["basket", "calibrate", EXAMPLE, "--design-name", "independent", "--trials", "500"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "threshold = 0." in r.output and "family-wise" in r.output and "global null" in r.output
    assert "config hash" in r.output  # provenance
    for args in (["--alpha", "2"], ["--criterion", "any"], ["--design-name", "nope"], ["--scenario", "x"]):
        r = runner.invoke(app, ["basket", "calibrate", EXAMPLE, "--trials", "500", *args])
        assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1, r.output


LOOKS = """
[basket]
name = "looks"
q0 = 0.1

[[cohorts]]
name = "a"
n = 20
looks = [10, 20]

[[cohorts]]
name = "b"
n = 24
looks = [12, 24]

[[designs]]
name = "exnex-pp"
kind = "exnex"
interim = "predictive"
futility = 0.1
grid = "coarse"

[[designs]]
name = "fuj-pp"
kind = "fujikawa"
interim = "predictive"
futility = 0.1

[[designs]]
name = "cbhm-mid"
kind = "cbhm"
a = 0.0
b = 1.0
q1 = 0.3
futility = 0.1
futility_rate = "midpoint"

[[scenarios]]
name = "null"
rates = [0.1, 0.1]
"""


@pytest.mark.parametrize("name", ["exnex-pp", "fuj-pp", "cbhm-mid"])
def test_interim_rules_in_the_meeting_and_between_looks(tmp_path, name):
    """A cohort at its interim look shows what its futility rule compared; a cohort between looks (7 of b's
    12) is analysed at its own size, with no decision and no traceback; exact OCs run over the paths."""
    spec = tmp_path / "looks.toml"
    spec.write_text(LOOKS)
    data = tmp_path / "d.csv"
    data.write_text("cohort,n,responses\na,10,1\nb,7,1\n")
    r = runner.invoke(app, ["basket", "analyze", str(spec), "--data", str(data), "--design-name", name])
    assert r.exit_code == 0, r.output
    line_a = next(ln for ln in r.output.splitlines() if ln.strip().startswith("a "))
    line_b = next(ln for ln in r.output.splitlines() if ln.strip().startswith("b "))
    word = "futility P(q > (q0 + q1)/2)" if name == "cbhm-mid" else "predictive P(go)"
    assert word in line_a and "enrolling (not at a look)" in line_b
    csv_out = runner.invoke(
        app, ["basket", "analyze", str(spec), "--data", str(data), "--design-name", name, "--format", "csv"]
    )
    header = next(ln for ln in csv_out.output.splitlines() if ln.startswith("cohort,"))
    assert header.endswith("futility_prob" if name == "cbhm-mid" else "predictive_prob_go")
    if name != "cbhm-mid":
        r = runner.invoke(app, ["basket", "simulate", str(spec), "--exact", "--design-name", name])
        assert r.exit_code == 0, r.output
