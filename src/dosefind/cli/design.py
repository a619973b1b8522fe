"""``dosefind design``: efficacy extension rules of a phase I/II arm (Simon two-stage, BOP2, predictive
probability), with their exact operating characteristics. A thin layer over :mod:`dosefind.extension`."""

from __future__ import annotations

import json
from enum import Enum

import typer

from .common import emit, fail, number_list, user_errors

app = typer.Typer(
    name="design",
    help="Efficacy expansion cohort rules (Simon two-stage, BOP2, predictive probability) with exact "
    "operating characteristics.",
    no_args_is_help=True,
    add_completion=False,
)


class Format(str, Enum):
    table = "table"
    json = "json"


FORMAT_OPTION = typer.Option(Format.table, "--format", "-f", help="Output format.")
P0_OPTION = typer.Option(..., "--p0", help="Response rate of no interest (null hypothesis).")
P1_OPTION = typer.Option(..., "--p1", help="Response rate worth pursuing (alternative).")
ALPHA_OPTION = typer.Option(..., "--alpha", help="Largest type I error: P(declared active | p0).")
PRIOR_OPTION = typer.Option(None, "--prior", help="Beta prior a,b (default: p0,1-p0).")


def _ints(text: str | None, option: str) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        return tuple(int(x) for x in text.replace(" ", "").split(",") if x)
    except ValueError:
        raise fail(f"{option}: {text!r} is not a list of whole numbers; write e.g. 10,20,30") from None


def _prior(text: str | None) -> tuple[float, float] | None:
    vals = number_list(text, "--prior", 2, example="0.2,0.8")
    return None if vals is None else (vals[0], vals[1])


def _pct(x: float) -> str:
    return f"{x:.4f}"


def _oc_lines(oc, label: str) -> list[str]:
    return [
        f"  under {label} = {oc.p:g}: P(active) {_pct(oc.prob_active)}, P(early stop) "
        f"{_pct(oc.prob_early_stop)}, expected N {oc.expected_n:.2f}",
        "    stop for futility by look: " + " ".join(_pct(x) for x in oc.prob_stop_futility),
    ]


def _oc_json(oc) -> dict:
    return oc.to_dict()


@app.command("simon")
@user_errors
def simon(
    p0: float = P0_OPTION,
    p1: float = P1_OPTION,
    alpha: float = ALPHA_OPTION,
    beta: float = typer.Option(..., "--beta", help="Largest type II error: 1 - power at p1."),
    n_max: int = typer.Option(None, "--n-max", help="Largest total sample size searched (default: derived)."),
    fmt: Format = FORMAT_OPTION,
):
    """Simon's (1989) optimal and minimax two-stage designs by exact search, with exact OCs."""
    from ..extension import simon_search

    s = simon_search(p0, p1, alpha, beta, n_max)
    if fmt is Format.json:
        out = s.to_dict()
        for c in (s.optimal, s.minimax):
            out[c.which]["boundaries"] = c.design.boundaries().to_dict()
        emit(json.dumps(out, indent=2), None)
        return
    lines = [
        f"Simon two-stage designs: p0 = {s.p0:g}, p1 = {s.p1:g}, alpha = {s.alpha:g}, beta = {s.beta:g} "
        f"(exact search, n <= {s.n_max})",
        "",
        f"{'design':<9}{'r1/n1':>7}{'r/n':>8}{'type I':>9}{'power':>8}{'PET(p0)':>9}{'EN(p0)':>8}"
        f"{'PET(p1)':>9}{'EN(p1)':>8}",
    ]
    for c in (s.optimal, s.minimax):
        d = c.design
        lines.append(
            f"{c.which:<9}{f'{d.r1}/{d.n1}':>7}{f'{d.r}/{d.n}':>8}{c.type_one_error:>9.4f}{c.power:>8.4f}"
            f"{c.pet_p0:>9.4f}{c.en_p0:>8.2f}{c.pet_p1:>9.4f}{c.en_p1:>8.2f}"
        )
    for c in (s.optimal, s.minimax):
        d = c.design
        lines += [
            "",
            f"{c.which.capitalize()}: treat {d.n1} patients; "
            f"stop (inactive) if <= {d.r1} responses of {d.n1};",
            f"  otherwise treat {d.n - d.n1} more ({d.n} in all): active if >= {d.r + 1} responses of {d.n} "
            f"(inactive if <= {d.r}).",
        ]
    emit("\n".join(lines), None)


def _render(title: str, details: list[str], boundaries, ocs, fmt: Format, extra: dict) -> None:
    if fmt is Format.json:
        out = dict(extra)
        out["boundaries"] = boundaries.to_dict()
        out["oc"] = [_oc_json(o) for o, _ in ocs]
        emit(json.dumps(out, indent=2), None)
        return
    lines = [
        title,
        *details,
        "",
        "Boundaries (responses counted over all patients so far):",
        boundaries.table(),
    ]
    lines += ["", "Exact operating characteristics:"]
    for oc, label in ocs:
        lines += _oc_lines(oc, label)
    emit("\n".join(lines), None)


@app.command("bop2")
@user_errors
def bop2(
    p0: float = P0_OPTION,
    p1: float = P1_OPTION,
    n: int = typer.Option(..., "--n", help="Maximum sample size N."),
    looks: str = typer.Option(..., "--looks", help="Cumulative sample sizes of the analyses, ending at N."),
    alpha: float = ALPHA_OPTION,
    prior: str = PRIOR_OPTION,
    fmt: Format = FORMAT_OPTION,
):
    """BOP2 (Zhou, Lee & Yuan 2017), binary endpoint: (lambda, gamma) calibrated by exact computation."""
    from ..extension import Bop2Rule

    rule = Bop2Rule(p0=p0, p1=p1, n=n, looks=_ints(looks, "--looks"), alpha=alpha, prior=_prior(prior))
    c = rule.calibration()
    b = c.boundaries
    ocs = [(rule.oc(rule.p0), "p0"), (rule.oc(rule.p1), "p1")]
    details = [
        f"  futility cut-off C(n) = 1 - lambda (n/N)^gamma with lambda = {c.lam:g}, gamma = {c.gam:g} "
        f"(max power with type I error <= {rule.alpha:g}; {c.n_candidates} distinct boundary sets checked)",
        f"  type I error {c.type_one_error:.4f}, power {c.power:.4f}",
    ]
    extra = {"rule": rule.to_dict(), "lambda": c.lam, "gamma": c.gam}
    extra.update(type_one_error=c.type_one_error, power=c.power)
    _render(rule.describe(), details, b, ocs, fmt, extra)


@app.command("predictive")
@user_errors
def predictive(
    p0: float = P0_OPTION,
    p1: float = typer.Option(None, "--p1", help="Response rate worth pursuing (needed for the search)."),
    n_max: int = typer.Option(..., "--n-max", help="Maximum sample size."),
    n_min: int = typer.Option(None, "--n-min", help="Look after every patient from this one (default 10)."),
    looks: str = typer.Option(None, "--looks", help="Cumulative sample sizes of the looks, ending at n-max."),
    alpha: float = typer.Option(None, "--alpha", help="Largest type I error (search)."),
    beta: float = typer.Option(None, "--beta", help="Largest type II error (search)."),
    theta_t: float = typer.Option(None, "--theta-t", help="Final threshold on Pr(p > p0 | data)."),
    theta_l: float = typer.Option(None, "--theta-l", help="Stop for futility if PP < theta_L."),
    theta_u: float = typer.Option(
        None, "--theta-u", help="Stop for efficacy if PP > theta_U (default: never)."
    ),
    prior: str = PRIOR_OPTION,
    fmt: Format = FORMAT_OPTION,
):
    """Predictive probability monitoring (Lee & Liu 2008): given thresholds, or searched for alpha/beta."""
    from ..extension import PredictiveRule

    look_sizes = _ints(looks, "--looks")
    if look_sizes is None and n_min is None:
        n_min = min(10, n_max)
    rule = PredictiveRule(
        p0=p0,
        p1=p1,
        n_max=n_max,
        looks=look_sizes,
        n_min=n_min,
        theta_t=theta_t,
        theta_l=theta_l,
        theta_u=theta_u,
        alpha=alpha,
        beta=beta,
        prior=_prior(prior),
    )
    b = rule.boundaries()
    ocs = [(rule.oc(rule.p0), "p0")] + ([(rule.oc(rule.p1), "p1")] if rule.p1 is not None else [])
    tt, tl = rule.thresholds()
    extra = {"rule": rule.to_dict(), "theta_t": tt, "theta_l": tl}
    details = []
    if rule.searched:
        s = rule.search()
        details.append(
            f"  searched: smallest EN(p0) among {s.n_feasible} (theta_T, theta_L) grid pairs with type I "
            f"error <= {rule.alpha:g} and power >= {1 - rule.beta:g}: type I {s.type_one_error:.4f}, "
            f"power {s.power:.4f}"
        )
    _render(rule.describe(), details, b, ocs, fmt, extra)
