"""A basket's data analysed with the design that was simulated: per cohort the independent posterior next
to the borrowed one (mean, equal-tailed interval, P(q > q0)) and the decision at this look.

The data file is a CSV with one row per cohort: ``cohort,n,responses`` (cohorts not listed have no
patients yet). A cohort is decided when its n is one of its looks (the final look: go / no go; an
interim look: stop or continue); otherwise it is still enrolling.

A two-stage enrichment design (:mod:`dosefind.basket.enrichment`) decides each group at stage 1 (every
cohort of the group at its n1) and at the end of the stage 2 that decision planned; past stage 1 its
decision needs each cohort's stage-1 responses, in an optional ``stage1_responses`` column.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..constants import CREDIBLE_MASS
from ..errors import DataError
from .beta import beta_interval, fujikawa_shapes, prob_above
from .decide import STATUS_WORDS, CohortStatus, analyze, decide_look, independent_shapes, state_sizes
from .spec import BasketDesign, BasketSpec, Berry, Cbhm, Enrichment, Exnex, Fujikawa, Mem


@dataclass(frozen=True)
class BasketData:
    """Patients and responses per cohort, in the spec's cohort order."""

    n: tuple[int, ...]
    responses: tuple[int, ...]
    #: responses among each cohort's first n1 patients, where the file gives them (enrichment designs)
    stage1: tuple[int | None, ...] | None = None


def read_basket_csv(path: str | Path, spec: BasketSpec, design: BasketDesign | None = None) -> BasketData:
    """Read ``cohort,n,responses`` rows (and ``stage1_responses`` where given); errors name the row and the
    fix. A cohort may exceed its n only under an enrichment ``design`` (pooled or reallocated patients:
    its analysis checks them against the stage-1 decision)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"--data: {path.name} not found; check the path") from None
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"--data: cannot read {path.name} ({e}); give a UTF-8 CSV file") from None
    reader = csv.DictReader(text.splitlines())
    need = ("cohort", "n", "responses")
    if reader.fieldnames is None or any(c not in reader.fieldnames for c in need):
        raise DataError(
            f"{path.name}: the header is {reader.fieldnames}; it must have the columns cohort,n,responses"
        )
    index = {c.name: i for i, c in enumerate(spec.cohorts)}
    n = [0] * len(spec.cohorts)
    x = [0] * len(spec.cohorts)
    s1: list[int | None] = [None] * len(spec.cohorts)
    has_stage1 = "stage1_responses" in reader.fieldnames
    seen: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        name = (row["cohort"] or "").strip()
        where = f"{path.name} line {line}"
        if name not in index:
            names = ", ".join(spec.cohort_names)
            raise DataError(f"{where}: unknown cohort {name!r}; use one of {names}")
        if name in seen:
            raise DataError(f"{where}: cohort {name!r} is also on line {seen[name]}; give one row per cohort")
        seen[name] = line
        try:
            nn = int(row["n"])
            xx = int(row["responses"])
        except (TypeError, ValueError):
            raise DataError(
                f"{where}: n and responses must be whole numbers, got {row['n']!r}, {row['responses']!r}"
            ) from None
        cohort = spec.cohorts[index[name]]
        if nn < 0 or xx < 0:
            raise DataError(f"{where}: negative counts; n and responses must be >= 0")
        if xx > nn:
            raise DataError(f"{where}: {xx} responses among {nn} patients; responses cannot exceed n")
        if nn > cohort.n and not isinstance(design, Enrichment):
            raise DataError(
                f"{where}: {nn} patients but cohort {name!r} has n = {cohort.n}; check the data or the file"
            )
        if has_stage1 and (row["stage1_responses"] or "").strip():
            try:
                first = int(row["stage1_responses"])
            except ValueError:
                raise DataError(
                    f"{where}: stage1_responses must be a whole number, got {row['stage1_responses']!r}"
                ) from None
            n1 = cohort.looks[0]
            if nn < n1:
                raise DataError(
                    f"{where}: stage1_responses given but only {nn} of the {n1} stage-1 patients are in; "
                    "leave it empty until stage 1 is complete"
                )
            if not max(0, xx - (nn - n1)) <= first <= min(xx, n1):
                raise DataError(
                    f"{where}: {first} stage-1 responses cannot be among {xx} responses of {nn} patients "
                    f"with {n1} in stage 1; check the counts"
                )
            s1[index[name]] = first
        n[index[name]] = nn
        x[index[name]] = xx
    return BasketData(tuple(n), tuple(x), tuple(s1) if has_stage1 else None)


def _hierarchy_quantiles(design, cohorts, n, x, k, level) -> tuple[float, float]:
    """Equal-tailed interval of q_k under Berry / EXNEX: the posterior CDF at a cut t is the node-weighted
    tail of the inner integrals with cut t (same nodes as the decision), inverted by bisection."""
    from .hierarchy import DROP, INNER_NODES, tables_covering
    from .kernels import node_integrals

    t = tables_covering(design, cohorts, np.array([n], dtype=np.int64))
    rows = np.array([t.row[(j, n[j], x[j])] if (j, n[j], x[j]) in t.row else -1 for j in range(len(cohorts))])
    if (rows < 0).any():
        return math.nan, math.nan
    lp = t.logw.copy()
    mixed = t.p_ex[k] < 1.0
    for j, r in enumerate(rows):
        if mixed:
            a = np.log(t.p_ex[j]) + t.log_lik[r]
            b = np.log1p(-t.p_ex[j]) + t.nex_log_lik[r] if t.p_ex[j] < 1 else -np.inf
            lp += np.logaddexp(a, b)
        else:
            lp += t.log_lik[r]
    w = np.exp(lp - lp.max())
    w /= w.sum()
    keep = w > 1e-14
    nus, sds, w = t.nus[keep], t.scales[keep], w[keep]
    f = np.ones_like(w)
    if mixed:
        r = rows[k]
        a = np.log(t.p_ex[k]) + t.log_lik[r][keep]
        b = np.log1p(-t.p_ex[k]) + t.nex_log_lik[r]
        f = np.exp(a - np.logaddexp(a, b))
    z, gw = np.polynomial.legendre.leggauss(INNER_NODES)
    nn, xx = float(n[k]), float(x[k])
    nex_mean = design.nex_mean if isinstance(design, Exnex) and design.nex_mean is not None else None
    if isinstance(design, Exnex) and nex_mean is None:
        nex_mean = math.log(cohorts[k].q0 / (1 - cohorts[k].q0))

    def above(q: float) -> float:
        c = math.log(q / (1 - q))
        _, tail, _ = node_integrals(np.array([nn]), np.array([xx]), np.array([c]), nus, sds, z, gw, 4, DROP)
        s = float(np.sum(w * f * tail[0]))
        if mixed:
            _, nt, _ = node_integrals(
                np.array([nn]),
                np.array([xx]),
                np.array([c]),
                np.array([nex_mean]),
                np.array([design.nex_sd]),
                z,
                gw,
                16,
                DROP,
            )
            s += float(np.sum(w * (1 - f))) * nt[0, 0]
        return s

    def quantile(p: float) -> float:
        lo, hi = 1e-9, 1 - 1e-9
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            if 1.0 - above(mid) < p:
                lo = mid
            else:
                hi = mid
        return 0.5 * (lo + hi)

    tail = (1 - level) / 2
    return quantile(tail), quantile(1 - tail)


def _cbhm_intervals(design, cohorts, n, x, level) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed intervals of every q_k under the CBHM: the posterior CDF at a cut t is 1 - P(theta_k >
    logit t) from the decision's own kernel with that cut, inverted by bisection (all cohorts at once)."""
    from .cbhm import cbhm_probabilities

    def quantiles(p: float) -> np.ndarray:
        lo = np.full(len(cohorts), 1e-9)
        hi = np.full(len(cohorts), 1 - 1e-9)
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            above, _ = cbhm_probabilities(design, cohorts, n, x, cuts=np.log(mid / (1 - mid)))
            below = 1.0 - above[0] < p
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        return 0.5 * (lo + hi)

    tail = (1 - level) / 2
    return quantiles(tail), quantiles(1 - tail)


def _independent_posterior(prior, cohorts, n, x, level: float):
    """Each cohort's own Beta(prior) posterior: (mean, lower, upper, P(q > q0)), arrays over cohorts."""
    a, b = independent_shapes(prior, n, x)
    lower, upper = beta_interval(a, b, level)
    return a / (a + b), lower, upper, prob_above(a, b, np.array([c.q0 for c in cohorts]))


def _row(cohort, n: int, responses: int, independent, borrowed, decision: str) -> dict:
    """A cohort's analysis row: its data, its own posterior and the design's (mean, lower, upper, P(q >
    q0) each), the decision."""
    row = {"cohort": cohort.name, "n": n, "responses": responses, "q0": cohort.q0}
    for side, values in (("independent", independent), ("borrowed", borrowed)):
        for key, value in zip(("mean", "lower", "upper", "prob_above_q0"), values, strict=True):
            row[f"{side}_{key}"] = float(value)
    row["decision"] = decision
    return row


def analyze_data(
    spec: BasketSpec, design: BasketDesign, data: BasketData, level: float = CREDIBLE_MASS
) -> list[dict]:
    """One row per cohort: data, independent and borrowed posterior, decision (see the module doc)."""
    if isinstance(design, Enrichment):
        return _enrichment_rows(spec, design, data, level)
    cohorts = spec.cohorts
    n = np.array([data.n], dtype=np.int64)
    x = np.array([data.responses], dtype=np.int64)
    prior = getattr(design, "prior", (1.0, 1.0))
    ind = _independent_posterior(prior, cohorts, n[0], x[0], level)
    lo_i, hi_i = ind[1], ind[2]
    p_b, m_b = analyze(design, cohorts, n, x)
    p_b, m_b = p_b[0], m_b[0]
    if isinstance(design, Fujikawa):
        a_b, b_b, weights = fujikawa_shapes(
            n, x, design.prior, design.epsilon, design.tau, design.share_prior, state_sizes(cohorts, n)
        )
        lo_b, hi_b = beta_interval(a_b[0], b_b[0], level)
        weights = weights[0]
    elif isinstance(design, (Berry, Exnex)):
        bounds = [
            _hierarchy_quantiles(design, cohorts, data.n, data.responses, k, level)
            for k in range(len(cohorts))
        ]
        lo_b = np.array([b[0] for b in bounds])
        hi_b = np.array([b[1] for b in bounds])
        weights = None
    elif isinstance(design, Cbhm):
        lo_b, hi_b = _cbhm_intervals(design, cohorts, n, x, level)
        weights = None
    elif isinstance(design, Mem):
        from .mem import mem_summary

        summary = mem_summary(design, cohorts, data.n, data.responses, level)
        lo_b, hi_b, weights = summary["lower"], summary["upper"], None
    else:
        lo_b, hi_b, weights = lo_i, hi_i, None
    shrinkage = None
    if isinstance(design, Cbhm):
        from .cbhm import sigma2_of

        s2, t = sigma2_of(design, cohorts, n, x)
        shrinkage = {"homogeneity_T": float(t[0]), "sigma2": float(s2[0])}
    rows = []
    looked: dict = {}  # (look, final) -> decide_look's result: cohorts at the same look share one call
    for k, c in enumerate(cohorts):
        nk = data.n[k]
        interim = nk in c.looks[:-1]
        eff = fut = math.nan
        if nk in c.looks:
            look = c.looks.index(nk)
            final = look == len(c.looks) - 1
            if (look, final) not in looked:
                looked[(look, final)] = decide_look(design, cohorts, look, final, n, x, p_b[None, :])
            st, e, f = looked[(look, final)]
            decision = STATUS_WORDS[CohortStatus(int(st[0, k]))]
            eff, fut = float(e[0, k]), float(f[0, k])
        else:
            decision = "enrolling (not at a look)"
        row = _row(
            c, nk, data.responses[k], [v[k] for v in ind], (m_b[k], lo_b[k], hi_b[k], p_b[k]), decision
        )
        if design.interim == "predictive":
            row["predictive_prob_go"] = eff if interim else math.nan
        if isinstance(design, Cbhm) and design.futility_rate == "midpoint":
            row["futility_prob"] = fut if interim else math.nan
        if shrinkage is not None:
            row.update(shrinkage)
        if weights is not None:
            row["weights"] = {cohorts[j].name: float(weights[k, j]) for j in range(len(cohorts))}
        if isinstance(design, Mem):
            row["exchangeability"] = {
                cohorts[j].name: float(summary["pep"][k, j]) for j in range(len(cohorts))
            }
            row["map_exchangeable"] = [cohorts[j].name for j in range(len(cohorts)) if summary["map"][k, j]]
        rows.append(row)
    return rows


def _enrichment_rows(spec: BasketSpec, design: Enrichment, data: BasketData, level: float) -> list[dict]:
    """An enrichment design's analysis, group by group: before every cohort of a group has its n1
    patients, stage 1 is enrolling; then the group's stage-1 decision (:func:`enrichment.group_stage1`,
    on the stage-1 responses) says pooled or not and each cohort's stage-2 patients; at the end of the
    planned stage 2 (a pooled group: every cohort of it) the final decision (:func:`enrichment.final`).
    The "borrowed" posterior is the pooled one in a pooled group, the cohort's own elsewhere."""
    from .enrichment import final, group_cohorts, group_stage1, posterior

    cohorts = spec.cohorts
    n = np.array(data.n, dtype=np.int64)
    x = np.array(data.responses, dtype=np.int64)
    stage1 = data.stage1 or (None,) * len(cohorts)
    a, b = design.prior
    ind = _independent_posterior(design.prior, cohorts, n, x, level)
    lo_i, hi_i = ind[1], ind[2]
    rows: list[dict] = [{} for _ in cohorts]
    for idx in group_cohorts(design, cohorts):
        cols = list(idx)
        names = "+".join(cohorts[i].name for i in idx)
        n1 = np.array([cohorts[i].looks[0] for i in idx])
        pooled = False
        pvalue = math.nan
        planned = n1.copy()
        words = ["enrolling (stage 1)"] * len(idx)
        if (n[cols] >= n1).all():
            x1 = []
            for j, i in enumerate(idx):
                if n[i] == n1[j]:
                    x1.append(int(x[i]))
                elif stage1[i] is None:
                    raise DataError(
                        f"cohort {cohorts[i].name!r}: {n[i]} patients is past stage 1 ({n1[j]}); give its "
                        "stage-1 responses in a stage1_responses column"
                    )
                else:
                    x1.append(int(stage1[i]))
            st = group_stage1(design, cohorts, idx, np.array([x1], dtype=np.int64))
            pooled = bool(st.pooled[0])
            pvalue = float(st.pvalue[0])
            planned = n1 + st.extra[0]
            status, _, _ = final(design, cohorts, idx, st, n[None, cols], x[None, cols])
            complete = (n[cols] == planned).all() if pooled else None
            for j, i in enumerate(idx):
                if n[i] > planned[j]:
                    raise DataError(
                        f"cohort {cohorts[i].name!r}: {n[i]} patients, but the stage-1 decision plans "
                        f"{planned[j]}; check the data"
                    )
                how = " as one pooled cohort" if pooled else ""
                if st.stop[0, j]:
                    words[j] = STATUS_WORDS[CohortStatus.STOP_FUTILITY]
                elif n[i] == n1[j] and planned[j] > n1[j] and not (pooled and (n[cols] > n1).any()):
                    words[j] = f"continue: {planned[j] - n1[j]} more patients{how}"
                elif complete if pooled else n[i] == planned[j]:
                    words[j] = STATUS_WORDS[CohortStatus(int(status[0, j]))] + (" (pooled)" if pooled else "")
                else:
                    words[j] = f"enrolling (stage 2{', pooled' if pooled else ''}: {n[i]} of {planned[j]})"
        p_b, m_b = posterior(design, cohorts, idx, np.array([pooled]), n[None, cols], x[None, cols])
        if pooled:
            xx, nn = int(x[cols].sum()), int(n[cols].sum())
            lo_b, hi_b = beta_interval(np.array([a + xx]), np.array([b + nn - xx]), level)
            lo_b, hi_b = np.repeat(lo_b, len(idx)), np.repeat(hi_b, len(idx))
        else:
            lo_b, hi_b = lo_i[cols], hi_i[cols]
        for j, i in enumerate(idx):
            borrowed = (m_b[0, j], lo_b[j], hi_b[j], p_b[0, j])
            rows[i] = _row(cohorts[i], int(n[i]), int(x[i]), [v[i] for v in ind], borrowed, words[j])
            rows[i].update(group=names, pooled=pooled, fisher_p=pvalue, planned_n=int(planned[j]))
    return rows
