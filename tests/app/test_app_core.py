"""The web app's answers are the CLI's (issue 18 item 1): the same library calls on the same files, field
by field; hostile input gives a message, never a traceback; only the explicit action writes the log."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dosefind.app import core
from dosefind.cli import app as cli
from dosefind.errors import DosefindError

ROOT = Path(__file__).resolve().parents[2]
DESIGN = ROOT / "examples/meeting/arm-a.toml"
DATA = ROOT / "examples/meeting/arm-a.csv"


def cli_json(*args) -> dict:
    r = CliRunner().invoke(cli, ["recommend", *args, "--format", "json", "--no-log"])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def comparable(payload: dict) -> dict:
    out = dict(payload)
    out.pop("data_source", None)  # the file's path as given (the app reads a copy under the same name)
    if isinstance(out.get("data"), dict):
        out["data"] = {k: v for k, v in out["data"].items() if k != "source"}
    return out


@pytest.mark.parametrize(
    "design,data",
    [
        ("examples/meeting/arm-a.toml", "examples/meeting/arm-a.csv"),
        ("scenarios/arm-combo.toml", "examples/arm/arm-combo-trial.csv"),
        ("examples/designs/committee-table.toml", None),
        ("examples/designs/blrm.toml", None),
        ("examples/designs/boin12.toml", None),
    ],
)
def test_the_app_recommends_what_the_cli_recommends(design, data):
    design_path = ROOT / design
    if data is None:
        notation = "1NEN 2ENT" if "boin12" in design else "1NNN 2NTN"
        expected = cli_json("--design", str(design_path), "--outcomes", notation)
        inputs = core.MeetingInputs(design_path.read_text(), design_path.name, notation=notation)
    else:
        expected = cli_json("--design", str(design_path), "--data", str(ROOT / data))
        inputs = core.MeetingInputs(
            design_path.read_text(), design_path.name, (ROOT / data).read_text(), Path(data).name
        )
    view = core.meeting(inputs)
    assert comparable(view.recommendation_json()) == comparable(expected)


def test_what_if_cohorts_are_the_cli_outcomes_and_cannot_be_recorded(tmp_path):
    view = core.meeting(
        core.MeetingInputs(DESIGN.read_text(), DESIGN.name, DATA.read_text(), DATA.name, what_if="3NNN")
    )
    notation = view.data.to_notation()
    expected = cli_json("--design", str(DESIGN), "--outcomes", notation)
    assert view.recommendation_json()["next_dose"] == expected["next_dose"]
    assert view.what_if
    log = tmp_path / "m.sqlite"
    with pytest.raises(DosefindError, match="what-if"):
        core.record_decision(log, view, "80 mg/m2", "de-escalate", "as the design says")
    assert not log.exists()


def test_recording_a_decision_is_what_log_show_finds(tmp_path):
    view = core.meeting(core.MeetingInputs(DESIGN.read_text(), DESIGN.name, DATA.read_text(), DATA.name))
    log = tmp_path / "meeting.sqlite"
    rseq, dseq, overruled = core.record_decision(
        log, view, "60 mg/m2", "de-escalate two levels", "caution", "SRC"
    )
    assert (rseq, dseq, overruled) == (1, 2, True)
    r = CliRunner().invoke(cli, ["log", "show", str(log)])
    assert r.exit_code == 0 and "60 mg/m2" in r.output and "decision" in r.output
    r = CliRunner().invoke(cli, ["log", "verify", str(log)])
    assert r.exit_code == 0 and "ok: 2 records" in r.output
    with pytest.raises(DosefindError, match="not a dose"):
        core.record_decision(log, view, "75 mg/m2", "stay", "typo")
    with pytest.raises(DosefindError, match="reason"):
        core.record_decision(log, view, "80 mg/m2", "stay", "  ")


def test_the_report_and_the_table_are_the_cli_ones():
    view = core.meeting(core.MeetingInputs(DESIGN.read_text(), DESIGN.name, DATA.read_text(), DATA.name))
    r = CliRunner().invoke(cli, ["table", "--design", str(DESIGN)])
    assert r.exit_code == 0
    assert core.decision_table_text(view).strip() == r.output.strip()
    html = core.report_html(view)
    assert "<html" in html and view.headline.split(":")[0] in html


@pytest.mark.parametrize(
    "inputs,message",
    [
        (core.MeetingInputs("x = [", "d.toml", notation="1NNN"), "not valid TOML"),
        (core.MeetingInputs("", "d.toml", notation="1NNN"), "empty"),
        (core.MeetingInputs(DESIGN.read_text(), "d.toml", "patient_id,dose,dlt\n1,zz,0\n"), "zz"),
        (core.MeetingInputs(DESIGN.read_text(), "d.toml", notation="9NNN"), "9"),
        (core.MeetingInputs(DESIGN.read_text(), "d.toml", notation="1NNN", scenario="a,b"), "scenario"),
        (core.MeetingInputs("[design]\nkind = 'boin'\ntarget = 0.3\n", "d.toml", notation=""), "max_n"),
    ],
)
def test_hostile_meeting_inputs_give_one_message(inputs, message):
    with pytest.raises(DosefindError, match=message) as e:
        core.meeting(inputs)
    assert "Traceback" not in str(e.value) and "\n" not in str(e.value)


def test_large_and_binary_uploads_are_refused():
    with pytest.raises(DosefindError, match="larger than"):
        core.check_text("trial data", b"1,1,0\n" * 2_000_000)
    with pytest.raises(DosefindError, match="UTF-8"):
        core.check_text("design file", b"\xff\xfe[design]")


def test_names_are_escaped_in_the_page():
    evil = "<img src=x onerror=alert(1)>"
    text = DESIGN.read_text().replace('name = "Arm A (BOIN, target 0.30)"', f'name = "{evil}"')
    assert evil in text
    view = core.meeting(core.MeetingInputs(text, "d.toml", notation="1NNN"))
    for html in (view.recommendation._repr_html_(), view.paths._repr_html_(), core.report_html(view)):
        assert evil not in html


def test_comparison_is_the_cli_simulation_and_can_be_cancelled():
    spec = (ROOT / "scenarios/target30-6dose.toml").read_text()
    state = core.Comparison()
    result = core.compare(spec, 300, 5, state)
    assert state.done == state.total == 300 * 18
    r = CliRunner().invoke(
        cli,
        [
            "simulate",
            str(ROOT / "scenarios/target30-6dose.toml"),
            "-n",
            "300",
            "--seed",
            "5",
            "-f",
            "json",
            "-q",
        ],
    )
    assert r.exit_code == 0
    expected = json.loads(r.output)["results"]
    assert [oc.as_json() for oc in result.ocs] == expected
    cancelled = core.Comparison()
    cancelled.cancel.set()
    with pytest.raises(core.Cancelled):
        core.compare(spec, 5000, 5, cancelled)
    with pytest.raises(DosefindError, match="trials"):
        core.compare(spec, 10**9, 5)


def test_the_design_form_writes_what_the_cli_reads(tmp_path):
    text = core.design_toml(
        "crm", {"target": 0.25, "n_doses": 5, "max_n": 24, "skeleton_halfwidth": 0.05, "skeleton_nu": 3}
    )
    path = tmp_path / "crm.toml"
    path.write_text(text)
    r = CliRunner().invoke(cli, ["recommend", "--design", str(path), "--outcomes", "1NNN", "--no-log"])
    assert r.exit_code == 0, r.output
    with pytest.raises(DosefindError, match="target"):
        core.design_toml("boin", {"target": 1.5, "n_doses": 5, "max_n": 24})


def test_the_cli_refuses_an_open_host_without_a_token():
    r = CliRunner().invoke(cli, ["app", "--host", "0.0.0.0"])
    assert r.exit_code == 2 and "--token" in r.output
    r = CliRunner().invoke(cli, ["app", "--token", "short"])
    assert r.exit_code == 2 and "12 characters" in r.output


def test_dated_data_as_of_a_day_is_the_cli_answer():
    design = ROOT / "examples/designs/tite-boin.toml"
    data = ROOT / "examples/designs/tite-boin-trial.csv"
    expected = cli_json("--design", str(design), "--data", str(data), "--as-of", "2026-03-14")
    view = core.meeting(
        core.MeetingInputs(design.read_text(), design.name, data.read_text(), data.name, as_of="2026-03-14")
    )
    assert comparable(view.recommendation_json()) == comparable(expected)
    assert view.recommendation_json()["pending"]
    with pytest.raises(DosefindError, match="not a date"):
        core.meeting(
            core.MeetingInputs(design.read_text(), design.name, data.read_text(), data.name, as_of="March")
        )


def test_figures_are_drawn():
    view = core.meeting(core.MeetingInputs(DESIGN.read_text(), DESIGN.name, DATA.read_text(), DATA.name))
    assert core.posterior_png(view)[:8] == b"\x89PNG\r\n\x1a\n"
    result = core.compare((ROOT / "scenarios/target30-6dose.toml").read_text(), 100, 1)
    assert core.selection_png(result)[:8] == b"\x89PNG\r\n\x1a\n"


def _call(gate, kind: str, query: bytes = b"", cookie: str | None = None) -> list[dict]:
    import asyncio

    sent: list[dict] = []
    headers = [(b"cookie", cookie.encode())] if cookie else []
    scope = {"type": kind, "path": "/", "query_string": query, "headers": headers}

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    asyncio.run(gate(scope, receive, send))
    return sent


def test_the_token_gate_admits_only_the_token():
    from dosefind.app.ui import TokenGate

    async def inner(scope, receive, send):  # the page: 200 and a body
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"page"})

    token = "s3cret-token-123"
    gate = TokenGate(inner, token)
    assert _call(gate, "http")[0]["status"] == 403
    assert _call(gate, "http", b"token=wrong-token-000")[0]["status"] == 403
    ok = _call(gate, "http", f"token={token}".encode())
    assert ok[0]["status"] == 200 and ok[1]["body"] == b"page"
    cookie = dict(ok[0]["headers"])[b"set-cookie"].decode()
    assert cookie.startswith(f"dosefind_token={token};") and "HttpOnly" in cookie
    assert _call(gate, "http", cookie=f"dosefind_token={token}")[0]["status"] == 200
    assert _call(gate, "http", cookie="dosefind_token=guess")[0]["status"] == 403
    assert _call(gate, "websocket") == [{"type": "websocket.close", "code": 4403}]
