"""Exact operating characteristics from the command line where they apply and, where they do not, a
refusal that says why and what to run instead (issue 17, item 1): arm files (``--exact`` and
``[simulation] exact = true``; timed arms refused), studies of arms; exact studies of designs refuse trials
and seeds (``tests/sweep/test_exact_study.py`` has the rest)."""

import json
from pathlib import Path

import tomli_w
from typer.testing import CliRunner

from dosefind.cli import app

from ..sweep.conftest import study_dict

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
ARM_BOIN = ROOT / "scenarios" / "arm-boin.toml"
ARM_TIMED = ROOT / "scenarios" / "arm-paediatric-timed.toml"


def _one_error_line(r, *words):
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), r.output
    for w in words:
        assert w in lines[0], (w, lines[0])


def test_an_arm_file_with_exact_computes_the_arm_exactly():
    """``--exact`` on an untimed arm file: the arm's rows with MCSE 0 and the states in the provenance."""
    r = runner.invoke(app, ["simulate", str(ARM_BOIN), "--exact", "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["provenance"]["method"] == "exact"
    assert [c["scenario"] for c in data["provenance"]["exact"]] == ["active", "inactive", "late"]
    assert all(c["states"] > 0 for c in data["provenance"]["exact"])
    assert all(row["mcse"] == 0.0 for row in data["results"])
    r = runner.invoke(app, ["simulate", str(ARM_BOIN), "--exact", "--trials", "100"])
    _one_error_line(r, "--exact", "no simulated arms", "leave out --trials/--seed")


def test_exact_true_in_an_arm_file_computes_it_exactly(tmp_path):
    text = ARM_BOIN.read_text(encoding="utf-8").replace("max_n = 24", "max_n = 9")
    assert text.count("[simulation]") == 1
    path = tmp_path / "arm.toml"
    path.write_text(text.replace("[simulation]", "[simulation]\nexact = true"), encoding="utf-8")
    r = runner.invoke(app, ["simulate", str(path)])
    assert r.exit_code == 0, r.output
    assert "exact (no Monte Carlo error" in r.output.splitlines()[0]
    path.write_text(text.replace("[simulation]", "[simulation]\nexact = 1"), encoding="utf-8")
    _one_error_line(runner.invoke(app, ["simulate", str(path)]), "simulation.exact")
    path.write_text(text.replace("[simulation]", "[simulation]\nexact = false"), encoding="utf-8")
    from dosefind.arm.spec import load_arm

    assert load_arm(path).n_trials == 20000  # exact = false is the default, and accepted


def test_a_timed_arm_is_refused_with_the_reason(tmp_path):
    r = runner.invoke(app, ["simulate", str(ARM_TIMED), "--exact"])
    _one_error_line(r, "--exact", "calendar time", "leave out --exact")
    text = ARM_TIMED.read_text(encoding="utf-8")
    path = tmp_path / "arm.toml"
    path.write_text(text.replace("[simulation]", "[simulation]\nexact = true"), encoding="utf-8")
    r = runner.invoke(app, ["simulate", str(path)])
    _one_error_line(r, "simulation.exact", "calendar time", "remove exact = true")


def test_exact_true_in_a_study_with_trials_or_seed_is_refused(tmp_path):
    """An exact study simulates nothing: n_trials and seed are refused, not silently ignored."""
    path = tmp_path / "study.toml"
    out = tmp_path / "out"
    for key in ("n_trials", "seed"):
        data = study_dict(exact=True)
        data["study"].pop("n_trials" if key == "seed" else "seed")
        path.write_text(tomli_w.dumps(data), encoding="utf-8")
        r = runner.invoke(app, ["sweep", str(path), "--out", str(out)])
        _one_error_line(r, f"study.{key}", "exact = true", f"remove {key}, or set exact = false")
        assert not out.exists()


def test_exact_true_in_a_study_refuses_platforms_and_timed_arms(tmp_path):
    """Platforms are refused when [study] is read, before their files are; a timed arm once read."""
    path = tmp_path / "study.toml"
    out = tmp_path / "out"
    data = {"study": {"exact": True}, "platforms": [{"file": "not-read.toml"}]}
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    r = runner.invoke(app, ["sweep", str(path), "--out", str(out)])
    _one_error_line(r, "study.exact", "platforms run in calendar time", "remove exact = true")
    assert not out.exists()
    data = {"study": {"exact": True}, "arms": [{"file": str(ARM_TIMED)}]}
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    r = runner.invoke(app, ["sweep", str(path), "--out", str(out)])
    _one_error_line(r, "study.exact", "calendar time", "drop exact = true")
    assert not out.exists()
    data = {"study": {"exact": True, "n_trials": 100}, "arms": [{"file": str(ARM_BOIN)}]}
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    r = runner.invoke(app, ["sweep", str(path), "--out", str(out)])
    _one_error_line(r, "study.n_trials", "exact = true", "remove n_trials")
    assert not out.exists()
