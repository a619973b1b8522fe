"""The hierarchies' node tables kept on disk between processes (basket/hierarchy.py): what is read back
is what was built, a damaged file is built again, and any change to the design or cohorts is a new file."""

import dataclasses

import numba
import numpy as np

from dosefind.basket import hierarchy
from dosefind.basket.spec import Berry, Cohort, Exnex

COHORTS = (Cohort("a", 12, 0.1, (6, 12)), Cohort("b", 10, 0.2))


def _equal(t, u):
    assert t.row == u.row
    for f in dataclasses.fields(t):
        if f.name != "row":
            np.testing.assert_array_equal(getattr(t, f.name), getattr(u, f.name), err_msg=f.name)


def test_tables_come_back_from_disk_as_built(tmp_path, monkeypatch):
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path / "numba-x"))
    hierarchy.tables_for.cache_clear()
    for design in (Berry(threshold=0.9, grid="coarse"), Exnex(threshold=0.9, grid="coarse")):
        path = hierarchy._stored(design, COHORTS)
        assert path.parent == tmp_path / "basket-tables" and not path.exists()
        built = hierarchy.tables_for(design, COHORTS)
        assert path.is_file()
        hierarchy.tables_for.cache_clear()
        _equal(hierarchy.tables_for(design, COHORTS), built)
        path.write_bytes(b"not an npz file")  # damaged: built again, and stored again
        hierarchy.tables_for.cache_clear()
        _equal(hierarchy.tables_for(design, COHORTS), built)
        assert hierarchy._load(path) is not None
    other = hierarchy._stored(Berry(threshold=0.9, grid="coarse"), COHORTS[:1])
    assert other != hierarchy._stored(Berry(threshold=0.9, grid="coarse"), COHORTS)
    assert hierarchy._stored(Berry(threshold=0.9, grid="default"), COHORTS) != hierarchy._stored(
        Berry(threshold=0.9, grid="coarse"), COHORTS
    )
    hierarchy.tables_for.cache_clear()
