"""BF-BOIN in the meeting (``recommend --as-of`` with a BOIN design that has ``[design.backfill]``): the
decision by the simulation's kernels (``engine.backfill.bf_decide``, ``backfill_dose``) on random dated
escalation data, against the written-out BF-BOIN rules of tests/oracles.py replayed cohort by cohort;
the escalation waits while the current cohort is under observation, and the dose an arrival is
backfilled to follows the opening rule (a response seen, safe, below the cap)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dosefind import Boin
from dosefind.cli import app
from dosefind.constants import Status
from dosefind.designs.boin.spec import Backfill
from dosefind.errors import DataError
from dosefind.live.recommend import recommend
from dosefind.outcomes.datafile import parse_trial_csv
from oracles import bf_boin_decide

START = dt.date(2026, 1, 5)
W = 28
DESIGN = Boin(target=0.25, n_doses=5, max_n=60, backfill=Backfill())


def _csv(rows):
    lines = ["patient_id,dose,dlt,response,entry_date,dlt_date"]
    for r in rows:
        dd = (START + dt.timedelta(days=r["dlt_day"])).isoformat() if r["dlt"] else ""
        entry = (START + dt.timedelta(days=r["entry"])).isoformat()
        lines.append(f"{r['id']},{r['dose'] + 1},{int(r['dlt'])},{int(r['resp'])},{entry},{dd}")
    return "\n".join(lines) + "\n"


def _trial(rng, n_cohorts):
    """Cohorts of 3 at wandering doses, each cohort entering after the previous one's window."""
    rows, day, dose = [], 0, 0
    for c in range(n_cohorts):
        if c:
            day += W + rng.randint(0, 10)
            dose = min(4, max(0, dose + rng.choice((-1, 0, 1, 1))))
        for i in range(3):
            entry = day + 2 * i
            dlt = rng.random() < 0.3
            rows.append(
                {
                    "id": f"P{3 * c + i + 1}",
                    "dose": dose,
                    "entry": entry,
                    "dlt": dlt,
                    "dlt_day": entry + rng.randint(0, W - 1) if dlt else None,
                    "resp": rng.random() < 0.3,
                }
            )
    return rows


def _oracle(rows):
    """Every cohort's decision replayed on the escalation data (no backfill rows) with the oracle rules;
    the last one (the random data go on after a stop, and so does the replay)."""
    n, y = [0] * 5, [0] * 5
    elim = [False] * 5
    nxt = status = None
    for c in range(len(rows) // 3):
        for r in rows[3 * c : 3 * c + 3]:
            n[r["dose"]] += 1
            y[r["dose"]] += r["dlt"]
        nxt, status = bf_boin_decide(list(n), list(y), rows[3 * c]["dose"], elim, 0.25)
    return nxt, status


@pytest.mark.parametrize("seed", range(40))
def test_decision_on_complete_cohorts_matches_the_written_out_rules(seed):
    rng = random.Random(seed)
    rows = _trial(rng, rng.randint(1, 6))
    data = parse_trial_csv(_csv(rows), DESIGN.doses, 3, "t.csv", True)
    as_of = START + dt.timedelta(days=rows[-1]["entry"] + W)  # every window complete
    rec = recommend(DESIGN, data, as_of=as_of, window_days=W)
    nxt, status = _oracle(rows)
    if status == "none":
        assert rec.status == Status.STOP_NO_DOSE
    else:
        assert rec.status == Status.CONTINUE and rec.next_dose == nxt, (rec.explanation, nxt)


def test_the_escalation_waits_for_the_cohort_and_backfill_opens_on_a_response():
    rows = [
        {"id": "P1", "dose": 0, "entry": 0, "dlt": False, "dlt_day": None, "resp": True},
        {"id": "P2", "dose": 0, "entry": 2, "dlt": False, "dlt_day": None, "resp": False},
        {"id": "P3", "dose": 0, "entry": 4, "dlt": False, "dlt_day": None, "resp": False},
        {"id": "P4", "dose": 1, "entry": 40, "dlt": False, "dlt_day": None, "resp": False},
        {"id": "P5", "dose": 1, "entry": 42, "dlt": False, "dlt_day": None, "resp": False},
        {"id": "P6", "dose": 1, "entry": 44, "dlt": False, "dlt_day": None, "resp": False},
    ]
    data = parse_trial_csv(_csv(rows), DESIGN.doses, 3, "t.csv", True)
    rec = recommend(DESIGN, data, as_of=START + dt.timedelta(days=50), window_days=W)
    text = " ".join(rec.pending.lines)
    assert rec.pending.suspend and "cohort 2 is evaluated" in text
    # P1's response (day 0) is seen at day 28: dose 1 is open for backfill on day 50
    assert "backfilled to dose 1" in text
    # before day 28 no response has been seen anywhere: no dose is open
    early = recommend(DESIGN, data.escalation(1), as_of=START + dt.timedelta(days=10), window_days=W)
    assert early.pending.suspend
    late = recommend(DESIGN, data, as_of=START + dt.timedelta(days=44 + W), window_days=W)
    assert not late.pending.suspend and late.next_dose == 2  # 0/3 at dose 2: escalate


def test_cli_recommend_bf_boin_as_of(tmp_path):
    rng = random.Random(3)
    rows = _trial(rng, 3)
    data = tmp_path / "bf.csv"
    data.write_text(_csv(rows))
    r = CliRunner().invoke(
        app,
        [
            "recommend",
            "--design",
            str(Path(__file__).resolve().parents[2] / "scenarios" / "bf-boin.toml"),
            "--name",
            "BF-BOIN",
            "--data",
            str(data),
            "--as-of",
            (START + dt.timedelta(days=rows[-1]["entry"] + 3)).isoformat(),
            "--window-days",
            "28",
            "--no-log",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "backfill" in r.output and "r6_" not in r.output


def test_backfill_rows_count_when_known_and_pool_a_conflict():
    """Cohort 1 at dose 1 (a response), cohort 2 at dose 2 without DLT; meanwhile two backfill patients at
    dose 1 with DLTs, known before cohort 2 is evaluated. Dose 1 (2 of 5) is then in the de-escalation
    zone while dose 2 (0 of 3) escalates: BF-BOIN pools doses 1-2 (2 of 8) and stays; BOIN would
    escalate. Before the backfill DLTs are known, the same data escalate."""
    esc = [
        {"id": "P1", "dose": 0, "entry": 0, "dlt": False, "dlt_day": None, "resp": True},
        {"id": "P2", "dose": 0, "entry": 2, "dlt": False, "dlt_day": None, "resp": False},
        {"id": "P3", "dose": 0, "entry": 4, "dlt": False, "dlt_day": None, "resp": False},
        {"id": "P4", "dose": 1, "entry": 40, "dlt": False, "dlt_day": None, "resp": False},
        {"id": "P5", "dose": 1, "entry": 42, "dlt": False, "dlt_day": None, "resp": False},
        {"id": "P6", "dose": 1, "entry": 44, "dlt": False, "dlt_day": None, "resp": False},
    ]
    lines = _csv(esc).splitlines()
    lines[0] += ",phase"
    lines = [lines[0]] + [ln + ",escalation" for ln in lines[1:]]
    for pid, entry, dlt_day in (("B1", 45, 50), ("B2", 47, 60)):
        e = (START + dt.timedelta(days=entry)).isoformat()
        d = (START + dt.timedelta(days=dlt_day)).isoformat()
        lines.append(f"{pid},1,1,0,{e},{d},backfill")
    data = parse_trial_csv("\n".join(lines) + "\n", DESIGN.doses, 3, "bf.csv", True)
    assert [p.patient_id for p in data.backfill] == ["B1", "B2"] and data.n_total == 6
    day = START + dt.timedelta(days=44 + W)
    rec = recommend(DESIGN, data, as_of=day, window_days=W)
    n = [5, 3, 0, 0, 0]
    y = [2, 0, 0, 0, 0]
    nxt, status = bf_boin_decide(n, y, 1, [False] * 5, 0.25)
    assert status is None and nxt == 1
    assert rec.next_dose == 1 and rec.reason.name == "BF_POOLED"
    assert [r.n for r in rec.doses][:2] == [5, 3] and [r.tox for r in rec.doses][:2] == [2, 0]
    assert "backfill" in " ".join(rec.explanation) or any("pooled" in x for x in rec.explanation)
    # the backfill DLTs unknown (as of day 49, B1's DLT is on day 50): not counted; cohort 2 still pending
    early = recommend(DESIGN, data, as_of=START + dt.timedelta(days=49), window_days=W)
    assert early.pending.suspend and [r.n for r in early.doses][:2] == [3, 3]
    # backfill rows on a design without backfill, or without dates: one-line errors naming the line
    with pytest.raises(DataError, match="line 8.*no backfill"):
        recommend(Boin(target=0.25, n_doses=5, max_n=60), data, as_of=day, window_days=W)
    with pytest.raises(DataError, match="line 8.*--as-of"):
        recommend(DESIGN, data)


def test_pathways_over_pending_outcomes_count_the_backfill_patients():
    """The bundled dated BF-BOIN trial as of 2026-04-20: with 1 DLT among the 3 pending at dose 3, the
    backfill data at dose 1 (2 DLTs of 5) conflict and the pooled doses 1-3 (3 of 11) stay; without the
    backfill rows the same outcome de-escalates (1 of 3 at dose 3)."""
    from dosefind.live.pending import pending_outcomes, read_clock
    from dosefind.outcomes.datafile import read_trial_csv

    path = Path(__file__).resolve().parents[2] / "examples" / "designs" / "bf-boin-trial.csv"
    design = Boin(target=0.25, n_doses=6, max_n=36, backfill=Backfill())
    data = read_trial_csv(path, design.doses, 3, True)
    day = dt.date(2026, 4, 20)
    rows = pending_outcomes(design, data, read_clock(data, day, W))
    by_dlts = {r.dlts[2]: r for r in rows}
    assert by_dlts[1].next_dose == 2 and by_dlts[0].next_dose == 3
    plain = dataclasses.replace(data, backfill=())
    rows = pending_outcomes(design, plain, read_clock(plain, day, W))
    assert {r.dlts[2]: r for r in rows}[1].next_dose == 1
