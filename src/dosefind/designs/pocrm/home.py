"""PO-CRM above the engine: its reason codes as sentences (with the ordering the model step used, read
from the decision's own kernels), its posterior table mixed over orderings, its PyMC model with the
ordering summed out (:mod:`.pymc_model`), and how its tied or drawn orderings split pathways (the spec:
:mod:`.spec`; the kernels: ``engine/pocrm.py``). Built on the CRM's home for the model under one
ordering."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...constants import CREDIBLE_MASS, Reason
from ...errors import DataError, SpecError
from ...inference.summary import OrderingSummary, PosteriorTable, check_counts
from .. import layout as L
from ..crm.home import b_cdf
from ..home import DesignHome
from .spec import PoCrm

R = Reason
REASONS = (R.POCRM_STAGE1, R.POCRM_ALL_DLT, R.POCRM_MODEL, R.POCRM_STOP_N)


class PoCrmHome(DesignHome):
    estimates_untried = True

    def reason_codes(self, design):
        return REASONS

    def explain(self, design: PoCrm, reason, n_at, tox_at, cur, proposed, detail=None):
        """The stage, or the model's choice with the ordering it was made under (``detail``: the
        :class:`OrderingChoice` of :meth:`decision_detail`)."""
        lab = design.doses
        if reason == R.POCRM_STAGE1:
            return f"stage 1, no DLT so far: the next cell of the start-up path, cell {lab[proposed]}"
        if reason == R.POCRM_ALL_DLT:
            return (
                "stage 1: every patient so far had a DLT and the likelihood needs one without: stay at "
                f"cell {lab[proposed]}"
            )
        if reason == R.POCRM_MODEL:
            if detail is not None:
                return f"{explain_ordering(design, detail)}: cell {lab[proposed]}"
            which = "the most probable ordering" if design.ordering_choice == "max" else "the ordering drawn"
            return (
                f"under {which}, the model's estimated DLT probability is closest to the target "
                f"{design.target:g} at cell {lab[proposed]}"
            )
        if reason == R.POCRM_STOP_N:
            if detail is not None:  # stage 2: the model chose the cell
                return (
                    f"{explain_ordering(design, detail)}; cell {lab[proposed]}, chosen next, already has "
                    f"{int(n_at[proposed])} patients (stop_n = {design.stop_n}): stop"
                )
            most = int(np.argmax(n_at))
            return (
                f"stage 1: cell {lab[most]} has {int(n_at[most])} patients, more than "
                f"stop_n = {design.stop_n}: stop"
            )
        return None

    def decision_detail(self, design: PoCrm, compiled, n_at, tox_at, step, fast_table):
        if step.base_reason not in (R.POCRM_MODEL, R.POCRM_STOP_N):
            return None
        return pocrm_ordering_choice(compiled, design, n_at, tox_at, step.u_tie, step.base_next)

    def detail_json(self, design, detail):
        return {} if detail is None else {"ordering": detail.to_dict(design)}

    def posterior_table(self, design: PoCrm, n_at, tox_at):
        return pocrm_posterior_table(design, n_at, tox_at)

    def model_line(self, design: PoCrm) -> str:
        return pocrm_model_line(design)

    def check_has_posterior(self, design: PoCrm) -> None:
        """A PO-CRM by maximum likelihood (the pocrm package) has no prior, hence nothing to sample."""
        if design.estimation != "bayes":
            raise SpecError(
                "estimation",
                'a PO-CRM with estimation = "likelihood" has no prior, hence no posterior to sample',
                "use the fast posterior (--posterior fast) for its maximum-likelihood estimates, or "
                'estimation = "bayes" for a posterior',
            )

    def pymc_model(self, design: PoCrm, n_at, tox_at):
        from .pymc_model import build_pocrm_model

        return build_pocrm_model(design, n_at, tox_at)

    def columns_from_draws(self, design: PoCrm, n_at, tox_at, idata):
        self.check_has_posterior(design)
        columns, extra, orderings, warnings = pocrm_columns(design, n_at, tox_at, idata)
        return ["b"], columns, extra, orderings, warnings

    def no_table_reason(self, design) -> str:
        return (
            "PO-CRM has no decision table: its next cell depends on the data at every cell of the grid "
            "(through the model fitted under each ordering), not only at the current one"
        )

    def choice_uniforms(self, ctx, n_at, tox_at):
        return pocrm_uniforms(ctx, n_at, tox_at)

    def root_choice(self, design: PoCrm):
        from ...paths.pathways import RandomChoice

        if design.ordering_choice == "random":
            return RandomChoice.ORDERING_DRAW
        return RandomChoice.TIED_ORDERINGS


# ---- the ordering a decision used (live explanations) ----------------------------------------------
@dataclass(frozen=True)
class OrderingChoice:
    """The ordering a PO-CRM decision used and the numbers behind it (read by
    :func:`dosefind.live.recommend.pocrm_ordering_choice` from the decision kernels themselves)."""

    index: int  #: 0-based position in ``design.orderings``
    name: str  #: the typical ordering's name, else "ordering m"
    prob: float  #: posterior probability (likelihood estimation: weight prior x maximised likelihood)
    randomised: bool  #: drawn with its probability (``ordering_choice = "random"``)
    #: orderings tied as the most probable (0-based, the chosen one included; () if none)
    tied: tuple[int, ...]
    u_tie: float  #: the decision's tie-breaking uniform
    cell: int  #: 0-based cell the model chose under this ordering
    estimate: float  #: the estimate the design chooses by at that cell (plug-in, or at the MLE)
    b_hat: float  #: posterior mean of b under the ordering (likelihood: log of the MLE of the power)

    def to_dict(self, design) -> dict:
        return {
            "index": self.index + 1,
            "name": self.name,
            "prob": self.prob,
            "randomised": self.randomised,
            "tied": [m + 1 for m in self.tied],
            "u_tie": self.u_tie,
            "cell": design.doses[self.cell],
            "estimate": self.estimate,
            "b_hat": self.b_hat,
        }


def ordering_name(choice: OrderingChoice) -> str:
    plain = f"ordering {choice.index + 1}"
    return plain if choice.name == plain else f"{plain} ({choice.name})"


def explain_ordering(design, choice: OrderingChoice) -> str:
    """Which ordering the model step used, how it was chosen, and the estimate it chose the cell by."""
    lab = design.doses
    bayes = design.estimation == "bayes"
    word = "posterior probability" if bayes else "weight"
    note = "" if bayes else ", prior x maximised likelihood"
    name = ordering_name(choice)
    u = f"u_tie = {choice.u_tie:.4f} (derived from the data's content hash)"
    if choice.randomised:
        how = (
            f"{name} was drawn at random with its {word} ({choice.prob:.3f}{note}; "
            f'ordering_choice = "random"): {u}'
        )
    elif len(choice.tied) > 1:
        numbers = [str(m + 1) for m in choice.tied]
        listed = ", ".join(numbers[:-1]) + f" and {numbers[-1]}"
        how = (
            f"orderings {listed} are the most probable, tied ({word} {choice.prob:.3f} each{note}); the tie "
            f"is broken at random: {u} chose {name}"
        )
    else:
        how = f"{name} is the most probable ({word} {choice.prob:.3f}{note})"
    which = "plug-in" if bayes else "maximum likelihood"
    return (
        f"{how}; under it the estimated P(DLT) ({which}) at cell {lab[choice.cell]} = "
        f"{choice.estimate:.3f} is closest to the target {design.target:g}"
    )


def pocrm_ordering_choice(
    compiled, design: PoCrm, n_at, tox_at, u_tie: float, cell: int
) -> OrderingChoice | None:
    """The ordering PO-CRM's model step used after the last cohort, read from the decision's own kernels.

    ``fit_orderings`` and ``choose_ordering`` (:mod:`dosefind.engine.pocrm`) are run on the compiled design
    the replay decided with, on the same state and uniform, so the ordering is the one the decision took;
    the orderings tied as the most probable are those ``choose_ordering`` picks as ``u_tie`` runs over M
    equally spaced values (it picks the ``int(u * n_tied)``-th of them). Probabilities are the normalised
    weights ``pocrm_posterior_summary`` reports. None when the model took no step (stage 1) or, never
    expected, when the ordering's cell is not ``cell``, the cell the decision proposed.
    """
    from ...engine.pocrm import choose_ordering, closest_cell, fit_orderings

    ip, fp, grid = compiled.ip, compiled.fp, compiled.grid
    n_at = np.ascontiguousarray(n_at, dtype=np.int64)
    tox_at = np.ascontiguousarray(tox_at, dtype=np.int64)
    n_tox, n_total = int(tox_at.sum()), int(n_at.sum())
    if n_tox == 0 or (design.estimation != "bayes" and n_tox == n_total):
        return None
    M = len(design.orderings)
    W = max(int(ip[L.IP_POCRM_N_NODES]), 1)
    work = np.zeros(int(ip[L.IP_POCRM_WORK]))
    fit_orderings(ip, fp, grid, n_at, tox_at, work)
    randomised = design.ordering_choice == "random"
    m = int(choose_ordering(ip, work, float(u_tie), randomised))
    b_hat = float(work[W + M + m])
    if int(closest_cell(ip, fp, grid, m, b_hat)) != cell:  # pragma: no cover - the decision's own kernels
        return None
    logw = work[W : W + M].copy()
    prob = np.exp(logw - logw.max())
    prob /= prob.sum()
    tied: tuple[int, ...] = ()
    if not randomised:
        picks = [int(choose_ordering(ip, work, (i + 0.5) / M, False)) for i in range(M)]
        tied = tuple(sorted(set(picks))) if len(set(picks)) > 1 else ()
    estimate = float(design.alpha()[m, cell] ** math.exp(b_hat))
    return OrderingChoice(
        m, design.ordering_names()[m], float(prob[m]), randomised, tied, float(u_tie), cell, estimate, b_hat
    )


# ---- posterior table ---------------------------------------------------------------------------------
def ordering_summaries(design: PoCrm, prob, b_hat, mean_by_ordering, plugin) -> tuple[OrderingSummary, ...]:
    """One :class:`OrderingSummary` per ordering (shared by the fast and the PyMC table)."""
    names = design.ordering_names()
    return tuple(
        OrderingSummary(
            m,
            names[m],
            tuple(design.orderings[m]),
            float(design.ordering_prior[m]),
            float(prob[m]),
            float(b_hat[m]),
            np.asarray(mean_by_ordering[m]).copy(),
            plugin[m].copy(),
        )
        for m in range(len(design.orderings))
    )


#: Orderings whose posterior probabilities agree to this relative tolerance are reported as tied.
ORDERING_TIE_REL = 1e-9


def pocrm_posterior_table(design: PoCrm, n_at, tox_at) -> PosteriorTable:
    """PO-CRM: the model's posterior, averaged over the orderings, from the engine's quadrature.

    :func:`~dosefind.engine.pocrm.pocrm_posterior_summary` gives each ordering's posterior probability,
    estimate of b and posterior mean of every cell's DLT probability. The table's ``mean`` is the
    model-averaged posterior mean (sum over orderings m of P(m | data) E[p_c | m, data]); ``extra``
    holds ``plugin``, s[rank_m(c)] ** exp(E[b | m, data]) under the most probable ordering m (the
    estimates the design chooses cells by; lowest ordering on ties), and ``mean_most_probable_ordering``,
    E[p_c | m, data] under that ordering; ``orderings`` lists every ordering's numbers.

    Under ordering m the model is a CRM (empiric, the design's skeleton and prior) on the cells ranked
    by m, so P(p_c > target | m) comes from that CRM's posterior (the engine's quadrature and tail
    rule) and the posterior CDF of b under m from the dense grid of :func:`crm_posterior_table`.
    P(p_c > target) and the interval are those of the mixture over orderings: the interval ends solve
    sum_m P(m | data) P(p_c <= x | m, data) = tail probability, by bisection on log(-log x) (p_c is
    s ** exp(b), decreasing in b). Excluded cells are nan.

    With ``estimation = "likelihood"`` (the pocrm package) there is no posterior: ``method`` is
    "likelihood", ``mean`` averages the maximum-likelihood estimates over the orderings with their
    weights (prior x maximised likelihood), and the interval and P(p_c > target) are nan. Before the data
    have a patient with a DLT and one without, the estimate of the power sits on the edge of its range
    (every p_c near 0, or 1) and the design does not use it: ``mean`` and ``extra`` are then nan, with a
    warning (``orderings`` keep the raw numbers).
    """
    from ...engine.pocrm import pocrm_posterior_summary
    from ...engine.posterior import crm_posterior_summary

    n_at, tox_at = check_counts(design, n_at, tox_at)
    s = pocrm_posterior_summary(design, n_at, tox_at)
    M, D = len(design.orderings), design.n_doses
    prob, b_hat, best = s["ordering_prob"], s["b_hat"], s["ordering"]
    alpha = design.alpha()  # [M, D], nan for excluded cells
    included = ~design.grid.excluded_mask
    plugin = np.full((M, D), np.nan)
    for m in range(M):  # as pocrm_posterior_summary forms its plug-in (nan stays nan if b_hat = -inf)
        plugin[m, included] = alpha[m, included] ** math.exp(b_hat[m])
    orderings = ordering_summaries(design, prob, b_hat, s["mean_by_ordering"], plugin)
    extra = {"plugin": plugin[best].copy(), "mean_most_probable_ordering": s["mean"].copy()}
    warnings = ordering_tie_warning(design, n_at, tox_at, prob, best)
    nan = np.full(D, np.nan)
    if design.estimation != "bayes":
        mean = s["model_averaged"]
        n_tox = int(tox_at.sum())
        if n_tox == 0 or n_tox == int(n_at.sum()):  # the MLE sits on the edge of its range: no estimate
            mean = nan.copy()
            extra = {k: nan.copy() for k in extra}
            warnings = (
                "no maximum-likelihood estimates yet: they need a patient with a DLT and one without "
                "(until then the design follows its stage-1 path)",
            )
        return PosteriorTable(
            method="likelihood",
            model=pocrm_model_line(design),
            target=design.target,
            mean=mean,
            lower=nan,
            upper=nan.copy(),
            prob_above_target=nan.copy(),
            extra=extra,
            warnings=warnings,
            orderings=orderings,
        )
    crm = design._crm()  # the design's CRM over the skeleton: the model under each ordering
    ranks = design.ranks()[:, included]  # [M, R]
    R = ranks.shape[1]
    above = np.zeros(R)
    log_neg_log_alpha = np.log(-np.log(alpha[:, included]))  # [M, R]
    cdfs = []
    for m in range(M):
        n_r = np.zeros(R, dtype=np.int64)
        y_r = np.zeros(R, dtype=np.int64)
        n_r[ranks[m]] = n_at[included]
        y_r[ranks[m]] = tox_at[included]
        cs = crm_posterior_summary(crm, n_r, y_r)
        above += prob[m] * cs["prob_above_target"][ranks[m]]
        cdfs.append(b_cdf(crm, n_r, y_r, cs["mean_b"], cs["var_b"]))

    def below(t):
        """P(p_c <= exp(-exp(t[c])) | data) for every included cell c: decreasing in t."""
        out = np.zeros(R)
        for m, (b, cdf) in enumerate(cdfs):
            out += prob[m] * (1.0 - np.interp(t - log_neg_log_alpha[m], b, cdf, left=0.0, right=1.0))
        return out

    tail = (1.0 - CREDIBLE_MASS) / 2
    start_lo = np.min([b[0] + log_neg_log_alpha[m] for m, (b, _) in enumerate(cdfs)], axis=0)
    start_hi = np.max([b[-1] + log_neg_log_alpha[m] for m, (b, _) in enumerate(cdfs)], axis=0)
    ends = []
    for q in (tail, 1.0 - tail):  # lower end, upper end
        lo, hi = start_lo.copy(), start_hi.copy()  # below(lo) = 1 >= q >= 0 = below(hi)
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            high = below(mid) >= q
            lo = np.where(high, mid, lo)
            hi = np.where(high, hi, mid)
        ends.append(np.exp(-np.exp(0.5 * (lo + hi))))
    lower, upper, prob_above = nan.copy(), nan.copy(), nan.copy()
    lower[included], upper[included], prob_above[included] = ends[0], ends[1], above
    return PosteriorTable(
        method="quadrature",
        model=pocrm_model_line(design),
        target=design.target,
        mean=s["model_averaged"],
        lower=lower,
        upper=upper,
        prob_above_target=prob_above,
        extra=extra,
        warnings=warnings,
        orderings=orderings,
    )


def ordering_tie_warning(design: PoCrm, n_at, tox_at, prob, best) -> tuple[str, ...]:
    """When the model decides (a DLT seen; with likelihood estimation also a patient without one) and
    several orderings are the most probable, the plug-in column is under the first of them only."""
    n_tox, n_total = int(tox_at.sum()), int(n_at.sum())
    if n_tox == 0 or (design.estimation != "bayes" and n_tox == n_total):
        return ()
    tied = np.flatnonzero(prob >= prob[best] * (1.0 - ORDERING_TIE_REL))
    if tied.size < 2:
        return ()
    listed = ", ".join(str(m + 1) for m in tied[:-1]) + f" and {tied[-1] + 1}"
    return (
        f"orderings {listed} are equally probable on these data ({prob[best]:.3f} each): the plug-in "
        f"column is under ordering {best + 1}; the design breaks such ties at random, so its decision may "
        "rest on another of them, whose estimates may differ at untried cells (each ordering's estimates: "
        "posterior.orderings in the JSON output)",
    )


def pocrm_model_line(design: PoCrm) -> str:
    """One line naming the PO-CRM model (Bayes or maximum likelihood) and how the table summarises it."""
    M = len(design.orderings)
    sk = ", ".join(f"{x:g}" for x in design.skeleton)
    prior = design.ordering_prior
    if max(prior) - min(prior) <= 1e-12:
        orders = f"{M} orderings, equally likely a priori"
    else:
        orders = f"{M} orderings, prior [" + ", ".join(f"{x:g}" for x in prior) + "]"
    if design.estimation == "bayes":
        return (
            f"PO-CRM (p_c = s_r^exp(b), r = rank of cell c in the ordering; {orders}), skeleton [{sk}], "
            f"b ~ Normal(0, {design.prior_sd:.4g}^2); averaged over orderings, plug-in under the most "
            "probable"
        )
    return (
        f"PO-CRM by maximum likelihood (p_c = s_r^a, r = rank of cell c in the ordering; {orders}, "
        f"weighted by prior x maximised likelihood), skeleton [{sk}]; estimates averaged over orderings, "
        "plug-in under the most probable; no posterior, so no interval or P(> target)"
    )


# ---- the PyMC back end's table -------------------------------------------------------------------------
def weighted_quantiles(values: np.ndarray, weights: np.ndarray, probs) -> np.ndarray:
    """Quantiles of the discrete distribution putting ``weights`` (summing to 1) on ``values`` (1-D): the
    smallest value whose cumulative weight reaches each probability (the inverse of the step CDF)."""
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    idx = np.searchsorted(cum, np.asarray(probs, dtype=float) * cum[-1], side="left")
    return values[order][np.minimum(idx, values.size - 1)]


def pocrm_columns(design: PoCrm, n_at, tox_at, idata):
    """PO-CRM's table from the draws of b (the ordering summed out; see :mod:`.pymc_model`).

    With w_m(b) = P(m | b, data) and p_mc(b) = s[rank_m(c)] ** exp(b)
    (:func:`~dosefind.designs.pocrm.pymc_model.ordering_curves`), every column is a posterior expectation,
    Rao-Blackwellised over the ordering: P(m | data) = E[w_m]; E[b | m] = E[w_m b] / E[w_m]; E[p_c | m] =
    E[w_m p_mc] / E[w_m]; the table's mean E[sum_m w_m p_mc] (mixed over orderings); P(p_c > target) =
    E[sum_m w_m 1{p_mc > target}]; the interval ends are quantiles of the mixture that puts weight
    w_m(b_i) / N on p_mc(b_i) for every draw i and ordering m. ``extra`` has the fast table's ``plugin``
    (s[rank_m(c)] ** exp(E[b | m]) under the most probable ordering m) and
    ``mean_most_probable_ordering``, and the MCSEs: ArviZ's mean MCSE of the per-draw values averaged
    above, and for each interval end ArviZ's quantile MCSE carried over to the mixture (the effective
    sample size of the per-draw probability sum_m w_m 1{p_mc <= end}, the Beta interval of that ESS, its
    ends read from the mixture). Excluded cells are nan.
    """
    import arviz as az

    from .pymc_model import ordering_curves

    b = np.asarray(idata.posterior["b"].values, dtype=float)
    if b.ndim != 2:
        raise DataError(
            f"the draws of b have shape {b.shape}, expected (chains, draws); sample them with "
            "sample_posterior for this design"
        )
    w, p = ordering_curves(design, n_at, tox_at, b)  # [C, S, M], [C, S, M, D]
    included = ~design.grid.excluded_mask
    p_in = p[..., included]  # [C, S, M, R]
    M, D = w.shape[-1], design.n_doses
    N = b.size
    prob = w.reshape(N, M).mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):  # an ordering of probability 0 has no estimate
        b_hat = (w * b[..., None]).reshape(N, M).mean(axis=0) / prob
        by_ordering = np.full((M, D), np.nan)
        by_ordering[:, included] = (w[..., None] * p_in).reshape(N, M, -1).mean(axis=0) / prob[:, None]
    mixed = (w[..., None] * p_in).sum(axis=2)  # [C, S, R]
    above = (w[..., None] * (p_in > design.target)).sum(axis=2)
    tail = (1.0 - CREDIBLE_MASS) / 2
    values = p_in.reshape(N * M, -1)
    weights = w.reshape(N * M) / N
    R = values.shape[1]
    ends = np.array([weighted_quantiles(values[:, r], weights, (tail, 1.0 - tail)) for r in range(R)])

    def mcse_mean(x):  # [C, S, R] -> [R]
        return np.asarray(az.mcse(az.convert_to_dataset({"x": x}), method="mean")["x"].values, dtype=float)

    def mcse_end(r, q, end):
        """ArviZ's quantile MCSE (mcse(method="quantile")) with the mixture in place of the sorted draws."""
        from scipy.special import betaincinv

        below = (w * (p_in[..., r] <= end)).sum(axis=2)  # [C, S]
        ess = float(np.asarray(az.ess(az.convert_to_dataset({"x": below}), method="mean")["x"].values))
        if not math.isfinite(ess):
            return math.nan
        lo, hi = betaincinv(ess * q + 1, ess * (1 - q) + 1, np.array([0.1586553, 0.8413447]))
        th1, th2 = weighted_quantiles(values[:, r], weights, (lo, hi))
        return (th2 - th1) / 2

    def full(x):
        out = np.full(D, np.nan)
        out[included] = x
        return out

    extra: dict[str, np.ndarray] = {}
    best = int(np.argmax(prob))
    alpha = design.alpha()
    plugin = np.full((M, D), np.nan)
    for m in range(M):
        if math.isfinite(b_hat[m]):
            plugin[m, included] = alpha[m, included] ** math.exp(b_hat[m])
    extra["plugin"] = plugin[best].copy()
    extra["mean_most_probable_ordering"] = by_ordering[best].copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        extra["mcse_mean"] = full(mcse_mean(mixed))
        extra["mcse_prob_above_target"] = full(np.nan_to_num(mcse_mean(above), nan=0.0))
        extra["mcse_lower"] = full([mcse_end(r, tail, ends[r, 0]) for r in range(R)])
        extra["mcse_upper"] = full([mcse_end(r, 1.0 - tail, ends[r, 1]) for r in range(R)])
    orderings = ordering_summaries(design, prob, b_hat, by_ordering, plugin)
    columns = (
        full(mixed.reshape(N, -1).mean(axis=0)),
        full(ends[:, 0]),
        full(ends[:, 1]),
        full(above.reshape(N, -1).mean(axis=0)),
    )
    warnings = ordering_tie_warning(design, n_at, tox_at, prob, best)
    return columns, extra, orderings, warnings


# ---- pathways ------------------------------------------------------------------------------------------
def pocrm_uniforms(ctx, n_at, tox_at):
    """The orderings the kernel may take as intervals of u_tie, read from the kernel itself: the ordering
    weights ``fit_orderings`` computes for these counts and ``choose_ordering``'s picks."""
    from ...engine.pocrm import choose_ordering, fit_orderings
    from ...paths.pathways import NO_CHOICE, RandomChoice

    c = ctx.compiled
    ip = c.ip
    work = np.zeros(int(ip[L.IP_POCRM_WORK]))
    fit_orderings(ip, c.fp, c.grid, np.asarray(n_at, np.int64), np.asarray(tox_at, np.int64), work)
    M = int(ip[L.IP_POCRM_N_ORDERINGS])
    W = max(int(ip[L.IP_POCRM_N_NODES]), 1)
    logw = [float(x) for x in work[W : W + M]]
    top = max(logw)
    if not math.isfinite(top):
        return NO_CHOICE
    if int(ip[L.IP_POCRM_ORDERING_CHOICE]) == 1:  # ordering m for u in [acc_(m-1), acc_m)
        total = sum(math.exp(x - top) for x in logw)
        out = []
        lo = 0.0
        for m in range(M):
            hi = 1.0 if m == M - 1 else lo + math.exp(logw[m] - top) / total
            if hi > lo:
                mid = 0.5 * (lo + hi)
                out.append((mid if lo < mid < hi else lo, hi - lo))
            lo = max(lo, hi)
        return RandomChoice.ORDERING_DRAW, tuple(out)
    # the most probable orderings, tied: the int(u * m)-th of the m tied ones; m <= M, so M equally
    # spaced uniforms see each of them
    m = len({int(choose_ordering(ip, work, (i + 0.5) / M, False)) for i in range(M)})
    return RandomChoice.TIED_ORDERINGS, tuple(((i + 0.5) / m, 1.0 / m) for i in range(m))
