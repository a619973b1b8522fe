"""Observed trial data: patients grouped into cohorts, in the order they were treated.

Dose indices are 0-based here; the notation and data files use 1-based dose levels or dose labels. For a
two-drug (combination) design the doses are the grid's cells, labelled ``"j.k"`` (``cells=True``); the
notation then names a cohort's cell by its label ("2.1NNT") instead of a level number.

Responses (phase I/II arms): ``Patient.efficacy`` is True (responded), False (did not) or None (not
recorded or not yet assessed). An unknown response is never read as "no response": the arm's live rules
wait for it (see :mod:`dosefind.live.arm`).

A phase I/II arm's data also hold the patients of its expansion cohorts (``TrialData.extension``, in
treatment order, each with the name of its expansion cohort in ``Patient.expansion``); ``cohorts`` are
always the escalation cohorts.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from enum import Enum

import numpy as np

#: Outcome letters of the notation (toxicity-only designs use N and T; phase I/II data add E = response
#: without DLT and B = both, brockk/escalation's convention; N is then "neither", T "DLT only").
NO_DLT, DLT, EFFICACY, BOTH = "N", "T", "E", "B"
#: Response marks after N or T in phase I/II notation: response not yet assessed, assessed without response.
NOT_ASSESSED, NO_RESPONSE = "?", "-"
#: a patient still in the DLT window, written P<days followed> in the notation
PENDING = "P"

#: How live decisions get their tie-breaking uniform from the data (recorded with every recommendation).
TIE_UNIFORM_RULE = "u = (int(sha256('dosefind u_tie ' + data_hash)[:13], 16) + 0.5) / 16**13"


#: the canonical JSON the content hashes are taken of
_canonical = functools.partial(json.dumps, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def tie_uniform(content_hash: str) -> float:
    """The tie-breaking uniform of a live decision, from the content hash of the data it is made on."""
    digest = hashlib.sha256(f"dosefind u_tie {content_hash}".encode()).hexdigest()
    return (int(digest[:13], 16) + 0.5) / 16**13


class Phase(str, Enum):
    """The part of a phase I/II arm a patient was treated in (the ``phase`` column of a data file)."""

    ESCALATION = "escalation"
    EXTENSION = "extension"
    BACKFILL = "backfill"  #: treated at a lower dose while an escalation cohort was under observation


@dataclass(frozen=True)
class Patient:
    patient_id: str
    dose: int  #: 0-based dose index
    dlt: bool
    cohort: str | None = None
    efficacy: bool | None = None
    dates: tuple[tuple[str, str], ...] = ()  #: (column, ISO date) pairs kept for the record
    line: int | None = None  #: line of the data file the patient came from
    expansion: str | None = None  #: expansion cohort of an extension patient (None: escalation)
    #: a patient still in the DLT window without a DLT, followed this many days (notation ``P<days>``);
    #: None: the outcome is complete (or read from the data's dates)
    pending_days: float | None = None
    backfill: bool = False  #: a backfill patient (designs with [design.backfill])

    @property
    def phase(self) -> Phase:
        if self.backfill:
            return Phase.BACKFILL
        return Phase.ESCALATION if self.expansion is None else Phase.EXTENSION

    @property
    def letter(self) -> str:
        if self.pending_days is not None:
            return f"P{self.pending_days:g}"
        if self.efficacy:
            return BOTH if self.dlt else EFFICACY
        return DLT if self.dlt else NO_DLT


@dataclass(frozen=True)
class CohortData:
    dose: int  #: 0-based dose index
    patients: tuple[Patient, ...]

    @property
    def n(self) -> int:
        return len(self.patients)

    @property
    def tox(self) -> int:
        return sum(p.dlt for p in self.patients)

    @property
    def outcomes(self) -> str:
        return "".join(p.letter for p in self.patients)


@dataclass(frozen=True)
class TrialData:
    """Cohorts of a real trial in treatment order, with the dose labels of the design they belong to."""

    dose_labels: tuple[str, ...]
    cohorts: tuple[CohortData, ...]
    source: str = ""  #: where the data came from ("notation" or a file name), for messages and reports
    cells: bool = False  #: the doses are cells "j.k" of a two-drug grid (the notation names them by label)
    extension: tuple[Patient, ...] = ()  #: expansion-cohort patients of an arm, in treatment order
    #: backfill patients (treated at lower doses while a cohort was under observation), in treatment order
    backfill: tuple[Patient, ...] = ()

    @property
    def n_doses(self) -> int:
        return len(self.dose_labels)

    @property
    def n_total(self) -> int:
        """Patients in the escalation cohorts."""
        return sum(c.n for c in self.cohorts)

    @property
    def n_extension(self) -> int:
        return len(self.extension)

    @property
    def patients(self) -> tuple[Patient, ...]:
        """The escalation patients, in treatment order."""
        return tuple(p for c in self.cohorts for p in c.patients)

    @property
    def has_pending(self) -> bool:
        """Whether the notation wrote some patient as pending (``P<days>``)."""
        return any(p.pending_days is not None for p in self.patients)

    @property
    def has_responses(self) -> bool:
        """Whether any patient's response is recorded."""
        return any(p.efficacy is not None for p in (*self.patients, *self.extension))

    def escalation(self, n_cohorts: int | None = None) -> TrialData:
        """The escalation part only (the first ``n_cohorts`` cohorts, default all), without the extension."""
        cohorts = self.cohorts if n_cohorts is None else self.cohorts[:n_cohorts]
        return TrialData(self.dose_labels, cohorts, self.source, self.cells)

    def tie_uniforms(self) -> list[float]:
        """The tie-breaking uniform of the decision after each escalation cohort: :func:`tie_uniform` of
        the data up to that cohort, so a later rerun replays the earlier decisions as they were made."""
        return [tie_uniform(h) for h in self.prefix_hashes()]

    def prefix_hashes(self) -> list[str]:
        """``escalation(k).content_hash`` for k = 1 .. number of cohorts, in one pass (linear in the data):
        the canonical JSON of the first k cohorts is a fixed head, the cohorts' own JSON joined by commas,
        and a fixed tail, so one running SHA-256 is copied and closed after each cohort."""
        whole = self.escalation().to_dict()
        tail = '],"dose_labels":' + _canonical(whole["dose_labels"]) + "}"
        running = hashlib.sha256(b'{"cohorts":[')
        out = []
        for i, cohort in enumerate(whole["cohorts"]):
            running.update((b"," if i else b"") + _canonical(cohort).encode("utf-8"))
            closed = running.copy()
            closed.update(tail.encode("utf-8"))
            out.append(closed.hexdigest())
        return out

    def dose_token(self, dose: int) -> str:
        """How the notation names a dose (0-based): its 1-based level, or a cell's label."""
        return self.dose_labels[dose] if self.cells else str(dose + 1)

    def counts(self) -> tuple[np.ndarray, np.ndarray]:
        """Patients and DLTs per dose (0-based arrays)."""
        n_at = np.zeros(self.n_doses, dtype=np.int64)
        tox_at = np.zeros(self.n_doses, dtype=np.int64)
        for c in self.cohorts:
            n_at[c.dose] += c.n
            tox_at[c.dose] += c.tox
        return n_at, tox_at

    def to_notation(self) -> str:
        """The outcome notation of the data (:mod:`dosefind.outcomes.notation`): escalation cohorts, e.g.
        ``"1NNN 2NTN"`` (1-based dose levels) or ``"1.1NNN 2.1NTN"`` (cells), then the extension patients
        as runs ``[name]dose letters`` (consecutive patients of one expansion cohort at one dose).

        Responses: none recorded, N/T only. Otherwise E/B for responders, N/T for patients without a
        response and ``N?``/``T?`` for those not yet assessed; if that leaves no E, B or ``?`` in the
        text (every response known, none positive), every N/T is written ``N-``/``T-`` so that the text
        still records the responses. Parsing the result gives back the same cohorts, doses, DLTs,
        responses and expansion cohorts. Backfill patients (read from dated CSV files only) are shown
        as ``[backfill]dose letter`` items after the escalation cohorts; the notation does not read them
        back (they count by their dates)."""
        everyone = (*self.patients, *self.extension)
        recorded = any(p.efficacy is not None for p in everyone)
        explicit = recorded and not any(p.efficacy is not False for p in everyone)

        def letters(patients) -> str:
            out = []
            for p in patients:
                out.append(p.letter)
                if recorded and p.efficacy is None:
                    out.append(NOT_ASSESSED)
                elif explicit:
                    out.append(NO_RESPONSE)
            return "".join(out)

        items = [f"{self.dose_token(c.dose)}{letters(c.patients)}" for c in self.cohorts]
        # backfill patients (read from dated CSV files only) are shown as [backfill] runs after escalation
        items += [f"[backfill]{self.dose_token(p.dose)}{letters((p,))}" for p in self.backfill]
        run: list[Patient] = []
        for p in (*self.extension, None):
            if run and (p is None or (p.expansion, p.dose) != (run[0].expansion, run[0].dose)):
                name = run[0].expansion.replace("\\", "\\\\").replace("]", "\\]")
                items.append(f"[{name}]{self.dose_token(run[0].dose)}{letters(run)}")
                run = []
            if p is not None:
                run.append(p)
        return " ".join(items)

    def to_dict(self) -> dict:
        return {
            "dose_labels": list(self.dose_labels),
            "cohorts": [
                {
                    "dose": self.dose_labels[c.dose],
                    "level": c.dose + 1,
                    "patients": [
                        {
                            "patient_id": p.patient_id,
                            "dlt": p.dlt,
                            **({"cohort": p.cohort} if p.cohort is not None else {}),
                            **({"efficacy": p.efficacy} if p.efficacy is not None else {}),
                            **({"dates": dict(p.dates)} if p.dates else {}),
                            **({"pending_days": p.pending_days} if p.pending_days is not None else {}),
                        }
                        for p in c.patients
                    ],
                }
                for c in self.cohorts
            ],
            # only when present, so the content hash of data without an extension is unchanged
            **({"extension": [self._extension_patient(p) for p in self.extension]} if self.extension else {}),
            **({"backfill": [self._backfill_patient(p) for p in self.backfill]} if self.backfill else {}),
        }

    def _backfill_patient(self, p: Patient) -> dict:
        return {
            "patient_id": p.patient_id,
            "dose": self.dose_labels[p.dose],
            "dlt": p.dlt,
            **({"efficacy": p.efficacy} if p.efficacy is not None else {}),
            **({"dates": dict(p.dates)} if p.dates else {}),
        }

    def _extension_patient(self, p: Patient) -> dict:
        return {
            "patient_id": p.patient_id,
            "expansion_cohort": p.expansion,
            "dose": self.dose_labels[p.dose],
            "dlt": p.dlt,
            "efficacy": p.efficacy,
            **({"dates": dict(p.dates)} if p.dates else {}),
        }

    @property
    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of the data (labels, cohorts, patients): the data's identity."""
        return hashlib.sha256(_canonical(self.to_dict()).encode("utf-8")).hexdigest()
