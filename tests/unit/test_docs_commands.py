"""docs/'s chained commands, file by file in order, as written (see ``doc_commands.py``; its standalone
simulations run in ``test_doc_standalone_*.py``)."""

import pytest

from .doc_commands import DOCS, chained, run_as_written, scratch_copy

COMMANDS = chained(DOCS)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return scratch_copy(tmp_path_factory)


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
def test_docs_command_runs_as_written(command, scratch):
    run_as_written(command, scratch)
