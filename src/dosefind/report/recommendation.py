"""Text and JSON renderings of a live recommendation."""

from __future__ import annotations

import json
import math

from ..live.recommend import Recommendation, dose_word


def _f(x: float, digits: int = 3) -> str:
    return "-" if not math.isfinite(x) else f"{x:.{digits}f}"


def dose_table_rows(rec: Recommendation) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the per-dose table (shared by the text and HTML reports)."""
    t = rec.design.target
    pct = round(100 * rec.posterior.mass)
    plugin = rec.posterior.extra.get("plugin")
    header = [
        dose_word(rec.design),
        "n",
        "DLT",
        "rate",
        "post. mean",
        f"{pct}% CrI",
        f"P(>{t:g})",
        "admissible",
    ]
    if plugin is not None:
        header.insert(4, "plug-in")
    extra = rec.posterior.extra
    # interval probabilities (designs that decide by them: the BLRM)
    intervals = getattr(rec.design, "intervals", None) if "prob_over" in extra else None
    if intervals is not None:
        lo, hi = intervals
        at = header.index(f"P(>{t:g})")
        header[at + 1 : at + 1] = [f"P(<{lo:g})", "P(target)", f"P(>={hi:g})", "EWOC"]
    # phase I/II designs: responses, the posterior response rate and utility, the desirability
    # (BOIN12: the desirability; U-BOIN in stage 2: the randomisation probabilities)
    responses = "responses" in extra and "utility_mean" in extra
    response_keys = ["eff_mean", "utility_mean"] + [k for k in ("desirability", "randomise") if k in extra]
    if responses:
        at = header.index("admissible")
        names = {
            "eff_mean": "resp. mean",
            "utility_mean": "utility",
            "desirability": "desirab.",
            "randomise": "P(rand.)",
        }
        header[at:at] = ["resp"] + [names[k] for k in response_keys]
    # EffTox: the posterior mean response rate, the two hurdles' probabilities and the utility
    hurdles = "prob_acc_eff" in extra
    if hurdles:
        at = header.index("admissible")
        lim_t, lim_e = rec.design.tox_limit, rec.design.eff_limit
        header[at:at] = ["resp", "P(resp)", f"P(tox<{lim_t:g})", f"P(resp>{lim_e:g})", "utility"]

    def with_mcse(value: float, key: str, d: int) -> str:
        """The value, and its Monte Carlo standard error when the posterior is sampled."""
        if key not in extra or not math.isfinite(float(extra[key][d])):  # not sampled, or no value here
            return _f(value)
        return _f(value) + f"±{_f(float(extra[key][d]))}"

    rows = []
    for r in rec.doses:
        d = r.level - 1
        mark = ""
        if rec.next_dose is not None and r.level - 1 == rec.next_dose:
            mark = " <- next"
        if rec.selected is not None and r.level - 1 == rec.selected:
            mark = " <- OBD" if rec.design.uses_efficacy else " <- MTD"
        rows.append(
            [
                r.label,
                str(r.n),
                str(r.tox),
                _f(r.observed_rate, 2),
                with_mcse(r.mean, "mcse_mean", d),
                f"[{with_mcse(r.lower, 'mcse_lower', d)}, {with_mcse(r.upper, 'mcse_upper', d)}]",
                with_mcse(r.prob_above_target, "mcse_prob_above_target", d),
                ("yes" if r.admissible else "no") + mark,
            ]
        )
        if plugin is not None:
            rows[-1].insert(4, _f(float(plugin[d])))
        if intervals is not None:
            at = header.index(f"P(>{t:g})")
            over = float(extra["prob_over"][d])
            rows[-1][at + 1 : at + 1] = [
                _f(float(extra["prob_under"][d])),
                _f(float(extra["prob_target"][d])),
                _f(over),
                "ok" if over <= rec.design.ewoc else "no",
            ]
        if responses:
            at = len(rows[-1]) - 1
            rows[-1][at:at] = [str(int(extra["responses"][d]))] + [
                _f(float(extra[k][d])) for k in response_keys
            ]
        if hurdles:
            at = len(rows[-1]) - 1
            rows[-1][at:at] = [str(int(extra["responses"][d]))] + [
                _f(float(extra[k][d])) for k in ("prob_eff", "prob_acc_tox", "prob_acc_eff", "utility")
            ]
    return header, rows


def _align(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=True)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return lines


def format_recommendation(rec: Recommendation) -> str:
    d = rec.design
    src = rec.data.source or "data"
    out = [
        f"{d.name} ({d.kind}, target {d.target:g}, design {d.config_hash()[:12]}); "
        f"{rec.data.n_total} patients in {len(rec.data.cohorts)} cohorts from {src} "
        f"(data {rec.data.content_hash[:12]})",
        "",
        f"RECOMMENDATION: {rec.headline()}",
    ]
    for i, line in enumerate(rec.explanation):
        out.append(("  because " if i == 0 else "  then ") + line)
    p = rec.posterior
    out += ["", f"Per {dose_word(d)} ({p.method} posterior: {p.model}):"]
    out += ["  " + line for line in _align(*dose_table_rows(rec))]
    if "mcse_mean" in p.extra:
        out.append("  (± Monte Carlo standard errors of the MCMC estimates)")
    if p.diagnostics:
        dg = p.diagnostics
        out.append(
            f"  MCMC: {dg.get('chains')} chains x {dg.get('draws')} draws; max R-hat "
            f"{_f(dg.get('r_hat_max', math.nan))}, min bulk ESS {_f(dg.get('ess_bulk_min', math.nan), 0)}, "
            f"min tail ESS {_f(dg.get('ess_tail_min', math.nan), 0)}, divergences {dg.get('divergences')}"
        )
    if p.orderings:
        word = "weight" if p.method == "likelihood" else "posterior probability"
        out += ["", f"Orderings ({word}; prior; estimate of b; cells from least to most toxic):"]
        rows = [
            [f"{o.index + 1}", o.name, f"{o.prob:.3f}", f"{o.prior:.3f}", _f(o.b_hat), " < ".join(o.cells)]
            for o in sorted(p.orderings, key=lambda o: -o.prob)
        ]
        out += [
            "  " + line for line in _align(["#", "ordering", word.split()[-1], "prior", "b", "cells"], rows)
        ]
    if rec.pending is not None:
        out += ["", *pending_lines(rec)]
    if rec.history:
        unit = dose_word(d)
        out += ["", f"History (cohort: {unit} outcomes -> design's next {unit}):"]
        for h in rec.history:
            nxt = h.design_next if h.design_next is not None else "stop"
            flag = "" if h.followed in (None, True) else "   [not followed]"
            tie = f" (tie, u_tie = {h.cohort.u_tie:.4f})" if h.tied else ""
            out.append(f"  {h.index:>3}: {d.doses[h.cohort.dose]} {h.outcomes} -> {nxt}{tie}{flag}")
    if rec.warnings:
        out += ["", "Warnings:"] + [f"  - {w}" for w in rec.warnings]
    return "\n".join(out)


def pending_lines(rec: Recommendation) -> list[str]:
    """The patients as of the day of ``--as-of``: entry, status, follow-up and weight."""
    pd = rec.pending
    clock = pd.clock
    head = f"Patients as of {clock.as_of} (DLT window {clock.window_days:g} days):"
    header = ["patient", dose_word(rec.design), "entry", "status", "follow-up days", "weight"]
    rows = [
        [
            p.patient_id,
            rec.design.doses[p.dose],
            p.entry.isoformat(),
            p.status,
            f"{p.followup_days:g}",
            f"{pd.weights[i]:.3f}" if pd.weights else "-",
        ]
        for i, p in enumerate(clock.patients)
    ]
    rows += [
        [
            p.patient_id,
            rec.design.doses[p.dose],
            p.entry.isoformat(),
            f"{p.status}, backfill",
            f"{p.followup_days:g}",
            "-",
        ]
        for p in getattr(clock, "backfill", ())
    ]
    lines = [head] + ["  " + line for line in _align(header, rows)]
    if pd.history:
        unit = dose_word(rec.design)
        lines += ["", f"History (the design's {unit} on each entry day, with the data known then):"]
        for h in pd.history:
            said = (
                "suspended"
                if h.suspended
                else ("stop" if h.design_next is None else rec.design.doses[h.design_next])
            )
            flag = "" if h.followed else "   [not followed]"
            lines.append(f"  {h.day} {h.patient_id}: design {said}, given {rec.design.doses[h.given]}{flag}")
    return lines


def recommendation_json(rec: Recommendation) -> str:
    return json.dumps(rec.to_dict(), indent=2, ensure_ascii=False)


# ---- phase I/II arms ------------------------------------------------------------------------------------
def responses_by_dose(arec) -> str:
    """Escalation responses per dose that has patients: "1.1 0/3, 2.1 1/3 (1 unknown)"."""
    design = arec.arm.design
    parts = []
    for d, label in enumerate(design.doses):
        at = [p for p in arec.data.patients if p.dose == d]
        if not at:
            continue
        known = sum(1 for p in at if p.efficacy)
        unknown = sum(1 for p in at if p.efficacy is None)
        parts.append(f"{label} {known}/{len(at)}" + (f" ({unknown} unknown)" if unknown else ""))
    return ", ".join(parts) if parts else "none yet"


def format_arm_recommendation(arec) -> str:
    """Text report of a live arm (:class:`~dosefind.live.arm.ArmRecommendation`): the arm's decision,
    the expansion cohorts and safety monitoring, then the escalation's own recommendation."""
    from ..live.arm import ArmPhase

    arm, data, unit = arec.arm, arec.data, arec.unit
    src = data.source or "data"
    out = [
        f"arm {arm.name!r} (arm {arm.config_hash()[:12]}); {data.n_total} escalation patients in "
        f"{len(data.cohorts)} cohorts, {data.n_extension} extension patients from {src} "
        f"(data {data.content_hash[:12]})",
        "",
        f"ARM RECOMMENDATION: {arec.headline()}",
    ]
    esc = arec.escalation
    if arec.phase == ArmPhase.ESCALATION:
        for i, line in enumerate(esc.explanation):
            out.append(("  because " if i == 0 else "  then ") + line)
        out.append(f"  the extension: {arec.opening}")
    else:
        stop = esc.explanation[-1] if esc.explanation else ""
        out.append(f"  escalation stopped ({esc.headline()}): {stop}")
        out.append(f"  the extension: {arec.opening}")
    out.append(f"  responses in escalation ({unit}: responders/patients): {responses_by_dose(arec)}")
    if arec.cohorts:
        out += ["", f"Expansion cohorts at {unit} {arec.selected_label}:"]
        for c in arec.cohorts:
            carry = ", escalation patients count first" if c.count_escalation else ""
            out.append(f"  {c.name} ({c.rule}{carry})")
            counted = f"{c.counted} counted"
            if c.count_escalation:
                counted += (
                    f" ({c.escalation_counted} from escalation + {c.counted - c.escalation_counted} new)"
                )
            pending = f", {c.pending} not yet assessed" if c.pending else ""
            out.append(
                f"    patients: {c.new_patients} new, {counted}; {_plural(c.responses, 'response')} among "
                f"the counted{pending}; {_plural(c.dlts, 'DLT')} among the new"
            )
            if c.decision is None:
                look = c.next_look
                more = look.n - c.counted
                ahead = (
                    f"due: waiting for unknown responses among the first {look.n}"
                    if c.waiting
                    else f"{more} more patient(s) to go"
                )
                out.append(f"    next look (look {look.index + 1}, {ahead}): {look.words()}")
            elif c.decided_look is not None:
                look = c.decided_look
                out.append(
                    f"    decided at look {look.index + 1}: {_plural(c.responses, 'response')} among the "
                    f"first {look.n} ({look.words()})"
                )
            out.append(f"    decision so far: {c.decision_words}")
    if arec.safety is not None:
        out += ["", f"Safety at {unit} {arec.selected_label} (escalation and extension pooled):"]
        out.append(f"  {arec.safety.words()}")
    out += ["", "Escalation:"]
    out += ["  " + line if line else "" for line in format_recommendation(esc).splitlines()]
    if arec.warnings and len(arec.warnings) > len(esc.warnings):
        out += ["", "Arm warnings:"] + [f"  - {w}" for w in arec.warnings[len(esc.warnings) :]]
    return "\n".join(out)


def _plural(x: int, word: str) -> str:
    return f"{x} {word}" + ("" if x == 1 else "s")


def arm_recommendation_json(arec) -> str:
    return json.dumps(arec.to_dict(), indent=2, ensure_ascii=False)
