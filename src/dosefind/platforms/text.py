"""Platform results as text, tidy CSV and JSON (the CLI prints them)."""

from __future__ import annotations

import json
import math

from .oc import COLUMNS, PlatformStudyResult


def oc_text(result: PlatformStudyResult) -> str:
    """A readable summary: the platform's totals, then one line per arm and per cohort."""
    p = result.platform
    prov = result.provenance
    lines = [
        f"platform {p.name!r}: {len(p.arms)} arms, allocation {p.allocation}, "
        f"{prov['n_trials']} platform trials, seed {prov['seed']}",
    ]
    by: dict = {}
    for r in result.rows:
        by.setdefault(r["scenario"], {})[(r["arm"], r["level"], r["metric"])] = (r["value"], r["mcse"])

    def f(v, digits=1):
        return "nan" if math.isnan(v[0]) else f"{v[0]:.{digits}f} ({v[1]:.{digits}f})"

    for scen, m in by.items():

        def g(arm, metric, level="", digits=1, _m=m):
            return f(_m[arm, level, metric], digits)

        def spread(arm, metric, _m=m):
            """ " (10-90%: a-b)" when the run reports the percentiles (a sweep part may not)."""
            lo, hi = _m.get((arm, "", f"{metric}_q10")), _m.get((arm, "", f"{metric}_q90"))
            if lo is None or hi is None or math.isnan(lo[0]):
                return ""
            return f" (10-90%: {lo[0]:.0f}-{hi[0]:.0f})"

        lines.append(f"\nscenario {scen}: value (MCSE)")
        lines.append(
            f"  platform: duration {g('', 'duration_days')} days{spread('', 'duration_days')}, "
            f"screened {g('', 'mean_screened')}, "
            f"treated {g('', 'mean_treated')}, not matched {g('', 'mean_not_matched')} "
            f"(share {g('', 'share_not_matched', digits=3)})"
        )
        for a in p.arms:
            n = a.name
            lines.append(
                f"  {n}: matched {g(n, 'mean_matched')}, opens day {g(n, 'open_day')}, "
                f"RP2D known after {g(n, 'days_to_rp2d')} days{spread(n, 'days_to_rp2d')}, "
                f"no dose {g(n, 'prob_select_none', '', 3)}, "
                f"extension opens {g(n, 'prob_open', digits=3)}, arm lasts {g(n, 'arm_duration_days')} days"
            )
            for c in a.arm.cohorts:
                k = c.name
                lines.append(
                    f"    cohort {k}: P(go) {g(n, 'prob_go', k, 3)}, new patients {g(n, 'mean_new_n', k)}, "
                    f"counted {g(n, 'mean_counted', k)}, decides on day {g(n, 'decision_day', k)}"
                )
        lines.extend(_by_month(m, [a.name for a in p.arms]))
    return "\n".join(lines) + "\n"


#: the months the text shows (the last month reported is added)
TEXT_MONTHS = (6, 12, 18, 24, 36, 48, 60, 84, 120)


def _by_month(m: dict, arms: list[str]) -> list[str]:
    """Mean cumulative children per platform at a few months: screened, not matched, each arm's."""
    levels = [lv for (arm, lv, metric) in m if arm == "" and metric == "screened_by_month"]
    if not levels:
        return []
    shown = [lv for lv in levels if lv.rstrip("+").isdigit() and int(lv.rstrip("+")) in TEXT_MONTHS]
    if levels[-1] not in shown:
        shown.append(levels[-1])
    rows = [("screened", "", "screened_by_month"), ("not matched", "", "not_matched_by_month")]
    rows += [(a, a, "matched_by_month") for a in arms]
    width = max(len(label) for label, _, _ in rows) + 4
    out = ["  children by the end of month (mean cumulative per platform):"]
    out.append(" " * width + "".join(f"{lv:>9}" for lv in shown))
    for label, arm, metric in rows:
        out.append(f"    {label:<{width - 4}}" + "".join(f"{m[arm, lv, metric][0]:9.1f}" for lv in shown))
    return out


def oc_csv(result: PlatformStudyResult) -> str:
    from ..report.tables import tidy_csv

    return tidy_csv(result.provenance, COLUMNS, result.rows)


def oc_json(result: PlatformStudyResult) -> str:
    return json.dumps(
        {
            "provenance": result.provenance,
            "platform": result.platform.to_dict(),
            "results": list(result.rows),
        },
        indent=2,
    )
