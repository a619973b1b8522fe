"""Exact studies (``exact = true`` in [study]): one exact unit per design and scenario, the numbers of
``simulate --exact``, MCSE 0, paired differences of exact means, refusals before any work, resume,
backends, summaries."""

import copy
import json
import math

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from dosefind.cli import app
from dosefind.errors import SpecError
from dosefind.oc import exact_states
from dosefind.oc.study import exact_spec
from dosefind.specfile import spec_from_dict
from dosefind.sweep import run_study, study_from_dict
from dosefind.sweep.exact import PAIRED_MEANS, ExactStudy
from dosefind.sweep.store import OUTPUTS

from .conftest import SCENARIOS

runner = CliRunner()

#: small designs: BOIN and CRM share the target (paired), the 3+3 has another one
DESIGNS = [
    {"name": "BOIN", "kind": "boin", "target": 0.3, "n_doses": 5, "max_n": 18},
    {
        "name": "CRM",
        "kind": "crm",
        "target": 0.3,
        "n_doses": 5,
        "max_n": 12,
        "skeleton_halfwidth": 0.05,
        "skeleton_nu": 3,
    },
    {"name": "3+3", "kind": "three_plus_three", "target": 0.25, "n_doses": 5},
]
DOSE_METRICS = ("prob_select", "mean_n_at_dose", "mean_tox_at_dose")
TRIAL_METRICS = (
    "pcs",
    "prob_select_none",
    "prob_select_above_mtd",
    "prop_treated_above_mtd",
    "mean_n",
    "mean_tox",
    "prob_early_stop",
    "prob_stop_before_max_n",
)
PROBABILITIES = {
    "pcs",
    "prob_select_none",
    "prob_select_above_mtd",
    "prob_early_stop",
    "prob_stop_before_max_n",
    "benchmark_pcs",
    "prob_select",
    "benchmark_prob_select",
}


def exact_dict(designs=None, scenarios=None, **settings) -> dict:
    st = {"name": "exact-test", "exact": True, **settings}
    return {
        "study": st,
        "designs": copy.deepcopy(DESIGNS if designs is None else designs),
        "scenarios": copy.deepcopy(SCENARIOS if scenarios is None else scenarios),
    }


@pytest.fixture(scope="module")
def exact_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("exact") / "out"
    study = study_from_dict(exact_dict(acceptable_band=0.05))
    assert isinstance(study, ExactStudy) and study.n_tasks == len(SCENARIOS) * len(DESIGNS)
    run = run_study(study, out, backend="serial")
    assert run.computed == study.n_tasks and len(run.outputs) == len(OUTPUTS)
    return out


def _tables(out) -> dict:
    return {name: pd.read_parquet(out / f"{name}.parquet") for name in ("oc", "oc_dose", "paired")}


def test_exact_study_equals_simulate_exact_on_the_same_spec(exact_out, read_manifest):
    spec = spec_from_dict({"designs": DESIGNS, "scenarios": SCENARIOS, "simulation": {"exact": True}})
    want = {(oc.design, oc.scenario): oc for oc in exact_spec(spec, acceptable_band=0.05).ocs}
    t = _tables(exact_out)
    assert len(t["oc"]) == len(want)
    for row in t["oc"].itertuples():
        ref = want[row.design, row.scenario].values
        for m in TRIAL_METRICS:
            assert abs(getattr(row, m) - ref[m]) <= 1e-12, (row.design, row.scenario, m)
        assert row.method == "exact" and row.n_trials == 0
    for (design, scen), g in t["oc_dose"].groupby(["design", "scenario"]):
        ref = want[design, scen].values
        for m in DOSE_METRICS:
            np.testing.assert_allclose(g[m].to_numpy(), ref[m], rtol=0, atol=1e-12)
    assert (t["oc_dose"]["method"] == "exact").all()
    # every MCSE of a value is exactly 0; nan values (calendar, phase I/II, both-correct) have nan MCSEs
    for name in ("oc", "oc_dose"):
        df = t[name]
        for c in [c for c in df.columns if c.endswith("_mcse")]:
            value = df[c[: -len("_mcse")]]
            assert (df[c][value.notna()] == 0.0).all(), c
            assert df[c][value.isna()].isna().all(), c
    assert t["oc"]["prob_both_correct"].isna().all()
    m = read_manifest(exact_out)
    assert m["method"] == "exact" and m["n_trials"] == 0 and m["seed"] is None
    assert [c["design"] for c in m["exact"]] == [d["name"] for d in DESIGNS]
    assert all(c["max_states"] > 1 for c in m["exact"])


def test_paired_rows_are_differences_of_the_exact_values(exact_out):
    t = _tables(exact_out)
    oc = t["oc"].set_index(["scenario", "design"])
    paired = t["paired"]
    assert set(zip(paired["design_a"], paired["design_b"], strict=True)) == {("BOIN", "CRM")}  # same target
    assert len(paired) == len(SCENARIOS) * len(PAIRED_MEANS)
    for r in paired.itertuples():
        a = oc.loc[(r.scenario, r.design_a), PAIRED_MEANS[r.metric]]
        b = oc.loc[(r.scenario, r.design_b), PAIRED_MEANS[r.metric]]
        assert (r.mean_a, r.mean_b, r.diff) == (a, b, a - b)
        assert r.se_paired == 0.0 and r.se_unpaired == 0.0 and math.isnan(r.variance_ratio)
        assert r.method == "exact"
    benchmark = t["oc_dose"].groupby(["scenario", "design"])["benchmark_prob_select"].sum()
    np.testing.assert_allclose(benchmark.to_numpy(), 1.0, atol=1e-12)


def test_exact_study_agrees_with_a_large_simulated_study(exact_out, tmp_path):
    """The same designs and scenarios simulated (10,000 trials each): every value within 4 MCSE (for a
    probability, the larger of the simulation's MCSE and the binomial one of the exact value, so that a
    simulation that saw none of a rare event still has a yardstick)."""
    T = 10_000
    data = exact_dict(acceptable_band=0.05)
    del data["study"]["exact"]
    data["study"].update(n_trials=T, seed=11)
    sim_out = tmp_path / "sim"
    run_study(study_from_dict(data), sim_out, backend="serial")
    ex, sim = _tables(exact_out), _tables(sim_out)
    keys = ["scenario", "design"]

    def check(df, metrics):
        for m in metrics:
            se = df[m + "_mcse_sim"]
            if m in PROBABILITIES:
                x = df[m].clip(0.0, 1.0)  # sums of exact probabilities may pass 1 by a rounding
                se = np.maximum(se, np.sqrt(x * (1 - x) / T))
            else:  # every simulated trial alike: an event unseen in T trials (rule of three: P < 3 / T)
                se = se.where(se > 0, 18 * 3 / T / 4)  # changes a count by at most max_n (18)
            both_nan = df[m].isna() & df[m + "_sim"].isna()  # e.g. efficiency when no dose is correct
            err = (df[m] - df[m + "_sim"]).abs()
            assert ((err <= 4 * se + 1e-9) | both_nan).all(), (m, df[[*keys, m, m + "_sim"]])

    joined = ex["oc"].merge(sim["oc"], on=keys, suffixes=("", "_sim"))
    check(joined, (*TRIAL_METRICS, "benchmark_pcs", "mean_n_above_mtd", "efficiency", "accuracy_index"))
    dose = ex["oc_dose"].merge(sim["oc_dose"], on=[*keys, "dose"], suffixes=("", "_sim"))
    check(dose, (*DOSE_METRICS, "benchmark_prob_select"))
    pairs = ex["paired"].merge(sim["paired"], on=[*keys[:1], "design_a", "design_b", "metric"])
    assert len(pairs) == len(ex["paired"])
    se = pairs["se_paired_y"].where(pairs["se_paired_y"] > 0, 18 * 3 / T / 4)  # as above
    assert ((pairs["diff_x"] - pairs["diff_y"]).abs() <= 4 * se + 1e-9).all()


def test_resume_after_a_partial_run_equals_one_run(exact_out, tmp_path, assert_same_dataset, read_manifest):
    study = study_from_dict(exact_dict(acceptable_band=0.05))
    out = tmp_path / "resumed"
    first = run_study(study, out, backend="serial", max_tasks=5)
    assert (first.computed, first.outputs) == (5, ())
    assert len(list((out / "parts").glob("task-*.units.parquet"))) == 5
    second = run_study(study, out, backend="serial")
    assert (second.skipped, second.computed) == (5, study.n_tasks - 5)
    assert_same_dataset(exact_out, out)
    assert [r["computed_tasks"] for r in read_manifest(out)["runs"]] == [5, study.n_tasks - 5]
    # another study (here: without the band) is refused in that folder
    with pytest.raises(Exception, match="another study"):
        run_study(study_from_dict(exact_dict()), out, backend="serial")


def test_process_pool_equals_serial(exact_out, tmp_path, assert_same_dataset):
    out = tmp_path / "pool"
    run = run_study(study_from_dict(exact_dict(acceptable_band=0.05)), out, backend="local", workers=2)
    assert (run.backend, run.workers) == ("local", 2)
    assert_same_dataset(exact_out, out)
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (exact_out / name).read_bytes(), name


@pytest.mark.filterwarnings("ignore:Port 8787 is already in use:UserWarning")  # as in test_backends.py
@pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")
def test_dask_local_cluster_equals_serial(exact_out, tmp_path, assert_same_dataset):
    pytest.importorskip("distributed")
    out = tmp_path / "dask"
    run = run_study(study_from_dict(exact_dict(acceptable_band=0.05)), out, backend="dask", workers=2)
    assert (run.backend, run.workers) == ("dask", 2)
    assert_same_dataset(exact_out, out)
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (exact_out / name).read_bytes(), name


def test_summarize_reads_an_exact_folder(exact_out):
    r = runner.invoke(app, ["summarize", str(exact_out)])
    assert r.exit_code == 0, r.output
    assert "exact operating characteristics (MCSE 0)" in r.output
    assert "±" not in r.output and "exact values (no Monte Carlo error)" in r.output  # no "43.1 ± 0.0"
    r = runner.invoke(app, ["summarize", str(exact_out), "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)  # numbers to 10 digits (pandas' JSON)
    assert doc["provenance"]["method"] == "exact"
    oc = pd.read_parquet(exact_out / "oc.parquet")
    for row in doc["designs"]:
        g = oc[oc["design"] == row["design"]]
        assert row["pcs"] == pytest.approx(g["pcs"].mean(), abs=1e-9) and row["pcs_mcse"] == 0.0
        assert row["efficiency"] == pytest.approx(g["pcs"].sum() / g["benchmark_pcs"].sum(), abs=1e-9)
        assert row["efficiency_mcse"] == 0.0
    (boin_crm,) = [p for p in doc["paired"] if p["metric"] == "correct_selection"]
    diffs = pd.read_parquet(exact_out / "paired.parquet").query("metric == 'correct_selection'")["diff"]
    assert boin_crm["share_a_higher"] == pytest.approx((diffs > 0).mean())
    assert boin_crm["mean_diff_mcse"] == 0.0


def _refused(data, field, *words):
    with pytest.raises(SpecError) as e:
        study_from_dict(data)
    assert e.value.field == field, str(e.value)
    text = str(e.value)
    assert "\n" not in text
    for w in words:
        assert w in text, (w, text)


def test_trials_seed_and_blocks_are_refused():
    for key, value in (("n_trials", 100), ("seed", 1), ("block_trials", 10), ("scenarios_per_task", 2)):
        _refused(exact_dict(**{key: value}), f"study.{key}", f"remove {key}, or set exact = false")


def test_calendar_time_is_refused():
    data = exact_dict()
    data["timing"] = {"patients_per_month": 2, "dlt_window_days": 28}
    _refused(data, "timing", "drop exact = true")


@pytest.mark.parametrize(
    "design, reason",
    [
        (
            {
                "name": "TITE-CRM",
                "kind": "tite_crm",
                "target": 0.3,
                "n_doses": 5,
                "max_n": 12,
                "skeleton_halfwidth": 0.05,
                "skeleton_nu": 3,
            },
            "calendar time",
        ),
        (
            {
                "name": "BF-BOIN",
                "kind": "boin",
                "target": 0.3,
                "n_doses": 5,
                "max_n": 18,
                "backfill": {"cap": 6},
            },
            "calendar time",
        ),
    ],
)
def test_designs_without_exact_ocs_are_refused_by_name(design, reason):
    _refused(
        exact_dict(designs=[DESIGNS[0], design]), "study.exact", repr(design["name"]), reason, "remove design"
    )


def test_phase12_design_needs_response_rates():
    boin12 = {
        "name": "BOIN12",
        "kind": "boin12",
        "target": 0.35,
        "target_eff": 0.25,
        "n_doses": 5,
        "max_n": 12,
    }
    _refused(exact_dict(designs=[boin12]), "scenarios.true_eff", "'inside'", "'BOIN12'")


def test_a_design_beyond_the_state_limit_is_refused_before_any_work(tmp_path, monkeypatch):
    monkeypatch.setattr(exact_states, "MAX_STATES", 100)  # the 3+3 reaches at most 100 per cohort, BOIN more
    out = tmp_path / "out"
    study = study_from_dict(exact_dict(designs=[DESIGNS[2], DESIGNS[0]]))
    with pytest.raises(SpecError) as e:
        run_study(study, out, backend="serial")
    assert e.value.field == "study.exact"
    assert "'BOIN'" in str(e.value) and "100 distinct trial states" in str(e.value)
    assert "remove design 'BOIN'" in str(e.value) and "drop exact = true" in str(e.value)
    assert not out.exists()


def test_phase12_design_gets_its_obd_metrics_exactly(tmp_path):
    """A BOIN12 unit carries the exact OBD metrics and responses of simulate --exact."""
    boin12 = {
        "name": "BOIN12",
        "kind": "boin12",
        "target": 0.35,
        "target_eff": 0.25,
        "n_doses": 3,
        "max_n": 9,
    }
    scenarios = [
        {"name": "E1", "true_tox": [0.05, 0.2, 0.4], "true_eff": [0.2, 0.4, 0.5], "correlation": 0.2},
        {"name": "E2", "true_tox": [0.1, 0.35, 0.5], "true_eff": [0.3, 0.3, 0.6]},
    ]
    out = tmp_path / "out"
    run_study(study_from_dict(exact_dict(designs=[boin12], scenarios=scenarios)), out, backend="serial")
    spec = spec_from_dict({"designs": [boin12], "scenarios": scenarios})
    want = {oc.scenario: oc.values for oc in exact_spec(spec).ocs}
    t = _tables(out)
    for row in t["oc"].itertuples():
        for m in ("prob_select_obd", "mean_utility_selected", "mean_resp", "pcs"):
            assert abs(getattr(row, m) - want[row.scenario][m]) <= 1e-12, m
            assert getattr(row, m + "_mcse") == 0.0
    for scen, g in t["oc_dose"].groupby("scenario"):
        np.testing.assert_allclose(g["mean_resp_at_dose"], want[scen]["mean_resp_at_dose"], atol=1e-12)
        assert g["obd"].any()
