"""Research script (not part of the package): how fast a deterministic rule converges for the two-drug
BLRM's interval probabilities. Findings and the numbers it printed: docs/notes/blrm-comb-quadrature.md.

Model (Neuenschwander et al. 2014, OncoBayes2's linear interaction): logit p_A = a1 + exp(b1) log(dA/dA*),
logit p_B = a2 + exp(b2) log(dB/dB*), p0 = 1 - (1 - p_A)(1 - p_B),
logit p_jk = logit p0 + eta (dA_j/dA*)(dB_k/dB*); prior (a_i, b_i) ~ N((logit 0.2, 0), diag(4, 1)) per drug,
eta ~ N(0, 1.121^2) (the OncoBayes2 combo2 example's component priors).

Scheme: Laplace mode and covariance in 5-D; every p_jk increases along e = (1, 0, 1, 0, 0)/sqrt(2) (both
intercepts), so {p_jk < c} is a half-line on each line parallel to e. Outer: a tensor Gauss-Hermite rule
on the 4-D complement of e (Cholesky of the Laplace marginal covariance), integrand divided by the normal
density; inner: Gauss-Legendre panels along e centred on the Gaussian conditional mean, the cut found by
bisection and integrated with fresh panels up to it.

    python benchmarks/research/blrm_comb_quadrature.py --nodes 3 5 7 --mc 0
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from numpy.polynomial.legendre import leggauss
from scipy import optimize


def logit(p):
    return np.log(p / (1 - p))


def softplus(x):
    return np.logaddexp(0.0, x)


class Model:
    def __init__(self, dose_a, dose_b, ref_a, ref_b):
        self.xa = np.log(np.asarray(dose_a) / ref_a)
        self.xb = np.log(np.asarray(dose_b) / ref_b)
        self.g = np.outer(np.asarray(dose_a) / ref_a, np.asarray(dose_b) / ref_b)
        self.mean = np.array([logit(0.2), 0.0, logit(0.2), 0.0, 0.0])
        self.sd = np.array([2.0, 1.0, 2.0, 1.0, 1.121])

    def logits(self, th):
        la = th[..., 0, None] + np.exp(th[..., 1])[..., None] * self.xa
        lb = th[..., 2, None] + np.exp(th[..., 3])[..., None] * self.xb
        sp = softplus(la)[..., :, None] + softplus(lb)[..., None, :]
        return sp + np.log(-np.expm1(-sp)) + th[..., 4, None, None] * self.g

    def log_post(self, th, n, y):
        z = (th - self.mean) / self.sd
        lg = self.logits(th)
        return -0.5 * (z**2).sum(-1) + (y * lg - n * softplus(lg)).sum(axis=(-2, -1))


def laplace(model, n, y):
    def f(t):
        return -model.log_post(t, n, y)

    t = optimize.minimize(f, model.mean, method="BFGS", options={"gtol": 1e-10}).x
    h = 1e-4
    eye = np.eye(5) * h
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


def interval_below(model, n, y, cuts, nodes, half=9.0, panels=12, order=8):
    """P(logit p_jk < cut) for every cell and cut, [J, K, C]."""
    mode, cov = laplace(model, n, y)
    top = model.log_post(mode, n, y)
    e = np.array([1.0, 0.0, 1.0, 0.0, 0.0]) / np.sqrt(2.0)
    comp = np.linalg.qr(np.column_stack([e, np.eye(5)]))[0][:, 1:5]
    s_ww = comp.T @ cov @ comp
    s_wt = comp.T @ cov @ e
    reg = np.linalg.solve(s_ww, s_wt)
    st = np.sqrt(e @ cov @ e - s_wt @ reg)
    z1, w1 = hermegauss(nodes)
    z = np.array(list(itertools.product(z1, repeat=4)))
    w = np.prod(np.array(list(itertools.product(w1 / np.sqrt(2 * np.pi), repeat=4))), axis=1)
    w = w * np.exp(0.5 * (z**2).sum(1))
    wv = z @ np.linalg.cholesky(s_ww).T
    centre = wv @ reg
    base = mode + wv @ comp.T
    gx, gw = leggauss(order)

    def line(lo, hi):  # integral of the posterior along e from centre + st lo to centre + st hi
        ed = lo[..., None] + (hi - lo)[..., None] * np.linspace(0, 1, panels + 1)
        v = (ed[..., :-1, None] + ed[..., 1:, None]) / 2 + (ed[..., 1:, None] - ed[..., :-1, None]) / 2 * gx
        wt = (ed[..., 1:, None] - ed[..., :-1, None]) / 2 * gw
        extra = (None,) * (v.ndim - 1)
        t = (centre[(slice(None), *extra)] + st * v)[..., None]
        th = base[(slice(None), *extra, slice(None))] + t * e
        return (np.exp(model.log_post(th, n, y) - top) * wt).sum((-1, -2)) * st

    total = (w * line(np.full(len(z), -half), np.full(len(z), half))).sum()
    J, K = model.g.shape
    out = np.zeros((J, K, len(cuts)))
    jj, kk = np.arange(J)[:, None], np.arange(K)[None, :]
    for ci, c in enumerate(cuts):
        lo = np.full((len(z), J, K), -half - 5.0)
        hi = np.full((len(z), J, K), half + 5.0)
        for _ in range(50):
            mid = 0.5 * (lo + hi)
            th = base[:, None, None, :] + (centre[:, None, None] + st * mid)[..., None] * e
            below = model.logits(th)[:, jj, kk, jj, kk] < c
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        vs = np.clip(0.5 * (lo + hi), -half, half)
        out[:, :, ci] = (w[:, None, None] * line(np.full(vs.shape, -half), vs)).sum(0) / total
    return out


DATA = {
    "prior": (np.zeros((3, 3)), np.zeros((3, 3))),
    "D1": ([[3, 0, 0], [0, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0], [0, 0, 0]]),
    "D2": ([[3, 3, 0], [3, 6, 0], [0, 0, 0]], [[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
    "D3": ([[3, 3, 3], [3, 9, 6], [0, 6, 3]], [[0, 0, 1], [0, 2, 2], [0, 2, 2]]),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, nargs="+", default=[3, 5, 7])
    ap.add_argument("--mc", type=int, default=0, help="prior-only Monte Carlo check, millions of draws")
    ap.add_argument("--data", nargs="+", default=list(DATA))
    args = ap.parse_args()
    model = Model([3, 4.5, 6], [400, 600, 800], 6, 960)
    cuts = [logit(0.16), logit(0.33)]
    for name in args.data:
        n, y = (np.asarray(a, float) for a in DATA[name])
        res = {}
        for k in args.nodes:
            t0 = time.perf_counter()
            res[k] = interval_below(model, n, y, cuts, k)
            print(
                f"{name} nodes {k}^4: {time.perf_counter() - t0:.1f} s, "
                f"P(p < 0.33) {np.round(res[k][..., 1].ravel(), 5)}"
            )
        best = res[max(res)]
        for k in res:
            print(
                f"{name} nodes {k}^4: max |difference| from {max(res)}^4 = {np.abs(res[k] - best).max():.2e}"
            )
        if name == "prior" and args.mc:
            rng = np.random.default_rng(7)
            acc = np.zeros((3, 3, 2))
            for _ in range(args.mc):
                th = model.mean + model.sd * rng.standard_normal((1_000_000, 5))
                lg = model.logits(th)
                acc += np.stack([(lg < c).mean(0) for c in cuts], -1)
            mc = acc / args.mc
            se = np.sqrt(0.25 / (args.mc * 1e6))
            for k in res:
                print(
                    f"prior nodes {k}^4: max |difference| from Monte Carlo = "
                    f"{np.abs(res[k] - mc).max():.2e} (MC se <= {se:.1e})"
                )


if __name__ == "__main__":
    main()
