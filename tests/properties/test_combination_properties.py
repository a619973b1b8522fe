"""Hypothesis invariants of the two-drug (combination) designs: the shared contract on dose grids.

BOIN for combinations (``boin_comb``) and PO-CRM (``pocrm``) on J x K grids (1 <= J <= 3, 1 <= K <= 4,
J K >= 2; BOIN-comb needs two levels of each drug) with excluded cells, any included start cell, random
true DLT matrices (non-decreasing in both drugs, or arbitrary), targets, cohort sizes, max_n, the
modifiers a grid accepts (``dont_skip`` is refused) and, for PO-CRM, both estimation modes, both
ordering choices, subsets of the typical orderings, ordering priors, stage-1 paths and ``stop_n``.

Trials are replayed cohort by cohort through :class:`DecisionContext` with each decision's tie uniform
taken from the trial's ``STREAM_DESIGN`` latent values, as the engine draws them; ``replay_simulated_trial``
draws them from the trial's key in the same way and must reproduce every simulated trial, ties included.
Each replayed trial is also written in the outcome notation and replayed as live data (``replay_data``): the
same decisions.
"""

import math

import numba
import numpy as np
import pytest
import tomli_w
import tomllib
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import betaincc

from dosefind import Scenario, SpecError, Status, StopAtN, StopWhenNAtDose, StopWhenTooToxic
from dosefind.constants import Reason
from dosefind.designs import BoinComb, DontSkip, PoCrm, design_from_dict, typical_orderings
from dosefind.designs.grid import DoseGrid
from dosefind.engine import PosteriorCache, simulate_one
from dosefind.engine.pocrm import pocrm_posterior_summary
from dosefind.engine.replay import DecisionContext, replay_data, replay_simulated_trial
from dosefind.engine.rng import STREAM_DESIGN, latent_uniforms
from dosefind.outcomes.notation import parse_outcomes

R = Reason
NO_DOSE_REASONS = {R.BOIN_COMB_LOWEST_ELIMINATED, R.BOIN_COMB_EXTRASAFE, R.TOO_TOXIC, R.NO_ADMISSIBLE_DOSE}
SELECT_REASONS = {R.BOIN_COMB_EARLYSTOP_N, R.POCRM_STOP_N, R.MAX_N, R.STOP_AT_N, R.STOP_N_AT_DOSE}
UP = {(1, 0), (0, 1)}  # one level more of drug A, or of drug B
DOWN = {(-1, 0), (0, -1)}

THREADS = min(2, numba.config.NUMBA_NUM_THREADS)
targets = st.sampled_from([0.2, 0.25, 0.3, 1 / 3])


# ---- strategies ------------------------------------------------------------------------------------------
@st.composite
def grids(draw, min_side=1):
    J = draw(st.integers(min_side, 3))
    K = draw(st.integers(max(min_side, 2 if J == 1 else 1), 4))
    mode = draw(st.sampled_from(["none", "corner", "any"]))
    excluded: list[int] = []
    if mode == "corner":  # an upper set {j >= a, k >= b}: the usual shape of a left-out corner
        a = draw(st.integers(0, J - 1))
        b = draw(st.integers(1 if a == 0 else 0, K - 1)) if (a > 0 or K > 1) else 0
        excluded = [j * K + k for j in range(a, J) for k in range(b, K) if j * K + k != 0]
    elif mode == "any":
        excluded = draw(st.lists(st.integers(1, J * K - 1), unique=True, max_size=J * K - 1))
    return DoseGrid(
        levels_a=tuple(f"a{j}" for j in range(J)),
        levels_b=tuple(f"b{k}" for k in range(K)),
        excluded=tuple(f"{c // K + 1}.{c % K + 1}" for c in excluded),
    )


def included(grid: DoseGrid) -> list[int]:
    return [c for c in range(grid.n_cells) if not grid.excluded_mask[c]]


@st.composite
def truths(draw, grid: DoseGrid):
    """A J x K matrix of true DLT probabilities (flat, cell order), monotone in both drugs or not."""
    J, K = grid.n_rows, grid.n_cols
    p = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=J * K, max_size=J * K))).reshape(J, K)
    if draw(st.booleans()):
        p = np.maximum.accumulate(np.maximum.accumulate(p, axis=0), axis=1)
    return tuple(float(x) for x in p.ravel())


@st.composite
def cell_reference(draw, grid: DoseGrid):
    """An included cell as a modifier names it: its label "j.k" or its 1-based position (row-major)."""
    c = draw(st.sampled_from(included(grid)))
    return grid.label(c) if draw(st.booleans()) else c + 1


@st.composite
def grid_modifiers(draw, grid: DoseGrid, max_n: int):
    out = []
    if draw(st.booleans()):
        dose = draw(st.sampled_from(["recommended", "any", "cell"]))
        out.append(
            StopWhenNAtDose(
                n=draw(st.integers(min(3, max_n), max_n)),
                dose=draw(cell_reference(grid)) if dose == "cell" else dose,
            )
        )
    if draw(st.booleans()):
        out.append(StopAtN(n=draw(st.integers(1, max_n))))
    if draw(st.booleans()):
        out.append(
            StopWhenTooToxic(
                threshold=draw(st.floats(0.2, 0.5)),
                confidence=draw(st.floats(0.7, 0.99)),
                dose=draw(cell_reference(grid)),
                min_n=draw(st.integers(1, 6)),
            )
        )
    return tuple(draw(st.permutations(out)))


@st.composite
def boin_combs(draw):
    grid = draw(grids(min_side=2))
    target = draw(targets)
    cohort = draw(st.integers(1, 4))
    max_n = draw(st.integers(cohort, 45))
    phi = draw(st.sampled_from([None, (0.6, 1.4), (0.5, 1.5), (0.75, 1.25)]))
    return BoinComb(
        target=target,
        grid=grid,
        cohort_size=cohort,
        max_n=max_n,
        start=grid.label(draw(st.sampled_from(included(grid)))),
        phi1=None if phi is None else phi[0] * target,
        phi2=None if phi is None else phi[1] * target,
        cutoff_eli=draw(st.sampled_from([0.9, 0.95, 0.99])),
        extrasafe=draw(st.booleans()),
        n_earlystop=draw(st.one_of(st.just(100), st.integers(3, 40))),
        bound_mtd=draw(st.booleans()),
        rules=draw(st.sampled_from(["get.oc.comb", "next.comb"])),
        modifiers=draw(grid_modifiers(grid, max_n)),
    )


@st.composite
def pocrms(draw):
    grid = draw(grids(min_side=1))
    target = draw(targets)
    cohort = draw(st.integers(1, 4))
    max_n = draw(st.integers(cohort, 45))
    cells = included(grid)
    R_ = len(cells)
    kw = {}
    if draw(st.booleans()):
        # wider half-widths make Lee & Cheung's skeleton underflow on 12 cells: see
        # test_degenerate_calibration_is_refused_with_a_spec_error
        kw["skeleton_halfwidth"] = draw(st.floats(0.01, 0.3 * min(target, 1 - target)))
        kw["skeleton_nu"] = draw(st.integers(1, R_))
    else:
        lo = draw(st.floats(0.01, 0.3))
        hi = draw(st.floats(lo + 0.05, 0.9))
        kw["skeleton"] = tuple(float(x) for x in np.linspace(lo, hi, R_)) if R_ > 1 else (lo,)
    typical = typical_orderings(grid)
    if draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(typical), unique=True, min_size=1, max_size=len(typical)))
        kw["orderings"] = tuple(chosen)
    M = len(kw.get("orderings", typical))
    if draw(st.booleans()):
        w = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=M, max_size=M)))
        kw["ordering_prior"] = tuple(float(x) for x in w / w.sum())
    start = grid.label(draw(st.sampled_from(cells)))
    if draw(st.booleans()):
        rest = draw(st.lists(st.sampled_from(cells), max_size=6))
        kw["stage1"] = (start, *(grid.label(c) for c in rest))
    return PoCrm(
        target=target,
        grid=grid,
        cohort_size=cohort,
        max_n=max_n,
        start=start,
        estimation=draw(st.sampled_from(["bayes", "likelihood"])),
        ordering_choice=draw(st.sampled_from(["max", "random"])),
        stop_n=draw(st.one_of(st.none(), st.integers(1, 20))),
        prior_sd=draw(st.sampled_from([1.34, 0.7, 2.0])),
        modifiers=draw(grid_modifiers(grid, max_n)),
        **kw,
    )


grid_designs = st.one_of(boin_combs(), pocrms())


# ---- helpers -----------------------------------------------------------------------------------------------
def too_toxic(m: StopWhenTooToxic, n_at, tox_at, doses) -> bool:
    """The stop_when_too_toxic rule on the counts, computed here from its definition."""
    n, y = int(n_at[m.dose_index(doses)]), int(tox_at[m.dose_index(doses)])
    return n >= m.min_n and betaincc(m.prior_a + y, m.prior_b + n - y, m.threshold) > m.confidence


def eliminated_by(design: BoinComb, n: int, y: int) -> bool:
    """BOIN's elimination rule for one cell: >= 3 patients and #DLT at or above the elimination boundary."""
    if n < 3:
        return False
    b_elim = design.integer_boundaries(n)[2]
    return b_elim is not None and y >= b_elim


def lower_cell(grid: DoseGrid, admissible, cell: int) -> int:
    """Naive: the admissible cell below-left of ``cell`` (both levels <=) with the largest j + k, then
    the largest j; -1 if none."""
    j, k = grid.coords(cell)
    best = sorted(
        (jj + kk, jj, jj * grid.n_cols + kk)
        for jj in range(j + 1)
        for kk in range(k + 1)
        if admissible[jj * grid.n_cols + kk]
    )
    return best[-1][2] if best else -1


def boin_comb_candidates(design: BoinComb, admissible, n_at, tox_at, cur: int, up: bool) -> list[int]:
    """The cells BOIN-comb may move to from ``cur``: adjacent, admissible after this decision's
    eliminations and, with the next.comb rules, escalations not blocked by an observed rate >= lambda_d."""
    grid = design.grid
    J, K = grid.n_rows, grid.n_cols
    j, k = grid.coords(cur)
    lam_d = design.boundaries[1]
    out = []
    steps = ((1, 0), (0, 1)) if up else ((-1, 0), (0, -1))
    for dj, dk in steps:
        jj, kk = j + dj, k + dk
        if not (0 <= jj < J and 0 <= kk < K) or not admissible[jj * K + kk]:
            continue
        if up and design.rules == "next.comb":
            if dj == 1:
                blockers = [(jj, x) for x in range(k + 1)]
            else:
                blockers = [(x, kk) for x in range(j + 1)]
            rate = [tox_at[a * K + b] / max(n_at[a * K + b], 1) for a, b in blockers]
            if max(rate) >= lam_d:
                continue
        out.append(jj * K + kk)
    return out


def boin_comb_score(design: BoinComb, n_at, tox_at, c: int) -> float:
    """The package's candidate score: P(lambda_e < p < lambda_d | Beta(y + 1/2, n - y + 1/2)) + n / 2000."""
    n, y = int(n_at[c]), int(tox_at[c])
    return float(design.interval_table(n)[n, y]) + n * 5e-4


def direction(grid: DoseGrid, cur: int, nxt: int) -> int:
    return sum(grid.coords(nxt)) - sum(grid.coords(cur))


def pocrm_model_cells(design: PoCrm, n_at, tox_at) -> set[int]:
    """The cells PO-CRM's model step may choose: the estimate closest to the target under an ordering the
    rule can pick (the most probable ones, or with ``ordering_choice = "random"`` any ordering)."""
    summary = pocrm_posterior_summary(design, n_at, tox_at)
    prob = summary["ordering_prob"]
    alpha = design.alpha()
    out = set()
    for m in range(len(design.orderings)):
        if design.ordering_choice == "max" and prob[m] < prob.max() * (1 - 1e-7):  # not among the tied best
            continue
        est = alpha[m] ** math.exp(summary["b_hat"][m])
        gap = np.where(np.isnan(est), np.inf, np.abs(est - design.target))
        out |= set(np.flatnonzero(gap <= gap.min() + 1e-12).tolist())
    return out


def stage1_cell(design: PoCrm, n_total: int) -> int:
    path = design.stage1
    return design.grid.index(path[min(n_total // design.cohort_size, len(path) - 1)])


def check_final_counts(design, n_at, tox_at, status, reason, selected):
    """Status, reason and selection of one finished trial against its final counts (engine or replay)."""
    grid = design.grid
    status, reason, selected = Status(int(status)), Reason(int(reason)), int(selected)
    n_total = int(n_at.sum())
    mods = design.modifiers
    excl = grid.excluded_mask
    assert np.all(n_at[excl] == 0), "patients were treated at an excluded cell"
    assert np.all((tox_at >= 0) & (tox_at <= n_at))
    assert n_at[design.start_dose - 1] > 0, "the start cell was not used"
    assert n_total <= design.max_n
    assert n_total % design.cohort_size == 0 or n_total == design.max_n, "a cohort was cut short early"
    assert status in (Status.STOP_SELECT, Status.STOP_NO_DOSE)
    assert reason in (NO_DOSE_REASONS if status == Status.STOP_NO_DOSE else SELECT_REASONS), (status, reason)
    assert -1 <= selected < grid.n_cells
    if selected >= 0:
        assert not excl[selected], "an excluded cell was selected"
    if status == Status.STOP_NO_DOSE:
        assert selected == -1
    # every reason is one the design and its modifiers can give, on counts that allow it
    assert reason != R.NO_ADMISSIBLE_DOSE, "cell 1.1 is never excluded, so an admissible lower cell exists"
    if reason == R.MAX_N:
        assert n_total == design.max_n
    if reason == R.STOP_AT_N:
        assert any(isinstance(m, StopAtN) and n_total >= m.n for m in mods)
    if reason == R.STOP_N_AT_DOSE:
        assert any(
            isinstance(m, StopWhenNAtDose)
            and (n_at.max() if m.dose in ("recommended", "any") else n_at[m.dose_index(design.doses)]) >= m.n
            for m in mods
        )
    # the too-toxic rule is checked after every cohort, on counts that do not change afterwards
    fires = any(isinstance(m, StopWhenTooToxic) and too_toxic(m, n_at, tox_at, design.doses) for m in mods)
    assert (reason == R.TOO_TOXIC) == fires, (reason, fires)
    if design.kind == "boin_comb":
        assert reason != R.POCRM_STOP_N
        if reason == R.BOIN_COMB_EARLYSTOP_N:
            assert n_at.max() >= design.n_earlystop
        if reason == R.BOIN_COMB_EXTRASAFE:
            assert design.extrasafe and n_at[0] >= 3
        # cell 1.1's counts after its last cohort are its final counts: elimination there ends the trial
        lowest_out = eliminated_by(design, int(n_at[0]), int(tox_at[0]))
        if reason == R.BOIN_COMB_LOWEST_ELIMINATED:
            assert lowest_out
        if lowest_out:
            assert status == Status.STOP_NO_DOSE
        if selected >= 0:
            assert n_at[selected] > 0, "BOIN-comb selected an untried cell"
        if status == Status.STOP_SELECT and selected < 0:
            assert design.bound_mtd or design.extrasafe, "no cell selected without bound_mtd or extrasafe"
    else:
        assert reason not in (R.BOIN_COMB_LOWEST_ELIMINATED, R.BOIN_COMB_EXTRASAFE, R.BOIN_COMB_EARLYSTOP_N)
        if reason == R.POCRM_STOP_N:
            assert design.stop_n is not None and n_at.max() >= design.stop_n
        if status == Status.STOP_SELECT:
            assert selected >= 0, "PO-CRM stopped to select but selected nothing"
            if tox_at.sum() == 0:
                assert selected == stage1_cell(design, n_total), "no DLT: the next stage-1 cell is the MTD"


# ---- the engine --------------------------------------------------------------------------------------------
@settings(deadline=None)
@given(data=st.data())
def test_engine_invariants(data):
    design = data.draw(grid_designs)
    truth = data.draw(truths(design.grid))
    seed = data.draw(st.integers(0, 2**40))
    scen = Scenario("g", truth)
    n_trials = 30
    res = simulate_one(design, scen, n_trials, seed)
    for t in range(n_trials):
        check_final_counts(
            design, res.n_at_dose[t], res.tox_at_dose[t], res.status[t], res.reason[t], res.selected[t]
        )
    # the same seed gives the same trials for any threads, chunks, blocks of trials and cache
    runs = {
        "1 thread": simulate_one(design, scen, n_trials, seed, threads=1, chunks=1),
        "2 threads, 7 chunks": simulate_one(
            design, scen, n_trials, seed, threads=THREADS, chunks=7, block_trials=11
        ),
        "posterior cache": simulate_one(
            design, scen, n_trials, seed, cache=PosteriorCache.for_design(design)
        ),
    }
    head = simulate_one(design, scen, 13, seed)
    tail = simulate_one(design, scen, n_trials - 13, seed, first_trial=13)
    for name, other in runs.items():
        for f in ("selected", "n_at_dose", "tox_at_dose", "status", "reason"):
            np.testing.assert_array_equal(getattr(res, f), getattr(other, f), err_msg=f"{name}: {f}")
    for f in ("selected", "n_at_dose", "tox_at_dose", "status", "reason"):
        joined = np.concatenate([getattr(head, f), getattr(tail, f)])
        np.testing.assert_array_equal(getattr(res, f), joined, err_msg=f"blocks of trials: {f}")


# ---- trial paths -----------------------------------------------------------------------------------------
def check_boin_comb_step(design: BoinComb, before: DecisionContext, ctx: DecisionContext, step, u: float):
    grid = design.grid
    cur, nxt = step.dose, step.next_dose
    adm = np.array(step.admissible)
    n, y = int(ctx.n_at[cur]), int(ctx.tox_at[cur])
    b_e, b_d, _ = design.integer_boundaries(n)
    base = step.base_next
    # n_earlystop: next.comb stops whatever the decision, get.oc.comb when the rule stays at the cell
    if n >= design.n_earlystop and (design.rules == "next.comb" or base == cur):
        assert step.status != Status.CONTINUE, "n_earlystop patients at the cell but the trial went on"
    if step.base_reason == R.BOIN_COMB_EARLYSTOP_N:
        assert n >= design.n_earlystop
        if design.rules == "get.oc.comb":  # only where the rule, without n_earlystop, stays at the cell
            twin = DecisionContext(design.replace(n_earlystop=10_000))
            twin.n_at[:], twin.tox_at[:], twin.admissible[:] = before.n_at, before.tox_at, before.admissible
            assert twin.treat(cur, step.n, step.tox, full=False, u_tie=u).base_next == cur
    if step.status != Status.CONTINUE:
        return
    move = tuple(np.subtract(grid.coords(nxt), grid.coords(cur)))
    if move in UP:
        assert y <= b_e, f"escalated from {y}/{n}"
        assert step.base_reason == R.BOIN_COMB_ESCALATE
        cands = boin_comb_candidates(design, adm, ctx.n_at, ctx.tox_at, cur, up=True)
    elif move in DOWN:
        assert y >= b_d, f"de-escalated from {y}/{n}"
        assert step.base_reason in (R.BOIN_COMB_DEESCALATE, R.BOIN_COMB_DEESCALATE_ELIMINATED)
        assert (step.base_reason == R.BOIN_COMB_DEESCALATE_ELIMINATED) == (not adm[cur])
        cands = boin_comb_candidates(design, adm, ctx.n_at, ctx.tox_at, cur, up=False)
    elif move == (0, 0):
        assert adm[cur], "stayed at an eliminated cell"
        if step.base_reason == R.BOIN_COMB_STAY:
            assert b_e < y < b_d, f"stayed with {y}/{n}"
        elif step.base_reason == R.BOIN_COMB_STAY_NO_ESCALATION:
            assert y <= b_e and not boin_comb_candidates(design, adm, ctx.n_at, ctx.tox_at, cur, up=True)
        else:
            assert step.base_reason == R.BOIN_COMB_STAY_BOTTOM, step.base_reason
            assert y >= b_d and not boin_comb_candidates(design, adm, ctx.n_at, ctx.tox_at, cur, up=False)
    else:
        # the only other move: the rule stayed at a cell it had just eliminated, with no adjacent lower
        # cell open, and the engine moved to the nearest admissible cell below-left (a diagonal or longer)
        assert not adm[cur] and base == cur and step.base_reason == R.BOIN_COMB_STAY_BOTTOM, (move, step)
        assert nxt == lower_cell(grid, adm, cur)
        assert move[0] <= 0 and move[1] <= 0
    if move in UP or move in DOWN:
        # an adjacent cell the rule may move to, the better-scoring one (exact ties at random)
        assert nxt in cands, (grid.label(cur), grid.label(nxt), [grid.label(c) for c in cands])
        scores = {c: boin_comb_score(design, ctx.n_at, ctx.tox_at, c) for c in cands}
        assert scores[nxt] >= max(scores.values()) - 1e-12, scores
    # more DLTs in the same cohort never give a higher move
    if step.tox < step.n:
        worse = before.copy().treat(cur, step.n, step.tox + 1, full=False, u_tie=u)
        if worse.status == Status.CONTINUE:
            assert direction(grid, cur, worse.next_dose) <= direction(grid, cur, nxt), (step, worse)


def check_pocrm_step(design: PoCrm, ctx: DecisionContext, step):
    n_at, tox_at = ctx.n_at, ctx.tox_at
    n_total, n_tox = int(n_at.sum()), int(tox_at.sum())
    base = step.base_next
    assert not design.grid.excluded_mask[base]
    stage1 = n_tox == 0
    all_dlt = design.estimation == "likelihood" and n_tox == n_total
    if stage1:
        assert base == stage1_cell(design, n_total) and step.base_reason in (R.POCRM_STAGE1, R.POCRM_STOP_N)
    elif all_dlt:
        assert base == stage1_cell(design, 0) and step.base_reason in (R.POCRM_ALL_DLT, R.POCRM_STOP_N)
    else:
        assert step.base_reason in (R.POCRM_MODEL, R.POCRM_STOP_N)
        assert base in pocrm_model_cells(design, n_at, tox_at), (base, step)
    if design.stop_n is not None:
        over = n_at.max() > design.stop_n if stage1 or all_dlt else n_at[base] >= design.stop_n
        assert (step.base_reason == R.POCRM_STOP_N) == over
    if step.status == Status.CONTINUE:
        assert step.next_dose == base, "PO-CRM's cell was moved although it is admissible"


def check_replayed_trials(design, truth, seed: int, n_trials: int) -> list[tuple[int, int]]:
    """Replay trials 0..n_trials-1 cohort by cohort and check every decision and the final result against
    the engine's, and against live use (the trial's outcome notation through ``replay_data``); returns
    the (cell, next cell) of every continuing decision."""
    scen = Scenario("g", truth)
    res = simulate_one(design, scen, n_trials, seed)
    u_tox = latent_uniforms(seed, scen.key, n_trials, design.max_n)
    u_design = latent_uniforms(seed, scen.key, n_trials, design.max_n, stream=STREAM_DESIGN)
    grid = design.grid
    K = grid.n_cols
    p = np.asarray(truth)
    moves = []
    for t in range(n_trials):
        tokens, u_ties, steps = [], [], []
        ctx = DecisionContext(design)
        cur = design.start_dose - 1
        open_ = ~grid.excluded_mask  # admissible cells, tracked here from the elimination rule
        i = 0
        while True:
            assert open_[cur], f"cohort {i} at cell {grid.label(cur)}, excluded or eliminated"
            before = ctx.copy()
            size = min(design.cohort_size, design.max_n - ctx.n_total)
            start = ctx.n_total
            assert size == design.cohort_size or start + size == design.max_n
            dlt = u_tox[t, start : start + size] < p[cur]
            tox = int(dlt.sum())
            u = float(u_design[t, i])
            step = ctx.treat(cur, size, tox, full=False, u_tie=u)
            tokens.append(grid.label(cur) + "".join("T" if x else "N" for x in dlt))
            u_ties.append(u)
            steps.append(step)
            if design.kind == "boin_comb":
                for c in range(grid.n_cells):
                    if eliminated_by(design, int(ctx.n_at[c]), int(ctx.tox_at[c])):
                        j, k = grid.coords(c)
                        for jj in range(j, grid.n_rows):
                            open_[jj * K + k : (jj + 1) * K] = False
                check_boin_comb_step(design, before, ctx, step, u)
            else:
                check_pocrm_step(design, ctx, step)
            np.testing.assert_array_equal(np.array(step.admissible), open_, err_msg=f"cohort {i}")
            # modifiers: a continuing trial is one no stop rule applies to
            if step.status == Status.CONTINUE:
                n_total = ctx.n_total
                assert n_total < design.max_n
                for m in design.modifiers:
                    if isinstance(m, StopAtN):
                        assert n_total < m.n
                    elif isinstance(m, StopWhenNAtDose):
                        which = {"recommended": ctx.n_at[step.base_next], "any": ctx.n_at.max()}
                        count = which[m.dose] if m.dose in which else ctx.n_at[m.dose_index(design.doses)]
                        assert count < m.n
                    elif isinstance(m, StopWhenTooToxic):
                        assert not too_toxic(m, ctx.n_at, ctx.tox_at, design.doses)
                assert 0 <= step.next_dose < grid.n_cells
                moves.append((cur, step.next_dose))
            i += 1
            if step.status != Status.CONTINUE:
                break
            cur = step.next_dose
        selected = ctx.select(full=False) if step.status == Status.STOP_SELECT else -1
        check_final_counts(design, ctx.n_at, ctx.tox_at, step.status, step.reason, selected)
        # the replay is the engine's trial
        np.testing.assert_array_equal(ctx.n_at, res.n_at_dose[t], err_msg=f"trial {t}")
        np.testing.assert_array_equal(ctx.tox_at, res.tox_at_dose[t], err_msg=f"trial {t}")
        assert (step.status, step.reason, selected) == (res.status[t], res.reason[t], res.selected[t])
        # live use: the trial written in the outcome notation, read back and replayed with the same uniforms
        text = " ".join(tokens)
        trial_data = parse_outcomes(text, design.doses, cells=True)
        assert trial_data.to_notation() == text
        live, live_steps = replay_data(design, trial_data, u_ties=u_ties)
        assert [(s.next_dose, s.status, s.reason) for s in live_steps] == [
            (s.next_dose, s.status, s.reason) for s in steps
        ]
        np.testing.assert_array_equal(live.admissible, ctx.admissible)
        if step.status == Status.STOP_SELECT:
            assert live.select() == selected
        # replay_simulated_trial (the trial's key, both latent streams) is the engine's trial, ties included
        trace = replay_simulated_trial(design, scen, seed, t)
        np.testing.assert_array_equal(trace.n_at, res.n_at_dose[t])
        np.testing.assert_array_equal(trace.tox_at, res.tox_at_dose[t])
        assert (trace.status, trace.cohorts[-1].reason, trace.selected) == (
            res.status[t],
            res.reason[t],
            res.selected[t],
        )
    return moves


@settings(deadline=None)
@given(data=st.data())
def test_trial_paths(data):
    """Trials replayed cohort by cohort: equal to the engine's, every cohort at an included cell the design
    had not eliminated, the design's own rules for the next cell, modifiers respected."""
    design = data.draw(grid_designs)
    check_replayed_trials(design, data.draw(truths(design.grid)), data.draw(st.integers(0, 2**40)), 4)


@pytest.mark.parametrize(
    ("shape", "excluded", "start", "lands"),
    [
        ((2, 2), ("1.2", "2.1"), "2.2", "1.1"),  # diagonal
        ((3, 4), ("1.4", "2.3"), "2.4", "2.2"),  # two levels of drug B (j' + k' tie: larger j')
        ((3, 3), ("2.2", "2.3", "3.2"), "3.3", "3.1"),
    ],
)
def test_boin_comb_leaves_an_eliminated_cell_with_no_adjacent_lower_cell(shape, excluded, start, lands):
    """A start cell whose adjacent lower cells are excluded: when it is eliminated, the rule stays and the
    engine moves the next cohort to the nearest admissible cell below-left (largest j + k, then j)."""
    J, K = shape
    grid = DoseGrid(
        levels_a=tuple(f"a{j}" for j in range(J)),
        levels_b=tuple(f"b{k}" for k in range(K)),
        excluded=excluded,
    )
    design = BoinComb(target=0.3, grid=grid, max_n=15, start=start)
    truth = tuple(0.9 if c == grid.index(start) else 0.1 for c in range(grid.n_cells))
    moves = check_replayed_trials(design, truth, 11, 20)
    assert (grid.index(start), grid.index(lands)) in moves


# ---- specs -------------------------------------------------------------------------------------------------
@settings(deadline=None)
@given(design=grid_designs, data=st.data())
def test_dont_skip_is_refused_with_a_clear_error(design, data):
    mods = list(design.modifiers)
    i = data.draw(st.integers(0, len(mods)))
    mods.insert(i, DontSkip(escalation=data.draw(st.booleans()), deescalation=data.draw(st.booleans())))
    with pytest.raises(SpecError) as info:
        design.replace(modifiers=tuple(mods))
    err = info.value
    assert err.field == f"modifiers[{i}]"
    assert "dont_skip" in err.problem and "grid" in err.problem and err.fix
    spec = design.to_dict()
    spec["modifiers"] = [m.to_dict() for m in mods]
    with pytest.raises(SpecError) as info:
        design_from_dict(spec)
    assert info.value.field == f"design.modifiers[{i}]"
    assert "dont_skip" in info.value.problem


@settings(deadline=None)
@given(design=grid_designs)
def test_spec_round_trip(design):
    again = design_from_dict(design.to_dict())
    assert again == design and again.config_hash() == design.config_hash()
    text = tomli_w.dumps({"design": design.to_dict()})
    assert design_from_dict(tomllib.loads(text)["design"]) == design


@settings(deadline=None)
@given(grid=grids(min_side=1))
def test_grid_shape_and_start_cell_are_checked(grid):
    if grid.n_rows >= 2 and grid.n_cols >= 2:
        assert BoinComb(target=0.3, grid=grid, max_n=12).grid == grid
    else:
        with pytest.raises(SpecError) as info:
            BoinComb(target=0.3, grid=grid, max_n=12)
        assert info.value.field == "grid" and info.value.fix
    for label in grid.excluded:
        with pytest.raises(SpecError) as info:
            PoCrm(target=0.3, grid=grid, max_n=12, start=label, skeleton_halfwidth=0.05, skeleton_nu=1)
        assert info.value.field == "start" and "excluded" in info.value.problem


@pytest.mark.parametrize("halfwidth", [0.15625, 0.171875])
def test_degenerate_calibration_is_refused_with_a_spec_error(halfwidth):
    grid = DoseGrid(levels_a=("a0", "a1"), levels_b=("b0", "b1", "b2", "b3"))
    try:
        design = PoCrm(target=0.2, grid=grid, max_n=24, skeleton_halfwidth=halfwidth, skeleton_nu=7)
    except SpecError as e:
        assert e.field in ("skeleton_halfwidth", "skeleton_nu")  # refused where the spec can be fixed
        return
    design.compile()  # or accepted and usable: it compiles and survives the round trip
    assert design_from_dict(design.to_dict()) == design
