"""Exact operating characteristics of an untimed arm (escalation, then expansion cohorts): MCSE 0.

The arm kernel (:mod:`dosefind.engine.arm`) is followed over every reachable arm with its probability, in
three steps that together give every metric of :class:`~dosefind.arm.oc.ArmSums`.

1. **Escalation.** The design's trial states, exactly as ``simulate --exact`` follows them
   (:func:`~dosefind.oc.exact_states.follow_trial_states`, the design's own decisions). A stopping
   branch hands over the selected dose s, the patients n and DLTs y at s (where the safety monitor
   starts) and, when a cohort counts the escalation patients, what its looks need: the patients at s enter
   its count in treatment order, so a look at L < n sees the first L of them. Their responses depend on
   their DLTs through the copula (P(response | DLT) = P(both) / p, P(response | no DLT) = (q - P(both)) /
   (1 - p), the Gaussian copula's exact joint probability, :func:`dosefind.oc.utility.prob_both`), so
   the states also carry, per dose and look L, the DLTs among the first L patients there (hypergeometric
   within the cohort that crosses L: its patients are exchangeable). With rho = 0 nothing is carried
   (responses are independent of DLTs); a phase I/II design's states count responses, so they carry the
   responses among the first L instead and the carried patients' responses are known.
2. **Opening.** Per such class, the carried patients' responses segment by segment between the looks
   (a sum of two binomials per segment), each carrying cohort's looks on them, and the total responses
   at s, which open the extension when at least ``open_min_responses``.
3. **Extension.** The kernel enrols new patients in rounds: one to each open cohort in cohort order,
   until every cohort has decided. A cohort open after r rounds has r new patients, so the state after a
   cohort's step is, per cohort, open or not with its count, responses and look, plus the safety
   monitor's patients and DLTs at s and whether some cohort was found active. Each new patient has one of
   four outcomes (DLT and response with P(both) at the cohort's own response rate); the look and the
   safety monitor decide as the kernel does, and states that coincide merge (numpy, row by row). A
   cohort's decision is final, so it is added to the metrics when taken and the cohort's columns are
   cleared. A new patient's DLT is not read by anything when there is no safety monitor, and the
   expected DLTs of a cohort are p_s times its expected new patients (whether a patient is enrolled is
   decided before their outcome).

Calendar time and designs that decide with pending patients are refused (:func:`exact_arm_supported`).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict

import numpy as np

from ..constants import CohortDecision, Status
from ..engine.arm import _look
from ..errors import SpecError
from ..oc.exact_states import MAX_SECONDS, MAX_STATES, LookSplit, exact_supported, follow_trial_states
from ..oc.metrics import correct_selection, included_doses
from ..oc.utility import prob_both
from .simulate import boundary_arrays, safety_table
from .spec import Arm, ArmScenario, ArmSpec

STOP_SELECT = int(Status.STOP_SELECT)
ACTIVE = int(CohortDecision.ACTIVE)
FUTILE = int(CohortDecision.FUTILE)
#: the most extension states one step may hold before the computation is refused
MAX_EXTENSION_STATES = 2_000_000


def exact_arm_supported(arm: Arm, timed: bool) -> str | None:
    """Why the arm has no exact operating characteristics here (None when it has)."""
    if timed:
        return "the arm runs in calendar time ([timing]); exact operating characteristics are untimed"
    return exact_supported(arm.design)


def _binomial(n: int, p: float) -> np.ndarray:
    k = np.arange(n + 1)
    return np.array([math.comb(n, int(i)) for i in k], dtype=float) * p**k * (1.0 - p) ** (n - k)


class _Cohorts:
    """The expansion cohorts' boundaries as the arm kernel reads them (:func:`~dosefind.arm.simulate
    .boundary_arrays`), with one pad column past the longest rule so that a cohort past its last look
    indexes a look no count matches."""

    def __init__(self, arm: Arm):
        self.looks, self.futility, self.efficacy, self.n_looks = boundary_arrays(arm, pad=1)
        self.C = len(arm.cohorts)
        self.carry = [c for c, cohort in enumerate(arm.cohorts) if cohort.count_escalation]
        self.last = int(self.looks.max())

    def look(self, c: int, lk: int, count: int, resp: int) -> tuple[int, int]:
        """The kernel's own look (:func:`dosefind.engine.arm._look`): (decision or -1, next look index)."""
        dec, nxt = _look(self.looks[c], self.futility[c], self.efficacy[c], self.n_looks[c], lk, count, resp)
        return int(dec), int(nxt)


def _carried(cohorts: _Cohorts, looks: tuple[int, ...], n: int, total: int, seen, q1, q0, by_resp):
    """{(per carrying cohort (decision, count, responses, look)..., total responses at s): probability}
    after the carrying cohorts count the n escalation patients at s. ``seen[i]``: events (DLTs, or
    responses when ``by_resp``) among the first ``looks[i]`` patients (-1: not recorded), ``total`` the
    events among all n; between two cuts the segment's responses are Bin(DLTs, q1) + Bin(others, q0),
    or known (``by_resp``)."""
    cuts = sorted({L for L in looks if L <= n} | ({n} if n > 0 else set()))
    at = {L: int(seen[i]) for i, L in enumerate(looks) if seen is not None and seen[i] >= 0}
    at[n] = total
    start = tuple((-1, 0, 0, 0) for _ in cohorts.carry)
    states = {(start, 0): 1.0}
    prev_n, prev_k = 0, 0
    known = by_resp or q1 != q0  # the counts at the cuts matter (else every segment is Bin(m, q0))
    for cut in cuts:
        m = cut - prev_n
        k = at.get(cut) if known else 0
        if k is None:
            raise AssertionError(f"no event count recorded at look {cut}")  # the split records every look
        if by_resp:
            dist = {k - prev_k: 1.0}
        else:
            conv = np.convolve(_binomial(k - prev_k, q1), _binomial(m - (k - prev_k), q0))
            dist = {r: float(w) for r, w in enumerate(conv) if w > 0.0}
        nxt: dict = defaultdict(float)
        for (cs, R), w in states.items():
            for r, pr in dist.items():
                new = []
                for j, (dec, cnt, rsp, lk) in enumerate(cs):
                    if dec >= 0:
                        new.append((dec, cnt, rsp, lk))
                        continue
                    cnt, rsp = cut, rsp + r
                    dec, lk = cohorts.look(cohorts.carry[j], lk, cnt, rsp)
                    new.append((dec, cnt, rsp, lk))
                nxt[(tuple(new), R + r)] += w * pr
        states = nxt
        prev_n, prev_k = cut, k
    return states


class _Totals:
    """The extension's probability-weighted sums."""

    def __init__(self, C: int):
        self.active = np.zeros(C)
        self.futile = np.zeros(C)
        self.safety = np.zeros(C)
        self.counted = np.zeros(C)
        self.new_n = np.zeros(C)
        self.tox = np.zeros(C)
        self.safety_stop = 0.0
        self.any_active = 0.0


def _merge(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``x`` (non-negative integers) made distinct, their probabilities ``w`` added: one int64
    key per row in mixed radix when the columns' ranges allow it (sorting rows as records is far slower)."""
    if x.shape[0] == 0:
        return x, w
    radix = x.max(axis=0) + 1
    if math.prod(int(r) for r in radix) < 1 << 62:
        key = np.zeros(x.shape[0], dtype=np.int64)
        for j in range(x.shape[1]):
            key = key * radix[j] + x[:, j]
        _u, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        rows = x[first]
    else:
        rows, inverse = np.unique(x, axis=0, return_inverse=True)
    return rows, np.bincount(inverse.ravel(), weights=w, minlength=rows.shape[0])


def _extension(cohorts: _Cohorts, x, w, probs, p_tox, safety, totals: _Totals, label: str) -> int:
    """Follow the extension from the opening states ``x`` (rows: per cohort open, count, responses,
    look; then the monitor's n and y and any-active) with probabilities ``w``; ``probs[c]`` the four
    outcome probabilities (DLT and response, DLT only, response only, neither) of cohort c's new
    patients. Adds into ``totals``; returns the states visited."""
    C = cohorts.C
    NS, YS, ANY = 4 * C, 4 * C + 1, 4 * C + 2
    visited = 0
    rounds = 0
    while x.shape[0]:
        rounds += 1
        if rounds > cohorts.last + 1:
            raise AssertionError("an expansion cohort did not decide at its last look")  # rules guarantee it
        for c in range(C):
            O, N, R, K = 4 * c, 4 * c + 1, 4 * c + 2, 4 * c + 3
            go = x[:, O] == 1
            if not go.any():
                continue
            keep_x, keep_w = x[~go], w[~go]
            xo, wo = x[go], w[go]
            mass = float(wo.sum())
            totals.new_n[c] += mass
            totals.tox[c] += p_tox * mass
            parts_x, parts_w = [keep_x], [keep_w]
            for (dlt, r), po in zip(((1, 1), (1, 0), (0, 1), (0, 0)), probs[c], strict=True):
                if po == 0.0:
                    continue
                y = xo.copy()
                wy = wo * po
                y[:, N] += 1
                y[:, R] += r
                if safety is not None:
                    y[:, NS] += 1
                    y[:, YS] += dlt
                lk = y[:, K]
                at = cohorts.looks[c, lk] == y[:, N]
                fut = at & (y[:, R] <= cohorts.futility[c, lk])
                act = at & ~fut & (y[:, R] >= cohorts.efficacy[c, lk])
                y[at & ~fut & ~act, K] += 1
                done = fut | act
                totals.futile[c] += float(wy[fut].sum())
                totals.active[c] += float(wy[act].sum())
                totals.counted[c] += float(np.dot(wy[done], y[done, N]))
                y[act, ANY] = 1
                y[done, O : K + 1] = 0
                if safety is not None:
                    stop = safety[y[:, NS], y[:, YS]] == 1
                    if stop.any():
                        ws = wy[stop]
                        ys = y[stop]
                        totals.safety_stop += float(ws.sum())
                        totals.any_active += float(np.dot(ws, ys[:, ANY]))
                        for c2 in range(C):
                            still = ys[:, 4 * c2] == 1
                            totals.safety[c2] += float(ws[still].sum())
                            totals.counted[c2] += float(np.dot(ws[still], ys[still, 4 * c2 + 1]))
                        y, wy = y[~stop], wy[~stop]
                closed = ~(y[:, 0 : 4 * C : 4] == 1).any(axis=1)
                if closed.any():
                    totals.any_active += float(np.dot(wy[closed], y[closed, ANY]))
                    y, wy = y[~closed], wy[~closed]
                parts_x.append(y)
                parts_w.append(wy)
            x, w = _merge(np.concatenate(parts_x), np.concatenate(parts_w))
            visited += x.shape[0]
            if x.shape[0] > MAX_EXTENSION_STATES:
                raise SpecError(
                    "exact",
                    f"{label}: the extension reaches more than {MAX_EXTENSION_STATES:,} distinct states",
                    "simulate the arm instead (leave out --exact and give --trials)",
                )
    return visited


def exact_arm_oc(
    arm: Arm,
    scenario: ArmScenario,
    acceptable_band: float | None = None,
    max_states: int = MAX_STATES,
    max_seconds: float = MAX_SECONDS,
) -> tuple[list[dict], dict]:
    """The arm's operating characteristics under ``scenario`` computed exactly (module doc): the rows of
    :class:`~dosefind.arm.oc.ArmSums` in its order with every MCSE 0, and the cost ({"states": escalation
    states + extension states, "seconds"}). Refusals as
    :func:`~dosefind.oc.exact_states.follow_trial_states`."""
    why = exact_arm_supported(arm, False)
    if why is not None:
        raise SpecError("exact", f"arm {arm.name!r}: {why}", "simulate the arm (leave out --exact)")
    t0 = time.perf_counter()
    design = arm.design
    D = design.n_doses
    cohorts = _Cohorts(arm)
    C = cohorts.C
    p = np.asarray(scenario.true_tox, dtype=float)
    q = np.asarray(scenario.true_eff, dtype=float)
    rho = float(scenario.correlation)
    both = [prob_both(float(p[d]), float(q[d]), rho) for d in range(D)]
    by_resp = design.uses_efficacy
    carry_looks = tuple(
        sorted({int(L) for c in cohorts.carry for L in cohorts.looks[c, : cohorts.n_looks[c]]})
    )
    split = None
    if carry_looks and (by_resp or rho != 0.0):
        split = LookSplit(carry_looks, "resp" if by_resp else "tox")

    sel = np.zeros(D)
    none = [0.0]
    e_n, e_tox, e_resp = np.zeros(D), np.zeros(D), np.zeros(D)
    classes: dict = defaultdict(float)  # (s, n, y, total events, events at the looks) -> probability

    def on_stop(ctx, status, _total, parts):
        chosen = ctx.select(full=False) if status == STOP_SELECT else -1
        pc = math.fsum(w for w, _seen in parts)
        e_n[:] += pc * ctx.n_at
        e_tox[:] += pc * ctx.tox_at
        if by_resp:
            e_resp[:] += pc * ctx.resp_at[0]
        if chosen < 0:
            none[0] += pc
            return
        sel[chosen] += pc
        n, y = int(ctx.n_at[chosen]), int(ctx.tox_at[chosen])
        events = int(ctx.resp_at[0, chosen]) if by_resp else y
        for w, seen in parts:
            looks_seen = () if seen is None else tuple(seen[chosen].tolist())
            classes[(chosen, n, y, events, looks_seen)] += w

    info = follow_trial_states(
        design, scenario, on_stop, split=split, max_states=max_states, max_seconds=max_seconds
    )
    if not by_resp:
        e_resp = e_n * q  # a patient's response has probability q_d whatever was decided before them

    # opening: the carried patients, then the extension's states per selected dose
    table, on = safety_table(arm)
    safety = table if on else None
    coh_q = np.array([scenario.response_of(c.name) for c in arm.cohorts], dtype=float)
    totals = _Totals(C)
    opened = np.zeros(D)
    start: dict = defaultdict(lambda: defaultdict(float))  # s -> opening state -> probability
    for (s, n, y, events, looks_seen), w in classes.items():
        ps, qs = float(p[s]), float(q[s])
        q1 = both[s] / ps if ps > 0.0 else qs
        q0 = (qs - both[s]) / (1.0 - ps) if ps < 1.0 else qs
        if not by_resp and rho == 0.0:
            q1 = q0 = qs
        seen = None
        if looks_seen:
            seen = np.array([looks_seen[carry_looks.index(L)] for L in carry_looks])
        for (carried, R), wc in _carried(cohorts, carry_looks, n, events, seen, q1, q0, by_resp).items():
            if R < arm.open_min_responses:
                continue
            wo = w * wc
            opened[s] += wo
            row = [0] * (4 * C + 3)
            for c in range(C):
                row[4 * c] = 1
            for j, c in enumerate(cohorts.carry):
                dec, cnt, rsp, lk = carried[j]
                if dec >= 0:
                    row[4 * c] = 0
                    totals.active[c] += wo * (dec == ACTIVE)
                    totals.futile[c] += wo * (dec == FUTILE)
                    totals.counted[c] += wo * cnt
                    row[4 * C + 2] |= int(dec == ACTIVE)
                else:
                    row[4 * c + 1 : 4 * c + 4] = [cnt, rsp, lk]
            row[4 * C] = n
            row[4 * C + 1] = y
            if not any(row[4 * c] for c in range(C)):
                totals.any_active += wo * row[4 * C + 2]
                continue
            start[s][tuple(row)] += wo
    visited = 0
    label = f"arm {arm.name!r} under scenario {scenario.name!r}"
    for s, rows in start.items():
        ps = float(p[s])
        probs = []
        for c in range(C):
            qc = float(coh_q[c, s])
            b = prob_both(ps, qc, rho)
            probs.append((b, max(ps - b, 0.0), max(qc - b, 0.0), max(1.0 - ps - qc + b, 0.0)))
        x = np.array(list(rows.keys()), dtype=np.int64)
        w = np.array(list(rows.values()), dtype=float)
        if safety is None:  # nothing reads the monitor: DLTs of new patients need no branches
            x[:, 4 * C : 4 * C + 2] = 0
            probs = [(0.0, 0.0, pr[0] + pr[2], pr[1] + pr[3]) for pr in probs]
            x, w = _merge(x, w)
        visited += _extension(cohorts, x, w, probs, ps, safety, totals, label)

    p_open = float(opened.sum())
    hit = correct_selection(np.arange(-1, D), p, design.target, acceptable_band, included_doses(design))
    values: list[tuple[str, str, float]] = []
    add = values.append
    add(("prob_select_none", "", none[0]))
    add(("prob_select_correct", "", float(hit[0]) * none[0] + float(np.dot(hit[1:], sel))))
    add(("mean_escalation_n", "", float(e_n.sum())))
    add(("mean_escalation_tox", "", float(e_tox.sum())))
    labels = design.doses
    for d, lab in enumerate(labels):
        add(("prob_select", lab, float(sel[d])))
    for name, arr in (("mean_n_at_dose", e_n), ("mean_tox_at_dose", e_tox), ("mean_resp_at_dose", e_resp)):
        for d, lab in enumerate(labels):
            add((name, lab, float(arr[d])))
    ext_n, ext_tox = float(totals.new_n.sum()), float(totals.tox.sum())
    add(("prob_open", "", p_open))
    add(("prob_safety_stop", "", totals.safety_stop))
    add(("prob_any_active", "", totals.any_active))
    add(("mean_extension_n", "", ext_n))
    add(("mean_extension_tox", "", ext_tox))
    add(("mean_total_n", "", float(e_n.sum()) + ext_n))
    add(("mean_total_tox", "", float(e_tox.sum()) + ext_tox))
    nan = math.nan
    for c, cohort in enumerate(arm.cohorts):
        name = cohort.name
        add(("prob_active", name, float(totals.active[c])))
        add(("prob_futile", name, float(totals.futile[c])))
        add(("prob_cohort_safety_stop", name, float(totals.safety[c])))
        add(("prob_active_if_open", name, float(totals.active[c]) / p_open if p_open > 0 else nan))
        add(
            (
                "true_response_at_selected",
                name,
                float(np.dot(opened, coh_q[c])) / p_open if p_open > 0 else nan,
            )
        )
        add(("mean_new_n", name, float(totals.new_n[c])))
        add(("mean_counted", name, float(totals.counted[c])))
        add(("mean_cohort_tox", name, float(totals.tox[c])))
    rows = [
        {"arm": arm.name, "scenario": scenario.name, "metric": m, "level": lev, "value": v, "mcse": 0.0}
        for m, lev, v in values
    ]
    cost = {"scenario": scenario.name, "states": info.states + visited, "seconds": time.perf_counter() - t0}
    return rows, cost


def exact_arm_spec(spec: ArmSpec, acceptable_band: float | None = None):
    """Every scenario of an arm file, computed exactly (:func:`exact_arm_oc`): an
    :class:`~dosefind.arm.oc.ArmStudyResult` whose provenance says ``"method": "exact"`` with the states
    and seconds per scenario."""
    from .oc import ArmStudyResult, arm_provenance

    why = exact_arm_supported(spec.arm, spec.timing is not None)
    if why is not None:
        raise SpecError("exact", f"arm {spec.arm.name!r}: {why}", "simulate the arm (leave out --exact)")
    rows: list[dict] = []
    cost = []
    for s in spec.scenarios:
        r, c = exact_arm_oc(spec.arm, s, acceptable_band)
        rows.extend(r)
        c["seconds"] = round(c["seconds"], 3)
        cost.append(c)
    prov = arm_provenance(spec, 0, 0)
    prov["method"] = "exact"
    prov["exact"] = cost
    return ArmStudyResult(spec.arm, spec.scenarios, tuple(rows), prov)
