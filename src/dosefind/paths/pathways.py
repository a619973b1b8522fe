"""Dose transition pathways (Yap et al. 2017): every outcome of the next cohorts and the design's answer.

Starting from the real trial's data (replayed through the decision kernel exactly as ``recommend``
does), each of the next ``cohorts`` cohorts is treated at the dose the design chose and every possible
number of DLTs in it is followed. The designs in dosefind decide on counts, not on the order of
patients within a cohort, so a cohort's outcomes are enumerated as DLT counts (``NNT`` stands for any
one DLT among three patients) and, given a scenario's true DLT probabilities, a path's probability is
the product of binomial probabilities of its cohorts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..constants import Reason, Status
from ..designs import Design
from ..engine.replay import move_word, replay_data
from ..errors import DataError
from ..outcomes import TrialData

#: Refuse trees bigger than this many nodes (the tree grows like (cohort_size + 1) ** cohorts).
MAX_NODES = 200_000


@dataclass(frozen=True)
class PathNode:
    """One cohort outcome in the tree; node 0 is the current state (the root)."""

    node: int
    parent: int  #: -1 for the root
    depth: int  #: 0 for the root, k for the k-th future cohort
    dose: int  #: 0-based dose the cohort is treated at (root: last dose given, -1 if none)
    n: int
    tox: int
    next_dose: int  #: design's next dose (0-based), -1 when it stops
    status: Status
    reason: Reason
    selected: int  #: MTD estimate when the design stops with a selection, else -1
    prob: float  #: probability of reaching this node from the root (nan without a scenario)

    @property
    def outcomes(self) -> str:
        return "N" * (self.n - self.tox) + "T" * self.tox


@dataclass(frozen=True)
class DosePaths:
    design: Design
    data: TrialData
    cohorts: int
    nodes: tuple[PathNode, ...]
    true_tox: tuple[float, ...] | None = None

    def __post_init__(self):
        kids: dict[int, list[PathNode]] = {}
        for x in self.nodes[1:]:
            kids.setdefault(x.parent, []).append(x)
        object.__setattr__(self, "_children", kids)

    def children(self, node: int) -> list[PathNode]:
        return list(self._children.get(node, ()))

    def leaves(self) -> list[PathNode]:
        return [x for x in self.nodes if x.node not in self._children]

    def path_to(self, node: int) -> list[PathNode]:
        """Nodes from the first future cohort down to ``node`` (root excluded)."""
        out = []
        while node > 0:
            x = self.nodes[node]
            out.append(x)
            node = x.parent
        return out[::-1]

    def path_label(self, node: int) -> str:
        """e.g. ``"2NNN 3NTN"``: the future cohorts leading to ``node`` in outcome notation."""
        return " ".join(f"{x.dose + 1}{x.outcomes}" for x in self.path_to(node))

    def rows(self) -> list[dict]:
        """Tidy rows (one per node, root included) for CSV/JSON."""
        labels = self.design.doses
        out = []
        for x in self.nodes:
            out.append(
                {
                    "node": x.node,
                    "parent": x.parent,
                    "cohort": x.depth,
                    "path": self.path_label(x.node),
                    "dose": labels[x.dose] if x.dose >= 0 else None,
                    "outcomes": x.outcomes if x.depth else "",
                    "n": x.n,
                    "dlt": x.tox,
                    "next_dose": labels[x.next_dose] if x.next_dose >= 0 else None,
                    "decision": decision_word(x),
                    "reason_code": x.reason.name,
                    "selected_dose": labels[x.selected] if x.selected >= 0 else None,
                    "prob": None if math.isnan(x.prob) else x.prob,
                }
            )
        return out


def decision_word(x: PathNode) -> str:
    return move_word(x.status, x.dose, x.next_dose)


def _binom(n: int, y: int, p: float) -> float:
    return math.comb(n, y) * p**y * (1.0 - p) ** (n - y)


def dose_paths(
    design: Design,
    data: TrialData,
    cohorts: int = 2,
    true_tox=None,
    cohort_size: int | None = None,
) -> DosePaths:
    """Enumerate the next ``cohorts`` cohorts from the state after ``data``.

    ``true_tox`` (one probability per dose) gives each path its exact probability. ``cohort_size``
    overrides the design's cohort size for the future cohorts (never beyond ``max_n``).
    """
    if not isinstance(cohorts, int) or isinstance(cohorts, bool) or cohorts < 1:
        raise DataError(f"cohorts: expected a whole number >= 1, got {cohorts!r}")
    size = design.cohort_size if cohort_size is None else cohort_size
    if not isinstance(size, int) or size < 1:
        raise DataError(f"cohort_size: expected a whole number >= 1, got {size!r}")
    if (size + 1) ** cohorts > MAX_NODES:
        raise DataError(
            f"cohorts: {cohorts} cohorts of {size} make more than {MAX_NODES:,} paths; ask for fewer cohorts"
        )
    p = None
    if true_tox is not None:
        p = np.asarray(true_tox, dtype=float)
        if p.shape != (design.n_doses,) or np.any(p < 0) or np.any(p > 1):
            raise DataError(f"scenario: need {design.n_doses} DLT probabilities in [0, 1], got {list(p)}")
    ctx, steps = replay_data(design, data, data.tie_uniforms())  # the uniforms `recommend` uses
    if steps:
        last = steps[-1]
        status, reason, cur, nxt = last.status, last.reason, last.dose, last.next_dose
    else:
        status, reason, cur, nxt = Status.CONTINUE, Reason.NONE, -1, design.start_dose - 1
    selected = ctx.select(full=True) if status == Status.STOP_SELECT else -1
    nodes = [
        PathNode(0, -1, 0, cur, 0, 0, nxt if status == Status.CONTINUE else -1, status, reason, selected, 1.0)
    ]
    if p is None:
        nodes[0] = replace(nodes[0], prob=math.nan)
    frontier = [(0, ctx)] if status == Status.CONTINUE else []
    for depth in range(1, cohorts + 1):
        new_frontier = []
        for parent, pctx in frontier:
            dose = nodes[parent].next_dose
            n = min(size, design.max_n - pctx.n_total)
            for y in range(n + 1):
                child = pctx.copy()
                step = child.treat(dose, n, y, full=True)
                cont = step.status == Status.CONTINUE
                sel = child.select(full=True) if step.status == Status.STOP_SELECT else -1
                prob = nodes[parent].prob * _binom(n, y, float(p[dose])) if p is not None else math.nan
                nodes.append(
                    PathNode(
                        len(nodes),
                        parent,
                        depth,
                        dose,
                        n,
                        y,
                        step.next_dose if cont else -1,
                        step.status,
                        step.reason,
                        sel,
                        prob,
                    )
                )
                if cont:
                    new_frontier.append((len(nodes) - 1, child))
        frontier = new_frontier
    return DosePaths(design, data, cohorts, tuple(nodes), None if p is None else tuple(map(float, p)))
