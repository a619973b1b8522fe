"""The table-driven family's kernel (engine/table.py) against the naive oracle on the same latent values.

The tables are drawn at random (every action anywhere, so blocked moves, eliminations and stops all
occur), with and without modifiers; the oracle follows the family's documented rules and shares no code
with the engine.
"""

from dataclasses import dataclass

import numpy as np
import pytest

from dosefind import StopAtN, StopWhenNAtDose, StopWhenTooToxic
from dosefind.constants import Reason
from dosefind.designs import layout as L
from dosefind.designs.table import TableDesign
from dosefind.engine import simulate_one
from dosefind.engine.rng import latent_uniforms
from dosefind.errors import SpecError
from oracles import table_trial

from .test_kernel_vs_oracle import SCENARIOS, _mods_dicts

CODES = {"S": L.TABLE_STAY, "E": L.TABLE_ESCALATE, "D": L.TABLE_DEESCALATE, "DU": L.TABLE_ELIMINATE}


def random_table(seed: int, n_cap: int, weights=(0.35, 0.35, 0.2, 0.1)) -> list[list[str]]:
    """table[n][y] for n, y = 0..n_cap: an action drawn per cell with the given weights (S, E, D, DU)."""
    rng = np.random.default_rng(seed)
    names = ["S", "E", "D", "DU"]
    return [[names[int(rng.choice(4, p=weights))] for _ in range(n_cap + 1)] for _ in range(n_cap + 1)]


@dataclass(frozen=True, kw_only=True)
class RandomTable(TableDesign):
    """A member of the family whose table is drawn from ``table_seed`` (test only)."""

    table_seed: int = 0

    kind = "test_random_table"

    def action_table(self, n_cap):
        names = random_table(self.table_seed, n_cap)
        return np.array([[CODES[a] for a in row] for row in names], dtype=np.int8)


def _compare(design, n_trials=300, seed=5):
    table = random_table(design.table_seed, design.max_n)
    kw = dict(
        n_doses=design.n_doses,
        target=design.target,
        cohort_size=design.cohort_size,
        max_n=design.max_n,
        start_dose=design.start_dose,
        modifiers=_mods_dicts(design),
    )
    for scen in SCENARIOS:
        res = simulate_one(design, scen, n_trials, seed)
        u = latent_uniforms(seed, scen.key, n_trials, design.max_n)
        for t in range(n_trials):
            sel, n, y, _ = table_trial(scen.true_tox, u[t], table, **kw)
            assert list(res.n_at_dose[t]) == n, (scen.name, t)
            assert list(res.tox_at_dose[t]) == y, (scen.name, t)
            assert res.selected[t] == sel, (scen.name, t, n, y)


@pytest.mark.parametrize("table_seed", [1, 2, 3])
@pytest.mark.parametrize("cohort_size", [1, 3])
def test_table_kernel_matches_oracle(table_seed, cohort_size):
    design = RandomTable(target=0.3, n_doses=6, cohort_size=cohort_size, max_n=24, table_seed=table_seed)
    _compare(design)


def test_table_kernel_with_modifiers_matches_oracle():
    mods = (StopWhenNAtDose(n=9), StopWhenTooToxic(threshold=0.3, confidence=0.8), StopAtN(n=21))
    design = RandomTable(target=0.25, n_doses=6, max_n=27, start_dose=2, table_seed=7, modifiers=mods)
    _compare(design)


def test_table_kernel_reports_the_reasons_of_every_rule():
    """Across many trials the kernel reaches each of the family's rules (so the comparison above covers
    them), and a stop with no dose happens only through DU at the lowest dose or a modifier."""
    design = RandomTable(target=0.3, n_doses=6, cohort_size=1, max_n=20, table_seed=2)
    seen = set()
    for scen in SCENARIOS:
        res = simulate_one(design, scen, 2000, 3)
        seen |= set(int(r) for r in res.reason)
    assert {int(Reason.MAX_N), int(Reason.TABLE_LOWEST_ELIMINATED)} <= seen


def test_table_must_hold_actions():
    class Broken(RandomTable):
        def action_table(self, n_cap):
            t = super().action_table(n_cap)
            t[3, 1] = 9
            return t

    with pytest.raises(SpecError, match="3 patients and 1 DLTs is 9"):
        Broken(target=0.3, n_doses=3, max_n=9).compile()
