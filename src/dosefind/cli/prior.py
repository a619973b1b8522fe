"""``dosefind prior``: meta-analytic-predictive (MAP) priors from historical trials, robustification,
effective sample size, plots and writing a BLRM prior into a design file. A thin layer over
:mod:`dosefind.prior`."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import typer

from ..errors import OutputError, SpecError
from .common import (
    check_output_path,
    emit,
    fail,
    number_list,
    user_errors,
    write_atomic,
    write_bytes_atomic,
)

app = typer.Typer(
    name="prior",
    help="MAP priors from historical trials (as RBesT and OncoBayes2): fit, robustify, effective sample "
    "size, plot prior vs posterior, and write a BLRM prior into a design file.",
    no_args_is_help=True,
    add_completion=False,
)


class Endpoint(str, Enum):
    binary = "binary"
    blrm = "blrm"


class Criterion(str, Enum):
    aic = "aic"
    bic = "bic"


class Method(str, Enum):
    all = "all"
    elir = "elir"
    moment = "moment"
    morita = "morita"


class Format(str, Enum):
    text = "text"
    json = "json"


PRIOR_ARG = typer.Argument(..., help="Prior file (TOML) written by dosefind prior map or robustify.")
FORMAT_OPTION = typer.Option(Format.text, "--format", "-f", help="Output format.")


def _counts(text: str | None, option: str) -> tuple[int, ...] | None:
    vals = number_list(text, option)
    if vals is None:
        return None
    if any(x < 0 or not x.is_integer() for x in vals):
        raise fail(f"{option}: {text!r} must be whole numbers >= 0; write e.g. 3,3,6")
    return tuple(int(x) for x in vals)


def _not_input(out: Path, inputs: list[Path], overwrite: bool | None) -> None:
    """Refuse --out naming an input file (``overwrite`` None: the command has no --overwrite)."""
    for p in inputs:
        if out.exists() and p.exists() and out.resolve() == p.resolve() and not overwrite:
            tail = "" if overwrite is None else ", or add --overwrite to replace it"
            raise OutputError(f"--out: {out} is the input file; write to a new file{tail}")


def _mixture_lines(prior) -> list[str]:
    from ..prior import BetaMixture

    m = prior.mixture
    lines = []
    if isinstance(m, BetaMixture):
        lines.append(f"beta mixture, {m.n_components} component(s); mean {m.mean:.4f}, sd {m.sd:.4f}")
        lines.append("  weight        a           b")
        for w, a, b in zip(m.weights, m.a, m.b, strict=True):
            lines.append(f"  {w:6.4f}  {a:10.4f}  {b:10.4f}")
    else:
        lines.append(
            f"bivariate normal mixture on (log alpha, log beta), {m.n_components} component(s), "
            f"reference dose {prior.reference_dose:g}"
        )
        lines.append("  weight   mean(log a)  mean(log b)   sd(log a)   sd(log b)    corr")
        for w, mu, s, c in zip(m.weights, m.means, m.sds, m.corrs, strict=True):
            lines.append(f"  {w:6.4f}  {mu[0]:11.4f}  {mu[1]:11.4f}  {s[0]:10.4f}  {s[1]:10.4f}  {c:7.4f}")
    return lines


@app.command("map")
@user_errors
def map_prior(
    data: Path = typer.Argument(
        ..., help="CSV of historical trials: study,n,r (binary) or study,dose,n,r (blrm)."
    ),
    endpoint: Endpoint = typer.Option(
        ...,
        "--endpoint",
        "-e",
        help="binary (a rate, as RBesT's gMAP) or blrm (dose-toxicity, as OncoBayes2's blrm_exnex).",
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Prior file to write (TOML, with provenance)."),
    reference_dose: float = typer.Option(
        None, "--reference-dose", help="BLRM reference dose d* (blrm only)."
    ),
    mu_mean: str = typer.Option(
        None,
        "--mu-mean",
        help="Prior mean of mu: one number (binary, default 0) or "
        "log alpha,log beta (blrm, default logit(0.2),0).",
    ),
    mu_sd: str = typer.Option(
        None, "--mu-sd", help="Prior sd of mu: binary default 2 (RBesT's beta.prior); blrm default 2,1."
    ),
    tau_dist: str = typer.Option(
        None,
        "--tau-dist",
        help="Prior of tau: halfnormal (binary default, RBesT) or lognormal (blrm default, OncoBayes2).",
    ),
    tau_scale: str = typer.Option(
        None,
        "--tau-scale",
        help="HalfNormal scale or lognormal median of tau: binary default 1; blrm default 0.25,0.125.",
    ),
    tau_log_sd: str = typer.Option(
        None,
        "--tau-log-sd",
        help="Lognormal sd of log tau: default 1 (binary) or log(4)/1.96 for both (blrm).",
    ),
    criterion: Criterion = typer.Option(
        Criterion.aic,
        "--criterion",
        help="Information criterion choosing the "
        "number of mixture components (aic: RBesT's automixfit default).",
    ),
    aic_penalty: float = typer.Option(
        6.0, "--aic-penalty", help="AIC penalty per parameter (RBesT: 6; classical AIC: 2)."
    ),
    max_components: int = typer.Option(4, "--max-components", help="Largest number of components tried."),
    draws: int = typer.Option(2000, "--draws", help="MCMC draws per chain."),
    tune: int = typer.Option(1000, "--tune", help="MCMC tuning steps per chain."),
    chains: int = typer.Option(4, "--chains", help="MCMC chains."),
    target_accept: float = typer.Option(
        0.99, "--target-accept", help="NUTS acceptance target (RBesT's gMAP uses adapt_delta 0.99)."
    ),
    seed: int = typer.Option(1, "--seed", help="Random seed (same seed, same prior)."),
):
    """Fit a MAP prior to historical trials (PyMC), approximate it by a mixture (EM) and write it."""
    from ..inference.settings import McmcSettings
    from ..prior import ess
    from ..prior.build import build_map_prior
    from ..prior.history import read_history
    from ..prior.mapfit import BinaryMapPriors, BlrmMapPriors

    check_output_path(out, "--out", "prior.toml")
    _not_input(out, [data], None)
    hist = read_history(data, endpoint.value)
    settings = McmcSettings(draws=draws, tune=tune, chains=chains, target_accept=target_accept, seed=seed)
    binary = endpoint is Endpoint.binary
    if binary and reference_dose is not None:
        raise fail("--reference-dose applies to --endpoint blrm only")
    if not binary and reference_dose is None:
        raise fail("--reference-dose: missing; give the BLRM reference dose d*, e.g. --reference-dose 50")
    kw = {}
    given = {"mu_mean": mu_mean, "mu_sd": mu_sd, "tau_scale": tau_scale, "tau_log_sd": tau_log_sd}
    for name, text in given.items():
        if text is not None:  # one number per parameter for a binary endpoint, a pair for the BLRM
            vals = number_list(text, "--" + name.replace("_", "-"), 1 if binary else 2)
            kw[name] = vals[0] if binary else vals
    if tau_dist is not None:
        kw["tau_dist"] = tau_dist
    if binary:
        priors = BinaryMapPriors(**kw)
    else:
        priors = BlrmMapPriors(**kw)
    prior, fit, em = build_map_prior(
        hist,
        settings,
        priors,
        reference_dose=reference_dose,
        criterion=criterion.value,
        penalty=aic_penalty,
        max_components=max_components,
    )
    write_atomic(out, prior.dumps())
    for w in fit.warnings:
        typer.echo(f"warning: {w}", err=True)
    lines = [f"MAP prior from {len(hist.studies)} historical trial(s) in {data} -> {out}"]
    lines += _mixture_lines(prior)
    lines.append(
        f"{criterion.value.upper()} by number of components: "
        + ", ".join(f"{k}: {v:.2f}" for k, v in em.ic.items())
        + f" (chosen: {em.mixture.n_components})"
    )
    if prior.kind == "beta":
        lines.append(
            "ESS: " + ", ".join(f"{m} {ess(prior.mixture, m):.1f}" for m in ("elir", "moment", "morita"))
        )
    d = fit.diagnostics
    lines.append(
        f"MCMC: {settings.chains} chains x {settings.draws} draws, R-hat max {d['r_hat_max']:.3f}, "
        f"bulk ESS min {d['ess_bulk_min']:.0f}, divergences {d['divergences']}"
        if d["r_hat_max"] is not None and d["ess_bulk_min"] is not None
        else "MCMC: diagnostics could not be computed (see the warnings)"
    )
    emit("\n".join(lines), None)


@app.command("robustify")
@user_errors
def robustify(
    prior_file: Path = PRIOR_ARG,
    weight: float = typer.Option(
        ..., "--weight", "-w", help="Weight of the weakly informative component, e.g. 0.2."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Robustified prior file to write."),
    mean: float = typer.Option(
        0.5, "--mean", help="Beta priors: mean of the robust component (RBesT default 0.5)."
    ),
    n: float = typer.Option(
        1.0,
        "--n",
        help="Beta priors: the robust component is Beta(mean(n+1), (1-mean)(n+1)) "
        "(RBesT default n = 1: Beta(1, 1)).",
    ),
    target: float = typer.Option(
        None,
        "--target",
        help="BLRM priors: the robust component is N(logit(target), 2^2) "
        "x N(0, 1) on (log alpha, log beta) (default target 0.245).",
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Allow --out to be the input prior file."),
):
    """Add a weakly informative component with a stated weight (RBesT's robustify convention)."""
    from ..prior import read_prior, robustify_beta, robustify_bvn
    from ..prior.robust import BLRM_DEFAULT_TARGET

    check_output_path(out, "--out", "prior-robust.toml")
    _not_input(out, [prior_file], overwrite)
    prior = read_prior(prior_file)
    if prior.kind == "beta":
        if target is not None:
            raise fail("--target applies to BLRM priors only; beta priors take --mean and --n")
        mix = robustify_beta(prior.mixture, weight, mean=mean, n=n)
        info = {"weight": weight, "component": f"Beta({mix.a[-1]:g}, {mix.b[-1]:g})", "mean": mean, "n": n}
    else:
        t = BLRM_DEFAULT_TARGET if target is None else target
        mix = robustify_bvn(prior.mixture, weight, target=t)
        info = {"weight": weight, "component": "N(logit(target), 2^2) x N(0, 1)", "target": t}
    robust = prior.with_mixture(mix, robustified=info, robustified_from=str(prior_file))
    write_atomic(out, robust.dumps())
    emit("\n".join([f"robustified prior -> {out}", *_mixture_lines(robust)]), None)


@app.command("ess")
@user_errors
def ess_command(
    prior_file: Path = PRIOR_ARG,
    method: Method = typer.Option(
        Method.all, "--method", "-m", help="ESS method (RBesT's ess(): elir, moment, morita) or all."
    ),
    doses: str = typer.Option(
        None, "--doses", help="BLRM priors: doses at which the ESS of p(d) is computed, e.g. 1,2.5,5,10,25."
    ),
    design: Path = typer.Option(
        None, "--design", "-d", help="BLRM priors: take the doses from this design file."
    ),
    draws: int = typer.Option(4000, "--draws", help="BLRM priors: draws of p(d) per dose."),
    seed: int = typer.Option(1, "--seed", help="BLRM priors: random seed of the draws."),
    fmt: Format = FORMAT_OPTION,
    out: Path = typer.Option(None, "--out", "-o", help="Write to this file instead of the screen."),
):
    """Effective sample size of a prior (beta: ELIR, moment, Morita; BLRM: per dose of the implied p(d))."""
    from ..prior import ESS_METHODS, blrm_ess, ess, read_prior

    check_output_path(out, "--out", "ess.txt")
    prior = read_prior(prior_file)
    methods = ESS_METHODS if method is Method.all else (method.value,)
    if prior.kind == "beta":
        if doses is not None or design is not None:
            raise fail("--doses/--design apply to BLRM priors only")
        res = {m: ess(prior.mixture, m) for m in methods}
        if fmt is Format.json:
            emit(json.dumps({"prior": str(prior_file), "ess": res}, indent=2), out)
        else:
            emit("\n".join([*_mixture_lines(prior), *(f"ESS ({m}): {v:.2f}" for m, v in res.items())]), out)
        return
    if (doses is None) == (design is None):
        raise fail("give the doses of a BLRM prior: --doses 1,2.5,5 or --design DESIGN.toml (one of them)")
    if design is not None:
        from ..designs import Blrm
        from ..specfile import select_design

        chosen = select_design(design)
        if not isinstance(chosen, Blrm):
            raise SpecError(
                "design.kind", f"{design.name} is not a BLRM design", "give a BLRM design file or --doses"
            )
        dose_values = tuple(float(x) for x in chosen.dose_values)
    else:
        dose_values = number_list(doses, "--doses")
    if draws < 1000:
        raise fail("--draws: use at least 1000 draws of p(d) (default 20000)")
    rows = blrm_ess(prior.mixture, dose_values, prior.reference_dose, n_draws=draws, seed=seed)
    if fmt is Format.json:
        emit(
            json.dumps(
                {"prior": str(prior_file), "reference_dose": prior.reference_dose, "per_dose": rows}, indent=2
            ),
            out,
        )
        return
    lines = [
        *_mixture_lines(prior),
        f"ESS of the implied prior of p(d) (moment: its mean and variance by quadrature; elir, morita: of a "
        f"beta mixture fitted to {draws} draws):",
        "      dose   mean p(d)  " + "  ".join(f"{m:>8}" for m in methods),
    ]
    flagged = False
    for r in rows:
        cells = [f"{r[m]:8.2f}" + ("*" if r["at_bound"] and m != "moment" else " ") for m in methods]
        flagged |= r["at_bound"]
        lines.append(f"{r['dose']:10g}  {r['mean']:10.4f}  " + " ".join(cells))
    if flagged:
        lines.append(
            "* the implied prior piles up at 0 or 1 (a fitted beta component has a or b = 1): a beta "
            "mixture describes it poorly; read the moment ESS"
        )
    emit("\n".join(lines), out)


@app.command("plot")
@user_errors
def plot(
    prior_file: Path = PRIOR_ARG,
    out: Path = typer.Option(..., "--out", "-o", help="PNG file to write."),
    n: str = typer.Option(None, "--n", help="New data: patients (beta: one number; BLRM: one per dose)."),
    r: str = typer.Option(None, "--r", help="New data: events/DLTs (same shape as --n)."),
    doses: str = typer.Option(None, "--doses", help="BLRM priors: doses to show, e.g. 1,2.5,5,10,25."),
    seed: int = typer.Option(1, "--seed", help="BLRM priors: random seed of the draws of p(d)."),
):
    """Plot the prior and, given new data, its posterior (beta: exact; BLRM: per-dose intervals of p(d))."""
    from ..prior import read_prior
    from ..report.plots import figure_to_png_bytes
    from ..report.prior_plots import plot_beta_prior_posterior, plot_blrm_prior_posterior

    check_output_path(out, "--out", "prior.png")
    prior = read_prior(prior_file)
    ns, rs = _counts(n, "--n"), _counts(r, "--r")
    if (ns is None) != (rs is None):
        raise fail("give both --n and --r (the new data), or neither")
    if ns is not None and (len(ns) != len(rs) or any(y > x for x, y in zip(ns, rs, strict=True))):
        raise fail("--n and --r: give as many values each, with r <= n (events cannot exceed patients)")
    if prior.kind == "beta":
        if doses is not None:
            raise fail("--doses applies to BLRM priors only")
        if ns is not None and len(ns) != 1:
            raise fail("--n/--r: a beta prior takes one number each, e.g. --n 20 --r 5")
        fig = plot_beta_prior_posterior(
            prior.mixture, ns[0] if ns else None, rs[0] if rs else None, title=str(prior_file.name)
        )
    else:
        if doses is None:
            raise fail("--doses: a BLRM prior needs the doses to show, e.g. --doses 1,2.5,5,10,25")
        d = number_list(doses, "--doses")
        if ns is not None and len(ns) != len(d):
            raise fail(f"--n/--r: give one value per dose ({len(d)} doses)")
        fig = plot_blrm_prior_posterior(
            prior.mixture, d, prior.reference_dose, ns, rs, title=str(prior_file.name), seed=seed
        )
    write_bytes_atomic(out, figure_to_png_bytes(fig))
    emit(f"wrote {out}", None)


@app.command("write")
@user_errors
def write(
    prior_file: Path = PRIOR_ARG,
    design: Path = typer.Argument(..., help="BLRM design file (TOML) whose prior is replaced."),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Design file to write (the input is kept unless --overwrite)."
    ),
    name: str = typer.Option(None, "--name", help="Which design, when the file holds several [[designs]]."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Allow --out to be the input design file."),
):
    """Write a BLRM prior into a design file as [[design.prior]] blocks (comments are not kept)."""
    from ..prior import design_with_prior, read_prior

    check_output_path(out, "--out", "design-map.toml")
    _not_input(out, [design, prior_file], overwrite)
    prior = read_prior(prior_file)
    try:
        text = design.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise SpecError("file", f"{design} not found", "give the path of a BLRM design file") from None
    except (OSError, UnicodeDecodeError):
        raise SpecError("file", f"{design} cannot be read as UTF-8 text", "give a TOML design file") from None
    write_atomic(out, design_with_prior(text, prior, name=name, source=design.name))
    emit(f"wrote {out}: {prior.mixture.n_components} prior component(s) from {prior_file}", None)


@app.command("efftox")
@user_errors
def efftox(
    design: Path = typer.Argument(..., help="EffTox design file (TOML): given or elicited priors."),
    fmt: Format = FORMAT_OPTION,
    out: Path = typer.Option(None, "--out", "-o", help="Write to this file instead of the screen."),
):
    """EffTox priors (Thall et al. 2014): the six normal priors, their mean P(toxicity) and P(efficacy) per
    dose and each sub-model's effective sample size; with prior_tox, prior_eff and prior_ess in the design,
    the priors solved from them beside the elicited values."""
    from ..designs.efftox.prior import prior_moments
    from ..designs.efftox.spec import PARAMETERS, EffTox
    from ..specfile import select_design

    check_output_path(out, "--out", "efftox-prior.txt")
    chosen = select_design(design)
    if not isinstance(chosen, EffTox):
        raise SpecError(
            "design.kind", f"{design.name} is not an EffTox design", 'give a kind = "efftox" design'
        )
    m = prior_moments(chosen.x, chosen.prior_mean, chosen.prior_sd)
    found = chosen.elicited_prior
    doses = [float(x) for x in chosen.doses]
    if fmt is Format.json:
        data = {
            "design": chosen.name,
            "parameters": list(PARAMETERS),
            "prior_mean": list(chosen.prior_mean),
            "prior_sd": list(chosen.prior_sd),
            "doses": doses,
            "prior_mean_tox": m["tox_mean"].tolist(),
            "prior_mean_eff": m["eff_mean"].tolist(),
            "ess_tox": m["ess_tox"],
            "ess_eff": m["ess_eff"],
        }
        if found is not None:
            data["elicited"] = {
                "prior_tox": list(chosen.prior_tox),
                "prior_eff": list(chosen.prior_eff),
                "prior_ess": list(chosen.prior_ess)
                if isinstance(chosen.prior_ess, tuple)
                else chosen.prior_ess,
                "objective": found.objective,
            }
        emit(json.dumps(data, indent=2), out)
        return
    how = "elicited (Thall et al. 2014: penalised least squares, exact moments)" if found else "as given"
    lines = [f"{chosen.name}: normal priors {how}", f"{'parameter':<10}{'mean':>10}{'sd':>9}"]
    rows = zip(PARAMETERS, chosen.prior_mean, chosen.prior_sd, strict=True)
    lines += [f"{p:<10}{a:>10.4f}{s:>9.4f}" for p, a, s in rows]
    unit = f" ({chosen.dose_unit})" if chosen.dose_unit else ""
    head = f"{'dose' + unit:<14}{'E pi_T':>9}{'E pi_E':>9}"
    if found is not None:
        head += f"{'elicited T':>12}{'elicited E':>12}"
    lines += ["", head]
    for j, d in enumerate(doses):
        row = f"{d:<14g}{m['tox_mean'][j]:>9.3f}{m['eff_mean'][j]:>9.3f}"
        if found is not None:
            row += f"{chosen.prior_tox[j]:>12.3f}{chosen.prior_eff[j]:>12.3f}"
        lines.append(row)
    ess = "effective sample size (mean over doses of the moment-matched beta's a + b):\n"
    ess += f"toxicity {m['ess_tox']:.3f}, efficacy {m['ess_eff']:.3f}"
    if found is not None:
        target = chosen.prior_ess_pair
        ess += f" (target {target[0]:g}, {target[1]:g}; objective {found.objective:.3g})"
    lines += ["", ess]
    emit("\n".join(lines), out)
