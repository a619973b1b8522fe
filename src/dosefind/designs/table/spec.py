"""The table-driven family's spec: a design that compiles an action table and lets the family's kernel
(``engine/table.py``) execute it.

A member of the family subclasses :class:`TableDesign`, gives its ``kind`` and fields, and implements
:meth:`TableDesign.action_table`: for every n = 1..n_cap patients at the current dose and y = 0..n DLTs
among them, one of ``layout.TABLE_STAY`` (S), ``TABLE_ESCALATE`` (E), ``TABLE_DEESCALATE`` (D) or
``TABLE_ELIMINATE`` (DU). Interval designs (TPI, mTPI, mTPI-2, Keyboard, i3+3) and committee-approved
decision tables are such designs; the family's home (:mod:`.home`) gives every member a decision table,
explanations, a beta-binomial posterior table with the selection's isotonic estimate, and pathways,
without a line of its own. A member may report its own reason codes for the four actions
(``action_reasons``), declared with their names in ``declared_reasons`` (codes 100-127).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ...constants import DESIGN_REASON_CODES, DesignKind, Reason
from ...errors import SpecError
from .. import layout as L
from ..base import Design

ACTIONS = (L.TABLE_STAY, L.TABLE_ESCALATE, L.TABLE_DEESCALATE, L.TABLE_ELIMINATE)


@dataclass(frozen=True, kw_only=True)
class TableDesign(Design):
    """Base of the table-driven designs (not a design by itself: it has no ``kind``)."""

    #: reason codes the kernel reports for E, S, D and DU (in that order)
    action_reasons: ClassVar[tuple[int, int, int, int]] = (
        int(Reason.TABLE_ESCALATE),
        int(Reason.TABLE_STAY),
        int(Reason.TABLE_DEESCALATE),
        int(Reason.TABLE_DEESCALATE_ELIMINATED),
    )
    #: a member's own reason codes (from 100 to 127) and their UPPER_CASE names
    declared_reasons: ClassVar[dict[int, str]] = {}

    def action_table(self, n_cap: int) -> np.ndarray:
        """int8 [n_cap + 1, n_cap + 1]: the action for n patients and y DLTs at the current dose."""
        raise NotImplementedError

    def decision_prior(self) -> tuple[float, float]:
        """The Beta prior of each dose's DLT rate that the design's decisions use (the posterior table
        of ``recommend`` and the PyMC model show it): Beta(1, 1) unless the member has its own."""
        return 1.0, 1.0

    def tabulated_n(self, max_n: int) -> tuple[int, ...]:
        """The numbers of patients the decision table shows (every n up to max_n unless the member's
        table leaves some out)."""
        return tuple(range(1, max_n + 1))

    def selection(self) -> tuple[float, float, int, int]:
        """The final selection the family's kernel applies: (a, b, weights, ties), the isotonic fit of
        (y + a) / (n + a + b) weighted by n (``layout.TABLE_WEIGHTS_N``) or by the inverse posterior
        variance, ties by ``layout.TABLE_TIES_*``. Default: observed rates weighted by n, BOIN's ties."""
        return 0.0, 0.0, L.TABLE_WEIGHTS_N, L.TABLE_TIES_INCREMENT

    def selection_note(self) -> str:
        """One sentence on the final selection, for the decision table's notes."""
        a, b, weights, ties = self.selection()
        if a == 0 and b == 0:
            what = "isotonic estimate of the DLT rate (y/n"
        else:
            what = f"isotonic estimate of the DLT rate (posterior means under Beta({a:g}, {b:g})"
        how = "pooled by n)" if weights == L.TABLE_WEIGHTS_N else "pooled by inverse posterior variance)"
        tie = {
            L.TABLE_TIES_INCREMENT: "ties go to the lower dose above the target and the higher below it",
            L.TABLE_TIES_MEAN: (
                "among doses equally close, the highest if their estimates lie below the target on "
                "average, else the lowest"
            ),
            L.TABLE_TIES_BELOW: "among doses equally close, the highest below the target, else the lowest",
        }[ties]
        return (
            f"The MTD is the tried, non-eliminated dose whose {what} {how} is closest to the target "
            f"{self.target:g}; {tie}."
        )

    def _compile_base(self, ip, fp, tables, n_cap):
        table = np.asarray(self.action_table(n_cap))
        if table.shape != (n_cap + 1, n_cap + 1):
            raise SpecError(
                "design",
                f"the action table has shape {table.shape}, expected ({n_cap + 1}, {n_cap + 1})",
                "return one row per number of patients 0..n_cap and one column per number of DLTs",
            )
        for n in range(1, n_cap + 1):
            row = table[n, : n + 1]
            bad = [int(y) for y in np.flatnonzero(~np.isin(row, ACTIONS))]
            if bad:
                raise SpecError(
                    "design",
                    f"the action for {n} patients and {bad[0]} DLTs is {int(row[bad[0]])}, not an action",
                    "use layout.TABLE_STAY, TABLE_ESCALATE, TABLE_DEESCALATE or TABLE_ELIMINATE",
                )
        for code in self.action_reasons:
            if int(code) in DESIGN_REASON_CODES and int(code) not in self.declared_reasons:
                raise SpecError(
                    "design",
                    f"reason code {code} is not declared",
                    "add it to declared_reasons with its name",
                )
        ip[L.IP_KIND] = DesignKind.TABLE
        (
            ip[L.IP_TABLE_REASON_ESCALATE],
            ip[L.IP_TABLE_REASON_STAY],
            ip[L.IP_TABLE_REASON_DEESCALATE],
            ip[L.IP_TABLE_REASON_ELIMINATE],
        ) = self.action_reasons
        a, b, weights, ties = self.selection()
        fp[L.FP_TABLE_SELECT_A], fp[L.FP_TABLE_SELECT_B] = a, b
        ip[L.IP_TABLE_SELECT_WEIGHTS], ip[L.IP_TABLE_SELECT_TIES] = weights, ties
        tables.append(np.ascontiguousarray(table, dtype=np.int8))
        return np.zeros((1, 1), dtype=np.float64)
