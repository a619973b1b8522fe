"""Figures of a sweep dataset (see :mod:`dosefind.sweep.store`): designs compared across many scenarios.

Every function takes the pandas DataFrames of the dataset (``oc`` from oc.parquet, one row per scenario
and design; ``oc_dose`` from oc_dose.parquet, one row per scenario, design and dose) and returns a
matplotlib Figure on its own Agg canvas (never pyplot; see :mod:`dosefind.report.plots`):

* :func:`plot_pcs`: probability of correct selection (PCS) per design: per scenario with ±1.96 MCSE
  error bars when there are few scenarios, its distribution across scenarios when there are many;
* :func:`plot_overdose`: P(select a dose above the MTD) and the share of patients treated above it;
* :func:`plot_efficiency`: PCS relative to the optimal benchmark (same patients), and PCS against it;
* :func:`plot_selection`: selection probabilities per dose, design and benchmark, scenario by scenario;
* :func:`plot_ranking`: how often each design ranks 1st, 2nd, ... across scenarios on one metric;
* :func:`sweep_figures` makes all of them, :func:`save_figures` writes them atomically.

A design keeps its colour in every figure (:func:`design_colours`, by order of first appearance in
``oc``; ``sweep_figures`` passes one mapping to every function). matplotlib is imported lazily.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import atomic_path
from ..errors import DataError
from .plots import DEFAULT_DPI, require_matplotlib

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: at most this many scenarios are drawn one by one (with error bars); more are drawn as distributions
FEW_SCENARIOS = 30
#: 1.96: error bars are ±Z·MCSE (a 95% Monte Carlo interval)
Z = 1.96
#: efficiencies above this are drawn at the right edge of the efficiency panel (tiny benchmark PCS)
EFFICIENCY_AXIS_MAX = 2.0
#: design colours in order of appearance: Okabe-Ito (without yellow and black), then Paul Tol's
DESIGN_PALETTE = (
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#d55e00",
    "#56b4e9",
    "#882255",
    "#999933",
    "#332288",
    "#8c6d31",
)
BENCHMARK_COLOUR = "#555555"
CORRECT_SHADE = "#dcefd6"
#: rank colours, 1st to last (ColorBrewer RdYlGn ends, without its pale middle)
RANK_COLOURS = ("#1a9850", "#a6d96a", "#fdae61", "#d73027")
#: ranking direction of the metrics whose better side is clear
HIGHER_IS_BETTER = frozenset({"pcs", "efficiency", "accuracy_index"})
LOWER_IS_BETTER = frozenset(
    {
        "prob_select_above_mtd",
        "prop_treated_above_mtd",
        "mean_n_above_mtd",
        "prob_select_none",
        "prob_early_stop",
        "mean_tox",
    }
)
METRIC_LABELS = {
    "pcs": "PCS",
    "efficiency": "efficiency (PCS / benchmark PCS)",
    "accuracy_index": "accuracy index",
    "prob_select_above_mtd": "P(select a dose above the MTD)",
    "prop_treated_above_mtd": "share of patients treated above the MTD",
    "mean_n_above_mtd": "mean patients treated above the MTD",
    "prob_select_none": "P(select no dose)",
    "prob_early_stop": "P(stop early for toxicity)",
    "mean_tox": "mean DLTs",
    "mean_n": "mean patients",
    "benchmark_pcs": "benchmark PCS",
}
OC_KEYS = ("scenario", "design")
DOSE_KEYS = ("scenario", "design", "dose", "dose_label", "true_tox", "correct")


# ---- helpers ---------------------------------------------------------------------------------------------
def _require_matplotlib() -> None:
    require_matplotlib("sweep figures")


def _needs_matplotlib(fn):
    """Public figure functions check for matplotlib before drawing anything."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        _require_matplotlib()
        return fn(*args, **kwargs)

    return wrapper


def _figure(figsize: tuple[float, float]) -> Figure:
    _require_matplotlib()
    from .plots import _agg_figure

    return _agg_figure(figsize)


def _check(df, columns: Iterable[str], table: str) -> None:
    """Raise DataError unless ``df`` is a non-empty DataFrame with every column in ``columns``."""
    if not hasattr(df, "columns") or not hasattr(df, "groupby"):
        raise DataError(
            f"{table}: expected a pandas DataFrame (the table read from {table}.parquet), "
            f"got {type(df).__name__}"
        )
    missing = [c for c in dict.fromkeys(columns) if c not in df.columns]
    if missing:
        s = "s" if len(missing) > 1 else ""
        raise DataError(
            f"{table} has no column{s} {', '.join(repr(c) for c in missing)}; pass the table read from "
            f"{table}.parquet of a finished sweep (dosefind.sweep.summary.read_dataset)"
        )
    if len(df) == 0:
        raise DataError(f"{table} has no rows; is the sweep finished?")
    keys = [k for k in (*OC_KEYS, "dose") if k in columns]
    twice = df.duplicated(keys)
    if twice.any():
        first = df.loc[twice, keys].iloc[0].tolist()
        raise DataError(
            f"{table} has {int(twice.sum())} repeated ({', '.join(keys)}) rows, e.g. {first}; pass the "
            "table of one sweep (concatenated tables need distinct scenario or design names)"
        )


def _designs(df) -> list[str]:
    return [str(d) for d in dict.fromkeys(df["design"])]


def _scenarios(df) -> list[str]:
    if "scenario_index" in df.columns:
        df = df.sort_values("scenario_index", kind="stable")
    return [str(s) for s in dict.fromkeys(df["scenario"])]


def design_colours(designs: Iterable[str], colours: Mapping[str, str] | None = None) -> dict[str, str]:
    """A colour per design, in order: :data:`DESIGN_PALETTE`, then tab20; ``colours`` overrides."""
    names = list(dict.fromkeys(str(d) for d in designs))
    extra: list[str] = []
    if len(names) > len(DESIGN_PALETTE):
        _require_matplotlib()
        from matplotlib import colormaps
        from matplotlib.colors import to_hex

        extra = [to_hex(c) for c in colormaps["tab20"].colors]
    palette = list(DESIGN_PALETTE) + extra
    out = {d: palette[i % len(palette)] for i, d in enumerate(names)}
    if colours:
        out.update({d: c for d, c in colours.items() if d in out})
    return out


def _pivot(oc, column: str, scenarios: list[str], designs: list[str]):
    """[scenario x design] table of one column (NaN where a pair is missing)."""
    return oc.pivot_table(index="scenario", columns="design", values=column, aggfunc="first", dropna=False)[
        designs
    ].reindex(scenarios)


def _trials_note(oc) -> str:
    if "n_trials" not in oc.columns:
        return ""
    if "method" in oc.columns and (oc["method"] == "exact").all():
        return "exact operating characteristics (no Monte Carlo error)"
    lo, hi = int(oc["n_trials"].min()), int(oc["n_trials"].max())
    trials = f"{lo:,}" if lo == hi else f"{lo:,} to {hi:,}"
    return f"{trials} simulated trials per scenario and design"


def _suptitle(fig: Figure, title: str, note: str = "") -> None:
    fig.suptitle(title + (f"\n{note}" if note else ""), fontsize=11, linespacing=1.4)


def _legend(fig: Figure, handles: list, ncols: int | None = None) -> None:
    """One legend below the axes, in as many columns as fit the figure's width (at most ``ncols``)."""
    n = len(handles)
    entries = [0.5 + 0.07 * len(h.get_label()) for h in handles]  # inches at 8.5 pt
    room = 0.95 * fig.get_figwidth()
    fit = n if sum(entries) <= room else max(1, int(room // max(entries)))
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=min(n, fit, ncols or 6),
        frameon=False,
        fontsize=8.5,
        handlelength=1.6,
        columnspacing=1.4,
    )


def _design_handles(designs: list[str], colours: dict[str, str], marker: str = "o") -> list:
    from matplotlib.lines import Line2D

    return [Line2D([], [], color=colours[d], marker=marker, ls="none", ms=6, label=d) for d in designs]


def _benchmark_handle(kind: str = "line"):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if kind == "bar":
        return Patch(
            facecolor="white", edgecolor=BENCHMARK_COLOUR, hatch="////", label="optimal benchmark", lw=0.8
        )
    return Line2D([], [], color=BENCHMARK_COLOUR, ls="--", lw=1.3, label="optimal benchmark")


def _scenario_ticks(oc, scenarios: list[str], col_width: float) -> tuple[list[str], bool]:
    """Tick labels 'name (MTD d)' and whether to rotate them (when a name is wider than its column of
    ``col_width`` inches)."""
    mtd = {}
    if "mtd" in oc.columns:
        for s, m in oc.groupby("scenario", sort=False)["mtd"]:
            u = m.dropna().unique()
            if len(u) == 1:
                mtd[str(s)] = int(u[0])
    rotate = max(len(s) for s in scenarios) * 0.07 > 0.9 * col_width  # 8 pt characters: ~0.07 in
    sep = " " if rotate else "\n"
    labels = [f"{s}{sep}(MTD {mtd[s]})" if s in mtd else s for s in scenarios]
    return labels, rotate


def _clean(ax: Axes, grid_axis: str = "y") -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis=grid_axis, alpha=0.3, lw=0.6)
    ax.set_axisbelow(True)


def _dot_panel(
    ax: Axes,
    oc,
    metric: str,
    designs: list[str],
    scenarios: list[str],
    colours: dict[str, str],
    *,
    benchmark: str | None = None,
    top: float | None = None,
    col_width: float = 1.0,
) -> None:
    """One point ±Z·MCSE per (scenario, design), designs dodged inside each scenario's column; the
    y axis runs from 0 to ``top`` when given."""
    import numpy as np

    S, K = len(scenarios), len(designs)
    values = _pivot(oc, metric, scenarios, designs)
    errors = _pivot(oc, metric + "_mcse", scenarios, designs) * Z
    step = min(0.8 / K, 0.2)
    offsets = (np.arange(K) - (K - 1) / 2) * step
    x0 = np.arange(S, dtype=float)
    for s in range(1, S, 2):  # alternate shading tells the scenario columns apart
        ax.axvspan(s - 0.5, s + 0.5, color="#f2f2f2", lw=0, zorder=0)
    ms = 5.5 if K * S <= 60 else 4.0 if K * S <= 150 else 3.0
    for k, d in enumerate(designs):
        y = values[d].to_numpy(dtype=float)
        e = errors[d].to_numpy(dtype=float)
        ok = np.isfinite(y)
        e = np.where(np.isfinite(e), e, 0.0)
        ax.errorbar(
            x0[ok] + offsets[k],
            y[ok],
            yerr=e[ok],
            fmt="o",
            color=colours[d],
            ms=ms,
            elinewidth=1.1,
            capsize=2.0 if K * S <= 120 else 0.0,
            label=d,
            zorder=3,
        )
    if benchmark is not None:
        bench = _pivot(oc, benchmark, scenarios, designs).to_numpy(dtype=float)
        half = (K - 1) / 2 * step + 0.12
        for s in range(S):
            row = bench[s]
            finite = row[np.isfinite(row)]
            if finite.size == 0:
                continue
            if np.allclose(finite, finite[0]):  # one benchmark for the scenario: a line across the group
                ax.hlines(finite[0], s - half, s + half, color=BENCHMARK_COLOUR, ls="--", lw=1.3, zorder=2)
            else:  # designs with different targets or sample sizes have their own benchmarks
                ax.plot(x0[s] + offsets, row, ls="none", marker="_", ms=9, mew=1.6, color=BENCHMARK_COLOUR)
    labels, rotate = _scenario_ticks(oc, scenarios, col_width)
    ax.set_xticks(x0, labels, rotation=45 if rotate else 0, ha="right" if rotate else "center", fontsize=8)
    ax.set_xlim(-0.5, S - 0.5)
    if top is not None:
        ax.set_ylim(-0.015 * top, top + (0.015 if top == 1.0 else 0.0))
    _clean(ax)


def _probability_top(oc, metric: str, benchmark: str | None = None) -> float:
    """Upper y limit for a probability: 1 when values come near it, else a little above the largest."""
    import numpy as np

    upper = oc[metric].to_numpy(dtype=float) + Z * oc[metric + "_mcse"].to_numpy(dtype=float)
    top = float(np.nanmax(upper, initial=0.0))
    if benchmark is not None:
        top = max(top, float(np.nanmax(oc[benchmark].to_numpy(dtype=float), initial=0.0)))
    return 1.0 if top > 0.6 else max(0.05, min(1.0, 1.15 * top))


#: about this many points (scenarios x designs) per row of a per-scenario figure
POINTS_PER_ROW = 90


def _dot_figure(oc, metrics, designs, scenarios, colours, benchmark=None):
    """A figure of per-scenario point panels: for each metric, the scenarios wrapped into rows of at
    most about :data:`POINTS_PER_ROW` points. Returns (figure, [[axes of a metric's rows], ...])."""
    S, K = len(scenarios), len(designs)
    n_rows = -(-S * K // POINTS_PER_ROW)
    per_row = -(-S // n_rows)
    chunks = [scenarios[i : i + per_row] for i in range(0, S, per_row)]
    width = _dot_width(per_row, K)
    col_width = (width - 1.4) / per_row
    _, rotate = _scenario_ticks(oc, scenarios, col_width)
    row_h = 2.8 + (0.9 if rotate else 0.3)
    fig = _figure((width, 1.3 + row_h * len(metrics) * len(chunks)))
    axes = fig.subplots(len(metrics) * len(chunks), 1, squeeze=False)[:, 0]
    out = []
    for m_i, metric in enumerate(metrics):
        bench = benchmark if m_i == 0 else None
        top = _probability_top(oc, metric, bench)
        row_axes = list(axes[m_i * len(chunks) : (m_i + 1) * len(chunks)])
        for ax, chunk in zip(row_axes, chunks, strict=True):
            _dot_panel(ax, oc, metric, designs, chunk, colours, benchmark=bench, top=top, col_width=col_width)
            ax.set_xlim(-0.5, per_row - 0.5)  # equal column widths in every row
        out.append(row_axes)
    return fig, out


def _box_panel(
    ax: Axes,
    oc,
    metric: str,
    designs: list[str],
    colours: dict[str, str],
    *,
    cap: float | None = None,
    points: bool | None = None,
    centre: Mapping[str, float] | None = None,
) -> tuple[int, int]:
    """Horizontal box plot per design across scenarios (first design on top), the mean as a diamond (or
    ``centre[design]``, a summary the caller gives instead), and the scenarios as points when there are not
    too many. NaN values are left out.

    Returns (number of NaN values left out, number of values beyond ``cap`` drawn at the edge)."""
    import inspect

    import numpy as np

    K = len(designs)
    data, n_nan, n_capped = [], 0, 0
    for d in designs:
        v = oc.loc[oc["design"] == d, metric].to_numpy(dtype=float)
        n_nan += int(np.count_nonzero(~np.isfinite(v)))
        data.append(v[np.isfinite(v)])
    n_per = max(len(v) for v in data)
    if points is None:
        points = n_per <= 300
    pos = np.arange(K)[::-1].astype(float)
    keep = [i for i in range(K) if data[i].size]
    kwargs = dict(
        positions=pos[keep],
        widths=0.55,
        patch_artist=True,
        showfliers=not points,
        medianprops=dict(color="black", lw=1.4),
        whiskerprops=dict(color="#444444"),
        capprops=dict(color="#444444"),
        flierprops=dict(marker=".", ms=3, mec="#777777"),
    )
    if "orientation" in inspect.signature(ax.boxplot).parameters:  # matplotlib >= 3.10
        kwargs["orientation"] = "horizontal"
    else:  # pragma: no cover - older matplotlib
        kwargs["vert"] = False
    if keep:
        box = ax.boxplot([data[i] for i in keep], **kwargs)
        for patch, i in zip(box["boxes"], keep, strict=True):
            patch.set_facecolor(colours[designs[i]])
            patch.set_alpha(0.35)
            patch.set_edgecolor(colours[designs[i]])
    rng = np.random.default_rng(0)  # fixed jitter: the same figure every time
    for i in keep:
        v = data[i]
        shown = np.minimum(v, cap) if cap is not None else v
        beyond = v > cap if cap is not None else np.zeros(v.shape, dtype=bool)
        n_capped += int(beyond.sum())
        c = colours[designs[i]]
        if points:
            jitter = rng.uniform(-0.17, 0.17, size=v.size)
            alpha = 0.75 if v.size <= 60 else 0.4
            ax.scatter(shown[~beyond], pos[i] + jitter[~beyond], s=12, color=c, alpha=alpha, lw=0, zorder=3)
        if beyond.any():
            ax.scatter(
                np.full(int(beyond.sum()), cap),
                pos[i]
                + (
                    rng.uniform(-0.17, 0.17, size=int(beyond.sum()))
                    if points
                    else np.zeros(int(beyond.sum()))
                ),
                s=22,
                marker=">",
                color=c,
                zorder=3,
                clip_on=False,
            )
        mid = v.mean() if centre is None else centre[designs[i]]
        ax.plot(
            mid if cap is None else min(mid, cap),
            pos[i],
            marker="D",
            ms=6,
            mfc="white",
            mec="black",
            mew=1.0,
            zorder=4,
        )
    ax.set_yticks(pos, designs, fontsize=9)
    ax.set_ylim(-0.6, K - 0.4)
    _clean(ax, "x")
    return n_nan, n_capped


def _ecdf_panel(ax: Axes, oc, metric: str, designs: list[str], colours: dict[str, str], benchmark=None):
    import numpy as np

    def step(values, **kw):
        v = np.sort(values[np.isfinite(values)])
        if v.size:
            x = np.concatenate([[v[0]], v])
            y = np.concatenate([[0.0], np.arange(1, v.size + 1) / v.size])
            ax.step(x, y, where="post", **kw)

    for d in designs:
        step(oc.loc[oc["design"] == d, metric].to_numpy(dtype=float), color=colours[d], lw=1.8, label=d)
    if benchmark is not None:
        per_scenario = oc.groupby("scenario", sort=False)[benchmark].first().to_numpy(dtype=float)
        step(per_scenario, color=BENCHMARK_COLOUR, lw=1.4, ls="--", label="optimal benchmark")
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("share of scenarios with a value ≤ x")
    _clean(ax, "both")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _few(n_scenarios: int, per_scenario: bool | None) -> bool:
    return n_scenarios <= FEW_SCENARIOS if per_scenario is None else bool(per_scenario)


def _dot_width(S: int, K: int) -> float:
    return min(18.0, max(7.0, 1.4 + S * (0.3 + 0.11 * K)))


# ---- figures ---------------------------------------------------------------------------------------------
@_needs_matplotlib
def plot_pcs(oc, *, colours: Mapping[str, str] | None = None, per_scenario: bool | None = None) -> Figure:
    """Probability of correct selection per design.

    Few scenarios (at most :data:`FEW_SCENARIOS`, or ``per_scenario=True``): one point per scenario and
    design with ±1.96 MCSE error bars and the optimal benchmark's PCS as a dashed line. Many scenarios:
    box plots of the per-scenario PCS (mean as a diamond) and its empirical distribution function.
    """
    _check(oc, [*OC_KEYS, "pcs", "pcs_mcse", "benchmark_pcs"], "oc")
    designs, scenarios = _designs(oc), _scenarios(oc)
    cols = design_colours(designs, colours)
    S, K = len(scenarios), len(designs)
    handles = _design_handles(designs, cols) + [_benchmark_handle()]
    if _few(S, per_scenario):
        fig, (rows,) = _dot_figure(oc, ["pcs"], designs, scenarios, cols, benchmark="benchmark_pcs")
        for ax in rows:
            ax.set_ylabel("P(correct selection)")
        rows[-1].set_xlabel("scenario (true MTD)")
        _suptitle(fig, "Probability of correct selection per scenario (±1.96 MCSE)", _trials_note(oc))
    else:
        fig = _figure((11.0, max(3.6, 1.9 + 0.42 * K)))
        ax_box, ax_cdf = fig.subplots(1, 2, width_ratios=[1.1, 1.0])
        n_nan, _ = _box_panel(ax_box, oc, "pcs", designs, cols)
        ax_box.set_xlabel("P(correct selection) per scenario")
        ax_box.set_xlim(-0.02, 1.02)
        ax_box.set_title("across scenarios (box: quartiles; ◇ mean)", fontsize=9)
        _ecdf_panel(ax_cdf, oc, "pcs", designs, cols, benchmark="benchmark_pcs")
        ax_cdf.set_xlabel("P(correct selection)")
        ax_cdf.set_xlim(-0.02, 1.02)
        ax_cdf.set_title("distribution function (further right is better)", fontsize=9)
        _suptitle(fig, f"Probability of correct selection across {S:,} scenarios", _trials_note(oc))
    _legend(fig, handles)
    return fig


@_needs_matplotlib
def plot_overdose(
    oc, *, colours: Mapping[str, str] | None = None, per_scenario: bool | None = None
) -> Figure:
    """Overdosing per design: P(select a dose above the true MTD) and the share of patients treated
    above it. Few scenarios: points ±1.96 MCSE per scenario (two rows); many: box plots across scenarios.
    """
    metrics = ("prob_select_above_mtd", "prop_treated_above_mtd")
    _check(oc, [*OC_KEYS, *metrics, *(m + "_mcse" for m in metrics)], "oc")
    designs, scenarios = _designs(oc), _scenarios(oc)
    cols = design_colours(designs, colours)
    S, K = len(scenarios), len(designs)
    if _few(S, per_scenario):
        fig, grid = _dot_figure(oc, metrics, designs, scenarios, cols)
        for rows, m in zip(grid, metrics, strict=True):
            for ax in rows:
                ax.set_ylabel("probability" if m.startswith("prob_") else "share of patients")
            rows[0].set_title(METRIC_LABELS[m], fontsize=9.5, loc="left")
        grid[-1][-1].set_xlabel("scenario (true MTD)")
        _suptitle(fig, "Overdosing per scenario (±1.96 MCSE; lower is safer)", _trials_note(oc))
    else:
        fig = _figure((11.0, max(3.6, 1.9 + 0.42 * K)))
        axes = fig.subplots(1, 2, sharey=True)
        for ax, m in zip(axes, metrics, strict=True):
            _box_panel(ax, oc, m, designs, cols)
            ax.set_xlabel(METRIC_LABELS[m] + " per scenario")
            ax.set_xlim(left=0)
        axes[1].tick_params(labelleft=False)
        _suptitle(
            fig,
            f"Overdosing across {S:,} scenarios (box: quartiles; ◇ mean; lower is safer)",
            _trials_note(oc),
        )
    _legend(fig, _design_handles(designs, cols))
    return fig


@_needs_matplotlib
def plot_efficiency(oc, *, colours: Mapping[str, str] | None = None) -> Figure:
    """Efficiency against the nonparametric optimal benchmark (same patients), per design.

    Left: efficiency = PCS / benchmark PCS across scenarios (box, points, mean; a line at 1, where the
    design does as well as complete information would). Scenarios whose benchmark PCS is 0 have no
    efficiency (NaN) and are counted in the title; values above :data:`EFFICIENCY_AXIS_MAX` are drawn as
    triangles at the right edge. Right: PCS against benchmark PCS, one point per scenario and design.
    """
    _check(oc, [*OC_KEYS, "pcs", "benchmark_pcs", "efficiency"], "oc")
    import numpy as np

    designs, scenarios = _designs(oc), _scenarios(oc)
    cols = design_colours(designs, colours)
    S, K = len(scenarios), len(designs)
    fig = _figure((11.5, max(4.4, 1.9 + 0.42 * K)))
    ax_box, ax_sc = fig.subplots(1, 2, width_ratios=[1.25, 1.0])

    eff = oc["efficiency"].to_numpy(dtype=float)
    finite = eff[np.isfinite(eff)]
    top = float(finite.max()) if finite.size else 1.0
    cap = EFFICIENCY_AXIS_MAX if top > EFFICIENCY_AXIS_MAX else None
    # the diamond: the pooled efficiency sum(PCS) / sum(benchmark PCS), what `summarize` reports; the mean
    # of per-scenario ratios is unstable (a few tiny benchmark PCSs dominate it) and pinned at the cap
    pooled = {}
    for d in designs:
        sub = oc[oc["design"] == d]
        bench_sum = float(sub["benchmark_pcs"].sum())
        pooled[d] = float(sub["pcs"].sum()) / bench_sum if bench_sum > 0 else math.nan
    _, n_capped = _box_panel(ax_box, oc, "efficiency", designs, cols, cap=cap, centre=pooled)
    ax_box.axvline(1.0, color=BENCHMARK_COLOUR, ls="--", lw=1.2, zorder=1)
    right = cap if cap is not None else max(1.1, 1.05 * top)
    ax_box.set_xlim(0, right * 1.02)
    ax_box.set_xlabel("efficiency = PCS / benchmark PCS per scenario (1: as good as the benchmark)")
    missing = sorted(set(oc.loc[~np.isfinite(oc["efficiency"].to_numpy(dtype=float)), "scenario"]), key=str)
    notes = []
    if missing:
        names = ", ".join(map(str, missing[:3])) + (", ..." if len(missing) > 3 else "")
        notes.append(f"{len(missing)} scenario{'s' if len(missing) > 1 else ''} without efficiency ({names})")
    if n_capped:
        notes.append(f"{n_capped} value{'s' if n_capped > 1 else ''} > {cap:g} drawn at the edge (▶)")
    notes.append("◇ pooled: sum of PCS / sum of benchmark PCS")
    ax_box.set_title("; ".join(notes), fontsize=8.5)

    for d in designs:
        sub = oc[oc["design"] == d]
        ax_sc.scatter(
            sub["benchmark_pcs"].to_numpy(dtype=float),
            sub["pcs"].to_numpy(dtype=float),
            s=18 if S <= 200 else 8,
            color=cols[d],
            alpha=0.8 if S <= 60 else 0.45,
            lw=0,
            label=d,
        )
    ax_sc.plot([0, 1], [0, 1], color=BENCHMARK_COLOUR, ls="--", lw=1.1)
    ax_sc.set_xlim(-0.02, 1.02)
    ax_sc.set_ylim(-0.02, 1.02)
    ax_sc.set_aspect("equal")
    ax_sc.set_xlabel("benchmark PCS (optimal, same patients)")
    ax_sc.set_ylabel("design PCS")
    ax_sc.set_title("one point per scenario and design", fontsize=8.5)
    _clean(ax_sc, "both")
    _suptitle(fig, f"Efficiency against the optimal benchmark ({S:,} scenarios)", _trials_note(oc))
    bench = _benchmark_handle()
    bench.set_label("optimal benchmark (efficiency 1)")
    _legend(fig, _design_handles(designs, cols) + [bench])
    return fig


@_needs_matplotlib
def plot_selection(
    oc_dose,
    scenarios: Iterable[str] | None = None,
    max_scenarios: int = 12,
    *,
    colours: Mapping[str, str] | None = None,
) -> Figure:
    """Selection distributions, one panel per scenario (at most ``max_scenarios``; by default the first).

    Bars: P(select dose) per design and for the optimal benchmark (hatched; dashes on each design's bars
    when designs have different benchmarks), plus a 'none' group when a design sometimes selects no dose.
    Tick labels give each dose's true P(DLT); correct doses are shaded green with bold labels, or, in
    a panel where the designs' targets make different doses correct, outlined on each design's bars.
    """
    _check(oc_dose, [*DOSE_KEYS, "prob_select", "benchmark_prob_select"], "oc_dose")
    import numpy as np

    if isinstance(max_scenarios, bool) or not isinstance(max_scenarios, int) or max_scenarios < 1:
        raise DataError(f"max_scenarios={max_scenarios!r}: use a whole number of panels, 1 or more")
    designs, every = _designs(oc_dose), _scenarios(oc_dose)
    cols = design_colours(designs, colours)
    if scenarios is None:
        chosen = every
    else:
        chosen = [str(s) for s in ([scenarios] if isinstance(scenarios, str) else scenarios)]
        unknown = [s for s in chosen if s not in set(every)]
        if unknown:
            raise DataError(
                f"scenarios: {', '.join(map(repr, unknown[:5]))} not in oc_dose; choose from "
                f"{', '.join(map(repr, every[:8]))}{', ...' if len(every) > 8 else ''}"
            )
    shown = chosen[:max_scenarios]
    n = len(shown)
    if n == 0:
        raise DataError("scenarios: the list is empty; name at least one scenario or pass None")
    K = len(designs)

    frames = {s: g for s, g in oc_dose.groupby("scenario", sort=False)}
    doses = sorted(int(d) for d in oc_dose["dose"].unique())
    D = len(doses)
    # one benchmark for all designs (same target and sample size) -> one hatched bar per dose
    common_bench = all(
        np.allclose(g.groupby("dose")["benchmark_prob_select"].agg(lambda x: x.max() - x.min()), 0.0)
        for g in (frames[s] for s in shown)
    )
    sel_none = {}
    for s in shown:
        g = frames[s]
        sel_none[s] = {
            d: max(0.0, 1.0 - float(g.loc[g["design"] == d, "prob_select"].sum())) for d in designs
        }
    with_none = any(v > 0.005 for s in shown for v in sel_none[s].values())
    groups = D + (1 if with_none else 0)
    bars = K + (1 if common_bench else 0)
    panel_w = max(3.4, 0.9 + groups * bars * 0.08)
    ncols = max(min(n, 2), min(n, 4, int(17 // panel_w)))
    nrows = -(-n // ncols)
    fig = _figure((ncols * panel_w, 1.4 + nrows * 2.7))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharey=True, squeeze=False)).ravel()
    width = 0.82 / bars
    offsets = (np.arange(bars) - (bars - 1) / 2) * width
    shaded = outlined = False
    for i, ax in enumerate(axes):
        if i >= n:
            ax.set_visible(False)
            continue
        s = shown[i]
        g = frames[s]
        per_dose = g.drop_duplicates("dose").set_index("dose").reindex(doses)
        by_design = {d: g[g["design"] == d].set_index("dose").reindex(doses) for d in designs}
        correct = {d: by_design[d]["correct"].fillna(False).to_numpy(dtype=bool) for d in designs}
        # designs with different targets have different correct doses: then each design's are outlined
        shared = all(np.array_equal(correct[d], correct[designs[0]]) for d in designs)
        shaded = shaded or shared
        outlined = outlined or not shared
        x = np.arange(groups, dtype=float)
        if shared:
            for j in np.flatnonzero(correct[designs[0]]):
                ax.axvspan(j - 0.5, j + 0.5, color=CORRECT_SHADE, lw=0, zorder=0)
        for k, d in enumerate(designs):
            rows = by_design[d]
            y = rows["prob_select"].to_numpy(dtype=float)
            edge = np.append(correct[d], False) if with_none else correct[d]
            if with_none:
                y = np.append(y, sel_none[s][d])
            ax.bar(
                x + offsets[k],
                np.nan_to_num(y),
                width,
                color=cols[d],
                label=d,
                zorder=2,
                edgecolor=["black" if e and not shared else cols[d] for e in edge],
                linewidth=[1.3 if e and not shared else 0.0 for e in edge],
            )
            if not common_bench:
                b = rows["benchmark_prob_select"].to_numpy(dtype=float)
                ax.plot(x[:D] + offsets[k], b, ls="none", marker="_", ms=7, mew=1.6, color="black", zorder=3)
        if common_bench:
            b = per_dose["benchmark_prob_select"].to_numpy(dtype=float)
            if with_none:
                b = np.append(b, 0.0)
            ax.bar(
                x + offsets[K],
                np.nan_to_num(b),
                width,
                color="white",
                edgecolor=BENCHMARK_COLOUR,
                hatch="////",
                lw=0.6,
                label="optimal benchmark",
                zorder=2,
            )
        labels = [
            f"{per_dose.loc[dose, 'dose_label']}\n{per_dose.loc[dose, 'true_tox']:.2f}" for dose in doses
        ]
        if with_none:
            labels.append("none")
        ax.set_xticks(x, labels, fontsize=7.5)
        for j, tick in enumerate(ax.get_xticklabels()[:D]):
            if shared and correct[designs[0]][j]:
                tick.set_fontweight("bold")
                tick.set_color("#1b5e20")
        ax.set_xlim(-0.5, groups - 0.5)
        ax.set_ylim(0, 1)
        ax.set_title(str(s), fontsize=9, loc="left")
        if i % ncols == 0:
            ax.set_ylabel("P(select)")
        if i // ncols == nrows - 1 or i + ncols >= n:
            ax.set_xlabel("dose / true P(DLT)", fontsize=8)
        ax.tick_params(axis="x", length=0)
        _clean(ax)
    from matplotlib.patches import Patch

    handles = [Patch(color=cols[d], label=d) for d in designs]
    if common_bench:
        handles.append(_benchmark_handle("bar"))
    else:
        from matplotlib.lines import Line2D

        handles.append(
            Line2D([], [], ls="none", marker="_", ms=9, mew=1.6, color="black", label="optimal benchmark")
        )
    if shaded:
        handles.append(Patch(color=CORRECT_SHADE, label="correct dose"))
    if outlined:
        handles.append(
            Patch(facecolor="white", edgecolor="black", lw=1.3, label="correct dose (design's target)")
        )
    more = f" (first {n} of {len(chosen):,})" if len(chosen) > n else ""
    _suptitle(fig, f"Selection probabilities per dose{more}", _trials_note(oc_dose))
    _legend(fig, handles, ncols=min(len(handles), 7))
    return fig


@_needs_matplotlib
def plot_ranking(
    oc,
    metric: str = "pcs",
    *,
    higher_is_better: bool | None = None,
    colours: Mapping[str, str] | None = None,
) -> Figure:
    """How often each design ranks 1st, 2nd, ... among the designs across scenarios, on ``metric``.

    Ties share the better rank (two designs with the best PCS both count as 1st). Scenarios where
    any design has no value (NaN) are left out and counted in the title. The direction is known for
    pcs, efficiency and accuracy_index (higher is better) and for the overdosing metrics (lower is
    better); pass ``higher_is_better`` for any other column. Designs are sorted by mean rank, best on top.
    """
    import numpy as np

    if not isinstance(metric, str):
        raise DataError(f"metric={metric!r}: give the name of a column of oc, e.g. 'pcs'")
    _check(oc, [*OC_KEYS, metric], "oc")
    if higher_is_better is None:
        if metric in HIGHER_IS_BETTER:
            higher_is_better = True
        elif metric in LOWER_IS_BETTER:
            higher_is_better = False
        else:
            raise DataError(
                f"metric {metric!r}: whether higher or lower is better is not known; pass "
                "higher_is_better=True or False"
            )
    designs, scenarios = _designs(oc), _scenarios(oc)
    cols = design_colours(designs, colours)
    K = len(designs)
    table = _pivot(oc, metric, scenarios, designs).astype(float)
    complete = table.dropna()
    n_left_out = len(table) - len(complete)
    if complete.empty:
        raise DataError(f"metric {metric!r}: no scenario has a value for every design; choose another metric")
    ranks = complete.rank(axis=1, method="min", ascending=not higher_is_better).to_numpy(dtype=int)
    share = np.stack([(ranks == r).mean(axis=0) for r in range(1, K + 1)], axis=1)  # [design, rank]
    order = np.argsort(ranks.mean(axis=0), kind="stable")
    from matplotlib.colors import LinearSegmentedColormap, to_rgb
    from matplotlib.patches import Patch
    from matplotlib.transforms import offset_copy

    cmap = LinearSegmentedColormap.from_list("ranks", RANK_COLOURS)
    rank_colours = [cmap(r / max(K - 1, 1)) for r in range(K)]
    fig = _figure((9.5, max(3.2, 1.8 + 0.45 * K)))
    ax = fig.add_subplot()
    y = np.arange(K)[::-1]
    left = np.zeros(K)
    for r in range(K):
        w = share[order, r]
        ax.barh(
            y,
            w,
            left=left,
            height=0.66,
            color=rank_colours[r],
            edgecolor="white",
            lw=0.8,
            label=_ordinal(r + 1),
        )
        lum = np.dot(to_rgb(rank_colours[r]), (0.299, 0.587, 0.114))
        for yy, ll, ww in zip(y, left, w, strict=True):
            if ww >= 0.06:
                ax.text(
                    ll + ww / 2,
                    yy,
                    f"{100 * ww:.0f}%",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="black" if lum > 0.5 else "white",
                )
        left += w
    names = [designs[i] for i in order]
    ax.set_yticks(y, names, fontsize=9)
    mean_rank = ranks.mean(axis=0)[order]
    for yy, d, mr in zip(y, names, mean_rank, strict=True):
        swatch = offset_copy(ax.get_yaxis_transform(), fig=fig, x=-9, units="points")
        ax.plot(0, yy, marker="s", ms=8, color=cols[d], clip_on=False, transform=swatch)
        ax.text(1.01, yy, f"mean rank {mr:.2f}", transform=ax.get_yaxis_transform(), va="center", fontsize=8)
    ax.tick_params(axis="y", pad=18, length=0)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, K - 0.4)
    ax.xaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
    ax.set_xlabel("share of scenarios")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    label = METRIC_LABELS.get(metric, metric)
    better = "higher" if higher_is_better else "lower"
    note = f"rank 1 = best ({better} is better); ties share the better rank"
    if n_left_out:
        note += f"; {n_left_out} scenario{'s' if n_left_out > 1 else ''} without a value left out"
    _suptitle(fig, f"Ranking of the designs on {label} across {len(complete):,} scenarios", note)
    rank_handles = [Patch(color=rank_colours[r], label=_ordinal(r + 1)) for r in range(K)]
    _legend(fig, rank_handles, ncols=min(K, 10))
    return fig


# ---- all figures, and writing them -----------------------------------------------------------------------
@_needs_matplotlib
def sweep_figures(
    folder_or_frames, *, max_scenarios: int = 12, colours: Mapping[str, str] | None = None
) -> dict[str, Figure]:
    """Every figure of a sweep: a folder written by :func:`dosefind.sweep.run_study`, or a mapping with
    DataFrames ``oc`` (required) and ``oc_dose`` (optional: without it there is no selection figure), as
    returned by :func:`dosefind.sweep.summary.read_dataset`.

    Keys (file names for :func:`save_figures`): pcs, overdose, efficiency, selection, ranking_pcs,
    ranking_overdose.
    """
    if isinstance(folder_or_frames, (str, os.PathLike)):
        from ..sweep.summary import read_dataset

        data = read_dataset(folder_or_frames)
    elif isinstance(folder_or_frames, Mapping):
        data = folder_or_frames
    elif hasattr(folder_or_frames, "columns"):
        data = {"oc": folder_or_frames}
    else:
        raise DataError(
            "expected a sweep folder or a mapping of DataFrames (oc, oc_dose), got "
            f"{type(folder_or_frames).__name__}"
        )
    if "oc" not in data:
        raise DataError(
            "the sweep data has no 'oc' table; pass read_dataset(folder) or {'oc': ..., 'oc_dose': ...}"
        )
    oc = data["oc"]
    _check(oc, OC_KEYS, "oc")
    cols = design_colours(_designs(oc), colours)
    figs = {
        "pcs": plot_pcs(oc, colours=cols),
        "overdose": plot_overdose(oc, colours=cols),
        "efficiency": plot_efficiency(oc, colours=cols),
    }
    if data.get("oc_dose") is not None:
        figs["selection"] = plot_selection(data["oc_dose"], max_scenarios=max_scenarios, colours=cols)
    figs["ranking_pcs"] = plot_ranking(oc, "pcs", colours=cols)
    figs["ranking_overdose"] = plot_ranking(oc, "prob_select_above_mtd", colours=cols)
    return figs


#: where each format keeps a free-text description (provenance) in its file metadata
_DESCRIPTION_KEY = {"png": "Description", "svg": "Description", "pdf": "Subject"}


def save_figures(
    figs: Mapping[str, Figure],
    out_dir: str | Path,
    fmt: str = "png",
    *,
    dpi: int = DEFAULT_DPI,
    provenance: str | None = None,
) -> list[Path]:
    """Write each figure to ``out_dir/<name>.<fmt>`` (the folder is created if missing); returns the paths.

    ``provenance`` (e.g. the sweep's version, study hash and seed) goes into the file metadata of PNG, SVG
    and PDF files.

    Each file is written to a temporary name in the same folder and renamed, so a reader never sees half
    a figure and an interrupted run leaves the previous file in place.
    """
    _require_matplotlib()
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise DataError(f"out_dir: {out} is a file; give a folder (it is created if missing)")
    fmt = str(fmt).lower().lstrip(".")
    for name, fig in figs.items():
        if not isinstance(name, str) or not name or name in (".", "..") or "/" in name or os.sep in name:
            raise DataError(f"figure name {name!r}: use a plain file name without folders")
        supported = fig.canvas.get_supported_filetypes()
        if fmt not in supported:
            raise DataError(f"fmt={fmt!r}: not a figure format; use one of {', '.join(sorted(supported))}")
    out.mkdir(parents=True, exist_ok=True)
    metadata = None
    if provenance is not None and fmt in _DESCRIPTION_KEY:
        metadata = {_DESCRIPTION_KEY[fmt]: provenance}
    paths = []
    for name, fig in figs.items():
        path = out / f"{name}.{fmt}"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight", metadata=metadata)
        paths.append(path)
    return paths
