"""Random scenario generators: reproducibility, curve properties, exactness, a published calibration."""

import numpy as np
import pytest
from scipy import stats

from dosefind.errors import SpecError
from dosefind.scenario import generators as g
from dosefind.scenario.generators import GENERATORS, generate, mtd_position, neighbour_gap

NAMES = sorted(set(GENERATORS) - {"two_drug"})  # single-agent curves (two_drug: test_two_drug_generator)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_and_index_give_the_same_scenario(name):
    a = GENERATORS[name](n_doses=6, target=0.25, index=17, seed=2024)
    b = GENERATORS[name](n_doses=6, target=0.25, index=17, seed=2024)
    assert a == b
    assert a.name == f"{name}-17"
    assert name in a.description and "seed=2024" in a.description
    assert GENERATORS[name](n_doses=6, target=0.25, index=18, seed=2024).true_tox != a.true_tox
    assert GENERATORS[name](n_doses=6, target=0.25, index=17, seed=2025).true_tox != a.true_tox


@pytest.mark.parametrize("name", NAMES)
def test_order_and_chunking_do_not_matter(name):
    forward = generate(name, 10, seed=5, n_doses=5, target=0.3)
    backward = [GENERATORS[name](n_doses=5, target=0.3, index=i, seed=5) for i in reversed(range(10))]
    chunked = generate(name, 4, seed=5, n_doses=5, target=0.3) + generate(
        name, 6, seed=5, start=4, n_doses=5, target=0.3
    )
    assert forward == backward[::-1] == chunked
    assert len({s.true_tox for s in forward}) == 10


def test_generators_use_separate_streams():
    a = g.clertant_oquigley(n_doses=5, target=0.3, index=0, seed=1)
    b = g.liu_yuan(n_doses=5, target=0.3, index=0, seed=1, prefix="clertant_oquigley")
    assert a.name == b.name and a.true_tox != b.true_tox


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("n_doses, target", [(5, 0.3), (8, 0.2), (2, 0.5)])
def test_curves_are_increasing_and_mtd_is_uniform(name, n_doses, target):
    scenarios = generate(name, 2000, seed=11, n_doses=n_doses, target=target)
    curves = np.array([s.true_tox for s in scenarios])
    assert np.all((curves > 0) & (curves < 1))
    assert np.all(np.diff(curves, axis=1) > 0)
    positions = [mtd_position(c, target) for c in curves]
    assert None not in positions
    counts = np.bincount(positions, minlength=n_doses)
    assert stats.chisquare(counts).pvalue > 1e-4


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("mtd", [0, 2, 5])
def test_requested_mtd_position(name, mtd):
    scenarios = generate(name, 500, seed=3, n_doses=6, target=0.25, mtd=mtd)
    assert all(mtd_position(s.true_tox, 0.25) == mtd for s in scenarios)
    assert all(f"MTD at dose {mtd + 1}" in s.description for s in scenarios)


@pytest.mark.parametrize("name", NAMES)
def test_min_gap_is_respected(name):
    scenarios = generate(name, 500, seed=9, n_doses=5, target=0.3, min_gap=0.1)
    gaps = [neighbour_gap(s.true_tox, 0.3, mtd_position(s.true_tox, 0.3)) for s in scenarios]
    assert min(gaps) >= 0.1
    plain = generate(name, 500, seed=9, n_doses=5, target=0.3)
    plain_gaps = [neighbour_gap(s.true_tox, 0.3, mtd_position(s.true_tox, 0.3)) for s in plain]
    assert min(plain_gaps) < 0.1  # the constraint does bind


def test_liu_yuan_step_size_controls_the_gap():
    """Calibration used for the CFO design's random scenarios (Jin & Yin; the Liu & Yuan scheme with
    sigma0 = 0.05, sigma1 = sigma2 = 0.35, target 0.3, 5 doses): mu1 = mu2 = 0.38 gives a mean gap of
    0.07 and 0.71 gives 0.15 (values quoted to two decimals, so +-0.005, plus 4 Monte Carlo SE)."""
    for mu, published in ((0.38, 0.07), (0.71, 0.15)):
        scenarios = generate("liu_yuan", 8000, seed=42, n_doses=5, target=0.3, mu1=mu, mu2=mu)
        gaps = np.array([neighbour_gap(s.true_tox, 0.3, mtd_position(s.true_tox, 0.3)) for s in scenarios])
        mcse = gaps.std(ddof=1) / np.sqrt(gaps.size)
        assert abs(gaps.mean() - published) < 0.005 + 4 * mcse


def test_liu_yuan_mtd_probability_is_probit_normal():
    """p_MTD = Phi(z), z ~ N(Phi^-1(target), sigma0^2): z has exactly that normal law (KS test)."""
    scenarios = generate("liu_yuan", 3000, seed=8, n_doses=4, target=0.25, mtd=1, sigma0=0.1)
    z = stats.norm.ppf([s.true_tox[1] for s in scenarios])
    assert stats.kstest(z, stats.norm(stats.norm.ppf(0.25), 0.1).cdf).pvalue > 1e-4


def _naive_pseudo_uniform(rng, n_doses, target, nu):
    """Plain rejection (the algorithm as usually written): the oracle of the exact sampler."""
    bound = target + (1 - target) * rng.beta(max(n_doses - 1 - nu, 0.5), 1.0)
    while True:
        p = np.sort(rng.uniform(0, bound, n_doses))
        if mtd_position(p, target) == nu:
            return p


@pytest.mark.parametrize("nu", [0, 3])
def test_pseudo_uniform_matches_plain_rejection(nu):
    n, k, target = 3000, 4, 0.3
    exact = np.array(
        [s.true_tox for s in generate("clertant_oquigley", n, 1, n_doses=k, target=target, mtd=nu)]
    )
    rng = np.random.default_rng(123)
    naive = np.array([_naive_pseudo_uniform(rng, k, target, nu) for _ in range(n)])
    for j in range(k):
        assert stats.ks_2samp(exact[:, j], naive[:, j]).pvalue > 1e-4


@pytest.mark.parametrize(
    "name, count, params, field",
    [
        ("nope", 1, dict(n_doses=5, target=0.3), "generator"),
        ("liu_yuan", 0, dict(n_doses=5, target=0.3), "count"),
        ("liu_yuan", 1, dict(n_doses=5, target=1.0), "target"),
        ("liu_yuan", 1, dict(n_doses=5, target=0.0), "target"),
        ("clertant_oquigley", 1, dict(n_doses=1, target=0.3), "n_doses"),
        ("clertant_oquigley", 1, dict(n_doses=5, target=0.3, mtd=5), "mtd"),
        ("clertant_oquigley", 1, dict(n_doses=5, target=0.3, mtd=-1), "mtd"),
        ("clertant_oquigley", 1, dict(n_doses=5, target=0.3, min_gap=0.8), "min_gap"),
        ("liu_yuan", 1, dict(n_doses=5, target=0.3, sigma1=-0.1), "sigma1"),
        ("liu_yuan", 1, dict(n_doses=5, target=0.3, skeleton=[0.1]), "liu_yuan.skeleton"),
        ("liu_yuan", 1, dict(target=0.3), "liu_yuan.n_doses"),
    ],
)
def test_invalid_parameters_name_the_field(name, count, params, field):
    with pytest.raises(SpecError) as info:
        generate(name, count, seed=1, **params)
    assert info.value.field == field
    assert info.value.fix


def test_negative_seed_is_refused():
    with pytest.raises(SpecError, match="seed"):
        generate("liu_yuan", 1, seed=-1, n_doses=5, target=0.3)
