"""U-BOIN's home above the engine: its reason codes as sentences, the posterior's response, utility and
(in stage 2) randomisation columns, how its randomisation splits pathways (the rules: ``spec.py``)."""

from __future__ import annotations

import numpy as np

from ...constants import Reason as R
from ...errors import SpecError
from ..home import DesignHome
from .spec import UBoin, admissible_from_counts, randomisation_probabilities

REASONS = (
    R.UB_ESCALATE,
    R.UB_STAY,
    R.UB_DEESCALATE,
    R.UB_STAY_TOP,
    R.UB_STAY_BOTTOM,
    R.UB_RANDOMISE,
    R.UB_LOWEST_TOXIC,
    R.UB_NONE_ADMISSIBLE,
    R.UB_FUTILE_HERE,
)


def _rate(y: int, n: int) -> str:
    return f"{y}/{n} = {y / n:.3f}" if n else "(no patients)"


class UBoinHome(DesignHome):
    def reason_codes(self, design: UBoin):
        return REASONS

    def decision_detail(self, design: UBoin, compiled, n_at, tox_at, step, fast_table):
        """Stage 2's randomisation probabilities, when the table has them."""
        return fast_table.extra.get("randomise")

    def explain(self, design: UBoin, reason, n_at, tox_at, cur, proposed, detail=None):
        lab = design.doses
        n, y = int(n_at[cur]), int(tox_at[cur])
        here = f"dose {lab[cur]}"
        lam_e, lam_d = design.boundaries
        rate = _rate(y, n)
        stage1 = f"stage 1 (fewer than n_stage1 = {design.n_stage1} patients)"
        if reason == R.UB_ESCALATE:
            return f"{stage1}: observed DLT rate at {here} {rate} <= lambda_e {lam_e:.3f}: escalate"
        if reason == R.UB_STAY:
            return f"{stage1}: lambda_e {lam_e:.3f} < DLT rate at {here} {rate} < lambda_d {lam_d:.3f}: stay"
        if reason == R.UB_DEESCALATE:
            return f"{stage1}: observed DLT rate at {here} {rate} >= lambda_d {lam_d:.3f}: de-escalate"
        if reason == R.UB_STAY_TOP:
            return (
                f"{stage1}: observed DLT rate at {here} {rate} <= lambda_e {lam_e:.3f}, but no admissible "
                "dose is above it: stay"
            )
        if reason == R.UB_STAY_BOTTOM:
            return (
                f"{stage1}: observed DLT rate at {here} {rate} >= lambda_d {lam_d:.3f}, but it is the lowest "
                "dose: stay"
            )
        if reason == R.UB_FUTILE_HERE:
            return (
                f"{stage1}: {here} is futile (P(response rate < {design.target_eff:g}) > "
                f"{design.cutoff_eff:g}): go to the nearest admissible dose, dose {lab[proposed]}"
            )
        if reason == R.UB_RANDOMISE:
            chance = ""
            if detail is not None and 0 <= proposed < len(detail):
                chance = f" (its probability {float(detail[proposed]):.3f})"
            return (
                f"stage 2 ({design.n_stage1} or more patients): the cohort is randomised among the "
                f"admissible tried doses with probabilities proportional to their posterior mean "
                f"utility: dose {lab[proposed]}{chance}"
            )
        if reason == R.UB_LOWEST_TOXIC:
            return (
                f"the lowest dose is too toxic: P(DLT rate > {design.target:g} | {rate}) > "
                f"{design.cutoff_tox:g}: stop, no dose selected"
            )
        if reason == R.UB_NONE_ADMISSIBLE:
            return "no admissible dose remains (too toxic or futile): stop, no dose selected"
        return None

    def elimination_lines(self, design: UBoin, n_at, tox_at, newly, step):
        if not newly or step.reason == R.UB_LOWEST_TOXIC:
            return []
        names = ", ".join(design.doses[d] for d in newly)
        return [
            f"dose(s) {names} no longer admissible (P(DLT rate > {design.target:g}) > {design.cutoff_tox:g} "
            f"here or below, or P(response rate < {design.target_eff:g}) > {design.cutoff_eff:g})"
        ]

    def response_columns(self, design: UBoin, n_at, tox_at, resp_at) -> dict[str, np.ndarray]:
        """Per dose: responses, the posterior mean response rate (Beta(1, 1) prior), the posterior mean
        utility (on 0-1) and, once stage 2 has begun, the probability that the next cohort is randomised
        to the dose."""
        n_at = np.asarray(n_at, dtype=np.int64)
        tox_at = np.asarray(tox_at, dtype=np.int64)
        resp_at = np.asarray(resp_at, dtype=np.int64)
        utility = np.array(
            [
                design.mean_utility(int(n), int(y), int(e), int(b))
                for n, y, e, b in zip(n_at, tox_at, resp_at[0], resp_at[1], strict=True)
            ]
        )
        out = {
            "responses": resp_at[0].astype(float),
            "eff_mean": (1.0 + resp_at[0]) / (2.0 + n_at),
            "utility_mean": utility,
        }
        if int(n_at.sum()) >= design.n_stage1:
            ok = admissible_from_counts(design, n_at, tox_at, resp_at)
            out["randomise"] = randomisation_probabilities(design, n_at, tox_at, resp_at, ok)
        return out

    def root_choice(self, design: UBoin):
        from ...paths.pathways import RandomChoice

        return RandomChoice.RANDOMISATION

    def tie_sentence(self, design: UBoin, alternatives, chosen, status, u_tie):
        from ..home import tie_names

        listed, picked = tie_names(design, alternatives, chosen, status)
        return (
            f"the cohort is randomised among doses {listed} by their posterior mean utility: u_tie = "
            f"{u_tie:.4f} (derived from the data's content hash) chose {picked}"
        )

    def decision_table(self, design: UBoin, max_n):
        raise SpecError(
            "design.kind",
            "U-BOIN's stage 2 randomises among the doses by their utilities, so it has no (patients, DLTs) "
            "decision table",
            'simulate the design; stage 1 is BOIN, whose table `dosefind table` prints for kind = "boin"',
        )

    def choice_uniforms(self, ctx, n_at, tox_at):
        """Stage 2 takes dose d for u_tie in its share of (0, 1): one interval per admissible tried dose.
        ``ctx.resp_at`` must hold the responses after the cohort (``n_at``, ``tox_at`` are given)."""
        from ...paths.pathways import NO_CHOICE, RandomChoice

        design = ctx.design
        if int(np.sum(n_at)) < design.n_stage1:
            return NO_CHOICE
        resp_at = np.asarray(ctx.resp_at)  # the callers put the cohort's responses in (n_at: given)
        ok = admissible_from_counts(design, n_at, tox_at, resp_at, ctx.compiled.tables)
        probs = randomisation_probabilities(design, n_at, tox_at, resp_at, ok)
        edges = np.concatenate([[0.0], np.cumsum(probs)])
        out = [((edges[d] + edges[d + 1]) / 2.0, float(probs[d])) for d in range(len(probs)) if probs[d] > 0]
        return (RandomChoice.RANDOMISATION, tuple(out)) if out else NO_CHOICE
