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

        lines.append(f"\nscenario {scen}: value (MCSE)")
        lines.append(
            f"  platform: duration {g('', 'duration_days')} days, screened {g('', 'mean_screened')}, "
            f"treated {g('', 'mean_treated')}, not matched {g('', 'mean_not_matched')} "
            f"(share {g('', 'share_not_matched', digits=3)})"
        )
        for a in p.arms:
            n = a.name
            lines.append(
                f"  {n}: matched {g(n, 'mean_matched')}, opens day {g(n, 'open_day')}, "
                f"RP2D known after {g(n, 'days_to_rp2d')} days, no dose {g(n, 'prob_select_none', '', 3)}, "
                f"extension opens {g(n, 'prob_open', digits=3)}, arm lasts {g(n, 'arm_duration_days')} days"
            )
            for c in a.arm.cohorts:
                k = c.name
                lines.append(
                    f"    cohort {k}: P(go) {g(n, 'prob_go', k, 3)}, new patients {g(n, 'mean_new_n', k)}, "
                    f"counted {g(n, 'mean_counted', k)}, decides on day {g(n, 'decision_day', k)}"
                )
    return "\n".join(lines) + "\n"


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
