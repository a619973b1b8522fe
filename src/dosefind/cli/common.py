"""Shared CLI plumbing: error reporting, atomic file output, option definitions."""

from __future__ import annotations

import functools
import math
import os
import sys
from pathlib import Path

import typer

from .. import atomic
from ..errors import DosefindError, OutputError

EXIT_USAGE = 2

TRIALS_OPTION = typer.Option(
    None, "--trials", "-n", help="Number of simulated trials per design and scenario."
)
SEED_OPTION = typer.Option(None, "--seed", help="Random seed (same seed: same simulated patients).")


def number_list(
    text: str | None, option: str, count: int | None = None, example: str | None = None
) -> tuple[float, ...] | None:
    """A comma-separated list of finite numbers from an option (None when not given); ``count``: exactly
    that many. Anything else fails with the option named and an example (``example``, or ones)."""
    if text is None:
        return None
    try:
        vals = tuple(float(x) for x in text.replace(" ", "").split(",") if x)
    except ValueError:
        vals = ()
    if not vals or (count is not None and len(vals) != count) or not all(math.isfinite(x) for x in vals):
        want = {None: "comma-separated numbers", 1: "a number"}.get(count, f"{count} comma-separated numbers")
        example = example or ",".join(["1"] * (count or 3))
        raise fail(f"{option}: {text!r} is not {want}; write e.g. {example}")
    return vals


def fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


def user_errors(fn):
    """Turn DosefindError into a one-line message and exit code 2 (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DosefindError as e:
            raise fail(str(e)) from None

    return wrapper


def check_output_path(path: Path | None, option: str = "--out", example: str = "results.txt") -> None:
    """Refuse, before any work is done, an output file that cannot be written: a folder given as the file,
    a folder that does not exist or is not a folder, or one that cannot be written to (None: stdout)."""
    if path is None:
        return
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{option}: {path} is a folder; give a file name, e.g. {option} {path / example}")
    folder = path.parent
    if not folder.exists():
        raise OutputError(f"{option}: folder {folder} does not exist; create it or choose another path")
    if not folder.is_dir():
        raise OutputError(f"{option}: {folder} is a file, not a folder; choose another path")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(
            f"{option}: folder {folder} is not writable; choose a folder you can write to, or change its "
            "permissions"
        )


def write_bytes_atomic(path: Path, data: bytes, option: str = "--out") -> None:
    """Write bytes to path via a temporary file in the same folder and an atomic rename."""
    check_output_path(path, option)
    try:
        atomic.write_bytes_atomic(path, data)
    except OSError as e:
        raise OutputError(
            f"{option}: cannot write {path} ({e.strerror or e}); check the disk and the folder's permissions"
        ) from None


def write_atomic(path: Path, text: str, option: str = "--out") -> None:
    """Write text (UTF-8, ending in a newline) atomically."""
    write_bytes_atomic(path, (text if text.endswith("\n") else text + "\n").encode("utf-8"), option)


def emit(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        write_atomic(out, text)


# ---- options shared by the live-meeting commands (recommend, paths, report) ---------------------------
DESIGN_OPTION = typer.Option(..., "--design", "-d", help="Design file (TOML) with a [design] section.")
NAME_OPTION = typer.Option(None, "--name", help="Which design, when the file holds several [[designs]].")
DATA_OPTION = typer.Option(
    None,
    "--data",
    help="Trial data CSV: one row per patient (patient_id, dose, dlt[, cohort, response, phase, ...]).",
)
OUTCOMES_OPTION = typer.Option(
    None, "--outcomes", help='Outcome notation instead of a data file, e.g. "1NNN 2NTN" ("" = no patients).'
)


def load_design_and_data(design_path: Path, name: str | None, data: Path | None, outcomes: str | None):
    """The design and the trial data given by --data or --outcomes (exactly one of them)."""
    from ..specfile import select_design

    _one_data_source(data, outcomes)
    design = select_design(design_path, name)
    return design, _read_data(design, data, outcomes)


def _one_data_source(data: Path | None, outcomes: str | None) -> None:
    if (data is None) == (outcomes is None):
        raise fail('give the trial data with either --data FILE.csv or --outcomes "1NNN 2NTN" (one of them)')


def _read_data(design, data: Path | None, outcomes: str | None, arm=None):
    """Trial data for a design (cells for a two-drug design; responses and extension rows for an arm)."""
    from ..live.inputs import trial_data_for

    return trial_data_for(design, data, outcomes, arm)


def is_arm_path(design_path: Path) -> bool:
    """Whether the --design file is a phase I/II arm file (with [[cohorts]] or an [arm] section)."""
    from ..arm.spec import is_arm_file
    from ..specfile import _read_toml

    return is_arm_file(_read_toml(Path(design_path)))


def load_arm_and_data(design_path: Path, data: Path | None, outcomes: str | None):
    """The arm of an arm file and its trial data (--data or --outcomes)."""
    from ..arm.spec import load_arm

    _one_data_source(data, outcomes)
    arm = load_arm(design_path, require_scenarios=False).arm
    return arm, _read_data(arm.design, data, outcomes, arm)


def load_meeting_design(design_path: Path, name: str | None):
    """(design, arm) for the meeting commands: a design file's design (``--name`` among several), or an
    arm file's escalation design and the arm (None for a design file), as ``recommend`` reads them."""
    from ..specfile import select_design

    if is_arm_path(design_path):
        from ..arm.spec import load_arm

        if name is not None:
            raise fail("--name: an arm file holds one design; leave --name out")
        arm = load_arm(design_path, require_scenarios=False).arm
        return arm.design, arm
    return select_design(design_path, name), None


def load_meeting_inputs(design_path: Path, name: str | None, data: Path | None, outcomes: str | None):
    """(design, trial data, arm): :func:`load_meeting_design` and the data given by --data or --outcomes
    (for an arm file, read as ``recommend`` reads it: responses, extension rows)."""
    _one_data_source(data, outcomes)
    design, arm = load_meeting_design(design_path, name)
    return design, _read_data(design, data, outcomes, arm), arm


AS_OF_OPTION = typer.Option(
    None,
    "--as-of",
    help="Read the data's dates as of this day (YYYY-MM-DD): pending patients, accrual suspension, the next "
    "day the decision can change.",
)
WINDOW_OPTION = typer.Option(
    None,
    "--window-days",
    help="DLT window in days (default: dlt_window_days of the file's [timing] section).",
)


def window_of(design_path: Path, window_days: float | None) -> float | None:
    """--window-days, else the design file's [timing] dlt_window_days (None: neither)."""
    from ..live.inputs import window_of as read_window

    return read_window(design_path, window_days)


def as_of_day(as_of: str | None):
    """The --as-of day (None: not given)."""
    if as_of is None:
        return None
    from ..live.pending import parse_day

    return parse_day(as_of)


def note_first_compile(quiet: bool = False) -> None:
    """On stderr, before work that runs the kernels: when this version's kernels are not compiled yet, say
    that the first run compiles them (a minute of silence otherwise looks like a hang)."""
    from ..engine.jit import kernels_cached

    if not quiet and not kernels_cached():
        typer.echo(
            "dosefind: first run of this version: compiling the simulation kernels (about a minute, once; "
            "later runs start at once)",
            err=True,
        )
