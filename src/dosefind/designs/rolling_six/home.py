"""Rolling six above the engine: its reason codes as sentences and its decision grid, complete and with
pending patients, read from the engine's kernel (the spec: :mod:`.spec`; the kernel:
``engine/rolling_six.py``). Its posterior table is the house default (beta-binomial)."""

from __future__ import annotations

import numpy as np

from ...constants import Reason
from ...report import decision_table as dt
from .. import layout as L
from ..home import DesignHome
from .spec import RollingSix

R = Reason
REASONS = (R.R6_SAME, R.R6_ESCALATE, R.R6_HOLD, R.R6_DEESCALATE, R.R6_MTD, R.R6_ALL_TOXIC, R.R6_FILL_CLOSED)

#: largest number of patients enrolled at one level
R6_N_PER_LEVEL = 6

R6_LABELS = {
    dt.Action.ESCALATE: "escalate (the MTD here if the level above is closed and 6 are enrolled)",
    dt.Action.STAY: "enrol at the same level",
    dt.Action.ELIMINATE: "de-escalate: close this level and every level above",
}


class RollingSixHome(DesignHome):
    def reason_codes(self, design):
        return REASONS

    def explain(self, design: RollingSix, reason, n_at, tox_at, cur, proposed, detail=None):
        lab = design.doses
        n, y = int(n_at[cur]), int(tox_at[cur])
        here = f"level {lab[cur]}"
        if reason == R.R6_SAME:
            return f"{y} DLT(s) in {n} enrolled at {here}: enrol the next patient at {here}"
        if reason == R.R6_ESCALATE:
            return f"{y} DLT(s) in {n} enrolled at {here}, results complete enough to escalate: escalate"
        if reason == R.R6_HOLD:
            return f"{n} enrolled at {here} with results pending that could still decide: suspend accrual"
        if reason == R.R6_DEESCALATE:
            return f"2 or more DLTs at the level above: it is closed; continue at {here} ({y} DLT(s) in {n})"
        if reason == R.R6_MTD:
            return (
                f"{y} DLT(s) in {n} at {here} and the level above is closed (or this is the top): MTD, stop"
            )
        if reason == R.R6_ALL_TOXIC:
            return f"{y} DLTs in {n} at the lowest level: no tolerable level, stop"
        if reason == R.R6_FILL_CLOSED:
            return (
                f"{y} DLT(s) in {n} at {here}; the level above is closed (or this is the top): "
                f"fill {here} towards 6"
            )
        return None

    def admissible_as_of(self, design, tox_at, cur):
        """A level with 2 or more DLTs seen was closed, with every level above (the current one is
        re-decided by the grid itself)."""
        admissible = np.ones(design.n_doses, dtype=np.int8)
        for d in range(design.n_doses):
            if tox_at[d] >= 2 and d != cur:
                admissible[d:] = 0
                break
        return admissible

    def live_warnings(self, design, data):
        if not data.cohorts:
            return []
        return [
            "rolling six: every patient in the data is read as having completed the DLT window (dates and "
            "pending patients are not read yet); the recommendation is rolling six's only if that is so"
        ]

    def decision_table(self, design: RollingSix, max_n):
        return r6_table(design, dt.check_max_n(max_n, min(design.max_n, R6_N_PER_LEVEL), low=1))


def r6_action(design: RollingSix, n: int, d: int, p: int) -> tuple[dt.Action, bool]:
    """(action, suspend) at a middle level whose neighbours are open and untried, asked of the kernel."""
    from ...engine.rolling_six import decide_rolling_six

    c = design.compile()
    ip = c.ip.copy()
    ip[L.IP_N_DOSES] = 3
    nxt, _status, reason, hold = decide_rolling_six(
        ip,
        np.array([0, n, 0], dtype=np.int64),
        np.array([0, d, 0], dtype=np.int64),
        np.array([0, p, 0], dtype=np.int64),
        np.ones(3, dtype=np.int8),
        1,
    )
    if nxt == 2:
        return dt.Action.ESCALATE, False
    if nxt == 0:
        return dt.Action.ELIMINATE, False
    return dt.Action.STAY, hold == 1


def r6_table(design: RollingSix, max_n: int) -> dt.DecisionTable:
    ns = tuple(range(1, max_n + 1))
    rows = []
    pending = []
    for n in ns:
        for d in range(n + 1):
            action, _ = r6_action(design, n, d, 0)
            rows.append(dt.DecisionRow(n, d, action, R6_LABELS[action]))
            for p in range(1, n - d + 1):
                act, hold = r6_action(design, n, d, p)
                pending.append(dt.PendingRow(n, d, p, None if hold else act, suspend=hold))
    source = {
        "frankel2020": "Frankel et al., JAMA Netw Open 2020;3(5):e204787, Table 2 ('Rolling 6')",
        "labja": "the labja/RollingSix R package's lookup table",
    }[design.rules]
    notes = (
        "n is the number of patients enrolled at the current level (at most 6), y the DLTs seen among them "
        "and m those still in their DLT window without one; a decision is taken at every arrival.",
        f"Grid: rules = {design.rules!r}, {source}; docs/notes/rolling-six-rules.md lists every cell, its "
        "sources and the four cells where the two published versions differ.",
        "With 6 enrolled the grid never says 'same level': it escalates, de-escalates or suspends accrual.",
        "When the level above is closed (de-escalated from) or this is the top level, E means: with 6 "
        "enrolled (or, by rules 'frankel2020', 5 evaluable without a DLT) this level is the MTD and the "
        "trial "
        "stops; with fewer, enrol at the same level.",
        "DU closes the level and every level above; the decision is taken again one level down on that "
        "level's data (at the lowest level the trial stops with no MTD).",
        f"The trial stops when {design.max_n} patients in total have been enrolled (max_n); the MTD is then "
        "the highest open level with at most 1 DLT in 6 or more, or none in 3 or more.",
    )
    return dt.DecisionTable(
        design.name,
        design.kind,
        design.target,
        max_n,
        ns,
        tuple(rows),
        (),
        notes,
        design.config_hash(),
        action_labels=R6_LABELS,
        pending=tuple(pending),
    )
