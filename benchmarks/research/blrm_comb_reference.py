"""Reference posterior of the two-drug BLRM by self-normalised importance sampling (numpy, seeded): the
high-accuracy check of the quadrature in engine/blrm_comb.py (tests/unit/test_blrm_comb.py reads the
values this writes; the numbers and settings: docs/notes/blrm-comb-quadrature.md).

Proposal: a multivariate t (5 degrees of freedom) centred at the posterior mode with 1.5^2 times the
Laplace covariance. Each interval probability comes with its Monte Carlo standard error (delta method
for the ratio estimator), so tolerances can be derived from it.

    python benchmarks/research/blrm_comb_reference.py --millions 40 \
        --out benchmarks/research/blrm_comb_reference.json
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from scipy import optimize

from dosefind.designs.blrm_comb import BlrmComb

GRID = {"levels_a": ["3", "4.5", "6"], "levels_b": ["400", "600", "800"]}


def example_design(**kw) -> BlrmComb:
    """The 3 x 3 design the accuracy is measured on (doses of the research note; d* inside the grid)."""
    base = dict(
        name="accuracy",
        max_n=36,
        cohort_size=3,
        grid=GRID,
        doses_a=[3, 4.5, 6],
        doses_b=[400, 600, 800],
        reference_dose_a=6,
        reference_dose_b=800,
        target=0.25,
    )
    base.update(kw)
    return BlrmComb(**base)


#: data sets (patients, DLTs per cell, row-major 1.1 1.2 1.3 2.1 ...)
DATA = {
    "prior": ([0] * 9, [0] * 9),
    "D1": ([3, 0, 0, 0, 0, 0, 0, 0, 0], [0] * 9),
    "D2": ([3, 3, 0, 3, 6, 0, 0, 0, 0], [0, 0, 0, 0, 1, 0, 0, 0, 0]),
    "D3": ([3, 3, 3, 3, 9, 6, 0, 6, 3], [0, 0, 1, 0, 2, 2, 0, 2, 2]),
}


def log_post(design: BlrmComb, th, n, y):
    m = design.prior_mean
    prec = np.linalg.inv(design.prior_cov)
    d = th - m
    lp = -0.5 * np.einsum("...i,ij,...j->...", d, prec, d)
    lg = design.logits(th)
    used = n > 0
    return lp + (y[used] * lg[..., used] - n[used] * np.logaddexp(0.0, lg[..., used])).sum(-1)


def laplace(design, n, y):
    t = optimize.minimize(
        lambda t: -log_post(design, t, n, y), design.prior_mean, method="BFGS", options={"gtol": 1e-9}
    ).x
    h = 1e-4
    eye = np.eye(5) * h

    def f(x):
        return -log_post(design, x, n, y)

    hess = np.array(
        [
            [
                (
                    f(t + eye[i] + eye[j])
                    - f(t + eye[i] - eye[j])
                    - f(t - eye[i] + eye[j])
                    + f(t - eye[i] - eye[j])
                )
                / (4 * h * h)
                for j in range(5)
            ]
            for i in range(5)
        ]
    )
    return t, np.linalg.inv(hess)


def reference(design, n, y, millions: int, seed: int = 20261202, batch: int = 1_000_000):
    """Interval probabilities (under, target, over per cell), means, and their Monte Carlo SEs."""
    n = np.asarray(n, float)
    y = np.asarray(y, float)
    mode, cov = laplace(design, n, y)
    chol = np.linalg.cholesky(cov * 1.5**2)
    df = 5.0
    rng = np.random.default_rng(seed)
    lo, hi = design.intervals
    D = design.grid.n_cells
    # sums of w, w f, w^2, w^2 f, w^2 f^2 for f = indicators and p (ratio-estimator variance)
    S = {"w": 0.0, "w2": 0.0}
    acc = {k: np.zeros(D) for k in ("under", "target", "over", "mean")}
    acc2 = {k: np.zeros(D) for k in acc}
    accw2f = {k: np.zeros(D) for k in acc}
    shift = None
    for _ in range(millions * 1_000_000 // batch):
        z = rng.standard_normal((batch, 5))
        g = rng.chisquare(df, batch) / df
        th = mode + (z @ chol.T) / np.sqrt(g)[:, None]
        dz = np.linalg.solve(chol, (th - mode).T).T
        logq = -0.5 * (df + 5) * np.log1p((dz**2).sum(1) / df)
        lw = log_post(design, th, n, y) - logq
        if shift is None:
            shift = lw.max()
        w = np.exp(lw - shift)
        p = design.prob_tox(th)
        f = {"under": p < lo, "target": (p >= lo) & (p < hi), "over": p >= hi, "mean": p}
        S["w"] += w.sum()
        S["w2"] += (w * w).sum()
        for k, v in f.items():
            acc[k] += w @ v
            acc2[k] += (w * w) @ (v * v)
            accw2f[k] += (w * w) @ v
    out = {}
    for k in acc:
        est = acc[k] / S["w"]
        var = (acc2[k] - 2 * est * accw2f[k] + est * est * S["w2"]) / S["w"] ** 2
        out[k] = est.tolist()
        out[k + "_se"] = np.sqrt(var).tolist()
    out["ess"] = S["w"] ** 2 / S["w2"]
    out["draws"] = millions * 1_000_000
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--millions", type=int, default=40)
    ap.add_argument("--data", nargs="+", default=list(DATA))
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    design = example_design()
    res = {}
    for name in args.data:
        n, y = DATA[name]
        res[name] = reference(design, n, y, args.millions)
        r = res[name]
        print(
            name,
            "ESS",
            round(r["ess"]),
            "max se",
            max(max(r[k + "_se"]) for k in ("under", "target", "over")),
        )
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(
                {
                    "settings": {"millions": args.millions, "seed": 20261202, "design": design.to_dict()},
                    "results": res,
                },
                fh,
                indent=1,
                default=str,
            )


if __name__ == "__main__":
    main()
