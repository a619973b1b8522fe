"""``dosefind log show / decide / verify`` through typer's CliRunner."""

import json
import sqlite3
from contextlib import closing

import pytest
import typer
from typer.testing import CliRunner

from dosefind.cli import log as log_cli
from dosefind.live.audit import AuditLog

runner = CliRunner()
app = typer.Typer()
app.add_typer(log_cli.app, name="log")  # as cli/__init__.py registers it


@pytest.fixture
def log_path(tmp_path):
    path = tmp_path / "trial.sqlite"
    log = AuditLog(path)
    log.append_recommendation({"next_dose": "3", "decision": "escalate", "reason": "0/3 DLTs at dose 2"})
    log.append_recommendation({"next_dose": None, "decision": "stop", "reason": "dose 1 too toxic"}, arm="B")
    return path


def invoke(*args):
    return runner.invoke(app, ["log", *map(str, args)])


def test_show_table(log_path):
    r = invoke("show", log_path)
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].split() == ["seq", "time", "(UTC)", "kind", "arm", "hash", "summary"]
    assert len(lines) == 3
    first = AuditLog(log_path).records()[0]
    assert lines[1].lstrip().startswith("1 ") and first.hash[:12] in lines[1]
    assert "next dose 3; escalate; 0/3 DLTs at dose 2" in lines[1]
    assert " B " in lines[2] and "stop (no dose); stop; dose 1 too toxic" in lines[2]


def test_decide_overruled_then_show_and_verify(log_path):
    r = invoke(
        "decide",
        log_path,
        "--recommendation",
        1,
        "--dose",
        "2",
        "--decision",
        "stay",
        "--reason",
        "grade 2 hepatic events",
        "--by",
        "SRC",
    )
    assert r.exit_code == 0, r.output
    rec = AuditLog(log_path).last()
    assert f"decision recorded: seq 3, hash {rec.hash}" in r.output
    assert "overruled: the design recommended dose 3, the meeting decided dose 2" in r.output
    assert rec.payload["overruled"] is True and rec.payload["decided_by"] == "SRC"

    r = invoke("show", log_path, "--kind", "decision")
    assert r.exit_code == 0, r.output
    row = r.output.splitlines()[1]
    assert "re 1: dose 2 (design: dose 3), overruled yes; stay; grade 2 hepatic events; by SRC" in row

    r = invoke("verify", log_path)
    assert r.exit_code == 0, r.output
    assert r.output.strip() == f"ok: 3 records, head {rec.hash}"


def test_decide_stop_as_recommended(log_path):
    r = invoke("decide", log_path, "-r", 2, "--dose", "none", "--decision", "stop", "--reason", "agreed")
    assert r.exit_code == 0, r.output
    assert "follows the design's recommendation: stop (no dose)" in r.output
    rec = AuditLog(log_path).last()
    assert rec.arm == "B" and rec.payload["decided_dose"] is None and rec.payload["overruled"] is False


def test_show_json_lines(log_path):
    r = invoke("show", log_path, "--json")
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.output.splitlines()]
    assert [row["seq"] for row in rows] == [1, 2]
    assert rows[0]["payload"]["next_dose"] == "3" and rows[1]["arm"] == "B"
    assert set(rows[0]) == {"seq", "time_utc", "kind", "arm", "payload", "prev_hash", "hash"}


def test_show_empty(tmp_path):
    path = tmp_path / "new.sqlite"
    AuditLog(path)
    r = invoke("show", path)
    assert r.exit_code == 0 and "no records in" in r.output
    r = invoke("show", path, "--kind", "decision", "--json")
    assert r.exit_code == 0 and r.output == ""


def test_verify_failure_exits_1_and_names_the_record(log_path):
    with closing(sqlite3.connect(log_path, isolation_level=None)) as con:
        con.execute("DROP TRIGGER records_no_update")
        con.execute("""UPDATE records SET payload = '{"next_dose":"4"}' WHERE seq = 1""")
    r = invoke("verify", log_path)
    assert r.exit_code == 1, r.output
    assert r.output.startswith("FAILED: 2 records")
    assert "record 1: hash does not match its contents (record edited)" in r.output
    assert "records_no_update" in r.output


@pytest.mark.parametrize("command", ["show", "verify"])
def test_missing_file_is_a_user_error(tmp_path, command):
    r = invoke(command, tmp_path / "nope.sqlite")
    assert r.exit_code == 2
    assert "error:" in r.output and "nope.sqlite: audit log not found" in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "nope.sqlite").exists()


def test_not_a_log_is_a_user_error(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("minutes of the meeting\n" * 100)
    r = invoke("verify", path)
    assert r.exit_code == 2 and "notes.txt: not a SQLite file" in r.output


def test_decide_user_errors(log_path):
    r = invoke("decide", log_path, "-r", 9, "--dose", "2", "--decision", "stay", "--reason", "x")
    assert r.exit_code == 2 and "record 9, which does not exist" in r.output
    r = invoke("decide", log_path, "-r", 1, "--dose", "2", "--decision", "stay", "--reason", " ")
    assert r.exit_code == 2 and "reason" in r.output
    r = invoke("decide", log_path, "-r", 1, "--dose", "2", "--decision", "stay")  # --reason is required
    assert r.exit_code == 2 and "--reason" in r.output
    assert len(AuditLog(log_path).records()) == 2


def test_help():
    r = invoke("--help")
    assert r.exit_code == 0
    for command in ("show", "decide", "verify"):
        assert command in r.output
    r = invoke("decide", "--help")
    assert r.exit_code == 0 and "--recommendation" in r.output and "none" in r.output
