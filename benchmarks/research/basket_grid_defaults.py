"""Which node rule Berry and EXNEX use by default (docs/notes/basket-conventions.md, "The accurate rule
by default"): the largest error in P(q > q0) and the posterior mean of each rule over 14 data vectors per
seed of the bundled seven cohorts (interim and full sizes: none responding, all, 15%, random rates
0.05-0.6), against a converged reference rule (composite Gauss-Legendre, log-s step 0.1, panel u-width 2,
growth 1.5).

    python benchmarks/research/basket_grid_defaults.py [--seeds 5 6]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import dosefind.basket.hierarchy as H
from dosefind.basket import Berry, Exnex
from dosefind.basket.decide import analyze
from dosefind.basket.spec import load_basket

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = H.Grid(0.1, 2.0, 8, 1.5)
RULES = {
    "default": H.GRIDS["default"],
    "fine, growth 4 (before)": H.Grid(0.3, 4.0, 8, 4.0),
    "fine": H.GRIDS["fine"],
}


def data_sets(cohorts, seeds):
    n_full = np.array([c.n for c in cohorts])
    n_interim = np.array([c.looks[0] for c in cohorts])
    out = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        for n in (n_interim, n_full):
            out += [(n, np.zeros_like(n)), (n, n.copy()), (n, (0.15 * n).astype(int))]
            out += [(n, rng.binomial(n, rng.uniform(0.05, 0.6, len(n)))) for _ in range(4)]
    return out


def values(design, cohorts, rule, data):
    """P and the posterior mean per data vector with ``rule`` as the design's grid."""
    H.GRIDS["fine"] = rule
    tables = H.build_tables(design, cohorts)
    original = H.tables_for
    H.tables_for = lambda d, c, t=tables: t
    try:
        out = [analyze(design, cohorts, n[None], x[None]) for n, x in data]
    finally:
        H.tables_for = original
    return tables.n_nodes, np.array([o[0][0] for o in out]), np.array([o[1][0] for o in out])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[5, 6])
    args = ap.parse_args()
    cohorts = load_basket(ROOT / "examples" / "baskets" / "rare-seven.toml").cohorts
    data = data_sets(cohorts, args.seeds)
    fine = H.GRIDS["fine"]
    for name, make in (
        ("berry", lambda: Berry(target=0.3, grid="fine")),
        ("exnex", lambda: Exnex(grid="fine")),
    ):
        _n, ref_p, ref_m = values(make(), cohorts, REFERENCE, data)
        for label, rule in RULES.items():
            nodes, p, m = values(make(), cohorts, rule, data)
            print(
                f"{name:<6} {label:<24} nodes {nodes:>6,}  P {np.abs(p - ref_p).max():.1e}  "
                f"mean {np.abs(m - ref_m).max():.1e}"
            )
    H.GRIDS["fine"] = fine


if __name__ == "__main__":
    main()
