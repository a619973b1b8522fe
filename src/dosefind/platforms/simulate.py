"""Simulate platforms: one row per simulated platform (columnar PlatformResult), block by block.

Each block runs every arm's escalation (:func:`dosefind.engine.platform.platform_escalations`: the arm
kernel's ``escalate`` on the arm's own patients) and then the platform loop
(:func:`dosefind.engine.platform.run_platform_chunks`) that lays them on the platform's clock and runs the
extensions. Platform t is a pure function of (seed, scenario, t): threads, chunks and blocks change the
speed only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..arm.simulate import arm_arrays
from ..arm.spec import ArmScenario
from ..designs import layout as L
from ..engine.copula import RESPONSE_BINS
from ..engine.platform import (
    ALLOC_LEAST_ENROLLED,
    ALLOC_PRIORITY,
    ALLOC_PROBABILITY,
    ALLOC_RANDOM,
    N_MONTHS,
    N_PLATFORM_ARM_TIME,
    N_PLATFORM_COLUMNS,
    platform_escalations,
    run_platform_chunks,
)
from ..engine.simulate import CRM_CACHE_CAPACITY, check_run, run_chunked, run_in_blocks, work_size
from ..errors import SpecError
from .spec import Platform, PlatformScenario, check_platform_design

#: platform trials held at once (memory is flat in the number of platforms)
PLATFORM_BLOCK = 20_000
RULE_CODE = {
    "random": ALLOC_RANDOM,
    "priority": ALLOC_PRIORITY,
    "least_enrolled": ALLOC_LEAST_ENROLLED,
    "probability": ALLOC_PROBABILITY,
}


@dataclass(frozen=True, eq=False)
class ArmRows:
    """One arm's rows of a block of platforms: escalation (``selected``, ``status``, ``reason``,
    ``n_at_dose``, ``tox_at_dose``, ``eff_at_dose`` [T, D]) and, from the platform loop, per cohort [T, C]
    ``new_n``, ``counted``, ``responses``, ``tox``, ``decision``, ``look``, ``cohort_day``; ``safety_stop``,
    ``treated`` (children the arm took) [T]; ``time`` [T, 5], the ``P_*`` columns of
    :mod:`dosefind.engine.platform` (days from the platform's opening)."""

    name: str
    scenario: ArmScenario
    selected: np.ndarray
    status: np.ndarray
    reason: np.ndarray
    n_at_dose: np.ndarray
    tox_at_dose: np.ndarray
    eff_at_dose: np.ndarray
    new_n: np.ndarray
    counted: np.ndarray
    responses: np.ndarray
    tox: np.ndarray
    decision: np.ndarray
    look: np.ndarray
    cohort_day: np.ndarray
    safety_stop: np.ndarray
    treated: np.ndarray
    time: np.ndarray

    @property
    def opened(self) -> np.ndarray:
        return ~np.isnan(self.time[:, 2])


@dataclass(frozen=True, eq=False)
class PlatformResult:
    """A block of simulated platforms: ``arms`` (one :class:`ArmRows` each), ``platform`` [T, 5], the
    ``Q_*`` columns (duration, screened, not matched, treated, truncated), and ``monthly`` [2, A + 2,
    N_MONTHS]: over the block's platforms, the sums of each platform's cumulative children by calendar
    month (rows: each arm's, screened, not matched; :data:`dosefind.engine.platform.MONTH_DAYS`) and of
    their squares."""

    platform: Platform
    scenario: PlatformScenario
    seed: int
    first_trial: int
    arms: tuple[ArmRows, ...]
    columns: np.ndarray
    monthly: np.ndarray

    @property
    def n_trials(self) -> int:
        return int(self.columns.shape[0])


def platform_arrays(platform: Platform, scenario: PlatformScenario) -> dict:
    """The arrays the platform kernel reads (arms padded to the most cohorts, looks and doses)."""
    arms = platform.arms
    A = len(arms)
    pop = platform.population
    names = pop.biomarker_names
    bit = {n: 1 << i for i, n in enumerate(names)}
    prevalence = np.array([p for _, p in pop.biomarkers], dtype=np.float64)
    if pop.profiles:
        joint_cum = np.cumsum([p for _, p in pop.profiles]).astype(np.float64)
        joint_mask = np.array([sum(bit[n] for n in set(s)) for s, _ in pop.profiles], dtype=np.int64)
    else:
        joint_cum, joint_mask = np.zeros(0), np.zeros(0, dtype=np.int64)
    hist_cum = np.cumsum([p for _, p in pop.histology]) if pop.histology else np.ones(1)
    age_cum = np.cumsum([p for _, p in pop.age_group]) if pop.age_group else np.ones(1)
    H, G = hist_cum.shape[0], age_cum.shape[0]
    hist_names = [n for n, _ in pop.histology]
    age_names = [n for n, _ in pop.age_group]

    def rule_rows(rules):
        """Biomarker bits, allowed histologies and age groups per rule set (None: no rule)."""
        bm = np.zeros(len(rules), dtype=np.int64)
        hist_ok = np.ones((len(rules), H), dtype=np.int8)
        age_ok = np.ones((len(rules), G), dtype=np.int8)
        for r, e in enumerate(rules):
            if e is None:
                continue
            bm[r] = sum(bit[n] for n in e.biomarkers)
            if e.histology:
                hist_ok[r] = [int(n in e.histology) for n in hist_names]
            if e.age_group:
                age_ok[r] = [int(n in e.age_group) for n in age_names]
        return bm, hist_ok, age_ok

    arm_bm, hist_ok, age_ok = rule_rows(arms)
    index = {a.name: i for i, a in enumerate(arms)}
    Cm = max(len(a.arm.cohorts) for a in arms)
    # row a * Cm + c: cohort c of arm a's own rules (within the arm's)
    own = [{e.cohort: e for e in a.cohort_eligibility} for a in arms]
    coh_bm, coh_hist_ok, coh_age_ok = rule_rows(
        [
            own[i].get(a.arm.cohorts[c].name) if c < len(a.arm.cohorts) else None
            for i, a in enumerate(arms)
            for c in range(Cm)
        ]
    )
    xs = [arm_arrays(a.arm, a.scenario(s)) for a, s in zip(arms, scenario.arm_scenarios, strict=True)]
    Lm = max(x["looks"].shape[1] for x in xs)
    Dm = max(a.arm.design.n_doses for a in arms)
    Nm = max(x["safety"].shape[0] for x in xs)
    looks = np.zeros((A, Cm, Lm), dtype=np.int64)
    futility = np.full((A, Cm, Lm), -1, dtype=np.int64)
    efficacy = np.zeros((A, Cm, Lm), dtype=np.int64)
    n_looks = np.ones((A, Cm), dtype=np.int64)
    carry = np.zeros((A, Cm), dtype=np.int64)
    coh_prob = np.zeros((A, Cm, Dm))
    coh_tab = np.zeros((A, Cm, Dm, RESPONSE_BINS + 1))
    true_tox = np.zeros((A, Dm))
    safety = np.zeros((A, Nm, Nm), dtype=np.int8)
    timings = [platform.arm_timing(i).compile() for i in range(A)]
    for i, x in enumerate(xs):
        C, Lx = x["looks"].shape
        D = x["true_tox"].shape[0]
        looks[i, :C, :Lx] = x["looks"]
        futility[i, :C, :Lx] = x["futility"]
        efficacy[i, :C, :Lx] = x["efficacy"]
        n_looks[i, :C] = x["n_looks"]
        carry[i, :C] = arms[i].counts_escalation()  # the platform's count_escalation where it gives one
        coh_prob[i, :C, :D] = x["coh_prob"]
        coh_tab[i, :C, :D] = x["coh_tab"]
        true_tox[i, :D] = x["true_tox"]
        n = x["safety"].shape[0]
        safety[i, :n, :n] = x["safety"]
    ti, tf = platform.timing.compile()
    pend = _pending_arrays(platform, xs, Dm)
    return dict(
        **pend,
        ti=ti,
        tf=tf,
        prevalence=prevalence,
        joint_cum=joint_cum,
        joint_mask=joint_mask,
        hist_cum=np.asarray(hist_cum, dtype=np.float64),
        age_cum=np.asarray(age_cum, dtype=np.float64),
        arm_bm=arm_bm,
        hist_ok=hist_ok,
        age_ok=age_ok,
        coh_bm=coh_bm,
        coh_hist_ok=coh_hist_ok,
        coh_age_ok=coh_age_ok,
        opens_day=np.array([a.opens_day for a in arms], dtype=np.float64),
        opens_after=np.array([index[a.opens_after] if a.opens_after else -1 for a in arms], dtype=np.int64),
        order=np.array(platform.opening_order(), dtype=np.int64),
        weight=np.array([a.weight for a in arms], dtype=np.float64),
        rule=np.int64(RULE_CODE[platform.allocation]),
        max_children=np.int64(platform.max_children),
        cohort_size=np.array([a.arm.design.compile().ip[L.IP_COHORT_SIZE] for a in arms], dtype=np.int64),
        n_coh=np.array([len(a.arm.cohorts) for a in arms], dtype=np.int64),
        arm_ti=np.stack([t[0] for t in timings]),
        arm_tf=np.stack([t[1] for t in timings]),
        resp_days=np.array([platform.arm_timing(i).response_assessment_days for i in range(A)]),
        open_min=np.array([a.arm.open_min_responses for a in arms], dtype=np.int64),
        true_tox=true_tox,
        rho=np.array([x["rho"] for x in xs], dtype=np.float64),
        coh_prob=coh_prob,
        coh_tab=coh_tab,
        looks=looks,
        futility=futility,
        efficacy=efficacy,
        n_looks=n_looks,
        carry=carry,
        safety=safety,
        safety_on=np.array([x["safety_on"] for x in xs], dtype=np.bool_),
        xs=xs,
    )


def _pending_arrays(platform: Platform, xs: list[dict], Dm: int) -> dict:
    """The compiled designs of the arms that decide with pending patients, padded over the arms (zeros
    for the others, which escalate from precomputed rows), and every arm's escalation response model."""
    arms = platform.arms
    A = len(arms)
    pending = np.array([int(a.arm.design.uses_pending) for a in arms], dtype=np.int8)
    for a in arms:
        check_platform_design(f"arms.{a.name}.design", a.arm.design)
    comp = [a.arm.design.compile() if p else None for a, p in zip(arms, pending, strict=True)]
    live = [c for c in comp if c is not None]
    n_ip = len(live[0].ip) if live else 1
    n_fp = len(live[0].fp) if live else 1
    t_shape = tuple(max([c.tables.shape[k] for c in live], default=1) for k in range(3))
    Mm = max([c.mods.shape[0] for c in live], default=0)
    g_shape = tuple(max([c.grid.shape[k] for c in live], default=1) for k in range(2))
    p_ip = np.zeros((A, n_ip), dtype=np.int64)
    p_fp = np.zeros((A, n_fp))
    p_tables = np.zeros((A, *t_shape), dtype=np.int8)
    p_grid = np.zeros((A, *g_shape))
    p_mods = np.zeros((A, Mm, 4), dtype=np.int64)
    n_mods = np.zeros(A, dtype=np.int64)
    for i, c in enumerate(comp):
        if c is None:
            continue
        p_ip[i] = c.ip
        p_fp[i] = c.fp
        t = c.tables
        p_tables[i, : t.shape[0], : t.shape[1], : t.shape[2]] = t
        p_mods[i, : c.mods.shape[0]] = c.mods
        g = c.grid
        p_grid[i, : g.shape[0], : g.shape[1]] = g
        n_mods[i] = c.mods.shape[0]
    eff_prob = np.zeros((A, Dm))
    eff_tab = np.zeros((A, Dm, RESPONSE_BINS + 1))
    for i, x in enumerate(xs):
        D = x["eff_prob"].shape[0]
        eff_prob[i, :D] = x["eff_prob"]
        eff_tab[i, :D] = x["eff_tab"]
    return dict(
        pending=pending,
        p_ip=p_ip,
        p_fp=p_fp,
        p_tables=p_tables,
        p_grid=p_grid,
        p_mods=p_mods,
        n_mods=n_mods,
        eff_prob=eff_prob,
        eff_tab=eff_tab,
    )


KERNEL_ARGS = (
    "ti tf prevalence joint_cum joint_mask hist_cum age_cum arm_bm hist_ok age_ok coh_bm coh_hist_ok "
    "coh_age_ok opens_day opens_after "
    "order weight rule max_children cohort_size n_coh arm_ti arm_tf resp_days open_min true_tox rho "
    "coh_prob coh_tab looks futility efficacy n_looks carry safety safety_on "
    "pending p_ip p_fp p_tables p_grid p_mods n_mods eff_prob eff_tab"
).split()


def simulate_platform(
    platform: Platform,
    scenario: PlatformScenario,
    n_trials: int,
    seed: int,
    *,
    on_block: Callable[[PlatformResult], None],
    threads: int | None = None,
    chunks: int | None = None,
    block_trials: int = PLATFORM_BLOCK,
    first_trial: int = 0,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Simulate platform trials ``first_trial ..`` under ``scenario``, handing each block of rows to
    ``on_block`` (a :class:`PlatformResult` whose arrays are reused for the next block)."""
    check_run(n_trials, seed, first_trial)
    if not isinstance(scenario, PlatformScenario) or len(scenario.arm_scenarios) != len(platform.arms):
        raise SpecError("scenario", "not a scenario of this platform", "pass one of the spec's scenarios")
    x = platform_arrays(platform, scenario)
    arms = platform.arms
    A = len(arms)
    Cm = x["looks"].shape[1]
    B = min(int(n_trials), int(block_trials))
    max_esc = max(a.arm.design.max_n for a in arms)
    compiled = [a.arm.design.compile() for a in arms]
    esc = [
        dict(
            n_esc=np.empty(B, dtype=np.int64),
            sel=np.empty(B, dtype=np.int64),
            status=np.empty(B, dtype=np.int8),
            reason=np.empty(B, dtype=np.int8),
            n=np.empty((B, a.arm.design.n_doses), dtype=np.int16),
            tox=np.empty((B, a.arm.design.n_doses), dtype=np.int16),
            eff=np.empty((B, a.arm.design.n_doses), dtype=np.int16),
        )
        for a in arms
    ]
    n_esc = np.zeros((A, B), dtype=np.int64)
    sel = np.zeros((A, B), dtype=np.int64)
    n_sel = np.zeros((A, B), dtype=np.int64)
    y_sel = np.zeros((A, B), dtype=np.int64)
    r_sel = np.zeros((A, B), dtype=np.int64)
    pat_dose = np.zeros((A, B, max_esc), dtype=np.int16)
    pat_resp = np.zeros((A, B, max_esc), dtype=np.int8)
    Dm = x["eff_prob"].shape[1]
    # the escalation rows of the arms that decide with pending patients (written by the platform loop)
    esc_out = (
        np.zeros((A, B), dtype=np.int8),
        np.zeros((A, B), dtype=np.int8),
        np.zeros((A, B, Dm), dtype=np.int16),
        np.zeros((A, B, Dm), dtype=np.int16),
        np.zeros((A, B, Dm), dtype=np.int16),
    )
    out = dict(
        coh_new=np.zeros((B, A, Cm), dtype=np.int16),
        coh_counted=np.zeros((B, A, Cm), dtype=np.int16),
        coh_resp=np.zeros((B, A, Cm), dtype=np.int16),
        coh_tox=np.zeros((B, A, Cm), dtype=np.int16),
        coh_decision=np.zeros((B, A, Cm), dtype=np.int8),
        coh_look=np.zeros((B, A, Cm), dtype=np.int8),
        coh_day=np.zeros((B, A, Cm)),
        safety_stop=np.zeros((B, A), dtype=np.bool_),
        treated=np.zeros((B, A), dtype=np.int64),
        time=np.zeros((B, A, N_PLATFORM_ARM_TIME)),
        platform=np.zeros((B, N_PLATFORM_COLUMNS)),
    )
    key = np.int64(scenario.key)

    def run_block(done, stop, bounds):
        n = stop - done
        local = bounds - done
        offset = np.int64(first_trial + done)
        for i, a in enumerate(arms):
            if x["pending"][i]:  # escalates in the platform loop
                continue
            e, xa, c = esc[i], x["xs"][i], compiled[i]
            capacity = CRM_CACHE_CAPACITY if a.arm.design.uses_posterior_cache else 0

            def escalations(b, c=c, xa=xa, e=e, i=i, capacity=capacity):
                platform_escalations(
                    *c,
                    xa["true_tox"],
                    xa["eff_prob"],
                    xa["eff_tab"],
                    xa["rho"],
                    np.int64(seed),
                    key,
                    np.int64(i),
                    offset,
                    b,
                    capacity,
                    work_size(c),
                    e["n_esc"],
                    e["sel"],
                    e["status"],
                    e["reason"],
                    e["n"],
                    e["tox"],
                    e["eff"],
                    pat_dose[i],
                    pat_resp[i],
                )

            run_chunked(escalations, local)
            n_esc[i, :n] = e["n_esc"][:n]
            s = e["sel"][:n]
            sel[i, :n] = s
            rows = np.arange(n)
            ok = s >= 0
            pick = np.where(ok, s, 0)
            n_sel[i, :n] = np.where(ok, e["n"][rows, pick], 0)
            y_sel[i, :n] = np.where(ok, e["tox"][rows, pick], 0)
            r_sel[i, :n] = np.where(ok, e["eff"][rows, pick], 0)
        # contiguous (copies when n is short of the block): strided views would compile the platform
        # kernel a second time, for the last, shorter block of a run
        per_arm = [
            np.ascontiguousarray(v[:, :n])
            for v in (n_esc, sel, n_sel, y_sel, r_sel, pat_dose, pat_resp, *esc_out)
        ]

        # per chunk (thread) its own sums, added after: integers, so the split changes nothing
        month_sums = np.zeros((max(local.shape[0] - 1, 1), 2, A + 2, N_MONTHS), dtype=np.int64)

        def platforms(b):
            run_platform_chunks(
                *(x[k] for k in KERNEL_ARGS),
                np.int64(seed),
                key,
                offset,
                b,
                *per_arm,
                out["coh_new"],
                out["coh_counted"],
                out["coh_resp"],
                out["coh_tox"],
                out["coh_decision"],
                out["coh_look"],
                out["coh_day"],
                out["safety_stop"],
                out["treated"],
                out["time"],
                out["platform"],
                month_sums[int(np.searchsorted(local, b[0]))],
            )

        run_chunked(platforms, local)
        for i in np.flatnonzero(x["pending"]):  # the escalation rows the platform loop wrote
            e, D = esc[i], arms[i].arm.design.n_doses
            e["n_esc"][:n] = per_arm[0][i]
            e["sel"][:n] = per_arm[1][i]
            e["status"][:n] = per_arm[7][i]
            e["reason"][:n] = per_arm[8][i]
            e["n"][:n] = per_arm[9][i, :, :D]
            e["tox"][:n] = per_arm[10][i, :, :D]
            e["eff"][:n] = per_arm[11][i, :, :D]
        rows_ = []
        for i, a in enumerate(arms):
            C = len(a.arm.cohorts)
            e = esc[i]
            rows_.append(
                ArmRows(
                    name=a.name,
                    scenario=a.scenario(scenario.arm_scenarios[i]),
                    selected=e["sel"][:n],
                    status=e["status"][:n],
                    reason=e["reason"][:n],
                    n_at_dose=e["n"][:n],
                    tox_at_dose=e["tox"][:n],
                    eff_at_dose=e["eff"][:n],
                    new_n=out["coh_new"][:n, i, :C],
                    counted=out["coh_counted"][:n, i, :C],
                    responses=out["coh_resp"][:n, i, :C],
                    tox=out["coh_tox"][:n, i, :C],
                    decision=out["coh_decision"][:n, i, :C],
                    look=out["coh_look"][:n, i, :C],
                    cohort_day=out["coh_day"][:n, i, :C],
                    safety_stop=out["safety_stop"][:n, i],
                    treated=out["treated"][:n, i],
                    time=out["time"][:n, i],
                )
            )
        on_block(
            PlatformResult(
                platform,
                scenario,
                int(seed),
                int(first_trial + done),
                tuple(rows_),
                out["platform"][:n],
                month_sums.sum(axis=0),
            )
        )

    run_in_blocks(int(n_trials), run_block, threads=threads, chunks=chunks, block_trials=B, progress=progress)


def collect(
    platform: Platform, scenario: PlatformScenario, n_trials: int, seed: int, **kwargs
) -> PlatformResult:
    """All rows of a (small) run in one :class:`PlatformResult` (tests, plots): copies of every block."""
    parts: list[PlatformResult] = []

    def keep(r: PlatformResult):
        arms = tuple(
            ArmRows(
                **{
                    k: (np.array(getattr(a, k)) if isinstance(getattr(a, k), np.ndarray) else getattr(a, k))
                    for k in a.__dataclass_fields__
                }
            )
            for a in r.arms
        )
        parts.append(
            PlatformResult(
                r.platform, r.scenario, r.seed, r.first_trial, arms, np.array(r.columns), np.array(r.monthly)
            )
        )

    simulate_platform(platform, scenario, n_trials, seed, on_block=keep, **kwargs)
    if len(parts) == 1:
        return parts[0]
    arms = []
    for i, a in enumerate(parts[0].arms):
        fields = {}
        for k in a.__dataclass_fields__:
            vals = [getattr(p.arms[i], k) for p in parts]
            fields[k] = np.concatenate(vals) if isinstance(vals[0], np.ndarray) else vals[0]
        arms.append(ArmRows(**fields))
    return PlatformResult(
        platform,
        scenario,
        int(seed),
        parts[0].first_trial,
        tuple(arms),
        np.concatenate([p.columns for p in parts]),
        sum(p.monthly for p in parts),
    )
