"""Trial data for a design as the meeting commands read it (``recommend``, ``paths``, ``report`` and the
web app): a CSV file or outcome notation, with cells for a two-drug design, responses and extension rows
for an arm, backfill rows for a design with backfill."""

from __future__ import annotations

from pathlib import Path

from ..designs.home import home_of
from ..outcomes import parse_outcomes, read_trial_csv


def trial_data_for(design, data: Path | None, outcomes: str | None, arm=None):
    """The trial data of ``design`` from the CSV file ``data``, else from the notation ``outcomes``; ``arm``
    (the arm whose escalation ``design`` is, or None) adds responses and its expansion cohorts."""
    cells = design.dose_grid is not None
    expansion = arm.cohort_names if arm is not None else None
    if data is not None:
        responses = arm is not None or design.uses_efficacy or home_of(design).reads_backfill(design)
        return read_trial_csv(data, design.doses, design.cohort_size, responses, cells, expansion)
    return parse_outcomes(
        outcomes,
        design.doses,
        efficacy=arm is not None or design.uses_efficacy,
        cells=cells,
        expansion_cohorts=expansion,
    )


def window_of(design_path: Path, window_days: float | None) -> float | None:
    """The DLT window a meeting reads: ``window_days`` when given, else the design file's [timing]
    ``dlt_window_days`` (None: neither). ``recommend``, ``paths``, ``report`` and the web app share it."""
    if window_days is not None:
        return window_days
    from ..specfile import _read_toml

    timing = _read_toml(Path(design_path)).get("timing")
    if isinstance(timing, dict) and "dlt_window_days" in timing:
        return timing["dlt_window_days"]
    return None
