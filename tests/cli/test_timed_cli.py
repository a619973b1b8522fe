"""``dosefind simulate`` on a spec with a [timing] section (the bundled scenarios/timed-6dose.toml)."""

import json

from typer.testing import CliRunner

from dosefind.cli import app
from dosefind.oc import TIME_METRICS

from ..conftest import SCENARIOS

runner = CliRunner()
SPEC = SCENARIOS / "timed-6dose.toml"


def test_timed_spec_json_carries_durations_with_mcse():
    r = runner.invoke(app, ["simulate", str(SPEC), "--trials", "2000", "--seed", "7", "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["provenance"]["timing"]["dlt_window_days"] == 28
    for res in out["results"]:
        for key in TIME_METRICS:
            assert key in res and key in res["mcse"], key
        q = [res[f"duration_days_q{k}"] for k in (10, 50, 90)]
        assert q == sorted(q) and res["duration_days"] > 0
        assert res["mean_wait_days"] == 0  # suspension = "turned_away": nobody waits


def test_timed_spec_table_and_tidy_csv():
    table = runner.invoke(app, ["simulate", str(SPEC), "--trials", "1000", "--seed", "7"])
    assert table.exit_code == 0, table.output
    assert "duration" in table.output and "turned away" in table.output
    csv = runner.invoke(app, ["simulate", str(SPEC), "--trials", "1000", "--seed", "7", "--format", "csv"])
    assert csv.exit_code == 0, csv.output
    lines = [ln for ln in csv.output.splitlines() if ln.startswith("BOIN,MTD3,,duration_days")]
    assert len(lines) == 4  # the mean and three percentiles


def test_untimed_spec_has_no_time_metrics():
    r = runner.invoke(
        app, ["simulate", str(SCENARIOS / "crm-5dose.toml"), "--trials", "200", "--format", "json"]
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert "timing" not in out["provenance"]
    assert not any(key in res for res in out["results"] for key in TIME_METRICS)


def test_bad_timing_is_one_line_naming_the_field(tmp_path):
    spec = tmp_path / "bad.toml"
    text = SPEC.read_text().replace("patients_per_month = 2", "patients_per_month = -2")
    spec.write_text(text)
    r = runner.invoke(app, ["simulate", str(spec), "--trials", "10"])
    assert r.exit_code == 2
    assert "timing.patients_per_month" in r.output and len(r.output.strip().splitlines()) == 1


def test_tite_design_without_timing_names_the_file_and_the_fix(tmp_path):
    spec = tmp_path / "tite.toml"
    spec.write_text(
        '[design]\nkind = "tite_crm"\ntarget = 0.25\nn_doses = 3\nskeleton = [0.1, 0.25, 0.4]\nmax_n = 9\n'
        '[[scenarios]]\nname = "a"\ntrue_tox = [0.1, 0.2, 0.3]\n'
    )
    r = runner.invoke(app, ["simulate", str(spec), "--trials", "10"])
    assert r.exit_code == 2
    assert "tite.toml: timing:" in r.output and "add a [timing] section" in r.output
    t = runner.invoke(app, ["table", "--design", str(spec)])
    assert t.exit_code == 2 and "TITE-CRM has no decision table" in t.output


def test_paediatric_timed_spec_runs_every_design():
    spec = SCENARIOS / "paediatric-timed.toml"
    r = runner.invoke(app, ["simulate", str(spec), "--trials", "1500", "--seed", "3", "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    kinds = {res["design"] for res in out["results"]}
    assert kinds == {"rolling six", "3+3", "TITE-CRM", "TITE-BOIN"}
    by = {(res["design"], res["scenario"]): res for res in out["results"]}
    # rolling six is shorter than 3+3 on the same children (the reason it exists), and TITE-BOIN suspends
    for scen in ("MTD3", "MTD5"):
        assert by[("rolling six", scen)]["duration_days"] < by[("3+3", scen)]["duration_days"]
        assert by[("TITE-BOIN", scen)]["mean_days_suspended"] > 0


def test_tables_with_pending_patients_in_every_format():
    root = SCENARIOS.parent / "examples" / "designs"
    for name, expect in (
        ("tite-boin.toml", "escalate if STFT >= 0.08"),
        ("rolling-six.toml", "suspend accrual"),
    ):
        text = runner.invoke(app, ["table", "--design", str(root / name), "--max-n", "6"])
        assert text.exit_code == 0, text.output
        assert "With patients pending" in text.output and expect in text.output
        js = runner.invoke(app, ["table", "--design", str(root / name), "--format", "json"])
        assert js.exit_code == 0 and json.loads(js.output)["pending_rows"]
        csv = runner.invoke(app, ["table", "--design", str(root / name), "--format", "csv"])
        assert csv.exit_code == 0 and "n_pending" in csv.output.splitlines()[5]
