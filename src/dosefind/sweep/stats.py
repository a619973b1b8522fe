"""Work-unit statistics: sums that add exactly across blocks of trials, and the summaries built from them.

A task simulates every design of a study on a run of scenarios for one block of trials. For each
(scenario, design) it keeps only sufficient statistics of the per-trial values (counts, sums and sums of
squares; the ones ``dosefind simulate`` reports come from the same reducer, :class:`dosefind.oc.sums.
TrialSums`), so any number of blocks combine by addition into exactly the operating characteristics of
:mod:`dosefind.oc.metrics`, :mod:`dosefind.oc.benchmark` and :mod:`dosefind.oc.paired` computed on the
whole run (same definitions, same MCSEs).

Per (scenario, design) statistics (``SCALARS``; T trials in the block):

* ``n``: T; ``none``, ``hit``, ``above``, ``early``, ``short``: counts of trials selecting no dose, a correct
  dose, a dose above the true MTD, stopping early for toxicity, ending with fewer than max_n patients;
* ``<x>_s`` / ``<x>_q``: sum and sum of squares of the per-trial patients (``ntot``), DLTs (``tox``),
  patients above the MTD (``nabove``) and fraction of patients above the MTD (``ptam``);
* ``b_hit``: trials where the optimal benchmark (same patients) selects a correct dose; ``b_cross``:
  trials where both the design and the benchmark do (for the paired delta-method MCSE of efficiency);
* timed studies: sum and sum of squares of the duration (``dur``), patients turned away (``turned``),
  days with accrual suspended (``susp``) and mean wait (``wait``) of each trial (0 when untimed), and
  per (scenario, design) a :class:`~dosefind.oc.calendar_sums.QuantileSketch` of the durations
  (``sketches``), which blocks merge exactly, for the duration's 10th, 50th and 90th percentiles.

Per dose (``VECTORS``): ``sel`` (times selected), ``n_s``/``n_q`` and ``t_s``/``t_q`` (sum and sum of
squares of patients and DLTs at the dose), ``b_sel`` (times the benchmark selects it), ``e_s``/``e_q``
(responses at the dose; phase I/II designs, 0 for the others, with ``etot_s``/``etot_q`` per trial).
The OBD metrics of phase I/II designs (:mod:`dosefind.oc.utility`) need nothing else: the OBD hits and
the true utility of the selected dose are functions of the selection counts.

Per compared pair of designs (a, b) and paired metric: ``d_s``/``d_q``, sum and sum of squares of the
per-trial difference a - b.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np

from ..engine import PosteriorCache, simulate_one
from ..engine.calendar import T_DURATION, T_MEAN_WAIT, T_SUSPENDED, T_TURNED_AWAY
from ..engine.rng import latent_uniforms
from ..oc.benchmark import accuracy_index, benchmark_selections, efficiency_from_counts
from ..oc.calendar_sums import QuantileSketch
from ..oc.metrics import DURATION_QUANTILES, correct_mask, included_doses
from ..oc.paired import PAIRED_METRICS, paired_row, per_trial_metrics
from ..oc.sums import SCALAR_SUMS, TrialSums
from .study import Task

SCALARS = (
    "n",
    *SCALAR_SUMS,  # the counts and sums oc.sums accumulates, in its order
    "ptam_s",
    "ptam_q",
    "b_hit",
    "b_cross",
    "dur_s",
    "dur_q",
    "turned_s",
    "turned_q",
    "susp_s",
    "susp_q",
    "wait_s",
    "wait_q",
    "etot_s",
    "etot_q",
)
VECTORS = ("sel", "n_s", "n_q", "t_s", "t_q", "b_sel", "e_s", "e_q")
#: paired metric -> the scalar statistics (count, or sum and sum of squares) of each design's values
PAIRED_SOURCES = {
    "correct_selection": ("hit", None),
    "select_above_mtd": ("above", None),
    "n_total": ("ntot_s", "ntot_q"),
    "tox_total": ("tox_s", "tox_q"),
    "n_above_mtd": ("nabove_s", "nabove_q"),
    "early_stop": ("early", None),
}
assert tuple(PAIRED_SOURCES) == PAIRED_METRICS

#: posterior caches kept per worker process (about 16 MB each for a 6-dose CRM), least recently used out
MAX_CACHES = 8
_caches: OrderedDict[str, tuple] = OrderedDict()


def _compiled_and_cache(design):
    """The compiled design and its posterior cache, kept across the tasks a worker runs."""
    key = design.config_hash()
    hit = _caches.get(key)
    if hit is None:
        compiled = design.compile()
        hit = (compiled, PosteriorCache.for_design(design, compiled))
        _caches[key] = hit
        while len(_caches) > MAX_CACHES:
            _caches.popitem(last=False)
    else:
        _caches.move_to_end(key)
    return hit


def compute_task(task: Task) -> dict[str, np.ndarray]:
    """Statistics of one task: ``scalars`` [S, K, len(SCALARS)], ``vectors`` [S, K, len(VECTORS), D],
    ``pairs`` [S, P, len(PAIRED_METRICS), 2] (S scenarios, K designs, P pairs, D doses)."""
    S, K, D, P = len(task.scenarios), len(task.designs), task.designs[0].n_doses, len(task.pairs)
    T = task.n_trials
    scal = np.zeros((S, K, len(SCALARS)), dtype=np.float64)
    vec = np.zeros((S, K, len(VECTORS), D), dtype=np.float64)
    pairs = np.zeros((S, P, len(PAIRED_METRICS), 2), dtype=np.float64)
    sketches = [[None] * K for _ in range(S)] if task.timing is not None else None
    prepared = [_compiled_and_cache(d) for d in task.designs]
    ix = {name: i for i, name in enumerate(SCALARS)}
    vx = {name: i for i, name in enumerate(VECTORS)}
    for si, scen in enumerate(task.scenarios):
        bench: dict[tuple, np.ndarray] = {}
        per_trial = []
        for k, design in enumerate(task.designs):
            res = simulate_one(
                design,
                scen,
                T,
                task.seed,
                first_trial=task.first_trial,
                compiled=prepared[k][0],
                cache=prepared[k][1],
                timing=task.timing,
            )
            m = per_trial_metrics(res, task.acceptable_band)
            included = included_doses(design)
            correct = correct_mask(scen.true_tox, design.target, task.acceptable_band, included)
            key = (design.target, design.max_n, included.tobytes())
            if key not in bench:
                u = latent_uniforms(task.seed, scen.key, T, design.max_n, first_trial=task.first_trial)
                bench[key] = benchmark_selections(u, scen.true_tox, design.target, included).astype(np.int64)
            b_sel = bench[key]
            b_hit = correct[b_sel].astype(np.float64)
            sums = TrialSums.for_design(design, scen.true_tox, task.acceptable_band, scenario=scen).add(res)
            common = sums.scalar  # the counts and sums simulate reports from, exact integers
            ptam_s, ptam_q = sums.ptam_sums()
            common["ptam_s"], common["ptam_q"] = float(ptam_s), float(ptam_q)
            row = scal[si, k]
            for name in SCALARS:
                if name in common:
                    row[ix[name]] = common[name]
            if res.time is not None:
                for name, col in (
                    ("dur", T_DURATION),
                    ("turned", T_TURNED_AWAY),
                    ("susp", T_SUSPENDED),
                    ("wait", T_MEAN_WAIT),
                ):
                    x = res.time[:, col]
                    row[ix[name + "_s"]] = x.sum()
                    row[ix[name + "_q"]] = (x * x).sum()
                sketches[si][k] = QuantileSketch().add(res.time[:, T_DURATION])
            row[ix["etot_s"]], row[ix["etot_q"]] = sums.etot
            row[ix["b_hit"]] = b_hit.sum()
            row[ix["b_cross"]] = (m["correct_selection"] * b_hit).sum()
            vrow = vec[si, k]
            for name in ("sel", "n_s", "n_q", "t_s", "t_q", "e_s", "e_q"):
                vrow[vx[name]] = getattr(sums, name)
            vrow[vx["b_sel"]] = np.bincount(b_sel, minlength=D)
            per_trial.append([m[name] for name in PAIRED_METRICS])
        for p, (a, b) in enumerate(task.pairs):
            for m in range(len(PAIRED_METRICS)):
                d = per_trial[a][m] - per_trial[b][m]
                pairs[si, p, m, 0] = d.sum()
                pairs[si, p, m, 1] = (d * d).sum()
    out = {"scalars": scal, "vectors": vec, "pairs": pairs}
    if sketches is not None:
        out["sketches"] = sketches
    return out


def add_stats(total: dict | None, part: dict) -> dict:
    """Two tasks' statistics of the same scenarios added (blocks of one chunk): arrays summed, sketches
    merged into ``total``'s (``total`` is updated; the first part read becomes it)."""
    if total is None:
        return part
    for k in total:
        if k == "sketches":
            for row, other in zip(total[k], part[k], strict=True):
                for a, b in zip(row, other, strict=True):
                    a.merge(b)
        else:
            total[k] = total[k] + part[k]
    return total


# ---- summaries from summed statistics ------------------------------------------------------------------
def _prop(count: float, T: float) -> tuple[float, float]:
    p = count / T
    return p, math.sqrt(max(p * (1.0 - p), 0.0) / T)


def _var(s: float, q: float, T: float) -> float:
    """Sample variance (ddof=1) from the sum and the sum of squares of T values (nan when T < 2)."""
    return max((q - s * s / T) / (T - 1), 0.0) if T >= 2 else float("nan")


def _mean(s: float, q: float, T: float) -> tuple[float, float]:
    return s / T, math.sqrt(_var(s, q, T) / T)


#: wide per-(scenario, design) metrics, each with a ``<name>_mcse`` column
#: the metrics of phase I/II designs (nan for the others; definitions in :mod:`dosefind.oc.utility`)
PHASE12_OC_METRICS = ("prob_select_obd", "mean_utility_selected", "mean_resp")
OC_METRICS = (
    "pcs",
    "prob_select_none",
    "prob_select_above_mtd",
    "prop_treated_above_mtd",
    "mean_n",
    "mean_tox",
    "prob_early_stop",
    "prob_stop_before_max_n",
    "mean_n_above_mtd",
    "benchmark_pcs",
    "prob_both_correct",
    "efficiency",
    "accuracy_index",
    "duration_days",
    "duration_days_q10",
    "duration_days_q50",
    "duration_days_q90",
    "mean_turned_away",
    "mean_days_suspended",
    "mean_wait_days",
    *PHASE12_OC_METRICS,
)
#: the duration's percentiles (from the merged sketches of a timed study)
QUANTILE_METRICS = DURATION_QUANTILES
#: the metrics a timed study adds (nan in an untimed one)
TIME_OC_METRICS = ("duration_days", "mean_turned_away", "mean_days_suspended", "mean_wait_days")
DOSE_COLUMNS = (
    "prob_select",
    "mean_n_at_dose",
    "mean_tox_at_dose",
    "benchmark_prob_select",
    "mean_resp_at_dose",
)


def summarize_unit(
    scal: np.ndarray,
    vec: np.ndarray,
    true_tox,
    target: float,
    band: float | None,
    included=None,
    timed: bool = False,
    phase12=None,
    sketch=None,
) -> tuple[dict, dict]:
    """(wide metrics with MCSE, per-dose columns with MCSE) from one (scenario, design)'s summed stats;
    the calendar metrics are nan unless ``timed`` (the duration's percentiles from ``sketch``, the merged
    :class:`~dosefind.oc.calendar_sums.QuantileSketch` of its durations); the OBD metrics are nan unless
    ``phase12`` (the true utility per dose and the correct-OBD mask, :class:`~dosefind.oc.sums.TrialSums`'s
    ``phase12``)."""
    s = dict(zip(SCALARS, (float(x) for x in scal), strict=True))
    vs = {name: vec[i] for i, name in enumerate(VECTORS)}
    T = s["n"]
    out: dict = {}

    def put(name, pair):
        out[name], out[name + "_mcse"] = pair

    put("pcs", _prop(s["hit"], T))
    put("prob_select_none", _prop(s["none"], T))
    put("prob_select_above_mtd", _prop(s["above"], T))
    put("prop_treated_above_mtd", _mean(s["ptam_s"], s["ptam_q"], T))
    put("mean_n", _mean(s["ntot_s"], s["ntot_q"], T))
    put("mean_tox", _mean(s["tox_s"], s["tox_q"], T))
    put("prob_early_stop", _prop(s["early"], T))
    put("prob_stop_before_max_n", _prop(s["short"], T))
    put("mean_n_above_mtd", _mean(s["nabove_s"], s["nabove_q"], T))
    put("benchmark_pcs", _prop(s["b_hit"], T))
    put("prob_both_correct", _prop(s["b_cross"], T))  # design and benchmark both correct (efficiency's MCSE)
    put("efficiency", efficiency_from_counts(s["hit"], s["b_hit"], s["b_cross"], int(T)))
    gap = np.abs(np.asarray(true_tox, dtype=np.float64) - target)
    if (gap if included is None else gap[np.asarray(included, dtype=bool)]).sum() > 0:
        put("accuracy_index", accuracy_index(vs["sel"] / T, true_tox, target, int(T), included))
    else:  # every dose at the target: the index is undefined
        put("accuracy_index", (math.nan, math.nan))
    for name, key in zip(TIME_OC_METRICS, ("dur", "turned", "susp", "wait"), strict=True):
        put(name, _mean(s[key + "_s"], s[key + "_q"], T) if timed else (math.nan, math.nan))
    for name, q in QUANTILE_METRICS:
        put(name, sketch.quantile(q) if timed and sketch is not None else (math.nan, math.nan))
    dose: dict = {}
    sel = vs["sel"] / T
    dose["prob_select"] = sel
    dose["prob_select_mcse"] = np.sqrt(np.maximum(sel * (1 - sel), 0.0) / T)
    for col, (a, b) in (("mean_n_at_dose", ("n_s", "n_q")), ("mean_tox_at_dose", ("t_s", "t_q"))):
        dose[col] = vs[a] / T
        var = np.maximum((vs[b] - vs[a] ** 2 / T) / (T - 1), 0.0) if T >= 2 else np.full_like(vs[a], np.nan)
        dose[col + "_mcse"] = np.sqrt(var / T)
    bs = vs["b_sel"] / T
    dose["benchmark_prob_select"] = bs
    dose["benchmark_prob_select_mcse"] = np.sqrt(np.maximum(bs * (1 - bs), 0.0) / T)
    dose["correct"] = correct_mask(true_tox, target, band, included)
    _phase12(out, dose, s, vs, phase12)
    return out, dose


def _phase12(out: dict, dose: dict, s: dict, vs: dict, phase12) -> None:
    """The OBD metrics through the one reducer's arithmetic (:meth:`TrialSums.values_and_mcse`), from the
    summed selection counts and responses; nan for a design without them."""
    D = vs["sel"].shape[0]
    if phase12 is None:
        for name in PHASE12_OC_METRICS:
            out[name], out[name + "_mcse"] = math.nan, math.nan
        dose["mean_resp_at_dose"] = np.full(D, math.nan)
        dose["mean_resp_at_dose_mcse"] = np.full(D, math.nan)
        dose["obd"] = np.zeros(D, dtype=bool)
        return
    sums = TrialSums(D, 1, np.zeros(D, bool), False, np.zeros(D, bool), phase12)
    sums.n = int(s["n"])
    sums.sel[:] = np.rint(vs["sel"]).astype(np.int64)
    sums.e_s[:] = np.rint(vs["e_s"]).astype(np.int64)
    sums.e_q[:] = np.rint(vs["e_q"]).astype(np.int64)
    sums.etot[:] = (int(round(s["etot_s"])), int(round(s["etot_q"])))
    values: dict = {}
    mcse: dict = {}
    sums._phase12_values(values, mcse)
    for name in PHASE12_OC_METRICS:
        out[name], out[name + "_mcse"] = values[name], mcse[name]
    dose["mean_resp_at_dose"] = np.asarray(values["mean_resp_at_dose"], dtype=float)
    dose["mean_resp_at_dose_mcse"] = np.asarray(mcse["mean_resp_at_dose"], dtype=float)
    dose["obd"] = np.asarray(phase12[1], dtype=bool)


def summarize_pair(scal_a: np.ndarray, scal_b: np.ndarray, pair: np.ndarray) -> list[dict]:
    """Rows (metric, mean_a, mean_b, diff, se_paired, se_unpaired, variance_ratio), as oc.paired."""
    ia = dict(zip(SCALARS, (float(x) for x in scal_a), strict=True))
    ib = dict(zip(SCALARS, (float(x) for x in scal_b), strict=True))
    T = ia["n"]
    rows = []
    for m, metric in enumerate(PAIRED_METRICS):
        s_name, q_name = PAIRED_SOURCES[metric]
        sa, sb = ia[s_name], ib[s_name]
        qa = ia[q_name] if q_name else sa  # indicators: x² = x
        qb = ib[q_name] if q_name else sb
        var_d = _var(pair[m, 0], pair[m, 1], T)
        row = paired_row(sa / T, sb / T, pair[m, 0] / T, _var(sa, qa, T), _var(sb, qb, T), var_d, int(T))
        rows.append(
            dict(
                metric=metric,
                mean_a=row["design_a"],
                mean_b=row["design_b"],
                **{k: row[k] for k in ("diff", "se_paired", "se_unpaired", "variance_ratio")},
            )
        )
    return rows
