"""Plain-text tables of values ± Monte Carlo SE (the sweep summaries print them).

A column of values ± MCSE gets one number of decimals, enough for its smallest positive MCSE to show its
first significant digit, so the rows line up and compare; a table wider than the page is cut into
blocks of columns, each repeating the key columns on the left.
"""

from __future__ import annotations

import math

#: the widest line a text table may print
LINE_WIDTH = 110


def pm(value: float, se: float, digits: int = 3) -> str:
    """value ± se, with enough decimals for the MCSE to show one significant digit (at most 6)."""
    if not math.isfinite(value):
        return "-"
    if not math.isfinite(se):
        return f"{value:.{digits}f}"
    if se > 0:
        digits = min(max(digits, 1 - math.floor(math.log10(se))), 6)
    return f"{value:.{digits}f} ± {se:.{digits}f}"


def text_table(header: list[str], rows: list[list[str]]) -> str:
    """Columns padded to their widest cell: the first left-aligned, the others right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    lines = [
        "  ".join(
            h.rjust(w) if i else h.ljust(w) for i, (h, w) in enumerate(zip(header, widths, strict=True))
        )
    ]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append(
            "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        )
    return "\n".join(lines)


def wide_table(header: list[str], rows: list[list[str]], keys: int = 1, width: int = LINE_WIDTH) -> str:
    """:func:`text_table`, its leading ``keys`` columns left-aligned; when its lines would be wider than
    ``width``, the other columns are cut into blocks (each block repeats the key columns), one under the
    other with a blank line between."""

    def col_width(i: int) -> int:
        return max([len(header[i]), *(len(r[i]) for r in rows)])

    key_w = [col_width(i) for i in range(keys)]
    blocks: list[list[int]] = [[]]
    used = sum(key_w) + 2 * max(keys - 1, 0)
    for i in range(keys, len(header)):
        w = col_width(i) + 2
        if blocks[-1] and used + w > width:
            blocks.append([])
            used = sum(key_w) + 2 * max(keys - 1, 0)
        blocks[-1].append(i)
        used += w
    out = []
    for cols in blocks:
        idx = [*range(keys), *cols]
        widths = [key_w[i] if i < keys else col_width(i) for i in idx]

        def line(cells, widths=widths, idx=idx):
            return "  ".join(
                c.ljust(w) if i < keys else c.rjust(w) for i, c, w in zip(idx, cells, widths, strict=True)
            ).rstrip()

        lines = [line([header[i] for i in idx]), "  ".join("-" * w for w in widths)]
        lines += [line([r[i] for i in idx]) for r in rows]
        out.append("\n".join(lines))
    return "\n\n".join(out)


#: decimals of an exact value (no MCSE to size them): probabilities in percent to two, other numbers to three
EXACT_DIGITS = {100: 2, 1: 3}


def pm_column(values, ses, scale: float = 1.0, digits: int = 1, exact: bool = False) -> list[str]:
    """value ± se for a whole column with one number of decimals: enough for the smallest positive MCSE of
    the column to show its first significant digit (at most 6 decimals), so the rows line up and compare.
    ``exact``: the values have no Monte Carlo error, printed alone (no "± 0.0") with
    :data:`EXACT_DIGITS` decimals."""
    if exact:
        d = EXACT_DIGITS.get(scale, 3)
        return ["-" if not math.isfinite(v) else f"{scale * v:.{d}f}" for v in values]
    positive = [scale * s for s in ses if math.isfinite(s) and s > 0]
    if positive:
        digits = min(max(digits, -math.floor(math.log10(min(positive)))), 6)
    out = []
    for v, s in zip(values, ses, strict=True):
        if not math.isfinite(v):
            out.append("-")
        elif not math.isfinite(s):
            out.append(f"{scale * v:.{digits}f}")
        else:
            out.append(f"{scale * v:.{digits}f} ± {scale * s:.{digits}f}")
    return out


def pm_columns(records, spec, exact: bool = False) -> list[list[str]]:
    """Rows of text from records and (key, scale) column specs, each column formatted by
    :func:`pm_column` from ``key`` and ``key + "_mcse"`` (``exact``: values alone)."""
    cols = [
        pm_column([r[k] for r in records], [r[k + "_mcse"] for r in records], scale, exact=exact)
        for k, scale in spec
    ]
    return [list(row) for row in zip(*cols, strict=True)] if cols else []
