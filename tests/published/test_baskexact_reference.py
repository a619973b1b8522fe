"""Fujikawa et al.'s (2020) basket design against baskexact 1.0.1's exact values, one stage and two stages
(interim look on the predictive probability, baskexact's ``interim_postpred``, or on the posterior), through
the conformance check ``baskexact_fujikawa`` that ``dosefind verify`` runs (one source; the comparisons
and their tolerances are in :mod:`dosefind.conformance.checks`, the recorded values ship in
``dosefind/conformance/data``, written by benchmarks/reference/baskexact/*.R). This file checks what the
reference files cover; tests/published/test_r_reference.py runs the check itself with the other quick ones.

Conventions (benchmarks/reference/baskexact/README.md): a basket stopped at the interim keeps its stage-1
data in the final borrowing; an efficacy stop counts as a rejection; baskexact rejects at the end on
P >= lambda, dosefind on P > threshold (no recorded case sits on a tie). Measured largest deviations: 5e-13
(one stage) and 5e-11 (two stages) on rejection probabilities, FWER and expected sizes, 1.4e-10 on
posterior and 2.2e-9 on predictive probabilities (baskexact's integrate() of the divergences).
"""

import csv
import io

from dosefind.conformance.checks import data_text


def _rows(name):
    text = data_text(name)
    return text, list(
        csv.DictReader(io.StringIO("\n".join(ln for ln in text.splitlines() if not ln.startswith("#"))))
    )


def test_the_reference_files_cover_what_the_check_claims():
    text, one = _rows("baskexact_fujikawa.csv")
    assert text.startswith("# baskexact 1.0.1")
    assert len({r["setting"] for r in one}) == 6
    assert sum(r["quantity"].startswith("post") for r in one) >= 50
    text, two = _rows("baskexact_fujikawa_twostage.csv")
    assert text.startswith("# baskexact 1.0.1")
    assert len({r["setting"] for r in two}) == 6
    assert {r["interim"] for r in two} == {"postpred", "posterior"}
    assert {r["quantity"].split("_")[0] for r in two} >= {
        "reject",
        "fwer",
        "ess",
        "crit",
        "pp",
        "post",
        "interim",
    }
