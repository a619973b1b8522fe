"""Simulate arms: escalation + expansion cohorts, one row per simulated arm (columnar ArmResult)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..constants import CohortDecision
from ..engine.arm import N_ARM_TIME, run_arm_chunks
from ..engine.copula import response_table
from ..engine.simulate import (
    BLOCK_TRIALS,
    CRM_CACHE_CAPACITY,
    check_memory,
    check_run,
    run_chunked,
    run_in_blocks,
    work_size,
)
from ..errors import SpecError
from ..scenario.timing import Timing
from .spec import Arm, ArmScenario


@dataclass(frozen=True, eq=False)
class ArmResult:
    """Per-arm outcomes of one arm under one scenario.

    Escalation: ``selected`` (0-based dose or cell, -1 none), ``status``, ``reason``, ``n_at_dose``,
    ``tox_at_dose``, ``eff_at_dose`` [T, D]. Extension: ``opened`` [T]; per cohort [T, C]: ``new_n``
    (patients enrolled in the extension), ``counted`` (patients the rule counted, escalation patients
    included), ``responses`` (among the counted), ``tox`` (DLTs among the new patients), ``decision``
    (:class:`~dosefind.constants.CohortDecision`), ``look`` (0-based look at which the rule decided,
    -1 if it did not); ``safety_stop`` [T].

    In calendar time (``timing``): ``time`` [T, 6], the columns ``A_*`` of :mod:`dosefind.engine.arm`
    (the arm's duration, escalation's end, the extension's opening, patients turned away, mean wait, first
    patient at the selected dose, in days from the arm's opening), and ``cohort_day`` [T, C], the day each
    cohort decided (nan: the extension did not open).
    """

    arm: Arm
    scenario: ArmScenario
    seed: int
    selected: np.ndarray
    status: np.ndarray
    reason: np.ndarray
    n_at_dose: np.ndarray
    tox_at_dose: np.ndarray
    eff_at_dose: np.ndarray
    opened: np.ndarray
    new_n: np.ndarray
    counted: np.ndarray
    responses: np.ndarray
    tox: np.ndarray
    decision: np.ndarray
    look: np.ndarray
    safety_stop: np.ndarray
    first_trial: int = 0
    timing: Timing | None = None
    time: np.ndarray | None = None
    cohort_day: np.ndarray | None = None

    @property
    def n_trials(self) -> int:
        return int(self.selected.shape[0])

    @property
    def escalation_n(self) -> np.ndarray:
        return self.n_at_dose.sum(axis=1)

    @property
    def escalation_tox(self) -> np.ndarray:
        return self.tox_at_dose.sum(axis=1)

    @property
    def extension_n(self) -> np.ndarray:
        return self.new_n.sum(axis=1)

    @property
    def extension_tox(self) -> np.ndarray:
        return self.tox.sum(axis=1)

    @property
    def total_n(self) -> np.ndarray:
        return self.escalation_n + self.extension_n


def _check(arm: Arm, scenario: ArmScenario, n_trials, seed, first_trial, timing):
    check_run(n_trials, seed, first_trial)
    if timing is not None and not isinstance(timing, Timing):
        raise SpecError(
            "timing", f"expected a Timing, got {type(timing).__name__}", "pass Timing(...) or None"
        )
    if arm.design.uses_pending and timing is None:
        raise SpecError(
            "timing",
            f"the arm's design ({arm.design.kind}) decides with pending patients, which needs a clock",
            "add a [timing] section (patients_per_month, dlt_window_days) to the arm file",
        )
    if len(scenario.true_tox) != arm.design.n_doses:
        raise SpecError(
            "scenario.true_tox",
            f"scenario {scenario.name!r} has {len(scenario.true_tox)} doses "
            f"but the design has {arm.design.n_doses}",
            "give one probability per dose (or cell)",
        )
    for name, _ in scenario.cohort_response:
        if name not in arm.cohort_names:
            raise SpecError(
                f"scenario.cohort_response.{name}", "no cohort of that name", "use the arm's cohort names"
            )


def boundary_arrays(arm: Arm, pad: int = 0):
    """Each cohort's boundaries (``looks``, ``futility``, ``efficacy`` [C, longest rule + pad], ``n_looks``
    [C]) as the arm kernel reads them; padded entries have looks 0, which no count (at least 1) matches."""
    C = len(arm.cohorts)
    bounds = [c.boundaries for c in arm.cohorts]
    width = max(b.n_looks for b in bounds) + pad
    looks = np.zeros((C, width), dtype=np.int64)
    futility = np.full((C, width), -1, dtype=np.int64)
    efficacy = np.zeros((C, width), dtype=np.int64)
    n_looks = np.zeros(C, dtype=np.int64)
    for c, b in enumerate(bounds):
        k = b.n_looks
        looks[c, :k] = b.looks
        futility[c, :k] = b.futility
        efficacy[c, :k] = b.efficacy
        n_looks[c] = k
    return looks, futility, efficacy, n_looks


def safety_table(arm: Arm):
    """(table, on): the safety monitor's stop table over every count the arm can reach (zeros when the
    arm has no monitor)."""
    n_cap = arm.design.max_n + arm.max_extension_n + 1
    if arm.safety is not None:
        return arm.safety.table(n_cap), True
    return np.zeros((n_cap + 1, n_cap + 1), dtype=np.int8), False


def arm_arrays(arm: Arm, scenario: ArmScenario):
    """The extension and scenario arrays the arm kernel reads (boundaries padded to the longest rule)."""
    looks, futility, efficacy, n_looks = boundary_arrays(arm)
    carry = np.array([int(c.count_escalation) for c in arm.cohorts], dtype=np.int64)
    coh_prob = np.array([scenario.response_of(c.name) for c in arm.cohorts], dtype=np.float64)
    eff = np.asarray(scenario.true_eff, dtype=np.float64)
    safety, on = safety_table(arm)
    return dict(
        true_tox=np.asarray(scenario.true_tox, dtype=np.float64),
        eff_prob=eff,
        eff_tab=response_table(eff, float(scenario.correlation)),
        rho=float(scenario.correlation),
        coh_prob=coh_prob,
        coh_tab=response_table(coh_prob, float(scenario.correlation)),
        looks=looks,
        futility=futility,
        efficacy=efficacy,
        n_looks=n_looks,
        carry=carry,
        safety=safety,
        safety_on=on,
        open_min_resp=np.int64(arm.open_min_responses),
    )


def simulate_arm(
    arm: Arm,
    scenario: ArmScenario,
    n_trials: int,
    seed: int,
    *,
    threads: int | None = None,
    chunks: int | None = None,
    block_trials: int = BLOCK_TRIALS,
    progress: Callable[[int], None] | None = None,
    first_trial: int = 0,
    timing: Timing | None = None,
    on_block: Callable[[ArmResult], None] | None = None,
) -> ArmResult | None:
    """Simulate ``n_trials`` arms (escalation, then the expansion cohorts) under ``scenario``.

    As for :func:`dosefind.engine.simulate_one`, threads, chunks and blocks change the speed only: arm t
    is a pure function of (seed, scenario, t). With ``timing`` the arm runs in calendar time (see
    :mod:`dosefind.engine.arm`); without it, as it always did.

    With ``on_block`` the same arms are handed over one block at a time (an :class:`ArmResult` of that
    block's rows, reused for the next block; ``first_trial`` says which arms they are) and nothing is
    returned: memory holds one block, as :func:`dosefind.engine.simulate.simulate_blocks`.
    """
    _check(arm, scenario, n_trials, seed, first_trial, timing)
    compiled = arm.design.compile()
    x = arm_arrays(arm, scenario)
    D = arm.design.n_doses
    C = len(arm.cohorts)
    T = int(n_trials)
    if on_block is None:
        check_memory(T, 2 + 3 * 2 * D + 4 + C * (4 * 2 + 2) + 1 + (8 * (N_ARM_TIME + C) if timing else 0))
    total, T = T, (T if on_block is None else min(T, int(block_trials)))  # rows held at once
    out = dict(
        selected=np.empty(T, dtype=np.int16),
        n_at_dose=np.empty((T, D), dtype=np.int16),
        tox_at_dose=np.empty((T, D), dtype=np.int16),
        eff_at_dose=np.empty((T, D), dtype=np.int16),
        status=np.empty(T, dtype=np.int8),
        reason=np.empty(T, dtype=np.int8),
        opened=np.empty(T, dtype=np.bool_),
        new_n=np.empty((T, C), dtype=np.int16),
        counted=np.empty((T, C), dtype=np.int16),
        responses=np.empty((T, C), dtype=np.int16),
        tox=np.empty((T, C), dtype=np.int16),
        decision=np.empty((T, C), dtype=np.int8),
        look=np.empty((T, C), dtype=np.int8),
        safety_stop=np.empty(T, dtype=np.bool_),
    )
    if timing is not None:
        ti, tf = timing.compile()
        resp_days = float(timing.response_assessment_days)
        out["time"] = np.empty((T, N_ARM_TIME))
        out["cohort_day"] = np.empty((T, C))
    else:
        ti, tf = np.zeros(0, dtype=np.int64), np.zeros(0)
        resp_days = 0.0
    time_out = out.get("time", np.zeros((T, 0)))
    day_out = out.get("cohort_day", np.zeros((T, 0)))
    capacity = CRM_CACHE_CAPACITY if arm.design.uses_posterior_cache else 0
    nwork = work_size(compiled)

    def run_block(done, stop, bounds):
        def chunks(b):
            run_arm_chunks(
                *compiled,
                x["true_tox"],
                x["eff_prob"],
                x["eff_tab"],
                x["rho"],
                x["coh_prob"],
                x["coh_tab"],
                x["looks"],
                x["futility"],
                x["efficacy"],
                x["n_looks"],
                x["carry"],
                x["safety"],
                x["safety_on"],
                x["open_min_resp"],
                np.int64(seed),
                np.int64(scenario.key),
                np.int64(first_trial if on_block is None else first_trial + done),
                b,
                capacity,
                nwork,
                out["selected"],
                out["n_at_dose"],
                out["tox_at_dose"],
                out["eff_at_dose"],
                out["status"],
                out["reason"],
                out["opened"],
                out["new_n"],
                out["counted"],
                out["responses"],
                out["tox"],
                out["decision"],
                out["look"],
                out["safety_stop"],
                ti,
                tf,
                resp_days,
                time_out,
                day_out,
            )

        run_chunked(chunks, bounds if on_block is None else bounds - done)
        if on_block is not None:
            n = stop - done
            block = {k: v[:n] for k, v in out.items()}
            on_block(
                ArmResult(
                    arm, scenario, int(seed), first_trial=int(first_trial + done), timing=timing, **block
                )
            )

    run_in_blocks(
        total, run_block, threads=threads, chunks=chunks, block_trials=block_trials, progress=progress
    )
    if on_block is None:
        return ArmResult(arm, scenario, int(seed), first_trial=int(first_trial), timing=timing, **out)
    return None


__all__ = ["ArmResult", "CohortDecision", "arm_arrays", "simulate_arm"]
