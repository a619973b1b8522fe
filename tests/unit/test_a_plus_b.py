"""The A+B spec (Lin & Shih's constraints, one-line errors), its round trip, its decision table, its
sentences, and the 3+3's ``expand_top_dose`` option."""

from __future__ import annotations

import pytest

from dosefind import ThreePlusThree
from dosefind.constants import Reason
from dosefind.designs import APlusB, design_from_dict
from dosefind.designs.home import home_of
from dosefind.engine.replay import DecisionContext
from dosefind.errors import SpecError
from dosefind.report.decision_table import Action, decision_table


@pytest.mark.parametrize(
    "kw,field,words",
    [
        (dict(a=0), "a", "too small"),
        (dict(b=0), "b", "too small"),
        (dict(c=0), "c", "from 1 to A"),
        (dict(a=3, c=4, d=4), "c", "from 1 to A"),
        (dict(c=2, d=1, e=2), "d", "C <= D <= A"),
        (dict(a=3, d=4, e=4), "d", "C <= D <= A"),
        (dict(d=2, e=1), "e", "D <= E < A + B"),
        (dict(a=3, b=3, e=6), "e", "D <= E < A + B"),
        (dict(a=2, b=4, cohort_size=3), "cohort_size", "gcd"),
        (dict(deescalation="yes"), "deescalation", "true or false"),
        (dict(expand_top_dose=1), "expand_top_dose", "true or false"),
        (dict(a=2.5), "a", "whole number"),
    ],
)
def test_spec_errors_are_one_line_and_name_the_field(kw, field, words):
    with pytest.raises(SpecError) as e:
        APlusB(n_doses=4, **kw)
    assert e.value.field == field
    assert words in str(e.value) and "\n" not in str(e.value)


def test_defaults_cohorts_and_round_trip():
    d = APlusB(n_doses=4)
    assert (d.a, d.b, d.c, d.d, d.e, d.cohort_size, d.max_n) == (3, 3, 1, 1, 1, 3, 24)
    assert APlusB(n_doses=5, a=2, b=4, c=1, d=1, e=2).cohort_size == 2
    assert APlusB(n_doses=2, a=3, b=2, c=1, d=2, e=2).cohort_size == 1
    d2 = APlusB(n_doses=4, a=4, b=4, c=1, d=2, e=3, deescalation=False, expand_top_dose=False)
    assert design_from_dict(d2.to_dict()) == d2
    with pytest.raises(SpecError) as e:
        design_from_dict({"kind": "a_plus_b", "n_doses": 4, "e": 0})
    assert e.value.field == "design.e"


def test_three_plus_three_expand_top_dose_option():
    assert (
        design_from_dict({"kind": "three_plus_three", "n_doses": 3, "expand_top_dose": False}).expand_top_dose
        is False
    )
    with pytest.raises(SpecError, match="expand_top_dose"):
        ThreePlusThree(n_doses=3, expand_top_dose="no")
    for design in (
        ThreePlusThree(n_doses=2, expand_top_dose=False),
        APlusB(n_doses=2, expand_top_dose=False),
    ):
        ctx = DecisionContext(design)
        ctx.treat(0, 3, 0)
        step = ctx.treat(1, 3, 0)  # 0/3 at the highest dose: stop, it is the MTD
        assert step.reason == Reason.TPT_MTD_FOUND and ctx.select() == 1
    for design in (ThreePlusThree(n_doses=2), APlusB(n_doses=2)):
        ctx = DecisionContext(design)
        ctx.treat(0, 3, 0)
        step = ctx.treat(1, 3, 0)  # today's default: 3 more at the highest dose
        assert step.reason == Reason.TPT_EXPAND and step.next_dose == 1


def test_decision_table_of_a_four_plus_four():
    design = APlusB(n_doses=4, a=4, b=4, c=1, d=2, e=3)
    table = decision_table(design)
    assert table.n_treated == (4, 8)
    actions = {(r.n_treated, r.n_dlt): r.action for r in table.rows}
    assert actions[(4, 0)] is Action.ESCALATE
    assert actions[(4, 1)] is Action.STAY and actions[(4, 2)] is Action.STAY
    assert actions[(4, 3)] is Action.DEESCALATE
    assert actions[(8, 3)] is Action.ESCALATE and actions[(8, 4)] is Action.DEESCALATE
    assert any("A = 4, B = 4, C = 1, D = 2, E = 3" in n for n in table.notes)


def test_three_three_table_equals_the_three_plus_three_table():
    a = decision_table(APlusB(n_doses=4))
    t = decision_table(ThreePlusThree(n_doses=4))
    assert [(r.n_treated, r.n_dlt, r.action) for r in a.rows] == [
        (r.n_treated, r.n_dlt, r.action) for r in t.rows
    ]


def test_every_reason_has_a_sentence():
    design = APlusB(n_doses=3, a=2, b=4, c=1, d=1, e=2)
    home = home_of(design)
    n_at, tox_at = [2, 3, 0], [0, 1, 0]
    for reason in home.reason_codes(design):
        text = home.explain(design, reason, n_at, tox_at, 1, 1)
        assert text and "_" not in text, reason
    stage = home.explain(design, Reason.APB_STAGE, [2, 4, 0], [0, 1, 0], 1, 1)
    assert stage.startswith("4 of the 6 patients")


def test_expand_top_dose_leaves_saved_3_plus_3_hashes_unchanged():
    """The option came after 3+3 designs were saved: at its default it stays out of the design's dict, so
    the config hash is the one earlier versions computed (pinned here), and False round-trips."""
    from dosefind.designs import ThreePlusThree

    default = ThreePlusThree(target=0.3, n_doses=5)
    assert "expand_top_dose" not in default.to_dict()
    assert default.config_hash() == "5361966b9b6b47ea"
    other = ThreePlusThree(target=0.3, n_doses=5, expand_top_dose=False)
    assert ThreePlusThree.from_dict(other.to_dict()) == other
    assert other.config_hash() != default.config_hash()
