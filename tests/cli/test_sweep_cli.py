"""``dosefind sweep``, ``summarize`` and ``plot`` through typer's CliRunner, and the summary tables."""

import json
import sys

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from dosefind.cli import app
from dosefind.sweep.summary import by_mtd, design_summary, paired_summary, ranks, read_dataset

from ..conftest import SCENARIOS

runner = CliRunner()

STUDY = """
[study]
name = "cli-study"
n_trials = 400
seed = 11
block_trials = 150
scenario_files = ["{spec}"]

[[designs]]
name = "BOIN"
kind = "boin"
target = 0.3
n_doses = 6
max_n = 36

[[designs]]
name = "CRM"
kind = "crm"
target = 0.3
n_doses = 6
max_n = 36
skeleton_nu = 3
skeleton_halfwidth = 0.05

[[designs]]
name = "3+3"
kind = "three_plus_three"
target = 0.3
n_doses = 6

[[random_scenarios]]
generator = "clertant_oquigley"
count = 6
seed = 3
params = {{ n_doses = 6, target = 0.3 }}
"""


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sweep-cli")
    study = tmp / "study.toml"
    study.write_text(STUDY.format(spec=(SCENARIOS / "target30-6dose.toml").as_posix()))
    out = tmp / "results"
    first = runner.invoke(app, ["sweep", str(study), "--out", str(out), "--serial", "--max-tasks", "2", "-q"])
    assert first.exit_code == 0, first.output
    assert "tasks left" in first.output and not (out / "oc.parquet").exists()
    second = runner.invoke(app, ["sweep", str(study), "--out", str(out), "--workers", "2", "-q"])
    assert second.exit_code == 0, second.output
    return study, out, first.output, second.output


def test_sweep_resumes_and_prints_the_design_table(finished):
    study, out, first, second = finished
    assert "2 tasks computed" in first
    assert "already done" in second and "results in" in second
    for name in ("BOIN", "CRM", "3+3", "benchmark PCS", "efficiency", "mean rank"):
        assert name in second
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and len(manifest["runs"]) == 2
    assert [r["backend"] for r in manifest["runs"]] == ["serial", "local"]


def test_summarize_formats(finished):
    _, out, _, _ = finished
    r = runner.invoke(app, ["summarize", str(out)])
    assert r.exit_code == 0, r.output
    for head in ("Designs across scenarios", "By true MTD position", "Paired comparisons", "BOIN - CRM"):
        assert head in r.output
    tables = r.output.split("\n\n")
    designs_part = next(t for t in tables if t.startswith("Designs across scenarios"))
    # the same design order in every table: the study's
    order = [ln.split()[0] for ln in designs_part.splitlines()[3:6]]
    by_mtd = next(t for t in tables if t.startswith("By true MTD position")).splitlines()[3:]
    assert [ln.split()[1] for ln in by_mtd[:3]] == order
    # probabilities in percent throughout (never 0.xx beside xx.x), one number of decimals per column
    assert "PCS %" in designs_part and "early stop %" in r.output and "treated > MTD %" in r.output
    rows = designs_part.splitlines()[3:6]
    pcs = [ln.split()[1] for ln in rows]
    assert all(float(p) > 1 for p in pcs) and len({len(p.split(".")[1]) for p in pcs}) == 1
    # the tables fit a 110-character line (the paired table's footnote is prose)
    assert max(len(ln) for t in tables[:3] for ln in t.splitlines()) <= 110
    j = runner.invoke(app, ["summarize", str(out), "--format", "json"])
    assert j.exit_code == 0, j.output
    payload = json.loads(j.output)
    assert {d["design"] for d in payload["designs"]} == {"BOIN", "CRM", "3+3"}
    assert payload["provenance"]["seed"] == 11
    c = runner.invoke(app, ["summarize", str(out), "--format", "csv", "--out", str(out.parent / "s.csv")])
    assert c.exit_code == 0, c.output
    text = (out.parent / "s.csv").read_text()
    head, _, body = text.partition("\ntable,design,n_scenarios")
    assert body and "paired," in body
    assert "# study: cli-study" in head and "# seed: 11" in head and "# study_hash: " in head
    import pyarrow.parquet as pq

    meta = json.loads(pq.read_schema(out / "oc.parquet").metadata[b"dosefind"])
    assert meta["seed"] == 11 and meta["n_trials"] == 400 and meta["study"] == "cli-study"


def test_plot_writes_figures(finished):
    pytest.importorskip("matplotlib")
    _, out, _, _ = finished
    figs = out.parent / "figures"
    r = runner.invoke(app, ["plot", str(out), "--out", str(figs)])
    assert r.exit_code == 0, r.output
    files = sorted(figs.glob("*.png"))
    assert len(files) >= 4 and all(f.stat().st_size > 1000 for f in files)
    assert b"study_hash" in files[0].read_bytes()  # provenance in the PNG metadata
    for fmt in ("svg", "pdf"):
        r = runner.invoke(app, ["plot", str(out), "--out", str(figs / fmt), "--format", fmt])
        assert r.exit_code == 0, r.output
        assert len(list((figs / fmt).glob(f"*.{fmt}"))) == len(files)


def test_summary_tables_agree_with_the_dataset(finished):
    _, out, _, _ = finished
    data = read_dataset(out)
    oc, paired = data["oc"], data["paired"]
    n_scen = oc["scenario"].nunique()
    assert n_scen == 12 and len(oc) == 36
    ds = design_summary(oc).set_index("design")
    for name, g in oc.groupby("design"):
        assert ds.loc[name, "pcs"] == pytest.approx(g["pcs"].mean(), abs=1e-15)
        assert ds.loc[name, "pcs_mcse"] == pytest.approx(np.sqrt((g["pcs_mcse"] ** 2).sum()) / n_scen)
    # ranks: within each scenario they are a permutation of 1..3 (ties averaged), so they sum to 6
    r = ranks(oc, "pcs")
    assert np.allclose(r.groupby(oc["scenario"]).sum(), 6.0)
    assert ds["share_best_pcs"].sum() >= 1.0 - 1e-12
    # the pooled efficiency's MCSE reduces to the per-scenario delta-method MCSE for one scenario
    one = oc[oc["scenario"] == oc["scenario"].iloc[0]]
    single = design_summary(one).set_index("design")
    for name, row in one.set_index("design").iterrows():
        assert single.loc[name, "efficiency"] == pytest.approx(row["efficiency"], rel=1e-12)
        assert single.loc[name, "efficiency_mcse"] == pytest.approx(row["efficiency_mcse"], rel=1e-9)
    assert (ds["efficiency_mcse"] > 0).all()
    bm = by_mtd(oc)
    assert bm.groupby("design")["n_scenarios"].sum().eq(n_scen).all()
    # the paired table's mean difference of correct selection is the difference of the designs' mean PCS
    ps = paired_summary(paired).set_index(["design_a", "design_b", "metric"])
    diff = ps.loc[("BOIN", "CRM", "correct_selection"), "mean_diff"]
    assert diff == pytest.approx(ds.loc["BOIN", "pcs"] - ds.loc["CRM", "pcs"], abs=1e-12)
    assert ps.loc[("BOIN", "CRM", "tox_total"), "mean_diff"] == pytest.approx(
        ds.loc["BOIN", "mean_tox"] - ds.loc["CRM", "mean_tox"], abs=1e-9
    )
    # common random numbers: paired SEs are smaller than unpaired ones for correct selection
    assert (
        ps.loc[("BOIN", "CRM", "correct_selection"), "mean_diff_mcse"]
        < ps.loc[("BOIN", "CRM", "correct_selection"), "mean_diff_mcse_unpaired"]
    )
    assert isinstance(paired, pd.DataFrame)


def test_user_errors_are_one_line(finished, tmp_path):
    study, out, _, _ = finished
    r = runner.invoke(
        app,
        [
            "sweep",
            str(study),
            "--out",
            str(tmp_path / "x"),
            "--scheduler",
            "tcp://h:1",
            "--dask-workers",
            "2",
        ],
    )
    assert r.exit_code == 2 and "give one of them" in r.output
    other = tmp_path / "other.toml"
    other.write_text(study.read_text().replace("seed = 11", "seed = 12"))
    r = runner.invoke(app, ["sweep", str(other), "--out", str(out), "--serial", "-q"])
    assert r.exit_code == 2 and "another study" in r.output and "Traceback" not in r.output
    partial = tmp_path / "partial"
    r = runner.invoke(app, ["sweep", str(study), "--out", str(partial), "--serial", "--max-tasks", "1", "-q"])
    assert r.exit_code == 0
    r = runner.invoke(app, ["summarize", str(partial)])
    assert r.exit_code == 2 and "not finished" in r.output
    bad = tmp_path / "bad.toml"
    bad.write_text(study.read_text().replace("n_trials = 400", "n_trials = -4"))
    r = runner.invoke(app, ["sweep", str(bad), "--out", str(tmp_path / "y")])
    assert r.exit_code == 2 and "bad.toml: study.n_trials" in r.output


def test_plot_without_matplotlib_is_one_line(finished, tmp_path, monkeypatch):
    _, out, _, _ = finished
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    r = runner.invoke(app, ["plot", str(out), "--out", str(tmp_path / "figs")])
    assert r.exit_code == 2 and "pip install 'dosefind[plot]'" in r.output and "Traceback" not in r.output
