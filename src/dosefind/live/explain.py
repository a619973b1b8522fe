"""Plain-language explanations of the rule that fired, from the decision kernels' reason codes.

The decision itself always comes from :func:`dosefind.engine.decisions.decide`; this module only turns
its reason code and the trial state into a sentence with the numbers a meeting wants to see.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import Reason, Status
from ..designs import Boin, BoinComb, Crm, Design, PoCrm
from ..designs.modifiers import StopAtN, StopWhenNAtDose, StopWhenTooToxic


@dataclass(frozen=True)
class OrderingChoice:
    """The ordering a PO-CRM decision used and the numbers behind it (read by
    :func:`dosefind.live.recommend.pocrm_ordering_choice` from the decision kernels themselves)."""

    index: int  #: 0-based position in ``design.orderings``
    name: str  #: the typical ordering's name, else "ordering m"
    prob: float  #: posterior probability (likelihood estimation: weight prior x maximised likelihood)
    randomised: bool  #: drawn with its probability (``ordering_choice = "random"``)
    #: orderings tied as the most probable (0-based, the chosen one included; () if none)
    tied: tuple[int, ...]
    u_tie: float  #: the decision's tie-breaking uniform
    cell: int  #: 0-based cell the model chose under this ordering
    estimate: float  #: the estimate the design chooses by at that cell (plug-in, or at the MLE)
    b_hat: float  #: posterior mean of b under the ordering (likelihood: log of the MLE of the power)

    def to_dict(self, design) -> dict:
        return {
            "index": self.index + 1,
            "name": self.name,
            "prob": self.prob,
            "randomised": self.randomised,
            "tied": [m + 1 for m in self.tied],
            "u_tie": self.u_tie,
            "cell": design.doses[self.cell],
            "estimate": self.estimate,
            "b_hat": self.b_hat,
        }


def _rate(y: int, n: int) -> str:
    return f"{y}/{n} = {y / n:.3f}" if n else "0/0"


def explain(
    reason: Reason,
    design: Design,
    n_at: np.ndarray,
    tox_at: np.ndarray,
    cur: int,
    proposed: int,
    estimates: np.ndarray | None = None,
    ordering: OrderingChoice | None = None,
) -> str:
    """One sentence for ``reason`` at the state after a cohort at dose ``cur`` (0-based).

    ``proposed`` is the dose the rule arrived at; ``estimates`` are the CRM's dose-choice estimates
    (plug-in or posterior mean curve); ``ordering`` the ordering a PO-CRM's model step used.
    """
    lab = design.doses
    t = design.target
    n, y = int(n_at[cur]), int(tox_at[cur])
    here = f"dose {lab[cur]}"
    R = Reason
    if isinstance(design, Boin):
        lam_e, lam_d = design.boundaries
        if n:
            b_e, b_d, b_elim = design.integer_boundaries(n)
        if reason == R.BOIN_ESCALATE:
            return (
                f"observed DLT rate at {here} {_rate(y, n)} <= lambda_e {lam_e:.3f} "
                f"(escalate when DLTs <= {b_e} of {n}): escalate"
            )
        if reason == R.BOIN_STAY:
            rate = _rate(y, n)
            return f"lambda_e {lam_e:.3f} < observed DLT rate at {here} {rate} < lambda_d {lam_d:.3f}: stay"
        if reason == R.BOIN_DEESCALATE:
            return (
                f"observed DLT rate at {here} {_rate(y, n)} >= lambda_d {lam_d:.3f} "
                f"(de-escalate when DLTs >= {b_d} of {n}): de-escalate"
            )
        if reason == R.BOIN_STAY_TOP:
            return (
                f"observed DLT rate at {here} {_rate(y, n)} <= lambda_e {lam_e:.3f}, "
                "but it is the highest dose: stay"
            )
        if reason == R.BOIN_STAY_NEXT_ELIMINATED:
            return (
                f"observed DLT rate at {here} {_rate(y, n)} <= lambda_e {lam_e:.3f}, but dose "
                f"{lab[cur + 1]} is eliminated: stay"
            )
        if reason == R.BOIN_STAY_BOTTOM:
            return (
                f"observed DLT rate at {here} {_rate(y, n)} >= lambda_d {lam_d:.3f}, "
                "but it is the lowest dose: stay"
            )
        if reason in (R.BOIN_DEESCALATE_ELIMINATED, R.BOIN_LOWEST_ELIMINATED):
            p = _beta_tail(y, n, t)
            what = "de-escalate" if reason == R.BOIN_DEESCALATE_ELIMINATED else "no dose left: stop"
            return (
                f"{here} and all higher doses eliminated: P(DLT rate > {t:g} | {y}/{n}) = {p:.3f} > "
                f"{design.cutoff_eli:g}; {what}"
            )
        if reason == R.BOIN_EXTRASAFE:
            p = _beta_tail(y, n, t)
            return (
                f"extra-safe rule at the lowest dose: P(DLT rate > {t:g} | {y}/{n}) = {p:.3f} > "
                f"{design.cutoff_eli - design.offset:g}; stop"
            )
        if reason == R.BOIN_EARLYSTOP_N:
            cap = design.n_earlystop
            return f"{n} patients at {here} >= n_earlystop {cap} and the decision is to stay: stop"
    if isinstance(design, BoinComb):
        line = _explain_boin_comb(reason, design, n, y, cur, proposed)
        if line is not None:
            return line
    if isinstance(design, PoCrm):
        line = _explain_pocrm(reason, design, n_at, proposed, ordering)
        if line is not None:
            return line
    if reason == R.TPT_ESCALATE:
        return f"{y} DLT(s) in {n} patients at {here}: escalate"
    if reason == R.TPT_EXPAND:
        return f"{y} DLT(s) in {n} patients at {here}: treat 3 more at {here}"
    if reason == R.TPT_DEESCALATE:
        return f"{y} DLTs in {n} patients at {here}: MTD exceeded, de-escalate to expand dose {lab[cur - 1]}"
    if reason == R.TPT_MTD_FOUND:
        return f"{y} DLT(s) in {n} patients at {here}: MTD determined, stop"
    if reason == R.TPT_ALL_TOXIC:
        return f"{y} DLTs in {n} patients at the lowest dose: no tolerable dose, stop"
    if isinstance(design, Crm) and estimates is not None:
        which = "posterior mean" if design.dose_choice == "posterior_mean" else "plug-in"
        model_dose = int(np.argmin(np.abs(np.asarray(estimates) - t)))
        est = f"estimated P(DLT) ({which}) at dose {lab[model_dose]} = {estimates[model_dose]:.3f}"
        if reason == R.CRM_MODEL:
            return f"{est} is closest to the target {t:g}: dose {lab[proposed]}"
        if reason == R.CRM_NO_SKIP:
            return (
                f"no skipping: the model preferred dose {lab[model_dose]} ({est}); escalation is limited "
                f"to one level, dose {lab[proposed]}"
            )
        if reason == R.CRM_COHERENCE:
            return (
                f"coherence: a DLT in the last cohort forbids escalating (the model preferred dose "
                f"{lab[model_dose]}): stay at {here}"
            )
    if reason == R.CRM_SAFETY_STOP and isinstance(design, Crm):
        thr = design.safety_threshold if design.safety_threshold is not None else t
        return f"safety stop: P(DLT rate at dose {lab[0]} > {thr:g}) exceeds {design.safety_confidence:g}"
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
    return reason.name.lower()  # pragma: no cover - every reason is handled above


def _unit(design) -> str:
    return "cell" if isinstance(design, (BoinComb, PoCrm)) else "dose"


def _explain_n_at_dose(design, n_at, proposed: int) -> str:
    """The stop_when_n_at_dose modifier that fired (the first whose count is reached, as the kernel
    applies them in order), with the count."""
    lab, unit = design.doses, _unit(design)
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

    lab, unit = design.doses, _unit(design)
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


def _explain_boin_comb(reason: Reason, design, n: int, y: int, cur: int, proposed: int) -> str | None:
    """BOIN for combinations: the rule after a cohort at cell ``cur`` (0-based) with y DLTs of n there."""
    lab = design.doses
    t = design.target
    lam_e, lam_d = design.boundaries
    here = f"cell {lab[cur]}"
    rate = _rate(y, n)
    R = Reason
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
        p = _beta_tail(y, n, t)
        return (
            f"{here} and every cell at least as high in both drugs eliminated: P(DLT rate > {t:g} | {y}/{n}) "
            f"= {p:.3f} > {design.cutoff_eli:g}; de-escalate to cell {lab[proposed]}"
        )
    if reason == R.BOIN_COMB_LOWEST_ELIMINATED:
        return f"cell {lab[0]} eliminated, so is every cell: no cell left, stop"
    if reason == R.BOIN_COMB_EXTRASAFE:
        p = _beta_tail(y, n, t)
        return (
            f"extra-safe rule at cell {lab[0]}: P(DLT rate > {t:g} | {y}/{n}) = {p:.3f} > "
            f"{design.cutoff_eli - design.offset:g}; stop"
        )
    if reason == R.BOIN_COMB_EARLYSTOP_N:
        cap = design.n_earlystop
        also = "" if design.rules == "next.comb" else " and the decision is to stay"
        return f"{n} patients at {here} >= n_earlystop {cap}{also}: stop"
    return None


def _ordering_name(choice: OrderingChoice) -> str:
    plain = f"ordering {choice.index + 1}"
    return plain if choice.name == plain else f"{plain} ({choice.name})"


def _explain_ordering(design, choice: OrderingChoice) -> str:
    """Which ordering the model step used, how it was chosen, and the estimate it chose the cell by."""
    lab = design.doses
    bayes = design.estimation == "bayes"
    word = "posterior probability" if bayes else "weight"
    note = "" if bayes else ", prior x maximised likelihood"
    name = _ordering_name(choice)
    u = f"u_tie = {choice.u_tie:.4f} (derived from the data's content hash)"
    if choice.randomised:
        how = (
            f"{name} was drawn at random with its {word} ({choice.prob:.3f}{note}; "
            f'ordering_choice = "random"): {u}'
        )
    elif len(choice.tied) > 1:
        numbers = [str(m + 1) for m in choice.tied]
        listed = ", ".join(numbers[:-1]) + f" and {numbers[-1]}"
        how = (
            f"orderings {listed} are the most probable, tied ({word} {choice.prob:.3f} each{note}); the tie "
            f"is broken at random: {u} chose {name}"
        )
    else:
        how = f"{name} is the most probable ({word} {choice.prob:.3f}{note})"
    which = "plug-in" if bayes else "maximum likelihood"
    return (
        f"{how}; under it the estimated P(DLT) ({which}) at cell {lab[choice.cell]} = "
        f"{choice.estimate:.3f} is closest to the target {design.target:g}"
    )


def _explain_pocrm(
    reason: Reason, design, n_at, proposed: int, ordering: OrderingChoice | None
) -> str | None:
    """PO-CRM: the stage, or the model's choice with the ordering it was made under."""
    lab = design.doses
    R = Reason
    if reason == R.POCRM_STAGE1:
        return f"stage 1, no DLT so far: the next cell of the start-up path, cell {lab[proposed]}"
    if reason == R.POCRM_ALL_DLT:
        return (
            "stage 1: every patient so far had a DLT and the likelihood needs one without: stay at "
            f"cell {lab[proposed]}"
        )
    if reason == R.POCRM_MODEL:
        if ordering is not None:
            return f"{_explain_ordering(design, ordering)}: cell {lab[proposed]}"
        which = "the most probable ordering" if design.ordering_choice == "max" else "the ordering drawn"
        return (
            f"under {which}, the model's estimated DLT probability is closest to the target "
            f"{design.target:g} at cell {lab[proposed]}"
        )
    if reason == R.POCRM_STOP_N:
        if ordering is not None:  # stage 2: the model chose the cell
            return (
                f"{_explain_ordering(design, ordering)}; cell {lab[proposed]}, chosen next, already has "
                f"{int(n_at[proposed])} patients (stop_n = {design.stop_n}): stop"
            )
        most = int(np.argmax(n_at))
        return (
            f"stage 1: cell {lab[most]} has {int(n_at[most])} patients, more than stop_n = {design.stop_n}: "
            "stop"
        )
    return None


def explain_tie(design: Design, alternatives, chosen: int, status: Status, u_tie: float) -> str:
    """The decision depended on the tie-breaking uniform: the candidates and the one chosen."""
    unit = "cell" if isinstance(design, (BoinComb, PoCrm)) else "dose"

    def name(d: int, st: Status) -> str:
        return design.doses[d] if st == Status.CONTINUE else "stop"

    names = [name(d, st) for d, st in alternatives]
    listed = ", ".join(names[:-1]) + f" and {names[-1]}"
    if isinstance(design, BoinComb):
        what = f"{unit}s {listed} tie (equal scores); the tie is broken at random"
    else:
        what = f"the design chooses at random between {unit}s {listed}"
    return f"{what}: u_tie = {u_tie:.4f} (derived from the data's content hash) chose {name(chosen, status)}"


def explain_cell_elimination(design, n_at, tox_at, newly) -> list[str]:
    """BOIN for combinations: why the cells in ``newly`` (0-based) became inadmissible after a cohort."""
    t = design.target
    out = []
    for c in newly:
        n, y = int(n_at[c]), int(tox_at[c])
        if n < 3:
            continue
        p = _beta_tail(y, n, t)
        if p > design.cutoff_eli:
            out.append(
                f"cell {design.doses[c]} and every cell at least as high in both drugs eliminated: "
                f"P(DLT rate > {t:g} | {y}/{n}) = {p:.3f} > {design.cutoff_eli:g}"
            )
    return out


def explain_elimination(design: Design, n_at, tox_at, dose: int) -> str:
    """Why BOIN eliminated ``dose`` (0-based) and every dose above it."""
    n, y = int(n_at[dose]), int(tox_at[dose])
    higher = " and all higher doses" if dose < design.n_doses - 1 else ""
    return (
        f"dose {design.doses[dose]}{higher} eliminated: P(DLT rate > {design.target:g} | {y}/{n}) = "
        f"{_beta_tail(y, n, design.target):.3f} > {design.cutoff_eli:g}"
    )


def _beta_tail(y: int, n: int, target: float) -> float:
    """P(p > target) under Beta(1 + y, 1 + n - y): BOIN's elimination probability."""
    from ..designs.boin import prob_above

    return float(prob_above(target, n)[y])
