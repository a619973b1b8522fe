"""README.md's chained commands, in order, as written (see ``doc_commands.py``; its standalone simulations
run in ``test_doc_standalone_*.py``)."""

import pytest

from .doc_commands import README, chained, commands_in, run_as_written, scratch_copy

COMMANDS = chained([README])


def test_the_readme_shows_commands():
    assert len(commands_in([README])) >= 15 and len(COMMANDS) >= 10


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return scratch_copy(tmp_path_factory)


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs_as_written(command, scratch):
    run_as_written(command, scratch)
