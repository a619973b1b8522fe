"""Figures for reports: independent functions returning matplotlib Figures, and PNG helpers.

matplotlib is an optional dependency (the ``plot`` extra) and is imported inside each function, never
at module import. New figures are created directly on an Agg canvas (no pyplot, no GUI backend and no
global backend switch), so plotting works on headless machines and leaves a user's interactive session
alone. A function given an ``ax`` draws on that Axes and returns its figure.
"""

from __future__ import annotations

import base64
import io
import textwrap
from typing import TYPE_CHECKING

from ..errors import MissingExtraError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .decision_table import DecisionTable

DEFAULT_DPI = 150


def require_matplotlib(what: str) -> None:
    """Raise MissingExtraError naming the ``plot`` extra when matplotlib is not installed."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise MissingExtraError(
            f"{what} need matplotlib; install it with pip install 'dosefind[plot]'"
        ) from None


#: colours of the decision-table actions: escalate green, stay pale yellow, de-escalate orange,
#: eliminate red (ColorBrewer RdYlGn, readable in print and for most colour-vision deficiencies)
ACTION_COLOURS = {"E": "#1a9850", "S": "#fee08b", "D": "#fc8d59", "DU": "#d73027"}
_DARK_CELLS = {"E", "DU"}  # white text on these


def _agg_figure(figsize: tuple[float, float]) -> Figure:
    """A new Figure on its own Agg canvas (headless; pyplot's figure registry is not involved)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def plot_decision_table(table: DecisionTable, ax: Axes | None = None) -> Figure:
    """Heat map of a decision table: patients treated n on x, DLTs y on y, coloured by action.

    Cells with y > n are blank. Cells carry their action code when the grid is small enough to read.
    """
    import numpy as np
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    from .decision_table import Action

    labels = table.labels
    actions = [a for a in Action if a in labels]
    code = {a: i for i, a in enumerate(actions)}
    grid = table.grid()
    n_cols, n_rows = len(table.n_treated), len(grid)
    values = np.zeros((n_rows, n_cols))
    blank = np.ones((n_rows, n_cols), dtype=bool)
    for y, row in enumerate(grid):
        for j, action in enumerate(row):
            if action is not None:
                values[y, j] = code[action]
                blank[y, j] = False

    if ax is None:
        fig = _agg_figure(
            (min(16.0, max(7.5, 4.0 + 0.32 * n_cols)), min(11.0, max(3.5, 2.2 + 0.26 * n_rows)))
        )
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    cmap = ListedColormap([ACTION_COLOURS[a.value] for a in actions]).with_extremes(bad="white")
    norm = BoundaryNorm(np.arange(len(actions) + 1) - 0.5, len(actions))
    ax.pcolormesh(
        np.arange(n_cols + 1) - 0.5,
        np.arange(n_rows + 1) - 0.5,
        np.ma.masked_array(values, blank),
        cmap=cmap,
        norm=norm,
        edgecolors="white",
        linewidth=0.6,
    )
    if n_cols <= 30 and n_rows <= 31:
        size = 9 if n_cols <= 12 else 7.5 if n_cols <= 20 else 6.5
        for y, row in enumerate(grid):
            for j, action in enumerate(row):
                if action is not None:
                    colour = "white" if action.value in _DARK_CELLS else "black"
                    ax.text(j, y, action.value, ha="center", va="center", fontsize=size, color=colour)
    step = 1 if n_cols <= 24 else 2 if n_cols <= 48 else 5
    ax.set_xticks(range(0, n_cols, step), [str(table.n_treated[j]) for j in range(0, n_cols, step)])
    ystep = 1 if n_rows <= 25 else 2 if n_rows <= 49 else 5
    ax.set_yticks(range(0, n_rows, ystep))
    ax.set_xlim(-0.5, n_cols - 0.5)
    ax.set_ylim(-0.5, n_rows - 0.5)
    ax.set_xlabel(f"patients treated at the current {table.unit} (n)")
    ax.set_ylabel("patients with a DLT (y)")
    ax.set_title(
        f"{table.design} ({table.kind}, target {table.target:g}): decision at the current {table.unit}",
        loc="left",
        fontsize=10,
    )
    ax.tick_params(length=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles = [
        Patch(
            facecolor=ACTION_COLOURS[a.value],
            edgecolor="none",
            label="\n".join(textwrap.wrap(f"{a.value}: {labels[a]}", 44, subsequent_indent="   ")),
        )
        for a in actions
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
    return fig


def figure_to_png_bytes(fig: Figure, dpi: int = DEFAULT_DPI) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    return buf.getvalue()


def figure_to_data_uri(fig: Figure, dpi: int = DEFAULT_DPI) -> str:
    """The figure as a ``data:image/png;base64,...`` URI, for embedding in an HTML report."""
    return "data:image/png;base64," + base64.b64encode(figure_to_png_bytes(fig, dpi)).decode("ascii")


def plot_selection(ocs) -> Figure:
    """Selection per dose of each design, one panel per scenario: the percentage of trials that select each
    dose (and none), with bars of +-2 MCSE. ``ocs`` are :class:`~dosefind.oc.metrics.OperatingCharacteristics`
    (a comparison's ``study.ocs``)."""
    import numpy as np

    scenarios = list(dict.fromkeys(oc.scenario for oc in ocs))
    designs = list(dict.fromkeys(oc.design for oc in ocs))
    cols = min(3, len(scenarios))
    rows = -(-len(scenarios) // cols)
    fig = _agg_figure((4.2 * cols, 2.9 * rows))
    width = 0.8 / max(len(designs), 1)
    for i, scen in enumerate(scenarios):
        ax = fig.add_subplot(rows, cols, i + 1)
        labels = None
        for j, design in enumerate(designs):
            oc = next((o for o in ocs if o.scenario == scen and o.design == design), None)
            if oc is None:
                continue
            labels = [*oc.dose_labels, "none"]
            values = 100 * np.array([*oc.values["prob_select"], oc.values["prob_select_none"]])
            errors = 200 * np.array([*oc.mcse["prob_select"], oc.mcse["prob_select_none"]])
            x = np.arange(len(labels)) + (j - (len(designs) - 1) / 2) * width
            ax.bar(x, values, width, yerr=errors, label=design, capsize=1.5)
        if labels is not None:
            ax.set_xticks(np.arange(len(labels)), labels, fontsize=7)
        ax.set_title(f"scenario {scen}", fontsize=9)
        ax.set_ylim(0, 100)
        ax.set_ylabel("% selected", fontsize=8)
        if i == 0:
            ax.legend(fontsize=7, frameon=False)
    fig.suptitle("Selection per dose (bars: +-2 MCSE)", fontsize=10)
    return fig


def plot_posterior(rec, ax: Axes | None = None) -> Figure:
    """Per-dose posterior P(DLT): mean with its credible interval, observed rates, and the target line.

    ``rec`` is a :class:`dosefind.live.recommend.Recommendation`. The next dose (or the selected MTD) is
    highlighted and doses that are no longer admissible are drawn hollow. A two-drug design gets the
    J x K heat map of :func:`plot_grid_posterior` instead of a dose axis.
    """
    import numpy as np

    if rec.design.dose_grid is not None:
        return plot_grid_posterior(rec, ax)

    if ax is None:
        fig = _agg_figure((7.0, 3.8))
        ax = fig.add_subplot(1, 1, 1)
    else:
        fig = ax.figure
    p = rec.posterior
    D = len(rec.doses)
    x = np.arange(D)
    mean = np.asarray(p.mean, dtype=float)
    err = np.vstack([mean - np.asarray(p.lower), np.asarray(p.upper) - mean])
    mark = rec.next_dose if rec.next_dose is not None else rec.selected
    for d, row in enumerate(rec.doses):
        colour = "#2b6cb0" if d != mark else "#2f855a"
        face = colour if row.admissible else "white"
        ax.errorbar(
            x[d], mean[d], yerr=err[:, d : d + 1], fmt="o", color=colour, mfc=face, ms=7, capsize=4, lw=1.5
        )
        if row.n:
            ax.plot(x[d] + 0.18, row.tox / row.n, marker="x", color="#555555", ms=6, ls="none")
            ax.annotate(
                f"{row.tox}/{row.n}", (x[d] + 0.22, row.tox / row.n), fontsize=8, color="#555555", va="center"
            )
    ax.axhline(rec.design.target, color="#c53030", ls="--", lw=1.2)
    # the target's label outside the axes, right of the plot: inside it sat over the last dose's interval
    ax.annotate(
        f"target {rec.design.target:g}",
        (1.0, rec.design.target),
        xycoords=("axes fraction", "data"),
        xytext=(4, 0),
        textcoords="offset points",
        color="#c53030",
        va="center",
        ha="left",
        fontsize=9,
        annotation_clip=False,
    )
    ax.set_xticks(x, [r.label for r in rec.doses])
    ax.set_xlim(-0.5, D - 0.5)
    # a little room below 0 and above 1: an observed rate of 0 (or 1) and its count stay fully visible
    ax.set_ylim(-0.04, 1.04)
    ax.set_yticks([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_xlabel("dose")
    ax.set_ylabel("P(DLT)")
    pct = round(100 * p.mass)
    ax.set_title(f"Posterior mean and {pct}% interval ({p.method}); x: observed rate", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    return fig


def plot_interval_probabilities(rec, ax: Axes | None = None) -> Figure:
    """Per dose, the posterior probabilities of underdosing, the target interval and overdosing as stacked
    bars (designs that decide by them: the BLRM), with the EWOC bound on the overdosing part; the next
    dose (or the selected MTD) is outlined. ``rec`` is a Recommendation whose posterior has the
    ``prob_under``, ``prob_target`` and ``prob_over`` columns."""
    import numpy as np

    if ax is None:
        fig = _agg_figure((7.0, 4.0))
        ax = fig.add_subplot(1, 1, 1)
    else:
        fig = ax.figure
    e = rec.posterior.extra
    under = np.asarray(e["prob_under"], dtype=float)
    target = np.asarray(e["prob_target"], dtype=float)
    over = np.asarray(e["prob_over"], dtype=float)
    D = len(rec.doses)
    x = np.arange(D)
    lo, hi = rec.design.intervals
    ax.bar(x, under, color="#90cdf4", label=f"P(p < {lo:g})")
    ax.bar(x, target, bottom=under, color="#68d391", label=f"P({lo:g} <= p < {hi:g})")
    ax.bar(x, over, bottom=under + target, color="#fc8181", label=f"P(p >= {hi:g})")
    ewoc = rec.design.ewoc
    ax.axhline(1.0 - ewoc, color="#742a2a", ls="--", lw=1.2, label=f"EWOC: P(over) <= {ewoc:g}")
    mark = rec.next_dose if rec.next_dose is not None else rec.selected
    if mark is not None:
        ax.bar([mark], [1.0], fill=False, edgecolor="#1a202c", lw=2)
    ax.set_xticks(x, [r.label for r in rec.doses])
    ax.set_xlim(-0.6, D - 0.4)
    ax.set_ylim(0, 1)
    ax.set_xlabel("dose")
    ax.set_ylabel("posterior probability")
    ax.set_title(
        "Interval probabilities per dose (EWOC admits a dose whose red part stays above the dashed line)",
        fontsize=9,
    )
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=4, frameon=False)
    return fig


#: a phase I/II design's per-dose columns in ``PosteriorTable.extra``: (utility, posterior response rate)
#: keys and the utility's axis label (BOIN12 and U-BOIN: the posterior mean utility on 0-1; EffTox: the
#: desirability of the posterior mean probabilities, 0 on the contour through the three points)
UTILITY_KEYS = (
    ("utility_mean", "eff_mean", "posterior mean utility (0-1)"),
    ("utility", "prob_eff", "utility of the posterior means (0 on the contour)"),
)
#: the decision quantity printed above a dose's utility bar, when the design has it
UTILITY_NOTES = (("desirability", "desirability"), ("randomise", "P(randomised to the dose)"))


def utility_columns(extra) -> tuple[str, str, str] | None:
    """(utility key, response rate key, axis label) of a phase I/II posterior table's ``extra``, else None."""
    for keys in UTILITY_KEYS:
        if keys[0] in extra and keys[1] in extra and "responses" in extra:
            return keys
    return None


def plot_utility(rec) -> Figure:
    """A phase I/II design's view of the doses (BOIN12, U-BOIN, EffTox), two panels on one dose axis.

    Left: the posterior mean probabilities of response (green) and DLT (blue) per dose, with the observed
    response rates (x, labelled responses/patients). Right: each dose's utility as the design scores it,
    solid where the dose is admissible and hollow where not, the next dose (or the selected OBD) outlined,
    with the design's decision quantity above the bar (BOIN12's desirability, U-BOIN's stage-2
    randomisation probability). ``rec`` is a Recommendation whose posterior has the response columns
    (:func:`utility_columns`)."""
    import numpy as np

    e = rec.posterior.extra
    keys = utility_columns(e)
    if keys is None:
        raise ValueError("plot_utility needs a phase I/II posterior (responses and utilities per dose)")
    u_key, q_key, u_label = keys
    fig = _agg_figure((9.0, 4.4))
    ax_p, ax_u = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    D = len(rec.doses)
    x = np.arange(D)
    labels = [r.label for r in rec.doses]
    q = np.asarray(e[q_key], dtype=float)
    resp = np.asarray(e["responses"], dtype=float)
    ax_p.plot(x, q, "o-", color="#2f855a", label="P(response), posterior mean")
    ax_p.plot(x, np.asarray(rec.posterior.mean, dtype=float), "s--", color="#2b6cb0", ms=5, label="P(DLT)")
    for d, row in enumerate(rec.doses):
        if row.n:
            ax_p.plot(x[d] + 0.15, resp[d] / row.n, marker="x", color="#555555", ms=6, ls="none")
            ax_p.annotate(
                f"{int(resp[d])}/{row.n}", (x[d] + 0.2, resp[d] / row.n), fontsize=8, color="#555555"
            )
    ax_p.axhline(rec.design.target, color="#c53030", ls=":", lw=1, label=f"DLT target {rec.design.target:g}")
    eff_line = getattr(rec.design, "target_eff", None) or getattr(rec.design, "eff_limit", None)
    if eff_line is not None:
        ax_p.axhline(eff_line, color="#2f855a", ls=":", lw=1, label=f"response limit {eff_line:g}")
    ax_p.set_xticks(x, labels)
    ax_p.set_xlim(-0.5, D - 0.5)
    ax_p.set_ylim(-0.04, 1.04)
    ax_p.set_xlabel("dose")
    ax_p.set_ylabel("probability")
    ax_p.set_title("Posterior response and DLT; x: observed responses", fontsize=9)
    ax_p.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncols=2, frameon=False)
    utility = np.asarray(e[u_key], dtype=float)
    mark = rec.next_dose if rec.next_dose is not None else rec.selected
    for d, row in enumerate(rec.doses):
        ax_u.bar(
            x[d],
            utility[d],
            color="#805ad5" if row.admissible else "white",
            edgecolor="#1a202c" if d == mark else "#805ad5",
            lw=2.5 if d == mark else 1.0,
        )
    noted = ""
    for key, name in UTILITY_NOTES:
        if key in e:
            noted = f"; above the bars: {name}"
            values = np.asarray(e[key], dtype=float)
            for d in range(D):
                top = max(float(utility[d]), 0.0)
                ax_u.annotate(f"{values[d]:.2f}", (x[d], top), ha="center", va="bottom", fontsize=7)
    ax_u.axhline(0.0, color="#555555", lw=0.8)
    ax_u.set_xticks(x, labels)
    ax_u.set_xlim(-0.6, D - 0.4)
    ax_u.set_xlabel("dose")
    ax_u.set_ylabel(u_label, fontsize=8)
    ax_u.set_title(f"Utility per dose{noted}", fontsize=9)
    ax_u.annotate(
        "hollow: not admissible; outlined: the design's dose",
        (0.5, -0.18),
        xycoords="axes fraction",
        ha="center",
        va="top",
        fontsize=7,
    )
    return fig


def plot_timeline(rec, ax: Axes | None = None) -> Figure:
    """The patients on the calendar as of ``recommend --as-of``'s day: one line per patient from entry to
    the end of the DLT window (solid up to the day, dotted after), coloured by dose, a cross at a DLT seen,
    and the day as a vertical line. ``rec`` is a Recommendation with ``pending``."""
    import datetime as dt

    from matplotlib import colormaps

    clock = rec.pending.clock
    pts = clock.patients
    if ax is None:
        fig = _agg_figure((7.5, 1.2 + 0.28 * len(pts)))
        ax = fig.add_subplot(1, 1, 1)
    else:
        fig = ax.figure
    cmap = colormaps["viridis"]
    D = rec.design.n_doses
    window = dt.timedelta(days=clock.window_days)
    for i, p in enumerate(pts):
        colour = cmap(p.dose / max(D - 1, 1) * 0.85)
        end = p.end if p.end is not None else p.entry + window
        stop = p.dlt_date if p.status == "dlt" else end
        seen = min(stop, clock.as_of)
        ax.plot([p.entry, seen], [i, i], color=colour, lw=4, solid_capstyle="butt")
        if seen < stop:
            ax.plot([seen, stop], [i, i], color=colour, lw=1.5, ls=":")
        if p.status == "dlt":
            ax.plot([p.dlt_date], [i], marker="x", color="#c53030", ms=9, mew=2)
        ax.annotate(f" {rec.design.doses[p.dose]}", (stop, i), fontsize=7, va="center", color="#333333")
    ax.axvline(clock.as_of, color="#2b6cb0", ls="--", lw=1.2)
    ax.set_yticks(range(len(pts)), [p.patient_id for p in pts], fontsize=8)
    ax.invert_yaxis()
    ax.set_title(
        f"Patients as of {clock.as_of} (line: DLT window of {clock.window_days:g} days, solid up to the day; "
        "x: DLT)",
        fontsize=9,
    )
    fig.autofmt_xdate()
    return fig


#: colours of the grid heat map: excluded cells, the next (or selected) cell's frame
EXCLUDED_COLOUR = "#bdbdbd"
NEXT_COLOUR = "#2f855a"


def plot_grid_posterior(rec, ax: Axes | None = None) -> Figure:
    """A two-drug design's posterior as a J x K heat map: drug A's levels up, drug B's across.

    Each cell is coloured by its posterior mean P(DLT) (a diverging scale centred on the target) and
    annotated with its label, patients treated, DLTs and the estimate. Cells excluded from the grid are
    grey, eliminated cells are hatched, and the next cell (or the selected MTD) is framed. For BOIN for
    combinations (an independent prior per cell) untried cells carry only the prior, so they are left
    uncoloured and without an estimate; a model-based design (PO-CRM) colours every included cell.
    """
    import numpy as np
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.patches import Rectangle

    from ..designs.home import home_of

    design = rec.design
    g = design.grid
    J, K = g.n_rows, g.n_cols
    p = rec.posterior
    target = design.target
    n = np.array([r.n for r in rec.doses]).reshape(J, K)
    tox = np.array([r.tox for r in rec.doses]).reshape(J, K)
    admissible = np.array([r.admissible for r in rec.doses]).reshape(J, K)
    excluded = g.as_matrix(g.excluded_mask)
    mean = g.as_matrix(np.asarray(p.mean, dtype=float))
    hidden = excluded | ~np.isfinite(mean)
    if not home_of(design).estimates_untried:  # a beta-binomial posterior only restates its prior there
        hidden |= n == 0
    # large grids (more than 8 levels of a drug) get a bigger figure and a compact label per cell (the
    # counts only, "DLT/n"; the colour is the estimate): four lines at 6 pt in a 24 x 24 grid were unreadable
    compact = max(J, K) > 8
    if ax is None:
        if compact:
            fig = _agg_figure((min(20.0, 2.8 + 0.62 * K), min(16.0, 1.6 + 0.5 * J)))
        else:
            fig = _agg_figure((min(12.0, 2.8 + 1.35 * K), min(10.0, 1.6 + 1.05 * J)))
        ax = fig.add_subplot(1, 1, 1)
    else:
        fig = ax.figure
    cmap = _colormap("RdYlBu_r").with_extremes(bad="white")
    norm = TwoSlopeNorm(vmin=0.0, vcenter=min(max(target, 1e-6), 1 - 1e-6), vmax=1.0)
    image = ax.imshow(np.ma.masked_array(mean, hidden), cmap=cmap, norm=norm, origin="lower", aspect="auto")
    mark = rec.next_dose if rec.next_dose is not None else rec.selected
    size = 9 if K <= 5 else 7.5 if K <= 8 else 7
    for j in range(J):
        for k in range(K):
            c = j * K + k
            if compact:
                if excluded[j, k]:
                    ax.add_patch(
                        Rectangle((k - 0.5, j - 0.5), 1, 1, facecolor=EXCLUDED_COLOUR, edgecolor="white")
                    )
                elif not admissible[j, k]:
                    ax.add_patch(
                        Rectangle(
                            (k - 0.5, j - 0.5), 1, 1, fill=False, hatch="///", edgecolor="#555555", lw=0
                        )
                    )
                if n[j, k]:
                    ax.text(k, j, f"{tox[j, k]}/{n[j, k]}", ha="center", va="center", fontsize=size)
                if c == mark:
                    ax.add_patch(
                        Rectangle((k - 0.46, j - 0.46), 0.92, 0.92, fill=False, edgecolor=NEXT_COLOUR, lw=2.5)
                    )
                continue
            if excluded[j, k]:
                ax.add_patch(
                    Rectangle((k - 0.5, j - 0.5), 1, 1, facecolor=EXCLUDED_COLOUR, edgecolor="white")
                )
                ax.text(k, j, f"{j + 1}.{k + 1}\nexcluded", ha="center", va="center", fontsize=size)
                continue
            if not admissible[j, k]:
                ax.add_patch(
                    Rectangle((k - 0.5, j - 0.5), 1, 1, fill=False, hatch="///", edgecolor="#555555", lw=0)
                )
            colour = "black"
            if not hidden[j, k]:
                r, gg, b, _ = cmap(norm(mean[j, k]))
                colour = "white" if 0.299 * r + 0.587 * gg + 0.114 * b < 0.45 else "black"
            counts = f"n {n[j, k]}, DLT {tox[j, k]}" if n[j, k] else "untried"
            lines = [f"{j + 1}.{k + 1}", counts]
            if not hidden[j, k]:
                lines.append(f"P(DLT) {mean[j, k]:.2f}")
            elif not np.isfinite(mean[j, k]):
                lines.append("no estimate")
            if not admissible[j, k]:
                lines.append("eliminated")
            box = None if admissible[j, k] else {"facecolor": "white", "alpha": 0.75, "edgecolor": "none"}
            if box is not None:
                colour = "black"
            ax.text(k, j, "\n".join(lines), ha="center", va="center", fontsize=size, color=colour, bbox=box)
            if c == mark:
                ax.add_patch(
                    Rectangle((k - 0.46, j - 0.46), 0.92, 0.92, fill=False, edgecolor=NEXT_COLOUR, lw=3)
                )
    ax.set_xticks(range(K), [f"{k + 1}: {x}" for k, x in enumerate(g.levels_b)])
    ax.set_yticks(range(J), [f"{j + 1}: {x}" for j, x in enumerate(g.levels_a)])
    if compact:
        ax.tick_params(axis="x", labelrotation=90, labelsize=8)
        ax.tick_params(axis="y", labelsize=8)
    ax.set_xlim(-0.5, K - 0.5)
    ax.set_ylim(-0.5, J - 0.5)
    ax.set_xlabel(f"{g.drug_b} (level k)")
    ax.set_ylabel(f"{g.drug_a} (level j)")
    ax.tick_params(length=0)
    bar = fig.colorbar(image, ax=ax, fraction=0.05, pad=0.02)
    bar.set_label("posterior mean P(DLT)")
    bar.ax.axhline(target, color="black", lw=1.5)
    ticks = sorted({0.0, round(target / 2, 3), target, round((1 + target) / 2, 3), 1.0})
    bar.set_ticks(ticks, labels=[f"target {t:g}" if t == target else f"{t:g}" for t in ticks])
    which = "next cell" if rec.next_dose is not None else "selected MTD" if rec.selected is not None else ""
    frame = f"; framed: {which}" if which else ""
    ax.set_title(
        f"Posterior mean P(DLT) per cell ({p.method}); n treated, DLTs{frame}", loc="left", fontsize=10
    )
    return fig


def _colormap(name: str):
    from matplotlib import colormaps

    return colormaps[name]
