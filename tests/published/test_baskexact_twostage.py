"""Fujikawa et al.'s (2020) design with an interim look against baskexact 1.0.1's exact two-stage values,
recorded by benchmarks/reference/baskexact/fujikawa_twostage_reference.R in
tests/published/data/baskexact_fujikawa_twostage.csv: interim looks on the predictive probability
(``interim_postpred``, dosefind's ``interim = "predictive"``) in five settings and on the posterior
probability (``interim_posterior``) in one; per-basket rejection probabilities, FWER and expected sample
sizes from dosefind's exact enumeration over the looks, and for single interim data vectors baskexact's
final go count, predictive (or posterior) probabilities and interim decisions.

Conventions that match (benchmarks/reference/baskexact/README.md): a basket stopped at the interim look
keeps its stage-1 data in the final borrowing; an efficacy stop counts as a rejection; interim cut-offs
are strict; baskexact's effstop = 1 is no efficacy stop. baskexact rejects at the end on P >= lambda,
dosefind on P > threshold: no recorded case sits on a tie. Measured largest deviations: 5e-11 on
rejection probabilities, FWER and expected sizes, 1.3e-11 on posterior and 2.2e-9 on predictive
probabilities (baskexact integrates the Jensen-Shannon divergences with R's integrate(); the predictive
tail magnifies that error most), hence 1e-10 and 1e-8.
"""

import csv
from pathlib import Path

import numpy as np
import pytest

from dosefind.basket import BasketScenario, Cohort, Fujikawa
from dosefind.basket.decide import analyze, decide, go_counts, predictive
from dosefind.basket.exact import exact_rows

DATA = Path(__file__).parent / "data" / "baskexact_fujikawa_twostage.csv"


def _rows():
    with open(DATA) as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


ROWS = _rows()
SETTINGS = sorted({r["setting"] for r in ROWS}, key=int)


def _setting(r):
    k, n, n1, p0 = int(r["k"]), int(r["n"]), int(r["n1"]), float(r["p0"])
    cohorts = tuple(Cohort(f"b{i + 1}", n, p0, (n1, n)) for i in range(k))
    eff = float(r["prob_effstop"])
    design = Fujikawa(
        threshold=float(r["lambda"]),
        prior=(float(r["shape1"]), float(r["shape2"])),
        epsilon=float(r["epsilon"]),
        tau=float(r["tau"]),
        futility=float(r["prob_futstop"]),
        efficacy=None if eff >= 1.0 else eff,
        interim="predictive" if r["interim"] == "postpred" else "posterior",
    )
    return cohorts, design


def test_the_reference_file_covers_six_settings_and_both_interims():
    assert SETTINGS == ["1", "2", "3", "4", "5", "6"]
    assert {r["interim"] for r in ROWS} == {"postpred", "posterior"}
    assert DATA.read_text().startswith("# baskexact 1.0.1")


@pytest.mark.parametrize("setting", SETTINGS)
def test_rejection_probabilities_fwer_and_sample_sizes(setting):
    rows = [r for r in ROWS if r["setting"] == setting and r["r1"] == ""]
    cohorts, design = _setting(rows[0])
    scenario = BasketScenario("s", tuple(float(v) for v in rows[0]["p1"].split()))
    mine = {(e["metric"], e["cohort"]): e["value"] for e in exact_rows(design, cohorts, scenario)}
    names = {"reject": "prob_go", "ess": "mean_n"}
    checked = 0
    for r in rows:
        q = r["quantity"]
        key = ("fwer", "") if q == "fwer" else (names[q.split("_")[0]], "b" + q.split("_")[1])
        assert mine[key] == pytest.approx(float(r["value"]), abs=1e-10), (setting, q)
        checked += 1
    assert checked == 2 * len(cohorts) + 1


@pytest.mark.parametrize("setting", SETTINGS)
def test_interim_probabilities_go_counts_and_decisions(setting):
    rows = [r for r in ROWS if r["setting"] == setting and r["r1"] != ""]
    cohorts, design = _setting(rows[0])
    z = go_counts(design, cohorts)
    for r1 in sorted({r["r1"] for r in rows}):
        at = {r["quantity"]: float(r["value"]) for r in rows if r["r1"] == r1}
        x = np.array([[int(v) for v in r1.split()]])
        n = np.full_like(x, cohorts[0].looks[0])
        assert np.all(z == at["crit"]), (setting, r1)
        post, _ = analyze(design, cohorts, n, x)
        pp = predictive(design, cohorts, n, x)
        compared = pp if design.interim == "predictive" else post
        status = decide(design, 0, False, compared, x)[0]
        word = "pp" if design.interim == "predictive" else "post"
        for i in range(len(cohorts)):
            assert compared[0, i] == pytest.approx(at[f"{word}_{i + 1}"], abs=1e-8), (setting, r1, i)
            # baskexact: -1 stop for futility, 0 continue, 1 stop for efficacy
            assert {1: -1, 0: 0, 2: 1}[int(status[i])] == at[f"interim_{i + 1}"], (setting, r1, i)
