"""Notebook views (issue 18 item 2): ``to_frame()`` holds exactly the numbers the CSV/JSON writers hold, in
each shape, and every ``_repr_html_`` escapes user text."""

import math

import numpy as np
import pytest

import dosefind as df
from dosefind.display import html_table, with_mcse
from dosefind.live.recommend import recommend
from dosefind.outcomes import parse_outcomes
from dosefind.paths import dose_paths

EVIL = "<script>alert(1)</script>&"
TOX = (0.09, 0.16, 0.23, 0.34, 0.51, 0.74)


@pytest.fixture(scope="module")
def study():
    spec = df.load_spec("scenarios/target30-6dose.toml")
    return df.simulate_spec(spec, n_trials=300, seed=3)


def same(a, b):
    return (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)) or a == b


def test_long_frame_is_the_tidy_rows(study):
    rows = [r for oc in study.ocs for r in oc.tidy()]
    frame = study.to_frame()
    assert list(frame.columns) == ["design", "scenario", "dose", "metric", "value", "mcse"]
    assert len(frame) == len(rows)
    for r, (_, f) in zip(rows, frame.iterrows(), strict=True):
        assert all(same(r[k], f[k]) for k in r)
    assert frame.attrs["provenance"] == study.provenance


def test_trial_and_dose_shapes_hold_every_value_and_mcse(study):
    per_trial = study.to_frame("trial")
    per_dose = study.to_frame("dose")
    assert len(per_trial) == len(study.ocs)
    assert len(per_dose) == sum(len(oc.dose_labels) for oc in study.ocs)
    for oc in study.ocs:
        t = per_trial[(per_trial.design == oc.design) & (per_trial.scenario == oc.scenario)].iloc[0]
        for m in ("pcs", "mean_n", "prob_select_above_mtd", "prop_treated_above_mtd"):
            assert t[m] == oc.values[m] and t[f"{m}_mcse"] == oc.mcse[m]
        d = per_dose[(per_dose.design == oc.design) & (per_dose.scenario == oc.scenario)]
        assert list(d["dose"]) == list(oc.dose_labels)
        assert list(d["prob_select"]) == list(oc.values["prob_select"])
        assert list(d["mean_n_at_dose_mcse"]) == list(oc.mcse["mean_n_at_dose"])
    with pytest.raises(ValueError, match="shape"):
        study.to_frame("wide")


def test_study_html_shows_values_with_their_mcse(study):
    html = study._repr_html_()
    oc = study.ocs[0]
    assert f"scenario {oc.scenario}" in html
    assert with_mcse(oc.values["pcs"], oc.mcse["pcs"], 2, percent=True) in html
    assert html.count("<table") == len({oc.scenario for oc in study.ocs})


def test_per_trial_frame_matches_the_result():
    boin = df.Boin(target=0.3, n_doses=6, cohort_size=3, max_n=36)
    result = df.simulate_one(boin, df.Scenario("S3", TOX), n_trials=200, seed=11, first_trial=50)
    frame = result.to_frame()
    assert list(frame["trial"]) == list(range(50, 250))
    assert np.array_equal(frame["n"], result.n_total)
    assert np.array_equal(frame[[f"n_{d}" for d in boin.doses]].to_numpy(), result.n_at_dose)
    assert np.array_equal(frame[[f"dlt_{d}" for d in boin.doses]].to_numpy(), result.tox_at_dose)
    chosen = [boin.doses[d] if d >= 0 else "" for d in result.selected]
    assert list(frame["selected"]) == chosen
    assert set(frame["status"]) <= {"stop_select", "stop_no_dose", "continue"}


def test_recommendation_frame_is_the_json_dose_table_plus_the_posterior_columns():
    crm = df.Crm(target=0.3, n_doses=6, max_n=36, skeleton_halfwidth=0.05, skeleton_nu=3)
    rec = recommend(crm, parse_outcomes("1NNN 2NTN 3NTT", crm.doses))
    frame = rec.to_frame()
    doses = rec.to_dict()["doses"]
    for row, (_, f) in zip(doses, frame.iterrows(), strict=True):
        assert all(
            same(row[k], f[k]) if row[k] is not None else f[k] is None or math.isnan(f[k]) for k in row
        )
    assert np.allclose(frame["plugin"], rec.posterior.extra["plugin"])
    assert frame.attrs["next_dose"] == rec.next_label
    assert len(rec.history_frame()) == 3


def test_paths_frame_is_the_rows_and_probabilities_add_up():
    boin = df.Boin(target=0.3, n_doses=6, cohort_size=3, max_n=36)
    paths = dose_paths(boin, parse_outcomes("1NNN", boin.doses), cohorts=2, true_tox=TOX)
    frame = paths.to_frame()
    assert frame.to_dict("records") == [
        {k: (None if v is None else v) for k, v in r.items()} for r in paths.rows()
    ]
    assert frame[frame.cohort == 2]["prob"].sum() == pytest.approx(1.0, abs=1e-12)


def test_user_text_is_escaped_everywhere():
    boin = df.Boin(target=0.3, n_doses=6, cohort_size=3, max_n=36, name=EVIL)
    scen = df.Scenario(EVIL, TOX, description=EVIL)
    spec = df.Spec(designs=(boin,), scenarios=(scen,))
    study = df.simulate_spec(spec, n_trials=50, seed=1)
    rec = recommend(boin, parse_outcomes("1NNN", boin.doses))
    paths = dose_paths(boin, parse_outcomes("1NNN", boin.doses), cohorts=1)
    for html in (
        boin._repr_html_(),
        scen._repr_html_(),
        study._repr_html_(),
        rec._repr_html_(),
        paths._repr_html_(),
    ):
        assert "<script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;" in html
    assert "<script>" not in html_table(["<b>"], [["<i>"]])


def test_long_tables_are_cut_in_html_but_not_in_the_frame():
    html = html_table(["x"], [[i] for i in range(100)], max_rows=10)
    assert html.count("<tr>") == 11 and "90 more rows" in html
