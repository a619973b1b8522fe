"""A brute-force oracle for the exact operating characteristics of the two-stage enrichment basket design
(`kind = "enrichment"`, docs/notes/enrichment-conventions.md), written from the written rules alone, without
any dosefind code.

Method: the joint distribution of ALL cohorts at once. Every joint stage-1 outcome (x_1..x_K) is enumerated
(itertools.product, probability prod Binomial(x_k; n1_k, q_k)); the rules are applied group by group (the
heterogeneity test is a Freeman-Halton p-value of our own, enumerating every table with the group's margins);
then every joint stage-2 outcome of all continuing cohorts is enumerated together (each cohort's own count
Binomial(m_k, q_k), summed for a pooled group's analysis), and every metric is accumulated as an expectation
over the joint outcomes. Plain Python, numpy and scipy; exponential in K, meant for small cases.

Readings chosen where the written rules leave room (see also the module constant READINGS):

* fields without a documented default: `threshold` and `pool` are required (and `gamma` when pool =
  "heterogeneity"); `reallocate` defaults to false and `pool_min_responses` to 0 (no minimum);
* "file order" is the order of the cohorts list ([[cohorts]]), not the order of names inside `groups`;
* a group whose stage-1 data have a single table (no responses or all responses) is pooled whatever gamma
  (the rule says so explicitly); otherwise pooled iff p > gamma, p clipped at 1 as scipy does;
* on the pooled path the flag rule (futility / flag_min_responses) is not applied: only pool_min_responses;
* prob_pooled counts the pooled path whether the group then continued or stopped at stage 1;
* a pooled group that stops at stage 1 reports the pooled stage-1 posterior mean Beta(a + X1, b + N1 - X1);
* reallocation with no flagged cohort in the group: the places are lost (nobody continues);
* a group stated with fewer than two cohorts, a cohort in two groups, or an unknown name is refused; with
  one cohort in the file the default group is that cohort alone (separate path);
* a group that can pool (pool != "never") must share q0, else ValueError.
"""

from __future__ import annotations

import itertools
import math
from functools import cache

import numpy as np
from scipy.stats import beta, binom, fisher_exact

REL_TIE = 1e-7  # the written rule: tables with probability <= observed * (1 + 1e-7) count

READINGS = __doc__


# ----------------------------------------------------------------------------------------------- helpers
def freeman_halton_p(sizes, xs) -> float:
    """Freeman-Halton (Fisher's exact) p-value for equal response rates: sizes n1_k, responses x_k.

    Every |G| x 2 table with the same row sizes and total responses is enumerated by brute force
    (itertools.product over each row's responses, filtered on the total); a table's probability is
    prod_k C(n1_k, t_k) / C(N1, X1); the tables whose probability is <= observed * (1 + 1e-7) are summed.
    """
    sizes = tuple(int(s) for s in sizes)
    xs = tuple(int(x) for x in xs)
    total_n = sum(sizes)
    total_x = sum(xs)
    denom = math.comb(total_n, total_x)

    def prob(t):
        num = 1
        for s, tk in zip(sizes, t, strict=True):
            num *= math.comb(s, tk)
        return num / denom

    p_obs = prob(xs)
    p = 0.0
    for t in itertools.product(*(range(s + 1) for s in sizes)):
        if sum(t) != total_x:
            continue
        pt = prob(t)
        if pt <= p_obs * (1.0 + REL_TIE):
            p += pt
    return min(p, 1.0)


def _n_tables(sizes, total_x) -> int:
    return sum(1 for t in itertools.product(*(range(s + 1) for s in sizes)) if sum(t) == total_x)


def check_freeman_halton_against_fisher(row_sizes=((4, 5), (3, 6)), rtol=1e-12) -> int:
    """Assert that freeman_halton_p equals scipy.stats.fisher_exact on every 2 x 2 table with these row
    sizes; returns the number of tables checked."""
    count = 0
    for n_a, n_b in row_sizes:
        for x_a in range(n_a + 1):
            for x_b in range(n_b + 1):
                ours = freeman_halton_p((n_a, n_b), (x_a, x_b))
                ref = fisher_exact([[x_a, n_a - x_a], [x_b, n_b - x_b]])[1]
                assert math.isclose(ours, ref, rel_tol=rtol, abs_tol=1e-15), (n_a, n_b, x_a, x_b, ours, ref)
                count += 1
    return count


@cache
def _posterior(a: float, b: float, x: int, n: int, q0: float) -> tuple[float, float]:
    """(P(q > q0), posterior mean) under Beta(a + x, b + n - x)."""
    return float(beta.sf(q0, a + x, b + n - x)), float(beta.mean(a + x, b + n - x))


@cache
def _pmf(n: int, q: float) -> tuple[float, ...]:
    return tuple(float(v) for v in binom.pmf(np.arange(n + 1), n, q))


def _share(total: int, count: int) -> list[int]:
    """total places over count recipients in order, as equal as possible (the first total mod count +1)."""
    base, extra = divmod(total, count)
    return [base + (1 if i < extra else 0) for i in range(count)]


# ----------------------------------------------------------------------------------------------- design
def _parse(cohorts, design):
    if design.get("kind", "enrichment") != "enrichment":
        raise ValueError("not an enrichment design")
    if design.get("efficacy") is not None:
        raise ValueError("interim efficacy stops are refused")
    if design.get("interim") == "predictive":
        raise ValueError('interim = "predictive" is refused')
    names = [c["name"] for c in cohorts]
    if len(set(names)) != len(names):
        raise ValueError("duplicate cohort names")
    n1 = []
    n = []
    for c in cohorts:
        looks = list(c["looks"])
        if len(looks) != 2 or looks[1] != c["n"] or not 0 < looks[0] < looks[1]:
            raise ValueError(f"cohort {c['name']}: looks must be [n1, n] with 0 < n1 < n")
        n1.append(int(looks[0]))
        n.append(int(looks[1]))
    q0 = [float(c["q0"]) for c in cohorts]
    a, b = (float(v) for v in design.get("prior", [1, 1]))
    if "threshold" not in design:
        raise ValueError("threshold has no documented default: give it")
    threshold = float(design["threshold"])
    futility = design.get("futility")
    flag_min = design.get("flag_min_responses")
    if "pool" not in design:
        raise ValueError("pool has no documented default: give it")
    pool = design["pool"]
    if pool not in ("never", "always", "heterogeneity"):
        raise ValueError(f"unknown pool {pool!r}")
    gamma = None
    if pool == "heterogeneity":
        if "gamma" not in design:
            raise ValueError('pool = "heterogeneity" needs gamma')
        gamma = float(design["gamma"])
    pool_min = int(design.get("pool_min_responses", 0))
    pooled_threshold = float(design.get("pooled_threshold", threshold))
    reallocate = bool(design.get("reallocate", False))

    index = {name: i for i, name in enumerate(names)}
    if "groups" in design:
        stated = []
        seen = set()
        for g in design["groups"]:
            if len(g) < 2:
                raise ValueError("a stated group has at least two cohorts")
            ids = []
            for name in g:
                if name not in index:
                    raise ValueError(f"unknown cohort {name!r} in groups")
                if name in seen:
                    raise ValueError(f"cohort {name!r} in two groups")
                seen.add(name)
                ids.append(index[name])
            stated.append(sorted(ids))  # file order
        singles = [[i] for i in range(len(names)) if names[i] not in seen]
    else:
        stated = [list(range(len(names)))] if len(names) >= 2 else []
        singles = [] if len(names) >= 2 else [[0]]
    groups = [(g, True) for g in stated] + [(g, False) for g in singles]  # (members, can pool)
    pooled_n = {}
    for g, can_pool in groups:
        if not can_pool:
            continue
        if pool != "never" and len({q0[k] for k in g}) != 1:
            raise ValueError("the cohorts of a group that can pool must share q0")
        pooled_n[tuple(g)] = int(design.get("pooled_n", sum(n[k] - n1[k] for k in g)))
    return dict(
        names=names,
        n1=n1,
        n=n,
        q0=q0,
        a=a,
        b=b,
        threshold=threshold,
        futility=None if futility is None else float(futility),
        flag_min=None if flag_min is None else int(flag_min),
        pool=pool,
        gamma=gamma,
        pool_min=pool_min,
        pooled_threshold=pooled_threshold,
        reallocate=reallocate,
        groups=groups,
        pooled_n=pooled_n,
    )


def _pool_decision(d, g, xs) -> bool:
    if d["pool"] == "never":
        return False
    if d["pool"] == "always":
        return True
    sizes = [d["n1"][k] for k in g]
    x_g = [xs[k] for k in g]
    if _n_tables(sizes, sum(x_g)) == 1:
        return True
    return freeman_halton_p(sizes, x_g) > d["gamma"]


def _flagged(d, k, x) -> bool:
    if d["flag_min"] is not None and x < d["flag_min"]:
        return False
    if d["futility"] is not None:
        p, _ = _posterior(d["a"], d["b"], x, d["n1"][k], d["q0"][k])
        if not p >= d["futility"]:
            return False
    return True


# ----------------------------------------------------------------------------------------------- oracle
def oracle_full(cohorts, design, rates):
    """Everything oracle_values returns, plus ("prob_no_go", cohort) (a final analysis without a go) and
    ("total_probability", "") (the mass of every joint outcome visited, 1 up to rounding)."""
    d = _parse(cohorts, design)
    K = len(cohorts)
    rates = [float(r) for r in rates]
    if len(rates) != K:
        raise ValueError("one rate per cohort")
    a, b = d["a"], d["b"]
    n1, n, q0 = d["n1"], d["n"], d["q0"]
    null = [rates[k] <= q0[k] for k in range(K)]

    go = [0.0] * K
    nogo = [0.0] * K
    stop = [0.0] * K
    mean_n = [0.0] * K
    bias = [0.0] * K
    mse = [0.0] * K
    pooled = [0.0] * K
    fwer = any_go = total_n = mass = 0.0

    pmf1 = [_pmf(n1[k], rates[k]) for k in range(K)]
    for xs in itertools.product(*(range(n1[k] + 1) for k in range(K))):
        p1 = 1.0
        for k in range(K):
            p1 *= pmf1[k][xs[k]]
        if p1 == 0.0:
            continue
        # stage 1: per group, the path and every cohort's stage-2 patients
        m = [0] * K  # stage-2 patients of each cohort
        units = []  # ("pooled", members) or ("own", k): the final analyses
        stopped = []  # (members, x, nn, q0): stage-1 stops and the posterior they report
        is_pooled = [False] * K
        for g, can_pool in d["groups"]:
            if can_pool and _pool_decision(d, g, xs):
                for k in g:
                    is_pooled[k] = True
                x_g = sum(xs[k] for k in g)
                if x_g >= d["pool_min"]:
                    for k, mk in zip(g, _share(d["pooled_n"][tuple(g)], len(g)), strict=True):
                        m[k] = mk
                    units.append(("pooled", g))
                else:
                    stopped.append((g, x_g, sum(n1[k] for k in g), q0[g[0]]))
            else:
                flags = [_flagged(d, k, xs[k]) for k in g]
                on = [k for k, f in zip(g, flags, strict=True) if f]
                off = [k for k, f in zip(g, flags, strict=True) if not f]
                for k in on:
                    m[k] = n[k] - n1[k]
                if d["reallocate"] and on:
                    spare = sum(n[k] - n1[k] for k in off)
                    for k, extra in zip(on, _share(spare, len(on)), strict=True):
                        m[k] += extra
                for k in on:
                    units.append(("own", [k]))
                for k in off:
                    stopped.append(([k], xs[k], n1[k], q0[k]))

        # stage-1 stops: their contributions do not depend on stage 2
        for members, x, nn, qq in stopped:
            _, est = _posterior(a, b, x, nn, qq)
            for k in members:
                stop[k] += p1
                mean_n[k] += p1 * n1[k]
                bias[k] += p1 * (est - rates[k])
                mse[k] += p1 * (est - rates[k]) ** 2
        for k in range(K):
            if is_pooled[k]:
                pooled[k] += p1

        cont = sorted(set(k for u in units for k in u[1]))
        pmf2 = {k: _pmf(m[k], rates[k]) for k in cont}
        for ys in itertools.product(*(range(m[k] + 1) for k in cont)):
            p2 = 1.0
            for k, y in zip(cont, ys, strict=True):
                p2 *= pmf2[k][y]
            if p2 == 0.0:
                continue
            p = p1 * p2
            y_of = dict(zip(cont, ys, strict=True))
            trial_go = [False] * K
            for kind, members in units:
                if kind == "pooled":
                    x_tot = sum(xs[k] + y_of[k] for k in members)
                    n_tot = sum(n1[k] + m[k] for k in members)
                    prob, est = _posterior(a, b, x_tot, n_tot, q0[members[0]])
                    is_go = prob > d["pooled_threshold"]
                else:
                    (k,) = members
                    prob, est = _posterior(a, b, xs[k] + y_of[k], n1[k] + m[k], q0[k])
                    is_go = prob > d["threshold"]
                for k in members:
                    if is_go:
                        go[k] += p
                        trial_go[k] = True
                    else:
                        nogo[k] += p
                    mean_n[k] += p * (n1[k] + m[k])
                    bias[k] += p * (est - rates[k])
                    mse[k] += p * (est - rates[k]) ** 2
            if any(trial_go):  # nobody stopped at stage 1 has a go
                any_go += p
            if any(trial_go[k] and null[k] for k in range(K)):
                fwer += p
            total_n += p * sum(n1[k] + m[k] for k in range(K))
            mass += p

    out: dict[tuple[str, str], float] = {}
    for k, name in enumerate(d["names"]):
        out[("prob_go", name)] = go[k]
        out[("type1_error" if null[k] else "power", name)] = go[k]
        out[("prob_stop_futility", name)] = stop[k]
        out[("prob_stop_efficacy", name)] = 0.0
        out[("mean_n", name)] = mean_n[k]
        out[("bias", name)] = bias[k]
        out[("mse", name)] = mse[k]
        out[("prob_pooled", name)] = pooled[k]
        out[("prob_no_go", name)] = nogo[k]
    out[("fwer", "")] = fwer if any(null) else 0.0
    out[("prob_any_go", "")] = any_go
    out[("mean_total_n", "")] = total_n
    out[("total_probability", "")] = mass
    return out


def oracle_values(cohorts, design, rates) -> dict[tuple[str, str], float]:
    """cohorts: list of dicts {"name", "n", "q0", "looks": [n1, n]}; design: a dict with the TOML fields
    of the design (kind "enrichment"; absent fields take the documented defaults); rates: true rates.
    Returns {(metric, cohort_name): value} for the per-cohort metrics prob_go, type1_error (cohorts
    whose rate <= q0) or power (the others), prob_stop_futility, prob_stop_efficacy (always 0), mean_n,
    bias, mse, prob_pooled, and {(metric, ""): value} for fwer (P(a go in any cohort with rate <= q0),
    0.0 if there is none), prob_any_go, mean_total_n."""
    full = oracle_full(cohorts, design, rates)
    return {key: v for key, v in full.items() if key[0] not in ("prob_no_go", "total_probability")}
