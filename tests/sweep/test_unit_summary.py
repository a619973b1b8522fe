"""`dosefind summarize` and `dosefind plot` on a sweep of arms, platforms and baskets: every number of
the summaries is the folder's own (looked up in arm_oc / platform_oc / basket_oc, not recomputed by the
summary code), CSV and JSON read back to the same tables, options that do not apply are refused in one
line, figures are written."""

import io
import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from dosefind.cli import app
from dosefind.sweep import load_study, run_study
from dosefind.sweep.unit_summary import summarize_units

from .test_units import ARM, TIMING, write_files

#: a second arm (in calendar time) beside arm.toml's: the two share the scenarios active, toxic, steep
STUDY = """
[study]
name = "unit-summary"
n_trials = 40
seed = 5
block_trials = 40
units_per_task = 8

[[arms]]
file = "arm.toml"
true_eff = [0.1, 0.2, 0.3, 0.4]

[[arms]]
file = "timed.toml"
name = "T"
true_eff = [0.1, 0.2, 0.3, 0.4]

[[scenarios]]
name = "steep"
true_tox = [0.1, 0.3, 0.55, 0.7]

[[platforms]]
file = "platform.toml"

[[baskets]]
file = "basket.toml"
active_grid = {{ alternative = 0.35 }}
"""

runner = CliRunner()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    base = tmp_path_factory.mktemp("unit-summary")
    path = write_files(base / "files", study=STUDY)
    (path.parent / "timed.toml").write_text(ARM + TIMING, encoding="utf-8")
    out = base / "out"
    run_study(load_study(path), out, backend="serial")
    return out


@pytest.fixture(scope="module")
def summary(folder):
    return summarize_units(folder)


def _raw(folder, table):
    """{(subject..., metric, level): (value, mcse)} straight from the folder's Parquet table."""
    df = pd.read_parquet(folder / f"{table}.parquet")
    keys = {
        "arm_oc": ("arm", "scenario", "metric", "level"),
        "platform_oc": ("platform", "scenario", "arm", "metric", "level"),
        "basket_oc": ("basket", "design", "scenario", "metric", "cohort"),
    }[table]
    return {tuple(r[k] for k in keys): (r["value"], r["mcse"]) for r in df.to_dict("records")}


def _same(got, want):
    assert (math.isnan(got) and math.isnan(want)) or got == want, (got, want)


def _check_cells(df, raw, key_of, metrics):
    """Every metric cell (value and MCSE) of ``df`` equals the folder's row at key_of(row, metric), or is
    nan where the folder has no such row (e.g. an arm without a clock has no duration)."""
    n = 0
    for r in df.to_dict("records"):
        for m in metrics:
            if m not in df.columns:
                continue
            value, mcse = raw.get(key_of(r, m), (math.nan, math.nan))
            _same(r[m], value)
            _same(r[m + "_mcse"], mcse)
            n += 1
    assert n > 0


def test_arm_tables_are_the_folders_numbers(folder, summary):
    raw = _raw(folder, "arm_oc")
    scen = summary["arm_scenarios"]
    assert list(dict.fromkeys(scen["arm"])) == ["A", "T"]
    assert list(scen["scenario"][scen["arm"] == "A"]) == ["active", "toxic", "steep"]
    metrics = [c for c in scen.columns if c not in ("arm", "scenario") and not c.endswith("_mcse")]
    assert {"prob_select_correct", "prob_select_none", "mean_total_n", "duration_days"} <= set(metrics)
    _check_cells(scen, raw, lambda r, m: (r["arm"], r["scenario"], m, ""), metrics)
    assert scen.loc[scen["arm"] == "A", "duration_days"].isna().all()  # no clock: no duration
    assert scen.loc[scen["arm"] == "T", "duration_days"].notna().all()

    cohorts = summary["arm_cohorts"]
    assert set(cohorts["cohort"]) == {"expansion"} and len(cohorts) == 6
    _check_cells(
        cohorts, raw, lambda r, m: (r["arm"], r["scenario"], m, r["cohort"]), ["prob_active", "mean_new_n"]
    )

    # averages over an arm's scenarios, with the MCSE of a mean of independent estimates
    arms = summary["arms"].set_index("arm")
    for arm in ("A", "T"):
        vals = [raw[(arm, s, "prob_select_correct", "")] for s in ("active", "toxic", "steep")]
        assert arms.loc[arm, "prob_select_correct"] == pytest.approx(np.mean([v for v, _ in vals]), abs=1e-15)
        se = math.sqrt(sum(e * e for _, e in vals)) / 3
        assert arms.loc[arm, "prob_select_correct_mcse"] == pytest.approx(se, abs=1e-15)
    # ranks among the two arms in each of their three shared scenarios
    wins = sum(
        raw[("A", s, "prob_select_correct", "")][0] > raw[("T", s, "prob_select_correct", "")][0]
        for s in ("active", "toxic", "steep")
    )
    ties = sum(
        raw[("A", s, "prob_select_correct", "")][0] == raw[("T", s, "prob_select_correct", "")][0]
        for s in ("active", "toxic", "steep")
    )
    assert arms.loc["A", "n_shared_scenarios"] == 3
    assert arms.loc["A", "mean_rank_correct"] + arms.loc["T", "mean_rank_correct"] == pytest.approx(3.0)
    assert arms.loc["A", "mean_rank_correct"] == pytest.approx(
        (wins + 1.5 * ties + 2 * (3 - wins - ties)) / 3
    )


def test_platform_tables_are_the_folders_numbers(folder, summary):
    raw = _raw(folder, "platform_oc")
    plat = summary["platforms"]
    assert list(plat["scenario"]) == ["both", "mixed"]
    _check_cells(
        plat,
        raw,
        lambda r, m: (r["platform"], r["scenario"], "", m, ""),
        ["duration_days", "mean_screened", "mean_treated", "mean_not_matched", "share_not_matched"],
    )
    arms = summary["platform_arms"]
    assert list(zip(arms["arm"], arms["scenario"], strict=True)) == [
        ("A", "both"),
        ("A", "mixed"),
        ("B", "both"),
        ("B", "mixed"),
    ]
    _check_cells(
        arms,
        raw,
        lambda r, m: (r["platform"], r["scenario"], r["arm"], m, ""),
        ["days_to_rp2d", "rp2d_day", "prob_select_none", "mean_matched", "prob_open", "arm_duration_days"],
    )
    cohorts = summary["platform_cohorts"]
    _check_cells(
        cohorts,
        raw,
        lambda r, m: (r["platform"], r["scenario"], r["arm"], m, r["cohort"]),
        ["prob_go", "mean_new_n", "mean_counted", "decision_day"],
    )


def test_basket_tables_are_the_folders_numbers(folder, summary):
    raw = _raw(folder, "basket_oc")
    scen = summary["basket_scenarios"]
    # designs side by side within each scenario
    assert list(scen["design"][:4]) == ["independent", "fujikawa", "independent", "fujikawa"]
    assert list(scen["scenario"][:4]) == ["null", "null", "active-0", "active-0"]
    _check_cells(
        scen,
        raw,
        lambda r, m: (r["basket"], r["design"], r["scenario"], m, ""),
        ["fwer", "prob_any_go", "mean_total_n"],
    )
    assert list(scen.loc[scen["design"] == "fujikawa", "n_null"]) == [3, 3, 2, 1, 0]
    assert list(scen["global_null"][:4]) == [True] * 4 and not scen["global_null"][4:].any()

    cohorts = summary["basket_cohorts"]
    _check_cells(
        cohorts,
        raw,
        lambda r, m: (r["basket"], r["design"], r["scenario"], m, r["cohort"]),
        ["prob_go", "mean_n", "bias", "mse", "prob_stop_futility"],
    )
    # the truth from basket.toml and the active grid: cohorts c1..ck at 0.35, the others at q0 = 0.1
    a2 = cohorts[(cohorts["scenario"] == "active-2") & (cohorts["design"] == "independent")]
    assert list(a2["q"]) == [0.35, 0.35, 0.1] and list(a2["q0"]) == [0.1] * 3
    assert list(a2["role"]) == ["active", "active", "null"]

    designs = summary["basket_designs"].set_index("design")
    for d in ("independent", "fujikawa"):
        assert designs.loc[d, "global_null_scenario"] == "null"
        assert (designs.loc[d, "fwer_global_null"], designs.loc[d, "fwer_global_null_mcse"]) == raw[
            ("B3", d, "null", "fwer", "")
        ]
        type1 = {k: v for k, v in raw.items() if k[1] == d and k[3] == "type1_error"}
        worst = max(type1.items(), key=lambda kv: kv[1][0])
        assert designs.loc[d, "type1_max"] == worst[1][0]
        key = (d, designs.loc[d, "type1_max_scenario"], "type1_error", designs.loc[d, "type1_max_cohort"])
        assert raw[("B3", *key)] == (designs.loc[d, "type1_max"], designs.loc[d, "type1_max_mcse"])
        power = [v for k, v in raw.items() if k[1] == d and k[3] == "power"]
        assert designs.loc[d, "power_min"] == min(v for v, _ in power)


def test_text_csv_and_json(folder, summary, tmp_path):
    r = runner.invoke(app, ["summarize", str(folder)])
    assert r.exit_code == 0, r.output
    text = r.output
    for heading in (
        "Arms across scenarios",
        "Arms by scenario",
        "P(go) per expansion cohort",
        "Platform 'P' by scenario",
        "Arms of platform 'P'",
        "P(go) per expansion cohort of platform 'P', %",
        "Basket 'B3': designs\n",
        "Basket 'B3': designs by scenario",
        "Basket 'B3': P(go) per cohort, %",
    ):
        assert heading in text
    assert max(len(line) for line in text.splitlines()) <= 110
    raw = _raw(folder, "basket_oc")
    v, se = raw[("B3", "fujikawa", "active-1", "prob_go", "c1")]
    assert f"{100 * v:.1f} ± {100 * se:.1f}*" in text  # an active cohort's P(go), marked

    r = runner.invoke(app, ["summarize", str(folder), "--format", "csv", "--out", str(tmp_path / "s.csv")])
    assert r.exit_code == 0, r.output
    content = (tmp_path / "s.csv").read_text(encoding="utf-8")
    assert "# seed: 5\n" in content and "# study_hash: " in content
    names = []
    for block in content.split("\n\n"):  # provenance lines, then the tables, a blank line between
        df = pd.read_csv(io.StringIO(block), comment="#", keep_default_na=False, na_values=[""])
        name = df["table"].iloc[0]
        names.append(name)
        want = summary[name].reset_index(drop=True)
        got = df.drop(columns="table")
        got = got.astype({c: want[c].dtype for c in want.columns if want[c].dtype == bool})
        pd.testing.assert_frame_equal(got, want, check_dtype=False, check_exact=True)
    assert names == [
        "arms",
        "arm_scenarios",
        "arm_cohorts",
        "platforms",
        "platform_arms",
        "platform_cohorts",
        "basket_designs",
        "basket_scenarios",
        "basket_cohorts",
    ]

    r = runner.invoke(app, ["summarize", str(folder), "-f", "json"])
    assert r.exit_code == 0, r.output
    payload = json.loads(r.output)
    assert payload["provenance"]["n_units"] == len(pd.read_parquet(folder / "units.parquet"))
    for name in names:
        got = pd.DataFrame(payload[name], columns=summary[name].columns).fillna(np.nan)
        pd.testing.assert_frame_equal(
            got.infer_objects(), summary[name].reset_index(drop=True), check_dtype=False, check_exact=True
        )


def test_subject_keeps_one_and_bad_options_get_one_line(folder, tmp_path):
    r = runner.invoke(app, ["summarize", str(folder), "--subject", "B3", "-f", "json"])
    assert r.exit_code == 0, r.output
    assert set(json.loads(r.output)) == {"provenance", "basket_designs", "basket_scenarios", "basket_cohorts"}

    r = runner.invoke(app, ["summarize", str(folder), "--subject", "nope"])
    assert r.exit_code == 2
    line = r.output.strip()
    assert "\n" not in line and line.startswith("error: --subject: no arm, platform or basket named 'nope'")
    assert "'A'" in line and "'B3'" in line

    designs = tmp_path / "designs"  # a finished sweep of designs: --subject does not apply
    designs.mkdir()
    manifest = {"complete": True, "study": {"name": "d", "kind": "designs"}}
    (designs / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    for cmd in (["summarize", str(designs)], ["plot", str(designs), "--out", str(tmp_path / "f")]):
        r = runner.invoke(app, [*cmd, "--subject", "A"])
        assert r.exit_code == 2 and r.output.count("\n") == 1, r.output
        assert r.output.startswith("error: --subject: ") and "drop --subject" in r.output
    assert not (tmp_path / "f").exists()

    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    manifest = {"complete": False, "study": {"name": "u", "kind": "units"}}
    (unfinished / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    r = runner.invoke(app, ["summarize", str(unfinished)])
    assert r.exit_code == 2 and "not finished" in r.output and r.output.count("\n") == 1


def test_plot_writes_the_figures(folder, tmp_path):
    pytest.importorskip("matplotlib")
    r = runner.invoke(app, ["plot", str(folder), "--out", str(tmp_path / "figs")])
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in (tmp_path / "figs").iterdir())
    assert names == ["arms.png", "basket-b3-go.png", "basket-b3-trial.png", "platform-p.png"]
    assert r.output.split() == [
        str(tmp_path / "figs" / n)
        for n in ["arms.png", "platform-p.png", "basket-b3-go.png", "basket-b3-trial.png"]
    ]
    from PIL import Image

    with Image.open(tmp_path / "figs" / "basket-b3-go.png") as im:
        assert '"study_hash"' in im.info["Description"] and im.size[0] > 500

    r = runner.invoke(
        app, ["plot", str(folder), "--out", str(tmp_path / "one"), "--subject", "P", "-f", "svg"]
    )
    assert r.exit_code == 0, r.output
    assert [p.name for p in (tmp_path / "one").iterdir()] == ["platform-p.svg"]


def test_figures_with_many_scenarios_show_the_first_and_say_so(summary, monkeypatch):
    pytest.importorskip("matplotlib")
    from dosefind.report import unit_plots

    monkeypatch.setattr(unit_plots, "MAX_BASKET_PANELS", 2)
    monkeypatch.setattr(unit_plots, "MAX_X_SCENARIOS", 3)
    monkeypatch.setattr(unit_plots, "MAX_COLOUR_SCENARIOS", 1)
    go = unit_plots.plot_basket_go(summary, "B3")
    assert "the first 2 of 5 scenarios" in go.get_suptitle()
    assert sum(ax.get_visible() for ax in go.axes) == 2
    trial = unit_plots.plot_basket_trial(summary, "B3")
    assert "the first 3 of 5 scenarios" in trial.get_suptitle()
    assert [t.get_text() for t in trial.axes[0].get_xticklabels()] == ["null", "active-0", "active-1"]
    platform = unit_plots.plot_platform(summary, "P")
    assert "the first 1 of 2 scenarios" in platform.get_suptitle()
    arms = unit_plots.plot_arms(summary)
    assert "the first" not in arms.get_suptitle()  # 3 scenarios: all shown


@pytest.mark.parametrize("how", ["truncated", "missing"])
def test_a_damaged_or_missing_table_gets_one_line(folder, tmp_path, how):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    path = copy / "basket_oc.parquet"
    if how == "missing":
        path.unlink()
    else:
        path.write_bytes(path.read_bytes()[:100])
    for cmd in (["summarize", str(copy)], ["plot", str(copy), "--out", str(tmp_path / "figs")]):
        r = runner.invoke(app, cmd)
        assert r.exit_code == 2 and r.output.count("\n") == 1, r.output
        assert "basket_oc.parquet" in r.output and "new --out folder" in r.output
