"""The two-drug BLRM's accurate rule against OncoBayes2 0.8-9 (``blrm_exnex``, Stan NUTS, one trial, tau
fixed at 0, ``blrm_formula_linear``), recorded by benchmarks/reference/oncobayes2/blrm_comb_reference.R in
tests/published/data/oncobayes2_blrm_comb.csv: per cell of the 3 x 3 grid of test_blrm_comb_pymc.py the
posterior mean and the three interval probabilities, with no data and on a trial's early, middle and late
data, BlrmComb(target=0.25)'s default prior. OncoBayes2's intervals are closed on the right, dosefind's on
the left: no posterior mass sits on a cut.

Tolerance: 4 MCSE of OncoBayes2's estimate (4 x 20,000 draws, ``posterior::mcse_mean``) plus 2e-4, the
accurate rule's own distance to the converged value with 36 patients (docs/notes/blrm-comb-quadrature.md).
Measured: largest deviation 2.2 MCSE (mid-trial, cell 1.3, P(overdosing)), root mean square 0.65 MCSE.
"""

import csv
from pathlib import Path

import pytest

from dosefind.engine.blrm_comb import blrm_comb_posterior_summary

from .test_blrm_comb_pymc import CASES, DESIGN

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data" / "oncobayes2_blrm_comb.csv"
KEYS = {"mean": "mean", "prob_under": "prob_under", "prob_target": "prob_target", "prob_over": "prob_over"}


def _rows():
    with open(DATA) as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


ROWS = _rows()
DATASETS = {"prior": ([0] * 9, [0] * 9), **{name: (n, y) for name, n, y in CASES}}


def test_the_reference_file():
    assert DATA.read_text().startswith("# OncoBayes2 0.8.9")
    assert {r["dataset"] for r in ROWS} == set(DATASETS)
    assert len(ROWS) == 4 * 9 * 4


@pytest.mark.parametrize("name", list(DATASETS))
def test_accurate_rule_within_mcse_of_oncobayes2(name):
    n, y = DATASETS[name]
    mine = blrm_comb_posterior_summary(DESIGN, n, y)
    for r in (r for r in ROWS if r["dataset"] == name):
        cell = DESIGN.grid.index(r["cell"])  # cell j.k: drug A's level j, drug B's level k
        assert (float(r["dose_a"]), float(r["dose_b"])) == (
            DESIGN.doses_a[cell // 3],
            DESIGN.doses_b[cell % 3],
        )
        got = float(mine[KEYS[r["quantity"]]][cell])
        ref, mcse = float(r["value"]), float(r["mcse"])
        assert abs(got - ref) <= 4 * mcse + 2e-4, (name, r["cell"], r["quantity"], got, ref, mcse)
