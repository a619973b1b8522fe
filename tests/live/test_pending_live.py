"""Live decisions with dates (``recommend --as-of``): random trials written as CSV with dates, read as of a
day, against an independent reading of the dates and the oracle rules of tests/oracles.py; the day the
decision changes, checked by rerunning on that day; bad dates refused with the line and the fix."""

import datetime as dt
import json
import random

import numpy as np
import pytest
from typer.testing import CliRunner

from dosefind import Boin, DataError
from dosefind.cli import app
from dosefind.designs import RollingSix, TiteBoin, TiteCrm
from dosefind.live.recommend import recommend
from dosefind.outcomes.datafile import parse_trial_csv
from oracles import rolling_six_decide, tite_boin_decide

START = dt.date(2026, 1, 5)
W = 28


def _trial(rng, n, D, doses=None):
    """CSV text of n patients: increasing entry days, doses wandering over the levels, DLTs dated inside
    their window; and the rows as dicts."""
    rows, day, dose = [], 0, 0
    for i in range(n):
        day += rng.randint(0, 9)
        if doses is not None:
            dose = doses[i]
        elif i % 3 == 0 and i:
            dose = min(D - 1, max(0, dose + rng.choice((-1, 0, 1, 1))))
        dlt = rng.random() < 0.25
        dlt_day = day + rng.randint(0, W - 1) if dlt else None
        rows.append({"id": f"P{i + 1}", "dose": dose, "entry": day, "dlt": dlt, "dlt_day": dlt_day})
    lines = ["patient_id,dose,dlt,entry_date,dlt_date"]
    for r in rows:
        dd = (START + dt.timedelta(days=r["dlt_day"])).isoformat() if r["dlt"] else ""
        entry = (START + dt.timedelta(days=r["entry"])).isoformat()
        lines.append(f"{r['id']},{r['dose'] + 1},{int(r['dlt'])},{entry},{dd}")
    return "\n".join(lines) + "\n", rows


def _by_hand(rows, as_of_day, D):
    """n, DLTs seen, pending and their follow-up in windows, per dose, as of day ``as_of_day``."""
    n, y, m, s = [0] * D, [0] * D, [0] * D, [0.0] * D
    for r in rows:
        d = r["dose"]
        n[d] += 1
        if r["dlt"] and r["dlt_day"] <= as_of_day:
            y[d] += 1
        elif as_of_day - r["entry"] < W:
            m[d] += 1
            s[d] += (as_of_day - r["entry"]) / W
    return n, y, m, s


@pytest.mark.parametrize("kind", ["tite_boin_ess", "tite_boin_imputation", "rolling_six"])
def test_live_decision_matches_the_oracle_on_random_dated_trials(kind):
    rng = random.Random(5)
    D = 5
    if kind == "rolling_six":
        design = RollingSix(n_doses=D)
        rule = rolling_six_decide("frankel2020")
    else:
        version = kind.split("_")[-1]
        design = TiteBoin(target=0.25, n_doses=D, max_n=30, version=version)
        rule = tite_boin_decide(0.25, version, design.suspend_rule)
    decide = rule[0]
    checked = {"suspend": 0, "move": 0}
    for _ in range(60):
        size = design.cohort_size
        n_pat = size * rng.randint(1, 5)
        doses = None
        if kind == "rolling_six":  # at most 6 a level, moving up a level every 6 patients
            n_pat = rng.randint(3, 20)
            doses = [min(D - 1, i // 6) for i in range(n_pat)]
        text, rows = _trial(rng, n_pat, D, doses)
        data = parse_trial_csv(text, design.doses, design.cohort_size, name="t.csv")
        last = rows[-1]["entry"]
        as_of = last + rng.randint(0, 20)
        rec = recommend(design, data, as_of=START + dt.timedelta(days=as_of), window_days=W)
        n, y, m, s = _by_hand(rows, as_of, D)
        cur = rows[-1]["dose"]
        adm = [True] * D
        if kind == "rolling_six":
            for d in range(D):
                if y[d] >= 2 and d != cur:
                    adm[d:] = [False] * (D - d)
                    break
        nxt, stop, susp = decide(n, y, m, s, cur, adm)
        where = (text, as_of)
        if stop is not None:
            assert rec.stopped, where
            continue
        assert rec.pending.suspend == susp, where
        assert rec.next_dose == nxt, where
        checked["suspend" if susp else "move"] += 1
    assert min(checked.values()) >= 5, checked


def test_the_day_the_decision_changes_is_what_a_rerun_that_day_gives():
    """Followed forward with no new DLT, the decision changes on ``next_change_date``: rerunning on that
    day (the data unchanged: no DLT after the first day) gives it, and the day before gives the first."""
    rng = random.Random(11)
    design = TiteBoin(target=0.25, n_doses=5, max_n=30)
    seen = 0
    for _ in range(80):
        text, rows = _trial(rng, 3 * rng.randint(1, 4), 5)
        data = parse_trial_csv(text, design.doses, 3, name="t.csv")
        last = rows[-1]["entry"]
        if any(r["dlt"] and r["dlt_day"] > last for r in rows):
            continue  # a DLT dated after the day would change the later reruns
        day0 = START + dt.timedelta(days=last)
        rec = recommend(design, data, as_of=day0, window_days=W)
        change = rec.pending.change_day
        if change is None or rec.stopped:
            continue
        then = recommend(design, data, as_of=change, window_days=W)
        before = recommend(design, data, as_of=change - dt.timedelta(days=1), window_days=W)
        assert (before.next_dose, before.pending.suspend) == (rec.next_dose, rec.pending.suspend)
        assert (then.next_dose, then.pending.suspend, then.status) != (
            rec.next_dose,
            rec.pending.suspend,
            rec.status,
        )
        seen += 1
    assert seen >= 10


def test_tite_crm_weights_are_the_followed_fraction_of_the_window():
    text = (
        "patient_id,dose,dlt,entry_date,dlt_date\n"
        "A,1,0,2026-01-05,\nB,1,1,2026-01-20,2026-01-30\nC,2,0,2026-02-10,\nD,2,0,2026-02-24,\n"
    )
    design = TiteCrm(target=0.25, n_doses=5, skeleton=(0.05, 0.1, 0.2, 0.3, 0.45), max_n=24)
    data = parse_trial_csv(text, design.doses, 1, name="t.csv")
    rec = recommend(design, data, as_of=dt.date(2026, 3, 1), window_days=28)
    # A complete, B a DLT, C followed 19 of 28 days, D 5 of 28
    assert np.allclose(rec.pending.weights, [1, 1, 19 / 28, 5 / 28])
    assert [p.status for p in rec.pending.clock.patients] == ["complete", "dlt", "pending", "pending"]


def test_a_complete_cohort_design_is_told_who_is_still_in_the_window():
    text = (
        "patient_id,dose,dlt,entry_date,dlt_date\nA,1,0,2026-01-05,\nB,1,0,2026-01-06,\nC,1,0,2026-02-01,\n"
    )
    design = Boin(target=0.25, n_doses=4, max_n=24)
    data = parse_trial_csv(text, design.doses, 3, name="t.csv")
    rec = recommend(design, data, as_of=dt.date(2026, 2, 10), window_days=28)
    assert rec.pending is None and rec.next_dose == 1
    assert any("C (until 2026-03-01)" in w for w in rec.warnings)


BAD = [
    ("patient_id,dose,dlt\nA,1,0\n", "no entry date"),
    ("patient_id,dose,dlt,entry_date\nA,1,0,2026-02-01\nB,1,0,2026-01-20\n", "list patients in the order"),
    ("patient_id,dose,dlt,entry_date,dlt_date\nA,1,1,2026-01-05,\n", "no dlt_date"),
    ("patient_id,dose,dlt,entry_date,dlt_date\nA,1,1,2026-01-05,2026-01-01\n", "before the entry date"),
    (
        "patient_id,dose,dlt,entry_date,dlt_date\nA,1,1,2026-01-05,2026-02-15\n",
        "outside the 28-day DLT window",
    ),
    ("patient_id,dose,dlt,entry_date,dlt_date\nA,1,0,2026-01-05,2026-01-09\n", "but dlt = 0"),
    ("patient_id,dose,dlt,entry_date\nA,1,0,2026-03-20\n", "before patient A's entry"),
]


@pytest.mark.parametrize("text, message", BAD)
def test_bad_dates_are_refused_with_the_line_and_the_fix(text, message):
    design = TiteBoin(target=0.25, n_doses=4, max_n=24)
    data = parse_trial_csv(text, design.doses, 3, name="t.csv")
    with pytest.raises(DataError, match=message):
        recommend(design, data, as_of=dt.date(2026, 3, 14), window_days=28)


def test_cli_as_of(tmp_path):
    runner = CliRunner()
    path = tmp_path / "trial.csv"
    path.write_text(
        "patient_id,dose,dlt,entry_date,dlt_date\nP1,1,0,2026-01-05,\nP2,1,0,2026-01-12,\nP3,1,0,2026-01-20,\n"
        "P4,2,0,2026-02-20,\nP5,2,1,2026-02-27,2026-03-10\nP6,2,0,2026-03-08,\n"
    )
    design = "examples/designs/tite-boin.toml"
    base = ["recommend", "--design", design, "--data", str(path), "--no-log"]
    r = runner.invoke(app, [*base, "--as-of", "2026-03-14", "--window-days", "28", "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["decision"] == "suspend" and out["pending"]["accrual_suspended"]
    assert out["pending"]["next_change_date"] == "2026-03-20"
    text = runner.invoke(app, [*base, "--as-of", "2026-03-14", "--window-days", "28"])
    assert "if no DLT is reported by 2026-03-20: de-escalate to dose 1" in text.output
    plain = tmp_path / "tite-boin.toml"  # no [timing] section: the window must be given
    plain.write_text('[design]\nkind = "tite_boin"\ntarget = 0.25\nn_doses = 5\nmax_n = 18\n')
    r = runner.invoke(
        app, ["recommend", "--design", str(plain), "--data", str(path), "--no-log", "--as-of", "2026-03-14"]
    )
    assert r.exit_code != 0 and "--window-days: missing" in r.output and "Traceback" not in r.output
    for args, message in (
        (["--as-of", "14/03/2026", "--window-days", "28"], "not a date"),
        (["--as-of", "2026-03-14", "--window-days", "0"], "--window-days"),
    ):
        bad = runner.invoke(app, [*base, *args])
        assert bad.exit_code != 0 and message in bad.output and "Traceback" not in bad.output


def test_report_as_of_has_the_timeline_and_the_patients(tmp_path):
    pytest.importorskip("matplotlib")
    runner = CliRunner()
    out = tmp_path / "meeting.html"
    r = runner.invoke(
        app,
        [
            "report",
            "--design",
            "examples/designs/tite-boin.toml",
            "--data",
            "examples/designs/tite-boin-trial.csv",
            "--as-of",
            "2026-03-14",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    html = out.read_text()
    assert "Patients as of 2026-03-14" in html and "Timeline of the patients" in html
    assert "suspend accrual" in html and "if no DLT is reported by 2026-03-20" in html
    assert html.count("data:image/png;base64,") >= 2


def test_pending_outcomes_are_the_decisions_once_the_windows_are_complete():
    """paths --as-of: each way the pending windows can end, and the design's decision then, equal to a
    rerun of recommend on data where those patients ended so; probabilities sum to one and match a Monte
    Carlo of uniform DLT times given no DLT so far."""
    from dosefind.live.pending import pending_outcomes, read_clock

    rng = random.Random(17)
    tox = (0.05, 0.15, 0.3, 0.45, 0.6)
    for design in (TiteBoin(target=0.25, n_doses=5, max_n=30), RollingSix(n_doses=5)):
        for _ in range(15):
            n_pat = 3 * rng.randint(1, 4) if design.cohort_size == 3 else rng.randint(2, 12)
            doses = [min(4, i // 6) for i in range(n_pat)] if design.kind == "rolling_six" else None
            text, rows = _trial(rng, n_pat, 5, doses)
            rows = [
                dict(r, dlt=False, dlt_day=None) if r["dlt"] and r["dlt_day"] > rows[-1]["entry"] else r
                for r in rows
            ]
            data = parse_trial_csv(_csv(rows), design.doses, design.cohort_size, name="t.csv")
            day = START + dt.timedelta(days=rows[-1]["entry"])
            clock = read_clock(data, day, W)
            outs = pending_outcomes(design, data, clock, tox)
            assert abs(sum(o.prob for o in outs) - 1) < 1e-12
            for o in outs:  # rerun: the first k pending at each dose get a DLT on that day
                later = []
                left = list(o.dlts)
                for r, p in zip(rows, clock.patients, strict=True):
                    if p.status == "pending" and left[p.dose] > 0:
                        left[p.dose] -= 1
                        later.append(dict(r, dlt=True, dlt_day=rows[-1]["entry"]))
                    else:
                        later.append(r)
                again = parse_trial_csv(_csv(later), design.doses, design.cohort_size, name="t.csv")
                rec = recommend(design, again, as_of=day + dt.timedelta(days=W + 1), window_days=W)
                assert rec.next_dose == o.next_dose, (o, rows)
    # one patient followed u of W days, p = 0.3: a DLT still to come with p (1 - u/W) / (1 - p u/W)
    gen = np.random.default_rng(3)
    dlt = gen.random(400_000) < 0.3
    when = gen.random(400_000) * W
    alive = ~(dlt & (when <= 10))
    mc = float(np.mean(dlt[alive]))
    assert abs(mc - 0.3 * (1 - 10 / W) / (1 - 0.3 * 10 / W)) < 4 * np.sqrt(mc * (1 - mc) / alive.sum())


def _csv(rows):
    lines = ["patient_id,dose,dlt,entry_date,dlt_date"]
    for r in rows:
        dd = (START + dt.timedelta(days=r["dlt_day"])).isoformat() if r["dlt"] else ""
        entry = (START + dt.timedelta(days=r["entry"])).isoformat()
        lines.append(f"{r['id']},{r['dose'] + 1},{int(r['dlt'])},{entry},{dd}")
    return "\n".join(lines) + "\n"


def test_cli_paths_as_of():
    runner = CliRunner()
    base = [
        "paths",
        "--design",
        "examples/designs/tite-boin.toml",
        "--data",
        "examples/designs/tite-boin-trial.csv",
    ]
    r = runner.invoke(app, [*base, "--as-of", "2026-03-14", "--scenario", "0.05,0.25,0.4,0.5,0.6"])
    assert r.exit_code == 0, r.output
    assert "0 DLT(s) at dose 2 -> de-escalate to dose 1   P = 0.740" in r.output
    js = runner.invoke(app, [*base, "--as-of", "2026-03-14", "--format", "json"])
    assert js.exit_code == 0 and len(json.loads(js.output)["outcomes"]) == 3
    bad = runner.invoke(app, [*base, "--as-of", "2026-03-14", "--format", "csv"])
    assert bad.exit_code != 0 and "--format" in bad.output


@pytest.mark.parametrize("kind", ["tite_boin", "rolling_six", "tite_crm"])
def test_notation_with_pending_patients_decides_as_the_dated_data(kind):
    """The same trial written as a dated CSV read --as-of a day, and in the notation with P<days> for the
    patients pending that day: the same decision (the notation gives follow-up, not dates)."""
    from dosefind.outcomes import parse_outcomes

    rng = random.Random(23)
    design = {
        "tite_boin": TiteBoin(target=0.25, n_doses=5, max_n=30),
        "rolling_six": RollingSix(n_doses=5),
        "tite_crm": TiteCrm(target=0.25, n_doses=5, skeleton=(0.05, 0.1, 0.2, 0.3, 0.45), max_n=24),
    }[kind]
    seen = 0
    for _ in range(30):
        n_pat = rng.randint(2, 12) if design.cohort_size == 1 else 3 * rng.randint(1, 4)
        doses = [min(4, i // 6) for i in range(n_pat)] if kind == "rolling_six" else None
        text, rows = _trial(rng, n_pat, 5, doses)
        data = parse_trial_csv(text, design.doses, design.cohort_size, name="t.csv")
        as_of = rows[-1]["entry"] + rng.randint(0, 10)
        dated = recommend(design, data, as_of=START + dt.timedelta(days=as_of), window_days=W)
        tokens, run = [], None
        for r in rows:
            if r["dlt"] and r["dlt_day"] <= as_of:
                letter = "T"
            elif as_of - r["entry"] >= W:
                letter = "N"
            else:
                letter = f"P{as_of - r['entry']}"
            if (
                run is None
                or run[0] != r["dose"]
                or (design.cohort_size > 1 and len(run[1]) == design.cohort_size)
            ):
                run = (r["dose"], [])
                tokens.append(run)
            run[1].append(letter)
        notation = " ".join(f"{d + 1}{''.join(ls)}" for d, ls in tokens)
        nd = parse_outcomes(notation, design.doses)
        assert parse_outcomes(nd.to_notation(), design.doses).to_dict() == nd.to_dict()
        written = recommend(design, nd, window_days=W)
        where = (notation, as_of)
        assert (written.next_dose, written.status, written.decision) == (
            dated.next_dose,
            dated.status,
            dated.decision,
        ), where
        seen += nd.has_pending
    assert seen >= 10
