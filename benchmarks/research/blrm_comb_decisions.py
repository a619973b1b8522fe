"""Research script: do the two-drug BLRM's certified decisions (engine/blrm_comb.py: the cheapest outer
point set whose margins exceed its error, refined otherwise) equal the accurate rule's (point set 0)?
Random trial states on the 3 x 3 grid of blrm_comb_reference.py: cohorts of 3 at random cells of the
lower rows/columns, DLTs drawn from a random monotone scenario; the current cell random among the tried.
Prints agreement and the share of decisions taken on each point set (seeded).

    python benchmarks/research/blrm_comb_decisions.py --states 60
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from blrm_comb_reference import example_design

from dosefind.designs import layout as L
from dosefind.engine import blrm_comb as K


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--states", type=int, default=60)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    design = example_design()
    c = design.compile()
    D = design.n_doses
    rng = np.random.default_rng(args.seed)
    agree = 0
    levels = np.zeros(3, dtype=int)
    t_ladder = t_acc = 0.0
    for _ in range(args.states):
        p = np.sort(rng.uniform(0.02, 0.6, D)).reshape(3, 3)
        p = np.maximum.accumulate(np.maximum.accumulate(p, 0), 1).ravel()  # monotone in both drugs
        n = np.zeros(D, dtype=np.int64)
        y = np.zeros(D, dtype=np.int64)
        for _c in range(int(rng.integers(1, 9))):
            cell = int(rng.integers(0, D))
            n[cell] += 3
            y[cell] += rng.binomial(3, p[cell])
        tried = np.flatnonzero(n)
        cur = int(rng.choice(tried))
        adm = np.ones(D, dtype=np.int64)
        keys = np.full((0, 2 * D), -1, dtype=np.int16)
        vals = np.zeros((1, L.POST_FIRST + 4 * D))
        t0 = time.perf_counter()
        got = K.decide_blrm_comb(c.ip, c.fp, c.grid, n, y, adm, cur, int(n.sum()), keys, vals, False)
        t_ladder += time.perf_counter() - t0
        levels[int(vals[0, 0])] += 1
        t0 = time.perf_counter()
        row = np.zeros(L.POST_FIRST + 4 * D)
        K.blrm_comb_posterior(c.ip, c.fp, c.grid, n, y, row, False, 0)
        t_acc += time.perf_counter() - t0
        cand = np.empty(D, dtype=np.int64)
        K._candidates(c.ip, c.grid, n, adm, cur, False, cand)
        best, free, _ok = K._choose(c.ip, c.fp, row, cand, n, 0.0)
        if best < 0:
            ref = (cur, 2, K.R_BLRMC_NO_SAFE)
        else:
            reason = K.R_BLRMC_TARGET if best == free else K.R_BLRMC_CAPPED
            status = 0
            if n[best] >= design.mtd_min_n and row[L.POST_FIRST + 2 * D + best] >= design.mtd_min_prob_target:
                status, reason = 1, K.R_BLRMC_MTD
            ref = (best, status, reason)
        agree += tuple(int(v) for v in got) == ref
    print(
        f"{args.states} states: certified decision == accurate rule's in {agree}; decided on point set "
        f"2 (1,024 lines) {levels[2]}, set 1 (4,096) {levels[1]}, set 0 (16,384) {levels[0]}; "
        f"time: ladder {t_ladder:.1f} s, accurate rule {t_acc:.1f} s"
    )


if __name__ == "__main__":
    main()
