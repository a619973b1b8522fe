"""Lint and formatting are part of the suite (so CI checks them with the tests): ruff, with the project's
settings in pyproject.toml, on src, tests and benchmarks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PATHS = ["src", "tests", "benchmarks"]


@pytest.mark.parametrize("args", [["check"], ["format", "--check"]], ids=["check", "format"])
def test_ruff(args):
    r = subprocess.run(
        [sys.executable, "-m", "ruff", *args, *PATHS], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, (
        f"ruff {' '.join(args)} found problems (fix them, or run ruff format):\n{r.stdout}{r.stderr}"
    )
