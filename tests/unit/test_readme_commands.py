"""Every dosefind command shown in README.md and docs/ runs as written on the bundled files (issue 17:
"every command in README.md and docs/ runs from the repo root on bundled files, and a test runs them
all").

The commands run in a scratch folder holding copies of ``scenarios/`` and ``examples/`` (so their outputs,
results folders and audit logs land there, not in the checkout). Optional parts written in brackets
(``[--format text|csv|json]``) are left out; a line with ``...`` or a placeholder in capitals (``SPEC.toml``)
is a usage synopsis, not a command. Lines that need something outside the machine (an existing Dask
scheduler) or a second copy of a long run (a local Dask cluster over the bundled sweep, which
tests/sweep/test_backends.py covers on a small study) are listed in ``SKIP`` with the reason.
"""

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SKIP = {
    "--scheduler tcp://": "needs a running Dask scheduler",
    "--dask-workers": "a second full sweep on a local Dask cluster (the backend is tested on a small study)",
    "--posterior mcmc": "PyMC sampling (tested in tests/inference with the same design)",
    "dosefind app": "a web server that runs until stopped (tests/app drive the page in Chromium)",
    "dosefind prior map": "PyMC sampling (tests/unit/test_prior_cli.py and tests/published/"
    "test_rbest_reference.py fit the same models; the bundled examples/priors/*-map.toml are its outputs)",
}


def readme_commands() -> list[str]:
    out = []
    text = "\n".join(p.read_text(encoding="utf-8") for p in DOCS)
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = line.strip()
            if "&& dosefind " in line:  # "pip install ... && dosefind ...": the install is CI's own step
                line = line[line.index("dosefind ") :]
            if not line.startswith("dosefind "):
                continue
            line = re.sub(r"\s+#.*$", "", line)  # trailing comment
            for cmd in line.split(" ; "):
                cmd = re.sub(r"\[[^\]]*\]", "", cmd).strip()
                if "..." in cmd or re.search(r"\b[A-Z]+\.toml\b|\bDIR\b", cmd):
                    continue
                out.append(cmd)
    return out


COMMANDS = readme_commands()


def test_the_readme_shows_commands():
    assert len(COMMANDS) >= 15


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    where = tmp_path_factory.mktemp("readme")
    for folder in ("scenarios", "examples"):
        shutil.copytree(ROOT / folder, where / folder)
    return where


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs_as_written(command, scratch):
    for marker, why in SKIP.items():
        if marker in command:
            pytest.skip(why)
    args = shlex.split(command)
    exe = shutil.which("dosefind") or sys.executable
    cmd = [exe, *args[1:]] if exe.endswith("dosefind") else [exe, "-m", "dosefind.cli", *args[1:]]
    r = subprocess.run(cmd, cwd=scratch, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, f"{command}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    assert "Traceback" not in r.stderr
