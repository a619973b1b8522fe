"""The design seam holds: a toy design that registers through the protocol alone works everywhere.

"Always stay" is a throwaway member of the table-driven family with a reason code of its own. It is
defined here, registered with :func:`register_design` and a home of its own, and then used through the
command line (``simulate``, ``recommend``, ``paths``, ``table``, ``report``) and the Python API without an
edit anywhere else in dosefind. If a new ``isinstance`` ladder or kind test creeps into the house, this
test is where it shows.
"""

import json
from dataclasses import dataclass

import numpy as np
import pytest
from typer.testing import CliRunner

from dosefind.cli import app
from dosefind.constants import Reason, reason_from_code
from dosefind.designs import layout as L
from dosefind.designs.home import home_of
from dosefind.designs.registry import DESIGNS, register_design, unregister_design
from dosefind.designs.table import TableDesign
from dosefind.designs.table.home import TableDesignHome
from dosefind.engine import simulate_one
from dosefind.scenario import Scenario

runner = CliRunner()
TOY_STAY = 120


@dataclass(frozen=True, kw_only=True)
class AlwaysStay(TableDesign):
    """Treats every cohort at the starting dose until max_n."""

    kind = "toy_always_stay"
    action_reasons = (
        int(Reason.TABLE_ESCALATE),
        TOY_STAY,
        int(Reason.TABLE_DEESCALATE),
        int(Reason.TABLE_DEESCALATE_ELIMINATED),
    )
    declared_reasons = {TOY_STAY: "TOY_ALWAYS_STAY"}

    def action_table(self, n_cap):
        return np.full((n_cap + 1, n_cap + 1), L.TABLE_STAY, dtype=np.int8)


class AlwaysStayHome(TableDesignHome):
    def explain(self, design, reason, n_at, tox_at, cur, proposed, detail=None):
        if reason == TOY_STAY:
            n = int(n_at[cur])
            return f"the toy design always stays: dose {design.doses[cur]} again ({n} treated there)"
        return super().explain(design, reason, n_at, tox_at, cur, proposed, detail)


@pytest.fixture()
def toy(tmp_path):
    register_design(AlwaysStay, AlwaysStayHome)
    spec = tmp_path / "toy.toml"
    spec.write_text(
        '[design]\nkind = "toy_always_stay"\ntarget = 0.25\nn_doses = 4\nstart_dose = 2\nmax_n = 12\n'
        'cohort_size = 3\n\n[[scenarios]]\nname = "mid"\ntrue_tox = [0.05, 0.2, 0.35, 0.5]\n'
    )
    yield spec
    unregister_design("toy_always_stay")


def test_toy_registers_through_the_protocol(toy):
    assert DESIGNS["toy_always_stay"] is AlwaysStay
    assert isinstance(home_of("toy_always_stay"), AlwaysStayHome)
    assert reason_from_code(TOY_STAY).name == "TOY_ALWAYS_STAY"


def test_toy_simulates(toy):
    r = runner.invoke(app, ["simulate", str(toy), "--trials", "300", "--seed", "3", "--format", "json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.output)["results"][0]
    assert res["design"] == "toy_always_stay"
    assert res["prob_select"] == [0.0, 1.0, 0.0, 0.0]  # only dose 2 is ever tried
    assert res["mean_n_at_dose"] == [0.0, 12.0, 0.0, 0.0]
    design = AlwaysStay(target=0.25, n_doses=4, start_dose=2, max_n=12)
    sim = simulate_one(design, Scenario("mid", (0.05, 0.2, 0.35, 0.5)), 50, 3)
    assert set(int(x) for x in sim.reason) == {int(Reason.MAX_N)}


def test_toy_recommends_with_its_own_reason(toy):
    args = ["recommend", "--design", str(toy), "--outcomes", "2NNT 2TTN", "--no-log", "--format", "json"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    rec = json.loads(r.output)
    assert rec["next_dose"] == "2" and rec["decision"] == "stay"
    assert rec["reason_code"] == "TOY_ALWAYS_STAY"
    assert rec["reason"] == "the toy design always stays: dose 2 again (6 treated there)"
    assert rec["posterior"]["method"] == "beta-binomial" and "isotonic" in rec["posterior"]["extra"]
    text = runner.invoke(
        app, ["recommend", "--design", str(toy), "--outcomes", "2NNT 2TTN 2TTT 2TTT", "--no-log"]
    )
    assert text.exit_code == 0, text.output
    assert "maximum sample size 12 reached: stop" in text.output


def test_toy_paths_table_and_report(toy, tmp_path):
    r = runner.invoke(
        app,
        ["paths", "--design", str(toy), "--outcomes", "2NNN", "-k", "2", "--scenario", "0.05,0.2,0.35,0.5"],
    )
    assert r.exit_code == 0, r.output
    assert "escalate" not in r.output and "stay at 2" in r.output
    t = runner.invoke(app, ["table", "--design", str(toy), "--max-n", "6", "--format", "json"])
    assert t.exit_code == 0, t.output
    table = json.loads(t.output)
    assert {row["action"] for row in table["rows"]} == {"S"} and len(table["rows"]) == sum(
        n + 1 for n in range(1, 7)
    )
    out = tmp_path / "toy.html"
    h = runner.invoke(app, ["report", "--design", str(toy), "--outcomes", "2NNT", "--out", str(out)])
    assert h.exit_code == 0, h.output
    html = out.read_text()
    assert "the toy design always stays: dose 2 again (3 treated there)" in html


def test_unregistered_kind_is_refused_with_the_known_kinds(toy):
    unregister_design("toy_always_stay")
    r = runner.invoke(app, ["simulate", str(toy), "--trials", "10"])
    assert r.exit_code == 2
    assert "unknown design 'toy_always_stay'" in r.output and "'boin'" in r.output
    register_design(AlwaysStay, AlwaysStayHome)
