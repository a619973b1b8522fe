"""Where Berry's quadrature posterior (basket/hierarchy.py) loses accuracy, and what a composite
Gauss-Legendre rule in nu would give (docs/notes/basket-conventions.md, "Located").

Three cohorts at their interim sizes (5/10, 7/14, 10/20 patients, 1, 2, 3 responses, q0 0.15),
Berry(target=0.35). Part 1 compares, scale by scale, dosefind's node tables with a third integration (a
fine nu grid, the inner theta integrals by FFT convolution, Gauss-Hermite for tiny scales): the log of the
nu-integral of the posterior mass (minus log p(l), which leaves the trapezoid weight in l: log 0.3 =
-1.204 inside the range) and P(theta_c > c | s). Part 2 rebuilds the tables with composite Gauss-Legendre
panels in nu: edges at equal steps of the tables' own u-map, and around each cut panels of the tail
step's width w = s sqrt(1 + s^2 I) over the range the step can move to, c +- (s^2 I D + 4 w) (I = n_max / 4,
D a bound on |c - the cohort's own logit|), then growing by ``--grow`` until they reach the smooth
width; it prints P and the mean against the brute-force oracle of tests/basket/berry_oracle.py (cohort c:
P 0.9087272, mean 0.2747066).

    python benchmarks/research/basket_hierarchy_accuracy.py [--panel-u 4] [--gl 8] [--grow 4] [--ustep 0.5]
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from scipy.signal import fftconvolve
from scipy.special import gammaln, log_expit

import dosefind.basket.hierarchy as H
from dosefind.basket import Berry, Cohort
from dosefind.basket.decide import analyze

COHORTS = (Cohort("a", 10, 0.15, (5, 10)), Cohort("b", 14, 0.15, (7, 14)), Cohort("c", 20, 0.15, (10, 20)))
N = np.array([5, 7, 10])
X = np.array([1, 2, 3])
ORACLE_C = (0.9087272, 0.2747066)


def _log_binom(x, n, t):
    return x * log_expit(t) + (n - x) * log_expit(-t)


def per_scale(design: Berry, k: int = 2, h: float = 0.01) -> None:
    t = H.tables_for(design, COHORTS)
    rows = [t.row[(j, int(N[j]), int(X[j]))] for j in range(3)]
    lp = t.logw + sum(t.log_lik[r] for r in rows)
    c = math.log(0.15 / 0.85)
    grid = np.arange(-60.0, 50.0, h)
    b = [np.exp(_log_binom(X[j], N[j], grid)) for j in range(3)]
    gh_t, gh_w = np.polynomial.hermite.hermgauss(80)
    gh_w = gh_w / math.sqrt(math.pi)
    prior = np.exp(-0.5 * ((grid - c) / design.mu_sd) ** 2) / (design.mu_sd * math.sqrt(2 * math.pi))
    a, bb = design.sigma2_shape, design.sigma2_scale
    print("  scale      log(mass ratio) - log p(l)   P(theta_c > c | s): tables   third")
    for s in np.unique(t.scales)[::4]:
        sel = t.scales == s
        w = np.exp(lp[sel] - lp.max())
        mass, tail = w.sum(), (w * t.tail[rows[k]][sel]).sum() / w.sum()
        if s < 20 * h:
            th = grid[:, None] + math.sqrt(2) * s * gh_t[None, :]
            like = [np.exp(_log_binom(X[j], N[j], th)) @ gh_w for j in range(3)]
            tl = ((th > c) * np.exp(_log_binom(X[k], N[k], th))) @ gh_w
        else:
            half = min(int(12 * s / h), len(grid) - 1)
            z = np.arange(-half, half + 1) * h
            ker = np.exp(-0.5 * (z / s) ** 2) / (s * math.sqrt(2 * math.pi)) * h
            like = [np.maximum(fftconvolve(b[j], ker, mode="same"), 1e-300) for j in range(3)]
            tl = np.maximum(fftconvolve(b[k] * (grid > c), ker, mode="same"), 0.0)
        third = (prior * like[0] * like[1] * like[2]).sum() * h
        third_tail = (prior * like[0] * like[1] * tl).sum() * h / third
        lpl = math.log(2) + a * math.log(bb) - gammaln(a) - 2 * a * math.log(s) - bb / s**2
        ratio = math.log(mass) + lp.max() - math.log(third) - lpl
        print(f"  {s:9.3g}  {ratio:+.4f}                      {tail:.6f}       {third_tail:.6f}")


def gl_nodes(panel_u: float, gl: int, grow: float):
    z_gl, w_gl = np.polynomial.legendre.leggauss(gl)

    def density(nu, scale, info_n, prior_sd):
        v = np.exp(-np.abs(nu)) / (1.0 + np.exp(-np.abs(nu))) ** 2
        info = np.sum(info_n[:, None] * v[None, :] / (1.0 + scale**2 * info_n[:, None] * v[None, :]), axis=0)
        return np.sqrt(info + 1.0 / prior_sd**2)

    def nodes(center, prior_sd, scale, info_n, cuts, ustep):
        half = math.sqrt(2 * H.DROP) * prior_sd
        lo = min(center - half, float(cuts.min()) - 5.0)
        hi = max(center + half, float(cuts.max()) + 5.0)
        width_u = panel_u * ustep / 0.5
        # panel edges at equal steps of u(nu), the integral of the density (placing each panel by the
        # density at its left end let a tail panel jump across the posterior's bulk)
        helper = np.linspace(lo, hi, 20001)
        dens = density(helper, scale, info_n, prior_sd)
        u = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(helper))])
        n_panels = max(int(math.ceil(u[-1] / width_u)), 2)
        edges = list(np.interp(np.linspace(0.0, u[-1], n_panels + 1), u, helper))
        extra = []
        n_max = float(info_n.max())
        for c in cuts:
            big_i = n_max * 0.25
            wd = scale * math.sqrt(1.0 + scale**2 * big_i)
            d_max = abs(c) + math.log(2.0 * (n_max + 1.0)) + 1.0
            shift = min(scale**2 * big_i * d_max, 20.0)
            smooth = width_u / float(density(np.array([c]), scale, info_n, prior_sd)[0])
            if wd >= smooth:
                continue
            reach = shift + 4.0 * wd
            k = int(math.ceil(reach / wd))
            extra += list(c + wd * np.arange(-k, k + 1))
            step, x0 = wd, k * wd
            while step < smooth:
                step *= grow
                x0 += step
                extra += [c - x0, c + x0]
        if extra:
            lo_e, hi_e = min(extra), max(extra)
            edges = [x for x in edges if x < lo_e or x > hi_e]
        e = np.unique(np.concatenate([edges, extra]))
        e = e[(e >= lo) & (e <= hi)]
        half_w, mid = (e[1:] - e[:-1]) / 2, (e[1:] + e[:-1]) / 2
        nu = (mid[:, None] + half_w[:, None] * z_gl[None, :]).ravel()
        wts = (half_w[:, None] * w_gl[None, :]).ravel()
        logprior = -0.5 * ((nu - center) / prior_sd) ** 2 - math.log(prior_sd) - 0.5 * math.log(2 * math.pi)
        return nu, logprior + np.log(wts)

    return nodes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--panel-u", type=float, default=4.0, help="a panel's width in u (posterior sds)")
    ap.add_argument("--gl", type=int, default=8)
    ap.add_argument("--ustep", type=float, default=0.5, help="the grid's u step the panel width scales")
    ap.add_argument("--grow", type=float, default=4.0, help="growth of the graded panels around a cut")
    args = ap.parse_args()
    design = Berry(target=0.35)
    print("part 1: the node tables (grid default) scale by scale against a third integration")
    per_scale(design)
    p, m = analyze(design, COHORTS, N[None], X[None])
    print(
        f"  tables: nodes {H.tables_for(design, COHORTS).n_nodes}, "
        f"cohort c P {p[0, 2]:.7f} mean {m[0, 2]:.7f}"
    )
    print(f"part 2: composite Gauss-Legendre in nu (u-width {args.panel_u}, {args.gl} points)")
    H._nu_nodes = gl_nodes(args.panel_u, args.gl, args.grow)
    H.GRIDS["default"] = H.Grid(0.3, args.ustep, 4)
    t = H.build_tables(design, COHORTS)
    H.tables_for = lambda d, c, t=t: t
    p, m = analyze(design, COHORTS, N[None], X[None])
    print(f"  nodes {t.n_nodes}: cohort c P {p[0, 2]:.7f} mean {m[0, 2]:.7f}; oracle {ORACLE_C}")


if __name__ == "__main__":
    main()
