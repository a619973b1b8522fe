"""Two-stage enrichment baskets (``kind = "enrichment"``): exact OCs against the independent brute-force
oracle (tests/basket/enrichment_oracle.py), exact against simulation within MCSE, the special case that is
the independent design, Fisher's exact test against scipy, common random numbers, and bad input."""

import numpy as np
import pytest
from scipy.stats import fisher_exact

from dosefind.basket import BasketScenario, Cohort, Independent
from dosefind.basket.enrichment import fisher_pvalue, group_stage1
from dosefind.basket.exact import check_exact, exact_rows
from dosefind.basket.simulate import simulate_trials
from dosefind.basket.spec import design_from_dict, spec_from_dict
from dosefind.errors import EngineError, SpecError

from .enrichment_oracle import oracle_values
from .test_basket_exact import assert_exact_matches_simulation

COHORTS = (
    Cohort("a", 8, 0.2, (4, 8)),
    Cohort("b", 9, 0.2, (4, 9)),
    Cohort("c", 7, 0.2, (3, 7)),
)

#: parametrisations that take every path: pooled or not, flags by count and by posterior, reallocation,
#: a stated group with a cohort left alone, a pooled threshold of its own, a pooled futility stop
DESIGNS = {
    "heterogeneity": dict(threshold=0.9, futility=0.2, pool="heterogeneity", gamma=0.3, pool_min_responses=2),
    "realloc": dict(
        threshold=0.9, flag_min_responses=1, pool="heterogeneity", gamma=0.5, reallocate=True, pooled_n=10
    ),
    "always": dict(threshold=0.85, pool="always", pool_min_responses=3, pooled_n=7, pooled_threshold=0.97),
    "never-realloc": dict(threshold=0.9, futility=0.3, flag_min_responses=2, pool="never", reallocate=True),
    "stated-group": dict(
        threshold=0.9, futility=0.2, groups=[["a", "c"]], pool="heterogeneity", gamma=0.1, reallocate=True
    ),
}
RATES = [(0.2, 0.2, 0.2), (0.2, 0.45, 0.45), (0.5, 0.5, 0.5), (0.15, 0.6, 0.3)]


def _design(name: str, **kw):
    return design_from_dict(0, {"kind": "enrichment", "name": name, **DESIGNS[name], **kw})


def _oracle_cohorts(cohorts):
    return [{"name": c.name, "n": c.n, "q0": c.q0, "looks": list(c.looks)} for c in cohorts]


@pytest.mark.parametrize("name", DESIGNS)
@pytest.mark.parametrize("rates", RATES)
def test_exact_equals_the_brute_force_oracle(name, rates):
    d = _design(name)
    rows = exact_rows(d, COHORTS, BasketScenario("s", rates))
    mine = {(r["metric"], r["cohort"]): r["value"] for r in rows}
    want = oracle_values(_oracle_cohorts(COHORTS), {"kind": "enrichment", **DESIGNS[name]}, rates)
    assert mine.keys() == want.keys()
    for key, value in want.items():
        assert mine[key] == pytest.approx(value, abs=1e-12), key


@pytest.mark.parametrize("name", ["heterogeneity", "realloc", "always", "stated-group"])
def test_exact_matches_simulation(name):
    assert_exact_matches_simulation(_design(name), COHORTS, (0.2, 0.45, 0.3), seed=11, z=4.5)


def test_never_pooling_without_reallocation_is_the_independent_design():
    """pool = "never" and no reallocation: each cohort is the independent beta-binomial design with the same
    futility look at n1 (flag iff P >= futility is continue iff not P < futility)."""
    enrich = design_from_dict(
        0, {"kind": "enrichment", "threshold": 0.9, "futility": 0.25, "pool": "never", "prior": [0.5, 0.5]}
    )
    indep = Independent(threshold=0.9, futility=0.25, prior=(0.5, 0.5))
    for rates in RATES:
        s = BasketScenario("s", rates)
        mine = {(r["metric"], r["cohort"]): r["value"] for r in exact_rows(enrich, COHORTS, s)}
        want = {(r["metric"], r["cohort"]): r["value"] for r in exact_rows(indep, COHORTS, s)}
        assert {k for k in mine if k[0] != "prob_pooled"} == want.keys()
        for key, value in want.items():
            assert mine[key] == pytest.approx(value, abs=1e-12), key
        assert all(mine[("prob_pooled", c.name)] == 0.0 for c in COHORTS)
    # and trial for trial on the same patients (common random numbers)
    a = simulate_trials(enrich, COHORTS, RATES[3], 3000, 5)
    b = simulate_trials(indep, COHORTS, RATES[3], 3000, 5)
    for field in ("status", "n_used", "x_used"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


def test_stage_two_patients_are_the_cohorts_next_patients():
    """Reallocated and pooled patients continue each cohort's own sequence: a cohort that runs to its n
    has the responses any other design's cohort has among its first n patients."""
    d = _design("realloc")
    full = Independent(threshold=0.9)
    a = simulate_trials(d, COHORTS, (0.4, 0.4, 0.4), 4000, 2)
    b = simulate_trials(full, COHORTS, (0.4, 0.4, 0.4), 4000, 2)
    for k, c in enumerate(COHORTS):
        same = a.n_used[:, k] == c.n
        assert same.any()
        np.testing.assert_array_equal(a.x_used[same, k], b.x_used[same, k])
        more = a.n_used[:, k] > c.n
        assert more.any()  # reallocation gave some cohorts more than their n
        assert (a.x_used[more, k] >= 0).all() and (a.x_used[more, k] <= a.n_used[more, k]).all()


def test_fisher_pvalue_is_scipy_fisher_exact_on_two_cohorts():
    for sizes in ((4, 5), (6, 3), (7, 7)):
        x = np.array([[i, j] for i in range(sizes[0] + 1) for j in range(sizes[1] + 1)])
        got = fisher_pvalue(sizes, x)
        for row, p in zip(x, got, strict=True):
            table = [[row[0], sizes[0] - row[0]], [row[1], sizes[1] - row[1]]]
            assert p == pytest.approx(fisher_exact(table)[1], rel=1e-12, abs=1e-14), (sizes, row)


def test_reallocation_keeps_the_groups_planned_total():
    d = _design("realloc")
    idx = (0, 1, 2)
    x1 = np.array([[0, 2, 1], [0, 0, 1], [1, 1, 1], [0, 0, 0], [3, 0, 0]])
    st = group_stage1(d, COHORTS, idx, x1)
    stage2 = np.array([c.n - c.looks[0] for c in COHORTS])
    for row in range(x1.shape[0]):
        if st.pooled[row]:
            assert st.extra[row].sum() == 10 * (x1[row].sum() >= d.pool_min_responses)
        elif (~st.stop[row]).any():
            assert st.extra[row].sum() == stage2.sum()
            assert (st.extra[row][st.stop[row]] == 0).all()


BASE = {
    "basket": {"name": "t", "q0": 0.2},
    "cohorts": [
        {"name": "a", "n": 8, "looks": [4, 8]},
        {"name": "b", "n": 8, "looks": [4, 8]},
        {"name": "c", "n": 8, "looks": [4, 8]},
    ],
    "scenarios": [{"name": "null", "rates": [0.2, 0.2, 0.2]}],
}


def _spec(design: dict, cohorts=None):
    data = dict(BASE, designs=[{"kind": "enrichment", **design}])
    if cohorts is not None:
        data["cohorts"] = cohorts
    return spec_from_dict(data)


@pytest.mark.parametrize(
    ("design", "field", "words"),
    [
        ({"efficacy": 0.99}, "designs[0].efficacy", "no interim go"),
        ({"interim": "predictive", "futility": 0.1}, "designs[0].interim", "not available"),
        ({"groups": [["a", "z"]]}, "designs[0].groups[0]", "unknown cohort 'z'"),
        ({"groups": [["a", "b"], ["b", "c"]]}, "designs[0].groups[1]", "also in groups[0]"),
        ({"groups": [["a"]]}, "designs[0].groups[0]", "1 cohort"),
        ({"groups": "a, b"}, "designs[0].groups", "list of lists"),
        ({"pool": "sometimes"}, "designs[0].pool", "sometimes"),
        ({"gamma": 1.0}, "designs[0].gamma", "[0, 1)"),
        ({"pooled_n": 0}, "designs[0].pooled_n", "pooled_n"),
        ({"flag_min_responses": -1}, "designs[0].flag_min_responses", "-1"),
        ({"pooled_threshold": 1.5}, "designs[0].pooled_threshold", "(0, 1)"),
    ],
)
def test_bad_designs_name_the_field(design, field, words):
    with pytest.raises(SpecError) as e:
        _spec(design)
    assert e.value.field == field
    assert words in str(e.value)


def test_cohorts_must_have_two_looks_and_pooled_groups_one_q0():
    three = [dict(c, looks=[2, 4, 8]) for c in BASE["cohorts"]]
    with pytest.raises(SpecError) as e:
        _spec({}, three)
    assert e.value.field == "cohorts[0].looks" and "two stages" in str(e.value)
    other_q0 = [dict(c, q0=0.3) if c["name"] == "c" else c for c in BASE["cohorts"]]
    with pytest.raises(SpecError) as e:
        _spec({}, other_q0)
    assert e.value.field == "designs[0].groups" and "different q0" in str(e.value)
    assert _spec({"pool": "never"}, other_q0).designs[0].pool == "never"  # nothing pools: allowed
    assert _spec({"groups": [["a", "b"]]}, other_q0).designs[0].groups == (("a", "b"),)  # c alone


def test_too_many_stage_one_tables_are_refused_with_the_count():
    cohorts = tuple(Cohort(f"c{i}", 40, 0.1, (20, 40)) for i in range(7))
    d = design_from_dict(0, {"kind": "enrichment", "pool": "heterogeneity"})
    with pytest.raises(EngineError, match="stage-1 tables"):
        check_exact(d, cohorts)
    with pytest.raises(EngineError, match="heterogeneity test"):
        simulate_trials(d, cohorts, [0.1] * 7, 10, 1)
    # never pooling nor reallocating: the cohorts are independent, enumerated one by one
    never = design_from_dict(0, {"kind": "enrichment", "pool": "never", "futility": 0.1})
    rows = exact_rows(never, cohorts, BasketScenario("s", [0.1] * 7))
    assert {r["metric"] for r in rows} >= {"prob_go", "fwer", "prob_pooled"}
    assert simulate_trials(never, cohorts, [0.1] * 7, 10, 1).status.shape == (10, 7)
