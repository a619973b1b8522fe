"""``dosefind paths``: dose transition pathways for the next cohorts."""

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
    load_meeting_inputs,
    user_errors,
    window_of,
)


class Format(str, Enum):
    text = "text"
    table = "table"
    csv = "csv"
    json = "json"


def parse_scenario(text: str, design) -> list[float]:
    """True DLT probabilities for ``design``: ``"0.05,0.1,..."`` (one per dose; for a grid one per cell in
    index order, or the rows of drug A's levels separated by ``;``: ``"0.05,0.1;0.1,0.2"``) or
    ``FILE.toml:NAME`` (a scenario of a spec or arm file; a grid's scenario as its J x K table)."""
    grid = design.dose_grid
    n = design.n_doses
    what = f"{n} DLT probabilities in [0, 1], one per " + (
        f"cell ({grid.n_rows} rows of {grid.n_cols} separated by ';', or {n} in the order 1.1, 1.2, ...)"
        if grid is not None
        else "dose"
    )
    if ":" in text and Path(text.rsplit(":", 1)[0]).suffix == ".toml":
        file, name = text.rsplit(":", 1)
        values = _file_scenario(Path(file), name)
        if grid is not None and isinstance(values, list) and values and isinstance(values[0], list):
            if len(values) != grid.n_rows or any(len(r) != grid.n_cols for r in values):
                raise fail(
                    f"--scenario: {name!r} in {Path(file).name} is not a {grid.n_rows} x {grid.n_cols} table"
                )
            values = [x for r in values for x in r]
        try:
            probs = [float(x) for x in values]
        except (TypeError, ValueError):
            raise fail(
                f"--scenario: true_tox of {name!r} in {Path(file).name} is not a list of probabilities"
            ) from None
    else:
        rows = [r for r in text.replace(" ", "").split(";") if r]
        try:
            parsed = [[float(x) for x in r.split(",") if x] for r in rows]
        except ValueError:
            raise fail(
                f"--scenario: {text!r} is not a list of probabilities; write e.g. 0.05,0.1,0.2 "
                "or FILE.toml:SCENARIO"
            ) from None
        if len(parsed) > 1 and (
            grid is None or len(parsed) != grid.n_rows or any(len(r) != grid.n_cols for r in parsed)
        ):
            raise fail(f"--scenario: need {what}; got {len(parsed)} rows")
        probs = [x for r in parsed for x in r]
    if len(probs) != n or not all(0 <= p <= 1 for p in probs):
        raise fail(f"--scenario: need {what}; got {probs}")
    return probs


def _file_scenario(file: Path, name: str):
    """``true_tox`` of the scenario called ``name`` in a spec or arm file (as written: a list, or rows)."""
    from ..specfile import _read_toml

    raw = _read_toml(file).get("scenarios", [])
    scenarios = [s for s in raw if isinstance(s, dict)] if isinstance(raw, list) else []
    for s in scenarios:
        if s.get("name") == name:
            if "true_tox" not in s:
                raise fail(f"--scenario: scenario {name!r} in {file.name} has no true_tox")
            return s["true_tox"]
    names = ", ".join(str(s.get("name")) for s in scenarios) or "no scenarios"
    raise fail(f"--scenario: no scenario {name!r} in {file.name}; it has {names}")


def file_efficacy(scenario: str):
    """(true_eff, correlation) of a FILE.toml:NAME scenario ((None, 0.0) when it gives none)."""
    if ":" not in scenario or Path(scenario.rsplit(":", 1)[0]).suffix != ".toml":
        return None, 0.0
    from ..specfile import _read_toml

    file, name = scenario.rsplit(":", 1)
    raw = _read_toml(Path(file)).get("scenarios", [])
    for s in raw if isinstance(raw, list) else []:
        if isinstance(s, dict) and s.get("name") == name:
            return s.get("true_eff"), float(s.get("correlation", 0.0))
    return None, 0.0


def _efficacy_scenario(design, scenario, eff, correlation):
    """(response probabilities, correlation) for a phase I/II design's path probabilities: --eff and
    --correlation, else the FILE.toml:NAME scenario's true_eff and correlation."""
    if not design.uses_efficacy or scenario is None:
        return None, 0.0
    true_eff, rho = file_efficacy(scenario)
    if eff is not None:
        try:
            true_eff = [float(x) for x in eff.replace(" ", "").split(",") if x]
        except ValueError:
            raise fail(f"--eff: {eff!r} is not a list of probabilities; write e.g. 0.1,0.3,0.5") from None
    if correlation is not None:
        rho = correlation
    if true_eff is None:
        raise fail(f"--eff: {design.kind} decides on responses too; give the response probabilities")
    if len(true_eff) != design.n_doses or not all(0 <= q <= 1 for q in true_eff):
        raise fail(f"--eff: need {design.n_doses} response probabilities in [0, 1]; got {true_eff}")
    if not -1 < float(rho) < 1:
        raise fail(f"--correlation: {rho} is not strictly between -1 and 1")
    return true_eff, float(rho)


@user_errors
def paths(
    design: Path = DESIGN_OPTION,
    data: Path = DATA_OPTION,
    outcomes: str = OUTCOMES_OPTION,
    name: str = NAME_OPTION,
    cohorts: int = typer.Option(2, "--cohorts", "-k", help="How many future cohorts to enumerate."),
    cohort_size: int = typer.Option(
        None, "--cohort-size", help="Size of future cohorts (default: the design's)."
    ),
    scenario: str = typer.Option(
        None,
        "--scenario",
        help="True DLT probabilities (0.05,0.1,...; a grid's rows of drug A levels separated by ';') or "
        "FILE.toml:NAME: adds each path's exact probability.",
    ),
    eff: str = typer.Option(
        None,
        "--eff",
        help="Phase I/II designs: true response probabilities (0.1,0.3,...), with --scenario (a "
        "FILE.toml:NAME scenario gives its own true_eff and correlation).",
    ),
    correlation: float = typer.Option(
        None, "--correlation", help="Phase I/II designs: the copula correlation of toxicity and response."
    ),
    fmt: Format = typer.Option(Format.text, "--format", "-f", help="Output format."),
    out: Path = typer.Option(None, "--out", "-o", help="Write to this file (atomically) instead of stdout."),
    as_of: str = AS_OF_OPTION,
    window_days: float = WINDOW_OPTION,
):
    """Dose transition pathways: every outcome of the next cohorts and the design's decisions, after
    Yap et al. 2017; with --scenario, each path's exact probability.

    Two-drug grids name cells j.k. A decision the design takes at random (BOIN for combinations: adjacent
    cells with equal scores; PO-CRM: tied orderings, or an ordering drawn at random) splits into one
    branch per possible decision, marked with its chance (part of the path's probability). An arm file
    gives the pathways of its escalation (extension patients in the data are left out).

    With --as-of, a design that decides with pending patients (TITE-CRM, TITE-BOIN, rolling six) shows
    instead every way the pending patients' windows can end (how many DLTs at each dose) and its decision
    once they are complete, with each outcome's probability under --scenario given no DLT so far."""
    from ..paths import dose_paths
    from ..report.paths import format_paths, paths_csv, paths_json, paths_table

    check_output_path(out, example=f"paths.{fmt.value if fmt in (Format.csv, Format.json) else 'txt'}")
    the_design, trial, _ = load_meeting_inputs(design, name, data, outcomes)
    probs = parse_scenario(scenario, the_design) if scenario is not None else None
    day = as_of_day(as_of)
    if day is not None and the_design.uses_pending:
        from ..errors import DataError
        from ..live.pending import (
            format_pending_outcomes,
            pending_outcomes,
            pending_outcomes_json,
            read_clock,
        )

        window = window_of(design, window_days)
        if window is None:
            raise DataError("--window-days: missing; give the DLT window in days (or a [timing] section)")
        clock = read_clock(trial, day, window)
        rows = pending_outcomes(the_design, trial, clock, probs)
        if fmt == Format.json:
            text = pending_outcomes_json(the_design, trial, clock, rows)
        elif fmt == Format.text:
            text = format_pending_outcomes(the_design, clock, rows)
        else:
            raise fail("--format: with --as-of, paths gives text or json")
        emit(text, out)
        return
    true_eff, rho = _efficacy_scenario(the_design, scenario, eff, correlation)
    dp = dose_paths(the_design, trial, cohorts, probs, cohort_size, true_eff=true_eff, correlation=rho)
    render = {
        Format.text: format_paths,
        Format.table: paths_table,
        Format.csv: paths_csv,
        Format.json: paths_json,
    }[fmt]
    emit(render(dp), out)
