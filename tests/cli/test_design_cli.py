"""``dosefind design simon|bop2|predictive`` through typer's CliRunner (the registered app)."""

import json

import pytest
from typer.testing import CliRunner

from dosefind.cli import app

runner = CliRunner()


def test_simon_table_lists_optimal_and_minimax():
    r = runner.invoke(
        app, ["design", "simon", "--p0", "0.05", "--p1", "0.25", "--alpha", "0.05", "--beta", "0.2"]
    )
    assert r.exit_code == 0, r.output
    rows = {
        ln.split()[0]: ln.split() for ln in r.output.splitlines() if ln.startswith(("optimal", "minimax"))
    }
    assert rows["optimal"][1:3] == ["0/9", "2/17"] and rows["minimax"][1:3] == ["0/12", "2/16"]
    assert "Optimal: treat 9 patients; stop (inactive) if <= 0 responses of 9;" in r.output
    assert "active if >= 3 responses of 17" in r.output


def test_simon_json():
    r = runner.invoke(
        app,
        ["design", "simon", "--p0", "0.1", "--p1", "0.3", "--alpha", "0.1", "--beta", "0.1", "-f", "json"],
    )
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    mm = d["minimax"]
    assert (mm["n1"], mm["r1"], mm["n"], mm["r"]) == (16, 1, 25, 4)
    assert mm["boundaries"] == {"looks": [16, 25], "futility": [1, 4], "efficacy": [17, 5]}
    assert d["optimal"]["en_p0"] <= mm["en_p0"] and mm["type_one_error"] <= 0.1


def test_bop2_table_and_json():
    args = [
        "design",
        "bop2",
        "--p0",
        "0.2",
        "--p1",
        "0.4",
        "--n",
        "25",
        "--looks",
        "10,16,25",
        "--alpha",
        "0.1",
    ]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "lambda" in r.output and "stop (inactive) if <=" in r.output and "under p1 = 0.4" in r.output
    r = runner.invoke(app, [*args, "--format", "json"])
    d = json.loads(r.output)
    assert d["boundaries"]["looks"] == [10, 16, 25] and d["type_one_error"] <= 0.1
    assert d["rule"]["prior"] == [0.2, 0.8] and len(d["oc"]) == 2


def test_predictive_explicit_thresholds_and_search():
    explicit = ["design", "predictive", "--p0", "0.2", "--n-max", "40", "--looks", "10,20,30,40"]
    r = runner.invoke(app, [*explicit, "--theta-t", "0.9", "--theta-l", "0.05", "-f", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["theta_t"] == 0.9 and d["boundaries"]["efficacy"][-1] == d["boundaries"]["futility"][-1] + 1
    search = ["design", "predictive", "--p0", "0.2", "--p1", "0.4", "--n-max", "40", "--alpha", "0.1"]
    r = runner.invoke(app, [*search, "--beta", "0.1"])
    assert r.exit_code == 0, r.output
    assert "searched: smallest EN(p0)" in r.output and "look 1   n = 10" in r.output


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["simon", "--p0", "0.3", "--p1", "0.2", "--alpha", "0.05", "--beta", "0.2"],
            "p1: p1 = 0.2 is not above",
        ),
        (
            ["simon", "--p0", "0.05", "--p1", "0.25", "--alpha", "0.05", "--beta", "0.2", "--n-max", "8"],
            "n_max:",
        ),
        (["bop2", "--p0", "0.2", "--p1", "0.4", "--n", "25", "--looks", "10,20", "--alpha", "0.1"], "looks:"),
        (["bop2", "--p0", "0.2", "--p1", "0.4", "--n", "25", "--looks", "a,b", "--alpha", "0.1"], "--looks:"),
        (["predictive", "--p0", "0.2", "--n-max", "40", "--theta-t", "0.9"], "theta_l: missing"),
    ],
)
def test_user_errors_exit_2_with_one_line(args, message):
    r = runner.invoke(app, ["design", *args])
    assert r.exit_code == 2
    err = r.stderr if hasattr(r, "stderr") and r.stderr else r.output
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], err


def test_help_lists_the_commands():
    r = runner.invoke(app, ["design", "--help"])
    assert r.exit_code == 0
    assert all(cmd in r.output for cmd in ("simon", "bop2", "predictive"))
