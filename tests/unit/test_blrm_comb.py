"""The two-drug BLRM: its kernels against naive numpy oracles written from the model, its accurate rule
against a 40-million-draw importance-sampling reference (tolerance from the reference's Monte Carlo
standard errors), its escalation cap against the rule written out in Python, and bad specs refused with
the field and the fix."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from dosefind.designs import BlrmComb
from dosefind.designs import layout as L
from dosefind.designs.registry import design_from_dict
from dosefind.engine import blrm_comb as K
from dosefind.errors import SpecError

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "benchmarks" / "research" / "blrm_comb_reference.json"
GRID = {"levels_a": ["3", "4.5", "6"], "levels_b": ["400", "600", "800"]}
BASE = dict(
    name="accuracy",
    max_n=36,
    cohort_size=3,
    grid=GRID,
    doses_a=[3, 4.5, 6],
    doses_b=[400, 600, 800],
    reference_dose_a=6,
    reference_dose_b=800,
    target=0.25,
)
DESIGN = BlrmComb(**BASE)
DATA = {
    "prior": ([0] * 9, [0] * 9),
    "D1": ([3, 0, 0, 0, 0, 0, 0, 0, 0], [0] * 9),
    "D2": ([3, 3, 0, 3, 6, 0, 0, 0, 0], [0, 0, 0, 0, 1, 0, 0, 0, 0]),
    "D3": ([3, 3, 3, 3, 9, 6, 0, 6, 3], [0, 0, 1, 0, 2, 2, 0, 2, 2]),
}


def naive_log_post(design: BlrmComb, th, n, y) -> float:
    """The log posterior written from the model: per drug logistic, no-interaction p0, odds times
    exp(eta h), normal prior."""
    th = np.asarray(th, float)
    d = th - design.prior_mean
    lp = -0.5 * d @ np.linalg.inv(design.prior_cov) @ d
    for c in range(design.n_doses):
        j, k = divmod(c, design.grid.n_cols)
        pa = 1 / (1 + math.exp(-(th[0] + math.exp(th[1]) * design.xa[j])))
        pb = 1 / (1 + math.exp(-(th[2] + math.exp(th[3]) * design.xb[k])))
        p0 = 1 - (1 - pa) * (1 - pb)
        odds = p0 / (1 - p0) * math.exp(th[4] * design.interaction_dose[j, k])
        p = odds / (1 + odds)
        lp += y[c] * math.log(p) + (n[c] - y[c]) * math.log(1 - p)
    return lp


@pytest.mark.parametrize("interaction", ["linear", "saturating"])
def test_log_posterior_and_gradient_match_the_model(interaction):
    design = BlrmComb(**{**BASE, "interaction": interaction})
    grid = design.compile().grid
    rng = np.random.default_rng(3)
    n = np.array(DATA["D3"][0])
    y = np.array(DATA["D3"][1])
    for _ in range(20):
        th = design.prior_mean + rng.standard_normal(5)
        lp = K.log_post(grid, 3, 3, n, y, th, np.empty(3), np.empty(3), np.empty(9))
        assert lp == pytest.approx(naive_log_post(design, th, n, y), rel=1e-12, abs=1e-9)
        g = np.empty(5)
        K.grad_log_post(grid, 3, 3, n, y, th, g)
        h = 1e-6
        num = [
            (naive_log_post(design, th + h * e, n, y) - naive_log_post(design, th - h * e, n, y)) / (2 * h)
            for e in np.eye(5)
        ]
        np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(design.prob_tox(th), 1 / (1 + np.exp(-design.logits(th))))


def test_mode_has_zero_gradient():
    grid = DESIGN.compile().grid
    for n, y in DATA.values():
        n, y = np.array(n), np.array(y)
        th = DESIGN.prior_mean.copy()
        cov = np.empty((5, 5))
        prec = np.empty((5, 5))
        K.posterior_mode(grid, 3, 3, n, y, th, cov, prec)
        g = np.empty(5)
        K.grad_log_post(grid, 3, 3, n, y, th, g)
        assert np.abs(g).max() < 1e-6
        np.testing.assert_allclose(cov @ prec, np.eye(5), atol=1e-8)


def _summary(design, n, y, point_set):
    c = design.compile()
    out = np.zeros(L.POST_FIRST + 4 * design.n_doses)
    K.blrm_comb_posterior(c.ip, c.fp, c.grid, np.array(n), np.array(y), out, True, point_set)
    D = design.n_doses
    P = L.POST_FIRST
    return {
        "mean": out[P : P + D],
        "under": out[P + D : P + 2 * D],
        "target": out[P + 2 * D : P + 3 * D],
        "over": out[P + 3 * D : P + 4 * D],
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", sorted(json.loads(REFERENCE.read_text())["results"]) if REFERENCE.exists() else []
)
def test_accurate_rule_matches_importance_sampling(name):
    """Interval probabilities and means of the accurate rule (outer point set 0) within 4 Monte Carlo
    standard errors of the reference plus 1e-4 (the accuracy the rule is held to)."""
    ref = json.loads(REFERENCE.read_text())
    assert ref["settings"]["millions"] >= 40
    r = ref["results"][name]
    n, y = DATA[name]
    got = _summary(DESIGN, n, y, 0)
    for key in ("under", "target", "over", "mean"):
        tol = 4 * np.asarray(r[key + "_se"]) + 1e-4
        assert np.all(np.abs(got[key] - np.asarray(r[key])) <= tol), (key, got[key] - np.asarray(r[key]), tol)


def _candidates_naive(design: BlrmComb, n_at, cur):
    """Cells within the cap, written from the spec's words."""
    g = design.grid
    cj, ck = g.coords(cur)
    tried = [g.coords(c) for c in range(g.n_cells) if n_at[c] > 0]
    top_a = max([j for j, _ in tried], default=0)
    top_b = max([k for _, k in tried], default=0)
    out = []
    for c in range(g.n_cells):
        j, k = g.coords(c)
        ok = True
        if design.max_increment_a is not None:
            ok &= design.doses_a[j] <= (1 + design.max_increment_a) * design.doses_a[cj] * (1 + 1e-12)
        if design.max_increment_b is not None:
            ok &= design.doses_b[k] <= (1 + design.max_increment_b) * design.doses_b[ck] * (1 + 1e-12)
        if design.no_skip:
            ok &= j <= top_a + 1 and k <= top_b + 1
        if design.no_diagonal:
            ok &= not (j > cj and k > ck)
        out.append(2 if ok else 1)
    return out


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"no_diagonal": True},
        {"max_increment_a": 0.4, "max_increment_b": None},
        {"no_skip": False, "max_increment_a": None, "max_increment_b": None},
    ],
)
def test_escalation_cap_matches_the_written_rule(changes):
    design = BlrmComb(**{**BASE, **changes})
    c = design.compile()
    rng = np.random.default_rng(5)
    adm = np.ones(9, dtype=np.int64)
    for _ in range(200):
        n = rng.integers(0, 2, 9) * 3
        cur = int(rng.integers(0, 9))
        cand = np.empty(9, dtype=np.int64)
        K._candidates(c.ip, c.grid, n, adm, cur, False, cand)
        assert list(cand) == _candidates_naive(design, n, cur)


def test_choice_and_certification():
    """_choose: the EWOC-admissible candidate with the highest P(target); not certified when any compared
    quantity is within the margin."""
    c = DESIGN.compile()
    D = 9
    P = L.POST_FIRST
    row = np.zeros(P + 4 * D)
    row[P + 2 * D : P + 3 * D] = [0.1, 0.3, 0.5, 0.2, 0.45, 0.6, 0.05, 0.4, 0.3]
    row[P + 3 * D : P + 4 * D] = [0.0, 0.05, 0.1, 0.02, 0.2, 0.4, 0.01, 0.3, 0.5]
    cand = np.array([2, 2, 2, 2, 2, 1, 2, 1, 1])
    n = np.zeros(9, dtype=np.int64)
    best, free, ok = K._choose(c.ip, c.fp, row, cand, n, np.full(9, 0.01))
    assert (best, free, ok) == (2, 2, True)
    best, free, ok = K._choose(c.ip, c.fp, row, cand, n, np.full(9, 0.06))  # 0.45 is within 0.06 of 0.5
    assert (best, free, ok) == (2, 2, False)
    row[P + 3 * D + 2] = 0.26  # cell 1.3 now breaks EWOC: 2.2 is the best
    best, free, ok = K._choose(c.ip, c.fp, row, cand, n, np.full(9, 0.005))
    assert (best, free, ok) == (4, 4, True)
    row[P + 3 * D + 2] = 0.2505  # within the margin of the bound
    assert not K._choose(c.ip, c.fp, row, cand, n, np.full(9, 0.005))[2]


class SmallLevels(BlrmComb):
    """The same model with a short ladder of levels (1,024 lines at level 0), to test the mechanism fast."""

    def levels(self):
        return (1024, 256, 64, 16)


def _accurate_decision(design, c, row, n, cur):
    """The decision written from the spec on a row, with no margin."""
    D = design.n_doses
    cand = np.empty(D, dtype=np.int64)
    K._candidates(c.ip, c.grid, n, np.ones(D, dtype=np.int64), cur, False, cand)
    best, free, _ok = K._choose(c.ip, c.fp, row, cand, n, np.zeros(D))
    if best < 0:
        return (cur, 2, K.R_BLRMC_NO_SAFE)
    if n[best] >= design.mtd_min_n and row[L.POST_FIRST + 2 * D + best] >= design.mtd_min_prob_target:
        return (best, 1, K.R_BLRMC_MTD)
    return (best, 0, K.R_BLRMC_TARGET if best == free else K.R_BLRMC_CAPPED)


def test_a_row_is_the_same_however_its_level_was_reached():
    """Level by level from the cheapest (as a decision refines) or in one call: the same bits."""
    design = SmallLevels(**BASE)
    c = design.compile()
    P, D = L.POST_FIRST, 9
    n, y = (np.array(v) for v in DATA["D2"])
    direct = np.zeros(P + 4 * D)
    K.blrm_comb_posterior(c.ip, c.fp, c.grid, n, y, direct, False, 0)
    row = np.zeros(P + 4 * D)
    K.blrm_comb_posterior(c.ip, c.fp, c.grid, n, y, row, False, 2)
    assert row[0] == 2 and 0 < row[1] < 0.1  # the level and its error estimate
    for level in (1, 0):
        th, cov, prec, top = K._mode_of(c.grid, 3, 3, n, y)
        K.extend_row(c.ip, c.fp, c.grid, n, y, row, False, level, False, th, cov, prec, top)
    np.testing.assert_array_equal(row[P + D :], direct[P + D :])
    assert row[2] == direct[2]
    # a meeting's row (the target as a third cut) has the same bits in the other columns, and the summary
    # reads it: from nothing, or extended from a coarser row (the last decision's)
    wide = np.zeros(design.decision_row_width())
    K.blrm_comb_posterior(c.ip, c.fp, c.grid, n, y, wide, True, 2)
    full = np.zeros(P + 4 * D)
    K.blrm_comb_posterior(c.ip, c.fp, c.grid, n, y, full, True, 2)
    np.testing.assert_array_equal(wide[: P + 4 * D], full)
    K.blrm_comb_posterior(c.ip, c.fp, c.grid, n, y, full, True, 0)
    for start in (None, wide):
        s = K.blrm_comb_posterior_summary(design, n, y, row=start)
        assert s["level"] == 0
        for key, first in (("prob_under", P + D), ("prob_target", P + 2 * D), ("prob_over", P + 3 * D)):
            np.testing.assert_array_equal(s[key], direct[first : first + D])
        np.testing.assert_array_equal(s["mean"], full[P : P + D])
        assert np.all(
            (s["prob_above_target"] <= 1 - s["prob_under"]) & (s["prob_above_target"] >= s["prob_over"])
        )
    # P(p >= target) is the rule's integral over {logit p >= logit target}, as integrate computes it
    cuts = np.full((D, 1), math.log(design.target / (1 - design.target)))
    below = np.zeros((D, 1))
    K.integrate(c.ip, c.fp, c.grid, n, y, 0, cuts, below, np.zeros(D), False)
    np.testing.assert_allclose(s["prob_above_target"], 1 - below[:, 0], rtol=0, atol=1e-12)


def test_interval_ends_solve_the_quantile_levels_cdf():
    """The 95% interval's ends (two passes: cuts placed by the Laplace approximation on the next cheaper
    level, then the quantile level, inverse cubic interpolation) are where the quantile level's CDF is
    0.025 and 0.975: measured within 9.4e-5 here and 1.5e-4 on the package's levels (D4,
    docs/notes/blrm-comb-quadrature.md); held to 3e-4."""
    design = SmallLevels(**BASE)
    c = design.compile()
    for n, y in DATA.values():
        n, y = np.array(n), np.array(y)
        s = K.blrm_comb_posterior_summary(
            design, n, y, quantiles=(0.025, 0.975), point_set=2, quantile_level=1
        )
        p = np.stack([s["q0.025"], s["q0.975"]], 1)
        cdf = np.zeros((9, 2))
        K.integrate(c.ip, c.fp, c.grid, n, y, 1, np.log(p / (1 - p)), cdf, np.zeros(9), False)
        assert np.abs(cdf - [0.025, 0.975]).max() <= 3e-4


def test_certified_decisions_equal_the_accurate_rules():
    """On random states, the decision of the ladder (cheapest level first, refined when a margin is within
    SAFETY times the level's error estimate) is the one level 0 takes, and its cached row is level 0's
    row when it refined that far (the calibration on the package's levels, hundreds of states:
    benchmarks/research/blrm_comb_decisions.py)."""
    design = SmallLevels(**BASE)
    c = design.compile()
    P, D = L.POST_FIRST, 9
    rng = np.random.default_rng(4)
    levels = set()
    for _ in range(16):
        p = np.maximum.accumulate(
            np.maximum.accumulate(np.sort(rng.uniform(0.02, 0.6, D)).reshape(3, 3), 0), 1
        )
        n = np.zeros(D, dtype=np.int64)
        y = np.zeros(D, dtype=np.int64)
        for _c in range(int(rng.integers(1, 9))):
            cell = int(rng.integers(0, D))
            n[cell] += 3
            y[cell] += rng.binomial(3, p.ravel()[cell])
        cur = int(rng.choice(np.flatnonzero(n)))
        keys = np.full((4, 2 * D), -1, dtype=np.int16)
        vals = np.zeros((5, P + 4 * D))
        adm = np.ones(D, dtype=np.int8)  # the engine's type: no second compilation
        got = K.decide_blrm_comb(c.ip, c.fp, c.grid, n, y, adm, cur, int(n.sum()), keys, vals, False)
        row = np.zeros(P + 4 * D)
        K.blrm_comb_posterior(c.ip, c.fp, c.grid, n, y, row, False, 0)
        assert tuple(int(v) for v in got) == _accurate_decision(design, c, row, n, cur)
        slot = int(np.flatnonzero(keys[:, 0] >= 0)[0])
        levels.add(int(vals[slot, 0]))
        again = K.decide_blrm_comb(c.ip, c.fp, c.grid, n, y, adm, cur, int(n.sum()), keys, vals, False)
        assert again == got  # a cache hit decides the same
        keys[:] = -1
    assert levels >= {0, 2}  # some decided on the cheapest level, some refined to level 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"doses_a": None}, "doses_a"),
        ({"doses_a": [3, 4.5]}, "doses_a"),
        ({"doses_b": [400, -600, 800]}, "doses_b[1]"),
        ({"doses_b": [400, 300, 800]}, "doses_b"),
        ({"reference_dose_a": 12}, "reference_dose_a"),
        ({"reference_dose_b": None}, "reference_dose_b"),
        ({"prior_corr_a": 1.0}, "prior_corr_a"),
        ({"prior_sd_b": [2.0, 0.0]}, "prior_sd_b"),
        ({"prior_eta_sd": 0}, "prior_eta_sd"),
        ({"interaction": "quadratic"}, "interaction"),
        ({"intervals": [0.33, 0.16]}, "intervals"),
        ({"ewoc": 1.0}, "ewoc"),
        ({"max_increment_a": -1}, "max_increment_a"),
    ],
)
def test_bad_specs_name_the_field(changes, field):
    with pytest.raises(SpecError) as err:
        BlrmComb(**{**BASE, **changes})
    assert err.value.field == field
    assert "\n" not in str(err.value)


def test_spec_round_trips_and_defaults():
    d = design_from_dict(DESIGN.to_dict())
    assert d == DESIGN
    assert d.prior_mean_a == (math.log(0.25 / 0.75), 0.0)
    assert d.prior_eta_sd == pytest.approx(1.121)
    np.testing.assert_allclose(
        BlrmComb(**{**BASE, "interaction": "saturating"}).interaction_dose,
        2 * DESIGN.interaction_dose / (1 + DESIGN.interaction_dose),
    )


def test_outer_points_file_is_the_scrambled_sobol_sequence():
    """The frozen uniforms are scipy's scrambled Sobol points of the stated seed (so every documented
    accuracy measurement still applies), each power-of-two prefix stratifies every coordinate (one point per
    interval of width 1 / size: the net property the levels rely on), and the normal coordinates are their
    quantiles."""
    from scipy.special import ndtri

    from dosefind.designs.blrm_comb import spec

    k = np.load(spec.UNIFORMS_FILE)
    assert k.shape == (16384, 4) and k.dtype == np.uint32 and len(k) >= spec.LEVELS[0]
    assert np.array_equal(k, spec.sobol_uniforms(len(k)))
    for size in spec.LEVELS:
        cells = (k[:size].astype(np.int64) * size) >> 30
        for a in range(4):
            assert np.array_equal(np.sort(cells[:, a]), np.arange(size))
    z, lw = spec.outer_points(1024)
    assert np.array_equal(z, ndtri(k[:1024] / 2.0**30))
    assert np.allclose(lw, 0.5 * (z * z).sum(1))


def test_replay_on_both_cores_takes_the_sequential_decisions():
    """The replay takes a trial's decisions on both cores (they are independent of each other: no
    modifiers, eliminations or drawn uniforms): the same decisions and the same last row, to the last bit,
    as one context deciding cohort after cohort; the meeting's table built on the last decision's row
    equals the table computed afresh."""
    from dosefind.engine.replay import DecisionContext, replay_data
    from dosefind.inference.summary import fast_posterior
    from dosefind.live.inputs import trial_data_for

    design = SmallLevels(**BASE)
    assert design.independent_decisions
    data = trial_data_for(design, None, "1.1NNN 2.1NNN 2.2NNT 2.2NTN 1.2NNN 2.3TNN", None)
    ctx, steps = replay_data(design, data)
    seq = DecisionContext(design)
    for c, step in zip(data.cohorts, steps, strict=True):
        mine = seq.treat(c.dose, c.n, c.tox)
        assert (step.next_dose, step.status, step.reason, step.base_next, step.admissible) == (
            mine.next_dose,
            mine.status,
            mine.reason,
            mine.base_next,
            mine.admissible,
        )
    np.testing.assert_array_equal(ctx.n_at, seq.n_at)
    np.testing.assert_array_equal(ctx.tox_at, seq.tox_at)
    np.testing.assert_array_equal(ctx.last_row(), seq.last_row())
    from_row = fast_posterior(design, ctx.n_at, ctx.tox_at, context=ctx)
    afresh = fast_posterior(design, ctx.n_at, ctx.tox_at)
    for key in ("mean", "lower", "upper", "prob_above_target"):
        np.testing.assert_array_equal(getattr(from_row, key), getattr(afresh, key))
    for key in ("prob_under", "prob_target", "prob_over"):
        np.testing.assert_array_equal(from_row.extra[key], afresh.extra[key])
