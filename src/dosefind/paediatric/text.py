"""Paediatric tables as text, CSV and JSON (what ``dosefind paediatric`` prints and writes)."""

from __future__ import annotations

import csv
import io
import json
import math

from .adult import PaediatricPrior
from .scaling import PaediatricDoses

DOSE_COLUMNS = (
    "level",
    "fraction",
    "dose_per_size",
    "dose_unit",
    "band",
    "size",
    "intended",
    "achieved",
    "composition",
    "achieved_per_size",
    "deviation",
)


def size_name(doses: PaediatricDoses) -> str:
    return {"weight": "kg", "bsa": "m2"}.get(doses.scaling.kind, f"kg^{doses.scaling.exponent:g}")


def doses_text(doses: PaediatricDoses) -> str:
    """The levels, then per band the dose intended, the dose given and the deviation, then the design
    file's lines."""
    unit = doses.adult_unit
    lines = [
        f"Paediatric doses from the adult RP2D {doses.adult_dose:g} {unit}, scaled by "
        f"{doses.scaling.describe()}"
        + (f"; given as {doses.formulation.describe()}" if doses.formulation is not None else ""),
        "",
        f"{'level':>5}  {'fraction':>8}  {'dose (' + doses.dose_unit + ')':>16}  {'adult-equivalent':>16}",
    ]
    for i, (f, d) in enumerate(zip(doses.fractions, doses.doses, strict=True)):
        lines.append(f"{i + 1:>5}  {f:>8g}  {d:>16g}  {doses.scaling.adult_equivalent(d):>13.4g} {unit}")
    bands: dict[str, list] = {}
    for r in doses.rows:
        bands.setdefault(r.band, []).append(r)
    size = size_name(doses)
    for band, rows in bands.items():
        lines += [
            "",
            f"band {band} (size {rows[0].size:.4g} {size}):",
            f"{'level':>5}  {'intended':>10}  {'given':>10}  {'composition':<28}  "
            f"{'given (' + doses.dose_unit + ')':>18}  {'deviation':>9}",
        ]
        for r in rows:
            lines.append(
                f"{r.level:>5}  {r.intended:>10.4g}  {r.achieved:>10.4g}  {r.composition or '-':<28}  "
                f"{r.achieved_per_size:>18.4g}  {r.deviation:>+9.1%}"
            )
    lines += ["", "For a design file:", doses.design_lines()]
    return "\n".join(lines)


def doses_csv(doses: PaediatricDoses) -> str:
    """One row per level and band (without bands: one row per level)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(DOSE_COLUMNS)
    if not doses.rows:
        for i, (f, d) in enumerate(zip(doses.fractions, doses.doses, strict=True)):
            w.writerow([i + 1, f"{f:g}", f"{d:g}", doses.dose_unit, "", "", "", "", "", "", ""])
    for r in doses.rows:
        w.writerow(
            [
                r.level,
                f"{r.fraction:g}",
                f"{r.dose_per_size:g}",
                doses.dose_unit,
                r.band,
                f"{r.size:.6g}",
                f"{r.intended:.6g}",
                f"{r.achieved:.6g}",
                r.composition,
                f"{r.achieved_per_size:.6g}",
                f"{r.deviation:.6g}",
            ]
        )
    return buf.getvalue()


def doses_json(doses: PaediatricDoses) -> str:
    out = {
        "adult_dose": doses.adult_dose,
        "adult_unit": doses.adult_unit,
        "scaling": doses.scaling.kind,
        "adult_size": doses.scaling.adult_size,
        "fractions": list(doses.fractions),
        "doses": list(doses.doses),
        "dose_unit": doses.dose_unit,
        "rows": [
            {
                "level": r.level,
                "fraction": r.fraction,
                "dose_per_size": r.dose_per_size,
                "band": r.band,
                "size": r.size,
                "intended": r.intended,
                "achieved": r.achieved,
                "composition": r.composition,
                "achieved_per_size": r.achieved_per_size,
                "deviation": r.deviation,
            }
            for r in doses.rows
        ],
    }
    return json.dumps(out, indent=2)


def prior_text(
    prior: PaediatricPrior, dose_unit: str, adult_unit: str, prior_mean=None, prior_over=None
) -> str:
    """Per paediatric dose: the adult-equivalent dose, the adult posterior mean of p (the skeleton) and,
    when given, the paediatric prior's mean of p and P(overdosing); then the mixture's components."""
    d = prior.discount
    lines = [
        f"Adult data on the paediatric scale: paediatric reference dose {prior.reference_dose:g} "
        f"{dose_unit}; "
        f"the adult reference {prior.adult_reference_dose:g} {adult_unit} is exposure-equivalent to "
        f"{prior.reference_dose / math.exp(prior.shift):.6g} {dose_unit} "
        f"(log alpha shifted by beta x {prior.shift:.4g})",
        "",
        f"{'level':>5}  {'dose (' + dose_unit + ')':>16}  {'adult-equivalent':>16}  {'adult E p':>9}"
        + (f"  {'prior E p':>9}  {'prior P(over)':>13}" if prior_mean is not None else ""),
    ]
    for i, (x, a, s) in enumerate(zip(prior.doses, prior.adult_equivalent, prior.skeleton, strict=True)):
        row = f"{i + 1:>5}  {x:>16g}  {a:>13.4g} {adult_unit:<2}  {s:>9.4f}"
        if prior_mean is not None:
            row += f"  {prior_mean[i]:>9.4f}  {prior_over[i]:>13.4f}"
        lines.append(row)
    m, c = prior.adult_mean, prior.adult_cov
    lines += [
        "",
        "adult posterior of (log alpha, log beta) at the paediatric reference: "
        f"mean ({m[0]:.4g}, {m[1]:.4g}), "
        f"sd ({c[0][0] ** 0.5:.4g}, {c[1][1] ** 0.5:.4g}), corr {c[0][1] / (c[0][0] * c[1][1]) ** 0.5:.4g}",
        f"discount: covariance x {d.inflation:g}, extrapolation sd {d.extrapolation_sd:g} on log alpha, "
        f"weakly informative weight {d.robust_weight:g}",
        "prior components:",
    ]
    for comp in prior.components:
        lines.append(
            f"  weight {comp.weight:g}: mean ({comp.mean[0]:.4g}, {comp.mean[1]:.4g}), sd ({comp.sd[0]:.4g}, "
            f"{comp.sd[1]:.4g}), corr {comp.corr:.4g}"
        )
    return "\n".join(lines)
