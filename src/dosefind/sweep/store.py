"""The sweep output folder: manifest, per-task parts, and the final Parquet dataset.

Layout of ``--out``::

    manifest.json          provenance (dosefind version, study hash, seed, trials) and run history
    .lock                  held (flock) by the sweep writing the folder; released when it exits or dies
    parts/task-NNNNNNN.units.parquet   sufficient statistics of one task (see dosefind.sweep.stats)
    parts/task-NNNNNNN.pairs.parquet   paired-difference sums of the same task
    parts/task-NNNNNNN.time.parquet    timed studies: per (scenario, design) the durations' sketch
                                       (dosefind.oc.calendar_sums), written before the other two
    oc.parquet             one row per (scenario, design): metrics and <metric>_mcse columns, the method
                           ("simulation", or "exact" for exact studies: dosefind.sweep.exact)
    oc_dose.parquet        one row per (scenario, design, dose): per-dose metrics and MCSEs
    paired.parquet         one row per (scenario, design_a, design_b, metric): paired differences
    scenarios.parquet      one row per scenario: name, position, description, true_tox
    designs.parquet        one row per design: name, kind, target, cohort size, max n, hash, spec (JSON)

Every file is written to a temporary name in the same folder, flushed to disk and renamed, so a reader
never sees half a file. A task counts as done when its ``units`` file exists; it is written after its
``pairs`` file, so a run killed at any instant (kill -9 included) leaves only whole tasks and resumes
with nothing missing or duplicated. Results depend only on the study, so re-running a task that was
interrupted writes the same bytes.
"""

from __future__ import annotations

import fcntl
import json
import platform
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .. import __version__
from ..atomic import TEMP_PREFIX, atomic_path, write_bytes_atomic
from ..errors import MissingExtraError, OutputError
from ..oc.calendar_sums import SKETCH_FIELDS, QuantileSketch
from ..oc.metrics import included_doses, true_mtd
from ..oc.paired import PAIRED_METRICS
from .stats import DOSE_COLUMNS, OC_METRICS, SCALARS, VECTORS, add_stats, summarize_pair, summarize_unit
from .study import Study

FORMAT = 4  # 2: the calendar statistics of timed studies; 3: responses (phase I/II OBD metrics); 4: timed
# studies' duration sketches, timed arms' calendar sums in place of per-arm rows
MANIFEST = "manifest.json"
OUTPUTS = ("oc.parquet", "oc_dose.parquet", "paired.parquet", "scenarios.parquet", "designs.parquet")


def pyarrow_modules():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is a core dependency
        raise MissingExtraError("sweeps write Parquet files: pip install pyarrow") from None
    return pa, pq


def write_table_atomic(path: Path, table) -> None:
    _, pq = pyarrow_modules()
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def _versions() -> dict:
    import numba

    pa, _ = pyarrow_modules()
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "pyarrow": pa.__version__,
    }


class SweepFolder:
    """An output folder bound to one study. Use as a context manager: it holds the folder's lock."""

    def __init__(self, path: str | Path, study: Study):
        self.path = Path(path)
        self.study = study
        self.parts = self.path / "parts"
        self._lock = None
        self.manifest: dict = {}

    # ---- opening -----------------------------------------------------------------------------------------
    def __enter__(self) -> SweepFolder:
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def open(self) -> None:
        p = self.path
        if p.exists() and not p.is_dir():
            raise OutputError(f"--out: {p} is a file; give a folder (it is created if missing)")
        try:
            p.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OutputError(
                f"--out: cannot create the folder {p} ({e.strerror}); choose a folder you can create"
            ) from None
        manifest_path = p / MANIFEST
        if not manifest_path.exists() and any(x.name != ".lock" for x in p.iterdir()):
            raise OutputError(
                f"--out: {p} is not empty and holds no dosefind sweep ({MANIFEST} missing); "
                "choose an empty or new folder"
            )
        self._lock = open(p / ".lock", "a+")  # noqa: SIM115 - held for the life of the folder object
        try:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            self._lock = None
            raise OutputError(
                f"--out: another dosefind sweep is writing {p}; wait for it to finish or use another folder"
            ) from None
        try:
            self._check_or_create(manifest_path)
        except BaseException:
            self.close()
            raise

    def _check_or_create(self, manifest_path: Path) -> None:
        p = self.path
        study_hash = self.study.study_hash()
        if manifest_path.exists():
            try:
                self.manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as e:
                raise OutputError(f"--out: {manifest_path} is unreadable ({e}); use a new folder") from None
            old = self.manifest.get("study_hash")
            if old != study_hash:
                old_name = self.manifest.get("study", {}).get("name")
                raise OutputError(
                    f"--out: {p} holds results of another study ({old_name!r}, "
                    f"hash {old}); this study hashes to {study_hash}. Use a new --out folder, or delete {p} "
                    "to start over"
                )
            if self.manifest.get("version") != __version__ or self.manifest.get("format") != FORMAT:
                raise OutputError(
                    f"--out: {p} was written by dosefind {self.manifest.get('version')} and cannot be "
                    f"resumed by dosefind {__version__} (results could differ); use a new --out folder"
                )
        else:
            self.manifest = {
                "format": FORMAT,
                "package": "dosefind",
                "version": __version__,
                "study_hash": study_hash,
                "study": self.study.settings(),
                "n_trials": self.study.n_trials,
                "seed": self.study.seed,
                "method": getattr(self.study, "method", "simulation"),
                **self._counts(),
                "n_tasks": self.study.n_tasks,
                "created": _now(),
                "complete": False,
                "runs": [],
                **_versions(),
            }
            self.write_manifest()
        self.parts.mkdir(exist_ok=True)
        for folder in (self.parts, self.path):  # temporary files of a killed run; we hold the lock
            for stale in folder.glob(TEMP_PREFIX + "*"):
                stale.unlink()

    def _counts(self) -> dict:
        """The study's size as the manifest and the tables' provenance record it."""
        return {"n_scenarios": len(self.study.scenarios), "n_designs": len(self.study.designs)}

    def close(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def write_manifest(self) -> None:
        text = json.dumps(self.manifest, indent=2, sort_keys=True) + "\n"
        write_bytes_atomic(self.path / MANIFEST, text.encode("utf-8"))

    # ---- parts -------------------------------------------------------------------------------------------
    def _part(self, task_id: int, kind: str) -> Path:
        return self.parts / f"task-{task_id:07d}.{kind}.parquet"

    def done_tasks(self) -> set[int]:
        done = set()
        for f in self.parts.glob("task-*.units.parquet"):
            try:
                done.add(int(f.name[5:12]))
            except ValueError:
                continue
        return {t for t in done if t < self.study.n_tasks}

    def write_task(self, task_id: int, stats: dict[str, np.ndarray]) -> None:
        """Store one task's statistics: the pairs file first, the units file (the 'done' mark) last."""
        pa, _ = pyarrow_modules()
        task = self.study.task(task_id)
        scal, vec, pairs = stats["scalars"], stats["vectors"], stats["pairs"]
        S, K = scal.shape[:2]
        D = vec.shape[-1]
        if S != len(task.scenarios) or K != len(self.study.designs):
            raise OutputError(f"task {task_id}: statistics of shape {scal.shape} do not fit the study")
        s_idx = np.repeat(np.arange(task.first_scenario, task.first_scenario + S), K)
        d_idx = np.tile(np.arange(K), S)
        cols = {
            "scenario_index": pa.array(s_idx, pa.int64()),
            "design_index": pa.array(d_idx, pa.int32()),
            "block": pa.array(np.full(S * K, task.block), pa.int32()),
            "first_trial": pa.array(np.full(S * K, task.first_trial), pa.int64()),
        }
        flat = scal.reshape(S * K, len(SCALARS))
        for j, name in enumerate(SCALARS):
            cols[name] = pa.array(flat[:, j], pa.float64())
        vflat = vec.reshape(S * K, len(VECTORS), D)
        for j, name in enumerate(VECTORS):
            cols[name] = pa.FixedSizeListArray.from_arrays(pa.array(vflat[:, j].ravel(), pa.float64()), D)
        units = pa.table(cols)
        P = pairs.shape[1]
        M = len(PAIRED_METRICS)
        pa_idx = np.array([a for a, _ in task.pairs], dtype=np.int32)
        pb_idx = np.array([b for _, b in task.pairs], dtype=np.int32)
        pair_table = pa.table(
            {
                "scenario_index": pa.array(
                    np.repeat(np.arange(task.first_scenario, task.first_scenario + S), P * M), pa.int64()
                ),
                "design_a": pa.array(np.tile(np.repeat(pa_idx, M), S), pa.int32()),
                "design_b": pa.array(np.tile(np.repeat(pb_idx, M), S), pa.int32()),
                "metric": pa.array(np.tile(np.arange(M, dtype=np.int32), S * P), pa.int32()),
                "d_s": pa.array(pairs[..., 0].ravel(), pa.float64()),
                "d_q": pa.array(pairs[..., 1].ravel(), pa.float64()),
            }
        )
        if "sketches" in stats:  # timed studies: the durations' sketches, before the 'done' mark
            write_table_atomic(self._part(task_id, "time"), _sketch_table(pa, task, stats["sketches"]))
        write_table_atomic(self._part(task_id, "pairs"), pair_table)
        write_table_atomic(self._part(task_id, "units"), units)

    def read_task(self, task_id: int) -> dict[str, np.ndarray]:
        """The statistics of a finished task, as written (raises OutputError naming a damaged file)."""
        _, pq = pyarrow_modules()
        task = self.study.task(task_id)
        S, K, D = len(task.scenarios), len(self.study.designs), self.study.n_doses
        P, M = len(task.pairs), len(PAIRED_METRICS)
        paths = self._part(task_id, "units"), self._part(task_id, "pairs")
        current = paths[0]
        try:
            units = pq.read_table(current)
            scal = np.column_stack([units.column(n).to_numpy() for n in SCALARS]).reshape(S, K, len(SCALARS))
            vec = np.stack(
                [units.column(n).combine_chunks().flatten().to_numpy().reshape(S * K, D) for n in VECTORS],
                axis=1,
            ).reshape(S, K, len(VECTORS), D)
            expect = np.repeat(np.arange(task.first_scenario, task.first_scenario + S), K)
            if not np.array_equal(units.column("scenario_index").to_numpy(), expect):
                raise ValueError("scenario_index does not match the study")
            current = paths[1]
            pairs = pq.read_table(current)
            pr = np.stack([pairs.column("d_s").to_numpy(), pairs.column("d_q").to_numpy()], axis=-1)
            pr = pr.reshape(S, P, M, 2)
            expect = np.repeat(np.arange(task.first_scenario, task.first_scenario + S), P * M)
            if not np.array_equal(pairs.column("scenario_index").to_numpy(), expect):
                raise ValueError("scenario_index does not match the study")
            sketches = None
            if self.study.timing is not None:
                current = self._part(task_id, "time")
                sketches = _read_sketches(pq.read_table(current), task, S, K)
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise OutputError(
                f"{current.name}: damaged or from another layout ({e}); delete parts/task-{task_id:07d}.* "
                "and run the sweep again to recompute that task"
            ) from None
        out = {"scalars": scal, "vectors": vec, "pairs": pr}
        if sketches is not None:
            out["sketches"] = sketches
        return out

    # ---- the final dataset -------------------------------------------------------------------------------
    def provenance(self) -> dict:
        """What every output table carries in its Parquet metadata (key ``dosefind``), from the manifest;
        no timestamps, so the same study gives byte-identical tables on every backend and after resumes."""
        keys = ("package", "version", "study_hash", "seed", "n_trials", "n_scenarios", "n_designs")
        prov = {"study": self.manifest["study"]["name"], **{k: self.manifest[k] for k in keys}}
        prov["method"] = self.manifest.get("method", "simulation")  # folders begun before it was recorded
        return prov

    def finalize(self) -> list[Path]:
        """Combine every task into the Parquet dataset (streamed one chunk of scenarios at a time, the
        rows from :meth:`row_chunks`), then the scenario and design tables and the complete manifest."""
        outputs = [self.path / n for n in OUTPUTS]  # rebuilt on every run: re-reading the parts checks them
        pa, pq = pyarrow_modules()
        st = self.study
        meta = {b"dosefind": json.dumps(self.provenance(), sort_keys=True).encode()}
        schemas = {name: schema.with_metadata(meta) for name, schema in _schemas(pa).items()}
        with ExitStack() as stack:  # unwinds last-in first-out: each writer closes before its file is renamed
            writers = {}
            for name in ("oc.parquet", "oc_dose.parquet", "paired.parquet"):
                tmp = stack.enter_context(atomic_path(self.path / name))
                writers[name] = stack.enter_context(pq.ParquetWriter(tmp, schemas[name]))
            for chunk in self.row_chunks():
                for name, chunk_rows in zip(writers, chunk, strict=True):
                    if chunk_rows:
                        writers[name].write_table(pa.Table.from_pylist(chunk_rows, schemas[name]))
        write_table_atomic(
            self.path / "scenarios.parquet", _scenario_table(pa, st).replace_schema_metadata(meta)
        )
        write_table_atomic(
            self.path / "designs.parquet", _design_table(pa, st.designs).replace_schema_metadata(meta)
        )
        self.manifest["complete"] = True
        self.manifest["finalized"] = _now()
        self.manifest["outputs"] = list(OUTPUTS)
        self.write_manifest()
        return outputs

    def row_chunks(self):
        """Per chunk of scenarios, its (oc, oc_dose, paired) rows: the chunk's tasks read and added."""
        st = self.study
        for chunk in range(st.n_chunks):
            total = None
            for block in range(st.n_blocks):
                total = add_stats(total, self.read_task(chunk * st.n_blocks + block))
            first = chunk * st.scenarios_per_task
            scens = st.scenarios[first : first + st.scenarios_per_task]
            yield _chunk_rows(st, first, scens, total, st.n_doses)


def sketch_columns(pa, arrays: list) -> dict:
    """Parquet list columns of sketches' arrays (:meth:`QuantileSketch.to_arrays`; None: no sketch)."""
    types = {np.int64: pa.int64(), np.float64: pa.float64()}
    return {
        name: pa.array([None if a is None else a[name].tolist() for a in arrays], pa.list_(types[dtype]))
        for name, dtype in SKETCH_FIELDS.items()
    }


def sketch_arrays_at(columns: dict, i: int) -> dict | None:
    """Row ``i`` of :func:`sketch_columns` read back (``to_pydict``), or None where no sketch was stored."""
    if columns["keys"][i] is None:
        return None
    return {name: np.asarray(columns[name][i]) for name in SKETCH_FIELDS}


def _sketch_table(pa, task, sketches) -> object:
    """A timed task's ``time`` part: per (scenario, design), its durations' sketch
    (:mod:`dosefind.oc.calendar_sums`)."""
    cells = [(task.first_scenario + si, k, sk) for si, row in enumerate(sketches) for k, sk in enumerate(row)]
    return pa.table(
        {
            "scenario_index": pa.array([s for s, _, _ in cells], pa.int64()),
            "design_index": pa.array([k for _, k, _ in cells], pa.int32()),
            **sketch_columns(pa, [sk.to_arrays() for _, _, sk in cells]),
        }
    )


def _read_sketches(table, task, S: int, K: int) -> list:
    """The inverse of :func:`_sketch_table` ([S][K] sketches; ValueError if it does not fit the task)."""
    t = table.to_pydict()
    if len(t["scenario_index"]) != S * K:
        raise ValueError("the time part does not fit the study")
    out: list = [[None] * K for _ in range(S)]
    for i, (s_idx, k) in enumerate(zip(t["scenario_index"], t["design_index"], strict=True)):
        si = s_idx - task.first_scenario
        if not (0 <= si < S and 0 <= k < K) or out[si][k] is not None:
            raise ValueError("scenario_index does not match the study")
        out[si][k] = QuantileSketch.from_arrays(sketch_arrays_at(t, i))
    return out


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _schemas(pa) -> dict:
    oc_fields = [
        pa.field("scenario", pa.string()),
        pa.field("design", pa.string()),
        pa.field("scenario_index", pa.int64()),
        pa.field("n_trials", pa.int64()),
        pa.field("method", pa.string()),  # "simulation", or "exact" (dosefind.sweep.exact: MCSE 0)
        pa.field("target", pa.float64()),
        pa.field("mtd", pa.int32()),
    ]
    for m in OC_METRICS:
        oc_fields += [pa.field(m, pa.float64()), pa.field(m + "_mcse", pa.float64())]
    dose_fields = [
        pa.field("scenario", pa.string()),
        pa.field("design", pa.string()),
        pa.field("method", pa.string()),
        pa.field("dose", pa.int32()),
        pa.field("dose_label", pa.string()),
        pa.field("true_tox", pa.float64()),
        pa.field("correct", pa.bool_()),
    ]
    for c in DOSE_COLUMNS:
        dose_fields += [pa.field(c, pa.float64()), pa.field(c + "_mcse", pa.float64())]
    dose_fields.append(pa.field("obd", pa.bool_()))  # phase I/II: a correct OBD (False for other designs)
    pair_fields = [
        pa.field("scenario", pa.string()),
        pa.field("design_a", pa.string()),
        pa.field("design_b", pa.string()),
        pa.field("metric", pa.string()),
        pa.field("n_trials", pa.int64()),
        pa.field("method", pa.string()),
    ] + [
        pa.field(c, pa.float64())
        for c in ("mean_a", "mean_b", "diff", "se_paired", "se_unpaired", "variance_ratio")
    ]
    return {
        "oc.parquet": pa.schema(oc_fields),
        "oc_dose.parquet": pa.schema(dose_fields),
        "paired.parquet": pa.schema(pair_fields),
    }


def _chunk_rows(st: Study, first: int, scens, total: dict, D: int):
    oc_rows, dose_rows, pair_rows = [], [], []
    for si, scen in enumerate(scens):
        s_index = first + si
        for k, design in enumerate(st.designs):
            wide, dose = summarize_unit(
                total["scalars"][si, k],
                total["vectors"][si, k],
                scen.true_tox,
                design.target,
                st.acceptable_band,
                included_doses(design),
                st.timing is not None,
                _phase12_truth(design, scen),
                total["sketches"][si][k] if "sketches" in total else None,
            )
            mtd = true_mtd(design, scen.true_tox, st.acceptable_band) + 1
            oc_rows.append(
                dict(
                    scenario=scen.name,
                    design=design.name,
                    scenario_index=s_index,
                    n_trials=int(total["scalars"][si, k, 0]),
                    method="simulation",
                    target=design.target,
                    mtd=mtd,
                    **wide,
                )
            )
            for d in range(D):
                row = dict(
                    scenario=scen.name,
                    design=design.name,
                    method="simulation",
                    dose=d + 1,
                    dose_label=design.doses[d],
                    true_tox=float(scen.true_tox[d]),
                    correct=bool(dose["correct"][d]),
                )
                for c in DOSE_COLUMNS:
                    row[c] = float(dose[c][d])
                    row[c + "_mcse"] = float(dose[c + "_mcse"][d])
                row["obd"] = bool(dose["obd"][d])
                dose_rows.append(row)
        for p, (a, b) in enumerate(st.pairs):
            for r in summarize_pair(total["scalars"][si, a], total["scalars"][si, b], total["pairs"][si, p]):
                pair_rows.append(
                    dict(
                        scenario=scen.name,
                        design_a=st.designs[a].name,
                        design_b=st.designs[b].name,
                        n_trials=int(total["scalars"][si, a, 0]),
                        method="simulation",
                        **r,
                    )
                )
    return oc_rows, dose_rows, pair_rows


def _phase12_truth(design, scen):
    """(true utility per dose, correct-OBD mask) of a phase I/II design under a scenario with response
    probabilities (:mod:`dosefind.oc.utility`), else None."""
    if not design.uses_efficacy or scen.true_eff is None:
        return None
    from ..oc.utility import obd_mask, true_utilities

    return true_utilities(design, scen), obd_mask(design, scen)


def _scenario_table(pa, st: Study):
    return pa.table(
        {
            "scenario": pa.array([s.name for s in st.scenarios], pa.string()),
            "scenario_index": pa.array(np.arange(len(st.scenarios)), pa.int64()),
            "description": pa.array([s.description for s in st.scenarios], pa.string()),
            "true_tox": pa.array([list(s.true_tox) for s in st.scenarios], pa.list_(pa.float64())),
        }
    )


def _design_table(pa, designs):
    return pa.table(
        {
            "design": pa.array([d.name for d in designs], pa.string()),
            "design_index": pa.array(np.arange(len(designs)), pa.int32()),
            "kind": pa.array([d.kind for d in designs], pa.string()),
            "target": pa.array([d.target for d in designs], pa.float64()),
            "cohort_size": pa.array([d.cohort_size for d in designs], pa.int32()),
            "max_n": pa.array([d.max_n for d in designs], pa.int32()),
            "config_hash": pa.array([d.config_hash() for d in designs], pa.string()),
            "spec": pa.array([json.dumps(d.to_dict(), sort_keys=True) for d in designs], pa.string()),
        }
    )
