"""Calendar statistics of simulated trials in memory that does not grow with the number of trials.

A timed run reports means of per-trial day counts (duration, waits, days suspended, ...) and the 10th,
50th and 90th percentiles of the duration with their MCSE. Means need only exact sums
(:class:`FloatMoments`); percentiles need order statistics, which :class:`QuantileSketch` keeps in a
histogram whose bins are the values' leading bits:

* a non-negative float64 x falls in the bin of its bit pattern shifted right by ``52 - MANTISSA_BITS``:
  the bins are ordered as the values are, and each spans a relative width of at most
  2^-MANTISSA_BITS (2^-18, about 3.8e-6: under 0.004 days at 1,000 days);
* per occupied bin the sketch keeps the number of values and the smallest and largest of them, so the
  k-th order statistic is exact when it is the smallest or the largest value of its bin (always, when
  no two values share a bin, which is the case for most runs of up to a few hundred thousand trials),
  and otherwise the midpoint of the bin's smallest and largest values: off by at most half their range,
  under 2^-(MANTISSA_BITS + 1) of the value;
* memory is 32 bytes per occupied bin, bounded by 2^18 bins per doubling of the values whatever the
  number of trials (durations spanning 16 to 4,096 days: at most 2.1 million bins, 67 MB; in practice
  far fewer, as the values crowd around their median).

Bins merge by adding counts and taking the smaller minimum and the larger maximum, in any order, so any
blocking of a run gives the same sketch and the same percentiles. Percentiles follow numpy's default
(linear) definition, computed from the order statistics the sketch returns, so where those are exact
the percentile equals ``np.quantile`` of all the values to the bit; a percentile's MCSE is half the
distance between the order statistics at T q -+ sqrt(T q (1 - q)), as in :mod:`dosefind.oc.metrics`.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .sums import exact_float_sum, exact_mean

#: leading mantissa bits that name a bin (2^-18 relative width)
MANTISSA_BITS = 18
#: a sketch's arrays (per occupied bin, in order) and their types, as stored in sweep parts
SKETCH_FIELDS = {"keys": np.int64, "counts": np.int64, "low": np.float64, "high": np.float64}


class QuantileSketch:
    """Order statistics of non-negative finite values, added block by block (see the module docstring).

    ``bits`` leading mantissa bits name a bin (default :data:`MANTISSA_BITS`); fewer bits make fewer,
    wider bins (relative width 2^-bits, memory at most 2^bits bins per doubling of the values). A sketch's
    keys are bins of its own width: merge only sketches made with the same ``bits``."""

    def __init__(self, bits: int = MANTISSA_BITS) -> None:
        if not 1 <= int(bits) <= 52:
            raise ValueError("QuantileSketch: bits must be in 1..52")
        self.bits = int(bits)
        for name, dtype in SKETCH_FIELDS.items():
            setattr(self, name, np.zeros(0, dtype=dtype))

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    @property
    def nbytes(self) -> int:
        return sum(int(a.nbytes) for a in self.to_arrays().values())

    def add(self, values) -> QuantileSketch:
        """Add the values (non-negative and finite; a ValueError otherwise)."""
        x = np.sort(np.asarray(values, dtype=np.float64).ravel())
        if x.size == 0:
            return self
        if not (np.isfinite(x[-1]) and x[0] >= 0.0):
            raise ValueError("QuantileSketch: values must be finite and non-negative")
        x = x + 0.0  # -0.0 -> 0.0, so the bit pattern orders it with the other values
        keys = x.view(np.int64) >> np.int64(52 - self.bits)
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        ends = np.r_[starts[1:], keys.size]
        return self._merge(keys[starts], ends - starts, x[starts], x[ends - 1])

    def merge(self, other: QuantileSketch) -> QuantileSketch:
        """Add another sketch's values."""
        return self._merge(other.keys, other.counts, other.low, other.high)

    def _merge(self, keys, counts, low, high) -> QuantileSketch:
        if self.keys.size == 0:
            self.keys, self.counts = keys.astype(np.int64), counts.astype(np.int64)
            self.low, self.high = low.astype(np.float64), high.astype(np.float64)
            return self
        at = np.searchsorted(self.keys, keys)
        found = at < self.keys.size
        found[found] = self.keys[at[found]] == keys[found]
        i = at[found]
        self.counts[i] += counts[found]
        np.minimum.at(self.low, i, low[found])
        np.maximum.at(self.high, i, high[found])
        new = ~found
        if new.any():
            where = at[new]
            self.keys = np.insert(self.keys, where, keys[new])
            self.counts = np.insert(self.counts, where, counts[new])
            self.low = np.insert(self.low, where, low[new])
            self.high = np.insert(self.high, where, high[new])
        return self

    def order_statistics(self, ks) -> np.ndarray:
        """The k-th smallest values (0-based ``ks``), exact or within half their bin (module docstring)."""
        ks = np.asarray(ks, dtype=np.int64)
        cum = np.cumsum(self.counts)
        if ks.size and (ks.min() < 0 or ks.max() >= (cum[-1] if cum.size else 0)):
            raise IndexError("QuantileSketch: order statistic out of range")
        b = np.searchsorted(cum, ks, side="right")
        j = ks - (cum[b] - self.counts[b])
        out = 0.5 * (self.low[b] + self.high[b])
        out = np.where(j == 0, self.low[b], out)
        return np.where(j == self.counts[b] - 1, self.high[b], out)

    def quantile(self, q: float) -> tuple[float, float]:
        """The q-quantile (numpy's linear definition) and its MCSE; (nan, nan) when empty."""
        T = self.n
        if T == 0:
            return math.nan, math.nan
        h = (T - 1) * q
        f = min(int(math.floor(h)), T - 1)
        g = h - f
        a, b = self.order_statistics([f, min(f + 1, T - 1)])
        diff = b - a
        value = b - diff * (1.0 - g) if g >= 0.5 else a + diff * g
        half = math.sqrt(T * q * (1.0 - q))
        lo = int(np.clip(math.floor(T * q - half), 0, T - 1))
        hi = int(np.clip(math.ceil(T * q + half), 0, T - 1))
        s_lo, s_hi = self.order_statistics([lo, hi])
        return float(value), float((s_hi - s_lo) / 2.0)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The sketch's arrays by name (``SKETCH_FIELDS``)."""
        return {name: getattr(self, name) for name in SKETCH_FIELDS}

    @classmethod
    def from_arrays(cls, arrays: dict, bits: int = MANTISSA_BITS) -> QuantileSketch:
        s = cls(bits)
        for name, dtype in SKETCH_FIELDS.items():
            setattr(s, name, np.asarray(arrays[name], dtype=dtype))
        return s


def _exact_square(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x^2 = square + error exactly (Dekker's product with Veltkamp's split; |x| < 2^996), so that equal
    values have a variance of exactly 0."""
    square = x * x
    a = x * 134217729.0  # 2^27 + 1
    hi = a - (a - x)
    lo = x - hi
    return square, ((hi * hi - square) + 2.0 * hi * lo) + lo * lo


class FloatMoments:
    """Count, exact sum and exact sum of squares of float values, skipping nan (a value that is absent):
    any blocking gives the same mean and MCSE (:func:`dosefind.oc.sums.exact_mean`), and equal values an
    MCSE of exactly 0."""

    def __init__(self) -> None:
        self.n = 0
        self.s = Fraction(0)
        self.q = Fraction(0)

    def add(self, values) -> FloatMoments:
        x = np.asarray(values, dtype=np.float64).ravel()
        x = x[~np.isnan(x)]
        self.n += int(x.size)
        self.s += exact_float_sum(x)
        square, error = _exact_square(x)
        self.q += exact_float_sum(square) + exact_float_sum(error)
        return self

    def merge(self, other: FloatMoments) -> FloatMoments:
        self.n += other.n
        self.s += other.s
        self.q += other.q
        return self

    def mean_and_mcse(self) -> tuple[float, float]:
        return exact_mean(self.s, self.q, self.n)


class ColumnSums:
    """:class:`FloatMoments` of every column of per-trial rows, and a :class:`QuantileSketch` of the
    columns named in ``sketched``: what a timed run keeps instead of its rows. With ``moments=False``
    only the sketches are kept (the moments stay empty: for callers that sum the means elsewhere)."""

    def __init__(
        self, n_columns: int, sketched: tuple[int, ...] = (), bits: int = MANTISSA_BITS, moments: bool = True
    ) -> None:
        self.moments = [FloatMoments() for _ in range(n_columns)]
        self.sketches = {c: QuantileSketch(bits) for c in sketched}
        self.keep_moments = bool(moments)

    def add(self, rows) -> ColumnSums:
        rows = np.asarray(rows, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] != len(self.moments):
            raise ValueError(f"ColumnSums: expected rows of {len(self.moments)} columns, got {rows.shape}")
        if self.keep_moments:
            for c, m in enumerate(self.moments):
                m.add(rows[:, c])
        for c, s in self.sketches.items():
            col = rows[:, c]
            s.add(col[~np.isnan(col)])
        return self

    def merge(self, other: ColumnSums) -> ColumnSums:
        for a, b in zip(self.moments, other.moments, strict=True):
            a.merge(b)
        for c, s in self.sketches.items():
            s.merge(other.sketches[c])
        return self

    def mean(self, column: int) -> tuple[float, float]:
        return self.moments[column].mean_and_mcse()

    def quantile(self, column: int, q: float) -> tuple[float, float]:
        return self.sketches[column].quantile(q)

    def to_rows(self) -> list[tuple]:
        """Per column: (column, n, exact sum, exact sum of squares, sketch arrays or None)."""
        return [
            (c, m.n, m.s, m.q, self.sketches[c].to_arrays() if c in self.sketches else None)
            for c, m in enumerate(self.moments)
        ]

    @classmethod
    def from_rows(cls, rows: list[tuple], bits: int = MANTISSA_BITS) -> ColumnSums:
        """The inverse of :meth:`to_rows` (columns in order; ``bits`` the sketches' own)."""
        out = cls(len(rows), tuple(c for c, *_, sk in rows if sk is not None), bits)
        for i, (c, n, s, q, sk) in enumerate(rows):
            if c != i:
                raise ValueError(f"ColumnSums: column {c} out of order")
            m = out.moments[c]
            m.n, m.s, m.q = int(n), Fraction(s), Fraction(q)
            if sk is not None:
                out.sketches[c] = QuantileSketch.from_arrays(sk, bits)
        return out
