"""Exact dose-transition-path probabilities agree with Monte Carlo continuation of the same trial."""

import math

import numpy as np
import pytest
from scipy import stats

from dosefind import Boin, Crm, Status, ThreePlusThree
from dosefind.engine.replay import replay_data
from dosefind.outcomes import parse_outcomes
from dosefind.paths import dose_paths
from dosefind.paths.pathways import decision_word

CASES = [
    (
        "boin",
        Boin(target=0.3, n_doses=5, max_n=30),
        "1NNN 2NTN",
        [0.1, 0.25, 0.4, 0.55, 0.7],
    ),
    (
        "crm",
        Crm(target=0.25, n_doses=6, max_n=24, skeleton=(0.05, 0.1, 0.2, 0.3, 0.45, 0.6)),
        "1NNN 2NNN",
        [0.05, 0.15, 0.3, 0.45, 0.6, 0.7],
    ),
    ("3+3", ThreePlusThree(target=0.2, n_doses=4), "1NNN 2NNT", [0.05, 0.3, 0.5, 0.6]),
]


def simulate_leaves(design, data, cohorts, p, reps, seed):
    """Continue the trial `reps` times with random patients; count which leaf path each ends in."""
    rng = np.random.default_rng(seed)
    ctx0, steps = replay_data(design, data)
    counts = {}
    for _ in range(reps):
        ctx = ctx0.copy()
        dose = steps[-1].next_dose
        key = []
        for _k in range(cohorts):
            n = min(design.cohort_size, design.max_n - ctx.n_total)
            y = int((rng.random(n) < p[dose]).sum())
            step = ctx.treat(dose, n, y, full=False)
            key.append(f"{dose + 1}{'N' * (n - y)}{'T' * y}")
            if step.status != Status.CONTINUE:
                break
            dose = step.next_dose
        counts[" ".join(key)] = counts.get(" ".join(key), 0) + 1
    return counts


@pytest.mark.parametrize("name, design, history, p", CASES, ids=[c[0] for c in CASES])
def test_exact_path_probabilities_match_simulation(name, design, history, p):
    data = parse_outcomes(history, design.doses)
    dp = dose_paths(design, data, cohorts=3, true_tox=p)
    leaves = {dp.path_label(x.node): x.prob for x in dp.leaves()}
    assert math.isclose(sum(leaves.values()), 1.0, rel_tol=1e-12)
    reps = 20_000
    counts = simulate_leaves(design, data, 3, p, reps, seed=20261121)
    assert set(counts) <= set(leaves), "simulation reached a path the enumeration does not have"
    # Pearson chi-square over leaves, pooling leaves with expected count < 5 into one cell
    labels = sorted(leaves, key=leaves.get)
    expected = np.array([leaves[k] * reps for k in labels])
    observed = np.array([counts.get(k, 0) for k in labels])
    small = expected < 5
    exp_cells = np.append(expected[~small], expected[small].sum())
    obs_cells = np.append(observed[~small], observed[small].sum())
    if exp_cells[-1] == 0:
        exp_cells, obs_cells = exp_cells[:-1], obs_cells[:-1]
    p_value = stats.chisquare(obs_cells, exp_cells).pvalue
    assert p_value > 1e-4, (p_value, list(zip(labels, observed, expected, strict=True)))


def test_path_decisions_equal_recommend_on_the_extended_data():
    from dosefind.live.recommend import recommend

    design, history = CASES[1][1], CASES[1][2]
    data = parse_outcomes(history, design.doses)
    dp = dose_paths(design, data, cohorts=2)
    for x in dp.nodes[1:]:
        rec = recommend(design, parse_outcomes(f"{history} {dp.path_label(x.node)}", design.doses))
        assert rec.decision == decision_word(x)
        assert (rec.next_dose if rec.next_dose is not None else -1) == x.next_dose
        assert rec.reason == x.reason


def test_paths_stop_at_max_n_and_after_a_stop():
    design = Boin(target=0.3, n_doses=3, max_n=9)
    dp = dose_paths(design, parse_outcomes("1NNN 2NNN", 3), cohorts=3)
    assert max(x.depth for x in dp.nodes) == 1  # only 3 patients left
    assert all(x.status == Status.STOP_SELECT for x in dp.nodes[1:])
    stopped = dose_paths(design, parse_outcomes("1TTT", 3), cohorts=2)
    assert len(stopped.nodes) == 1 and stopped.nodes[0].status == Status.STOP_NO_DOSE


def test_paths_from_no_data_start_at_the_start_dose():
    design = Boin(target=0.3, n_doses=4, max_n=30, start_dose=2)
    dp = dose_paths(design, parse_outcomes("", 4), cohorts=1, cohort_size=2)
    assert [x.dose for x in dp.nodes[1:]] == [1, 1, 1]
    assert [x.n for x in dp.nodes[1:]] == [2, 2, 2]
