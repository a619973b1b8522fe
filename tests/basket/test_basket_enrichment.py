"""Two-stage enrichment baskets (``kind = "enrichment"``): exact OCs against the independent brute-force
oracle (tests/basket/enrichment_oracle.py), exact against simulation within MCSE, the special case that is
the independent design, Fisher's exact test against scipy, common random numbers, the plan every simulated
trial keeps (Hypothesis), and bad input."""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import fisher_exact
from typer.testing import CliRunner

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
    cohorts = [{"name": f"c{i}", "n": 40, "looks": [20, 40]} for i in range(7)]
    with pytest.raises(SpecError) as e:
        _spec({"pool": "heterogeneity"}, cohorts)
    assert e.value.field == "designs[0].groups" and "1.8e+09 stage-1 tables" in str(e.value)
    cohorts = tuple(Cohort(f"c{i}", 40, 0.1, (20, 40)) for i in range(7))
    d = design_from_dict(0, {"kind": "enrichment", "pool": "always", "reallocate": True})
    with pytest.raises(EngineError, match="stage-1 tables"):
        check_exact(d, cohorts)  # no test to run, but exact OCs enumerate the group's tables
    # never pooling nor reallocating: the cohorts are independent, enumerated one by one
    never = design_from_dict(0, {"kind": "enrichment", "pool": "never", "futility": 0.1})
    rows = exact_rows(never, cohorts, BasketScenario("s", [0.1] * 7))
    assert {r["metric"] for r in rows} >= {"prob_go", "fwer", "prob_pooled"}
    assert simulate_trials(never, cohorts, [0.1] * 7, 10, 1).status.shape == (10, 7)


ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "baskets" / "enrichment-seven.toml"
DATA = ROOT / "examples" / "baskets" / "enrichment-seven-data.csv"


def test_analyze_command_shows_each_groups_test_path_and_plan():
    from dosefind.cli import app

    args = ["basket", "analyze", str(EXAMPLE), "--data", str(DATA), "--design-name", "pooled-subgroups"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "chordoma+ewing+desmoplastic+synovial: Fisher's exact p = 0.795 > gamma 0.2: pooled" in r.output
    assert "continue: 8 more patients as one pooled cohort" in r.output
    r = CliRunner().invoke(app, [*args, "--format", "json"])
    rows = {row["cohort"]: row for row in json.loads(r.output)["cohorts"]}
    # the pooled posterior is Beta(0.1 + 9, 0.9 + 47 - 9) for every sarcoma; rhabdoid ran alone to its n
    assert rows["ewing"]["borrowed_mean"] == pytest.approx(9.1 / 48.0, abs=1e-12)
    assert rows["ewing"]["planned_n"] == 20 and rows["synovial"]["planned_n"] == 22
    assert rows["rhabdoid"]["decision"] == "no go" and rows["rhabdoid"]["pooled"] is False
    r = CliRunner().invoke(app, [*args, "--format", "csv"])
    assert r.exit_code == 0 and "planned_n" in r.output


def test_live_final_decision_is_the_simulated_one():
    """Every simulated trial's data, analysed live (stage-1 responses given), gives its simulated status."""
    from dosefind.basket.live import BasketData, analyze_data
    from dosefind.basket.spec import load_basket

    spec = load_basket(EXAMPLE)
    for d in spec.designs[1:]:
        cohorts = spec.cohorts
        rates = spec.scenarios[2].rates
        trials = simulate_trials(d, cohorts, rates, 60, 3)
        x1 = simulate_trials(Independent(), _stage1_only(cohorts), rates, 60, 3).x_used
        for t in range(60):
            data = BasketData(tuple(trials.n_used[t]), tuple(trials.x_used[t]), tuple(int(v) for v in x1[t]))
            rows = analyze_data(spec, d, data)
            for k, row in enumerate(rows):
                status = int(trials.status[t, k])
                word = {1: "stop (futility)", 3: "no go", 4: "go"}[status]
                assert row["decision"].split(" (pooled)")[0] == word, (d.name, t, row)
                assert row["borrowed_prob_above_q0"] == pytest.approx(trials.prob[t, k], abs=1e-12)


def _stage1_only(cohorts):
    return tuple(Cohort(c.name, c.looks[0], c.q0) for c in cohorts)


def test_analysis_past_stage_one_needs_the_stage_one_responses(tmp_path):
    from dosefind.basket.live import analyze_data, read_basket_csv
    from dosefind.basket.spec import load_basket
    from dosefind.errors import DataError

    spec = load_basket(EXAMPLE)
    d = spec.design("pooled-subgroups")
    path = tmp_path / "d.csv"
    path.write_text("cohort,n,responses\nrhabdoid,20,3\n", encoding="utf-8")
    with pytest.raises(DataError, match="stage1_responses"):
        analyze_data(spec, d, read_basket_csv(path, spec, d))
    path.write_text("cohort,n,responses,stage1_responses\nrhabdoid,20,3,5\n", encoding="utf-8")
    with pytest.raises(DataError, match="cannot be among"):
        read_basket_csv(path, spec, d)
    path.write_text("cohort,n,responses\nthymic,60,3\n", encoding="utf-8")
    with pytest.raises(DataError, match="has n = 50"):
        read_basket_csv(path, spec, spec.design("independent"))


def test_calibrate_refuses_a_pooled_threshold_of_its_own():
    from dosefind.basket.calibrate import calibrate
    from dosefind.basket.spec import load_basket

    spec = load_basket(EXAMPLE)
    d = spec.design("pooled-subgroups")
    cal = calibrate(spec, d, 0.1, n_trials=2000)
    assert cal.design.threshold == cal.threshold and cal.design.groups == d.groups
    with pytest.raises(SpecError, match="pooled_threshold"):
        calibrate(spec, replace(d, pooled_threshold=0.9), 0.1, n_trials=2000)


def test_bundled_example_exact_matches_simulation():
    from dosefind.basket.spec import load_basket

    spec = load_basket(EXAMPLE)
    for d in spec.designs[1:]:
        assert_exact_matches_simulation(d, spec.cohorts, spec.scenarios[3].rates, seed=4, z=4.5)


def test_a_group_pools_only_when_the_pvalue_exceeds_gamma():
    """Strictly above gamma: at p = gamma the group continues separately."""
    cohorts = (Cohort("a", 8, 0.2, (4, 8)), Cohort("b", 8, 0.2, (4, 8)))
    x = np.array([[0, 3], [1, 2]])
    p = fisher_pvalue((4, 4), x)
    assert p[0] < p[1]
    d = design_from_dict(0, {"kind": "enrichment", "pool": "heterogeneity", "gamma": float(p[0])})
    st = group_stage1(d, cohorts, (0, 1), x)
    assert st.pooled.tolist() == [False, True]
    np.testing.assert_array_equal(st.pvalue, p)


@st.composite
def enrichment_cases(draw):
    k = draw(st.integers(2, 4))
    n1 = [draw(st.integers(1, 5)) for _ in range(k)]
    n = [a + draw(st.integers(1, 6)) for a in n1]
    cohorts = tuple(Cohort(f"c{i}", n[i], 0.2, (n1[i], n[i])) for i in range(k))
    design = {
        "kind": "enrichment",
        "threshold": draw(st.sampled_from([0.8, 0.9, 0.95])),
        "pool": draw(st.sampled_from(["never", "always", "heterogeneity"])),
        "gamma": draw(st.sampled_from([0.05, 0.3, 0.7])),
        "reallocate": draw(st.booleans()),
        "pool_min_responses": draw(st.integers(0, 3)),
    }
    if draw(st.booleans()):
        design["flag_min_responses"] = draw(st.integers(0, 2))
    if draw(st.booleans()):
        design["futility"] = draw(st.sampled_from([0.1, 0.3]))
    if draw(st.booleans()):
        design["pooled_n"] = draw(st.integers(1, 10))
    if k > 2 and draw(st.booleans()):
        design["groups"] = [["c0", "c1"]]
    rates = [draw(st.sampled_from([0.1, 0.2, 0.4, 0.6])) for _ in range(k)]
    return cohorts, design_from_dict(0, design), rates


@settings(max_examples=150, deadline=None)
@given(enrichment_cases(), st.integers(0, 1000))
def test_every_simulated_trial_keeps_the_designs_plan(case, seed):
    """Whatever the design: a stopped cohort has its stage-1 patients only; a pooled group decides as one
    (one status, one P(q > q0)) and shares exactly its pooled stage 2; a separate group with reallocation
    keeps its planned total when any cohort continues; responses never exceed patients; and the exact
    statuses' probabilities add up to one per cohort."""
    from dosefind.basket.decide import CohortStatus
    from dosefind.basket.enrichment import group_cohorts, pooled_size

    cohorts, d, rates = case
    t = simulate_trials(d, cohorts, rates, 300, seed)
    n1 = np.array([c.looks[0] for c in cohorts])
    planned = np.array([c.n for c in cohorts])
    stopped = t.status == CohortStatus.STOP_FUTILITY
    assert (t.n_used[stopped] == np.broadcast_to(n1, t.n_used.shape)[stopped]).all()
    assert ((t.x_used >= 0) & (t.x_used <= t.n_used) & (t.n_used >= n1)).all()
    assert np.isin(t.status, [1, 3, 4]).all()
    for g in group_cohorts(d, cohorts):
        cols = list(g)
        pooled = t.pooled[:, cols]
        assert (pooled == pooled[:, :1]).all()
        rows = pooled[:, 0]
        if rows.any():
            assert (t.status[rows][:, cols] == t.status[rows][:, cols[:1]]).all()
            assert np.allclose(t.prob[rows][:, cols], t.prob[rows][:, cols[:1]])
            going = ~stopped[rows][:, cols[0]]
            extra = (t.n_used[rows][:, cols] - n1[cols]).sum(axis=1)
            assert (extra[going] == pooled_size(d, cohorts, g)).all()
            assert (extra[~going] == 0).all()
        sep = ~rows & (~stopped[:, cols]).any(axis=1)
        if d.reallocate and len(g) > 1 and sep.any():
            assert (t.n_used[sep][:, cols].sum(axis=1) == planned[cols].sum()).all()
    exact = exact_rows(d, cohorts, BasketScenario("s", rates))
    val = {(r["metric"], r["cohort"]): r["value"] for r in exact}
    for c in cohorts:
        assert 0.0 <= val[("prob_go", c.name)] + val[("prob_stop_futility", c.name)] <= 1.0 + 1e-12
