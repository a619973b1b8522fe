"""The meeting report: one self-contained HTML file (styles inline, images embedded, no network).

Sections: the recommendation and its reason, warnings, the data (per dose and cohort by cohort), the
per-dose posterior plot against the target, the dose transition pathways of the next cohorts, the
decision table where the design has one, and provenance (package version, design and data hashes, time).
"""

from __future__ import annotations

import datetime as _dt
import html
import platform
from dataclasses import dataclass

from .. import __version__
from ..errors import SpecError
from ..live.recommend import Recommendation
from ..paths.pathways import DosePaths
from ..specfile import Spec, dumps
from .paths import format_paths
from .recommendation import dose_table_rows

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
    from .plots import figure_to_data_uri, plot_posterior, require_matplotlib

    require_matplotlib("the meeting report's figures")

    rec = inputs.recommendation
    d = rec.design
    when = inputs.generated or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    title = inputs.title or f"Dose-escalation meeting: {d.name}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="sub">{_e(d.kind.upper())} design "{_e(d.name)}", target DLT rate {d.target:g}, '
        f"{rec.data.n_total} patients in {len(rec.data.cohorts)} cohorts; generated {_e(when)}</p>",
    ]
    # recommendation
    cls = "rec stop" if rec.stopped else "rec"
    expl = "".join(f"<li>{_e(line)}</li>" for line in rec.explanation)
    parts.append(
        f'<div class="{cls}"><p class="head">Recommendation: {_e(rec.headline())}</p><ul>{expl}</ul></div>'
    )
    if rec.warnings:
        items = "".join(f"<li>{_e(w)}</li>" for w in rec.warnings)
        parts.append(f'<div class="warn"><b>Please check</b><ul>{items}</ul></div>')
    # per-dose table and posterior plot
    p = rec.posterior
    header, rows = dose_table_rows(rec)
    classes = []
    for r in rec.doses:
        c = "next" if rec.next_dose is not None and r.level - 1 == rec.next_dose else ""
        c = "next" if rec.selected is not None and r.level - 1 == rec.selected else c
        classes.append(c if r.admissible else (c + " out").strip())
    parts += [
        "<h2>Data and posterior per dose</h2>",
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
    parts.append(
        f'<img alt="Posterior probability of DLT per dose with {round(100 * p.mass)}% credible intervals '
        f'and the target" src="{figure_to_data_uri(fig)}">'
    )
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
            "<h2>Cohorts</h2>",
            _table(
                ["cohort", "dose", "patients", "outcomes", "DLT", "design's next dose", "followed"],
                hist_rows,
                hist_cls,
            ),
        ]
    # pathways
    if inputs.paths is not None:
        parts += [
            f"<h2>Dose transition pathways: next {inputs.paths.cohorts} cohorts</h2>",
            "<p>Every outcome of the coming cohorts (N: no DLT, T: DLT; order within a cohort does not "
            "matter) and the design's answer.</p>",
            f"<pre>{_e(format_paths(inputs.paths))}</pre>",
        ]
    # decision table
    parts.append(_decision_table_section(rec))
    # provenance
    spec_text = dumps(Spec(designs=(d,)))
    prov = [
        ("dosefind version", __version__),
        ("design hash", d.config_hash()),
        ("data hash (SHA-256)", rec.data.content_hash),
        ("data source", rec.data.source or "-"),
        ("data (notation)", rec.data.to_notation() or "(no patients)"),
        ("posterior", f"{p.method}"),
        ("generated (UTC)", when),
        ("python", platform.python_version()),
    ]
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in prov)
    parts += [
        "<h2>Provenance</h2>",
        f'<dl class="prov">{items}</dl>',
        f"<details><summary>Design specification</summary><pre>{_e(spec_text)}</pre></details>",
        "</body></html>",
    ]
    return "\n".join(parts)


def _decision_table_section(rec: Recommendation) -> str:
    from .decision_table import decision_table, to_text
    from .plots import figure_to_data_uri, plot_decision_table

    try:
        table = decision_table(rec.design)
    except SpecError:
        return (
            "<h2>Decision table</h2><p>This design has no fixed decision table: its decisions depend on "
            "the data at every dose. The dose transition pathways above give its decisions for the coming "
            "cohorts.</p>"
        )
    fig = plot_decision_table(table)
    return (
        "<h2>Decision table</h2>"
        f"<pre>{_e(to_text(table))}</pre>"
        f'<img alt="Decision table" src="{figure_to_data_uri(fig)}">'
    )


def _fmt(x, digits: int = 3) -> str:
    try:
        return f"{float(x):.{digits}f}"
    except (TypeError, ValueError):
        return "-"
