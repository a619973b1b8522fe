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
from ..engine import simulate_one
from ..errors import SpecError
from ..specfile import Spec
from .metrics import OperatingCharacteristics, operating_characteristics


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


def simulate_spec(
    spec: Spec,
    n_trials: int,
    seed: int,
    *,
    acceptable_band: float | None = None,
    threads: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> StudyResult:
    """Every design of ``spec`` under every scenario, same seed (common random numbers).

    ``progress`` receives the number of trials finished so far across the whole study.
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
    ocs = []
    finished = 0
    for d in spec.designs:
        for s in spec.scenarios:
            cb = None if progress is None else (lambda k, base=finished: progress(base + k))
            res = simulate_one(d, s, n_trials, seed, threads=threads, progress=cb, timing=spec.timing)
            finished += n_trials
            ocs.append(operating_characteristics(res, acceptable_band))
    return StudyResult(provenance(spec, n_trials, seed), tuple(ocs), spec.notes)


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
