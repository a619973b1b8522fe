"""Agreement with the reference R packages (BOIN 2.7.2: get.oc, get.boundary, select.mtd; dfcrm
0.2-2.1: crmsim, crm, getprior; run beside the project with R 4.2.2), closed forms and published tables,
through the conformance checks that ``dosefind verify`` runs (:mod:`dosefind.conformance`: one source;
the recorded values ship with the package under ``dosefind/conformance/data`` and
``dosefind/conformance/reference.py``).

1. Trial by trial: R's own random numbers (``set.seed(s); runif(36)``) replayed through dosefind's
   decision code reproduce R's patients, DLTs per dose and selected dose in every trial.
2. Reference values from single calls (boundary tables, select.mtd, crm, getprior), exact 3+3 against
   the closed-form enumeration, Simon's designs against the published tables.
3. Operating characteristics (slow): dosefind's simulated selection percentages and mean patients per
   dose agree with R's within the combined Monte Carlo standard error.
"""

import pytest

from dosefind.conformance import CHECKS

QUICK = [name for name, c in CHECKS.items() if c.quick]
SIMULATED = [name for name, c in CHECKS.items() if not c.quick]


def assert_check_passes(name: str) -> None:
    results = CHECKS[name].run()
    assert results, name
    failed = [r for r in results if not r.passed]
    assert not failed, "\n".join(
        f"{r.check} {r.design} vs {r.reference}: {r.quantity}: {r.deviation} > {r.tolerance} ({r.detail})"
        for r in failed
    )


@pytest.mark.parametrize("name", QUICK)
def test_deterministic_check(name):
    assert_check_passes(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", SIMULATED)
def test_operating_characteristics_match_r(name):
    assert_check_passes(name)


def test_the_quick_checks_cover_the_references():
    assert set(QUICK) >= {
        "boin_boundaries",
        "boin_select_mtd",
        "dfcrm_getprior",
        "dfcrm_crm_posterior",
        "boin_trial_replay",
        "crmsim_trial_replay",
        "three_plus_three_exact",
        "escalation_crm_paths",
        "simon_tables",
        "worked_examples",
    }
    assert {f"oc_vs_r_{run}" for run in ("B1", "B2", "B3", "C1", "C2")} == set(SIMULATED)
