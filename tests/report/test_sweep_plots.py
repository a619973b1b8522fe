"""Figures of a sweep dataset: structure of every figure, consistent design colours, NaN handling, files."""

import math

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.container import BarContainer, ErrorbarContainer  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from dosefind.errors import DataError, DosefindError  # noqa: E402
from dosefind.report.sweep_plots import (  # noqa: E402
    DESIGN_PALETTE,
    design_colours,
    plot_efficiency,
    plot_overdose,
    plot_pcs,
    plot_ranking,
    plot_selection,
    save_figures,
    sweep_figures,
)
from dosefind.sweep import run_study, study_from_dict  # noqa: E402
from dosefind.sweep.summary import read_dataset  # noqa: E402

from ..conftest import SCENARIOS  # noqa: E402

DESIGNS = ["BOIN", "CRM", "3+3"]
N_FIXED = 6  # scenarios of target30-6dose.toml
N_RANDOM = 30


def _study(designs, n_trials=200, random=N_RANDOM, scenarios=None):
    st = {
        "name": "plots",
        "n_trials": n_trials,
        "seed": 3,
        "scenario_files": [str(SCENARIOS / "target30-6dose.toml")],
    }
    d = {"study": st, "designs": designs}
    if random:
        d["random_scenarios"] = [
            {
                "generator": "liu_yuan",
                "count": random,
                "seed": 5,
                "prefix": "ly",
                "params": {"n_doses": 6, "target": 0.3},
            }
        ]
    if scenarios is not None:
        del st["scenario_files"]
        d["scenarios"] = scenarios
    return study_from_dict(d)


SIX_DOSE = [
    {"name": "BOIN", "kind": "boin", "target": 0.3, "n_doses": 6, "cohort_size": 3, "max_n": 36},
    {
        "name": "CRM",
        "kind": "crm",
        "target": 0.3,
        "n_doses": 6,
        "cohort_size": 3,
        "max_n": 36,
        "skeleton_halfwidth": 0.05,
        "skeleton_nu": 3,
    },
    {"name": "3+3", "kind": "three_plus_three", "target": 0.3, "n_doses": 6, "deescalation": True},
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """36 scenarios (6 fixed + 30 random) x BOIN, CRM, 3+3 x 200 trials: a finished sweep folder."""
    out = tmp_path_factory.mktemp("sweep") / "out"
    run = run_study(_study(SIX_DOSE), out, backend="serial")
    assert run.outputs
    return out


@pytest.fixture(scope="module")
def data(folder):
    return read_dataset(folder)


@pytest.fixture(scope="module")
def many(data):
    return data["oc"]


@pytest.fixture(scope="module")
def few(data):
    oc = data["oc"]
    return oc[oc["scenario_index"] < N_FIXED].reset_index(drop=True)


@pytest.fixture(scope="module")
def hetero(tmp_path_factory):
    """3+3 with another target than BOIN and CRM: other correct doses, other benchmark."""
    designs = [dict(d) for d in SIX_DOSE]
    designs[2]["target"] = 0.25
    out = tmp_path_factory.mktemp("sweep") / "hetero"
    run_study(_study(designs, n_trials=100, random=0), out, backend="serial")
    return read_dataset(out)


def _legend_labels(fig):
    assert len(fig.legends) == 1
    return [t.get_text() for t in fig.legends[0].get_texts()]


def _legend_colours(fig):
    """Legend label -> colour of its handle (line or patch)."""
    leg = fig.legends[0]
    out = {}
    for text, handle in zip(leg.get_texts(), leg.legend_handles, strict=True):
        colour = handle.get_color() if hasattr(handle, "get_markerfacecolor") else handle.get_facecolor()
        out[text.get_text()] = to_hex(colour)
    return out


def _errorbars(ax):
    return [c for c in ax.containers if isinstance(c, ErrorbarContainer)]


def _bars(ax):
    return [c for c in ax.containers if isinstance(c, BarContainer)]


def _boxes(ax):
    return [p for p in ax.patches if type(p).__name__ == "PathPatch"]


# ---- the dataset the figures are made of -------------------------------------------------------------------
def test_dataset_shape(data, many, few):
    assert many["scenario"].nunique() == N_FIXED + N_RANDOM
    assert list(dict.fromkeys(many["design"])) == DESIGNS
    assert few["scenario"].nunique() == N_FIXED
    assert len(data["oc_dose"]) == len(many) * 6


# ---- PCS ---------------------------------------------------------------------------------------------------
def test_pcs_few_scenarios_has_points_with_error_bars_per_design(few):
    fig = plot_pcs(few)
    assert isinstance(fig, Figure)
    assert fig.canvas.manager is None  # an Agg canvas of its own, not a pyplot figure
    (ax,) = fig.axes
    bars = _errorbars(ax)
    assert [c.get_label() for c in bars] == DESIGNS
    for c in bars:
        data_line, _caps, (yerr,) = c.lines
        assert len(data_line.get_xdata()) == N_FIXED
        assert len(yerr.get_segments()) == N_FIXED
        # the bars are ±1.96 MCSE
        seg = np.asarray(yerr.get_segments()[0])
        row = few[(few["design"] == c.get_label())].sort_values("scenario_index").iloc[0]
        assert seg[1, 1] - seg[0, 1] == pytest.approx(2 * 1.96 * row["pcs_mcse"])
    assert _legend_labels(fig) == [*DESIGNS, "optimal benchmark"]
    assert len(ax.get_xticklabels()) == N_FIXED
    assert "S1" in ax.get_xticklabels()[0].get_text()
    assert fig.get_suptitle().startswith("Probability of correct selection")


def test_pcs_many_scenarios_shows_distributions(many):
    fig = plot_pcs(many)
    ax_box, ax_cdf = fig.axes
    assert not _errorbars(ax_box)
    assert len(_boxes(ax_box)) == len(DESIGNS)
    assert [t.get_text() for t in ax_box.get_yticklabels()] == DESIGNS
    labels = [ln.get_label() for ln in ax_cdf.get_lines()]
    assert labels == [*DESIGNS, "optimal benchmark"]
    # the distribution function reaches 1 over all scenarios
    assert ax_cdf.get_lines()[0].get_ydata()[-1] == pytest.approx(1.0)
    assert _legend_labels(fig) == [*DESIGNS, "optimal benchmark"]
    assert "36 scenarios" in fig.get_suptitle()


def test_per_scenario_can_be_forced(many, few):
    assert len(plot_pcs(few, per_scenario=False).axes) == 2
    fig = plot_pcs(many, per_scenario=True)  # 36 x 3 points: wrapped into rows
    assert len(fig.axes) >= 2
    assert sum(len(ax.get_xticklabels()) for ax in fig.axes) == N_FIXED + N_RANDOM
    assert all(len(_errorbars(ax)) == len(DESIGNS) for ax in fig.axes)


# ---- overdosing --------------------------------------------------------------------------------------------
def test_overdose_few_and_many(few, many):
    fig = plot_overdose(few)
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert [c.get_label() for c in _errorbars(ax)] == DESIGNS
        assert all(len(c.lines[2][0].get_segments()) == N_FIXED for c in _errorbars(ax))
    assert fig.axes[0].get_title(loc="left") == "P(select a dose above the MTD)"
    assert _legend_labels(fig) == DESIGNS
    fig = plot_overdose(many)
    assert len(fig.axes) == 2
    assert all(len(_boxes(ax)) == len(DESIGNS) for ax in fig.axes)
    assert "prob" not in fig.axes[0].get_xlabel()  # readable labels, not column names
    assert _legend_labels(fig) == DESIGNS


# ---- efficiency --------------------------------------------------------------------------------------------
def test_efficiency_has_reference_line_and_scatter(many):
    fig = plot_efficiency(many)
    ax_box, ax_sc = fig.axes
    assert len(_boxes(ax_box)) == len(DESIGNS)
    assert any(np.allclose(ln.get_xdata(), 1.0) for ln in ax_box.get_lines())  # reference line at 1
    scatters = [c for c in ax_sc.collections if c.get_label() in DESIGNS]
    assert [c.get_label() for c in scatters] == DESIGNS
    for c in scatters:
        assert len(c.get_offsets()) == N_FIXED + N_RANDOM
    assert _legend_labels(fig) == [*DESIGNS, "optimal benchmark (efficiency 1)"]


def test_efficiency_diamond_is_the_pooled_ratio_not_the_mean_of_ratios(many):
    """The diamond sits at sum(PCS) / sum(benchmark PCS) (what `summarize` reports), not at the mean of
    per-scenario ratios, which one scenario with a tiny benchmark PCS can drag to the edge."""
    oc = many.copy()
    one = oc.index[oc["design"] == DESIGNS[0]][0]
    oc.loc[one, ["benchmark_pcs", "efficiency"]] = [1e-4, oc.loc[one, "pcs"] / 1e-4]
    fig = plot_efficiency(oc)
    ax_box = fig.axes[0]
    diamonds = [ln for ln in ax_box.get_lines() if ln.get_marker() == "D"]
    assert len(diamonds) == len(DESIGNS)
    for ln, d in zip(diamonds, DESIGNS, strict=True):
        sub = oc[oc["design"] == d]
        assert ln.get_xdata()[0] == pytest.approx(sub["pcs"].sum() / sub["benchmark_pcs"].sum())
    assert "pooled" in ax_box.get_title()


def test_efficiency_nan_and_huge_values_are_reported_not_drawn_wrongly(many, tmp_path):
    oc = many.copy()
    name = oc["scenario"].iloc[0]
    nan_rows = oc["scenario"] == name
    oc.loc[nan_rows, ["benchmark_pcs", "efficiency", "efficiency_mcse"]] = [0.0, math.nan, math.nan]
    big = oc.index[oc["scenario"] == oc["scenario"].iloc[-1]][0]
    oc.loc[big, "efficiency"] = 9.0
    fig = plot_efficiency(oc)
    title = fig.axes[0].get_title()
    assert f"1 scenario without efficiency ({name})" in title
    assert "> 2 drawn at the edge" in title
    assert fig.axes[0].get_xlim()[1] < 2.5
    (path,) = save_figures({"efficiency": fig}, tmp_path)  # renders (warnings are errors)
    assert path.stat().st_size > 5000


def test_ranking_skips_scenarios_without_a_value(many):
    oc = many.copy()
    oc.loc[oc["scenario"] == oc["scenario"].iloc[0], "efficiency"] = math.nan
    fig = plot_ranking(oc, "efficiency")
    assert "1 scenario without a value left out" in fig.get_suptitle()
    assert f"across {N_FIXED + N_RANDOM - 1} scenarios" in fig.get_suptitle()


# ---- selection ---------------------------------------------------------------------------------------------
def test_selection_panels_bars_and_correct_doses(data):
    oc_dose = data["oc_dose"]
    fig = plot_selection(oc_dose, max_scenarios=4)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 4
    assert "first 4 of 36" in fig.get_suptitle()
    for ax in visible:
        bars = _bars(ax)
        assert [c.get_label() for c in bars] == [*DESIGNS, "optimal benchmark"]
        n = len(bars[0])
        assert n in (6, 7)  # 6 doses, and 'none' when a design sometimes selects no dose
        assert all(len(c) == n for c in bars)
        name = ax.get_title(loc="left")
        rows = oc_dose[(oc_dose["scenario"] == name) & (oc_dose["design"] == "BOIN")].sort_values("dose")
        # bar heights are the selection probabilities, tick labels carry the true P(DLT)
        heights = [b.get_height() for b in bars[0]][:6]
        assert np.allclose(heights, rows["prob_select"])
        ticks = [t.get_text() for t in ax.get_xticklabels()][:6]
        assert [t.split("\n")[1] for t in ticks] == [f"{p:.2f}" for p in rows["true_tox"]]
        bold = [t.get_fontweight() == "bold" for t in ax.get_xticklabels()[:6]]
        assert bold == rows["correct"].tolist()
    assert _legend_labels(fig) == [*DESIGNS, "optimal benchmark", "correct dose"]


def test_selection_named_scenarios_and_errors(data):
    oc_dose = data["oc_dose"]
    fig = plot_selection(oc_dose, scenarios=["S6", "S2"])
    assert [ax.get_title(loc="left") for ax in fig.axes if ax.get_visible()] == ["S6", "S2"]
    with pytest.raises(DataError, match="'nope' not in oc_dose"):
        plot_selection(oc_dose, scenarios=["S1", "nope"])
    with pytest.raises(DataError, match="max_scenarios"):
        plot_selection(oc_dose, max_scenarios=0)


def test_selection_with_design_specific_targets(hetero):
    """3+3 at target 0.25: its own correct doses (outlined) and its own benchmark (dashes)."""
    fig = plot_selection(hetero["oc_dose"])
    labels = _legend_labels(fig)
    assert "correct dose (design's target)" in labels
    ax = fig.axes[0]
    assert [c.get_label() for c in _bars(ax)] == DESIGNS  # no common benchmark bar
    # and the PCS figure draws one benchmark mark per design where they differ
    fig = plot_pcs(hetero["oc"])
    assert _legend_labels(fig) == [*DESIGNS, "optimal benchmark"]


# ---- ranking -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("metric, higher", [("pcs", True), ("prob_select_above_mtd", False)])
def test_ranking_stacks_ranks_per_design(many, metric, higher):
    fig = plot_ranking(many, metric)
    (ax,) = fig.axes
    bars = _bars(ax)
    K = len(DESIGNS)
    assert [c.get_label() for c in bars] == ["1st", "2nd", "3rd"]
    assert all(len(c) == K for c in bars)
    shares = np.array([[b.get_width() for b in c] for c in bars])  # [rank, design as drawn]
    assert np.allclose(shares.sum(axis=0), 1.0)
    # the same shares from pandas directly (ties share the better rank)
    table = many.pivot(index="scenario", columns="design", values=metric)
    ranks = table.rank(axis=1, method="min", ascending=not higher)
    drawn_top_down = [t.get_text() for t in ax.get_yticklabels()]  # best mean rank on top
    mean_rank = ranks.mean()
    assert drawn_top_down == sorted(DESIGNS, key=lambda d: (mean_rank[d], DESIGNS.index(d)))
    for k, d in enumerate(drawn_top_down):
        got = [c[k].get_width() for c in bars]
        want = [(ranks[d] == r + 1).mean() for r in range(K)]
        assert np.allclose(got, want), d
    assert ("higher is better" if higher else "lower is better") in fig.get_suptitle()
    assert _legend_labels(fig) == ["1st", "2nd", "3rd"]


def test_ranking_direction_must_be_known(many):
    with pytest.raises(DataError, match="higher_is_better"):
        plot_ranking(many, "mean_n")
    fig = plot_ranking(many, "mean_n", higher_is_better=False)
    assert "lower is better" in fig.get_suptitle()


# ---- colours, all figures, files ---------------------------------------------------------------------------
def test_design_colours_are_the_same_in_every_figure(folder, many):
    figs = sweep_figures(folder)
    assert set(figs) == {"pcs", "overdose", "efficiency", "selection", "ranking_pcs", "ranking_overdose"}
    assert all(isinstance(f, Figure) for f in figs.values())
    expected = {d: to_hex(c) for d, c in zip(DESIGNS, DESIGN_PALETTE, strict=False)}
    assert design_colours(many["design"]) == expected
    for key in ("pcs", "overdose", "efficiency", "selection"):
        colours = _legend_colours(figs[key])
        assert {d: colours[d] for d in DESIGNS} == expected, key
    # and the artists themselves: curves of the PCS figure, boxes of the overdose figure
    cdf = figs["pcs"].axes[1]
    assert {ln.get_label(): to_hex(ln.get_color()) for ln in cdf.get_lines()[: len(DESIGNS)]} == expected
    boxes = _boxes(figs["overdose"].axes[0])
    assert [to_hex(b.get_facecolor()) for b in boxes] == list(expected.values())
    # the ranking figure marks each design with its colour next to its name
    ax = figs["ranking_pcs"].axes[0]
    swatches = [ln for ln in ax.get_lines() if ln.get_marker() == "s"]
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert {n: to_hex(s.get_color()) for n, s in zip(names, swatches, strict=True)} == expected


def test_colours_can_be_overridden_and_many_designs_get_distinct_ones(few):
    fig = plot_pcs(few, colours={"CRM": "#000000"})
    assert _legend_colours(fig)["CRM"] == "#000000"
    bars = {c.get_label(): to_hex(c.lines[0].get_color()) for c in _errorbars(fig.axes[0])}
    assert bars == {"BOIN": DESIGN_PALETTE[0], "CRM": "#000000", "3+3": DESIGN_PALETTE[2]}
    names = [f"design-{i}" for i in range(14)]
    colours = design_colours(names)
    assert len(set(colours.values())) == 14


def test_sweep_figures_from_frames(data):
    figs = sweep_figures({"oc": data["oc"]})
    assert "selection" not in figs and "pcs" in figs
    figs = sweep_figures(data, max_scenarios=2)
    assert sum(ax.get_visible() for ax in figs["selection"].axes) == 2
    with pytest.raises(DataError, match="no 'oc' table"):
        sweep_figures({"oc_dose": data["oc_dose"]})
    with pytest.raises(DataError, match="sweep folder or a mapping"):
        sweep_figures(42)


def test_save_figures_writes_png_files_atomically(data, tmp_path):
    figs = sweep_figures(data)
    out = tmp_path / "figures" / "new"
    paths = save_figures(figs, out)
    assert [p.name for p in paths] == [f"{k}.png" for k in figs]
    for p in paths:
        blob = p.read_bytes()
        assert len(blob) > 5000 and blob[:8] == b"\x89PNG\r\n\x1a\n"
        assert p.stat().st_mode & 0o044  # readable like any other file, not owner-only
    assert sorted(x.name for x in out.iterdir()) == sorted(p.name for p in paths)  # no temp files left
    # writing again replaces the files
    again = save_figures({"pcs": figs["pcs"]}, out, fmt="svg")
    assert again[0].read_text(encoding="utf-8").lstrip().startswith("<?xml")
    with pytest.raises(DataError, match="not a figure format"):
        save_figures({"pcs": figs["pcs"]}, out, fmt="docx")
    with pytest.raises(DataError, match="plain file name"):
        save_figures({"../pcs": figs["pcs"]}, out)
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataError, match="is a file"):
        save_figures({"pcs": figs["pcs"]}, tmp_path / "file")


# ---- bad input ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "func, table, column",
    [
        (plot_pcs, "oc", "pcs_mcse"),
        (plot_overdose, "oc", "prop_treated_above_mtd"),
        (plot_efficiency, "oc", "efficiency"),
        (plot_ranking, "oc", "pcs"),
        (plot_selection, "oc_dose", "true_tox"),
        (plot_selection, "oc_dose", "correct"),
    ],
)
def test_missing_column_raises_a_data_error_naming_it(data, func, table, column):
    df = data[table].drop(columns=[column])
    with pytest.raises(DataError, match=f"{table} has no column '{column}'") as err:
        func(df)
    assert isinstance(err.value, DosefindError)


def test_other_bad_input(data, few):
    with pytest.raises(DataError, match="expected a pandas DataFrame"):
        plot_pcs({"pcs": [0.5]})
    with pytest.raises(DataError, match="no rows"):
        plot_pcs(few.iloc[:0])
    with pytest.raises(DataError, match="repeated"):
        plot_pcs(pd.concat([few, few]))
    with pytest.raises(DataError, match="metric"):
        plot_ranking(few, 3)
