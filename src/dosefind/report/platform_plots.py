"""Platform figures: each arm's mean timeline (escalation, waiting for the responses at the RP2D,
extension) with the spread of the day the RP2D is known and of the close (10th to 90th percentile),
where the screened children went (matched per arm, not matched) and the children over calendar time
(screened, not matched and matched per arm, cumulative by month), one row per scenario. matplotlib on
its own Agg canvas (see :mod:`dosefind.report.plots`), imported lazily."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import atomic_path
from .plots import DEFAULT_DPI, _agg_figure, require_matplotlib

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from ..platforms.oc import PlatformStudyResult

PHASES = (("escalation", "#4c72b0"), ("waiting for responses", "#c8c8c8"), ("extension", "#55a868"))
#: the days whose 10th-90th percentile range is drawn over each arm's bar: (metric, label, colour, offset)
SPREADS = (
    ("rp2d_day", "RP2D known, 10-90%", "#1b2a4a", 0.18),
    ("close_day", "close, 10-90%", "#1e5631", -0.18),
)


def platform_figure(result: PlatformStudyResult) -> Figure:
    """Per scenario: the arms' mean days (opening, RP2D known, extension open, close) as bars with the 10th
    to 90th percentiles of the RP2D day and of the close as whiskers, and the mean children matched to
    each arm and not matched."""
    require_matplotlib("platform figures")
    scenarios = list(dict.fromkeys(r["scenario"] for r in result.rows))
    arms = [a.name for a in result.platform.arms]
    fig = _agg_figure((15.0, 1.2 + max(0.45 * len(arms), 2.6) * len(scenarios) + 0.6 * len(scenarios)))
    axes = fig.subplots(len(scenarios), 3, squeeze=False, width_ratios=[3, 1, 2])
    for row, scen in enumerate(scenarios):
        ax, bx, cx = axes[row]

        def v(arm, metric, scen=scen):
            return result.value(scen, arm, metric)[0]

        for i, arm in enumerate(arms):
            y = len(arms) - 1 - i
            points = [
                v(arm, "open_day"),
                v(arm, "rp2d_day"),
                v(arm, "extension_open_day"),
                v(arm, "close_day"),
            ]
            if math.isnan(points[2]):  # no extension ever opened: escalation, then the close
                points[2] = points[3]
            for k, (label, colour) in enumerate(PHASES):
                ax.barh(
                    y,
                    points[k + 1] - points[k],
                    left=points[k],
                    color=colour,
                    label=label if i == 0 else None,
                )
            for metric, label, colour, off in SPREADS:
                lo = _value(result, scen, arm, f"{metric}_q10")
                hi = _value(result, scen, arm, f"{metric}_q90")
                if not (math.isnan(lo) or math.isnan(hi)):
                    ax.plot(
                        [lo, hi],
                        [y + off, y + off],
                        color=colour,
                        linewidth=1.4,
                        marker="|",
                        markersize=9,
                        label=label if i == 0 else None,
                    )
        ax.set_yticks(range(len(arms)), list(reversed(arms)))
        ax.set_xlabel("day from the platform's opening")
        ax.set_title(f"{scen}: arm timelines (bars: means; whiskers: 10th-90th percentiles)", fontsize=10)
        if row == 0:
            ax.legend(fontsize=8, loc="lower right")
        counts = [v(arm, "mean_matched") for arm in arms] + [v("", "mean_not_matched")]
        names = arms + ["not matched"]
        bx.barh(range(len(names)), list(reversed(counts)), color=["#999999"] + ["#4c72b0"] * len(arms))
        bx.set_yticks(range(len(names)), list(reversed(names)))
        bx.set_xlabel("mean children per platform")
        bx.set_title("screened children", fontsize=10)
        _by_month(cx, result, scen, arms, legend=row == 0)
    return fig


def _value(result, scen: str, arm: str, metric: str) -> float:
    """A row's value, nan when the result has no such row."""
    try:
        return result.value(scen, arm, metric)[0]
    except KeyError:
        return math.nan


def _by_month(ax, result, scen: str, arms: list[str], legend: bool) -> None:
    """Mean cumulative children per platform by the end of each month: screened and not matched
    (dashed), matched per arm."""
    series: dict = {}
    for r in result.rows:
        if r["scenario"] == scen and r["metric"].endswith("_by_month"):
            key = r["arm"] if r["metric"] == "matched_by_month" else r["metric"]
            series.setdefault(key, []).append((int(r["level"].rstrip("+")), r["value"]))
    for arm in arms:
        if arm in series:
            x, y = zip(*series[arm], strict=True)
            ax.plot(x, y, label=arm)
    tx = ax.twinx()  # screened and not matched: tens of times more children, on their own axis
    style = {"screened_by_month": ("screened", "#333333"), "not_matched_by_month": ("not matched", "#999999")}
    for key, (label, colour) in style.items():
        if key in series:
            x, y = zip(*series[key], strict=True)
            tx.plot(x, y, linestyle="--", color=colour, label=f"{label} (right axis)")
    ax.set_xlabel("month from the platform's opening")
    ax.set_ylabel("matched per arm (cumulative mean)")
    tx.set_ylabel("screened, not matched")
    ax.set_title("children over time", fontsize=10)
    if legend:
        lines, labels = ax.get_legend_handles_labels()
        more, more_labels = tx.get_legend_handles_labels()
        ax.legend(lines + more, labels + more_labels, fontsize=7, loc="lower right")


def save_platform_figure(result: PlatformStudyResult, path: Path, dpi: int = DEFAULT_DPI) -> Path:
    """Write :func:`platform_figure` to ``path`` (PNG, atomically)."""
    fig = platform_figure(result)
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    return path
