"""The interval designs against their reference R packages, cell by cell.

* Keyboard 0.1.3 (``get.boundary.kb``: 12 settings of target, margins and cutoff, n = 1..36; its printed
  table eliminates from n = 1, so dosefind's Keyboard is compared with ``min_n_eli = 1``), and
  ``select.mtd.kb`` on 400 random data sets (the family's selection kernel with Keyboard's options, the
  trial's eliminations as the table gives them with the default ``min_n_eli = 3``, as ``get.oc.kb``).
* escalation 0.2.3 (``tpi_selector``, ``mtpi_selector``, ``mtpi2_selector``): the escalate / stay /
  de-escalate decision for every y <= n <= 24 under 21 settings. escalation has no DU (its exclusion
  blocks escalation and stops at dose 1 instead), so DU cells are compared on the design's own interval
  decision underneath (``decide_counts``).
* FIND 0.1.1 (``get_decision_i3plus3``, ``get_decision_mtpi2``: 10 settings, 3 <= n <= 30, every cell;
  ``select_mtd`` on 300 random data sets).
* Keyboard's ``get.oc.kb`` operating characteristics within Monte Carlo error (slow).

Recorded by ``benchmarks/reference/keyboard/keyboard_reference.R`` and
``benchmarks/reference/escalation/interval_tables.R``, ``benchmarks/reference/keyboard/keyboard_oc.R`` and
``benchmarks/reference/find/find_reference.R`` (versions and settings in the CSV headers).
"""

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from dosefind import Scenario, operating_characteristics, simulate_one
from dosefind.designs import I3Plus3, Keyboard, Mtpi, Mtpi2, Tpi
from dosefind.designs import layout as L
from dosefind.engine.table import select_table

DATA = Path(__file__).parent / "data"
NAME = {L.TABLE_ESCALATE: "E", L.TABLE_STAY: "S", L.TABLE_DEESCALATE: "D", L.TABLE_ELIMINATE: "DU"}


def _rows(name):
    with open(DATA / name) as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def _opt(value):
    return None if value == "NA" else int(value)


def test_keyboard_boundaries_equal_get_boundary_kb():
    rows = _rows("r_keyboard_boundaries.csv")
    assert len(rows) == 12 * 36
    designs = {}
    for r in rows:
        key = (float(r["target"]), float(r["margin_left"]), float(r["margin_right"]), float(r["cutoff_eli"]))
        if key not in designs:
            design = Keyboard(
                target=key[0],
                margin_left=key[1],
                margin_right=key[2],
                cutoff_eli=key[3],
                min_n_eli=1,
                n_doses=5,
                max_n=36,
            )
            designs[key] = design.action_table(36)
        table = designs[key]
        n = int(r["n"])
        ys = range(n + 1)
        escalate = max((y for y in ys if table[n, y] == L.TABLE_ESCALATE), default=-1)
        deescalate = min(
            (y for y in ys if table[n, y] in (L.TABLE_DEESCALATE, L.TABLE_ELIMINATE)), default=None
        )
        eliminate = min((y for y in ys if table[n, y] == L.TABLE_ELIMINATE), default=None)
        expected = (int(r["escalate_at_most"]), _opt(r["deescalate_at_least"]), _opt(r["eliminate_at_least"]))
        assert (escalate, deescalate, eliminate) == expected, (key, n)
        # the boundary form is exact: the table is ordered in y
        assert list(table[n, : n + 1]) == sorted(table[n, : n + 1], key=[1, 0, 2, 3].index)


def test_keyboard_selection_equals_select_mtd_kb():
    rows = _rows("r_keyboard_select.csv")
    assert len(rows) == 400
    none_selected = 0
    for r in rows:
        compiled = Keyboard(target=float(r["target"]), n_doses=5, max_n=60).compile()
        n = np.array([int(x) for x in r["n"].split(";")], dtype=np.int64)
        y = np.array([int(x) for x in r["y"].split(";")], dtype=np.int64)
        admissible = np.ones(5, dtype=np.int8)
        for d in range(5):
            if n[d] > 0 and compiled.tables[0][n[d], y[d]] == L.TABLE_ELIMINATE:
                admissible[d:] = 0
                break
        chosen = select_table(compiled.ip, compiled.fp, n, y, admissible, np.zeros(30))
        mtd = 99 if chosen < 0 or admissible[0] == 0 else chosen + 1
        none_selected += mtd == 99
        assert mtd == int(r["mtd"]), r
    assert none_selected > 0  # the reference covers trials stopped at dose 1


ESCALATION = {"tpi": Tpi, "mtpi": Mtpi, "mtpi2": Mtpi2}
FIELDS = {"k1": "k1", "k2": "k2", "a": "prior_a", "b": "prior_b", "eps1": "eps1", "eps2": "eps2"}


@pytest.mark.parametrize("kind", sorted(ESCALATION))
def test_interval_decisions_equal_escalation(kind):
    rows = [r for r in _rows("r_escalation_interval_decisions.csv") if r["design"] == kind]
    assert len(rows) >= 6 * 300
    designs = {}
    cells = 0
    for r in rows:
        key = (r["setting"], float(r["target"]))
        if key not in designs:
            kw = {FIELDS[k]: float(v) for k, v in (p.split("=") for p in r["setting"].split(";"))}
            designs[key] = ESCALATION[kind](target=key[1], n_doses=3, max_n=24, **kw)
        design = designs[key]
        n, y = int(r["n"]), int(r["y"])
        assert NAME[int(design.decide_counts(n)[y])] == r["action"], (kind, key, n, y)
        # the compiled table is that decision unless the elimination rule holds
        action = int(design.action_table(24)[n, y])
        assert action == L.TABLE_ELIMINATE or NAME[action] == r["action"]
        cells += 1
    assert cells == len(rows)


# ---- operating characteristics: Keyboard's get.oc.kb -------------------------------------------------
OC_SCENARIOS = {
    "S1": (0.26, 0.34, 0.47, 0.64, 0.66, 0.77),
    "S2": (0.18, 0.25, 0.32, 0.36, 0.60, 0.69),
    "S3": (0.09, 0.16, 0.23, 0.34, 0.51, 0.74),
    "S4": (0.07, 0.13, 0.20, 0.29, 0.37, 0.54),
    "S5": (0.03, 0.09, 0.16, 0.25, 0.32, 0.40),
    "S6": (0.04, 0.05, 0.08, 0.11, 0.15, 0.31),
}
R_OC_TRIALS = 5000
Z = 4.5  # two-sided 7e-6 per comparison; 78 comparisons


@pytest.mark.slow
def test_keyboard_operating_characteristics_match_get_oc_kb():
    ref = {}
    for r in _rows("r_keyboard_oc.csv"):
        ref.setdefault(r["scenario"], {})[r["dose"]] = r
    design = Keyboard(target=0.3, n_doses=6, max_n=36, cohort_size=3)
    n_ours = 40_000
    for name, curve in OC_SCENARIOS.items():
        oc = operating_characteristics(simulate_one(design, Scenario(name, curve), n_ours, 2026))
        r = ref[name]
        ours = oc.values["prob_select"] + [oc.values["prob_select_none"]]
        theirs = [float(r[str(d + 1)]["sel_pct"]) / 100 for d in range(6)] + [
            float(r["none"]["sel_pct"]) / 100
        ]
        for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            pooled = (a * n_ours + b * R_OC_TRIALS) / (n_ours + R_OC_TRIALS)
            se = math.sqrt(pooled * (1 - pooled) * (1 / n_ours + 1 / R_OC_TRIALS))
            assert abs(a - b) <= Z * se + 1e-12, (name, k, a, b, se)
        for d in range(6):
            a = oc.values["mean_n_at_dose"][d]
            b = float(r[str(d + 1)]["mean_npts"])
            se = oc.mcse["mean_n_at_dose"][d] * math.sqrt(1 + n_ours / R_OC_TRIALS)
            assert abs(a - b) <= Z * se + 1e-9, (name, d, a, b, se)


# ---- FIND 0.1.1: i3+3 and mTPI-2 tables, and its selection ------------------------------------------
FIND_CLASSES = {"i3plus3": I3Plus3, "mtpi2": Mtpi2}


def _find_design(kind, target, ei_low, ei_high, **kw):
    return FIND_CLASSES[kind](
        target=target, eps1=target - ei_low, eps2=ei_high - target, n_doses=5, max_n=kw.pop("max_n", 30), **kw
    )


def test_i3plus3_and_mtpi2_tables_equal_find():
    """FIND's get_decision_i3plus3 / get_decision_mtpi2 (10 settings of target and interval, including
    asymmetric ones, 3 <= n <= 30): every cell, DU included (FIND eliminates from n = 3, as the default)."""
    rows = _rows("r_find_decisions.csv")
    assert len(rows) == 2 * 10 * sum(n + 1 for n in range(3, 31))
    tables = {}
    for r in rows:
        key = (r["design"], float(r["target"]), float(r["ei_low"]), float(r["ei_high"]))
        if key not in tables:
            tables[key] = _find_design(*key).action_table(30)
        n, y = int(r["n"]), int(r["y"])
        assert NAME[int(tables[key][n, y])] == r["action"], (key, n, y)


def test_selection_equals_find_select_mtd():
    """FIND selects as the BOIN and Keyboard packages (Beta(0.05, 0.05), inverse-variance weights,
    i x 1e-10 ties) for every design: the same options reproduce it for i3+3 and mTPI-2."""
    rows = _rows("r_find_select.csv")
    assert len(rows) == 300
    for r in rows:
        kind = "i3plus3" if r["method"] == "i3+3" else "mtpi2"
        design = _find_design(
            kind,
            float(r["target"]),
            float(r["ei_low"]),
            float(r["ei_high"]),
            max_n=60,
            select_prior_a=0.05,
            select_prior_b=0.05,
            select_ties="increment",
        )
        compiled = design.compile()
        n = np.array([int(x) for x in r["n"].split(";")], dtype=np.int64)
        y = np.array([int(x) for x in r["y"].split(";")], dtype=np.int64)
        admissible = np.ones(5, dtype=np.int8)
        for d in range(5):
            if n[d] > 0 and compiled.tables[0][n[d], y[d]] == L.TABLE_ELIMINATE:
                admissible[d:] = 0
                break
        chosen = select_table(compiled.ip, compiled.fp, n, y, admissible, np.zeros(30))
        assert (99 if chosen < 0 or admissible[0] == 0 else chosen + 1) == int(r["mtd"]), r
