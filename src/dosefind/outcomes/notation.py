"""The outcome notation: ``"1NNN 2NTN"`` is a cohort of three at dose level 1 without DLT, then a
cohort of three at level 2 where the second patient had a DLT.

Each whitespace-separated item is an escalation cohort (a dose, then one letter per patient) or, for a
phase I/II arm, a run of extension patients (an expansion cohort's name in brackets, a dose, then one
letter per patient). Letters are case-insensitive; an empty string is a trial with no patients yet. The
text may span several lines; errors give the line and column (1-based) and the cohort or run.

* Dose: the 1-based dose level (``"2NTN"``); for a two-drug (combination) design the cell label
  ``"j.k"``, drug A level then drug B level, both 1-based (``"2.1NTN"``: level 2 of drug A with level 1 of
  drug B).
* Letters, toxicity-only designs: N (no DLT), T (DLT), and ``P<days>``: a patient still in the DLT window
  without a DLT, followed ``days`` days (``"1NNN 2NP21P6"``: at level 2 one patient complete without a
  DLT, two pending, followed 21 and 6 days). Designs that decide with pending patients (TITE-CRM,
  TITE-BOIN, rolling six) read them with the DLT window (``recommend --window-days``); other designs
  count them as treated without a DLT and say so. E, B and the response marks are refused.
* Letters, phase I/II data (``efficacy=True``, brockk/escalation's convention): E (response, no DLT),
  T (DLT, no response), N (neither), B (both). An N or T may carry a response mark: ``?`` (response not
  yet assessed) or ``-`` (assessed: no response). Whether responses are recorded at all is read from
  the text: if any E, B or mark appears, every patient's response is recorded (unmarked N and T then
  mean "no response", ``N?`` / ``T?`` "not yet assessed"); if none does, responses are absent (unknown
  for every patient), never taken as "no response". So ``"1NNN 2NTN"`` has no response data,
  ``"1NNE 2N?TN"`` has them (one response, one not yet assessed), and ``"1N-N-N-"`` says that three
  assessed patients did not respond.
* Extension patients of a phase I/II arm (``expansion_cohorts``: the arm's [[cohorts]] names): a run
  ``[name]dose letters`` holds consecutive extension patients of one expansion cohort at one dose, in
  treatment order, e.g. ``"[biomarker]2.2EN?N [histology]2.2NNT [biomarker]2.2B"``. Runs come after
  every escalation cohort (escalation ends before the extension starts) and keep the order in which
  patients of different expansion cohorts were treated (the safety monitor reads that order). Names are
  matched exactly, else ignoring case and surrounding spaces; inside the brackets ``\\]`` and ``\\\\``
  write a ``]`` and a backslash. The dose is written out (it must be the dose the escalation selected,
  which :mod:`dosefind.live.arm` checks).

Patients get ids ``"c<cohort>p<position>"`` (escalation, 1-based) and ``"x<i>"`` (the i-th extension
patient, 1-based). :meth:`~dosefind.outcomes.trial.TrialData.to_notation` writes any trial data in this
notation, responses and extension included, so that parsing the text gives the same cohorts, doses,
DLTs, responses and expansion cohorts (patient ids, dates and file lines are not part of the notation).
"""

from __future__ import annotations

import re

from ..errors import DataError
from .trial import (
    BOTH,
    DLT,
    EFFICACY,
    NO_DLT,
    NO_RESPONSE,
    NOT_ASSESSED,
    PENDING,
    CohortData,
    Patient,
    TrialData,
)

_TOKEN = re.compile(r"^(\d+(?:\.\d+)?)([A-Za-z?\-][A-Za-z?\-0-9.]*)?$")
_PENDING = re.compile(r"(\d+)")
_MARKS = (NOT_ASSESSED, NO_RESPONSE)


def parse_outcomes(
    text: str,
    dose_labels: tuple[str, ...] | int,
    efficacy: bool = False,
    cells: bool = False,
    expansion_cohorts: tuple[str, ...] | None = None,
) -> TrialData:
    """Parse the outcome notation for a design with the given dose labels (or number of doses).

    With ``efficacy`` false, E, B and the response marks are refused with a message saying they belong to
    phase I/II (efficacy) data. With ``cells`` the dose labels are a grid's cell labels ``"j.k"`` and
    tokens name cells by label. ``expansion_cohorts`` are the names of a phase I/II arm's expansion
    cohorts (implies ``efficacy``); without them extension runs are refused.
    """
    if isinstance(dose_labels, int):
        dose_labels = tuple(str(i + 1) for i in range(dose_labels))
    if not isinstance(text, str):
        raise DataError(f"outcomes: expected text such as '1NNN 2NTN', got {text!r}")
    if expansion_cohorts is not None:
        efficacy = True
    letters_hint = (
        "N = neither, T = DLT, E = response, B = both; after N or T, ? = response not yet assessed, "
        "- = no response"
        if efficacy
        else "N = no DLT, T = DLT"
    )
    example = "2.1NTN" if cells else "2NTN"
    # first pass, per item: (expansion cohort or None, dose, [[letter, mark], ...]); responses are read
    # once the whole text is known (any E, B or mark anywhere records them)
    items = []
    first_run: str | None = None
    n_cohorts = n_runs = 0
    for start, name, name_col, body_start, body in _items(text):
        at = _position(text, body_start)
        if name is None:
            n_cohorts += 1
            what = f"cohort {n_cohorts} ('{body}')"
            if first_run is not None:
                raise DataError(
                    f"outcomes, {at}, {what}: an escalation cohort after the extension started "
                    f"({first_run}); escalation ends before the expansion cohorts start: write every "
                    "escalation cohort first, then the extension runs [name]dose letters"
                )
            where = f"outcomes, {at}, {what}"
            expansion = None
        else:
            n_runs += 1
            shown = text[start : body_start + len(body)]
            what = f"extension run {n_runs} ('{shown}')"
            where = f"outcomes, {_position(text, start)}, {what}"
            if first_run is None:
                first_run = f"{what} at {_position(text, start)}"
            if name.strip().casefold() == "backfill" and expansion_cohorts is None:
                raise DataError(
                    f"outcomes, {_position(text, start)}, {what}: backfill patients count by the day their "
                    "outcome was known, which the notation does not write; give the data as a CSV file with "
                    "dates and rows with phase = backfill, and --as-of"
                )
            expansion = _expansion(
                name, expansion_cohorts, efficacy, f"outcomes, {_position(text, name_col)}, {what}"
            )
            if not body:
                raise DataError(f"{where}: no dose after [{name}]; write e.g. '[{name}]{example}'")
            where = f"outcomes, {at}, {what}"
        m = _TOKEN.match(body)
        if m is None:
            unit = "a cell j.k" if cells else "a dose level"
            raise DataError(
                f"{where}: expected {unit} then one letter per patient, e.g. '{example}'; "
                "separate cohorts with spaces"
            )
        dose = _dose(m.group(1), dose_labels, cells, where)
        letters = m.group(2) or ""
        if not letters:
            raise DataError(f"{where}: no patients; add one letter per patient ({letters_hint})")
        offset = body_start + len(m.group(1))
        patients: list[list] = []
        i = 0
        while i < len(letters):
            raw = letters[i]
            ch = raw.upper()
            here = f"outcomes, {_position(text, offset + i)}, {what}"
            i += 1
            if ch == PENDING:
                days = _PENDING.match(letters, i)
                if efficacy:
                    raise DataError(
                        f"{here}: 'P' (a patient still in the DLT window) is not read in phase I/II data "
                        "yet; write the patient's outcome when it is known"
                    )
                if days is None:
                    raise DataError(
                        f"{here}: 'P' needs the whole days the patient has been followed, e.g. 'P12' "
                        "(pending, followed 12 days, no DLT so far)"
                    )
                patients.append([PENDING, "", float(days.group(1))])
                i = days.end()
                continue
            if ch.isdigit() or ch == ".":
                raise DataError(
                    f"{here}: a number where an outcome letter belongs; days follow only 'P' (e.g. 'P12')"
                )
            if ch in _MARKS:
                if not efficacy:
                    raise DataError(
                        f"{here}: '{ch}' marks a response (efficacy) as {_mark_word(ch)}, which this "
                        "toxicity-only design does not use; write N (no DLT) or T (DLT)"
                    )
                if not patients:
                    raise DataError(f"{here}: '{ch}' must follow an outcome letter N or T, e.g. 'N{ch}'")
                if patients[-1][1]:
                    raise DataError(f"{here}: a second response mark; give one mark per patient at most")
                if patients[-1][0] in (EFFICACY, BOTH):
                    raise DataError(
                        f"{here}: '{patients[-1][0]}{ch}' contradicts itself ({patients[-1][0]} records a "
                        f"response); write {patients[-1][0]} for a response, N{ch} or T{ch} otherwise"
                    )
                patients[-1][1] = ch
                continue
            if ch in (EFFICACY, BOTH) and not efficacy:
                raise DataError(
                    f"{here}: '{ch}' records a response (efficacy), which this toxicity-only design "
                    "does not use; write N (no DLT) or T (DLT)"
                )
            if ch not in (NO_DLT, DLT, EFFICACY, BOTH):
                raise DataError(f"{here}: '{raw}' is not an outcome; write {letters_hint}")
            patients.append([ch, "", None])
        items.append((expansion, dose, patients))
    recorded = efficacy and any(
        letter in (EFFICACY, BOTH) or mark for _, _, patients in items for letter, mark, _days in patients
    )

    def patient(pid, dose, letter, mark, days, cohort, expansion):
        eff = None
        if recorded and mark != NOT_ASSESSED:
            eff = letter in (EFFICACY, BOTH)
        return Patient(pid, dose, letter in (DLT, BOTH), cohort, eff, expansion=expansion, pending_days=days)

    cohorts = []
    extension = []
    for expansion, dose, patients in items:
        if expansion is None:
            k = len(cohorts) + 1
            cohorts.append(
                CohortData(
                    dose,
                    tuple(
                        patient(f"c{k}p{i}", dose, letter, mark, days, str(k), None)
                        for i, (letter, mark, days) in enumerate(patients, start=1)
                    ),
                )
            )
        else:
            for letter, mark, days in patients:
                extension.append(patient(f"x{len(extension) + 1}", dose, letter, mark, days, None, expansion))
    return TrialData(tuple(dose_labels), tuple(cohorts), "notation", cells, tuple(extension))


def _mark_word(mark: str) -> str:
    return "not yet assessed" if mark == NOT_ASSESSED else "no response"


def _items(text: str):
    """(start, name or None, name start, body start, body) of every item, in order.

    An item is ``body`` (an escalation cohort) or ``[name]body`` (an extension run, optional whitespace
    after the bracket); a body runs to the next whitespace or ``[``.
    """
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start = i
        name = None
        name_col = i
        if text[i] == "[":
            chars: list[str] = []
            i += 1
            name_col = i
            while True:
                if i >= n or text[i] == "\n":
                    raise DataError(
                        f"outcomes, {_position(text, start)}: '[' opens an expansion cohort's name that is "
                        "never closed; write [name]dose letters, e.g. '[biomarker]2.2ENN'"
                    )
                if text[i] == "\\" and i + 1 < n and text[i + 1] in "\\]":
                    chars.append(text[i + 1])
                    i += 2
                    continue
                if text[i] == "]":
                    i += 1
                    break
                chars.append(text[i])
                i += 1
            name = "".join(chars)
            while i < n and text[i] in " \t":
                i += 1
        body_start = i
        while i < n and not text[i].isspace() and text[i] != "[":
            i += 1
        yield start, name, name_col, body_start, text[body_start:i]


def _position(text: str, index: int) -> str:
    """``"line L, column C"`` (1-based) of a character index of ``text``."""
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"line {line}, column {column}"


def _expansion(name: str, expansion_cohorts, efficacy: bool, where: str) -> str:
    """The arm's expansion cohort a run names."""
    if expansion_cohorts is None:
        if not efficacy:
            raise DataError(
                f"{where}: extension patients belong to a phase I/II arm; give --design an arm file "
                "(with [[cohorts]]), or remove the extension runs"
            )
        raise DataError(
            f"{where}: extension patients need the arm's expansion cohorts to be named; pass "
            "expansion_cohorts (the arm's [[cohorts]] names) when parsing the notation"
        )
    names = ", ".join(repr(x) for x in expansion_cohorts)
    if not name.strip():
        raise DataError(f"{where}: empty expansion cohort name; write one of the arm's cohorts: {names}")
    if name in expansion_cohorts:
        return name
    folded = {x.strip().casefold(): x for x in expansion_cohorts}
    if name.strip().casefold() in folded:
        return folded[name.strip().casefold()]
    raise DataError(f"{where}: unknown expansion cohort {name!r}; the arm's cohorts are {names}")


def _dose(text: str, dose_labels: tuple[str, ...], cells: bool, where: str) -> int:
    """0-based dose index of a token's dose part (a level number, or a cell label with ``cells``)."""
    D = len(dose_labels)
    if cells:
        if "." not in text:
            raise DataError(
                f"{where}: name the cell as j.k (drug A level, drug B level), e.g. '{text}.1' or '1.{text}'"
            )
        j, k = (int(x) for x in text.split("."))
        label = f"{j}.{k}"
        if label not in dose_labels:
            raise DataError(
                f"{where}: cell {label} does not exist; this grid has cells {dose_labels[0]} to "
                f"{dose_labels[-1]}"
            )
        return dose_labels.index(label)
    if "." in text:
        raise DataError(
            f"{where}: {text!r} is not a dose level (cells j.k belong to two-drug designs); "
            f"write a whole level number 1 to {D}"
        )
    level = int(text)
    if not 1 <= level <= D:
        raise DataError(f"{where}: dose level {level} does not exist; this design has levels 1 to {D}")
    return level - 1
