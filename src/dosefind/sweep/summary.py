"""Summaries of a finished sweep: designs ranked across the scenario grid, by MTD position, and paired.

All three tables average over the study's scenarios with equal weight (the scenarios are the grid the
user chose, or a random sample from a generator, in which case the averages estimate expectations over
the generator's distribution of curves). Monte Carlo standard errors of the averages combine the
per-scenario MCSEs of independent simulations: se(mean of S values) = sqrt(Σ mcse²) / S. They measure
simulation noise only, not the spread across scenarios (reported separately as ``sd_across``).

* :func:`design_summary`: one row per design: mean PCS, benchmark PCS, efficiency (mean PCS / mean
  benchmark PCS with its paired delta-method MCSE, and the median of per-scenario efficiencies: their
  mean is dominated by the few scenarios where the benchmark rarely succeeds, e.g. two doses almost
  equally close to the target), accuracy index, overdosing, patients, DLTs,
  early stopping, mean rank on PCS (1 = best; ties share the average rank) and the share of scenarios in
  which the design has the best PCS.
* :func:`by_mtd`: mean PCS per design and true MTD position.
* :func:`paired_summary`: per pair of designs and metric, the mean paired difference with its MCSE,
  the share of scenarios where A is better/worse by more than 1.96 paired MCSEs, and the median variance
  reduction of the paired against an unpaired comparison.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import DataError
from .store import MANIFEST


def _pandas():
    import pandas as pd

    return pd


TABLES = ("oc", "oc_dose", "paired", "scenarios", "designs")


def read_dataset(folder: str | Path, tables: tuple[str, ...] = TABLES) -> dict:
    """The manifest and the ``tables`` of a finished sweep folder, as pandas DataFrames."""
    folder = Path(folder)
    manifest_path = folder / MANIFEST
    if not manifest_path.exists():
        raise DataError(f"{folder}: no {MANIFEST}; give the --out folder of `dosefind sweep`")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if not manifest.get("complete"):
        raise DataError(
            f"{folder}: the sweep is not finished ({manifest.get('study', {}).get('name')!r}); "
            "run the same `dosefind sweep` command again to finish it"
        )
    if manifest.get("study", {}).get("kind") == "units":
        names = ", ".join(manifest.get("outputs", []))
        raise DataError(
            f"{folder}: a sweep of arms, platforms and baskets has tables of its own ({names}); read them "
            "with dosefind.sweep.unit_summary.read_units (or summarize_units)"
        )
    out = {"manifest": manifest}
    for name in tables:
        out[name] = read_table(folder / f"{name}.parquet")
    return out


def read_table(path: Path):
    """One Parquet table of a finished sweep folder; a missing or damaged file is a one-line DataError."""
    pd = _pandas()
    try:
        return pd.read_parquet(path)
    except FileNotFoundError:
        raise DataError(
            f"{path}: missing from a finished sweep folder; run the same `dosefind sweep` command into a "
            "new --out folder to write it again"
        ) from None
    except Exception as e:  # pyarrow's errors on a damaged or truncated file
        raise DataError(
            f"{path}: not a readable Parquet file ({type(e).__name__}); the folder was changed after the "
            "sweep: run the same `dosefind sweep` command into a new --out folder"
        ) from None


def _mc_mean(values, mcse) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    s = np.asarray(mcse, dtype=float)
    ok = np.isfinite(v)
    if not ok.any():
        return float("nan"), float("nan")
    n = ok.sum()
    return float(v[ok].mean()), float(np.sqrt(np.sum(s[ok] ** 2)) / n)


def _exact(g) -> bool:
    """The rows come from an exact study (``method`` "exact", :mod:`dosefind.sweep.exact`)."""
    return "method" in g.columns and len(g) > 0 and bool((g["method"] == "exact").all())


def _pooled_efficiency(g) -> tuple[float, float]:
    """Mean PCS / mean benchmark PCS over scenarios with its delta-method MCSE.

    Every scenario has T paired trials with indicators a (design correct) and b (benchmark correct); with
    R the ratio, Var(Σ_s Σ_t (a - R b)) = Σ_s T var_s(a - R b), each var_s from P(a), P(b) and P(a b)
    (``prob_both_correct``), and MCSE(R) = sqrt(Σ_s T var_s) / Σ_s T P_s(b). One scenario gives
    exactly the per-scenario efficiency and MCSE of :func:`dosefind.oc.benchmark.efficiency_from_counts`.
    Exact studies: Σ PCS / Σ benchmark PCS, MCSE 0.
    """
    if _exact(g):  # equal weights, no Monte Carlo error
        total = float(g["benchmark_pcs"].sum())
        return (float(g["pcs"].sum()) / total, 0.0) if total > 0 else (float("nan"), float("nan"))
    T = g["n_trials"].to_numpy(dtype=float)
    pa, pb, pab = (g[c].to_numpy(dtype=float) for c in ("pcs", "benchmark_pcs", "prob_both_correct"))
    bench = float((T * pb).sum())
    if bench == 0:
        return float("nan"), float("nan")
    R = float((T * pa).sum()) / bench
    if (T < 2).any():
        return R, float("nan")
    var = np.maximum((pa - 2 * R * pab + R * R * pb - (pa - R * pb) ** 2) * T / (T - 1), 0.0)
    return R, float(np.sqrt((T * var).sum()) / bench)


LOWER_IS_BETTER = {
    "prob_select_above_mtd",
    "prop_treated_above_mtd",
    "mean_n_above_mtd",
    "mean_tox",
    "prob_early_stop",
    "prob_select_none",
}
HIGHER_IS_BETTER = {"pcs", "efficiency", "accuracy_index", "benchmark_pcs"}


def ranks(oc, metric: str = "pcs"):
    """Rank of each design within each scenario on ``metric`` (1 = best; ties share the average)."""
    if metric not in oc.columns:
        raise DataError(f"metric {metric!r} is not a column of oc.parquet")
    if metric not in LOWER_IS_BETTER | HIGHER_IS_BETTER:
        raise DataError(
            f"metric {metric!r} has no better direction; rank on one of "
            + ", ".join(sorted(LOWER_IS_BETTER | HIGHER_IS_BETTER))
        )
    ascending = metric in LOWER_IS_BETTER
    return oc.groupby("scenario", sort=False)[metric].rank(ascending=ascending, method="average")


def design_summary(oc):
    pd = _pandas()
    order = list(dict.fromkeys(oc["design"]))
    oc = oc.assign(_rank=ranks(oc, "pcs"))
    best = oc.groupby("scenario", sort=False)["pcs"].transform("max")
    oc = oc.assign(_best=(oc["pcs"] >= best - 1e-12).astype(float))
    rows = []
    for name in order:
        g = oc[oc["design"] == name]
        row = {"design": name, "n_scenarios": len(g)}
        for m in (
            "pcs",
            "benchmark_pcs",
            "accuracy_index",
            "prob_select_above_mtd",
            "prop_treated_above_mtd",
            "mean_n",
            "mean_tox",
            "prob_early_stop",
            "prob_select_none",
        ):
            row[m], row[m + "_mcse"] = _mc_mean(g[m], g[m + "_mcse"])
        row["pcs_sd_across"] = float(g["pcs"].std(ddof=1)) if len(g) > 1 else float("nan")
        row["efficiency"], row["efficiency_mcse"] = _pooled_efficiency(g)
        # the mean of per-scenario ratios is dominated by scenarios with a tiny benchmark PCS: use the median
        eff = g["efficiency"][np.isfinite(g["efficiency"])]
        row["median_efficiency"] = float(eff.median()) if len(eff) else float("nan")
        row["mean_rank_pcs"] = float(g["_rank"].mean())
        row["share_best_pcs"] = float(g["_best"].mean())
        rows.append(row)
    return pd.DataFrame(rows)


def by_mtd(oc):
    pd = _pandas()
    rows = []
    order = {name: i for i, name in enumerate(dict.fromkeys(oc["design"]))}  # the study's design order
    groups = sorted(oc.groupby(["mtd", "design"], sort=False), key=lambda kg: (kg[0][0], order[kg[0][1]]))
    for (mtd, name), g in groups:
        pcs, se = _mc_mean(g["pcs"], g["pcs_mcse"])
        od, od_se = _mc_mean(g["prob_select_above_mtd"], g["prob_select_above_mtd_mcse"])
        rows.append(
            dict(
                mtd=int(mtd),
                design=name,
                n_scenarios=len(g),
                pcs=pcs,
                pcs_mcse=se,
                prob_select_above_mtd=od,
                prob_select_above_mtd_mcse=od_se,
            )
        )
    return pd.DataFrame(rows)


def paired_summary(paired):
    pd = _pandas()
    rows = []
    if paired.empty:
        return pd.DataFrame(
            columns=["design_a", "design_b", "metric", "n_scenarios", "mean_diff", "mean_diff_mcse"]
        )
    for (a, b, metric), g in paired.groupby(["design_a", "design_b", "metric"], sort=False):
        diff, se = _mc_mean(g["diff"], g["se_paired"])
        _, se_unpaired = _mc_mean(g["diff"], g["se_unpaired"])
        z = g["diff"] / g["se_paired"].where(g["se_paired"] > 0)
        if _exact(g):  # exact differences: any nonzero one is a difference
            z = np.sign(g["diff"]) * np.inf
        ratio = g["variance_ratio"].replace([np.inf], np.nan)
        rows.append(
            dict(
                design_a=a,
                design_b=b,
                metric=metric,
                n_scenarios=len(g),
                mean_diff=diff,
                mean_diff_mcse=se,
                mean_diff_mcse_unpaired=se_unpaired,
                share_a_higher=float((z > 1.96).mean()),
                share_a_lower=float((z < -1.96).mean()),
                median_variance_ratio=float(ratio.median()) if ratio.notna().any() else float("nan"),
            )
        )
    return pd.DataFrame(rows)


def summarize(folder: str | Path) -> dict:
    """Every summary table of a finished sweep folder, plus its manifest."""
    data = read_dataset(folder, ("oc", "paired"))
    return {
        "manifest": data["manifest"],
        "designs": design_summary(data["oc"]),
        "by_mtd": by_mtd(data["oc"]),
        "paired": paired_summary(data["paired"]),
    }
