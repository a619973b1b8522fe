"""Simulate a whole spec (designs x scenarios) and attach provenance."""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

import numba
import numpy as np

from .. import __version__
from ..engine.simulate import bytes_per_trial, simulate_blocks
from ..errors import SpecError
from ..specfile import Spec
from .metrics import OperatingCharacteristics, from_sums, time_sums
from .sums import TrialSums


def json_hash(data) -> str:
    """SHA-256 (first 16 hex digits) of the canonical JSON form of ``data``."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def config_hash(spec: Spec) -> str:
    config = {
        "designs": [d.to_dict() for d in spec.designs],
        "scenarios": [s.to_dict() for s in spec.scenarios],
    }
    if spec.timing is not None:  # untimed specs keep the hash they always had
        config["timing"] = spec.timing.to_dict()
    return json_hash(config)


def run_provenance(config_hash_: str, n_trials: int, seed: int, **hashes) -> dict:
    """Provenance of a simulation run: package version, seed, trials, config hash, extra hashes, time."""
    return {
        "package": "dosefind",
        "version": __version__,
        "seed": int(seed),
        "n_trials": int(n_trials),
        "config_hash": config_hash_,
        "method": "simulation",
        **hashes,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
    }


def provenance(spec: Spec, n_trials: int, seed: int) -> dict:
    extra = {"timing": spec.timing.to_dict()} if spec.timing is not None else {}
    return run_provenance(
        config_hash(spec),
        n_trials,
        seed,
        design_hashes={d.name: d.config_hash() for d in spec.designs},
        **extra,
    )


@dataclass(frozen=True)
class StudyResult:
    provenance: dict
    ocs: tuple[OperatingCharacteristics, ...]
    notes: tuple[str, ...] = ()

    def as_json(self) -> dict:
        return {
            "provenance": self.provenance,
            "results": [oc.as_json() for oc in self.ocs],
            "notes": list(self.notes),
        }

    def to_frame(self, shape: str = "long"):
        """Every design x scenario as one DataFrame, the provenance in ``.attrs``: ``shape`` "long" (design,
        scenario, dose, metric, value, mcse), "dose" (a row per design, scenario and dose) or "trial" (a row
        per design and scenario), the last two with each metric beside its ``<metric>_mcse``."""
        from .metrics import tidy_frame

        rows = [row for oc in self.ocs for row in oc.tidy()]
        return tidy_frame(rows, shape, {"provenance": self.provenance, "notes": list(self.notes)})

    def _repr_html_(self) -> str:
        from ..display import paragraph
        from .metrics import study_html

        return study_html(self.ocs, self.provenance) + "".join(paragraph(n) for n in self.notes)


def simulate_spec(
    spec: Spec,
    n_trials: int,
    seed: int,
    *,
    acceptable_band: float | None = None,
    threads: int | None = None,
    progress: Callable[[int], None] | None = None,
    block_trials: int | None = None,
    check_size: bool = True,
) -> StudyResult:
    """Every design of ``spec`` under every scenario, same seed (common random numbers).

    The trials are reduced block by block (:class:`~dosefind.oc.sums.TrialSums`, ``block_trials`` per
    block, default the engine's): memory does not grow with ``n_trials``, and the result is the same for
    any block size and equal to :func:`~dosefind.oc.metrics.operating_characteristics` of all trials at
    once. ``progress`` receives the number of trials finished so far across the whole study. A run
    estimated to take too long is refused first (:func:`check_run_size`; ``check_size=False`` when the
    caller has checked).
    """
    if not spec.designs:
        raise SpecError("design", "missing", "add a [design] section or pass --design FILE", spec.source)
    for d in spec.designs:
        if d.uses_pending and spec.timing is None:
            raise SpecError(
                "timing",
                f"design {d.name!r} ({d.kind}) decides with pending patients, so it is simulated in calendar "
                "time only",
                "add a [timing] section with patients_per_month and dlt_window_days",
                spec.source,
            )
    if check_size:
        check_run_size(spec, n_trials, seed, threads)
    ocs = []
    finished = 0
    for d in spec.designs:
        compiled = d.compile()
        for s in spec.scenarios:
            cb = None if progress is None else (lambda k, base=finished: progress(base + k))
            ocs.append(
                _simulate_reduced(
                    d, compiled, s, n_trials, seed, spec.timing, acceptable_band, threads, cb, block_trials
                )
            )
            finished += n_trials
    return StudyResult(provenance(spec, n_trials, seed), tuple(ocs), spec.notes)


#: a run estimated to take longer than this is refused up front (a sweep runs in resumable blocks)
MAX_RUN_SECONDS = 24 * 3600
#: faster than any design runs per core: a run too long even at this rate is refused without a pilot
FASTEST_TRIALS_PER_CORE = 10_000_000
#: runs of at least this many trials (all designs and scenarios) are timed on a pilot run first
PILOT_MIN_TRIALS = 50_000_000
PILOT_TRIALS = 20_000


def _duration(seconds: float) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:,.1f} {unit}"
    return f"{seconds:,.0f} seconds"


def check_run_size(spec: Spec, n_trials: int, seed: int, threads: int | None = None) -> None:
    """Refuse, before the work, a spec run that would take longer than ``MAX_RUN_SECONDS``
    (:func:`check_run_time`, each design timed on the first scenario)."""
    from ..engine.simulate import BLOCK_TRIALS, simulate_one

    pilots = [
        (lambda k, d=d: simulate_one(d, spec.scenarios[0], k, seed, threads=threads, timing=spec.timing))
        for d in spec.designs
    ]
    check_run_time(
        n_trials,
        len(spec.scenarios),
        pilots,
        flat_bytes=max(BLOCK_TRIALS * bytes_per_trial(d, spec.timing) for d in spec.designs),
        threads=threads,
    )


def check_run_time(
    n_trials: int,
    n_scenarios: int,
    pilots: list[Callable[[int], object]],
    *,
    flat_bytes: int,
    threads: int | None = None,
    unit: str = "trials",
    max_seconds: float | None = None,
    instead: str = "or a sweep (dosefind sweep runs in blocks and resumes)",
    field: str = "n_trials",
    memory: str | None = None,
) -> None:
    """Refuse, before the work, a run that would take longer than ``max_seconds`` (default
    ``MAX_RUN_SECONDS``), with the estimated
    time and memory and the largest run that fits (a SpecError naming ``field``; ``instead``: the other
    way to run it; ``memory``: what the message says about memory, if not the default below). ``pilots``:
    one call per design, ``pilot(k)`` simulating k trials of it. The estimate comes from an optimistic
    bound, then (for runs of at least ``PILOT_MIN_TRIALS`` trials) from timing each pilot on
    ``PILOT_TRIALS`` trials.
    Memory is flat in the number of trials (``flat_bytes`` per block)."""
    import time as clock

    from ..engine.simulate import BLOCK_TRIALS, _bytes

    max_seconds = MAX_RUN_SECONDS if max_seconds is None else max_seconds
    n_trials = int(n_trials)
    per_design = n_trials * int(n_scenarios)
    total = per_design * len(pilots)
    cores = numba.get_num_threads() if threads is None else int(threads)
    block = f"about {_bytes(flat_bytes)} per block of {BLOCK_TRIALS:,}"
    memory = memory or f"flat in the number of {unit}, {block}"

    def refuse(how_long: str, seconds_per_trial: float) -> SpecError:
        fits = max(int(max_seconds / seconds_per_trial / max(total / n_trials, 1)), 1)
        return SpecError(
            field,
            f"{total:,} simulated {unit} ({n_trials:,} per design and scenario) would take {how_long} on "
            f"this machine (memory: {memory}); runs longer than {_duration(max_seconds)} are refused",
            f"use at most {fits:,} {unit} per design and scenario, {instead}",
        )

    floor = total / (FASTEST_TRIALS_PER_CORE * max(cores, 1))
    if floor > max_seconds:
        raise refuse(
            f"at least {_duration(floor)} (at {FASTEST_TRIALS_PER_CORE:,} trials/s per core)", floor / total
        )
    if total < PILOT_MIN_TRIALS:
        return
    seconds = 0.0
    for pilot in pilots:
        pilot(200)  # loads the kernels
        start = clock.perf_counter()
        pilot(PILOT_TRIALS)
        seconds += (clock.perf_counter() - start) / PILOT_TRIALS * per_design
    if seconds > max_seconds:
        raise refuse(f"about {_duration(seconds)} (timed on a pilot run of each design)", seconds / total)


def _simulate_reduced(
    design, compiled, scenario, n_trials, seed, timing, band, threads, progress, block_trials
):
    """One design in one scenario, reduced block by block into :class:`TrialSums` and, when timed, the
    calendar columns' :class:`~dosefind.oc.calendar_sums.ColumnSums` (memory flat in the number of
    trials)."""
    sums = TrialSums.for_design(design, scenario.true_tox, band, scenario=scenario)
    time = None

    def on_block(block):
        nonlocal time
        sums.add(block)
        if block.time is not None:
            if time is None:
                time = time_sums(block.time)
            else:
                time.add(block.time)

    blocks = {} if block_trials is None else {"block_trials": int(block_trials)}
    simulate_blocks(
        design,
        scenario,
        n_trials,
        seed,
        on_block,
        threads=threads,
        progress=progress,
        compiled=compiled,
        timing=timing,
        **blocks,
    )
    return from_sums(sums, design, scenario.name, time)


def exact_spec(
    spec: Spec,
    *,
    acceptable_band: float | None = None,
    progress: Callable[[int], None] | None = None,
) -> StudyResult:
    """Every design of ``spec`` under every scenario, operating characteristics computed exactly
    (:mod:`dosefind.oc.exact_states`: no Monte Carlo error, every MCSE 0). The provenance says
    ``"method": "exact"`` and lists, per design and scenario, the distinct states and the seconds taken.
    ``progress`` receives the number of (design, scenario) pairs done."""
    from .exact_states import exact_operating_characteristics, exact_supported

    if not spec.designs:
        raise SpecError("design", "missing", "add a [design] section or pass --design FILE", spec.source)
    if spec.timing is not None:
        raise SpecError(
            "timing",
            "exact operating characteristics are computed for trials without calendar time",
            "remove the [timing] section, or simulate (leave out --exact)",
            spec.source,
        )
    for d in spec.designs:
        why = exact_supported(d)
        if why is not None:
            raise SpecError("exact", f"design {d.name!r}: {why}", "leave out --exact", spec.source)
    ocs = []
    cost = []
    for d in spec.designs:
        for s in spec.scenarios:
            oc, info = exact_operating_characteristics(d, s, acceptable_band)
            ocs.append(oc)
            seconds = round(info.seconds, 3)
            cost.append({"design": d.name, "scenario": s.name, "states": info.states, "seconds": seconds})
            if progress is not None:
                progress(len(ocs))
    prov = provenance(spec, 0, 0)
    prov["method"] = "exact"
    prov["exact"] = cost
    return StudyResult(prov, tuple(ocs), spec.notes)
