"""PO-CRM spec: validation errors name the field and the fix, dict/TOML round trip, default orderings."""

import itertools

import numpy as np
import pytest
import tomli_w

from dosefind.designs import PoCrm, design_from_dict, typical_orderings
from dosefind.designs import layout as L
from dosefind.designs.grid import DoseGrid
from dosefind.designs.pocrm import TYPICAL_ORDERING_NAMES, is_linear_extension, zones_path
from dosefind.errors import SpecError


def grid(J, K, excluded=()):
    return DoseGrid(
        levels_a=tuple(f"a{j}" for j in range(J)),
        levels_b=tuple(f"b{k}" for k in range(K)),
        excluded=excluded,
    )


def design(J=3, K=4, excluded=(), **kw):
    g = grid(J, K, excluded)
    R = g.n_cells - len(excluded)
    kw.setdefault("skeleton", tuple(np.linspace(0.02, 0.7, R)))
    return PoCrm(target=0.3, grid=g, max_n=36, **kw)


def all_linear_extensions(g):
    """Every linear extension of the grid's partial order, by brute force (small grids only)."""
    cells = [g.label(c) for c in range(g.n_cells) if not g.excluded_mask[c]]
    return [p for p in itertools.permutations(cells) if is_linear_extension(g, p)]


# ---- default orderings ------------------------------------------------------------------------------------
EXPECTED = {
    (2, 3): [
        ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3"),  # rows
        ("1.1", "2.1", "1.2", "2.2", "1.3", "2.3"),  # columns (= zones with drug B rising: dropped)
        ("1.1", "1.2", "2.1", "1.3", "2.2", "2.3"),  # zones, drug A rising along each diagonal
        ("1.1", "1.2", "2.1", "2.2", "1.3", "2.3"),  # alternating, drug A rising first
        ("1.1", "2.1", "1.2", "1.3", "2.2", "2.3"),  # alternating, drug B rising first
    ],
    (3, 3): [
        ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3.1", "3.2", "3.3"),
        ("1.1", "2.1", "3.1", "1.2", "2.2", "3.2", "1.3", "2.3", "3.3"),
        ("1.1", "1.2", "2.1", "1.3", "2.2", "3.1", "2.3", "3.2", "3.3"),
        ("1.1", "2.1", "1.2", "3.1", "2.2", "1.3", "3.2", "2.3", "3.3"),
        ("1.1", "1.2", "2.1", "3.1", "2.2", "1.3", "2.3", "3.2", "3.3"),
        ("1.1", "2.1", "1.2", "1.3", "2.2", "3.1", "3.2", "2.3", "3.3"),
    ],
    (3, 4): [
        ("1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2", "3.3", "3.4"),
        ("1.1", "2.1", "3.1", "1.2", "2.2", "3.2", "1.3", "2.3", "3.3", "1.4", "2.4", "3.4"),
        ("1.1", "1.2", "2.1", "1.3", "2.2", "3.1", "1.4", "2.3", "3.2", "2.4", "3.3", "3.4"),
        ("1.1", "2.1", "1.2", "3.1", "2.2", "1.3", "3.2", "2.3", "1.4", "3.3", "2.4", "3.4"),
        ("1.1", "1.2", "2.1", "3.1", "2.2", "1.3", "1.4", "2.3", "3.2", "3.3", "2.4", "3.4"),
        ("1.1", "2.1", "1.2", "1.3", "2.2", "3.1", "3.2", "2.3", "1.4", "2.4", "3.3", "3.4"),
    ],
}


@pytest.mark.parametrize("shape", list(EXPECTED), ids=lambda s: f"{s[0]}x{s[1]}")
def test_typical_orderings(shape):
    g = grid(*shape)
    got = typical_orderings(g)
    assert got == tuple(EXPECTED[shape])
    for order in got:
        assert sorted(order) == sorted(g.cell_labels)
        assert is_linear_extension(g, order)


@pytest.mark.parametrize("shape", [(2, 2), (2, 3), (3, 3), (1, 4), (4, 1)])
def test_typical_orderings_are_linear_extensions_found_by_brute_force(shape):
    g = grid(*shape)
    extensions = set(all_linear_extensions(g))
    got = typical_orderings(g)
    assert set(got) <= extensions
    assert len(set(got)) == len(got)
    if shape == (2, 2):
        assert len(got) == 2 == len(extensions)
    if 1 in shape:
        assert len(got) == 1  # a single drug axis: the order is complete


def test_pocrm_sim_example_orderings_are_typical():
    """The three orderings of the pocrm.sim help example (4 x 4, combinations numbered row by row) are
    the zones orderings with drug A rising, alternating with drug B rising first, and drug B rising."""
    g = grid(4, 4)
    numbered = {i + 1: lab for i, lab in enumerate(g.cell_labels)}
    examples = [
        (1, 2, 5, 3, 6, 9, 4, 7, 10, 13, 8, 11, 14, 12, 15, 16),
        (1, 5, 2, 3, 6, 9, 13, 10, 7, 4, 8, 11, 14, 15, 12, 16),
        (1, 5, 2, 9, 6, 3, 13, 10, 7, 4, 14, 11, 8, 15, 12, 16),
    ]
    typical = typical_orderings(g)
    names = dict(zip(typical, TYPICAL_ORDERING_NAMES, strict=True))
    got = [names[tuple(numbered[i] for i in ex)] for ex in examples]
    assert got == [
        "diagonals, drug A rising",
        "alternating diagonals, drug B rising first",
        "diagonals, drug B rising",
    ]
    # the example's stage-1 path x0 is the zones path
    assert zones_path(g) == tuple(numbered[i] for i in examples[0])


def test_excluded_cells_are_left_out():
    g = grid(3, 3, excluded=("3.3",))
    for order in typical_orderings(g):
        assert "3.3" not in order and len(order) == 8
        assert is_linear_extension(g, order)
    d = design(3, 3, excluded=("3.3",))
    assert d.alpha().shape == (len(d.orderings), 9)
    assert np.isnan(d.alpha()[:, 8]).all()


def test_defaults_and_alpha():
    d = design()
    assert d.ordering_prior == pytest.approx((1 / 6,) * 6)
    assert d.stage1 == typical_orderings(d.grid)[2]
    assert d.ordering_names() == list(TYPICAL_ORDERING_NAMES)
    alpha = d.alpha()
    sk = np.asarray(d.skeleton)
    for m, order in enumerate(d.orderings):
        for r, lab in enumerate(order):
            assert alpha[m, d.grid.index(lab)] == sk[r]  # getwm: skeleton[order(orders[m, ])]


def test_calibrated_skeleton_has_one_value_per_included_cell():
    d = design(3, 3, excluded=("3.3",), skeleton=None, skeleton_halfwidth=0.05, skeleton_nu=4)
    assert len(d.skeleton) == 8
    assert d.skeleton[3] == pytest.approx(0.3)


# ---- validation ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "changes, field, words",
    [
        (dict(skeleton=(0.1, 0.2)), "skeleton", "included cells"),
        (dict(skeleton=tuple(np.linspace(0.7, 0.02, 12))), "skeleton", "increasing"),
        (dict(skeleton=None), "skeleton", "missing"),
        (dict(skeleton=None, skeleton_nu=3), "skeleton_halfwidth", "both"),
        (dict(orderings=[["1.1", "1.2"]]), "orderings[0]", "missing"),
        (
            dict(
                orderings=[["1.2", "1.1", *[f"{j}.{k}" for j in (2, 3) for k in (1, 2, 3, 4)], "1.3", "1.4"]]
            ),
            "orderings[0]",
            "lower in both drugs",
        ),
        (dict(orderings="rows"), "orderings", "list of orderings"),
        (dict(orderings=[list(typical_orderings(grid(3, 4))[0])] * 2), "orderings[1]", "repeats"),
        (dict(ordering_prior=(0.5, 0.5)), "ordering_prior", "6 orderings"),
        (dict(ordering_prior=(0.5, 0.5, 0, 0, 0, 0)), "ordering_prior", "positive"),
        (dict(estimation="mle"), "estimation", "unknown"),
        (dict(ordering_choice="best"), "ordering_choice", "unknown"),
        (dict(stage1=["1.2", "2.2"]), "stage1", "starts at 1.2"),
        (dict(stage1=["1.1", "4.4"]), "stage1[1]", "outside"),
        (dict(stop_n=0), "stop_n", "too small"),
        (dict(prior_sd=-1.0), "prior_sd", "out of range"),
    ],
)
def test_validation_errors_name_field_and_fix(changes, field, words):
    with pytest.raises(SpecError) as err:
        design(**changes)
    assert err.value.field == field
    assert words in str(err.value)
    assert err.value.fix


def test_orderings_with_excluded_cells_must_leave_them_out():
    g = grid(2, 2, excluded=("2.2",))
    with pytest.raises(SpecError, match="excluded or repeated"):
        PoCrm(
            target=0.3, grid=g, max_n=12, skeleton=(0.1, 0.2, 0.3), orderings=[["1.1", "1.2", "2.1", "2.2"]]
        )
    with pytest.raises(SpecError) as err:
        PoCrm(target=0.3, grid=g, max_n=12, skeleton=(0.1, 0.2, 0.3), stage1=["1.1", "2.2"])
    assert err.value.field == "stage1[1]"


# ---- round trip -------------------------------------------------------------------------------------------
def test_dict_and_toml_round_trip():
    import tomllib

    d = design(
        3,
        3,
        excluded=("3.3",),
        orderings=[list(o) for o in typical_orderings(grid(3, 3, ("3.3",)))[:3]],
        ordering_prior=(0.5, 0.25, 0.25),
        estimation="likelihood",
        ordering_choice="random",
        stage1=["1.1", "1.1", "2.1", "1.2"],
        stop_n=9,
        cohort_size=1,
    )
    data = d.to_dict()
    assert data["kind"] == "pocrm"
    assert data["orderings"][0] == ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3.1", "3.2"]
    again = design_from_dict(data)
    assert again == d and again.config_hash() == d.config_hash()
    text = tomli_w.dumps({"design": data})
    assert 'orderings = [\n    [\n        "1.1",' in text or '"1.1",' in text
    back = design_from_dict(tomllib.loads(text)["design"])
    assert back == d
    assert np.array_equal(back.compile().grid, d.compile().grid)


def test_default_design_round_trip_keeps_the_generated_orderings():
    d = design()
    back = design_from_dict(d.to_dict())
    assert back == d
    assert back.orderings == typical_orderings(d.grid)


def test_compiled_layout():
    d = design()
    c = d.compile()
    R, M, D = 12, 6, 12
    K = int(c.ip[L.IP_POCRM_N_NODES])
    assert K == d.nodes_for(36) and c.ip[L.IP_POCRM_N_ORDERINGS] == M
    assert c.ip[L.IP_CRM_N_NODES] == c.ip[L.IP_POCRM_WORK] >= K + 2 * M + 4 * D  # the engine sizes work
    top = L.POCRM_ROW_LOGP + 3 * R
    assert np.array_equal(c.grid[top : top + M, :D], d.ranks())
    assert c.grid[top + M + L.POCRM_ROW_LOG_SKELETON, :R] == pytest.approx(np.log(d.skeleton))
    lik = design(estimation="likelihood").compile()
    assert lik.ip[L.IP_POCRM_N_NODES] == 0
