"""Inputs a hostile tester tried (issue 17, item 6): each gives one clean line naming the field, file or line
and the fix, as SpecError / DataError / OutputError (exit 2 from the CLI), never a traceback."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dosefind.arm.spec import load_arm
from dosefind.cli import app
from dosefind.designs import BoinComb, PoCrm
from dosefind.designs.boin import Boin
from dosefind.designs.crm import Crm
from dosefind.designs.grid import DoseGrid
from dosefind.designs.rolling_six import RollingSix
from dosefind.designs.three_plus_three import ThreePlusThree
from dosefind.designs.tite_crm import TiteCrm
from dosefind.errors import DataError, OutputError, SpecError
from dosefind.live.audit import AuditLog
from dosefind.outcomes import parse_trial_csv, read_trial_csv
from dosefind.specfile import load_spec
from dosefind.sweep import load_study

from ..conftest import SCENARIOS

runner = CliRunner()
SPEC = SCENARIOS / "target30-6dose.toml"
DESIGN = """[design]
kind = "boin"
target = 0.3
n_doses = 4
cohort_size = 3
max_n = 24
"""
LATIN1 = "# Dosierung für Kohorte, café\n".encode("latin-1")  # 0xfc: not UTF-8


def one_clean_line(result, *needles):
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


# ---- 1. files that are not UTF-8 text ---------------------------------------------------------------------
def test_spec_file_not_utf8_names_the_file_line_and_fix(tmp_path):
    f = tmp_path / "spec.toml"
    f.write_bytes(b"# six doses\n" + LATIN1 + SPEC.read_bytes())
    with pytest.raises(SpecError) as info:
        load_spec(f)
    assert info.value.field == "file" and info.value.source == "spec.toml"
    assert "not UTF-8 text (byte 0xfc on line 2)" in str(info.value) and "save the file as UTF-8" in str(
        info.value
    )
    one_clean_line(runner.invoke(app, ["simulate", str(f), "-n", "10"]), "spec.toml", "UTF-8")


def test_spec_file_with_a_byte_order_mark_reads(tmp_path):
    f = tmp_path / "spec.toml"
    f.write_bytes(b"\xef\xbb\xbf" + SPEC.read_bytes())  # UTF-8 as Windows editors save it
    assert [d.name for d in load_spec(f).designs] == ["BOIN", "CRM", "3+3"]


def test_design_file_not_utf8_in_the_meeting_commands(tmp_path):
    f = tmp_path / "design.toml"
    f.write_bytes(DESIGN.encode() + LATIN1)
    for args in (
        ["recommend", "--design", str(f), "--outcomes", "1NNN", "--no-log"],
        ["table", "--design", str(f)],
        ["paths", "--design", str(f), "--outcomes", "1NNN"],
        ["simulate", str(SPEC), "--design", str(f), "-n", "10"],
    ):
        one_clean_line(runner.invoke(app, args), "design.toml", "line 7", "save the file as UTF-8")


def test_arm_file_not_utf8(tmp_path):
    f = tmp_path / "arm.toml"
    f.write_bytes((SCENARIOS / "arm-combo.toml").read_bytes() + LATIN1)
    with pytest.raises(SpecError, match=r"arm\.toml: file: not UTF-8 text"):
        load_arm(f)
    one_clean_line(runner.invoke(app, ["simulate", str(f), "-n", "10"]), "arm.toml", "UTF-8")


def test_study_and_its_scenario_file_not_utf8(tmp_path):
    scen = tmp_path / "scenarios.toml"
    scen.write_bytes(LATIN1 + b'[[scenarios]]\nname = "a"\ntrue_tox = [0.1, 0.2, 0.3, 0.5]\n')
    study = tmp_path / "study.toml"
    body = f'[study]\nname = "s"\nn_trials = 10\nseed = 1\nscenario_files = ["{scen.name}"]\n\n'
    study.write_text(body + DESIGN.replace("[design]", "[[designs]]"), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_study(study)
    assert info.value.field == "study.scenario_files[0]" and "scenarios.toml: not UTF-8" in str(info.value)
    study.write_bytes(LATIN1 + study.read_bytes())
    with pytest.raises(SpecError) as info:
        load_study(study)
    # the study file itself: named once (not "study.toml: file: study.toml: ...")
    assert str(info.value).startswith("study.toml: file: not UTF-8 text (byte 0xfc on line 1)")
    one_clean_line(runner.invoke(app, ["sweep", str(study), "--out", str(tmp_path / "out")]), "study.toml")


def test_data_csv_not_utf8_names_the_line(tmp_path):
    f = tmp_path / "trial.csv"
    f.write_bytes(b"patient_id,dose,dlt,note\n1,1,0,ok\n2,1,0,caf\xe9\n")
    with pytest.raises(
        DataError, match=r"trial\.csv, line 3: not UTF-8 text \(byte 0xe9\); save the file as CSV UTF-8"
    ):
        read_trial_csv(f, ("1", "2", "3"), 3)
    d = tmp_path / "design.toml"
    d.write_text(DESIGN)
    one_clean_line(
        runner.invoke(app, ["recommend", "--design", str(d), "--data", str(f), "--no-log"]),
        "trial.csv, line 3",
    )


# ---- 2. --out that cannot be written, refused before the work ---------------------------------------------
@pytest.fixture
def design_file(tmp_path):
    f = tmp_path / "design.toml"
    f.write_text(DESIGN)
    return f


def out_cases(tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "a-file").write_text("x")
    return [
        (tmp_path / "folder", "is a folder; give a file name, e.g."),
        (tmp_path / "missing" / "x.txt", "does not exist; create it or choose another path"),
        (tmp_path / "a-file" / "x.txt", "is a file, not a folder"),
    ]


def test_simulate_out_checked_before_simulating(tmp_path, monkeypatch):
    def no_work(*args, **kwargs):
        raise AssertionError("simulated before checking --out")

    monkeypatch.setattr("dosefind.cli.simulate.simulate_spec", no_work)
    for out, needle in out_cases(tmp_path):
        r = runner.invoke(app, ["simulate", str(SPEC), "-n", "10", "--out", str(out)])
        one_clean_line(r, "--out", needle)


def test_recommend_out_checked_before_recommending_or_logging(tmp_path, design_file):
    log = tmp_path / "trial.sqlite"
    for out, needle in out_cases(tmp_path):
        args = ["recommend", "--design", str(design_file), "--outcomes", "1NNN", "--out", str(out)]
        one_clean_line(runner.invoke(app, [*args, "--log", str(log)]), "--out", needle)
    assert not log.exists()  # nothing logged for a recommendation that could not be written


def test_table_paths_report_out_and_plot(tmp_path, design_file):
    for out, needle in out_cases(tmp_path):
        one_clean_line(
            runner.invoke(app, ["table", "-d", str(design_file), "--out", str(out)]), "--out", needle
        )
        one_clean_line(
            runner.invoke(app, ["table", "-d", str(design_file), "--plot", str(out)]), "--plot", needle
        )
        r = runner.invoke(app, ["paths", "-d", str(design_file), "--outcomes", "1NNN", "--out", str(out)])
        one_clean_line(r, "--out", needle)
    r = runner.invoke(app, ["report", "-d", str(design_file), "--outcomes", "1NNN", "--out", str(tmp_path)])
    one_clean_line(r, "--out", "should end in .html")
    (tmp_path / "r.html").mkdir()
    r = runner.invoke(
        app, ["report", "-d", str(design_file), "--outcomes", "1NNN", "--out", str(tmp_path / "r.html")]
    )
    one_clean_line(r, "--out", "is a folder", "meeting.html")


def test_summarize_out_checked_before_reading_the_results(tmp_path):
    for out, needle in out_cases(tmp_path):
        # the results folder does not exist either: --out is checked first
        one_clean_line(
            runner.invoke(app, ["summarize", str(tmp_path / "no-sweep"), "--out", str(out)]), needle
        )


def test_out_folder_not_writable(tmp_path, design_file, monkeypatch):
    import os

    real_access = os.access

    def access(path, mode):  # tmp_path is read-only (chmod would not stop root)
        return not (Path(path) == tmp_path and mode & os.W_OK) and real_access(path, mode)

    monkeypatch.setattr(os, "access", access)
    out = tmp_path / "result.txt"
    for args in (
        ["simulate", str(SPEC), "-n", "10", "--out", str(out)],
        ["recommend", "--design", str(design_file), "--outcomes", "1NNN", "--no-log", "--out", str(out)],
        ["table", "-d", str(design_file), "--out", str(out)],
        ["summarize", str(tmp_path), "--out", str(out)],
    ):
        one_clean_line(
            runner.invoke(app, args), "--out: folder", "is not writable; choose a folder you can write to"
        )


def test_writing_failure_is_an_output_error(tmp_path, monkeypatch):
    from dosefind.cli import common

    def disk_full(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(common.atomic, "write_bytes_atomic", disk_full)
    with pytest.raises(
        OutputError, match=r"--out: cannot write .*\(No space left on device\); check the disk"
    ):
        common.write_atomic(tmp_path / "x.txt", "text")


def test_sweep_and_plot_out_under_a_file(tmp_path):
    (tmp_path / "a-file").write_text("x")
    study = tmp_path / "study.toml"
    study.write_text(
        '[study]\nname = "s"\nn_trials = 10\nseed = 1\n\n'
        + DESIGN.replace("[design]", "[[designs]]")
        + '\n[[scenarios]]\nname = "a"\ntrue_tox = [0.1, 0.2, 0.3, 0.5]\n'
    )
    r = runner.invoke(app, ["sweep", str(study), "--out", str(tmp_path / "a-file" / "out"), "-q"])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "--out: cannot create the folder" in r.output and "(Not a directory)" in r.output


# ---- 3. silently accepted ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda: Boin(target=0.3, n_doses=4, cohort_size=3, max_n=2),
        lambda: Crm(target=0.3, n_doses=3, skeleton=(0.1, 0.2, 0.3), cohort_size=3, max_n=1),
        lambda: ThreePlusThree(target=0.3, n_doses=4, max_n=2),
    ],
)
def test_max_n_below_cohort_size_is_refused(make):
    with pytest.raises(SpecError) as info:
        make()
    assert info.value.field == "max_n"
    assert "fewer than one cohort (cohort_size = 3)" in str(info.value)
    assert "raise max_n to 3 or more" in str(info.value)


def test_max_n_defaults_and_cohorts_of_one_still_work():
    assert ThreePlusThree(target=0.3, n_doses=4).max_n == 24  # 6 per dose
    assert RollingSix(target=0.3, n_doses=4).max_n == 24
    assert RollingSix(target=0.3, n_doses=4, max_n=1).cohort_size == 1
    assert TiteCrm(target=0.3, n_doses=3, skeleton=(0.1, 0.2, 0.3), max_n=1).max_n == 1
    assert Boin(target=0.3, n_doses=4, cohort_size=3, max_n=3).max_n == 3


def test_combination_designs_with_cohorts_of_one():
    # their inner single-agent BOIN / CRM take the design's cohort size (found by the grid properties)
    grid = DoseGrid(levels_a=("a1", "a2"), levels_b=("b1", "b2"))
    assert BoinComb(target=0.3, grid=grid, cohort_size=1, max_n=1).max_n == 1
    pocrm = PoCrm(target=0.3, grid=grid, cohort_size=1, max_n=2, skeleton_halfwidth=0.05, skeleton_nu=2)
    assert pocrm._crm().cohort_size == 1
    with pytest.raises(SpecError, match="fewer than one cohort"):
        BoinComb(target=0.3, grid=grid, cohort_size=3, max_n=2)


def test_max_n_below_cohort_size_in_a_file(tmp_path):
    f = tmp_path / "design.toml"
    f.write_text(DESIGN.replace("max_n = 24", "max_n = 2"))
    one_clean_line(
        runner.invoke(app, ["table", "-d", str(f)]), "design.toml: design.max_n", "cohort_size = 3"
    )


def test_csv_row_with_more_fields_than_the_header(tmp_path):
    text = "patient_id,dose,dlt\n1,1,0\n2,1,0,1\n3,1,0\n"
    with pytest.raises(DataError) as info:
        parse_trial_csv(text, ("1", "2", "3"), 3, "trial.csv")
    msg = str(info.value)
    assert msg.startswith("trial.csv, line 3: 4 fields but the header has 3 columns (extra: '1')")
    assert "remove the extra fields" in msg and "name the column in the header" in msg
    # a value holding the separator, unquoted, is the usual cause
    with pytest.raises(DataError, match=r"line 2: 4 fields"):
        parse_trial_csv("patient_id,dose,dlt\nP-1,1,0,5\n", ("1", "2"), 3, "trial.csv")
    f = tmp_path / "trial.csv"
    f.write_text(text)
    d = tmp_path / "design.toml"
    d.write_text(DESIGN)
    one_clean_line(runner.invoke(app, ["recommend", "-d", str(d), "--data", str(f), "--no-log"]), "line 3")


def test_csv_trailing_empty_fields_are_not_data():
    # spreadsheets write a trailing separator: nothing is lost, so the rows are read
    trial = parse_trial_csv("patient_id,dose,dlt\n1,1,0,\n2,1,1,,\n3,1,0\n", ("1", "2", "3"), 3, "trial.csv")
    assert [p.dlt for p in trial.patients] == [False, True, False]


def _log_with_recommendation(tmp_path, design_file, outcomes="1NNN"):
    log = tmp_path / "trial.sqlite"
    r = runner.invoke(app, ["recommend", "-d", str(design_file), "--outcomes", outcomes, "--log", str(log)])
    assert r.exit_code == 0, r.output
    return log


def test_log_decide_dose_not_of_the_design(tmp_path, design_file):
    log = _log_with_recommendation(tmp_path, design_file)
    args = ["log", "decide", str(log), "-r", "1", "--decision", "escalate", "--reason", "r"]
    line = one_clean_line(runner.invoke(app, [*args, "--dose", "7"]), "trial.sqlite")
    assert "decided dose '7' is not a dose of the design of recommendation 1" in line
    assert "give one of its doses (1, 2, 3, 4), or none to stop" in line
    assert len(AuditLog(log).records()) == 1  # nothing appended
    for ok in ("2", " 3 ", "none"):
        assert runner.invoke(app, [*args, "--dose", ok]).exit_code == 0
    assert AuditLog(log).verify().ok and len(AuditLog(log).records()) == 4


def test_log_decide_dose_labels_and_grid_cells(tmp_path):
    d = tmp_path / "design.toml"
    d.write_text(DESIGN.replace("n_doses = 4", 'doses = ["10 mg", "20 mg", "40 mg", "80 mg"]'))
    log = _log_with_recommendation(tmp_path, d)
    with pytest.raises(DataError, match=r"give one of its doses \(10 mg, 20 mg, 40 mg, 80 mg\)"):
        AuditLog(log).append_decision(1, "2", "stay", "r")  # a level number is not a label
    assert AuditLog(log).append_decision(1, "40 mg", "stay", "r").payload["overruled"] is True

    grid = tmp_path / "grid.toml"
    grid.write_text(
        '[design]\nkind = "boin_comb"\ntarget = 0.3\ncohort_size = 3\nmax_n = 30\n'
        '[design.grid]\nlevels_a = ["a1", "a2", "a3"]\nlevels_b = ["b1", "b2"]\n'
    )
    (tmp_path / "g").mkdir()
    log = _log_with_recommendation(tmp_path / "g", grid, "")
    with pytest.raises(DataError, match=r"'4\.1' is not a dose .* \(1\.1, 1\.2, 2\.1, 2\.2, 3\.1, 3\.2\)"):
        AuditLog(log).append_decision(1, "4.1", "escalate", "r")
    assert AuditLog(log).append_decision(1, "2.1", "escalate", "r").payload["decided_dose"] == "2.1"


def test_log_decide_arm_recommendation_uses_the_escalation_doses(tmp_path):
    log = AuditLog(tmp_path / "arm.sqlite")
    payload = {"next_dose": "2", "escalation": {"doses": [{"label": "1"}, {"label": "2"}]}}
    log.append_recommendation(payload, arm="A")
    with pytest.raises(DataError, match=r"'3' is not a dose .* \(1, 2\)"):
        log.append_decision(1, "3", "escalate", "r")
    assert log.append_decision(1, "1", "de-escalate", "r").payload["overruled"] is True


def test_log_decide_without_dose_table_is_not_checked(tmp_path):
    # records written by hand (or by older versions) carry no dose table: any label is recorded
    log = AuditLog(tmp_path / "old.sqlite")
    log.append_recommendation({"next_dose": "3", "decision": "escalate", "reason": "r"})
    assert log.append_decision(1, "9", "escalate", "r").payload["decided_dose"] == "9"


def test_what_if_outcomes_are_not_logged_unless_a_log_is_named(tmp_path):
    """recommend --outcomes is a what-if: it does not append to the trial's audit log beside the design
    file unless --log names one."""
    import shutil

    from typer.testing import CliRunner

    from dosefind.cli import app

    design = tmp_path / "arm-a.toml"
    shutil.copy(Path(__file__).resolve().parents[2] / "examples" / "meeting" / "arm-a.toml", design)
    runner = CliRunner()
    r = runner.invoke(app, ["recommend", "--design", str(design), "--outcomes", "2NNN"])
    assert r.exit_code == 0, r.output
    assert "Not logged" in r.output and not list(tmp_path.glob("*.sqlite"))
    log = tmp_path / "whatif.sqlite"
    r = runner.invoke(app, ["recommend", "--design", str(design), "--outcomes", "2NNN", "--log", str(log)])
    assert r.exit_code == 0 and log.exists() and "Logged as record 1" in r.output


def test_a_first_cohort_away_from_the_start_dose_is_flagged():
    from dosefind import Boin
    from dosefind.live.recommend import recommend
    from dosefind.outcomes import parse_outcomes

    design = Boin(target=0.3, n_doses=5, max_n=24, start_dose=2)
    rec = recommend(design, parse_outcomes("3NNN 4NTN", design.doses))
    assert any("cohort 1 was treated at dose 3; the design starts at dose 2" in w for w in rec.warnings)
    assert not any("cohort 1" in w for w in recommend(design, parse_outcomes("2NNN", design.doses)).warnings)


def test_sweep_scheduler_that_does_not_answer(tmp_path):
    """--scheduler with nothing listening: one line naming the address, within the connect timeout."""
    pytest.importorskip("distributed")
    import socket

    from typer.testing import CliRunner

    from dosefind.cli import app

    with socket.socket() as s:  # a free port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    study = Path(__file__).resolve().parents[2] / "scenarios" / "random-6dose-study.toml"
    r = CliRunner().invoke(
        app, ["sweep", str(study), "--out", str(tmp_path / "out"), "--scheduler", f"tcp://127.0.0.1:{port}"]
    )
    assert r.exit_code != 0
    assert f"--scheduler: the Dask scheduler at tcp://127.0.0.1:{port} did not answer" in r.output
    assert "Traceback" not in r.output


@pytest.mark.parametrize("how", ["damaged", "missing"])
def test_summarize_on_a_damaged_or_missing_table(tmp_path, how):
    """summarize on a finished folder whose oc.parquet was damaged or removed: one line naming it."""
    from typer.testing import CliRunner

    from dosefind.cli import app

    study = tmp_path / "study.toml"
    study.write_text(
        '[study]\nname = "tiny"\nn_trials = 50\nseed = 1\n'
        '[[designs]]\nname = "BOIN"\nkind = "boin"\ntarget = 0.3\nn_doses = 3\nmax_n = 9\n'
        '[[scenarios]]\nname = "S1"\ntrue_tox = [0.1, 0.3, 0.5]\n'
    )
    runner = CliRunner()
    out = tmp_path / "out"
    r = runner.invoke(app, ["sweep", str(study), "--out", str(out), "--serial"])
    assert r.exit_code == 0, r.output
    oc = out / "oc.parquet"
    if how == "damaged":
        oc.write_bytes(oc.read_bytes()[:40])
    else:
        oc.unlink()
    r = runner.invoke(app, ["summarize", str(out)])
    assert r.exit_code != 0 and "oc.parquet" in r.output and "Traceback" not in r.output


def test_a_run_too_large_for_memory_is_refused_with_an_estimate():
    """10^12 trials: one line naming --trials, the memory needed and the largest run that fits, before
    anything is allocated (it used to end in a MemoryError traceback)."""
    from dosefind.engine.simulate import check_memory
    from dosefind.errors import SpecError

    with pytest.raises(SpecError, match=r"use at most 1,000 trials"):
        check_memory(10_000, 100, memory=400_000)
    check_memory(1_000, 100, memory=400_000)  # fits: no error
    # specs and arm files reduce their trials in blocks (memory is flat): the estimated time refuses them
    for spec, why in (("target30-6dose.toml", "would take"), ("arm-combo.toml", "would take")):
        path = Path(__file__).resolve().parents[2] / "scenarios" / spec
        r = runner.invoke(app, ["simulate", str(path), "--trials", str(10**12)])
        assert r.exit_code == 2, r.output
        assert why in r.output and "Traceback" not in r.output


def test_the_first_run_says_it_compiles(monkeypatch):
    """Before a version's kernels are compiled, simulate says so on stderr (a minute of silence looked
    like a hang); afterwards it does not."""
    import dosefind.engine.jit as jit

    path = Path(__file__).resolve().parents[2] / "scenarios" / "target30-6dose.toml"
    monkeypatch.setattr(jit, "kernels_cached", lambda: False)
    r = runner.invoke(app, ["simulate", str(path), "--trials", "20"])
    assert r.exit_code == 0 and "compiling the simulation kernels" in r.output
    monkeypatch.setattr(jit, "kernels_cached", lambda: True)
    r = runner.invoke(app, ["simulate", str(path), "--trials", "20"])
    assert r.exit_code == 0 and "compiling" not in r.output


def test_data_too_long_for_one_dose_is_refused_with_the_table_size():
    """Replaying 24,000 patients at one dose would build a 549 MiB decision table: refused, saying why."""
    from dosefind.designs import Boin
    from dosefind.engine.replay import replay_data
    from dosefind.errors import DataError
    from dosefind.outcomes import parse_outcomes

    design = Boin(target=0.3, n_doses=3, max_n=24)
    data = parse_outcomes("1" + "N" * 24_000, design.doses)
    with pytest.raises(DataError, match=r"24,000 patients at one dose; .* 549 MiB .* max_n = 24"):
        replay_data(design, data)


# ---- grid-shaped scenarios in spec and study files ---------------------------------------------------------
GRID_SPEC = """[design]
kind = "boin_comb"
target = 0.3
cohort_size = 3
max_n = 18
[design.grid]
levels_a = ["a1", "a2"]
levels_b = ["b1", "b2", "b3"]

[[scenarios]]
name = "S"
true_tox = TOX
"""


def test_grid_tables_in_a_spec_file_equal_the_flat_cells(tmp_path):
    f = tmp_path / "grid.toml"
    f.write_text(GRID_SPEC.replace("TOX", "[[0.05, 0.10, 0.20], [0.10, 0.20, 0.35]]"))
    table = load_spec(f).scenarios[0]
    f.write_text(GRID_SPEC.replace("TOX", "[0.05, 0.10, 0.20, 0.10, 0.20, 0.35]"))
    flat = load_spec(f).scenarios[0]
    assert table.true_tox == flat.true_tox == (0.05, 0.10, 0.20, 0.10, 0.20, 0.35)
    assert table.grid_shape == flat.grid_shape == (2, 3)
    assert table.notes() == flat.notes() == []  # monotone along rows and columns: no note
    result = runner.invoke(app, ["simulate", str(f), "--trials", "50"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "tox, field, needles",
    [
        ("[[0.05, 0.10], [0.10, 0.20, 0.35]]", "true_tox[0]", ["row 1 has 2 values for 3 levels"]),
        ("[[0.05, 0.10, 0.20]]", "true_tox", ["1 rows for 2 levels", "one row per level"]),
        ("[[0.05, 0.10, 0.20], [0.10, 0.20, 1.35]]", "true_tox", ["[0, 1]"]),
        ("[[0.05, 0.10, 0.20], 0.3]", "true_tox", ["mixes rows and single numbers"]),
    ],
)
def test_bad_grid_tables_say_what_is_wrong(tmp_path, tox, field, needles):
    f = tmp_path / "grid.toml"
    f.write_text(GRID_SPEC.replace("TOX", tox))
    line = one_clean_line(runner.invoke(app, ["simulate", str(f), "--trials", "50"]), f"scenarios[0].{field}")
    for needle in needles:
        assert needle in line


def test_a_grid_table_for_a_one_axis_design_says_why(tmp_path):
    f = tmp_path / "boin.toml"
    f.write_text(DESIGN + '\n[[scenarios]]\nname = "S"\ntrue_tox = [[0.1, 0.2], [0.3, 0.4]]\n')
    one_clean_line(
        runner.invoke(app, ["simulate", str(f), "--trials", "50"]),
        "scenarios[0].true_tox",
        "the shape of a two-drug grid",
        "add [design.grid]",
    )


def test_a_non_monotone_grid_note_names_the_first_cell(tmp_path):
    f = tmp_path / "grid.toml"
    f.write_text(GRID_SPEC.replace("TOX", "[[0.05, 0.30, 0.20], [0.10, 0.20, 0.35]]"))
    (note,) = load_spec(f).notes
    assert "cell 1.3 (0.2) is below cell 1.2 (0.3) along drug B" in note
    f.write_text(GRID_SPEC.replace("TOX", "[[0.05, 0.10, 0.20], [0.04, 0.20, 0.35]]"))
    (note,) = load_spec(f).notes
    assert "cell 2.1 (0.04) is below cell 1.1 (0.05) along drug A" in note


def test_grid_tables_in_a_study_and_its_scenario_file(tmp_path):
    (tmp_path / "truths.toml").write_text(
        '[[scenarios]]\nname = "F"\ntrue_tox = [[0.05, 0.10, 0.20], [0.10, 0.20, 0.35]]\n'
    )
    study = tmp_path / "study.toml"
    study.write_text(
        '[study]\nname = "g"\nn_trials = 20\nseed = 1\nscenario_files = ["truths.toml"]\n\n'
        + GRID_SPEC.replace("[design]", '[[designs]]\nname = "bc"')
        .replace("[design.grid]", "[designs.grid]")
        .replace("TOX", "[[0.05, 0.10, 0.20], [0.10, 0.20, 0.35]]")
    )
    s = load_study(study)
    assert [x.true_tox for x in s.scenarios] == [(0.05, 0.10, 0.20, 0.10, 0.20, 0.35)] * 2
