"""Random two-drug grids in a BOIN-comb sweep: no hand-written scenarios, grid shapes checked."""

import numpy as np
import pytest

from dosefind.errors import SpecError
from dosefind.sweep import run_study, study_from_dict

GRID = {"drug_a": "A", "levels_a": ["a1", "a2", "a3"], "drug_b": "B", "levels_b": ["b1", "b2", "b3"]}


def _study(rows=3, cols=3):
    return {
        "study": {"name": "combo-random", "n_trials": 60, "seed": 7},
        "designs": [
            {"name": "BOIN-comb", "kind": "boin_comb", "target": 0.3, "max_n": 18, "grid": GRID},
            {
                "name": "BOIN-comb-c1",
                "kind": "boin_comb",
                "target": 0.3,
                "max_n": 18,
                "cohort_size": 1,
                "grid": GRID,
            },
        ],
        "random_scenarios": [
            {
                "generator": "two_drug",
                "count": 5,
                "seed": 3,
                "prefix": "grid",
                "params": {"rows": rows, "cols": cols, "target": 0.3, "target_share": 0.8},
            }
        ],
    }


def test_boin_comb_sweep_over_random_grids(tmp_path, read_dataset):
    study = study_from_dict(_study())
    assert [s.name for s in study.scenarios] == [f"grid-{i}" for i in range(5)]
    assert all(s.grid_shape == (3, 3) for s in study.scenarios)
    run = run_study(study, tmp_path / "out", backend="serial")
    assert run.outputs
    data = read_dataset(tmp_path / "out")
    assert len(data["oc"]) == 10 and len(data["oc_dose"]) == 90
    assert set(data["oc_dose"]["dose_label"]) == {f"{j}.{k}" for j in (1, 2, 3) for k in (1, 2, 3)}
    # 4 of the 5 grids (floor(5 x 0.8)) have a cell within 0.05 of the target
    near = [np.any(np.abs(np.array(s.true_tox) - 0.3) <= 0.05) for s in study.scenarios]
    assert sum(near) == 4
    assert np.all(data["oc"]["pcs"].between(0, 1))


def test_a_grid_of_another_shape_is_refused():
    with pytest.raises(SpecError, match="1 x 9 grid and the designs' grid is 3 x 3") as info:
        study_from_dict(_study(rows=1, cols=9))
    assert "rows = 3, cols = 3" in info.value.fix
