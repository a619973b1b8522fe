"""Basket results as text tables, JSON and tidy CSV (the CLI prints what these return)."""

from __future__ import annotations

import json
import math

from .decide import go_counts
from .simulate import COHORT_METRICS, TRIAL_METRICS
from .spec import RuleDesign

COLUMNS = ("design", "scenario", "metric", "cohort", "value", "mcse")
SHOWN = ("prob_go", "prob_stop_futility", "mean_n", "bias", "mse")


def _cell(value: float, mcse: float, digits: int = 3) -> str:
    if mcse > 0:
        return f"{value:.{digits}f} ({mcse:.{digits}f})"
    return f"{value:.{digits}f}"


def oc_text(spec, rows, provenance: dict) -> str:
    """Per design and scenario: a cohort x metric table, then the trial-level metrics."""
    lines = []
    method = provenance.get("method", "simulation")
    head = f"basket {spec.name}: {len(spec.cohorts)} cohorts; {method}"
    if method == "simulation":
        head += f", {provenance['n_trials']} trials, seed {provenance['seed']}; value (MCSE)"
    lines.append(head)
    index = {(r["design"], r["scenario"], r["metric"], r["cohort"]): r for r in rows}
    for d in spec.designs:
        lines.append("")
        lines.append(f"design {d.name}: {d.describe()}")
        if not isinstance(d, RuleDesign):
            lines.append(f"  {d.rules()}")
        for s in spec.scenarios:
            if (d.name, s.name, "prob_any_go", "") not in index:
                continue
            lines.append(f"  scenario {s.name}")
            width = max(len(c.name) for c in spec.cohorts)
            shown = SHOWN + tuple(
                m for m in ("prob_pooled",) if (d.name, s.name, m, spec.cohorts[0].name) in index
            )
            lines.append(
                "    " + f"{'cohort':<{width}}  {'q':>5}  {'q0':>5}  " + "  ".join(f"{m:>18}" for m in shown)
            )
            for c, q in zip(spec.cohorts, s.rates, strict=True):
                cells = []
                for m in shown:
                    r = index[(d.name, s.name, m, c.name)]
                    cells.append(f"{_cell(r['value'], r['mcse']):>18}")
                lines.append(f"    {c.name:<{width}}  {q:5.2f}  {c.q0:5.2f}  " + "  ".join(cells))
            tail = []
            for m in TRIAL_METRICS:
                r = index[(d.name, s.name, m, "")]
                tail.append(f"{m} {_cell(r['value'], r['mcse'])}")
            lines.append("    " + "; ".join(tail))
    return "\n".join(lines)


def oc_json(rows, provenance: dict) -> str:
    return json.dumps({"provenance": provenance, "rows": list(rows)}, indent=2)


def oc_csv(rows, provenance: dict) -> str:
    from ..report.tables import tidy_csv

    return tidy_csv(provenance, COLUMNS, rows)


ANALYSIS_COLUMNS = (
    "cohort",
    "n",
    "responses",
    "q0",
    "independent_mean",
    "independent_lower",
    "independent_upper",
    "independent_prob_above_q0",
    "borrowed_mean",
    "borrowed_lower",
    "borrowed_upper",
    "borrowed_prob_above_q0",
    "decision",
)


def analysis_text(spec, design, rows, level: float) -> str:
    pct = f"{100 * level:g}%"
    lines = [f"basket {spec.name}, design {design.name}: {design.describe()}"]
    a, b = getattr(design, "prior", (1.0, 1.0))
    lines.append(
        f"posterior mean [{pct} interval], P(q > q0): independent (Beta({a:g}, {b:g}) prior) vs borrowed; "
        f"go when P > {design.threshold:g} at the final look"
    )
    if design.interim == "predictive":
        z = go_counts(design, spec.cohorts)
        pa, pb = design.go_prior()
        lines.append(
            "interim looks decide on the predictive probability of reaching the go count at the last look "
            f"(P(q > q0) > {design.threshold:g} under Beta({pa:g}, {pb:g}) alone: "
            + ", ".join(f"{c.name} {int(zk)}/{c.n}" for c, zk in zip(spec.cohorts, z, strict=True))
            + "), future responses from the borrowed posterior"
        )
    width = max(6, max(len(r["cohort"]) for r in rows))
    lines.append(
        f"  {'cohort':<{width}}  {'x/n':>7}  {'q0':>5}  {'independent':>30}  {'borrowed':>30}  decision"
    )
    for r in rows:
        ind = f"{r['independent_mean']:.3f} [{r['independent_lower']:.3f}, {r['independent_upper']:.3f}] " + (
            f"{r['independent_prob_above_q0']:.3f}"
        )
        bor = f"{r['borrowed_mean']:.3f} [{r['borrowed_lower']:.3f}, {r['borrowed_upper']:.3f}] " + (
            f"{r['borrowed_prob_above_q0']:.3f}"
        )
        xn = f"{r['responses']}/{r['n']}"
        decision = r["decision"]
        if not math.isnan(r.get("predictive_prob_go", math.nan)):
            decision += f" (predictive P(go) {r['predictive_prob_go']:.3f})"
        if not math.isnan(r.get("futility_prob", math.nan)):
            decision += f" (futility P(q > (q0 + q1)/2) {r['futility_prob']:.3f})"
        lines.append(f"  {r['cohort']:<{width}}  {xn:>7}  {r['q0']:5.2f}  {ind:>30}  {bor:>30}  {decision}")
    if rows and "group" in rows[0]:
        lines.extend(_enrichment_lines(design, rows))
    if rows and "sigma2" in rows[0]:
        lines.append(
            f"homogeneity T = {rows[0]['homogeneity_T']:.3f} (chi-square of the responders table, floored at "
            f"1): sigma^2 = {rows[0]['sigma2']:.4g}"
        )
    if rows and "weights" in rows[0]:
        lines.append("borrowing weights w[k, j] (row: cohort analysed, column: cohort borrowed from)")
        names = [r["cohort"] for r in rows]
        short = [nm[:8] for nm in names]
        lines.append("  " + " " * width + "  " + " ".join(f"{s:>8}" for s in short))
        for r in rows:
            lines.append(f"  {r['cohort']:<{width}}  " + " ".join(f"{r['weights'][nm]:8.3f}" for nm in names))
    if rows and "exchangeability" in rows[0]:
        lines.append(
            "posterior exchangeability probabilities PEP[k, j] (MEM; * marks the pairs exchangeable in the "
            "MAP MEM)"
        )
        names = [r["cohort"] for r in rows]
        short = [nm[:8] for nm in names]
        lines.append("  " + " " * width + "  " + " ".join(f"{s:>8}" for s in short))
        for r in rows:
            cells = [
                f"{r['exchangeability'][nm]:7.3f}" + ("*" if nm in r["map_exchangeable"] else " ")
                for nm in names
            ]
            lines.append(f"  {r['cohort']:<{width}}  " + " ".join(cells))
    return "\n".join(lines)


def _enrichment_lines(design, rows) -> list[str]:
    """Per group of an enrichment design: the heterogeneity test, the path and the planned sizes."""
    lines = ["stage 1 (borrowed = the pooled posterior in a pooled group, the cohort's own otherwise):"]
    for group in dict.fromkeys(r["group"] for r in rows):
        members = [r for r in rows if r["group"] == group]
        test = ""
        if not math.isnan(members[0]["fisher_p"]):
            sign = ">" if members[0]["fisher_p"] > design.gamma else "<="
            test = f"Fisher's exact p = {members[0]['fisher_p']:.3f} {sign} gamma {design.gamma:g}: "
        if all(r["decision"].startswith("enrolling (stage 1)") for r in members):
            path = "stage 1 still enrolling"
        else:
            path = "pooled" if members[0]["pooled"] else "separate"
            path += "; planned n " + ", ".join(f"{r['cohort']} {r['planned_n']}" for r in members)
        lines.append(f"  {group}: {test}{path}")
    return lines


def analysis_csv(rows, provenance: dict) -> str:
    from ..report.tables import tidy_csv

    columns = ANALYSIS_COLUMNS + tuple(
        c
        for c in ("predictive_prob_go", "futility_prob", "group", "pooled", "fisher_p", "planned_n")
        if rows and c in rows[0]
    )
    flat = [{k: r[k] for k in columns} for r in rows]
    return tidy_csv(provenance, columns, flat)


__all__ = ["COHORT_METRICS", "oc_csv", "oc_json", "oc_text"]
