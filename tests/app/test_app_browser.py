"""The web app in the system Chromium (issue 18): open the meeting, see the CLI's next dose, enter a
what-if cohort, record a decision and find it with `dosefind log show`; run a comparison with progress;
hostile text in the page gives a message; screenshots are not blank. Playwright drives Debian's chromium
(nothing downloads a browser). In CI (``CI=true`` or ``DOSEFIND_REQUIRE_BROWSER=1``) a missing browser
fails the test instead of skipping it."""

import json
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dosefind.cli import app as cli

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _require_browser() -> str:
    path = _chromium()
    if path is None:
        required = os.environ.get("CI", "").lower() in ("1", "true", "yes")
        if required or os.environ.get("DOSEFIND_REQUIRE_BROWSER") == "1":
            pytest.fail("no Chromium where the browser test is required: .ci/run installs Debian's chromium")
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from dosefind.app.ui import make_app

    log = tmp_path_factory.mktemp("app") / "meeting.dosefind.sqlite"
    port = _free_port()
    config = uvicorn.Config(make_app(log), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/", log
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    browser_path = _require_browser()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=browser_path, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        pg = browser.new_page(viewport={"width": 1400, "height": 1800})
        pg.set_default_timeout(120_000)
        pg.goto(server[0])
        yield pg
        browser.close()


def _not_blank(png: bytes) -> bool:
    """A screenshot with real content: many distinct byte values in the image data."""
    return len(png) > 20_000 and len(set(png[1000:50_000])) > 100


def test_meeting_in_the_browser(page, server, tmp_path):
    _, log = server
    page.get_by_role("tab", name="Meeting").click()
    page.locator("#m_go").click()
    headline = page.locator("#m_headline")
    headline.wait_for()
    r = CliRunner().invoke(
        cli,
        [
            "recommend",
            "--design",
            str(ROOT / "examples/meeting/arm-a.toml"),
            "--data",
            str(ROOT / "examples/meeting/arm-a.csv"),
            "--format",
            "json",
            "--no-log",
        ],
    )
    expected = json.loads(r.output)
    assert expected["next_dose"] in headline.inner_text()
    assert "lambda_d" in page.locator("#m_result").inner_text()  # the rule that fired, with its numbers
    assert "2NNN" in page.locator("#m_paths").inner_text()  # the pathways of the next cohorts (dose 2)
    shot = page.screenshot(full_page=True)
    assert _not_blank(shot)
    (tmp_path / "meeting.png").write_bytes(shot)

    # a what-if cohort changes the answer and is not recordable
    page.locator("#m_whatif").fill("3NNN")
    page.locator("#m_go").click()
    page.get_by_text("what-if: these cohorts are hypothetical").wait_for()
    page.locator("#m_record").click()
    page.get_by_text("clear them before recording").wait_for()
    assert not log.exists()

    # the real data again, then record the meeting's decision
    page.locator("#m_whatif").fill("")
    page.locator("#m_go").click()
    page.get_by_text("what-if: these cohorts are hypothetical").wait_for(state="detached")
    page.locator("#m_dose").fill(expected["next_dose"])
    page.locator("#m_decision").fill("de-escalate")
    page.locator("#m_reason").fill("as the design recommends")
    page.locator("#m_record").click()
    page.get_by_text("recorded in").wait_for()
    r = CliRunner().invoke(cli, ["log", "show", str(log)])
    assert r.exit_code == 0, r.output
    assert "decision" in r.output and "as the design recommends" in r.output
    page.locator("#m_verify").click()
    page.get_by_text("ok, 2 records").wait_for()


def test_hostile_text_in_the_page_gives_a_message(page):
    page.get_by_role("tab", name="Meeting").click()
    page.locator("#m_design").fill(
        '[design]\nkind = "boin"\nname = "<script>window.pwned=1</script>"\ntarget = 0.3\n'
        "max_n = 24\nn_doses = 5\n"
    )
    page.locator("#m_data").fill("patient_id,dose,dlt\n1,1,0\n2,1,zz\n")
    page.locator("#m_go").click()
    msg = page.locator(".dosefind-error")
    msg.wait_for()
    assert "dlt" in msg.inner_text().lower() and "Traceback" not in page.content()
    page.locator("#m_data").fill("")
    page.locator("#m_notation").fill("1NNN")
    page.locator("#m_go").click()
    page.locator("#m_headline").wait_for()
    assert page.evaluate("window.pwned === undefined")
    assert "&lt;script&gt;" in page.inner_html("#m_result")
    page.locator("#m_design").fill("x = [")
    page.locator("#m_go").click()
    page.get_by_text("not valid TOML").wait_for()


def test_a_large_upload_is_refused_in_the_page(page, tmp_path):
    big = tmp_path / "big.csv"
    big.write_bytes(b"patient_id,dose,dlt\n" + b"1,1,0\n" * 2_000_000)
    page.get_by_role("tab", name="Meeting").click()
    page.locator("#m_data_file").set_input_files(str(big))
    page.get_by_text("larger than the 1,000,000 accepted").wait_for()


def test_comparison_in_the_browser_shows_progress_and_results(page):
    page.get_by_role("tab", name="Design").click()
    # build a design with the form: it joins the spec as a [[designs]] block the CLI reads
    page.locator("#d_kind").select_option("keyboard")
    page.locator("#d_name").fill("Keyboard from the form")
    page.locator("#d_add").click()
    page.get_by_text("design added to the spec").wait_for()
    assert 'name = "Keyboard from the form"' in page.locator("#d_spec").input_value()
    page.locator("#d_trials").fill("300")
    page.locator("#d_run").click()
    page.get_by_text("finished: 300 trials per design and scenario").wait_for()
    result = page.locator("#d_result")
    assert "scenario S1" in result.inner_text() and "PCS" in result.inner_text()
    assert "Keyboard from the form" in result.inner_text()
    page.locator("#d_plot img").wait_for()
    assert _not_blank(page.screenshot(full_page=True))
