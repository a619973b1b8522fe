"""``dosefind prior ...`` through typer's CliRunner on the bundled examples: outputs, refusals and
one-line errors (no traceback). One small MCMC fit (``prior map`` on the BLRM example)."""

import json
import shutil
from pathlib import Path

import pytest
import tomllib
from typer.testing import CliRunner

from dosefind.cli import app
from dosefind.prior import read_prior
from dosefind.specfile import select_design

runner = CliRunner()
EX = Path("examples/priors")


def run(*args):
    return runner.invoke(app, ["prior", *map(str, args)])


def one_line_error(r, *words):
    assert r.exit_code == 2, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    lines = [ln for ln in r.output.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, r.output
    for w in words:
        assert w in lines[0], lines[0]
    assert "Traceback" not in r.output


def test_ess_of_the_bundled_binary_prior():
    r = run("ess", EX / "as-map.toml", "--format", "json")
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)["ess"]
    assert set(res) == {"elir", "moment", "morita"}
    assert 20 < res["elir"] < 60 and res["moment"] < res["elir"]


def test_robustify_writes_a_new_file_and_keeps_the_input(tmp_path):
    src = tmp_path / "as-map.toml"
    shutil.copy(EX / "as-map.toml", src)
    before = src.read_bytes()
    out = tmp_path / "robust.toml"
    r = run("robustify", src, "--weight", "0.2", "--out", out)
    assert r.exit_code == 0, r.output
    assert src.read_bytes() == before
    rob, orig = read_prior(out), read_prior(src)
    assert rob.mixture.weights[-1] == pytest.approx(0.2)
    assert (rob.mixture.a[-1], rob.mixture.b[-1]) == (1.0, 1.0)
    assert rob.provenance["robustified"]["weight"] == 0.2
    assert rob.provenance["data_sha256"] == orig.provenance["data_sha256"]
    one_line_error(run("robustify", src, "--weight", "0.2", "--out", src), "is the input file", "--overwrite")
    assert src.read_bytes() == before
    assert run("robustify", src, "--weight", "0.2", "--out", src, "--overwrite").exit_code == 0
    one_line_error(run("robustify", out, "--weight", "1.5", "--out", tmp_path / "x.toml"), "weight")
    one_line_error(
        run("robustify", out, "--weight", "0.2", "--target", "0.3", "--out", tmp_path / "x.toml"), "--target"
    )


def test_blrm_ess_per_dose():
    r = run("ess", EX / "hist-sa-map-robust.toml", "--doses", "25,50", "--format", "json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)["per_dose"]
    assert [row["dose"] for row in rows] == [25.0, 50.0]
    assert all(row["moment"] > 0 for row in rows)
    one_line_error(run("ess", EX / "hist-sa-map-robust.toml"), "--doses")


def test_write_puts_the_prior_into_a_blrm_design(tmp_path):
    design = tmp_path / "blrm-nbg.toml"
    shutil.copy(EX / "blrm-nbg.toml", design)
    before = design.read_bytes()
    out = tmp_path / "with-map.toml"
    r = run("write", EX / "hist-sa-map-robust.toml", design, "--out", out)
    assert r.exit_code == 0, r.output
    assert design.read_bytes() == before
    d = select_design(out)
    prior = read_prior(EX / "hist-sa-map-robust.toml")
    assert len(d.prior) == prior.mixture.n_components
    assert [c.weight for c in d.prior] == pytest.approx(prior.mixture.weights)
    assert d.reference_dose == prior.reference_dose
    raw = tomllib.loads(out.read_text())
    assert "prior_mean" not in raw["design"]
    one_line_error(run("write", EX / "hist-sa-map-robust.toml", design, "--out", design), "--overwrite")


def test_write_refuses_a_mismatched_design(tmp_path):
    one_line_error(
        run(
            "write",
            EX / "hist-sa-map-robust.toml",
            "examples/designs/blrm.toml",
            "--out",
            tmp_path / "x.toml",
        ),
        "reference_dose",
        "--reference-dose 8",
    )
    one_line_error(
        run("write", EX / "as-map.toml", EX / "blrm-nbg.toml", "--out", tmp_path / "x.toml"),
        "beta prior cannot go into a BLRM design",
    )
    other = tmp_path / "boin.toml"
    other.write_text('[design]\nkind = "boin"\ntarget = 0.3\ndoses = 5\nmax_n = 30\n')
    one_line_error(
        run("write", EX / "hist-sa-map-robust.toml", other, "--out", tmp_path / "x.toml"), "not a BLRM"
    )


def test_plots(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "beta.png"
    assert run("plot", EX / "as-map.toml", "--n", "20", "--r", "5", "--out", out).exit_code == 0
    assert out.read_bytes()[:4] == b"\x89PNG"
    out = tmp_path / "blrm.png"
    r = run(
        "plot",
        EX / "hist-sa-map-robust.toml",
        "--doses",
        "1,5,10,25",
        "--n",
        "3,3,3,3",
        "--r",
        "0,0,1,2",
        "--out",
        out,
    )
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:4] == b"\x89PNG"
    one_line_error(run("plot", EX / "as-map.toml", "--n", "5", "--r", "6", "--out", out), "r <= n")


def test_bad_historical_data_is_one_line_naming_row_and_fix(tmp_path):
    bad = tmp_path / "hist.csv"
    bad.write_text("study,n,r\nA,10,2\nB,5,7\n")
    one_line_error(
        run("map", bad, "--endpoint", "binary", "--out", tmp_path / "p.toml"),
        "row 3",
        "column r",
        "7 events but only 5 patients",
    )
    bad.write_text("study,dose,n,r\nA,0,3,0\n")
    one_line_error(
        run("map", bad, "--endpoint", "blrm", "--reference-dose", "50", "--out", tmp_path / "p.toml"),
        "row 2",
        "column dose",
        "not positive",
    )
    bad.write_text("study,n,r\nA,10,2\n")
    one_line_error(
        run("map", bad, "--endpoint", "blrm", "--reference-dose", "5", "--out", tmp_path / "p.toml"),
        "missing column(s) dose",
    )
    one_line_error(
        run("map", EX / "hist-sa.csv", "--endpoint", "blrm", "--out", tmp_path / "p.toml"), "--reference-dose"
    )
    one_line_error(
        run(
            "map", EX / "as-placebo.csv", "--endpoint", "binary", "--draws", "5", "--out", tmp_path / "p.toml"
        ),
        "draws",
    )
    assert not (tmp_path / "p.toml").exists()


def test_bad_prior_files(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text('[prior]\nkind = "gamma"\n')
    one_line_error(run("ess", p), "prior.kind")
    p.write_text('[prior]\nkind = "beta"\nweights = [0.5, 0.4]\na = [1, 2]\nb = [1, 2]\n')
    one_line_error(run("ess", p), "prior.weights", "sum to 1")
    p.write_text('[prior]\nkind = "bvn"\nweights = [1.0]\nmeans = [[0, 0]]\nsds = [[1, 1]]\ncorrs = [0]\n')
    one_line_error(run("ess", p, "--doses", "1"), "reference_dose")
    one_line_error(run("ess", tmp_path / "none.toml"), "not found")


@pytest.mark.pymc
def test_map_blrm_writes_a_prior_with_provenance(tmp_path):
    """One small NUTS fit (2 chains x 200 draws): the file, its provenance and reproducibility of the EM
    step from the stored settings are checked, not the statistics (tests/published compares with RBesT)."""
    pytest.importorskip("pymc")
    out = tmp_path / "prior.toml"
    r = run(
        "map",
        EX / "hist-sa.csv",
        "--endpoint",
        "blrm",
        "--reference-dose",
        "50",
        "--draws",
        "200",
        "--tune",
        "300",
        "--chains",
        "2",
        "--max-components",
        "2",
        "--seed",
        "7",
        "--out",
        out,
    )
    assert r.exit_code == 0, r.output
    prior = read_prior(out)
    assert prior.kind == "bvn" and prior.reference_dose == 50
    prov = prior.provenance
    assert prov["seed"] == 7 and prov["mcmc"]["draws"] == 200 and prov["mcmc"]["chains"] == 2
    assert len(prov["data_sha256"]) == 64 and prov["endpoint"] == "blrm"
    assert prov["mixture_fit"]["criterion"] == "aic" and set(prov["mixture_fit"]["ic"]) == {"1", "2"}
    assert prov["mixture_fit"]["predictive_draws"] == 400
    assert {"mu_log_alpha_mean", "tau_log_beta_mean", "rho_mean", "r_hat_max"} <= set(prov["posterior"])
    assert prov["hyperpriors"]["tau_dist"] == "lognormal"


def test_ess_doses_from_a_design():
    one_line_error(
        run("ess", EX / "hist-sa-map-robust.toml", "--design", "examples/designs/tite-boin.toml"),
        "not a BLRM",
    )
    one_line_error(
        run("ess", EX / "hist-sa-map-robust.toml", "--doses", "1", "--design", EX / "blrm-nbg.toml"),
        "one of them",
    )


def test_map_option_errors_before_sampling(tmp_path):
    out = tmp_path / "p.toml"
    one_line_error(
        run("map", EX / "as-placebo.csv", "-e", "binary", "--mu-mean", "1,2", "--out", out), "a number"
    )
    one_line_error(
        run("map", EX / "hist-sa.csv", "-e", "blrm", "--reference-dose", "50", "--mu-sd", "2", "--out", out),
        "--mu-sd",
        "2 comma-separated numbers",
    )
    one_line_error(
        run("map", EX / "as-placebo.csv", "-e", "binary", "--tau-dist", "foo", "--out", out), "tau_dist"
    )
    one_line_error(
        run("map", EX / "as-placebo.csv", "-e", "binary", "--reference-dose", "5", "--out", out), "blrm only"
    )
    copy = tmp_path / "hist.csv"
    shutil.copy(EX / "as-placebo.csv", copy)
    r = run("map", copy, "-e", "binary", "--out", copy)
    one_line_error(r, "is the input file")
    assert "--overwrite" not in r.output
    assert not out.exists()
