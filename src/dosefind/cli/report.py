"""``dosefind report``: the self-contained HTML meeting report."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import (
    AS_OF_OPTION,
    DATA_OPTION,
    DESIGN_OPTION,
    NAME_OPTION,
    OUTCOMES_OPTION,
    WINDOW_OPTION,
    as_of_day,
    check_output_path,
    fail,
    load_meeting_inputs,
    user_errors,
    window_of,
    write_atomic,
)
from .paths import file_efficacy, parse_scenario
from .recommend import Posterior


@user_errors
def report(
    design: Path = DESIGN_OPTION,
    data: Path = DATA_OPTION,
    outcomes: str = OUTCOMES_OPTION,
    name: str = NAME_OPTION,
    out: Path = typer.Option(..., "--out", "-o", help="HTML file to write (atomically)."),
    cohorts: int = typer.Option(2, "--cohorts", "-k", help="Future cohorts shown in the pathways."),
    scenario: str = typer.Option(
        None,
        "--scenario",
        help="True DLT probabilities for path probabilities (0.05,0.1,...; a grid's rows separated by ';'; "
        "or FILE.toml:NAME).",
    ),
    posterior: Posterior = typer.Option(Posterior.fast, "--posterior", help="fast or mcmc (PyMC NUTS)."),
    title: str = typer.Option(None, "--title", help="Report title (default: the design's name)."),
    as_of: str = AS_OF_OPTION,
    window_days: float = WINDOW_OPTION,
):
    """Write the meeting report: recommendation and reason, data, posterior plot, pathways for the next
    cohorts, decision table and provenance, in one HTML file that needs no network.

    Two-drug grids get a J x K heat map of the posterior. With an arm file (escalation + [[cohorts]])
    the report also shows what `recommend` shows for the arm: whether the extension opens, each
    expansion cohort's state and the safety monitor, and the extension patients."""
    from ..live.recommend import recommend
    from ..paths import dose_paths
    from ..report.meeting import ReportInputs, render_meeting_report

    if out.suffix.lower() not in (".html", ".htm"):
        raise fail(f"--out: {out.name} should end in .html")
    check_output_path(out, example="meeting.html")
    the_design, trial, arm = load_meeting_inputs(design, name, data, outcomes)
    probs = parse_scenario(scenario, the_design) if scenario is not None else None
    arm_rec = None
    if arm is not None:
        from ..live.arm import recommend_arm

        day = as_of_day(as_of)
        window = window_of(design, window_days) if day is not None else None
        arm_rec = recommend_arm(arm, trial, posterior.value, as_of=day, window_days=window)
        rec = arm_rec.escalation
    else:
        day = as_of_day(as_of)
        window = window_of(design, window_days) if day is not None else None
        rec = recommend(the_design, trial, posterior.value, as_of=day, window_days=window)
    # a phase I/II design's pathways branch on (DLTs, responses); probabilities need the responses'
    # probabilities too (a FILE.toml:NAME scenario's true_eff), else they are left out
    eff, rho = None, 0.0
    if the_design.uses_efficacy and probs is not None:
        eff, rho = file_efficacy(scenario)
        if eff is None:
            probs = None
    paths = dose_paths(the_design, trial, cohorts, probs, true_eff=eff, correlation=rho)
    write_atomic(out, render_meeting_report(ReportInputs(rec, paths, title or "", arm=arm_rec)))
    headline = arm_rec.headline() if arm_rec is not None else rec.headline()
    typer.echo(f"{headline}; report written to {out}")
