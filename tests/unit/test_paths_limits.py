"""Pathways are limited by the paths they reach, not by the (n + 1)^k outcomes they could: a 3+3 with a
dozen cohorts (most branches stop early) is enumerated whole, and a request that would pass the limit is
refused early with how many cohorts fit."""

import math

import pytest

from dosefind import Boin, ThreePlusThree
from dosefind.errors import DataError
from dosefind.outcomes import parse_outcomes
from dosefind.paths import dose_paths
from dosefind.paths.pathways import MAX_NODES


def test_three_plus_three_with_twelve_cohorts_is_enumerated():
    design = ThreePlusThree(target=0.25, n_doses=5)
    paths = dose_paths(
        design, parse_outcomes("", design.doses), cohorts=12, true_tox=(0.05, 0.1, 0.2, 0.3, 0.45)
    )
    assert 4**12 > MAX_NODES > len(paths.nodes)
    assert math.isclose(sum(x.prob for x in paths.leaves()), 1.0, abs_tol=1e-12)
    assert all(x.status != 0 for x in paths.leaves())  # every branch ended: the whole trial is enumerated


def test_too_many_reachable_paths_are_refused_with_the_cohorts_that_fit():
    design = Boin(target=0.3, n_doses=6, max_n=36)
    with pytest.raises(
        DataError, match=r"cohorts: 12 cohorts of 3 reach about [\d,]+ paths by cohort (\d+)"
    ) as e:
        dose_paths(design, parse_outcomes("", design.doses), cohorts=12)
    fits = int(str(e.value).rsplit("at most ", 1)[1].split()[0])
    paths = dose_paths(design, parse_outcomes("", design.doses), cohorts=min(fits, 6))
    assert len(paths.nodes) <= MAX_NODES


def test_more_cohorts_than_patients_is_refused():
    design = Boin(target=0.3, n_doses=3, max_n=9)
    with pytest.raises(DataError, match="more than the design's max_n = 9"):
        dose_paths(design, parse_outcomes("", design.doses), cohorts=10)
