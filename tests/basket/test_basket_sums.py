"""BasketSums: the basket's OC rows do not depend on how the trials are split into blocks."""

from dosefind.basket.simulate import BasketSums, simulate_trials, trial_rows
from dosefind.basket.spec import BasketScenario, Cohort, Fujikawa


def test_blocks_give_the_rows_of_the_whole_run():
    cohorts = tuple(Cohort(name=f"c{k}", n=10, looks=(5, 10), q0=0.1) for k in range(3))
    design = Fujikawa(name="borrow", threshold=0.9)
    scen = BasketScenario("mixed", (0.1, 0.3, 0.45))
    whole = trial_rows(design.name, scen, cohorts, simulate_trials(design, cohorts, scen.rates, 300, 5))
    sums = BasketSums(design.name, scen, cohorts)
    for first, n in ((0, 110), (110, 90), (200, 100)):
        sums.add(simulate_trials(design, cohorts, scen.rates, n, 5, first_trial=first))
    assert sums.rows() == whole
    assert {r["metric"] for r in whole} >= {"prob_go", "power", "type1_error", "bias", "mse", "fwer"}
