"""Decision tables of two-drug designs: BOIN for combinations' boundaries at the current cell (the
engine's own table and decisions), and PO-CRM's refusal naming pathways."""

import json

import pytest

from dosefind import Boin
from dosefind.constants import Status
from dosefind.designs import BoinComb, PoCrm, StopWhenTooToxic
from dosefind.engine.replay import DecisionContext
from dosefind.errors import SpecError
from dosefind.report.decision_table import Action, decision_table, to_csv, to_json, to_text
from dosefind.report.plots import figure_to_png_bytes, plot_decision_table

GRID = {"levels_a": ["1", "2", "3"], "levels_b": ["1", "2", "3"], "drug_a": "drug A", "drug_b": "drug B"}
MIDDLE = 4  # cell 2.2: two candidates above (3.2, 2.3), two below (1.2, 2.1)
UP = {7, 5}
DOWN = {1, 3}


def _boundary(table, key):
    return next(b for b in table.boundaries if b.key == key).values


def test_boundaries_are_boin_get_boundary_at_the_current_cell():
    comb = decision_table(BoinComb(target=0.3, max_n=12, grid=GRID))
    assert comb.unit == "cell" and comb.kind == "boin_comb" and comb.n_treated == tuple(range(1, 13))
    # the BOIN package's get.boundary(target = 0.3): the combination design uses the single-agent rule
    assert _boundary(comb, "escalate_at_most") == (0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2)
    assert _boundary(comb, "deescalate_at_least") == (1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5)
    assert _boundary(comb, "eliminate_at_least") == (None, None, 3, 3, 4, 4, 5, 5, 5, 6, 6, 7)
    single = decision_table(Boin(target=0.3, n_doses=3, max_n=12))
    assert [(r.n_treated, r.n_dlt, r.action) for r in comb.rows] == [
        (r.n_treated, r.n_dlt, r.action) for r in single.rows
    ]


@pytest.mark.parametrize("rules", ["get.oc.comb", "next.comb"])
def test_every_action_is_what_the_kernel_does_at_a_middle_cell(rules):
    """E moves to a cell above, S stays, D to a cell below, DU also eliminates the cell (kernel)."""
    design = BoinComb(target=0.25, max_n=15, grid=GRID, rules=rules)
    table = decision_table(design)
    probe = design.replace(max_n=100)  # the same rules, without reaching max_n
    for r in table.rows:
        for u in (0.25, 0.75):  # either way a tie might go
            ctx = DecisionContext(probe)
            step = ctx.treat(MIDDLE, r.n_treated, r.n_dlt, u_tie=u)
            assert step.status == Status.CONTINUE
            got = {
                Action.ESCALATE: step.next_dose in UP,
                Action.STAY: step.next_dose == MIDDLE,
                Action.DEESCALATE: step.next_dose in DOWN and step.admissible[MIDDLE],
                Action.ELIMINATE: step.next_dose in DOWN and not step.admissible[MIDDLE],
            }[r.action]
            assert got, (rules, r, step)


def test_text_explains_the_choice_of_cell_and_eliminations():
    text = to_text(decision_table(BoinComb(target=0.3, max_n=30, grid=GRID, n_earlystop=12), 12))
    lines = text.splitlines()
    assert lines[0] == "Decision table: boin_comb (boin_comb, target 0.3, n <= 12) at the current cell"
    esc = next(ln for ln in lines if ln.startswith("Escalate if # of DLT <="))
    assert esc.split()[-12:] == "0 0 0 0 1 1 1 1 2 2 2 2".split()
    flat = " ".join(text.split())
    assert "E goes to (j+1, k) or (j, k+1), D to (j-1, k) or (j, k-1)" in flat
    assert "exact ties are broken at random, each candidate with equal chance" in flat
    assert "the cell and every cell at least as high in both drugs are removed" in flat
    assert "n_earlystop = 12: with n >= 12, a decision to stay" in flat
    assert "E escalate to an adjacent cell (chosen by the design)" in flat
    text = to_text(decision_table(BoinComb(target=0.3, max_n=30, grid=GRID, rules="next.comb")))
    assert 'rules = "next.comb": no escalation to (j+1, k)' in " ".join(text.split())


def test_extrasafe_and_too_toxic_rows_name_cells():
    design = BoinComb(
        target=0.3,
        max_n=12,
        grid=GRID,
        extrasafe=True,
        modifiers=(StopWhenTooToxic(threshold=0.35, confidence=0.9),),
    )
    table = decision_table(design)
    extrasafe = _boundary(table, "extrasafe_stop_at_least")
    elim = _boundary(table, "eliminate_at_least")
    # only where an elimination boundary exists (the kernel's condition), and never above it
    assert all((x is None) == (e is None) for x, e in zip(extrasafe, elim, strict=True))
    assert all(x <= e for x, e in zip(extrasafe, elim, strict=True) if x is not None)
    # 3 patients: P(p > 0.3 | Beta(3, 2)) = 0.9163 > 0.95 - 0.05 stops, P(p > 0.3 | Beta(2, 3)) = 0.6517 not
    assert extrasafe[2] == 2
    labels = [b.label for b in table.boundaries]
    assert "Stop trial if # of DLT >= (cell 1.1, extrasafe)" in labels
    assert "Stop trial if # of DLT >= (cell 1.1, stop_when_too_toxic)" in labels
    # the extrasafe stop is what the kernel does at cell 1.1
    for n, y in ((3, extrasafe[2]), (6, extrasafe[5])):
        step = DecisionContext(design).treat(0, n, y)
        assert step.status == Status.STOP_NO_DOSE


def test_csv_json_and_plot():
    table = decision_table(BoinComb(target=0.3, max_n=6, grid=GRID))
    data = json.loads(to_json(table))
    assert data["unit"] == "cell" and data["kind"] == "boin_comb"
    assert data["actions"]["DU"].startswith("de-escalate and eliminate this cell and every cell")
    assert "# kind: boin_comb" in to_csv(table)
    fig = plot_decision_table(table)
    assert fig.axes[0].get_xlabel() == "patients treated at the current cell (n)"
    assert figure_to_png_bytes(fig).startswith(b"\x89PNG")


def test_pocrm_has_no_decision_table_and_the_error_names_paths():
    design = PoCrm(target=0.3, max_n=24, grid=GRID, skeleton_halfwidth=0.05, skeleton_nu=3)
    with pytest.raises(SpecError) as e:
        decision_table(design)
    message = str(e.value)
    assert "PO-CRM has no decision table" in message and "every cell" in message
    assert "dosefind paths" in message
