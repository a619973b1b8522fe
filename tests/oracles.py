"""Deliberately naive pure-Python implementations of the designs, written from the papers' rules.

They share no code with the engine: scipy's beta distribution for BOIN's elimination, scipy's adaptive
quadrature for the CRM posterior, plain loops everywhere. Each ``*_trial`` takes the trial's latent
uniforms (patient i has a DLT at dose d iff u[i] < p[d]) and returns (selected 0-based dose or -1,
n per dose, DLTs per dose, list of doses given per cohort).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import integrate
from scipy.special import expit, log_expit
from scipy.stats import beta


def _treat(p, u, d, size, state):
    n, y, total = state["n"], state["y"], state["total"]
    tox = sum(1 for i in range(total, total + size) if u[i] < p[d])
    n[d] += size
    y[d] += tox
    state["total"] = total + size
    state["last_n"] = size
    state["doses"].append(d)
    return tox


def _apply_modifiers(mods, state, cur, nxt, status):
    """Modifiers as documented: in order, after the base rule; then max_n."""
    n, y, total = state["n"], state["y"], state["total"]
    for m in mods:
        k = m["kind"]
        if k == "stop_at_n" and status == "go" and total >= m["n"]:
            status = "select"
        elif k == "stop_when_n_at_dose" and status == "go":
            which = m.get("dose", "recommended")
            count = n[nxt] if which == "recommended" else (max(n) if which == "any" else n[which - 1])
            if count >= m["n"]:
                status = "select"
        elif k == "dont_skip" and status == "go":
            if m.get("escalation", True) and nxt > cur + 1:
                nxt = cur + 1
            if m.get("deescalation", False) and nxt < cur - 1:
                nxt = cur - 1
        elif k == "stop_when_too_toxic":
            d = m.get("dose", 1) - 1
            if n[d] >= m.get("min_n", 3):
                a, b = m.get("prior_a", 1.0), m.get("prior_b", 1.0)
                if beta.sf(m["threshold"], a + y[d], b + n[d] - y[d]) > m.get("confidence", 0.95):
                    status = "none"
    return nxt, status


def _run(p, u, D, cohort, max_n, start, base, select, mods, admissible=None):
    state = {"n": [0] * D, "y": [0] * D, "total": 0, "doses": []}
    adm = admissible if admissible is not None else [True] * D
    cur = start
    while True:
        size = min(cohort, max_n - state["total"])
        tox = _treat(p, u, cur, size, state)
        nxt, status = base(cur, tox, state, adm)
        nxt, status = _apply_modifiers(mods, state, cur, nxt, status)
        if status == "go" and state["total"] >= max_n:
            status = "select"
        if status == "go" and not adm[nxt]:
            while nxt >= 0 and not adm[nxt]:
                nxt -= 1
            if nxt < 0:
                status = "none"
        if status != "go":
            break
        cur = nxt
    sel = select(state, adm) if status == "select" else -1
    return sel, state["n"], state["y"], state["doses"]


# ---- BOIN -------------------------------------------------------------------------------------------
def boin_lambdas(target, phi1=None, phi2=None):
    phi1 = 0.6 * target if phi1 is None else phi1
    phi2 = 1.4 * target if phi2 is None else phi2
    le = math.log((1 - phi1) / (1 - target)) / math.log(target * (1 - phi1) / (phi1 * (1 - target)))
    ld = math.log((1 - target) / (1 - phi2)) / math.log(phi2 * (1 - target) / (target * (1 - phi2)))
    return le, ld


def naive_pava(values, weights):
    v = list(values)
    w = list(weights)
    blocks = [[i] for i in range(len(v))]
    vals = v[:]
    wts = w[:]
    changed = True
    while changed:
        changed = False
        for i in range(len(vals) - 1):
            if vals[i] > vals[i + 1]:
                tot = wts[i] + wts[i + 1]
                vals[i] = (vals[i] * wts[i] + vals[i + 1] * wts[i + 1]) / tot
                wts[i] = tot
                blocks[i] += blocks[i + 1]
                del vals[i + 1], wts[i + 1], blocks[i + 1]
                changed = True
                break
    out = [0.0] * len(v)
    for val, blk in zip(vals, blocks, strict=True):
        for j in blk:
            out[j] = val
    return out


def boin_select(state, adm, target, cutoff, bound_lambda=None):
    n, y = state["n"], state["y"]
    D = len(n)
    limit = D
    for d in range(D):
        if n[d] >= 3 and beta.sf(target, 1 + y[d], 1 + n[d] - y[d]) > cutoff:
            limit = d
            break
    if limit == 0 or not adm[0]:
        return -1
    doses = [d for d in range(D) if d < limit and adm[d] and n[d] > 0]
    if not doses:
        return -1
    ph = [(y[d] + 0.05) / (n[d] + 0.1) for d in doses]
    var = [(y[d] + 0.05) * (n[d] - y[d] + 0.05) / ((n[d] + 0.1) ** 2 * (n[d] + 0.1 + 1)) for d in doses]
    iso = naive_pava(ph, [1 / x for x in var])
    est = [iso[i] + (i + 1) * 1e-10 for i in range(len(doses))]
    cands = [i for i in range(len(doses)) if bound_lambda is None or est[i] <= bound_lambda]
    if not cands:
        return -1
    gaps = [abs(est[i] - target) for i in cands]
    return doses[cands[gaps.index(min(gaps))]]


def boin_trial(
    p,
    u,
    *,
    target,
    n_doses,
    cohort_size,
    max_n,
    start_dose=1,
    cutoff_eli=0.95,
    extrasafe=False,
    offset=0.05,
    n_earlystop=None,
    phi1=None,
    phi2=None,
    bound_mtd=False,
    modifiers=(),
):
    le, ld = boin_lambdas(target, phi1, phi2)
    D = n_doses
    adm = [True] * D

    def base(cur, tox, state, adm):
        n, y = state["n"][cur], state["y"][cur]
        p_over = beta.sf(target, 1 + y, 1 + n - y) if n >= 3 else 0.0
        eliminated = p_over > cutoff_eli
        if eliminated:
            for j in range(cur, D):
                adm[j] = False
            if cur == 0:
                return cur, "none"
        if extrasafe and cur == 0 and n >= 3 and p_over > cutoff_eli - offset:
            return cur, "none"
        # BOIN package rules: escalate iff y <= floor(n lambda_e); de-escalate iff y > n lambda_d
        # (n lambda_d within 1e-12 of an integer counts as that integer), or the dose is eliminated
        x = ld * n
        deesc_limit = round(x) if abs(round(x) - x) < 1e-12 else x
        if y <= math.floor(le * n):
            nxt = cur + 1 if cur < D - 1 and adm[cur + 1] else cur
        elif y > deesc_limit or eliminated:
            nxt = max(cur - 1, 0)
        else:
            nxt = cur
        if nxt == cur and n_earlystop is not None and n >= n_earlystop:
            return cur, "select"
        return nxt, "go"

    return _run(
        p,
        u,
        D,
        cohort_size,
        max_n,
        start_dose - 1,
        base,
        lambda s, a: boin_select(s, a, target, cutoff_eli, ld if bound_mtd else None),
        modifiers,
        adm,
    )


# ---- CRM --------------------------------------------------------------------------------------------
def crm_model(skeleton, model, intercept):
    s = np.asarray(skeleton, dtype=float)
    if model == "empiric":
        return lambda b: s ** math.exp(b)
    x = np.log(s / (1 - s)) - intercept
    return lambda b: expit(intercept + math.exp(b) * x)


def crm_loglik_terms(skeleton, model, intercept):
    """b -> (log p_d(b), log(1 - p_d(b))) computed without overflow."""
    s = np.asarray(skeleton, dtype=float)
    if model == "empiric":
        c = np.log(s)

        def terms(b):
            lp = math.exp(b) * c
            return lp, np.log(-np.expm1(lp))

        return terms
    x = np.log(s / (1 - s)) - intercept

    def terms(b):
        eta = intercept + math.exp(b) * x
        return log_expit(eta), log_expit(-eta)

    return terms


def crm_posterior_quad(n, y, skeleton, model="empiric", intercept=3.0, prior_sd=math.sqrt(1.34), full=True):
    """Posterior mean and variance of b and the posterior mean of each p_d, by scipy.integrate.quad;
    remembered by data and model (oracle trials pass through the same early states again and again)."""
    key = (tuple(map(float, n)), tuple(map(float, y)), tuple(skeleton), model, intercept, prior_sd, full)
    if key not in _CRM_QUAD:
        _CRM_QUAD[key] = _crm_posterior_quad(n, y, skeleton, model, intercept, prior_sd, full)
    return _CRM_QUAD[key]


_CRM_QUAD: dict = {}


def _crm_posterior_quad(n, y, skeleton, model, intercept, prior_sd, full):
    prob = crm_model(skeleton, model, intercept)
    terms = crm_loglik_terms(skeleton, model, intercept)
    n = np.asarray(n, dtype=float)
    y = np.asarray(y, dtype=float)

    def loglik(b):
        lp, lq = terms(b)
        return float(np.sum(y * lp + (n - y) * lq))

    lo, hi = -10 * prior_sd, 10 * prior_sd
    grid = np.linspace(lo, hi, 401)
    vals = [loglik(b) - 0.5 * (b / prior_sd) ** 2 for b in grid]
    m = max(vals)
    mode = grid[int(np.argmax(vals))]

    def dens(b):
        return math.exp(loglik(b) - 0.5 * (b / prior_sd) ** 2 - m)

    def q(g):
        return integrate.quad(g, lo, hi, points=[mode], limit=400, epsabs=0, epsrel=1e-12)[0]

    z = q(dens)
    mean = q(lambda b: b * dens(b)) / z
    if not full:
        return mean, None, None, (dens, z, lo, hi, mode)
    var = q(lambda b: (b - mean) ** 2 * dens(b)) / z
    pmean = [q(lambda b, d=d: prob(b)[d] * dens(b)) / z for d in range(len(skeleton))]
    return mean, var, pmean, (dens, z, lo, hi, mode)


def crm_prob_above(n, y, skeleton, threshold, dose, model="empiric", intercept=3.0, prior_sd=math.sqrt(1.34)):
    """P(p_dose > threshold | data) by quadrature of the posterior of b over {b : p_dose(b) > threshold}."""
    _, _, _, (dens, z, lo, hi, mode) = crm_posterior_quad(
        n, y, skeleton, model, intercept, prior_sd, full=False
    )
    s = skeleton[dose]
    if model == "empiric":
        bstar = math.log(math.log(threshold) / math.log(s))
    else:
        x = math.log(s / (1 - s)) - intercept
        bstar = math.log((math.log(threshold / (1 - threshold)) - intercept) / x)
    if bstar <= lo:
        return 0.0
    pts = [mode] if lo < mode < min(bstar, hi) else None
    return integrate.quad(dens, lo, min(bstar, hi), points=pts, limit=400, epsabs=0, epsrel=1e-12)[0] / z


def crm_trial(
    p,
    u,
    *,
    target,
    skeleton,
    n_doses,
    cohort_size,
    max_n,
    start_dose=1,
    model="empiric",
    intercept=3.0,
    prior_sd=math.sqrt(1.34),
    dose_choice="plugin",
    no_skip_escalation=True,
    skip_reference="last_dose",
    coherence="last_cohort",
    safety_confidence=None,
    safety_threshold=None,
    safety_min_n=1,
    select_tried_only=False,
    modifiers=(),
):
    prob = crm_model(skeleton, model, intercept)
    D = n_doses

    def estimate(state):
        mean, _, pmean, _ = crm_posterior_quad(
            state["n"], state["y"], skeleton, model, intercept, prior_sd, full=dose_choice != "plugin"
        )
        return prob(mean) if dose_choice == "plugin" else np.asarray(pmean)

    def closest(est, allowed):
        gaps = [abs(est[d] - target) if allowed[d] else math.inf for d in range(D)]
        return gaps.index(min(gaps))

    def base(cur, tox, state, adm):
        if safety_confidence is not None and state["n"][0] >= safety_min_n:
            thr = target if safety_threshold is None else safety_threshold
            if (
                crm_prob_above(state["n"], state["y"], skeleton, thr, 0, model, intercept, prior_sd)
                > safety_confidence
            ):
                return 0, "none"
        nxt = closest(estimate(state), [True] * D)
        if no_skip_escalation:
            ref = cur if skip_reference == "last_dose" else max(d for d in range(D) if state["n"][d] > 0)
            nxt = min(nxt, ref + 1)
        last_n = state["last_n"]
        if nxt > cur and (
            (coherence == "last_cohort" and tox > 0)
            or (coherence == "last_cohort_rate" and tox / last_n >= target)
        ):
            nxt = cur
        return nxt, "go"

    def select(state, adm):
        allowed = [state["n"][d] > 0 for d in range(D)] if select_tried_only else [True] * D
        return closest(estimate(state), allowed)

    return _run(p, u, D, cohort_size, max_n, start_dose - 1, base, select, modifiers)


# ---- 3+3 --------------------------------------------------------------------------------------------
def tpt_trial(p, u, *, n_doses, deescalation=True, expand_top_dose=True, max_n=None, modifiers=()):
    D = n_doses
    max_n = 6 * D if max_n is None else max_n

    def base(cur, tox, state, adm):
        n, y = state["n"], state["y"]
        if y[cur] >= 2:
            if cur == 0:
                return cur, "none"
            if not deescalation or n[cur - 1] >= 6:
                return cur - 1, "select"
            return cur - 1, "go"
        above_toxic = cur + 1 < D and y[cur + 1] >= 2
        if n[cur] == 3:
            if cur == D - 1 and y[cur] == 0 and not expand_top_dose:
                return cur, "select"
            if y[cur] == 1 or cur == D - 1 or above_toxic:
                return cur, "go"
            return cur + 1, "go"
        if cur == D - 1 or above_toxic:
            return cur, "select"
        return cur + 1, "go"

    def select(state, adm):
        n, y = state["n"], state["y"]
        toxic = [d for d in range(D) if y[d] >= 2]
        first = toxic[0] if toxic else D
        if not deescalation:
            return first - 1
        ok = [d for d in range(first) if n[d] >= 6 or (d == D - 1 and not expand_top_dose and n[d] == 3)]
        return ok[-1] if ok else -1

    return _run(p, u, D, 3, max_n, 0, base, select, modifiers)


# ---- A+B (Lin & Shih 2001) ----------------------------------------------------------------------------
def apb_trial(
    p, u, *, n_doses, a, b, c, d, e, deescalation=True, expand_top_dose=True, max_n=None, modifiers=()
):
    """Lin & Shih's A+B rules told as stages: each dose remembers which stages it has completed and
    whether it failed (more than D of A, or more than E of A + B); patients come in cohorts of gcd(A, B)
    and nothing is decided until a stage is complete."""
    D = n_doses
    max_n = (a + b) * D if max_n is None else max_n
    failed = [False] * D

    def base(cur, tox, state, adm):
        n, y = state["n"], state["y"]
        if n[cur] not in (a, a + b):
            return cur, "go"  # the stage is not complete
        second = n[cur] == a + b
        if (not second and y[cur] > d) or (second and y[cur] > e):
            failed[cur] = True
            if cur == 0:
                return cur, "none"
            below = cur - 1
            if not deescalation or n[below] == a + b:
                return below, "select"
            return below, "go"  # B more at the dose below
        if not second and y[cur] >= c:
            return cur, "go"  # B more here
        coming_down = cur + 1 < D and failed[cur + 1]
        if not second:  # fewer than C of A
            if coming_down or (cur == D - 1 and expand_top_dose):
                return cur, "go"
            if cur == D - 1:
                return cur, "select"
            return cur + 1, "go"
        if coming_down or cur == D - 1:
            return cur, "select"
        return cur + 1, "go"

    def select(state, adm):
        n = state["n"]
        first = failed.index(True) if any(failed) else D
        if not deescalation:
            return first - 1
        confirmed = [
            j for j in range(first) if n[j] == a + b or (j == D - 1 and not expand_top_dose and n[j] == a)
        ]
        return confirmed[-1] if confirmed else -1

    return _run(p, u, D, math.gcd(a, b), max_n, 0, base, select, modifiers)


# ---- table-driven family ----------------------------------------------------------------------------
def table_trial(
    p, u, table, *, n_doses, target, cohort_size, max_n, start_dose=1, modifiers=(), selector=None
):
    """A table-driven design from its action table (table[n][y]: "S", "E", "D" or "DU"), as documented in
    designs/table: DU eliminates the dose and all above it; E at the top or below an eliminated dose
    stays, D at the bottom stays, DU at the bottom stops with no dose. Selection: isotonic fit of y/n
    weighted by n over the tried admissible doses, closest to the target (+ i * 1e-10 tie-break), or
    ``selector(n per dose, y per dose, admissible)``."""

    def base(cur, tox, state, adm):
        n, y = state["n"][cur], state["y"][cur]
        action = table[n][y]
        if action == "DU":
            for j in range(cur, n_doses):
                adm[j] = False
            return (cur, "none") if cur == 0 else (cur - 1, "go")
        if action == "E":
            return (cur + 1, "go") if cur < n_doses - 1 and adm[cur + 1] else (cur, "go")
        if action == "D":
            return (max(cur - 1, 0), "go")
        return cur, "go"

    def select(state, adm):
        if selector is not None:
            return selector(state["n"], state["y"], adm)
        doses = [d for d in range(n_doses) if adm[d] and state["n"][d] > 0]
        if not doses:
            return -1
        iso = naive_pava([state["y"][d] / state["n"][d] for d in doses], [state["n"][d] for d in doses])
        gaps = [abs(iso[i] + (i + 1) * 1e-10 - target) for i in range(len(doses))]
        return doses[gaps.index(min(gaps))]

    return _run(
        p, u, n_doses, cohort_size, max_n, start_dose - 1, base, select, list(modifiers), [True] * n_doses
    )


# ---- interval designs (TPI, mTPI, mTPI-2, Keyboard, i3+3), from the papers -------------------------
def _frac(x):
    from fractions import Fraction

    return Fraction(str(x))


def _argmax(scores, prefer_last):
    """Index of the largest score; near-equal scores (relative 1e-9) tie, the first or last wins."""
    top = max(scores)
    tied = [i for i, s in enumerate(scores) if math.isclose(s, top, rel_tol=1e-9)]
    return tied[-1] if prefer_last else tied[0]


def interval_action(kind, n, y, target, **par):
    """E, S, D or DU for y DLTs in n patients, straight from the papers' definitions."""
    a, b = par.get("prior_a", 1.0), par.get("prior_b", 1.0)
    post = beta(a + y, b + n - y)
    if n >= par.get("min_n_eli", 3):
        over = post.sf(target)
        cutoff = par.get("cutoff_eli", 0.95)
        if (over > cutoff) if par.get("eli_strict", True) else (over >= cutoff):
            return "DU"
    prefer_last = par.get("decision_ties") == "deescalate"
    if kind == "tpi":  # Ji, Li & Bekele (2007): the most probable of three intervals around the target
        sd = post.std()
        lo, hi = max(target - par["k2"] * sd, 0.0), min(target + par["k1"] * sd, 1.0)
        probs = [post.cdf(lo), post.cdf(hi) - post.cdf(lo), post.sf(hi)]
        return "ESD"[_argmax(probs, prefer_last)]
    if kind == "mtpi":  # Ji et al. (2010): unit probability mass of the three intervals
        lo, hi = target - par["eps1"], target + par["eps2"]
        upm = [post.cdf(lo) / lo, (post.cdf(hi) - post.cdf(lo)) / (hi - lo), post.sf(hi) / (1 - hi)]
        return "ESD"[_argmax(upm, prefer_last)]
    if kind in ("mtpi2", "keyboard"):  # Guo et al. (2017), Yan et al. (2017): equal-width intervals
        left, right = ("eps1", "eps2") if kind == "mtpi2" else ("margin_left", "margin_right")
        lo, hi = _frac(target) - _frac(par[left]), _frac(target) + _frac(par[right])
        width = hi - lo
        intervals = []
        edge = lo
        while edge > 0:
            intervals.insert(0, (max(edge - width, 0), edge, "E"))
            edge -= width
        intervals.append((lo, hi, "S"))
        edge = hi
        while edge < 1:
            intervals.append((edge, min(edge + width, 1), "D"))
            edge += width
        upm = [(post.cdf(float(r)) - post.cdf(float(q))) / float(r - q) for q, r, _ in intervals]
        return intervals[_argmax(upm, prefer_last)][2]
    if kind == "i3plus3":  # Liu, Wang & Ji (2020), exact rational comparisons of y/n with the interval
        from fractions import Fraction

        lo, hi = _frac(target) - _frac(par["eps1"]), _frac(target) + _frac(par["eps2"])
        rate = Fraction(y, n)
        if rate < lo:
            return "E"
        if rate <= hi:
            return "S"
        return "S" if Fraction(y - 1, n) < lo else "D"
    raise ValueError(kind)


def interval_table(kind, n_max, target, **par):
    """table[n][y] for n, y = 0..n_max (row 0 and y > n: "S", never read)."""
    return [
        ["S"] * (n_max + 1)
        if n == 0
        else [interval_action(kind, n, y, target, **par) if y <= n else "S" for y in range(n_max + 1)]
        for n in range(n_max + 1)
    ]


def interval_select(n, y, adm, *, target, a, b, weights, ties):
    """The final selection as the reference packages write it: isotonic posterior means (Beta(a, b)),
    weighted by n or 1 / posterior variance, over tried admissible doses; ties "increment" (BOIN,
    Keyboard: + i * 1e-10, first closest), "mean" (TPI, mTPI-2: escalation's select_tpi_mtd) or "below"
    (mTPI: escalation's select_mtpi_mtd, the lowest when none is below)."""
    doses = [d for d in range(len(n)) if adm[d] and n[d] > 0]
    if not doses:
        return -1
    means, wts = [], []
    for d in doses:
        s = n[d] + (a + b)
        means.append((y[d] + a) / s)
        wts.append(n[d] if weights == "n" else 1 / ((y[d] + a) * (n[d] - y[d] + b) / (s * s * (s + 1))))
    iso = naive_pava(means, wts)
    if ties == "increment":
        gaps = [abs(iso[i] + (i + 1) * 1e-10 - target) for i in range(len(doses))]
        return doses[gaps.index(min(gaps))]
    gaps = [abs(e - target) for e in iso]
    best = min(gaps)
    tied = [i for i, g in enumerate(gaps) if g == best]
    if ties == "mean":
        pick = tied[-1] if sum(iso[i] for i in tied) / len(tied) < target else tied[0]
    else:
        below = [i for i in tied if iso[i] < target]
        pick = below[-1] if below else tied[0]
    return doses[pick]


# ---- TITE-CRM in calendar time ---------------------------------------------------------------------
def tite_crm_rule(skeleton, target, window, *, scheme="linear", prior_sd=math.sqrt(1.34), safety=None):
    """dfcrm's titesim decision, written from its documentation and Cheung & Chappell (2000): the
    empiric model, the plug-in dose closest to the target, no skipping above the previous patient's
    dose, the CRM's safety stop (``safety``: (confidence, threshold, min_n)) on the weighted posterior.
    Posterior means by scipy's adaptive quadrature. Returns (decide, final): ``decide(doses, entry, dlt,
    tdlt, t, cur)`` -> (next dose, stop) on the data as of day t (a DLT counts once its day has come),
    ``final(doses, dlt)`` -> the selected dose (-1: none) on the complete data."""
    D = len(skeleton)
    logs = [math.log(s) for s in skeleton]

    def post_mean(obs):  # obs: (dose, y, w)
        def logpost(b):
            s = -0.5 * (b / prior_sd) ** 2
            for d, y, w in obs:
                logp = math.exp(b) * logs[d]
                s += logp if y else math.log1p(-w * math.exp(logp))
            return s

        lo, hi = -10 * prior_sd, 10 * prior_sd
        grid = np.linspace(lo, hi, 401)
        vals = [logpost(x) for x in grid]
        peak, mode = max(vals), grid[int(np.argmax(vals))]

        def q(g):
            return integrate.quad(g, lo, hi, points=[mode, 0.0], limit=400, epsabs=0, epsrel=1e-10)[0]

        z = q(lambda b: math.exp(logpost(b) - peak))
        m = q(lambda b: b * math.exp(logpost(b) - peak))
        return m / z

    def prob_above(obs, dose, threshold):
        """P(p_dose > threshold | data) under the weighted likelihood, by adaptive quadrature."""

        def logpost(b):
            v = -0.5 * (b / prior_sd) ** 2
            for d, yy, w in obs:
                logp = math.exp(b) * logs[d]
                v += logp if yy else math.log1p(-w * math.exp(logp))
            return v

        lo, hi = -10 * prior_sd, 10 * prior_sd
        grid = np.linspace(lo, hi, 401)
        peak = max(logpost(x) for x in grid)
        bcut = math.log(math.log(threshold) / logs[dose])  # p_dose(b) > threshold iff b < bcut

        def q(a, z):
            return integrate.quad(
                lambda b: math.exp(logpost(b) - peak), a, z, limit=400, epsabs=0, epsrel=1e-10
            )[0]

        below, above = q(lo, bcut), q(bcut, hi)
        return below / (below + above)

    def closest(b):
        ptox = [s ** math.exp(b) for s in skeleton]
        gaps = [abs(x - target) for x in ptox]
        return gaps.index(min(gaps))

    def decide(doses, entry, dlt, tdlt, t, cur):
        i = len(doses)
        obs, support, pend = [], [], []
        for j in range(i):
            if dlt[j] and entry[j] + tdlt[j] <= t:
                obs.append((doses[j], 1, 1.0))
                support.append(tdlt[j])
            elif t - entry[j] >= window:
                obs.append((doses[j], 0, 1.0))
            else:
                pend.append((doses[j], t - entry[j]))
        support.sort()
        z = len(support)
        for d, u in pend:
            if scheme == "linear" or z == 0:
                w = u / window
            else:
                m = sum(1 for s in support if s <= u)
                if m == 0:
                    w = u / support[0] / (z + 1)
                elif m == z:
                    w = (z + (u - support[-1]) / (window - support[-1])) / (z + 1)
                else:
                    w = (m + (u - support[m - 1]) / (support[m] - support[m - 1])) / (z + 1)
            obs.append((d, 0, min(w, 1.0)))
        if safety is not None:  # (confidence, threshold, min_n): the CRM's safety stop, weighted posterior
            conf, thr, min_n = safety
            if doses.count(0) >= min_n and prob_above(obs, 0, thr) > conf:
                return cur, True
        return min(closest(post_mean(obs)), cur + 1), False

    def final(doses, dlt):
        complete = [(doses[j], int(dlt[j]), 1.0) for j in range(len(doses))]
        if (
            safety is not None
            and doses.count(0) >= safety[2]
            and prob_above(complete, 0, safety[1]) > safety[0]
        ):
            return -1
        return closest(post_mean(complete))

    assert D == len(logs)
    return decide, final


def tite_crm_trial(
    p,
    u_tox,
    u_arrival,
    u_event,
    *,
    skeleton,
    target,
    max_n,
    window,
    rate,
    scheme="linear",
    start_dose=1,
    prior_sd=math.sqrt(1.34),
    late_share=None,
    x0=None,
    tgrp=None,
    safety=None,
):
    """dfcrm's titesim rules (:func:`tite_crm_rule`) with Poisson arrivals (exponential gaps, mean 1/rate
    days) and uniform DLT times; final selection on complete data. Returns (selected, n per dose, DLTs
    per dose, doses in order, entry days)."""
    D = len(skeleton)
    decide, final = tite_crm_rule(skeleton, target, window, scheme=scheme, prior_sd=prior_sd, safety=safety)
    doses, entry, dlt, tdlt = [], [], [], []
    t = 0.0
    cur = start_dose - 1 if x0 is None else x0[0] - 1
    stage1 = x0 is not None  # two-stage: x0's levels until a DLT is seen at an arrival
    k = 0
    for i in range(max_n):
        t += -math.log(u_arrival[k]) / rate
        k += 1
        if i > 0 and stage1:
            while True:
                if any(dlt[j] and entry[j] + tdlt[j] <= t for j in range(i)):
                    stage1 = False
                    break
                wait = tgrp if tgrp is not None else window
                if x0[i] - 1 == doses[i - 1] or t - entry[i - 1] >= wait or i == max_n - 1:
                    cur = x0[i] - 1
                    break
                t += -math.log(u_arrival[k]) / rate  # too early to move up: this arrival is lost
                k += 1
        if i > 0 and not stage1:
            cur, stop = decide(doses, entry, dlt, tdlt, t, cur)
            if stop:
                n = [doses.count(d) for d in range(D)]
                y = [sum(1 for j in range(i) if doses[j] == d and dlt[j]) for d in range(D)]
                return -1, n, y, doses, entry
        doses.append(cur)
        entry.append(t)
        dlt.append(u_tox[i] < p[cur])
        v = u_event[i]
        if late_share is not None:  # late onset: share late_share of DLTs in the second half
            v = (
                v / (1 - late_share) / 2
                if v < 1 - late_share
                else 0.5 + (v - (1 - late_share)) / late_share / 2
            )
        tdlt.append(window * v)
    n = [doses.count(d) for d in range(D)]
    y = [sum(1 for j in range(max_n) if doses[j] == d and dlt[j]) for d in range(D)]
    return final(doses, dlt), n, y, doses, entry


# ---- designs that decide with pending patients, cohort by cohort (TITE-BOIN, rolling six) ------------
def tite_boin_decide(target, version, suspend_rule, max_pending=0.5, cutoff=0.95):
    """TITE-BOIN's rule written from Yuan et al. (2018), Lin & Yuan (2020) and TITEgBOIN's
    ``next_TITE_QuasiBOIN``: returns decide(n, y, m, stft, cur, adm) -> (next dose, stop, suspend), stop
    None, "none" (no dose left) or "select" (never here: n_earlystop off)."""
    lam_e, lam_d = boin_lambdas(target)

    def move_complete(n, y):
        eliminated = n >= 3 and beta.sf(target, y + 1, n - y + 1) > cutoff
        if eliminated:
            return -1
        if y <= math.floor(lam_e * n):
            return 1
        return -1 if y > lam_d * n else 0

    def decide(n, y, m, stft, cur, adm):
        D = len(n)
        for d in range(D):
            if adm[d] and n[d] >= 3 and beta.sf(target, y[d] + 1, n[d] - y[d] + 1) > cutoff:
                for j in range(d, D):
                    adm[j] = False
                break
        if not adm[cur]:
            low = adm.index(False)
            return (cur, "none", False) if low == 0 else (low - 1, None, False)
        nn, yy, mm = n[cur], y[cur], m[cur]
        if mm == 0:
            mv = move_complete(nn, yy)
        elif mm > max_pending * nn:
            if suspend_rule == "always" or move_complete(nn, yy) != move_complete(nn, yy + mm):
                return cur, None, True
            mv = move_complete(nn, yy)
        else:
            if version == "ess":
                est = yy / (nn - mm + stft[cur])
            else:
                pt = (yy + target / 2) / (nn - mm + 1)
                est = (yy + pt / (1 - pt) * (mm - stft[cur])) / nn
            mv = 1 if est <= lam_e else (-1 if est >= lam_d else 0)
        if mv == 1 and cur < D - 1 and adm[cur + 1]:
            return cur + 1, None, False
        if mv == -1:
            if cur > 0:
                return cur - 1, None, False
            if mm > 0 and version == "ess":
                return cur, None, True
        return cur, None, False

    def select(n_all, y_all, adm):
        return boin_select({"n": list(n_all), "y": list(y_all)}, adm, target, cutoff)

    return decide, select


def rolling_six_decide(rules):
    """Rolling six's grid as docs/notes/rolling-six-rules.md states it (section 1a, with section 2's
    closed-level rules of the Frankel grid): decide(n, y, m, stft, cur, adm) -> (next, stop, suspend)."""

    def escalates(n, d, p):
        e = n - d - p
        if n < 6:
            return (n >= 3 and d == 0 and p == 0) if rules == "frankel2020" else (d == 0 and e >= 3)
        if rules == "frankel2020":
            return (d == 0 and p <= 1) or (d == 1 and p == 0)
        return p == 0

    def decide(n, y, m, stft, cur, adm):
        D = len(n)
        while y[cur] >= 2:
            for j in range(cur, D):
                adm[j] = False
            if cur == 0:
                return cur, "none", False
            cur -= 1
        closed = cur == D - 1 or not adm[cur + 1]
        if escalates(n[cur], y[cur], m[cur]):
            if not closed:
                return cur + 1, None, False
            if n[cur] == 6 or (rules == "frankel2020" and n[cur] == 5 and y[cur] == 0 and m[cur] == 0):
                return cur, "select", False
            return cur, None, False
        return cur, None, n[cur] == 6

    def select(n_all, y_all, adm):
        ok = [
            d
            for d in range(len(n_all))
            if adm[d] and ((n_all[d] >= 6 and y_all[d] <= 1) or (n_all[d] >= 3 and y_all[d] == 0))
        ]
        return max(ok) if ok else -1

    return decide, select


def weibull_fraction(v, p, share):
    """TITEgBOIN's Weibull DLT time given a DLT in the window, as a fraction of the window: the root of
    F(x) = v p with F(x) = 1 - exp(-lam x^a), F(1) = p, F(1/2) = (1 - share) p."""
    from scipy.optimize import brentq

    a = math.log(math.log(1 - p) / math.log(1 - (1 - share) * p)) / math.log(2)
    lam = -math.log(1 - p)
    return brentq(lambda x: 1 - math.exp(-lam * x**a) - v * p, 0.0, 1.0, xtol=1e-15, rtol=1e-15)


def pending_cohort_trial(
    p,
    u_tox,
    u_arrival,
    u_event,
    *,
    rule,
    n_doses,
    cohort,
    max_n,
    window,
    rate,
    start_dose=1,
    max_wait=None,
    dlt_time=None,
):
    """A cohort design deciding with pending patients, event by event: the arrival that would start a
    cohort triggers ``rule``'s decide on the data of that day; a suspension turns arrivals away (or, with
    ``max_wait``, lets them wait) until the first data change after which the rule no longer suspends.
    Returns a dict: selected, n, y, status, turned, suspended, duration, doses, entry."""
    decide, select = rule
    D = n_doses
    doses, entry, dlt, tdlt = [], [], [], []
    adm = [True] * D
    cur = start_dose - 1
    a, k, in_cohort, turned, suspended, waited = 0.0, 0, 0, 0, 0.0, 0.0
    open_at = 0.0
    stop = None

    def data(t):
        n, y, m, s = [0] * D, [0] * D, [0] * D, [0.0] * D
        for j in range(len(doses)):
            d = doses[j]
            n[d] += 1
            if dlt[j] and entry[j] + tdlt[j] <= t:
                y[d] += 1
            elif t < entry[j] + window:
                m[d] += 1
                s[d] += (t - entry[j]) / window
        return n, y, m, s

    while len(doses) < max_n:
        a += -math.log(u_arrival[k]) / rate
        k += 1
        t = a
        if a < open_at:
            if max_wait is None or open_at - a > max_wait:
                turned += 1
                continue
            t = open_at
        if doses and in_cohort == cohort:
            nxt, stop, susp = decide(*data(t), cur, adm)
            if susp and stop is None:
                events = sorted(
                    e
                    for e in (entry[j] + (tdlt[j] if dlt[j] else window) for j in range(len(doses)))
                    if e > t
                )
                lift = t
                for e in events:
                    lift = e
                    nxt, stop, susp = decide(*data(e), cur, adm)
                    if not susp or stop is not None:
                        break
                suspended += lift - t
                open_at = lift
                if stop is None:
                    if max_wait is not None and lift - a <= max_wait:
                        t = lift
                    else:
                        turned += 1
                        continue
            if stop is not None:
                break
            cur = nxt
            in_cohort = 0
        waited += t - a
        i = len(doses)
        doses.append(cur)
        entry.append(t)
        dlt.append(u_tox[i] < p[cur])
        v = u_event[i]
        tdlt.append(window * (v if dlt_time is None else dlt_time(v, p[cur])))
        in_cohort += 1
    n_all = [doses.count(d) for d in range(D)]
    y_all = [sum(1 for j in range(len(doses)) if doses[j] == d and dlt[j]) for d in range(D)]
    if stop is None:  # max_n: the last decision on complete data
        _nxt, stop, _s = decide(n_all, y_all, [0] * D, [0.0] * D, cur, adm)
        stop = stop or "select"
    selected = select(n_all, y_all, adm) if stop == "select" else -1
    return {
        "selected": selected,
        "n": n_all,
        "y": y_all,
        "status": stop,
        "turned": turned,
        "suspended": suspended,
        "waited": waited / len(doses),
        "duration": entry[-1] + window,
        "doses": doses,
        "entry": entry,
    }


# ---- BOIN with backfill (bfboin's sim.one.trial, from docs/notes/bf-boin-conventions.md) -------------
@functools.lru_cache(maxsize=8)
def _bf_tables(target, cutoff, n_max):
    """b_e, b_d (capped at b_elim) and b_elim for n = 1..n_max, as BOIN::get.boundary."""
    lam_e, lam_d = boin_lambdas(target)
    b_e, b_d, b_elim = {}, {}, {}
    for n in range(1, n_max + 1):
        b_e[n] = math.floor(lam_e * n)
        x = lam_d * n
        b_d[n] = round(x) + 1 if abs(round(x) - x) < 1e-12 else math.ceil(x)
        b_elim[n] = None
        if n >= 3:
            y = np.arange(1, n + 1)
            over = np.flatnonzero(beta.sf(target, y + 1, n - y + 1) > cutoff)
            if over.size:
                b_elim[n] = int(y[over[0]])
        if b_elim[n] is not None:
            b_d[n] = min(b_d[n], b_elim[n])
    return b_e, b_d, b_elim


def _bf_rules(target, cutoff):
    """bfboin's per-dose zone (E, S, D or DU) and de-escalation test on n patients and y DLTs."""
    b_e, b_d, b_elim = _bf_tables(target, cutoff, 200)

    def zone(n, y):
        n = max(n, 1)
        if y <= b_e[n]:
            return "E"
        if b_elim[n] is not None and y >= b_elim[n]:
            return "DU"
        if y >= b_d[n]:
            return "D"
        return "S"

    def in_deesc(n, y):
        return y >= b_d[max(n, 1)]

    return zone, in_deesc


def bf_boin_decide(n, y, cur, elim, target, cutoff=0.95):
    """BF-BOIN's decision after the cohort at ``cur`` (0-based) on n and y per dose (escalation plus the
    backfill patients evaluated by then): (next dose, None or "none" for a stop); ``elim`` (a list of
    booleans) gains the doses eliminated. The rules of bfboin's sim.one.trial, written out."""
    D = len(n)
    b_elim = _bf_tables(target, cutoff, 200)[2]
    zone, in_deesc = _bf_rules(target, cutoff)

    status = None
    dec = [zone(n[j], y[j]) for j in range(cur + 1)]
    nxt = cur
    if cur == 0:
        if dec[0] == "E" and D > 1 and not elim[1]:
            nxt = 1
        elif dec[0] == "DU":
            status = "none"
    else:
        lower = dec[:cur]
        if dec[cur] == "E":
            b_star = max((j for j in range(cur) if lower[j] != "E"), default=-1)
        else:
            b_star = max((j for j in range(cur) if lower[j] in ("D", "DU")), default=-1)
        if dec[cur] == "DU":
            for j in range(cur, D):
                elim[j] = True
        if b_star < 0:
            if dec[cur] == "E" and cur < D - 1 and not elim[cur + 1]:
                nxt = cur + 1
            elif dec[cur] in ("D", "DU"):
                nxt = cur - 1
        else:
            N = sum(n[b_star : cur + 1])
            Y = sum(y[b_star : cur + 1])
            if zone(N, Y) == "E":
                if cur < D - 1 and not elim[cur + 1]:
                    nxt = cur + 1
            elif in_deesc(N, Y):
                safe = [
                    m
                    for m in range(b_star, cur + 1)
                    if not in_deesc(sum(n[b_star : m + 1]), sum(y[b_star : m + 1]))
                ]
                if safe:
                    nxt = max(safe)
                elif b_star == 0:
                    nxt = 0
                    if b_elim[max(n[0], 1)] is not None and n[0] >= 3 and y[0] >= b_elim[n[0]]:
                        status = "none"
                else:
                    nxt = b_star - 1
    return nxt, status


def bf_boin_trial(
    p,
    eff,
    u_tox,
    u_eff,
    u_event,
    u_arrival,
    u_design,
    *,
    target,
    n_cohorts,
    cohort,
    window,
    rate,
    cap=12,
    assign="highest",
    cutoff=0.95,
):
    """One BF-BOIN trial, arrival by arrival, with uniform DLT times and U(0, 2/rate) arrival gaps:
    returns selected (0-based, -1 none), n and y per dose (escalation + backfill evaluated by the end),
    backfill counted per dose, duration and patients turned away."""
    D = len(p)
    zone, in_deesc = _bf_rules(target, cutoff)

    pats = []  # dicts: dose, entry, dlt, eval, bf
    esc_n, esc_y = [0] * D, [0] * D
    first_resp = [math.inf] * D
    assigned = [0] * D
    elim = [False] * D
    cur, t, k, turned, done = 0, 0.0, 0, 0, 0
    cohort_members = []
    status = None

    def totals(day):
        n, y = list(esc_n), list(esc_y)
        for q in pats:
            if q["bf"] and q["eval"] < day:
                n[q["dose"]] += 1
                y[q["dose"]] += q["dlt"]
        return n, y

    def treat(dose, day, bf):
        i = len(pats)
        dlt = u_tox[i] < p[dose]
        ev = day + (window * u_event[i] if dlt else window)
        pats.append({"dose": dose, "entry": day, "dlt": int(dlt), "eval": ev, "bf": bf})
        if not bf and u_eff[i] < eff[dose]:
            first_resp[dose] = min(first_resp[dose], day + window)
        return pats[-1]

    while True:
        t += 2.0 * u_arrival[k] / rate
        u = u_design[k]
        k += 1
        if len(cohort_members) == cohort and max(q["eval"] for q in cohort_members) < t:
            esc_n[cur] += cohort
            esc_y[cur] += sum(q["dlt"] for q in cohort_members)
            done += 1
            n, y = totals(t)
            nxt, status = bf_boin_decide(n, y, cur, elim, target, cutoff)
            if status is not None:
                break
            if done >= n_cohorts:
                status = "select"
                break
            cur = nxt
            cohort_members = []
        if len(cohort_members) < cohort:
            cohort_members.append(treat(cur, t, False))
            continue
        dose = -1
        if cur > 0 and min(first_resp[:cur]) < t:
            n, y = totals(t)
            ev_n = sum(1 for q in cohort_members if q["eval"] < t)
            ev_y = sum(q["dlt"] for q in cohort_members if q["eval"] < t)
            safe = []
            for j in range(cur):
                if j + 1 < cur:
                    pn, py = n[j] + n[j + 1], y[j] + y[j + 1]
                else:
                    pn, py = n[j] + esc_n[cur] + ev_n, y[j] + esc_y[cur] + ev_y
                safe.append(not (in_deesc(n[j], y[j]) and in_deesc(pn, py)))
            if not all(safe):
                first_unsafe = safe.index(False)
                safe = [s and j < first_unsafe for j, s in enumerate(safe)]
            open_ = [j for j in range(cur) if safe[j] and first_resp[j] < t and esc_n[j] + assigned[j] <= cap]
            if open_:
                if assign == "highest":
                    dose = open_[-1]
                elif assign == "lowest":
                    dose = open_[0]
                else:
                    dose = open_[min(int(u * len(open_)), len(open_) - 1)]
        if dose < 0:
            turned += 1
            continue
        treat(dose, t, True)
        assigned[dose] += 1
    end = max(q["eval"] for q in cohort_members)
    n, y = totals(end)
    bf_counted = [n[d] - esc_n[d] for d in range(D)]
    selected = -1
    if status == "select":
        selected = boin_select({"n": n, "y": y}, [True] * D, target, cutoff)
    return {"selected": selected, "n": n, "y": y, "bf": bf_counted, "duration": end, "turned": turned}


# ---- BOIN12 (Lin et al. 2020): a naive oracle from the paper's rules (scipy's beta, plain lists) --------
def boin12_respond(u_tox, u_eff, p, q, rho):
    """The copula response decision written out: z_T = Phi^-1(u_tox), z_E = Phi^-1(u_eff); respond iff
    rho z_T + sqrt(1 - rho^2) z_E < Phi^-1(q)."""
    from scipy.stats import norm

    if q <= 0:
        return False
    if q >= 1:
        return True
    z = rho * norm.ppf(u_tox) + math.sqrt(1 - rho * rho) * norm.ppf(u_eff)
    return bool(z < norm.ppf(q))


def boin12_desirability(n, k, a, b, benchmark):
    """P(U > benchmark / 100) for U ~ Beta(a + k/100, b + n - k/100)."""
    from scipy.stats import beta

    x = k / 100
    return float(beta.sf(benchmark / 100, a + x, b + n - x))


def boin12_trial(
    p,
    q,
    rho,
    u_tox,
    u_eff,
    *,
    target,
    target_eff,
    n_doses,
    max_n,
    cohort=3,
    utilities=(100, 40, 60, 0),
    cutoff_tox=0.95,
    cutoff_eff=0.9,
    n_star=6,
    explore_n=9,
    a=1.0,
    b=1.0,
    rules="paper",
    start=0,
):
    """One BOIN12 trial on the patients' latent values: (selected, n, DLTs, responses per dose, status)."""
    from scipy.stats import beta

    u1, u2, u3, u4 = utilities
    lam_e, lam_d = boin_lambdas(target)
    pt, pe = target, target_eff
    u_bar = u1 * pe * (1 - pt) + u2 * (1 - pt) * (1 - pe) + u3 * pt * pe + u4 * pt * (1 - pe)
    ub = u_bar + (100 - u_bar) / 2
    D = n_doses
    n = [0] * D
    y = [0] * D
    e = [0] * D
    both = [0] * D
    adm = [True] * D

    def util(d):
        return (
            u1 * (e[d] - both[d]) + u2 * (n[d] - y[d] - e[d] + both[d]) + u3 * both[d] + u4 * (y[d] - both[d])
        )

    def des(d):
        return boin12_desirability(n[d], util(d), a, b, ub)

    def toxic(d):
        pr = beta.sf(target, 1 + y[d], 1 + n[d] - y[d])
        return pr > cutoff_tox if rules == "paper" else pr >= cutoff_tox

    def futile(d):
        pr = beta.cdf(target_eff, 1 + e[d], 1 + n[d] - e[d])
        return pr > cutoff_eff if rules == "paper" else pr >= cutoff_eff

    cur, i, status = start, 0, "continue"
    while True:
        for _ in range(min(cohort, max_n - i)):
            t = u_tox[i] < p[cur]
            r = boin12_respond(u_tox[i], u_eff[i], p[cur], q[cur], rho)
            n[cur] += 1
            y[cur] += t
            e[cur] += r
            both[cur] += t and r
            i += 1
        rate = y[cur] / n[cur]
        if rules == "paper":
            if toxic(cur):
                for j in range(cur, D):
                    adm[j] = False
                if cur == 0:
                    status = "none"
                    break
            if futile(cur):
                adm[cur] = False
            if not any(adm):
                status = "none"
                break
            if rate >= lam_d:
                nxt = max(cur - 1, 0)
            elif explore_n and n[cur] >= explore_n and cur < D - 1 and n[cur + 1] == 0 and adm[cur + 1]:
                nxt = cur + 1
            else:
                top = cur if (rate > lam_e and n[cur] >= n_star) else min(cur + 1, D - 1)
                cands = [j for j in range(max(cur - 1, 0), top + 1) if adm[j]]
                nxt = max(cands, key=lambda j: (des(j), j)) if cands else cur
        else:  # escalation 0.2.3's get_boin12
            local = lambda j: not toxic(j) and not futile(j)  # noqa: E731
            if explore_n and n[cur] >= explore_n and rate < lam_d and cur < D - 1 and n[cur + 1] == 0:
                nxt = cur + 1
            elif rate >= lam_d:
                nxt = max(cur - 1, 0)
            elif rate > lam_e and n[cur] >= n_star:
                # R: `currentdose-1 %in% admissible` is currentdose - (1 %in% admissible) (precedence)
                adm_r = {j + 1 for j in range(max(cur - 1, 0), min(cur + 1, D - 1) + 1) if local(j)}
                c = cur + 1
                first = (c - (1 in adm_r)) != 0
                if first and c in adm_r:
                    nxt = cur if des(cur) > des(cur - 1) else cur - 1
                elif first:
                    nxt = cur - 1
                else:
                    nxt = cur  # c == 1 and dose 1 admissible
                if nxt < 0:
                    status = "none"
                    break
            else:
                cands = [j for j in range(max(cur - 1, 0), min(cur + 1, D - 1) + 1) if local(j)]
                if not cands:
                    status = "none"
                    break
                nxt = max(cands, key=lambda j: (des(j), j))
        if i >= max_n:
            status = "select"
            break
        # the dispatch's rule: an inadmissible next dose moves down to an admissible one, else stop
        while nxt >= 0 and not adm[nxt]:
            nxt -= 1
        if nxt < 0:
            status = "none"
            break
        cur = nxt
    if status != "select":
        return -1, n, y, e, status
    # final selection
    tried = []
    for d in range(D):
        if n[d] == 0:
            continue
        if rules == "paper" and not adm[d] and toxic(d):
            break
        tried.append(d)
    if rules == "paper":
        vals = [(y[d] + 0.05) / (n[d] + 0.1) for d in tried]
        wts = [
            1 / (((y[d] + 0.05) * (n[d] - y[d] + 0.05)) / ((n[d] + 0.1) ** 2 * (n[d] + 1.1))) for d in tried
        ]
        est = naive_pava(vals, wts)
        gaps = [abs(v + (i + 1) * 1e-10 - target) for i, v in enumerate(est)]
        mtd = tried[int(np.argmin(gaps))]
        cands = [d for d in range(mtd + 1) if n[d] > 0 and adm[d]]
        if not cands:
            return -1, n, y, e, status
        mean_u = {d: (a + util(d) / 100) / (a + b + n[d]) for d in cands}
        best = max(mean_u.values())
        return min(d for d in cands if mean_u[d] == best), n, y, e, status
    est = naive_pava([y[d] / n[d] for d in tried], [1.0] * len(tried))
    gaps = [abs(v - target) for v in est]
    mtd = tried[max(i for i, g in enumerate(gaps) if g == min(gaps))]
    scores = [des(d) for d in range(mtd + 1)]
    return int(np.argmax(scores)), n, y, e, status


# ---- EffTox (designs/efftox): the posterior written out plainly, and a reference integration -----------
def efftox_log_post(design, counts, theta):
    """Unnormalised log posterior at parameter vectors ``theta`` [..., 6]; ``counts`` [4, D] patients with
    (efficacy, toxicity) = (0, 0), (0, 1), (1, 0), (1, 1) per dose. Thall & Cook's pi_ab as printed."""
    th = np.asarray(theta, dtype=float)
    mean = np.asarray(design.prior_mean)
    sd = np.asarray(design.prior_sd)
    out = -0.5 * (((th - mean) / sd) ** 2).sum(axis=-1)
    pt, pe = design.probabilities(th)
    c = ((np.exp(th[..., 5]) - 1.0) / (np.exp(th[..., 5]) + 1.0))[..., None]
    g = pe * (1 - pe) * pt * (1 - pt) * c
    cells = {(0, 0): (1 - pe) * (1 - pt) + g, (0, 1): (1 - pe) * pt - g, (1, 0): pe * (1 - pt) - g}
    cells[(1, 1)] = pe * pt + g
    for k, (a, b) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        m = np.asarray(counts[k], dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):  # a cell that rounds to 0: weight 0
            terms = np.where(m > 0, m * np.log(np.maximum(cells[(a, b)], 0.0)), 0.0)
        out = out + terms.sum(axis=-1)
    return out


def efftox_counts(n_at, tox_at, resp_at):
    n_at, tox_at = np.asarray(n_at), np.asarray(tox_at)
    eff, both = np.asarray(resp_at[0]), np.asarray(resp_at[1])
    return np.array([n_at - tox_at - eff + both, tox_at - both, eff - both, both])


def efftox_reference(design, n_at, tox_at, resp_at, draws=1_000_000, seed=1, chunk=200_000):
    """A reference posterior by plain Monte Carlo importance sampling (fresh random draws, independent of
    the design's fixed point set): a multivariate t (4 df) at the numerical mode with twice the Laplace
    covariance. Returns {quantity: (estimate [D], Monte Carlo SE [D])} for prob_tox, prob_eff,
    prob_acc_tox, prob_acc_eff (self-normalised IS, delta-method SE)."""
    from scipy import optimize

    counts = efftox_counts(n_at, tox_at, resp_at)
    f = lambda t: -efftox_log_post(design, counts, t)  # noqa: E731
    res = optimize.minimize(
        f, np.asarray(design.prior_mean, dtype=float), method="BFGS", options={"gtol": 1e-8}
    )
    mode = res.x
    h = 1e-4
    H = np.zeros((6, 6))
    for i in range(6):
        for j in range(6):
            ei = np.eye(6)[i] * h
            ej = np.eye(6)[j] * h
            H[i, j] = (f(mode + ei + ej) - f(mode + ei - ej) - f(mode - ei + ej) + f(mode - ei - ej)) / (
                4 * h * h
            )
    cov = 2.0 * np.linalg.inv(0.5 * (H + H.T))
    chol = np.linalg.cholesky(cov)
    rng = np.random.default_rng(seed)
    df = 4.0
    lt = np.log(design.tox_limit / (1 - design.tox_limit))
    le = np.log(design.eff_limit / (1 - design.eff_limit))
    logw_all, vals_all = [], []
    for start in range(0, draws, chunk):
        m = min(chunk, draws - start)
        z = rng.standard_normal((m, 6)) / np.sqrt(rng.chisquare(df, m) / df)[:, None]
        th = mode + z @ chol.T
        logq = -0.5 * (df + 6) * np.log1p((z * z).sum(axis=1) / df)
        logw_all.append(efftox_log_post(design, counts, th) - logq)
        pt, pe = design.probabilities(th)
        x = design.x
        et = th[:, 0:1] + th[:, 1:2] * x
        ee = th[:, 2:3] + th[:, 3:4] * x + th[:, 4:5] * x * x
        vals_all.append(np.stack([pt, pe, (et < lt).astype(float), (ee > le).astype(float)]))
    logw = np.concatenate(logw_all)
    vals = np.concatenate(vals_all, axis=1)  # [4, draws, D]
    w = np.exp(logw - logw.max())
    w /= w.sum()
    out = {}
    for i, name in enumerate(("prob_tox", "prob_eff", "prob_acc_tox", "prob_acc_eff")):
        est = (w[:, None] * vals[i]).sum(axis=0)
        se = np.sqrt(((w[:, None] * (vals[i] - est)) ** 2).sum(axis=0))
        out[name] = (est, se)
    return out


def efftox_naive_summary(design, n_at, tox_at, resp_at):
    """The fast rule of engine/efftox.py written plainly: the mode by scipy's BFGS from the prior mean,
    minus the Hessian by central second differences, the design's own point set (designs/efftox:
    point_set) placed at the mode with the design's scale, self-normalised weights, the Laplace Gaussian
    as a control variate (its exact values by scipy's normal CDF and quad); per dose the posterior
    means, the hurdles' probabilities, the utility and acceptability (hurdles only)."""
    from scipy import integrate, optimize, special, stats

    from dosefind.designs.efftox import spec as S

    counts = efftox_counts(n_at, tox_at, resp_at)
    f = lambda t: -efftox_log_post(design, counts, t)  # noqa: E731
    start = np.asarray(design.prior_mean, dtype=float)
    res = optimize.minimize(f, start, method="BFGS", options={"gtol": 1e-10, "maxiter": 2000})
    mode = optimize.minimize(f, res.x, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14}).x
    h = 1e-4 * (1 + np.abs(mode))
    H = np.zeros((6, 6))
    for i in range(6):
        for j in range(6):
            ei = np.eye(6)[i] * h[i]
            ej = np.eye(6)[j] * h[j]
            H[i, j] = (f(mode + ei + ej) - f(mode + ei - ej) - f(mode - ei + ej) + f(mode - ei - ej)) / (
                4 * h[i] * h[j]
            )
    R = np.linalg.cholesky(0.5 * (H + H.T))
    pts = S.point_set(S.N_POINTS, S.T_DF)
    z = pts[:, :6]
    th = mode + S.T_SCALE * np.linalg.solve(R.T, z.T).T
    logw = efftox_log_post(design, counts, th) - pts[:, 6]
    w = np.exp(logw - logw.max())
    w /= w.sum()
    # the Laplace Gaussian N(mode, H^-1) as a control variate: its weights at the points, its exact values
    logg = -0.5 * S.T_SCALE**2 * (z * z).sum(axis=1) - pts[:, 6]
    wg = np.exp(logg - logg.max())
    wg /= wg.sum()
    cov = np.linalg.inv(0.5 * (H + H.T))
    x = design.x
    a_tox = np.stack([np.ones_like(x), x, 0 * x, 0 * x, 0 * x, 0 * x], axis=1)
    a_eff = np.stack([0 * x, 0 * x, np.ones_like(x), x, x * x, 0 * x], axis=1)

    def gauss(a):
        return a @ mode, np.sqrt(np.einsum("di,ij,dj->d", a, cov, a))

    def logistic_normal(mu, sd):
        return np.array(
            [
                integrate.quad(lambda u, m=m, s=s: special.expit(m + s * u) * stats.norm.pdf(u), -12, 12)[0]
                for m, s in zip(mu, sd, strict=True)
            ]
        )

    (mt, st), (me, se) = gauss(a_tox), gauss(a_eff)
    exact = {
        "prob_tox": logistic_normal(mt, st),
        "prob_eff": logistic_normal(me, se),
        "prob_acc_tox": stats.norm.cdf((np.log(design.tox_limit / (1 - design.tox_limit)) - mt) / st),
        "prob_acc_eff": stats.norm.cdf((me - np.log(design.eff_limit / (1 - design.eff_limit))) / se),
    }
    pt, pe = design.probabilities(th)
    values = {
        "prob_tox": pt,
        "prob_eff": pe,
        "prob_acc_tox": (pt < design.tox_limit).astype(float),
        "prob_acc_eff": (pe > design.eff_limit).astype(float),
    }
    out = {k: np.clip(w @ v - wg @ v + exact[k], 0.0, 1.0) for k, v in values.items()}
    out["utility"] = design.utility(out["prob_eff"], out["prob_tox"])
    out["acceptable"] = (out["prob_acc_tox"] > design.p_tox) & (out["prob_acc_eff"] > design.p_eff)
    return out


def efftox_trial(design, p, q, rho, u_tox, u_eff, summary=efftox_naive_summary):
    """One EffTox trial by the rules in words (designs/efftox): cohorts at the current dose, then the
    acceptable dose (both hurdles; with no_skip within one level of the doses tried) with the highest
    utility of the posterior means, lowest on ties; none: stop with no dose; at max_n the same rule
    selects. Returns (selected, n, DLTs, responses, status, next doses)."""
    D = design.n_doses
    n, y, e, b = (np.zeros(D, dtype=int) for _ in range(4))
    cur = design.start_dose - 1
    i = 0
    path = []
    while True:
        for _ in range(min(design.cohort_size, design.max_n - i)):
            tox = u_tox[i] < p[cur]
            resp = boin12_respond(u_tox[i], u_eff[i], p[cur], q[cur], rho)
            n[cur] += 1
            y[cur] += tox
            e[cur] += resp
            b[cur] += tox and resp
            i += 1
        s = summary(design, n, y, np.array([e, b]))
        ok = s["acceptable"].copy()
        if design.no_skip:
            tried = np.flatnonzero(n > 0)
            ok &= (np.arange(D) >= tried.min() - 1) & (np.arange(D) <= tried.max() + 1)
        if not ok.any():
            return -1, n.tolist(), y.tolist(), e.tolist(), "no dose", path
        nxt = int(np.flatnonzero(ok)[np.argmax(s["utility"][ok])])
        path.append(nxt)
        if i >= design.max_n:
            return nxt, n.tolist(), y.tolist(), e.tolist(), "select", path
        cur = nxt


# ---- U-BOIN (Zhou, Lee & Yuan 2019): a naive oracle from the rules in designs/uboin/spec.py ------------
def uboin_trial(
    p,
    q,
    rho,
    u_tox,
    u_eff,
    u_ties,
    *,
    target,
    target_eff,
    n_doses,
    max_n,
    n_stage1,
    cohort=3,
    utilities=(100, 40, 60, 0),
    cutoff_tox=0.95,
    cutoff_eff=0.9,
    futility=True,
    a=1.0,
    b=1.0,
    start=0,
    record=None,
):
    """One U-BOIN trial on the patients' latent values and the design's per-decision uniforms ``u_ties``:
    (selected, n, DLTs, responses per dose, status, doses given cohort by cohort). ``record``, a list, gets
    (candidate doses, their probabilities, the dose drawn) at every stage-2 randomisation."""
    from scipy.stats import beta

    u1, u2, u3, u4 = utilities
    lam_e, lam_d = boin_lambdas(target)
    D = n_doses
    n, y, e, both = [0] * D, [0] * D, [0] * D, [0] * D
    adm = [True] * D
    doses = []

    def mean_u(d):
        k = u1 * (e[d] - both[d]) + u2 * (n[d] - y[d] - e[d] + both[d]) + u3 * both[d] + u4 * (y[d] - both[d])
        return (a + k / 100) / (a + b + n[d])

    cur, i, k_dec, status = start, 0, 0, "continue"
    while True:
        doses.append(cur)
        for _ in range(min(cohort, max_n - i)):
            t = u_tox[i] < p[cur]
            r = boin12_respond(u_tox[i], u_eff[i], p[cur], q[cur], rho)
            n[cur] += 1
            y[cur] += t
            e[cur] += r
            both[cur] += t and r
            i += 1
        u = u_ties[k_dec]
        k_dec += 1
        if n[cur] >= 3 and beta.sf(target, 1 + y[cur], 1 + n[cur] - y[cur]) > cutoff_tox:
            for j in range(cur, D):
                adm[j] = False
            if cur == 0:
                status = "none"
                break
        if futility and n[cur] >= 3 and beta.cdf(target_eff, 1 + e[cur], 1 + n[cur] - e[cur]) > cutoff_eff:
            adm[cur] = False
        if not any(adm):
            status = "none"
            break
        nxt = None
        pool = [d for d in range(D) if adm[d] and n[d] > 0]
        if i >= n_stage1 and pool:
            w = [mean_u(d) for d in pool]
            edge, acc = u * sum(w), 0.0
            nxt = pool[-1]
            for d, wd in zip(pool, w, strict=True):
                acc += wd
                if edge < acc:
                    nxt = d
                    break
            if record is not None:
                record.append((pool, [wd / sum(w) for wd in w], nxt))
        else:
            rate = y[cur] / n[cur]
            if rate <= lam_e:
                above = [j for j in range(cur + 1, D) if adm[j]]
                nxt = above[0] if above else cur
            elif rate >= lam_d:
                nxt = max(cur - 1, 0)
            else:
                nxt = cur
            if not adm[nxt] and not (rate >= lam_d and cur > 0):
                below = [j for j in range(nxt - 1, -1, -1) if adm[j]]
                above = [j for j in range(nxt + 1, D) if adm[j]]
                nxt = (below or above)[0]
        if i >= max_n:
            status = "select"
            break
        while nxt >= 0 and not adm[nxt]:
            nxt -= 1
        if nxt < 0:
            status = "none"
            break
        cur = nxt
    sel = -1
    if status == "select":
        cands = [d for d in range(D) if adm[d] and n[d] > 0]
        if cands:
            sel = max(cands, key=lambda d: (mean_u(d), -d))
    return sel, n, y, e, status, doses
