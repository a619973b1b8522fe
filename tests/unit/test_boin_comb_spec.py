"""BOIN for combinations: spec validation (errors name the field), dict/TOML round trip, compiled arrays."""

import numpy as np
import pytest
import tomllib
from scipy.stats import beta

from dosefind import Scenario
from dosefind.constants import DesignKind
from dosefind.designs import DESIGNS, Boin, BoinComb, design_from_dict
from dosefind.designs import layout as L
from dosefind.designs.boin_comb import work_size
from dosefind.designs.grid import DoseGrid
from dosefind.errors import SpecError
from dosefind.specfile import Spec, dumps, spec_from_dict

GRID = DoseGrid(levels_a=("1 mg", "2 mg", "4 mg"), levels_b=("10", "20", "30", "40"), drug_a="X", drug_b="Y")


def design(**kw):
    base = dict(target=0.3, grid=GRID, max_n=36)
    base.update(kw)
    return BoinComb(**base)


def test_defaults_are_the_packages():
    d = design()
    assert d.kind == "boin_comb" and DESIGNS["boin_comb"] is BoinComb
    assert (d.phi1, d.phi2) == pytest.approx((0.18, 0.42))
    assert (d.cutoff_eli, d.extrasafe, d.offset, d.n_earlystop) == (0.95, False, 0.05, 100)
    assert (d.bound_mtd, d.rules, d.start, d.cohort_size) == (False, "get.oc.comb", "1.1", 3)
    assert d.doses == GRID.cell_labels and d.n_doses == 12
    assert d.boundaries == Boin(target=0.3, n_doses=1, max_n=36).boundaries


@pytest.mark.parametrize(
    "kw, field",
    [
        (dict(phi1=0.3), "phi1"),
        (dict(phi2=0.2), "phi2"),
        (dict(cutoff_eli=1.0), "cutoff_eli"),
        (dict(offset=0.96), "offset"),
        (dict(extrasafe="yes"), "extrasafe"),
        (dict(n_earlystop=0), "n_earlystop"),
        (dict(n_earlystop=2.5), "n_earlystop"),
        (dict(bound_mtd=1), "bound_mtd"),
        (dict(rules="nextcomb"), "rules"),
        (dict(max_n=0), "max_n"),
        (dict(start="4.1"), "start"),
        (dict(grid=None), "grid"),
        (dict(grid=DoseGrid(levels_a=("a",), levels_b=("1", "2", "3"))), "grid"),
        (dict(grid=DoseGrid(levels_a=("1", "2"), levels_b=("b",))), "grid"),
        (dict(target=0.0), "target"),
    ],
)
def test_validation_names_the_field(kw, field):
    with pytest.raises(SpecError) as err:
        design(**kw)
    assert err.value.field == field
    assert err.value.fix


def test_dict_errors_name_the_design_field():
    data = design().to_dict()
    data["rules"] = "waterfall"
    with pytest.raises(SpecError) as err:
        design_from_dict(data)
    assert err.value.field == "design.rules" and "get.oc.comb" in err.value.fix
    data = design().to_dict()
    data["mtd_contour"] = True
    with pytest.raises(SpecError) as err:
        design_from_dict(data)
    assert err.value.field == "design.mtd_contour"


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(
            phi1=0.2,
            phi2=0.4,
            cutoff_eli=0.9,
            extrasafe=True,
            offset=0.1,
            n_earlystop=12,
            bound_mtd=True,
            rules="next.comb",
            start="1.2",
            cohort_size=2,
            name="combo",
        ),
    ],
)
def test_dict_and_toml_round_trip(kw):
    grid = DoseGrid(levels_a=("a", "b"), levels_b=("1", "2", "3"), excluded=("2.3",))
    d = design(grid=grid, **kw)
    assert design_from_dict(d.to_dict()) == d
    spec = Spec((d,), (Scenario("s", (0.05, 0.1, 0.2, 0.1, 0.3, 0.5)),))
    again = spec_from_dict(tomllib.loads(dumps(spec))).designs[0]
    assert again == d and again.config_hash() == d.config_hash() and hash(again) == hash(d)


def test_compile():
    d = design(extrasafe=True, n_earlystop=12, bound_mtd=True, rules="next.comb", start="2.1")
    c = d.compile()
    ip, fp = c.ip, c.fp
    assert ip[L.IP_KIND] == DesignKind.BOIN_COMB
    assert (ip[L.IP_GRID_ROWS], ip[L.IP_GRID_COLS], ip[L.IP_N_DOSES]) == (3, 4, 12)
    assert ip[L.IP_START_DOSE] == 4  # cell 2.1
    assert (ip[L.IP_BOIN_N_EARLYSTOP], ip[L.IP_BOIN_EXTRASAFE], ip[L.IP_BOIN_BOUND_MTD]) == (12, 1, 1)
    assert ip[L.IP_BOIN_COMB_RULES] == 1
    assert ip[L.IP_BOIN_COMB_WORK] == work_size(3, 4) == 7 * 12 + 3 * 4
    assert fp[L.FP_BOIN_LAMBDA_D] == pytest.approx(d.boundaries[1])
    # the decision table is the single-agent BOIN's
    single = Boin(target=0.3, n_doses=1, max_n=36, extrasafe=True)
    np.testing.assert_array_equal(c.tables[0], single.decision_table(36))
    # the candidate score table: P(lambda_e < p < lambda_d) under Beta(y + 1/2, n - y + 1/2)
    lam_e, lam_d = d.boundaries
    assert c.grid.shape == (37, 37)
    for n in (0, 1, 3, 7, 36):
        for y in range(n + 1):
            a, b = y + 0.5, n - y + 0.5
            expected = beta.cdf(lam_d, a, b) - beta.cdf(lam_e, a, b)
            assert c.grid[n, y] == pytest.approx(expected, abs=1e-14)
    # a larger cap (live use) extends the tables
    assert d.compile(60).grid.shape == (61, 61)


def test_excluded_cells_start_inadmissible():
    from dosefind.engine.replay import DecisionContext

    grid = DoseGrid(levels_a=("a", "b"), levels_b=("1", "2", "3"), excluded=("2.3",))
    ctx = DecisionContext(design(grid=grid))
    assert list(ctx.admissible) == [1, 1, 1, 1, 1, 0]


def test_describe():
    assert "X x Y grid 3 x 4" in design().describe()
