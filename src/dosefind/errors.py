"""One exception hierarchy for the whole package.

Library code raises these; only the CLI turns them into a one-line message and exit code 2.
Every message says what was wrong and how to fix it.
"""

from __future__ import annotations


class DosefindError(Exception):
    """Base class of every error dosefind raises on purpose."""


class SpecError(DosefindError, ValueError):
    """A design, scenario or study specification is invalid.

    ``field`` is the dotted path of the offending entry (``design.skeleton``, ``scenarios[2].true_tox``),
    ``fix`` says what to do, ``source`` names the file when the spec came from one.
    """

    def __init__(self, field: str, problem: str, fix: str = "", source: str | None = None):
        self.field = field
        self.problem = problem
        self.fix = fix
        self.source = source
        where = f"{source}: " if source else ""
        tail = f"; {fix}" if fix else ""
        super().__init__(f"{where}{field}: {problem}{tail}")

    def with_source(self, source: str) -> SpecError:
        """The same error, naming the file it came from."""
        return SpecError(self.field, self.problem, self.fix, source)


class DataError(DosefindError, ValueError):
    """Trial data (outcome notation or data file) is invalid."""


class OutputError(DosefindError, RuntimeError):
    """An output file or folder cannot be used as asked (a folder where a file is wanted, a folder that
    does not exist or cannot be written, another study's results, unreadable parts, locked)."""


class MissingExtraError(DosefindError, ImportError):
    """An optional dependency (an extra of the dosefind package: bayes, plot) is not installed."""


class EngineError(DosefindError, RuntimeError):
    """The simulation engine was asked for something it cannot do."""
