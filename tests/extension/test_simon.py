"""Simon two-stage: exact OCs against direct binomial sums and enumeration; the search against a
brute-force loop over every (n1, r1, n, r); properties; the rule spec and its errors."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dosefind.errors import SpecError
from dosefind.extension import SimonDesign, SimonRule, rule_from_dict, simon_search

from .test_boundaries import naive_oc


def pmf(k, n, p):
    return math.comb(n, k) * p**k * (1 - p) ** (n - k)


def direct(n1, r1, n, r, p):
    """Simon (1989) eq. (1) written out: (P(active), PET, EN)."""
    pet = sum(pmf(x, n1, p) for x in range(r1 + 1))
    active = sum(
        pmf(x1, n1, p) * sum(pmf(x2, n - n1, p) for x2 in range(max(0, r + 1 - x1), n - n1 + 1))
        for x1 in range(r1 + 1, n1 + 1)
    )
    return active, pet, n1 + (1 - pet) * (n - n1)


@pytest.mark.parametrize("design", [(9, 0, 17, 2), (12, 0, 16, 2), (19, 4, 54, 15), (10, 1, 29, 5)])
@pytest.mark.parametrize("p", [0.0, 0.05, 0.2, 0.45, 1.0])
def test_design_oc_equals_direct_binomial_sums(design, p):
    n1, r1, n, r = design
    d = SimonDesign(n1, r1, n, r)
    active, pet, en = direct(n1, r1, n, r, p)
    oc = d.oc(p)
    assert oc.prob_active == pytest.approx(active, abs=1e-13)
    assert d.pet(p) == pytest.approx(pet, abs=1e-13)
    assert d.expected_n(p) == pytest.approx(en, abs=1e-11)


def test_small_design_equals_enumeration():
    d = SimonDesign(5, 1, 11, 3)
    b = d.boundaries()
    assert b.looks.tolist() == [5, 11] and b.futility.tolist() == [1, 3] and b.efficacy.tolist() == [6, 4]
    for p in (0.1, 0.3, 0.6):
        active, _, _, en = naive_oc([5, 11], [1, 3], [6, 4], p)
        assert d.prob_active(p) == pytest.approx(active, abs=1e-13)
        assert d.expected_n(p) == pytest.approx(en, abs=1e-12)


def brute_force(p0, p1, alpha, beta, n_max):
    """Every (n1, r1, n, r) with plain loops; (optimal, minimax) as (r1, n1, r, n)."""
    opt = mm = None
    for n in range(2, n_max + 1):
        for n1 in range(1, n):
            for r1 in range(0, n1):
                pet0 = sum(pmf(x, n1, p0) for x in range(r1 + 1))
                en = n1 + (1 - pet0) * (n - n1)
                for r in range(r1, n):
                    a0, _, _ = direct(n1, r1, n, r, p0)
                    if a0 > alpha:
                        continue
                    a1, _, _ = direct(n1, r1, n, r, p1)
                    if a1 < 1 - beta:
                        continue
                    if opt is None or en < opt[0] - 1e-12:
                        opt = (en, (r1, n1, r, n))
                    if mm is None or (n == mm[1] and en < mm[0] - 1e-12):
                        mm = (en, n, (r1, n1, r, n))
    return opt[1], mm[2]


def as_tuple(c):
    d = c.design
    return (d.r1, d.n1, d.r, d.n)


def test_search_equals_brute_force():
    s = simon_search(0.05, 0.25, 0.05, 0.2, 20)
    opt, mm = brute_force(0.05, 0.25, 0.05, 0.2, 20)
    assert as_tuple(s.optimal) == opt == (0, 9, 2, 17)
    assert as_tuple(s.minimax) == mm == (0, 12, 2, 16)


CASES = st.tuples(
    st.sampled_from([0.05, 0.1, 0.2, 0.3, 0.5]),
    st.sampled_from([0.2, 0.25]),
    st.sampled_from([0.05, 0.1]),
    st.sampled_from([0.1, 0.2]),
)


@settings(max_examples=12)
@given(CASES)
def test_found_designs_meet_the_constraints(case):
    p0, delta, alpha, beta = case
    p1 = round(p0 + delta, 2)
    s = simon_search(p0, p1, alpha, beta)
    for c in (s.optimal, s.minimax):
        assert c.type_one_error <= alpha and c.power >= 1 - beta
        d = c.design
        active, pet, en = direct(d.n1, d.r1, d.n, d.r, p0)
        assert c.type_one_error == pytest.approx(active, abs=1e-12)
        assert c.pet_p0 == pytest.approx(pet, abs=1e-12) and c.en_p0 == pytest.approx(en, abs=1e-10)
    assert s.optimal.en_p0 <= s.minimax.en_p0 + 1e-12
    assert s.minimax.design.n <= s.optimal.design.n
    assert s.optimal.en_p1 >= s.optimal.design.n1 and s.minimax.pet_p1 <= s.minimax.pet_p0


def test_rule_searched_and_explicit():
    r = SimonRule(p0=0.05, p1=0.25, alpha=0.05, beta=0.2)
    assert r.which == "minimax" and r.design() == SimonDesign(12, 0, 16, 2)
    o = SimonRule(p0=0.05, p1=0.25, alpha=0.05, beta=0.2, which="optimal")
    assert o.boundaries().looks.tolist() == [9, 17]
    e = SimonRule(n1=9, r1=0, n=17, r=2)
    assert e.boundaries() == o.boundaries()
    assert "explicit" in e.describe() and "minimax" in r.describe()
    assert r.oc(0.05).prob_active == pytest.approx(simon_search(0.05, 0.25, 0.05, 0.2).minimax.type_one_error)
    for rule in (r, o, e, SimonRule(p0=0.1, p1=0.3, n1=10, r1=1, n=29, r=5)):
        assert rule_from_dict(rule.to_dict()) == rule
        assert SimonRule.from_dict(rule.to_dict(), "arm.extension") == rule
        assert hash(rule) == hash(rule_from_dict(rule.to_dict()))
    assert r.to_dict() == {
        "rule": "simon",
        "p0": 0.05,
        "p1": 0.25,
        "alpha": 0.05,
        "beta": 0.2,
        "which": "minimax",
    }


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"p0": 0.3, "p1": 0.2, "alpha": 0.05, "beta": 0.2}, "p1"),
        ({"p0": 0.1, "p1": 0.3, "alpha": 1.2, "beta": 0.2}, "alpha"),
        ({"p0": 0.1, "p1": 0.3, "alpha": 0.05, "beta": 0.0}, "beta"),
        ({"p0": 0.1, "p1": 0.3, "alpha": 0.05}, "beta"),
        ({"p0": 0.1, "p1": 0.3, "alpha": 0.05, "beta": 0.2, "which": "best"}, "which"),
        ({"n1": 9, "r1": 0, "n": 17}, "r"),
        ({"n1": 9, "r1": 0, "n": 9, "r": 2}, "n"),
        ({"n1": 9, "r1": 9, "n": 17, "r": 10}, "r1"),
        ({"n1": 9, "r1": 3, "n": 17, "r": 2}, "r"),
        ({"n1": 9, "r1": 0, "n": 17, "r": 2, "alpha": 0.05}, "alpha"),
    ],
)
def test_rule_errors_name_the_field(kwargs, field):
    with pytest.raises(SpecError) as e:
        SimonRule(**kwargs)
    assert e.value.field == field and e.value.fix


def test_no_design_in_range_names_n_max():
    with pytest.raises(SpecError) as e:
        SimonRule(p0=0.05, p1=0.25, alpha=0.05, beta=0.2, n_max=10).boundaries()
    assert e.value.field == "n_max" and "raise n_max" in e.value.fix


def test_dict_errors():
    with pytest.raises(SpecError) as e:
        rule_from_dict({"rule": "simon", "p0": 0.05, "p1": 0.25, "alpha": 0.05, "beta": 0.2, "n2": 3}, "arm")
    assert e.value.field == "arm.n2"
    with pytest.raises(SpecError) as e:
        rule_from_dict({"rule": "simon", "p0": 0.5, "p1": 0.25, "alpha": 0.05, "beta": 0.2}, "arm")
    assert e.value.field == "arm.p1"
    with pytest.raises(SpecError) as e:
        rule_from_dict({"rule": "fleming"}, "arm")
    assert e.value.field == "arm.rule" and "'simon'" in e.value.fix
    with pytest.raises(SpecError) as e:
        rule_from_dict({"p0": 0.1}, "arm")
    assert e.value.field == "arm.rule"


def test_search_in_small_memory_blocks_gives_the_same_designs(monkeypatch):
    from dosefind.extension import simon

    full = simon_search(0.2, 0.4, 0.1, 0.1)
    monkeypatch.setattr(simon, "BLOCK_ELEMENTS", 50)
    blocked = simon.simon_search.__wrapped__(0.2, 0.4, 0.1, 0.1)
    assert blocked == full
