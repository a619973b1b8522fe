"""The dosefind commands shown in README.md and docs/, and how the tests run them as written on the bundled
files (issue 17: "every command in README.md and docs/ runs from the repo root on bundled files, and a test
runs them all").

The commands run in a scratch folder holding copies of ``scenarios/`` and ``examples/`` (so their outputs,
results folders and audit logs land there, not in the checkout). Optional parts written in brackets
(``[--format text|csv|json]``) are left out; a line with ``...`` or a placeholder in capitals (``SPEC.toml``)
is a usage synopsis, not a command. Lines that need something outside the machine (an existing Dask
scheduler) or a second copy of a long run (a local Dask cluster over the bundled sweep, which
tests/sweep/test_backends.py covers on a small study) are listed in ``SKIP`` with the reason.

Two kinds of command, so that a test run on several workers spreads the long ones:

- *standalone*: a simulation or check that reads only bundled files and writes nothing (``simulate``,
  ``platform simulate``, ``basket simulate``, ``verify`` without an output option). Each distinct one runs
  once (the same line shown in two places is the same command), spread over the
  ``test_doc_standalone_*.py`` files;
- *chained*: every other command, run in the order its file shows it, since a later one may read what an
  earlier one wrote (a sweep's folder, an audit log, a written prior): README.md's in
  ``test_readme_commands.py``, docs/'s in ``test_docs_commands.py``.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
SKIP = {
    "--scheduler tcp://": "needs a running Dask scheduler",
    "--dask-workers": "a second full sweep on a local Dask cluster (the backend is tested on a small study)",
    "--posterior mcmc": "PyMC sampling (tested in tests/inference with the same design)",
    "dosefind app": "a web server that runs until stopped (tests/app drive the page in Chromium)",
    "dosefind prior map": "PyMC sampling (tests/unit/test_prior_cli.py and tests/published/"
    "test_rbest_reference.py fit the same models; the bundled examples/priors/*-map.toml are its outputs)",
}
#: how many test files share the standalone commands
STANDALONE_FILES = 3
_STANDALONE_START = (
    "dosefind simulate ",
    "dosefind platform simulate ",
    "dosefind basket simulate ",
    "dosefind verify ",
)
_WRITES = re.compile(r"(^|\s)(--out|-o|--plot|--csv)(\s|=|$)")


def commands_in(paths) -> list[str]:
    """The dosefind commands of the fenced blocks of these files, in order."""
    out = []
    text = "\n".join(Path(p).read_text(encoding="utf-8") for p in paths)
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
                out.append(" ".join(cmd.split()))
    return out


def is_standalone(command: str) -> bool:
    """Reads only bundled files and writes nothing: it can run anywhere, in any order, once."""
    return command.startswith(_STANDALONE_START) and not _WRITES.search(command)


def chained(paths) -> list[str]:
    return [c for c in commands_in(paths) if not is_standalone(c)]


def standalone(part: int) -> list[str]:
    """The distinct standalone commands of README.md and docs/, every STANDALONE_FILES-th from ``part``."""
    distinct = list(dict.fromkeys(c for c in commands_in([README, *DOCS]) if is_standalone(c)))
    return distinct[part::STANDALONE_FILES]


def scratch_copy(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("docs")
    for folder in ("scenarios", "examples"):
        shutil.copytree(ROOT / folder, where / folder)
    return where


#: commands run as a process of their own (the installed ``dosefind`` script), not in the test's process:
#: sweeps start worker processes and hold their pool
OWN_PROCESS = ("dosefind sweep ",)


def run_as_written(command: str, where: Path) -> None:
    """Run ``command`` from ``where``: the command line's own ``app`` with the command's arguments, in
    this process (the console script is ``app()`` and nothing more; a process per command cost about
    2-3 s of imports and kernel loading each, 98 commands), or as a process of its own for the
    ``OWN_PROCESS`` commands. It must exit 0 with no uncaught exception."""
    for marker, why in SKIP.items():
        if marker in command:
            pytest.skip(why)
    args = shlex.split(command)
    if command.startswith(OWN_PROCESS):
        exe = shutil.which("dosefind") or sys.executable
        cmd = [exe, *args[1:]] if exe.endswith("dosefind") else [exe, "-m", "dosefind.cli", *args[1:]]
        r = subprocess.run(cmd, cwd=where, capture_output=True, text=True, timeout=900)
        assert r.returncode == 0, f"{command}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
        assert "Traceback" not in r.stderr
        return
    import os

    from typer.testing import CliRunner

    from dosefind.cli import app

    before = os.getcwd()
    os.chdir(where)
    try:
        r = CliRunner().invoke(app, args[1:], prog_name="dosefind")
    finally:
        os.chdir(before)
    crashed = r.exception if not isinstance(r.exception, SystemExit) else None
    assert r.exit_code == 0 and crashed is None, f"{command}\n{r.output[-3000:]}\n{crashed!r}"
