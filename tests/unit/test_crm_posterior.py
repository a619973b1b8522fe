"""CRM posterior by quadrature against scipy's adaptive quadrature (independent oracle), to 1e-6."""

import numpy as np
import pytest

from dosefind import Crm
from dosefind.engine.posterior import crm_posterior_summary
from oracles import crm_posterior_quad, crm_prob_above

SKELETON = (0.05, 0.12, 0.25, 0.40, 0.55, 0.70)


def _random_states(rng, n_doses, max_total, count):
    for _ in range(count):
        total = int(rng.integers(1, max_total + 1))
        n = rng.multinomial(total, rng.dirichlet(np.ones(n_doses)))
        p = np.asarray(SKELETON[:n_doses]) ** np.exp(rng.normal(0, 1))
        yield n, rng.binomial(n, p)


@pytest.mark.parametrize("model", ["empiric", "logistic"])
@pytest.mark.parametrize("max_n", [36, 120])
def test_posterior_mean_and_variance_match_adaptive_quadrature(model, max_n):
    design = Crm(target=0.3, n_doses=6, max_n=max_n, skeleton=SKELETON, model=model)
    rng = np.random.default_rng(max_n + (model == "logistic"))
    for n, y in _random_states(rng, 6, max_n, 25):
        got = crm_posterior_summary(design, n, y)
        mean, var, pmean, _ = crm_posterior_quad(n, y, SKELETON, model)
        assert got["mean_b"] == pytest.approx(mean, abs=1e-6), (n, y)
        assert got["var_b"] == pytest.approx(var, abs=1e-6), (n, y)
        np.testing.assert_allclose(got["mean"], pmean, atol=1e-6, err_msg=f"{n} {y}")
        np.testing.assert_allclose(got["plugin"], design.prob_tox(mean), atol=1e-6)


@pytest.mark.parametrize("model", ["empiric", "logistic"])
def test_tail_probabilities_match_adaptive_quadrature(model):
    design = Crm(target=0.3, n_doses=6, max_n=36, skeleton=SKELETON, model=model, safety_threshold=0.35)
    rng = np.random.default_rng(5)
    for n, y in _random_states(rng, 6, 36, 8):
        got = crm_posterior_summary(design, n, y)
        for d in range(6):
            ref_t = crm_prob_above(n, y, SKELETON, 0.3, d, model)
            ref_s = crm_prob_above(n, y, SKELETON, 0.35, d, model)
            assert got["prob_above_target"][d] == pytest.approx(ref_t, abs=1e-6), (n, y, d)
            assert got["prob_above_safety"][d] == pytest.approx(ref_s, abs=1e-6), (n, y, d)


def test_no_data_posterior_is_the_prior():
    design = Crm(target=0.3, n_doses=6, max_n=36, skeleton=SKELETON)
    got = crm_posterior_summary(design, [0] * 6, [0] * 6)
    assert got["mean_b"] == pytest.approx(0.0, abs=1e-12)
    assert got["var_b"] == pytest.approx(1.34, abs=1e-9)
    np.testing.assert_allclose(got["plugin"], SKELETON, atol=1e-12)


def test_posterior_summary_rejects_impossible_counts():
    from dosefind.errors import DataError

    design = Crm(target=0.3, n_doses=6, max_n=36, skeleton=SKELETON)
    with pytest.raises(DataError, match="DLTs <= patients"):
        crm_posterior_summary(design, [3, 0, 0, 0, 0, 0], [4, 0, 0, 0, 0, 0])
