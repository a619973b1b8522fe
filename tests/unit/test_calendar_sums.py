"""The calendar sums of timed runs (dosefind.oc.calendar_sums): percentiles from a bounded sketch, means
from exact sums, both independent of how the trials are split into blocks.

The oracle for percentiles is a direct computation on all values (numpy's sort and linear
interpolation, written out here), sharing no code with the sketch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosefind.oc.calendar_sums import MANTISSA_BITS, ColumnSums, FloatMoments, QuantileSketch


def direct_quantile(x: np.ndarray, q: float) -> tuple[float, float]:
    """numpy's linear percentile and the MCSE of dosefind.oc.metrics, from the sorted values."""
    s = np.sort(x)
    T = s.size
    value = float(np.quantile(s, q))
    half = math.sqrt(T * q * (1 - q))
    lo = min(max(math.floor(T * q - half), 0), T - 1)
    hi = min(max(math.ceil(T * q + half), 0), T - 1)
    return value, float((s[hi] - s[lo]) / 2)


def sketch_of(blocks) -> QuantileSketch:
    s = QuantileSketch()
    for b in blocks:
        s.add(b)
    return s


@pytest.mark.parametrize("T", [1, 2, 3, 17, 1000, 50_000])
def test_distinct_bins_give_numpy_percentiles_to_the_bit(T):
    x = np.random.default_rng(T).gamma(4.0, 90.0, size=T)
    s = sketch_of(np.array_split(x, 7))
    assert s.n == T
    for q in (0.1, 0.5, 0.9):
        assert s.quantile(q) == direct_quantile(x, q)


def test_shared_bins_stay_within_half_a_bin():
    rng = np.random.default_rng(5)
    x = rng.gamma(4.0, 90.0, size=2_000_000)  # many values share a bin
    s = sketch_of(np.array_split(x, 13))
    assert s.keys.size < x.size / 2
    rel = 2.0 ** -(MANTISSA_BITS + 1)
    for q in (0.1, 0.5, 0.9):
        (v, se), (v0, se0) = s.quantile(q), direct_quantile(x, q)
        assert abs(v - v0) <= rel * v0
        assert abs(se - se0) <= 2 * rel * v0
    # every order statistic, not only those three
    ks = rng.integers(0, x.size, size=2000)
    exact = np.sort(x)[ks]
    assert np.all(np.abs(s.order_statistics(ks) - exact) <= rel * exact)


def test_ties_and_zeros_are_exact():
    x = np.r_[np.zeros(40), np.full(100, 28.0), np.round(np.linspace(30, 400, 1000), 1)]
    s = sketch_of(np.array_split(np.random.default_rng(1).permutation(x), 9))
    for q in (0.01, 0.1, 0.5, 0.9):
        assert s.quantile(q) == direct_quantile(x, q)


def test_bins_are_bounded_per_doubling_whatever_the_count():
    x = np.random.default_rng(2).uniform(256.0, 512.0, size=3_000_000)  # one doubling
    s = sketch_of(np.array_split(x, 30))
    assert s.keys.size <= 2**MANTISSA_BITS
    assert s.nbytes <= 32 * 2**MANTISSA_BITS


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0.0, 5000.0, allow_nan=False), min_size=1, max_size=300),
    st.lists(st.integers(0, 300), max_size=6),
)
def test_any_blocking_and_merge_order_gives_the_same_sketch(values, cuts):
    x = np.array(values)
    parts = np.split(x, sorted({c for c in cuts if c <= x.size}))
    whole = sketch_of([x])
    pieces = [sketch_of([p]) for p in parts]
    merged = QuantileSketch()
    for p in reversed(pieces):
        merged.merge(p)
    for other in (sketch_of(parts), merged):
        for k, arr in whole.to_arrays().items():
            np.testing.assert_array_equal(other.to_arrays()[k], arr)
    for q in (0.1, 0.5, 0.9):
        assert whole.quantile(q) == direct_quantile(x, q) or whole.keys.size < x.size


def test_bad_values_are_refused():
    with pytest.raises(ValueError, match="non-negative"):
        QuantileSketch().add([1.0, -2.0])
    with pytest.raises(ValueError, match="finite"):
        QuantileSketch().add([1.0, np.inf])
    assert math.isnan(QuantileSketch().quantile(0.5)[0])


def test_moments_skip_absent_values_and_ignore_blocking():
    x = np.random.default_rng(3).gamma(2.0, 50.0, size=10_001)
    x[::7] = np.nan
    present = x[~np.isnan(x)]
    a = FloatMoments().add(x)
    b = FloatMoments()
    for part in np.array_split(x, 11):
        b.merge(FloatMoments().add(part))
    assert a.mean_and_mcse() == b.mean_and_mcse()
    m, se = a.mean_and_mcse()
    assert a.n == present.size
    assert m == pytest.approx(present.mean(), rel=1e-14)
    assert se == pytest.approx(present.std(ddof=1) / math.sqrt(present.size), rel=1e-12)


def test_equal_values_have_no_variance_and_squares_are_exact():
    for value in (0.1, 28.0, 1 / 3, 1234.5678901234, 0.0):
        m = FloatMoments().add(np.full(1001, value))
        assert m.mean_and_mcse() == (value, 0.0)
    x = np.random.default_rng(6).gamma(2.0, 50.0, size=300)
    from fractions import Fraction

    assert FloatMoments().add(x).q == sum(Fraction(float(v)) ** 2 for v in x)


def test_column_sums_round_trip_through_rows():
    rows = np.random.default_rng(4).gamma(3.0, 40.0, size=(500, 3))
    rows[::5, 2] = np.nan
    c = ColumnSums(3, (0,)).add(rows[:200]).add(rows[200:])
    back = ColumnSums.from_rows(c.to_rows())
    for j in range(3):
        assert back.mean(j) == c.mean(j)
    assert back.quantile(0, 0.5) == direct_quantile(rows[:, 0], 0.5)
    with pytest.raises(ValueError, match="columns"):
        c.add(rows[:, :2])
