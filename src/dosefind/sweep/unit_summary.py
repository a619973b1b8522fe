"""Summaries of a finished sweep of arms, platforms and baskets (:mod:`dosefind.sweep.units`).

The folder's tidy tables (``arm_oc``, ``platform_oc``, ``basket_oc``: one row per subject, scenario,
metric and level) are spread into one row per subject and scenario (and per cohort or arm), the metric's
value and its MCSE side by side: every number is the folder's own, unchanged. Across scenarios, an arm's
averages weigh its scenarios equally and combine their MCSEs as :mod:`dosefind.sweep.summary` does
(independent simulations: se = sqrt(Σ mcse²) / S); a basket design's worst per-cohort type I error and
lowest power are single cells of the table (with their scenario, cohort and MCSE; a maximum over many
noisy cells leans high).

Tables (pandas DataFrames, keys first, then each metric and ``<metric>_mcse``):

* ``arms`` (arm): scenarios, mean P(correct selection), P(no dose), P(any cohort go), patients, DLTs and
  (timed arms) duration over its scenarios; mean rank on P(correct selection) among the arms that share
  a scenario (1 = best) and the share of those scenarios where it is best.
* ``arm_scenarios`` (arm, scenario) and ``arm_cohorts`` (arm, scenario, cohort): arm_oc's metrics.
* ``platforms`` (platform, scenario): duration, children screened, treated, not matched.
* ``platform_arms`` (platform, arm, scenario) and ``platform_cohorts`` (platform, arm, scenario, cohort).
* ``basket_designs`` (basket, design): FWER under the global null (the first scenario whose cohorts are
  all at or below q0), the worst per-cohort type I error and the lowest per-cohort power over the
  scenarios.
* ``basket_scenarios`` (basket, scenario, design): cohorts at the null, FWER, P(any go), patients.
* ``basket_cohorts`` (basket, scenario, design, cohort): true rate q, q0, role (null: q <= q0, type I
  error; active: power), P(go), stops, patients, bias, MSE.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ..errors import DataError
from .store import MANIFEST
from .summary import _mc_mean, _pandas, read_table
from .units import TABLES

#: what each kind's summary tables are called, in order
SUMMARY_TABLES = {
    "arm": ("arms", "arm_scenarios", "arm_cohorts"),
    "platform": ("platforms", "platform_arms", "platform_cohorts"),
    "basket": ("basket_designs", "basket_scenarios", "basket_cohorts"),
}
ARM_METRICS = (
    "prob_select_correct",
    "prob_select_none",
    "prob_open",
    "prob_any_active",
    "prob_safety_stop",
    "mean_escalation_n",
    "mean_extension_n",
    "mean_total_n",
    "mean_total_tox",
    "duration_days",
    "duration_days_q50",
)
ARM_COHORT_METRICS = (
    "prob_active",
    "prob_futile",
    "prob_cohort_safety_stop",
    "prob_active_if_open",
    "mean_new_n",
    "mean_counted",
    "true_response_at_selected",
    "decision_day",
)
#: averaged over an arm's scenarios in ``arms``
ARM_AVERAGED = (
    "prob_select_correct",
    "prob_select_none",
    "prob_any_active",
    "mean_total_n",
    "mean_total_tox",
)
PLATFORM_METRICS = (
    "duration_days",
    "duration_days_q90",
    "mean_screened",
    "mean_treated",
    "mean_not_matched",
    "share_not_matched",
    "prob_truncated",
)
PLATFORM_ARM_METRICS = (
    "open_day",
    "rp2d_day",
    "days_to_rp2d",
    "days_to_rp2d_q90",
    "prob_select_none",
    "mean_matched",
    "mean_escalation_n",
    "mean_extension_n",
    "prob_open",
    "extension_open_day",
    "prob_safety_stop",
    "close_day",
    "arm_duration_days",
)
PLATFORM_COHORT_METRICS = (
    "prob_go",
    "prob_futile",
    "prob_cohort_safety_stop",
    "mean_new_n",
    "mean_counted",
    "decision_day",
)
BASKET_METRICS = ("fwer", "prob_any_go", "mean_total_n")
BASKET_COHORT_METRICS = ("prob_go", "prob_stop_futility", "prob_stop_efficacy", "mean_n", "bias", "mse")


def read_manifest(folder: str | Path) -> dict:
    """The manifest of a finished sweep folder (of designs or of units)."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.exists():
        raise DataError(f"{folder}: no {MANIFEST}; give the --out folder of `dosefind sweep`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise DataError(
            f"{path}: not readable ({type(e).__name__}); give the --out folder of `dosefind sweep`"
        ) from None
    if not manifest.get("complete"):
        raise DataError(
            f"{folder}: the sweep is not finished ({manifest.get('study', {}).get('name')!r}); "
            "run the same `dosefind sweep` command again to finish it"
        )
    return manifest


def is_unit_folder(manifest: dict) -> bool:
    return manifest.get("study", {}).get("kind") == "units"


def read_units(folder: str | Path) -> dict:
    """The manifest and the tables of a finished sweep of arms, platforms and baskets: ``arm_oc``,
    ``platform_oc``, ``basket_oc`` (those of the kinds the study has) and ``units``."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    if not is_unit_folder(manifest):
        raise DataError(
            f"{folder}: a sweep of designs, not of arms, platforms and baskets; read it with "
            "dosefind.sweep.summary.read_dataset"
        )
    out = {"manifest": manifest}
    outputs = set(manifest.get("outputs", []))
    for table in (*TABLES.values(), "units"):
        if f"{table}.parquet" in outputs:
            out[table] = read_table(folder / f"{table}.parquet")
    return out


def units_provenance(manifest: dict) -> dict:
    """What a summary says about the sweep it summarizes."""
    keys = ("version", "study_hash", "seed", "n_trials", "n_units", "n_arm_units")
    keys += ("n_platform_units", "n_basket_units")
    return {"study": manifest["study"]["name"], **{k: manifest[k] for k in keys if k in manifest}}


# ---- spreading tidy rows ---------------------------------------------------------------------------------
def _spread(df, keys: tuple[str, ...], metrics: tuple[str, ...], order=None):
    """One row per distinct ``keys`` (in ``order``, else first appearance), with ``metric`` and
    ``metric_mcse`` for each of ``metrics`` (nan where the table has no such row)."""
    pd = _pandas()
    values: dict[tuple, dict] = {}
    sub = df[df["metric"].isin(metrics)]
    for *key, metric, value, mcse in sub[[*keys, "metric", "value", "mcse"]].itertuples(
        index=False, name=None
    ):
        values.setdefault(tuple(key), {})[metric] = (float(value), float(mcse))
    if order is None:
        order = list(dict.fromkeys(df[list(keys)].itertuples(index=False, name=None)))
    nan = (math.nan, math.nan)
    rows = []
    for key in order:
        got = values.get(tuple(key), {})
        row = dict(zip(keys, key, strict=True))
        for m in metrics:
            row[m], row[m + "_mcse"] = got.get(m, nan)
        rows.append(row)
    return pd.DataFrame(rows, columns=[*keys, *(c for m in metrics for c in (m, m + "_mcse"))])


def _drop_empty(df, metrics: tuple[str, ...]):
    """Without the metrics that no row has (e.g. durations of arms without a clock)."""
    gone = [m for m in metrics if m in df.columns and df[m].isna().all()]
    return df.drop(columns=[c for m in gone for c in (m, m + "_mcse")])


# ---- arms ------------------------------------------------------------------------------------------------
def arm_summary(arm_oc) -> dict:
    """``arms``, ``arm_scenarios`` and ``arm_cohorts`` from an ``arm_oc`` table."""
    pd = _pandas()
    overall = arm_oc[arm_oc["level"] == ""]
    scen = _spread(overall, ("arm", "scenario"), ARM_METRICS)
    cohort_rows = arm_oc[arm_oc["metric"].isin(ARM_COHORT_METRICS)].rename(columns={"level": "cohort"})
    cohorts = _drop_empty(
        _spread(cohort_rows, ("arm", "scenario", "cohort"), ARM_COHORT_METRICS), ("decision_day",)
    )
    # ranks among the arms that share a scenario
    shared = scen.groupby("scenario", sort=False)["arm"].transform("size") > 1
    ranked = scen[shared]
    rank = ranked.groupby("scenario", sort=False)["prob_select_correct"].rank(
        ascending=False, method="average"
    )
    best = ranked.groupby("scenario", sort=False)["prob_select_correct"].transform("max")
    rows = []
    for arm in dict.fromkeys(scen["arm"]):
        g = scen[scen["arm"] == arm]
        row = {"arm": arm, "n_scenarios": len(g)}
        for m in (*ARM_AVERAGED, "duration_days"):
            row[m], row[m + "_mcse"] = _mc_mean(g[m], g[m + "_mcse"])
        mine = ranked["arm"] == arm
        row["n_shared_scenarios"] = int(mine.sum())
        row["mean_rank_correct"] = float(rank[mine].mean()) if mine.any() else math.nan
        hit = ranked.loc[mine, "prob_select_correct"] >= best[mine] - 1e-12
        row["share_best_correct"] = float(hit.mean()) if mine.any() else math.nan
        rows.append(row)
    arms = _drop_empty(pd.DataFrame(rows), ("duration_days",))
    return {
        "arms": arms,
        "arm_scenarios": _drop_empty(scen, ("duration_days", "duration_days_q50")),
        "arm_cohorts": cohorts,
    }


# ---- platforms -------------------------------------------------------------------------------------------
def platform_summary(platform_oc) -> dict:
    """``platforms``, ``platform_arms`` and ``platform_cohorts`` from a ``platform_oc`` table. Arms come
    in each platform's order, each arm's scenarios in the study's order."""
    own = platform_oc[platform_oc["arm"] == ""]
    platforms = _spread(own, ("platform", "scenario"), PLATFORM_METRICS)
    arm_rows = platform_oc[(platform_oc["arm"] != "") & (platform_oc["level"] == "")]
    keys = list(dict.fromkeys(arm_rows[["platform", "scenario", "arm"]].itertuples(index=False, name=None)))
    order = _arm_major(keys)
    arms = _spread(arm_rows, ("platform", "scenario", "arm"), PLATFORM_ARM_METRICS, order=order)
    arms = arms[["platform", "arm", "scenario", *arms.columns[3:]]]
    cohort_rows = platform_oc[
        platform_oc["metric"].isin(PLATFORM_COHORT_METRICS) & (platform_oc["level"] != "")
    ]
    cohort_rows = cohort_rows.rename(columns={"level": "cohort"})
    keys = list(
        dict.fromkeys(
            cohort_rows[["platform", "scenario", "arm", "cohort"]].itertuples(index=False, name=None)
        )
    )
    cohorts = _spread(
        cohort_rows, ("platform", "scenario", "arm", "cohort"), PLATFORM_COHORT_METRICS, _arm_major(keys)
    )
    cohorts = cohorts[["platform", "arm", "scenario", "cohort", *cohorts.columns[4:]]]
    return {"platforms": platforms, "platform_arms": arms, "platform_cohorts": cohorts}


def _arm_major(keys: list[tuple]) -> list[tuple]:
    """(platform, scenario, arm, ...) keys ordered by platform, then arm (first appearance), scenario,
    and the rest as they came."""
    first_arm: dict = {}
    first_scen: dict = {}
    for i, k in enumerate(keys):
        first_arm.setdefault((k[0], k[2]), i)
        first_scen.setdefault((k[0], k[1]), i)
    plat = {p: i for i, p in enumerate(dict.fromkeys(k[0] for k in keys))}
    return sorted(
        keys,
        key=lambda k: (plat[k[0]], first_arm[(k[0], k[2])], first_scen[(k[0], k[1])]),
    )


# ---- baskets ---------------------------------------------------------------------------------------------
def _basket_truth(units) -> dict:
    """(basket, design, scenario) -> (rates, {cohort: q0}) from the units table's specs."""
    out: dict = {}
    if units is None:
        return out
    for kind, subject, scenario, spec in units[["kind", "subject", "scenario", "spec"]].itertuples(
        index=False, name=None
    ):
        if kind != "basket":
            continue
        s = json.loads(spec)
        out[(subject, s["design"].get("name", ""), scenario)] = (
            list(s["scenario"]["rates"]),
            {c["name"]: c["q0"] for c in s["cohorts"]},
        )
    return out


def basket_summary(basket_oc, units=None) -> dict:
    """``basket_designs``, ``basket_scenarios`` and ``basket_cohorts`` from a ``basket_oc`` table (and
    the ``units`` table for the true rates and q0; without it those columns are nan). Rows of a scenario
    follow one another design by design, so designs compare side by side."""
    pd = _pandas()
    keys = list(dict.fromkeys(basket_oc[["basket", "design", "scenario"]].itertuples(index=False, name=None)))
    scen_first = {}
    for i, (b, _, s) in enumerate(keys):
        scen_first.setdefault((b, s), i)
    design_first = {}
    for i, (b, d, _) in enumerate(keys):
        design_first.setdefault((b, d), i)
    order = sorted(keys, key=lambda k: (scen_first[(k[0], k[2])], design_first[(k[0], k[1])]))
    trial = basket_oc[basket_oc["cohort"] == ""]
    scen = _spread(trial, ("basket", "design", "scenario"), BASKET_METRICS, order=order)
    scen = scen[["basket", "scenario", "design", *scen.columns[3:]]]

    cohort_rows = basket_oc[basket_oc["cohort"] != ""]
    roles = {
        (b, d, s, c): ("null" if m == "type1_error" else "active")
        for b, d, s, m, c in cohort_rows[["basket", "design", "scenario", "metric", "cohort"]].itertuples(
            index=False, name=None
        )
        if m in ("type1_error", "power")
    }
    ckeys = list(
        dict.fromkeys(
            cohort_rows[["basket", "design", "scenario", "cohort"]].itertuples(index=False, name=None)
        )
    )
    rank = {k: i for i, k in enumerate(order)}
    ckeys = sorted(ckeys, key=lambda k: rank[k[:3]])  # stable: cohorts keep their order
    cohorts = _spread(
        cohort_rows, ("basket", "design", "scenario", "cohort"), BASKET_COHORT_METRICS, order=ckeys
    )
    truth = _basket_truth(units)
    q, q0 = [], []
    for b, d, s, c in ckeys:
        rates, nulls = truth.get((b, d, s), (None, {}))
        names = list(dict.fromkeys(k[3] for k in ckeys if k[:3] == (b, d, s)))
        q.append(rates[names.index(c)] if rates is not None and len(rates) == len(names) else math.nan)
        q0.append(nulls.get(c, math.nan))
    cohorts.insert(4, "q", q)
    cohorts.insert(5, "q0", q0)
    cohorts.insert(6, "role", [roles.get(k, "") for k in ckeys])
    cohorts = cohorts[["basket", "scenario", "design", *cohorts.columns[3:]]]

    n_null = cohorts.groupby(["basket", "scenario", "design"], sort=False)["role"].agg(
        lambda r: int((r == "null").sum())
    )
    n_cohorts = cohorts.groupby(["basket", "scenario", "design"], sort=False)["role"].size()
    idx = list(scen[["basket", "scenario", "design"]].itertuples(index=False, name=None))
    scen.insert(3, "n_cohorts", [int(n_cohorts.get(k, 0)) for k in idx])
    scen.insert(4, "n_null", [int(n_null.get(k, 0)) for k in idx])
    scen.insert(5, "global_null", (scen["n_null"] == scen["n_cohorts"]) & (scen["n_cohorts"] > 0))

    rows = []
    for b, d in dict.fromkeys((k[0], k[1]) for k in order):
        g = scen[(scen["basket"] == b) & (scen["design"] == d)]
        row = {"basket": b, "design": d, "n_scenarios": len(g)}
        null = g[g["global_null"]]
        if len(null):
            first = null.iloc[0]
            row["global_null_scenario"] = first["scenario"]
            row["fwer_global_null"], row["fwer_global_null_mcse"] = first["fwer"], first["fwer_mcse"]
            row["mean_total_n_global_null"] = first["mean_total_n"]
            row["mean_total_n_global_null_mcse"] = first["mean_total_n_mcse"]
        else:
            row["global_null_scenario"] = ""
            for m in ("fwer_global_null", "mean_total_n_global_null"):
                row[m], row[m + "_mcse"] = math.nan, math.nan
        c = cohorts[(cohorts["basket"] == b) & (cohorts["design"] == d)]
        for name, role, pick in (("type1_max", "null", np.argmax), ("power_min", "active", np.argmin)):
            sub = c[c["role"] == role]
            if len(sub):
                r = sub.iloc[int(pick(sub["prob_go"].to_numpy()))]
                row[name], row[name + "_mcse"] = r["prob_go"], r["prob_go_mcse"]
                row[name + "_scenario"], row[name + "_cohort"] = r["scenario"], r["cohort"]
            else:
                row[name], row[name + "_mcse"] = math.nan, math.nan
                row[name + "_scenario"], row[name + "_cohort"] = "", ""
        rows.append(row)
    return {"basket_designs": pd.DataFrame(rows), "basket_scenarios": scen, "basket_cohorts": cohorts}


def summarize_units(folder: str | Path, subject: str | None = None) -> dict:
    """Every summary table of a finished sweep of arms, platforms and baskets (the kinds it has), plus its
    manifest; ``subject`` keeps only the arm, platform or basket of that name."""
    data = read_units(folder)
    out = {"manifest": data["manifest"]}
    if subject is not None:  # each table names its subjects in the column of its kind
        names = [str(x) for k, t in TABLES.items() if t in data for x in dict.fromkeys(data[t][k])]
        if subject not in names:
            raise DataError(
                f"--subject: no arm, platform or basket named {subject!r} in {folder}; use one of "
                + ", ".join(repr(n) for n in names)
            )
    for kind, table in TABLES.items():
        if table not in data:
            continue
        df = data[table]
        if subject is not None:
            df = df[df[kind] == subject]
            if df.empty:
                continue
        if kind == "arm":
            out.update(arm_summary(df))
        elif kind == "platform":
            out.update(platform_summary(df))
        else:
            out.update(basket_summary(df, data.get("units")))
    return out
