"""``simulate`` reduces its trials block by block (oc.sums.TrialSums) instead of holding one row per
trial: the result must not depend on the block size, must equal the operating characteristics of all
trials at once, and must agree with a naive per-trial computation (numpy's mean and std on the rows)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from typer.testing import CliRunner

from dosefind import load_spec
from dosefind.cli import app
from dosefind.constants import Status
from dosefind.engine import simulate_one
from dosefind.errors import SpecError
from dosefind.oc import study as study_mod
from dosefind.oc.metrics import correct_selection, doses_above_mtd, included_doses, operating_characteristics
from dosefind.oc.study import simulate_spec
from dosefind.oc.sums import TrialSums
from dosefind.report.tables import format_table, to_csv, to_json

from ..conftest import SCENARIOS

runner = CliRunner()

GRID = """\
[[designs]]
name = "combo"
kind = "boin_comb"
target = 0.3
cohort_size = 3
max_n = 30
[designs.grid]
levels_a = ["a1", "a2", "a3"]
levels_b = ["b1", "b2", "b3"]

[[designs]]
name = "po"
kind = "pocrm"
target = 0.3
max_n = 24
cohort_size = 3
skeleton_halfwidth = 0.05
skeleton_nu = 3
[designs.grid]
levels_a = ["a1", "a2", "a3"]
levels_b = ["b1", "b2", "b3"]
excluded = ["3.3"]

[[scenarios]]
name = "active"
true_tox = [0.05, 0.10, 0.18, 0.10, 0.18, 0.30, 0.18, 0.30, 0.45]

[[scenarios]]
name = "toxic"
true_tox = [0.45, 0.5, 0.55, 0.5, 0.55, 0.6, 0.55, 0.6, 0.7]
"""


def naive_values(res, band=None):
    """The operating characteristics as dosefind computed them from one row per trial before the block
    reducer (numpy means and ddof=1 standard deviations over the rows), calendar metrics left out."""
    design, scen = res.design, res.scenario
    sel = res.selected.astype(np.int64)
    n_at = res.n_at_dose.astype(np.float64)
    tox_at = res.tox_at_dose.astype(np.float64)
    n_tot = n_at.sum(axis=1)
    T = sel.shape[0]

    def prop(x):
        p = float(np.mean(x))
        return p, float(np.sqrt(max(p * (1 - p), 0.0) / T))

    def mean(x):
        return float(np.mean(x)), float(np.std(x, ddof=1) / np.sqrt(T))

    out = {}
    for d in range(design.n_doses):
        out[("prob_select", d)] = prop(sel == d)
        out[("mean_n_at_dose", d)] = mean(n_at[:, d])
        out[("mean_tox_at_dose", d)] = mean(tox_at[:, d])
    out["prob_select_none"] = prop(sel < 0)
    out["mean_n"] = mean(n_tot)
    out["mean_tox"] = mean(tox_at.sum(axis=1))
    out["prob_early_stop"] = prop(res.status == Status.STOP_NO_DOSE)
    out["prob_stop_before_max_n"] = prop(n_tot < design.max_n)
    out["pcs"] = prop(correct_selection(sel, scen.true_tox, design.target, band, included_doses(design)))
    above = doses_above_mtd(design, scen.true_tox, band)
    valid = sel >= 0
    sel_above = np.zeros(T, dtype=bool)
    sel_above[valid] = above[sel[valid]]
    out["prob_select_above_mtd"] = prop(sel_above)
    out["prop_treated_above_mtd"] = mean(n_at[:, above].sum(axis=1) / np.maximum(n_tot, 1))
    return out


def _same(a, b) -> bool:
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b


def _specs(tmp_path):
    grid = tmp_path / "grid.toml"
    grid.write_text(GRID)
    return [
        (load_spec(SCENARIOS / "target30-6dose.toml"), None),
        (load_spec(SCENARIOS / "target30-6dose.toml"), 0.05),
        (load_spec(grid), None),
        (load_spec(SCENARIOS / "timed-6dose.toml"), None),
        (load_spec(SCENARIOS / "bf-boin.toml"), None),
    ]


@pytest.mark.parametrize("which", range(5), ids=["six-dose", "band", "grid", "timed", "backfill"])
def test_block_reduced_equals_all_trials_at_once(tmp_path, which):
    spec, band = _specs(tmp_path)[which]
    spec = replace(spec, scenarios=spec.scenarios[:2])
    T, seed = 1_500, 11
    blocks = simulate_spec(spec, T, seed, acceptable_band=band, block_trials=377)
    one_block = simulate_spec(spec, T, seed, acceptable_band=band)
    k = 0
    for d in spec.designs:
        for s in spec.scenarios:
            res = simulate_one(d, s, T, seed, timing=spec.timing)
            whole = operating_characteristics(res, band)
            for reduced in (blocks.ocs[k], one_block.ocs[k]):
                assert reduced.n_trials == T
                assert _same(reduced.as_json(), whole.as_json()), (d.name, s.name)
            naive = naive_values(res, band)
            for key, (value, se) in naive.items():
                name, dose = key if isinstance(key, tuple) else (key, None)
                got = whole.values[name] if dose is None else whole.values[name][dose]
                got_se = whole.mcse[name] if dose is None else whole.mcse[name][dose]
                if name == "prop_treated_above_mtd":  # a mean of fractions: numpy's summation order
                    assert got == pytest.approx(value, rel=1e-14, abs=1e-300)
                else:  # counts and means of whole numbers: bit-identical
                    assert got == value, key
                # the variance is exact before one rounding; numpy's two-pass std differs in the last bits
                assert got_se == pytest.approx(se, rel=1e-13, abs=1e-300) or (
                    math.isnan(got_se) and math.isnan(se)
                )
            k += 1
    # and so the command's three formats are the same text (the creation time aside)
    for fmt in (format_table, to_json, to_csv):
        assert fmt(blocks) == fmt(replace(one_block, provenance=blocks.provenance))


def test_sums_merge_and_small_runs():
    spec = load_spec(SCENARIOS / "target30-6dose.toml")
    d, s = spec.designs[1], spec.scenarios[2]  # CRM
    res = simulate_one(d, s, 900, 3)
    whole = TrialSums.for_design(d, s.true_tox).add(res)
    parts = [simulate_one(d, s, n, 3, first_trial=f) for f, n in ((0, 1), (1, 500), (501, 399))]
    merged = TrialSums.for_design(d, s.true_tox)
    for part in parts:
        merged.merge(TrialSums.for_design(d, s.true_tox).add(part))
    assert merged.scalar == whole.scalar
    assert merged.values_and_mcse() == whole.values_and_mcse()
    one = operating_characteristics(parts[0])  # one trial: means without an MCSE, as before
    assert one.n_trials == 1 and math.isnan(one.mcse["mean_n"])


def test_a_huge_run_is_refused_up_front_with_time_and_memory(tmp_path, monkeypatch):
    """10^12 trials: refused before the work with the estimated time and memory (memory no longer grows
    with the trials, so it is the time that refuses), never a traceback or a hang."""
    one = tmp_path / "boin.toml"
    one.write_text(
        '[design]\nkind = "boin"\ntarget = 0.3\nn_doses = 6\nmax_n = 36\n'
        '[[scenarios]]\nname = "S"\ntrue_tox = [0.05, 0.1, 0.2, 0.3, 0.45, 0.6]\n'
    )
    for path in (SCENARIOS / "target30-6dose.toml", one):  # the bound, then a pilot run
        r = runner.invoke(app, ["simulate", str(path), "--trials", str(10**12)])
        assert r.exit_code == 2, r.output
        assert (
            "would take" in r.output
            and "memory: flat in the number of trials" in r.output
            and "use at most" in r.output
        )
        assert "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1
    # the pilot estimate decides, and the largest run it allows then runs
    monkeypatch.setattr(study_mod, "PILOT_MIN_TRIALS", 1)
    monkeypatch.setattr(study_mod, "FASTEST_TRIALS_PER_CORE", 1e18)
    monkeypatch.setattr(study_mod, "MAX_RUN_SECONDS", 1e-9)
    with pytest.raises(SpecError, match=r"timed on a pilot run .* use at most 1 trials"):
        simulate_spec(load_spec(one), 1000, 1)


@pytest.mark.parametrize("name", ["arm-combo.toml", "arm-paediatric-timed.toml"])
def test_arm_files_reduce_in_blocks_to_the_same_rows(name):
    from dosefind.arm import simulate_arm_spec
    from dosefind.arm.oc import arm_oc
    from dosefind.arm.simulate import simulate_arm
    from dosefind.arm.spec import load_arm

    spec = load_arm(SCENARIOS / name)
    spec = replace(spec, scenarios=spec.scenarios[:2])
    T, seed = 700, 5
    blocks = simulate_arm_spec(spec, T, seed, block_trials=151)
    whole = []
    for s in spec.scenarios:
        res = simulate_arm(spec.arm, s, T, seed, timing=spec.timing)
        rows = arm_oc(res)
        whole.extend(rows)
        got = {(r["metric"], r["level"]): r["value"] for r in rows}
        sel = res.selected.astype(int)
        assert got[("prob_select_none", "")] == np.mean(sel < 0)  # proportions: bit-identical
        assert got[("mean_total_n", "")] == np.mean(res.total_n.astype(float))  # means of counts too
        opened = res.opened.astype(bool)
        for cohort in spec.arm.cohorts:
            rate = np.asarray(s.response_of(cohort.name), dtype=float)[sel[opened]]
            want = np.mean(rate) if opened.any() else math.nan
            assert _same(got[("true_response_at_selected", cohort.name)], want) or got[
                ("true_response_at_selected", cohort.name)
            ] == pytest.approx(want, rel=1e-14)
    assert _same(list(blocks.rows), whole)
    assert spec.timing is None or any(r["metric"] == "duration_days_q50" for r in whole)
