"""The recommendation of a live dose-escalation meeting.

The real trial's cohorts are replayed, in order, through :class:`~dosefind.engine.replay.DecisionContext`,
i.e. through the very ``decide`` kernel the simulations call. The design's state (eliminated doses, the
CRM posterior) is therefore rebuilt exactly as a simulated trial would have built it, and the decision
after the last cohort is the recommendation. Nothing here decides anything on its own: it reads the
decision, explains it and adds the posterior summary.

Ties broken at random. Some designs (BOIN for combinations, PO-CRM) break ties with a uniform ``u_tie``
that the simulation draws per decision. In live use the uniform of the decision after cohort i is a pure
function of the data up to that cohort: ``u = (int(h[:13], 16) + 0.5) / 16**13`` with ``h`` the SHA-256
(hex) of ``"dosefind u_tie " + content hash of the first i cohorts`` (``TrialData.tie_uniforms``). The
same data therefore always give the same choice (a meeting can rerun the recommendation and get the
same cell), the uniform of the current decision is derived from the data's content hash and printed
and logged with the recommendation, and a later rerun with more cohorts replays the earlier decisions
with the uniforms the earlier meetings saw. When the decision depends on the uniform (the candidates
tie), the explanation names the candidates and the one chosen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .. import __version__
from ..constants import Reason, Status
from ..designs import Design
from ..designs.home import home_of
from ..engine.replay import Cohort, move_word, replay_data
from ..errors import DataError
from ..inference.summary import PosteriorTable, fast_posterior
from ..outcomes import TrialData
from ..outcomes.trial import TIE_UNIFORM_RULE
from .explain import explain

POSTERIORS = ("fast", "mcmc")


def dose_word(design: Design) -> str:
    """What a dose of the design is called in sentences: "cell" on a two-drug grid, else "dose"."""
    return design.unit


@dataclass(frozen=True)
class DoseRow:
    """One line of the per-dose table."""

    level: int  #: 1-based
    label: str
    n: int
    tox: int
    admissible: bool
    mean: float
    lower: float
    upper: float
    prob_above_target: float

    @property
    def observed_rate(self) -> float:
        return self.tox / self.n if self.n else math.nan


@dataclass(frozen=True)
class HistoryStep:
    """A cohort of the real trial and what the design decided after it."""

    index: int  #: 1-based cohort number
    cohort: Cohort  #: the kernel's decision after this cohort
    outcomes: str  #: notation letters of the cohort's patients
    design_next: str | None  #: label the design recommended next (None when it stopped)
    followed: bool | None  #: whether the next cohort was treated at the design's dose (None for the last)

    @property
    def tied(self) -> bool:
        """Whether the decision depended on the tie-breaking uniform."""
        return len(self.cohort.alternatives) > 1


@dataclass(frozen=True)
class Recommendation:
    design: Design
    data: TrialData
    next_dose: int | None  #: 0-based dose for the next cohort, None when the trial stops
    decision: str  #: "start", "escalate", "stay", "de-escalate" or "stop"
    status: Status
    reason: Reason
    base_reason: Reason
    explanation: tuple[str, ...]  #: the rule that fired, then any modifier that changed the proposal
    doses: tuple[DoseRow, ...]
    selected: int | None  #: 0-based MTD estimate when the trial stops (None: no dose / still running)
    history: tuple[HistoryStep, ...]
    posterior: PosteriorTable
    warnings: tuple[str, ...] = field(default_factory=tuple)
    u_tie: float | None = None  #: tie-breaking uniform of the current decision (None before any cohort)
    tie: tuple[int, ...] = ()  #: next doses the decision could take for other u_tie (empty: no tie)
    #: what the design's home read for the last decision's explanation (e.g. the CRM's estimates, the
    #: ordering a PO-CRM's model step used; None when there is nothing beyond the counts)
    detail: object = None
    #: with ``as_of``, a design that decides with pending patients: its decision as of that day
    #: (:class:`~dosefind.live.pending.PendingDecision`; None otherwise)
    pending: object = None

    @property
    def next_label(self) -> str | None:
        return None if self.next_dose is None else self.design.doses[self.next_dose]

    @property
    def selected_label(self) -> str | None:
        return None if self.selected is None else self.design.doses[self.selected]

    @property
    def stopped(self) -> bool:
        return self.status != Status.CONTINUE

    def headline(self) -> str:
        unit = dose_word(self.design)
        if self.decision == "suspend":
            return f"suspend accrual: the next patient waits ({unit} {self.next_label} when accrual reopens)"
        if self.decision == "wait for the cohort":
            return (
                f"the next cohort waits for the current one's evaluation ({unit} {self.next_label} if "
                "nothing changes); arrivals meanwhile are backfilled where a lower dose is open"
            )
        if self.decision == "complete the cohort":
            return f"complete the cohort at {unit} {self.next_label}"
        if self.stopped and self.pending is not None and self.pending.clock.pending:
            end = self.pending.change_day
            return f"stop enrolling: final selection once every DLT window is complete ({end})"
        if not self.stopped:
            return f"{self.decision}: next cohort at {unit} {self.next_label}"
        if self.selected is not None:
            return f"stop: MTD estimate {unit} {self.selected_label}"
        return f"stop: no {unit} selected"

    def to_frame(self):
        """The per-dose table as a DataFrame: the rows `--format json` prints under "doses", then the
        posterior's own columns with one value per dose (e.g. a BLRM's interval probabilities, BOIN's
        isotonic estimate); the decision, headline and explanation in ``.attrs``."""
        from ..display import frame

        rows = self.to_dict()["doses"]
        extra = self.posterior.to_frame()
        for row, (_, ex) in zip(rows, extra.iterrows(), strict=True):
            for col in extra.columns:
                if col not in ("dose", "mean", "lower", "upper", "prob_above_target"):
                    row[col] = ex[col]
        attrs = {
            "next_dose": self.next_label,
            "decision": self.decision,
            "headline": self.headline(),
            "explanation": list(self.explanation),
            "posterior_method": self.posterior.method,
        }
        return frame(rows, attrs=attrs)

    def history_frame(self):
        """The real trial's cohorts and what the design decided after each, as a DataFrame."""
        from ..display import frame

        return frame(self.to_dict()["history"])

    def _repr_html_(self) -> str:
        from ..display import html_table, number, paragraph

        parts = [paragraph(f"{self.design.name}: {self.headline()}", bold=True)]
        parts += [paragraph(line) for line in self.explanation]
        parts += [paragraph(f"warning: {w}") for w in self.warnings]
        mass = int(round(100 * self.posterior.mass))
        header = [
            "dose",
            "n",
            "DLT",
            "observed",
            "posterior mean",
            f"{mass}% interval",
            "P(p > target)",
            "admissible",
        ]
        rows = [
            [
                r.label,
                r.n,
                r.tox,
                number(r.observed_rate, 2),
                number(r.mean, 3),
                f"{number(r.lower, 3)} - {number(r.upper, 3)}",
                number(r.prob_above_target, 3),
                "yes" if r.admissible else "no",
            ]
            for r in self.doses
        ]
        parts.append(
            html_table(header, rows, caption=f"posterior: {self.posterior.model} ({self.posterior.method})")
        )
        return "".join(parts)

    def to_dict(self) -> dict:
        """JSON-ready summary (what the audit log stores and `--format json` prints)."""

        def num(x):
            return None if not math.isfinite(x) else float(x)

        return {
            "dosefind_version": __version__,
            "design": self.design.to_dict(),
            "design_hash": self.design.config_hash(),
            "data": self.data.to_dict(),
            "data_notation": self.data.to_notation(),
            "data_hash": self.data.content_hash,
            "data_source": self.data.source,
            "next_dose": self.next_label,
            "decision": self.decision,
            "status": self.status.name.lower(),
            "reason": self.explanation[0] if self.explanation else "",
            "reason_code": self.reason.name,
            "explanation": list(self.explanation),
            "selected_dose": self.selected_label,
            "u_tie": self.u_tie,
            "u_tie_rule": TIE_UNIFORM_RULE,
            "tie_candidates": [self.design.doses[d] for d in self.tie],
            **home_of(self.design).detail_json(self.design, self.detail),
            "doses": [
                {
                    "level": r.level,
                    "label": r.label,
                    "n": r.n,
                    "dlt": r.tox,
                    "observed_rate": num(r.observed_rate),
                    "posterior_mean": num(r.mean),
                    "lower": num(r.lower),
                    "upper": num(r.upper),
                    "prob_above_target": num(r.prob_above_target),
                    "admissible": r.admissible,
                }
                for r in self.doses
            ],
            "posterior": self.posterior.to_dict(),
            "history": [
                {
                    "cohort": h.index,
                    "dose": self.design.doses[h.cohort.dose],
                    "outcomes": h.outcomes,
                    "design_next": h.design_next,
                    "followed": h.followed,
                    "reason_code": h.cohort.reason.name,
                    "u_tie": h.cohort.u_tie,
                    "tied": h.tied,
                }
                for h in self.history
            ],
            "warnings": list(self.warnings),
            **({"pending": self.pending.to_dict(self.design)} if self.pending is not None else {}),
        }


def recommend(
    design: Design,
    data: TrialData,
    posterior: str = "fast",
    mcmc_settings=None,
    as_of=None,
    window_days: float | None = None,
) -> Recommendation:
    """The design's decision for the next cohort, with reasons, per-dose posterior and the history.

    With ``as_of`` (a date) and ``window_days`` the data's dates are read as of that day
    (:mod:`dosefind.live.pending`): a design that decides with pending patients decides on them, with
    the first later day its decision changes if no DLT is reported; any other design is told which
    patients are still in their window."""
    if posterior not in POSTERIORS:
        raise DataError(f"posterior: unknown back end {posterior!r}; choose 'fast' or 'mcmc'")
    if data.backfill:
        first = data.backfill[0]
        where = f"{data.source}, line {first.line}" if first.line is not None else data.source
        if not home_of(design).reads_backfill(design):
            raise DataError(
                f"{where}: backfill patients (phase = backfill), but {design.kind} has no backfill; add "
                "[design.backfill] to the design, or correct the phase"
            )
        if as_of is None:
            raise DataError(
                f"{where}: backfill patients count by the day their outcome was known; give --as-of DAY "
                "(and the CSV's entry_date and dlt_date)"
            )
    rec = _recommend_complete(design, data, posterior, mcmc_settings)
    if as_of is None and not data.has_pending:
        return rec
    from dataclasses import replace

    from .pending import clock_from_notation, pending_decision, read_clock, still_in_window

    if data.has_pending and not design.uses_pending:
        k = sum(p.pending_days is not None for p in data.patients)
        return replace(
            rec,
            warnings=rec.warnings
            + (
                f"{k} patient(s) are written pending (P<days>): {design.kind} decides on complete "
                "cohorts, so the decision counts them as treated without a DLT; it holds once their "
                "windows are complete without one",
            ),
        )
    if window_days is None:
        raise DataError(
            "--window-days: missing; give the DLT window in days (or a [timing] section with dlt_window_days "
            "in the design file)"
        )
    if data.has_pending:
        if as_of is not None:
            raise DataError(
                "--as-of reads the dates of a data file; the notation's P<days> already gives the follow-up: "
                "leave --as-of out"
            )
        if home_of(design).needs_dlt_days(design):
            raise DataError(
                "outcomes: the adaptive weights need each DLT's day, which the notation does not write; give "
                "the data as a CSV file with dates and --as-of"
            )
        clock = clock_from_notation(data, window_days)
    else:
        clock = read_clock(data, as_of, window_days)
    if not design.uses_pending:
        return replace(rec, warnings=rec.warnings + tuple(still_in_window(design, clock)))
    pd = pending_decision(design, data, clock)
    n_at, tox_at, _p, _s = clock.arrays(design.n_doses)
    first = explain(
        pd.reason, design, n_at, tox_at, pd.cur, pd.next_dose if pd.next_dose is not None else pd.cur
    )
    own = pd.explained  # the design's own sentence for the decision with pending patients
    lines = ((first,) if first and pd.reason != Reason.NONE and not own else ()) + pd.lines
    selected = None
    if pd.status == Status.STOP_SELECT and not clock.pending:
        selected = rec.selected
    counted = _as_of_counts(rec, clock, posterior, mcmc_settings)
    chosen = counted.pop("select")
    if selected is not None:
        selected = None if chosen < 0 else chosen
    # the complete-data reading of dates-bearing data (and its history) is replaced by the decisions as of
    # each day
    warnings = tuple(
        w
        for w in rec.warnings
        if "read as having completed" not in w
        and not w.startswith("cohort ")
        and not w.startswith("backfill: without dates")
    )
    unit = dose_word(design)
    for h in pd.history:
        if h.suspended:
            warnings += (f"patient {h.patient_id} was treated on {h.day} while accrual was suspended",)
        elif h.design_next is None:
            warnings += (f"patient {h.patient_id} was treated on {h.day} after the design had stopped",)
        elif not h.followed:
            warnings += (
                f"patient {h.patient_id} was treated on {h.day} at {unit} {design.doses[h.given]}; the "
                f"design recommended {unit} {design.doses[h.design_next]}",
            )
    return replace(
        rec,
        next_dose=pd.next_dose,
        decision=pd.decision,
        status=pd.status,
        reason=pd.reason,
        base_reason=pd.reason,
        explanation=lines,
        selected=selected,
        warnings=warnings,
        tie=(),
        history=(),
        pending=pd,
        **counted,
    )


def _dose_rows(design, n_at, tox_at, admissible, table) -> tuple[DoseRow, ...]:
    return tuple(
        DoseRow(
            d + 1,
            design.doses[d],
            int(n_at[d]),
            int(tox_at[d]),
            bool(admissible[d]),
            float(table.mean[d]),
            float(table.lower[d]),
            float(table.upper[d]),
            float(table.prob_above_target[d]),
        )
        for d in range(design.n_doses)
    )


def _as_of_counts(rec: Recommendation, clock, posterior, mcmc_settings) -> dict:
    """The per-dose rows, posterior and (when the trial stops) the selection on the data as of the
    clock's day: every escalation patient treated with the DLTs seen by then, plus the backfill patients
    whose outcome is known (BF-BOIN counts them)."""
    from ..engine.replay import DecisionContext
    from .pending import outcome_day

    design = rec.design
    n_at, tox_at, _pend, _stft = clock.arrays(design.n_doses)
    for p in clock.backfill:
        if outcome_day(p, clock.window_days) is not None:
            n_at[p.dose] += 1
            tox_at[p.dose] += p.status == "dlt"
    if np.array_equal(n_at, [r.n for r in rec.doses]) and np.array_equal(tox_at, [r.tox for r in rec.doses]):
        # the complete-data reading counted the same: its table stands (no second fit, no second sampling)
        return {
            "doses": rec.doses,
            "posterior": rec.posterior,
            "select": -1 if rec.selected is None else rec.selected,
        }
    if posterior == "mcmc":
        from ..inference.mcmc import mcmc_posterior

        table = mcmc_posterior(design, n_at, tox_at, mcmc_settings)
    else:
        table = fast_posterior(design, n_at, tox_at)
    admissible = np.array([r.admissible for r in rec.doses])
    out = {"doses": _dose_rows(design, n_at, tox_at, admissible, table), "posterior": table}
    ctx = DecisionContext(design, n_cap=design.default_n_cap())
    ctx.n_at[:] = n_at
    ctx.tox_at[:] = tox_at
    ctx.admissible[:] = admissible
    out["select"] = ctx.select(full=True)
    return out


def _recommend_complete(design, data, posterior, mcmc_settings) -> Recommendation:
    home = home_of(design)
    side = home.live_side_work(design, *data.counts()) if data.cohorts else None
    ctx, steps = replay_data(design, data, data.tie_uniforms(), probe=design.uses_tie_uniform, side=side)
    n_at, tox_at = ctx.n_at.copy(), ctx.tox_at.copy()
    resp_at = ctx.resp_at.copy() if design.uses_efficacy else None
    fast = fast_posterior(design, n_at, tox_at, resp_at, context=ctx if steps else None)
    if posterior == "mcmc":
        from ..inference.mcmc import mcmc_posterior

        table = mcmc_posterior(design, n_at, tox_at, mcmc_settings, resp_at=resp_at)
    else:
        table = fast
    warnings: list[str] = list(table.warnings) + home.live_warnings(design, data)
    if data.n_total > design.max_n:
        warnings.append(
            f"the data has {data.n_total} patients, more than the design's max_n = {design.max_n}"
        )

    if data.cohorts and data.cohorts[0].dose != design.start_dose - 1:
        unit = dose_word(design)
        warnings.append(
            f"cohort 1 was treated at {unit} {design.doses[data.cohorts[0].dose]}; the design starts at "
            f"{unit} {design.doses[design.start_dose - 1]} (its {design.start_field})"
        )
    history = []
    for i, (step, cohort) in enumerate(zip(steps, data.cohorts, strict=True)):
        design_next = design.doses[step.next_dose] if step.status == Status.CONTINUE else None
        followed = None
        if i + 1 < len(steps):
            given = data.cohorts[i + 1].dose
            if step.status != Status.CONTINUE:
                followed = False
                warnings.append(
                    f"the design stopped after cohort {i + 1} ({step.reason.name.lower()}), "
                    f"yet cohort {i + 2} was treated"
                )
            else:
                followed = given == step.next_dose
                if not followed:
                    unit = dose_word(design)
                    warnings.append(
                        f"cohort {i + 2} was treated at {unit} {design.doses[given]}; "
                        f"the design recommended {unit} {design_next}"
                    )
        history.append(HistoryStep(i + 1, step, cohort.outcomes, design_next, followed))
    if data.cohorts and data.cohorts[-1].n < design.cohort_size:
        warnings.append(
            f"the last cohort has {data.cohorts[-1].n} of {design.cohort_size} patients; "
            "the decision uses the patients evaluated so far"
        )

    rows = _dose_rows(design, n_at, tox_at, ctx.admissible.astype(bool), table)
    if not steps:
        start = design.start_dose - 1
        return Recommendation(
            design,
            data,
            start,
            "start",
            Status.CONTINUE,
            Reason.NONE,
            Reason.NONE,
            (
                f"no patients yet: start at {dose_word(design)} {design.doses[start]} (the design's "
                f"{design.start_field})",
            ),
            rows,
            None,
            (),
            table,
            tuple(warnings),
        )

    last = steps[-1]
    cur = last.dose
    detail = home.decision_detail(design, ctx.compiled, n_at, tox_at, last, fast)
    lines = [explain(last.base_reason, design, n_at, tox_at, cur, last.base_next, detail)]
    before = steps[-2].admissible if len(steps) > 1 else design.initial_admissible()
    newly = [d for d in range(design.n_doses) if before[d] and not last.admissible[d]]
    if newly:
        lines = home.elimination_lines(design, n_at, tox_at, newly, last) + lines
    if last.reason != last.base_reason:
        lines.append(explain(last.reason, design, n_at, tox_at, cur, last.next_dose, detail))
    elif last.status == Status.CONTINUE and last.next_dose != last.base_next:
        unit = dose_word(design)
        lines.append(
            f"{unit} {design.doses[last.base_next]} is not admissible: {unit} {design.doses[last.next_dose]}"
        )
    tie: tuple[int, ...] = ()
    if len(last.alternatives) > 1:
        tie = tuple(d for d, _ in last.alternatives)
        lines.append(home.tie_sentence(design, last.alternatives, last.next_dose, last.status, last.u_tie))
    decision = move_word(last.status, cur, last.next_dose, design)
    nxt = last.next_dose if last.status == Status.CONTINUE else None
    selected = ctx.select(full=True) if last.status == Status.STOP_SELECT else -1
    selected = None if selected < 0 else selected
    return Recommendation(
        design,
        data,
        nxt,
        decision,
        last.status,
        last.reason,
        last.base_reason,
        tuple(lines),
        rows,
        selected,
        tuple(history),
        table,
        tuple(warnings),
        last.u_tie,
        tie,
        detail,
    )
