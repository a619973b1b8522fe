"""Render an arm's operating characteristics: readable table (grids as J x K matrices), tidy CSV, JSON."""

from __future__ import annotations

import json

from ..arm import ArmStudyResult
from .tables import tidy_csv

ARM_COLUMNS = ("arm", "scenario", "metric", "level", "value", "mcse")


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}"


def _dose_block(lines, title, values, design, fmt):
    """One per-dose metric: a row of doses, or a J x K matrix for a grid (drug A down, drug B across)."""
    grid = design.dose_grid
    if grid is None:
        labels = design.doses
        width = max(6, *(len(x) for x in labels))
        lines.append(f"  {title:<16}" + "".join(f"{fmt(values[x]):>{width + 1}}" for x in labels))
        return
    lines.append(f"  {title} ({grid.drug_a} down, {grid.drug_b} across)")
    width = max(6, *(len(x) for x in grid.levels_b))
    lines.append(f"  {'':<16}" + "".join(f"{x:>{width + 1}}" for x in grid.levels_b))
    for j, level in enumerate(grid.levels_a):
        cells = []
        for k in range(grid.n_cols):
            label = f"{j + 1}.{k + 1}"
            cells.append("x" if label in grid.excluded else fmt(values[label]))
        lines.append(f"  {level:<16}" + "".join(f"{c:>{width + 1}}" for c in cells))


def format_arm_table(result: ArmStudyResult) -> str:
    prov = result.provenance
    arm = result.arm
    design = arm.design
    exact = prov.get("method") == "exact"
    if exact:
        states = sum(c["states"] for c in prov.get("exact", ()))
        head = f"dosefind {prov['version']}  exact (no Monte Carlo error; {states:,} arm states)  "
    else:
        head = f"dosefind {prov['version']}  arms={prov['n_trials']}  seed={prov['seed']}  "
    lines = [
        head + f"config={prov['config_hash']}",
        f"arm {arm.name}: {arm.describe()}",
    ]
    for s in result.scenarios:
        v = result.values(s.name)

        def one(metric, level="", v=v):
            return v[metric][level]

        lines.append("")
        corr = f", toxicity-response correlation {s.correlation:g}" if s.correlation else ""
        lines.append(f"scenario {s.name}{corr}")
        sel = {k: x[0] for k, x in v["prob_select"].items()}
        _dose_block(lines, "% select", sel, design, _pct)
        _dose_block(
            lines, "n treated", {k: x[0] for k, x in v["mean_n_at_dose"].items()}, design, "{:.1f}".format
        )
        p, se = one("prob_select_correct")
        none, _ = one("prob_select_none")
        n, n_se = one("mean_escalation_n")
        tox, _ = one("mean_escalation_tox")
        lines.append(
            f"  escalation: correct selection {_pct(p)}% (±{100 * se:.1f})  no selection {_pct(none)}%  "
            f"mean n {n:.1f} (±{n_se:.2f})  mean DLT {tox:.1f}"
        )
        op, op_se = one("prob_open")
        ss, _ = one("prob_safety_stop")
        aa, aa_se = one("prob_any_active")
        en, _ = one("mean_extension_n")
        tn, tn_se = one("mean_total_n")
        tt, _ = one("mean_total_tox")
        lines.append(
            f"  extension: opens {_pct(op)}% (±{100 * op_se:.1f})  safety stop {_pct(ss)}%  "
            f"any cohort active {_pct(aa)}% (±{100 * aa_se:.1f})  mean n {en:.1f}  "
            f"total n {tn:.1f} (±{tn_se:.2f})  total DLT {tt:.1f}"
        )
        timed = "duration_days" in v
        if timed:
            d, d_se = one("duration_days")
            q10, q50, q90 = (one(f"duration_days_q{q}")[0] for q in (10, 50, 90))
            esc, esc_se = one("escalation_days")
            od, _ = one("open_day")
            ta, _ = one("mean_turned_away")
            w, _ = one("mean_wait_days")
            lines.append(
                f"  calendar (days): arm ends {d:.0f} (±{d_se:.1f}; "
                f"10/50/90%: {q10:.0f}/{q50:.0f}/{q90:.0f})  "
                f"RP2D known {esc:.0f} (±{esc_se:.1f})  extension opens {od:.0f}  "
                f"turned away {ta:.1f}  mean wait {w:.1f}"
            )
        width = max(8, *(len(c.name) for c in arm.cohorts))
        lines.append(
            f"  {'cohort':<{width}}  {'true q':>6}  {'active%':>7}  {'±':>4}  {'futile%':>7}  "
            f"{'safety%':>7}  {'active|open%':>12}  {'new n':>6}  {'counted':>7}"
            + (f"  {'decided day':>11}" if timed else "")
        )
        for c in arm.cohorts:
            q, _ = one("true_response_at_selected", c.name)
            a, a_se = one("prob_active", c.name)
            f, _ = one("prob_futile", c.name)
            sf, _ = one("prob_cohort_safety_stop", c.name)
            ao, _ = one("prob_active_if_open", c.name)
            nn, _ = one("mean_new_n", c.name)
            nc, _ = one("mean_counted", c.name)
            lines.append(
                f"  {c.name:<{width}}  {q:6.3f}  {_pct(a):>7}  {100 * a_se:4.1f}  {_pct(f):>7}  "
                f"{_pct(sf):>7}  {_pct(ao):>12}  {nn:6.1f}  {nc:7.1f}"
                + (f"  {one('decision_day', c.name)[0]:11.0f}" if timed else "")
            )
    lines.append("")
    lines.append(
        (
            "exact: every value is computed over all reachable arms, with no Monte Carlo error (± is 0). "
            if exact
            else "± is the Monte Carlo standard error. "
        )
        + "'true q' is the cohort's true response rate at the selected "
        "dose, averaged over arms that opened: P(active) is power where the drug is active and type I error "
        "where it is not."
        + (
            " Days count from the arm's opening; 'decided day' is the day a cohort's rule decided, over arms "
            "whose extension opened."
            if result.timed
            else ""
        )
    )
    return "\n".join(lines)


def arm_to_json(result: ArmStudyResult) -> str:
    return json.dumps(result.as_json(), indent=2)


def arm_to_csv(result: ArmStudyResult) -> str:
    """Tidy CSV, one row per (scenario, metric, level); provenance in leading '#' lines."""
    return tidy_csv(result.provenance, ARM_COLUMNS, result.rows)
