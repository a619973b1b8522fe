"""The table-driven family above the engine: what every member gets from its action table alone.

* explanations: the action the table gives for the counts at the current dose, or why the move was
  blocked (highest dose, next dose eliminated, lowest dose);
* its decision table, read from the compiled table the kernel reads (so it cannot differ from what is
  simulated), in the compact boundary form where the table has one;
* the beta-binomial posterior table (the house default, under the member's own prior: TPI's
  Beta(0.005, 0.005)) with the final selection's isotonic estimate;
* pathways with no randomness of its own (the default).

A member's home may subclass :class:`TableDesignHome` to word its own reason codes; nothing else is
needed.
"""

from __future__ import annotations

import numpy as np

from ...constants import Reason, reason_from_code
from ...errors import SpecError
from ...live.explain import rate_text
from ...report import decision_table as dt
from .. import layout as L
from ..home import DesignHome
from .spec import TableDesign

R = Reason
#: codes the family's kernel returns whatever the member (blocked moves, no dose left)
BLOCKED = (R.TABLE_STAY_TOP, R.TABLE_STAY_NEXT_ELIMINATED, R.TABLE_STAY_BOTTOM, R.TABLE_LOWEST_ELIMINATED)

ACTION_OF_CODE = {
    L.TABLE_STAY: dt.Action.STAY,
    L.TABLE_ESCALATE: dt.Action.ESCALATE,
    L.TABLE_DEESCALATE: dt.Action.DEESCALATE,
    L.TABLE_ELIMINATE: dt.Action.ELIMINATE,
}
TABLE_LABELS = {
    dt.Action.ESCALATE: "escalate",
    dt.Action.STAY: "stay",
    dt.Action.DEESCALATE: "de-escalate",
    dt.Action.ELIMINATE: "de-escalate and eliminate this and higher doses",
}
#: the order of TableDesign.action_reasons
REASON_ACTIONS = (dt.Action.ESCALATE, dt.Action.STAY, dt.Action.DEESCALATE, dt.Action.ELIMINATE)


class TableDesignHome(DesignHome):
    def reason_codes(self, design: TableDesign):
        return tuple(reason_from_code(c) for c in design.action_reasons) + BLOCKED

    def explain(self, design: TableDesign, reason, n_at, tox_at, cur, proposed, detail=None):
        lab = design.doses
        n, y = int(n_at[cur]), int(tox_at[cur])
        here = f"dose {lab[cur]}"
        counts = f"{rate_text(y, n)} DLTs at {here}"
        if reason == R.TABLE_STAY_TOP:
            return f"the decision table says E (escalate) for {counts}, but it is the highest dose: stay"
        if reason == R.TABLE_STAY_NEXT_ELIMINATED:
            return (
                f"the decision table says E (escalate) for {counts}, but dose {lab[cur + 1]} is "
                "eliminated: stay"
            )
        if reason == R.TABLE_STAY_BOTTOM:
            return f"the decision table says D (de-escalate) for {counts}, but it is the lowest dose: stay"
        if reason == R.TABLE_LOWEST_ELIMINATED:
            return (
                f"the decision table says DU for {counts}: the lowest dose and every dose above it are "
                "eliminated, no dose left: stop"
            )
        codes = [int(c) for c in design.action_reasons]
        if int(reason) not in codes:
            return None
        action = REASON_ACTIONS[codes.index(int(reason))]
        words = {
            dt.Action.ESCALATE: f"escalate to dose {lab[proposed]}",
            dt.Action.STAY: f"stay at {here}",
            dt.Action.DEESCALATE: f"de-escalate to dose {lab[proposed]}",
            dt.Action.ELIMINATE: (
                f"{here} and all higher doses eliminated; de-escalate to dose {lab[proposed]}"
            ),
        }
        return f"the decision table says {action.value} for {counts}: {words[action]}"

    def posterior_table(self, design: TableDesign, n_at, tox_at):
        from ...inference.summary import beta_posterior

        extra = self.posterior_extra(design, n_at, tox_at)
        return beta_posterior(design, n_at, tox_at, prior=design.decision_prior(), extra=extra)

    def posterior_extra(self, design, n_at, tox_at):
        return {"isotonic": isotonic_fit(n_at, tox_at, design)}

    def model_line(self, design: TableDesign) -> str:
        from ...inference.summary import beta_model_line

        return beta_model_line(design.decision_prior())

    def pymc_model(self, design: TableDesign, n_at, tox_at):
        from ...inference.mcmc import build_beta_binomial_model

        return build_beta_binomial_model(design, n_at, tox_at, prior=design.decision_prior())

    def decision_table(self, design: TableDesign, max_n):
        return table_decision_table(design, dt.check_max_n(max_n, design.max_n, low=1))


def isotonic_fit(n_at, tox_at, design: TableDesign | None = None) -> np.ndarray:
    """The family's selection estimate over the tried doses (NaN where untried), by the engine's own PAVA
    kernel: the isotonic fit of the design's estimates with its weights (``TableDesign.selection``; no
    design: y/n weighted by n)."""
    from ...engine.isotonic import pava

    a, b, weights, _ = design.selection() if design is not None else (0.0, 0.0, L.TABLE_WEIGHTS_N, 0)
    n_at = np.asarray(n_at, dtype=float)
    tox_at = np.asarray(tox_at, dtype=float)
    tried = np.flatnonzero(n_at > 0)
    out = np.full(n_at.shape, np.nan)
    m = tried.size
    if m:
        n, y = n_at[tried], tox_at[tried]
        s = n + (a + b)
        vals = (y + a) / s
        if weights == L.TABLE_WEIGHTS_N:
            wts = n.copy()
        else:
            wts = 1.0 / ((y + a) * (n - y + b) / (s * s * (s + 1.0)))
        est = np.zeros(m)
        pava(vals, wts, m, est, np.zeros(m), np.zeros(m))
        out[tried] = est
    return out


def table_decision_table(design: TableDesign, max_n: int) -> dt.DecisionTable:
    """The compiled action table (``tables[0]``, what the kernel reads) for n = 1..max_n, with boundary
    rows (escalate if y <=, de-escalate if y >=, eliminate if y >=) read from it."""
    compiled = design.compile(max_n)
    table = compiled.tables[0]
    ns = design.tabulated_n(max_n)
    if not ns:
        raise SpecError(
            "max_n",
            f"the decision table gives no row for n <= {max_n}",
            f"show more patients (at least {min(design.tabulated_n(design.max_n))})",
        )
    rows = []
    for n in ns:
        for y in range(n + 1):
            action = ACTION_OF_CODE[int(table[n, y])]
            rows.append(dt.DecisionRow(n, y, action, TABLE_LABELS[action]))

    def ys(n, *actions):
        return [y for y in range(n + 1) if ACTION_OF_CODE[int(table[n, y])] in actions]

    boundaries = [
        dt.BoundaryRow(
            "escalate_at_most",
            "Escalate if # of DLT <=",
            tuple(max(ys(n, dt.Action.ESCALATE), default=None) for n in ns),
        ),
        dt.BoundaryRow(
            "deescalate_at_least",
            "De-escalate if # of DLT >=",
            tuple(min(ys(n, dt.Action.DEESCALATE, dt.Action.ELIMINATE), default=None) for n in ns),
        ),
        dt.BoundaryRow(
            "eliminate_at_least",
            "Eliminate if # of DLT >=",
            tuple(min(ys(n, dt.Action.ELIMINATE), default=None) for n in ns),
        ),
    ]
    boundaries += dt.too_toxic_rows(design, compiled, ns)
    notes = [
        "n is the number of patients treated at the current dose and y the DLTs among them; "
        + dt.decision_points(design, max_n),
        "The actions are the design's own table, as compiled for the engine; the boundary rows summarise "
        "it where its actions are ordered in y.",
        "DU removes the dose and all higher doses for the rest of the trial and the next cohort goes one "
        "dose lower; at the lowest dose the trial stops with no dose selected.",
        "At the highest dose E means stay; at the lowest dose D means stay; E also means stay when the "
        "next higher dose has been eliminated.",
        design.selection_note(),
    ]
    notes += dt.modifier_notes(design)
    notes.append(f"The trial stops when {design.max_n} patients in total have been treated (max_n).")
    return dt.DecisionTable(
        design.name,
        design.kind,
        design.target,
        max_n,
        ns,
        tuple(rows),
        tuple(boundaries),
        tuple(notes),
        design.config_hash(),
        design.unit,
        action_labels=TABLE_LABELS,
    )
