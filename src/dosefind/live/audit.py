"""The append-only, hash-chained audit log of a live dose-escalation trial.

Every live recommendation is appended as a ``recommendation`` record, and what the dose-escalation
meeting then decided (which may overrule the design) as a ``decision`` record that names the
recommendation it answers. The log is one SQLite file; records are never updated or deleted.

Chain. Record ``seq`` (1, 2, 3, ...) stores ``prev_hash``, the hash of record ``seq - 1`` (64 zeros for
the first record), and its own ``hash``::

    hash = sha256(utf-8 of json.dumps([seq, time_utc, kind, arm, payload, prev_hash],
                                      separators=(",", ":"), ensure_ascii=False)).hexdigest()

where ``payload`` is the stored text of the payload column (canonical JSON: sorted keys, no spaces,
non-ASCII kept) and ``arm`` is ``null`` when absent. Anyone can recompute the chain from the file
without dosefind. The ``meta`` table also holds the number of records appended and the head hash,
updated in the same transaction as every append, so that deleting records from the end is detected too.

What this protects against. :meth:`AuditLog.verify` detects a record edited in place (its hash no
longer matches), a record deleted, inserted or moved (a gap in ``seq`` or a broken ``prev_hash``
link) and records cut off the end (``meta`` disagrees with the last record). SQLite triggers also
refuse UPDATE and DELETE on the records. The log is tamper-evident, not tamper-proof: anyone with
write access to the file can drop the triggers and rewrite the whole chain and ``meta`` consistently.
Export the head hash (``dosefind log verify`` prints it) to the signed meeting minutes: a rewritten
history then no longer ends at the hash the minutes quote.

Concurrency. Each operation opens its own connection (an :class:`AuditLog` holds none, so one can be
created in every process). An append reads the head and inserts the next record inside one
``BEGIN IMMEDIATE`` transaction, i.e. under SQLite's write lock, waits up to :data:`BUSY_TIMEOUT_S`
for that lock and retries when SQLite still reports the file as locked; several processes appending
at once lose nothing and the chain stays linear. The file uses SQLite's default rollback journal
rather than WAL, so the log is always a single self-contained file that can be copied or archived.
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import DataError

#: Record kinds written by dosefind itself; other kinds may be appended (e.g. "note").
RECOMMENDATION = "recommendation"
DECISION = "decision"

#: ``prev_hash`` of the first record.
GENESIS_HASH = "0" * 64

#: Value of the ``format`` key in ``meta``: marks a SQLite file as a dosefind audit log.
LOG_FORMAT = "dosefind-audit-log"
SCHEMA_VERSION = 1

#: Seconds an append waits for another process's write lock (SQLite busy timeout) ...
BUSY_TIMEOUT_S = 30.0
#: ... and how many times it tries again if SQLite still reports the file locked.
LOCK_RETRIES = 3

#: Payload key of a recommendation holding the design's next dose (a dose label, or null to stop).
NEXT_DOSE_KEY = "next_dose"

_TRIGGERS = {
    "records_no_update": "BEFORE UPDATE ON records BEGIN "
    "SELECT RAISE(ABORT, 'dosefind audit log is append-only: records cannot be changed'); END",
    "records_no_delete": "BEFORE DELETE ON records BEGIN "
    "SELECT RAISE(ABORT, 'dosefind audit log is append-only: records cannot be deleted'); END",
    "meta_no_delete": "BEFORE DELETE ON meta BEGIN "
    "SELECT RAISE(ABORT, 'dosefind audit log: meta entries cannot be deleted'); END",
    "meta_fixed_keys": "BEFORE UPDATE ON meta WHEN old.key NOT IN ('n_records', 'head_hash') BEGIN "
    "SELECT RAISE(ABORT, 'dosefind audit log: this meta entry cannot be changed'); END",
}

_SCHEMA = [
    """CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE records (
        seq INTEGER PRIMARY KEY,
        time_utc TEXT NOT NULL,
        kind TEXT NOT NULL,
        arm TEXT,
        payload TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    )""",
    "CREATE INDEX records_kind ON records (kind)",
    *(f"CREATE TRIGGER {name} {body}" for name, body in _TRIGGERS.items()),
]


def canonical_json(payload: Mapping[str, Any]) -> str:
    """The canonical text of a payload: sorted keys, no whitespace, non-ASCII characters kept.

    NumPy scalars and arrays are stored as plain numbers and lists. Raises DataError for anything
    JSON cannot hold (NaN, infinity, arbitrary objects) or keys that are not strings.
    """
    if not isinstance(payload, Mapping):
        raise DataError(
            f"audit log payload must be a dict, not {type(payload).__name__}; wrap the value, "
            'e.g. {"value": ...}'
        )
    try:
        return json.dumps(
            payload,
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
            default=_json_default,
        )
    except ValueError as e:  # NaN / infinity
        raise DataError(
            f"audit log payload contains a value JSON cannot store ({e}); "
            "store null or a string such as 'not estimable' instead"
        ) from None
    except TypeError as e:
        raise DataError(
            f"audit log payload cannot be stored as JSON ({e}); use strings, numbers, booleans, null, "
            "lists and dicts with string keys"
        ) from None


def _json_default(value: Any) -> Any:
    tolist = getattr(value, "tolist", None)  # NumPy scalars and arrays, without importing NumPy
    if callable(tolist):
        out = tolist()
        if isinstance(out, float) and not math.isfinite(out):
            raise ValueError("Out of range float values are not JSON compliant")
        return out
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def record_hash(
    seq: int, time_utc: str, kind: str, arm: str | None, payload_json: str, prev_hash: str
) -> str:
    """sha256 (hex) of the canonical serialization of one record (see the module docstring)."""
    text = json.dumps(
        [seq, time_utc, kind, arm, payload_json, prev_hash], separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Record:
    """One row of the log. ``payload_json`` is the stored text; ``payload`` parses it (a fresh dict)."""

    seq: int
    time_utc: str
    kind: str
    arm: str | None
    payload_json: str
    prev_hash: str
    hash: str

    @property
    def payload(self) -> dict[str, Any]:
        try:
            value = json.loads(self.payload_json)
        except (TypeError, ValueError):
            value = None
        if not isinstance(value, dict):
            raise DataError(
                f"audit log record {self.seq}: payload is not a JSON object; the file was altered "
                "outside dosefind, run `dosefind log verify`"
            )
        return value

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON-ready values, with the payload parsed."""
        return {
            "seq": self.seq,
            "time_utc": self.time_utc,
            "kind": self.kind,
            "arm": self.arm,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :meth:`AuditLog.verify`. ``head_hash`` is the hash of the last record present."""

    ok: bool
    n_records: int
    problems: list[str] = field(default_factory=list)
    head_hash: str = GENESIS_HASH


class AuditLog:
    """An append-only, hash-chained log of recommendations and decisions in one SQLite file.

    ``AuditLog(path)`` opens the log, creating the file and its schema if the file is absent or
    empty; ``AuditLog.open_existing(path)`` (or ``create=False``) requires an existing log. Either
    raises DataError if the file is not a dosefind audit log. There is deliberately no way to change
    or remove a record.
    """

    def __init__(self, path: str | Path, *, create: bool = True):
        self.path = Path(path)
        if not self.path.exists():
            if not create:
                raise DataError(
                    f"{self.path}: audit log not found; check the path, or start a new log by "
                    "running `dosefind recommend` with this log path"
                )
            if not self.path.parent.is_dir():
                raise DataError(
                    f"{self.path}: folder {self.path.parent} does not exist; create it or choose another path"
                )
        elif self.path.is_dir():
            raise DataError(f"{self.path}: is a folder, not an audit log file; give the path of the log file")
        with self._connect(create=create) as con:
            if not self._has_meta(con):
                if not create:
                    raise self._not_a_log()
                self._initialise(con)
            self._check_meta(con)

    @classmethod
    def open_existing(cls, path: str | Path) -> AuditLog:
        """Open a log that must already exist (DataError if it is missing or not a dosefind log)."""
        return cls(path, create=False)

    def __repr__(self) -> str:
        return f"AuditLog({str(self.path)!r})"

    # ---- writing ---------------------------------------------------------------------------------

    def append(self, kind: str, payload: Mapping[str, Any], arm: str | None = None) -> Record:
        """Append one record and return it (with its sequence number and hash)."""
        return self._append(kind, lambda con: (payload, arm))

    def append_recommendation(self, payload: Mapping[str, Any], arm: str | None = None) -> Record:
        """Append what the design recommends; the dose it proposes belongs under ``"next_dose"``."""
        return self.append(RECOMMENDATION, payload, arm)

    def append_decision(
        self,
        refers_to: int,
        decided_dose: str | None,
        decision: str,
        reason: str,
        decided_by: str | None = None,
        arm: str | None = None,
    ) -> Record:
        """Append what the meeting decided in answer to recommendation ``refers_to`` (its seq).

        ``decided_dose`` is the dose label given next, or None (or "none") when the meeting stops the
        trial (or the arm). The payload copies the design's ``next_dose`` from the recommendation as
        ``recommended_dose`` and sets ``overruled`` when the decided dose differs from it (null if the
        recommendation recorded no next dose). ``arm`` defaults to the recommendation's arm.
        """
        if isinstance(refers_to, bool) or not isinstance(refers_to, int):
            raise DataError(
                f"decision: refers_to must be the seq number of a recommendation, not {refers_to!r}; "
                "see `dosefind log show`"
            )
        decision = _required_text("decision", decision, "e.g. 'escalate', 'stay', 'de-escalate' or 'stop'")
        reason = _required_text("reason", reason, "say why the meeting decided this")
        if decided_dose is not None:
            decided_dose = _required_text(
                "decided dose", str(decided_dose), "give a dose label, or None to stop"
            )
            if decided_dose.lower() == "none":
                decided_dose = None
        if decided_by is not None:
            decided_by = _required_text("decided_by", decided_by, "name who decided, or leave it out")
        if arm is not None:
            arm = _required_text("arm", arm, "give the arm's label or leave it out")

        def build(con: sqlite3.Connection) -> tuple[dict[str, Any], str | None]:
            rec = self._get(con, refers_to)
            if rec is None:
                raise DataError(
                    f"{self.path}: decision refers to record {refers_to}, which does not exist; "
                    "give the seq of a recommendation (see `dosefind log show --kind recommendation`)"
                )
            if rec.kind != RECOMMENDATION:
                raise DataError(
                    f"{self.path}: decision refers to record {refers_to}, which is a {rec.kind!r} record, "
                    "not a recommendation; give the seq of a recommendation "
                    "(see `dosefind log show --kind recommendation`)"
                )
            if arm is not None and rec.arm is not None and arm != rec.arm:
                raise DataError(
                    f"{self.path}: decision for arm {arm!r} refers to recommendation {refers_to} of arm "
                    f"{rec.arm!r}; give the seq of a recommendation for arm {arm!r}, or leave the arm out"
                )
            rec_payload = rec.payload
            labels = _design_doses(rec_payload)
            if decided_dose is not None and labels is not None:
                keys = [_dose_key(label) for label in labels]
                if _dose_key(decided_dose) not in keys:
                    raise DataError(
                        f"{self.path}: decided dose {decided_dose!r} is not a dose of the design of "
                        f"recommendation {refers_to}; give one of its doses "
                        f"({', '.join(str(k) for k in keys)}), or none to stop"
                    )
            body: dict[str, Any] = {
                "refers_to": refers_to,
                "decided_dose": decided_dose,
                "decision": decision,
                "reason": reason,
                "decided_by": decided_by,
            }
            if NEXT_DOSE_KEY in rec_payload:
                recommended = rec_payload[NEXT_DOSE_KEY]
                body["recommended_dose"] = recommended
                body["overruled"] = _dose_key(decided_dose) != _dose_key(recommended)
            else:
                body["recommended_dose"] = None
                body["overruled"] = None
            return body, (arm if arm is not None else rec.arm)

        return self._append(DECISION, build)

    # ---- reading ---------------------------------------------------------------------------------

    def records(self, kind: str | None = None) -> list[Record]:
        """All records in order of seq, or only those of one kind."""
        with self._connect() as con:
            if kind is None:
                rows = con.execute(f"SELECT {_COLUMNS} FROM records ORDER BY seq").fetchall()
            else:
                rows = con.execute(
                    f"SELECT {_COLUMNS} FROM records WHERE kind = ? ORDER BY seq", (kind,)
                ).fetchall()
        return [Record(*row) for row in rows]

    def last(self) -> Record | None:
        """The most recent record, or None for an empty log."""
        with self._connect() as con:
            row = con.execute(f"SELECT {_COLUMNS} FROM records ORDER BY seq DESC LIMIT 1").fetchone()
        return None if row is None else Record(*row)

    def get(self, seq: int) -> Record:
        """The record with this seq (DataError if there is none)."""
        with self._connect() as con:
            rec = self._get(con, seq)
        if rec is None:
            raise DataError(f"{self.path}: no record {seq}; see `dosefind log show` for the records present")
        return rec

    def meta(self) -> dict[str, str]:
        """The ``meta`` table: format, schema version, creation time and version, count and head hash."""
        with self._connect() as con:
            return dict(con.execute("SELECT key, value FROM meta").fetchall())

    def verify(self) -> VerifyResult:
        """Recompute the chain and compare it with ``meta``; every problem names the seq concerned.

        Detects edited records (hash mismatch), deleted, inserted or moved records (seq gaps, broken
        ``prev_hash`` links), records cut off the end (``meta`` count and head hash), and removed
        append-only triggers. It cannot detect a consistent rewrite of the whole file: compare the
        head hash with the one quoted in the meeting minutes for that.
        """
        with self._connect() as con:
            con.execute("BEGIN")  # one read snapshot of records and meta
            try:
                rows = con.execute(f"SELECT {_COLUMNS} FROM records ORDER BY seq").fetchall()
                meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
                triggers = {
                    r[0]
                    for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
                }
            finally:
                con.execute("COMMIT")
        problems: list[str] = []
        prev_seq, prev_hash, first_seen = 0, GENESIS_HASH, False
        for row in rows:
            rec = Record(*row)
            if rec.seq <= prev_seq:
                problems.append(f"record {rec.seq}: seq should be {prev_seq + 1} (a record was inserted)")
            elif rec.seq != prev_seq + 1:
                missing = (
                    f"record {prev_seq + 1} is"
                    if rec.seq == prev_seq + 2
                    else f"records {prev_seq + 1}-{rec.seq - 1} are"
                )
                problems.append(f"record {rec.seq}: {missing} missing before it (deleted)")
            if rec.prev_hash != prev_hash:
                before = f"the hash of record {prev_seq}" if first_seen else "the genesis value"
                problems.append(
                    f"record {rec.seq}: prev_hash does not match {before} (a record was "
                    "deleted, inserted or reordered, or a hash was rewritten)"
                )
            try:
                expected = record_hash(
                    rec.seq, rec.time_utc, rec.kind, rec.arm, rec.payload_json, rec.prev_hash
                )
            except TypeError:
                expected = None
            if expected != rec.hash:
                problems.append(f"record {rec.seq}: hash does not match its contents (record edited)")
            elif not _is_json_object(rec.payload_json):
                problems.append(f"record {rec.seq}: payload is not a JSON object")
            prev_seq, prev_hash, first_seen = rec.seq, rec.hash, True
        n_meta = meta.get("n_records")
        head_meta = meta.get("head_hash")
        if n_meta != str(prev_seq) or head_meta != prev_hash:
            problems.append(
                f"meta records {n_meta} appended with head hash {_short(head_meta)}, but the log ends at "
                f"record {prev_seq} with hash {_short(prev_hash)} (records deleted from the end, or meta "
                "edited)"
            )
        missing_triggers = sorted(set(_TRIGGERS) - triggers)
        if missing_triggers:
            problems.append(
                f"append-only triggers removed: {', '.join(missing_triggers)} (the schema was altered "
                "outside dosefind)"
            )
        return VerifyResult(ok=not problems, n_records=len(rows), problems=problems, head_hash=prev_hash)

    # ---- internals -------------------------------------------------------------------------------

    def _append(
        self,
        kind: str,
        build: Callable[[sqlite3.Connection], tuple[Mapping[str, Any], str | None]],
    ) -> Record:
        """Append the record ``build`` makes (payload, arm) from the log's state under the write lock."""
        if not isinstance(kind, str) or not kind.strip() or kind != kind.strip():
            raise DataError(
                f"audit log record kind must be a non-empty word without surrounding spaces, not {kind!r}; "
                f"e.g. {RECOMMENDATION!r} or {DECISION!r}"
            )
        for attempt in range(LOCK_RETRIES + 1):
            try:
                with self._connect(retry_locked=True) as con:
                    con.execute("BEGIN IMMEDIATE")
                    try:
                        payload, arm = build(con)
                        if arm is not None:
                            arm = _required_text("arm", arm, "give the arm's label or leave it out")
                        rec = self._insert(con, kind, arm, canonical_json(payload))
                        con.execute("COMMIT")
                    except BaseException:
                        if con.in_transaction:
                            con.execute("ROLLBACK")
                        raise
                return rec
            except sqlite3.OperationalError as e:
                if not _is_locked(e) or attempt == LOCK_RETRIES:
                    raise self._sqlite_error(e) from None
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _insert(self, con: sqlite3.Connection, kind: str, arm: str | None, payload_json: str) -> Record:
        meta = dict(
            con.execute("SELECT key, value FROM meta WHERE key IN ('n_records', 'head_hash')").fetchall()
        )
        last = con.execute("SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1").fetchone()
        last_seq, last_hash = last if last is not None else (0, GENESIS_HASH)
        if meta.get("n_records") != str(last_seq) or meta.get("head_hash") != last_hash:
            raise DataError(
                f"{self.path}: refusing to append: the log ends at record {last_seq} but meta records "
                f"{meta.get('n_records')} appended, so records were removed or the file was altered; "
                "run `dosefind log verify` and restore the log from a backup"
            )
        seq = last_seq + 1
        time_utc = datetime.now(timezone.utc).isoformat(timespec="microseconds")
        digest = record_hash(seq, time_utc, kind, arm, payload_json, last_hash)
        con.execute(
            f"INSERT INTO records ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq, time_utc, kind, arm, payload_json, last_hash, digest),
        )
        con.execute("UPDATE meta SET value = ? WHERE key = 'n_records'", (str(seq),))
        con.execute("UPDATE meta SET value = ? WHERE key = 'head_hash'", (digest,))
        return Record(seq, time_utc, kind, arm, payload_json, last_hash, digest)

    @staticmethod
    def _get(con: sqlite3.Connection, seq: int) -> Record | None:
        row = con.execute(f"SELECT {_COLUMNS} FROM records WHERE seq = ?", (seq,)).fetchone()
        return None if row is None else Record(*row)

    @contextmanager
    def _connect(self, create: bool = False, retry_locked: bool = False) -> Iterator[sqlite3.Connection]:
        """A fresh connection (closed afterwards); SQLite errors become DataError, except that lock
        time-outs are re-raised as they are when the caller retries them (``retry_locked``)."""
        uri = f"{self.path.resolve().as_uri()}?mode={'rwc' if create else 'rw'}"
        try:
            con = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as e:
            raise self._sqlite_error(e) from None
        try:
            con.execute("PRAGMA synchronous = FULL")
            yield con
        except sqlite3.OperationalError as e:
            if retry_locked and _is_locked(e):
                raise
            raise self._sqlite_error(e) from None
        except sqlite3.DatabaseError as e:
            raise self._sqlite_error(e) from None
        finally:
            con.close()

    def _has_meta(self, con: sqlite3.Connection) -> bool:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()}
        if "meta" in names:
            return True
        if names:
            raise self._not_a_log()
        return False

    def _initialise(self, con: sqlite3.Connection) -> None:
        con.execute("BEGIN IMMEDIATE")  # another process may be creating the same log right now
        try:
            if not self._has_meta(con):
                for statement in _SCHEMA:
                    con.execute(statement)
                con.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [
                        ("format", LOG_FORMAT),
                        ("schema_version", str(SCHEMA_VERSION)),
                        ("created_utc", datetime.now(timezone.utc).isoformat(timespec="seconds")),
                        ("dosefind_version", __version__),
                        ("n_records", "0"),
                        ("head_hash", GENESIS_HASH),
                    ],
                )
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise

    def _check_meta(self, con: sqlite3.Connection) -> None:
        try:
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.OperationalError:
            raise self._not_a_log() from None
        if meta.get("format") != LOG_FORMAT:
            raise self._not_a_log()
        version = meta.get("schema_version", "")
        if not version.isdigit():
            raise DataError(
                f"{self.path}: audit log has no valid schema version ({version!r}); the file was altered "
                "outside dosefind, restore it from a backup"
            )
        if int(version) > SCHEMA_VERSION:
            raise DataError(
                f"{self.path}: audit log schema version {version} was written by a newer dosefind "
                f"(this is {__version__}, schema {SCHEMA_VERSION}); upgrade dosefind"
            )

    def _not_a_log(self) -> DataError:
        return DataError(
            f"{self.path}: not a dosefind audit log (a SQLite file without dosefind's meta table); "
            "give the path of a log written by `dosefind recommend`, or a new path to start one"
        )

    def _sqlite_error(self, e: sqlite3.Error) -> DataError:
        text = str(e)
        if _is_locked(e):
            return DataError(
                f"{self.path}: the audit log stayed locked by another process for more than "
                f"{BUSY_TIMEOUT_S:.0f} s ({text}); wait for it to finish and try again"
            )
        if "not a database" in text:
            return DataError(
                f"{self.path}: not a SQLite file ({text}); give the path of a dosefind audit log, "
                "or a new path to start one"
            )
        if "malformed" in text or "corrupt" in text:
            return DataError(f"{self.path}: the audit log file is corrupt ({text}); restore it from a backup")
        if "unable to open" in text:
            return DataError(
                f"{self.path}: cannot open the audit log ({text}); check the path and permissions"
            )
        if "readonly" in text or "read-only" in text:
            return DataError(
                f"{self.path}: the audit log is read-only ({text}); check the file's permissions"
            )
        return DataError(f"{self.path}: audit log error ({text}); run `dosefind log verify`")


_COLUMNS = "seq, time_utc, kind, arm, payload, prev_hash, hash"


def _is_locked(e: sqlite3.Error) -> bool:
    text = str(e).lower()
    return "locked" in text or "busy" in text


def _required_text(what: str, value: Any, fix: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DataError(f"{what}: {value!r} is empty or not text; {fix}")
    return value.strip()


def _design_doses(payload: Mapping[str, Any]) -> list | None:
    """The dose (or cell) labels of the design a recommendation was made with, from its per-dose table
    (an arm's: its escalation's), or None when the payload has no such table."""
    escalation = payload.get("escalation")
    for rows in (payload.get("doses"), escalation.get("doses") if isinstance(escalation, Mapping) else None):
        if isinstance(rows, list) and rows and all(isinstance(r, Mapping) and "label" in r for r in rows):
            return [r["label"] for r in rows]
    return None


def _dose_key(dose: Any) -> str | None:
    """A dose label in a comparable form: 3, 3.0, "3" and " 3 " agree; None and "none" mean no dose."""
    if dose is None:
        return None
    if isinstance(dose, float) and dose.is_integer():
        dose = int(dose)
    text = str(dose).strip()
    return None if text.lower() in ("", "none") else text


def _is_json_object(text: Any) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except (TypeError, ValueError):
        return False


def _short(digest: str | None) -> str:
    return "(none)" if digest is None else digest[:12]
