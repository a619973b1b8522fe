"""The summary of a sweep of arms, platforms and baskets as text, CSV and JSON (``dosefind summarize``).

The tables are those of :func:`dosefind.sweep.unit_summary.summarize_units`; the text shows each
value ± its Monte Carlo SE (probabilities in percent), one number of decimals per column, lines of at
most 110 characters (wider tables are cut into blocks of columns).
"""

from __future__ import annotations

import json
import math
import textwrap

from ..sweep.unit_summary import SUMMARY_TABLES, units_provenance
from .text_tables import LINE_WIDTH, pm_column, pm_columns, wide_table

#: what the units' counts are called in the head line
_KIND_WORDS = (("n_arm_units", "arm"), ("n_platform_units", "platform"), ("n_basket_units", "basket"))


def head_text(manifest: dict) -> str:
    counts = ", ".join(f"{manifest[k]:,} {w}" for k, w in _KIND_WORDS if manifest.get(k))
    if manifest["study"].get("exact"):
        size = "exact operating characteristics (MCSE 0)"
    else:
        size = f"{manifest['n_trials']:,} trials, seed {manifest['seed']}"
    return (
        f"study {manifest['study']['name']!r}: {manifest['n_units']:,} units ({counts}) x {size},\n"
        f"dosefind {manifest['version']}, study hash {manifest['study_hash']}"
    )


def _note(text: str) -> str:
    return textwrap.fill(text, LINE_WIDTH)


def _keys(records, names) -> list[list[str]]:
    return [[str(r[k]) for k in names] for r in records]


def _table(df, keys: list[str], labels: list[str], spec: list[tuple[str, float, str]]) -> str:
    """Rows of ``df``: the key columns, then each (metric, scale, header) of ``spec`` present in ``df``."""
    spec = [s for s in spec if s[0] in df.columns]
    records = df.to_dict("records")
    cells = pm_columns(records, [(m, scale) for m, scale, _ in spec])
    rows = [k + c for k, c in zip(_keys(records, keys), cells, strict=True)]
    return wide_table([*labels, *(h for _, _, h in spec)], rows, keys=len(keys))


def _pivot(df, keys: list[str], labels: list[str], subject: list[str], metric: str, mark=None) -> str:
    """``metric`` per cohort (columns) for each row of ``keys``: one table per run of subjects with the
    same cohorts. ``mark(record)`` returns a suffix for a cell (e.g. '*' for an active cohort)."""
    blocks: list[tuple[list[str], list[tuple]]] = []  # (cohorts, row keys)
    cohorts_of: dict[tuple, list[str]] = {}
    for r in df.to_dict("records"):
        names = cohorts_of.setdefault(tuple(r[k] for k in subject), [])
        if r["cohort"] not in names:
            names.append(r["cohort"])
    row_keys = list(dict.fromkeys(df[keys].itertuples(index=False, name=None)))
    for key in row_keys:
        cohorts = cohorts_of[tuple(key[keys.index(k)] for k in subject)]
        if blocks and blocks[-1][0] == cohorts:
            blocks[-1][1].append(key)
        else:
            blocks.append((cohorts, [key]))
    cell = {}
    for r in df.to_dict("records"):
        cell[(*(r[k] for k in keys), r["cohort"])] = r
    out = []
    for cohorts, rows_keys in blocks:
        columns = []
        for c in cohorts:
            recs = [cell.get((*k, c)) for k in rows_keys]
            col = pm_column(
                [r[metric] if r else float("nan") for r in recs],
                [r[metric + "_mcse"] if r else float("nan") for r in recs],
                100,
            )
            if mark is not None:
                col = [s + (mark(r) if r else " ") for s, r in zip(col, recs, strict=True)]
            columns.append(col)
        rows = [[str(x) for x in k] + [col[i] for col in columns] for i, k in enumerate(rows_keys)]
        out.append(wide_table([*labels, *cohorts], rows, keys=len(keys)))
    return "\n\n".join(out)


def arms_text(s: dict, brief: bool = False) -> str:
    """The arms across scenarios, then (unless ``brief``) by scenario and their cohorts' P(go)."""
    parts = []
    arms = s["arms"]
    spec = [
        ("prob_select_correct", 100, "P(correct) %"),
        ("prob_select_none", 100, "no dose %"),
        ("prob_any_active", 100, "any go %"),
        ("mean_total_n", 1, "patients"),
        ("mean_total_tox", 1, "DLTs"),
        ("duration_days", 1, "days"),
    ]
    text = _table(arms, ["arm", "n_scenarios"], ["arm", "scenarios"], spec)
    note = "averages over each arm's scenarios, ± Monte Carlo SE"
    if arms["n_shared_scenarios"].max() > 0:
        ranks = wide_table(
            ["arm", "shared scenarios", "mean rank", "best"],
            [
                [
                    str(r["arm"]),
                    str(r["n_shared_scenarios"]),
                    f"{r['mean_rank_correct']:.2f}" if r["n_shared_scenarios"] else "-",
                    f"{100 * r['share_best_correct']:.0f}%" if r["n_shared_scenarios"] else "-",
                ]
                for r in arms.to_dict("records")
            ],
        )
        text += "\n\n" + ranks
        note += "; rank and best: on P(correct) among the arms that share a scenario (1 = best)"
    parts.append("Arms across scenarios\n" + text + "\n" + _note(note))
    if brief:
        return parts[0]
    scen = s["arm_scenarios"]
    spec = [
        ("prob_select_correct", 100, "P(correct) %"),
        ("prob_select_none", 100, "no dose %"),
        ("prob_open", 100, "extension %"),
        ("prob_safety_stop", 100, "safety stop %"),
        ("mean_total_n", 1, "patients"),
        ("mean_total_tox", 1, "DLTs"),
        ("duration_days", 1, "days"),
        ("duration_days_q50", 1, "median days"),
    ]
    parts.append(
        "Arms by scenario\n"
        + _table(scen, ["arm", "scenario"], ["arm", "scenario"], spec)
        + "\n"
        + _note(
            "P(correct): the selected dose is acceptable; extension: the expansion cohorts opened; "
            "patients and DLTs: escalation + expansion"
        )
    )
    if len(s["arm_cohorts"]):
        parts.append(
            "P(go) per expansion cohort, % (arm_oc's prob_active)\n"
            + _pivot(s["arm_cohorts"], ["arm", "scenario"], ["arm", "scenario"], ["arm"], "prob_active")
        )
    return "\n\n".join(parts)


def _of(df, column: str, name):
    return df[df[column] == name]


def platforms_text(s: dict, brief: bool = False) -> str:
    """Per platform: its totals by scenario, then (unless ``brief``) its arms and their cohorts' P(go)."""
    parts = []
    totals = [
        ("duration_days", 1, "duration days"),
        ("duration_days_q90", 1, "90% by day"),
        ("mean_screened", 1, "screened"),
        ("mean_treated", 1, "treated"),
        ("mean_not_matched", 1, "not matched"),
        ("share_not_matched", 100, "not matched %"),
    ]
    arm_spec = [
        ("open_day", 1, "opens day"),
        ("days_to_rp2d", 1, "days to RP2D"),
        ("days_to_rp2d_q90", 1, "90% by"),
        ("prob_select_none", 100, "no dose %"),
        ("mean_matched", 1, "children"),
        ("prob_open", 100, "extension %"),
        ("arm_duration_days", 1, "arm days"),
    ]
    for name in dict.fromkeys(s["platforms"]["platform"]):
        text = [
            f"Platform {name!r} by scenario (means per platform)\n"
            + _table(_of(s["platforms"], "platform", name), ["scenario"], ["scenario"], totals)
        ]
        if not brief:
            keys = ["arm", "scenario"]
            text.append(
                f"Arms of platform {name!r}\n"
                + _table(_of(s["platform_arms"], "platform", name), keys, keys, arm_spec)
                + "\n"
                + _note(
                    "days to RP2D: from the arm's opening to escalation's final decision (mean; 90% by: its "
                    "90th percentile); children: treated on the arm; extension: the expansion cohorts "
                    "opened; arm days: opening to close"
                )
            )
            cohorts = _of(s["platform_cohorts"], "platform", name)
            if len(cohorts):
                text.append(
                    f"P(go) per expansion cohort of platform {name!r}, %\n"
                    + _pivot(cohorts, keys, keys, ["arm"], "prob_go")
                )
        parts.append("\n\n".join(text))
    return "\n\n".join(parts)


def baskets_text(s: dict, brief: bool = False) -> str:
    """Per basket: its designs' FWER under the global null, worst type I error and lowest power, then
    (unless ``brief``) each design by scenario and P(go) per cohort."""
    parts = []
    for name in dict.fromkeys(s["basket_designs"]["basket"]):
        records = _of(s["basket_designs"], "basket", name).to_dict("records")
        fwer, worst, lowest = (
            pm_column([r[m] for r in records], [r[m + "_mcse"] for r in records], 100)
            for m in ("fwer_global_null", "type1_max", "power_min")
        )

        def at(r, what, cell):
            return (
                f"{cell} at {r[what + '_scenario']}/{r[what + '_cohort']}" if r[what + "_scenario"] else cell
            )

        rows = [
            [str(r["design"]), fwer[i], at(r, "type1_max", worst[i]), at(r, "power_min", lowest[i])]
            for i, r in enumerate(records)
        ]
        null = records[0]["global_null_scenario"]
        where = f"scenario {null!r}" if null else "no scenario of the study"
        text = [
            f"Basket {name!r}: designs\n"
            + wide_table(["design", "FWER %", "worst type I %", "lowest power %"], rows)
            + "\n"
            + _note(
                f"FWER: P(a go in any cohort) under the global null (every cohort at or below q0: {where}); "
                "worst type I error and lowest power: a cohort's P(go) over all scenarios, at "
                "scenario/cohort (a maximum over many cells leans high)"
            )
        ]
        if not brief:
            spec = [
                ("fwer", 100, "FWER %"),
                ("prob_any_go", 100, "any go %"),
                ("mean_total_n", 1, "patients"),
            ]
            scen = _of(s["basket_scenarios"], "basket", name).copy()
            scen["active"] = [f"{c - n}/{c}" for c, n in zip(scen["n_cohorts"], scen["n_null"], strict=True)]
            keys = ["scenario", "design", "active"]
            text.append(
                f"Basket {name!r}: designs by scenario\n"
                + _table(scen, keys, keys, spec)
                + "\n"
                + _note("active: cohorts above q0; FWER: P(a go in at least one cohort at or below q0)")
            )
            keys = ["scenario", "design"]
            text.append(
                f"Basket {name!r}: P(go) per cohort, % (* active cohort: power; otherwise: type I error)\n"
                + _pivot(
                    _of(s["basket_cohorts"], "basket", name),
                    keys,
                    keys,
                    [],
                    "prob_go",
                    mark=lambda r: "*" if r["role"] == "active" else " ",
                )
            )
        parts.append("\n\n".join(text))
    return "\n\n".join(parts)


def units_text(s: dict) -> str:
    """Every kind's tables, under the study's head line."""
    parts = [head_text(s["manifest"])]
    if "arms" in s:
        parts.append(arms_text(s))
    if "platforms" in s:
        parts.append(platforms_text(s))
    if "basket_designs" in s:
        parts.append(baskets_text(s))
    return "\n\n".join(parts)


def units_overview(s: dict) -> str:
    """The first table of each kind (what ``dosefind sweep`` prints when it finishes)."""
    parts = []
    if "arms" in s:
        parts.append(arms_text(s, brief=True))
    if "platforms" in s:
        parts.append(platforms_text(s, brief=True))
    if "basket_designs" in s:
        parts.append(baskets_text(s, brief=True))
    return "\n\n".join(parts)


def _tables(s: dict) -> list[str]:
    return [t for kind in SUMMARY_TABLES.values() for t in kind if t in s]


def units_csv(s: dict) -> str:
    """Provenance as '# key: value' lines, then each table with a ``table`` column naming it."""
    prov = units_provenance(s["manifest"])
    parts = ["".join(f"# {k}: {v}\n" for k, v in prov.items()).rstrip("\n")]
    for key in _tables(s):
        df = s[key].copy()
        df.insert(0, "table", key)
        parts.append(df.to_csv(index=False))
    return "\n".join(parts)


def _records(df) -> list[dict]:
    """Rows as plain Python values (floats to the last bit; nan as null)."""
    out = []
    for r in df.to_dict("records"):
        out.append(
            {
                k: (None if isinstance(v, float) and math.isnan(v) else v.item() if hasattr(v, "item") else v)
                for k, v in r.items()
            }
        )
    return out


def units_json(s: dict) -> str:
    payload = {
        "provenance": units_provenance(s["manifest"]),
        **{k: _records(s[k]) for k in _tables(s)},
    }
    return json.dumps(payload, indent=2)
