"""``dosefind paediatric doses|from-adult`` through typer's CliRunner (the registered app): outputs, files,
and bad input as one-line errors naming the field and the fix (exit code 2, no traceback)."""

import csv
import io
import json
from pathlib import Path

import pytest
import tomllib
from typer.testing import CliRunner

from dosefind.cli import app
from dosefind.specfile import load_design

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "paediatric"
INPUT = str(EXAMPLE / "paediatric.toml")
ADULT = str(EXAMPLE / "hist_SA.csv")


def _error_line(r) -> str:
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output and (r.exception is None or isinstance(r.exception, SystemExit))
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.output
    return lines[0]


def test_doses_from_the_bundled_input(tmp_path):
    out = tmp_path / "doses.csv"
    r = runner.invoke(app, ["paediatric", "doses", "--input", INPUT, "--csv", str(out)])
    assert r.exit_code == 0, r.output
    assert 'doses = [2.89, 4.05, 4.91, 5.78, 6.94]\ndose_unit = "mg/m2"' in r.output
    assert "band 10-20 kg" in r.output and "1 x 2.5 + 1 x 1" in r.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 15 and rows[0]["band"] == "10-20 kg" and rows[0]["achieved"] == "2"
    assert rows[-1]["level"] == "5" and float(rows[-1]["deviation"]) == pytest.approx(
        8.5 / 9.18137 - 1, abs=1e-4
    )


def test_doses_from_options_and_json():
    r = runner.invoke(
        app,
        [
            "paediatric", "doses", "--rp2d", "70", "--scaling", "weight", "--fractions", "0.5,1",
            "--weights", "10,20", "--increment", "0.5", "--format", "json",
        ],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["doses"] == [0.5, 1.0] and d["dose_unit"] == "mg/kg"
    assert [row["achieved"] for row in d["rows"]] == [5.0, 10.0, 10.0, 20.0]
    # options override the file
    r = runner.invoke(
        app,
        ["paediatric", "doses", "--input", INPUT, "--scaling", "weight", "--increment", "0.1", "-f", "csv"],
    )
    assert r.exit_code == 0, r.output
    assert "mg/kg" in r.output.splitlines()[1]


@pytest.mark.parametrize(
    "args, field, fix",
    [
        (["--rp2d", "0", "--scaling", "bsa", "--fractions", "0.5,1"], "adult.rp2d", "positive"),
        (
            ["--rp2d", "10", "--scaling", "bsa", "--fractions", "0.7,0.5"],
            "paediatric.fractions[1]",
            "increasing",
        ),
        (
            ["--rp2d", "10", "--scaling", "bsa", "--fractions", "-0.5,1"],
            "paediatric.fractions[0]",
            "fractions",
        ),
        (["--rp2d", "10", "--scaling", "height", "--fractions", "0.5,1"], "paediatric.scaling", "'weight'"),
        (["--input", INPUT, "--strengths", "5", "--max-units", "1"], "formulation", "add a strength"),
        (["--input", INPUT, "--strengths", "2.5", "--max-deviation", "0.5"], "formulation", "both round to"),
        (
            ["--rp2d", "10", "--scaling", "bsa", "--fractions", "0.5,1", "--weights", "10"],
            "bands[0].bsa",
            "height",
        ),
        (["--rp2d", "10", "--fractions", "0.5,1"], "paediatric.scaling", "missing"),
        (["--rp2d", "10", "--scaling", "bsa", "--fractions", "0.5,x"], "--fractions", "separated numbers"),
    ],
)
def test_doses_bad_input_is_one_line(args, field, fix):
    line = _error_line(runner.invoke(app, ["paediatric", "doses", *args]))
    assert field in line and fix in line


def test_from_adult_writes_a_blrm_design_that_loads(tmp_path):
    out = tmp_path / "paed.toml"
    r = runner.invoke(
        app, ["paediatric", "from-adult", "--adult-data", ADULT, "--input", INPUT, "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert "prior components:" in r.output and "design file written to" in r.output
    (design,) = load_design(out)
    assert design.kind == "blrm" and design.dose_unit == "mg/m2" and design.reference_dose == 5.78
    assert [c.weight for c in design.prior] == [0.8, 0.2]
    text = out.read_text()
    assert text.startswith("# Paediatric BLRM") and "hist_SA.csv" in text and "/" + "work" not in text
    # the bundled design file is this command's output (comments aside)
    bundled = tomllib.loads((EXAMPLE / "paediatric-blrm.toml").read_text())
    assert bundled == tomllib.loads(text)
    # and it runs in a meeting
    r = runner.invoke(app, ["recommend", "--design", str(out), "--outcomes", "1NNN", "--no-log"])
    assert r.exit_code == 0, r.output


def test_from_adult_crm_skeleton_and_json(tmp_path):
    out = tmp_path / "crm.toml"
    args = ["paediatric", "from-adult", "--adult-data", ADULT, "--input", INPUT, "--kind", "crm"]
    r = runner.invoke(app, [*args, "--out", str(out), "-f", "json", "--target", "0.3"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    (crm,) = load_design(out)
    assert crm.kind == "crm" and crm.target == 0.3
    assert list(crm.skeleton) == pytest.approx(d["skeleton"], rel=1e-5)
    assert d["adult_equivalent"][0] == pytest.approx(2.89 * 1.73)
    # without --out the design file follows the summary on stdout
    r = runner.invoke(app, args)
    assert r.exit_code == 0 and '[design]\nkind = "crm"' in r.output


def test_from_adult_with_doses_and_a_given_adult_posterior():
    r = runner.invoke(
        app,
        [
            "paediatric", "from-adult", "--doses", "0.1,0.15,0.2", "--scaling", "weight",
            "--reference-dose", "10", "--adult-prior-mean", "-1,0.2", "--adult-prior-sd", "0.5,0.3",
            "--adult-prior-corr", "0.1", "-f", "json",
        ],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["reference_dose"] == 0.15 and d["dose_unit"] == "mg/kg"
    assert d["adult_equivalent"] == pytest.approx([7.0, 10.5, 14.0])


@pytest.mark.parametrize(
    "args, field, fix",
    [
        (["--doses", "0,1", "--scaling", "weight", "--reference-dose", "10"], "doses[0]", "positive"),
        (["--doses", "2,1", "--scaling", "weight", "--reference-dose", "10"], "doses[1]", "sort"),
        (["--doses", "1,2", "--scaling", "area", "--reference-dose", "10"], "scaling", "'bsa'"),
        (["--doses", "1,2", "--scaling", "weight"], "--reference-dose", "give"),
        (["--input", INPUT, "--robust-weight", "1"], "--robust-weight", "[0, 1)"),
        (["--input", INPUT, "--inflation", "0.5"], "--inflation", ">= 1"),
    ],
)
def test_from_adult_bad_input_is_one_line(args, field, fix):
    line = _error_line(runner.invoke(app, ["paediatric", "from-adult", "--adult-data", ADULT, *args]))
    assert field in line and fix in line


def test_from_adult_bad_adult_data(tmp_path):
    bad = tmp_path / "adult.csv"
    bad.write_text("dose,n,r\n1,3,0\n5,2,3\n")
    line = _error_line(
        runner.invoke(app, ["paediatric", "from-adult", "--adult-data", str(bad), "--input", INPUT])
    )
    assert "adult.csv: line 3, r: 3 DLTs among n = 2" in line and "r cannot exceed n" in line
    line = _error_line(runner.invoke(app, ["paediatric", "from-adult", "--input", INPUT]))
    assert "--adult-data" in line
    line = _error_line(
        runner.invoke(app, ["paediatric", "from-adult", "--adult-data", str(tmp_path / "no.csv")])
    )
    assert "no.csv not found" in line or "--input" in line


def test_every_command_and_option_has_help():
    for cmd in ("doses", "from-adult"):
        r = runner.invoke(app, ["paediatric", cmd, "--help"])
        assert r.exit_code == 0
    from dosefind.cli import paediatric as mod

    for fn in (mod.doses, mod.from_adult):
        assert fn.__doc__
        import inspect

        for p in inspect.signature(fn).parameters.values():
            assert getattr(p.default, "help", None), (fn.__name__, p.name)
