"""Figures of a sweep of arms, platforms and baskets (``dosefind plot`` on such a folder).

Every function takes the tables of :func:`dosefind.sweep.unit_summary.summarize_units` and returns a
matplotlib Figure on its own Agg canvas, drawn with the point panels of :mod:`dosefind.report.sweep_plots`
(one point ±1.96 MCSE per category and series, series dodged inside each category):

* :func:`plot_arms`: per scenario, the arms' P(correct selection), P(no dose), P(go) of each expansion
  cohort and patients;
* :func:`plot_platform`: per arm of one platform, days to RP2D, P(go) of each expansion cohort and the
  children treated, one colour per scenario; and the children screened, treated and not matched;
* :func:`plot_basket_go`: P(go) per cohort, one panel per scenario, one colour per design (borrowing
  against no borrowing), the active cohorts shaded;
* :func:`plot_basket_trial`: per scenario, each design's FWER, P(any go) and patients;
* :func:`unit_figures` makes those the study has.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .sweep_plots import (
    CORRECT_SHADE,
    Z,
    _design_handles,
    _dot_panel,
    _dot_width,
    _figure,
    _legend,
    _needs_matplotlib,
    _suptitle,
    design_colours,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

#: at most this many basket scenarios get a P(go) panel each (the title says how many are left out)
MAX_BASKET_PANELS = 24
#: at most this many scenarios along an x axis, and as colours of a platform's figure (the first ones;
#: the title says how many are left out, and ``summarize`` lists them all)
MAX_X_SCENARIOS = 40
MAX_COLOUR_SCENARIOS = 10


def _first(names: list[str], most: int) -> tuple[list[str], str]:
    """The first ``most`` names and a note on the rest."""
    if len(names) <= most:
        return names, ""
    return names[:most], f"; the first {most} of {len(names):,} scenarios (summarize lists them all)"


def slug(name: str) -> str:
    """A file-name part from a subject's name: lower case, runs of other characters as one '-'."""
    return re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-") or "subject"


def _top(df, metric: str, probability: bool) -> float | None:
    """The y axis' top: 1 for probabilities that come near it, else a little above the largest point."""
    import numpy as np

    upper = df[metric].to_numpy(dtype=float) + Z * np.nan_to_num(df[metric + "_mcse"].to_numpy(dtype=float))
    top = float(np.nanmax(upper, initial=0.0))
    if probability:
        return 1.0 if top > 0.6 else max(0.05, min(1.0, 1.15 * top))
    return max(1.0, 1.08 * top)


def _panels(rows: list[tuple], series: list[str], colours):
    """One panel per row (frame, metric, label, probability, categories, xlabel): ``frame`` has columns
    ``scenario`` (the x categories) and ``design`` (the series) and the metric with its MCSE."""
    most = max(len(r[4]) for r in rows)
    width = min(18.0, max(_dot_width(most, len(series)), 1.4 + 1.2 * most))  # room for names under points
    col_width = (width - 1.4) / max(most, 1)
    rotate = max(len(c) for r in rows for c in r[4]) * 0.07 > 0.9 * col_width
    fig = _figure((width, 1.4 + (2.6 + (0.9 if rotate else 0.3)) * len(rows)))
    axes = fig.subplots(len(rows), 1, squeeze=False)[:, 0]
    for i, (ax, (df, metric, label, probability, categories, xlabel)) in enumerate(
        zip(axes, rows, strict=True)
    ):
        top = _top(df, metric, probability)
        _dot_panel(ax, df, metric, series, categories, colours, top=top, col_width=col_width)
        ax.set_ylabel(label, fontsize=9)
        if i == len(rows) - 1 or xlabel != rows[i + 1][5]:
            ax.set_xlabel(xlabel)
    return fig


def _as(df, x: str, colour: str):
    """``df`` with ``x`` as the panels' categories (column ``scenario``) and ``colour`` as their series
    (column ``design``); the table's own columns of those names give way."""
    out = df.drop(columns=[c for c in ("scenario", "design") if c not in (x, colour)], errors="ignore")
    out = out.rename(columns={x: "scenario", colour: "design"})
    out["scenario"] = out["scenario"].astype(str)
    out["design"] = out["design"].astype(str)
    return out


def _trials(manifest: dict | None) -> str:
    return f"{manifest['n_trials']:,} simulated trials per unit; ±1.96 MCSE" if manifest else "±1.96 MCSE"


@_needs_matplotlib
def plot_arms(s: dict) -> Figure:
    """Per scenario (x), one colour per arm: P(correct selection), P(no dose), P(go) of each expansion
    cohort, mean patients (escalation + expansion)."""
    scen = s["arm_scenarios"]
    arms = [str(a) for a in dict.fromkeys(scen["arm"])]
    scenarios, left = _first([str(x) for x in dict.fromkeys(scen["scenario"])], MAX_X_SCENARIOS)
    scen = scen[scen["scenario"].astype(str).isin(scenarios)]
    base = _as(scen, "scenario", "arm")
    frames = [
        (base, "prob_select_correct", "P(correct selection)", True),
        (base, "prob_select_none", "P(no dose)", True),
    ]
    cohorts = s["arm_cohorts"]
    for c in dict.fromkeys(cohorts["cohort"]):
        frames.append(
            (_as(cohorts[cohorts["cohort"] == c], "scenario", "arm"), "prob_active", f"P(go) {c}", True)
        )
    frames.append((base, "mean_total_n", "mean patients", False))
    cols = design_colours(arms)
    fig = _panels([(*f, scenarios, "scenario") for f in frames], arms, cols)
    _suptitle(fig, "Arms by scenario", _trials(s.get("manifest")) + left)
    _legend(fig, _design_handles(arms, cols))
    return fig


@_needs_matplotlib
def plot_platform(s: dict, platform: str) -> Figure:
    """One platform: per arm (x), one colour per scenario, days to RP2D, P(go) of each expansion cohort and
    children treated on the arm; then children screened, treated and not matched per platform."""
    import pandas as pd

    pa = s["platform_arms"]
    pa = pa[pa["platform"] == platform]
    pc = s["platform_cohorts"]
    pc = pc[pc["platform"] == platform]
    arms = [str(a) for a in dict.fromkeys(pa["arm"])]
    scenarios, left = _first([str(x) for x in dict.fromkeys(pa["scenario"])], MAX_COLOUR_SCENARIOS)
    pa = pa[pa["scenario"].astype(str).isin(scenarios)]
    pc = pc[pc["scenario"].astype(str).isin(scenarios)]
    base = _as(pa, "arm", "scenario")
    frames = [(base, "days_to_rp2d", "days to RP2D", False)]
    for c in dict.fromkeys(pc["cohort"]):
        frames.append((_as(pc[pc["cohort"] == c], "arm", "scenario"), "prob_go", f"P(go) {c}", True))
    frames.append((base, "mean_matched", "children treated", False))
    totals = s["platforms"]
    totals = totals[(totals["platform"] == platform) & totals["scenario"].astype(str).isin(scenarios)]
    kinds = {"mean_screened": "screened", "mean_treated": "treated", "mean_not_matched": "not matched"}
    children = [
        {"scenario": label, "design": str(r["scenario"]), "n": r[m], "n_mcse": r[m + "_mcse"]}
        for r in totals.to_dict("records")
        for m, label in kinds.items()
    ]
    rows = [(*f, arms, "arm") for f in frames]
    rows.append((pd.DataFrame(children), "n", "children per platform", False, list(kinds.values()), ""))
    cols = design_colours(scenarios)
    fig = _panels(rows, scenarios, cols)
    _suptitle(fig, f"Platform {platform!r}: arms by scenario", _trials(s.get("manifest")) + left)
    _legend(fig, _design_handles(scenarios, cols))
    return fig


@_needs_matplotlib
def plot_basket_go(s: dict, basket: str) -> Figure:
    """One basket: P(go) per cohort (x), one panel per scenario, one colour per design; active cohorts
    (true rate above q0: their P(go) is power) shaded, the others' P(go) is their type I error."""
    bc = s["basket_cohorts"]
    bc = bc[bc["basket"] == basket]
    designs = [str(d) for d in dict.fromkeys(bc["design"])]
    scenarios = [str(x) for x in dict.fromkeys(bc["scenario"])]
    shown, left = _first(scenarios, MAX_BASKET_PANELS)
    cohorts = [str(c) for c in dict.fromkeys(bc["cohort"])]
    ncols = min(3, len(shown))
    nrows = -(-len(shown) // ncols)
    width = min(18.0, max(7.0, ncols * (1.0 + len(cohorts) * (0.3 + 0.1 * len(designs)))))
    fig = _figure((width, 1.5 + 2.5 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
    cols = design_colours(designs)
    col_width = (width / ncols - 0.8) / max(len(cohorts), 1)
    for i, scen in enumerate(shown):
        ax = axes[i // ncols][i % ncols]
        df = _as(bc[bc["scenario"] == scen], "cohort", "design")
        _dot_panel(ax, df, "prob_go", designs, cohorts, cols, top=1.0, col_width=col_width)
        for k, c in enumerate(cohorts):  # over the panel's alternate grey columns, under the points
            role = df.loc[df["scenario"] == c, "role"]
            if len(role) and role.iloc[0] == "active":
                ax.axvspan(k - 0.5, k + 0.5, color=CORRECT_SHADE, lw=0, zorder=0.5)
        ax.set_title(scen, fontsize=9.5)
        if i % ncols == 0:
            ax.set_ylabel("P(go)", fontsize=9)
    for j in range(len(shown), nrows * ncols):
        axes[j // ncols][j % ncols].set_visible(False)
    note = _trials(s.get("manifest")) + "; shaded: active cohorts (P(go) is power), others: type I error"
    note += left
    _suptitle(fig, f"Basket {basket!r}: P(go) per cohort by scenario", note)
    _legend(fig, _design_handles(designs, cols))
    return fig


@_needs_matplotlib
def plot_basket_trial(s: dict, basket: str) -> Figure:
    """One basket: per scenario (x), one colour per design: FWER (a go in a cohort at or below q0),
    P(any go) and mean patients."""
    bs = s["basket_scenarios"]
    bs = bs[bs["basket"] == basket]
    designs = [str(d) for d in dict.fromkeys(bs["design"])]
    scenarios, left = _first([str(x) for x in dict.fromkeys(bs["scenario"])], MAX_X_SCENARIOS)
    base = _as(bs[bs["scenario"].astype(str).isin(scenarios)], "scenario", "design")
    frames = [
        (base, "fwer", "FWER", True),
        (base, "prob_any_go", "P(any go)", True),
        (base, "mean_total_n", "mean patients", False),
    ]
    cols = design_colours(designs)
    fig = _panels([(*f, scenarios, "scenario") for f in frames], designs, cols)
    _suptitle(fig, f"Basket {basket!r}: trial-level results by scenario", _trials(s.get("manifest")) + left)
    _legend(fig, _design_handles(designs, cols))
    return fig


def _free(figs: dict, name: str) -> str:
    """``name``, or ``name-2``, ``name-3`` ... when two subjects' names give the same file name."""
    stem, ext = (name[: -len("-go")], "-go") if name.endswith("-go") else (name, "")
    k = 1
    while name in figs:
        k += 1
        name = f"{stem}-{k}{ext}"
    return name


@_needs_matplotlib
def unit_figures(s: dict) -> dict[str, Figure]:
    """The figures of the kinds the summary has. Keys (file names): ``arms``, ``platform-<name>``,
    ``basket-<name>-go``, ``basket-<name>-trial``."""
    figs: dict[str, Figure] = {}
    if "arm_scenarios" in s and len(s["arm_scenarios"]):
        figs["arms"] = plot_arms(s)
    if "platform_arms" in s:
        for p in dict.fromkeys(s["platform_arms"]["platform"]):
            figs[_free(figs, f"platform-{slug(p)}")] = plot_platform(s, p)
    if "basket_cohorts" in s:
        for b in dict.fromkeys(s["basket_cohorts"]["basket"]):
            name = _free(figs, f"basket-{slug(b)}-go")[: -len("-go")]
            figs[f"{name}-go"] = plot_basket_go(s, b)
            figs[f"{name}-trial"] = plot_basket_trial(s, b)
    return figs


__all__ = ["plot_arms", "plot_basket_go", "plot_basket_trial", "plot_platform", "unit_figures"]
