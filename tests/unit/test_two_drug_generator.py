"""Random two-drug grids: monotone in each drug, the stated share with a target cell, pure in the seed."""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dosefind.errors import SpecError
from dosefind.scenario.generators import generate, has_target_cell, two_drug


def _grid(s):
    return np.array(s.true_tox).reshape(s.grid_shape)


@given(
    rows=st.integers(1, 5),
    cols=st.integers(2, 5),
    target=st.sampled_from([0.2, 0.25, 0.3, 0.35]),
    share=st.sampled_from([0.0, 0.3, 0.8, 1.0]),
    index=st.integers(0, 10_000),
    seed=st.integers(0, 2**32),
    mu=st.floats(0.05, 1.0),
)
def test_grids_are_monotone_in_each_drug_and_near_the_target_as_stated(
    rows, cols, target, share, index, seed, mu
):
    s = two_drug(rows, cols, target, index, seed, target_share=share, mu=mu)
    p = _grid(s)
    assert s.grid_shape == (rows, cols) and s.is_monotone
    assert np.all((p > 0) & (p < 1))
    assert np.all(np.diff(p, axis=0) > 0) and np.all(np.diff(p, axis=1) > 0)
    near = bool(np.any(np.abs(p - target) <= 0.05))
    assert near == has_target_cell(index, share)
    assert two_drug(rows, cols, target, index, seed, target_share=share, mu=mu) == s  # pure in (seed, index)


@pytest.mark.parametrize("share, n", [(0.8, 50), (0.3, 10), (1 / 3, 30), (0.0, 7), (1.0, 7), (0.55, 200)])
def test_the_stated_share_has_a_target_cell(share, n):
    scenarios = generate("two_drug", n, seed=4, rows=3, cols=3, target=0.3, target_share=share)
    near = [bool(np.any(np.abs(_grid(s) - 0.3) <= 0.05)) for s in scenarios]
    assert sum(near) == math.floor(n * Fraction(repr(share)))  # the first n indices: exactly floor(n s)
    assert all(("target cell" in s.description) == x for s, x in zip(scenarios, near, strict=True))


def test_seed_index_and_chunking():
    a = generate("two_drug", 12, seed=9, rows=2, cols=4, target=0.25, target_share=0.5)
    b = generate("two_drug", 5, seed=9, rows=2, cols=4, target=0.25, target_share=0.5) + generate(
        "two_drug", 7, seed=9, start=5, rows=2, cols=4, target=0.25, target_share=0.5
    )
    assert a == b and len({s.true_tox for s in a}) == 12
    other = generate("two_drug", 12, seed=10, rows=2, cols=4, target=0.25, target_share=0.5)
    assert all(x.true_tox != y.true_tox for x, y in zip(a, other, strict=True))


@pytest.mark.parametrize(
    "params, field",
    [
        (dict(cols=3, target=0.3), "two_drug.rows"),
        (dict(rows=0, cols=3, target=0.3), "rows"),
        (dict(rows=1, cols=1, target=0.3), "cols"),
        (dict(rows=3, cols=3, target=0.3, target_share=1.5), "target_share"),
        (dict(rows=3, cols=3, target=0.3, band=0.3), "band"),
        (dict(rows=3, cols=3, target=0.3, mu=0, sigma=0), "mu"),
        (dict(rows=3, cols=3, target=0.3, n_doses=9), "two_drug.n_doses"),
    ],
)
def test_bad_parameters_name_the_field(params, field):
    with pytest.raises(SpecError) as info:
        generate("two_drug", 2, seed=1, **params)
    assert info.value.field == field and info.value.fix
