"""The posterior figure of a two-drug design: a J x K heat map with the cells' numbers, not a dose axis."""

import numpy as np
import pytest

from dosefind.designs import BoinComb, PoCrm
from dosefind.live.recommend import recommend
from dosefind.outcomes import parse_outcomes
from dosefind.report.plots import (
    EXCLUDED_COLOUR,
    NEXT_COLOUR,
    figure_to_png_bytes,
    plot_grid_posterior,
    plot_posterior,
)

pytest.importorskip("matplotlib")

GRID = {
    "levels_a": ["1 mg", "2 mg", "3 mg"],
    "levels_b": ["10", "20"],
    "drug_a": "drug A",
    "drug_b": "drug B",
}


def _texts(ax):
    return {t.get_text() for t in ax.texts}


def _image(ax):
    (image,) = ax.get_images()
    return image.get_array()


def test_boin_comb_heat_map_has_counts_estimates_and_eliminations():
    design = BoinComb(target=0.3, max_n=30, grid=GRID)
    # 1.1 0/3, 2.1 1/3 then 3.1 3/3: 3.1 (and 3.2) eliminated, next cohort at a cell below
    rec = recommend(design, parse_outcomes("1.1NNN 2.1NTN 2.1NNN 3.1TTT", design.doses, cells=True))
    fig = plot_posterior(rec)  # dispatches to the heat map for a grid
    ax = fig.axes[0]
    values = _image(ax)
    assert values.shape == (3, 2)  # drug A levels (rows) x drug B levels (columns)
    # Beta(1, 1) posterior means of the tried cells; untried cells (prior only) are masked
    assert values[0, 0] == pytest.approx(1 / 5) and values[1, 0] == pytest.approx(2 / 8)
    assert values[2, 0] == pytest.approx(4 / 5)
    assert values.mask[0, 1] and values.mask[1, 1] and values.mask[2, 1]
    texts = _texts(ax)
    assert "1.1\nn 3, DLT 0\nP(DLT) 0.20" in texts
    assert "2.1\nn 6, DLT 1\nP(DLT) 0.25" in texts
    assert "3.1\nn 3, DLT 3\nP(DLT) 0.80\neliminated" in texts
    assert "3.2\nuntried\neliminated" in texts and "1.2\nuntried" in texts
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1: 10", "2: 20"]
    assert ax.get_ylabel() == "drug A (level j)" and ax.get_xlabel() == "drug B (level k)"
    frames = [
        p for p in ax.patches if p.get_edgecolor()[:3] == pytest.approx((0x2F / 255, 0x85 / 255, 0x5A / 255))
    ]
    assert len(frames) == 1 and NEXT_COLOUR == "#2f855a"
    x, y = frames[0].get_xy()
    k, j = round(x + 0.46), round(y + 0.46)
    assert design.doses[rec.next_dose] == f"{j + 1}.{k + 1}"
    assert figure_to_png_bytes(fig).startswith(b"\x89PNG")


def test_pocrm_heat_map_colours_untried_cells_and_greys_excluded_ones():
    design = PoCrm(
        target=0.3, max_n=24, grid={**GRID, "excluded": ["3.2"]}, skeleton_halfwidth=0.05, skeleton_nu=3
    )
    rec = recommend(design, parse_outcomes("1.1NNN 1.2NTN", design.doses, cells=True))
    fig = plot_grid_posterior(rec)
    ax = fig.axes[0]
    values = _image(ax)
    mean = np.asarray(rec.posterior.mean).reshape(3, 2)
    assert values.mask[2, 1] and not values.mask[:2].any() and not values.mask[2, 0]  # model-based: all shown
    assert np.allclose(values[:2], mean[:2]) and values[2, 0] == pytest.approx(mean[2, 0])
    assert "3.2\nexcluded" in _texts(ax)
    grey = [p for p in ax.patches if p.get_facecolor()[:3] == pytest.approx((0xBD / 255,) * 3)]
    assert len(grey) == 1 and EXCLUDED_COLOUR == "#bdbdbd" and grey[0].get_xy() == (0.5, 1.5)
    assert f"2.1\nuntried\nP(DLT) {mean[1, 0]:.2f}" in _texts(ax)


def test_a_large_grid_gets_compact_readable_cells():
    """A 2 x 16 grid: each tried cell shows only DLTs/n at 7 pt or more (the estimate is the colour), the
    figure grows with the grid, and the next cell is still framed."""
    big = {"levels_a": ["a0", "a1"], "levels_b": [f"b{i}" for i in range(16)]}
    design = BoinComb(target=0.3, max_n=30, grid=big)
    rec = recommend(design, parse_outcomes("1.1NNN 2.1NTN", design.doses, cells=True))
    fig = plot_posterior(rec)
    ax = fig.axes[0]
    assert _texts(ax) == {"0/3", "1/3"}
    assert min(t.get_fontsize() for t in ax.texts) >= 7
    width, height = fig.get_size_inches()
    assert width / 16 >= 0.6
    assert any(
        p.get_edgecolor()[:3] == pytest.approx((0x2F / 255, 0x85 / 255, 0x5A / 255)) for p in ax.patches
    )
    assert figure_to_png_bytes(fig).startswith(b"\x89PNG")
