"""Dose transition pathways on two-drug grids: cells named j.k, and decisions the design takes at random
(BOIN-comb's tie-break, PO-CRM's tied or drawn orderings) split into branches with their chances."""

import math

import numpy as np
import pytest
from scipy import stats

from dosefind.constants import Reason, Status
from dosefind.designs import BoinComb, PoCrm, design_from_dict
from dosefind.engine.replay import DecisionContext, move_word, replay_data
from dosefind.live.recommend import recommend
from dosefind.outcomes import parse_outcomes
from dosefind.paths import dose_paths
from dosefind.paths.pathways import RandomChoice, choice_uniforms, decision_word
from dosefind.report.paths import format_paths, paths_csv, paths_table

#: a 2 x 3 grid: from 1.1 the escalation candidates are 2.1 (drug A up) and 1.2 (drug B up)
COMBO = design_from_dict(
    {
        "kind": "boin_comb",
        "target": 0.3,
        "max_n": 12,
        "cohort_size": 3,
        "grid": {"levels_a": ["1 mg", "2 mg"], "levels_b": ["10 mg", "20 mg", "30 mg"]},
    }
)
P = [0.05, 0.1, 0.2, 0.1, 0.25, 0.4]  # true P(DLT) of cells 1.1, 1.2, 1.3, 2.1, 2.2, 2.3


def _po(**kw):
    grid = {"levels_a": ["a1", "a2", "a3"], "levels_b": ["b1", "b2", "b3"]}
    return PoCrm(target=0.3, max_n=24, grid=grid, skeleton_halfwidth=0.05, skeleton_nu=3, **kw)


def _cells(design):
    return {label: i for i, label in enumerate(design.doses)}


# ---- an exact example ------------------------------------------------------------------------------
def test_first_cohort_tie_splits_into_both_cells_with_chance_one_half():
    """No patients yet: 1.1NNN escalates, and the untried 2.1 and 1.2 have equal scores (exact tie)."""
    dp = dose_paths(COMBO, parse_outcomes("", COMBO.doses, cells=True), cohorts=1, true_tox=P)
    c = _cells(COMBO)
    kids = dp.children(0)
    rows = [(dp.token(x), x.next_dose, x.status, x.chance, x.choice) for x in kids]
    assert rows == [
        ("1.1NNN", c["2.1"], Status.CONTINUE, 0.5, RandomChoice.TIE),  # u_tie in [0, 1/2): (j + 1, k)
        ("1.1NNN", c["1.2"], Status.CONTINUE, 0.5, RandomChoice.TIE),  # u_tie in [1/2, 1): (j, k + 1)
        ("1.1NNT", c["1.1"], Status.CONTINUE, 1.0, RandomChoice.NONE),  # 1/3: stay
        ("1.1NTT", c["1.1"], Status.CONTINUE, 1.0, RandomChoice.NONE),  # de-escalate: no cell below
        ("1.1TTT", -1, Status.STOP_NO_DOSE, 1.0, RandomChoice.NONE),  # 3/3 eliminates 1.1
    ]
    assert kids[0].alternatives == kids[1].alternatives == (c["2.1"], c["1.2"])
    assert kids[3].reason == Reason.BOIN_COMB_STAY_BOTTOM
    p0 = P[0]
    assert kids[0].prob == pytest.approx(0.5 * (1 - p0) ** 3, rel=1e-15)
    assert kids[1].prob == pytest.approx(0.5 * (1 - p0) ** 3, rel=1e-15)
    assert kids[2].prob == pytest.approx(3 * p0 * (1 - p0) ** 2, rel=1e-15)
    assert math.fsum(x.prob for x in dp.leaves()) == pytest.approx(1.0, abs=1e-15)
    # both branches are what the kernel decides on either half of u_tie
    for u, expected in ((0.0, "2.1"), (0.4999, "2.1"), (0.5, "1.2"), (0.9999, "1.2")):
        assert DecisionContext(COMBO).treat(0, 3, 0, u_tie=u).next_dose == c[expected]


def test_tie_text_and_table_name_cells_and_chances():
    dp = dose_paths(COMBO, parse_outcomes("", COMBO.doses, cells=True), cohorts=2, true_tox=P)
    text = format_paths(dp)
    assert "|- 1.1NNN -> escalate to 2.1 [tie with 1.2 broken at random: chance 1/2]" in text
    assert "|- 1.1NNN -> escalate to 1.2 [tie with 2.1 broken at random: chance 1/2]" in text
    assert "|  |- 2.1NNN -> escalate to 2.2" in text  # cells as j.k, never engine indices
    total = math.fsum(x.prob for x in dp.leaves())
    assert f"their probabilities sum to {total:.6f}" in text and total == pytest.approx(1.0, abs=1e-14)
    # a leaf reached through the 2.1 branch: 1/2 x P(0 DLT at 1.1) x P(0 DLT at 2.1)
    leaf = next(x for x in dp.leaves() if dp.path_label(x.node) == "1.1NNN 2.1NNN")
    assert leaf.prob == pytest.approx(0.5 * (1 - P[0]) ** 3 * (1 - P[3]) ** 3, rel=1e-14)
    table = paths_table(dp).splitlines()
    assert table[1].split() == ["path", "cohort", "1", "cohort", "2", "then", "chance", "prob"]
    row = next(line.split() for line in table[2:] if line.split()[1:3] == ["1.1NNN", "2.1NNN"])
    assert row[-2] == "1/2" and float(row[-1]) == pytest.approx(leaf.prob, abs=5e-5)
    csv_lines = paths_csv(dp).splitlines()
    assert csv_lines[0].endswith(",random_choice,chance,alternatives")
    assert any(
        ",1.1NNN,1.1,NNN,3,0,2.1,escalate,BOIN_COMB_ESCALATE," in line and line.endswith(",tie,0.5,2.1 1.2")
        for line in csv_lines
    )


def test_root_tie_is_the_data_uniforms_choice_and_is_named():
    data = parse_outcomes("1.1NNN", COMBO.doses, cells=True)
    dp = dose_paths(COMBO, data, cohorts=1)
    rec = recommend(COMBO, data)
    root = dp.nodes[0]
    assert root.next_dose == rec.next_dose and root.chance == 1.0
    assert sorted(COMBO.doses[d] for d in root.alternatives) == ["1.2", "2.1"]
    other = "1.2" if rec.next_label == "2.1" else "2.1"
    note = f"[tie with {other}: chosen by the data's uniform u_tie = {rec.u_tie:.4f}]"
    assert f"now (1.1NNN): escalate to {rec.next_label} {note}" in format_paths(dp)


# ---- the u_tie intervals are the kernel's ----------------------------------------------------------
def _states(design, rng, count):
    """Random reachable-looking states (patients and DLTs on a few cells) and a cohort to add."""
    D = design.n_doses
    included = [d for d in range(D) if not design.grid.excluded_mask[d]]
    out = []
    for _ in range(count):
        n_at = np.zeros(D, np.int64)
        tox_at = np.zeros(D, np.int64)
        for d in rng.choice(included, size=rng.integers(1, 4), replace=False):
            n_at[d] = 3 * rng.integers(1, 3)
            tox_at[d] = rng.integers(0, n_at[d] // 2 + 1)
        tried = [d for d in included if n_at[d]]
        out.append((n_at, tox_at, int(rng.choice(tried)), int(rng.integers(0, 4))))
    return out


@pytest.mark.parametrize(
    "design",
    [COMBO, _po(), _po(ordering_choice="random"), _po(estimation="likelihood")],
    ids=["boin_comb", "pocrm_max", "pocrm_random", "pocrm_likelihood"],
)
def test_choice_intervals_describe_the_kernel_for_every_u(design):
    """At 2,000 values of u_tie across (0, 1) the kernel decides as the interval containing u says."""
    rng = np.random.default_rng(7)
    grid_u = (np.arange(2000) + 0.5) / 2000
    splits = 0
    for n_at, tox_at, dose, y in _states(design, rng, 25):
        ctx = DecisionContext(design, 60)
        ctx.n_at[:] = n_at
        ctx.tox_at[:] = tox_at
        after_n, after_t = n_at.copy(), tox_at.copy()
        after_n[dose] += 3
        after_t[dose] += y
        _, uniforms = choice_uniforms(ctx, after_n, after_t)
        assert math.fsum(w for _, w in uniforms) == pytest.approx(1.0, abs=1e-12)
        edges = np.cumsum([0.0] + [w for _, w in uniforms])
        rep = [ctx.copy().treat(dose, 3, y, u_tie=u) for u, _ in uniforms]
        assert all(lo <= u < hi for (u, _), lo, hi in zip(uniforms, edges[:-1], edges[1:], strict=True))
        for u in grid_u:
            i = min(int(np.searchsorted(edges, u, side="right")) - 1, len(uniforms) - 1)
            step = ctx.copy().treat(dose, 3, y, u_tie=float(u))
            assert (step.next_dose, step.status) == (rep[i].next_dose, rep[i].status), (n_at, tox_at, u)
        splits += len({(s.next_dose, s.status) for s in rep}) > 1
    assert splits > 0, "no state with a random choice: the test would not test anything"


# ---- probabilities still sum to 1 and match continuation of the trial ---------------------------------
@pytest.mark.parametrize(
    "design, history, p",
    [
        (COMBO, "1.1NNN", P),
        (_po(), "1.1NNT", [0.05, 0.1, 0.2, 0.1, 0.2, 0.35, 0.2, 0.35, 0.5]),
        (_po(ordering_choice="random"), "1.1NNN 1.2NTN", [0.05, 0.1, 0.2, 0.1, 0.2, 0.35, 0.2, 0.35, 0.5]),
    ],
    ids=["boin_comb", "pocrm_max", "pocrm_random"],
)
def test_path_probabilities_sum_to_one_and_match_monte_carlo(design, history, p):
    data = parse_outcomes(history, design.doses, cells=True)
    dp = dose_paths(design, data, cohorts=2, true_tox=p)
    assert dp.has_random_choices
    # a leaf is its cohorts and the decision after the last one (ties at the last cohort differ only there)
    leaves = {}
    for x in dp.leaves():
        key = (dp.path_label(x.node), x.next_dose, x.status)
        leaves[key] = leaves.get(key, 0.0) + x.prob
    assert math.fsum(leaves.values()) == pytest.approx(1.0, abs=1e-13)
    # the chances of the branches of one cohort outcome add up to 1
    for parent in dp.nodes:
        outcomes = {}
        for x in dp.children(parent.node):
            outcomes[x.tox] = outcomes.get(x.tox, 0.0) + x.chance
        assert all(v == pytest.approx(1.0, abs=1e-14) for v in outcomes.values())
    # continue the trial with random patients and a random u_tie per decision
    rng = np.random.default_rng(20261121)
    ctx0, steps = replay_data(design, data)
    reps = 12_000
    counts = {}
    for _ in range(reps):
        ctx, dose, key = ctx0.copy(), steps[-1].next_dose, []
        for _k in range(2):
            n = min(design.cohort_size, design.max_n - ctx.n_total)
            y = int((rng.random(n) < p[dose]).sum())
            step = ctx.treat(dose, n, y, u_tie=float(rng.random()))
            key.append(f"{design.doses[dose]}{'N' * (n - y)}{'T' * y}")
            if step.status != Status.CONTINUE:
                break
            dose = step.next_dose
        k = (" ".join(key), step.next_dose if step.status == Status.CONTINUE else -1, step.status)
        counts[k] = counts.get(k, 0) + 1
    assert set(counts) <= set(leaves), "simulation reached a path the enumeration does not have"
    labels = sorted(leaves, key=leaves.get)
    expected = np.array([leaves[k] * reps for k in labels])
    observed = np.array([counts.get(k, 0) for k in labels])
    small = expected < 5
    exp_cells = np.append(expected[~small], expected[small].sum())
    obs_cells = np.append(observed[~small], observed[small].sum())
    if exp_cells[-1] == 0:
        exp_cells, obs_cells = exp_cells[:-1], obs_cells[:-1]
    assert stats.chisquare(obs_cells, exp_cells).pvalue > 1e-4


def test_pocrm_tied_orderings_chances_are_shares_of_the_tied_orderings():
    """After 1.1NNT only cell 1.1 is tried, so every ordering ranks the data alike: all six tie."""
    design = _po()
    dp = dose_paths(design, parse_outcomes("1.1NNT", design.doses, cells=True), cohorts=1)
    kids = [x for x in dp.children(0) if x.tox == 0]
    assert {x.choice for x in kids} == {RandomChoice.TIED_ORDERINGS}
    M = len(design.orderings)
    assert all(round(x.chance * M) == pytest.approx(x.chance * M, abs=1e-12) for x in kids)  # k of M each
    assert math.fsum(x.chance for x in kids) == pytest.approx(1.0, abs=1e-15)
    assert len(kids) > 1 and "[tied orderings, one taken at random: chance" in format_paths(dp)


# ---- words and labels ------------------------------------------------------------------------------------
def test_grid_move_words():
    """One rule (engine.replay.move_word) names moves in paths and in recommend: on a grid "escalate" only
    when no drug goes down, "de-escalate" only when none goes up, else "move"."""
    design = BoinComb(target=0.3, max_n=30, grid={"levels_a": ["1", "2", "3"], "levels_b": ["1", "2", "3"]})
    c = {label: i for i, label in enumerate(design.doses)}
    go = Status.CONTINUE
    assert move_word(go, c["1.1"], c["1.2"], design) == "escalate"
    assert move_word(go, c["1.3"], c["2.3"], design) == "escalate"
    assert move_word(go, c["2.2"], c["1.2"], design) == "de-escalate"
    assert move_word(go, c["2.1"], c["1.1"], design) == "de-escalate"
    assert move_word(go, c["1.3"], c["2.1"], design) == "move"  # a higher index, yet drug B goes down
    assert move_word(go, c["2.1"], c["1.3"], design) == "move"
    assert move_word(go, c["2.2"], c["2.2"], design) == "stay"
    assert move_word(Status.STOP_SELECT, c["2.2"], c["2.2"], design) == "stop"
    assert move_word(go, -1, c["1.1"], design) == "start"
    assert move_word(go, 2, 3) == "escalate"  # a single drug: index order
    dp = dose_paths(design, parse_outcomes("", design.doses, cells=True), cohorts=1)
    node = dp.nodes[1]
    x = type(node)(1, 0, 1, c["1.3"], 3, 0, c["2.1"], Status.CONTINUE, Reason.NONE, -1, 1.0)
    assert decision_word(x, design) == "move" and decision_word(x) == "escalate"


def test_an_arms_extension_patients_are_left_out():
    from dosefind.outcomes.datafile import parse_trial_csv

    text = (
        "patient_id,phase,cohort,dose,dlt,response\n"
        + "".join(f"a{i},escalation,,1.1,0,0\n" for i in range(3))
        + "".join(f"b{i},escalation,,2.1,0,{int(i == 0)}\n" for i in range(3))
        + "c1,extension,all,2.1,1,1\n"
    )
    data = parse_trial_csv(text, COMBO.doses, 3, "arm.csv", cells=True, expansion_cohorts=("all",))
    small = COMBO.replace(max_n=6)
    dp = dose_paths(small, data, cohorts=1)
    assert dp.data.n_extension == 0 and dp.data.to_notation() == "1.1NNN 2.1ENN"
    root = dp.nodes[0]
    assert (
        root.status == Status.STOP_SELECT
        and small.doses[root.selected] == recommend(small, data.escalation()).selected_label
    )
    assert dp.children(0) == []
