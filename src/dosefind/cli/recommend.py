"""``dosefind recommend``: the design's next dose for a real trial, with reasons and posteriors."""

from __future__ import annotations

from enum import Enum
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
    emit,
    fail,
    is_arm_path,
    load_arm_and_data,
    load_design_and_data,
    note_first_compile,
    user_errors,
    window_of,
)


class Posterior(str, Enum):
    fast = "fast"
    mcmc = "mcmc"


class Format(str, Enum):
    text = "text"
    json = "json"


def default_log_path(design_path: Path, data: Path | None) -> Path:
    """Next to the data file (arm-a.csv -> arm-a.dosefind.sqlite), else next to the design file."""
    base = data if data is not None else design_path
    return base.with_name(f"{base.stem}.dosefind.sqlite")


@user_errors
def recommend(
    design: Path = DESIGN_OPTION,
    data: Path = DATA_OPTION,
    outcomes: str = OUTCOMES_OPTION,
    name: str = NAME_OPTION,
    posterior: Posterior = typer.Option(
        Posterior.fast,
        "--posterior",
        help="fast: closed form / quadrature; mcmc: PyMC NUTS with diagnostics.",
    ),
    draws: int = typer.Option(None, "--draws", help="MCMC draws per chain (with --posterior mcmc)."),
    tune: int = typer.Option(None, "--tune", help="MCMC tuning steps per chain (with --posterior mcmc)."),
    chains: int = typer.Option(None, "--chains", help="MCMC chains (with --posterior mcmc)."),
    target_accept: float = typer.Option(
        None,
        "--target-accept",
        help="NUTS target acceptance, e.g. 0.95 after divergences (with --posterior mcmc).",
    ),
    seed: int = typer.Option(None, "--seed", help="MCMC random seed (with --posterior mcmc)."),
    fmt: Format = typer.Option(Format.text, "--format", "-f", help="Output format."),
    out: Path = typer.Option(None, "--out", "-o", help="Write to this file (atomically) instead of stdout."),
    log: Path = typer.Option(
        None,
        "--log",
        help="Audit log (SQLite) to append to; default: <data file stem>.dosefind.sqlite (--outcomes: not "
        "logged unless --log is given).",
    ),
    no_log: bool = typer.Option(
        False, "--no-log", help="Do not record this recommendation in the audit log."
    ),
    arm: str = typer.Option(None, "--arm", help="Arm or trial label stored with the log record."),
    as_of: str = AS_OF_OPTION,
    window_days: float = WINDOW_OPTION,
):
    """Recommend the next dose: the same decision code as the simulations, with its reason and the
    per-dose posterior (n, DLTs, rate, posterior mean, 90% interval, P(DLT > target), admissible).

    With an arm file (escalation + [[cohorts]]) the data may hold extension patients too (CSV columns
    phase, cohort, response): during escalation the next dose or cell, afterwards the selected dose,
    whether the extension opens, and per expansion cohort the counts, the next look's boundaries and the
    decision so far, with the safety monitor's state. Ties broken at random use a uniform derived from
    the data's content hash (same data, same choice), shown in the output and logged.

    With --as-of the data's dates (entry_date, dlt_date, optional end_of_followup_date) are read as of
    that day: TITE-CRM, TITE-BOIN and rolling six decide with the patients still in their DLT window
    (weights, accrual suspension) and say the first day the decision changes if no DLT is reported;
    other designs list the patients still in their window."""
    from ..live.recommend import recommend as _recommend
    from ..report.recommendation import format_recommendation, recommendation_json

    check_output_path(out, example=f"recommendation.{'txt' if fmt == Format.text else 'json'}")
    note_first_compile(fmt != Format.text)  # JSON output stays clean of chatter on stderr too
    arm_file = is_arm_path(design)
    if arm_file:
        if name is not None:
            raise fail("--name: an arm file holds one design; leave --name out")
        the_arm, trial = load_arm_and_data(design, data, outcomes)
        the_design = the_arm.design
    else:
        the_design, trial = load_design_and_data(design, name, data, outcomes)
    settings = None
    if posterior == Posterior.mcmc:
        from ..inference.settings import McmcSettings

        given = {"draws": draws, "tune": tune, "chains": chains, "target_accept": target_accept, "seed": seed}
        settings = McmcSettings(**{k: v for k, v in given.items() if v is not None})
    elif any(v is not None for v in (draws, tune, chains, target_accept, seed)):
        raise fail("--draws/--tune/--chains/--target-accept/--seed apply to --posterior mcmc only")
    if arm_file:
        from ..live.arm import recommend_arm
        from ..report.recommendation import arm_recommendation_json, format_arm_recommendation

        day = as_of_day(as_of)
        window = window_of(design, window_days) if day is not None or trial.has_pending else None
        rec = recommend_arm(the_arm, trial, posterior.value, settings, as_of=day, window_days=window)
        text = format_arm_recommendation(rec) if fmt == Format.text else arm_recommendation_json(rec)
        label = arm if arm is not None else the_arm.name
    else:
        day = as_of_day(as_of)
        window = window_of(design, window_days) if day is not None or trial.has_pending else None
        rec = _recommend(the_design, trial, posterior.value, settings, as_of=day, window_days=window)
        text = format_recommendation(rec) if fmt == Format.text else recommendation_json(rec)
        label = arm
    what_if = data is None and log is None  # --outcomes: hypothetical data unless a log is named
    if what_if and not no_log and fmt == Format.text:
        text += "\n\nNot logged: --outcomes data are read as a what-if; pass --log PATH to record them"
    if not no_log and not what_if:
        from ..live.audit import AuditLog

        path = log if log is not None else default_log_path(design, data)
        record = AuditLog(path).append_recommendation(rec.to_dict(), arm=label)
        if fmt == Format.text:
            text += f"\n\nLogged as record {record.seq} in {path.name} (hash {record.hash[:12]})"
    emit(text, out)
