"""Decision tables as designs (``kind = "table"``) and the interval designs' bad input.

* round trip: ``dosefind table --format csv`` of BOIN read back as a table design takes BOIN's decisions
  on the same latent values (and, with BOIN's selection options, selects the same dose); any interval
  design's CSV read back gives the same compiled table;
* validation: a gap, a non-monotone row, an action outside E/S/D/DU, a bad header each give one line
  naming the row; interval ends not containing the target and cutoffs outside (0, 1) name the field.
"""

import pytest
import tomli_w
from typer.testing import CliRunner

from dosefind import Boin, Scenario
from dosefind.cli import app
from dosefind.designs import DecisionTableDesign, I3Plus3, Keyboard, Mtpi, Mtpi2, Tpi
from dosefind.designs.registry import design_from_dict
from dosefind.engine import simulate_one
from dosefind.errors import SpecError
from dosefind.specfile import load_design

runner = CliRunner()
SCENARIOS = [
    Scenario("S2", (0.18, 0.25, 0.32, 0.36, 0.60, 0.69)),
    Scenario("S3", (0.09, 0.16, 0.23, 0.34, 0.51, 0.74)),
    Scenario("toxic", (0.45, 0.55, 0.65, 0.75, 0.85, 0.95)),
]


def _table_csv(tmp_path, design_toml: str) -> str:
    spec = tmp_path / "design.toml"
    spec.write_text(design_toml)
    out = tmp_path / "table.csv"
    result = runner.invoke(app, ["table", "--design", str(spec), "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return str(out)


def test_boin_table_round_trip_takes_boins_decisions(tmp_path):
    boin = Boin(target=0.3, n_doses=6, max_n=36, cohort_size=3)
    csv_path = _table_csv(
        tmp_path, '[design]\nkind = "boin"\ntarget = 0.3\nn_doses = 6\nmax_n = 36\ncohort_size = 3\n'
    )
    spec = tmp_path / "table.toml"
    spec.write_text(
        f'[design]\nkind = "table"\nfile = {csv_path!r}\n'.replace("'", '"')
        + "target = 0.3\nn_doses = 6\nmax_n = 36\ncohort_size = 3\n"
        # BOIN's own selection: posterior means under Beta(0.05, 0.05), inverse-variance weights
        + 'select_prior_a = 0.05\nselect_prior_b = 0.05\nselect_weights = "inverse_variance"\n'
    )
    (table,) = load_design(spec)
    assert isinstance(table, DecisionTableDesign)
    assert len(table.rows) == sum(n + 1 for n in range(1, 37))
    for scen in SCENARIOS:
        a = simulate_one(boin, scen, 2000, 9)
        b = simulate_one(table, scen, 2000, 9)
        assert (a.n_at_dose == b.n_at_dose).all(), scen.name
        assert (a.tox_at_dose == b.tox_at_dose).all(), scen.name
        assert (a.selected == b.selected).all(), scen.name
        assert (a.status == b.status).all(), scen.name
    # the spec written back holds the rows inline and reads back equal
    assert design_from_dict(table.to_dict()) == table


@pytest.mark.parametrize(
    "design",
    [
        Tpi(target=0.3, n_doses=5, max_n=18),
        Mtpi(target=0.25, n_doses=5, max_n=18),
        Mtpi2(target=0.2, n_doses=5, max_n=18, cohort_size=2),
        Keyboard(target=0.3, n_doses=5, max_n=18),
        I3Plus3(target=0.3, n_doses=5, max_n=18),
    ],
    ids=lambda d: d.kind,
)
def test_interval_design_table_round_trip(tmp_path, design):
    csv_path = _table_csv(tmp_path, tomli_w.dumps({"design": design.to_dict()}))
    table = DecisionTableDesign.from_csv(
        csv_path, target=design.target, n_doses=5, max_n=18, cohort_size=design.cohort_size
    )
    assert (table.compile().tables[0] == design.compile().tables[0]).all()


ROWS3 = [[3, 0, "E"], [3, 1, "S"], [3, 2, "D"], [3, 3, "DU"]]
ROWS6 = [[6, y, a] for y, a in enumerate(["E", "E", "S", "D", "DU", "DU", "DU"])]


def _table(rows, **kw):
    return design_from_dict({"kind": "table", "target": 0.3, "n_doses": 4, "max_n": 6, "rows": rows, **kw})


def test_a_valid_inline_table():
    design = _table(ROWS3 + ROWS6)
    assert design.kind == "table" and len(design.rows) == 11


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        (ROWS3 + ROWS6[:4] + ROWS6[5:], "no action for n = 6 patients and y = 4 DLTs"),
        (ROWS3, "no action for n = 6 patients and y = 0 DLTs"),
        (ROWS3 + [[6, 0, "E"], [6, 1, "S"], [6, 2, "E"]] + ROWS6[3:], "n = 6, y = 2 says E after S at y = 1"),
        (ROWS3 + ROWS6[:6] + [[6, 6, "X"]], "action 'X' is not one of E, S, D, DU"),
        (ROWS3 + ROWS6 + [[3, 1, "S"]], "n = 3, y = 1 appears twice"),
        (ROWS3 + ROWS6 + [[3, 4, "S"]], "n = 3, y = 4: need n >= 1 and 0 <= y <= n"),
    ],
)
def test_bad_tables_name_the_first_bad_row(rows, words):
    with pytest.raises(SpecError) as e:
        _table(rows)
    assert words in str(e.value)
    assert e.value.field == "design.rows"
    assert "\n" not in str(e.value)


def test_bad_csv_names_the_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("# made by hand\nn_treated,n_dlt,action\n3,0,E\n3,one,S\n")
    with pytest.raises(SpecError) as e:
        _table_from_file(path)
    assert e.value.field == "design.file line 4"
    path.write_text("patients,toxicities,action\n3,0,E\n")
    with pytest.raises(SpecError, match="no DLTs column"):
        _table_from_file(path)
    with pytest.raises(SpecError, match="cannot read"):
        _table_from_file(tmp_path / "missing.csv")
    with pytest.raises(SpecError, match="both file and rows"):
        design_from_dict(
            {"kind": "table", "target": 0.3, "n_doses": 4, "max_n": 6, "rows": ROWS3, "file": "x"}
        )


def _table_from_file(path):
    return design_from_dict({"kind": "table", "target": 0.3, "n_doses": 4, "max_n": 6, "file": str(path)})


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"kind": "mtpi", "eps1": 0.3}, "design.eps1", "lower end"),
        ({"kind": "mtpi2", "eps2": 0.75}, "design.eps2", "upper end"),
        ({"kind": "i3plus3", "eps1": -0.05}, "design.eps1", ""),
        ({"kind": "keyboard", "margin_left": 0.4}, "design.margin_left", "lower end"),
        ({"kind": "tpi", "k1": 0}, "design.k1", ""),
        ({"kind": "tpi", "cutoff_eli": 1.0}, "design.cutoff_eli", ""),
        ({"kind": "keyboard", "cutoff_eli": 0}, "design.cutoff_eli", ""),
        ({"kind": "mtpi", "select_ties": "random"}, "design.select_ties", ""),
        ({"kind": "mtpi2", "decision_ties": "up"}, "design.decision_ties", ""),
        ({"kind": "tpi", "select_prior_a": 0}, "design.select_weights", "inverse-variance"),
        ({"kind": "i3plus3", "min_n_eli": 0}, "design.min_n_eli", ""),
    ],
)
def test_interval_design_bad_input(data, field, words):
    with pytest.raises(SpecError) as e:
        design_from_dict({"target": 0.3, "n_doses": 4, "max_n": 12, **data})
    assert e.value.field == field
    assert words in str(e.value)
    assert "\n" not in str(e.value)


def test_bad_table_file_through_the_cli_is_one_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("n_treated,n_dlt,action\n3,0,E\n3,1,S\n3,2,D\n3,3,DU\n")
    spec = tmp_path / "d.toml"
    spec.write_text(
        f'[design]\nkind = "table"\nfile = "{path}"\ntarget = 0.3\nn_doses = 4\nmax_n = 6\n'.replace(
            "\\", "/"
        )
    )
    result = runner.invoke(app, ["table", "--design", str(spec)])
    assert result.exit_code == 2
    assert "no action for n = 6 patients and y = 0 DLTs" in result.output
    assert "Traceback" not in result.output


def test_posterior_table_uses_the_designs_own_prior():
    from dosefind.designs.home import home_of
    from dosefind.inference.summary import fast_posterior

    tpi = Tpi(target=0.3, n_doses=3, max_n=12)
    post = fast_posterior(tpi, [3, 6, 0], [0, 4, 0])
    assert home_of(tpi).model_line(tpi) == "independent Beta(0.005, 0.005) prior on each dose's DLT rate"
    assert post.model == home_of(tpi).model_line(tpi)
    # P(p > target) is the probability the elimination rule reads (6 patients, 4 DLTs: DU)
    from dosefind.designs.table.interval import prob_above

    assert post.prob_above_target[1] == pytest.approx(prob_above(0.3, 0.005, 0.005, 6)[4], rel=1e-12)
    assert post.prob_above_target[1] > tpi.cutoff_eli
    table = _table(ROWS3 + ROWS6)
    assert "Beta(1, 1)" in fast_posterior(table, [3, 0, 0, 0], [1, 0, 0, 0]).model
