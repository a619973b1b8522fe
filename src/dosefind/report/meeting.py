"""The meeting report: one self-contained HTML file (styles inline, images embedded, no network).

Sections: the recommendation and its reason, warnings, the data (per dose and cohort by cohort), the
per-dose posterior plot against the target (a J x K heat map for a two-drug grid), the dose transition
pathways of the next cohorts, the decision table where the design has one, and provenance (package
version, design and data hashes, time).

A phase I/II arm (``ReportInputs.arm``, from :func:`dosefind.live.arm.recommend_arm`) adds what
``recommend`` shows for arms: the arm's decision, whether the extension opens, each expansion cohort's
state (counts, responses, next look or decision) and the safety monitor, plus the extension patients.
Everything is read from the :class:`~dosefind.live.arm.ArmRecommendation`; nothing is decided here.
"""

from __future__ import annotations

import datetime as _dt
import html
import platform
from dataclasses import dataclass

from .. import __version__
from ..constants import Status
from ..errors import SpecError
from ..live.arm import ArmPhase, ArmRecommendation
from ..live.recommend import Recommendation, dose_word
from ..paths.pathways import DosePaths
from ..specfile import Spec, dumps
from .paths import format_paths
from .recommendation import dose_table_rows, responses_by_dose

_CSS = """
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; margin: 2em auto; max-width: 62em;
       color: #1b1b1b; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; border-bottom: 1px solid #bbb; padding-bottom: 0.2em; margin-top: 1.6em; }
.sub { color: #555; margin-top: 0; }
.rec { border: 2px solid #2b6cb0; background: #ebf4ff; padding: 0.8em 1.2em; border-radius: 6px; }
.rec .head { font-size: 1.3em; font-weight: bold; margin: 0 0 0.3em 0; }
.rec.stop { border-color: #b7791f; background: #fffaf0; }
.warn { border: 1px solid #c53030; background: #fff5f5; padding: 0.5em 1em; border-radius: 6px; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f2f2f2; }
td.l, th.l { text-align: left; }
tr.next td { background: #ebf8ee; font-weight: bold; }
tr.out td { color: #888; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
img { max-width: 100%; }
dl.prov { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; font-size: 0.9em; }
dl.prov dt { font-weight: bold; } dl.prov dd { margin: 0; font-family: monospace; }
"""


@dataclass(frozen=True)
class ReportInputs:
    recommendation: Recommendation
    paths: DosePaths | None
    title: str = ""
    generated: str = ""  #: ISO time; default now (UTC)
    #: the arm's recommendation when the design file is a phase I/II arm (``recommendation`` is then its
    #: escalation's, ``arm.escalation``)
    arm: ArmRecommendation | None = None


def _e(x) -> str:
    return html.escape(str(x), quote=True)


def _table(header: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    head = "".join(f'<th class="{"l" if i == 0 else ""}">{_e(h)}</th>' for i, h in enumerate(header))
    body = []
    for k, row in enumerate(rows):
        cls = f' class="{classes[k]}"' if classes and classes[k] else ""
        cells = "".join(f'<td class="{"l" if i == 0 else ""}">{_e(c)}</td>' for i, c in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_meeting_report(inputs: ReportInputs) -> str:
    """The HTML text of the report (matplotlib needed for the figures)."""
    from .plots import figure_to_data_uri, plot_posterior, require_matplotlib, utility_columns

    require_matplotlib("the meeting report's figures")

    rec = inputs.recommendation
    arec = inputs.arm
    d = rec.design
    unit = dose_word(d)
    when = inputs.generated or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    if arec is not None:
        title = inputs.title or f"Dose-escalation meeting: arm {arec.arm.name}"
    else:
        title = inputs.title or f"Dose-escalation meeting: {d.name}"
    what = f'{_e(d.kind.upper())} design "{_e(d.name)}"'
    if d.dose_grid is not None:
        g = d.dose_grid
        what += f" on a {g.n_rows} x {g.n_cols} grid ({_e(g.drug_a)} x {_e(g.drug_b)}, cells j.k)"
    counts = f"{rec.data.n_total} patients in {len(rec.data.cohorts)} cohorts"
    if arec is not None:
        counts = f"{counts} of escalation, {arec.data.n_extension} extension patients"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="sub">{what}, target DLT rate {d.target:g}, {counts}; generated {_e(when)}</p>',
    ]
    # recommendation
    if arec is not None:
        stopped = arec.phase not in (ArmPhase.ESCALATION, ArmPhase.EXTENSION)
        head = arec.headline()
        if arec.phase == ArmPhase.ESCALATION:
            lines = list(rec.explanation)
        else:
            last = rec.explanation[-1] if rec.explanation else ""
            lines = [f"escalation stopped ({rec.headline()}): {last}"]
        lines.append(f"the extension: {arec.opening}")
        warnings = arec.warnings
    else:
        stopped, head, lines, warnings = rec.stopped, rec.headline(), list(rec.explanation), rec.warnings
    cls = "rec stop" if stopped else "rec"
    expl = "".join(f"<li>{_e(line)}</li>" for line in lines)
    parts.append(f'<div class="{cls}"><p class="head">Recommendation: {_e(head)}</p><ul>{expl}</ul></div>')
    if warnings:
        items = "".join(f"<li>{_e(w)}</li>" for w in warnings)
        parts.append(f'<div class="warn"><b>Please check</b><ul>{items}</ul></div>')
    if arec is not None:
        parts.append(_arm_section(arec))
    # per-dose table and posterior plot
    p = rec.posterior
    header, rows = dose_table_rows(rec)
    classes = []
    for r in rec.doses:
        c = "next" if rec.next_dose is not None and r.level - 1 == rec.next_dose else ""
        c = "next" if rec.selected is not None and r.level - 1 == rec.selected else c
        classes.append(c if r.admissible else (c + " out").strip())
    parts += [
        f"<h2>Data and posterior per {unit}{' (escalation)' if arec is not None else ''}</h2>",
        f"<p>{_e(p.method)} posterior: {_e(p.model)}. Intervals are equal-tailed "
        f"{round(100 * p.mass)}% credible intervals.</p>",
        _table(header, rows, classes),
    ]
    if p.diagnostics:
        dg = p.diagnostics
        text = (
            f"MCMC diagnostics: {dg.get('chains')} chains x {dg.get('draws')} draws, "
            f"max R-hat {_fmt(dg.get('r_hat_max'))}, min bulk ESS {_fmt(dg.get('ess_bulk_min'), 0)}, "
            f"min tail ESS {_fmt(dg.get('ess_tail_min'), 0)}, divergences {dg.get('divergences')}."
        )
        parts.append(f"<p>{_e(text)}</p>")
    fig = plot_posterior(rec)
    alt = (
        "Heat map of the posterior mean probability of DLT per cell of the grid, with patients and DLTs"
        if d.dose_grid is not None
        else f"Posterior probability of DLT per dose with {round(100 * p.mass)}% credible intervals and the "
        "target"
    )
    parts.append(f'<img alt="{_e(alt)}" src="{figure_to_data_uri(fig)}">')
    if "prob_over" in p.extra and getattr(d, "intervals", None) is not None:  # designs deciding by them
        from .plots import plot_interval_probabilities

        parts.append(
            '<img alt="Posterior probabilities of underdosing, target and overdosing per dose, with the '
            f'EWOC bound" src="{figure_to_data_uri(plot_interval_probabilities(rec))}">'
        )
    if utility_columns(p.extra) is not None:  # phase I/II designs: response and utility per dose
        from .plots import plot_utility

        parts.append(
            '<img alt="Posterior probabilities of response and DLT per dose, and the utility of each dose '
            f'as the design scores it" src="{figure_to_data_uri(plot_utility(rec))}">'
        )
    # patients on the calendar (recommend --as-of)
    if rec.pending is not None:
        from .plots import plot_timeline
        from .recommendation import pending_lines

        parts += [
            f"<h2>Patients as of {rec.pending.clock.as_of}</h2>",
            f'<img alt="Timeline of the patients: entry, DLT window and DLTs, as of '
            f'{rec.pending.clock.as_of}" '
            f'src="{figure_to_data_uri(plot_timeline(rec))}">',
            f"<pre>{_e(chr(10).join(pending_lines(rec)))}</pre>",
        ]
    # history
    if rec.history:
        hist_rows = []
        hist_cls = []
        for h, c in zip(rec.history, rec.data.cohorts, strict=True):
            ids = ", ".join(pt.patient_id for pt in c.patients)
            hist_rows.append(
                [
                    str(h.index),
                    d.doses[h.cohort.dose],
                    ids,
                    h.outcomes,
                    f"{h.cohort.tox}/{h.cohort.n}",
                    h.design_next if h.design_next is not None else "stop",
                    {True: "yes", False: "no", None: "-"}[h.followed],
                ]
            )
            hist_cls.append("" if h.followed in (True, None) else "out")
        parts += [
            "<h2>Cohorts</h2>" if arec is None else "<h2>Escalation cohorts</h2>",
            _table(
                ["cohort", unit, "patients", "outcomes", "DLT", f"design's next {unit}", "followed"],
                hist_rows,
                hist_cls,
            ),
        ]
    # pathways
    if inputs.paths is not None:
        parts.append(f"<h2>Dose transition pathways: next {inputs.paths.cohorts} cohorts</h2>")
        if rec.pending is not None:
            parts.append(
                "<p>The pathways read every patient as complete (pathways over the pending patients' "
                "outcomes are not computed yet): they apply once the pending windows are complete.</p>"
            )
        if inputs.paths.nodes[0].status != Status.CONTINUE:
            parts.append("<p>Escalation has stopped: there are no further escalation cohorts.</p>")
        else:
            cells = " (cells j.k)" if d.dose_grid is not None else ""
            parts += [
                f"<p>Every outcome of the coming cohorts{cells} (N: no DLT, T: DLT; order within a cohort "
                "does not matter) and the design's answer. A decision the design takes at random (a tie "
                "broken at random) is shown once per possible decision, with its chance.</p>",
                f"<p>{_e(_notation_levels(rec))}</p>",
                f"<pre>{_e(format_paths(inputs.paths))}</pre>",
            ]
    # decision table
    parts.append(_decision_table_section(rec))
    # provenance
    data = arec.data if arec is not None else rec.data
    prov = [("dosefind version", __version__)]
    if arec is not None:
        prov.append(("arm hash", arec.arm.config_hash()))
    prov += [
        ("design hash", d.config_hash()),
        ("data hash (SHA-256)", data.content_hash),
        ("data source", data.source or "-"),
        ("data (notation)", data.to_notation() or "(no patients)"),
        ("posterior", f"{p.method}"),
        ("generated (UTC)", when),
        ("python", platform.python_version()),
    ]
    if arec is not None:
        import tomli_w

        spec_title, spec_text = "Arm specification", tomli_w.dumps(arec.arm.to_dict())
    else:
        spec_title, spec_text = "Design specification", dumps(Spec(designs=(d,)))
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in prov)
    parts += [
        "<h2>Provenance</h2>",
        f'<dl class="prov">{items}</dl>',
        f"<details><summary>{spec_title}</summary><pre>{_e(spec_text)}</pre></details>",
        "</body></html>",
    ]
    return "\n".join(parts)


def _yes_no(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "not yet assessed"}[value]


def _arm_section(arec: ArmRecommendation) -> str:
    """The extension as ``recommend`` reports it for an arm: opening, cohorts, safety, patients."""
    arm, unit = arec.arm, arec.unit
    out = [
        "<h2>Extension: expansion cohorts and safety</h2>",
        f"<p>Phase: <b>{_e(arec.phase.value)}</b>. {_e(arec.opening[:1].upper() + arec.opening[1:])}.</p>",
        f"<p>Responses in escalation ({_e(unit)}: responders/patients): {_e(responses_by_dose(arec))}.</p>",
    ]
    if arec.cohorts:
        rows = []
        for c in arec.cohorts:
            counted = str(c.counted)
            if c.count_escalation:
                counted += (
                    f" ({c.escalation_counted} from escalation + {c.counted - c.escalation_counted} new)"
                )
            if c.decision is None:
                look = c.next_look
                when = (
                    f"due: waiting for unknown responses among the first {look.n}"
                    if c.waiting
                    else f"{look.n - c.counted} more patient(s) to go"
                )
                status = f"next look {look.index + 1} ({when}): {look.words()}"
            elif c.decided_look is not None:
                look = c.decided_look
                status = f"decided at look {look.index + 1}: {look.words()}"
            else:
                status = ""
            rows.append(
                [
                    c.name,
                    c.rule + (", escalation patients count first" if c.count_escalation else ""),
                    str(c.new_patients),
                    counted,
                    str(c.responses),
                    str(c.pending),
                    str(c.dlts),
                    c.decision_words,
                    status,
                ]
            )
        out += [
            f"<p>Expansion cohorts at {_e(unit)} {_e(arec.selected_label)}:</p>",
            _table(
                [
                    "cohort",
                    "rule",
                    "new patients",
                    "counted",
                    "responses",
                    "not yet assessed",
                    "DLTs (new)",
                    "decision so far",
                    "look",
                ],
                rows,
            ),
        ]
    else:
        rows = [
            [c.name, c.rule.describe() + (", escalation patients count first" if c.count_escalation else "")]
            for c in arm.cohorts
        ]
        out += ["<p>Expansion cohorts (not open):</p>", _table(["cohort", "rule"], rows)]
    if arec.safety is not None:
        out.append(
            f"<p>Safety at {_e(unit)} {_e(arec.selected_label)} (escalation and extension pooled): "
            f"{_e(arec.safety.words())}.</p>"
        )
    elif arm.safety is not None:
        m = arm.safety
        out.append(
            f"<p>Safety monitor of the extension: stop when P(DLT rate &gt; {m.limit:g} | data) &gt; "
            f"{m.confidence:g} at the selected {_e(unit)}.</p>"
        )
    if arec.data.extension:
        labels = arm.design.doses
        rows = [
            [
                pt.patient_id,
                pt.expansion or "",
                labels[pt.dose],
                "yes" if pt.dlt else "no",
                _yes_no(pt.efficacy),
            ]
            for pt in arec.data.extension
        ]
        out += [
            "<p>Extension patients, in treatment order:</p>",
            _table(["patient", "expansion cohort", unit, "DLT", "response"], rows),
        ]
    return "\n".join(out)


def _notation_levels(rec: Recommendation) -> str:
    """What the numbers of the outcome notation stand for (cohorts are written with level numbers, the
    decisions with dose labels)."""
    g = rec.design.dose_grid
    if g is None:
        pairs = ", ".join(f"{i + 1} = {row.label}" for i, row in enumerate(rec.doses))
        return f"In the cohorts, a number is the dose level: {pairs}."
    a = ", ".join(f"{i + 1} = {lab}" for i, lab in enumerate(g.levels_a))
    b = ", ".join(f"{i + 1} = {lab}" for i, lab in enumerate(g.levels_b))
    return f"In the cohorts, cell j.k is level j of {g.drug_a} ({a}) and level k of {g.drug_b} ({b})."


def _cohort_columns(design, table):
    """The table the page draws: a wide table (more than 12 numbers of patients) of a design with cohorts
    of more than one patient keeps the numbers it decides at (multiples of the cohort size), so the
    figure's cells and labels stay legible at the page's width; the text above keeps every column."""
    from dataclasses import replace

    size = int(getattr(design, "cohort_size", 1) or 1)
    if len(table.n_treated) <= 12 or size <= 1:
        return table, ""
    kept = tuple(n for n in table.n_treated if n % size == 0)
    if not kept:
        return table, ""
    rows = tuple(r for r in table.rows if r.n_treated in kept)
    caption = f"The figure shows the decisions taken with cohorts of {size}: n = {', '.join(map(str, kept))}."
    return replace(table, n_treated=kept, rows=rows), caption


def _decision_table_section(rec: Recommendation) -> str:
    from .decision_table import decision_table, to_text
    from .plots import figure_to_data_uri, plot_decision_table

    try:
        table = decision_table(rec.design)
    except SpecError:
        return (
            "<h2>Decision table</h2><p>This design has no fixed decision table: its decisions depend on "
            f"the data at every {dose_word(rec.design)}. The dose transition pathways above give its "
            "decisions for the coming cohorts.</p>"
        )
    body = to_text(table).split("\n", 1)[1]  # its title line would repeat the section's heading
    if not hasattr(table, "rows"):  # a score table (BOIN12's desirability scores): text only, no heat map
        return (
            "<h2>Decision table</h2>"
            f"<p>{_e(rec.design.name)}: {_e(table.kind)}, target {table.target:g}, n &lt;= {table.max_n}</p>"
            f"<pre>{_e(body)}</pre>"
        )
    shown, caption = _cohort_columns(rec.design, table)
    fig = plot_decision_table(shown)
    return (
        "<h2>Decision table</h2>"
        f"<p>{_e(rec.design.name)}: {_e(table.kind)}, target {table.target:g}, n &lt;= {table.max_n}</p>"
        f"<pre>{_e(body)}</pre>"
        + (f"<p>{_e(caption)}</p>" if caption else "")
        + f'<img alt="Decision table" src="{figure_to_data_uri(fig)}">'
    )


def _fmt(x, digits: int = 3) -> str:
    try:
        return f"{float(x):.{digits}f}"
    except (TypeError, ValueError):
        return "-"
