"""``dosefind table``: a design's decision table (BOIN boundaries, 3+3 rules) as text, CSV, JSON, PNG."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from ..errors import SpecError
from ..report.decision_table import decision_table, to_csv, to_json, to_text
from .common import check_output_path, emit, load_meeting_design, user_errors, write_bytes_atomic


class Format(str, Enum):
    text = "text"
    csv = "csv"
    json = "json"


@user_errors
def table(
    design: Path = typer.Option(
        ...,
        "--design",
        "-d",
        help="TOML file with one design, or several (choose one with --name), or an arm file (its "
        "escalation design).",
    ),
    name: str = typer.Option(
        None, "--name", help="Name of the design to tabulate, when the file holds several."
    ),
    max_n: int = typer.Option(
        None,
        "--max-n",
        help="Largest number of patients at a dose (or cell) to show (default: the design's max_n).",
    ),
    fmt: Format = typer.Option(Format.text, "--format", "-f", help="Output format."),
    out: Path = typer.Option(None, "--out", "-o", help="Write to this file (atomically) instead of stdout."),
    plot: Path = typer.Option(None, "--plot", help="Also draw the table as a PNG heat map to this file."),
):
    """Decision table of a design: the action for each number of patients and DLTs at the current dose.

    BOIN: escalate/stay/de-escalate/eliminate boundaries for n = 1..max-n (the BOIN package's get.boundary).

    BOIN for combinations: the same boundaries at the current cell; escalation and de-escalation go to
    an adjacent cell that the design chooses when the decision is taken (explained under the table).

    3+3: the rule table for 3 and 6 patients. BOIN12: the toxicity boundaries and, per number of patients
    (multiples of the cohort size up to --max-n, default 12), the rank-based desirability score of every
    (DLTs, responses), as the paper's Table 3. CRM and PO-CRM have no decision table (their next dose
    depends on the data at every dose): use `dosefind paths`. An arm file tabulates its escalation design.
    """
    check_output_path(out, example=f"table.{'txt' if fmt == Format.text else fmt.value}")
    check_output_path(plot, "--plot", example="table.png")
    chosen, _ = load_meeting_design(design, name)
    result = decision_table(chosen, max_n)
    text = {Format.text: to_text, Format.csv: to_csv, Format.json: to_json}[fmt](result)
    if plot is not None and not hasattr(result, "rows"):
        raise SpecError(
            "--plot",
            f"{chosen.kind}'s table is a grid of scores per number of patients, not drawn",
            "drop --plot",
        )
    if plot is not None:
        from ..report.plots import figure_to_png_bytes, plot_decision_table, require_matplotlib

        require_matplotlib("--plot: decision-table figures")
        png = figure_to_png_bytes(plot_decision_table(result))
        write_bytes_atomic(plot, png, "--plot")
    emit(text, out)
