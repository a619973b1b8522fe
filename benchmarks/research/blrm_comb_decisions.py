"""Research script: do the two-drug BLRM's certified decisions (engine/blrm_comb.py: the cheapest level
whose margins exceed SAFETY times its error estimate, refined otherwise) equal the accurate rule's (level
0)? Random trial states on the 3 x 3 grid of blrm_comb_reference.py: cohorts of 3 at random cells, DLTs
drawn from a random monotone scenario; the current cell random among the tried. For every state the row
the decision stopped at is refined to level 0 (the same arithmetic as computing level 0 directly), and
the decision is taken again there with no margin. Prints agreement, the share of decisions taken on each
level, and for each level the ratio of its true distance to level 0 (largest over the P(target) and
P(overdosing) of all cells: the estimate the decisions use) to its error estimate (the largest change
from the level before), and the same per cell (each cell's distance over its own change: a poorer guide)
(seeded).

    python benchmarks/research/blrm_comb_decisions.py --states 300
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from blrm_comb_reference import example_design

from dosefind.designs import layout as L
from dosefind.engine import blrm_comb as K


def random_state(rng, D):
    p = np.sort(rng.uniform(0.02, 0.6, D)).reshape(3, 3)
    p = np.maximum.accumulate(np.maximum.accumulate(p, 0), 1).ravel()  # monotone in both drugs
    n = np.zeros(D, dtype=np.int64)
    y = np.zeros(D, dtype=np.int64)
    for _c in range(int(rng.integers(1, 11))):
        cell = int(rng.integers(0, D))
        n[cell] += 3
        y[cell] += rng.binomial(3, p[cell])
    cur = int(rng.choice(np.flatnonzero(n)))
    return n, y, cur


def accurate_decision(design, c, row, n, cur):
    D = design.n_doses
    adm = np.ones(D, dtype=np.int64)
    cand = np.empty(D, dtype=np.int64)
    K._candidates(c.ip, c.grid, n, adm, cur, False, cand)
    best, free, _ok = K._choose(c.ip, c.fp, row, cand, n, np.zeros(D))
    if best < 0:
        return (cur, 2, K.R_BLRMC_NO_SAFE)
    reason = K.R_BLRMC_TARGET if best == free else K.R_BLRMC_CAPPED
    if n[best] >= design.mtd_min_n and row[L.POST_FIRST + 2 * D + best] >= design.mtd_min_prob_target:
        return (best, 1, K.R_BLRMC_MTD)
    return (best, 0, reason)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--states", type=int, default=300)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    design = example_design()
    c = design.compile()
    D = design.n_doses
    P = L.POST_FIRST
    n_sets = int(c.ip[L.IP_BLRMC_N_SETS])
    rng = np.random.default_rng(args.seed)
    agree = 0
    levels = np.zeros(n_sets, dtype=int)
    ratios = [[] for _ in range(n_sets)]
    cell_ratios = [[] for _ in range(n_sets)]
    t_ladder = t_rest = 0.0
    for i in range(args.states):
        n, y, cur = random_state(rng, D)
        adm = np.ones(D, dtype=np.int64)
        keys = np.full((0, 2 * D), -1, dtype=np.int16)
        vals = np.zeros((1, P + 4 * D))
        t0 = time.perf_counter()
        got = K.decide_blrm_comb(c.ip, c.fp, c.grid, n, y, adm, cur, int(n.sum()), keys, vals, False)
        t_ladder += time.perf_counter() - t0
        level = int(vals[0, 0])
        levels[level] += 1
        # every level's row, then level 0, by the same steps
        t0 = time.perf_counter()
        th, cov, prec, top = K._mode_of(c.grid, 3, 3, n, y)
        row = np.zeros(P + 4 * D)
        K.extend_row(c.ip, c.fp, c.grid, n, y, row, False, n_sets, True, th, cov, prec, top)
        rows, ests = {n_sets: row.copy()}, {}
        for s in range(n_sets - 1, -1, -1):
            K.extend_row(c.ip, c.fp, c.grid, n, y, row, False, s, False, th, cov, prec, top)
            rows[s] = row.copy()
            ests[s] = row[1]
        t_rest += time.perf_counter() - t0
        assert np.array_equal(rows[level][P + D :], vals[0, P + D :]), "the ladder's row differs"
        for s in range(1, n_sets):
            dist = np.abs(rows[s][P + 2 * D :] - rows[0][P + 2 * D :]).reshape(2, D).max(axis=0)
            ratios[s].append(dist.max() / max(ests[s], 1e-300))
            change = np.abs(rows[s][P + 2 * D :] - rows[s + 1][P + 2 * D :]).reshape(2, D).max(axis=0)
            cell_ratios[s].extend(dist / np.maximum(change, 1e-12))
        ref = accurate_decision(design, c, rows[0], n, cur)
        same = tuple(int(v) for v in got) == ref
        agree += same
        if not same:
            print("DIFFERENT", i, n.tolist(), y.tolist(), cur, got, ref, flush=True)
        if (i + 1) % 20 == 0:
            print(f"{i + 1} states, {agree} equal, levels {levels.tolist()}", flush=True)
    print(
        f"{args.states} states (seed {args.seed}): certified decision == accurate rule's in {agree}; "
        "decided on "
        + ", ".join(
            f"level {s} ({int(c.fp[L.FP_BLRMC_SET_SIZE + s])} lines) {levels[s]}" for s in range(n_sets)
        )
    )
    for s in range(1, n_sets):
        for what, r in (("all cells", np.array(ratios[s])), ("per cell", np.array(cell_ratios[s]))):
            print(
                f"level {s}, {what}: |level - level 0| / estimate: median {np.median(r):.2f}, "
                f"99% {np.quantile(r, 0.99):.2f}, 99.9% {np.quantile(r, 0.999):.2f}, max {r.max():.2f}"
            )
    print(f"time: certified decisions {t_ladder:.1f} s, all levels of every state {t_rest:.1f} s")


if __name__ == "__main__":
    main()
