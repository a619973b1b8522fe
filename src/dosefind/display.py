"""Notebook views of results: pandas frames and escaped HTML tables (issue 18, "notebook-friendly results").

The result classes (:class:`~dosefind.oc.metrics.OperatingCharacteristics`,
:class:`~dosefind.oc.study.StudyResult`, :class:`~dosefind.arm.oc.ArmStudyResult`, the basket study,
:class:`~dosefind.live.recommend.Recommendation`, :class:`~dosefind.paths.pathways.DosePaths`,
:class:`~dosefind.inference.summary.PosteriorTable`, :class:`~dosefind.engine.result.SimResult`) build
their ``to_frame()`` and ``_repr_html_()`` from the same rows their CSV/JSON writers use, through the two
helpers here. This module sits at the bottom of the package (it imports nothing from dosefind), and pandas
is imported inside :func:`frame`, so importing a result class stays quick.

Every string that reaches HTML goes through :func:`html.escape`: a design or scenario name is user input.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence

#: longest table a notebook cell shows; the frame (``to_frame()``) always has every row
MAX_HTML_ROWS = 60


def frame(rows: Iterable[dict], columns: Sequence[str] | None = None, attrs: dict | None = None):
    """A pandas DataFrame of ``rows`` (dicts), with ``columns`` in that order (every column when None, in
    the rows' order) and ``attrs`` (e.g. the run's provenance) in ``DataFrame.attrs``."""
    import pandas as pd

    rows = list(rows)
    df = pd.DataFrame.from_records(rows, columns=list(columns) if columns is not None else None)
    if attrs:
        df.attrs.update(attrs)
    return df


def number(x, digits: int = 3) -> str:
    """A number for a table cell: integers as they are, floats to ``digits`` decimals, nan/None as "-"."""
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x)
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(v):
        return "-"
    return f"{v:.{digits}f}"


def with_mcse(value, mcse, digits: int = 3, percent: bool = False) -> str:
    """``"0.512 (0.004)"``; with ``percent`` ``"51.2 (0.4)"``: a Monte Carlo number with its standard error.
    An exact result (MCSE 0) shows the value alone."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    scale, d = (100.0, 1) if percent else (1.0, digits)
    text = number(float(value) * scale, d)
    if mcse is not None and isinstance(mcse, (int, float)) and math.isfinite(mcse) and mcse > 0:
        text += f" ({number(float(mcse) * scale, d)})"
    return text


def html_table(
    header: Sequence[str],
    rows: Sequence[Sequence],
    caption: str | None = None,
    max_rows: int = MAX_HTML_ROWS,
) -> str:
    """An HTML table with every cell escaped; rows beyond ``max_rows`` are left out with a note (the frame
    keeps them)."""
    esc = html.escape
    out = ['<table class="dosefind">']
    if caption:
        out.append(f'<caption style="text-align:left">{esc(caption)}</caption>')
    out.append("<thead><tr>" + "".join(f"<th>{esc(str(h))}</th>" for h in header) + "</tr></thead><tbody>")
    for row in rows[:max_rows]:
        out.append("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in row) + "</tr>")
    out.append("</tbody></table>")
    if len(rows) > max_rows:
        out.append(f"<p>{len(rows) - max_rows} more rows: see <code>to_frame()</code>.</p>")
    return "".join(out)


def paragraph(text: str, bold: bool = False) -> str:
    """One escaped paragraph."""
    body = html.escape(text)
    return f"<p><b>{body}</b></p>" if bold else f"<p>{body}</p>"


def flat_items(data: dict, prefix: str = "") -> list[tuple[str, str]]:
    """(dotted key, value text) pairs of a nested dict, e.g. a design's ``to_dict()``: nested tables by
    their path (``modifiers.0.n``), lists of numbers on one line."""
    out: list[tuple[str, str]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.extend(flat_items(value, name + "."))
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, dict) for v in value):
            for i, v in enumerate(value):
                out.extend(flat_items(v, f"{name}.{i}."))
        elif isinstance(value, (list, tuple)):
            out.append((name, ", ".join(number(v, 4) if isinstance(v, float) else str(v) for v in value)))
        else:
            out.append((name, number(value, 4) if isinstance(value, float) else str(value)))
    return out
