"""The 3+3 variants against the tools that define them in practice, every trial path followed exactly
(no Monte Carlo error) with the tool's own decision function:

* R package escalation 0.2.3 (brockk/escalation, ``three_plus_three()``, the rule of
  ``get_three_plus_three(num_doses, allow_deescalate)``): ``benchmarks/reference/escalation/
  three_plus_three_paths.R`` -> ``data/r_escalation_tpt_paths.csv``;
* clintrials (brockk/clintrials, ``dosefinding.ThreePlusThree``):
  ``benchmarks/reference/clintrials/three_plus_three_paths.py`` -> ``data/clintrials_tpt_paths.csv``;
* AplusB (Wheeler, Sweeting & Mander 2016, the web application's own enumerators ``threep3ABCDE`` and
  ``threep3ABCDE.desc`` for four A+B settings, with and without de-escalation):
  ``benchmarks/reference/aplusb/aplusb_exact.R`` -> ``data/aplusb_exact.csv``.

All three stop at the highest dose after 0 of 3 (fewer than C of A) and declare it the MTD:
``expand_top_dose = false``. AplusB's de-escalation is Lin & Shih's (dosefind's ``deescalation``).
escalation's ``allow_deescalate`` is Korn et al.'s de-escalation, dosefind's ``deescalation``; clintrials
never de-escalates. The default ``expand_top_dose = true`` differs from both (checked below).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from dosefind.designs import APlusB
from dosefind.oc.exact import exact_a_plus_b, exact_three_plus_three
from dosefind.oc.exact_states import exact_operating_characteristics
from dosefind.scenario import Scenario

DATA = Path(__file__).parent / "data"
SCENARIOS = {
    "S1": (0.05, 0.10, 0.20, 0.30, 0.45),
    "S2": (0.30, 0.40, 0.50, 0.60, 0.70),
    "S3": (0.02, 0.04, 0.06, 0.08, 0.10),
    "S4": (0.50, 0.60, 0.70, 0.80, 0.90),
}


def _reference(name, deescalation_column=None):
    out = {}
    with open(DATA / name, newline="") as fh:
        for row in csv.DictReader(fh):
            deesc = row[deescalation_column] == "TRUE" if deescalation_column else False
            ref = out.setdefault((row["scenario"], deesc), {"sel": {}, "n": {}, "y": {}})
            d = int(row["dose"])
            ref["sel"][d] = float(row["prob_select"])
            if d > 0:
                ref["n"][d] = float(row["mean_n"])
                ref["y"][d] = float(row["mean_tox"])
    return out


def _deviation(ex, ref):
    D = len(ex["prob_select"])
    dev = abs(ex["prob_select_none"] - ref["sel"][0])
    for d in range(1, D + 1):
        dev = max(
            dev,
            abs(ex["prob_select"][d - 1] - ref["sel"][d]),
            abs(ex["mean_n_at_dose"][d - 1] - ref["n"][d]),
            abs(ex["mean_tox_at_dose"][d - 1] - ref["y"][d]),
        )
    return dev


@pytest.mark.parametrize(
    "name,column", [("r_escalation_tpt_paths.csv", "allow_deescalate"), ("clintrials_tpt_paths.csv", None)]
)
def test_reference_tools_are_expand_top_dose_false(name, column):
    refs = _reference(name, column)
    assert len(refs) == (8 if column else 4)
    for (scen, deesc), ref in refs.items():
        tox = SCENARIOS[scen]
        ex = exact_three_plus_three(tox, deescalation=deesc, expand_top_dose=False)
        assert _deviation(ex, ref) < 1e-12, (name, scen, deesc)
        # the A+B design with A = B = 3, C = D = E = 1 through the engine's kernel, state by state
        oc, _ = exact_operating_characteristics(
            APlusB(n_doses=5, deescalation=deesc, expand_top_dose=False), Scenario(scen, tox)
        )
        np.testing.assert_allclose(oc.values["prob_select"], [ref["sel"][d] for d in range(1, 6)], atol=1e-12)
        # today's default expands the highest dose: a different design wherever the top dose is reached
        default = exact_a_plus_b(tox, deescalation=deesc, expand_top_dose=True)
        if scen == "S3":
            assert _deviation(default, ref) > 0.01


def test_aplusb_is_a_plus_b_with_expand_top_dose_false():
    with open(DATA / "aplusb_exact.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4 * 4 * 2 * 6
    worst = 0.0
    for row in rows:
        setting = tuple(int(row[k]) for k in "abcde")
        deesc = row["deescalation"] == "TRUE"
        ex = exact_a_plus_b(SCENARIOS[row["scenario"]], *setting, deescalation=deesc, expand_top_dose=False)
        d = int(row["dose"])
        assert float(row["total_prob"]) == pytest.approx(1.0, abs=1e-12)
        dev = [
            abs((ex["prob_select_none"] if d == 0 else ex["prob_select"][d - 1]) - float(row["prob_select"])),
            abs(sum(ex["mean_tox_at_dose"]) - float(row["mean_dlt_total"])),
            abs(ex["mean_n"] - float(row["mean_n_total"])),
        ]
        if d > 0:
            dev.append(abs(ex["mean_share_at_dose"][d - 1] - float(row["mean_share"])))
        worst = max(worst, *dev)
    assert worst < 1e-11  # measured: 2e-13 (the expected sample size), 3e-15 for the probabilities
