"""Plain-language explanations of the rule that fired, from the decision kernels' reason codes.

The decision itself always comes from :func:`dosefind.engine.decisions.decide`; this module only turns
its reason code and the trial state into a sentence with the numbers a meeting wants to see.
"""

from __future__ import annotations

import numpy as np

from ..constants import Reason
from ..designs import Design
from ..designs.home import home_of
from ..designs.modifiers import StopAtN, StopWhenNAtDose, StopWhenTooToxic


def rate_text(y: int, n: int) -> str:
    return f"{y}/{n} = {y / n:.3f}" if n else "0/0"


def explain(
    reason: Reason,
    design: Design,
    n_at: np.ndarray,
    tox_at: np.ndarray,
    cur: int,
    proposed: int,
    detail=None,
) -> str:
    """One sentence for ``reason`` at the state after a cohort at dose ``cur`` (0-based).

    ``proposed`` is the dose the rule arrived at; ``detail`` what the design's home read for the decision
    (:meth:`~dosefind.designs.home.DesignHome.decision_detail`: e.g. the CRM's estimates, the ordering a
    PO-CRM's model step used). The design's own codes are its home's to explain; modifiers and the rules
    every design shares are explained here.
    """
    line = home_of(design).explain(design, reason, n_at, tox_at, cur, proposed, detail)
    if line is not None:
        return line
    lab = design.doses
    R = Reason
    if reason == R.MAX_N:
        return f"maximum sample size {design.max_n} reached: stop"
    if reason == R.STOP_AT_N:
        m = next(m for m in design.modifiers if isinstance(m, StopAtN))
        return f"stop_at_n: {int(n_at.sum())} patients treated >= {m.n}: stop"
    if reason == R.STOP_N_AT_DOSE:
        return _explain_n_at_dose(design, n_at, proposed)
    if reason == R.DONT_SKIP:
        return f"dont_skip: the move is limited to one level, dose {lab[proposed]}"
    if reason == R.TOO_TOXIC:
        return _explain_too_toxic(design, n_at, tox_at)
    if reason == R.NO_ADMISSIBLE_DOSE:
        return "no admissible dose remains: stop, no dose selected"
    return reason.name.lower()  # the contract test demands a sentence for every code a design emits


def _explain_n_at_dose(design, n_at, proposed: int) -> str:
    """The stop_when_n_at_dose modifier that fired (the first whose count is reached, as the kernel
    applies them in order), with the count."""
    lab, unit = design.doses, design.unit
    for m in design.modifiers:
        if not isinstance(m, StopWhenNAtDose):
            continue
        if m.dose == "recommended":
            d, where = proposed, f"the {unit} proposed next, {unit} {lab[proposed]},"
        elif m.dose == "any":
            d = int(np.argmax(n_at))
            where = f"{unit} {lab[d]}"
        else:
            d = m.dose_index(lab)
            where = f"{unit} {lab[d]}"
        if n_at[d] >= m.n:
            return f"stop_when_n_at_dose: {where} has {int(n_at[d])} patients (n = {m.n}): stop"
    return "stop_when_n_at_dose: the stated number of patients reached: stop"  # pragma: no cover


def _explain_too_toxic(design, n_at, tox_at) -> str:
    """The stop_when_too_toxic modifier that fired, with its posterior probability."""
    from scipy.special import betaincc

    lab, unit = design.doses, design.unit
    mods = [m for m in design.modifiers if isinstance(m, StopWhenTooToxic)]
    for m in mods:
        d = m.dose_index(lab)
        n, y = int(n_at[d]), int(tox_at[d])
        p = float(betaincc(m.prior_a + y, m.prior_b + n - y, m.threshold))
        if n >= m.min_n and p > m.confidence:
            return (
                f"stop_when_too_toxic: P(DLT rate at {unit} {lab[d]} > {m.threshold:g} | {y}/{n}) = "
                f"{p:.3f} > {m.confidence:g}: stop, no {unit} selected"
            )
    m = mods[0]  # pragma: no cover - the kernel's table and the Beta tail agree
    d = m.dose_index(lab)
    return (  # pragma: no cover
        f"stop_when_too_toxic: P(DLT rate at {unit} {lab[d]} > {m.threshold:g} | "
        f"{int(tox_at[d])}/{int(n_at[d])}) > {m.confidence:g}: stop, no {unit} selected"
    )


def beta_tail(y: int, n: int, target: float) -> float:
    """P(p > target) under Beta(1 + y, 1 + n - y): BOIN's elimination probability."""
    from ..designs.boin import prob_above

    return float(prob_above(target, n)[y])
