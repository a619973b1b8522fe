"""``dosefind paediatric``: paediatric dose levels from the adult RP2D (``doses``) and the adult
dose-toxicity data on the paediatric dose scale as a BLRM prior or a CRM skeleton (``from-adult``). A thin
layer over :mod:`dosefind.paediatric`."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import typer

from .common import check_output_path, emit, fail, number_list, user_errors, write_atomic

app = typer.Typer(
    name="paediatric",
    help="Paediatric doses from the adult RP2D (scaled by weight, BSA or allometrically, rounded to the "
    "strengths available), and adult dose-toxicity data as a paediatric BLRM prior or CRM skeleton.",
    no_args_is_help=True,
    add_completion=False,
)


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


class Kind(str, Enum):
    blrm = "blrm"
    crm = "crm"


INPUT_OPTION = typer.Option(
    None,
    "--input",
    "-i",
    help="Paediatric input file (TOML: [adult] rp2d, [paediatric] scaling and fractions, [formulation], "
    "[[bands]]); options given on the command line override it.",
)
SCALING_OPTION = typer.Option(
    None, "--scaling", help='"weight" (mg/kg), "bsa" (mg/m2) or "allometric" (mg/kg^0.75).'
)
ADULT_WEIGHT_OPTION = typer.Option(None, "--adult-weight", help="Reference adult weight, kg (default 70).")
ADULT_BSA_OPTION = typer.Option(None, "--adult-bsa", help="Reference adult BSA, m2 (default 1.73).")
EXPONENT_OPTION = typer.Option(None, "--exponent", help="Allometric exponent (default 0.75).")
UNIT_OPTION = typer.Option(None, "--dose-unit", help='Unit of the adult dose (default "mg").')


def _numbers(text: str | None, option: str) -> list[float] | None:
    """``number_list`` as a list (the input tables hold lists)."""
    vals = number_list(text, option, example="0.5,0.7,1.0")
    return None if vals is None else list(vals)


def _pair(text: str | None, option: str) -> tuple[float, float] | None:
    vals = number_list(text, option, 2, example="0.5,1.2")
    return None if vals is None else (vals[0], vals[1])


def _input_dict(
    input_path: Path | None,
    rp2d: float | None = None,
    dose_unit: str | None = None,
    scaling: str | None = None,
    fractions: str | None = None,
    adult_weight: float | None = None,
    adult_bsa: float | None = None,
    exponent: float | None = None,
    digits: int | None = None,
    weights: str | None = None,
    heights: str | None = None,
    strengths: str | None = None,
    max_units: int | None = None,
    increment: float | None = None,
    max_deviation: float | None = None,
) -> dict:
    """The input file's content (if any) with the command-line options laid over it."""
    from ..specfile import _read_toml

    data = _read_toml(Path(input_path)) if input_path is not None else {}
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    adult = data.setdefault("adult", {})
    paed = data.setdefault("paediatric", {})
    for sec, key, value in (
        (adult, "rp2d", rp2d),
        (adult, "dose_unit", dose_unit),
        (adult, "weight", adult_weight),
        (adult, "bsa", adult_bsa),
        (paed, "scaling", scaling),
        (paed, "fractions", _numbers(fractions, "--fractions")),
        (paed, "exponent", exponent),
        (paed, "digits", digits),
    ):
        if value is not None and isinstance(sec, dict):
            sec[key] = value
    w = _numbers(weights, "--weights")
    h = _numbers(heights, "--heights")
    if h is not None and (w is None or len(h) != len(w)):
        raise fail("--heights: give one height (cm) per weight in --weights")
    if w is not None:
        data["bands"] = [
            {"name": f"{x:g} kg", "weight": x, **({"height": h[i]} if h is not None else {})}
            for i, x in enumerate(w)
        ]
    s = _numbers(strengths, "--strengths")
    if s is not None or increment is not None or max_units is not None or max_deviation is not None:
        form = data.get("formulation") if isinstance(data.get("formulation"), dict) else {}
        form = dict(form)
        if s is not None:
            form["strengths"] = s
            form.pop("increment", None)
        if increment is not None:
            form["increment"] = increment
            if s is None:
                form.pop("strengths", None)
        if max_units is not None:
            form["max_units"] = max_units
        if max_deviation is not None:
            form["max_deviation"] = max_deviation
        data["formulation"] = form
    return data


def _load_input(input_path: Path | None, **options):
    from ..errors import SpecError
    from ..paediatric.io import input_from_dict

    data = _input_dict(input_path, **options)
    try:
        return input_from_dict(data)
    except SpecError as e:
        raise (e.with_source(Path(input_path).name) if input_path is not None else e) from None


@app.command("doses")
@user_errors
def doses(
    input_path: Path = INPUT_OPTION,
    rp2d: float = typer.Option(None, "--rp2d", help="Adult recommended phase II dose (in --dose-unit)."),
    dose_unit: str = UNIT_OPTION,
    scaling: str = SCALING_OPTION,
    fractions: str = typer.Option(
        None, "--fractions", help="Fractions of the adult dose, increasing, e.g. 0.5,0.7,0.85,1.0,1.2."
    ),
    weights: str = typer.Option(
        None, "--weights", help="Body weights (kg) to dose, one band each, e.g. 10,20,40."
    ),
    heights: str = typer.Option(None, "--heights", help="Heights (cm) for --weights (BSA by Mosteller)."),
    strengths: str = typer.Option(
        None, "--strengths", help="Unit strengths available, e.g. 1,2.5,5 (tablets)."
    ),
    max_units: int = typer.Option(None, "--max-units", help="Most units in one dose (default 4)."),
    increment: float = typer.Option(
        None, "--increment", help="A liquid's smallest dose step instead of strengths."
    ),
    max_deviation: float = typer.Option(
        None, "--max-deviation", help="Largest relative deviation from the intended dose (default 0.25)."
    ),
    adult_weight: float = ADULT_WEIGHT_OPTION,
    adult_bsa: float = ADULT_BSA_OPTION,
    exponent: float = EXPONENT_OPTION,
    digits: int = typer.Option(
        None, "--digits", help="Significant figures of the design's doses (default 3)."
    ),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="Output format."),
    csv_path: Path = typer.Option(
        None, "--csv", help="Also write the table (one row per level and band) as CSV."
    ),
):
    """Paediatric dose levels: fractions of the adult RP2D per kg, per m2 or per kg^0.75, the dose each
    band is given with the strengths available (nearest achievable dose; ties go to the lower dose) and
    its deviation, and the doses/dose_unit lines for a design file."""
    from ..paediatric.text import doses_csv, doses_json, doses_text

    check_output_path(csv_path, "--csv", example="doses.csv")
    result = _load_input(
        input_path,
        rp2d=rp2d,
        dose_unit=dose_unit,
        scaling=scaling,
        fractions=fractions,
        adult_weight=adult_weight,
        adult_bsa=adult_bsa,
        exponent=exponent,
        digits=digits,
        weights=weights,
        heights=heights,
        strengths=strengths,
        max_units=max_units,
        increment=increment,
        max_deviation=max_deviation,
    ).doses()
    if csv_path is not None:
        write_atomic(csv_path, doses_csv(result), "--csv")
    emit({Format.table: doses_text, Format.csv: doses_csv, Format.json: doses_json}[fmt](result), None)


@app.command("from-adult")
@user_errors
def from_adult(
    adult_data: Path = typer.Option(
        None, "--adult-data", help="Adult dose-toxicity data, CSV with columns dose,n,r (one row per dose)."
    ),
    input_path: Path = INPUT_OPTION,
    doses_text_: str = typer.Option(
        None, "--doses", help="Paediatric doses (size-normalised, increasing) instead of those of --input."
    ),
    scaling: str = SCALING_OPTION,
    dose_unit: str = UNIT_OPTION,
    adult_weight: float = ADULT_WEIGHT_OPTION,
    adult_bsa: float = ADULT_BSA_OPTION,
    exponent: float = EXPONENT_OPTION,
    reference_dose: float = typer.Option(
        None, "--reference-dose", help="Adult reference dose d* of the adult model (default: the adult RP2D)."
    ),
    paediatric_reference: float = typer.Option(
        None,
        "--paediatric-reference",
        help="Reference dose of the paediatric BLRM (default: the paediatric dose nearest to the adult one's "
        "equivalent).",
    ),
    adult_prior_mean: str = typer.Option(
        None,
        "--adult-prior-mean",
        help="Adult prior mean of (log alpha, log beta), e.g. -1.1,0 (default: logit(target), 0).",
    ),
    adult_prior_sd: str = typer.Option(
        None, "--adult-prior-sd", help="Adult prior sds, e.g. 2,1 (default 2,1)."
    ),
    adult_prior_corr: float = typer.Option(
        None, "--adult-prior-corr", help="Adult prior correlation (default 0)."
    ),
    inflation: float = typer.Option(
        2.0, "--inflation", help="Covariance inflation of the adult information (>= 1)."
    ),
    extrapolation_sd: float = typer.Option(
        0.5, "--extrapolation-sd", help="Extra sd on log alpha for the child-adult difference (>= 0)."
    ),
    robust_weight: float = typer.Option(
        0.2, "--robust-weight", help="Weight of the weakly informative mixture component, in [0, 1)."
    ),
    kind: Kind = typer.Option(
        Kind.blrm, "--kind", help="Write a BLRM design (mapped prior) or a CRM (skeleton)."
    ),
    target: float = typer.Option(
        None,
        "--target",
        help="Target DLT rate (BLRM: default the interval midpoint 0.245; CRM: default 0.25).",
    ),
    max_n: int = typer.Option(24, "--max-n", help="Maximum number of children in the design."),
    cohort_size: int = typer.Option(3, "--cohort-size", help="Cohort size of the design."),
    start_dose: int = typer.Option(1, "--start-dose", help="Starting dose level (1-based)."),
    name: str = typer.Option(None, "--name", help="Name of the design."),
    out: Path = typer.Option(None, "--out", "-o", help="Write the design file (TOML) here, atomically."),
    fmt: Format = typer.Option(
        Format.table, "--format", "-f", help="Output format of the summary (table, json)."
    ),
):
    """Adult dose-toxicity data (a BLRM fitted to dose,n,r) mapped onto the paediatric dose scale: a
    paediatric BLRM design with the adult information as a robust mixture prior, or a CRM whose skeleton
    is the adult posterior mean of p at the exposure-equivalent doses. Without --out the design file is
    printed after the summary."""
    from ..designs.blrm.spec import PriorComponent
    from ..errors import SpecError
    from ..paediatric import (
        AdultModel,
        Discount,
        Scaling,
        map_adult_to_paediatric,
        read_adult_csv,
        weakly_informative,
    )
    from ..paediatric.design import blrm_design, crm_design

    check_output_path(out, example="paediatric-design.toml")
    if fmt is Format.csv:
        raise fail("--format: from-adult prints a table or json (the design file is TOML)")
    rp2d = None
    if input_path is not None:
        inp = _load_input(
            input_path,
            dose_unit=dose_unit,
            scaling=scaling,
            adult_weight=adult_weight,
            adult_bsa=adult_bsa,
            exponent=exponent,
        )
        scale, unit, rp2d = inp.scaling, inp.dose_unit, float(inp.rp2d)
        paed_doses = inp.doses().doses if doses_text_ is None else tuple(number_list(doses_text_, "--doses"))
    else:
        if doses_text_ is None or scaling is None:
            raise fail("give the paediatric doses: --input FILE.toml, or --doses with --scaling")
        kw = {"kind": scaling}
        for key, val in (("adult_weight", adult_weight), ("adult_bsa", adult_bsa), ("exponent", exponent)):
            if val is not None:
                kw[key] = val
        scale = Scaling(**kw)
        unit = dose_unit or "mg"
        paed_doses = tuple(number_list(doses_text_, "--doses"))
    dose_unit_p = scale.per_size_unit(unit)
    ref = reference_dose if reference_dose is not None else rp2d
    if ref is None:
        raise fail(
            "--reference-dose: give the adult model's reference dose d* (no --input with an adult RP2D)"
        )
    centre = 0.245 if target is None else target  # of the weakly informative priors (the BLRM's default)
    data = read_adult_csv(adult_data) if adult_data is not None else None
    if data is None and adult_prior_mean is None:
        raise fail(
            "give the adult information: --adult-data FILE.csv (dose,n,r), or the adult posterior as "
            "--adult-prior-mean, --adult-prior-sd and --adult-prior-corr"
        )
    wi = weakly_informative(centre)
    try:
        prior = PriorComponent(
            1.0,
            _pair(adult_prior_mean, "--adult-prior-mean") or wi.mean,
            _pair(adult_prior_sd, "--adult-prior-sd") or wi.sd,
            0.0 if adult_prior_corr is None else adult_prior_corr,
        )
    except SpecError as e:
        raise SpecError(f"--adult-prior-{e.field}", e.problem, e.fix) from None
    try:
        discount = Discount(inflation, extrapolation_sd, robust_weight)
    except SpecError as e:
        raise SpecError(f"--{e.field.replace('_', '-')}", e.problem, e.fix) from None
    model = AdultModel(ref, prior, data)
    mapped = map_adult_to_paediatric(model, scale, paed_doses, paediatric_reference, discount, centre)
    if kind is Kind.blrm:
        design = blrm_design(
            mapped,
            dose_unit_p,
            max_n=max_n,
            cohort_size=cohort_size,
            start_dose=start_dose,
            name=name or "Paediatric BLRM",
            target=target,
        )
    else:
        design = crm_design(
            mapped,
            dose_unit_p,
            target=0.25 if target is None else target,
            max_n=max_n,
            cohort_size=cohort_size,
            start_dose=start_dose,
            name=name or "Paediatric CRM",
        )
    toml_text = _design_file(design, mapped, model, scale, adult_data, unit)
    prior_mean = prior_over = None
    if kind is Kind.blrm:
        import numpy as np

        from ..engine.blrm import blrm_posterior_summary

        zero = np.zeros(design.n_doses, dtype=np.int64)
        s = blrm_posterior_summary(design, zero, zero)
        prior_mean, prior_over = s["mean"], s["prob_over"]
    if out is not None:
        write_atomic(out, toml_text)
    if fmt is Format.json:
        res = {
            "doses": list(mapped.doses),
            "dose_unit": dose_unit_p,
            "adult_equivalent": list(mapped.adult_equivalent),
            "adult_unit": unit,
            "reference_dose": mapped.reference_dose,
            "adult_reference_dose": mapped.adult_reference_dose,
            "shift": mapped.shift,
            "adult_mean": list(mapped.adult_mean),
            "adult_cov": [list(r) for r in mapped.adult_cov],
            "skeleton": list(mapped.skeleton),
            "components": [c.to_dict() for c in mapped.components],
            "design": design.to_dict(),
        }
        if prior_mean is not None:
            res["prior_mean_p"] = [float(x) for x in prior_mean]
            res["prior_prob_over"] = [float(x) for x in prior_over]
        emit(json.dumps(res, indent=2), None)
        return
    from ..paediatric.text import prior_text

    text = prior_text(mapped, dose_unit_p, unit, prior_mean, prior_over)
    if out is None:
        text += "\n\n" + toml_text
    else:
        text += f"\n\ndesign file written to {out}"
    emit(text, None)


def _design_file(design, mapped, model, scale, adult_data: Path | None, unit: str) -> str:
    """The design as TOML with a header saying where its numbers came from."""
    import tomli_w

    from .. import __version__

    d = mapped.discount
    src = (
        f"adult data {Path(adult_data).name}: "
        + ", ".join(
            f"{x:g} {unit} {r}/{n}"
            for x, n, r in zip(model.data.doses, model.data.n, model.data.r, strict=True)
        )
        if model.data is not None
        else "adult posterior given as (mean, sd, corr)"
    )
    p = model.prior
    header = [
        f"# {design.name}: adult dose-toxicity data mapped onto the paediatric dose scale "
        f"(dosefind {__version__} paediatric from-adult)",
        f"# {src}",
        f"# adult BLRM: reference dose {model.reference_dose:g} {unit}, prior mean ({p.mean[0]:.4g}, "
        f"{p.mean[1]:.4g}), sd ({p.sd[0]:g}, {p.sd[1]:g}), corr {p.corr:g}",
        f"# scaling: {scale.describe()}; paediatric dose x is exposure-equivalent to the adult dose "
        f"{scale.adult_size:.6g} x",
    ]
    if design.kind == "blrm":
        header.append(
            f"# prior: adult posterior moments at reference {mapped.reference_dose:g}, covariance x "
            f"{d.inflation:g}, extrapolation sd {d.extrapolation_sd:g} on log alpha, weakly informative "
            f"weight {d.robust_weight:g}"
        )
    else:
        header.append("# skeleton: the adult posterior mean of p at the exposure-equivalent adult doses")
    return "\n".join(header) + "\n\n" + tomli_w.dumps({"design": design.to_dict()})
