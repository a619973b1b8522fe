"""Exact operating characteristics by dynamic programming over trial states (no Monte Carlo error).

A design whose decisions read only the counts per dose (patients, DLTs), the admissible doses and the
current dose decides the same way whenever it meets the same state, so the distribution of simulated
trials can be followed cohort by cohort: every state of the current layer branches into the DLT counts of
its next cohort (binomial with the scenario's probability at the dose), each branch is decided by the
design's own kernel (the same ``decide`` the simulation calls, through
:meth:`~dosefind.engine.replay.DecisionContext.decide_raw`), and branches that reach the same state
merge, their probabilities added. A random choice of the design (BOIN for combinations' tie-breaks, PO-
CRM's drawn ordering) splits a branch by the intervals of its uniform on which the kernel's choice is
constant, with their lengths as chances (as ``paths`` does). Trials that stop add their probability-
weighted counts to the operating characteristics, which are the simulation's (:func:`~dosefind.oc.metrics
.operating_characteristics`) with every MCSE 0.

Phase I/II designs (``uses_efficacy``: BOIN12, U-BOIN) decide on responses too: each patient of a cohort
has one of four outcomes (DLT and response, DLT only, response only, neither) with the scenario's joint
probabilities (the Gaussian copula of ``oc/utility.py``: P(both) = Phi_2(Phi^-1(p), Phi^-1(q); rho)), so
a cohort branches into its (DLTs, responses, both) counts with multinomial probabilities, the state keys
carry the responses per dose, and the OBD metrics are added (exactly, MCSE 0).

The cohort loop is the simulation's (``engine.trial.escalate``): cohorts of ``min(cohort_size, max_n -
n)`` patients at the current dose, a decision after each (also after an empty cohort at ``max_n``), the
final selection by the design's ``select_dose`` when it stops with a selection.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from ..constants import Status
from ..designs import Design
from ..designs.home import home_of
from ..engine.replay import DecisionContext
from ..errors import SpecError
from ..scenario import Scenario
from .metrics import (
    OperatingCharacteristics,
    correct_mask,
    doses_above_mtd,
    included_doses,
    no_acceptable_dose,
)

CONTINUE = int(Status.CONTINUE)
STOP_SELECT = int(Status.STOP_SELECT)
STOP_NO_DOSE = int(Status.STOP_NO_DOSE)
#: the most distinct states one layer may hold before the computation is refused
MAX_STATES = 200_000
#: the longest computation (seconds, projected) run before it is refused: a design whose decisions are
#: slow (a model fitted per state, as EffTox's) can pass the state limit only after hours
MAX_SECONDS = 600.0


@dataclass(frozen=True)
class ExactInfo:
    """What the exact computation cost: distinct states (summed over layers), decisions made, seconds."""

    states: int
    decisions: int
    seconds: float


def exact_supported(design: Design) -> str | None:
    """Why ``design`` has no exact operating characteristics here (None when it has)."""
    if design.uses_pending:
        return f"{design.kind} decides with pending patients in calendar time; simulate it instead"
    if getattr(design, "backfill", None) is not None:
        return "backfill patients arrive in calendar time; simulate the design instead"
    return None


def _load_kernels(design: Design) -> None:
    """One throwaway decision and selection: a process's first call compiles the kernels (minutes on a
    cold cache) or loads them, which must not count in the time projection of the decisions."""
    ctx = DecisionContext(design)
    n = min(design.cohort_size, design.max_n)
    ctx.decide_raw(design.start_dose - 1, n, 0, False, 0.5, n)
    ctx.select(full=False)


def _binom(n: int, y: int, p: float) -> float:
    return math.comb(n, y) * p**y * (1.0 - p) ** (n - y)


def cohort_outcomes(n: int, p: float, q: float | None = None, both: float = 0.0):
    """[(DLTs, responses, responses with a DLT, probability)] of a cohort of n: binomial in the DLTs when
    ``q`` is None (responses 0), else multinomial over the four outcomes of each patient (DLT and
    response with probability ``both``, DLT only p - both, response only q - both, neither the rest)."""
    if q is None:
        return [(y, 0, 0, _binom(n, y, p)) for y in range(n + 1)]
    probs = (both, max(p - both, 0.0), max(q - both, 0.0), max(1.0 - p - q + both, 0.0))
    out = []
    for nb in range(n + 1):
        for nt in range(n - nb + 1):
            for ne in range(n - nb - nt + 1):
                nn = n - nb - nt - ne
                coef = math.factorial(n) // (
                    math.factorial(nb) * math.factorial(nt) * math.factorial(ne) * math.factorial(nn)
                )
                pr = coef * probs[0] ** nb * probs[1] ** nt * probs[2] ** ne * probs[3] ** nn
                out.append((nb + nt, nb + ne, nb, pr))
    return out


def exact_operating_characteristics(
    design: Design,
    scenario: Scenario,
    acceptable_band: float | None = None,
    max_states: int = MAX_STATES,
    max_seconds: float = MAX_SECONDS,
) -> tuple[OperatingCharacteristics, ExactInfo]:
    """The operating characteristics of ``design`` under ``scenario`` computed exactly (module doc), with
    the number of distinct states visited. Refuses (SpecError naming the design) a design without exact
    operating characteristics, a computation whose layer would exceed ``max_states`` states, and one
    projected to run longer than ``max_seconds``: after each cohort, the time so far plus the next
    cohort's states times the decisions per state and the seconds per decision measured so far (the
    layers grow cohort by cohort, so the refusal comes early, not after the time is spent)."""
    why = exact_supported(design)
    if why is not None:
        raise SpecError("exact", f"design {design.name!r}: {why}", "run without --exact")
    _load_kernels(design)
    t0 = time.perf_counter()
    D = design.n_doses
    p = np.asarray(scenario.true_tox, dtype=float)
    efficacy = design.uses_efficacy
    if efficacy:
        if scenario.true_eff is None:
            raise SpecError(
                "true_eff", f"scenario {scenario.name!r} has no response probabilities", "give true_eff"
            )
        from .utility import obd_mask, prob_both, true_utilities

        q = np.asarray(scenario.true_eff, dtype=float)
        pb = [prob_both(float(p[d]), float(q[d]), float(scenario.correlation)) for d in range(D)]
        outcomes = {}  # (dose, n) -> the cohort's outcomes
    e_resp = np.zeros(D)
    size = design.cohort_size
    max_n = design.max_n
    home = home_of(design)
    root = DecisionContext(design)
    # a layer: state key -> [context, probability, dose of the next cohort]
    layer: dict[bytes, list] = {b"": [root, 1.0, design.start_dose - 1, 0]}
    sel = np.zeros(D)
    sel_none = 0.0
    e_n = np.zeros(D)
    e_tox = np.zeros(D)
    early = 0.0
    before_max = 0.0
    treated_above = 0.0
    above = doses_above_mtd(design, p, acceptable_band)
    states = 1
    decisions = 0
    decisions_layer_start = 0
    while layer:
        nxt_layer: dict[bytes, list] = {}
        for ctx, prob, dose, n_before in layer.values():
            n = min(size, max_n - n_before)
            n_after_cohort = n_before + n
            if efficacy:
                if (dose, n) not in outcomes:
                    outcomes[dose, n] = cohort_outcomes(n, float(p[dose]), float(q[dose]), pb[dose])
                cohort = outcomes[dose, n]
            else:
                cohort = cohort_outcomes(n, float(p[dose]))
            for y, e, b, pr in cohort:
                py = prob * pr
                if py == 0.0:
                    continue
                if design.uses_tie_uniform:
                    n_after = ctx.n_at.copy()
                    tox_after = ctx.tox_at.copy()
                    n_after[dose] += n
                    tox_after[dose] += y
                    # a phase I/II home reads the responses after the cohort from the context
                    ctx.resp_at[0, dose] += e
                    ctx.resp_at[1, dose] += b
                    _choice, uniforms = home.choice_uniforms(ctx, n_after, tox_after)
                    ctx.resp_at[0, dose] -= e
                    ctx.resp_at[1, dose] -= b
                else:
                    uniforms = ((0.5, 1.0),)
                for u, chance in uniforms:
                    # decide in place on the parent's arrays, then undo (a copy only for a new state)
                    kept = ctx.admissible.copy()
                    nxt, status, _r, _bn, _br = ctx.decide_raw(
                        dose, n, y, False, u, n_after_cohort, eff=e, efftox=b
                    )
                    decisions += 1
                    pc = py * chance
                    if status == CONTINUE:
                        key = (
                            ctx.n_at.tobytes()
                            + ctx.tox_at.tobytes()
                            + (ctx.resp_at.tobytes() if efficacy else b"")
                            + ctx.admissible.tobytes()
                            + int(nxt).to_bytes(2, "little")
                        )
                        slot = nxt_layer.get(key)
                        if slot is None:
                            nxt_layer[key] = [ctx.copy(), pc, int(nxt), n_after_cohort]
                        else:
                            slot[1] += pc
                    else:
                        chosen = ctx.select(full=False) if status == STOP_SELECT else -1
                        if chosen >= 0:
                            sel[chosen] += pc
                        else:
                            sel_none += pc
                        e_n += pc * ctx.n_at
                        e_tox += pc * ctx.tox_at
                        if efficacy:
                            e_resp += pc * ctx.resp_at[0]
                        total = n_after_cohort
                        if status == STOP_NO_DOSE:
                            early += pc
                        if total < max_n:
                            before_max += pc
                        treated_above += pc * float(ctx.n_at[above].sum()) / max(total, 1)
                    ctx.n_at[dose] -= n
                    ctx.tox_at[dose] -= y
                    ctx.resp_at[0, dose] -= e
                    ctx.resp_at[1, dose] -= b
                    ctx.admissible[:] = kept
            if len(nxt_layer) > max_states:
                raise SpecError(
                    "exact",
                    f"design {design.name!r} under scenario {scenario.name!r} reaches more than "
                    f"{max_states:,} distinct trial states in one cohort (cohort {n_after_cohort // size}"
                    f" of {-(-max_n // size)}, {states + len(nxt_layer):,} states so far"
                    + ("; phase I/II states count responses too" if efficacy else "")
                    + ")",
                    "simulate it instead (leave out --exact and give --trials)",
                )
        states += len(nxt_layer)
        if nxt_layer and decisions:
            elapsed = time.perf_counter() - t0
            per_state = max((decisions - decisions_layer_start) / len(layer), 1.0)  # this cohort's
            projected = len(nxt_layer) * per_state * elapsed / decisions
            if elapsed + projected > max_seconds:
                cohort = n_after_cohort // size
                raise SpecError(
                    "exact",
                    f"design {design.name!r} under scenario {scenario.name!r} would take more than "
                    f"{max_seconds:,.0f} s: after cohort {cohort} of {-(-max_n // size)}, "
                    f"{elapsed:,.0f} s so far and about {projected:,.0f} s for the next cohort alone "
                    f"({len(nxt_layer):,} states, {1e3 * elapsed / decisions:.2g} ms per decision)",
                    "simulate it instead (leave out --exact and give --trials)",
                )
        decisions_layer_start = decisions
        layer = nxt_layer
    included = included_doses(design)
    correct = correct_mask(p, design.target, acceptable_band, included)  # none when no dose is acceptable
    none_correct = no_acceptable_dose(p, design.target, acceptable_band, included)
    values = {
        "prob_select": [float(x) for x in sel],
        "prob_select_none": float(sel_none),
        "mean_n_at_dose": [float(x) for x in e_n],
        "mean_tox_at_dose": [float(x) for x in e_tox],
        "mean_n": float(e_n.sum()),
        "mean_tox": float(e_tox.sum()),
        "prob_early_stop": float(early),
        "prob_stop_before_max_n": float(before_max),
        "pcs": float(np.dot(sel, correct)) + (sel_none if none_correct else 0.0),
        "prob_select_above_mtd": float(sel[above].sum()),
        "prop_treated_above_mtd": float(treated_above),
    }
    if efficacy:
        utility = true_utilities(design, scenario)
        obd = obd_mask(design, scenario)
        values["prob_select_obd"] = float(sel[obd].sum()) if obd.any() else float(sel_none)
        chosen = float(sel.sum())
        values["mean_utility_selected"] = float(np.dot(sel, utility) / chosen) if chosen > 0 else math.nan
        values["mean_resp_at_dose"] = [float(x) for x in e_resp]
        values["mean_resp"] = float(e_resp.sum())
    mcse = {k: ([0.0] * D if isinstance(v, list) else 0.0) for k, v in values.items()}
    info = ExactInfo(states, decisions, time.perf_counter() - t0)
    oc = OperatingCharacteristics(design.name, scenario.name, 0, design.doses, values, mcse)
    return oc, info
