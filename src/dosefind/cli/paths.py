"""``dosefind paths``: dose transition pathways for the next cohorts."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from .common import (
    DATA_OPTION,
    DESIGN_OPTION,
    NAME_OPTION,
    OUTCOMES_OPTION,
    emit,
    fail,
    load_design_and_data,
    user_errors,
)


class Format(str, Enum):
    text = "text"
    table = "table"
    csv = "csv"
    json = "json"


def parse_scenario(text: str, n_doses: int) -> list[float]:
    """``"0.05,0.1,..."`` or ``FILE.toml:NAME`` (a scenario of a spec file)."""
    if ":" in text and Path(text.rsplit(":", 1)[0]).suffix == ".toml":
        from ..specfile import load_spec

        file, name = text.rsplit(":", 1)
        spec = load_spec(file)
        for s in spec.scenarios:
            if s.name == name:
                probs = list(s.true_tox)
                break
        else:
            names = ", ".join(s.name for s in spec.scenarios)
            raise fail(f"--scenario: no scenario {name!r} in {Path(file).name}; it has {names}")
    else:
        try:
            probs = [float(x) for x in text.replace(" ", "").split(",") if x]
        except ValueError:
            raise fail(
                f"--scenario: {text!r} is not a list of probabilities; write e.g. 0.05,0.1,0.2 "
                "or FILE.toml:SCENARIO"
            ) from None
    if len(probs) != n_doses or not all(0 <= p <= 1 for p in probs):
        raise fail(f"--scenario: need {n_doses} DLT probabilities in [0, 1], one per dose; got {probs}")
    return probs


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
        help="True DLT probabilities (0.05,0.1,...) or FILE.toml:NAME: adds each path's exact probability.",
    ),
    fmt: Format = typer.Option(Format.text, "--format", "-f", help="Output format."),
    out: Path = typer.Option(None, "--out", "-o", help="Write to this file (atomically) instead of stdout."),
):
    """Dose transition pathways: every outcome of the next cohorts and the design's decisions, after
    Yap et al. 2017; with --scenario, each path's exact probability."""
    from ..paths import dose_paths
    from ..report.paths import format_paths, paths_csv, paths_json, paths_table

    the_design, trial = load_design_and_data(design, name, data, outcomes)
    probs = parse_scenario(scenario, the_design.n_doses) if scenario is not None else None
    dp = dose_paths(the_design, trial, cohorts, probs, cohort_size)
    render = {
        Format.text: format_paths,
        Format.table: paths_table,
        Format.csv: paths_csv,
        Format.json: paths_json,
    }[fmt]
    emit(render(dp), out)
