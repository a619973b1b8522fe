"""Research script: where a simulated two-drug BLRM trial's time goes, and what a tie tolerance on
P(target) would change. Trials of the example design (benchmarks/bench_blrm_comb.py's: 3 x 3 grid, cohorts
of 3, max n 36) on a scenario of scenarios/combo-3x3.toml, driven by the accurate rule's decisions (level
0, with the tolerance ``--drive-tol``), DLTs drawn from numpy's generator (seeded; not the engine's latent
values: this measures the states a trial visits, not operating characteristics). Every distinct state's
row is computed at every level (the same steps as the engine's ladder). Then, for every decision (and
final selection) and every tie tolerance and safety factor asked: the level the certified ladder stops
on, whether its decision equals level 0's, and whether level 0's decision with the tolerance equals level
0's without it; ``--final 1``: the ladder stops on level 1 (4,096 lines) whatever its margins. Prints the
states per trial, the lookups, the lines the ladder integrates per trial, the time per line, and each
level's distance to level 0 over its error estimate on the states visited.

    python benchmarks/research/blrm_comb_states.py --trials 60 --tol 0 0.01 --safety 10 5 3 --final 0 1
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import dosefind
from dosefind.designs import layout as L
from dosefind.engine import blrm_comb as K

ROOT = Path(__file__).resolve().parents[2]


def choose(fp, ip, row, cand, n, tol, m, D):
    """(best within the cap, best overall, certified) with tie tolerance ``tol`` and margin ``m``."""
    P = L.POST_FIRST
    po = row[P + 3 * D : P + 4 * D]
    pt = row[P + 2 * D : P + 3 * D]
    ewoc = fp[L.FP_BLRMC_EWOC]
    ok = True
    for c in range(D):
        if cand[c] and abs(po[c] - ewoc) < m:
            ok = False
    out = []
    for lo in (2, 1):
        s = [c for c in range(D) if cand[c] >= lo and po[c] <= ewoc]
        if not s:
            out.append(-1)
            continue
        mx = max(pt[c] for c in s)
        if tol == 0:
            ch = next(c for c in s if pt[c] == mx)
            ok &= all(abs(pt[c] - mx) >= 2 * m for c in s if c != ch)
        else:
            thr = mx - tol
            ch = next(c for c in s if pt[c] >= thr)
            ok &= all(abs(pt[c] - thr) >= 2 * m for c in s if c <= ch)
        out.append(ch)
    best, free = out
    if best >= 0 and ip[L.IP_BLRMC_MTD_N] > 0 and n[best] >= ip[L.IP_BLRMC_MTD_N]:
        if abs(pt[best] - fp[L.FP_BLRMC_MTD_PROB]) < m:
            ok = False
    return best, free, ok


def decision(ip, fp, row, cand, n, n_total, cur, tol, m, D, select):
    best, free, ok = choose(fp, ip, row, cand, n, tol, m, D)
    if select:
        return (best,), ok
    if best < 0:
        return (cur, 2), ok
    if ip[L.IP_BLRMC_MTD_N] > 0 and n[best] >= ip[L.IP_BLRMC_MTD_N]:
        if row[L.POST_FIRST + 2 * D + best] >= fp[L.FP_BLRMC_MTD_PROB]:
            return (best, 1), ok
    return (best, 0, best == free), ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenario", default="diagonal")
    ap.add_argument("--drive-tol", type=float, default=0.0)
    ap.add_argument("--tol", type=float, nargs="+", default=[0.0, 0.01])
    ap.add_argument("--safety", type=float, nargs="+", default=[10.0])
    ap.add_argument("--final", type=int, nargs="+", default=[0], help="levels that decide whatever margins")
    ap.add_argument("--save", default="", help="save every state's rows (npz)")
    ap.add_argument("--levels", type=int, nargs="+", default=None, help="the ladder's sizes (level 0 first)")
    args = ap.parse_args()
    if args.levels:
        from dosefind.designs import BlrmComb

        BlrmComb.levels = lambda self: tuple(args.levels)
    design = dosefind.load_spec(
        ROOT / "examples" / "designs" / "blrm-comb.toml", require_scenarios=False
    ).designs[0]
    scen = next(
        s
        for s in dosefind.load_spec(ROOT / "scenarios" / "combo-3x3.toml").scenarios
        if s.name == args.scenario
    )
    p_true = np.asarray(scen.true_tox, float).ravel()
    c = design.compile()
    ip, fp = c.ip, c.fp
    D = design.n_doses
    J, Kc = design.grid.n_rows, design.grid.n_cols
    P = L.POST_FIRST
    n_sets = int(ip[L.IP_BLRMC_N_SETS])
    sizes = [int(K.level_size(ip, fp, s)) for s in range(n_sets + 1)]
    floor = fp[L.FP_BLRMC_EST_FLOOR]
    rng = np.random.default_rng(args.seed)
    rows: dict = {}
    t_rows = 0.0
    records = []  # (key, cand, n, n_total, cur, select)
    per_trial_states = []
    K.blrm_comb_posterior(
        ip, fp, c.grid, np.zeros(D, np.int64), np.zeros(D, np.int64), np.zeros(P + 4 * D), False, n_sets - 1
    )

    def rows_of(n, y):
        nonlocal t_rows
        key = (tuple(n), tuple(y))
        if key not in rows:
            t0 = time.perf_counter()
            th, cov, prec, top = K._mode_of(c.grid, J, Kc, n, y)
            row = np.zeros(P + 4 * D)
            K.extend_row(ip, fp, c.grid, n, y, row, False, n_sets, True, th, cov, prec, top)
            lv = {n_sets: row.copy()}
            for s in range(n_sets - 1, -1, -1):
                K.extend_row(ip, fp, c.grid, n, y, row, False, s, False, th, cov, prec, top)
                lv[s] = row.copy()
            t_rows += time.perf_counter() - t0
            rows[key] = lv
        return key

    for _t in range(args.trials):
        n = np.zeros(D, np.int64)
        y = np.zeros(D, np.int64)
        cur = 0
        seen = set()
        while True:
            n[cur] += design.cohort_size
            y[cur] += rng.binomial(design.cohort_size, p_true[cur])
            key = rows_of(n, y)
            seen.add(key)
            cand = np.empty(D, np.int64)
            K._candidates(ip, c.grid, n, np.ones(D, np.int64), cur, False, cand)
            records.append((key, cand.copy(), n.copy(), int(n.sum()), cur, False))
            dec, _ok = decision(
                ip, fp, rows[key][0], cand, n, int(n.sum()), cur, args.drive_tol, 0.0, D, False
            )
            if dec[1] != 0:
                break
            cur = dec[0]
            if n.sum() >= design.max_n:
                cand = np.empty(D, np.int64)
                K._candidates(ip, c.grid, n, np.ones(D, np.int64), 0, True, cand)
                cand[cand == 1] = 2
                records.append((key, cand.copy(), n.copy(), int(n.sum()), 0, True))
                break
        per_trial_states.append(len(seen))
        print(f"trial {_t + 1}: {len(rows)} states so far", file=sys.stderr, flush=True)
    lines_all = len(rows) * sizes[0]
    print(
        f"{args.trials} trials on {args.scenario!r}: {len(records)} lookups "
        f"({len(records) / args.trials:.1f} a trial), "
        f"{len(rows)} distinct states ({np.mean(per_trial_states):.1f} distinct a trial, "
        f"{len(rows) / args.trials:.1f} new a trial with a shared cache); all levels of all states "
        f"{t_rows:.1f} s = {t_rows / lines_all * 1e6:.0f} us a line"
    )
    ratios = {s: [] for s in range(1, n_sets)}
    for lv in rows.values():
        for s in range(1, n_sets):
            dist = np.abs(lv[s][P + 2 * D :] - lv[0][P + 2 * D :]).max()
            ratios[s].append(dist / max(lv[s][1], 1e-300))
    for s in range(1, n_sets):
        r = np.array(ratios[s])
        print(
            f"level {s} ({sizes[s]} lines): |level - level 0| / estimate over the states: median "
            f"{np.median(r):.2f}, 99% {np.quantile(r, 0.99):.2f}, max {r.max():.2f}; estimate median "
            f"{np.median([lv[s][1] for lv in rows.values()]):.1e}"
        )
    if args.save:
        np.savez(
            args.save,
            **{f"{i}": np.array([lv[s] for s in range(n_sets + 1)]) for i, lv in enumerate(rows.values())},
        )
    for final, safety, tol in [(f, s, t) for f in args.final for s in args.safety for t in args.tol]:
        end_level = {}
        wrong = 0
        changed = 0
        for key, cand, n, n_total, cur, select in records:
            lv = rows[key]
            ref, _ = decision(ip, fp, lv[0], cand, n, n_total, cur, tol, 0.0, D, select)
            ref0, _ = decision(ip, fp, lv[0], cand, n, n_total, cur, 0.0, 0.0, D, select)
            changed += ref != ref0
            start = min(end_level.get(key, n_sets - 1), n_sets - 1)
            for s in range(max(start, final), final - 1, -1):
                m = 0.0 if s == final else safety * max(lv[s][1], floor)
                got, ok = decision(ip, fp, lv[s], cand, n, n_total, cur, tol, m, D, select)
                if ok or s == final:
                    break
            end_level[key] = s
            wrong += got != ref
        ends = np.array(list(end_level.values()))
        lines = sum(sizes[s] for s in ends)
        shares = ", ".join(f"{sizes[s]}: {np.mean(ends == s):.0%}" for s in range(n_sets - 1, final - 1, -1))
        print(
            f"deciding level {final}, safety {safety:g}, tie tolerance {tol:g}: states end on {shares}; "
            f"{lines / args.trials:,.0f} lines a trial ({lines / len(rows):,.0f} a state); "
            f"decision != level 0's: {wrong}; level 0 with the tolerance != without: {changed} "
            f"of {len(records)}"
        )


if __name__ == "__main__":
    main()
