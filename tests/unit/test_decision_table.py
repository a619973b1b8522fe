"""Decision tables: the BOIN package's get.boundary, the engine's own decisions, the 3+3 rules, output."""

import csv
import io
import json
import subprocess
import sys

import pytest

from dosefind import Boin, Crm, StopWhenTooToxic, ThreePlusThree
from dosefind.conformance.reference import BOUNDARIES as R_GET_BOUNDARY
from dosefind.constants import Reason, Status
from dosefind.engine.replay import DecisionContext
from dosefind.errors import SpecError
from dosefind.report.decision_table import Action, decision_table, to_csv, to_json, to_text
from dosefind.report.plots import figure_to_data_uri, figure_to_png_bytes, plot_decision_table

# get.boundary(target, ncohort = 12, cohortsize = 3) of the BOIN R package 2.7.2, n = 1..36: the
# reference values shipped with the conformance checks (dosefind.conformance.reference)

MIDDLE = 2  # 0-based middle dose of a 5-dose design
ENGINE_MAX_N = 12


def _r_rows(target):
    return [tuple(None if x == "-" else int(x) for x in row.split(",")) for row in R_GET_BOUNDARY[target]]


def _boundary(table, key):
    return next(b for b in table.boundaries if b.key == key).values


# ---- BOIN against the BOIN R package -------------------------------------------------------------
@pytest.mark.parametrize("target", [0.2, 0.25, 0.3])
def test_boin_compact_form_is_get_boundary(target):
    table = decision_table(Boin(target=target, n_doses=5, max_n=36))
    esc, deesc, elim = _r_rows(target)
    assert table.n_treated == tuple(range(1, 37))
    assert _boundary(table, "escalate_at_most") == esc
    assert _boundary(table, "deescalate_at_least") == deesc
    assert _boundary(table, "eliminate_at_least") == elim
    assert [b.label for b in table.boundaries] == [
        "Escalate if # of DLT <=",
        "De-escalate if # of DLT >=",
        "Eliminate if # of DLT >=",
    ]


@pytest.mark.parametrize("target", [0.2, 0.25, 0.3])
def test_boin_long_form_follows_the_boundaries(target):
    table = decision_table(Boin(target=target, n_doses=5, max_n=36), 30)
    esc, deesc, elim = _r_rows(target)
    assert len(table.rows) == sum(n + 1 for n in range(1, 31))
    for r in table.rows:
        i = r.n_treated - 1
        if elim[i] is not None and r.n_dlt >= elim[i]:
            expected = Action.ELIMINATE
        elif r.n_dlt <= esc[i]:
            expected = Action.ESCALATE
        elif r.n_dlt >= deesc[i]:
            expected = Action.DEESCALATE
        else:
            expected = Action.STAY
        assert r.action is expected, r


# ---- the table is the engine's behaviour ---------------------------------------------------------
BOIN_VARIANTS = {
    "target 0.2": dict(target=0.2),
    "target 0.25": dict(target=0.25),
    "target 0.3": dict(target=0.3),
    "phi1/phi2": dict(target=0.3, phi1=0.2, phi2=0.4),
    "n_earlystop 6": dict(target=0.3, n_earlystop=6),
    "extrasafe": dict(target=0.25, extrasafe=True),
    "too toxic at dose 1": dict(target=0.3, modifiers=(StopWhenTooToxic(0.35),)),
}


def _engine_action(design_kw, n, y, dose=MIDDLE):
    design = Boin(n_doses=5, cohort_size=n, max_n=36, **design_kw)
    step = DecisionContext(design).treat(dose, n, y, full=False)
    return step


def _as_action(step, dose=MIDDLE):
    if not step.admissible[dose]:
        assert step.next_dose == dose - 1 and step.status == Status.CONTINUE
        return Action.ELIMINATE
    return {dose + 1: Action.ESCALATE, dose: Action.STAY, dose - 1: Action.DEESCALATE}[step.next_dose]


@pytest.mark.parametrize("variant", list(BOIN_VARIANTS))
def test_boin_long_form_is_the_engine_decision(variant):
    """Every cell for n <= 12: one cohort of n patients with y DLTs at a middle dose of 5."""
    kw = BOIN_VARIANTS[variant]
    table = decision_table(Boin(n_doses=5, max_n=36, **kw), ENGINE_MAX_N)
    assert len(table.rows) == sum(n + 1 for n in range(1, ENGINE_MAX_N + 1))
    for r in table.rows:
        step = _engine_action(kw, r.n_treated, r.n_dlt)
        assert _as_action(step) is r.action, (r, step)
        if r.action is Action.STAY and r.n_treated >= kw.get("n_earlystop", 10**9):
            assert step.status == Status.STOP_SELECT and step.reason == Reason.BOIN_EARLYSTOP_N
        else:
            assert step.status == Status.CONTINUE


def test_overlapping_escalation_and_elimination_is_refused():
    """A low cutoff_eli can make a cell both "escalate" and "eliminate"; the design refuses it."""
    with pytest.raises(SpecError, match="cutoff_eli: with 5 patients and 1 DLTs"):
        decision_table(Boin(n_doses=5, max_n=36, target=0.3, cutoff_eli=0.2))


def test_extrasafe_row_is_the_engine_stop_at_the_lowest_dose():
    kw = dict(target=0.25, extrasafe=True)
    table = decision_table(Boin(n_doses=5, max_n=36, **kw), ENGINE_MAX_N)
    stop = _boundary(table, "extrasafe_stop_at_least")
    elim = _boundary(table, "eliminate_at_least")
    assert stop[:3] == (None, None, 2)
    for n in range(1, ENGINE_MAX_N + 1):
        for y in range(n + 1):
            step = _engine_action(kw, n, y, dose=0)
            by_extrasafe = stop[n - 1] is not None and y >= stop[n - 1]
            by_elimination = elim[n - 1] is not None and y >= elim[n - 1]
            assert (step.status == Status.STOP_NO_DOSE) == (by_extrasafe or by_elimination), (n, y)
            if by_extrasafe and not by_elimination:
                assert step.reason == Reason.BOIN_EXTRASAFE
    assert any("extrasafe" in note for note in table.notes)


def test_too_toxic_row_is_the_engine_stop():
    kw = BOIN_VARIANTS["too toxic at dose 1"]
    table = decision_table(Boin(n_doses=5, max_n=36, **kw), ENGINE_MAX_N)
    row = next(b for b in table.boundaries if b.key.startswith("too_toxic"))
    assert "dose 1" in row.label and row.values[:2] == (None, None)
    for n in range(1, ENGINE_MAX_N + 1):
        for y in range(n + 1):
            step = _engine_action(kw, n, y, dose=0)
            flagged = row.values[n - 1] is not None and y >= row.values[n - 1]
            assert (step.reason == Reason.TOO_TOXIC) == flagged, (n, y)
    assert any("stop_when_too_toxic" in note for note in table.notes)


def test_notes_say_when_n_earlystop_and_extrasafe_apply():
    plain = decision_table(Boin(target=0.3, n_doses=5, max_n=36))
    assert not any("n_earlystop" in n or "extrasafe (" in n for n in plain.notes)
    assert [b.key for b in plain.boundaries] == [
        "escalate_at_most",
        "deescalate_at_least",
        "eliminate_at_least",
    ]
    both = decision_table(Boin(target=0.3, n_doses=5, max_n=36, n_earlystop=12, extrasafe=True))
    assert any(n.startswith("n_earlystop = 12") for n in both.notes)
    assert any(n.startswith("extrasafe") and "lowest dose only" in n for n in both.notes)


# ---- 3+3 -----------------------------------------------------------------------------------------
CLASSIC_TPT = {
    (3, 0): Action.ESCALATE,
    (3, 1): Action.STAY,
    (3, 2): Action.DEESCALATE,
    (3, 3): Action.DEESCALATE,
    (6, 0): Action.ESCALATE,
    (6, 1): Action.ESCALATE,
    **{(6, y): Action.DEESCALATE for y in range(2, 7)},
}


@pytest.mark.parametrize("deescalation", [True, False])
def test_three_plus_three_table_is_the_classic_rule(deescalation):
    table = decision_table(ThreePlusThree(n_doses=4, deescalation=deescalation))
    assert table.n_treated == (3, 6) and table.max_n == 6
    assert {(r.n_treated, r.n_dlt): r.action for r in table.rows} == CLASSIC_TPT
    assert _boundary(table, "escalate_at_most") == (0, 1)
    assert _boundary(table, "stay_if") == (1, None)
    assert _boundary(table, "deescalate_at_least") == (2, 2)
    word = "with deescalation" if deescalation else "without deescalation"
    assert any(word in n for n in table.notes)


def test_three_plus_three_max_n():
    design = ThreePlusThree(n_doses=1)  # the probe needs no middle dose of the design itself
    assert decision_table(design).n_treated == (3, 6)
    assert decision_table(design, 3).n_treated == (3,)
    for bad in (2, 7):
        with pytest.raises(SpecError) as e:
            decision_table(design, bad)
        assert e.value.field == "max_n"


# ---- errors --------------------------------------------------------------------------------------
def test_crm_has_no_decision_table():
    crm = Crm(target=0.3, n_doses=4, max_n=24, skeleton=(0.1, 0.2, 0.3, 0.4))
    with pytest.raises(SpecError, match="dosefind paths") as e:
        decision_table(crm)
    assert "CRM" in str(e.value)


@pytest.mark.parametrize("bad", [0, -3, 37, 2.5, True, "12"])
def test_max_n_is_validated(bad):
    with pytest.raises(SpecError) as e:
        decision_table(Boin(target=0.3, n_doses=5, max_n=36), bad)
    assert e.value.field == "max_n"


def test_max_n_defaults_to_the_design():
    table = decision_table(Boin(target=0.3, n_doses=5, max_n=24))
    assert table.max_n == 24 and table.n_treated[-1] == 24
    assert decision_table(Boin(target=0.3, n_doses=5, max_n=24), 1).n_treated == (1,)


# ---- formatters ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def boin18():
    return decision_table(Boin(target=0.3, n_doses=6, max_n=36, name="BOIN"), 18)


def test_text(boin18):
    text = to_text(boin18)
    lines = text.splitlines()
    assert lines[0].startswith("Decision table: BOIN (boin, target 0.3")
    esc = next(ln for ln in lines if ln.startswith("Escalate if # of DLT <="))
    assert esc.split()[-18:] == "0 0 0 0 1 1 1 1 2 2 2 2 3 3 3 3 4 4".split()
    elim = next(ln for ln in lines if ln.startswith("Eliminate if # of DLT >="))
    assert elim.split()[-18:] == "- - 3 3 4 4 5 5 5 6 6 7 7 8 8 8 9 9".split()
    row1 = next(ln for ln in lines if ln.startswith("1 "))
    assert row1.split()[1:] == ["D", "D", "S", "S"] + ["E"] * 14
    assert "DU wherever y <= n" in text and "Notes:" in text
    assert max(len(ln) for ln in lines) <= 100


def test_csv_is_tidy_long_form(boin18):
    text = to_csv(boin18)
    body = [ln for ln in text.splitlines() if not ln.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(body))))
    assert body[0] == "n_treated,n_dlt,action,action_label"
    assert len(rows) == sum(n + 1 for n in range(1, 19))
    assert rows[0] == {"n_treated": "1", "n_dlt": "0", "action": "E", "action_label": "escalate"}
    assert {r["action"] for r in rows} == {"E", "S", "D", "DU"}
    assert any(ln.startswith("# config_hash: ") for ln in text.splitlines())


def test_json_has_both_forms(boin18):
    data = json.loads(to_json(boin18))
    assert data["design"] == "BOIN" and data["max_n"] == 18 and data["n_treated"] == list(range(1, 19))
    elim = next(b for b in data["boundaries"] if b["key"] == "eliminate_at_least")
    assert elim["values"][:4] == [None, None, 3, 3]
    assert len(data["rows"]) == len(boin18.rows)
    assert data["rows"][-1] == {
        "n_treated": 18,
        "n_dlt": 18,
        "action": "DU",
        "action_label": data["actions"]["DU"],
    }
    assert data["provenance"]["config_hash"] == boin18.config_hash and data["notes"]


# ---- plot ----------------------------------------------------------------------------------------
def test_plot_returns_a_figure_and_png(boin18, tmp_path):
    from matplotlib.figure import Figure

    fig = plot_decision_table(boin18)
    assert isinstance(fig, Figure)
    png = figure_to_png_bytes(fig, dpi=60)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
    (tmp_path / "t.png").write_bytes(png)
    assert (tmp_path / "t.png").stat().st_size == len(png)
    assert figure_to_data_uri(fig, dpi=40).startswith("data:image/png;base64,iVBOR")


def test_plot_on_given_axes_and_three_plus_three():
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    assert plot_decision_table(decision_table(ThreePlusThree(n_doses=3)), ax=ax) is fig
    assert [t.get_text() for t in ax.get_xticklabels()] == ["3", "6"]
    assert len(ax.get_legend().get_texts()) == 3


def test_plots_import_no_matplotlib_and_no_pyplot():
    code = (
        "import sys, dosefind.report.plots as p\n"
        "assert 'matplotlib' not in sys.modules\n"
        "from dosefind import Boin\n"
        "from dosefind.report.decision_table import decision_table\n"
        "p.figure_to_png_bytes(p.plot_decision_table(decision_table(Boin(target=0.3, n_doses=3, max_n=6))))\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
