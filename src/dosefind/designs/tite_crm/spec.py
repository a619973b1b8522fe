"""TITE-CRM: the time-to-event CRM (Cheung & Chappell 2000), as dfcrm's ``titecrm``/``titesim``.

Each patient is assigned a dose on arrival, using every patient treated so far: a patient whose DLT has
been observed counts fully (y = 1), and a patient without one counts as a non-DLT weighted by how much
of the DLT window has been observed, so the likelihood is

    prod_j p_{d_j}(b)^{y_j} (1 - w_j p_{d_j}(b))^{1 - y_j}

with the CRM's model and prior (``model``, ``skeleton``, ``prior_sd``, ``intercept``, all as
:class:`~dosefind.designs.crm.Crm`). Weights (``scheme``), for follow-up u of a window W:

* ``"linear"``: w = min(u / W, 1);
* ``"adaptive"`` (Cheung & Chappell's): with the z observed DLT times sorted, t_1 < ... < t_z, and m of
  them at most u: w = (m + (u - t_m) / (t_{m+1} - t_m)) / (z + 1), with t_0 = 0 (so w = u / t_1 / (z+1)
  for m = 0) and t_{z+1} = W; linear while no DLT has been observed.

A patient who completed the window without a DLT has weight 1. The dose is the one whose plug-in (or,
with ``dose_choice = "posterior_mean"``, posterior mean) DLT probability is closest to the target; with
``no_skip_escalation`` (default, dfcrm's ``restrict = TRUE``) at most one level above the dose the
previous patient received. dfcrm's TITE-CRM has no coherence rule: ``coherence`` must be ``"off"`` (the
default here). It has no safety stop either; dosefind offers the CRM's (``safety_confidence``,
``safety_threshold``, ``safety_min_n``) on the weighted posterior: at an arrival, when P(p_1 > threshold |
data, pending patients weighted) exceeds the confidence once ``safety_min_n`` patients (pending ones
included) were treated at the lowest dose, the trial stops with no dose (that patient is not treated);
and once more on the complete data at the end, as the CRM's last decision. The trial treats ``max_n``
patients, one at a time (``cohort_size = 1``), the first at ``start_dose``; accrual is never suspended.
The final selection uses every patient's complete outcome: the CRM's rule on complete data. Modifiers
apply after every model decision (not during a two-stage start), on the patients treated and the DLTs
seen, and once more on the complete data (``engine.decisions.apply_modifiers``, as the CRM's ``decide``).

Two-stage start (dfcrm's ``titesim`` ``x0`` and ``tgrp``): with ``x0`` (one 1-based dose level per
patient, ``max_n`` of them), patient i is treated at ``x0[i]`` until a DLT has been
observed at a patient's arrival; from then on the model decides (the first model-based patient is the
one arriving after the first DLT is seen). A move to a new level of ``x0`` waits until ``tgrp_days``
(default: the whole window) have passed since the previous patient's entry; patients arriving before
are turned away (counted), as titesim discards them (the last patient, as in titesim, does not
wait). dfcrm fits the model with a prior sd of 500 while
every observed outcome is a DLT; dosefind keeps the design's prior there (documented difference).

The DLT window is the ``[timing]`` section's ``dlt_window_days``; a TITE-CRM is simulated in calendar
time only. On complete data (every patient through the window) it decides exactly as the CRM with
cohorts of 1, which is how ``recommend``, ``paths`` and replays treat data without dates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...constants import DesignKind
from ...errors import SpecError
from .. import layout as L
from .. import validate as v
from ..crm import Crm

SCHEMES = ("linear", "adaptive")


@dataclass(frozen=True, kw_only=True)
class TiteCrm(Crm):
    scheme: str = "linear"
    cohort_size: int = 1
    coherence: str = "off"
    x0: tuple[int, ...] | None = None
    tgrp_days: float | None = None

    kind = "tite_crm"
    uses_pending = True

    def __post_init__(self):
        super().__post_init__()
        v.choice("scheme", self.scheme, SCHEMES)
        if self.cohort_size != 1:
            raise SpecError(
                "cohort_size",
                f"TITE-CRM assigns each patient on arrival: cohorts of 1 patient, not {self.cohort_size}",
                "remove cohort_size (or set it to 1)",
            )
        if self.coherence != "off":
            raise SpecError(
                "coherence",
                f"{self.coherence!r} is a rule on the last cohort, which a TITE-CRM does not have",
                'remove coherence (TITE-CRM, like dfcrm\'s titesim, uses "off")',
            )
        set_ = object.__setattr__
        if self.x0 is not None:
            if isinstance(self.x0, (str, bytes)) or not hasattr(self.x0, "__len__"):
                raise SpecError(
                    "x0",
                    f"expected a list of dose levels, got {self.x0!r}",
                    "write e.g. x0 = [1, 1, 1, 2, 2, 2, ...]",
                )
            levels = tuple(
                v.integer(f"x0[{i}]", x, low=1, high=self.n_doses, fix=f"dose levels are 1 to {self.n_doses}")
                for i, x in enumerate(self.x0)
            )
            if len(levels) != self.max_n:
                raise SpecError(
                    "x0",
                    f"{len(levels)} levels for max_n = {self.max_n} patients",
                    "give one dose level per patient (dfcrm's titesim requires length n), e.g. end with the "
                    "top level repeated",
                )
            set_(self, "x0", levels)
        if self.tgrp_days is not None:
            if self.x0 is None:
                raise SpecError(
                    "tgrp_days", "only applies with an initial design x0", "remove tgrp_days, or give x0"
                )
            set_(
                self,
                "tgrp_days",
                v.real("tgrp_days", self.tgrp_days, low=0.0, fix="give the days before a move, e.g. 28"),
            )

    def _compile_base(self, ip, fp, tables, n_cap):
        grid = super()._compile_base(ip, fp, tables, n_cap)
        ip[L.IP_KIND] = DesignKind.TITE_CRM
        ip[L.IP_TITE_SCHEME] = SCHEMES.index(self.scheme)
        if self.x0 is not None:
            table = np.zeros((n_cap + 1, n_cap + 1), dtype=np.int8)
            table[0, : len(self.x0)] = np.asarray(self.x0) - 1
            tables.append(table)
            ip[L.IP_TITE_X0] = len(tables)  # 1 + its index
            fp[L.FP_TITE_TGRP] = -1.0 if self.tgrp_days is None else self.tgrp_days
        return grid
