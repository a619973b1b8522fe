"""EffTox priors elicited by effective sample size (Thall, Herrick, Nguyen, Venier & Norris 2014):
moments against adaptive quadrature, the paper's published hyperparameters, optimality, the spec and
the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.integrate import quad
from typer.testing import CliRunner

from dosefind.cli import app
from dosefind.designs import EffTox
from dosefind.designs.efftox.prior import elicit_prior, logistic_normal_moments, objective, prior_moments
from dosefind.errors import SpecError

DOSES = (1.0, 2.0, 4.0, 6.6, 10.0)
X = np.log(DOSES) - np.log(DOSES).mean()
# the paper's elicited mean probabilities and its published hyperparameters (trialr's efftox_parameters_demo)
TOX = (0.02, 0.04, 0.06, 0.08, 0.10)
EFF = (0.2, 0.4, 0.6, 0.8, 0.9)
PAPER_MEAN = (-7.9593, 1.5482, 0.7367, 3.4181, 0.0, 0.0)
PAPER_SD = (3.5487, 3.5018, 2.5423, 2.4406, 0.2, 1.0)
COMMON = dict(
    doses=list(DOSES),
    tox_limit=0.3,
    eff_limit=0.5,
    p_tox=0.1,
    p_eff=0.1,
    eff0=0.5,
    tox1=0.65,
    eff_star=0.7,
    tox_star=0.25,
    max_n=39,
    cohort_size=3,
)


def adaptive_moments(m: float, s: float) -> tuple[float, float]:
    """E and Var of expit(m + s z), z standard normal, by scipy's adaptive quadrature split at the
    sigmoid's centre."""

    def expit(t):
        return 1.0 / (1.0 + math.exp(-t)) if t > -700 else 0.0

    def moment(k):
        def f(z):
            return expit(m + s * z) ** k * math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)

        pts = sorted({-m / s, 0.0})
        return quad(f, -40, 40, points=pts, limit=1000, epsabs=1e-15, epsrel=1e-13)[0]

    e1 = moment(1)
    return e1, moment(2) - e1 * e1


@pytest.mark.parametrize("m", [-12.0, -4.0, -0.5, 0.0, 1.5, 7.0])
@pytest.mark.parametrize("s", [0.05, 0.4, 1.0, 3.5, 9.0, 25.0])
def test_moments_match_adaptive_quadrature(m, s):
    e, v = logistic_normal_moments(m, s)
    e0, v0 = adaptive_moments(m, s)
    assert abs(e - e0) < 1e-11
    assert abs(v - v0) < 1e-11


def test_the_papers_priors_carry_the_papers_effective_sample_size():
    # Thall et al. (2014) chose their hyperparameters for an ESS of 0.9 in each sub-model, estimating
    # the moments from 10^4 random draws; computed exactly, their priors' ESS is within 0.01 of it
    m = prior_moments(X, PAPER_MEAN, PAPER_SD)
    assert m["ess_tox"] == pytest.approx(0.9, abs=0.01)
    assert m["ess_eff"] == pytest.approx(0.9, abs=0.01)


def test_elicited_priors_reproduce_the_paper_and_solve_its_objective_at_least_as_well():
    found = elicit_prior(tuple(X), TOX, EFF, 0.9, 0.9)
    assert found.prior_sd[4:] == (0.2, 1.0) and found.prior_mean[4:] == (0.0, 0.0)
    # within 0.07 of every published hyperparameter (the paper's are a Monte Carlo optimum)
    assert np.max(np.abs(np.subtract(found.prior_mean, PAPER_MEAN))) < 0.07
    assert np.max(np.abs(np.subtract(found.prior_sd, PAPER_SD))) < 0.07
    paper = objective(X, np.array(TOX), np.array(EFF), 0.9, 0.9, PAPER_MEAN, PAPER_SD)
    assert found.objective <= paper
    assert found.ess_tox == pytest.approx(0.9, abs=0.02) and found.ess_eff == pytest.approx(0.9, abs=0.02)


def test_the_elicited_priors_are_a_minimum():
    found = elicit_prior(tuple(X), TOX, EFF, 0.9, 0.9)
    base = objective(X, np.array(TOX), np.array(EFF), 0.9, 0.9, found.prior_mean, found.prior_sd)
    for which in ("mean", "sd"):
        for i in range(4):
            for step in (-1e-3, 1e-3):
                mean, sd = list(found.prior_mean), list(found.prior_sd)
                (mean if which == "mean" else sd)[i] += step
                assert objective(X, np.array(TOX), np.array(EFF), 0.9, 0.9, mean, sd) >= base - 1e-12


def test_a_larger_effective_sample_size_narrows_the_priors():
    wide = elicit_prior(tuple(X), TOX, EFF, 0.3, 0.3)
    narrow = elicit_prior(tuple(X), TOX, EFF, 3.0, 3.0)
    assert all(a > b for a, b in zip(wide.prior_sd[:4], narrow.prior_sd[:4], strict=True))
    assert narrow.ess_tox > wide.ess_tox and narrow.ess_eff > wide.ess_eff


def test_spec_elicits_and_round_trips():
    d = EffTox(**COMMON, prior_tox=TOX, prior_eff=EFF, prior_ess=0.9)
    found = elicit_prior(tuple(float(a) for a in d.x), TOX, EFF, 0.9, 0.9)
    assert d.prior_mean == found.prior_mean and d.prior_sd == found.prior_sd
    out = d.to_dict()
    assert "prior_mean" not in out and out["prior_tox"] == list(TOX)
    again = EffTox.from_dict(out)
    assert again == d and again.config_hash() == d.config_hash()
    pair = EffTox(**COMMON, prior_tox=TOX, prior_eff=EFF, prior_ess=[0.5, 1.5])
    assert pair.prior_ess == (0.5, 1.5)
    assert pair.elicited_prior.ess_tox < pair.elicited_prior.ess_eff
    assert EffTox(**COMMON, prior_mean=PAPER_MEAN, prior_sd=PAPER_SD).elicited_prior is None


@pytest.mark.parametrize(
    "extra, field",
    [
        (dict(prior_tox=TOX, prior_eff=EFF, prior_mean=PAPER_MEAN), "prior_mean"),
        (dict(prior_tox=TOX), "prior_eff"),
        (dict(prior_tox=TOX[:4], prior_eff=EFF), "prior_tox"),
        (dict(prior_tox=TOX, prior_eff=(0.2, 0.4, 0.6, 0.8, 1.0)), "prior_eff[4]"),
        (dict(prior_tox=TOX, prior_eff=EFF, prior_ess=0), "prior_ess"),
        (dict(prior_tox=TOX, prior_eff=EFF, prior_ess=[1, 2, 3]), "prior_ess"),
        (dict(prior_tox=TOX, prior_eff=EFF, prior_ess="a lot"), "prior_ess"),
    ],
)
def test_bad_elicitation_names_the_field(extra, field):
    with pytest.raises(SpecError) as e:
        EffTox(**COMMON, **extra)
    assert e.value.field == field


def test_cli_prints_the_priors_and_the_elicited_values():
    runner = CliRunner()
    r = runner.invoke(app, ["prior", "efftox", "examples/designs/efftox-elicited.toml"])
    assert r.exit_code == 0, r.output
    assert "elicited" in r.output and "toxicity 0.905" in r.output
    r = runner.invoke(app, ["prior", "efftox", "examples/designs/efftox.toml", "-f", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["prior_mean"] == list(PAPER_MEAN) and "elicited" not in data
    assert data["ess_tox"] == pytest.approx(prior_moments(X, PAPER_MEAN, PAPER_SD)["ess_tox"])
    r = runner.invoke(app, ["prior", "efftox", "examples/designs/uboin.toml"])
    assert r.exit_code == 2 and "not an EffTox design" in r.output
