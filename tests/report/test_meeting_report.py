"""The HTML meeting report: self-contained, complete, and rendered by a real browser where one exists."""

import os
import re
import shutil
import subprocess

import numpy as np
import pytest
from typer.testing import CliRunner

from dosefind.cli import app

from ..conftest import ROOT

runner = CliRunner()
EXAMPLE = ROOT / "examples" / "meeting"


@pytest.fixture(scope="module")
def report_html(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "meeting.html"
    r = runner.invoke(
        app,
        [
            "report",
            "--design",
            str(EXAMPLE / "arm-a.toml"),
            "--data",
            str(EXAMPLE / "arm-a.csv"),
            "--scenario",
            "0.05,0.1,0.2,0.35,0.5",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "report written to" in r.output
    return out


def test_report_has_every_section(report_html):
    text = report_html.read_text(encoding="utf-8")
    for needle in [
        "Recommendation: de-escalate: next cohort at dose 80 mg/m2",
        "observed DLT rate at dose 100 mg/m2 2/3 = 0.667 &gt;= lambda_d 0.359",
        "Data and posterior per dose",
        "90% CrI",
        "Cohorts",
        "A-110, A-111, A-112",
        "Dose transition pathways: next 2 cohorts",
        "probabilities of",  # the pathways carry probabilities under the scenario
        "Decision table",
        "Provenance",
        "design hash",
        "data hash (SHA-256)",
    ]:
        assert needle in text or needle.replace("probabilities of", "their probabilities") in text, needle


def test_report_states_the_levels_and_does_not_repeat_the_table_heading(report_html):
    text = report_html.read_text(encoding="utf-8")
    # the pathways write cohorts with level numbers and decisions with dose labels: the page says which
    assert "In the cohorts, a number is the dose level: 1 = 40 mg/m2, 2 = 60 mg/m2" in text
    section = text[text.index("<h2>Decision table</h2>") :]
    assert "Decision table:" not in section.split("</pre>")[0]
    # the 24-column BOIN table is drawn at the cohorts' numbers of patients, so its labels stay legible
    shown = "The figure shows the decisions taken with cohorts of 3: n = 3, 6, 9, 12, 15, 18, 21, 24."
    assert shown in section


def test_posterior_figure_keeps_markers_and_the_target_label_clear():
    """An observed rate of 0 sits inside the axes (not half under the x axis) and the target's label is
    outside the plot area, where no interval can cover it."""
    from dosefind.designs import Boin
    from dosefind.live.recommend import recommend
    from dosefind.outcomes import parse_outcomes
    from dosefind.report.plots import plot_posterior

    design = Boin(target=0.3, n_doses=4, cohort_size=3, max_n=24)
    rec = recommend(design, parse_outcomes("1NNN 2NNN", design.doses))
    fig = plot_posterior(rec)
    ax = fig.axes[0]
    assert ax.get_ylim()[0] < 0 and ax.get_ylim()[1] > 1
    (label,) = [t for t in ax.texts if t.get_text().startswith("target")]
    assert label.xy[0] >= 1.0 and label.get_ha() == "left"  # axes fraction: right of the plot


def test_report_is_self_contained(report_html):
    text = report_html.read_text(encoding="utf-8")
    # no external resources of any kind: every src/href is an embedded data URI or an in-page anchor
    refs = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', text)
    assert refs, "expected embedded images"
    assert all(r.startswith("data:image/png;base64,") or r.startswith("#") for r in refs)
    assert "http://" not in text and "https://" not in text and "<script" not in text
    assert text.count("data:image/png;base64,") == 2  # posterior plot and decision-table plot


def test_crm_report_explains_the_missing_decision_table(tmp_path):
    out = tmp_path / "crm.html"
    r = runner.invoke(
        app,
        [
            "report",
            "--design",
            str(ROOT / "scenarios" / "crm-5dose.toml"),
            "--outcomes",
            "1NNN 2NTN",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    assert "no fixed decision table" in text and text.count("data:image/png;base64,") == 1


def test_blrm_report_shows_the_interval_probabilities(tmp_path):
    """The BLRM's report adds the stacked interval-probability bars with the EWOC bound, and its table
    the P(under/target/over) and EWOC columns."""
    out = tmp_path / "blrm.html"
    r = runner.invoke(
        app,
        [
            "report",
            "--design",
            str(ROOT / "examples" / "designs" / "blrm.toml"),
            "--outcomes",
            "1NNN 2NNN 3NNT",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    assert "probabilities of underdosing, target and overdosing per dose" in text
    assert "P(target)" in text and "EWOC" in text
    assert text.count("data:image/png;base64,") == 2  # the posterior, the interval probabilities


def test_report_out_must_be_html(tmp_path):
    r = runner.invoke(
        app,
        [
            "report",
            "--design",
            str(EXAMPLE / "arm-a.toml"),
            "--outcomes",
            "2NNN",
            "--out",
            str(tmp_path / "x.pdf"),
        ],
    )
    assert r.exit_code == 2 and "should end in .html" in r.output


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def test_report_renders_in_headless_chromium(report_html, tmp_path):
    """Chromium, with networking disabled, renders the page to a screenshot that is not blank. In CI
    (``CI=true``, or ``DOSEFIND_REQUIRE_BROWSER=1`` as .ci/run sets after installing Debian's chromium)
    the test fails rather than skips without it."""
    browser = _chromium()
    if browser is None:
        required = os.environ.get("CI", "").lower() in ("1", "true", "yes")
        if required or os.environ.get("DOSEFIND_REQUIRE_BROWSER") == "1":
            pytest.fail("no Chromium where the browser test is required: .ci/run installs Debian's chromium")
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    shot = tmp_path / "meeting.png"
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--proxy-server=127.0.0.1:9",  # any network request would fail
        "--window-size=1200,2600",
        f"--screenshot={shot}",
        report_html.as_uri(),
    ]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    import matplotlib.image as mpimg

    img = mpimg.imread(shot)
    assert img.shape[0] == 2600 and img.shape[1] == 1200
    gray = img[..., :3].mean(axis=2)
    # a rendered page: mostly white background with plenty of dark text and coloured figures
    assert (gray < 0.5).mean() > 0.005
    assert np.std(gray) > 0.05


@pytest.mark.parametrize(
    "design, outcomes",
    [
        ("boin12.toml", "1NNE 2NEN 2TEE"),
        ("uboin.toml", "1NNE 2NEN 3TEN 3NEE 2NNE"),  # stage 2: randomisation probabilities
        ("efftox.toml", "1NNE 2EEB"),
    ],
)
def test_phase12_report_plots_response_and_utility(tmp_path, design, outcomes):
    """A phase I/II design's report adds the response and utility figure (issue 15: "the report plots
    utility"); the bars are the utilities `recommend` computes, hollow where a dose is not admissible."""
    from dosefind.live.recommend import recommend
    from dosefind.outcomes import parse_outcomes
    from dosefind.report.plots import plot_utility, utility_columns
    from dosefind.specfile import select_design

    path = ROOT / "examples" / "designs" / design
    out = tmp_path / "phase12.html"
    r = runner.invoke(app, ["report", "--design", str(path), "--outcomes", outcomes, "--out", str(out)])
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    assert "Posterior probabilities of response and DLT per dose, and the utility" in text
    d = select_design(path)
    rec = recommend(d, parse_outcomes(outcomes, d.doses, efficacy=True))
    u_key, _q, _label = utility_columns(rec.posterior.extra)
    bars = plot_utility(rec).axes[1].patches
    assert [b.get_height() for b in bars] == pytest.approx(list(rec.posterior.extra[u_key]), abs=1e-12)
    assert [b.get_facecolor()[:3] != (1.0, 1.0, 1.0) for b in bars] == [row.admissible for row in rec.doses]
