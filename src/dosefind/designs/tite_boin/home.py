"""TITE-BOIN above the engine: BOIN's home (sentences, isotonic estimate, decision table) plus the
suspension sentences and the decision table with pending patients (the spec: :mod:`.spec`; the kernel:
``engine/tite_boin.py``). ``recommend`` reads data without dates, every patient complete: there a
TITE-BOIN decides as BOIN."""

from __future__ import annotations

import numpy as np

from ...constants import Reason
from ...report import decision_table as dt
from .. import layout as L
from ..boin.home import REASONS as BOIN_REASONS
from ..boin.home import BoinHome, boin_table
from .spec import TiteBoin

R = Reason


class TiteBoinHome(BoinHome):
    def reason_codes(self, design):
        return BOIN_REASONS + (R.TITE_SUSPEND, R.TITE_SUSPEND_BOTTOM)

    def explain(self, design: TiteBoin, reason, n_at, tox_at, cur, proposed, detail=None):
        here = f"dose {design.doses[cur]}"
        if reason == R.TITE_SUSPEND:
            return (
                f"more than {design.max_pending:g} of the patients at {here} are still in their DLT window: "
                "suspend accrual until their results come in"
            )
        if reason == R.TITE_SUSPEND_BOTTOM:
            return (
                f"the estimate at {here}, the lowest dose, is at or above lambda_d with patients still in "
                "their window: suspend accrual until their results come in"
            )
        return super().explain(design, reason, n_at, tox_at, cur, proposed, detail)

    def pending_sentence(self, design, n, y, m, stft, decision):
        return tite_boin_sentence(design, n, y, m, stft, decision)

    def live_warnings(self, design, data):
        if not data.cohorts:
            return []
        return [
            "TITE-BOIN: every patient in the data is read as having completed the DLT window (dates and "
            "pending patients are not read yet); the recommendation is the TITE-BOIN's only if that is so"
        ]

    def decision_table(self, design: TiteBoin, max_n):
        n_max = dt.check_max_n(max_n, design.max_n, low=1)
        table = boin_table(design, n_max)
        ns = tuple(n for n in range(1, n_max + 1) if n % design.cohort_size == 0) or (n_max,)
        pending = tuple(r for r in pending_rows(design, ns) if r.action != dt.Action.ELIMINATE)
        lam_e, lam_d = design.boundaries
        if design.version == "ess":
            how = (
                f"estimate y / (n - m + STFT) (effective sample size, Lin & Yuan 2020): escalate if it is "
                f"<= {lam_e:.4f}, de-escalate if >= {lam_d:.4f}; with y = 0, escalate"
            )
        else:
            how = (
                f"estimate (y + q (m - STFT)) / n, q = p~ / (1 - p~), p~ = (y + {design.target / 2:g}) / "
                f"(n - m + 1) (imputation, Yuan et al. 2018): escalate if it is <= {lam_e:.4f}, "
                f"de-escalate if >= {lam_d:.4f}"
            )
        rule = (
            "always"
            if design.suspend_rule == "always"
            else "unless every outcome of the pending patients gives the same decision"
        )
        notes = (
            f"Pending patients (rows at n = the decision points): {how}. Accrual is suspended when more than "
            f"{design.max_pending:g} x n patients are pending, {rule}.",
            "Elimination reads every patient treated (pending ones included) and the DLTs seen so far: rows "
            "the complete table marks DU are DU whatever is pending (not repeated).",
        )
        if design.version == "ess":
            notes += (
                "At the lowest dose a de-escalation with patients pending suspends accrual (TITEgBOIN); at "
                "the highest dose E means stay.",
            )
        return dt.DecisionTable(
            table.design,
            table.kind,
            table.target,
            table.max_n,
            table.n_treated,
            table.rows,
            table.boundaries,
            table.notes + notes,
            table.config_hash,
            action_labels=table.action_labels,
            pending=pending,
        )


def pending_rows(design: TiteBoin, ns) -> tuple[dt.PendingRow, ...]:
    """The decision for every n in ``ns``, y DLTs seen and m >= 1 pending (y + m <= n) at a middle dose,
    asked of the engine's kernel (suspension, elimination, determined decisions) with the STFT thresholds
    solved from the estimate (checked against the kernel on a grid of STFT in the tests)."""
    from ...engine.tite_boin import decide_tite_boin

    c = design.compile(max(max(ns), design.max_n))
    lam_e, lam_d = design.boundaries
    out = []
    for n in ns:
        for y in range(n):
            for m in range(1, n - y + 1):
                n_at = np.array([0, n, 0], dtype=np.int64)
                tox_at = np.array([0, y, 0], dtype=np.int64)
                pend = np.array([0, m, 0], dtype=np.int64)
                ip = c.ip.copy()
                ip[L.IP_N_DOSES] = 3
                moves = set()
                hold = False
                for s in (0.0, 0.5 * m, m * (1 - 1e-12)):
                    adm = np.ones(3, dtype=np.int8)
                    stft = np.array([0.0, s, 0.0])
                    nxt, status, reason, h = decide_tite_boin(
                        ip, c.fp, c.tables, n_at, tox_at, pend, stft, adm, 1
                    )
                    if reason in (R.BOIN_DEESCALATE_ELIMINATED, R.BOIN_LOWEST_ELIMINATED):
                        moves.add("DU")
                    hold = hold or h == 1
                    moves.add(int(nxt) - 1)
                if "DU" in moves:
                    out.append(dt.PendingRow(n, y, m, dt.Action.ELIMINATE))
                    continue
                if hold:
                    out.append(dt.PendingRow(n, y, m, None, suspend=True))
                    continue
                s_e, s_d = stft_thresholds(design, n, y, m, lam_e, lam_d)
                if len(moves) == 1 or (s_e is None and s_d is None):
                    action = {1: dt.Action.ESCALATE, 0: dt.Action.STAY, -1: dt.Action.DEESCALATE}[moves.pop()]
                    out.append(dt.PendingRow(n, y, m, action))
                else:
                    out.append(
                        dt.PendingRow(n, y, m, None, escalate_stft_at_least=s_e, deescalate_stft_at_most=s_d)
                    )
    return tuple(out)


def stft_thresholds(design: TiteBoin, n, y, m, lam_e, lam_d):
    """(escalate if STFT >=, de-escalate if STFT <=) within [0, m) for a decision set by STFT; None where
    the move cannot happen there (the estimate decreases in STFT)."""
    if m > design.max_pending * n and design.suspend_rule == "unless_determined":
        return None, None
    if design.version == "ess":
        if y == 0:
            return None, None
        s_e = y / lam_e - (n - m)
        s_d = y / lam_d - (n - m)
    else:
        pt = (y + design.target / 2) / (n - m + 1)
        q = pt / (1 - pt)
        s_e = m - (n * lam_e - y) / q
        s_d = m - (n * lam_d - y) / q
    e = s_e if 0 < s_e < m else None
    d = s_d if 0 <= s_d < m else None
    return e, d


def tite_boin_sentence(design: TiteBoin, n: int, y: int, m: int, stft: float, decision: str) -> str:
    """TITE-BOIN's estimate with m of the n patients pending, against its boundaries, in words."""
    lam_e, lam_d = design.boundaries
    if design.version == "ess":
        est = y / (n - m + stft) if y else 0.0
        how = f"{y}/({n} - {m} + {stft:.2f}) = {est:.3f} (effective sample size)"
    else:
        pt = (y + design.target / 2) / (n - m + 1)
        est = (y + pt / (1 - pt) * (m - stft)) / n
        how = f"({y} + {pt / (1 - pt):.3f} x ({m} - {stft:.2f}))/{n} = {est:.3f} (pending DLTs imputed)"
    cmp = "<=" if est <= lam_e else (">=" if est >= lam_d else "between")
    bound = f"lambda_e {lam_e:.3f}" if cmp == "<=" else (f"lambda_d {lam_d:.3f}" if cmp == ">=" else "")
    if cmp == "between":
        return f"estimated DLT rate {how} between lambda_e {lam_e:.3f} and lambda_d {lam_d:.3f}: {decision}"
    return f"estimated DLT rate {how} {cmp} {bound}: {decision}"
