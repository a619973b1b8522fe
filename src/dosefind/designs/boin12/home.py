"""BOIN12's home above the engine: its reason codes as sentences, the posterior's response and utility
columns, and the rank-based desirability score table of the paper (the rules: ``spec.py``)."""

from __future__ import annotations

import numpy as np

from ...constants import Reason as R
from ...errors import SpecError
from .. import layout as L
from ..home import DesignHome
from .spec import Boin12

REASONS = (
    R.B12_DEESCALATE,
    R.B12_STAY_BOTTOM,
    R.B12_EXPLORE,
    R.B12_ESCALATE,
    R.B12_STAY,
    R.B12_DESIRABILITY_DOWN,
    R.B12_NSTAR_STAY,
    R.B12_NSTAR_DOWN,
    R.B12_LOWEST_TOXIC,
    R.B12_NONE_ADMISSIBLE,
    R.B12_NO_NEIGHBOUR,
)


def _rate(y: int, n: int) -> str:
    return f"{y}/{n} = {y / n:.3f}" if n else "(no patients)"


class Boin12Home(DesignHome):
    def reason_codes(self, design: Boin12):
        return REASONS

    def decision_detail(self, design: Boin12, compiled, n_at, tox_at, step, fast_table):
        """The desirability of every dose (P(utility > benchmark)), when the table has it."""
        return fast_table.extra.get("desirability")

    def explain(self, design: Boin12, reason, n_at, tox_at, cur, proposed, detail=None):
        lab = design.doses
        n, y = int(n_at[cur]), int(tox_at[cur])
        here = f"dose {lab[cur]}"
        lam_e, lam_d = design.boundaries
        rate = _rate(y, n)

        def desir(d: int) -> str:
            if detail is None or not 0 <= d < len(detail):
                return ""
            return f" (desirability P(utility > {design.benchmark:.1f}) = {float(detail[d]):.3f})"

        if reason == R.B12_DEESCALATE:
            return f"observed DLT rate at {here} {rate} >= lambda_d {lam_d:.3f}: de-escalate"
        if reason == R.B12_STAY_BOTTOM:
            return (
                f"observed DLT rate at {here} {rate} >= lambda_d {lam_d:.3f}, but it is the lowest dose: stay"
            )
        if reason == R.B12_EXPLORE:
            return (
                f"{n} patients at {here} (explore_n = {design.explore_n}), DLT rate {rate} below lambda_d "
                f"{lam_d:.3f} and the next dose untried: escalate to explore it"
            )
        if reason in (R.B12_ESCALATE, R.B12_STAY, R.B12_DESIRABILITY_DOWN):
            word = {R.B12_ESCALATE: "escalate", R.B12_STAY: "stay", R.B12_DESIRABILITY_DOWN: "de-escalate"}
            return (
                f"DLT rate at {here} {rate}: among the admissible doses next to it, dose {lab[proposed]} has "
                f"the highest desirability{desir(proposed)}: {word[reason]}"
            )
        if reason in (R.B12_NSTAR_STAY, R.B12_NSTAR_DOWN):
            word = "stay" if reason == R.B12_NSTAR_STAY else "de-escalate"
            return (
                f"lambda_e {lam_e:.3f} < DLT rate at {here} {rate} < lambda_d {lam_d:.3f} with {n} >= "
                f"n_star = {design.n_star} patients: of this dose and the one below, dose {lab[proposed]} "
                f"is more desirable{desir(proposed)}: {word}"
            )
        if reason == R.B12_LOWEST_TOXIC:
            return (
                f"the lowest dose is too toxic: P(DLT rate > {design.target:g} | {rate}) > "
                f"{design.cutoff_tox:g}: stop, no dose selected"
            )
        if reason == R.B12_NONE_ADMISSIBLE:
            return "no admissible dose remains (too toxic or futile): stop, no dose selected"
        if reason == R.B12_NO_NEIGHBOUR:
            return f"neither {here} nor the doses next to it is admissible: go to a lower admissible dose"
        return None

    def elimination_lines(self, design: Boin12, n_at, tox_at, newly, step):
        if not newly or step.reason == R.B12_LOWEST_TOXIC:
            return []
        names = ", ".join(design.doses[d] for d in newly)
        return [
            f"dose(s) {names} no longer admissible (P(DLT rate > {design.target:g}) > {design.cutoff_tox:g} "
            f"here or below, or P(response rate < {design.target_eff:g}) > {design.cutoff_eff:g})"
        ]

    def response_columns(self, design: Boin12, n_at, tox_at, resp_at) -> dict[str, np.ndarray]:
        """Per dose: responses, the posterior mean response rate (Beta(1, 1) prior), the posterior mean
        utility (on 0-1) and the desirability P(utility > benchmark) the decisions compare."""
        n_at = np.asarray(n_at, dtype=np.int64)
        tox_at = np.asarray(tox_at, dtype=np.int64)
        resp_at = np.asarray(resp_at, dtype=np.int64)
        grid = design.desirability_table(max(int(n_at.max(initial=0)), 1))
        k = np.array(
            [
                design.utility_sum(n, y, e, b)
                for n, y, e, b in zip(n_at, tox_at, resp_at[0], resp_at[1], strict=True)
            ]
        )
        a, b = design.prior_a, design.prior_b
        return {
            "responses": resp_at[0].astype(float),
            "eff_mean": (1.0 + resp_at[0]) / (2.0 + n_at),
            "utility_mean": (a + k / 100.0) / (a + b + n_at),
            "desirability": grid[n_at, k],
        }

    def decision_table(self, design: Boin12, max_n):
        """The paper's Table 3 form (:func:`rds_table`) for 0, c, 2c, ... patients (c the cohort size) up to
        ``max_n`` (default 12, at most the design's max_n), with the toxicity boundaries by patients."""
        from ...report import decision_table as dt

        limit = dt.check_max_n(max_n, design.max_n, low=1) if max_n is not None else min(12, design.max_n)
        sizes = list(range(0, limit + 1, design.cohort_size))
        rows = rds_table(design, sizes)
        cells = tuple(
            dt.ScoreCell(r["n"], r["tox"], r["eff"], r["admissible"], r["prob"], r["rds"]) for r in rows
        )
        flags = design.flag_table(max(limit, 1))
        ns = [n for n in sizes if n > 0]

        def bound(flag, last):
            out = [None]  # n = 0
            for n in ns:
                hits = np.flatnonzero(flags[n, : n + 1] & flag)
                out.append(None if hits.size == 0 else int(hits[-1] if last else hits[0]))
            return tuple(out)

        boundaries = (
            dt.BoundaryRow("lambda_e_at_most", "At or below lambda_e if # of DLT <=", bound(L.B12_ESC, True)),
            dt.BoundaryRow("deescalate_at_least", "De-escalate if # of DLT >=", bound(L.B12_DEESC, False)),
            dt.BoundaryRow("toxic_at_least", "Too toxic if # of DLT >=", bound(L.B12_TOXIC, False)),
            dt.BoundaryRow("futile_at_most", "Futile if # of responses <=", bound(L.B12_FUTILE, True)),
        )
        lam_e, lam_d = design.boundaries
        explore = (
            f"; with {design.explore_n} or more patients at j and the next dose untried, escalate"
            if design.explore_n
            else ""
        )
        notes = (
            f"RDS: the rank of the desirability P(utility > {design.benchmark:.1f} | data) (utilities "
            f"{list(design.utilities)}, prior Beta({design.prior_a:g}, {design.prior_b:g})) among the "
            "admissible cells of this table, ties averaged; a larger score is more desirable. Ranks "
            "depend on the cells shown (--max-n); the decisions compare desirabilities, which do not.",
            f"After a cohort at dose j: DLT rate >= lambda_d = {lam_d:.3f} de-escalates{explore}; between "
            f"lambda_e = {lam_e:.3f} and lambda_d with {design.n_star} or more patients, the higher score "
            "of j - 1 and j; otherwise the highest score among the admissible j - 1, j, j + 1 (ties: the "
            "higher dose).",
            f"E: eliminated (P(DLT rate > {design.target:g}) > {design.cutoff_tox:g}, or P(response rate "
            f"< {design.target_eff:g}) > {design.cutoff_eff:g}); a dose too toxic takes every higher dose "
            "with it.",
        )
        return dt.ScoreTable(
            design=design.name,
            kind=design.kind,
            target=design.target,
            max_n=limit,
            n_treated=tuple(sizes),
            cells=cells,
            boundaries=boundaries,
            notes=notes,
            config_hash=design.config_hash(),
        )


def rds_table(design: Boin12, sample_sizes) -> list[dict]:
    """The paper's Table 3 form: for n in ``sample_sizes``, every (DLTs, responses), whether the dose is
    admissible and its rank-based desirability score (the rank of P(utility > benchmark) among the
    admissible cells, ties averaged; None where eliminated). The utility sum assumes the utilities add
    over toxicity and response (u(response, no DLT) + u(DLT, no response) = u(neither) + u(both), as the
    defaults do): then it depends on the marginal counts only."""
    u1, u2, u3, u4 = design.utilities
    if u1 + u4 != u2 + u3:
        raise SpecError(
            "utilities",
            f"{list(design.utilities)} do not add over toxicity and response, so desirability needs the "
            "joint counts, not a (patients, DLTs, responses) table",
            "use utilities with u1 + u4 = u2 + u3, e.g. [100, 40, 60, 0]",
        )
    from scipy.stats import rankdata

    n_cap = max(sample_sizes)
    grid = design.desirability_table(max(n_cap, 1))
    flags = design.flag_table(max(n_cap, 1))
    rows = []
    for n in sample_sizes:
        for y in range(n + 1):
            for e in range(n + 1):
                k = (u1 - u2) * e + u2 * n - (u2 - u4) * y  # the utility sum when utilities add
                ok = n == 0 or not (flags[n, y] & L.B12_TOXIC or flags[n, e] & L.B12_FUTILE)
                rows.append({"n": n, "tox": y, "eff": e, "admissible": bool(ok), "prob": float(grid[n, k])})
    ranks = rankdata([r["prob"] for r in rows if r["admissible"]])
    it = iter(ranks)
    for r in rows:
        r["rds"] = float(next(it)) if r["admissible"] else None
    return rows
