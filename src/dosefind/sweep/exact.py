"""Exact studies (``exact = true`` in ``[study]``): every (scenario, design) unit computed once, exactly.

A unit is one design under one scenario; its operating characteristics come from the dynamic programme
over trial states that ``dosefind simulate SPEC --exact`` runs (:func:`dosefind.oc.exact_states.
exact_operating_characteristics`, the same call, so the same numbers to the bit), with the benchmark's
selection probabilities from :func:`dosefind.oc.benchmark.exact_benchmark_prob_select`. One task is one
unit (there are no blocks of trials), its part file the values it computed; the folder's tables have the
columns of a simulated sweep with every MCSE 0, ``method`` "exact" and ``n_trials`` 0:

* ``efficiency`` is PCS / benchmark PCS and ``accuracy_index`` Cheung's index of the exact selection
  probabilities (both exact); ``mean_n_above_mtd`` is the sum of the exact patients per dose above the MTD;
* ``prob_both_correct`` (the design and the benchmark correct in the same trial) is nan: it is a joint
  probability over the same patients, which the state programme (it merges patients into counts per dose)
  does not follow. It serves only the MCSE of pooled efficiencies, which is 0 here;
* paired differences (``paired.parquet``) are differences of the two designs' exact means, with
  ``se_paired`` and ``se_unpaired`` 0 and ``variance_ratio`` nan (0 / 0). Every paired metric of a sweep is
  a mean of per-trial values (an indicator or a count), so the difference of the exact means is the exact
  mean paired difference.

Refusals come before any work: the designs and settings when the study is read
(:func:`dosefind.sweep.study.study_from_dict`), and in :meth:`ExactStudy.check_size` the state and time
limits of the programme, tried on the first scenario for each design (the states a design reaches do not
depend on the scenario: every cohort outcome has a positive probability), with the study's total time
projected from it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field

import numpy as np

from ..designs import Design
from ..errors import OutputError, SpecError
from ..oc.paired import PAIRED_METRICS
from ..scenario import Scenario
from .stats import DOSE_COLUMNS, OC_METRICS
from .store import (
    SweepFolder,
    _phase12_truth,
    pyarrow_modules,
    write_table_atomic,
)
from .study import MAX_SWEEP_SECONDS, MAX_TASKS, design_pairs

METHOD = "exact"
#: paired metric -> the oc.parquet metric whose exact mean it differences
PAIRED_MEANS = {
    "correct_selection": "pcs",
    "select_above_mtd": "prob_select_above_mtd",
    "n_total": "mean_n",
    "tox_total": "mean_tox",
    "n_above_mtd": "mean_n_above_mtd",
    "early_stop": "prob_early_stop",
}
assert tuple(PAIRED_MEANS) == PAIRED_METRICS
#: what a part file records of the computation besides the values
COST = ("states", "decisions", "seconds")


def compute_unit(design: Design, scenario: Scenario, band: float | None) -> dict[str, np.ndarray]:
    """One unit's exact values: ``values`` [len(OC_METRICS)], ``dose`` [len(DOSE_COLUMNS), D] and
    ``cost`` (states, decisions, seconds) of the programme."""
    from ..oc.benchmark import accuracy_index, exact_benchmark_prob_select
    from ..oc.exact_states import exact_operating_characteristics
    from ..oc.metrics import correct_mask, doses_above_mtd, included_doses

    oc, info = exact_operating_characteristics(design, scenario, band)
    v = oc.values
    D = design.n_doses
    p = np.asarray(scenario.true_tox, dtype=np.float64)
    included = included_doses(design)
    above = doses_above_mtd(design, p, band)
    sel = np.asarray(v["prob_select"], dtype=np.float64)
    n_at = np.asarray(v["mean_n_at_dose"], dtype=np.float64)
    bench = exact_benchmark_prob_select(p, design.target, design.max_n, included)
    bench_pcs = float(bench[correct_mask(p, design.target, band, included)].sum())
    wide = dict.fromkeys(OC_METRICS, math.nan)
    for name in OC_METRICS:
        if name in v:
            wide[name] = float(v[name])
    wide["mean_n_above_mtd"] = float(n_at[above].sum())
    wide["benchmark_pcs"] = bench_pcs
    wide["efficiency"] = float(v["pcs"]) / bench_pcs if bench_pcs > 0 else math.nan
    gap = np.abs(p - design.target)[np.asarray(included, dtype=bool)]
    if gap.sum() > 0:
        wide["accuracy_index"] = accuracy_index(sel, p, design.target, None, included)[0]
    nan = np.full(D, math.nan)
    dose = {
        "prob_select": sel,
        "mean_n_at_dose": n_at,
        "mean_tox_at_dose": np.asarray(v["mean_tox_at_dose"], dtype=np.float64),
        "benchmark_prob_select": bench,
        "mean_resp_at_dose": np.asarray(v.get("mean_resp_at_dose", nan), dtype=np.float64),
    }
    return {
        "values": np.array([wide[m] for m in OC_METRICS], dtype=np.float64),
        "dose": np.stack([dose[c] for c in DOSE_COLUMNS]),
        "cost": np.array([info.states, info.decisions, info.seconds], dtype=np.float64),
    }


@dataclass(frozen=True)
class ExactTask:
    """One unit: a design under a scenario, computed exactly (a pure function of its fields)."""

    task_id: int
    scenario_index: int
    design_index: int
    scenario: Scenario
    design: Design
    acceptable_band: float | None

    @property
    def trials(self) -> int:
        """Progress counts units (no trials are simulated)."""
        return 1

    def compute(self) -> dict[str, np.ndarray]:
        return compute_unit(self.design, self.scenario, self.acceptable_band)


@dataclass(frozen=True)
class ExactStudy:
    """A study with ``exact = true``: every design under every scenario, one exact unit each."""

    name: str
    designs: tuple[Design, ...]
    scenarios: tuple[Scenario, ...]
    acceptable_band: float | None = None
    reference: str | None = None
    description: str = ""
    source: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    timing = None  #: exact studies have no calendar time
    n_trials = 0  #: no simulated trials
    seed = None  #: no random numbers
    method = METHOD

    @property
    def n_doses(self) -> int:
        return self.designs[0].n_doses

    @property
    def n_tasks(self) -> int:
        return len(self.scenarios) * len(self.designs)

    @property
    def total_trials(self) -> int:
        """Units, in the unit of progress (see :attr:`ExactTask.trials`)."""
        return self.n_tasks

    @property
    def pairs(self) -> tuple[tuple[int, int], ...]:
        return design_pairs(self.designs, self.reference)

    def task(self, task_id: int) -> ExactTask:
        if not 0 <= task_id < self.n_tasks:
            raise IndexError(task_id)
        s, k = divmod(task_id, len(self.designs))
        return ExactTask(task_id, s, k, self.scenarios[s], self.designs[k], self.acceptable_band)

    def settings(self) -> dict:
        return {
            "name": self.name,
            "exact": True,
            "acceptable_band": self.acceptable_band,
            "reference": self.reference,
            "n_scenarios": len(self.scenarios),
            "designs": [d.to_dict() for d in self.designs],
        }

    def study_hash(self) -> str:
        """SHA-256 (first 16 hex digits) of the settings and every scenario (its whole definition: phase
        I/II scenarios' responses and correlation change exact results)."""
        h = hashlib.sha256()
        h.update(json.dumps(self.settings(), sort_keys=True, separators=(",", ":")).encode())
        for s in self.scenarios:
            h.update(json.dumps(s.to_dict(), sort_keys=True, separators=(",", ":")).encode())
        return h.hexdigest()[:16]

    def check_size(self, workers: int | None = None, local: bool = True) -> None:
        """Refuse, before any work, a design whose exact computation exceeds the state or time limits of
        :mod:`dosefind.oc.exact_states` (tried on the first scenario), and a study projected to take longer
        than ``MAX_SWEEP_SECONDS`` on ``workers`` cores (every unit timed as that one)."""
        from ..oc import exact_states
        from ..oc.study import _duration

        if self.n_tasks > MAX_TASKS:
            raise SpecError(
                "scenarios",
                f"{len(self.scenarios):,} scenarios x {len(self.designs)} designs make {self.n_tasks:,} "
                f"exact units (files in the output folder); a study has at most {MAX_TASKS:,}",
                "use fewer scenarios or designs, or split the study into several",
            )
        cores = workers or os.cpu_count() or 1
        seconds = 0.0
        for d in self.designs:
            try:
                _oc, info = exact_states.exact_operating_characteristics(
                    d,
                    self.scenarios[0],
                    self.acceptable_band,
                    max_states=exact_states.MAX_STATES,
                    max_seconds=exact_states.MAX_SECONDS,
                )
            except SpecError as e:
                raise SpecError(
                    "study.exact",
                    e.problem,
                    f"remove design {d.name!r} from the study (or give it a smaller max_n), or drop "
                    "exact = true and give n_trials and seed",
                ) from None
            seconds += info.seconds * len(self.scenarios)
        if seconds / cores > MAX_SWEEP_SECONDS:
            raise SpecError(
                "study.exact",
                f"{self.n_tasks:,} exact units would take about {_duration(seconds / cores)} on {cores} "
                f"cores (timed on scenario {self.scenarios[0].name!r}); sweeps longer than "
                f"{_duration(MAX_SWEEP_SECONDS)} are refused",
                "use fewer scenarios, or split the study into several",
            )

    def folder(self, out) -> ExactFolder:
        return ExactFolder(out, self)


class ExactFolder(SweepFolder):
    """The output folder of an exact study: one part per unit (``parts/task-NNNNNNN.units.parquet``, the
    unit's exact values), then the tables of :mod:`dosefind.sweep.store` with MCSE 0."""

    def write_task(self, task_id: int, stats: dict[str, np.ndarray]) -> None:
        pa, _ = pyarrow_modules()
        task = self.study.task(task_id)
        values, dose, cost = stats["values"], stats["dose"], stats["cost"]
        D = self.study.n_doses
        if values.shape != (len(OC_METRICS),) or dose.shape != (len(DOSE_COLUMNS), D):
            raise OutputError(f"task {task_id}: exact values of shape {dose.shape} do not fit the study")
        cols = {
            "scenario_index": pa.array([task.scenario_index], pa.int64()),
            "design_index": pa.array([task.design_index], pa.int32()),
        }
        for j, name in enumerate(OC_METRICS):
            cols[name] = pa.array([values[j]], pa.float64())
        for j, name in enumerate(DOSE_COLUMNS):
            cols[name] = pa.FixedSizeListArray.from_arrays(pa.array(dose[j], pa.float64()), D)
        for j, name in enumerate(COST):
            cols[name] = pa.array([cost[j]], pa.float64())
        write_table_atomic(self._part(task_id, "units"), pa.table(cols))

    def read_task(self, task_id: int) -> dict[str, np.ndarray]:
        _, pq = pyarrow_modules()
        task = self.study.task(task_id)
        path = self._part(task_id, "units")
        D = self.study.n_doses
        try:
            t = pq.read_table(path)
            if t.num_rows != 1 or t.column("scenario_index")[0].as_py() != task.scenario_index:
                raise ValueError("scenario_index does not match the study")
            if t.column("design_index")[0].as_py() != task.design_index:
                raise ValueError("design_index does not match the study")
            values = np.array([t.column(n)[0].as_py() for n in OC_METRICS], dtype=np.float64)
            dose = np.stack([np.asarray(t.column(n)[0].as_py(), dtype=np.float64) for n in DOSE_COLUMNS])
            if dose.shape != (len(DOSE_COLUMNS), D):
                raise ValueError(f"{dose.shape[1]} doses, the study has {D}")
            cost = np.array([t.column(n)[0].as_py() for n in COST], dtype=np.float64)
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise OutputError(
                f"{path.name}: damaged or from another layout ({e}); delete it and run the sweep again to "
                "recompute that unit"
            ) from None
        return {"values": values, "dose": dose, "cost": cost}

    def row_chunks(self):
        """Per scenario, the rows of a simulated sweep's tables (:mod:`dosefind.sweep.store`, which writes
        them) with MCSE 0 (nan where the value is nan), ``method`` "exact" and ``n_trials`` 0; at the end
        the manifest gets the states and seconds per design."""
        from ..oc.metrics import true_mtd

        st = self.study
        K = len(st.designs)
        cost = {d.name: {"design": d.name, "max_states": 0, "seconds": 0.0} for d in st.designs}
        for si, scen in enumerate(st.scenarios):
            units = [self.read_task(si * K + k) for k in range(K)]
            oc_rows, dose_rows, pair_rows = [], [], []
            wides = []
            for k, design in enumerate(st.designs):
                u = units[k]
                c = cost[design.name]
                c["max_states"] = max(c["max_states"], int(u["cost"][0]))
                c["seconds"] += float(u["cost"][2])
                wide = {}
                for j, m in enumerate(OC_METRICS):
                    x = float(u["values"][j])
                    wide[m], wide[m + "_mcse"] = x, (0.0 if math.isfinite(x) else math.nan)
                wides.append(wide)
                oc_rows.append(
                    dict(
                        scenario=scen.name,
                        design=design.name,
                        scenario_index=si,
                        n_trials=0,
                        method=METHOD,
                        target=design.target,
                        mtd=true_mtd(design, scen.true_tox, st.acceptable_band) + 1,
                        **wide,
                    )
                )
                dose_rows.extend(_dose_rows(st, design, scen, u["dose"]))
            for a, b in st.pairs:
                for metric, source in PAIRED_MEANS.items():
                    ma, mb = wides[a][source], wides[b][source]
                    pair_rows.append(
                        dict(
                            scenario=scen.name,
                            design_a=st.designs[a].name,
                            design_b=st.designs[b].name,
                            metric=metric,
                            n_trials=0,
                            method=METHOD,
                            mean_a=ma,
                            mean_b=mb,
                            diff=ma - mb,
                            se_paired=0.0,
                            se_unpaired=0.0,
                            variance_ratio=math.nan,
                        )
                    )
            yield oc_rows, dose_rows, pair_rows
        self.manifest["exact"] = [{**c, "seconds": round(c["seconds"], 3)} for c in cost.values()]


def _dose_rows(st: ExactStudy, design: Design, scen: Scenario, dose: np.ndarray) -> list[dict]:
    from ..oc.metrics import correct_mask, included_doses

    correct = correct_mask(scen.true_tox, design.target, st.acceptable_band, included_doses(design))
    truth = _phase12_truth(design, scen)
    obd = truth[1] if truth is not None else np.zeros(design.n_doses, dtype=bool)
    rows = []
    for d in range(design.n_doses):
        row = dict(
            scenario=scen.name,
            design=design.name,
            method=METHOD,
            dose=d + 1,
            dose_label=design.doses[d],
            true_tox=float(scen.true_tox[d]),
            correct=bool(correct[d]),
        )
        for j, c in enumerate(DOSE_COLUMNS):
            x = float(dose[j, d])
            row[c], row[c + "_mcse"] = x, (0.0 if math.isfinite(x) else math.nan)
        row["obd"] = bool(obd[d])
        rows.append(row)
    return rows
