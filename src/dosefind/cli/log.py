"""``dosefind log``: show, verify and add decisions to a trial's audit log (a thin layer over live.audit)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from ..errors import DataError
from ..live.audit import DECISION, RECOMMENDATION, AuditLog, Record
from .common import user_errors

EXIT_VERIFY_FAILED = 1
SHORT_HASH = 12
SUMMARY_WIDTH = 100

app = typer.Typer(
    name="log",
    help="The trial's append-only, hash-chained audit log of recommendations and meeting decisions.",
    no_args_is_help=True,
    add_completion=False,
)

LOG_ARGUMENT = typer.Argument(..., help="Audit log file (SQLite) written by `dosefind recommend`.")


@app.command("show")
@user_errors
def show(
    path: Path = LOG_ARGUMENT,
    kind: str = typer.Option(
        None, "--kind", "-k", help="Only records of this kind (recommendation, decision, ...)."
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per record (JSON lines)."),
):
    """List the records: seq, time, kind, short hash and a one-line summary."""
    records = AuditLog.open_existing(path).records(kind)
    if as_json:
        for rec in records:
            typer.echo(json.dumps(rec.to_dict(), ensure_ascii=False))
        return
    if not records:
        what = f"{kind} records" if kind else "records"
        typer.echo(f"no {what} in {path}")
        return
    show_arm = any(rec.arm is not None for rec in records)
    header = ["seq", "time (UTC)", "kind", *(["arm"] if show_arm else []), "hash", "summary"]
    rows = [
        [
            str(rec.seq),
            _time(rec.time_utc),
            rec.kind,
            *([rec.arm or "-"] if show_arm else []),
            rec.hash[:SHORT_HASH],
            summary(rec),
        ]
        for rec in records
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [row[0].rjust(widths[0])] + [c.ljust(w) for c, w in zip(row[1:-1], widths[1:], strict=True)]
        typer.echo("  ".join([*cells, row[-1]]).rstrip())


@app.command("decide")
@user_errors
def decide(
    path: Path = LOG_ARGUMENT,
    recommendation: int = typer.Option(
        ..., "--recommendation", "-r", help="Seq of the recommendation this decision answers (`log show`)."
    ),
    dose: str = typer.Option(
        ..., "--dose", help='Dose label the meeting decided to give next, or "none" to stop.'
    ),
    decision: str = typer.Option(
        ..., "--decision", help="What the meeting decided, e.g. escalate, stay, de-escalate, stop."
    ),
    reason: str = typer.Option(..., "--reason", help="Why the meeting decided this (required)."),
    by: str = typer.Option(None, "--by", help="Who decided, e.g. the safety review committee."),
    arm: str = typer.Option(None, "--arm", help="Arm label (default: the recommendation's arm)."),
):
    """Record what the dose-escalation meeting decided, next to the design's recommendation."""
    log = AuditLog.open_existing(path)
    rec = log.append_decision(
        recommendation,
        None if dose.strip().lower() == "none" else dose,
        decision,
        reason,
        decided_by=by,
        arm=arm,
    )
    payload = rec.payload
    typer.echo(f"decision recorded: seq {rec.seq}, hash {rec.hash}")
    if payload.get("overruled") is True:
        typer.echo(
            f"overruled: the design recommended {_dose(payload.get('recommended_dose'))}, "
            f"the meeting decided {_dose(payload.get('decided_dose'))}"
        )
    elif payload.get("overruled") is False:
        typer.echo(f"follows the design's recommendation: {_dose(payload.get('decided_dose'))}")
    else:
        typer.echo(f"recommendation {recommendation} recorded no next dose to compare with")


@app.command("verify")
@user_errors
def verify(path: Path = LOG_ARGUMENT):
    """Check the hash chain; exit 1 and list the problems if any record was edited or deleted.

    Quote the head hash in the meeting minutes: a log rewritten later no longer ends at that hash.
    """
    result = AuditLog.open_existing(path).verify()
    if result.ok:
        typer.echo(f"ok: {result.n_records} records, head {result.head_hash}")
        return
    typer.echo(f"FAILED: {result.n_records} records, {len(result.problems)} problem(s) in {path}:")
    for problem in result.problems:
        typer.echo(f"  - {problem}")
    raise typer.Exit(EXIT_VERIFY_FAILED)


def summary(rec: Record) -> str:
    """One line describing a record's payload (for the table of `log show`)."""
    try:
        payload = rec.payload
    except DataError:
        return "(payload unreadable; run `dosefind log verify`)"
    if rec.kind == RECOMMENDATION:
        parts = []
        if "next_dose" in payload:
            nxt = payload["next_dose"]
            parts.append(_dose(None) if nxt is None else f"next {_dose(nxt)}")
        parts += [_text(payload[k]) for k in ("decision", "reason") if payload.get(k) not in (None, "")]
        text = "; ".join(parts) if parts else _compact(payload)
    elif rec.kind == DECISION:
        overruled = {True: "yes", False: "no"}.get(payload.get("overruled"), "unknown")
        text = (
            f"re {payload.get('refers_to')}: {_dose(payload.get('decided_dose'))} "
            f"(design: {_dose(payload.get('recommended_dose'))}), overruled {overruled}"
        )
        for key, label in (("decision", ""), ("reason", ""), ("decided_by", "by ")):
            if payload.get(key) not in (None, ""):
                text += f"; {label}{_text(payload[key])}"
    else:
        text = _compact(payload)
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_WIDTH else text[: SUMMARY_WIDTH - 1] + "…"


def _dose(label: Any) -> str:
    return "stop (no dose)" if label is None else f"dose {_text(label)}"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _compact(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return str(iso)
