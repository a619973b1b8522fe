"""The nonparametric optimal benchmark, a design's efficiency against it, and Cheung's accuracy index.

Definitions (T simulated trials, N patients per trial, D doses, true DLT probabilities p_d, target θ):

* **Nonparametric optimal benchmark** (O'Quigley, Paoletti & Maccario 2002, Biostatistics 3:51-56;
  used as an upper bound on accuracy e.g. by Wages, Conaway & O'Quigley 2013, Clinical Trials 10:
  "Performance of two-stage continual reassessment method relative to an optimal benchmark", and
  generalised by Mozgunov, Paoletti & Jaki 2022, Biostatistics 23:721). Under complete information each
  patient's latent toxicity tolerance u reveals the outcome at every dose: a DLT at dose d iff u < p_d.
  For trial t the benchmark takes the N tolerances the engine draws for that trial (the same patients the
  designs treat: common random numbers), estimates p̂_d = #{i : u_i < p_d} / N at every dose and selects
  the dose whose estimate is closest to θ. Ties are broken towards the **lowest** dose among those whose
  distance |#{u_i < p_d} - N θ| is within ``TIE_TOLERANCE`` of the smallest (distances are compared in
  count units so that 2/10 and 4/10 tie exactly around θ = 0.3). The benchmark always selects a dose.
  It is a reference point, not a theorem-backed bound for every scenario: a model-based design whose
  working model is close to the truth (e.g. the CRM) can exceed its PCS in some scenarios.
* **PCS** and ``prob_select`` of the benchmark carry the usual binomial MCSE sqrt(p(1-p)/T).
* **Efficiency** of a design relative to the benchmark: e = PCS_design / PCS_benchmark. Both are means of
  per-trial indicators a_t, b_t on the same patients, so by the delta method
  MCSE(e) = sd_t(a_t - e b_t) / (sqrt(T) PCS_benchmark), which accounts for their correlation.
* **Accuracy index** (Cheung 2011, "Dose Finding by the Continual Reassessment Method", CRC Press,
  section on the accuracy index; absolute-distance loss δ_d = |p_d - θ|):
  A = 1 - D Σ_d δ_d P(select d) / Σ_d δ_d. It is 1 for a design that always selects a dose with p_d = θ,
  0 for selecting uniformly at random, and can be negative. Trials selecting no dose add no loss (report
  ``prob_select_none`` beside it). With T trials its MCSE is
  (D / Σ δ) sqrt((Σ_d δ_d² π_d - (Σ_d δ_d π_d)²) / T) (multinomial variance of the selected dose).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..constants import TIE_TOLERANCE
from ..engine import SimResult
from ..engine.rng import latent_uniforms
from ..errors import SpecError
from ..scenario import Scenario
from .metrics import correct_mask, included_doses

#: trials per block of the [trials, patients, doses] comparison (bounds memory, never changes results)
BLOCK_TRIALS = 20_000


@dataclass(frozen=True, eq=False)
class BenchmarkResult:
    """Per-trial selections of the nonparametric optimal benchmark and their summaries.

    ``selected`` is the 0-based selected dose of every trial; ``prob_select``/``prob_select_mcse`` are
    per dose; ``correct`` is the mask of correct doses (:func:`dosefind.oc.metrics.correct_mask`: none when
    no dose is acceptable, and the benchmark, which always selects a dose, then has PCS 0).
    """

    scenario: Scenario
    target: float
    n_patients: int
    seed: int
    acceptable_band: float | None
    selected: np.ndarray
    prob_select: np.ndarray
    prob_select_mcse: np.ndarray
    correct: np.ndarray
    pcs: float
    pcs_mcse: float
    included: np.ndarray | None = None

    @property
    def n_trials(self) -> int:
        return int(self.selected.shape[0])

    @property
    def hit(self) -> np.ndarray:
        """Per-trial correct-selection indicator."""
        return self.correct[self.selected]

    def accuracy(self) -> tuple[float, float]:
        """Cheung's accuracy index of the benchmark and its MCSE."""
        return accuracy_index(
            self.prob_select, self.scenario.true_tox, self.target, self.n_trials, self.included
        )


def _check_whole(field: str, value, low: int, high: int, fix: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value < high:
        raise SpecError(field, f"{value!r} is not a whole number in [{low}, {high})", fix)
    return int(value)


def benchmark_selections(u: np.ndarray, true_tox, target: float, included=None) -> np.ndarray:
    """Selected dose of each row of latent tolerances ``u`` [trials, patients] (the benchmark's rule),
    among the ``included`` doses (default: all; a grid's excluded cells are never selected)."""
    u = np.asarray(u, dtype=np.float64)
    p = np.asarray(true_tox, dtype=np.float64)
    n_patients = u.shape[1]
    aim = n_patients * float(target)
    out = np.empty(u.shape[0], dtype=np.int16)
    for start in range(0, u.shape[0], BLOCK_TRIALS):
        block = u[start : start + BLOCK_TRIALS]
        counts = (block[:, :, None] < p[None, None, :]).sum(axis=1)  # [trials, doses]
        gap = np.abs(counts - aim)
        if included is not None:
            gap = np.where(np.asarray(included, dtype=bool)[None, :], gap, np.inf)
        near = gap <= gap.min(axis=1, keepdims=True) + TIE_TOLERANCE
        out[start : start + block.shape[0]] = np.argmax(near, axis=1)  # first True: the lowest dose
    return out


def exact_benchmark_prob_select(true_tox, target: float, n_patients: int, included=None) -> np.ndarray:
    """P(the benchmark selects d) per dose, exactly (no simulation): the rule of
    :func:`benchmark_selections` on ``n_patients`` independent uniform tolerances.

    The count #{u_i < p_d} of the next dose in increasing order of p is the count so far plus a binomial
    draw among the patients not yet counted, (p_d - p_prev) / (1 - p_prev) each, so the doses are
    followed in that order with the state (count, smallest distance so far, the lowest dose at that
    distance); equally toxic doses share a count. Ties within ``TIE_TOLERANCE`` go to the lowest dose, as
    in the simulation (distances of distinct counts differ by more than the tolerance or not at all)."""
    p = np.asarray(true_tox, dtype=np.float64)
    D = p.shape[0]
    keep = np.ones(D, dtype=bool) if included is None else np.asarray(included, dtype=bool)
    N = int(n_patients)
    aim = N * float(target)
    # state (count, best distance or None, best dose) -> probability
    layer: dict[tuple, float] = {(0, None, -1): 1.0}
    prev = 0.0
    for d in sorted(range(D), key=lambda k: (p[k], k)):
        q = 0.0 if p[d] <= prev else min((p[d] - prev) / (1.0 - prev), 1.0)
        nxt: dict[tuple, float] = {}
        for (c, best, dose), pr in layer.items():
            m = N - c
            for j in range(m + 1) if q > 0.0 else (0,):
                pj = pr * math.comb(m, j) * q**j * (1.0 - q) ** (m - j)
                if pj == 0.0:
                    continue
                c2 = c + j
                b2, d2 = best, dose
                if keep[d]:
                    gap = abs(c2 - aim)
                    if best is None or gap < best - TIE_TOLERANCE:
                        b2, d2 = gap, d
                    elif gap <= best + TIE_TOLERANCE:
                        b2, d2 = min(best, gap), min(dose, d)
                key = (c2, b2, d2)
                nxt[key] = nxt.get(key, 0.0) + pj
        layer = nxt
        prev = max(prev, float(p[d]))
    out = np.zeros(D)
    for (_c, _best, dose), pr in layer.items():
        out[dose] += pr
    return out


def optimal_benchmark(
    scenario: Scenario,
    target: float,
    n_patients: int,
    n_trials: int,
    seed: int,
    acceptable_band: float | None = None,
    included=None,
) -> BenchmarkResult:
    """The nonparametric optimal benchmark on the engine's patients for (``seed``, ``scenario``).

    Use ``n_patients = design.max_n`` and the design's ``n_trials`` and ``seed`` so that trial t of the
    benchmark sees exactly the patients of trial t of the simulated design (see :func:`benchmark_for`).
    """
    if not isinstance(scenario, Scenario):
        raise SpecError("scenario", f"expected a Scenario, got {type(scenario).__name__}", "")
    if isinstance(target, bool) or not isinstance(target, (int, float)) or not 0.0 < target < 1.0:
        raise SpecError("target", f"{target!r} is not a probability in (0, 1)", "use e.g. target = 0.3")
    n_patients = _check_whole("n_patients", n_patients, 1, 100_000, "use the design's max_n")
    n_trials = _check_whole("n_trials", n_trials, 1, 2**40, "use e.g. --trials 10000")
    seed = _check_whole("seed", seed, 0, 2**63, "use e.g. --seed 7")
    u = latent_uniforms(seed, scenario.key, n_trials, n_patients)
    selected = benchmark_selections(u, scenario.true_tox, target, included)
    D = scenario.n_doses
    prob = np.bincount(selected, minlength=D).astype(np.float64) / n_trials
    mcse = np.sqrt(prob * (1.0 - prob) / n_trials)
    correct = correct_mask(scenario.true_tox, target, acceptable_band, included)  # none: the benchmark
    pcs = float(prob[correct].sum())  # always selects a dose
    return BenchmarkResult(
        scenario=scenario,
        target=float(target),
        n_patients=n_patients,
        seed=seed,
        acceptable_band=acceptable_band,
        selected=selected,
        prob_select=prob,
        prob_select_mcse=mcse,
        correct=correct,
        pcs=pcs,
        pcs_mcse=float(np.sqrt(pcs * (1.0 - pcs) / n_trials)),
        included=None if included is None else np.asarray(included, dtype=bool),
    )


def benchmark_for(result: SimResult, acceptable_band: float | None = None) -> BenchmarkResult:
    """The benchmark on the same patients as a simulated design (its target, max_n, seed, trials)."""
    d = result.design
    return optimal_benchmark(
        result.scenario, d.target, d.max_n, result.n_trials, result.seed, acceptable_band, included_doses(d)
    )


def accuracy_index(
    prob_select, true_tox, target: float, n_trials: int | None = None, included=None
) -> tuple[float, float]:
    """Cheung's accuracy index A = 1 - D Σ δ_d π_d / Σ δ_d with δ_d = |p_d - target|, and its MCSE.

    With ``included`` (a grid's cells less the excluded ones) D and the sums run over the included
    doses only: excluded cells are never selected, and their distance to the target says nothing of
    the design.

    ``prob_select`` gives P(select d) per dose (it may sum to less than 1 when some trials select no
    dose). The MCSE needs ``n_trials`` (the number of simulated trials behind ``prob_select``); without
    it the MCSE is nan.
    """
    pi = np.asarray(prob_select, dtype=np.float64)
    p = np.asarray(true_tox, dtype=np.float64)
    if pi.shape != p.shape or pi.ndim != 1:
        raise SpecError(
            "prob_select", f"has shape {pi.shape} but true_tox has shape {p.shape}", "give one value per dose"
        )
    if (pi < 0).any() or pi.sum() > 1 + 1e-9:
        raise SpecError("prob_select", f"{pi.tolist()} are not selection probabilities", "")
    if included is not None:
        keep = np.asarray(included, dtype=bool)
        if (pi[~keep] > 0).any():
            raise SpecError("prob_select", "is positive at an excluded cell", "")
        pi, p = pi[keep], p[keep]
    delta = np.abs(p - target)
    total = delta.sum()
    if total <= 0:
        raise SpecError(
            "true_tox", "every dose has the target DLT probability", "the accuracy index is undefined here"
        )
    D = p.shape[0]
    mean_loss = float(delta @ pi)
    value = 1.0 - D * mean_loss / total
    if n_trials is None:
        return value, float("nan")
    var = max(float((delta**2) @ pi) - mean_loss**2, 0.0)
    return value, float(D / total * np.sqrt(var / n_trials))


def efficiency(sim_result: SimResult, benchmark: BenchmarkResult) -> tuple[float, float]:
    """PCS of the design / PCS of the benchmark on the same patients, with a paired delta-method MCSE."""
    d = sim_result.design
    problems = []
    if sim_result.seed != benchmark.seed:
        problems.append(f"seed {sim_result.seed} vs {benchmark.seed}")
    if sim_result.scenario.key != benchmark.scenario.key or tuple(sim_result.scenario.true_tox) != tuple(
        benchmark.scenario.true_tox
    ):
        problems.append(f"scenario {sim_result.scenario.name!r} vs {benchmark.scenario.name!r}")
    if sim_result.n_trials != benchmark.n_trials:
        problems.append(f"n_trials {sim_result.n_trials} vs {benchmark.n_trials}")
    if abs(d.target - benchmark.target) > TIE_TOLERANCE:
        problems.append(f"target {d.target} vs {benchmark.target}")
    if d.max_n != benchmark.n_patients:
        problems.append(f"max_n {d.max_n} vs benchmark n_patients {benchmark.n_patients}")
    if problems:
        raise SpecError(
            "benchmark",
            "the design and the benchmark were not run on the same patients (" + "; ".join(problems) + ")",
            "build the benchmark with benchmark_for(sim_result)",
        )
    sel = sim_result.selected.astype(np.int64)
    a = np.zeros(sel.shape[0], dtype=np.float64)
    valid = sel >= 0
    a[valid] = benchmark.correct[sel[valid]]
    b = benchmark.hit.astype(np.float64)
    return efficiency_from_counts(float(a.sum()), float(b.sum()), float((a * b).sum()), a.shape[0])


def efficiency_from_counts(hits: float, bench_hits: float, both: float, n_trials: int) -> tuple[float, float]:
    """Efficiency and its paired delta-method MCSE from counts over ``n_trials`` paired trials: the
    design correct (``hits``), the benchmark correct (``bench_hits``), both correct (``both``).

    With indicators a_t, b_t and e = Σa / Σb: Σ(a - e b) = Σa - eΣb and Σ(a - e b)² = Σa - 2eΣab + e²Σb,
    so sd_t(a_t - e b_t) needs only these counts (blocks of trials add them exactly).
    """
    if bench_hits == 0:
        return float("nan"), float("nan")
    T = n_trials
    e = hits / bench_hits
    if T < 2:
        return e, float("nan")
    lin = hits - e * bench_hits
    sq = hits - 2 * e * both + e * e * bench_hits
    var = max((sq - lin * lin / T) / (T - 1), 0.0)
    return e, float(np.sqrt(var / T) / (bench_hits / T))
