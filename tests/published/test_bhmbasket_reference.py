"""EXNEX against the bhmbasket R package (1.1.0; its own JAGS model, 4 chains of 1,000,000 iterations,
MCSE by batch means), recorded by benchmarks/reference/bhmbasket/bhmbasket_reference.R in
tests/published/data/bhmbasket_reference.csv: bhmbasket's two documented examples, the sarcoma trial of the
EXNEX paper (Chugh et al. 2009, ten strata, the vignette's prior) at q0 0.1 and 0.3, and three three-cohort
data sets under dosefind's default EXNEX prior and a tighter one (tau_scale 0.5). bhmbasket's EXNEX is
dosefind's parameter for parameter (benchmarks/reference/bhmbasket/README.md); its Berry model puts a
half-normal prior on tau, not dosefind's inverse gamma on sigma^2, so those rows are recorded and not
compared.

Measured (z = (dosefind - bhmbasket) / MCSE, 88 values): the default grid's posterior means within 2.6
MCSE, its P(q > q0) up to 7.4 MCSE (2.0e-3, tau_scale 0.5): the default grid's known error on the tail
probability (docs/notes/basket-conventions.md: the grids differ among themselves by up to 3e-3 there), so
P is held to 4 MCSE + 3e-3 on the default grid; the fine grid (Gauss-Legendre in nu) is within 3.4 MCSE
on every value and held to 4 MCSE on all of them.
"""

import csv
from pathlib import Path

import numpy as np
import pytest

from dosefind.basket import Cohort, Exnex
from dosefind.basket.decide import analyze

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data" / "bhmbasket_reference.csv"
GRID_P_ERROR = 3e-3


def _rows():
    with open(DATA) as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


ROWS = _rows()
EXNEX = {}
for _r in ROWS:
    if _r["model"] == "exnex":
        EXNEX.setdefault(_r["dataset"], []).append(_r)


def _case(rows, grid: str):
    r0 = rows[0]
    n = [int(v) for v in r0["n"].split()]
    x = [int(v) for v in r0["r"].split()]
    q0 = [float(v) for v in r0["q0"].split()]
    p = dict(kv.split("=") for kv in r0["params"].split(";"))
    cohorts = tuple(Cohort(f"c{i + 1}", n[i], q0[i]) for i in range(len(n)))
    design = Exnex(
        grid=grid,
        p_ex=float(p["p_ex"]),
        mu_mean=float(p["mu_mean"]),
        mu_sd=float(p["mu_sd"]),
        tau_scale=float(p["tau_scale"]),
        nex_mean=float(p["nex_mean"]),
        nex_sd=float(p["nex_sd"]),
    )
    prob, mean = analyze(design, cohorts, np.array([n]), np.array([x]))
    return prob[0], mean[0]


def test_the_reference_file():
    assert DATA.read_text().startswith("# bhmbasket 1.1.0")
    assert len(EXNEX) == 10 and sum(len(v) for v in EXNEX.values()) == 88


@pytest.mark.parametrize("dataset", sorted(EXNEX))
def test_default_grid(dataset):
    prob, mean = _case(EXNEX[dataset], "default")
    for r in EXNEX[dataset]:
        k = int(r["cohort"]) - 1
        ref, mcse = float(r["value"]), float(r["mcse"])
        if r["quantity"] == "mean":
            assert abs(mean[k] - ref) <= 4 * mcse, (dataset, k, "mean", mean[k], ref, mcse)
        else:
            assert abs(prob[k] - ref) <= 4 * mcse + GRID_P_ERROR, (dataset, k, "P", prob[k], ref, mcse)


@pytest.mark.parametrize("dataset", sorted(EXNEX))
def test_fine_grid(dataset):
    prob, mean = _case(EXNEX[dataset], "fine")
    for r in EXNEX[dataset]:
        k = int(r["cohort"]) - 1
        got = mean[k] if r["quantity"] == "mean" else prob[k]
        assert abs(got - float(r["value"])) <= 4 * float(r["mcse"]), (dataset, k, r["quantity"], got, r)
