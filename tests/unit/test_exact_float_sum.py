"""oc.sums.exact_float_sum: the exact sum of floats, the same for any split into blocks."""

from fractions import Fraction

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dosefind.oc.sums import exact_float_sum

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@given(st.lists(finite, max_size=60), st.integers(0, 60))
def test_exact_and_block_invariant(values, cut):
    x = np.array(values, dtype=np.float64)
    total = exact_float_sum(x)
    assert total == sum((Fraction(v) for v in values), Fraction(0))
    assert exact_float_sum(x[:cut]) + exact_float_sum(x[cut:]) == total


def test_many_values_and_subnormals():
    rng = np.random.default_rng(3)
    x = rng.normal(size=50_000) * 10.0 ** rng.integers(-300, 300, 50_000)
    x[:10] = 5e-324
    assert exact_float_sum(x) == sum((Fraction(v) for v in x.tolist()), Fraction(0))
