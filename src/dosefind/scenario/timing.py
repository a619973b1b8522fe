"""Calendar time: how patients arrive, how long a DLT takes to be known, what happens to a patient who
arrives while accrual is suspended (the ``[timing]`` section of spec files).

    [timing]
    accrual = "poisson"          # "poisson" | "uniform" | "fixed"
    patients_per_month = 2.0     # or per calendar month from the opening, [1, 2, 3] (the last continues)
    dlt_window_days = 28
    suspension = "turned_away"   # or "wait" (with max_wait_days)
    max_wait_days = 14
    dlt_time = "uniform"         # or "late_onset" or "weibull" (with late_onset_share)
    late_onset_share = 0.7
    response_days = 56           # arm files: a response is known this many days after entry

Arrivals. The k-th patient to arrive at the trial (counting those turned away) arrives a gap g_k after
the one before, g_k a function of the trial's arrival latent value k (``STREAM_ARRIVAL``): exponential
with mean 1/rate for ``poisson``; U(0, 2/rate) for ``uniform`` (the convention of the MD Anderson
trial-design apps and bfboin); exactly 1/rate for ``fixed``. A month is 365.25/12 days. With a rate per
calendar month (``patients_per_month = [r1, r2, ...]``: month 1 from the opening, the last rate
continuing; a month may have rate 0), the gaps are drawn in units of expected arrivals (exponential
with mean 1, U(0, 2), or 1) and laid on the calendar through the cumulative rate, which is the same as
the constant-rate rule when there is one rate (a non-homogeneous Poisson process for ``poisson``).
Every arrival is therefore a pure function of (seed, scenario, trial, arrival index): common random
numbers, thread and chunk invariance and replay keep holding.

Time to a DLT (designs that decide with pending patients read it). A patient with a DLT has it
``dlt_window_days`` x g(v) days after entry, v the patient's event-time latent value
(``STREAM_EVENT_TIME``): ``uniform`` over the window (g(v) = v, dfcrm's ``surv = "uniform"``), or
``late_onset``: a share ``late_onset_share`` of DLTs uniform over the second half of the window and the
rest over the first half (the parameterisation of TITEgBOIN and bfboin's late-onset scenarios); or
``weibull``, TITEgBOIN's own generator: the time to a DLT is Weibull with P(DLT in the window) = p, the
dose's DLT probability, and a share ``late_onset_share`` of those DLTs in the window's second half (its
``alpha1``, with ``alpha2`` = 1/2); given a DLT, its time is the Weibull's quantile at v p, so it
depends on the dose (``engine.tite.dlt_fraction``).

Accrual suspension. A design that decides on complete cohorts (3+3, BOIN, CRM, BOIN for combinations,
PO-CRM) treats a cohort as patients arrive, then suspends accrual until the last patient of the cohort
has completed the DLT window; the decision is taken then. A patient who arrives while accrual is
suspended is turned away (``turned_away``), or waits for it to reopen and is treated if that happens
within ``max_wait_days`` (``wait``; waiting patients are treated first, in order of arrival).

Arms (arm files; :mod:`dosefind.engine.arm`). A patient's response is known ``response_days`` after
entry (default: the DLT window). The extension opens when escalation has selected a dose and the
responses of its patients there are known; its patients then arrive by the same accrual model from the
opening (arrival j of the extension from arrival latent value ``EXT_BASE + j``), each to the next open
expansion cohort in turn. A cohort pauses at each look of its rule until the response of the look's last
patient is known, and decides then; an arrival finding every open cohort paused is turned away or waits
as above. The safety monitor counts a patient when their DLT or their complete window is observed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..designs import validate as v
from ..errors import SpecError

#: days in a month (365.25 / 12)
DAYS_PER_MONTH = 30.4375
ACCRUALS = ("poisson", "uniform", "fixed")
SUSPENSIONS = ("turned_away", "wait")
DLT_TIMES = ("uniform", "late_onset", "weibull")

# compiled form: ti = [accrual, suspension, DLT time, number of monthly rates], tf = [first rate per day,
# window days, max wait days, late-onset share, rate per day of month 1, month 2, ...]
ACCRUAL_CODE = {name: i for i, name in enumerate(ACCRUALS)}
SUSPENSION_CODE = {name: i for i, name in enumerate(SUSPENSIONS)}


@dataclass(frozen=True)
class Timing:
    """The timed trial model of a spec: accrual, DLT window and the suspension rule."""

    patients_per_month: float | tuple[float, ...]
    dlt_window_days: float
    accrual: str = "poisson"
    suspension: str = "turned_away"
    max_wait_days: float | None = None
    dlt_time: str = "uniform"
    late_onset_share: float | None = None
    response_days: float | None = None

    def __post_init__(self):
        set_ = object.__setattr__
        rate = self.patients_per_month
        if isinstance(rate, (list, tuple)):
            if len(rate) == 0:
                raise SpecError("patients_per_month", "empty list", "give one rate per month, e.g. [1, 2, 2]")
            fix = "give the expected patients in each month, numbers >= 0 (e.g. [1, 2, 2])"
            rates = tuple(
                v.real(f"patients_per_month[{i}]", r, low=0.0, high=10000.0, fix=fix)
                for i, r in enumerate(rate)
            )
            if rates[-1] <= 0.0:
                raise SpecError(
                    f"patients_per_month[{len(rates) - 1}]",
                    "the last month's rate continues until the trial ends, so it must be positive",
                    "end the list with a positive rate",
                )
            set_(self, "patients_per_month", rates if len(rates) > 1 else rates[0])
        else:
            set_(
                self,
                "patients_per_month",
                v.real(
                    "patients_per_month",
                    rate,
                    low=0.0,
                    low_open=True,
                    high=10000.0,
                    fix="give the expected number of patients per month, a positive number (e.g. 2)",
                ),
            )
        set_(
            self,
            "dlt_window_days",
            v.real(
                "dlt_window_days",
                self.dlt_window_days,
                low=0.0,
                high=3650.0,
                fix="give the DLT assessment window in days, e.g. 28 (0: DLTs known at once)",
            ),
        )
        set_(self, "accrual", v.choice("accrual", self.accrual, ACCRUALS))
        set_(self, "suspension", v.choice("suspension", self.suspension, SUSPENSIONS))
        if self.suspension == "wait":
            if self.max_wait_days is None:
                raise SpecError(
                    "max_wait_days",
                    'missing: suspension = "wait" needs the longest wait a patient accepts',
                    "add max_wait_days = <days>, e.g. 14",
                )
            set_(
                self,
                "max_wait_days",
                v.real("max_wait_days", self.max_wait_days, low=0.0, fix="give a number of days >= 0"),
            )
        elif self.max_wait_days is not None:
            raise SpecError(
                "max_wait_days",
                'only applies with suspension = "wait"',
                'remove max_wait_days, or set suspension = "wait"',
            )
        set_(self, "dlt_time", v.choice("dlt_time", self.dlt_time, DLT_TIMES))
        if self.dlt_time != "uniform":
            if self.late_onset_share is None:
                raise SpecError(
                    "late_onset_share",
                    f'missing: dlt_time = "{self.dlt_time}" needs the share of DLTs in the window\'s second '
                    "half",
                    "add late_onset_share = <share in (0, 1)>, e.g. 0.7",
                )
            share = v.probability("late_onset_share", self.late_onset_share, open_interval=True)
            set_(self, "late_onset_share", share)
        elif self.late_onset_share is not None:
            raise SpecError(
                "late_onset_share",
                'only applies with dlt_time = "late_onset" or "weibull"',
                'remove late_onset_share, or set dlt_time = "late_onset"',
            )
        if self.response_days is not None:
            set_(
                self,
                "response_days",
                v.real(
                    "response_days",
                    self.response_days,
                    low=0.0,
                    high=3650.0,
                    fix="give the days from entry until a response is assessed, e.g. 56",
                ),
            )

    @property
    def response_assessment_days(self) -> float:
        """Days from entry until a response is known (``response_days``, else the DLT window)."""
        return self.response_days if self.response_days is not None else self.dlt_window_days

    @property
    def rates_per_day(self) -> tuple[float, ...]:
        """The accrual rate per day of each calendar month from the opening (one: constant)."""
        rates = self.patients_per_month
        rates = rates if isinstance(rates, tuple) else (rates,)
        return tuple(r / DAYS_PER_MONTH for r in rates)

    @property
    def rate_per_day(self) -> float:
        """The accrual rate per day (of the first month, when it varies)."""
        return self.rates_per_day[0]

    def compile(self) -> tuple[np.ndarray, np.ndarray]:
        """(ti, tf): int64 [accrual, suspension, DLT time] and float64 [rate per day, window days, max wait
        days, late-onset share]."""
        rates = self.rates_per_day
        codes = [
            ACCRUAL_CODE[self.accrual],
            SUSPENSION_CODE[self.suspension],
            DLT_TIMES.index(self.dlt_time),
            len(rates),
        ]
        ti = np.array(codes, dtype=np.int64)
        wait = self.max_wait_days if self.max_wait_days is not None else 0.0
        share = self.late_onset_share if self.late_onset_share is not None else 0.5
        tf = np.array([rates[0], self.dlt_window_days, wait, share, *rates], dtype=np.float64)
        return ti, tf

    def to_dict(self) -> dict:
        rate = self.patients_per_month
        out = {
            "accrual": self.accrual,
            "patients_per_month": list(rate) if isinstance(rate, tuple) else rate,
            "dlt_window_days": self.dlt_window_days,
            "suspension": self.suspension,
        }
        if self.max_wait_days is not None:
            out["max_wait_days"] = self.max_wait_days
        if self.dlt_time != "uniform":  # uniform specs keep the form (and config hash) they always had
            out["dlt_time"] = self.dlt_time
            out["late_onset_share"] = self.late_onset_share
        if self.response_days is not None:
            out["response_days"] = self.response_days
        return out

    @classmethod
    def from_dict(cls, data: dict, field: str = "timing", arm: bool = False) -> Timing:
        """The ``[timing]`` section; ``response_days`` only in arm files (``arm``)."""
        if not isinstance(data, dict):
            raise SpecError(field, f"expected a table, got {data!r}", "write a [timing] section")
        v.no_unknown_keys(
            field,
            data,
            [
                "accrual",
                "patients_per_month",
                "dlt_window_days",
                "suspension",
                "max_wait_days",
                "dlt_time",
                "late_onset_share",
                "response_days",
            ],
        )
        for key, example in (("patients_per_month", "2"), ("dlt_window_days", "28")):
            if key not in data:
                raise SpecError(f"{field}.{key}", "missing", f"add {key} = {example} to [{field}]")
        if not arm and "response_days" in data:
            raise SpecError(
                f"{field}.response_days",
                "applies to arm files only (when an extension patient's response is known)",
                "remove response_days here, or give it in the [timing] of an arm file",
            )
        try:
            return cls(**data)
        except SpecError as e:
            raise SpecError(f"{field}.{e.field}", e.problem, e.fix) from None
