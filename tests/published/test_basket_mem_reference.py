"""The MEM basket design (``kind = "mem"``) against the R package basket 0.10.11's ``mem_exact``, through
the conformance check ``basket_mem`` that ``dosefind verify`` runs (the comparisons and tolerances are in
:mod:`dosefind.conformance.checks`; the recorded values ship in ``dosefind/conformance/data/basket_mem.csv``,
written by benchmarks/reference/basket_mem/mem_reference.R on the package built beside the project).

Exact on both sides: P(q_k > p0_k | data), the PEP matrix, the MAP MEM and the maximizer. The package's
posterior means, medians and HPD intervals are of its posterior draws (100,000; HPD from 10,000), so those
are compared within their Monte Carlo error here; its ESS (a GenSA fit of a Beta to the HPD interval) is
not computed by dosefind.
"""

import csv
import io

import numpy as np
import pytest

from dosefind.basket.mem import mem_summary
from dosefind.conformance.checks import basket_mem, data_text, mem_setting


def _rows():
    text = data_text("basket_mem.csv")
    lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
    return text, list(csv.DictReader(io.StringIO("\n".join(lines))))


def test_the_reference_file_covers_what_the_check_claims():
    text, rows = _rows()
    assert text.startswith("# basket 0.10.11, R 4.2.2")
    settings = {r["setting"] for r in rows}
    assert len(settings) == 6
    assert {int(r["k"]) for r in rows} == {3, 4, 5, 6}
    # the package's documented example: the six vemurafenib baskets (Hyman et al. 2015), p0 0.15
    first = [r for r in rows if r["setting"] == "1"]
    assert first[0]["responses"] == "8 0 1 1 6 2" and first[0]["size"] == "19 10 26 8 14 7"
    ks = {r["setting"]: int(r["k"]) for r in rows}
    assert sum(r["quantity"].startswith("pep_") for r in rows) == sum(k * k for k in ks.values())
    assert sum(r["quantity"].startswith("post_prob_") for r in rows) == sum(ks.values())


def test_exact_quantities_and_means_agree():
    results = basket_mem()
    assert results and all(r.passed for r in results), [r for r in results if not r.passed]


def test_the_test_snapshot_of_the_package():
    """basket's own test snapshot (tests/testthat/_snaps/exact.md: the first three vemurafenib baskets,
    p0 0.25) prints P(q > p0) 0.951, 0.002, 0.000: the recorded setting 2 and dosefind agree with it."""
    _, rows = _rows()
    cohorts, design, n, x = mem_setting([r for r in rows if r["setting"] == "2"][0])
    got = mem_summary(design, cohorts, n, x)
    assert np.round(got["prob_above_q0"], 3).tolist() == [0.951, 0.002, 0.0]
    assert np.round(got["median"], 3).tolist() == pytest.approx([0.422, 0.032, 0.033], abs=1.5e-3)


@pytest.mark.parametrize("setting", [str(s) for s in range(1, 7)])
def test_medians_and_hpd_within_the_packages_monte_carlo_error(setting):
    """Medians (100,000 draws) within 4.5 x 1.25 MCSE of the mean (the median's Monte Carlo error is about
    1.25 times the mean's for smooth densities; largest measured 2.0 MCSE), HPD bounds (``boa_hpd`` on
    10,000 draws) within 0.025: their Monte Carlo sd, measured by repeating the package's estimator on
    draws from dosefind's posterior, is 0.007 for the widest posterior (setting 4, basket 5, where the
    largest deviation, 0.0144, is 2.1 sd)."""
    _, rows = _rows()
    mine = [r for r in rows if r["setting"] == setting]
    ref = {r["quantity"]: float(r["value"]) for r in mine if r["value"] != "NA"}
    cohorts, design, n, x = mem_setting(mine[0])
    got = mem_summary(design, cohorts, n, x, level=0.95, hpd=True)
    for k in range(len(cohorts)):
        mcse = ref[f"mean_mcse_{k + 1}"]
        assert abs(got["median"][k] - ref[f"median_{k + 1}"]) <= 4.5 * 1.25 * mcse + 1e-6, k
        assert abs(got["hpd_lower"][k] - ref[f"hpd_lower_{k + 1}"]) <= 0.025, k
        assert abs(got["hpd_upper"][k] - ref[f"hpd_upper_{k + 1}"]) <= 0.025, k
