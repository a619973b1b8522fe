"""Sweeps of phase I/II designs: oc.parquet and oc_dose.parquet add the OBD metrics (prob_select_obd,
mean_utility_selected, mean_resp; per dose mean_resp_at_dose and the obd flag), equal to ``simulate``'s
(dosefind.oc on the whole run), and nan for designs that do not read responses; the columns other
designs already had keep their names and values."""

import math

import numpy as np

from dosefind.engine import simulate_one
from dosefind.oc.metrics import operating_characteristics
from dosefind.sweep import run_study

DESIGNS = [
    {"name": "U-BOIN", "kind": "uboin", "target": 0.3, "target_eff": 0.25, "n_doses": 4, "max_n": 18},
    {"name": "BOIN12", "kind": "boin12", "target": 0.3, "target_eff": 0.25, "n_doses": 4, "max_n": 18},
    {"name": "BOIN", "kind": "boin", "target": 0.3, "n_doses": 4, "max_n": 18},
]
SCENARIOS = [
    {
        "name": "mid",
        "true_tox": [0.05, 0.1, 0.25, 0.45],
        "true_eff": [0.1, 0.3, 0.5, 0.5],
        "correlation": 0.2,
    },
    {"name": "futile", "true_tox": [0.05, 0.1, 0.15, 0.2], "true_eff": [0.02, 0.04, 0.06, 0.08]},
]


def test_sweep_obd_metrics_equal_simulate(make_study, read_dataset, tmp_path):
    study = make_study(designs=DESIGNS, scenarios=SCENARIOS, n_trials=400, block_trials=150)
    run_study(study, tmp_path / "out", backend="serial")
    data = read_dataset(tmp_path / "out")
    oc = data["oc"].set_index(["scenario", "design"]).sort_index()
    dose = data["oc_dose"].set_index(["scenario", "design", "dose"]).sort_index()
    for scen in study.scenarios:
        for design in study.designs:
            row = oc.loc[(scen.name, design.name)]
            res = simulate_one(design, scen, study.n_trials, study.seed)
            ref = operating_characteristics(res)
            assert math.isclose(row["pcs"], ref.values["pcs"], rel_tol=1e-12)
            if not design.uses_efficacy:
                assert np.isnan(row["prob_select_obd"]) and np.isnan(row["mean_resp"])
                assert not dose.loc[(scen.name, design.name)]["obd"].any()
                continue
            for m in ("prob_select_obd", "mean_utility_selected", "mean_resp"):
                np.testing.assert_allclose(row[m], ref.values[m], rtol=1e-12, err_msg=m)
                np.testing.assert_allclose(row[m + "_mcse"], ref.mcse[m], rtol=1e-12, err_msg=m)
            per = dose.loc[(scen.name, design.name)]
            np.testing.assert_allclose(per["mean_resp_at_dose"], ref.values["mean_resp_at_dose"], rtol=1e-12)
            np.testing.assert_allclose(
                per["mean_resp_at_dose_mcse"], ref.mcse["mean_resp_at_dose"], rtol=1e-12
            )
    assert dose.loc[("mid", "U-BOIN")]["obd"].sum() == 1
