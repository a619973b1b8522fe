"""A live arm read with dates (``recommend --as-of`` on an arm file): the safety monitor counts a patient
at the selected dose once their DLT or whole window is observed, in the order those outcomes became
known, as the simulation of timed arms does; pending patients are reported, not counted."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dosefind import Boin
from dosefind.arm import Arm, ExpansionCohort, SafetyMonitor
from dosefind.cli import app
from dosefind.constants import CohortDecision
from dosefind.errors import DataError
from dosefind.extension import SimonRule
from dosefind.live.arm import ArmPhase, recommend_arm
from dosefind.outcomes import parse_trial_csv

START = dt.date(2026, 1, 5)
W = 28
ARM = Arm(
    Boin(target=0.3, n_doses=3, max_n=6, cohort_size=3),
    (ExpansionCohort("bio", SimonRule(n1=6, r1=0, n=12, r=2), True),),
    SafetyMonitor(limit=0.3, confidence=0.8, min_n=3),
)
LABELS = ARM.design.doses


def _day(k):
    return (START + dt.timedelta(days=k)).isoformat()


def _csv(extension):
    """Escalation: 3 patients at dose 1 without DLT, then 3 at dose 2 (E4 a DLT on day 45, one response),
    all complete by day 100; then extension rows (entry day, DLT day or None, response) in the 'bio'
    cohort at dose 2, which BOIN selects."""
    lines = ["patient_id,phase,cohort,dose,dlt,response,entry_date,dlt_date"]
    for i in range(3):
        lines.append(f"E{i + 1},escalation,,1,0,0,{_day(7 * i)},")
    lines.append(f"E4,escalation,,2,1,1,{_day(40)},{_day(45)}")
    for i in (1, 2):
        lines.append(f"E{i + 4},escalation,,2,0,0,{_day(40 + 7 * i)},")
    for j, (entry, dlt_day, resp) in enumerate(extension):
        dd = _day(dlt_day) if dlt_day is not None else ""
        lines.append(f"X{j + 1},extension,bio,2,{int(dlt_day is not None)},{resp},{_day(entry)},{dd}")
    return "\n".join(lines) + "\n"


def _data(extension):
    return parse_trial_csv(_csv(extension), LABELS, 3, "arm.csv", True, False, ARM.cohort_names)


# extension: X1 (day 100, DLT on day 120), X2 (day 105, DLT on day 107), X3 (day 110, DLT on day 112),
# X4 (day 115, no DLT). The monitor (limit 0.3, confidence 0.8, from 3 patients) stops at 2 DLTs of 4.
EXT = [(100, 120, 0), (105, 107, 0), (110, 112, 1), (115, None, 0)]


def test_undated_reads_outcomes_in_the_data_order():
    rec = recommend_arm(ARM, _data(EXT))
    assert rec.selected == 1
    assert rec.safety.stopped and rec.safety.stopped_after == "X1"  # E4 and X1: 2 DLTs of 4
    assert rec.safety.pending == 0 and rec.safety.stopped_on is None


def test_dated_counts_outcomes_when_known_and_reports_the_pending():
    # day 115: X2's DLT (day 107) and X3's (day 112) are known, X1's (day 120) is not; X1 and X4 pending
    rec = recommend_arm(ARM, _data(EXT), as_of=START + dt.timedelta(days=115), window_days=W)
    s = rec.safety
    assert (s.n, s.dlts) == (5, 3) and s.pending == 2
    assert s.stopped and s.stopped_after == "X2" and s.stopped_on == _day(107)
    assert rec.cohorts[0].decision == CohortDecision.SAFETY
    assert "known on" in s.words() and "2 more still in the DLT window" in s.words()
    # X3 and X4 entered after the stop became known (day 107): enrolled after the stop
    for pid in ("X3", "X4"):
        assert any(pid in w and "stopped for safety" in w for w in rec.warnings)
    # day 106: no extension outcome is known yet: E4's DLT of 3, no stop, X1 and X2 pending
    early = recommend_arm(ARM, _data(EXT[:2]), as_of=START + dt.timedelta(days=106), window_days=W)
    assert (early.safety.n, early.safety.dlts) == (3, 1) and not early.safety.stopped
    assert early.safety.pending == 2 and early.phase == ArmPhase.EXTENSION


def test_dated_with_every_outcome_known_counts_what_the_undated_counts():
    """Outcomes known in the data's order: the same monitor as without dates. Known in another order,
    the monitor follows the days: X2's early DLT, known before X1 completes its window, stops it."""
    late = START + dt.timedelta(days=400)
    in_order = [(100, None, 0), (104, 130, 1), (108, None, 0)]  # known on days 128, 130, 136
    dated = recommend_arm(ARM, _data(in_order), as_of=late, window_days=W)
    plain = recommend_arm(ARM, _data(in_order))
    assert (dated.safety.n, dated.safety.dlts) == (plain.safety.n, plain.safety.dlts) == (6, 2)
    assert dated.safety.pending == 0 and not dated.safety.stopped and not plain.safety.stopped
    assert [c.decision for c in dated.cohorts] == [c.decision for c in plain.cohorts]
    early_dlt = [(100, None, 0), (104, 110, 1), (108, None, 0)]  # known on days 128, 110, 136
    dated = recommend_arm(ARM, _data(early_dlt), as_of=late, window_days=W)
    plain = recommend_arm(ARM, _data(early_dlt))
    assert not plain.safety.stopped
    assert (
        dated.safety.stopped and dated.safety.stopped_after == "X2" and dated.safety.stopped_on == _day(110)
    )


def test_dated_arm_errors_name_the_line_and_the_window():
    data = _data(EXT)
    with pytest.raises(DataError, match="window"):
        recommend_arm(ARM, data, as_of=START + dt.timedelta(days=200), window_days=None)
    with pytest.raises(DataError, match="before patient X4's entry"):
        recommend_arm(ARM, data, as_of=START + dt.timedelta(days=111), window_days=W)


def test_cli_recommend_and_report_read_an_arm_file_with_dates(tmp_path):
    arm_file = tmp_path / "arm.toml"
    arm_file.write_text(
        "\n".join(
            [
                "[design]",
                'kind = "boin"',
                "target = 0.3",
                "n_doses = 3",
                "max_n = 6",
                "[timing]",
                "patients_per_month = 2",
                f"dlt_window_days = {W}",
                "[safety]",
                "limit = 0.3",
                "confidence = 0.8",
                "[[cohorts]]",
                'name = "bio"',
                'rule = "simon"',
                "n1 = 6",
                "r1 = 0",
                "n = 12",
                "r = 2",
                "count_escalation = true",
            ]
        )
        + "\n"
    )
    data = tmp_path / "arm.csv"
    data.write_text(_csv(EXT))
    runner = CliRunner()
    r = runner.invoke(
        app,
        [
            "recommend",
            "--design",
            str(arm_file),
            "--data",
            str(data),
            "--as-of",
            _day(115),
            "--no-log",
            "-f",
            "json",
        ],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["safety"]["stopped_on"] == _day(107) and out["safety"]["pending"] == 2
    html = tmp_path / "m.html"
    r = runner.invoke(
        app,
        ["report", "--design", str(arm_file), "--data", str(data), "--as-of", _day(115), "--out", str(html)],
    )
    assert r.exit_code == 0, r.output
    assert "known on" in Path(html).read_text()
