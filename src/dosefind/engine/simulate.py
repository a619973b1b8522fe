"""Public simulation API: validates, allocates and runs the kernels; no statistics here."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numba
import numpy as np

from ..constants import DesignKind
from ..designs import Design
from ..designs import layout as L
from ..errors import EngineError, SpecError
from ..scenario import Scenario, check_against
from ..scenario.timing import Timing
from .calendar import N_TIME_COLUMNS
from .copula import response_table
from .crm_certify import certify_work_size
from .posterior import new_cache
from .result import SimResult
from .trial import run_chunks, run_trials

#: trials per block between progress callbacks (blocks never change results)
BLOCK_TRIALS = 100_000
CRM_CACHE_CAPACITY = 1 << 16
MIN_CHUNK_TRIALS = 10_000


#: the per-trial results of one run may take at most this share of the machine's memory (the operating
#: characteristics computed from them need a few times as much again)
MEMORY_SHARE = 0.25


def physical_memory() -> int | None:
    """Bytes of physical memory (None where the platform does not say)."""
    import os

    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def _bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:.1f}"


def check_memory(n_trials: int, bytes_per_trial: int, memory: int | None = None) -> None:
    """Refuse a run whose per-trial results would not fit (a SpecError naming --trials with the estimate
    and the largest run that fits), rather than fail part-way or swap."""
    memory = physical_memory() if memory is None else memory
    if memory is None:
        return
    need = int(n_trials) * int(bytes_per_trial)
    room = int(MEMORY_SHARE * memory)
    if need > room:
        fits = max(room // max(int(bytes_per_trial), 1), 1)
        raise SpecError(
            "n_trials",
            f"{int(n_trials):,} trials need about {_bytes(need)} for their per-trial results, more than "
            f"{MEMORY_SHARE:.0%} of this machine's {_bytes(memory)}",
            f"use at most {fits:,} trials per run, or a sweep (dosefind sweep keeps sums per block of "
            "trials, not the trials)",
        )


def check_run(n_trials, seed, first_trial) -> None:
    """The run arguments every simulation takes: a positive trial count, a seed and a first trial index."""
    if isinstance(n_trials, bool) or not isinstance(n_trials, (int, np.integer)) or n_trials < 1:
        raise SpecError("n_trials", f"{n_trials!r} is not a positive whole number", "use e.g. --trials 10000")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**63:
        raise SpecError("seed", f"{seed!r} is not a whole number in [0, 2^63)", "use e.g. --seed 7")
    if isinstance(first_trial, bool) or not isinstance(first_trial, (int, np.integer)) or first_trial < 0:
        raise SpecError("first_trial", f"{first_trial!r} is not a whole number >= 0", "use e.g. 0")


def run_chunked(call: Callable[[np.ndarray], None], bounds: np.ndarray) -> None:
    """``call(b)`` runs a chunk kernel on the chunks at bounds ``b``; each chunk of ``bounds`` gets its
    own thread (the kernels release the GIL), the calling thread taking the first. Chunks write disjoint
    output rows and draw their patients from their rows' trial indices, so the result does not depend
    on the threads. An error in any chunk is raised here, after every chunk has finished."""
    k = int(bounds.shape[0]) - 1
    if k <= 1:
        call(bounds)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=k - 1) as pool:
        futures = [pool.submit(call, bounds[c : c + 2]) for c in range(1, k)]
        try:
            call(bounds[0:2])
        finally:
            errors = [f.exception() for f in futures]
    for e in errors:
        if e is not None:
            raise e


def run_in_blocks(
    n_trials: int,
    run_block: Callable[[int, int, np.ndarray], None],
    *,
    threads: int | None = None,
    chunks: int | None = None,
    block_trials: int = BLOCK_TRIALS,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Drive a chunk kernel over rows 0..n_trials-1 in blocks: ``run_block(done, stop, bounds)`` runs
    rows done..stop-1 split into chunks at ``bounds`` (one thread per chunk: :func:`run_chunked`);
    ``progress(done)`` follows every block.

    ``threads`` (default: numba's thread count, ``numba.get_num_threads()``, which ``NUMBA_NUM_THREADS``
    and ``numba.set_num_threads`` set) is set for the call and restored after it. Chunks: one per
    thread, but none smaller than MIN_CHUNK_TRIALS (each chunk warms its own CRM posterior cache, so
    splitting small runs costs more than it gains), unless ``chunks`` says otherwise.
    """
    old_threads = numba.get_num_threads()
    if threads is not None:
        if not 1 <= threads <= numba.config.NUMBA_NUM_THREADS:
            raise EngineError(
                f"threads={threads} is not available; use 1 to {numba.config.NUMBA_NUM_THREADS}"
            )
        numba.set_num_threads(int(threads))
    try:
        T = int(n_trials)
        n_chunks = int(chunks) if chunks else max(1, min(numba.get_num_threads(), T // MIN_CHUNK_TRIALS))
        done = 0
        while done < T:
            stop = min(T, done + block_trials)
            k = max(1, min(n_chunks, stop - done))
            run_block(done, stop, np.linspace(done, stop, k + 1).round().astype(np.int64))
            done = stop
            if progress is not None:
                progress(done)
    finally:
        numba.set_num_threads(old_threads)


def work_size(compiled) -> int:
    """Length of the float work buffer the decision kernels of a compiled design need."""
    D = int(compiled.ip[L.IP_N_DOSES])
    K = int(compiled.ip[L.IP_CRM_N_NODES])
    if compiled.ip[L.IP_KIND] == DesignKind.CRM and K > 1:  # with the certified path's state
        return certify_work_size(K, D)
    return max(K, 6 * D, 1)


@dataclass(frozen=True, eq=False)
class PosteriorCache:
    """A CRM posterior cache kept across many :func:`simulate_one` calls of one design (sweeps).

    The cache memoizes the posterior summary of each (patients, DLTs per dose) state, a pure function of
    the compiled design, so sharing it across scenarios and blocks of trials changes no result; it saves
    recomputing the states every scenario visits. Build it with :meth:`for_design`.
    """

    design_hash: str
    keys: np.ndarray
    values: np.ndarray
    work: np.ndarray

    @classmethod
    def for_design(cls, design: Design, compiled=None, capacity: int = CRM_CACHE_CAPACITY) -> PosteriorCache:
        compiled = design.compile() if compiled is None else compiled
        nwork = work_size(compiled)
        cap = capacity if design.uses_posterior_cache else 0
        keys, values, work = new_cache(design.n_doses, cap, nwork)
        return cls(design.config_hash(), keys, values, work)


def check_timing(design: Design, timing: Timing | None) -> None:
    """A design that decides with pending patients is simulated in calendar time only, with a window."""
    if not design.uses_pending:
        return
    if timing is None:
        raise SpecError(
            "timing",
            f"{design.kind} decides with pending patients, so it is simulated in calendar time only",
            "add a [timing] section (patients_per_month, dlt_window_days) or pass timing=Timing(...)",
        )
    if timing.dlt_window_days <= 0:
        raise SpecError(
            "timing.dlt_window_days",
            f"a window of 0 days leaves {design.kind} no follow-up to weigh",
            "give the DLT window in days, e.g. 28",
        )


def check_efficacy(design: Design, scenario: Scenario, field: str = "scenarios.true_eff") -> None:
    """A design that decides on responses needs the scenario's response probabilities."""
    if design.uses_efficacy and scenario.true_eff is None:
        raise SpecError(
            field,
            f"scenario {scenario.name!r} has no response probabilities, and design {design.name!r} "
            f"({design.kind}) decides on responses",
            "add true_eff = [one response probability per dose] to the scenario",
        )


def efficacy_arrays(design: Design, scenario: Scenario):
    """(response probability per dose, response table, correlation) the trial loop draws responses from:
    empty for designs that read no responses (their trials are unchanged)."""
    if not design.uses_efficacy:
        return np.zeros(0), np.zeros((0, 2)), 0.0
    check_efficacy(design, scenario)
    eff = np.asarray(scenario.true_eff, dtype=np.float64)
    rho = float(scenario.correlation)
    return eff, response_table(eff, rho), rho


def _prepare(design: Design, scenario: Scenario, n_trials, seed, first_trial, timing, cache, compiled):
    """Validate a run and return (compiled design, true DLT (and response) probabilities, timing arrays,
    number of calendar columns)."""
    check_run(n_trials, seed, first_trial)
    check_against([scenario], design.n_doses)
    check_timing(design, timing)
    check_efficacy(design, scenario)
    if cache is not None and cache.design_hash != design.config_hash():
        raise EngineError(f"the posterior cache was built for another design than {design.name!r}")
    compiled = design.compile() if compiled is None else compiled
    backfill = getattr(design, "backfill", None) is not None
    # backfill designs add the backfill patients counted at each dose
    time_cols = N_TIME_COLUMNS + (design.n_doses if backfill else 0) if timing is not None else 0
    if timing is not None:
        ti, tf = timing.compile()
    else:
        ti, tf = np.zeros(0, dtype=np.int64), np.zeros(0)
    true_tox = np.asarray(scenario.true_tox, dtype=np.float64)
    if backfill:  # the responses that open doses for backfill follow the DLT probabilities
        if scenario.true_eff is None:
            raise SpecError(
                "scenarios.true_eff",
                f"scenario {scenario.name!r} has no response probabilities, and design {design.name!r} "
                "backfills doses where a response was seen",
                "add true_eff = [one response probability per dose] to the scenario",
            )
        true_tox = np.concatenate([true_tox, np.asarray(scenario.true_eff, dtype=np.float64)])
    return compiled, true_tox, ti, tf, time_cols


def bytes_per_trial(design: Design, timing: Timing | None) -> int:
    """Bytes of one trial's row in a :class:`SimResult` (selection, counts per dose, status, reason and
    the calendar columns of a timed run)."""
    D = design.n_doses
    time_cols = N_TIME_COLUMNS + (D if getattr(design, "backfill", None) is not None else 0)
    eff = 2 * D if design.uses_efficacy else 0
    return 2 + 2 * 2 * D + eff + 2 + (8 * time_cols if timing is not None else 0)


class _Rows:
    """The output arrays of ``n`` trials (one row per trial)."""

    def __init__(self, n: int, D: int, time_cols: int, eff: tuple):
        self.selected = np.empty(n, dtype=np.int16)
        self.n_at = np.empty((n, D), dtype=np.int16)
        self.tox_at = np.empty((n, D), dtype=np.int16)
        self.eff = eff  # (response probabilities, table, correlation): empty unless the design reads them
        self.eff_at = np.empty((n, D if eff[0].shape[0] > 0 else 0), dtype=np.int16)
        self.status = np.empty(n, dtype=np.int8)
        self.reason = np.empty(n, dtype=np.int8)
        self.time = np.empty((n, time_cols))

    def run(self, compiled, true_tox, seed, scenario_key, trial_offset, bounds, capacity, nwork, ti, tf):
        """Trials ``trial_offset + bounds[0] .. trial_offset + bounds[-1] - 1`` into rows bounds[0]..."""

        def chunks(b):
            run_chunks(
                *compiled,
                true_tox,
                *self.eff,
                np.int64(seed),
                np.int64(scenario_key),
                np.int64(trial_offset),
                b,
                capacity,
                nwork,
                self.selected,
                self.n_at,
                self.tox_at,
                self.eff_at,
                self.status,
                self.reason,
                ti,
                tf,
                self.time,
            )

        run_chunked(chunks, bounds)

    def result(self, design, scenario, seed, first_trial, timing, n=None) -> SimResult:
        sl = slice(0, n)
        return SimResult(
            design,
            scenario,
            int(seed),
            self.selected[sl],
            self.n_at[sl],
            self.tox_at[sl],
            self.status[sl],
            self.reason[sl],
            int(first_trial),
            timing,
            self.time[sl] if timing is not None else None,
            self.eff_at[sl] if self.eff_at.shape[1] > 0 else None,
        )


def simulate_one(
    design: Design,
    scenario: Scenario,
    n_trials: int,
    seed: int,
    *,
    threads: int | None = None,
    chunks: int | None = None,
    block_trials: int = BLOCK_TRIALS,
    progress: Callable[[int], None] | None = None,
    first_trial: int = 0,
    compiled=None,
    cache: PosteriorCache | None = None,
    timing: Timing | None = None,
) -> SimResult:
    """Simulate ``n_trials`` trials of ``design`` under ``scenario``.

    ``threads`` (default: all numba threads) and ``chunks`` (default: one per thread) change only the
    speed, never the result. ``progress`` is called with the number of trials finished after each block.
    ``first_trial`` simulates trials ``first_trial .. first_trial + n_trials - 1`` of the (seed, scenario)
    sequence: splitting a run into blocks of trials reproduces it exactly. ``compiled`` may pass
    ``design.compile()`` when the caller simulates the same design many times (sweeps), to skip recompiling.
    ``cache`` (a :class:`PosteriorCache` of this design) runs the trials in one chunk on this thread with
    a posterior cache that outlives the call: same results, less work when the call is repeated.
    ``timing`` (a :class:`~dosefind.scenario.timing.Timing`) lays every trial on the calendar too: the
    same trials (decisions on complete cohorts do not depend on time), plus their durations, patients
    turned away, waits and suspensions (``SimResult.time``).

    The result holds one row per trial; :func:`simulate_blocks` hands the same trials over block by block
    in memory that does not grow with ``n_trials``.
    """
    compiled, true_tox, ti, tf, time_cols = _prepare(
        design, scenario, n_trials, seed, first_trial, timing, cache, compiled
    )
    D = design.n_doses
    T = int(n_trials)
    check_memory(T, bytes_per_trial(design, timing))
    rows = _Rows(T, D, time_cols, efficacy_arrays(design, scenario))
    capacity = CRM_CACHE_CAPACITY if design.uses_posterior_cache else 0
    nwork = work_size(compiled)
    if cache is not None:
        n_at_s = np.zeros(D, dtype=np.int64)
        tox_s = np.zeros(D, dtype=np.int64)
        adm_s = np.ones(D, dtype=np.int8)

    def run_block(done, stop, bounds):
        if cache is not None:
            run_trials(
                *compiled,
                true_tox,
                *rows.eff,
                np.int64(seed),
                np.int64(scenario.key),
                np.int64(first_trial + done),
                np.int64(first_trial + stop),
                n_at_s,
                tox_s,
                adm_s,
                cache.keys,
                cache.values,
                cache.work,
                rows.selected[done:stop],
                rows.n_at[done:stop],
                rows.tox_at[done:stop],
                rows.eff_at[done:stop],
                rows.status[done:stop],
                rows.reason[done:stop],
                ti,
                tf,
                rows.time[done:stop],
            )
        else:
            rows.run(compiled, true_tox, seed, scenario.key, first_trial, bounds, capacity, nwork, ti, tf)

    run_in_blocks(T, run_block, threads=threads, chunks=chunks, block_trials=block_trials, progress=progress)
    return rows.result(design, scenario, seed, first_trial, timing)


def simulate_blocks(
    design: Design,
    scenario: Scenario,
    n_trials: int,
    seed: int,
    on_block: Callable[[SimResult], None],
    *,
    threads: int | None = None,
    chunks: int | None = None,
    block_trials: int = BLOCK_TRIALS,
    progress: Callable[[int], None] | None = None,
    first_trial: int = 0,
    compiled=None,
    timing: Timing | None = None,
) -> None:
    """The trials of :func:`simulate_one` (the same trials, for any ``block_trials``), handed to
    ``on_block`` one block at a time as a :class:`SimResult` of that block's rows (its ``first_trial``
    says which trials they are). The block's arrays are reused for the next block: ``on_block`` reduces
    or copies what it needs before it returns. Memory holds one block, whatever ``n_trials`` is."""
    compiled, true_tox, ti, tf, time_cols = _prepare(
        design, scenario, n_trials, seed, first_trial, timing, None, compiled
    )
    T = int(n_trials)
    rows = _Rows(min(T, int(block_trials)), design.n_doses, time_cols, efficacy_arrays(design, scenario))
    capacity = CRM_CACHE_CAPACITY if design.uses_posterior_cache else 0
    nwork = work_size(compiled)

    def run_block(done, stop, bounds):
        rows.run(
            compiled, true_tox, seed, scenario.key, first_trial + done, bounds - done, capacity, nwork, ti, tf
        )
        on_block(rows.result(design, scenario, seed, first_trial + done, timing, stop - done))

    run_in_blocks(T, run_block, threads=threads, chunks=chunks, block_trials=block_trials, progress=progress)


def simulate(
    designs: Design | Iterable[Design],
    scenarios: Scenario | Iterable[Scenario],
    n_trials: int,
    seed: int,
    **kwargs,
) -> list[SimResult]:
    """Every design under every scenario, on common random numbers (same seed: same patients)."""
    designs = [designs] if isinstance(designs, Design) else list(designs)
    scenarios = [scenarios] if isinstance(scenarios, Scenario) else list(scenarios)
    for d in designs:
        check_against(scenarios, d.n_doses)
    return [simulate_one(d, s, n_trials, seed, **kwargs) for d in designs for s in scenarios]
