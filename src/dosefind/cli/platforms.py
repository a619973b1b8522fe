"""``dosefind platform``: platforms of arms that share one stream of children (simulate). A thin layer over
:mod:`dosefind.platforms`.

A group of its own rather than another file kind for ``simulate``: a platform's results (per arm, per
cohort, the platform's totals) have their own table, and the group has room for more platform commands."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from .common import SEED_OPTION, TRIALS_OPTION, check_output_path, emit, fail, user_errors

app = typer.Typer(
    name="platform",
    help="Platforms: arms (escalation + expansion cohorts) that share scarce patients, with eligibility, "
    "openings and an allocation rule, on the platform's clock.",
    no_args_is_help=True,
    add_completion=False,
)

DEFAULT_TRIALS = 2_000
DEFAULT_SEED = 1


class Format(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"


@app.command("simulate")
@user_errors
def simulate(
    file: Path = typer.Argument(
        ..., help="Platform file (TOML) with [platform], [timing], [population], [[arms]]."
    ),
    trials: int = TRIALS_OPTION,
    seed: int = SEED_OPTION,
    fmt: Format = typer.Option(Format.text, "--format", "-f", help="Output format."),
    out: Path = typer.Option(None, "--out", "-o", help="Write to this file (atomically) instead of stdout."),
    threads: int = typer.Option(None, "--threads", help="Numba threads (default: all cores)."),
    plot: Path = typer.Option(
        None,
        "--plot",
        help="Also write a PNG: each arm's mean timeline and where the screened children went.",
    ),
):
    """Simulate the platform under each of its scenarios: per arm (children matched, opening, days to the
    RP2D, selected dose, patients in escalation and in each cohort, P(go) per cohort, duration) and for
    the platform (duration, children screened, treated, not matched), each with its MCSE."""
    from ..platforms import load_platform
    from ..platforms.oc import simulate_platform_spec
    from ..platforms.text import oc_csv, oc_json, oc_text

    check_output_path(out)
    check_output_path(plot, "--plot", "platform.png")
    if plot is not None:
        from ..report.plots import require_matplotlib

        require_matplotlib("--plot")
    spec = load_platform(file)
    n_trials = trials if trials is not None else (spec.n_trials or DEFAULT_TRIALS)
    if n_trials < 2:
        raise fail(f"--trials: {n_trials} is too few; use at least 2 (MCSE needs two trials)")
    seed_ = seed if seed is not None else (spec.seed if spec.seed is not None else DEFAULT_SEED)
    result = simulate_platform_spec(spec, n_trials, seed_, threads=threads)
    emit({"text": oc_text, "json": oc_json, "csv": oc_csv}[fmt.value](result), out)
    if plot is not None:
        from ..report.platform_plots import save_platform_figure

        save_platform_figure(result, plot)
