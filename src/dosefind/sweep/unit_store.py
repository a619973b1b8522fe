"""The output folder of a sweep of arms, platforms and baskets (:mod:`dosefind.sweep.units`).

The same folder rules as single-arm sweeps (:class:`dosefind.sweep.store.SweepFolder`: lock, manifest,
atomic files, resume = skip the tasks whose part exists), with its own parts and tables::

    parts/task-NNNNNNN.time.parquet    timed arms only: the calendar sums of each unit over the task's
                                       block (:mod:`dosefind.oc.calendar_sums`: a row per unit, table
                                       time or cohort_day, and column: n, exact s and q texts, and the
                                       duration's sketch), written before the units part
    parts/task-NNNNNNN.units.parquet   every unit's statistics over one block of trials: one row per
                                       statistic (unit_index, row, a, b, c, kind, n, s, q; s and q exact
                                       texts: i<integer>, q<fraction>, f<float hex>)
    arm_oc.parquet / .csv        arm, scenario, metric, level, value, mcse, n_trials (arm.oc's rows)
    platform_oc.parquet / .csv   platform, scenario, arm, level, metric, value, mcse, n_trials
    basket_oc.parquet / .csv     basket, design, scenario, metric, cohort, value, mcse, n_trials
    units.parquet / .csv         unit_index, kind, subject, scenario, description, config_hash, spec (JSON)

A table is written only for the kinds the study has. Every Parquet table carries the provenance in its
metadata (key ``dosefind``: package, version, study hash, seed, trials, counts); ``manifest.json`` holds
the same and the history of runs. Tables hold no timestamps, so the same study gives byte-identical
files on every backend and after any number of resumes.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from ..atomic import atomic_path
from ..errors import OutputError
from ..oc.calendar_sums import ColumnSums
from .store import SweepFolder, _now, pyarrow_modules, sketch_arrays_at, sketch_columns, write_table_atomic
from .units import COLUMNS, TABLES, UnitStudy, _dec, _enc, add_arrays, add_terms


def _schema(pa, kind: str):
    fields = [
        pa.field(c, pa.float64()) if c in ("value", "mcse") else pa.field(c, pa.string())
        for c in COLUMNS[kind]
    ]
    return pa.schema([*fields, pa.field("n_trials", pa.int64())])


def _time_table(pa, timed: list) -> object:
    """The ``time`` part: per timed unit, its two :class:`ColumnSums` as rows."""
    cols: dict[str, list] = {k: [] for k in ("unit_index", "table", "column", "n", "s", "q", "sketch")}
    for u, pair in timed:
        for name, sums in zip(("time", "cohort_day"), pair, strict=True):
            for c, n, s1, s2, sk in sums.to_rows():
                for key, x in zip(cols, (u, name, c, n, _enc(s1), _enc(s2), sk), strict=True):
                    cols[key].append(x)
    return pa.table(
        {
            "unit_index": pa.array(cols["unit_index"], pa.int64()),
            "table": pa.array(cols["table"], pa.string()),
            "column": pa.array(cols["column"], pa.int32()),
            "n": pa.array(cols["n"], pa.int64()),
            "s": pa.array(cols["s"], pa.string()),
            "q": pa.array(cols["q"], pa.string()),
            **sketch_columns(pa, cols["sketch"]),
        }
    )


def _read_time_table(table) -> dict[int, tuple]:
    """The inverse of :func:`_time_table`: unit index -> (time sums, cohort day sums)."""
    t = table.to_pydict()
    rows: dict[tuple[int, str], list] = {}
    for i, u in enumerate(t["unit_index"]):
        rows.setdefault((u, t["table"][i]), []).append(
            (t["column"][i], t["n"][i], _dec(t["s"][i]), _dec(t["q"][i]), sketch_arrays_at(t, i))
        )
    units = sorted({u for u, _ in rows})
    names = ("time", "cohort_day")
    return {u: tuple(ColumnSums.from_rows(rows.get((u, name), [])) for name in names) for u in units}


class UnitFolder(SweepFolder):
    """An output folder bound to one :class:`UnitStudy`."""

    study: UnitStudy

    def _counts(self) -> dict:
        return self.study.counts()

    def outputs(self) -> list[str]:
        names = [f"{TABLES[k]}.{ext}" for k in self.study.kinds() for ext in ("parquet", "csv")]
        return [*names, "units.parquet", "units.csv"]

    def provenance(self) -> dict:
        keys = ("package", "version", "study_hash", "seed", "n_trials", *self.study.counts())
        out = {"study": self.manifest["study"]["name"], **{k: self.manifest[k] for k in keys}}
        if self.study.exact:  # no trials: every value computed exactly, MCSE 0
            out.update(method="exact", n_trials=0, seed=None)
        return out

    # ---- parts -------------------------------------------------------------------------------------------
    def write_task(self, task_id: int, stats: list[tuple]) -> None:
        """Store one task: a timed arm's calendar columns first (``time`` part), the units part (the
        'done' mark) last."""
        pa, _ = pyarrow_modules()
        task = self.study.task(task_id)
        if len(stats) != len(task.units):
            raise OutputError(f"task {task_id}: statistics of {len(stats)} units do not fit the study")
        timed = [(task.first_unit + j, arr) for j, (_, arr) in enumerate(stats) if arr is not None]
        if timed:
            write_table_atomic(self._part(task_id, "time"), _time_table(pa, timed))
        cols: dict[str, list] = {k: [] for k in ("unit_index", "row", "a", "b", "c", "kind", "n", "s", "q")}
        for j, (rows, _) in enumerate(stats):
            for r, (a, b, c, kind, n, s, q) in enumerate(rows):
                cols["unit_index"].append(task.first_unit + j)
                cols["row"].append(r)
                for key, x in (("a", a), ("b", b), ("c", c), ("kind", kind)):
                    cols[key].append(x)
                cols["n"].append(int(n))
                cols["s"].append(_enc(s))
                cols["q"].append(_enc(q))
        table = pa.table(
            {
                "unit_index": pa.array(cols["unit_index"], pa.int64()),
                "row": pa.array(cols["row"], pa.int32()),
                **{k: pa.array(cols[k], pa.string()) for k in ("a", "b", "c", "kind")},
                "n": pa.array(cols["n"], pa.int64()),
                "s": pa.array(cols["s"], pa.string()),
                "q": pa.array(cols["q"], pa.string()),
            }
        )
        write_table_atomic(self._part(task_id, "units"), table)

    def read_task(self, task_id: int) -> list[tuple]:
        """Per unit of the task, (statistics rows, calendar columns or None), as written."""
        _, pq = pyarrow_modules()
        task = self.study.task(task_id)
        path = self._part(task_id, "units")
        arrays: list = [None] * len(task.units)
        try:
            time_path = self._part(task_id, "time")
            if time_path.exists():
                path = time_path
                for u, sums in _read_time_table(pq.read_table(time_path)).items():
                    j = u - task.first_unit
                    if not 0 <= j < len(arrays):
                        raise ValueError("unit_index does not match the study")
                    arrays[j] = sums
                path = self._part(task_id, "units")
            t = pq.read_table(path).to_pydict()
            out: list[list[tuple]] = [[] for _ in task.units]
            for i, u in enumerate(t["unit_index"]):
                j = u - task.first_unit
                if not 0 <= j < len(out) or t["row"][i] != len(out[j]):
                    raise ValueError("unit_index does not match the study")
                out[j].append(
                    (
                        t["a"][i],
                        t["b"][i],
                        t["c"][i],
                        t["kind"][i],
                        t["n"][i],
                        _dec(t["s"][i]),
                        _dec(t["q"][i]),
                    )
                )
            if any(not rows for rows in out):
                raise ValueError("a unit has no statistics")
            for j, u in enumerate(task.units):
                if u.kind == "arm" and u.payload[2] is not None and arrays[j] is None:
                    raise ValueError("a timed arm has no calendar columns")
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise OutputError(
                f"{path.name}: damaged or from another layout ({e}); delete parts/task-{task_id:07d}.* "
                "and run the sweep again to recompute that task"
            ) from None
        return list(zip(out, arrays, strict=True))

    # ---- the final tables --------------------------------------------------------------------------------
    def finalize(self) -> list[Path]:
        pa, pq = pyarrow_modules()
        import pyarrow.csv as pcsv

        st = self.study
        meta = {b"dosefind": json.dumps(self.provenance(), sort_keys=True).encode()}
        kinds = st.kinds()
        with ExitStack() as stack:
            writers = {}
            for k in kinds:
                schema = _schema(pa, k).with_metadata(meta)
                tmp = stack.enter_context(atomic_path(self.path / f"{TABLES[k]}.parquet"))
                tmp_csv = stack.enter_context(atomic_path(self.path / f"{TABLES[k]}.csv"))
                writers[k] = (
                    schema,
                    stack.enter_context(pq.ParquetWriter(tmp, schema)),
                    stack.enter_context(pcsv.CSVWriter(str(tmp_csv), _schema(pa, k))),
                )
            for chunk in range(st.n_chunks):
                first = chunk * st.units_per_task
                units = st.units[first : first + st.units_per_task]
                sums = [u.new_sums(st.acceptable_band) for u in units]
                for block in range(st.n_blocks):
                    part = self.read_task(chunk * st.n_blocks + block)
                    for u, s, (rows, arrays) in zip(units, sums, part, strict=True):
                        add_terms(u.kind, s, rows)
                        add_arrays(u.kind, s, arrays)
                rows_by_kind: dict[str, list[dict]] = {k: [] for k in kinds}
                for u, s in zip(units, sums, strict=True):
                    for r in s.rows():
                        row = dict(r)
                        if u.kind == "platform":
                            row["platform"] = u.subject
                        elif u.kind == "basket":
                            row["basket"] = u.subject
                        row["n_trials"] = 0 if st.exact else st.n_trials  # exact: no simulated trials
                        rows_by_kind[u.kind].append(row)
                for k, rows in rows_by_kind.items():
                    if rows:
                        schema, pw, cw = writers[k]
                        table = pa.Table.from_pylist(rows, schema)
                        pw.write_table(table)
                        cw.write_table(table.replace_schema_metadata(None))
        units = pa.table(
            {
                "unit_index": pa.array(np.arange(len(st.units)), pa.int64()),
                "kind": pa.array([u.kind for u in st.units], pa.string()),
                "subject": pa.array([u.subject for u in st.units], pa.string()),
                "scenario": pa.array([u.scenario for u in st.units], pa.string()),
                "description": pa.array([u.description for u in st.units], pa.string()),
                "config_hash": pa.array([u.config_hash() for u in st.units], pa.string()),
                "spec": pa.array([json.dumps(u.spec_dict(), sort_keys=True) for u in st.units], pa.string()),
            }
        )
        write_table_atomic(self.path / "units.parquet", units.replace_schema_metadata(meta))
        with atomic_path(self.path / "units.csv") as tmp:
            pcsv.write_csv(units, str(tmp))
        outputs = self.outputs()
        self.manifest["complete"] = True
        self.manifest["finalized"] = _now()
        self.manifest["outputs"] = outputs
        self.write_manifest()
        return [self.path / n for n in outputs]
