"""Exact operating characteristics of the 3+3 design and of the A+B family by enumeration of cohort
outcomes.

Written independently of the engine (as the textbook recursion over dose levels, not through the
engine's decision kernel) so that it can check the simulated operating characteristics; the rules are
those documented in :mod:`dosefind.designs.three_plus_three` and :mod:`dosefind.designs.a_plus_b`.
"""

from __future__ import annotations

from math import comb

import numpy as np


def _binom(k: int, n: int, p: float) -> float:
    return comb(n, k) * p**k * (1 - p) ** (n - k)


def exact_three_plus_three(true_tox, deescalation: bool = True, expand_top_dose: bool = True) -> dict:
    """Exact prob_select (per dose), prob_select_none, mean_n_at_dose and mean_tox_at_dose.

    Also the second moments ``mean_sq_n_at_dose``/``mean_sq_tox_at_dose`` (for exact standard errors)
    and ``prob_treated_at_dose``, the probability that a dose is given to anyone.
    """
    p = [float(x) for x in true_tox]
    D = len(p)
    sel = np.zeros(D)
    out = {"none": 0.0}
    en = np.zeros(D)
    ey = np.zeros(D)
    en2 = np.zeros(D)
    ey2 = np.zeros(D)
    reach = np.zeros(D)

    def finish(mtd, n, y, prob):
        if mtd < 0:
            out["none"] += prob
        else:
            sel[mtd] += prob
        n, y = np.asarray(n, dtype=float), np.asarray(y, dtype=float)
        en[:] += prob * n
        ey[:] += prob * y
        en2[:] += prob * n * n
        ey2[:] += prob * y * y
        reach[:] += prob * (n > 0)

    def add(n, y, d, k):
        n2, y2 = list(n), list(y)
        n2[d] += 3
        y2[d] += k
        return n2, y2

    def exceeded(d, n, y, prob):
        # dose d has >= 2 DLTs
        if d == 0:
            finish(-1, n, y, prob)
        elif not deescalation:
            finish(d - 1, n, y, prob)
        else:
            confirm(d - 1, n, y, prob)

    def confirm(e, n, y, prob):
        # de-escalated to e, which has 3 (0 DLT) or 6 (<= 1 DLT) patients
        if n[e] >= 6:
            finish(e, n, y, prob)
            return
        for j in range(4):
            n2, y2 = add(n, y, e, j)
            if y2[e] <= 1:
                finish(e, n2, y2, prob * _binom(j, 3, p[e]))
            else:
                exceeded(e, n2, y2, prob * _binom(j, 3, p[e]))

    def passed_six(d, n, y, prob):
        # d has 6 patients with <= 1 DLT
        if d == D - 1:
            finish(d, n, y, prob)
        else:
            first_three(d + 1, n, y, prob)

    def first_three(d, n, y, prob):
        for k in range(4):
            n2, y2 = add(n, y, d, k)
            pk = prob * _binom(k, 3, p[d])
            if k >= 2:
                exceeded(d, n2, y2, pk)
            elif k == 0 and d < D - 1:
                first_three(d + 1, n2, y2, pk)
            elif k == 0 and not expand_top_dose:  # 0/3 at the highest dose: it is the MTD
                finish(d, n2, y2, pk)
            else:  # 1/3, or 0/3 at the highest dose: 3 more at d
                for j in range(4):
                    n3, y3 = add(n2, y2, d, j)
                    pj = pk * _binom(j, 3, p[d])
                    if y3[d] <= 1:
                        passed_six(d, n3, y3, pj)
                    else:
                        exceeded(d, n3, y3, pj)

    first_three(0, [0] * D, [0] * D, 1.0)
    return _summary(sel, out["none"], en, ey, en2, ey2, reach)


def _summary(sel, none, en, ey, en2, ey2, reach) -> dict:
    """The enumerators' output (``mean_share_at_dose``, E[n_d / N], is added by :func:`exact_a_plus_b`)."""
    return {
        "prob_select": sel.tolist(),
        "prob_select_none": none,
        "mean_n_at_dose": en.tolist(),
        "mean_tox_at_dose": ey.tolist(),
        "mean_n": float(en.sum()),
        "mean_sq_n_at_dose": en2.tolist(),
        "mean_sq_tox_at_dose": ey2.tolist(),
        "prob_treated_at_dose": reach.tolist(),
    }


def exact_a_plus_b(
    true_tox,
    a: int = 3,
    b: int = 3,
    c: int = 1,
    d: int = 1,
    e: int = 1,
    deescalation: bool = True,
    expand_top_dose: bool = True,
) -> dict:
    """The same quantities as :func:`exact_three_plus_three` for Lin & Shih's A+B design (the rules of
    :mod:`dosefind.designs.a_plus_b`), by enumerating the DLT counts of each stage of A and of B; also
    ``mean_share_at_dose``, the expected share of the trial's patients treated at each dose (E[n_d / N],
    as AplusB reports it)."""
    p = [float(x) for x in true_tox]
    n_doses = len(p)
    sel = np.zeros(n_doses)
    none = [0.0]
    en = np.zeros(n_doses)
    ey = np.zeros(n_doses)
    en2 = np.zeros(n_doses)
    ey2 = np.zeros(n_doses)
    reach = np.zeros(n_doses)
    share = np.zeros(n_doses)

    def finish(mtd, n, y, prob):
        if mtd < 0:
            none[0] += prob
        else:
            sel[mtd] += prob
        n, y = np.asarray(n, dtype=float), np.asarray(y, dtype=float)
        share[:] += prob * n / n.sum()
        en[:] += prob * n
        ey[:] += prob * y
        en2[:] += prob * n * n
        ey2[:] += prob * y * y
        reach[:] += prob * (n > 0)

    def treat(n, y, dose, size, k):
        n2, y2 = list(n), list(y)
        n2[dose] += size
        y2[dose] += k
        return n2, y2

    def exceeded(dose, n, y, prob):
        if dose == 0:
            finish(-1, n, y, prob)
        elif not deescalation:
            finish(dose - 1, n, y, prob)
        elif n[dose - 1] >= a + b:
            finish(dose - 1, n, y, prob)
        else:
            second_stage(dose - 1, n, y, prob, confirming=True)

    def passed(dose, n, y, prob):
        if dose == n_doses - 1:
            finish(dose, n, y, prob)
        else:
            first_stage(dose + 1, n, y, prob)

    def second_stage(dose, n, y, prob, confirming=False):
        for j in range(b + 1):
            n2, y2 = treat(n, y, dose, b, j)
            pj = prob * _binom(j, b, p[dose])
            if y2[dose] > e:
                exceeded(dose, n2, y2, pj)
            elif confirming:
                finish(dose, n2, y2, pj)
            else:
                passed(dose, n2, y2, pj)

    def first_stage(dose, n, y, prob):
        for k in range(a + 1):
            n2, y2 = treat(n, y, dose, a, k)
            pk = prob * _binom(k, a, p[dose])
            if k > d:
                exceeded(dose, n2, y2, pk)
            elif k >= c:
                second_stage(dose, n2, y2, pk)
            elif dose < n_doses - 1:
                first_stage(dose + 1, n2, y2, pk)
            elif expand_top_dose:
                second_stage(dose, n2, y2, pk)
            else:
                finish(dose, n2, y2, pk)

    first_stage(0, [0] * n_doses, [0] * n_doses, 1.0)
    out = _summary(sel, none[0], en, ey, en2, ey2, reach)
    out["mean_share_at_dose"] = share.tolist()
    return out
