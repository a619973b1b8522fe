"""Adult data onto the paediatric dose scale (dosefind.paediatric.adult): the mapping leaves p(d) invariant
at exposure-equivalent doses, the posterior moments and the skeleton agree with scipy's adaptive
quadrature, closed forms without data, the prior's discounts, refusals, and design files that load."""

import functools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate
from scipy.special import expit

from dosefind.designs.registry import design_from_dict
from dosefind.errors import SpecError
from dosefind.paediatric import (
    AdultData,
    AdultModel,
    Discount,
    Scaling,
    adult_mean_prob,
    check_skeleton,
    fit_adult,
    map_adult_to_paediatric,
    paediatric_parameters,
    read_adult_csv,
    weakly_informative,
)
from dosefind.paediatric.adult import PriorComponent
from dosefind.paediatric.design import blrm_design, crm_design

# OncoBayes2's hist_SA (Neuenschwander, Branson & Gsponer 2008)
HIST_SA = AdultData((1, 2.5, 5, 10, 25), (3, 4, 5, 4, 2), (0, 0, 0, 0, 2))
PAED = (2.89, 4.05, 4.91, 5.78, 6.94)  # mg/m2: 0.5-1.2 x 10 mg / 1.73 m2


@given(
    la=st.floats(-6, 4),
    lb=st.floats(-3, 2),
    kind=st.sampled_from(["weight", "bsa", "allometric"]),
    adult_ref=st.floats(0.5, 500),
    dose=st.floats(0.01, 50),
    paed_ref=st.floats(0.01, 50),
)
def test_the_mapping_leaves_p_invariant_at_exposure_equivalent_doses(la, lb, kind, adult_ref, dose, paed_ref):
    scaling = Scaling(kind)
    shift = math.log(paed_ref / scaling.level_of(adult_ref))
    la_p, lb_p = paediatric_parameters(la, lb, shift)
    paed = expit(la_p + math.exp(lb_p) * math.log(dose / paed_ref))
    adult = expit(la + math.exp(lb) * math.log(scaling.adult_equivalent(dose) / adult_ref))
    assert paed == pytest.approx(adult, rel=1e-9, abs=1e-300)
    assert lb_p == lb  # proportional scaling: the slope is unchanged


def _scipy_oracle(model, functions):
    """Posterior expectations by scipy's adaptive 2-D quadrature over a box of +-20 Laplace sds around the
    mode (the density at its edge is checked to be negligible)."""
    mode, cov = model.mode()
    lmax = float(model.log_posterior(*mode))
    sd = np.sqrt(np.diag(cov))
    a0, a1 = mode[0] - 20 * sd[0], mode[0] + 20 * sd[0]
    b0, b1 = mode[1] - 20 * sd[1], mode[1] + 20 * sd[1]
    edge = max(float(model.log_posterior(a, b)) - lmax for a in np.linspace(a0, a1, 41) for b in (b0, b1))
    edge = max(
        edge, *(float(model.log_posterior(a, b)) - lmax for a in (a0, a1) for b in np.linspace(b0, b1, 41))
    )
    assert edge < -40

    @functools.cache  # the integrals share most of their nodes
    def dens(lb, la):
        return math.exp(float(model.log_posterior(la, lb)) - lmax)

    def integral(f):
        return integrate.dblquad(
            lambda lb, la: f(la, lb) * dens(lb, la), a0, a1, b0, b1, epsabs=1e-13, epsrel=1e-12
        )[0]

    z = integral(lambda la, lb: 1.0)
    return [integral(f) / z for f in functions]


@pytest.fixture(scope="module")
def hist_sa_model():
    return AdultModel(10.0, weakly_informative(0.245), HIST_SA)


def test_moments_agree_with_scipy_quadrature(hist_sa_model):
    shift = 0.3
    t1 = lambda la, lb: la + math.exp(lb) * shift  # noqa: E731
    e1, e2, e11, e12, e22 = _scipy_oracle(
        hist_sa_model,
        [
            t1,
            lambda la, lb: lb,
            lambda la, lb: t1(la, lb) ** 2,
            lambda la, lb: t1(la, lb) * lb,
            lambda la, lb: lb * lb,
        ],
    )
    mean, cov = fit_adult(hist_sa_model).moments(shift)
    assert mean == pytest.approx([e1, e2], abs=1e-6)
    assert cov == pytest.approx(
        np.array([[e11 - e1 * e1, e12 - e1 * e2], [e12 - e1 * e2, e22 - e2 * e2]]), abs=1e-6
    )


def test_skeleton_equals_the_adult_posterior_mean_at_mapped_doses_by_scipy(hist_sa_model):
    scaling = Scaling("bsa")
    adult = [scaling.adult_equivalent(x) for x in PAED]
    xs = [math.log(a / 10.0) for a in adult]
    oracle = _scipy_oracle(hist_sa_model, [lambda la, lb, x=x: expit(la + math.exp(lb) * x) for x in xs])
    mapped = map_adult_to_paediatric(hist_sa_model, scaling, PAED)
    assert mapped.skeleton == pytest.approx(oracle, abs=1e-6)
    assert mapped.adult_equivalent == pytest.approx(adult)
    # the grid that gives the moments agrees with the engine's quadrature that gives the skeleton
    assert fit_adult(hist_sa_model).mean_prob(adult) == pytest.approx(mapped.skeleton, abs=1e-7)
    assert all(0 < s < 1 for s in mapped.skeleton) and all(np.diff(mapped.skeleton) > 0)


@pytest.mark.parametrize("shift", [0.0, -0.4, 0.7])
def test_without_data_the_moments_have_closed_forms(shift):
    """(log alpha, log beta) ~ N(m, S) given as the adult posterior: E and Cov of (log alpha + c e^lb, lb)
    by the lognormal moments and Stein's lemma (Cov(X, g(Y)) = Cov(X, Y) E g'(Y))."""
    m1, m2, s1, s2, rho = -1.2, 0.3, 0.8, 0.6, -0.35
    model = AdultModel(20.0, PriorComponent(1.0, (m1, m2), (s1, s2), rho), None)
    mean, cov = fit_adult(model).moments(shift)
    eb = math.exp(m2 + s2 * s2 / 2)
    var_b = (math.exp(s2 * s2) - 1) * math.exp(2 * m2 + s2 * s2)
    v11 = s1 * s1 + shift * shift * var_b + 2 * shift * rho * s1 * s2 * eb
    v12 = rho * s1 * s2 + shift * s2 * s2 * eb
    assert mean == pytest.approx([m1 + shift * eb, m2], abs=1e-9)
    assert cov == pytest.approx(np.array([[v11, v12], [v12, s2 * s2]]), abs=1e-9)


def test_the_prior_applies_the_stated_discounts(hist_sa_model):
    d = Discount(inflation=3.0, extrapolation_sd=0.7, robust_weight=0.25)
    mapped = map_adult_to_paediatric(
        hist_sa_model, Scaling("bsa"), PAED, reference_dose=4.91, discount=d, target=0.3
    )
    assert mapped.reference_dose == 4.91
    assert mapped.shift == pytest.approx(math.log(4.91 * 1.73 / 10.0))
    mean, cov = fit_adult(hist_sa_model).moments(mapped.shift)
    info, robust = mapped.components
    assert info.weight == 0.75 and robust.weight == 0.25
    assert info.mean == pytest.approx(tuple(mean), abs=1e-12)
    want = 3.0 * cov + np.diag([0.49, 0.0])
    assert info.cov == pytest.approx(want, rel=1e-9)
    assert robust.mean == pytest.approx((math.log(0.3 / 0.7), 0.0)) and robust.sd == (2.0, 1.0)
    # the default paediatric reference: the dose nearest to g^-1(d*_a) = 10 / 1.73 = 5.780
    assert map_adult_to_paediatric(hist_sa_model, Scaling("bsa"), PAED).reference_dose == 5.78
    only = map_adult_to_paediatric(hist_sa_model, Scaling("bsa"), PAED, discount=Discount(1.0, 0.0, 0.0))
    assert len(only.components) == 1 and only.components[0].weight == 1.0
    assert only.components[0].cov == pytest.approx(np.array(only.adult_cov), rel=1e-9)


def test_refusals():
    with pytest.raises(SpecError, match=r"r\[4\].*3 DLTs among 2") as e:
        AdultData((1, 2, 3, 4, 5), (3, 3, 3, 3, 2), (0, 0, 0, 0, 3))
    assert "cannot exceed" in str(e.value)
    with pytest.raises(SpecError, match=r"dose\[0\]"):
        AdultData((0, 2), (3, 3), (0, 0))
    with pytest.raises(SpecError, match=r"skeleton\[2\].*does not increase"):
        check_skeleton([0.1, 0.2, 0.2])
    with pytest.raises(SpecError, match=r"skeleton\[0\]"):
        check_skeleton([0.0, 0.2])
    model = AdultModel(10.0, weakly_informative(0.245), HIST_SA)
    with pytest.raises(SpecError, match=r"doses\[1\]"):
        map_adult_to_paediatric(model, Scaling("bsa"), (3.0, 2.0))
    with pytest.raises(SpecError, match="reference_dose.*outside"):
        map_adult_to_paediatric(model, Scaling("bsa"), PAED, reference_dose=10.0)
    with pytest.raises(SpecError, match="inflation"):
        Discount(inflation=0.5)
    with pytest.raises(SpecError, match="robust_weight"):
        Discount(robust_weight=1.0)


def test_adult_csv(tmp_path):
    p = tmp_path / "adult.csv"
    p.write_text("# comment\ndose,n,r\n10,3,0\n5,3,1\n")
    data = read_adult_csv(p)
    assert data.doses == (5.0, 10.0) and data.n == (3, 3) and data.r == (1, 0)
    p.write_text("dose,n,r\n10,3,0\n20,2,3\n")
    with pytest.raises(SpecError, match=r"adult.csv: line 3, r: 3 DLTs among n = 2.*r cannot exceed n"):
        read_adult_csv(p)
    p.write_text("dose,n,r\n-1,3,0\n")
    with pytest.raises(SpecError, match="line 2, dose"):
        read_adult_csv(p)
    p.write_text("dose,patients\n1,3\n")
    with pytest.raises(SpecError, match="no column 'n'"):
        read_adult_csv(p)


def test_engine_mean_equals_the_grid_with_doses_outside_the_data(hist_sa_model):
    doses = [0.5, 10.0, 40.0]  # below, at and above the data (and the reference dose)
    assert adult_mean_prob(hist_sa_model, doses) == pytest.approx(
        fit_adult(hist_sa_model).mean_prob(doses), abs=1e-7
    )


def test_designs_round_trip_through_their_dicts(hist_sa_model):
    mapped = map_adult_to_paediatric(hist_sa_model, Scaling("bsa"), PAED)
    blrm = blrm_design(mapped, "mg/m2", max_n=21)
    assert design_from_dict(blrm.to_dict()) == blrm
    assert blrm.reference_dose == 5.78 and [float(x) for x in blrm.doses] == list(PAED)
    assert [c.weight for c in blrm.prior] == [0.8, 0.2]
    crm = crm_design(mapped, "mg/m2")
    assert design_from_dict(crm.to_dict()) == crm
    assert crm.skeleton == pytest.approx(mapped.skeleton, rel=1e-5) and crm.doses[0] == "2.89 mg/m2"


@pytest.mark.parametrize("kind", ["weight", "bsa", "allometric"])
def test_undiscounted_mapping_of_a_normal_adult_posterior_is_exact_end_to_end(kind):
    """An adult posterior given as a bivariate normal, no discount and the paediatric reference at
    g^-1(d*_a): the paediatric BLRM's prior is that normal, so its prior mean of p at x (the engine, no
    children) equals the adult mean of p at g(x), the skeleton."""
    from dosefind.engine.blrm import blrm_posterior_summary

    scaling = Scaling(kind)
    ref = scaling.level_of(10.0)
    doses = tuple(float(f"{f * ref:.12g}") for f in (0.5, 0.8, 1.0, 1.5))
    model = AdultModel(10.0, PriorComponent(1.0, (-1.0, 0.4), (0.9, 0.5), 0.3), None)
    mapped = map_adult_to_paediatric(
        model, scaling, doses, reference_dose=doses[2], discount=Discount(1.0, 0.0, 0.0)
    )
    assert abs(mapped.shift) < 1e-11
    (comp,) = mapped.components
    assert comp.mean == pytest.approx((-1.0, 0.4), abs=1e-8)
    assert comp.sd == pytest.approx((0.9, 0.5), abs=1e-8) and comp.corr == pytest.approx(0.3, abs=1e-8)
    design = blrm_design(mapped, scaling.per_size_unit("mg"))
    zero = np.zeros(len(doses), dtype=np.int64)
    prior_mean = blrm_posterior_summary(design, zero, zero)["mean"]
    assert prior_mean == pytest.approx(mapped.skeleton, abs=1e-6)
