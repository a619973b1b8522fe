"""BOIN for combinations above the engine: its reason codes as sentences, its decision table at the
current cell, the bivariate isotonic estimate its selection uses, and how its random tie-break splits
pathways (the spec: :mod:`.spec`; the kernels: ``engine/combination.py``). It shares BOIN's boundaries,
elimination probability and table rows (:mod:`dosefind.designs.boin.home`)."""

from __future__ import annotations

import numpy as np

from ...constants import Reason
from ...live.explain import beta_tail, rate_text
from ...report import decision_table as dt
from .. import layout as L
from ..boin.home import boin_rows
from ..home import DesignHome, tie_names
from .spec import BoinComb

R = Reason
REASONS = (
    R.BOIN_COMB_ESCALATE,
    R.BOIN_COMB_STAY,
    R.BOIN_COMB_DEESCALATE,
    R.BOIN_COMB_STAY_NO_ESCALATION,
    R.BOIN_COMB_STAY_BOTTOM,
    R.BOIN_COMB_LOWEST_ELIMINATED,
    R.BOIN_COMB_EXTRASAFE,
    R.BOIN_COMB_EARLYSTOP_N,
    R.BOIN_COMB_DEESCALATE_ELIMINATED,
)

BOIN_COMB_LABELS = {
    dt.Action.ESCALATE: "escalate to an adjacent cell (chosen by the design)",
    dt.Action.STAY: "stay",
    dt.Action.DEESCALATE: "de-escalate to an adjacent cell (chosen by the design)",
    dt.Action.ELIMINATE: "de-escalate and eliminate this cell and every cell at least as high in both drugs",
}


class BoinCombHome(DesignHome):
    def reason_codes(self, design):
        return REASONS

    def explain(self, design: BoinComb, reason, n_at, tox_at, cur, proposed, detail=None):
        """The rule after a cohort at cell ``cur`` (0-based) with y DLTs of n there."""
        lab = design.doses
        n, y = int(n_at[cur]), int(tox_at[cur])
        t = design.target
        lam_e, lam_d = design.boundaries
        here = f"cell {lab[cur]}"
        rate = rate_text(y, n)
        b_e, b_d, _ = design.integer_boundaries(n) if n else (0, 1, None)
        score = "P(lambda_e < p < lambda_d | data) + n/2000"
        if reason == R.BOIN_COMB_ESCALATE:
            return (
                f"observed DLT rate at {here} {rate} <= lambda_e {lam_e:.3f} (escalate when DLTs <= {b_e} of "
                f"{n}): escalate to cell {lab[proposed]}, the open adjacent higher cell (one level more of "
                f"one drug) with the highest score {score}"
            )
        if reason == R.BOIN_COMB_STAY:
            return f"lambda_e {lam_e:.3f} < observed DLT rate at {here} {rate} < lambda_d {lam_d:.3f}: stay"
        if reason == R.BOIN_COMB_DEESCALATE:
            return (
                f"observed DLT rate at {here} {rate} >= lambda_d {lam_d:.3f} (de-escalate when DLTs >= {b_d} "
                f"of {n}): de-escalate to cell {lab[proposed]}, the open adjacent lower cell (one level less "
                f"of one drug) with the highest score {score}"
            )
        if reason == R.BOIN_COMB_STAY_NO_ESCALATION:
            guard = (
                ", or a neighbour's observed DLT rate reaches lambda_d (next.comb)"
                if design.rules == "next.comb"
                else ""
            )
            return (
                f"observed DLT rate at {here} {rate} <= lambda_e {lam_e:.3f}, but no adjacent higher cell is "
                f"open (outside the grid, excluded or eliminated{guard}): stay"
            )
        if reason == R.BOIN_COMB_STAY_BOTTOM:
            return (
                f"observed DLT rate at {here} {rate} >= lambda_d {lam_d:.3f}, but no adjacent lower cell is "
                "open: stay"
            )
        if reason == R.BOIN_COMB_DEESCALATE_ELIMINATED:
            p = beta_tail(y, n, t)
            return (
                f"{here} and every cell at least as high in both drugs eliminated: "
                f"P(DLT rate > {t:g} | {y}/{n}) = {p:.3f} > {design.cutoff_eli:g}; de-escalate to cell "
                f"{lab[proposed]}"
            )
        if reason == R.BOIN_COMB_LOWEST_ELIMINATED:
            return f"cell {lab[0]} eliminated, so is every cell: no cell left, stop"
        if reason == R.BOIN_COMB_EXTRASAFE:
            p = beta_tail(y, n, t)
            return (
                f"extra-safe rule at cell {lab[0]}: P(DLT rate > {t:g} | {y}/{n}) = {p:.3f} > "
                f"{design.cutoff_eli - design.offset:g}; stop"
            )
        if reason == R.BOIN_COMB_EARLYSTOP_N:
            cap = design.n_earlystop
            also = "" if design.rules == "next.comb" else " and the decision is to stay"
            return f"{n} patients at {here} >= n_earlystop {cap}{also}: stop"
        return None

    def elimination_lines(self, design: BoinComb, n_at, tox_at, newly, step):
        """Why the cells in ``newly`` (0-based) became inadmissible (the current cell's own sentence says so
        already when the rule that fired was its elimination)."""
        if step.base_reason == R.BOIN_COMB_DEESCALATE_ELIMINATED:
            newly = [d for d in newly if d != step.dose]
        t = design.target
        out = []
        for c in newly:
            n, y = int(n_at[c]), int(tox_at[c])
            if n < 3:
                continue
            p = beta_tail(y, n, t)
            if p > design.cutoff_eli:
                out.append(
                    f"cell {design.doses[c]} and every cell at least as high in both drugs eliminated: "
                    f"P(DLT rate > {t:g} | {y}/{n}) = {p:.3f} > {design.cutoff_eli:g}"
                )
        return out

    def tie_sentence(self, design, alternatives, chosen, status, u_tie):
        listed, picked = tie_names(design, alternatives, chosen, status)
        return (
            f"cells {listed} tie (equal scores); the tie is broken at random: u_tie = {u_tie:.4f} (derived "
            f"from the data's content hash) chose {picked}"
        )

    def posterior_extra(self, design, n_at, tox_at):
        return {"isotonic": bivariate_isotonic_estimate(design, n_at, tox_at)}

    def decision_table(self, design: BoinComb, max_n):
        return boin_comb_table(design, dt.check_max_n(max_n, design.max_n, low=1))

    def choice_uniforms(self, ctx, n_at, tox_at):
        """``_choose`` takes candidate int(2 u): u in [0, 1/2) and [1/2, 1), each with chance 1/2."""
        from ...paths.pathways import RandomChoice

        return RandomChoice.TIE, ((0.25, 0.5), (0.75, 0.5))


def bivariate_isotonic_estimate(design: BoinComb, n_at, tox_at) -> np.ndarray:
    """The final selection's estimate of every tried cell (NaN where untried).

    The bivariate isotonic regression (non-decreasing in both drugs) of (y + 0.05) / (n + 0.1) with
    weights n + 0.1 over every cell of the grid, untried and excluded cells included (value 0.5, weight
    0.1), exactly as :func:`~dosefind.engine.combination.select_boin_comb` forms it, computed by
    :func:`~dosefind.engine.combination.biviso`. Shown unrounded and before the selection's own
    adjustments (the ``next.comb`` rules' rounding to 2 decimals, 1.1 for cells it eliminates, the
    + 1e-5 (j + k) tie-break), which are not estimates.
    """
    from ...engine.combination import biviso

    n_at = np.asarray(n_at, dtype=float)
    tox_at = np.asarray(tox_at, dtype=float)
    w = n_at + 0.1
    fit = biviso(design.grid.as_matrix((tox_at + 0.05) / w), design.grid.as_matrix(w)).ravel()
    return np.where(n_at > 0, fit, np.nan)


def boin_comb_table(design: BoinComb, max_n: int) -> dt.DecisionTable:
    """BOIN for combinations: the single-agent boundaries at the current cell, read from the compiled
    design (``tables[0]`` is what ``decide_boin_comb`` reads), and notes on how the next cell is chosen."""
    compiled, flags, ns, rows, boundaries = boin_rows(design, max_n, BOIN_COMB_LABELS)
    if design.extrasafe:  # the kernel checks it only where an elimination boundary exists for n
        boundaries.append(
            dt.BoundaryRow(
                "extrasafe_stop_at_least",
                "Stop trial if # of DLT >= (cell 1.1, extrasafe)",
                tuple(
                    dt.first_flagged(flags[n, : n + 1], L.BOIN_EXTRASAFE_STOP)
                    if flags[n, n] & L.BOIN_ELIM
                    else None
                    for n in ns
                ),
            )
        )
    boundaries += dt.too_toxic_rows(design, compiled, ns)
    lam_e, lam_d = design.boundaries
    g = design.grid
    next_comb = design.rules == "next.comb"
    notes = [
        f"n is the number of patients treated at the current cell of the {g.n_rows} x {g.n_cols} grid "
        f"({g.drug_a} level j, {g.drug_b} level k: cell j.k) and y the DLTs among them; "
        + dt.decision_points(design, max_n),
        f"Escalate if y <= floor({lam_e:.4f} n), de-escalate if y > {lam_d:.4f} n (lambda_e, lambda_d "
        f"for phi1 = {design.phi1:g}, phi2 = {design.phi2:g}); stay otherwise: BOIN's boundaries, as for "
        "a single drug.",
        "Which cell: E goes to (j+1, k) or (j, k+1), D to (j-1, k) or (j, k-1), among those inside the grid "
        "and admissible (not eliminated, not excluded). The design chooses when the decision is taken: "
        f"the candidate with the larger P({lam_e:.4f} < DLT rate < {lam_d:.4f}) under a Beta(y' + 1/2, "
        "n' - y' + 1/2) posterior on its own data (n' patients, y' DLTs) plus n'/2000; exact ties are "
        "broken at random, each candidate with equal chance (`dosefind paths` shows both branches). With "
        "no candidate the design stays (e.g. E at the highest cell, D at cell 1.1).",
        f"Eliminate (DU) if n >= 3 and P(DLT rate > {design.target:g} | data) > {design.cutoff_eli:g} "
        "(Beta(1, 1) prior): the cell and every cell at least as high in both drugs are removed for the "
        "rest of the trial, and the next cohort goes to an adjacent lower cell as for D; at cell 1.1 the "
        "trial stops with no cell selected. The de-escalation boundary is capped at the elimination "
        "boundary (BOIN R package convention).",
    ]
    if next_comb:
        notes.append(
            f'rules = "next.comb": no escalation to (j+1, k) when a cell (j+1, k\' <= k) has an observed DLT '
            f"rate >= {lam_d:.4f}, nor to (j, k+1) when a cell (j' <= j, k+1) has."
        )
    where = (
        f"n >= {design.n_earlystop}"
        if design.n_earlystop <= max_n
        else f"n >= {design.n_earlystop}, beyond the columns shown"
    )
    if next_comb:
        notes.append(
            f"n_earlystop = {design.n_earlystop}: with {where} at the current cell the trial stops and "
            'selects the MTD, whatever the decision (rules = "next.comb").'
        )
    else:
        notes.append(
            f"n_earlystop = {design.n_earlystop}: with {where}, a decision to stay at the cell just treated "
            "(S, or E or D with no candidate cell) stops the trial and selects the MTD."
        )
    if design.extrasafe:
        notes.append(
            f"extrasafe (offset {design.offset:g}): at cell 1.1 only, the trial stops with no cell "
            f"selected when n >= 3 and P(DLT rate > {design.target:g} | data) > "
            f"{design.cutoff_eli - design.offset:g} (the 'extrasafe' row; only for n with an elimination "
            "boundary, as the BOIN package)."
        )
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
        "cell",
        action_labels=BOIN_COMB_LABELS,
    )
