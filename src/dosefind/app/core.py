"""What the web app does, without the web: every answer comes from the library calls the CLI makes
(``specfile`` loaders, ``live.recommend`` / ``live.arm``, ``paths``, ``oc.study``, ``live.audit``,
``report.meeting``), so the page and ``dosefind recommend`` cannot disagree. The Shiny layer (``app.ui``)
only moves text between these functions and the page.

Inputs are text only (TOML, CSV, outcome notation), never code. Uploaded and typed text is written to a
private temporary folder under the name the user gave it (reduced to a safe file name) and read by the
same loaders as the CLI's files, so errors read the same. Nothing here writes to the audit log except
:func:`record_decision`, which the page calls only on an explicit click.
"""

from __future__ import annotations

import re
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataError, DosefindError

#: largest upload or pasted text accepted (bytes); design, scenario and trial files are a few kB
MAX_TEXT_BYTES = 1_000_000
#: largest comparison the page starts (trials per design and scenario); the CLI runs larger ones
MAX_TRIALS = 200_000


class Cancelled(DosefindError):
    """The user pressed Cancel during a comparison."""


def check_text(field: str, text: str | bytes | None) -> str:
    """Text from the page or an upload: at most :data:`MAX_TEXT_BYTES`, UTF-8."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        if len(text) > MAX_TEXT_BYTES:
            raise DataError(
                f"{field}: {len(text):,} bytes is larger than the {MAX_TEXT_BYTES:,} accepted; "
                "upload the design, scenario or trial file itself"
            )
        try:
            return text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise DataError(f"{field}: not UTF-8 text (byte {e.start}); save the file as UTF-8") from None
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        raise DataError(f"{field}: longer than the {MAX_TEXT_BYTES:,} bytes accepted")
    return text


def _safe_name(name: str, default: str) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name or default).name)[:80]
    return base if base.strip("._") else default


class _Files:
    """A private temporary folder holding the texts under their given names, for the CLI's loaders."""

    def __init__(self):
        self._dir = tempfile.TemporaryDirectory(prefix="dosefind-app-")
        self.root = Path(self._dir.name)

    def write(self, name: str, text: str, default: str) -> Path:
        path = self.root / _safe_name(name, default)
        path.write_text(text, encoding="utf-8")
        return path

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._dir.cleanup()


# ---- the meeting ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MeetingInputs:
    design_text: str
    design_name: str = "design.toml"
    data_text: str = ""  #: a trial CSV (empty: none)
    data_name: str = "trial.csv"
    notation: str = ""  #: outcome notation, used when there is no CSV
    what_if: str = ""  #: hypothetical cohorts added after the data (never logged)
    name: str | None = None  #: which design of a file with several
    path_cohorts: int = 2
    scenario: str = ""  #: true DLT rates for the pathways, comma separated (optional)
    as_of: str = ""  #: read the CSV's dates as of this day (YYYY-MM-DD; empty: every outcome is known)
    window_days: float | None = None  #: DLT window (default: the design file's [timing])


@dataclass(frozen=True)
class MeetingView:
    """The recommendation, its pathways and the decision table, as ``recommend``, ``paths`` and ``table``
    give them."""

    design: object
    arm: object
    data: object
    recommendation: object  #: the design's Recommendation (an arm's escalation recommendation)
    arm_recommendation: object  #: the arm's ArmRecommendation, or None
    paths: object  #: DosePaths, or None for a design that decides on responses too
    what_if: bool

    @property
    def headline(self) -> str:
        rec = self.arm_recommendation if self.arm_recommendation is not None else self.recommendation
        return rec.headline()

    def recommendation_json(self) -> dict:
        """What ``dosefind recommend --format json`` prints for the same inputs."""
        import json

        from ..report.recommendation import arm_recommendation_json, recommendation_json

        if self.arm_recommendation is not None:
            return json.loads(arm_recommendation_json(self.arm_recommendation))
        return json.loads(recommendation_json(self.recommendation))


def _scenario(text: str, n: int):
    if not text.strip():
        return None
    try:
        values = tuple(float(x) for x in re.split(r"[,;\s]+", text.strip()) if x)
    except ValueError:
        raise DataError(
            f"scenario: {text!r} is not a list of numbers; write e.g. 0.05,0.1,0.2,0.35,0.5"
        ) from None
    if len(values) != n or not all(0.0 <= v <= 1.0 for v in values):
        raise DataError(
            f"scenario: give {n} DLT probabilities between 0 and 1, one per dose, separated by commas"
        )
    return values


def _as_of(inputs: MeetingInputs, data, window: float | None):
    """(day, window) for ``recommend``, as the CLI's ``--as-of`` and ``--window-days`` give them
    (``window``: the given one, else the design file's)."""
    from ..live.pending import parse_day

    text = inputs.as_of.strip()
    day = parse_day(text) if text else None
    if day is None and not data.has_pending:
        return None, None
    if window is not None and window <= 0:
        raise DataError("window days: give the DLT window as a positive number of days")
    return day, window


def meeting(inputs: MeetingInputs) -> MeetingView:
    """The design's recommendation for the data (and any what-if cohorts), with the pathways of the next
    cohorts; nothing is logged."""
    from ..arm.spec import is_arm_file, load_arm
    from ..live.inputs import trial_data_for, window_of
    from ..live.recommend import recommend
    from ..paths import dose_paths
    from ..specfile import _read_toml, select_design

    design_text = check_text("design file", inputs.design_text)
    if not design_text.strip():
        raise DataError("design file: empty; upload a design (or arm) TOML file or paste one")
    data_text = check_text("trial data", inputs.data_text)
    notation = check_text("outcomes", inputs.notation).strip()
    what_if = check_text("what-if cohorts", inputs.what_if).strip()
    if not 1 <= int(inputs.path_cohorts) <= 4:
        raise DataError("pathways: choose 1 to 4 future cohorts")
    with _Files() as files:
        dpath = files.write(inputs.design_name, design_text, "design.toml")
        arm = None
        if is_arm_file(_read_toml(dpath)):
            arm = load_arm(dpath, require_scenarios=False).arm
            design = arm.design
        else:
            design = select_design(dpath, inputs.name or None)
        window = window_of(dpath, inputs.window_days or None)
        if data_text.strip():
            data = trial_data_for(design, files.write(inputs.data_name, data_text, "trial.csv"), None, arm)
        else:
            data = trial_data_for(design, None, notation, arm)
    if what_if:
        joined = f"{data.to_notation()} {what_if}".strip()
        data = trial_data_for(design, None, joined, arm)
    day, window = _as_of(inputs, data, window)
    arm_rec = None
    if arm is not None:
        from ..live.arm import recommend_arm

        arm_rec = recommend_arm(arm, data, as_of=day, window_days=window)
        rec = arm_rec.escalation
    else:
        rec = recommend(design, data, as_of=day, window_days=window)
    probs = _scenario(inputs.scenario, design.n_doses)
    # a phase I/II design's pathways branch on (DLTs, responses), without probabilities (the page gives
    # no response probabilities)
    if design.uses_efficacy:
        probs = None
    paths = dose_paths(design, data, int(inputs.path_cohorts), probs)
    return MeetingView(design, arm, data, rec, arm_rec, paths, bool(what_if))


def decision_table_text(view: MeetingView, max_n: int | None = None) -> str:
    """The design's decision table as ``dosefind table`` prints it ('' when the design has none: its next
    dose depends on more than the current dose's data, as the CRM's)."""
    from ..report.decision_table import decision_table, to_text

    try:
        return to_text(decision_table(view.design, max_n))
    except DosefindError:
        return ""


def posterior_png(view: MeetingView) -> bytes:
    """The per-dose posterior figure of the meeting report (a heat map on a grid)."""
    from ..report.plots import figure_to_png_bytes, plot_posterior, require_matplotlib

    require_matplotlib("the posterior figure")
    return figure_to_png_bytes(plot_posterior(view.recommendation))


def selection_png(result) -> bytes:
    """Selection per dose of each design in each scenario of a comparison, with +-2 MCSE bars."""
    from ..report.plots import figure_to_png_bytes, plot_selection, require_matplotlib

    require_matplotlib("the selection figure")
    return figure_to_png_bytes(plot_selection(result.ocs))


def report_html(view: MeetingView, title: str = "") -> str:
    """The meeting report ``dosefind report`` writes, for the same recommendation and pathways."""
    from ..report.meeting import ReportInputs, render_meeting_report

    return render_meeting_report(
        ReportInputs(view.recommendation, view.paths, title, arm=view.arm_recommendation)
    )


def record_decision(
    log_path: Path,
    view: MeetingView,
    dose: str,
    decision: str,
    reason: str,
    by: str = "",
) -> tuple[int, int, bool | None]:
    """Append the recommendation and the meeting's decision to the audit log (the explicit action of the
    page; ``recommend`` then ``log decide``). What-if data are refused. Returns (recommendation seq,
    decision seq, overruled)."""
    from ..live.audit import AuditLog

    # the decision is checked here, before anything is appended: the log's own checks of the decision
    # (AuditLog.append_decision) run after the recommendation is already in the append-only log
    if view.what_if:
        raise DataError("record: the recommendation includes what-if cohorts; clear them before recording")
    if not reason.strip():
        raise DataError("reason: say why the meeting decided this (required in the audit log)")
    if not decision.strip():
        raise DataError("decision: say what the meeting decided (escalate, stay, de-escalate, stop)")
    dose = dose.strip()
    if dose.lower() != "none" and dose not in view.design.doses:
        raise DataError(
            f"dose: {dose!r} is not a dose of the design; choose one of "
            f"{', '.join(view.design.doses)} or none"
        )
    log = AuditLog(log_path)
    payload = (
        view.recommendation.to_dict()
        if view.arm_recommendation is None
        else view.arm_recommendation.to_dict()
    )
    rec = log.append_recommendation(payload)
    dec = log.append_decision(
        rec.seq,
        None if dose.lower() == "none" else dose,
        decision.strip(),
        reason.strip(),
        decided_by=by.strip() or None,
    )
    return rec.seq, dec.seq, dec.payload.get("overruled")


# ---- design comparison ---------------------------------------------------------------------------------
@dataclass
class Comparison:
    """A running or finished comparison: progress for the page, a cancel flag, the result."""

    total: int = 0
    done: int = 0
    result: object = None
    error: str = ""
    cancel: threading.Event = field(default_factory=threading.Event)


def compare(
    spec_text: str, n_trials: int, seed: int, state: Comparison | None = None, name: str = "spec.toml"
):
    """Every design of the spec file under every scenario (``dosefind simulate``), with progress in
    ``state`` and a cancel flag it checks between blocks of trials."""
    from ..oc.study import check_run_size, simulate_spec
    from ..specfile import load_spec

    state = state or Comparison()
    text = check_text("spec file", spec_text)
    n_trials, seed = int(n_trials), int(seed)
    if not 1 <= n_trials <= MAX_TRIALS:
        raise DataError(
            f"trials: choose 1 to {MAX_TRIALS:,} per design and scenario (the CLI runs larger studies)"
        )
    with _Files() as files:
        spec = load_spec(files.write(name, text, "spec.toml"))
    check_run_size(spec, n_trials, seed, None)
    state.total = n_trials * len(spec.designs) * len(spec.scenarios)

    def progress(k: int):
        state.done = k
        if state.cancel.is_set():
            raise Cancelled("comparison cancelled")

    result = simulate_spec(spec, n_trials, seed, progress=progress, check_size=False)
    state.result = result
    return result


def design_toml(kind: str, fields: dict) -> str:
    """A design file for the form's fields: the spec is built (and checked) by the library, then written
    as the CLI reads it."""
    import tomli_w

    from ..designs import design_from_dict

    table = {"kind": kind, **{k: v for k, v in fields.items() if v not in (None, "")}}
    design = design_from_dict(table)
    return tomli_w.dumps({"design": design.to_dict()})
