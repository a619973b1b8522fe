"""Isotonic regression kernels: on a line (pool-adjacent-violators) and on a grid (bivariate).

* :func:`pava_strided` / :func:`pava`: weighted non-decreasing least-squares fit along a line of an
  array (any start and stride, in place or not). Used by BOIN's final selection and, row by row and
  column by column, by Dykstra's algorithm below.
* :func:`bivariate_isotonic`: weighted least-squares fit to a J x K matrix, non-decreasing along every
  row and down every column (the order of a two-drug dose grid). Exact and finite on the grids of dose
  finding, by the minimum lower sets algorithm; Dykstra's cyclic projection for grids too large for it.

Minimum lower sets (Brunk 1955; Robertson, Wright & Dykstra 1988, section 1.3). A lower set of the grid
order is a set of cells closed under lowering either drug: a "staircase" of row lengths
``l_0 >= l_1 >= ... >= l_{J-1}`` (row j holds columns ``0 .. l_j - 1``), so a J x K grid has
``C(J + K, J)`` of them (35 for 3 x 4). The lowest value of the solution is the smallest weighted mean
of the data over a lower set, taken on the largest lower set attaining it (the union of all that do);
remove those cells and repeat on what remains (whose lower sets are ``L \\ R`` for the lower sets
``L`` containing the removed set ``R``). Each lower set's sums come from row prefix sums in J additions.
Every level set's value is finally set to the weighted mean of its own data (see :func:`_pool_levels`),
so pooled cells carry bit-identical values whichever way they were found.
"""

from __future__ import annotations

import numpy as np

from .jit import kernel

#: Dykstra's iterations (the fallback) stop when a full cycle moves no cell by more than this
ISO_TOLERANCE = 1e-13
ISO_MAX_CYCLES = 100_000
#: estimates closer than this are one level set of the solution (each is then set to its exact mean)
ISO_LEVEL_GAP = 1e-9
#: grids with more lower sets than this use Dykstra's algorithm (8 x 8 has 12,870; 6 x 6 has 924)
ISO_MAX_LOWER_SETS = 4000
#: two lower-set means closer than this (relative) are treated as tied; the larger set is taken
_TIE = 1e-12


@kernel
def pava_strided(values, weights, start, stride, n, out, work_w, work_len):
    """Weighted isotonic (non-decreasing) regression of ``values[start + i * stride]``, i < n, by
    pool-adjacent-violators, written to the same positions of ``out`` (which may be ``values``).

    ``weights`` is indexed like ``values``; ``work_w`` and ``work_len`` need n entries.
    """
    nb = 0
    for i in range(n):
        c = start + i * stride
        b = start + nb * stride
        out[b] = values[c]
        work_w[nb] = weights[c]
        work_len[nb] = 1
        nb += 1
        while nb > 1:
            hi = start + (nb - 1) * stride
            lo = hi - stride
            if out[lo] <= out[hi]:
                break
            w = work_w[nb - 2] + work_w[nb - 1]
            out[lo] = (work_w[nb - 2] * out[lo] + work_w[nb - 1] * out[hi]) / w
            work_w[nb - 2] = w
            work_len[nb - 2] += work_len[nb - 1]
            nb -= 1
    # expand the blocks in place, from the back (block b sits at position b, at or before its cells)
    i = n
    for b in range(nb - 1, -1, -1):
        v = out[start + b * stride]
        for _ in range(int(work_len[b])):
            i -= 1
            out[start + i * stride] = v


@kernel
def pava(values, weights, n, out, work_w, work_len):
    """Weighted isotonic (non-decreasing) regression of values[:n] into out[:n]."""
    pava_strided(values, weights, 0, 1, n, out, work_w, work_len)


@kernel
def closest_to_target(est, m, target, cap):
    """The index i < m whose estimate is closest to ``target``, with the BOIN package's tie-break (the
    i-th estimate plus (i + 1) x 1e-10, so among equal estimates the lower dose wins above the target and
    the higher below it), among the estimates (so shifted) at most ``cap``; -1 if none."""
    best = -1
    best_gap = np.inf
    for i in range(m):
        e = est[i] + (i + 1) * 1e-10
        if e > cap:
            continue
        gap = abs(e - target)
        if gap < best_gap:
            best_gap = gap
            best = i
    return best


@kernel
def n_lower_sets(rows, cols):
    """C(rows + cols, rows), the number of lower sets of a rows x cols grid (capped at 2^62)."""
    total = 1
    for i in range(1, min(rows, cols) + 1):
        total = total * (max(rows, cols) + i) // i
        if total > (1 << 62) // (rows + cols + 1):
            return 1 << 62
    return total


@kernel
def _min_lower_sets(y, w, rows, cols, out, pw, pwy, r, cur, best):
    """The minimum lower sets algorithm (module docstring) into ``out``; returns the number of levels.

    Work: pw, pwy of size rows * cols (row prefix sums); r, cur, best of size rows (row lengths, as
    floats: the removed staircase, the candidate and the best candidate).
    """
    for j in range(rows):
        acc_w = 0.0
        acc_wy = 0.0
        for k in range(cols):
            c = j * cols + k
            acc_w += w[c]
            acc_wy += w[c] * y[c]
            pw[c] = acc_w
            pwy[c] = acc_wy
        r[j] = 0.0
    removed = 0
    levels = 0
    D = rows * cols
    while removed < D:
        base_w = 0.0
        base_wy = 0.0
        for j in range(rows):
            if r[j] > 0:
                base_w += pw[j * cols + int(r[j]) - 1]
                base_wy += pwy[j * cols + int(r[j]) - 1]
            cur[j] = r[j]
        best_mean = np.inf
        best_w = 0.0
        while True:
            # lexicographic successor among staircases containing r: bump the last row that can grow,
            # reset the rows after it to their least lengths
            j = rows - 1
            while j >= 0 and not (cur[j] < cols and (j == 0 or cur[j] < cur[j - 1])):
                j -= 1
            if j < 0:
                break
            cur[j] += 1.0
            for i in range(j + 1, rows):
                cur[i] = r[i]
            sw = -base_w
            swy = -base_wy
            for i in range(rows):
                if cur[i] > 0:
                    sw += pw[i * cols + int(cur[i]) - 1]
                    swy += pwy[i * cols + int(cur[i]) - 1]
            mean = swy / sw
            tol = _TIE * max(abs(mean), abs(best_mean) if best_mean < np.inf else 0.0, 1.0)
            if mean < best_mean - tol or (mean <= best_mean + tol and sw > best_w):
                best_mean = mean
                best_w = sw
                for i in range(rows):
                    best[i] = cur[i]
        for j in range(rows):
            for k in range(int(r[j]), int(best[j])):
                out[j * cols + k] = best_mean
            removed += int(best[j]) - int(r[j])
            r[j] = best[j]
        levels += 1
    return levels


@kernel
def _dykstra(y, w, rows, cols, out, p, q, s, blk_w, blk_len):
    """Dykstra's cyclic projection into ``out``; returns the number of cycles.

    Alternately project onto the row-monotone and the column-monotone cones (pool-adjacent-violators on
    each row, then each column), carrying Dykstra's correction terms p and q so the iterates converge
    to the projection onto the intersection, not just to a point in it.
    """
    D = rows * cols
    for c in range(D):
        out[c] = y[c]
        p[c] = 0.0
        q[c] = 0.0
    cycles = 0
    while cycles < ISO_MAX_CYCLES:
        cycles += 1
        for c in range(D):
            s[c] = out[c] + p[c]
        for j in range(rows):
            pava_strided(s, w, j * cols, 1, cols, s, blk_w, blk_len)
        moved = 0.0
        for c in range(D):
            p[c] = out[c] + p[c] - s[c]
            moved = max(moved, abs(s[c] - out[c]))
            out[c] = s[c] + q[c]
        for k in range(cols):
            pava_strided(out, w, k, cols, rows, out, blk_w, blk_len)
        for c in range(D):
            q[c] = s[c] + q[c] - out[c]
            moved = max(moved, abs(out[c] - s[c]))
        if moved < ISO_TOLERANCE:
            break
    return cycles


@kernel
def _pool_levels(y, w, D, out, order):
    """Set each level set (estimates within ISO_LEVEL_GAP of their neighbours in sorted order) to the
    weighted mean of its data, the exact value of the solution on it. ``order``: work of size D."""
    for c in range(D):
        order[c] = c
    for a in range(1, D):  # insertion sort by estimate (D is small)
        cell = order[a]
        value = out[int(cell)]
        b = a - 1
        while b >= 0 and out[int(order[b])] > value:
            order[b + 1] = order[b]
            b -= 1
        order[b + 1] = cell
    a = 0
    while a < D:
        b = a
        sw = w[int(order[a])]
        swy = sw * y[int(order[a])]
        while b + 1 < D and out[int(order[b + 1])] - out[int(order[b])] < ISO_LEVEL_GAP:
            b += 1
            sw += w[int(order[b])]
            swy += w[int(order[b])] * y[int(order[b])]
        level = swy / sw
        for i in range(a, b + 1):
            out[int(order[i])] = level
        a = b + 1


@kernel
def bivariate_isotonic(y, w, rows, cols, out, p, q, s, blk_val, blk_w, blk_len):
    """Weighted least-squares fit to y (flattened rows x cols, row-major), non-decreasing along every
    row and every column, written to ``out``. Returns the number of levels found by the minimum lower
    sets algorithm, or minus the number of Dykstra cycles on grids with more than ISO_MAX_LOWER_SETS
    lower sets. Weights must be positive. Work arrays: p, q, s of size rows * cols, blk_* of size
    max(rows, cols).
    """
    D = rows * cols
    if n_lower_sets(rows, cols) <= ISO_MAX_LOWER_SETS:
        used = _min_lower_sets(y, w, rows, cols, out, p, q, blk_val, blk_w, blk_len)
    else:
        used = -_dykstra(y, w, rows, cols, out, p, q, s, blk_w, blk_len)
    _pool_levels(y, w, D, out, s)
    return used


def biviso(y, w=None) -> np.ndarray:
    """Bivariate isotonic regression of a matrix (non-decreasing down every column and along every row).

    A Python convenience over :func:`bivariate_isotonic` (the same fit as R's ``Iso::biviso``, which
    stops its iterations at a looser tolerance).
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 2:
        raise ValueError("y must be a matrix")
    w = np.ones_like(y) if w is None else np.asarray(w, dtype=np.float64)
    if w.shape != y.shape or not np.all(w > 0):
        raise ValueError("w must be a matrix of positive weights shaped like y")
    rows, cols = y.shape
    D, m = rows * cols, max(rows, cols)
    out = np.empty(D)
    bivariate_isotonic(
        np.ascontiguousarray(y.ravel()),
        np.ascontiguousarray(w.ravel()),
        rows,
        cols,
        out,
        np.empty(D),
        np.empty(D),
        np.empty(D),
        np.empty(m),
        np.empty(m),
        np.empty(m),
    )
    return out.reshape(rows, cols)
