"""Exact basket operating characteristics: the independent design against the closed-form beta-binomial
and Simon's exact OCs, exact against simulation within MCSE, and simulation invariances."""

import numpy as np
import pytest
from scipy import stats

from dosefind.basket import BasketScenario, Berry, Cbhm, Cohort, Fujikawa, Independent, Simon
from dosefind.basket.decide import analyze
from dosefind.basket.exact import check_exact, exact_rows
from dosefind.basket.simulate import simulate_trials, trial_rows
from dosefind.errors import EngineError
from dosefind.extension import SimonRule, exact_oc

TOLERANCE_MCSE = 4.0


def _values(rows):
    return {(r["metric"], r["cohort"]): (r["value"], r["mcse"]) for r in rows}


def assert_exact_matches_simulation(design, cohorts, rates, seed: int, z: float) -> None:
    """Every exact row within ``z`` MCSE of 20,000 simulated trials (equal where the simulation's MCSE
    is 0)."""
    scenario = BasketScenario("s", rates)
    exact = _values(exact_rows(design, cohorts, scenario))
    sim = _values(
        trial_rows(design.name, scenario, cohorts, simulate_trials(design, cohorts, rates, 20_000, seed))
    )
    assert exact.keys() == sim.keys()
    for key, (value, _) in exact.items():
        got, mcse = sim[key]
        if mcse == 0:
            assert got == pytest.approx(value, abs=1e-12), key
        else:
            assert abs(got - value) <= z * mcse, (key, got, value, mcse)


def test_independent_posterior_is_the_closed_form_beta():
    cohorts = (Cohort("a", 20, 0.1), Cohort("b", 30, 0.25))
    d = Independent(prior=(0.5, 1.5))
    n = np.array([[20, 30], [7, 0], [0, 30]])
    x = np.array([[3, 12], [7, 0], [0, 1]])
    p, m = analyze(d, cohorts, n, x)
    q0 = np.array([0.1, 0.25])
    want = stats.beta.sf(q0, 0.5 + x, 1.5 + n - x)
    np.testing.assert_allclose(p, want, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(m, (0.5 + x) / (2.0 + n), rtol=1e-14)


def test_independent_exact_go_is_the_binomial_tail_of_the_critical_count():
    cohorts = (Cohort("a", 25, 0.15),)
    d = Independent(threshold=0.9)
    x = np.arange(26)
    p = stats.beta.sf(0.15, 1 + x, 1 + 25 - x)
    crit = int(np.argmax(p > 0.9))
    for q in (0.15, 0.3, 0.45):
        rows = _values(exact_rows(d, cohorts, BasketScenario("s", (q,))))
        assert rows[("prob_go", "a")][0] == pytest.approx(stats.binom.sf(crit - 1, 25, q), abs=1e-13)
        est = (1 + x) / 27.0
        pmf = stats.binom.pmf(x, 25, q)
        assert rows[("bias", "a")][0] == pytest.approx(pmf @ (est - q), abs=1e-13)
        assert rows[("mse", "a")][0] == pytest.approx(pmf @ (est - q) ** 2, abs=1e-13)


def test_simon_per_cohort_equals_the_extension_rules_exact_oc():
    rule = {"n1": 10, "r1": 1, "n": 29, "r": 5}
    cohorts = (Cohort("a", 29, 0.1, (10, 29)), Cohort("b", 29, 0.1, (10, 29)))
    d = Simon(rule=rule)
    rows = _values(exact_rows(d, cohorts, BasketScenario("s", (0.1, 0.3))))
    for name, q in (("a", 0.1), ("b", 0.3)):
        oc = exact_oc(SimonRule(**rule).boundaries(), q)
        assert rows[("prob_go", name)][0] == pytest.approx(oc.prob_active, abs=1e-13)
        assert rows[("mean_n", name)][0] == pytest.approx(oc.expected_n, abs=1e-11)
    fwer = rows[("fwer", "")][0]
    assert fwer == pytest.approx(exact_oc(SimonRule(**rule).boundaries(), 0.1).prob_active, abs=1e-13)


CASES = [
    (
        Independent(threshold=0.9, futility=0.2, efficacy=0.995),
        tuple(Cohort(f"c{i}", n, 0.1, (n // 2, n)) for i, n in enumerate((20, 24, 30))),
        (0.1, 0.3, 0.1),
    ),
    (
        Simon(rule={"n1": 10, "r1": 1, "n": 29, "r": 5}),
        tuple(Cohort(f"c{i}", 29, 0.1, (10, 29)) for i in range(3)),
        (0.1, 0.3, 0.2),
    ),
    (
        Fujikawa(threshold=0.9, epsilon=2.0, tau=0.3),
        tuple(Cohort(f"c{i}", n, 0.15) for i, n in enumerate((10, 12, 14, 15))),
        (0.15, 0.4, 0.15, 0.4),
    ),
    (
        Fujikawa(threshold=0.95, epsilon=1.0, tau=0.0, share_prior=False, prior=(0.15, 0.85)),
        tuple(Cohort(f"c{i}", n, 0.15) for i, n in enumerate((10, 12, 14))),
        (0.15, 0.15, 0.15),
    ),
    (
        Berry(threshold=0.9, grid="coarse"),
        tuple(Cohort(f"c{i}", n, 0.15) for i, n in enumerate((8, 10, 12))),
        (0.15, 0.4, 0.15),
    ),
    (
        Cbhm(threshold=0.9, q1=0.4, calibration_trials=1000),
        tuple(Cohort(f"c{i}", n, 0.15) for i, n in enumerate((8, 10, 12))),
        (0.15, 0.4, 0.15),
    ),
]


@pytest.mark.parametrize("design, cohorts, rates", CASES, ids=lambda v: getattr(v, "kind", ""))
def test_exact_agrees_with_simulation_within_mcse(design, cohorts, rates):
    assert_exact_matches_simulation(design, cohorts, rates, 11, TOLERANCE_MCSE)


def test_exact_refuses_too_many_vectors_and_paths():
    big = tuple(Cohort(f"c{i}", 40, 0.1) for i in range(7))
    with pytest.raises(EngineError, match=r"response vectors .*simulate instead"):
        check_exact(Fujikawa(), big)
    # the bundled seven cohorts with a look at half: about 1.5e9 states at the first look alone
    looks = tuple(Cohort(f"c{i}", n, 0.1, (n // 2, n)) for i, n in enumerate((20, 24, 20, 30, 26, 40, 50)))
    with pytest.raises(EngineError, match=r"states over the looks .*simulate instead"):
        check_exact(Fujikawa(), looks)
    check_exact(Fujikawa(), looks[:2])  # two cohorts: a few thousand states
    check_exact(Independent(), big)  # no borrowing: dynamic programming, always possible


def test_simulation_is_a_function_of_seed_trial_cohort_and_patient(monkeypatch):
    import dosefind.basket.simulate as sim

    cohorts = tuple(Cohort(f"c{i}", n, 0.1, (n // 2, n)) for i, n in enumerate((10, 14)))
    d = Fujikawa(threshold=0.9, futility=0.1)
    whole = simulate_trials(d, cohorts, (0.1, 0.3), 500, 5)
    monkeypatch.setattr(sim, "CHUNK", 37)
    chunked = simulate_trials(d, cohorts, (0.1, 0.3), 500, 5)
    for a, b in zip(whole.__dict__.values(), chunked.__dict__.values(), strict=True):
        np.testing.assert_array_equal(a, b)
    tail = simulate_trials(d, cohorts, (0.1, 0.3), 100, 5, first_trial=400)
    np.testing.assert_array_equal(tail.x_used, whole.x_used[400:])
    other = simulate_trials(Independent(threshold=0.9), cohorts, (0.1, 0.3), 500, 5)
    final = whole.n_used == np.array([10, 14])
    both = final & (other.n_used == np.array([10, 14]))
    np.testing.assert_array_equal(whole.x_used[both], other.x_used[both])  # common random numbers
