"""The ``dosefind`` command line: a thin layer over the Python API (one module per command)."""

from __future__ import annotations

import typer

from .. import __version__
from . import app as _app
from . import basket as _basket
from . import design as _design
from . import log as _log
from . import paediatric as _paediatric
from . import paths as _paths
from . import platforms as _platforms
from . import prior as _prior
from . import recommend as _recommend
from . import report as _report
from . import simulate as _simulate
from . import sweep as _sweep
from . import table as _table
from . import verify as _verify

app = typer.Typer(
    name="dosefind",
    help="Adaptive phase I/II dose-finding: simulate designs, compare operating characteristics, "
    "and run dose-escalation meetings with the same decision code.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts quote TOML ([design], [[scenarios]]): print them literally
)


def _version(value: bool):
    if value:
        typer.echo(f"dosefind {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
):
    """dosefind command line."""


app.command("simulate")(_simulate.simulate)
app.command("recommend")(_recommend.recommend)
app.command("paths")(_paths.paths)
app.command("report")(_report.report)
app.command("table")(_table.table)
app.command("sweep")(_sweep.sweep)
app.command("summarize")(_sweep.summarize)
app.command("plot")(_sweep.plot)
app.command("verify")(_verify.verify)
app.command("app")(_app.app)
app.add_typer(_log.app, name="log")
app.add_typer(_design.app, name="design")
app.add_typer(_paediatric.app, name="paediatric")
app.add_typer(_prior.app, name="prior")
app.add_typer(_basket.app, name="basket")
app.add_typer(_platforms.app, name="platform")


def main():  # console-script entry point
    app()
