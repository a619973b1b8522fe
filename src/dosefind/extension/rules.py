"""Efficacy extension rules as immutable specs: Simon two-stage, BOP2 and predictive probability.

Each rule is a frozen dataclass (hashable; ``to_dict`` / ``from_dict`` round trip; fields validated on
construction, raising :class:`SpecError` naming the field) with ``.boundaries()`` (the compiled
:class:`Boundaries` the engine consumes), ``.oc(p)`` (exact operating characteristics) and
``.describe()``. Searches and calibrations are pure functions cached with ``functools.lru_cache``, so
asking a rule for its boundaries twice costs one computation.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

from ..designs import validate as v
from ..errors import SpecError
from .bop2 import bop2_boundaries, calibrate_bop2
from .boundaries import Boundaries, ExtensionOC, exact_oc
from .predictive import predictive_boundaries, predictive_search
from .simon import SimonDesign, check_error_rates, simon_search

RULE_KEY = "rule"


def _prior(field: str, prior, p0: float) -> tuple[float, float]:
    if prior is None:
        return (p0, 1.0 - p0)
    if isinstance(prior, (str, bytes)) or not hasattr(prior, "__len__") or len(prior) != 2:
        raise SpecError(
            field, f"expected [a, b], got {prior!r}", "write the Beta prior as [a, b], e.g. [0.2, 0.8]"
        )
    a = v.real(f"{field}[0]", prior[0], low=0.0, low_open=True, fix="Beta parameters must be > 0")
    b = v.real(f"{field}[1]", prior[1], low=0.0, low_open=True, fix="Beta parameters must be > 0")
    return (a, b)


def _looks(field: str, looks, n: int, n_field: str) -> tuple[int, ...]:
    if isinstance(looks, (str, bytes)) or not hasattr(looks, "__len__") or len(looks) == 0:
        raise SpecError(field, f"expected a list of sample sizes, got {looks!r}", "write e.g. [10, 20, 30]")
    out = tuple(v.integer(f"{field}[{i}]", x, low=1) for i, x in enumerate(looks))
    for i in range(1, len(out)):
        if out[i] <= out[i - 1]:
            raise SpecError(
                field,
                f"looks {list(out)} are not strictly increasing",
                "give cumulative sample sizes in increasing order, e.g. [10, 20, 30]",
            )
    if out[-1] != n:
        raise SpecError(
            field,
            f"the last look ({out[-1]}) is not {n_field} = {n}",
            f"end the looks with the final analysis at {n_field} = {n}",
        )
    return out


class _Rule:
    """Serialisation and dispatch shared by the rules."""

    rule: ClassVar[str] = ""

    def to_dict(self) -> dict:
        out: dict = {RULE_KEY: self.rule}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data: dict, field_prefix: str = "extension"):
        if not isinstance(data, dict):
            raise SpecError(field_prefix, f"expected a table, got {data!r}", "write the rule as a table")
        data = dict(data)
        name = data.pop(RULE_KEY, cls.rule)
        if name != cls.rule:
            raise SpecError(
                f"{field_prefix}.{RULE_KEY}", f"{name!r} is not {cls.rule!r}", f"use {cls.rule!r}"
            )
        return v.build(cls, field_prefix, data)

    def boundaries(self) -> Boundaries:
        raise NotImplementedError

    def oc(self, p: float) -> ExtensionOC:
        """Exact operating characteristics of the compiled rule at response rate p."""
        return exact_oc(self.boundaries(), p)


@dataclass(frozen=True, kw_only=True)
class SimonRule(_Rule):
    """Simon's two-stage design: searched (p0, p1, alpha, beta, which) or explicit (n1, r1, n, r).

    In explicit form p0 and p1 are optional (they only label the operating characteristics).
    """

    p0: float | None = None
    p1: float | None = None
    alpha: float | None = None
    beta: float | None = None
    which: str | None = None
    n_max: int | None = None
    n1: int | None = None
    r1: int | None = None
    n: int | None = None
    r: int | None = None

    rule: ClassVar[str] = "simon"

    def __post_init__(self):
        set_ = object.__setattr__
        explicit = [self.n1, self.r1, self.n, self.r]
        if any(x is not None for x in explicit):
            missing = [k for k, x in zip(("n1", "r1", "n", "r"), explicit, strict=True) if x is None]
            if missing:
                raise SpecError(
                    missing[0], "missing", "an explicit Simon design needs all of n1, r1, n and r"
                )
            for k in ("alpha", "beta", "which", "n_max"):
                if getattr(self, k) is not None:
                    raise SpecError(k, "only applies to a searched design", f"drop {k} or drop n1, r1, n, r")
            d = SimonDesign(self.n1, self.r1, self.n, self.r)
            for k in ("n1", "r1", "n", "r"):
                set_(self, k, getattr(d, k))
            for k in ("p0", "p1"):
                if getattr(self, k) is not None:
                    set_(self, k, v.probability(k, getattr(self, k), open_interval=True))
            if self.p0 is not None and self.p1 is not None and self.p1 <= self.p0:
                raise SpecError("p1", f"p1 = {self.p1:g} is not above p0 = {self.p0:g}", "make p1 > p0")
            return
        for k in ("p0", "p1", "alpha", "beta"):
            if getattr(self, k) is None:
                raise SpecError(k, "missing", "give p0, p1, alpha and beta, or an explicit n1, r1, n, r")
        p0, p1, alpha, beta = check_error_rates(self.p0, self.p1, self.alpha, self.beta)
        set_(self, "p0", p0)
        set_(self, "p1", p1)
        set_(self, "alpha", alpha)
        set_(self, "beta", beta)
        set_(
            self,
            "which",
            v.choice("which", "minimax" if self.which is None else self.which, ("minimax", "optimal")),
        )
        if self.n_max is not None:
            set_(self, "n_max", v.integer("n_max", self.n_max, low=2, high=1000))

    @property
    def searched(self) -> bool:
        return self.alpha is not None

    def design(self) -> SimonDesign:
        if not self.searched:
            return SimonDesign(self.n1, self.r1, self.n, self.r)
        s = simon_search(self.p0, self.p1, self.alpha, self.beta, self.n_max)
        return (s.minimax if self.which == "minimax" else s.optimal).design

    def boundaries(self) -> Boundaries:
        return self.design().boundaries()

    def describe(self) -> str:
        d = self.design()
        head = (
            f"Simon {self.which} two-stage (p0 {self.p0:g}, p1 {self.p1:g}, "
            f"alpha {self.alpha:g}, beta {self.beta:g})"
            if self.searched
            else "Simon two-stage (explicit)"
        )
        return f"{head}: {d.describe()}"


@dataclass(frozen=True, kw_only=True)
class Bop2Rule(_Rule):
    """BOP2 with a binary endpoint; (lambda, gamma) calibrated exactly on a grid (see :mod:`.bop2`)."""

    p0: float
    p1: float
    n: int
    looks: tuple[int, ...]
    alpha: float
    prior: tuple[float, float] | None = None

    rule: ClassVar[str] = "bop2"

    def __post_init__(self):
        set_ = object.__setattr__
        p0, p1, alpha, _ = check_error_rates(self.p0, self.p1, self.alpha, 0.5)
        set_(self, "p0", p0)
        set_(self, "p1", p1)
        set_(self, "alpha", alpha)
        set_(self, "n", v.integer("n", self.n, low=1, high=1000, fix="n is the maximum sample size"))
        set_(self, "looks", _looks("looks", self.looks, self.n, "n"))
        set_(self, "prior", _prior("prior", self.prior, p0))

    def calibration(self):
        return calibrate_bop2(self.p0, self.p1, self.looks, self.alpha, self.prior)

    def boundaries(self) -> Boundaries:
        return self.calibration().boundaries

    def boundaries_at(self, lam: float, gam: float) -> Boundaries:
        """Boundaries for given (lambda, gamma), without calibration."""
        return bop2_boundaries(self.p0, self.prior, self.looks, lam, gam)

    def describe(self) -> str:
        c = self.calibration()
        return (
            f"BOP2 (p0 {self.p0:g}, p1 {self.p1:g}, N {self.n}, looks {','.join(map(str, self.looks))}, "
            f"alpha {self.alpha:g}, Beta({self.prior[0]:g}, {self.prior[1]:g}) prior): "
            f"lambda {c.lam:g}, gamma {c.gam:g}"
        )


@dataclass(frozen=True, kw_only=True)
class PredictiveRule(_Rule):
    """Lee & Liu's predictive probability design. Give theta_t and theta_l, or p1, alpha and beta to
    search them on a grid. Looks: ``looks`` (ending at n_max) or every patient from ``n_min``."""

    p0: float
    n_max: int
    p1: float | None = None
    looks: tuple[int, ...] | None = None
    n_min: int | None = None
    theta_t: float | None = None
    theta_l: float | None = None
    theta_u: float | None = None
    alpha: float | None = None
    beta: float | None = None
    prior: tuple[float, float] | None = None

    rule: ClassVar[str] = "predictive"

    def __post_init__(self):
        set_ = object.__setattr__
        p0 = v.probability("p0", self.p0, open_interval=True)
        set_(self, "p0", p0)
        n_max = v.integer("n_max", self.n_max, low=1, high=1000, fix="n_max is the maximum sample size")
        set_(self, "n_max", n_max)
        if (self.looks is None) == (self.n_min is None):
            raise SpecError(
                "looks",
                "give exactly one of looks and n_min",
                "looks = [10, 20, 30, n_max] for fixed looks, or n_min = 10 to look after every patient",
            )
        if self.looks is not None:
            set_(self, "looks", _looks("looks", self.looks, n_max, "n_max"))
        else:
            set_(
                self,
                "n_min",
                v.integer("n_min", self.n_min, low=1, high=n_max, fix=f"use 1..n_max = {n_max}"),
            )
        set_(self, "prior", _prior("prior", self.prior, p0))
        searched = self.theta_t is None and self.theta_l is None
        if searched:
            for k in ("p1", "alpha", "beta"):
                if getattr(self, k) is None:
                    raise SpecError(
                        k, "missing", "give theta_t and theta_l, or p1, alpha and beta to search them"
                    )
            _, p1, alpha, beta = check_error_rates(p0, self.p1, self.alpha, self.beta)
            set_(self, "p1", p1)
            set_(self, "alpha", alpha)
            set_(self, "beta", beta)
        else:
            for k in ("theta_t", "theta_l"):
                if getattr(self, k) is None:
                    raise SpecError(
                        k, "missing", "give both theta_t and theta_l (or neither, to search them)"
                    )
            for k in ("alpha", "beta"):
                if getattr(self, k) is not None:
                    raise SpecError(k, "only applies when theta_t and theta_l are searched", f"drop {k}")
            set_(self, "theta_t", v.probability("theta_t", self.theta_t, open_interval=True))
            set_(self, "theta_l", v.probability("theta_l", self.theta_l))
            if self.p1 is not None:
                _, p1, _, _ = check_error_rates(p0, self.p1, 0.5, 0.5)
                set_(self, "p1", p1)
        if self.theta_u is not None:
            tu = v.probability("theta_u", self.theta_u, open_interval=True)
            if self.theta_l is not None and tu <= self.theta_l:
                raise SpecError(
                    "theta_u", f"{tu:g} is not above theta_l = {self.theta_l:g}", "make theta_u > theta_l"
                )
            set_(self, "theta_u", tu)

    @property
    def searched(self) -> bool:
        return self.alpha is not None

    @property
    def look_sizes(self) -> tuple[int, ...]:
        return self.looks if self.looks is not None else tuple(range(self.n_min, self.n_max + 1))

    def search(self):
        """The grid search of (theta_T, theta_L) (only for a searched rule)."""
        if not self.searched:
            raise SpecError(
                "theta_t", "this rule has explicit thresholds", "drop theta_t and theta_l to search them"
            )
        return predictive_search(
            self.p0, self.p1, self.n_max, self.look_sizes, self.alpha, self.beta, self.prior, self.theta_u
        )

    def thresholds(self) -> tuple[float, float]:
        if self.searched:
            s = self.search()
            return s.theta_t, s.theta_l
        return self.theta_t, self.theta_l

    def boundaries(self) -> Boundaries:
        if self.searched:
            return self.search().boundaries
        return predictive_boundaries(
            self.p0, self.n_max, self.look_sizes, self.theta_t, self.theta_l, self.theta_u, self.prior
        )

    def describe(self) -> str:
        tt, tl = self.thresholds()
        looks = (
            f"looks {','.join(map(str, self.looks))}" if self.looks else f"every patient from {self.n_min}"
        )
        eff = f", theta_U {self.theta_u:g}" if self.theta_u is not None else ""
        return (
            f"Predictive probability (Lee & Liu 2008; p0 {self.p0:g}, N {self.n_max}, {looks}, "
            f"Beta({self.prior[0]:g}, {self.prior[1]:g}) prior): theta_T {tt:g}, theta_L {tl:g}{eff}"
        )


RULES: dict[str, type[_Rule]] = {"simon": SimonRule, "bop2": Bop2Rule, "predictive": PredictiveRule}


def rule_from_dict(data: dict, field: str = "extension") -> SimonRule | Bop2Rule | PredictiveRule:
    """The rule named by ``data["rule"]`` built from the other keys (errors name ``field.key``)."""
    if not isinstance(data, dict):
        raise SpecError(
            field, f"expected a table, got {data!r}", 'write e.g. {rule = "simon", p0 = 0.05, ...}'
        )
    name = data.get(RULE_KEY)
    options = ", ".join(repr(k) for k in RULES)
    if name is None:
        raise SpecError(f"{field}.{RULE_KEY}", "missing", f"set rule to one of {options}")
    cls = RULES.get(name)
    if cls is None:
        raise SpecError(f"{field}.{RULE_KEY}", f"unknown rule {name!r}", f"use one of {options}")
    return cls.from_dict(data, field)
