"""``dosefind basket``: basket phase II trials with or without borrowing across cohorts (simulate, exact
operating characteristics, analyse a basket's data). A thin layer over :mod:`dosefind.basket`."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import typer

from .common import SEED_OPTION, TRIALS_OPTION, check_output_path, emit, fail, user_errors

app = typer.Typer(
    name="basket",
    help="Basket phase II trials: K cohorts (tumour types), go / no go on P(q > q0 | data), independent or "
    "borrowing across cohorts (Fujikawa, Berry's hierarchical model, EXNEX).",
    no_args_is_help=True,
    add_completion=False,
)

DEFAULT_TRIALS = 10_000
DEFAULT_SEED = 1
FILE_ARG = typer.Argument(
    ..., help="Basket file (TOML) with [basket], [[cohorts]], [[designs]], [[scenarios]]."
)
OUT_OPTION = typer.Option(None, "--out", "-o", help="Write to this file (atomically) instead of stdout.")


class Format(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"


@app.command("simulate")
@user_errors
def simulate(
    file: Path = FILE_ARG,
    trials: int = TRIALS_OPTION,
    seed: int = SEED_OPTION,
    fmt: Format = typer.Option(Format.text, "--format", "-f", help="Output format."),
    out: Path = OUT_OPTION,
    exact: bool = typer.Option(
        False,
        "--exact",
        help="Exact operating characteristics instead of simulation (designs without borrowing; borrowing "
        "designs with one look and few enough response vectors).",
    ),
    design_name: str = typer.Option(None, "--design-name", help="Only this design of the file."),
):
    """Operating characteristics of every design under every scenario, per cohort (P(go), type I error or
    power, stops, mean n, bias and MSE of the posterior mean) and per trial (FWER, P(any go), total n),
    each with its MCSE (0 when exact)."""
    from ..basket import load_basket
    from ..basket.exact import exact_rows
    from ..basket.simulate import config_hash, simulate_basket
    from ..basket.text import oc_csv, oc_json, oc_text
    from ..oc.study import run_provenance

    check_output_path(out)
    spec = load_basket(file)
    designs = (spec.design(design_name),) if design_name else spec.designs
    if exact:
        if trials is not None:
            raise fail("--trials: exact operating characteristics simulate nothing; leave --trials out")
        rows = [r for d in designs for s in spec.scenarios for r in exact_rows(d, spec.cohorts, s)]
        prov = run_provenance(config_hash(spec), 0, 0)
        prov["method"] = "exact"
    else:
        n_trials = DEFAULT_TRIALS if trials is None else trials
        if n_trials < 2:
            raise fail(f"--trials: {n_trials} is too few; use at least 2 (MCSE needs two trials)")
        result = simulate_basket(spec, n_trials, DEFAULT_SEED if seed is None else seed, designs)
        rows, prov = list(result.rows), result.provenance
    if designs != spec.designs:
        spec = type(spec)(spec.name, spec.cohorts, designs, spec.scenarios)
    if fmt == Format.text:
        emit(oc_text(spec, rows, prov), out)
    elif fmt == Format.json:
        emit(oc_json(rows, prov), out)
    else:
        emit(oc_csv(rows, prov), out)


@app.command("analyze")
@user_errors
def analyze(
    file: Path = FILE_ARG,
    data: Path = typer.Option(
        ...,
        "--data",
        help="CSV with one row per cohort: cohort,n,responses (an enrichment design past stage 1 also "
        "stage1_responses).",
    ),
    design_name: str = typer.Option(
        None, "--design-name", help="Which design of the file (default: the first)."
    ),
    fmt: Format = typer.Option(Format.text, "--format", "-f", help="Output format."),
    out: Path = OUT_OPTION,
):
    """Each cohort's posterior with the borrowing shown: independent vs borrowed posterior mean, interval and
    P(q > q0), and the decision at this look (go / no go at the final look, stop or continue at an interim
    look), by the design that was simulated."""
    from ..basket import load_basket
    from ..basket.live import analyze_data, read_basket_csv
    from ..basket.simulate import config_hash
    from ..basket.text import analysis_csv, analysis_text
    from ..constants import CREDIBLE_MASS
    from ..oc.study import run_provenance

    check_output_path(out)
    spec = load_basket(file, require_scenarios=False)
    design = spec.design(design_name)
    rows = analyze_data(spec, design, read_basket_csv(data, spec, design))
    prov = run_provenance(config_hash(spec), 0, 0, design=design.name)
    prov["method"] = "analysis"
    if fmt == Format.text:
        emit(analysis_text(spec, design, rows, CREDIBLE_MASS), out)
    elif fmt == Format.json:
        emit(json.dumps({"provenance": prov, "design": design.to_dict(), "cohorts": rows}, indent=2), out)
    else:
        emit(analysis_csv(rows, prov), out)


@app.command("calibrate")
@user_errors
def calibrate(
    file: Path = FILE_ARG,
    alpha: float = typer.Option(0.1, "--alpha", help="The type I error to meet."),
    criterion: str = typer.Option(
        "cohort",
        "--criterion",
        help="cohort: the largest per-cohort type I error; family: the family-wise error rate.",
    ),
    design_name: str = typer.Option(
        None, "--design-name", help="Which design of the file (default: the first)."
    ),
    scenario: str = typer.Option(
        None,
        "--scenario",
        help="The null scenario (default: the first whose rates are all at most q0, else the global null "
        "at each cohort's q0).",
    ),
    trials: int = TRIALS_OPTION,
    seed: int = SEED_OPTION,
    out: Path = OUT_OPTION,
):
    """The go threshold (go when P(q > q0 | data) > threshold at a cohort's last look) that keeps the type I
    error at most --alpha under a null scenario, from one simulation: prints the threshold, the line to put
    in the design, and the type I errors before and after with their MCSE."""
    from ..basket import load_basket
    from ..basket.calibrate import calibrate as run
    from ..basket.calibrate import calibration_text

    check_output_path(out)
    spec = load_basket(file, require_scenarios=False)
    design = spec.design(design_name)
    cal = run(
        spec,
        design,
        alpha,
        criterion=criterion,
        scenario=scenario,
        n_trials=DEFAULT_TRIALS if trials is None else trials,
        seed=DEFAULT_SEED if seed is None else seed,
    )
    emit(calibration_text(cal), out)
