"""The multisource exchangeability model (``kind = "mem"``): the exact posterior against a brute-force
oracle that shares no code with the implementation, exact OCs against simulation, the decision path shared
by simulation and the live analysis, and bad inputs refused."""

import itertools
import json
import math

import numpy as np
import pytest

from dosefind.basket import Cohort, Fujikawa, Mem, spec_from_dict
from dosefind.basket.decide import analyze, decide_look, run_looks
from dosefind.basket.exact import check_exact
from dosefind.basket.live import BasketData, analyze_data
from dosefind.basket.mem import mem_predictive, mem_row_weights, mem_summary, pep_matrix
from dosefind.errors import EngineError, SpecError

from .test_basket_exact import assert_exact_matches_simulation

TOLERANCE_MCSE = 4.5


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def _upper_tail(a: float, b: float, q0: float) -> float:
    """P(Beta(a, b) > q0) = I_{1 - q0}(b, a) by the hypergeometric series
    I_y(p, q) = y^p (1 - y)^q / (p B(p, q)) sum_m (p + q)_m / (p + 1)_m y^m."""
    p, q, y = b, a, 1.0 - q0
    term, total, m = 1.0, 1.0, 0
    while term > 1e-18 * total:
        term *= (p + q + m) / (p + 1 + m) * y
        total += term
        m += 1
    return math.exp(p * math.log(y) + q * math.log1p(-y) - math.log(p) - _log_beta(p, q)) * total


def oracle(n, x, a, b, inclusion, q0, predict=None):
    """Plain loops over every symmetric exchangeability matrix: PEP, P(q_k > q0_k) (None without q0; with
    ``predict`` = (need, remaining) the predictive probability of reaching ``need`` instead), posterior
    mean."""
    k = len(n)
    edges = [(i, j) for i in range(k) for j in range(i + 1, k)]
    logs, mats = [], []
    for bits in itertools.product((0, 1), repeat=len(edges)):
        s = [[int(i == j) for j in range(k)] for i in range(k)]
        log_prior = 0.0
        for (i, j), bit in zip(edges, bits, strict=True):
            s[i][j] = s[j][i] = bit
            p = inclusion[i][j]
            log_prior += math.log(p) if bit else math.log(1 - p)
        log_m = 0.0
        for i in range(k):
            xs = sum(s[i][j] * x[j] for j in range(k))
            ns = sum(s[i][j] * n[j] for j in range(k))
            log_m += _log_beta(a + xs, b + ns - xs) - _log_beta(a, b)
            for j in range(k):
                if not s[i][j]:
                    log_m += _log_beta(a + x[j], b + n[j] - x[j]) - _log_beta(a, b)
        logs.append(log_m + log_prior)
        mats.append(s)
    top = max(logs)
    weights = [math.exp(v - top) for v in logs]
    total = sum(weights)
    pep = [[0.0] * k for _ in range(k)]
    mean = [0.0] * k
    shapes = [dict() for _ in range(k)]
    for w, s in zip(weights, mats, strict=True):
        w /= total
        for i in range(k):
            xs = sum(s[i][j] * x[j] for j in range(k))
            ns = sum(s[i][j] * n[j] for j in range(k))
            mean[i] += w * (a + xs) / (a + b + ns)
            shapes[i][(xs, ns)] = shapes[i].get((xs, ns), 0.0) + w
            for j in range(k):
                pep[i][j] += w * s[i][j]
    if predict is not None:  # (need, remaining) per cohort: P(x_k + Y_k >= need_k), Y_k beta-binomial
        out = []
        for i in range(k):
            need, m = predict[0][i], predict[1][i]
            total_i = 0.0
            for (xs, ns), w in shapes[i].items():
                aa, bb = a + xs, b + ns - xs
                for y in range(max(need, 0), m + 1):
                    log_c = math.lgamma(m + 1) - math.lgamma(y + 1) - math.lgamma(m - y + 1)
                    total_i += w * math.exp(log_c + _log_beta(aa + y, bb + m - y) - _log_beta(aa, bb))
            out.append(total_i)
        return np.array(pep), np.array(out), np.array(mean)
    if q0 is None:
        return np.array(pep), None, np.array(mean)
    prob = [
        sum(w * _upper_tail(a + xs, b + ns - xs, q0[i]) for (xs, ns), w in shapes[i].items())
        for i in range(k)
    ]
    return np.array(pep), np.array(prob), np.array(mean)


@pytest.mark.parametrize("seed", range(8))
def test_posterior_equals_the_brute_force_oracle(seed):
    rng = np.random.default_rng(seed)
    k = 2 + seed % 4  # 2 to 5 cohorts
    n = rng.integers(0, 16, k)
    x = rng.integers(0, n + 1)
    a, b = (float(v) for v in rng.uniform(0.3, 2.0, 2))
    p = rng.uniform(0.05, 0.95, (k, k))
    inclusion = np.triu(p, 1) + np.triu(p, 1).T + np.eye(k)
    design = Mem(prior=(a, b), prior_inclusion=inclusion.tolist())
    q0 = rng.uniform(0.1, 0.4, k)
    cohorts = tuple(Cohort(f"c{i}", 20, float(q)) for i, q in enumerate(q0))
    pep, prob, mean = oracle(n.tolist(), x.tolist(), a, b, inclusion.tolist(), q0.tolist())
    got_pep = pep_matrix(mem_row_weights(design, n[None], x[None]))[0]
    got_prob, got_mean = analyze(design, cohorts, n[None], x[None])
    assert np.abs(got_pep - pep).max() < 1e-10
    assert np.abs(got_mean[0] - mean).max() < 1e-10
    assert np.abs(got_prob[0] - prob).max() < 1e-10
    remaining = rng.integers(0, 10, k)
    need = rng.integers(-1, 8, k)
    _, pred, _ = oracle(n.tolist(), x.tolist(), a, b, inclusion.tolist(), None, (need, remaining))
    got_pred = mem_predictive(design, n[None], x[None], need[None], remaining[None])[0]
    assert np.abs(got_pred - pred).max() < 1e-10


def test_one_cohort_is_the_independent_beta_posterior():
    from dosefind.basket import Independent

    cohort = (Cohort("c", 12, 0.2),)
    n, x = np.array([[12], [5]]), np.array([[4], [0]])
    got = analyze(Mem(prior=(0.7, 1.3)), cohort, n, x)
    expected = analyze(Independent(prior=(0.7, 1.3)), cohort, n, x)
    assert np.allclose(got[0], expected[0], rtol=0, atol=1e-15)
    assert np.allclose(got[1], expected[1], rtol=0, atol=1e-15)


def test_seven_cohorts_and_the_logarithmic_fallback(monkeypatch):
    """K = 7 (2^21 matrices): the depth-first sum equals the matrix-by-matrix sum in logarithms (the
    fallback, forced here), and data whose scaled sum underflows still give finite probabilities."""
    from dosefind.basket import mem

    design = Mem(prior_inclusion=0.3)
    n = np.array([[20, 24, 20, 30, 26, 40, 50], [10, 12, 10, 15, 13, 20, 25]])
    x = np.array([[5, 1, 4, 3, 2, 5, 7], [0, 12, 1, 15, 0, 20, 3]])
    w = mem_row_weights(design, n, x)
    assert np.allclose(w.sum(axis=2), 1.0, atol=1e-13)
    monkeypatch.setattr(mem, "_SMALL_TOTAL", math.inf)
    assert np.abs(mem_row_weights(design, n, x) - w).max() < 1e-12
    monkeypatch.undo()
    big_n = np.array([[2000, 2000, 2000, 2000]])
    big_x = np.array([[0, 2000, 0, 2000]])
    pep = pep_matrix(mem_row_weights(design, big_n, big_x))[0]
    inclusion = [[1.0 if i == j else 0.3 for j in range(4)] for i in range(4)]
    expected, _, _ = oracle(big_n[0].tolist(), big_x[0].tolist(), 0.5, 0.5, inclusion, None)
    assert np.abs(pep - expected).max() < 1e-10 and pep[0, 1] < 1e-100


def test_summary_quantities_are_consistent():
    design = Mem()
    cohorts = tuple(Cohort(f"c{i}", 20, 0.2) for i in range(3))
    s = mem_summary(design, cohorts, [10, 12, 8], [4, 6, 1], level=0.95, hpd=True)
    assert np.all(s["hpd_lower"] < s["median"]) and np.all(s["median"] < s["hpd_upper"])
    assert np.all(s["hpd_upper"] - s["hpd_lower"] <= s["upper"] - s["lower"] + 1e-9)
    assert np.array_equal(s["map"], s["map"].T) and np.all(np.diag(s["map"]) == 1)
    assert np.allclose(s["pep"], s["pep"].T)


@pytest.mark.parametrize(
    "cohorts, rates",
    [
        (tuple(Cohort(f"c{i}", n, 0.2) for i, n in enumerate((8, 10, 12))), (0.2, 0.45, 0.45)),
        (tuple(Cohort(f"c{i}", n, 0.2, (n // 2, n)) for i, n in enumerate((6, 8, 10))), (0.2, 0.2, 0.5)),
    ],
    ids=["one look", "interim look"],
)
@pytest.mark.parametrize("interim", ["posterior", "predictive"])
def test_exact_agrees_with_simulation_within_mcse(cohorts, rates, interim):
    design = Mem(prior_inclusion=0.4, threshold=0.9, futility=0.1, interim=interim)
    assert_exact_matches_simulation(design, cohorts, rates, 3, TOLERANCE_MCSE)


def test_simulation_and_live_analysis_decide_alike():
    """The live analysis of one trial's data gives the decisions the simulation took (one code path)."""
    cohorts = tuple(Cohort(f"c{i}", n, 0.2, (n // 2, n)) for i, n in enumerate((10, 12, 14)))
    design = Mem(threshold=0.9, futility=0.1)
    spec = spec_from_dict(
        {
            "basket": {"name": "b"},
            "cohorts": [{"name": c.name, "n": c.n, "q0": c.q0, "looks": list(c.looks)} for c in cohorts],
            "designs": [design.to_dict()],
        },
        require_scenarios=False,
    )
    assert spec.designs[0] == design
    rng = np.random.default_rng(4)
    for _ in range(8):
        first = rng.integers(0, [6, 7, 8])
        counts = np.stack([first, first + rng.integers(0, [6, 7, 8])], axis=1)[None]
        status, n_used, x_used, prob, _ = run_looks(design, cohorts, counts)
        # the first look's decisions, as the meeting would see them
        n1 = np.array([[c.looks[0] for c in cohorts]])
        p1, _ = analyze(design, cohorts, n1, counts[:, :, 0])
        st1, _, _ = decide_look(design, cohorts, 0, False, n1, counts[:, :, 0], p1)
        rows = analyze_data(spec, design, BasketData(tuple(n1[0]), tuple(counts[0, :, 0])))
        words = {0: "continue", 1: "stop (futility)", 2: "go (early)"}
        assert [r["decision"] for r in rows] == [words[int(s)] for s in st1[0]]
        assert np.allclose([r["borrowed_prob_above_q0"] for r in rows], p1[0], atol=1e-15)
        # cohorts stopped at the first look keep that status in the simulation
        stopped = st1[0] != 0
        assert np.array_equal(status[0][stopped], st1[0][stopped])
        assert np.array_equal(n_used[0][stopped], n1[0][stopped])


def test_bad_inputs_are_refused_naming_the_field():
    with pytest.raises(SpecError, match="prior_inclusion"):
        Mem(prior_inclusion=1.5)
    with pytest.raises(SpecError, match=r"prior_inclusion\[1\]\[0\]"):
        Mem(prior_inclusion=[[1, 0.5], [0.4, 1]])
    with pytest.raises(SpecError, match=r"prior_inclusion\[1\]\[1\]"):
        Mem(prior_inclusion=[[1, 0.5], [0.5, 0.9]])
    with pytest.raises(SpecError, match="prior"):
        Mem(prior=(0.5, -1))
    with pytest.raises(SpecError, match="interim"):
        Mem(interim="predictive")  # stops nothing
    three = tuple(Cohort(f"c{i}", 10, 0.2) for i in range(3))
    with pytest.raises(SpecError, match="2 x 2 matrix for 3 cohorts"):
        Mem(prior_inclusion=[[1, 0.5], [0.5, 1]]).check_cohorts(three)
    eight = tuple(Cohort(f"c{i}", 10, 0.2) for i in range(8))
    with pytest.raises(SpecError, match=r"2.68e\+08 exchangeability matrices .* s per analysis") as e:
        Mem().check_cohorts(eight)
    assert "\n" not in str(e.value)
    looks = tuple(Cohort(f"c{i}", 20, 0.1, (10, 20)) for i in range(5))
    with pytest.raises(EngineError, match="states over the looks"):
        check_exact(Mem(), looks)


def test_other_designs_unchanged_by_the_mem_kind():
    """Adding the kind leaves the other designs' posteriors alone (a spot check of Fujikawa's)."""
    cohorts = tuple(Cohort(f"c{i}", 10, 0.2) for i in range(3))
    p, _ = analyze(Fujikawa(), cohorts, np.array([[10, 10, 10]]), np.array([[2, 5, 7]]))
    assert p.shape == (1, 3)


def test_a_matrix_of_inclusion_probabilities_round_trips_through_the_file():
    rows = [[1.0, 0.9, 0.1], [0.9, 1.0, 0.5], [0.1, 0.5, 1.0]]
    design = Mem(prior=(0.2, 0.8), prior_inclusion=rows, threshold=0.9)
    data = design.to_dict()
    assert data["prior_inclusion"] == rows
    spec = spec_from_dict(
        {
            "basket": {"name": "b", "q0": 0.2},
            "cohorts": [{"name": f"c{i}", "n": 10} for i in range(3)],
            "designs": [data],
        },
        require_scenarios=False,
    )
    assert spec.designs[0] == design and hash(spec.designs[0]) == hash(design)
    too_many = {
        "basket": {"name": "b", "q0": 0.2},
        "cohorts": [{"name": f"c{i}", "n": 10} for i in range(8)],
        "designs": [{"kind": "mem"}],
    }
    with pytest.raises(SpecError, match=r"designs\[0\]\.kind"):
        spec_from_dict(too_many, require_scenarios=False)


def test_analyze_command_shows_the_exchangeability_matrix():
    from pathlib import Path

    from typer.testing import CliRunner

    from dosefind.cli import app

    root = Path(__file__).resolve().parents[2]
    example = str(root / "examples" / "baskets" / "mem-five.toml")
    data = str(root / "examples" / "baskets" / "mem-five-data.csv")
    r = CliRunner().invoke(app, ["basket", "analyze", example, "--data", data])
    assert r.exit_code == 0, r.output
    assert "posterior exchangeability probabilities PEP[k, j]" in r.output
    assert "MEM (exact)" in r.output
    r = CliRunner().invoke(app, ["basket", "analyze", example, "--data", data, "--format", "json"])
    rows = json.loads(r.output)["cohorts"]
    assert rows[0]["exchangeability"]["nsclc"] == 1.0 and "nsclc" in rows[0]["map_exchangeable"]


def test_relabelling_the_cohorts_relabels_the_posterior():
    """Permutation equivariance (the depth-first sum treats rows asymmetrically; the model does not)."""
    rng = np.random.default_rng(11)
    for k in (3, 5, 6):
        n = rng.integers(1, 25, k)
        x = rng.integers(0, n + 1)
        p = rng.uniform(0.1, 0.9, (k, k))
        inclusion = np.triu(p, 1) + np.triu(p, 1).T + np.eye(k)
        q0 = rng.uniform(0.1, 0.4, k)
        perm = rng.permutation(k)
        one = Mem(prior=(0.5, 1.5), prior_inclusion=inclusion.tolist())
        two = Mem(prior=(0.5, 1.5), prior_inclusion=inclusion[np.ix_(perm, perm)].tolist())
        cohorts = tuple(Cohort(f"c{i}", 30, float(q)) for i, q in enumerate(q0))
        moved = tuple(cohorts[i] for i in perm)
        p1, m1 = analyze(one, cohorts, n[None], x[None])
        p2, m2 = analyze(two, moved, n[perm][None], x[perm][None])
        assert np.allclose(p1[0, perm], p2[0], rtol=0, atol=1e-12)
        assert np.allclose(m1[0, perm], m2[0], rtol=0, atol=1e-12)
        pep1 = pep_matrix(mem_row_weights(one, n[None], x[None]))[0]
        pep2 = pep_matrix(mem_row_weights(two, n[perm][None], x[perm][None]))[0]
        assert np.allclose(pep1[np.ix_(perm, perm)], pep2, rtol=0, atol=1e-12)
        assert np.allclose(pep1, pep1.T, rtol=0, atol=1e-12) and pep1.min() >= 0 and pep1.max() <= 1


def test_simulate_exact_command_on_a_small_mem_basket(tmp_path):
    from typer.testing import CliRunner

    from dosefind.cli import app

    path = tmp_path / "small.toml"
    path.write_text(
        '[basket]\nname = "small"\nq0 = 0.2\n'
        + "".join(
            f'[[cohorts]]\nname = "c{i}"\nn = {n}\nlooks = [{n // 2}, {n}]\n' for i, n in enumerate((6, 8, 8))
        )
        + '[[designs]]\nkind = "mem"\nprior_inclusion = 0.3\nthreshold = 0.9\nfutility = 0.1\n'
        + '[[scenarios]]\nname = "one active"\nrates = [0.2, 0.2, 0.5]\n'
    )
    r = CliRunner().invoke(app, ["basket", "simulate", str(path), "--exact", "--format", "json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["provenance"]["method"] == "exact"
    rows = {(x["metric"], x["cohort"]): x for x in out["rows"]}
    assert rows[("fwer", "")]["mcse"] == 0.0 and 0 < rows[("fwer", "")]["value"] < 1
