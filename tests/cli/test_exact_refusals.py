"""Where exact operating characteristics do not apply, the refusal says why and what to run instead
(issue 17, item 1): arm files (``--exact`` and ``[simulation] exact = true``) and studies of arms; exact
studies of designs refuse trials and seeds (``tests/sweep/test_exact_study.py`` has the rest)."""

from pathlib import Path

import tomli_w
from typer.testing import CliRunner

from dosefind.cli import app

from ..sweep.conftest import study_dict

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
ARM = ROOT / "scenarios" / "arm-combo.toml"


def _one_error_line(r, *words):
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    lines = [line for line in r.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), r.output
    for w in words:
        assert w in lines[0], (w, lines[0])


def test_an_arm_file_with_exact_is_refused_with_the_reason():
    r = runner.invoke(app, ["simulate", str(ARM), "--exact"])
    _one_error_line(
        r, "--exact", "expansion cohorts open on the responses", "simulate --exact on a spec file"
    )


def test_exact_true_in_an_arm_file_is_refused_with_the_reason(tmp_path):
    text = ARM.read_text(encoding="utf-8")
    assert text.count("[simulation]") == 1
    path = tmp_path / "arm.toml"
    path.write_text(text.replace("[simulation]", "[simulation]\nexact = true"), encoding="utf-8")
    r = runner.invoke(app, ["simulate", str(path)])
    _one_error_line(r, "simulation.exact", "expansion cohorts open on the responses", "remove exact = true")
    path.write_text(text.replace("[simulation]", "[simulation]\nexact = false"), encoding="utf-8")
    from dosefind.arm.spec import load_arm

    assert load_arm(path).n_trials == 20000  # exact = false is the default, and accepted


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


def test_exact_true_in_a_study_of_arms_is_refused_with_what_to_run_instead(tmp_path):
    """Refused when [study] is read, before the arm, platform or basket files are."""
    path = tmp_path / "study.toml"
    out = tmp_path / "out"
    for key in ("arms", "platforms", "baskets"):
        data = {"study": {"exact": True}, key: [{"file": "not-read.toml"}]}
        path.write_text(tomli_w.dumps(data), encoding="utf-8")
        r = runner.invoke(app, ["sweep", str(path), "--out", str(out)])
        _one_error_line(r, "study.exact", "arms, platforms and baskets", "remove exact = true")
        assert not out.exists()
