"""``dosefind verify``: run the conformance checks against the shipped reference data."""

from __future__ import annotations

import json
import time
from enum import Enum
from pathlib import Path

import typer

from .. import __version__
from .common import check_output_path, emit, note_first_compile, user_errors

EXIT_FAILED = 1


class Format(str, Enum):
    table = "table"
    json = "json"


def _number(x: float) -> str:
    if x == 0:
        return "0"
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    return f"{x:.3g}" if abs(x) < 1e-3 or abs(x) >= 1e4 or x != int(x) else f"{int(x)}"


def format_results(results, seconds: float, quick: bool) -> str:
    head = ("check", "design", "reference", "quantity", "deviation", "tolerance", "result")
    rows = [
        (
            r.check,
            r.design,
            r.reference,
            r.quantity,
            _number(r.deviation),
            _number(r.tolerance),
            "pass" if r.passed else "FAIL",
        )
        for r in results
    ]
    widths = (
        [min(max(len(h), *(len(row[i]) for row in rows)), 40) for i, h in enumerate(head)]
        if rows
        else [len(h) for h in head]
    )
    lines = [
        f"dosefind {__version__} verify ({'quick' if quick else 'full'}): "
        f"{sum(r.passed for r in results)} of {len(results)} checks pass ({seconds:.1f} s)"
    ]
    lines.append("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip())
    for row, r in zip(rows, results, strict=True):
        cells = [c if len(c) <= w else c[: w - 1] + "~" for c, w in zip(row, widths, strict=True)]
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
        if not r.passed:  # the whole row, untruncated
            lines.append(f"    FAILED {r.check}: {r.design} vs {r.reference}: {r.quantity}")
            lines.append(f"    deviation {r.deviation:.6g} > tolerance {r.tolerance:.6g} ({r.basis})")
            if r.detail:
                lines.append(f"    {r.detail}")
    bases = {}
    for r in results:
        bases.setdefault(r.basis, r.check)
    lines.append("")
    lines.append("tolerances:")
    for basis, name in bases.items():
        lines.append(f"  {name}: {basis}")
    return "\n".join(lines)


@user_errors
def verify(
    quick: bool = typer.Option(
        False, "--quick", help="Only the deterministic checks (seconds); the full run adds simulated OCs."
    ),
    check: list[str] = typer.Option(None, "--check", help="Run only this check (repeat for several)."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="Output format."),
    out: Path = typer.Option(None, "--out", "-o", help="Write to this file (atomically) instead of stdout."),
):
    """Check this installation against the shipped reference data: BOIN's boundaries, selections and
    recorded trials vs the BOIN R package, CRM posteriors, skeletons and recorded trials vs dfcrm, exact 3+3
    vs closed-form enumeration, exact CRM vs escalation's dose-path enumeration, Simon's designs vs the
    published tables; the full run also compares
    simulated operating characteristics with the R packages' within Monte Carlo error.

    One row per check: design, reference, quantity, deviation, tolerance (and how it was derived),
    pass/fail. Exits 1 when any check fails.
    """
    from ..conformance import run_checks

    check_output_path(out, example=f"verify.{'txt' if fmt == Format.table else 'json'}")
    note_first_compile(False)
    start = time.perf_counter()
    results = run_checks(quick=quick, only=check or None)
    seconds = time.perf_counter() - start
    if fmt == Format.json:
        text = json.dumps(
            {
                "version": __version__,
                "mode": "quick" if quick else "full",
                "passed": all(r.passed for r in results),
                "seconds": round(seconds, 2),
                "checks": [r.as_json() for r in results],
            },
            indent=2,
        )
    else:
        text = format_results(results, seconds, quick)
    emit(text, out)
    if not all(r.passed for r in results):
        failed = sorted({r.check for r in results if not r.passed})
        typer.echo(f"verify: {len(failed)} check(s) failed: {', '.join(failed)}", err=True)
        raise typer.Exit(EXIT_FAILED)
