"""The compiled form every efficacy extension rule shares, and its exact operating characteristics.

A rule compiles to :class:`Boundaries`: at look ``i`` (``looks[i]`` patients evaluated in all) the arm
stops and is declared inactive iff its responses are ``<= futility[i]`` (``-1``: no futility stop at that
look), and stops and is declared active iff its responses are ``>= efficacy[i]`` (``looks[i] + 1``: no
efficacy stop). At the last look every outcome decides: ``futility[-1] == efficacy[-1] - 1``.

:func:`exact_oc` computes the operating characteristics exactly by dynamic programming over the number
of responses among the patients still on trial (the distribution is carried from look to look and
convolved with the binomial distribution of the responses between looks): no simulation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SpecError
from ._prob import binom_pmf


def binom_pmf_all(m: int, p: float) -> np.ndarray:
    """P(Binomial(m, p) = k) for k = 0..m (exact at p = 0 and p = 1)."""
    return binom_pmf(np.arange(m + 1), m, p)


def _int_array(field: str, values) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.size == 0:
        raise SpecError(
            field, f"expected a non-empty list of whole numbers, got {values!r}", "write e.g. [10, 20]"
        )
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise SpecError(field, f"expected whole numbers, got {values!r}", "write whole numbers")
    elif arr.dtype.kind not in "iu":
        raise SpecError(field, f"expected whole numbers, got {values!r}", "write whole numbers")
    out = arr.astype(np.int64)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class Boundaries:
    """Cumulative looks and the response counts that stop the arm at each look (see the module doc)."""

    looks: np.ndarray
    futility: np.ndarray
    efficacy: np.ndarray

    def __post_init__(self):
        set_ = object.__setattr__
        looks = _int_array("boundaries.looks", self.looks)
        fut = _int_array("boundaries.futility", self.futility)
        eff = _int_array("boundaries.efficacy", self.efficacy)
        if not (len(looks) == len(fut) == len(eff)):
            raise SpecError(
                "boundaries",
                f"looks, futility and efficacy have lengths {len(looks)}, {len(fut)}, {len(eff)}",
                "give one futility and one efficacy boundary per look",
            )
        if looks[0] < 1 or np.any(np.diff(looks) <= 0):
            raise SpecError(
                "boundaries.looks",
                f"{looks.tolist()} is not strictly increasing from at least 1 patient",
                "give cumulative sample sizes n_1 < n_2 < ... < n_L",
            )
        for i, (n, f, e) in enumerate(zip(looks.tolist(), fut.tolist(), eff.tolist(), strict=True)):
            if not -1 <= f <= n:
                raise SpecError(f"boundaries.futility[{i}]", f"{f} is outside -1..{n}", "use -1 for no stop")
            if not 0 <= e <= n + 1:
                raise SpecError(
                    f"boundaries.efficacy[{i}]", f"{e} is outside 0..{n + 1}", f"use {n + 1} for no stop"
                )
            if f >= e:
                raise SpecError(
                    f"boundaries.futility[{i}]",
                    f"futility boundary {f} >= efficacy boundary {e}: the same count would stop both ways",
                    "make futility[i] < efficacy[i]",
                )
        if fut[-1] != eff[-1] - 1:
            raise SpecError(
                "boundaries.futility",
                f"at the last look futility {fut[-1]} and efficacy {eff[-1]} leave outcomes undecided",
                "make futility[-1] == efficacy[-1] - 1",
            )
        set_(self, "looks", looks)
        set_(self, "futility", fut)
        set_(self, "efficacy", eff)

    @property
    def n_looks(self) -> int:
        return len(self.looks)

    @property
    def max_n(self) -> int:
        return int(self.looks[-1])

    def _key(self) -> tuple:
        return (tuple(self.looks.tolist()), tuple(self.futility.tolist()), tuple(self.efficacy.tolist()))

    def __eq__(self, other):
        return isinstance(other, Boundaries) and self._key() == other._key()

    def __hash__(self):
        return hash(self._key())

    def to_dict(self) -> dict:
        looks, fut, eff = self._key()
        return {"looks": list(looks), "futility": list(fut), "efficacy": list(eff)}

    def rows(self) -> list[dict]:
        """One row per look: n, and the futility / efficacy stop counts (None where there is none)."""
        out = []
        for n, f, e in zip(*self._key(), strict=True):
            out.append({"n": n, "futility": f if f >= 0 else None, "efficacy": e if e <= n else None})
        return out

    def table(self) -> str:
        """The boundaries as a statistician reads them, one line per look."""
        lines = []
        last = self.n_looks - 1
        for i, row in enumerate(self.rows()):
            n = row["n"]
            parts = []
            if i == last:
                parts.append(f"inactive if <= {row['futility']} responses of {n}")
                parts.append(f"active if >= {row['efficacy']} of {n}")
            else:
                if row["futility"] is not None:
                    parts.append(f"stop (inactive) if <= {row['futility']} responses of {n}")
                if row["efficacy"] is not None:
                    parts.append(f"stop (active) if >= {row['efficacy']} responses of {n}")
                if not parts:
                    parts.append("no stop")
            label = "final" if i == last else f"look {i + 1}"
            lines.append(f"  {label:<8} n = {n:<4} " + "; ".join(parts))
        return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class ExtensionOC:
    """Exact operating characteristics of a :class:`Boundaries` rule at true response rate ``p``.

    ``prob_stop_futility[i]`` / ``prob_stop_efficacy[i]``: probability that the arm stops at look ``i``
    declared inactive / active (the last look included, so each pair of arrays sums to 1).
    """

    p: float
    looks: tuple[int, ...]
    prob_active: float
    prob_stop_futility: np.ndarray
    prob_stop_efficacy: np.ndarray
    expected_n: float
    prob_early_stop: float

    def to_dict(self) -> dict:
        return {
            "p": self.p,
            "looks": list(self.looks),
            "prob_active": self.prob_active,
            "prob_stop_futility": self.prob_stop_futility.tolist(),
            "prob_stop_efficacy": self.prob_stop_efficacy.tolist(),
            "expected_n": self.expected_n,
            "prob_early_stop": self.prob_early_stop,
        }


def _stop_masses(looks, futility, efficacy, p: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-look futility and efficacy stop probabilities for K boundary sets at once.

    ``futility`` and ``efficacy`` have shape (K, L); the returned arrays too. Exact dynamic programming:
    ``dist[k, x]`` is the probability of being still on trial with ``x`` responses.
    """
    futility = np.atleast_2d(futility)
    efficacy = np.atleast_2d(efficacy)
    n_sets, n_looks = futility.shape
    n_max = int(looks[-1])
    dist = np.zeros((n_sets, n_max + 1))
    dist[:, 0] = 1.0
    fut_p = np.zeros((n_sets, n_looks))
    eff_p = np.zeros((n_sets, n_looks))
    x = np.arange(n_max + 1)
    prev = 0
    for i in range(n_looks):
        n = int(looks[i])
        pmf = binom_pmf_all(n - prev, p)
        new = np.zeros_like(dist)
        # convolution of every row with the binomial pmf of the new patients' responses
        for y, w in enumerate(pmf):
            if w != 0.0:
                new[:, y : prev + y + 1] += w * dist[:, : prev + 1]
        stop_f = x[None, :] <= futility[:, i : i + 1]
        stop_e = x[None, :] >= efficacy[:, i : i + 1]
        fut_p[:, i] = np.where(stop_f, new, 0.0).sum(axis=1)
        eff_p[:, i] = np.where(stop_e & (x[None, :] <= n), new, 0.0).sum(axis=1)
        dist = np.where(stop_f | stop_e, 0.0, new)
        prev = n
    return fut_p, eff_p


def exact_oc(boundaries: Boundaries, p: float) -> ExtensionOC:
    """Exact operating characteristics of ``boundaries`` when every patient responds with probability p."""
    from ..designs import validate as v

    p = v.probability("p", p)
    fut_p, eff_p = _stop_masses(
        boundaries.looks, boundaries.futility[None, :], boundaries.efficacy[None, :], p
    )
    fut_p, eff_p = fut_p[0], eff_p[0]
    stop = fut_p + eff_p
    return ExtensionOC(
        p=p,
        looks=tuple(boundaries.looks.tolist()),
        prob_active=float(eff_p.sum()),
        prob_stop_futility=fut_p,
        prob_stop_efficacy=eff_p,
        expected_n=float(np.dot(stop, boundaries.looks)),
        prob_early_stop=float(stop[:-1].sum()),
    )


def oc_many(looks, futility, efficacy, p: float) -> tuple[np.ndarray, np.ndarray]:
    """(prob_active, expected_n) for K boundary sets sharing ``looks`` (arrays of shape (K, L))."""
    fut_p, eff_p = _stop_masses(np.asarray(looks), np.asarray(futility), np.asarray(efficacy), p)
    return eff_p.sum(axis=1), (fut_p + eff_p) @ np.asarray(looks, dtype=float)
