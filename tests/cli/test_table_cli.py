"""``dosefind table`` through typer's CliRunner (registered here as cli/__init__.py registers it)."""

import csv
import io
import json

import typer
from typer.testing import CliRunner

from dosefind.cli import table as table_cli

from ..conftest import SCENARIOS

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.callback()
def _root():
    """Test app holding the table command."""


app.command("table")(table_cli.table)

runner = CliRunner()
SPEC = str(SCENARIOS / "target30-6dose.toml")
BOIN = ["table", "--design", SPEC, "--name", "BOIN"]


def test_text_output():
    r = runner.invoke(app, [*BOIN, "--max-n", "18"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].startswith("Decision table: BOIN (boin, target 0.3, n <= 18)")
    deesc = next(ln for ln in lines if ln.startswith("De-escalate if # of DLT >="))
    assert deesc.split()[-18:] == "1 1 2 2 2 3 3 3 4 4 4 5 5 6 6 6 7 7".split()


def test_csv_output():
    r = runner.invoke(app, [*BOIN, "--max-n", "6", "--format", "csv"])
    assert r.exit_code == 0, r.output
    body = "\n".join(ln for ln in r.output.splitlines() if not ln.startswith("#"))
    rows = list(csv.DictReader(io.StringIO(body)))
    assert list(rows[0]) == ["n_treated", "n_dlt", "action", "action_label"]
    assert len(rows) == sum(n + 1 for n in range(1, 7))
    assert {(r["n_treated"], r["n_dlt"]): r["action"] for r in rows}[("3", "3")] == "DU"


def test_json_output_three_plus_three():
    r = runner.invoke(app, ["table", "--design", SPEC, "--name", "3+3", "-f", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["kind"] == "three_plus_three" and data["n_treated"] == [3, 6]
    actions = {(row["n_treated"], row["n_dlt"]): row["action"] for row in data["rows"]}
    assert actions[(3, 0)] == "E" and actions[(3, 1)] == "S" and actions[(6, 1)] == "E"
    assert actions[(3, 2)] == "D" and actions[(6, 2)] == "D"


def test_out_and_plot_write_files(tmp_path):
    out, png = tmp_path / "table.json", tmp_path / "table.png"
    r = runner.invoke(app, [*BOIN, "-f", "json", "--out", str(out), "--plot", str(png)])
    assert r.exit_code == 0, r.output
    assert r.output == ""
    assert json.loads(out.read_text())["max_n"] == 36
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.json", "table.png"]  # no temporaries


def test_single_design_file_needs_no_name(tmp_path):
    f = tmp_path / "boin.toml"
    f.write_text('[design]\nkind = "boin"\ntarget = 0.25\nn_doses = 5\nmax_n = 30\nextrasafe = true\n')
    r = runner.invoke(app, ["table", "--design", str(f), "--max-n", "9"])
    assert r.exit_code == 0, r.output
    assert "Stop trial if # of DLT >= (lowest dose, extrasafe)" in r.output


def _one_line_error(r, *needles):
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1, r.output
    for needle in needles:
        assert needle in r.output, r.output


def test_crm_is_exit_2_with_one_line():
    r = runner.invoke(app, ["table", "--design", SPEC, "--name", "CRM"])
    _one_line_error(r, "CRM has no decision table", "dosefind paths")


def test_several_designs_need_a_name():
    _one_line_error(runner.invoke(app, ["table", "--design", SPEC]), "--name", "'BOIN'", "'3+3'")
    _one_line_error(runner.invoke(app, ["table", "--design", SPEC, "--name", "nope"]), "no design named")


def test_bad_max_n_and_missing_file(tmp_path):
    _one_line_error(runner.invoke(app, [*BOIN, "--max-n", "0"]), "max_n")
    _one_line_error(runner.invoke(app, [*BOIN, "--max-n", "37"]), "max_n", "36")
    _one_line_error(runner.invoke(app, ["table", "--design", str(tmp_path / "x.toml")]), "not found")
    _one_line_error(
        runner.invoke(app, [*BOIN, "--plot", str(tmp_path / "no" / "t.png")]), "--plot", "does not exist"
    )


def test_help():
    r = runner.invoke(app, ["table", "--help"])
    assert r.exit_code == 0
    for opt in ("--design", "--name", "--max-n", "--format", "--out", "--plot"):
        assert opt in r.output
