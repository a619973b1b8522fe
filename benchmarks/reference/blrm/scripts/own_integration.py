#!/usr/bin/env python3
# ruff: noqa: B905, E501, E731, UP031  (the reference script as it was run; see ../README.md)
"""Deterministic ("own integration") reference values for the single-agent BLRM.

Model: logit p(d) = a + exp(b) * log(d / dref),  (a, b) = (log alpha, log beta) ~ BVN(m, S).
Posterior on (a, b) is evaluated on a uniform tensor grid (box adapted to the posterior,
checked to hold all but a negligible mass).  Smooth functionals (moments of p(d)) use the
trapezoidal rule (spectrally accurate for smooth, decaying integrands).  Tail / interval
probabilities P(p(d) <= c) are computed without discretising the indicator: for every grid
row a, the event is a half-line in b with analytic end point b*(a) = log((logit(c) - a) / x),
x = log(d/dref); the inner integral up to b* uses the piecewise cubic Hermite interpolant of
the density (analytic derivative), and the outer integral over a uses the trapezoidal rule.
x = 0 (d = dref) is handled by the same Hermite scheme along a.  Quantiles are obtained by
root finding on that CDF.  Each case is computed at two grid resolutions; the absolute
difference is reported as `mcse`-column substitute "num_err" (estimated numerical error).

Only numpy and scipy are needed.  Data sets / priors mirror scripts/datasets.R.
Usage: python3 own_integration.py [out_csv]
"""

import csv
import math
import os
import sys

import numpy as np
from scipy import optimize, special

BASE = os.environ.get("BLRM_REF_BASE", os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

DOSES = [1, 2.5, 5, 10, 15, 20, 25, 30, 40, 50, 75, 100, 150, 200, 250]
DATASETS = {
    "hist_SA": ([1, 2.5, 5, 10, 25], [3, 4, 5, 4, 2], [0, 0, 0, 0, 2]),
    "nodata": ([], [], []),
    "low_safe": ([1, 2.5, 5, 10], [3, 3, 3, 3], [0, 0, 0, 0]),
    "mixed": ([1, 2.5, 5, 10, 20, 40], [3, 3, 4, 6, 3, 6], [0, 0, 0, 1, 0, 2]),
    "high_tox": ([1, 5, 10, 25, 50, 100, 200], [3, 3, 3, 3, 6, 4, 3], [0, 0, 0, 0, 1, 3, 3]),
    "early_tox": ([1], [3], [2]),
    "random_s20240607": ([5, 10, 20, 30, 75], [6, 3, 2, 3, 4], [0, 0, 0, 0, 1]),
}
PRIORS = {
    "ob2_example": dict(m1=0.0, m2=0.0, s1=2.0, s2=1.0, r=0.0, dref=50.0),
    "ob2_simplified_p02": dict(m1=math.log(0.2 / 0.8), m2=0.0, s1=2.0, s2=0.7, r=0.0, dref=50.0),
    "crmpack_default": dict(m1=-0.85, m2=1.0, s1=1.0, s2=1.0, r=-0.5, dref=50.0),
}
# crmPack documented NextBestNCRM example (examples/Rules-method-nextBest-NextBestNCRM.R)
EXTRA = {
    "crmpack_ncrm_example": dict(
        grid=[0.1, 0.5, 1.5, 3, 6] + list(range(10, 81, 2)),
        data=([0.1, 0.5, 1.5, 3, 6, 10], [1, 1, 1, 1, 1, 3], [0, 0, 0, 0, 0, 1]),
        prior=dict(m1=-0.85, m2=1.0, s1=1.0, s2=1.0, r=-0.5, dref=56.0),
    )
}
OB2_INTERVALS = (0.16, 0.33)
EWOC_MAX_OVER = 0.25
NCRM_TARGET = (0.2, 0.35)
NCRM_OVERDOSE = 0.35
INCREMENTS = {  # crmPack IncrementsRelative(intervals, increments): max next = (1 + inc) * last dose
    "IncrementsRelative(intervals=c(0,20),increments=c(1,0.33))": ([0, 20], [1, 0.33]),
    "IncrementsRelative(intervals=0,increments=1)": ([0], [1]),
    "none(doselimit=Inf)": None,
}


class Posterior:
    def __init__(self, doses, n, r, prior, N):
        self.x = np.log(np.asarray(doses, float) / prior["dref"])
        self.n = np.asarray(n, float)
        self.r = np.asarray(r, float)
        self.m = np.array([prior["m1"], prior["m2"]])
        s1, s2, rho = prior["s1"], prior["s2"], prior["r"]
        S = np.array([[s1 * s1, rho * s1 * s2], [rho * s1 * s2, s2 * s2]])
        self.P = np.linalg.inv(S)
        self.N = N
        self._box(prior)
        self._grid()

    def logpost(self, a, b):
        da, db = a - self.m[0], b - self.m[1]
        lp = -0.5 * (self.P[0, 0] * da * da + 2 * self.P[0, 1] * da * db + self.P[1, 1] * db * db)
        eb = np.exp(b)
        for xi, ni, ri in zip(self.x, self.n, self.r):
            eta = a + eb * xi
            # r log p + (n - r) log(1 - p) = r*eta - n*log(1+exp(eta))
            lp = lp + ri * eta - ni * np.logaddexp(0.0, eta)
        return lp

    def dlogpost(self, a, b):
        da, db = a - self.m[0], b - self.m[1]
        ga = -(self.P[0, 0] * da + self.P[0, 1] * db)
        gb = -(self.P[1, 0] * da + self.P[1, 1] * db)
        eb = np.exp(b)
        for xi, ni, ri in zip(self.x, self.n, self.r):
            eta = a + eb * xi
            res = ri - ni * special.expit(eta)
            ga = ga + res
            gb = gb + res * eb * xi
        return ga, gb

    def _box(self, prior):
        # start from the prior box (+-10 prior sd), then shrink to the posterior (+-14 sd
        # around the posterior mean from a coarse pass), never leaving the prior box.
        lo = self.m - 10 * np.array([prior["s1"], prior["s2"]])
        hi = self.m + 10 * np.array([prior["s1"], prior["s2"]])
        for _ in range(3):
            a = np.linspace(lo[0], hi[0], 801)
            b = np.linspace(lo[1], hi[1], 801)
            A, B = np.meshgrid(a, b, indexing="ij")
            lp = self.logpost(A, B)
            w = np.exp(lp - lp.max())
            w /= w.sum()
            ma, mb = (w * A).sum(), (w * B).sum()
            sa = math.sqrt((w * (A - ma) ** 2).sum())
            sb = math.sqrt((w * (B - mb) ** 2).sum())
            nlo = np.maximum(lo, [ma - 14 * sa, mb - 14 * sb])
            nhi = np.minimum(hi, [ma + 14 * sa, mb + 14 * sb])
            lo, hi = nlo, nhi
        self.lo, self.hi = lo, hi

    def _grid(self):
        N = self.N
        self.a = np.linspace(self.lo[0], self.hi[0], N)
        self.b = np.linspace(self.lo[1], self.hi[1], N)
        self.ha = self.a[1] - self.a[0]
        self.hb = self.b[1] - self.b[0]
        A, B = np.meshgrid(self.a, self.b, indexing="ij")
        lp = self.logpost(A, B)
        self.lpmax = lp.max()
        f = np.exp(lp - self.lpmax)
        ga, gb = self.dlogpost(A, B)
        fa, fb = f * ga, f * gb
        # edge check: relative density on the box boundary
        self.edge = max(f[0, :].max(), f[-1, :].max(), f[:, 0].max(), f[:, -1].max())
        # cumulative integral along b of the cubic Hermite interpolant
        h = self.hb
        seg = h / 2 * (f[:, :-1] + f[:, 1:]) + h * h / 12 * (fb[:, :-1] - fb[:, 1:])
        C = np.zeros_like(f)
        C[:, 1:] = np.cumsum(seg, axis=1)
        self.f, self.fa, self.fb, self.C = f, fa, fb, C
        self.A, self.B = A, B
        # marginal of a and its derivative (for x = 0)
        self.marg = np.trapezoid(f, self.b, axis=1)
        self.dmarg = np.trapezoid(fa, self.b, axis=1)
        self.Z = np.trapezoid(self.marg, self.a)  # trapezoid in a of the (smooth) marginal
        segm = self.ha / 2 * (self.marg[:-1] + self.marg[1:]) + self.ha**2 / 12 * (
            self.dmarg[:-1] - self.dmarg[1:]
        )
        self.Cm = np.concatenate([[0.0], np.cumsum(segm)])
        # cumulative integral along a (for every b column) of the Hermite interpolant
        h = self.ha
        sega = h / 2 * (f[:-1, :] + f[1:, :]) + h * h / 12 * (fa[:-1, :] - fa[1:, :])
        Ca = np.zeros_like(f)
        Ca[1:, :] = np.cumsum(sega, axis=0)
        self.Ca = Ca
        self.Zb = np.trapezoid(Ca[-1, :], self.b)

    @staticmethod
    def _hermite_partial(f0, f1, d0, d1, h, t):
        # integral over [0, t*h] of the cubic Hermite interpolant on [0, h]
        h00 = t - t**3 + t**4 / 2
        h10 = t**2 / 2 - 2 * t**3 / 3 + t**4 / 4
        h01 = t**3 - t**4 / 2
        h11 = -(t**3) / 3 + t**4 / 4
        return h * (h00 * f0 + h01 * f1) + h * h * (h10 * d0 + h11 * d1)

    def _cum_b(self, bstar):
        """C_a(bstar) for every grid row a (bstar: array of length N, may be +-inf)."""
        N = self.N
        out = np.empty(N)
        below = bstar <= self.b[0]
        above = bstar >= self.b[-1]
        out[below] = 0.0
        out[above] = self.C[above, -1]
        mid = ~(below | above)
        if mid.any():
            rows = np.nonzero(mid)[0]
            pos = (bstar[mid] - self.b[0]) / self.hb
            j = np.minimum(np.floor(pos).astype(int), N - 2)
            t = pos - j
            part = self._hermite_partial(
                self.f[rows, j], self.f[rows, j + 1], self.fb[rows, j], self.fb[rows, j + 1], self.hb, t
            )
            out[mid] = self.C[rows, j] + part
        return out

    def cdf_a(self, x, L):
        """P(logit p(d) <= L) with the event written as a <= a*(b) = L - x*exp(b):
        inner integral along a (Hermite), outer trapezoid along b."""
        astar = L - x * np.exp(self.b)
        N = self.N
        out = np.empty(N)
        below = astar <= self.a[0]
        above = astar >= self.a[-1]
        out[below] = 0.0
        out[above] = self.Ca[-1, above]
        mid = ~(below | above)
        if mid.any():
            cols = np.nonzero(mid)[0]
            pos = (astar[mid] - self.a[0]) / self.ha
            j = np.minimum(np.floor(pos).astype(int), N - 2)
            t = pos - j
            part = self._hermite_partial(
                self.f[j, cols], self.f[j + 1, cols], self.fa[j, cols], self.fa[j + 1, cols], self.ha, t
            )
            out[mid] = self.Ca[j, cols] + part
        return float(np.trapezoid(out, self.b) / self.Zb)

    def cdf(self, x, L, orient="b"):
        """P(logit p(d) <= L) where x = log(d/dref)."""
        if orient == "a":
            return self.cdf_a(x, L)
        if x == 0.0:
            if L <= self.a[0]:
                return 0.0
            if L >= self.a[-1]:
                return 1.0
            pos = (L - self.a[0]) / self.ha
            j = min(int(math.floor(pos)), self.N - 2)
            t = pos - j
            part = self._hermite_partial(
                self.marg[j], self.marg[j + 1], self.dmarg[j], self.dmarg[j + 1], self.ha, t
            )
            return float((self.Cm[j] + part) / self.Cm[-1])
        with np.errstate(divide="ignore", invalid="ignore"):
            if x > 0:
                arg = (L - self.a) / x
                bstar = np.where(arg > 0, np.log(np.where(arg > 0, arg, 1.0)), -np.inf)
                g = self._cum_b(bstar)
            else:
                arg = (self.a - L) / (-x)
                bstar = np.where(arg > 0, np.log(np.where(arg > 0, arg, 1.0)), -np.inf)
                g = self.C[:, -1] - self._cum_b(bstar)
        return float(np.trapezoid(g, self.a) / self.Z)

    def moments(self, x):
        p = special.expit(self.A + np.exp(self.B) * x)
        w = self.f
        m1 = np.trapezoid(np.trapezoid(w * p, self.b, axis=1), self.a) / self.Z
        m2 = np.trapezoid(np.trapezoid(w * p * p, self.b, axis=1), self.a) / self.Z
        return m1, math.sqrt(max(m2 - m1 * m1, 0.0))

    def quantile(self, x, q, orient="b"):
        fn = lambda L: self.cdf(x, L, orient) - q
        lo, hi = -1e5, 1e5  # logit scale; quantiles can be extreme (e.g. 2.5% at low doses)
        L = optimize.brentq(fn, lo, hi, xtol=1e-13, rtol=1e-14, maxiter=500)
        return special.expit(L)

    def param_summary(self):
        W = self.f / self.Z
        tr = lambda M: np.trapezoid(np.trapezoid(M, self.b, axis=1), self.a)
        ma, mb = tr(W * self.A), tr(W * self.B)
        va, vb = tr(W * (self.A - ma) ** 2), tr(W * (self.B - mb) ** 2)
        cab = tr(W * (self.A - ma) * (self.B - mb))
        return dict(
            post_mean_log_alpha=ma,
            post_mean_log_beta=mb,
            post_mean_beta=tr(W * np.exp(self.B)),
            post_sd_log_alpha=math.sqrt(va),
            post_sd_log_beta=math.sqrt(vb),
            post_cor_log_alpha_log_beta=cab / math.sqrt(va * vb),
            log_marginal_likelihood=math.log(self.Z)
            + self.lpmax
            - math.log(2 * math.pi)
            - 0.5 * math.log(np.linalg.det(np.linalg.inv(self.P)))
            + sum(
                math.lgamma(ni + 1) - math.lgamma(ri + 1) - math.lgamma(ni - ri + 1)
                for ni, ri in zip(self.n, self.r)
            ),
        )


def _summ_one(post, x, orient):
    lg = lambda c: math.log(c / (1 - c))
    F16, F33 = post.cdf(x, lg(OB2_INTERVALS[0]), orient), post.cdf(x, lg(OB2_INTERVALS[1]), orient)
    F20, F35 = post.cdf(x, lg(NCRM_TARGET[0]), orient), post.cdf(x, lg(NCRM_TARGET[1]), orient)
    return {
        "q02.5": post.quantile(x, 0.025, orient),
        "q50.0": post.quantile(x, 0.5, orient),
        "q97.5": post.quantile(x, 0.975, orient),
        "q75.0": post.quantile(x, 0.75, orient),
        "prob_underdose": F16,
        "prob_target": F33 - F16,
        "prob_overdose": 1 - F33,
        "ncrm_prob_target": F35 - F20,
        "ncrm_prob_overdose": 1 - F35,
    }


def summarise(fine, coarse, grid, dref):
    """Values from the fine grid; for CDF-based quantities both orientations (event as a
    half-line in b for each a, or in a for each b) are computed and, per quantity, the one
    with the smaller fine-vs-coarse difference is kept.  Returns (values, errors, orient)."""
    vals, errs, how = {}, {}, {}
    for d in grid:
        x = math.log(d / dref)
        mf, sf = fine.moments(x)
        mc, sc = coarse.moments(x)
        v = {"mean": mf, "sd": sf}
        e = {"mean": abs(mf - mc), "sd": abs(sf - sc)}
        o = {"mean": "", "sd": ""}
        cand = {orient: (_summ_one(fine, x, orient), _summ_one(coarse, x, orient)) for orient in ("b", "a")}
        for q in cand["b"][0]:
            best = min(("b", "a"), key=lambda k: abs(cand[k][0][q] - cand[k][1][q]))
            v[q] = cand[best][0][q]
            e[q] = abs(cand[best][0][q] - cand[best][1][q])
            o[q] = best
        v["ewoc_ok"] = float(v["prob_overdose"] <= EWOC_MAX_OVER)
        e["ewoc_ok"] = ""
        o["ewoc_ok"] = ""
        vals[d], errs[d], how[d] = v, e, o
    return vals, errs, how


def max_dose(rule, data_doses):
    if rule is None or len(data_doses) == 0:
        return math.inf
    intervals, inc = rule
    last = data_doses[-1]  # crmPack uses the dose of the last patient (data in ascending dose order)
    k = int(np.searchsorted(intervals, last, side="right")) - 1
    return (1 + inc[k]) * last


def ncrm_next(summ, grid, limit):
    elig = [d for d in grid if d <= limit and summ[d]["ncrm_prob_overdose"] <= EWOC_MAX_OVER]
    if not elig:
        return float("nan")
    pt = [summ[d]["ncrm_prob_target"] for d in elig]
    if max(pt) > 0.05:
        return elig[int(np.argmax(pt))]
    return elig[-1]


def run_case(ds_name, data, pr_name, prior, grid, N_lo=801, N_hi=1601):
    doses, n, r = data
    fine = Posterior(doses, n, r, prior, N_hi)
    coarse = Posterior(doses, n, r, prior, N_lo)
    sf, se, _ = summarise(fine, coarse, grid, prior["dref"])
    rows = []
    nmap = dict(zip(doses, n))
    rmap = dict(zip(doses, r))
    common = dict(
        source="own_integration",
        package_version="own_integration.py (numpy %s, scipy %s)"
        % (np.__version__, __import__("scipy").__version__),
        dataset=ds_name,
        prior=pr_name,
        prior_m1=prior["m1"],
        prior_m2=prior["m2"],
        prior_s1=prior["s1"],
        prior_s2=prior["s2"],
        prior_r=prior["r"],
        dref=prior["dref"],
        settings="tensor grid %dx%d (error estimate vs %dx%d) box a[%.3f,%.3f] b[%.3f,%.3f] rel. edge density %.1e"
        % (N_hi, N_hi, N_lo, N_lo, fine.lo[0], fine.hi[0], fine.lo[1], fine.hi[1], fine.edge),
    )
    for d in grid:
        for q, v in sf[d].items():
            err = se[d][q]
            rows.append(
                dict(common, dose=d, n=nmap.get(d, 0), r=rmap.get(d, 0), quantity=q, value=v, num_err=err)
            )
    for q, v in fine.param_summary().items():
        rows.append(dict(common, dose="", n="", r="", quantity=q, value=v, num_err=""))
    for name, rule in INCREMENTS.items():
        lim = max_dose(rule, list(doses))
        rows.append(dict(common, dose="", n="", r="", quantity="max_dose[%s]" % name, value=lim, num_err=""))
        rows.append(
            dict(
                common,
                dose="",
                n="",
                r="",
                quantity="next_dose[NextBestNCRM,%s]" % name,
                value=ncrm_next(sf, grid, lim),
                num_err="",
            )
        )
    # EWOC-only rule: highest dose with P(over) <= 0.25 (OncoBayes2 intervals), optionally capped
    for name, rule in INCREMENTS.items():
        lim = max_dose(rule, list(doses))
        ok = [d for d in grid if d <= lim and sf[d]["prob_overdose"] <= EWOC_MAX_OVER]
        rows.append(
            dict(
                common,
                dose="",
                n="",
                r="",
                quantity="highest_ewoc_ok_dose[%s]" % name,
                value=ok[-1] if ok else float("nan"),
                num_err="",
            )
        )
    return rows


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(BASE, "out", "own_integration.csv")
    rows = []
    for pr_name, prior in PRIORS.items():
        for ds_name, data in DATASETS.items():
            print("case", pr_name, ds_name, flush=True)
            rows += run_case(ds_name, data, pr_name, prior, DOSES)
    for ds_name, ex in EXTRA.items():
        print("case", ds_name, flush=True)
        rows += run_case(ds_name, ex["data"], ds_name, ex["prior"], ex["grid"])
    cols = [
        "source",
        "package_version",
        "dataset",
        "dose",
        "n",
        "r",
        "prior",
        "prior_m1",
        "prior_m2",
        "prior_s1",
        "prior_s2",
        "prior_r",
        "dref",
        "quantity",
        "value",
        "num_err",
        "settings",
    ]
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for row in rows:
            row = dict(row)
            for k in ("value", "num_err", "dose", "n", "r"):
                if isinstance(row[k], (float, int, np.floating, np.integer)) and not isinstance(row[k], bool):
                    row[k] = repr(float(row[k])) if k in ("value", "num_err") else row[k]
            w.writerow(row)
    print("wrote", len(rows), "rows to", out)


if __name__ == "__main__":
    main()
