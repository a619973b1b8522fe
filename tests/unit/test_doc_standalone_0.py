"""Part 0 of the standalone commands of README.md and docs/ (simulations and checks that read only bundled
files and write nothing), each run once as written; see ``doc_commands.py``."""

import pytest

from .doc_commands import run_as_written, scratch_copy, standalone


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return scratch_copy(tmp_path_factory)


@pytest.mark.slow
@pytest.mark.parametrize("command", standalone(0))
def test_standalone_command_runs_as_written(command, scratch):
    run_as_written(command, scratch)
