"""Exact operating characteristics of clintrials' 3+3 (brockk/clintrials, commit 93f93bc, 2016:
``clintrials.dosefinding.ThreePlusThree``) by following every trial path: after each cohort of 3 the
class's own ``update`` decides, and every cohort branches into its 0-3 DLTs with binomial probabilities.

Usage: python three_plus_three_paths.py <clintrials source folder> <output csv>
(clintrials is not installed; it is imported from its source folder. It predates Python 3.10, so
``collections.Iterable`` is aliased to ``collections.abc.Iterable`` before the import.)
"""

import collections
import collections.abc
import copy
import csv
import sys
from math import comb

collections.Iterable = collections.abc.Iterable
sys.path.insert(0, sys.argv[1])
from clintrials.dosefinding import ThreePlusThree  # noqa: E402

SCENARIOS = {
    "S1": (0.05, 0.10, 0.20, 0.30, 0.45),
    "S2": (0.30, 0.40, 0.50, 0.60, 0.70),
    "S3": (0.02, 0.04, 0.06, 0.08, 0.10),
    "S4": (0.50, 0.60, 0.70, 0.80, 0.90),
}


def enumerate_paths(p):
    D = len(p)
    acc = {"sel": [0.0] * D, "none": 0.0, "n": [0.0] * D, "y": [0.0] * D, "paths": 0}

    def walk(trial, dose, n, y, prob):
        for k in range(4):
            pk = prob * comb(3, k) * p[dose - 1] ** k * (1 - p[dose - 1]) ** (3 - k)
            t2 = copy.deepcopy(trial)
            nxt = t2.update([(dose, 1)] * k + [(dose, 0)] * (3 - k))
            n2, y2 = list(n), list(y)
            n2[dose - 1] += 3
            y2[dose - 1] += k
            if t2.has_more():
                walk(t2, nxt, n2, y2, pk)
                continue
            acc["paths"] += 1
            if nxt >= 1:
                acc["sel"][nxt - 1] += pk
            else:
                acc["none"] += pk
            for d in range(D):
                acc["n"][d] += pk * n2[d]
                acc["y"][d] += pk * y2[d]

    trial = ThreePlusThree(D)
    walk(trial, trial.next_dose(), [0] * D, [0] * D, 1.0)
    return acc


def main():
    with open(sys.argv[2], "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["scenario", "dose", "prob_select", "mean_n", "mean_tox", "paths"])
        for name, p in SCENARIOS.items():
            r = enumerate_paths(p)
            for d in range(len(p)):
                w.writerow([name, d + 1, repr(r["sel"][d]), repr(r["n"][d]), repr(r["y"][d]), r["paths"]])
            w.writerow([name, 0, repr(r["none"]), "", "", r["paths"]])


if __name__ == "__main__":
    main()
