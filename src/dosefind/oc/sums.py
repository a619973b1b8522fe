"""Exact sufficient statistics of simulated trials, added block by block, and the operating
characteristics rebuilt from them.

:class:`TrialSums` keeps, for one design in one scenario, only integer counts and integer sums (and sums
of squares) of the per-trial values that :mod:`dosefind.oc.metrics` reports. Integers add exactly, so
any split of a run into blocks of trials, in any order, gives the same sums and therefore bit-identical
operating characteristics; memory does not grow with the number of trials. Both ``dosefind simulate``
(block by block, :func:`dosefind.engine.simulate.simulate_blocks`) and
:func:`~dosefind.oc.metrics.operating_characteristics` (a whole :class:`SimResult` at once) go through
this one reducer; the sweep's per-task statistics (:mod:`dosefind.sweep.stats`) read their common
counts and sums from it too.

Statistics (T trials):

* ``n`` (T), ``none``, ``hit``, ``above``, ``early``, ``short``: trials selecting no dose, a correct
  dose, a dose above the true MTD, stopping early for toxicity, ending with fewer than max_n patients;
* per dose: ``sel`` (times selected) and the sum and sum of squares of patients (``n_s``, ``n_q``) and
  DLTs (``t_s``, ``t_q``) at the dose;
* per trial totals: sum and sum of squares of patients (``ntot``), DLTs (``tox``) and patients above
  the MTD (``nabove``);
* the fraction of a trial's patients treated above the MTD, a / max(n, 1), is kept exactly as the sums of
  a and a² over the trials with each total n (``ptam_s[n]``, ``ptam_q[n]``).

From these, a proportion p = count / T has MCSE sqrt(p(1-p)/T) and a mean has MCSE sd/sqrt(T), the
sample variance (ddof=1) being computed in exact rational arithmetic from the integer sums and rounded
once (so it equals numpy's two-pass ``np.std(ddof=1)`` up to numpy's own rounding, a few units in the
last place).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..constants import Status
from ..engine import sums as K

#: scalar counts and sums, in the order of the kernel's accumulator (:mod:`dosefind.engine.sums`)
SCALAR_SUMS = (
    "none",
    "hit",
    "above",
    "early",
    "short",
    "ntot_s",
    "ntot_q",
    "tox_s",
    "tox_q",
    "nabove_s",
    "nabove_q",
)
assert len(SCALAR_SUMS) == K.N_SCALAR_SUMS and SCALAR_SUMS.index("nabove_q") == K.S_NABOVE_Q


class TrialSums:
    """Sufficient statistics of the trials of one design in one scenario (see the module docstring).

    ``correct`` (boolean per dose: a correct selection; all False when stopping is the correct answer),
    ``stop_correct`` (whether selecting no dose is correct), ``above`` (boolean per dose: above the true
    MTD) and ``max_n`` fix what is counted; :meth:`for_design` derives them as :mod:`.metrics` does.
    """

    def __init__(self, n_doses: int, max_n: int, correct, stop_correct: bool, above, phase12=None):
        self.n_doses = int(n_doses)
        self.max_n = int(max_n)
        self.correct = np.ascontiguousarray(correct, dtype=np.bool_)
        self.stop_correct = bool(stop_correct)
        self.above = np.ascontiguousarray(above, dtype=np.bool_)
        self.n = 0
        D = self.n_doses
        self.scalars = np.zeros(K.N_SCALAR_SUMS, dtype=np.int64)
        self.sel = np.zeros(D, dtype=np.int64)
        self.n_s = np.zeros(D, dtype=np.int64)
        self.n_q = np.zeros(D, dtype=np.int64)
        self.t_s = np.zeros(D, dtype=np.int64)
        self.t_q = np.zeros(D, dtype=np.int64)
        self.ptam_s = np.zeros(self.max_n + 1, dtype=np.int64)
        self.ptam_q = np.zeros(self.max_n + 1, dtype=np.int64)
        #: phase I/II designs: (true utility per dose, correct OBD mask) (see :mod:`.utility`), else None;
        #: responses per dose are summed in ``e_s``, ``e_q`` and per trial in ``etot_s``, ``etot_q``
        self.phase12 = phase12
        self.e_s = np.zeros(D, dtype=np.int64)
        self.e_q = np.zeros(D, dtype=np.int64)
        self.etot = np.zeros(2, dtype=np.int64)

    @classmethod
    def for_design(
        cls, design, true_tox, acceptable_band: float | None = None, scenario=None, utility_band: float = 0.0
    ) -> TrialSums:
        """The sums of ``design``'s trials under true DLT probabilities ``true_tox``; a phase I/II design
        (``uses_efficacy``) with its ``scenario`` also counts the OBD metrics (:mod:`.utility`)."""
        from .metrics import correct_mask, doses_above_mtd, included_doses, no_acceptable_dose

        included = included_doses(design)
        phase12 = None
        if design.uses_efficacy and scenario is not None and scenario.true_eff is not None:
            from .utility import obd_mask, true_utilities

            phase12 = (true_utilities(design, scenario), obd_mask(design, scenario, utility_band))
        return cls(
            design.n_doses,
            design.max_n,
            correct_mask(true_tox, design.target, acceptable_band, included),
            no_acceptable_dose(true_tox, design.target, acceptable_band, included),
            doses_above_mtd(design, true_tox, acceptable_band),
            phase12,
        )

    @property
    def scalar(self) -> dict[str, int]:
        """The scalar sums by name (``n`` first), as Python integers."""
        return {"n": self.n, **{k: int(v) for k, v in zip(SCALAR_SUMS, self.scalars, strict=True)}}

    def add(self, result) -> TrialSums:
        """Add the trials of ``result`` (a :class:`~dosefind.engine.SimResult`, e.g. one block)."""
        args = (
            result.selected,
            result.n_at_dose,
            result.tox_at_dose,
            result.status,
            np.int64(Status.STOP_NO_DOSE),
            np.int64(self.max_n),
            self.correct,
            self.stop_correct,
            self.above,
            self.scalars,
            self.sel,
            self.n_s,
            self.n_q,
            self.t_s,
            self.t_q,
        )
        need = K.add_trial_sums(*args, self.ptam_s, self.ptam_q)
        if need > 0:  # a design that may treat more than max_n patients (backfill): make room, then add
            self._grow(int(need))
            K.add_trial_sums(*args, self.ptam_s, self.ptam_q)
        self.n += int(result.selected.shape[0])
        if self.phase12 is not None and result.eff_at_dose is not None:
            e = result.eff_at_dose.astype(np.int64)
            self.e_s += e.sum(axis=0)
            self.e_q += (e * e).sum(axis=0)
            tot = e.sum(axis=1)
            self.etot += (int(tot.sum()), int((tot * tot).sum()))
        return self

    def _grow(self, length: int) -> None:
        for name in ("ptam_s", "ptam_q"):
            old = getattr(self, name)
            if old.shape[0] < length:
                new = np.zeros(length, dtype=np.int64)
                new[: old.shape[0]] = old
                setattr(self, name, new)

    def merge(self, other: TrialSums) -> TrialSums:
        """Add another block's statistics (same design and scenario)."""
        self.n += other.n
        self.scalars += other.scalars
        for name in ("sel", "n_s", "n_q", "t_s", "t_q"):
            getattr(self, name)[:] += getattr(other, name)
        self._grow(other.ptam_s.shape[0])
        self.ptam_s[: other.ptam_s.shape[0]] += other.ptam_s
        self.ptam_q[: other.ptam_q.shape[0]] += other.ptam_q
        self.e_s += other.e_s
        self.e_q += other.e_q
        self.etot += other.etot
        return self

    def ptam_sums(self) -> tuple[Fraction, Fraction]:
        """Exact sum and sum of squares of the per-trial fraction of patients treated above the MTD."""
        s = sum((Fraction(int(a), max(k, 1)) for k, a in enumerate(self.ptam_s) if a), Fraction(0))
        q = sum((Fraction(int(a), max(k, 1) ** 2) for k, a in enumerate(self.ptam_q) if a), Fraction(0))
        return s, q

    def values_and_mcse(self) -> tuple[dict, dict]:
        """The operating characteristics of :func:`~dosefind.oc.metrics.operating_characteristics` (without
        the calendar metrics), keys in the same order."""
        s = self.scalar
        T = self.n
        D = self.n_doses
        values: dict = {}
        mcse: dict = {}
        ps = [proportion(int(c), T) for c in self.sel]
        values["prob_select"] = [p for p, _ in ps]
        mcse["prob_select"] = [e for _, e in ps]
        values["prob_select_none"], mcse["prob_select_none"] = proportion(s["none"], T)
        for name, a, b in (("mean_n_at_dose", self.n_s, self.n_q), ("mean_tox_at_dose", self.t_s, self.t_q)):
            ms = [exact_mean(int(a[d]), int(b[d]), T) for d in range(D)]
            values[name] = [m for m, _ in ms]
            mcse[name] = [e for _, e in ms]
        values["mean_n"], mcse["mean_n"] = exact_mean(s["ntot_s"], s["ntot_q"], T)
        values["mean_tox"], mcse["mean_tox"] = exact_mean(s["tox_s"], s["tox_q"], T)
        values["prob_early_stop"], mcse["prob_early_stop"] = proportion(s["early"], T)
        values["prob_stop_before_max_n"], mcse["prob_stop_before_max_n"] = proportion(s["short"], T)
        values["pcs"], mcse["pcs"] = proportion(s["hit"], T)
        values["prob_select_above_mtd"], mcse["prob_select_above_mtd"] = proportion(s["above"], T)
        values["prop_treated_above_mtd"], mcse["prop_treated_above_mtd"] = exact_mean(*self.ptam_sums(), T)
        if self.phase12 is not None:
            self._phase12_values(values, mcse)
        return values, mcse

    def _phase12_values(self, values: dict, mcse: dict) -> None:
        """The OBD metrics (:data:`~dosefind.oc.metrics.PHASE12_METRICS`): from the selection counts per
        dose (the true utility of the selected dose is a function of the dose) and the response sums."""
        T = self.n
        D = self.n_doses
        utility, obd = self.phase12
        if obd.any():
            hits = int(self.sel[obd].sum())
        else:  # no acceptable dose: stopping without one is right
            hits = T - int(self.sel.sum())
        values["prob_select_obd"], mcse["prob_select_obd"] = proportion(hits, T)
        m = int(self.sel.sum())
        if m:
            mean = float(np.dot(self.sel, utility) / m)
            var = float(np.dot(self.sel, (utility - mean) ** 2) / (m - 1)) if m > 1 else math.nan
            values["mean_utility_selected"], mcse["mean_utility_selected"] = mean, math.sqrt(var / m)
        else:
            values["mean_utility_selected"], mcse["mean_utility_selected"] = math.nan, math.nan
        ms = [exact_mean(int(self.e_s[d]), int(self.e_q[d]), T) for d in range(D)]
        values["mean_resp_at_dose"] = [x for x, _ in ms]
        mcse["mean_resp_at_dose"] = [e for _, e in ms]
        values["mean_resp"], mcse["mean_resp"] = exact_mean(int(self.etot[0]), int(self.etot[1]), T)


def proportion(count: int, T: int) -> tuple[float, float]:
    """count / T and its MCSE sqrt(p(1-p)/T) (the arithmetic of ``np.mean`` on indicators)."""
    p = float(count / T)
    return p, float(np.sqrt(max(p * (1 - p), 0.0) / T))


def exact_mean(s, q, T: int) -> tuple[float, float]:
    """Mean s/T and its MCSE sd/sqrt(T) from the exact (integer or rational) sum ``s`` and sum of squares
    ``q`` of T values; the sample variance (ddof=1) is exact before its one rounding (nan when T < 2)."""
    if T == 0:
        return math.nan, math.nan
    mean = float(Fraction(s) / T)
    if T < 2:
        return mean, math.nan
    var = max(Fraction(q) - Fraction(s) ** 2 / T, Fraction(0)) / (T - 1)
    return mean, float(np.sqrt(float(var)) / np.sqrt(T))


def exact_float_sum(x) -> Fraction:
    """The exact sum of float64 values, as a Fraction (no rounding at all): each x = m 2^e with m a 53-bit
    integer (``np.frexp``), the integers summed per exponent in two 26-bit halves (no int64 overflow below
    2^35 values) and the few partial sums joined in Python integers. Sums of any blocks of the values, in
    any order, add up to the same Fraction, so a mean rebuilt from them does not depend on the blocking."""
    x = np.asarray(x, dtype=np.float64).ravel()
    x = x[x != 0.0]
    if x.size == 0:
        return Fraction(0)
    if not np.all(np.isfinite(x)):
        raise ValueError("exact_float_sum: values must be finite")
    mant, expo = np.frexp(x)
    m = (mant * 9007199254740992.0).astype(np.int64)  # 2^53: exact, |m| < 2^53
    expo = expo.astype(np.int64) - 53
    total = 0
    low_e = int(expo.min())
    for e in np.unique(expo):
        sel = m[expo == e]
        hi, lo = int((sel >> 26).sum()), int((sel & 0x3FFFFFF).sum())
        total += ((hi << 26) + lo) << (int(e) - low_e)
    return Fraction(total) * Fraction(2) ** low_e
