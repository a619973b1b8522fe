"""The append-only, hash-chained audit log: chain, tamper evidence, decisions, errors, concurrency."""

import hashlib
import json
import multiprocessing
import sqlite3
from contextlib import closing

import pytest

from dosefind import __version__
from dosefind.errors import DataError
from dosefind.live.audit import GENESIS_HASH, AuditLog, Record, record_hash

TRIGGERS = ("records_no_update", "records_no_delete", "meta_no_delete", "meta_fixed_keys")


@pytest.fixture
def log_path(tmp_path):
    return tmp_path / "trial.sqlite"


@pytest.fixture
def log5(log_path):
    """A log of five records: recommendation, decision, recommendation, note, recommendation."""
    log = AuditLog(log_path)
    log.append_recommendation({"next_dose": "2", "decision": "escalate", "reason": "0/3 DLTs at dose 1"})
    log.append_decision(1, "2", "escalate", "as recommended", decided_by="SRC")
    log.append_recommendation({"next_dose": "3", "decision": "escalate", "reason": "0/3 DLTs at dose 2"})
    log.append("note", {"text": "cohort 3 delayed"})
    log.append_recommendation({"next_dose": "3", "decision": "stay", "reason": "1/3 DLTs at dose 3"})
    return log


def raw(path, sql, params=(), drop_triggers=True):
    """Change the file behind dosefind's back, as someone with write access could."""
    with closing(sqlite3.connect(path, isolation_level=None)) as con:
        if drop_triggers:
            for name in TRIGGERS:
                con.execute(f"DROP TRIGGER IF EXISTS {name}")
        con.execute(sql, params)


def problems_about(result, seq):
    return [p for p in result.problems if p.startswith(f"record {seq}:")]


# ---- the chain -------------------------------------------------------------------------------------


def test_chain_builds_and_verifies(log5):
    recs = log5.records()
    assert [r.seq for r in recs] == [1, 2, 3, 4, 5]
    assert [r.kind for r in recs] == [
        "recommendation",
        "decision",
        "recommendation",
        "note",
        "recommendation",
    ]
    assert recs[0].prev_hash == GENESIS_HASH == "0" * 64
    for before, after in zip(recs, recs[1:], strict=False):
        assert after.prev_hash == before.hash
    assert len({r.hash for r in recs}) == 5
    result = log5.verify()
    assert result.ok and result.problems == [] and result.n_records == 5
    assert result.head_hash == recs[-1].hash == log5.last().hash
    meta = log5.meta()
    assert meta["n_records"] == "5" and meta["head_hash"] == recs[-1].hash
    assert meta["dosefind_version"] == __version__ and meta["schema_version"] == "1"


def test_empty_log_verifies(log_path):
    log = AuditLog(log_path)
    assert log.records() == [] and log.last() is None
    result = log.verify()
    assert result.ok and result.n_records == 0 and result.head_hash == GENESIS_HASH


def test_hash_can_be_recomputed_without_dosefind(log5):
    for rec in log5.records():
        text = json.dumps(
            [rec.seq, rec.time_utc, rec.kind, rec.arm, rec.payload_json, rec.prev_hash],
            separators=(",", ":"),
            ensure_ascii=False,
        )
        assert rec.hash == hashlib.sha256(text.encode("utf-8")).hexdigest()
        assert rec.hash == record_hash(
            rec.seq, rec.time_utc, rec.kind, rec.arm, rec.payload_json, rec.prev_hash
        )


def test_payload_is_stored_as_canonical_json(log_path):
    log = AuditLog(log_path)
    payload = {"reason": "Dr Müller: 1/3 DLTs", "next_dose": 2, "posterior": {"mean": [0.1, 0.25]}}
    rec = log.append_recommendation(payload, arm="A")
    with closing(sqlite3.connect(log_path)) as con:
        stored, time_utc, arm = con.execute(
            "SELECT payload, time_utc, arm FROM records WHERE seq = 1"
        ).fetchone()
    assert stored == json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert "Müller" in stored and rec.payload == payload and arm == "A"
    assert time_utc.endswith("+00:00") and "T" in time_utc
    assert isinstance(rec, Record) and rec == log.get(1)
    with pytest.raises(AttributeError):
        rec.seq = 7  # frozen


@pytest.mark.parametrize(
    "payload, match",
    [
        ({"p": float("nan")}, "JSON cannot store"),
        ({"p": float("inf")}, "JSON cannot store"),
        ({"when": object()}, "cannot be stored as JSON"),
        ([1, 2], "must be a dict"),
    ],
)
def test_bad_payloads_are_refused(log_path, payload, match):
    log = AuditLog(log_path)
    with pytest.raises(DataError, match=match):
        log.append("note", payload)
    assert log.records() == [] and log.verify().ok


def test_bad_kind_is_refused(log_path):
    with pytest.raises(DataError, match="kind"):
        AuditLog(log_path).append(" note", {})


def test_there_is_no_update_or_delete_api():
    public = {name for name in dir(AuditLog) if not name.startswith("_")}
    assert not {n for n in public if any(w in n for w in ("update", "delete", "remove", "edit", "set"))}


def test_triggers_refuse_update_and_delete(log5):
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw(log5.path, "UPDATE records SET payload = '{}' WHERE seq = 2", drop_triggers=False)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw(log5.path, "DELETE FROM records WHERE seq = 5", drop_triggers=False)
    assert log5.verify().ok


# ---- tamper evidence -------------------------------------------------------------------------------


def test_edited_payload_is_detected(log5):
    raw(log5.path, """UPDATE records SET payload = '{"decision":"stay","next_dose":"2"}' WHERE seq = 3""")
    result = log5.verify()
    assert not result.ok
    about3 = problems_about(result, 3)
    assert len(about3) == 1 and "hash does not match" in about3[0] and "edited" in about3[0]
    assert not problems_about(result, 4)  # the edit is reported once, where it happened
    assert any("triggers removed" in p for p in result.problems)


def test_edited_decision_is_detected(log5):
    payload = log5.get(2).payload | {"decided_dose": "3"}
    raw(log5.path, "UPDATE records SET payload = ? WHERE seq = 2", (json.dumps(payload),))
    assert problems_about(log5.verify(), 2)


def test_deleted_middle_record_is_detected(log5):
    raw(log5.path, "DELETE FROM records WHERE seq = 3")
    result = log5.verify()
    assert not result.ok and result.n_records == 4
    about4 = " ".join(problems_about(result, 4))
    assert "record 3 is missing" in about4 and "prev_hash" in about4


def test_deleted_last_record_is_detected(log5):
    raw(log5.path, "DELETE FROM records WHERE seq = 5")
    result = log5.verify()
    assert not result.ok
    assert any("meta records 5 appended" in p and "ends at record 4" in p for p in result.problems)
    with pytest.raises(DataError, match="refusing to append"):
        log5.append("note", {"text": "would hide the deletion"})


def test_deleted_first_record_is_detected(log5):
    raw(log5.path, "DELETE FROM records WHERE seq = 1")
    about2 = " ".join(problems_about(log5.verify(), 2))
    assert "record 1 is missing" in about2 and "genesis" in about2


def test_reordered_records_are_detected(log5):
    raw(log5.path, "UPDATE records SET seq = 100 WHERE seq = 2")
    raw(log5.path, "UPDATE records SET seq = 2 WHERE seq = 3")
    raw(log5.path, "UPDATE records SET seq = 3 WHERE seq = 100")
    result = log5.verify()
    assert problems_about(result, 2) and problems_about(result, 3)


def test_changed_prev_hash_is_detected(log5):
    raw(log5.path, "UPDATE records SET prev_hash = ? WHERE seq = 4", ("f" * 64,))
    about4 = " ".join(problems_about(log5.verify(), 4))
    assert "prev_hash does not match the hash of record 3" in about4 and "hash does not match" in about4


def test_inserted_record_is_detected(log5):
    rec = log5.get(5)
    raw(
        log5.path,
        "INSERT INTO records VALUES (0, ?, 'note', NULL, '{}', ?, ?)",
        (rec.time_utc, GENESIS_HASH, record_hash(0, rec.time_utc, "note", None, "{}", GENESIS_HASH)),
    )
    result = log5.verify()
    assert "inserted" in " ".join(problems_about(result, 0))
    assert "prev_hash does not match the hash of record 0" in " ".join(problems_about(result, 1))


def _rewrite_chain(path, from_seq, edit_seq, new_payload, update_meta):
    """Re-hash the chain from from_seq after editing one payload: what a careful forger would do."""
    with closing(sqlite3.connect(path, isolation_level=None)) as con:
        for name in TRIGGERS:
            con.execute(f"DROP TRIGGER {name}")
        con.execute("UPDATE records SET payload = ? WHERE seq = ?", (new_payload, edit_seq))
        rows = con.execute(
            "SELECT seq, time_utc, kind, arm, payload, hash FROM records ORDER BY seq"
        ).fetchall()
        prev = GENESIS_HASH
        for seq, time_utc, kind, arm, payload, digest in rows:
            if seq >= from_seq:
                digest = record_hash(seq, time_utc, kind, arm, payload, prev)
                con.execute("UPDATE records SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, digest, seq))
            prev = digest
        if update_meta:
            con.execute("UPDATE meta SET value = ? WHERE key = 'head_hash'", (prev,))
    return prev


def test_rehashed_chain_without_meta_is_detected(log5):
    _rewrite_chain(log5.path, 3, 3, '{"next_dose":"4"}', update_meta=False)
    result = log5.verify()
    assert [p for p in result.problems if p.startswith("meta records 5")]
    assert not [p for p in result.problems if p.startswith("record ")]


def test_full_rewrite_is_only_caught_by_the_exported_head_hash(log5):
    """Documented limit: tamper-evident, not tamper-proof. The head hash quoted in the minutes differs."""
    head_in_minutes = log5.verify().head_hash
    with closing(sqlite3.connect(log5.path)) as con:
        triggers = [r[0] for r in con.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'")]
    _rewrite_chain(log5.path, 1, 3, '{"next_dose":"4"}', update_meta=True)
    with closing(sqlite3.connect(log5.path, isolation_level=None)) as con:
        for sql in triggers:  # a forger covering their tracks restores the triggers
            con.execute(sql)
    result = log5.verify()
    assert result.ok
    assert result.head_hash != head_in_minutes


# ---- decisions -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "recommended, decided, overruled",
    [
        ("3", "2", True),
        ("3", "3", False),
        (3, "3", False),  # a recommendation may store the label as a number
        ("3", None, True),  # the meeting stops the trial against the design
        (None, None, False),  # both stop
        (None, "1", True),
        (None, "none", False),  # "none" means stop
    ],
)
def test_overruled_flag(log_path, recommended, decided, overruled):
    log = AuditLog(log_path)
    log.append_recommendation({"next_dose": recommended, "decision": "x", "reason": "y"})
    rec = log.append_decision(1, decided, "decided", "the meeting's reason", decided_by="SRC")
    p = rec.payload
    assert rec.kind == "decision" and p["refers_to"] == 1
    assert p["recommended_dose"] == recommended
    assert p["overruled"] is overruled
    assert p["decided_dose"] == (None if decided in (None, "none") else decided)
    assert p["reason"] == "the meeting's reason" and p["decided_by"] == "SRC" and p["decision"] == "decided"
    assert log.verify().ok


def test_decision_on_recommendation_without_next_dose(log_path):
    log = AuditLog(log_path)
    log.append_recommendation({"decision": "stop"})
    p = log.append_decision(1, None, "stop", "agreed").payload
    assert p["overruled"] is None and p["recommended_dose"] is None


def test_decision_must_refer_to_an_existing_recommendation(log5):
    with pytest.raises(DataError, match=r"record 99, which does not exist.*dosefind log show"):
        log5.append_decision(99, "2", "stay", "r")
    with pytest.raises(DataError, match="'decision' record, not a recommendation"):
        log5.append_decision(2, "2", "stay", "r")
    with pytest.raises(DataError, match="seq number"):
        log5.append_decision("1", "2", "stay", "r")
    with pytest.raises(DataError, match="reason"):
        log5.append_decision(1, "2", "stay", "  ")
    assert log5.last().seq == 5 and log5.verify().ok


def test_decision_arm_defaults_to_the_recommendation_and_must_match(log_path):
    log = AuditLog(log_path)
    log.append_recommendation({"next_dose": "2"}, arm="combination")
    assert log.append_decision(1, "2", "stay", "r").arm == "combination"
    with pytest.raises(DataError, match="arm 'mono'"):
        log.append_decision(1, "2", "stay", "r", arm="mono")


def test_records_filter_and_last(log5):
    assert [r.seq for r in log5.records("recommendation")] == [1, 3, 5]
    assert [r.seq for r in log5.records(kind="decision")] == [2]
    assert log5.records("nothing") == []
    assert log5.last().seq == 5
    with pytest.raises(DataError, match="no record 42"):
        log5.get(42)


# ---- opening files ---------------------------------------------------------------------------------


def test_open_existing_missing_file(log_path):
    with pytest.raises(DataError, match=r"trial\.sqlite: audit log not found"):
        AuditLog.open_existing(log_path)
    assert not log_path.exists()


def test_missing_folder(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        AuditLog(tmp_path / "no" / "such" / "log.sqlite")


def test_reopening_keeps_the_records(log5):
    again = AuditLog.open_existing(log5.path)
    assert again.records() == log5.records()
    assert AuditLog(log5.path).verify().ok


def test_not_a_sqlite_file(tmp_path):
    path = tmp_path / "spec.toml"
    path.write_text("[design]\nkind = 'boin'\n" * 200)
    for opener in (AuditLog, AuditLog.open_existing):
        with pytest.raises(DataError, match=r"spec\.toml: not a SQLite file"):
            opener(path)
    assert path.read_text().startswith("[design]")


def test_other_sqlite_file(tmp_path):
    path = tmp_path / "other.sqlite"
    with closing(sqlite3.connect(path)) as con:
        con.execute("CREATE TABLE patients (id INTEGER)")
        con.commit()
    for opener in (AuditLog, AuditLog.open_existing):
        with pytest.raises(DataError, match=r"other\.sqlite: not a dosefind audit log"):
            opener(path)


def test_empty_file_and_folder(tmp_path):
    path = tmp_path / "empty.sqlite"
    path.touch()
    with pytest.raises(DataError, match="not a dosefind audit log"):
        AuditLog.open_existing(path)
    assert AuditLog(path).verify().ok  # creating a log in an empty file is fine
    with pytest.raises(DataError, match="is a folder"):
        AuditLog(tmp_path)


def test_newer_schema_version(log5):
    raw(log5.path, "UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(DataError, match="newer dosefind.*upgrade dosefind"):
        AuditLog.open_existing(log5.path)


def test_corrupt_file(log5):
    data = bytearray(log5.path.read_bytes())
    data[100 : len(data)] = b"\xff" * (len(data) - 100)
    log5.path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="trial.sqlite"):
        AuditLog.open_existing(log5.path).verify()


# ---- concurrency -----------------------------------------------------------------------------------

N_WORKERS = 4
N_EACH = 50


def _append_many(path, worker, n, barrier):
    barrier.wait()
    log = AuditLog(path)  # every worker also races to create the file
    for i in range(n):
        log.append("note", {"worker": worker, "i": i})


def test_concurrent_appends_from_processes_lose_nothing(log_path):
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(N_WORKERS)
    procs = [
        ctx.Process(target=_append_many, args=(str(log_path), w, N_EACH, barrier)) for w in range(N_WORKERS)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * N_WORKERS
    log = AuditLog.open_existing(log_path)
    recs = log.records()
    assert [r.seq for r in recs] == list(range(1, N_WORKERS * N_EACH + 1))
    seen = sorted((r.payload["worker"], r.payload["i"]) for r in recs)
    assert seen == [(w, i) for w in range(N_WORKERS) for i in range(N_EACH)]
    for w in range(N_WORKERS):  # each process's records keep their order
        order = [r.payload["i"] for r in recs if r.payload["worker"] == w]
        assert order == list(range(N_EACH))
    result = log.verify()
    assert result.ok, result.problems
    assert result.n_records == N_WORKERS * N_EACH
