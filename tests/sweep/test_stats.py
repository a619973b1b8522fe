"""The sweep's block sums give exactly the operating characteristics of dosefind.oc on the whole run."""

import numpy as np
import pytest

from dosefind.engine import simulate_one
from dosefind.oc.benchmark import accuracy_index, benchmark_for, efficiency
from dosefind.oc.metrics import (
    DOSE_METRICS,
    SCALAR_METRICS,
    correct_doses,
    correct_mask,
    included_doses,
    operating_characteristics,
)
from dosefind.oc.paired import PAIRED_METRICS, paired_comparison, per_trial_metrics
from dosefind.sweep import run_study
from dosefind.sweep.stats import QUANTILE_METRICS, TIME_OC_METRICS

TOL = dict(rtol=1e-12, atol=1e-12)


def _close(got, expect, what):
    np.testing.assert_allclose(
        np.asarray(got, dtype=float), np.asarray(expect, dtype=float), err_msg=what, **TOL
    )


def _check_against_oc_modules(study, data):
    """Every number of the dataset against dosefind.oc on one whole run per (scenario, design)."""
    band, T = study.acceptable_band, study.n_trials
    oc = data["oc"].set_index(["scenario", "design"]).sort_index()
    dose = data["oc_dose"].set_index(["scenario", "design", "dose"]).sort_index()
    paired = data["paired"].set_index(["scenario", "design_a", "design_b", "metric"]).sort_index()
    assert len(oc) == len(study.scenarios) * len(study.designs)
    assert len(dose) == len(oc) * study.n_doses
    assert len(paired) == len(study.scenarios) * len(study.pairs) * len(PAIRED_METRICS)
    assert oc.index.is_unique and dose.index.is_unique and paired.index.is_unique
    for si, scen in enumerate(study.scenarios):
        results = []
        for design in study.designs:
            res = simulate_one(design, scen, T, study.seed, timing=study.timing)
            results.append(res)
            what = f"{scen.name}/{design.name}"
            row = oc.loc[(scen.name, design.name)]
            ref = operating_characteristics(res, band)
            correct = correct_doses(scen.true_tox, design.target, band, included_doses(design))
            assert row["scenario_index"] == si and row["n_trials"] == T and row["target"] == design.target
            assert row["mtd"] == np.flatnonzero(correct).max() + 1
            for m in SCALAR_METRICS:
                _close(row[m], ref.values[m], f"{what} {m}")
                _close(row[m + "_mcse"], ref.mcse[m], f"{what} {m}_mcse")
            n_above = per_trial_metrics(res, band)["n_above_mtd"]
            _close(row["mean_n_above_mtd"], n_above.mean(), f"{what} mean_n_above_mtd")
            if T > 1:
                _close(row["mean_n_above_mtd_mcse"], n_above.std(ddof=1) / np.sqrt(T), f"{what} n_above mcse")
            bench = benchmark_for(res, band)
            _close(row["benchmark_pcs"], bench.pcs, f"{what} benchmark_pcs")
            _close(row["benchmark_pcs_mcse"], bench.pcs_mcse, f"{what} benchmark_pcs_mcse")
            _close([row["efficiency"], row["efficiency_mcse"]], efficiency(res, bench), f"{what} efficiency")
            # calendar metrics (the duration's percentiles from sketches merged over blocks): timed only
            for m in TIME_OC_METRICS + tuple(name for name, _ in QUANTILE_METRICS):
                if study.timing is None:
                    assert np.isnan(row[m]) and np.isnan(row[m + "_mcse"]), f"{what} {m}"
                else:
                    _close(row[m], ref.values[m], f"{what} {m}")
                    _close(row[m + "_mcse"], ref.mcse[m], f"{what} {m}_mcse")
            acc = accuracy_index(
                ref.values["prob_select"], scen.true_tox, design.target, T, included_doses(design)
            )
            _close([row["accuracy_index"], row["accuracy_index_mcse"]], acc, f"{what} accuracy_index")
            rows = dose.loc[(scen.name, design.name)].sort_index()
            assert list(rows.index) == list(range(1, study.n_doses + 1))
            assert list(rows["dose_label"]) == list(design.doses)
            np.testing.assert_array_equal(rows["true_tox"], scen.true_tox)
            np.testing.assert_array_equal(
                rows["correct"], correct_mask(scen.true_tox, design.target, band, included_doses(design))
            )
            for m in DOSE_METRICS:
                _close(rows[m], ref.values[m], f"{what} {m}")
                _close(rows[m + "_mcse"], ref.mcse[m], f"{what} {m}_mcse")
            _close(rows["benchmark_prob_select"], bench.prob_select, f"{what} benchmark_prob_select")
            _close(rows["benchmark_prob_select_mcse"], bench.prob_select_mcse, f"{what} benchmark mcse")
        for a, b in study.pairs:
            name_a, name_b = study.designs[a].name, study.designs[b].name
            ref = paired_comparison(results[a], results[b], band)
            for m in PAIRED_METRICS:
                row = paired.loc[(scen.name, name_a, name_b, m)]
                what = f"{scen.name}: {name_a} - {name_b} {m}"
                assert row["n_trials"] == T
                expect = ref.values[m]
                got = [
                    row[c] for c in ("mean_a", "mean_b", "diff", "se_paired", "se_unpaired", "variance_ratio")
                ]
                want = [expect[c] for c in ("design_a", "design_b", "diff", "se_paired", "se_unpaired")]
                _close(got, [*want, expect["variance_ratio"]], what)


@pytest.mark.parametrize("band", [0.05, None], ids=["band", "closest"])
def test_dataset_equals_oc_modules_on_the_whole_run(tmp_path, make_study, read_dataset, band):
    # 4 blocks (300, 300, 300, 100 trials) and two chunks of scenarios (3 + 1)
    study = make_study(n_trials=1000, block_trials=300, scenarios_per_task=3, acceptable_band=band)
    assert study.n_blocks == 4 and study.n_chunks == 2 and study.pairs == ((0, 1),)
    run = run_study(study, tmp_path / "out", backend="serial")
    assert run.computed == study.n_tasks == 8
    data = read_dataset(tmp_path / "out")
    _check_against_oc_modules(study, data)
    oc = data["oc"].set_index(["scenario", "design"]).sort_index()
    # the scenarios exercise what they are meant to
    assert oc.loc[("toxic", "BOIN"), "prob_early_stop"] > 0.2
    assert oc.loc[("safe", "BOIN"), "prob_select_above_mtd"] == 0.0
    assert 0 < oc.loc[("inside", "CRM"), "pcs"] < 1
    dose = data["oc_dose"].set_index(["scenario", "design"]).sort_index()
    correct = list(dose.loc[("inside", "BOIN"), "correct"])
    assert correct == ([False, False, True, True, False] if band else [False, False, False, True, False])


GRID = {"levels_a": ["1", "2"], "levels_b": ["1", "2", "3"], "excluded": ["2.3"]}
GRID_DESIGNS = [
    {"name": "BOIN-comb", "kind": "boin_comb", "target": 0.3, "max_n": 24, "grid": GRID},
    {
        "name": "PO-CRM",
        "kind": "pocrm",
        "target": 0.3,
        "max_n": 24,
        "grid": GRID,
        "skeleton_halfwidth": 0.05,
        "skeleton_nu": 3,
    },
]
#: cells 1.1 1.2 1.3 / 2.1 2.2 (2.3 excluded): in "excluded-on-target" the excluded cell alone is at the
#: target, so the correct cells are the closest included ones (1.3 and 2.2 at 0.24 and 0.36)
GRID_SCENARIOS = [
    {"name": "excluded-on-target", "true_tox": [0.05, 0.1, 0.24, 0.12, 0.36, 0.30]},
    {"name": "grid-inside", "true_tox": [0.05, 0.15, 0.3, 0.12, 0.45, 0.6]},
]


@pytest.mark.parametrize("band", [0.05, None], ids=["band", "closest"])
def test_grid_designs_with_excluded_cells(tmp_path, make_study, read_dataset, band):
    """Grid designs in a sweep: every number equals dosefind.oc's, an excluded cell is never correct nor
    selected by the benchmark, and the accuracy index runs over the included cells."""
    study = make_study(
        designs=GRID_DESIGNS, scenarios=GRID_SCENARIOS, n_trials=400, block_trials=150, acceptable_band=band
    )
    run_study(study, tmp_path / "out", backend="serial")
    data = read_dataset(tmp_path / "out")
    _check_against_oc_modules(study, data)
    dose = data["oc_dose"].set_index(["scenario", "design"]).sort_index()
    for name in ("BOIN-comb", "PO-CRM"):
        rows = dose.loc[("excluded-on-target", name)]
        assert list(rows["correct"]) == [False, False, True, False, True, False]
        assert rows["benchmark_prob_select"].iloc[5] == 0.0 and rows["prob_select"].iloc[5] == 0.0
    oc = data["oc"].set_index(["scenario", "design"]).sort_index()
    assert oc.loc[("excluded-on-target", "BOIN-comb"), "benchmark_pcs"] > 0.5


@pytest.mark.parametrize("n_trials", [1, 2, 5])
def test_tiny_runs_and_undefined_mcse(tmp_path, make_study, read_dataset, n_trials):
    study = make_study(n_trials=n_trials, block_trials=1, acceptable_band=0.05)
    run_study(study, tmp_path / "out", backend="serial")
    data = read_dataset(tmp_path / "out")
    _check_against_oc_modules(study, data)
    if n_trials == 1:
        assert data["oc"]["mean_n_mcse"].isna().all()
        assert data["paired"]["se_paired"].isna().all()


#: metrics whose per-trial values are not whole numbers: summed in another order, they may differ in the
#: last bits; every other statistic is a sum of integers, exact in any order
FRACTIONAL = ("prop_treated_above_mtd", "prop_treated_above_mtd_mcse")


def test_blocks_change_nothing(tmp_path, make_study, read_dataset):
    runs = {}
    for block in (1, 7, 90):
        study = make_study(n_trials=90, block_trials=block, scenarios_per_task=4, acceptable_band=0.05)
        assert study.n_tasks == -(-90 // block)
        run_study(study, tmp_path / f"b{block}", backend="serial")
        runs[block] = read_dataset(tmp_path / f"b{block}")
    ref = runs[90]
    for block in (1, 7):
        got = runs[block]
        for name in ("oc_dose", "paired", "scenarios", "designs"):
            assert got[name].equals(ref[name]), (block, name)
        exact = [c for c in ref["oc"].columns if c not in FRACTIONAL]
        assert got["oc"][exact].equals(ref["oc"][exact]), block
        for c in FRACTIONAL:
            _close(got["oc"][c], ref["oc"][c], f"block {block} {c}")


def test_mcse_of_means_is_the_sample_sd_over_root_t(tmp_path, make_study, read_dataset):
    """One by-hand check that does not go through dosefind.oc: mean_n and its MCSE from the trials."""
    study = make_study(
        n_trials=400,
        block_trials=150,
    )
    run_study(study, tmp_path / "out", backend="serial")
    oc = read_dataset(tmp_path / "out")["oc"].set_index(["scenario", "design"]).sort_index()
    for scen in study.scenarios:
        for design in study.designs:
            res = simulate_one(design, scen, 400, study.seed)
            n = res.n_at_dose.astype(float).sum(axis=1)
            tox = res.tox_at_dose.astype(float).sum(axis=1)
            row = oc.loc[(scen.name, design.name)]
            _close(row[["mean_n", "mean_n_mcse"]], [n.mean(), n.std(ddof=1) / 20.0], "mean_n")
            _close(row[["mean_tox", "mean_tox_mcse"]], [tox.mean(), tox.std(ddof=1) / 20.0], "mean_tox")
            none = float(np.mean(res.selected < 0))
            _close(
                row[["prob_select_none", "prob_select_none_mcse"]],
                [none, np.sqrt(none * (1 - none) / 400)],
                "",
            )


TIMED_DESIGNS = [
    {"name": "BOIN", "kind": "boin", "target": 0.3, "n_doses": 5, "max_n": 18},
    {"name": "TITE-BOIN", "kind": "tite_boin", "target": 0.3, "n_doses": 5, "max_n": 18},
    {"name": "rolling six", "kind": "rolling_six", "target": 0.3, "n_doses": 5},
]


def test_timed_study_equals_oc_modules(tmp_path, make_study, read_dataset):
    """A [timing] section: every trial in calendar time (designs that decide with pending patients
    included), the calendar metrics summed over blocks equal to dosefind.oc's on the whole run."""
    from dosefind.sweep.study import study_from_dict

    from .conftest import study_dict

    raw = study_dict(TIMED_DESIGNS, None, n_trials=500, block_trials=200)
    raw["timing"] = {
        "patients_per_month": 3,
        "dlt_window_days": 28,
        "suspension": "wait",
        "max_wait_days": 10,
    }
    study = study_from_dict(raw)
    run_study(study, tmp_path / "out", backend="serial")
    data = read_dataset(tmp_path / "out")
    _check_against_oc_modules(study, data)
    oc = data["oc"].set_index(["scenario", "design"]).sort_index()
    assert (oc["duration_days"] > 0).all()
    assert oc.loc[("inside", "TITE-BOIN"), "duration_days"] < oc.loc[("inside", "BOIN"), "duration_days"]


TPT_VARIANTS = [
    {"name": "3+3 top", "kind": "three_plus_three", "target": 0.25, "n_doses": 5, "expand_top_dose": False},
    {"name": "2+4", "kind": "a_plus_b", "target": 0.25, "n_doses": 5, "a": 2, "b": 4, "c": 1, "d": 1, "e": 2},
]


def test_three_plus_three_variants_and_a_plus_b(tmp_path, make_study, read_dataset):
    """The 3+3's top-dose option and an A+B design (cohorts of gcd(A, B) = 2) in a sweep: every number
    equals dosefind.oc's."""
    study = make_study(designs=TPT_VARIANTS, n_trials=400, block_trials=150, acceptable_band=0.05)
    run_study(study, tmp_path / "out", backend="serial")
    _check_against_oc_modules(study, read_dataset(tmp_path / "out"))
