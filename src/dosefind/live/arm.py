"""The live recommendation of a phase I/II arm: escalation, then expansion cohorts at the selected dose.

Escalation is :func:`dosefind.live.recommend.recommend` on the escalation cohorts (the same replay
through ``decide``; ties broken with uniforms derived from the data, see that module). Once escalation
has stopped, the extension is evaluated on the patient-level data with exactly the rules of the
simulation engine (:mod:`dosefind.engine.arm`):

1. the extension opens when escalation stopped with a selected dose and at least ``open_min_responses``
   responses among the escalation patients treated at that dose;
2. a cohort that counts escalation patients (``count_escalation``) first counts the escalation patients
   treated at the selected dose, in treatment order, then its own new patients; others count only their
   new patients. At look i (``looks[i]`` counted patients) with x responses among them the cohort stops
   for futility iff x <= futility[i], and is declared active iff x >= efficacy[i]. Patients after a
   cohort's decision are not counted (the engine never enrols them; live data that have them get a
   warning);
3. extension patients are taken in the order of the data (their treatment order); after every one the
   safety monitor pools all patients treated at the selected dose (escalation and every cohort) and stops
   when ``SafetyMonitor.table(n_cap)[n, y] == 1``; a safety stop closes every cohort without a decision
   (decision SAFETY). The monitor is checked after extension patients only, as in the engine. With dates
   (``as_of``) it counts a patient when their outcome is observed, in the order outcomes became known,
   as the engine's timed arms do (see :func:`recommend_arm`).

Unknown responses (an empty response cell: not yet assessed; no response column; a notation without E or
B letters) are never counted as "no response". A look that needs an unknown response waits for it (the
cohort's state is the one its assessed prefix reaches), and when unknown responses at the selected dose
could change whether the extension opens, the arm waits for them.

``tests/live/test_arm_live.py`` checks these rules against the engine: arms simulated by
:func:`dosefind.arm.simulate_arm` are rebuilt patient by patient from their latent values, written as
data files, and must reach the engine's selected dose, opening, cohort decisions, counts, responses and
safety stops.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from .. import __version__
from ..arm.spec import Arm, SafetyMonitor
from ..constants import CohortDecision
from ..errors import DataError
from ..outcomes import Patient, TrialData
from .recommend import TIE_UNIFORM_RULE, Recommendation, dose_word, recommend


class ArmPhase(str, Enum):
    """Where a live arm stands."""

    ESCALATION = "escalation"  #: escalation continues: the next cohort's dose comes from the design
    NO_DOSE = "no dose"  #: escalation stopped without selecting a dose: no extension
    NOT_OPENED = "not opened"  #: too few responses at the selected dose: no extension
    AWAITING_RESPONSES = "awaiting responses"  #: unknown responses decide whether the extension opens
    EXTENSION = "extension"  #: the extension is open and at least one cohort continues
    COMPLETE = "complete"  #: every expansion cohort has its decision


#: What a cohort's decision is called in reports (None: the cohort continues).
DECISION_WORDS = {
    None: "continue",
    CohortDecision.FUTILE: "stop: futility",
    CohortDecision.ACTIVE: "declare active",
    CohortDecision.SAFETY: "stopped for safety",
    CohortDecision.NOT_OPENED: "not opened",
}


def _responses(x: int) -> str:
    return f"{x} response" + ("" if x == 1 else "s")


@dataclass(frozen=True)
class Look:
    """One look of a cohort's rule (futility / efficacy None where that look cannot stop)."""

    index: int  #: 0-based
    n: int  #: counted patients at the look
    futility: int | None
    efficacy: int | None
    final: bool

    def words(self) -> str:
        """The look's boundaries as a meeting reads them."""
        if self.final:
            return (
                f"final analysis among the first {self.n}: stop for futility (inactive) if <= "
                f"{_responses(self.futility)}, declare active if >= {self.efficacy}"
            )
        parts = []
        if self.futility is not None:
            parts.append(f"stop for futility if <= {_responses(self.futility)} among the first {self.n}")
        if self.efficacy is not None:
            parts.append(f"declare active if >= {_responses(self.efficacy)} among the first {self.n}")
        return "; ".join(parts) if parts else f"no stop possible at {self.n} patients"

    def to_dict(self) -> dict:
        return {
            "look": self.index + 1,
            "n": self.n,
            "futility": self.futility,
            "efficacy": self.efficacy,
            "final": self.final,
            "words": self.words(),
        }


def _looks(boundaries) -> tuple[Look, ...]:
    last = boundaries.n_looks - 1
    return tuple(
        Look(i, row["n"], row["futility"], row["efficacy"], i == last)
        for i, row in enumerate(boundaries.rows())
    )


@dataclass(frozen=True)
class CohortState:
    """One expansion cohort as the data stand."""

    name: str
    rule: str  #: the rule's description
    count_escalation: bool
    escalation_counted: int  #: escalation patients at the selected dose the rule counted
    new_patients: int  #: extension patients enrolled in the cohort (all of them)
    counted: int  #: patients the rule counted (escalation + new, up to its decision)
    responses: int  #: responses among the counted patients (known ones)
    pending: int  #: counted patients whose response is not known yet
    dlts: int  #: DLTs among the cohort's new patients
    decision: CohortDecision | None  #: None: the cohort continues
    decided_look: Look | None  #: the look that decided (None: no rule decision, or safety)
    next_look: Look | None  #: the next look while the cohort continues
    after_decision: int = 0  #: patients enrolled after the cohort's decision (not counted)
    waiting: bool = False  #: the next look is due but unknown responses among its patients decide it

    @property
    def decision_words(self) -> str:
        return DECISION_WORDS[self.decision]

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "rule": self.rule,
            "count_escalation": self.count_escalation,
            "escalation_counted": self.escalation_counted,
            "new_patients": self.new_patients,
            "counted": self.counted,
            "responses": self.responses,
            "pending_responses": self.pending,
            "dlts_new_patients": self.dlts,
            "decision": self.decision.name.lower() if self.decision is not None else "continue",
            "decision_words": self.decision_words,
            "decided_at_look": self.decided_look.to_dict() if self.decided_look else None,
            "next_look": self.next_look.to_dict() if self.next_look else None,
            "patients_after_decision": self.after_decision,
            "waiting_for_responses": self.waiting,
        }


@dataclass(frozen=True)
class SafetyState:
    """The safety monitor at the selected dose: all patients treated there, escalation included."""

    monitor: SafetyMonitor | None
    n: int
    dlts: int
    stopped: bool
    stopped_after: str | None  #: patient id after whom the monitor stopped the extension
    next_stop: int | None  #: fewest DLTs among n + 1 patients that stop at the next patient (None: none)
    #: with dates (``as_of``): patients at the dose still in their DLT window, not counted yet
    pending: int = 0
    #: with dates: the day the outcome that stopped the extension became known
    stopped_on: str | None = None

    def words(self) -> str:
        head = f"{self.n} patients, {self.dlts} DLT" + ("" if self.dlts == 1 else "s")
        if self.pending:
            head += f" ({self.pending} more still in the DLT window, not counted yet)"
        if self.monitor is None:
            return f"{head}; no safety monitoring in this arm"
        if self.stopped:
            when = f", known on {self.stopped_on}" if self.stopped_on else ""
            return (
                f"{head}; the extension stopped for safety after patient {self.stopped_after}'s outcome{when}"
            )
        m = self.monitor
        if self.next_stop is None:
            nxt = f"no number of DLTs among {self.n + 1} patients stops at the next patient"
        elif self.next_stop <= self.dlts:
            nxt = (
                f"the next patient stops the extension whatever the outcome (>= {self.next_stop} DLTs of "
                f"{self.n + 1})"
            )
        elif self.next_stop == self.dlts + 1:
            nxt = f"a DLT in the next patient stops the extension ({self.next_stop} DLTs of {self.n + 1})"
        else:
            nxt = f"the next patient cannot stop it (stop at >= {self.next_stop} DLTs of {self.n + 1})"
        return f"{head}; {nxt} [stop when P(DLT rate > {m.limit:g} | data) > {m.confidence:g}]"

    def to_dict(self) -> dict:
        return {
            "monitor": self.monitor.to_dict() if self.monitor else None,
            "n": self.n,
            "dlts": self.dlts,
            "stopped": self.stopped,
            "stopped_after": self.stopped_after,
            "next_patient_stop_dlts": self.next_stop,
            "pending": self.pending,
            "stopped_on": self.stopped_on,
            "words": self.words(),
        }


@dataclass(frozen=True)
class ArmRecommendation:
    arm: Arm
    data: TrialData
    escalation: Recommendation  #: the escalation design's recommendation on the escalation cohorts
    phase: ArmPhase
    selected: int | None  #: 0-based dose (cell) the escalation selected
    opening: str  #: why the extension opens, or not, or waits
    responses_at_selected: int = 0  #: known responses of escalation patients at the selected dose
    pending_at_selected: int = 0  #: escalation patients there without a known response
    cohorts: tuple[CohortState, ...] = ()
    safety: SafetyState | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def unit(self) -> str:
        return dose_word(self.arm.design)

    @property
    def selected_label(self) -> str | None:
        return None if self.selected is None else self.arm.design.doses[self.selected]

    @property
    def next_dose(self) -> str | None:
        """Where the next patient goes: the escalation's next dose, the selected dose while a cohort
        continues, else None."""
        if self.phase == ArmPhase.ESCALATION:
            return self.escalation.next_label
        if self.phase == ArmPhase.EXTENSION:
            return self.selected_label
        return None

    def headline(self) -> str:
        u = self.unit
        if self.phase == ArmPhase.ESCALATION:
            return f"escalation: {self.escalation.headline()}"
        if self.phase == ArmPhase.NO_DOSE:
            return f"stop: escalation selected no {u}; the extension does not open"
        if self.phase == ArmPhase.NOT_OPENED:
            return f"stop: the extension does not open ({self.opening})"
        if self.phase == ArmPhase.AWAITING_RESPONSES:
            return f"wait: {self.opening}"
        cohorts = "; ".join(f"{c.name}: {c.decision_words}" for c in self.cohorts)
        if self.phase == ArmPhase.EXTENSION:
            return f"extension at {u} {self.selected_label}: {cohorts}"
        return f"extension complete at {u} {self.selected_label}: {cohorts}"

    def to_dict(self) -> dict:
        """JSON-ready summary (what the audit log stores and `--format json` prints)."""
        esc = self.escalation
        return {
            "dosefind_version": __version__,
            "arm": self.arm.to_dict(),
            "arm_name": self.arm.name,
            "arm_hash": self.arm.config_hash(),
            "data": self.data.to_dict(),
            "data_hash": self.data.content_hash,
            "data_source": self.data.source,
            "phase": self.phase.value,
            "next_dose": self.next_dose,
            "decision": esc.decision if self.phase == ArmPhase.ESCALATION else self.phase.value,
            "reason": self.headline(),
            "selected_dose": self.selected_label,
            "u_tie": esc.u_tie,
            "u_tie_rule": TIE_UNIFORM_RULE,
            "extension": {
                "opens": {
                    ArmPhase.EXTENSION: True,
                    ArmPhase.COMPLETE: True,
                    ArmPhase.AWAITING_RESPONSES: None,
                    ArmPhase.ESCALATION: None,
                }.get(self.phase, False),
                "why": self.opening,
                "responses_at_selected": self.responses_at_selected,
                "pending_at_selected": self.pending_at_selected,
                "open_min_responses": self.arm.open_min_responses,
                "patients": self.data.n_extension,
            },
            "cohorts": [c.to_dict() for c in self.cohorts],
            "safety": self.safety.to_dict() if self.safety else None,
            "escalation": esc.to_dict(),
            "warnings": list(self.warnings),
        }


class _Counter:
    """One cohort's rule applied patient by patient, as the engine's ``_look``.

    A look is read on its first n counted patients. With unknown responses among them it decides only
    what every value of the unknown responses would decide (stop for futility, declare active, or go
    on); otherwise the cohort waits at that look (``waiting``) and later looks are not read.
    """

    def __init__(self, boundaries):
        self.looks = _looks(boundaries)
        self.counted: list[bool | None] = []
        self.look = 0
        self.decision: CohortDecision | None = None
        self.decided_look: Look | None = None
        self.waiting = False

    def add(self, response: bool | None) -> bool:
        """Count one patient; False when the cohort has decided already (the patient is not counted)."""
        if self.decision is not None:
            return False
        self.counted.append(response)
        if not self.waiting and self.look < len(self.looks) and len(self.counted) == self.looks[self.look].n:
            look = self.looks[self.look]
            x = sum(1 for r in self.counted if r)
            unknown = sum(1 for r in self.counted if r is None)
            futility = -1 if look.futility is None else look.futility
            efficacy = look.n + 1 if look.efficacy is None else look.efficacy
            if x + unknown <= futility:
                self.decision, self.decided_look = CohortDecision.FUTILE, look
            elif x >= efficacy:
                self.decision, self.decided_look = CohortDecision.ACTIVE, look
            elif x > futility and x + unknown < efficacy:
                self.look += 1
            else:
                self.waiting = True
        return True


def recommend_arm(
    arm: Arm,
    data: TrialData,
    posterior: str = "fast",
    mcmc_settings=None,
    as_of=None,
    window_days: float | None = None,
) -> ArmRecommendation:
    """The arm's next step for the data (escalation and extension patients): see the module docstring.

    With ``as_of`` (a date) and ``window_days`` the data's dates are read as of that day: escalation as
    :func:`~dosefind.live.recommend.recommend` reads them, and the safety monitor counts a patient at the
    selected dose once their DLT or their whole window is observed, in the order those outcomes became
    known (an outcome known on or before an extension patient's entry counts before that patient), as
    the simulation of arms in calendar time does (:mod:`dosefind.engine.arm`)."""
    design = arm.design
    rec = recommend(design, data.escalation(), posterior, mcmc_settings, as_of=as_of, window_days=window_days)
    warnings = list(rec.warnings)
    unit = dose_word(design)
    n_ext = data.n_extension

    def ignored(why: str) -> None:
        if n_ext:
            warnings.append(f"{n_ext} extension patient(s) recorded, but {why}: they are not evaluated")

    def result(phase, opening, selected=None, **kw) -> ArmRecommendation:
        return ArmRecommendation(arm, data, rec, phase, selected, opening, warnings=tuple(warnings), **kw)

    if not rec.stopped:
        ignored("escalation has not stopped")
        need = f" with at least {_responses(arm.open_min_responses)} there" if arm.open_min_responses else ""
        return result(ArmPhase.ESCALATION, f"the extension opens when escalation selects a {unit}{need}")
    if rec.selected is None:
        ignored(f"escalation selected no {unit}")
        return result(ArmPhase.NO_DOSE, f"escalation stopped without selecting a {unit}")
    sel = rec.selected
    label = design.doses[sel]
    at_sel = [p for p in data.patients if p.dose == sel]
    known = sum(1 for p in at_sel if p.efficacy)
    pending = sum(1 for p in at_sel if p.efficacy is None)
    m = arm.open_min_responses
    counts = dict(responses_at_selected=known, pending_at_selected=pending)
    if known < m:
        if known + pending < m:
            ignored("the extension does not open")
            why = f"{_responses(known)} at {unit} {label}, at least {m} needed"
            if pending:
                why += f" ({pending} not yet assessed)"
            return result(ArmPhase.NOT_OPENED, why, sel, **counts)
        ignored("the responses that decide whether the extension opens are not all known")
        why = (
            f"{pending} escalation patient(s) at {unit} {label} have no response recorded; "
            f"{_responses(known)} known, at least {m} needed to open the extension"
        )
        return result(ArmPhase.AWAITING_RESPONSES, why, sel, **counts)
    opening = f"{_responses(known)} at {unit} {label} (at least {m} needed): the extension opens"

    counters = {c.name: _Counter(c.boundaries) for c in arm.cohorts}
    for c in arm.cohorts:
        if c.count_escalation:
            for p in at_sel:
                if not counters[c.name].add(p.efficacy):
                    break
    carried = {name: len(k.counted) for name, k in counters.items()}
    monitor = arm.safety
    table = monitor.table(len(at_sel) + n_ext + 1) if monitor is not None else None
    dated = as_of is not None
    clocks = {}
    if dated:
        from .pending import check_window, outcome_day, patient_clock

        check_window(window_days)
        src = data.source or "data"
        for p in (*at_sel, *data.extension):
            clocks[id(p)] = patient_clock(p, as_of, window_days, src)
    # the monitor's sequence of outcomes: in the data's order, or (dated) in the order they became known
    events: list = []
    if dated:
        first_entry = clocks[id(data.extension[0])].entry if n_ext else as_of
        initial = []
        for k, p in enumerate((*at_sel, *data.extension)):
            day = outcome_day(clocks[id(p)], window_days)
            if day is None:
                continue
            if k < len(at_sel) and day <= first_entry:
                initial.append(p)
            else:
                events.append((day, k, p, clocks[id(p)].status == "dlt"))
        events.sort(key=lambda e: (e[0], e[1]))
        n_safe = len(initial)
        y_safe = sum(clocks[id(p)].status == "dlt" for p in initial)
        pending_safety = sum(1 for c in clocks.values() if c.status == "pending")
    else:
        n_safe = len(at_sel)
        y_safe = sum(p.dlt for p in at_sel)
        pending_safety = 0
    stopped_after: str | None = None
    stopped_on = None
    taken = 0

    def outcome(p, dlt, day=None) -> None:
        nonlocal n_safe, y_safe, stopped_after, stopped_on
        n_safe += 1
        y_safe += dlt
        if table is not None and stopped_after is None and table[n_safe, y_safe] == 1:
            stopped_after = p.patient_id
            stopped_on = day
            for k in counters.values():
                if k.decision is None:
                    k.decision = CohortDecision.SAFETY

    def outcomes_until(day) -> None:
        nonlocal taken
        while taken < len(events) and events[taken][0] <= day:
            d, _k, p, dlt = events[taken]
            outcome(p, dlt, d)
            taken += 1

    new = {c.name: 0 for c in arm.cohorts}
    dlts = {c.name: 0 for c in arm.cohorts}
    late = {c.name: 0 for c in arm.cohorts}
    for p in data.extension:
        _check_extension_patient(p, sel, design.doses, data.source, unit)
        if dated:
            outcomes_until(clocks[id(p)].entry)
        name = p.expansion
        new[name] += 1
        dlts[name] += p.dlt
        if not counters[name].add(p.efficacy):
            late[name] += 1
            what = (
                "the extension stopped for safety"
                if counters[name].decision == CohortDecision.SAFETY
                else f"cohort {name!r} stopped ({DECISION_WORDS[counters[name].decision]})"
            )
            warnings.append(
                f"patient {p.patient_id}{_line(p)} was enrolled after {what}; not counted by the rule"
            )
        if not dated:
            outcome(p, p.dlt)
    if dated:
        outcomes_until(as_of)

    states = []
    for c in arm.cohorts:
        k = counters[c.name]
        states.append(
            CohortState(
                name=c.name,
                rule=c.rule.describe(),
                count_escalation=c.count_escalation,
                escalation_counted=carried[c.name],
                new_patients=new[c.name],
                counted=len(k.counted),
                responses=sum(bool(r) for r in k.counted),
                pending=sum(r is None for r in k.counted),
                dlts=dlts[c.name],
                decision=k.decision,
                decided_look=k.decided_look,
                next_look=k.looks[k.look] if k.decision is None else None,
                after_decision=late[c.name],
                waiting=k.waiting and k.decision is None,
            )
        )
    next_stop = None
    if monitor is not None and stopped_after is None:
        next_stop = monitor.stop_boundary(n_safe + 1)
    safety = SafetyState(
        monitor,
        n_safe,
        y_safe,
        stopped_after is not None,
        stopped_after,
        next_stop,
        pending_safety,
        None if stopped_on is None else str(stopped_on),
    )
    if any(s.decision is None for s in states):
        phase = ArmPhase.EXTENSION
    else:
        phase = ArmPhase.COMPLETE
    return result(phase, opening, sel, **counts, cohorts=tuple(states), safety=safety)


def _line(p: Patient) -> str:
    return f" (line {p.line})" if p.line is not None else ""


def _check_extension_patient(p: Patient, sel: int, doses, source: str, unit: str) -> None:
    if p.dose != sel:
        where = f"{source or 'data'}, line {p.line}, column 'dose'" if p.line else f"patient {p.patient_id}"
        raise DataError(
            f"{where}: extension patient {p.patient_id} was treated at {unit} {doses[p.dose]}, but the "
            f"escalation selected {unit} {doses[sel]}; expansion cohorts are treated at the selected "
            f"{unit}: correct the dose (or the escalation data)"
        )
