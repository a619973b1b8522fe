"""MCMC back end without sampling: settings validation, the PyMC models' structure and log density, the
missing-extra error, and the diagnostic warnings on fabricated draws."""

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from dosefind import Boin, Crm, DataError, DosefindError, SpecError, ThreePlusThree
from dosefind.designs.crm.pymc_model import build_crm_model
from dosefind.inference import McmcSettings, mcmc_posterior
from dosefind.inference.mcmc import (
    ESS_MIN,
    R_HAT_MAX,
    MissingExtraError,
    build_beta_binomial_model,
    convergence_diagnostics,
    diagnostic_warnings,
    posterior_from_draws,
    require_pymc,
)
from dosefind.inference.summary import BETA_PRIOR, fast_posterior

SKELETON = (0.05, 0.10, 0.20, 0.35, 0.50, 0.70)


def _crm(model="empiric"):
    return Crm(target=0.2, n_doses=6, max_n=30, skeleton=SKELETON, model=model)


# ---- settings -------------------------------------------------------------------------------------


def test_settings_defaults_and_positional_compatibility():
    s = McmcSettings()
    assert (s.draws, s.tune, s.chains, s.target_accept, s.seed, s.cores) == (2000, 1000, 4, 0.9, 1, 1)
    assert McmcSettings(draws=1000.0).draws == 1000  # whole floats (e.g. from TOML) are accepted
    assert McmcSettings(draws=500, tune=200, chains=2, seed=11) == McmcSettings(500, 200, 2, 0.9, 11)


@pytest.mark.parametrize(
    "changes, field, words",
    [
        ({"draws": 99}, "draws", "at least 100"),
        ({"draws": 1.5}, "draws", "whole number"),
        ({"draws": "many"}, "draws", "whole number"),
        ({"tune": -1}, "tune", "non-negative"),
        ({"chains": 1}, "chains", "R-hat"),
        ({"target_accept": 1.0}, "target_accept", "[0.5, 1)"),
        ({"target_accept": 0.2}, "target_accept", "0.99"),
        ({"seed": -3}, "seed", "non-negative"),
        ({"cores": 0}, "cores", "in parallel"),
    ],
)
def test_bad_settings_name_the_field_and_the_fix(changes, field, words):
    with pytest.raises(SpecError) as err:
        McmcSettings(**changes)
    assert err.value.field == field
    assert str(err.value).startswith(f"{field}: ")
    assert words in str(err.value)


def test_mcmc_posterior_rejects_bad_input_before_importing_pymc(monkeypatch):
    monkeypatch.setitem(sys.modules, "pymc", None)  # any import of pymc would fail
    design = Boin(target=0.3, n_doses=3, max_n=30)
    with pytest.raises(SpecError, match="settings: expected McmcSettings"):
        mcmc_posterior(design, [3, 0, 0], [0, 0, 0], {"draws": 1000})
    with pytest.raises(DataError, match="DLTs <= patients"):
        mcmc_posterior(design, [3, 0, 0], [4, 0, 0])
    with pytest.raises(DataError, match="need 3 patient and DLT counts"):
        mcmc_posterior(design, [3, 0], [0, 0])


# ---- missing extra --------------------------------------------------------------------------------


def test_missing_pymc_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pymc", None)
    with pytest.raises(MissingExtraError) as err:
        require_pymc()
    assert isinstance(err.value, DosefindError)
    assert 'pip install "dosefind[bayes]"' in str(err.value)
    with pytest.raises(MissingExtraError):
        mcmc_posterior(_crm(), [3, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0])


def test_importing_the_inference_package_does_not_import_pymc():
    code = "import sys, dosefind.inference; print('pymc' in sys.modules, 'arviz' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# ---- models ---------------------------------------------------------------------------------------


def test_beta_binomial_model_structure():
    design = Boin(target=0.3, n_doses=5, max_n=30)
    model = build_beta_binomial_model(design, [3, 6, 3, 0, 0], [0, 1, 2, 0, 0])
    assert [v.name for v in model.free_RVs] == ["p"]
    assert [v.name for v in model.observed_RVs] == ["y"]
    assert model.named_vars_to_dims == {"p": ("dose",), "y": ("dose",)}
    assert tuple(model.coords["dose"]) == design.doses
    np.testing.assert_array_equal(model.rvs_to_values[model["y"]].data, [0, 1, 2, 0, 0])
    a, b = (x.eval() for x in model["p"].owner.inputs[-2:])
    assert (a.dtype, b.dtype) == (np.float64, np.float64)
    assert (a.item(), b.item()) == BETA_PRIOR
    with pytest.raises(DataError):
        build_beta_binomial_model(design, [3, 6, 3, 0], [0, 1, 2, 0])
    with pytest.raises(SpecError, match="prior: Beta"):
        build_beta_binomial_model(design, [3, 6, 3, 0, 0], [0, 1, 2, 0, 0], prior=(0.0, 1.0))


@pytest.mark.parametrize("model_family", ["empiric", "logistic"])
def test_crm_model_structure(model_family):
    design = _crm(model_family)
    model = build_crm_model(design, [0, 3, 4, 3, 0, 0], [0, 0, 1, 2, 0, 0])
    assert [v.name for v in model.free_RVs] == ["b"]
    assert [v.name for v in model.observed_RVs] == ["y"]
    assert [v.name for v in model.deterministics] == ["p"]
    assert model.named_vars_to_dims == {"p": ("dose",)}
    np.testing.assert_array_equal(model.rvs_to_values[model["y"]].data, [0, 1, 2])  # treated doses only
    empty = build_crm_model(design, [0] * 6, [0] * 6)
    assert [v.name for v in empty.free_RVs] == ["b"] and empty.observed_RVs == []


@pytest.mark.parametrize("model_family", ["empiric", "logistic"])
def test_crm_model_log_density_and_curve_are_the_designs(model_family):
    """The PyMC graph is the quadrature's model: same log density (up to nothing) and same p_d(b)."""
    design = _crm(model_family)
    n, y = np.array([0, 3, 4, 3, 0, 0]), np.array([0, 0, 1, 2, 0, 0])
    model = build_crm_model(design, n, y)
    logp = model.compile_logp(sum=True)
    curve = model.compile_fn(model["p"], inputs=[model["b"]], point_fn=False)
    for b in (-1.3, 0.0, 0.7):
        p = design.prob_tox(b)
        want = stats.norm.logpdf(b, 0, design.prior_sd) + stats.binom.logpmf(y, n, p)[n > 0].sum()
        assert float(logp({"b": b})) == pytest.approx(want, rel=1e-10)
        np.testing.assert_allclose(curve(b), p, rtol=1e-12)


def test_beta_binomial_log_density():
    design = ThreePlusThree(n_doses=4)
    n, y = np.array([3, 6, 3, 0]), np.array([0, 1, 2, 0])
    model = build_beta_binomial_model(design, n, y, prior=(0.5, 2.0))
    logp = model.compile_logp(sum=True, jacobian=False)
    p = np.array([0.1, 0.25, 0.6, 0.9])
    want = stats.beta.logpdf(p, 0.5, 2.0).sum() + stats.binom.logpmf(y, n, p).sum()
    logit = np.log(p / (1 - p))
    assert float(logp({"p_logodds__": logit})) == pytest.approx(want, rel=1e-10)


# ---- diagnostics on fabricated draws ----------------------------------------------------------------


def _idata(posterior: dict, diverging=None):
    import arviz as az

    chains, draws = next(iter(posterior.values())).shape[:2]
    div = np.zeros((chains, draws), dtype=bool) if diverging is None else diverging
    doses = [str(d + 1) for d in range(posterior["p"].shape[2])] if "p" in posterior else []
    return az.from_dict(
        posterior=posterior,
        sample_stats={"diverging": div},
        dims={"p": ["dose"]},
        coords={"dose": doses},  # as the model builders label them: the design's dose labels
    )


def test_good_draws_give_no_warnings_and_a_full_table():
    rng = np.random.default_rng(1)
    design = _crm()
    n, y = [0, 3, 4, 3, 0, 0], [0, 0, 1, 2, 0, 0]
    exact = fast_posterior(design, n, y)
    # independent draws from a normal approximation of b's posterior: perfectly mixed "chains"
    idata = _idata({"b": rng.normal(0.4, 0.45, size=(4, 1000))})
    table = posterior_from_draws(design, n, y, idata, McmcSettings(draws=1000))
    assert table.warnings == ()
    dg = table.diagnostics
    assert dg["parameters"] == ["b"] and dg["chains"] == 4 and dg["draws"] == 1000 and dg["tune"] == 1000
    assert dg["r_hat_max"] < 1.01 and dg["ess_bulk_min"] > 3000 and dg["divergences"] == 0
    assert table.model == exact.model and table.method == "mcmc"
    assert set(table.extra) == {"plugin", "mcse_mean", "mcse_prob_above_target", "mcse_lower", "mcse_upper"}
    assert np.all(table.lower < table.mean) and np.all(table.mean < table.upper)
    assert np.all(np.diff(table.mean) > 0)  # p_d(b) increases with the dose at every draw
    # independent draws: the MCSE of each mean is close to sd / sqrt(number of draws)
    sd = design.prob_tox(idata.posterior["b"].values).reshape(-1, 6).std(axis=0)
    np.testing.assert_allclose(table.extra["mcse_mean"], sd / np.sqrt(4000), rtol=0.15)
    table.to_dict()  # JSON-ready


def test_poor_draws_warn_with_what_to_do():
    rng = np.random.default_rng(2)
    # two chains stuck in different places, strongly autocorrelated, with divergences
    walk = np.cumsum(rng.normal(0, 0.05, size=(2, 200, 3)), axis=1) + np.array([0.2, 0.5])[:, None, None]
    p = 1 / (1 + np.exp(-walk))
    diverging = np.zeros((2, 200), dtype=bool)
    diverging[0, [3, 50]] = True
    design = Boin(target=0.3, n_doses=3, max_n=30)
    table = posterior_from_draws(design, [3, 3, 0], [0, 1, 0], _idata({"p": p}, diverging))
    dg = table.diagnostics
    assert dg["parameters"] == ["p[1]", "p[2]", "p[3]"] and dg["divergences"] == 2
    assert dg["r_hat_max"] > R_HAT_MAX and dg["ess_bulk_min"] < ESS_MIN and dg["ess_tail_min"] < ESS_MIN
    assert dg["seconds"] is None and "seed" not in dg  # no settings given: no provenance invented
    text = " | ".join(table.warnings)
    assert len(table.warnings) == 4
    assert "R-hat" in text and "bulk effective sample size" in text and "tail effective sample size" in text
    assert "2 divergent transitions" in text and "target_accept" in text
    assert "--draws" in text
    assert "isotonic" in table.extra


def test_stuck_chain_is_reported_not_hidden():
    design = _crm()
    b = np.zeros((2, 300))  # never moved: R-hat and ESS undefined
    dg = convergence_diagnostics(_idata({"b": b}), ["b"])
    assert dg["r_hat"] == [None] and dg["r_hat_max"] is None  # (ArviZ calls the ESS of a constant N)
    warnings = diagnostic_warnings(dg)
    assert any("could not be computed" in w for w in warnings)
    table = posterior_from_draws(design, [3, 0, 0, 0, 0, 0], [0] * 6, _idata({"b": b}))
    assert table.warnings == warnings


@pytest.mark.parametrize(
    "r_hat, ess_bulk, ess_tail, divergences, expected",
    [
        (R_HAT_MAX, ESS_MIN, ESS_MIN, 0, 0),  # at the thresholds: fine
        (R_HAT_MAX + 1e-4, ESS_MIN, ESS_MIN, 0, 1),
        (1.0, ESS_MIN - 1, ESS_MIN, 0, 1),
        (1.0, ESS_MIN, ESS_MIN - 1, 0, 1),
        (1.0, 5000, 5000, 1, 1),
        (1.2, 50, 60, 7, 4),
    ],
)
def test_warning_thresholds(r_hat, ess_bulk, ess_tail, divergences, expected):
    dg = {
        "r_hat_max": r_hat,
        "ess_bulk_min": ess_bulk,
        "ess_tail_min": ess_tail,
        "divergences": divergences,
        "chains": 4,
        "draws": 1000,
    }
    assert len(diagnostic_warnings(dg)) == expected


def _suggested(warning: str) -> int:
    return int(warning.rsplit("--draws ", 1)[1].split(",")[0])


def test_suggested_draws_reach_the_ess_target():
    dg = {"r_hat_max": 1.0, "ess_bulk_min": 1500.0, "ess_tail_min": 600.0, "divergences": 0, "chains": 4}
    (warning,) = diagnostic_warnings({**dg, "ess_bulk_min": 150.0, "draws": 3000})
    assert _suggested(warning) == 10000  # 3000 x 1.25 x 400 / 150 = 10000
    (warning,) = diagnostic_warnings({**dg, "ess_tail_min": 390.0, "draws": 3000})
    assert _suggested(warning) == 6000  # at least twice the draws
    (warning,) = diagnostic_warnings({**dg, "ess_tail_min": 390.0, "draws": 100})
    assert _suggested(warning) == McmcSettings().draws  # never fewer than the default
    warnings = diagnostic_warnings({**dg, "r_hat_max": 1.05, "ess_bulk_min": 40.0, "draws": 1000})
    assert len(warnings) == 2 and {_suggested(w) for w in warnings} == {13000}  # one suggestion for all
