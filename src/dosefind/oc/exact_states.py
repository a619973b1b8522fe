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


@dataclass(frozen=True)
class LookSplit:
    """Which counts a trial state must also carry (an arm's expansion cohort that counts the escalation
    patients decides at its looks on the first ``looks[i]`` patients treated at the selected dose, in
    treatment order): per dose and look L, how many of the first L patients at the dose had the ``event``
    (``"tox"``: a DLT, when responses depend on DLTs through the copula; ``"resp"``: a response, for a
    phase I/II design whose states count responses). Within a cohort the patients are exchangeable, so
    the count among its first a patients is hypergeometric given the cohort's total."""

    looks: tuple[int, ...]
    event: str


def _split_cohort(split: LookSplit, before: int, m: int, total: int, counted_before: int):
    """[(((look index, count among the first L at the dose), ...), probability)] for a cohort of ``m`` at
    a dose with ``before`` patients already treated there (``counted_before`` of them with the event) and
    ``total`` events in the cohort: the looks L with before < L <= before + m, chained hypergeometric."""
    crossed = [(i, L - before) for i, L in enumerate(split.looks) if before < L <= before + m]
    out = [((), 1.0, 0, 0)]  # (counts so far, probability, patients drawn, events drawn)
    for i, a in crossed:
        nxt = []
        for counts, w, drawn, got in out:
            rest, left, take = m - drawn, total - got, a - drawn
            for h in range(max(0, take - (rest - left)), min(take, left) + 1):
                pr = math.comb(left, h) * math.comb(rest - left, take - h) / math.comb(rest, take)
                nxt.append((counts + ((i, counted_before + got + h),), w * pr, a, got + h))
        out = nxt
    return [(counts, w) for counts, w, _a, _g in out]


def follow_trial_states(
    design: Design,
    scenario,
    on_stop,
    *,
    split: LookSplit | None = None,
    max_states: int = MAX_STATES,
    max_seconds: float = MAX_SECONDS,
) -> ExactInfo:
    """Follow every reachable trial state of ``design`` under ``scenario`` (module doc) and hand each
    stopping decision to ``on_stop(ctx, status, n_total, parts)``: the context holds the final counts
    (``n_at``, ``tox_at``, ``resp_at``), ``status`` is the kernel's, ``n_total`` the patients treated,
    and ``parts`` lists (probability, looks seen): with ``split``, one part per split of the cohort, its
    looks seen an int16 array [D, len(split.looks)] of the event counts among the first L patients at
    each dose (-1: fewer than L treated there); without, one part with None. The context is
    the parent's, restored after the call: read it, do not keep it. Refuses (SpecError naming the design)
    a design without exact operating characteristics, a layer beyond ``max_states`` states, and a
    computation projected past ``max_seconds``: after each cohort, the time so far plus the next
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
        from .utility import prob_both

        q = np.asarray(scenario.true_eff, dtype=float)
        pb = [prob_both(float(p[d]), float(q[d]), float(scenario.correlation)) for d in range(D)]
        outcomes = {}  # (dose, n) -> the cohort's outcomes
    by_resp = split is not None and split.event == "resp"
    size = design.cohort_size
    max_n = design.max_n
    home = home_of(design)
    root = DecisionContext(design)
    no_split = [((), 1.0)]
    # a layer: state key -> [context, probability, dose of the next cohort, patients so far, looks seen]
    seen0 = None if split is None else np.full((D, len(split.looks)), -1, dtype=np.int16)
    layer: dict[bytes, list] = {b"": [root, 1.0, design.start_dose - 1, 0, seen0]}
    states = 1
    decisions = 0
    decisions_layer_start = 0
    n_after_cohort = 0
    while layer:
        nxt_layer: dict[bytes, list] = {}
        for ctx, prob, dose, n_before, seen in layer.values():
            n = min(size, max_n - n_before)
            n_after_cohort = n_before + n
            if efficacy:
                if (dose, n) not in outcomes:
                    outcomes[dose, n] = cohort_outcomes(n, float(p[dose]), float(q[dose]), pb[dose])
                cohort = outcomes[dose, n]
            else:
                cohort = cohort_outcomes(n, float(p[dose]))
            at_dose = int(ctx.n_at[dose])
            counted_at_dose = int(ctx.resp_at[0, dose] if by_resp else ctx.tox_at[dose])
            for y, e, b, pr in cohort:
                py = prob * pr
                if py == 0.0:
                    continue
                parts = (
                    no_split
                    if split is None
                    else _split_cohort(split, at_dose, n, e if by_resp else y, counted_at_dose)
                )
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
                    stops = []
                    for counts, w in parts:
                        pc = py * chance * w
                        if pc == 0.0:
                            continue
                        seen2 = seen
                        if counts:
                            seen2 = seen.copy()
                            for i, k in counts:
                                seen2[dose, i] = k
                        if status == CONTINUE:
                            key = (
                                ctx.n_at.tobytes()
                                + ctx.tox_at.tobytes()
                                + (ctx.resp_at.tobytes() if efficacy else b"")
                                + ctx.admissible.tobytes()
                                + int(nxt).to_bytes(2, "little")
                                + (b"" if seen2 is None else seen2.tobytes())
                            )
                            slot = nxt_layer.get(key)
                            if slot is None:
                                nxt_layer[key] = [ctx.copy(), pc, int(nxt), n_after_cohort, seen2]
                            else:
                                slot[1] += pc
                        else:
                            stops.append((pc, seen2))
                    if stops:
                        on_stop(ctx, status, n_after_cohort, stops)
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
                    + ("; an arm's states count the patients its cohorts' looks see" if split else "")
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
    return ExactInfo(states, decisions, time.perf_counter() - t0)


def exact_operating_characteristics(
    design: Design,
    scenario: Scenario,
    acceptable_band: float | None = None,
    max_states: int = MAX_STATES,
    max_seconds: float = MAX_SECONDS,
) -> tuple[OperatingCharacteristics, ExactInfo]:
    """The operating characteristics of ``design`` under ``scenario`` computed exactly (module doc), with
    the number of distinct states visited; refusals as :func:`follow_trial_states`."""
    D = design.n_doses
    p = np.asarray(scenario.true_tox, dtype=float)
    efficacy = design.uses_efficacy
    max_n = design.max_n
    sums = {"sel_none": 0.0, "early": 0.0, "before_max": 0.0, "treated_above": 0.0}
    sel = np.zeros(D)
    e_n = np.zeros(D)
    e_tox = np.zeros(D)
    e_resp = np.zeros(D)
    above = doses_above_mtd(design, p, acceptable_band)

    def on_stop(ctx, status, total, parts):
        ((pc, _seen),) = parts
        chosen = ctx.select(full=False) if status == STOP_SELECT else -1
        if chosen >= 0:
            sel[chosen] += pc
        else:
            sums["sel_none"] += pc
        e_n[:] += pc * ctx.n_at
        e_tox[:] += pc * ctx.tox_at
        if efficacy:
            e_resp[:] += pc * ctx.resp_at[0]
        if status == STOP_NO_DOSE:
            sums["early"] += pc
        if total < max_n:
            sums["before_max"] += pc
        sums["treated_above"] += pc * float(ctx.n_at[above].sum()) / max(total, 1)

    info = follow_trial_states(design, scenario, on_stop, max_states=max_states, max_seconds=max_seconds)
    t1 = time.perf_counter()
    sel_none = sums["sel_none"]
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
        "prob_early_stop": float(sums["early"]),
        "prob_stop_before_max_n": float(sums["before_max"]),
        "pcs": float(np.dot(sel, correct)) + (sel_none if none_correct else 0.0),
        "prob_select_above_mtd": float(sel[above].sum()),
        "prop_treated_above_mtd": float(sums["treated_above"]),
    }
    if efficacy:
        from .utility import obd_mask, true_utilities

        utility = true_utilities(design, scenario)
        obd = obd_mask(design, scenario)
        values["prob_select_obd"] = float(sel[obd].sum()) if obd.any() else float(sel_none)
        chosen = float(sel.sum())
        values["mean_utility_selected"] = float(np.dot(sel, utility) / chosen) if chosen > 0 else math.nan
        values["mean_resp_at_dose"] = [float(x) for x in e_resp]
        values["mean_resp"] = float(e_resp.sum())
    mcse = {k: ([0.0] * D if isinstance(v, list) else 0.0) for k, v in values.items()}
    info = ExactInfo(info.states, info.decisions, info.seconds + time.perf_counter() - t1)
    oc = OperatingCharacteristics(design.name, scenario.name, 0, design.doses, values, mcse)
    return oc, info
