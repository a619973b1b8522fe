"""Boundaries and exact_oc against a deliberately naive oracle: every response sequence enumerated."""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dosefind.errors import SpecError
from dosefind.extension import Boundaries, exact_oc


def naive_oc(looks, futility, efficacy, p):
    """Walk every 0/1 response sequence of length looks[-1]; returns (active, fut[], eff[], EN)."""
    n_max = looks[-1]
    fut = [0.0] * len(looks)
    eff = [0.0] * len(looks)
    active = en = 0.0
    for seq in itertools.product((0, 1), repeat=n_max):
        k = sum(seq)
        w = p**k * (1 - p) ** (n_max - k)
        for i, n in enumerate(looks):
            x = sum(seq[:n])
            if x <= futility[i]:
                fut[i] += w
                en += w * n
                break
            if x >= efficacy[i]:
                eff[i] += w
                active += w
                en += w * n
                break
    return active, fut, eff, en


@st.composite
def boundaries(draw, max_n=9):
    n_looks = draw(st.integers(1, 4))
    looks = sorted(draw(st.sets(st.integers(1, max_n), min_size=n_looks, max_size=n_looks)))
    fut, eff = [], []
    for i, n in enumerate(looks):
        if i == len(looks) - 1:
            f = draw(st.integers(-1, n))
            fut.append(f)
            eff.append(f + 1)
        else:
            f = draw(st.integers(-1, n))
            e = draw(st.integers(f + 1, n + 1))
            fut.append(f)
            eff.append(e)
    return Boundaries(looks=looks, futility=fut, efficacy=eff)


def test_simon_like_boundaries_match_enumeration():
    b = Boundaries(looks=[4, 9], futility=[0, 2], efficacy=[5, 3])
    for p in (0.0, 0.1, 0.35, 0.8, 1.0):
        oc = exact_oc(b, p)
        active, fut, eff, en = naive_oc([4, 9], [0, 2], [5, 3], p)
        assert oc.prob_active == pytest.approx(active, abs=1e-13)
        assert oc.prob_stop_futility == pytest.approx(fut, abs=1e-13)
        assert oc.prob_stop_efficacy == pytest.approx(eff, abs=1e-13)
        assert oc.expected_n == pytest.approx(en, abs=1e-12)
        assert oc.prob_early_stop == pytest.approx(fut[0] + eff[0], abs=1e-13)


@given(boundaries(), st.floats(0.0, 1.0))
def test_exact_oc_equals_naive_enumeration(b, p):
    oc = exact_oc(b, p)
    active, fut, eff, en = naive_oc(b.looks.tolist(), b.futility.tolist(), b.efficacy.tolist(), p)
    assert oc.prob_active == pytest.approx(active, abs=1e-12)
    assert oc.prob_stop_futility == pytest.approx(fut, abs=1e-12)
    assert oc.prob_stop_efficacy == pytest.approx(eff, abs=1e-12)
    assert oc.expected_n == pytest.approx(en, abs=1e-11)
    total = oc.prob_stop_futility.sum() + oc.prob_stop_efficacy.sum()
    assert total == pytest.approx(1.0, abs=1e-12)
    assert b.looks[0] - 1e-9 <= oc.expected_n <= b.looks[-1] + 1e-9


@given(boundaries(max_n=30), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_prob_active_is_monotone_in_p(b, p, q):
    lo, hi = sorted((p, q))
    assert exact_oc(b, lo).prob_active <= exact_oc(b, hi).prob_active + 1e-12


def test_boundaries_are_frozen_hashable_and_read_only():
    b = Boundaries(looks=[4, 9], futility=[0, 2], efficacy=[5, 3])
    assert b == Boundaries(looks=(4, 9), futility=np.array([0, 2]), efficacy=[5, 3])
    assert hash(b) == hash(Boundaries(looks=[4, 9], futility=[0, 2], efficacy=[5, 3]))
    assert b.looks.dtype == np.int64 and b.futility.dtype == np.int64 and b.efficacy.dtype == np.int64
    with pytest.raises(ValueError):
        b.futility[0] = 1
    with pytest.raises(AttributeError):
        b.looks = np.array([1, 2])
    assert b.to_dict() == {"looks": [4, 9], "futility": [0, 2], "efficacy": [5, 3]}
    assert b.rows()[0] == {"n": 4, "futility": 0, "efficacy": None}
    assert "stop (inactive) if <= 0 responses of 4" in b.table()
    assert "active if >= 3 of 9" in b.table()


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"looks": [5, 5], "futility": [0, 1], "efficacy": [6, 2]}, "boundaries.looks"),
        ({"looks": [0, 5], "futility": [-1, 1], "efficacy": [1, 2]}, "boundaries.looks"),
        ({"looks": [4, 9], "futility": [0], "efficacy": [5, 3]}, "boundaries"),
        ({"looks": [4, 9], "futility": [0, 2], "efficacy": [5, 4]}, "boundaries.futility"),
        ({"looks": [4, 9], "futility": [3, 2], "efficacy": [2, 3]}, "boundaries.futility[0]"),
        ({"looks": [4, 9], "futility": [-2, 2], "efficacy": [5, 3]}, "boundaries.futility[0]"),
        ({"looks": [4, 9], "futility": [0, 2], "efficacy": [6, 3]}, "boundaries.efficacy[0]"),
        ({"looks": [4.5, 9], "futility": [0, 2], "efficacy": [5, 3]}, "boundaries.looks"),
        ({"looks": [], "futility": [], "efficacy": []}, "boundaries.looks"),
    ],
)
def test_invalid_boundaries_name_the_field(kwargs, field):
    with pytest.raises(SpecError) as e:
        Boundaries(**kwargs)
    assert e.value.field == field and e.value.fix


def test_exact_oc_rejects_a_bad_probability():
    b = Boundaries(looks=[4, 9], futility=[0, 2], efficacy=[5, 3])
    with pytest.raises(SpecError, match="p"):
        exact_oc(b, 1.5)
