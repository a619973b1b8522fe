"""Basket trial specs: cohorts (tumour types), designs (how each cohort decides, with or without
borrowing) and scenarios (true response rates), read from a basket TOML file.

Every spec is a frozen dataclass validated on construction; errors are :class:`SpecError` naming the field
(``cohorts[2].looks``, ``designs[1].threshold``) and the fix.

A basket file::

    [basket]
    name = "rare-seven"
    q0 = 0.1                    # null response rate (a cohort may override it)

    [[cohorts]]
    name = "chordoma"
    n = 24
    looks = [12, 24]            # cumulative sizes of the analyses; default [n]

    [[designs]]
    name = "borrow"
    kind = "fujikawa"           # independent | simon | bop2 | fujikawa | berry | exnex | cbhm | mem |
                                # enrichment
    threshold = 0.95            # final go: P(q > q0 | data) > threshold
    futility = 0.05             # interim stop for futility: P(q > q0 | data) < futility (optional)

    [[scenarios]]
    name = "global null"
    rates = [0.1, 0.1, ...]     # one true rate per cohort
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import ClassVar

from ..designs import validate as v
from ..errors import SpecError

KINDS = ("independent", "simon", "bop2", "fujikawa", "berry", "exnex", "cbhm", "mem", "enrichment")
INTERIM = ("posterior", "predictive")
#: options added after designs were first hashed; left out of ``to_dict`` at these defaults
OMITTED_DEFAULTS = {"interim": "posterior", "futility_rate": "q0"}
_NOTHING = object()
MAX_COHORTS = 20


PRIOR_FIX = "write the Beta prior as [a, b], e.g. [1, 1]"


def _pair(field_: str, value, fix: str = PRIOR_FIX) -> tuple[float, float]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) != 2:
        raise SpecError(field_, f"expected [a, b], got {value!r}", fix)
    a = v.real(f"{field_}[0]", value[0], low=0.0, low_open=True, fix="Beta parameters must be > 0")
    b = v.real(f"{field_}[1]", value[1], low=0.0, low_open=True, fix="Beta parameters must be > 0")
    return (a, b)


def _threshold(field_: str, value) -> float:
    return v.real(
        field_, value, low=0.0, high=1.0, low_open=True, high_open=True, fix="a threshold must lie in (0, 1)"
    )


@dataclass(frozen=True)
class Cohort:
    """One tumour type: its name, its maximum size ``n``, the cumulative sizes of its analyses ``looks``
    (the last is ``n``) and its null response rate ``q0``."""

    name: str
    n: int
    q0: float
    looks: tuple[int, ...] = ()

    def __post_init__(self):
        set_ = object.__setattr__
        if not isinstance(self.name, str) or not self.name.strip():
            raise SpecError(
                "name", f"expected a non-empty name, got {self.name!r}", 'write e.g. name = "chordoma"'
            )
        n_fix = "n is the cohort's maximum size (1..2000)"
        set_(self, "n", v.integer("n", self.n, low=1, high=2000, fix=n_fix))
        set_(self, "q0", v.probability("q0", self.q0, open_interval=True, fix="q0 must lie in (0, 1)"))
        looks = self.looks or (self.n,)
        if isinstance(looks, (str, bytes)) or not hasattr(looks, "__len__"):
            raise SpecError(
                "looks", f"expected a list of sizes, got {looks!r}", "write e.g. looks = [10, 20]"
            )
        looks = tuple(v.integer(f"looks[{i}]", x, low=1) for i, x in enumerate(looks))
        if any(b <= a for a, b in zip(looks, looks[1:], strict=False)):
            raise SpecError(
                "looks", f"{list(looks)} is not strictly increasing", "give cumulative sizes, e.g. [10, 20]"
            )
        if looks[-1] != self.n:
            raise SpecError(
                "looks", f"the last look ({looks[-1]}) is not n = {self.n}", f"end the looks at n = {self.n}"
            )
        set_(self, "looks", looks)

    def to_dict(self) -> dict:
        return {"name": self.name, "n": self.n, "q0": self.q0, "looks": list(self.looks)}


@dataclass(frozen=True, kw_only=True)
class BasketDesign:
    """What all basket designs share: the decision thresholds on P(q_k > q0_k | data).

    At an interim look a cohort stops for futility when the probability is below ``futility`` and stops
    with a go when it is above ``efficacy`` (each optional); at its last look it is a go when the
    probability is above ``threshold``. With ``interim = "predictive"`` the interim looks compare the
    predictive probability of a go instead (:func:`dosefind.basket.decide.predictive`): future responses
    from the design's current posterior of q_k (its borrowing included), the go count z_k the fewest
    responses of n_k with P(q_k > q0_k) > threshold under Beta(``predictive_prior``) alone (default the
    design's own Beta prior, else Beta(1, 1)), as baskexact's ``interim_postpred`` for Fujikawa's design.
    """

    name: str = ""
    threshold: float = 0.95
    futility: float | None = None
    efficacy: float | None = None
    interim: str = "posterior"
    predictive_prior: tuple[float, float] | None = None

    kind: ClassVar[str] = ""
    borrows: ClassVar[bool] = False
    #: why interim = "predictive" is refused ("" where it is offered)
    no_predictive: ClassVar[str] = ""

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "name", self.name or self.kind)
        set_(self, "threshold", _threshold("threshold", self.threshold))
        for k in ("futility", "efficacy"):
            if getattr(self, k) is not None:
                set_(self, k, _threshold(k, getattr(self, k)))
        if self.futility is not None and self.futility >= self.threshold:
            raise SpecError(
                "futility",
                f"{self.futility:g} is not below threshold {self.threshold:g}",
                "make futility < threshold",
            )
        if self.efficacy is not None and self.futility is not None and self.efficacy <= self.futility:
            raise SpecError(
                "efficacy",
                f"{self.efficacy:g} is not above futility {self.futility:g}",
                "make efficacy > futility",
            )
        set_(self, "interim", v.choice("interim", self.interim, INTERIM))
        if self.interim == "predictive" and self.no_predictive:
            raise SpecError(
                "interim",
                f'"predictive" is not available for {self.kind}: {self.no_predictive}',
                "drop interim",
            )
        if self.predictive_prior is not None:
            if self.interim != "predictive":
                raise SpecError(
                    "predictive_prior",
                    'is read only with interim = "predictive"',
                    'drop predictive_prior, or set interim = "predictive"',
                )
            set_(self, "predictive_prior", _pair("predictive_prior", self.predictive_prior))
        if self.interim == "predictive" and self.futility is None and self.efficacy is None:
            raise SpecError(
                "interim",
                '"predictive" with neither futility nor efficacy stops nothing',
                "give futility (and/or efficacy): the cut-offs of the predictive probability",
            )

    def to_dict(self) -> dict:
        out: dict = {"kind": self.kind}
        for f in fields(self):
            value = getattr(self, f.name)
            if OMITTED_DEFAULTS.get(f.name, _NOTHING) == value:
                continue  # a later option at its default: files written before it hash as they did
            if value is not None:
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    def describe(self) -> str:
        return self.kind

    def rules(self) -> str:
        """The decision rules in words: the interim stops (on what probability) and the final go."""
        if self.futility is None and self.efficacy is None:
            interim = "no interim stops"
        else:
            what = "the predictive probability of a go" if self.interim == "predictive" else "P(q > q0)"
            stops = []
            if self.futility is not None:
                fut = what
                if getattr(self, "futility_rate", "q0") == "midpoint":
                    fut = "P(q > (q0 + q1) / 2)"
                stops.append(f"futility when {fut} < {self.futility:g}")
            if self.efficacy is not None:
                stops.append(f"a go when {what} > {self.efficacy:g}")
            interim = "interim stops: " + ", ".join(stops)
        return f"{interim}; final go when P(q > q0) > {self.threshold:g}"

    def go_prior(self) -> tuple[float, float]:
        """The Beta prior of the final go count that a predictive probability aims at:
        ``predictive_prior``, else the design's own Beta prior, else Beta(1, 1)."""
        if self.predictive_prior is not None:
            return self.predictive_prior
        return getattr(self, "prior", (1.0, 1.0))

    def check_cohorts(self, cohorts: tuple[Cohort, ...]) -> None:
        """Refuse cohorts this design cannot run (e.g. looks that do not match a rule's)."""

    def calibration_refusal(self) -> tuple[str, str] | None:
        """Why ``dosefind basket calibrate`` cannot calibrate this design's go threshold (problem, fix), or
        None when it can: one simulation of the design under the null serves every threshold only when
        the threshold enters nothing but the final comparison."""
        if self.interim == "predictive":
            return (
                f"{self.name!r} stops at interim looks on a predictive probability that aims at the "
                "threshold itself, so one simulation cannot serve every threshold",
                'calibrate the design with interim = "posterior" (or no interim stops), or compare '
                "thresholds by simulating each",
            )
        return None


@dataclass(frozen=True, kw_only=True)
class Independent(BasketDesign):
    """No borrowing: cohort k's posterior is Beta(a + x_k, b + n_k - x_k) (exact)."""

    prior: tuple[float, float] = (1.0, 1.0)
    kind: ClassVar[str] = "independent"

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "prior", _pair("prior", self.prior))

    def describe(self) -> str:
        a, b = self.prior
        return f"independent beta-binomial, prior Beta({a:g}, {b:g})"


@dataclass(frozen=True, kw_only=True)
class RuleDesign(BasketDesign):
    """Simon's two-stage design or BOP2 in every cohort (from :mod:`dosefind.extension`): a go when the
    rule declares the cohort active. The cohorts' looks must be the rule's looks. The posterior shown is
    the independent Beta(prior) one; the decision is the rule's count boundaries."""

    rule: dict = field(default_factory=dict)
    prior: tuple[float, float] = (1.0, 1.0)
    kind: ClassVar[str] = "rule"
    no_predictive: ClassVar[str] = (
        "it decides by its count boundaries (dosefind design predictive gives such a rule)"
    )

    def __post_init__(self):
        super().__post_init__()
        from ..extension import rule_from_dict

        rule = dict(self.rule)
        rule.setdefault("rule", self.kind)
        if rule["rule"] != self.kind:
            raise SpecError(
                "rule.rule", f"{rule['rule']!r} does not match kind {self.kind!r}", "drop rule.rule"
            )
        object.__setattr__(self, "_compiled", rule_from_dict(rule, "rule"))
        object.__setattr__(self, "prior", _pair("prior", self.prior))

    def __hash__(self):
        return hash((self.kind, self.name, tuple(sorted(self.rule.items()))))

    def __eq__(self, other):
        return type(self) is type(other) and self.to_dict() == other.to_dict()

    def boundaries(self):
        return self._compiled.boundaries()

    def calibration_refusal(self) -> tuple[str, str] | None:
        return (
            f"{self.name!r} decides by its {self.kind} boundaries, not by a threshold on P(q > q0)",
            "calibrate a posterior design (independent, fujikawa, berry, exnex, cbhm, mem, enrichment)",
        )

    def describe(self) -> str:
        return self._compiled.describe()

    def check_cohorts(self, cohorts):
        looks = tuple(int(x) for x in self.boundaries().looks)
        for i, c in enumerate(cohorts):
            if c.looks != looks:
                raise SpecError(
                    f"cohorts[{i}].looks",
                    f"{list(c.looks)} are not the {self.kind} rule's looks {list(looks)}",
                    f"set n = {looks[-1]} and looks = {list(looks)} for every cohort, "
                    'or use kind = "independent"',
                )


@dataclass(frozen=True, kw_only=True, eq=False)
class Simon(RuleDesign):
    kind: ClassVar[str] = "simon"


@dataclass(frozen=True, kw_only=True, eq=False)
class Bop2(RuleDesign):
    kind: ClassVar[str] = "bop2"


@dataclass(frozen=True, kw_only=True)
class Fujikawa(BasketDesign):
    """Fujikawa et al. (2020): weights w_kj = (1 - JSD(post_k, post_j))^epsilon between the cohorts'
    independent Beta posteriors (set to 0 when <= tau); cohort k's posterior is
    Beta(sum_j w_kj (a + x_j), sum_j w_kj (b + n_j - x_j)) (``share_prior``, the paper's and baskexact's
    form) or Beta(a + sum_j w_kj x_j, b + sum_j w_kj (n_j - x_j)) (``share_prior = false``)."""

    prior: tuple[float, float] = (1.0, 1.0)
    epsilon: float = 2.0
    tau: float = 0.0
    share_prior: bool = True
    kind: ClassVar[str] = "fujikawa"
    borrows: ClassVar[bool] = True

    def __post_init__(self):
        super().__post_init__()
        set_ = object.__setattr__
        set_(self, "prior", _pair("prior", self.prior))
        eps = v.real("epsilon", self.epsilon, low=0.0, low_open=True, fix="epsilon must be > 0")
        set_(self, "epsilon", eps)
        tau = v.real("tau", self.tau, low=0.0, high=1.0, high_open=True, fix="tau must lie in [0, 1)")
        set_(self, "tau", tau)
        set_(self, "share_prior", v.boolean("share_prior", self.share_prior))

    def describe(self) -> str:
        a, b = self.prior
        return (
            f"Fujikawa JSD borrowing (epsilon {self.epsilon:g}, tau {self.tau:g}), prior Beta({a:g}, {b:g})"
        )


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


@dataclass(frozen=True, kw_only=True)
class Berry(BasketDesign):
    """Berry et al. (2013): theta_k = logit q_k - logit target ~ N(mu, sigma^2), mu ~ N(mu_mean, mu_sd^2),
    sigma^2 ~ InvGamma(sigma2_shape, sigma2_scale). ``mu_mean`` defaults to logit(q0) - logit(target)
    (the mean of the cohorts' logit q0 when they differ)."""

    target: float = 0.3
    mu_mean: float | None = None
    mu_sd: float = 10.0
    sigma2_shape: float = 0.0005
    sigma2_scale: float = 0.000005
    grid: str = "fine"  # the accurate rule (the trapezoid "default" is up to 3e-3 off on Berry's P)
    kind: ClassVar[str] = "berry"
    borrows: ClassVar[bool] = True

    def __post_init__(self):
        super().__post_init__()
        set_ = object.__setattr__
        set_(self, "target", v.probability("target", self.target, open_interval=True))
        if self.mu_mean is not None:
            set_(self, "mu_mean", v.real("mu_mean", self.mu_mean))
        set_(self, "mu_sd", v.real("mu_sd", self.mu_sd, low=0.0, low_open=True, fix="mu_sd must be > 0"))
        for k in ("sigma2_shape", "sigma2_scale"):
            set_(self, k, v.real(k, getattr(self, k), low=0.0, low_open=True, fix=f"{k} must be > 0"))
        set_(self, "grid", v.choice("grid", self.grid, ("coarse", "default", "fine")))

    def mu_mean_for(self, cohorts: tuple[Cohort, ...]) -> float:
        if self.mu_mean is not None:
            return self.mu_mean
        return sum(_logit(c.q0) for c in cohorts) / len(cohorts) - _logit(self.target)

    def describe(self) -> str:
        mm = "logit q0 - logit target" if self.mu_mean is None else f"{self.mu_mean:g}"
        return (
            f"Berry hierarchical model: logit q - logit {self.target:g} ~ N(mu, sigma^2), mu ~ N({mm}, "
            f"{self.mu_sd:g}^2), sigma^2 ~ InvGamma({self.sigma2_shape:g}, {self.sigma2_scale:g})"
        )


@dataclass(frozen=True, kw_only=True)
class Exnex(BasketDesign):
    """Neuenschwander et al. (2016): theta_k = logit q_k is EX (N(mu, tau^2), mu ~ N(mu_mean, mu_sd^2),
    tau ~ HalfNormal(tau_scale)) with probability ``p_ex``, else NEX (N(nex_mean, nex_sd^2));
    ``nex_mean`` defaults to logit of the cohort's q0."""

    p_ex: float = 0.5
    mu_mean: float | None = None
    mu_sd: float = 3.16
    tau_scale: float = 1.0
    nex_mean: float | None = None
    nex_sd: float = 2.0
    grid: str = "default"
    kind: ClassVar[str] = "exnex"
    borrows: ClassVar[bool] = True

    def __post_init__(self):
        super().__post_init__()
        set_ = object.__setattr__
        set_(self, "p_ex", v.probability("p_ex", self.p_ex))
        for k in ("mu_mean", "nex_mean"):
            if getattr(self, k) is not None:
                set_(self, k, v.real(k, getattr(self, k)))
        for k in ("mu_sd", "tau_scale", "nex_sd"):
            set_(self, k, v.real(k, getattr(self, k), low=0.0, low_open=True, fix=f"{k} must be > 0"))
        set_(self, "grid", v.choice("grid", self.grid, ("coarse", "default", "fine")))

    def mu_mean_for(self, cohorts: tuple[Cohort, ...]) -> float:
        if self.mu_mean is not None:
            return self.mu_mean
        return sum(_logit(c.q0) for c in cohorts) / len(cohorts)

    def describe(self) -> str:
        return (
            f"EXNEX: P(EX) {self.p_ex:g}; EX N(mu, tau^2), mu sd {self.mu_sd:g}, "
            f"tau ~ HalfNormal({self.tau_scale:g});"
            f" NEX N(logit q0, {self.nex_sd:g}^2)"
        )


@dataclass(frozen=True, kw_only=True)
class Cbhm(BasketDesign):
    """Chu & Yuan (2018), the calibrated Bayesian hierarchical model: theta_k = logit q_k ~ N(mu, sigma^2),
    mu ~ N(mu_mean, mu_sd^2), with sigma^2 not given a prior but set from the data at each look,
    sigma^2 = exp(a + b log T), T the Pearson chi-square of the 2 x K responders / non-responders table
    (floored at 1), sigma^2 kept within [``sigma2_min``, ``sigma2_max``] (the floor bounds the posterior's
    cost; sigma^2 = 1e-3 is a standard deviation of 0.03 on the logit scale, complete pooling in effect).

    Either ``a`` and ``b`` are given, or they are calibrated from ``q1`` (the alternative rate): T_H is the
    median of T when every cohort's rate is q1, T_L the smallest (``heterogeneous = "min"``, the authors'
    code) or the median (``"median"``) of the medians of T when the first i cohorts are at their q0 and the
    rest at q1 (i = 1..K-1), each over ``calibration_trials`` simulated final data sets (deterministic:
    seed ``calibration_seed``, one latent uniform per patient); then sigma^2(T_H) = ``sigma2_strong`` and
    sigma^2(T_L) = ``sigma2_weak``. ``mu_mean`` defaults to the mean of the cohorts' logit q0.

    ``futility_rate = "midpoint"``: an interim look stops a cohort for futility when
    P(q_k > (q0_k + q1) / 2 | data) < ``futility`` (Chu & Yuan's rule); the default ``"q0"`` compares
    P(q_k > q0_k | data) as every design does. Efficacy stops and the final go stay on q0."""

    a: float | None = None
    b: float | None = None
    q1: float | None = None
    sigma2_strong: float = 1.0
    sigma2_weak: float = 80.0
    calibration_trials: int = 10_000
    calibration_seed: int = 1
    heterogeneous: str = "min"
    mu_mean: float | None = None
    mu_sd: float = 10.0
    sigma2_min: float = 1.0e-3
    sigma2_max: float = 1.0e4
    futility_rate: str = "q0"
    kind: ClassVar[str] = "cbhm"
    borrows: ClassVar[bool] = True
    no_predictive: ClassVar[str] = (
        "its posterior kernel integrates only the tail and the mean (use the posterior interim, or "
        "EXNEX or Berry)"
    )

    def __post_init__(self):
        super().__post_init__()
        set_ = object.__setattr__
        for k in ("a", "b", "mu_mean"):
            if getattr(self, k) is not None:
                set_(self, k, v.real(k, getattr(self, k)))
        if (self.a is None) != (self.b is None):
            given, other = ("a", "b") if self.b is None else ("b", "a")
            raise SpecError(
                other, "missing", f"give both a and b, or drop {given} and give q1 to calibrate them"
            )
        if self.a is None and self.q1 is None:
            raise SpecError(
                "q1",
                "missing",
                "give q1 (the alternative response rate) to calibrate a and b, or give a and b",
            )
        if self.q1 is not None:
            set_(self, "q1", v.probability("q1", self.q1, open_interval=True, fix="q1 must lie in (0, 1)"))
        for k in ("sigma2_strong", "sigma2_weak", "mu_sd"):
            set_(self, k, v.real(k, getattr(self, k), low=0.0, low_open=True, fix=f"{k} must be > 0"))
        if self.sigma2_weak <= self.sigma2_strong:
            raise SpecError(
                "sigma2_weak",
                f"{self.sigma2_weak:g} is not above sigma2_strong {self.sigma2_strong:g}",
                "make sigma2_weak (little borrowing) > sigma2_strong (strong borrowing), e.g. 80 and 1",
            )
        set_(
            self,
            "sigma2_max",
            v.real("sigma2_max", self.sigma2_max, low=1.0, high=1e6, fix="sigma2_max must lie in [1, 1e6]"),
        )
        set_(
            self,
            "calibration_trials",
            v.integer(
                "calibration_trials",
                self.calibration_trials,
                low=100,
                high=1_000_000,
                fix="use 100 to 1,000,000 simulated data sets",
            ),
        )
        set_(
            self,
            "sigma2_min",
            v.real("sigma2_min", self.sigma2_min, low=1e-6, high=1.0, fix="sigma2_min must lie in [1e-6, 1]"),
        )
        set_(self, "calibration_seed", v.integer("calibration_seed", self.calibration_seed, low=0))
        set_(self, "heterogeneous", v.choice("heterogeneous", self.heterogeneous, ("min", "median")))
        set_(self, "futility_rate", v.choice("futility_rate", self.futility_rate, ("q0", "midpoint")))
        if self.futility_rate == "midpoint" and self.q1 is None:
            raise SpecError(
                "futility_rate",
                '"midpoint" is (q0 + q1) / 2 and q1 is not given',
                "give q1 (the alternative response rate), or drop futility_rate",
            )

    def check_cohorts(self, cohorts):
        if self.a is not None:
            return
        if len(cohorts) < 2:
            raise SpecError("q1", "calibration needs at least two cohorts", "give a and b, or add cohorts")
        for i, c in enumerate(cohorts):
            if self.q1 <= c.q0:
                raise SpecError(
                    "q1",
                    f"{self.q1:g} is not above cohorts[{i}]'s q0 {c.q0:g}",
                    "make q1 the alternative rate, above every cohort's q0",
                )

    def mu_mean_for(self, cohorts: tuple[Cohort, ...]) -> float:
        if self.mu_mean is not None:
            return self.mu_mean
        return sum(_logit(c.q0) for c in cohorts) / len(cohorts)

    def describe(self) -> str:
        if self.a is not None:
            how = f"a {self.a:g}, b {self.b:g}"
        else:
            how = (
                f"a, b calibrated (q1 {self.q1:g}: sigma^2 {self.sigma2_strong:g} at the homogeneous "
                f"median T, {self.sigma2_weak:g} at the heterogeneous {self.heterogeneous} median)"
            )
        return f"CBHM: logit q ~ N(mu, sigma^2), sigma^2 = exp(a + b log T) ({how}), mu sd {self.mu_sd:g}"


#: most cohorts a MEM design takes: 2^21 exchangeability matrices (K = 7, 0.011 s) per analysed data vector
MEM_MAX_COHORTS = 7


@dataclass(frozen=True, kw_only=True)
class Mem(BasketDesign):
    """The multisource exchangeability model (Hobbs & Landin 2018; the R package ``basket``'s
    ``mem_exact``): every pair of cohorts is exchangeable (one shared rate) or not, a priori independently
    with probability ``prior_inclusion`` (one value, or a K x K symmetric matrix with a unit diagonal);
    each cohort's rate has a Beta(``prior``) prior (``basket``'s ``shape1``, ``shape2``; default 0.5, 0.5
    as there). The posterior of q_k is the mixture over every symmetric exchangeability matrix of the Beta
    posteriors pooling the cohorts k is exchangeable with (:mod:`dosefind.basket.mem`), computed exactly;
    at most seven cohorts. With ``interim = "predictive"`` the future responses come from that mixture.
    """

    prior: tuple[float, float] = (0.5, 0.5)
    prior_inclusion: float | tuple[tuple[float, ...], ...] = 0.5
    kind: ClassVar[str] = "mem"
    borrows: ClassVar[bool] = True

    def __post_init__(self):
        super().__post_init__()
        set_ = object.__setattr__
        set_(self, "prior", _pair("prior", self.prior, "write the Beta prior as [a, b], e.g. [0.5, 0.5]"))
        fix = "give one probability in [0, 1], or a K x K symmetric matrix with 1 on the diagonal"
        value = self.prior_inclusion
        if isinstance(value, (list, tuple)):
            rows = []
            for i, row in enumerate(value):
                if isinstance(row, (str, bytes)) or not isinstance(row, (list, tuple)):
                    raise SpecError(
                        f"prior_inclusion[{i}]", f"expected a row of probabilities, got {row!r}", fix
                    )
                rows.append(tuple(v.probability(f"prior_inclusion[{i}][{j}]", p) for j, p in enumerate(row)))
            k = len(rows)
            for i, row in enumerate(rows):
                if len(row) != k:
                    raise SpecError("prior_inclusion", f"row {i} has {len(row)} values, not {k}", fix)
                if row[i] != 1.0:
                    raise SpecError(f"prior_inclusion[{i}][{i}]", f"{row[i]:g}, not 1", fix)
                for j in range(i):
                    if row[j] != rows[j][i]:
                        raise SpecError(
                            f"prior_inclusion[{i}][{j}]",
                            f"{row[j]:g} differs from prior_inclusion[{j}][{i}] = {rows[j][i]:g}",
                            "make the matrix symmetric",
                        )
            set_(self, "prior_inclusion", tuple(rows))
        else:
            set_(self, "prior_inclusion", v.probability("prior_inclusion", value, fix=fix))

    def check_cohorts(self, cohorts):
        k = len(cohorts)
        if isinstance(self.prior_inclusion, tuple) and len(self.prior_inclusion) != k:
            raise SpecError(
                "prior_inclusion",
                f"a {len(self.prior_inclusion)} x {len(self.prior_inclusion)} matrix for {k} cohorts",
                f"give a {k} x {k} matrix, or one value",
            )
        if k > MEM_MAX_COHORTS:
            from .mem import SECONDS_PER_MATRIX, n_matrices

            seconds = n_matrices(k) * SECONDS_PER_MATRIX
            raise SpecError(
                "kind",
                f'"mem" with {k} cohorts sums over {n_matrices(k):.3g} exchangeability matrices (about '
                f"{seconds:.3g} s per analysis)",
                f"use at most {MEM_MAX_COHORTS} cohorts, or another borrowing design",
            )

    def to_dict(self) -> dict:
        out = super().to_dict()
        if isinstance(self.prior_inclusion, tuple):
            out["prior_inclusion"] = [list(row) for row in self.prior_inclusion]
        return out

    def describe(self) -> str:
        a, b = self.prior
        if isinstance(self.prior_inclusion, tuple):
            incl = "a matrix of prior inclusion probabilities"
        else:
            incl = f"prior inclusion {self.prior_inclusion:g} per pair"
        return f"MEM (exact): Beta({a:g}, {b:g}) prior, {incl}"


POOL = ("never", "always", "heterogeneity")
#: most stage-1 tables an enrichment group's heterogeneity test (and an exact run) enumerates: prod over the
#: group's cohorts of (n1 + 1)
ENRICHMENT_MAX_TABLES = 10_000_000


@dataclass(frozen=True, kw_only=True)
class Enrichment(BasketDesign):
    """Two-stage enrichment (a generalisation of Cunanan et al. 2017; :mod:`dosefind.basket.enrichment`,
    docs/notes/enrichment-conventions.md): stage 1 treats every cohort to its first look n1_k; then each
    stated group of cohorts (``groups``; default one group of every cohort) either pools (``pool``:
    "always", or "heterogeneity" when Fisher's exact test of equal rates has p-value > ``gamma``), and
    continues as one cohort of ``pooled_n`` more patients when its stage-1 responses reach
    ``pool_min_responses``, decided on the pooled Beta posterior; or continues separately in the cohorts
    flagged at stage 1 (``flag_min_responses`` responses and P(q > q0) >= ``futility``, each optional),
    each to its n (plus, with ``reallocate``, the unflagged cohorts' stage-2 places), decided on its own
    Beta posterior (P(q > q0) > ``threshold``)."""

    prior: tuple[float, float] = (1.0, 1.0)
    groups: tuple[tuple[str, ...], ...] | None = None
    pool: str = "heterogeneity"
    gamma: float = 0.2
    flag_min_responses: int | None = None
    pool_min_responses: int = 0
    pooled_n: int | None = None
    pooled_threshold: float | None = None
    reallocate: bool = False
    kind: ClassVar[str] = "enrichment"
    borrows: ClassVar[bool] = True
    no_predictive: ClassVar[str] = "stage 1 only selects cohorts (futility and flag_min_responses flag them)"

    def __post_init__(self):
        super().__post_init__()
        set_ = object.__setattr__
        if self.efficacy is not None:
            raise SpecError(
                "efficacy",
                "an enrichment design has no interim go: stage 1 only selects cohorts",
                "drop efficacy",
            )
        set_(self, "prior", _pair("prior", self.prior))
        set_(self, "pool", v.choice("pool", self.pool, POOL))
        set_(
            self,
            "gamma",
            v.real("gamma", self.gamma, low=0.0, high=1.0, high_open=True, fix="gamma must lie in [0, 1)"),
        )
        if self.flag_min_responses is not None:
            set_(self, "flag_min_responses", v.integer("flag_min_responses", self.flag_min_responses, low=0))
        set_(self, "pool_min_responses", v.integer("pool_min_responses", self.pool_min_responses, low=0))
        if self.pooled_n is not None:
            fix = "pooled_n is the pooled group's stage-2 patients (1..10000)"
            set_(self, "pooled_n", v.integer("pooled_n", self.pooled_n, low=1, high=10_000, fix=fix))
        if self.pooled_threshold is not None:
            set_(self, "pooled_threshold", _threshold("pooled_threshold", self.pooled_threshold))
        set_(self, "reallocate", v.boolean("reallocate", self.reallocate))
        if self.groups is not None:
            fix = 'write groups = [["a", "b"], ["c", "d"]] with cohort names'
            if isinstance(self.groups, (str, bytes)) or not isinstance(self.groups, (list, tuple)):
                got = f"expected a list of lists of cohort names, got {self.groups!r}"
                raise SpecError("groups", got, fix)
            out = []
            for i, g in enumerate(self.groups):
                if isinstance(g, (str, bytes)) or not isinstance(g, (list, tuple)):
                    raise SpecError(f"groups[{i}]", f"expected a list of cohort names, got {g!r}", fix)
                if not all(isinstance(name, str) for name in g):
                    raise SpecError(f"groups[{i}]", f"expected cohort names, got {list(g)!r}", fix)
                if len(g) < 2:
                    raise SpecError(
                        f"groups[{i}]",
                        f"{list(g)} has {len(g)} cohort(s)",
                        "a group pools at least two cohorts; drop it (a cohort in no group runs alone)",
                    )
                out.append(tuple(g))
            set_(self, "groups", tuple(out))

    def to_dict(self) -> dict:
        out = super().to_dict()
        if self.groups is not None:
            out["groups"] = [list(g) for g in self.groups]
        return out

    def final_threshold(self) -> float:
        """The pooled final go's threshold."""
        return self.threshold if self.pooled_threshold is None else self.pooled_threshold

    def calibration_refusal(self) -> tuple[str, str] | None:
        if self.pooled_threshold is not None:
            return (
                f"{self.name!r} has a pooled_threshold of its own, which calibrating the threshold would "
                "leave as it is",
                "drop pooled_threshold (the calibrated threshold then serves the pooled groups too)",
            )
        return super().calibration_refusal()

    def group_indices(self, cohorts: tuple[Cohort, ...]) -> tuple[tuple[int, ...], ...]:
        """Every group as cohort indices in file order, the stated groups first (the default: one group of
        every cohort when there are two or more), then each cohort in no group on its own."""
        index = {c.name: i for i, c in enumerate(cohorts)}
        if self.groups is None:
            stated = [tuple(range(len(cohorts)))] if len(cohorts) > 1 else []
        else:
            stated = [tuple(sorted(index[name] for name in g)) for g in self.groups]
        used = {i for g in stated for i in g}
        return tuple(stated) + tuple((i,) for i in range(len(cohorts)) if i not in used)

    def check_cohorts(self, cohorts):
        index = {c.name: i for i, c in enumerate(cohorts)}
        seen: dict[str, int] = {}
        for gi, g in enumerate(self.groups or ()):
            for name in g:
                if name not in index:
                    raise SpecError(
                        f"groups[{gi}]",
                        f"unknown cohort {name!r}",
                        "use the cohorts' names: " + ", ".join(c.name for c in cohorts),
                    )
                if name in seen:
                    raise SpecError(
                        f"groups[{gi}]",
                        f"cohort {name!r} is also in groups[{seen[name]}]",
                        "put each cohort in one group at most",
                    )
                seen[name] = gi
        for i, c in enumerate(cohorts):
            if len(c.looks) != 2:
                raise SpecError(
                    f"cohorts[{i}].looks",
                    f"{list(c.looks)}: an enrichment design has two stages",
                    f"give looks = [n1, {c.n}]: stage 1's size, then the cohort's planned size",
                )
        if self.pool == "never":
            return
        for g in self.group_indices(cohorts):
            tables = math.prod(cohorts[i].looks[0] + 1 for i in g)
            if self.pool == "heterogeneity" and len(g) > 1 and tables > ENRICHMENT_MAX_TABLES:
                names = ", ".join(cohorts[i].name for i in g)
                raise SpecError(
                    "groups",
                    f"the heterogeneity test of the group {names} enumerates {tables:.3g} stage-1 tables "
                    f"(the product of n1 + 1), above {ENRICHMENT_MAX_TABLES:.0e}",
                    "state smaller groups (groups = [[...], [...]]), or smaller stage-1 sizes",
                )
            q0s = {cohorts[i].q0 for i in g}
            if len(g) > 1 and len(q0s) > 1:
                names = ", ".join(cohorts[i].name for i in g)
                raise SpecError(
                    "groups",
                    f"the cohorts {names} pool but have different q0 ({sorted(q0s)})",
                    'give the cohorts of a group one q0, or set pool = "never"',
                )

    def describe(self) -> str:
        a, b = self.prior
        how = {
            "never": "never pooled",
            "always": "pooled groups",
            "heterogeneity": f"groups pooled when Fisher's exact p > {self.gamma:g}",
        }[self.pool]
        realloc = ", stage-2 places reallocated" if self.reallocate else ""
        return f"two-stage enrichment ({how}{realloc}), prior Beta({a:g}, {b:g})"

    def rules(self) -> str:
        flags = []
        if self.flag_min_responses is not None:
            flags.append(f">= {self.flag_min_responses} responses")
        if self.futility is not None:
            flags.append(f"P(q > q0) >= {self.futility:g}")
        flag = "a cohort continues alone when " + " and ".join(flags) if flags else "every cohort continues"
        pooled = ""
        if self.pool != "never":
            pooled = (
                f"; a pooled group continues when its stage-1 responses >= {self.pool_min_responses} and "
                f"goes when the pooled P(q > q0) > {self.final_threshold():g}"
            )
        return f"stage 1: {flag}{pooled}; final go when P(q > q0) > {self.threshold:g}"


DESIGNS: dict[str, type[BasketDesign]] = {
    c.kind: c for c in (Independent, Simon, Bop2, Fujikawa, Berry, Exnex, Cbhm, Mem, Enrichment)
}


@dataclass(frozen=True)
class BasketScenario:
    """True response rates, one per cohort."""

    name: str
    rates: tuple[float, ...]

    def to_dict(self) -> dict:
        return {"name": self.name, "rates": list(self.rates)}


@dataclass(frozen=True)
class BasketSpec:
    """A basket file: cohorts, designs and scenarios."""

    name: str
    cohorts: tuple[Cohort, ...]
    designs: tuple[BasketDesign, ...]
    scenarios: tuple[BasketScenario, ...] = ()

    @property
    def cohort_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.cohorts)

    def design(self, name: str | None = None) -> BasketDesign:
        if name is None:
            return self.designs[0]
        for d in self.designs:
            if d.name == name:
                return d
        names = ", ".join(repr(d.name) for d in self.designs)
        raise SpecError("--design-name", f"no design named {name!r}", f"use one of {names}")

    def to_dict(self) -> dict:
        return {
            "basket": {"name": self.name},
            "cohorts": [c.to_dict() for c in self.cohorts],
            "designs": [d.to_dict() for d in self.designs],
            "scenarios": [s.to_dict() for s in self.scenarios],
        }


def _table_list(data: dict, key: str, fix: str) -> list:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
        raise SpecError(key, f"expected [[{key}]] tables, got {value!r}", fix)
    return value


def cohort_from_dict(i: int, data: dict, q0_default) -> Cohort:
    where = f"cohorts[{i}]"
    v.no_unknown_keys(where, data, ("name", "n", "looks", "q0"))
    for key in ("name", "n"):
        if key not in data:
            raise SpecError(f"{where}.{key}", "missing", f"give every cohort a {key}")
    q0 = data.get("q0", q0_default)
    if q0 is None:
        raise SpecError(f"{where}.q0", "missing", "give q0 in [basket] or in the cohort")
    try:
        return Cohort(data["name"], data["n"], q0, tuple(data.get("looks", ())))
    except SpecError as e:
        raise SpecError(f"{where}.{e.field}", e.problem, e.fix) from None


def design_from_dict(i: int, data: dict) -> BasketDesign:
    where = f"designs[{i}]"
    data = dict(data)
    kind = data.pop("kind", None)
    if kind is None:
        raise SpecError(f"{where}.kind", "missing", "set kind to one of " + ", ".join(KINDS))
    cls = DESIGNS.get(kind)
    if cls is None:
        raise SpecError(f"{where}.kind", f"unknown kind {kind!r}", "use one of " + ", ".join(KINDS))
    return v.build(cls, where, data)


def spec_from_dict(data: dict, source: str | None = None, require_scenarios: bool = True) -> BasketSpec:
    try:
        return _spec_from_dict(data, require_scenarios)
    except SpecError as e:
        raise e.with_source(source) if source else e from None


def _spec_from_dict(data: dict, require_scenarios: bool) -> BasketSpec:
    v.no_unknown_keys("file", data, ("basket", "cohorts", "designs", "scenarios"))
    head = data.get("basket", {})
    if not isinstance(head, dict):
        raise SpecError("basket", f"expected a table, got {head!r}", "write a [basket] section")
    v.no_unknown_keys("basket", head, ("name", "q0"))
    q0 = head.get("q0")
    rows = _table_list(data, "cohorts", "write one [[cohorts]] table per tumour type")
    if not rows:
        raise SpecError("cohorts", "no cohorts", "add at least one [[cohorts]] table with name and n")
    if len(rows) > MAX_COHORTS:
        raise SpecError("cohorts", f"{len(rows)} cohorts", f"use at most {MAX_COHORTS}")
    cohorts = tuple(cohort_from_dict(i, r, q0) for i, r in enumerate(rows))
    seen: dict[str, int] = {}
    for i, c in enumerate(cohorts):
        if c.name in seen:
            raise SpecError(
                f"cohorts[{i}].name",
                f"{c.name!r} is also cohorts[{seen[c.name]}]'s name",
                "give each cohort its own name",
            )
        seen[c.name] = i
    n_looks = len(cohorts[0].looks)
    for i, c in enumerate(cohorts):
        if len(c.looks) != n_looks:
            raise SpecError(
                f"cohorts[{i}].looks",
                f"{len(c.looks)} analyses, cohorts[0] has {n_looks}",
                "give every cohort the same number of looks (the analyses happen together)",
            )
    drows = _table_list(data, "designs", "write one [[designs]] table per design")
    if not drows:
        raise SpecError("designs", "no designs", 'add a [[designs]] table, e.g. kind = "independent"')
    designs = tuple(design_from_dict(i, r) for i, r in enumerate(drows))
    names: dict[str, int] = {}
    for i, d in enumerate(designs):
        if d.name in names:
            raise SpecError(
                f"designs[{i}].name", f"{d.name!r} is used twice", "give each design its own name"
            )
        names[d.name] = i
        try:
            d.check_cohorts(cohorts)
        except SpecError as e:
            where = e.field if e.field.startswith("cohorts") else f"designs[{i}].{e.field}"
            raise SpecError(where, e.problem, e.fix) from None
    srows = _table_list(data, "scenarios", "write one [[scenarios]] table per scenario")
    if require_scenarios and not srows:
        raise SpecError("scenarios", "no scenarios", "add a [[scenarios]] table with name and rates")
    scenarios = []
    for i, s in enumerate(srows):
        where = f"scenarios[{i}]"
        v.no_unknown_keys(where, s, ("name", "rates"))
        if "rates" not in s:
            raise SpecError(f"{where}.rates", "missing", "give one true response rate per cohort")
        rates = v.prob_vector(f"{where}.rates", s["rates"])
        if len(rates) != len(cohorts):
            raise SpecError(
                f"{where}.rates",
                f"{len(rates)} rates for {len(cohorts)} cohorts",
                "give one true rate per cohort",
            )
        scenarios.append(BasketScenario(str(s.get("name", f"scenario {i + 1}")), rates))
    return BasketSpec(str(head.get("name", "basket")), cohorts, designs, tuple(scenarios))


def load_basket(path: str | Path, require_scenarios: bool = True) -> BasketSpec:
    """Read and validate a basket TOML file."""
    from ..specfile import _read_toml

    path = Path(path)
    return spec_from_dict(_read_toml(path), path.name, require_scenarios)
