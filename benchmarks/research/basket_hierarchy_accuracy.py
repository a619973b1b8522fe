"""Where Berry's quadrature posterior (basket/hierarchy.py) loses accuracy, and what a composite
Gauss-Legendre rule in nu would give (docs/notes/basket-conventions.md, "Located").

Three cohorts at their interim sizes (5/10, 7/14, 10/20 patients, 1, 2, 3 responses, q0 0.15),
Berry(target=0.35). Part 1 compares, scale by scale, dosefind's node tables with a third integration (a
fine nu grid, the inner theta integrals by FFT convolution, Gauss-Hermite for tiny scales): the log of the
nu-integral of the posterior mass (minus log p(l), which leaves the trapezoid weight in l: log 0.3 =
-1.204 inside the range) and P(theta_c > c | s). Part 2 builds the tables of grid "fine", the composite
Gauss-Legendre rule in nu (``hierarchy._nu_nodes_gl``), with its panel u-width and growth set from the
command line, and prints P and the mean against the brute-force oracle of tests/basket/berry_oracle.py
(cohort c: P 0.9087272, mean 0.2747066).

    python benchmarks/research/basket_hierarchy_accuracy.py [--panel-u 4] [--grow 4]
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--panel-u", type=float, default=4.0, help="a panel's width in u (posterior sds)")
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
    print(f"part 2: the fine grid's Gauss-Legendre rule in nu (u-width {args.panel_u}, growth {args.grow})")
    fine = Berry(target=0.35, grid="fine")
    H.GRIDS["fine"] = H.GRIDS["fine"]._replace(u_step=args.panel_u, growth=args.grow)
    t = H.build_tables(fine, COHORTS)
    H.tables_for = lambda d, c, t=t: t
    p, m = analyze(fine, COHORTS, N[None], X[None])
    print(f"  nodes {t.n_nodes}: cohort c P {p[0, 2]:.7f} mean {m[0, 2]:.7f}; oracle {ORACLE_C}")


if __name__ == "__main__":
    main()
