"""Render operating characteristics as a readable table, tidy CSV or JSON text."""

from __future__ import annotations

import csv
import io
import json

from ..oc import StudyResult


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}"


def format_table(study: StudyResult) -> str:
    """Human-readable summary: per design and scenario, selection % and patients per dose."""
    lines = []
    prov = study.provenance
    exact = prov.get("method") == "exact"
    if exact:
        states = sum(c["states"] for c in prov.get("exact", ()))
        lines.append(
            f"dosefind {prov['version']}  exact (no Monte Carlo error; {states:,} trial states)  "
            f"config={prov['config_hash']}"
        )
    else:
        lines.append(
            f"dosefind {prov['version']}  trials={prov['n_trials']}  seed={prov['seed']}  "
            f"config={prov['config_hash']}"
        )
    for note in study.notes:
        lines.append(f"note: {note}")
    by_design: dict[str, list] = {}
    for oc in study.ocs:
        by_design.setdefault(oc.design, []).append(oc)
    for design, ocs in by_design.items():
        labels = ocs[0].dose_labels
        width = max(6, *(len(lb) for lb in labels))
        lines.append("")
        lines.append(f"design {design}")
        head = f"{'scenario':<10} {'':<12}" + "".join(f"{lb:>{width + 1}}" for lb in labels) + "   none"
        lines.append(head)
        for oc in ocs:
            v, se = oc.values, oc.mcse
            sel = "".join(f"{_pct(p):>{width + 1}}" for p in v["prob_select"])
            lines.append(f"{oc.scenario:<10} {'% select':<12}{sel} {_pct(v['prob_select_none']):>6}")
            npat = "".join(f"{m:>{width + 1}.1f}" for m in v["mean_n_at_dose"])
            lines.append(f"{'':<10} {'n treated':<12}{npat}")
            if "mean_n_backfill_at_dose" in v:
                nbf = "".join(f"{m:>{width + 1}.1f}" for m in v["mean_n_backfill_at_dose"])
                lines.append(f"{'':<10} {'of which bf':<12}{nbf}")
            ntox = "".join(f"{m:>{width + 1}.1f}" for m in v["mean_tox_at_dose"])
            lines.append(f"{'':<10} {'n DLT':<12}{ntox}")
            if "mean_resp_at_dose" in v:  # phase I/II designs
                nresp = "".join(f"{m:>{width + 1}.1f}" for m in v["mean_resp_at_dose"])
                lines.append(f"{'':<10} {'n response':<12}{nresp}")
                lines.append(
                    f"{'':<10} OBD {_pct(v['prob_select_obd'])}% (±{100 * se['prob_select_obd']:.1f})  "
                    f"true utility of the selected dose {v['mean_utility_selected']:.3g} "
                    f"(±{se['mean_utility_selected']:.2g})  mean responses {v['mean_resp']:.1f}"
                )
            pcs_se = "" if exact else f" (±{100 * se['pcs']:.1f})"
            n_se = "" if exact else f" (±{se['mean_n']:.2f})"
            lines.append(
                f"{'':<10} PCS {_pct(v['pcs'])}%{pcs_se}  mean n {v['mean_n']:.1f}"
                f"{n_se}  mean DLT {v['mean_tox']:.1f}  "
                f"early stop {_pct(v['prob_early_stop'])}%  "
                f"select>MTD {_pct(v['prob_select_above_mtd'])}%  treated>MTD "
                f"{_pct(v['prop_treated_above_mtd'])}%"
            )
            if "duration_days" in v:
                q = "/".join(f"{v[f'duration_days_q{k}']:.0f}" for k in (10, 50, 90))
                wait = f"  mean wait {v['mean_wait_days']:.1f} days" if v["mean_wait_days"] > 0 else ""
                lines.append(
                    f"{'':<10} duration {v['duration_days']:.0f} days (±{se['duration_days']:.1f}; "
                    f"10/50/90% {q})  turned away {v['mean_turned_away']:.1f}  suspended "
                    f"{v['mean_days_suspended']:.0f} days  first patient at selected dose day "
                    f"{v['mean_days_to_selected_dose']:.0f}{wait}"
                )
    lines.append("")
    if exact:
        lines.append("exact: every value is computed over all reachable trials, with no Monte Carlo error.")
    else:
        lines.append(
            "± is the Monte Carlo standard error; selection % have MCSE <= "
            f"{50 / max(prov['n_trials'], 1) ** 0.5:.2f} points."
        )
    return "\n".join(lines)


def to_json(study: StudyResult) -> str:
    return json.dumps(study.as_json(), indent=2)


TIDY_COLUMNS = ("design", "scenario", "dose", "metric", "value", "mcse")


def tidy_csv(provenance: dict, columns: tuple[str, ...], rows) -> str:
    """Tidy CSV of ``rows`` (dicts keyed by ``columns``; floats written exactly), provenance in leading
    '#' lines (dict values as JSON)."""
    buf = io.StringIO()
    for key, value in provenance.items():
        buf.write(f"# {key}: {json.dumps(value) if isinstance(value, dict) else value}\n")
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for row in rows:
        w.writerow({k: (repr(float(v)) if isinstance(v, float) else v) for k, v in row.items()})
    return buf.getvalue()


def to_csv(study: StudyResult) -> str:
    """Tidy CSV, one row per (design, scenario, dose, metric); provenance in leading '#' lines."""
    return tidy_csv(study.provenance, TIDY_COLUMNS, (row for oc in study.ocs for row in oc.tidy()))
