"""BOIN boundaries and decision table against closed forms and published values."""

import math

import numpy as np
import pytest
from scipy.stats import binom

from dosefind import Boin
from dosefind.designs import boin_boundaries
from dosefind.designs import layout as L

# Liu & Yuan (2015), Table 1 / BOIN package documentation: (target, lambda_e, lambda_d) to 3 decimals
PUBLISHED = [(0.20, 0.157, 0.238), (0.25, 0.197, 0.298), (0.30, 0.236, 0.358)]


@pytest.mark.parametrize("target, le, ld", PUBLISHED)
def test_boundaries_match_published(target, le, ld):
    """Published to 3 decimals (truncated in places: 0.3585 is printed 0.358), so within 0.001."""
    got_e, got_d = boin_boundaries(target)
    assert abs(got_e - le) < 1e-3 and abs(got_d - ld) < 1e-3


@pytest.mark.parametrize("target", [0.20, 0.25, 0.30, 1 / 3])
def test_boundaries_are_the_likelihood_crossings(target):
    """lambda_e solves equal Bernoulli likelihoods of phi1 and phi; lambda_d of phi and phi2."""
    le, ld = boin_boundaries(target)

    def loglik(p, rate):
        return rate * math.log(p) + (1 - rate) * math.log(1 - p)

    assert loglik(0.6 * target, le) == pytest.approx(loglik(target, le), abs=1e-12)
    assert loglik(1.4 * target, ld) == pytest.approx(loglik(target, ld), abs=1e-12)
    assert 0.6 * target < le < target < ld < 1.4 * target


@pytest.mark.parametrize("target", [0.20, 0.25, 0.30, 1 / 3])
def test_decision_table_is_the_closed_form(target):
    """Escalate iff y <= n lambda_e, de-escalate iff y >= n lambda_d, eliminate iff n >= 3 and
    P(p > target | y, n) > 0.95, with P(p > t | Beta(1+y, 1+n-y)) = P(Binomial(n+1, t) <= y)."""
    design = Boin(target=target, n_doses=5, max_n=36)
    table = design.decision_table(36)
    le, ld = design.boundaries
    for n in range(1, 37):
        for y in range(n + 1):
            flags = int(table[n, y])
            assert bool(flags & L.BOIN_ESC) == (y <= math.floor(n * le + 1e-12))
            assert bool(flags & L.BOIN_DEESC) == (y >= math.ceil(n * ld - 1e-12))
            p_over = binom.cdf(y, n + 1, target)
            assert bool(flags & L.BOIN_ELIM) == (n >= 3 and p_over > 0.95)


def test_published_target_030_table_rows():
    """Boundary table of the BOIN package for target 0.3 (cohorts of 3): the escalate/de-escalate/
    eliminate cut-offs at n = 3, 6, 9, 12 (Yuan et al. 2016, Clin Cancer Res, Table 2)."""
    table = Boin(target=0.3, n_doses=5, max_n=36).decision_table(36)

    def cut(n, flag, largest):
        ys = [y for y in range(n + 1) if table[n, y] & flag]
        return (max(ys) if largest else min(ys)) if ys else None

    expected = {3: (0, 2, 3), 6: (1, 3, 4), 9: (2, 4, 5), 12: (2, 5, 7)}
    for n, (esc, deesc, elim) in expected.items():
        assert cut(n, L.BOIN_ESC, True) == esc
        assert cut(n, L.BOIN_DEESC, False) == deesc
        assert cut(n, L.BOIN_ELIM, False) == elim


def test_extrasafe_flag_uses_cutoff_minus_offset():
    d = Boin(target=0.3, n_doses=5, max_n=30, extrasafe=True, offset=0.05)
    t = d.decision_table(30)
    for n in range(3, 31):
        for y in range(n + 1):
            assert bool(t[n, y] & L.BOIN_EXTRASAFE_STOP) == (binom.cdf(y, n + 1, 0.3) > 0.90)


def test_custom_phi_validation():
    from dosefind.errors import SpecError

    with pytest.raises(SpecError, match="phi1"):
        Boin(target=0.3, n_doses=5, max_n=30, phi1=0.35)
    with pytest.raises(SpecError, match="phi2"):
        Boin(target=0.3, n_doses=5, max_n=30, phi2=0.3)


def test_select_isotonic_tie_break_prefers_lower_dose():
    """Two doses with the same pooled estimate: the lower dose is chosen (+1e-10 per position rule)."""
    from dosefind.engine.replay import DecisionContext

    ctx = DecisionContext(Boin(target=0.3, n_doses=3, max_n=30))
    ctx.n_at[:] = [6, 6, 0]
    ctx.tox_at[:] = [2, 2, 0]
    assert ctx.select() == 0
    np.testing.assert_array_equal(ctx.admissible, [1, 1, 1])


def test_prob_above_reuses_log_factorials_without_changing_a_bit():
    """prob_above takes log factorials from a kept table; the values must be the very floats of the
    direct lgamma formula (recorded decisions depend on the elimination boundary)."""
    from dosefind.designs.boin.spec import prob_above

    def direct(target, n):
        k = np.arange(n + 2)
        log_pmf = (
            math.lgamma(n + 2)
            - np.array([math.lgamma(j + 1) + math.lgamma(n + 2 - j) for j in k])
            + k * math.log(target)
            + (n + 1 - k) * math.log1p(-target)
        )
        return np.minimum(np.cumsum(np.exp(log_pmf))[: n + 1], 1.0)

    for target in (0.2, 0.25, 0.3, 0.33):
        for n in [*range(0, 120), 500, 3000, 41]:
            assert np.array_equal(prob_above(target, n), direct(target, n)), (target, n)


def test_de_escalation_boundary_is_never_an_exact_integer_with_default_phis():
    """The comment at Boin._boundaries_at: lambda_d * n is never an exact integer for the default phi1 and
    phi2 at targets 0.05-0.50 and n <= 100, so its integer branch is unreachable there."""
    for target in np.round(np.arange(0.05, 0.5001, 0.01), 2):
        lam_d = Boin(target=float(target), n_doses=3, max_n=30).boundaries[1]
        x = lam_d * np.arange(1, 101)
        assert np.all(np.abs(np.round(x) - x) >= 1e-12), target
