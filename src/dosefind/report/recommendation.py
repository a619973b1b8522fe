"""Text and JSON renderings of a live recommendation."""

from __future__ import annotations

import json
import math

from ..live.recommend import Recommendation


def _f(x: float, digits: int = 3) -> str:
    return "-" if not math.isfinite(x) else f"{x:.{digits}f}"


def dose_table_rows(rec: Recommendation) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the per-dose table (shared by the text and HTML reports)."""
    t = rec.design.target
    pct = round(100 * rec.posterior.mass)
    plugin = rec.posterior.extra.get("plugin")
    header = ["dose", "n", "DLT", "rate", "post. mean", f"{pct}% CrI", f"P(>{t:g})", "admissible"]
    if plugin is not None:
        header.insert(4, "plug-in")
    extra = rec.posterior.extra

    def with_mcse(value: float, key: str, d: int) -> str:
        """The value, and its Monte Carlo standard error when the posterior is sampled."""
        return _f(value) + (f"±{_f(float(extra[key][d]))}" if key in extra else "")

    rows = []
    for r in rec.doses:
        d = r.level - 1
        mark = ""
        if rec.next_dose is not None and r.level - 1 == rec.next_dose:
            mark = " <- next"
        if rec.selected is not None and r.level - 1 == rec.selected:
            mark = " <- MTD"
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
    out += ["", f"Per dose ({p.method} posterior: {p.model}):"]
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
    if rec.history:
        out += ["", "History (cohort: dose outcomes -> design's next dose):"]
        for h in rec.history:
            nxt = h.design_next if h.design_next is not None else "stop"
            flag = "" if h.followed in (None, True) else "   [not followed]"
            out.append(f"  {h.index:>3}: {d.doses[h.cohort.dose]} {h.outcomes} -> {nxt}{flag}")
    if rec.warnings:
        out += ["", "Warnings:"] + [f"  - {w}" for w in rec.warnings]
    return "\n".join(out)


def recommendation_json(rec: Recommendation) -> str:
    return json.dumps(rec.to_dict(), indent=2, ensure_ascii=False)
