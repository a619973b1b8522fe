"""Simon's two-stage design (Simon 1989, Controlled Clinical Trials 10:1-10).

Stage 1 treats ``n1`` patients and stops for futility iff at most ``r1`` respond; otherwise stage 2 brings
the arm to ``n`` patients and the treatment is declared active iff more than ``r`` responded in all.
Type I error = P(active | p0) <= alpha, power = P(active | p1) >= 1 - beta. The *optimal* design
minimises EN(p0), the expected sample size under p0; the *minimax* design minimises n, ties broken by
EN(p0).

The search is exact and exhaustive over (n1, r1, n, r) for n up to ``n_max``. For each total n it is
vectorised over (n1, r, x1): P(active) for every r1 at once is a reverse cumulative sum over the stage-1
count x1 of P(X1 = x1) P(X2 > r - x1). The smallest n searched is the smallest n at which even the
(randomised) most powerful single-stage test of level alpha reaches power 1 - beta: no two-stage design
with fewer patients can (its rejection region is a test on the same data). Ties in EN (to 1e-12) go to
the smaller n, then the smaller n1, then the smaller r1, then the smaller r (the larger power); these
reproduce the published tables and clinfun::ph2simon (tests/published/test_simon_tables.py).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from ._prob import binom_cdf, binom_pmf, binom_sf
from .boundaries import Boundaries, ExtensionOC, exact_oc

#: relative tolerance on alpha and power constraints and on EN ties (binomial sums are exact to ~1e-15)
TOL = 1e-12
#: largest (n1, r, x1) block held in memory at once by the search
BLOCK_ELEMENTS = 2_000_000


@dataclass(frozen=True)
class SimonDesign:
    """An explicit two-stage design: stop after ``n1`` if responses <= r1; active iff responses > r at n."""

    n1: int
    r1: int
    n: int
    r: int

    def __post_init__(self):
        from ..designs import validate as v

        n1 = v.integer("n1", self.n1, low=1)
        n = v.integer("n", self.n, low=n1 + 1, fix=f"n is the total sample size: make it > n1 = {n1}")
        r1 = v.integer("r1", self.r1, low=0, high=n1 - 1, fix=f"r1 must lie in 0..{n1 - 1} (n1 - 1)")
        r = v.integer("r", self.r, low=r1, high=n - 1, fix=f"r must lie in r1..n-1 = {r1}..{n - 1}")
        for name, value in (("n1", n1), ("r1", r1), ("n", n), ("r", r)):
            object.__setattr__(self, name, value)

    def boundaries(self) -> Boundaries:
        return Boundaries(
            looks=[self.n1, self.n], futility=[self.r1, self.r], efficacy=[self.n1 + 1, self.r + 1]
        )

    def oc(self, p: float) -> ExtensionOC:
        """Exact operating characteristics at response rate p (prob_active, PET = prob_early_stop, EN)."""
        return exact_oc(self.boundaries(), p)

    def pet(self, p: float) -> float:
        """Probability of early termination (stage-1 futility stop) at response rate p."""
        return self.oc(p).prob_early_stop

    def expected_n(self, p: float) -> float:
        return self.oc(p).expected_n

    def prob_active(self, p: float) -> float:
        return self.oc(p).prob_active

    def describe(self) -> str:
        return (
            f"stage 1: {self.n1} patients, stop (inactive) if <= {self.r1} responses; "
            f"stage 2: to {self.n} patients, active if > {self.r} responses"
        )


@dataclass(frozen=True)
class SimonChoice:
    """One design of a search with its exact operating characteristics under p0 and p1."""

    which: str
    design: SimonDesign
    type_one_error: float
    power: float
    pet_p0: float
    en_p0: float
    pet_p1: float
    en_p1: float

    def to_dict(self) -> dict:
        d = self.design
        return {
            "which": self.which,
            "n1": d.n1,
            "r1": d.r1,
            "n": d.n,
            "r": d.r,
            "type_one_error": self.type_one_error,
            "power": self.power,
            "pet_p0": self.pet_p0,
            "en_p0": self.en_p0,
            "pet_p1": self.pet_p1,
            "en_p1": self.en_p1,
        }


@dataclass(frozen=True)
class SimonSearch:
    p0: float
    p1: float
    alpha: float
    beta: float
    n_max: int
    optimal: SimonChoice
    minimax: SimonChoice

    def to_dict(self) -> dict:
        return {
            "p0": self.p0,
            "p1": self.p1,
            "alpha": self.alpha,
            "beta": self.beta,
            "n_max": self.n_max,
            "optimal": self.optimal.to_dict(),
            "minimax": self.minimax.to_dict(),
        }


def choice(which: str, design: SimonDesign, p0: float, p1: float) -> SimonChoice:
    o0, o1 = design.oc(p0), design.oc(p1)
    return SimonChoice(
        which, design, o0.prob_active, o1.prob_active, o0.prob_early_stop, o0.expected_n,
        o1.prob_early_stop, o1.expected_n,
    )  # fmt: skip


def check_error_rates(p0, p1, alpha, beta, prefix: str = "") -> tuple[float, float, float, float]:
    """Validate (p0, p1, alpha, beta): probabilities in (0, 1) and p0 < p1."""
    from ..designs import validate as v

    p0 = v.probability(f"{prefix}p0", p0, open_interval=True)
    p1 = v.probability(f"{prefix}p1", p1, open_interval=True)
    if p1 <= p0:
        raise SpecError(
            f"{prefix}p1",
            f"p1 = {p1:g} is not above p0 = {p0:g}",
            "p1 is the response rate worth pursuing: make it larger than p0",
        )
    alpha = v.probability(
        f"{prefix}alpha", alpha, open_interval=True, fix="alpha is a type I error in (0, 1)"
    )
    beta = v.probability(f"{prefix}beta", beta, open_interval=True, fix="beta is a type II error in (0, 1)")
    return p0, p1, alpha, beta


def _sf_vector(n: int, p: float) -> np.ndarray:
    """P(Binomial(n, p) > k) for k = 0..n, summed from the upper tail (O(n))."""
    pmf = binom_pmf(np.arange(n + 1), n, p)
    upper = np.cumsum(pmf[::-1])[::-1]  # P(X >= k)
    return np.append(upper[1:], 0.0)


def _randomised_power(n: int, p0: float, p1: float, alpha: float) -> float:
    """Power at p1 of the most powerful (randomised) level-alpha test on n patients."""
    sf0 = _sf_vector(n, p0)  # P(X > k)
    k = int(np.argmax(sf0 <= alpha + TOL))  # smallest k with P0(X > k) <= alpha
    pm0 = float(binom_pmf(k, n, p0))
    gamma = 0.0 if pm0 == 0 else min(1.0, (alpha - sf0[k]) / pm0)
    return float(_sf_vector(n, p1)[k] + gamma * binom_pmf(k, n, p1))


def single_stage_n(p0: float, p1: float, alpha: float, beta: float, limit: int = 1000) -> int:
    """Smallest n of an exact single-stage design (active iff responses > r) meeting alpha and beta."""
    for n in range(1, limit + 1):
        r = int(np.argmax(_sf_vector(n, p0) <= alpha + TOL))  # smallest r with P0(X > r) <= alpha
        if _sf_vector(n, p1)[r] >= 1 - beta - TOL:
            return n
    raise SpecError(
        "p1",
        f"even a single-stage design needs more than {limit} patients for p0 = {p0:g}, p1 = {p1:g}",
        "move p1 further from p0, or relax alpha / beta",
    )


def default_n_max(p0: float, p1: float, alpha: float, beta: float) -> int:
    """Upper bound on n searched by default: 1.5 x the single-stage n, plus 10 (at most 1000).

    Over 116 (p0, p1, alpha, beta) combinations checked against clinfun::ph2simon with a much larger
    bound, every optimal design had n below this bound with room to spare.
    """
    return min(1000, int(math.ceil(1.5 * single_stage_n(p0, p1, alpha, beta))) + 10)


def _best_in_block(n, n1s, rs, x1, r1s, sf0, sf1, off, p0, p1, alpha, beta):
    """The feasible (EN(p0), n, n1, r1, r) with the smallest EN for total n and stage-1 sizes n1s."""
    b0 = binom_pmf(x1[None, :], n1s[:, None], p0)  # (n1, x1)
    b1 = binom_pmf(x1[None, :], n1s[:, None], p1)
    idx_m = (n - n1s)[:, None, None]
    idx_k = (rs[None, :, None] - x1[None, None, :]) + off
    t0 = b0[:, None, :] * sf0[idx_m, idx_k]  # (n1, r, x1): P(X1 = x1, X2 > r - x1)
    t1 = b1[:, None, :] * sf1[idx_m, idx_k]
    # P(active)[n1, r, r1] = sum over x1 > r1: a reverse cumulative sum over x1, shifted by one
    a0 = np.flip(np.cumsum(np.flip(t0, axis=2), axis=2), axis=2)[:, :, 1:]
    a1 = np.flip(np.cumsum(np.flip(t1, axis=2), axis=2), axis=2)[:, :, 1:]
    ok = (a0 <= alpha + TOL) & (a1 >= 1 - beta - TOL)
    ok &= r1s[None, None, :] <= rs[None, :, None]  # r1 <= r
    ok &= r1s[None, None, :] <= n1s[:, None, None] - 1  # r1 < n1
    if not ok.any():
        return None
    pet = binom_cdf(r1s[None, :], n1s[:, None], p0)  # (n1, r1)
    en = n1s[:, None] + (1 - pet) * (n - n1s)[:, None]
    en_full = np.where(ok, en[:, None, :], np.inf)  # (n1, r, r1)
    min_en = en_full.min()
    cand = np.argwhere(en_full <= min_en * (1 + TOL))
    # ties: smaller n1, then smaller r1, then smaller r
    i_n1, i_r1, i_r = sorted((int(c[0]), int(c[2]), int(c[1])) for c in cand)[0]
    return (float(min_en), n, int(n1s[i_n1]), int(r1s[i_r1]), int(rs[i_r]))


@functools.lru_cache(maxsize=256)
def simon_search(p0: float, p1: float, alpha: float, beta: float, n_max: int | None = None) -> SimonSearch:
    """Optimal and minimax two-stage designs by exact exhaustive search over n <= n_max."""
    from ..designs import validate as v

    p0, p1, alpha, beta = check_error_rates(p0, p1, alpha, beta)
    if n_max is None:
        n_max = default_n_max(p0, p1, alpha, beta)
    n_max = v.integer("n_max", n_max, low=2, high=1000, fix="n_max is the largest total sample size searched")
    n_lo = 2
    while n_lo <= n_max and _randomised_power(n_lo, p0, p1, alpha) < 1 - beta - TOL:
        n_lo += 1
    # SF[m, k + n_max + 1] = P(Binomial(m, p) > k) for m = 0..n_max and k = -n_max-1..n_max
    ks = np.arange(-n_max - 1, n_max + 1)
    ms = np.arange(n_max + 1)
    sf0 = binom_sf(ks[None, :], ms[:, None], p0)
    sf1 = binom_sf(ks[None, :], ms[:, None], p1)
    off = n_max + 1
    best_opt = None  # (en, n, n1, r1, r)
    best_mm = None
    for n in range(max(n_lo, 2), n_max + 1):
        r_hi = int(np.max(np.nonzero(_sf_vector(n, p1)[:n] >= 1 - beta - TOL)[0], initial=-1))
        if r_hi < 0:
            continue
        rs = np.arange(r_hi + 1)
        x1 = np.arange(n)  # stage-1 responses 0..n-1 (pmf is 0 beyond n1)
        r1s = np.arange(n - 1)  # r1 = 0..n-2
        block = max(1, BLOCK_ELEMENTS // (len(rs) * n))  # bounds the memory of the (n1, r, x1) arrays
        row = None
        for start in range(1, n, block):
            n1s = np.arange(start, min(n, start + block))
            found = _best_in_block(n, n1s, rs, x1, r1s, sf0, sf1, off, p0, p1, alpha, beta)
            if found is not None and (row is None or found[0] < row[0] * (1 - TOL)):
                row = found
        if row is None:
            continue
        if best_mm is None:
            best_mm = row
        if best_opt is None or row[0] < best_opt[0] * (1 - TOL):
            best_opt = row
    if best_mm is None or best_opt is None:
        raise SpecError(
            "n_max",
            f"no two-stage design with n <= {n_max} has type I error <= {alpha:g} and power >= {1 - beta:g}",
            "raise n_max, or relax alpha / beta, or move p1 further from p0",
        )
    opt = SimonDesign(best_opt[2], best_opt[3], best_opt[1], best_opt[4])
    mm = SimonDesign(best_mm[2], best_mm[3], best_mm[1], best_mm[4])
    return SimonSearch(
        p0, p1, alpha, beta, n_max, choice("optimal", opt, p0, p1), choice("minimax", mm, p0, p1)
    )
