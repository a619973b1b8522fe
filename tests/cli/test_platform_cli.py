"""``dosefind platform simulate``: text, CSV and JSON on the bundled platform (provenance, MCSE, totals
that balance), and bad platform files (one line, exit 2)."""

import csv
import io
import json

from typer.testing import CliRunner

from dosefind.cli import app

from ..conftest import ROOT

EXAMPLE = str(ROOT / "examples" / "platforms" / "esmart-like.toml")
runner = CliRunner()


def test_platform_simulate_csv_has_provenance_and_balanced_totals():
    r = runner.invoke(
        app, ["platform", "simulate", EXAMPLE, "--trials", "60", "--seed", "3", "--format", "csv"]
    )
    assert r.exit_code == 0, r.output
    head = [line for line in r.stdout.splitlines() if line.startswith("#")]
    assert any("config_hash" in h for h in head) and any("seed: 3" in h for h in head)
    rows = list(csv.DictReader(line for line in r.stdout.splitlines() if not line.startswith("#")))
    value = {(x["scenario"], x["arm"], x["level"], x["metric"]): float(x["value"]) for x in rows}
    for scen in ("two active", "all inactive"):
        screened = value[scen, "", "", "mean_screened"]
        total = value[scen, "", "", "mean_treated"] + value[scen, "", "", "mean_not_matched"]
        assert abs(screened - total) < 1e-9 * screened  # means of integers that balance per platform
        matched = sum(value[scen, a, "", "mean_matched"] for a in {x["arm"] for x in rows if x["arm"]})
        assert abs(matched - value[scen, "", "", "mean_treated"]) < 1e-9
    assert all(x["mcse"] for x in rows)


def test_platform_simulate_text_and_json():
    r = runner.invoke(app, ["platform", "simulate", EXAMPLE, "--trials", "20"])
    assert r.exit_code == 0, r.output
    assert "ESMART-like" in r.stdout and "P(go)" in r.stdout and "not matched" in r.stdout
    r = runner.invoke(app, ["platform", "simulate", EXAMPLE, "--trials", "20", "--format", "json"])
    data = json.loads(r.stdout)
    assert data["provenance"]["n_trials"] == 20 and len(data["platform"]["arms"]) == 6


def test_bad_platform_file_is_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    text = (ROOT / "examples" / "platforms" / "esmart-like.toml").read_text(encoding="utf-8")
    text = text.replace("ALK = 0.08", "ALK = 1.08")
    bad.write_text(text, encoding="utf-8")
    r = runner.invoke(app, ["platform", "simulate", str(bad), "--trials", "20"])
    assert r.exit_code == 2
    err = r.stderr.strip()
    assert err.count("\n") == 0 and "population.biomarkers.ALK" in err and "Traceback" not in err
    r = runner.invoke(app, ["platform", "simulate", str(bad), "--trials", "1"])
    assert r.exit_code == 2
    assert io.StringIO(r.stderr).read().count("\n") <= 1


def test_platform_simulate_writes_the_timeline_plot(tmp_path):
    png = tmp_path / "platform.png"
    r = runner.invoke(app, ["platform", "simulate", EXAMPLE, "--trials", "20", "--plot", str(png)])
    assert r.exit_code == 0, r.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = runner.invoke(
        app, ["platform", "simulate", EXAMPLE, "--trials", "20", "--plot", str(tmp_path / "no" / "p.png")]
    )
    assert r.exit_code == 2 and "--plot" in r.stderr


def test_a_run_too_large_is_refused_up_front_with_an_estimate():
    """10^12 platforms are refused by the optimistic bound, 10^9 by the timed pilot: one line each, with
    the time, the memory and the largest run that fits, and nothing simulated (it used to hang)."""
    for trials in ("1000000000000", "1000000000"):
        r = runner.invoke(app, ["platform", "simulate", EXAMPLE, "--trials", trials])
        assert r.exit_code == 2, r.output
        lines = r.output.strip().splitlines()
        assert len(lines) == 1 and "are refused" in lines[0] and "MiB per block" in lines[0]
        assert "use at most" in lines[0]
