"""PO-CRM explanations carry the model's numbers: the ordering the decision used (number and name), its
posterior probability (weight with likelihood estimation), how it was chosen (most probable, a tie broken
by u_tie, or drawn with u_tie) and the estimate at the chosen cell against the target. Every number in
the sentence is checked against ``pocrm_posterior_summary`` on concrete data, and the ordering against
the kernel's rule for the decision's uniform."""

import math
import re

import numpy as np
import pytest

from dosefind.constants import Reason, Status
from dosefind.designs import PoCrm
from dosefind.designs.grid import DoseGrid
from dosefind.engine.pocrm import pocrm_posterior_summary
from dosefind.live.recommend import recommend
from dosefind.outcomes import parse_outcomes
from dosefind.report.recommendation import format_recommendation

GRID = DoseGrid(levels_a=("1", "2", "3"), levels_b=("1", "2", "3", "4"))
SKELETON = (0.02, 0.05, 0.09, 0.14, 0.2, 0.27, 0.34, 0.41, 0.48, 0.55, 0.62, 0.68)
DESIGN = PoCrm(target=0.3, grid=GRID, max_n=36, skeleton=SKELETON)
NAMES = DESIGN.ordering_names()

SENTENCE = re.compile(
    r"(?P<how>.*?); under it the estimated P\(DLT\) \((?P<which>plug-in|maximum likelihood)\) at cell "
    r"(?P<cell>\d\.\d) = (?P<estimate>\d\.\d{3}) is closest to the target (?P<target>[\d.]+)"
)


def _run(design, text):
    data = parse_outcomes(text, design.doses, cells=True)
    rec = recommend(design, data)
    s = pocrm_posterior_summary(design, *data.counts())
    return rec, s


def _check_estimate(design, rec, s, m: int, line: str) -> re.Match:
    """The sentence's cell, estimate and target are the summary's plug-in under ordering m."""
    found = SENTENCE.search(line)
    assert found, line
    cell = design.doses.index(found["cell"])
    assert cell == rec.next_dose or rec.status != Status.CONTINUE
    estimate = design.alpha()[m, cell] ** math.exp(s["b_hat"][m])
    assert found["estimate"] == f"{estimate:.3f}"
    assert float(found["target"]) == design.target
    # the chosen cell is the one whose estimate under m is closest to the target
    plugin = design.alpha()[m] ** math.exp(s["b_hat"][m])
    assert cell == int(np.nanargmin(np.abs(plugin - design.target)))
    if m == s["ordering"]:
        assert found["estimate"] == f"{s['plugin'][cell]:.3f}"
    return found


def test_most_probable_ordering():
    rec, s = _run(DESIGN, "1.1NNN 1.2NNN 2.1NTN 1.3TNN")
    assert rec.base_reason == Reason.POCRM_MODEL and rec.next_label == "2.2"
    m = int(s["ordering"])
    prob = s["ordering_prob"][m]
    assert np.sum(s["ordering_prob"] >= prob * (1 - 1e-9)) == 1  # no tie on these data
    line = rec.explanation[0]
    assert line.startswith(
        f"ordering {m + 1} ({NAMES[m]}) is the most probable (posterior probability {prob:.3f})"
    )
    found = _check_estimate(DESIGN, rec, s, m, line)
    assert found["which"] == "plug-in" and line.endswith(": cell 2.2")
    o = rec.to_dict()["ordering"]
    assert (o["index"], o["name"], o["randomised"], o["tied"], o["cell"]) == (
        m + 1,
        NAMES[m],
        False,
        [],
        "2.2",
    )
    assert o["prob"] == pytest.approx(prob, rel=1e-12) and o["b_hat"] == pytest.approx(
        s["b_hat"][m], rel=1e-12
    )


def test_tied_orderings_name_the_uniform_and_the_one_it_chose():
    """One DLT at 1.1 only: every ordering ranks the only tried cell first, so all six tie."""
    rec, s = _run(DESIGN, "1.1NNT")
    M = len(DESIGN.orderings)
    np.testing.assert_allclose(s["ordering_prob"], 1 / M, rtol=1e-12)
    m = min(int(rec.u_tie * M), M - 1)  # choose_ordering: the int(u * n_tied)-th tied ordering
    line = rec.explanation[0]
    assert line.startswith(
        "orderings 1, 2, 3, 4, 5 and 6 are the most probable, tied "
        f"(posterior probability {1 / M:.3f} each); the tie is broken at random: u_tie = {rec.u_tie:.4f} "
        f"(derived from the data's content hash) chose ordering {m + 1} ({NAMES[m]})"
    )
    _check_estimate(DESIGN, rec, s, m, line)
    assert rec.detail.index == m and rec.detail.tied == tuple(range(M))
    assert rec.to_dict()["ordering"]["tied"] == list(range(1, M + 1))


def test_ordering_drawn_at_random():
    design = DESIGN.replace(ordering_choice="random")
    rec, s = _run(design, "1.1NNN 1.2NNN 2.1NTN 1.3TNN")
    m = int(np.searchsorted(np.cumsum(s["ordering_prob"]), rec.u_tie, side="right"))  # u < cumulative
    line = rec.explanation[0]
    assert line.startswith(
        f"ordering {m + 1} ({NAMES[m]}) was drawn at random with its posterior probability "
        f'({s["ordering_prob"][m]:.3f}; ordering_choice = "random"): u_tie = {rec.u_tie:.4f}'
    )
    _check_estimate(design, rec, s, m, line)
    assert rec.detail.randomised and rec.detail.tied == ()


def test_likelihood_estimation_gives_the_weight_and_the_mle_estimate():
    design = DESIGN.replace(estimation="likelihood")
    rec, s = _run(design, "1.1NNN 1.2NNN 2.1NTN 1.3TNN 2.2TTN")
    m = int(s["ordering"])
    line = rec.explanation[0]
    assert line.startswith(
        f"ordering {m + 1} ({NAMES[m]}) is the most probable (weight {s['ordering_prob'][m]:.3f}, prior x "
        "maximised likelihood)"
    )
    assert _check_estimate(design, rec, s, m, line)["which"] == "maximum likelihood"


def test_stop_n_in_stage_two_keeps_the_models_numbers():
    design = DESIGN.replace(stop_n=6)
    rec, s = _run(design, "1.1NNN 1.2NTN 1.2NTN")
    assert rec.base_reason == Reason.POCRM_STOP_N and rec.status == Status.STOP_SELECT
    m = rec.detail.index  # the most probable ordering, or the one the tie-break chose among them
    assert s["ordering_prob"][m] == pytest.approx(s["ordering_prob"].max(), rel=1e-12)
    line = rec.explanation[0]
    _check_estimate(design, rec, s, m, line)
    assert f"posterior probability {s['ordering_prob'][m]:.3f}" in line
    assert line.endswith("; cell 1.2, chosen next, already has 6 patients (stop_n = 6): stop")


def test_stage_one_has_no_ordering():
    rec, _ = _run(DESIGN, "1.1NNN")
    assert rec.detail is None and "ordering" not in rec.to_dict()
    assert rec.explanation[0].startswith("stage 1, no DLT so far")
    rec, _ = _run(DESIGN.replace(stop_n=5), "1.1NNN 1.1NNN")
    assert rec.base_reason == Reason.POCRM_STOP_N
    assert rec.explanation[0] == "stage 1: cell 1.1 has 6 patients, more than stop_n = 5: stop"


def test_text_report_lists_every_ordering_by_probability():
    rec, s = _run(DESIGN, "1.1NNN 1.2NNN 2.1NTN 1.3TNN")
    text = format_recommendation(rec)
    head = text.index("Orderings (posterior probability; prior; estimate of b;")
    rows = text[head:].split("\n\n")[0].splitlines()[2:]
    assert len(rows) == len(DESIGN.orderings)
    order = np.argsort(-s["ordering_prob"], kind="stable")
    for row, m in zip(rows, order, strict=True):
        cells = " < ".join(DESIGN.orderings[m])
        assert row.split()[0] == str(m + 1) and NAMES[m] in row and row.endswith(cells)
        assert f" {s['ordering_prob'][m]:.3f} " in row
