"""The meeting commands (table, paths, report) on two-drug grids and phase I/II arm files."""

import csv
import html
import io
import json
import math
import re

import pytest
from typer.testing import CliRunner

from dosefind.cli import app

from ..conftest import SCENARIOS
from .test_recommend_arm_cli import ARM_CSV, ARM_TOML

runner = CliRunner()
ARM_COMBO = SCENARIOS / "arm-combo.toml"  # 3 x 3 BOIN for combinations, max_n 30, two expansion cohorts
ACTIVE = [0.05, 0.10, 0.18, 0.10, 0.18, 0.30, 0.18, 0.30, 0.45]  # its scenario "active", row by row

#: the small arm of the recommend tests (escalation stops at max_n = 6, selects 2.1; then the extension)
SMALL_ARM, SMALL_ARM_CSV = ARM_TOML, ARM_CSV

POCRM = """\
[design]
kind = "pocrm"
target = 0.3
max_n = 24
cohort_size = 3
skeleton_halfwidth = 0.05
skeleton_nu = 3
[design.grid]
levels_a = ["a1", "a2", "a3"]
levels_b = ["b1", "b2", "b3"]
excluded = ["3.3"]
"""


@pytest.fixture()
def small_arm(tmp_path):
    design = tmp_path / "arm.toml"
    design.write_text(SMALL_ARM)
    data = tmp_path / "arm.csv"
    data.write_text(SMALL_ARM_CSV)
    return design, data


@pytest.fixture()
def pocrm(tmp_path):
    design = tmp_path / "pocrm.toml"
    design.write_text(POCRM)
    return design


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def _one_line_error(r, *needles):
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1, r.output
    for needle in needles:
        assert needle in r.output, r.output


# ---- table -----------------------------------------------------------------------------------------------
def test_table_of_an_arm_file_is_its_escalation_designs():
    r = invoke("table", "--design", ARM_COMBO, "--max-n", "12")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0] == "Decision table: boin_comb (boin_comb, target 0.3, n <= 12) at the current cell"
    rows = {ln.split("#")[0].strip(): ln.split()[-12:] for ln in lines if "# of DLT" in ln}
    assert rows["Escalate if"] == "0 0 0 0 1 1 1 1 2 2 2 2".split()
    assert rows["De-escalate if"] == "1 1 2 2 2 3 3 3 4 4 4 5".split()
    assert rows["Eliminate if"] == "- - 3 3 4 4 5 5 5 6 6 7".split()
    flat = " ".join(r.output.split())
    assert "n_earlystop = 12: with n >= 12, a decision to stay at the cell just treated" in flat
    assert "E goes to (j+1, k) or (j, k+1), D to (j-1, k) or (j, k-1)" in flat
    data = json.loads(invoke("table", "--design", ARM_COMBO, "-f", "json").output)
    assert data["unit"] == "cell" and data["max_n"] == 30


def test_table_plot_of_an_arm_file(tmp_path):
    png = tmp_path / "table.png"
    r = invoke("table", "--design", ARM_COMBO, "--max-n", "12", "-f", "csv", "--plot", png)
    assert r.exit_code == 0, r.output
    rows = [ln for ln in r.output.splitlines() if not ln.startswith("#")]
    assert rows[0] == "n_treated,n_dlt,action,action_label" and len(rows) == 1 + sum(range(2, 14))
    assert "3,3,DU,de-escalate and eliminate this cell and every cell at least as high in both drugs" in rows
    assert png.read_bytes().startswith(b"\x89PNG")


def test_table_errors_on_arm_files_and_pocrm(pocrm):
    _one_line_error(invoke("table", "--design", ARM_COMBO, "--name", "x"), "an arm file holds one design")
    _one_line_error(
        invoke("table", "--design", pocrm), "PO-CRM has no decision table", "use `dosefind paths`"
    )


# ---- paths -----------------------------------------------------------------------------------------------
def test_paths_of_an_arm_split_the_first_tie_with_exact_probabilities():
    scenario = f"{ARM_COMBO}:active"
    r = invoke("paths", "--design", ARM_COMBO, "--outcomes", "", "--cohorts", "1", "--scenario", scenario)
    assert r.exit_code == 0, r.output
    out = r.output
    assert "now (no patients): start at 1.1" in out
    # 1.1NNN escalates; the untried 2.1 and 1.2 tie: each with chance 1/2, p = 1/2 x 0.95^3
    half = 0.5 * 0.95**3
    for cell, other in (("2.1", "1.2"), ("1.2", "2.1")):
        line = next(ln for ln in out.splitlines() if f"1.1NNN -> escalate to {cell} " in ln)
        assert f"[tie with {other} broken at random: chance 1/2]" in line
        assert line.endswith(f"p = {half:.4f}")
    assert f"p = {3 * 0.05 * 0.95**2:.4f}" in next(ln for ln in out.splitlines() if "1.1NNT" in ln)
    assert "(5 paths; their probabilities sum to 1.000000)" in out
    assert (
        "rows targeted agent 1..3, columns partner 1..3: 0.05 0.1 0.18 / 0.1 0.18 0.3 / 0.18 0.3 0.45" in out
    )


def test_paths_table_csv_and_json_on_a_grid():
    args = ["paths", "--design", ARM_COMBO, "--outcomes", "1.1NNN 1.2NNN", "--cohorts", "2"]
    r = invoke(*args, "--scenario", ";".join(",".join(map(str, ACTIVE[i : i + 3])) for i in (0, 3, 6)))
    assert r.exit_code == 0, r.output
    r_flat = invoke(*args, "--scenario", ",".join(map(str, ACTIVE)))
    assert r.output == r_flat.output  # rows separated by ';' or one list in cell order
    table = invoke(*args, "--scenario", f"{ARM_COMBO}:active", "-f", "table").output.splitlines()
    assert table[1].split() == ["path", "cohort", "1", "cohort", "2", "then", "chance", "prob"]
    rows = [ln.split() for ln in table[2:] if ln[:1].isdigit()]
    assert all(re.fullmatch(r"\d\.\d[NT]{3}", row[1]) for row in rows)
    assert math.isclose(sum(float(row[-1]) for row in rows), 1.0, abs_tol=5e-4)
    assert table[-1].startswith("chance: probability of the design's random choices")
    body = invoke(*args, "-f", "csv").output
    nodes = list(csv.DictReader(io.StringIO(body)))
    assert {"random_choice", "chance", "alternatives"} <= set(nodes[0])
    assert all(n["dose"] in ARM_CELLS for n in nodes)
    # the root is the real data's decision (a tie the data's uniform broke: chance 1); future ties split
    assert nodes[0]["random_choice"] == "tie" and float(nodes[0]["chance"]) == 1.0
    ties = [n for n in nodes[1:] if n["random_choice"] == "tie"]
    assert ties and all(float(n["chance"]) == 0.5 and len(n["alternatives"].split()) == 2 for n in ties)
    data = json.loads(invoke(*args, "-f", "json").output)
    assert data["data"] == "1.1NNN 1.2NNN"
    assert all(re.fullmatch(r"(\d\.\d[NT]{3} ?){1,2}", n["path"]) for n in data["nodes"][1:])


ARM_CELLS = {f"{j}.{k}" for j in (1, 2, 3) for k in (1, 2, 3)}


def test_paths_after_an_arms_escalation_stopped(small_arm):
    design, data = small_arm
    r = invoke("paths", "--design", design, "--data", data)
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[1] == "now (1.1NEN 2.1NEN): stop, MTD 2.1"
    assert len(r.output.strip().splitlines()) == 2  # no future escalation cohorts


def test_paths_scenario_errors_on_a_grid():
    args = ["paths", "--design", ARM_COMBO, "--outcomes", "1.1NNN"]
    _one_line_error(invoke(*args, "--scenario", "0.1,0.2;0.3,0.4"), "need 9 DLT probabilities", "3 rows of 3")
    _one_line_error(invoke(*args, "--scenario", "0.1,0.2,0.3"), "need 9 DLT probabilities")
    _one_line_error(
        invoke(*args, "--scenario", f"{ARM_COMBO}:nope"), "no scenario 'nope'", "active, inactive"
    )


# ---- report ----------------------------------------------------------------------------------------------
def _text(path):
    """The report's visible text, tags and images removed, entities decoded, whitespace collapsed."""
    raw = path.read_text(encoding="utf-8")
    return raw, " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def test_report_on_an_arm_shows_the_extension_state(small_arm, tmp_path):
    design, data = small_arm
    out = tmp_path / "meeting.html"
    r = invoke("report", "--design", design, "--data", data, "--out", out)
    assert r.exit_code == 0, r.output
    assert "extension at cell 2.1: BRAF V600: continue; histology: continue; report written to" in r.output
    raw, text = _text(out)
    assert "Dose-escalation meeting: arm combo A" in text
    assert "Recommendation: extension at cell 2.1: BRAF V600: continue; histology: continue" in text
    assert "1 response at cell 2.1 (at least 1 needed): the extension opens" in text
    assert "Responses in escalation (cell: responders/patients): 1.1 1/3, 2.1 1/3." in text
    # the cohorts as recommend reports them: BRAF V600 2 new (one response pending), histology 3 + 1
    assert "BRAF V600 Simon" in text and "2 2 0 1 0 continue next look 1 (2 more patient(s) to go)" in text
    assert "1 4 (3 from escalation + 1 new) 2 0 1 continue" in text
    assert "Safety at cell 2.1 (escalation and extension pooled): 6 patients, 1 DLT;" in text
    assert "Extension patients, in treatment order:" in text
    assert "203 BRAF V600 2.1 no not yet assessed" in text
    assert "Escalation has stopped: there are no further escalation cohorts." in text
    assert "Which cell: E goes to (j+1, k) or (j, k+1)" in text  # the BOIN-comb decision table
    assert "arm hash" in text and "Arm specification" in text
    assert raw.count("data:image/png;base64,") == 2  # the grid heat map and the decision table


def test_report_on_an_arm_in_escalation_with_pathways(tmp_path):
    out = tmp_path / "meeting.html"
    args = ["report", "--design", ARM_COMBO, "--outcomes", "1.1NNN", "--out", out]
    r = invoke(*args, "--scenario", f"{ARM_COMBO}:active", "--cohorts", "1")
    assert r.exit_code == 0, r.output
    raw, text = _text(out)
    assert "Phase: escalation" in text and "Expansion cohorts (not open):" in text
    assert "biomarker Simon minimax" in text
    assert "Safety monitor of the extension: stop when P(DLT rate > 0.3 | data) > 0.95" in text
    assert "Data and posterior per cell (escalation)" in text
    assert "Dose transition pathways: next 1 cohorts" in text
    assert "broken at random: chance 1/2]" in text and "their probabilities sum to 1.000000" in text
    assert 'alt="Heat map of the posterior mean probability of DLT per cell' in raw


def test_report_on_a_pocrm_design(pocrm, tmp_path):
    out = tmp_path / "po.html"
    r = invoke("report", "--design", pocrm, "--outcomes", "1.1NNN 1.2NTN", "--out", out)
    assert r.exit_code == 0, r.output
    raw, text = _text(out)
    assert 'POCRM design "pocrm"' in text
    assert "on a 3 x 3 grid (A x B, cells j.k)" in text
    assert "no fixed decision table: its decisions depend on the data at every cell" in text
    assert raw.count("data:image/png;base64,") == 1
