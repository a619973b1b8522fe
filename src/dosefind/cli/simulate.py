"""``dosefind simulate``: operating characteristics of designs over scenarios."""

from __future__ import annotations

import sys
from dataclasses import replace
from enum import Enum
from pathlib import Path

import typer

from ..arm.spec import is_arm_file, load_arm
from ..oc import simulate_spec
from ..oc.study import check_run_size, exact_spec
from ..report.tables import format_table, to_csv, to_json
from ..scenario import check_against
from ..specfile import _read_toml, load_design, load_spec
from .common import SEED_OPTION, TRIALS_OPTION, check_output_path, emit, fail, note_first_compile, user_errors

DEFAULT_TRIALS = 10_000
DEFAULT_SEED = 1
PROGRESS_MIN_TRIALS = 200_000


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


@user_errors
def simulate(
    spec: Path = typer.Argument(..., help="Spec file (TOML) with [design] or [[designs]] and [[scenarios]]."),
    design: Path = typer.Option(None, "--design", "-d", help="Use the design(s) in this TOML file instead."),
    trials: int = TRIALS_OPTION,
    seed: int = SEED_OPTION,
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="Output format."),
    out: Path = typer.Option(None, "--out", "-o", help="Write to this file (atomically) instead of stdout."),
    band: float = typer.Option(
        None, "--acceptable-band", help="Doses with |p - target| <= band count as correct for PCS."
    ),
    threads: int = typer.Option(None, "--threads", help="Numba threads (default: all cores)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    exact: bool = typer.Option(
        False,
        "--exact",
        help="Compute the operating characteristics exactly, by following every reachable trial state "
        "(no Monte Carlo error; designs deciding on complete cohorts without calendar time).",
    ),
):
    """Simulate every design under every scenario and report operating characteristics with MCSE.

    With --exact the same operating characteristics are computed without simulation: every reachable
    trial state is followed once, with its probability (MCSE 0; the output says "method": "exact" and how
    many trial states were visited).

    An arm file (with [[cohorts]]: escalation, then expansion cohorts) is simulated arm by arm and reports
    arm-level operating characteristics: selection per dose or cell, extension opening, P(active) per cohort,
    patients and DLTs in escalation and extension.
    """
    check_output_path(out, example=f"results.{'txt' if fmt == Format.table else fmt.value}")
    if is_arm_file(_read_toml(spec)):
        if design is not None:
            raise fail("--design: an arm file carries its own design; edit its [design] section instead")
        return _simulate_arm(spec, trials, seed, fmt, out, band, threads, quiet, exact)
    loaded = load_spec(spec)
    if design is not None:
        loaded = replace(loaded, designs=load_design(design))
        for d in loaded.designs:
            check_against(loaded.scenarios, d.n_doses)
    if exact or loaded.exact:
        _exact_settings(trials, seed, band, quiet, "trials")
        result = exact_spec(loaded, acceptable_band=band)
    else:
        n_trials, seed_ = _run_settings(trials, seed, band, loaded)
        note_first_compile(quiet)
        check_run_size(loaded, n_trials, seed_, threads)  # before the progress bar: a refusal is one line
        result = _with_progress(
            n_trials * len(loaded.designs) * len(loaded.scenarios),
            quiet,
            "simulating",
            lambda tick: simulate_spec(
                loaded,
                n_trials,
                seed_,
                acceptable_band=band,
                threads=threads,
                progress=tick,
                check_size=False,
            ),
        )
    text = {Format.table: format_table, Format.json: to_json, Format.csv: to_csv}[fmt](result)
    emit(text, out)


def _simulate_arm(path, trials, seed, fmt, out, band, threads, quiet, exact):
    from ..arm import simulate_arm_spec
    from ..arm.oc import check_arm_run_size
    from ..report.arm import arm_to_csv, arm_to_json, format_arm_table

    loaded = load_arm(path)
    if exact or loaded.exact:
        from ..arm.exact import exact_arm_spec, exact_arm_supported

        why = exact_arm_supported(loaded.arm, loaded.timing is not None)
        if why is not None:
            raise fail(f"--exact: {why}; leave out --exact to simulate the arm")
        _exact_settings(trials, seed, band, quiet, "arms")
        result = exact_arm_spec(loaded, acceptable_band=band)
    else:
        n_trials, seed_ = _run_settings(trials, seed, band, loaded)
        note_first_compile(quiet)
        check_arm_run_size(loaded, n_trials, seed_, threads)  # before the progress bar: a refusal is one line
        result = _with_progress(
            n_trials * len(loaded.scenarios),
            quiet,
            "simulating arms",
            lambda tick: simulate_arm_spec(
                loaded,
                n_trials,
                seed_,
                acceptable_band=band,
                threads=threads,
                progress=tick,
                check_size=False,
            ),
        )
    text = {Format.table: format_arm_table, Format.json: arm_to_json, Format.csv: arm_to_csv}[fmt](result)
    emit(text, out)


def _exact_settings(trials, seed, band, quiet, what: str) -> None:
    """An exact run takes no trials or seed (refused, not ignored); the band is checked."""
    if trials is not None or seed is not None:
        raise fail(
            f"--exact: exact operating characteristics use no simulated {what}; leave out --trials/--seed"
        )
    _check_band(band)
    note_first_compile(quiet)


def _with_progress(total: int, quiet: bool, label: str, run):
    """``run(progress)``, with a progress bar on stderr for runs of at least PROGRESS_MIN_TRIALS trials
    (its estimate of the time left shows once the first blocks are done)."""
    if quiet or total < PROGRESS_MIN_TRIALS:
        return run(None)
    with typer.progressbar(length=total, label=label, file=sys.stderr) as bar:
        state = {"done": 0}

        def tick(done):
            bar.update(done - state["done"])
            state["done"] = done

        return run(tick)


def _run_settings(trials, seed, band, loaded) -> tuple[int, int]:
    """Trials and seed: the command line's, else the file's [simulation] values, else the defaults."""
    n_trials = trials if trials is not None else (loaded.n_trials or DEFAULT_TRIALS)
    seed_ = seed if seed is not None else (loaded.seed if loaded.seed is not None else DEFAULT_SEED)
    if n_trials < 1:
        raise fail(f"--trials: {n_trials} is not positive; use e.g. --trials 10000")
    if seed_ < 0:
        raise fail(f"--seed: {seed_} is negative; use a whole number >= 0")
    _check_band(band)
    return n_trials, seed_


def _check_band(band) -> None:
    if band is not None and not 0 <= band < 1:
        raise fail(f"--acceptable-band: {band} is out of range; use a value in [0, 1)")
