"""Dose transition pathways (Yap et al. 2017): every outcome of the next cohorts and the design's answer.

Starting from the real trial's data (replayed through the decision kernel exactly as ``recommend``
does), each of the next ``cohorts`` cohorts is treated at the dose the design chose and every possible
number of DLTs in it is followed. The designs in dosefind decide on counts, not on the order of
patients within a cohort, so a cohort's outcomes are enumerated as DLT counts (``NNT`` stands for any
one DLT among three patients) and, given a scenario's true DLT probabilities, a path's probability is
the product of binomial probabilities of its cohorts.

Random choices. Some decisions break a tie at random (BOIN for combinations: two adjacent candidate cells with
equal scores; PO-CRM: most probable orderings that tie, or the ordering drawn with its posterior probability
under ``ordering_choice = "random"``). The kernel reads that randomness from the decision's uniform ``u_tie``;
a hypothetical cohort has no uniform of its own (in live use it would be derived from data that do not exist
yet), so a pathway does not pick one. :func:`choice_uniforms` asks the design's home
(:meth:`~dosefind.designs.home.DesignHome.choice_uniforms`), which lists, from the kernel's own mapping of
``u_tie`` to its choice, intervals of ``u_tie`` on which the choice is constant, each with its probability
(its length); the decision is taken (by ``decide``, as always) at one uniform inside each interval, and
intervals that give the same next dose and status are merged. When more than one decision remains the cohort
outcome splits into branches, one per decision, each labelled with its chance, and a path's probability under
a scenario is multiplied by it:

* BOIN for combinations (``engine/combination.py::_choose``): candidate 0 iff ``int(u * 2) == 0``, so
  u in [0, 1/2) and [1/2, 1): two tied candidates have chance 1/2 each;
* PO-CRM, ``ordering_choice = "max"`` (``engine/pocrm.py::choose_ordering``): when m orderings tie as
  the most probable, ordering ``int(u * m)`` of them is taken: chance 1/m each (orderings leading to the
  same cell add up); m is counted by asking ``choose_ordering`` itself at M equally spaced uniforms;
* PO-CRM, ``ordering_choice = "random"``: ordering i is taken for u in [P_1 + ... + P_(i-1), P_1 + ... +
  P_i) with P the orderings' posterior probabilities: chance P_i (again added up per cell);
* U-BOIN's stage 2 (``engine/uboin.py::randomise``): dose j for u in its share of the cumulative
  randomisation probabilities: chance the dose's probability.

Phase I/II designs (``uses_efficacy``: BOIN12, U-BOIN) decide on responses too: a cohort's outcomes are
its (DLTs, responses, responses with a DLT) counts, written with the letters N (neither), T (DLT, no
response), E (response, no DLT) and B (both), and with a scenario's response probabilities and copula
correlation a path's probability is the product of multinomial probabilities of the four outcomes
(``oc/exact_states.py::cohort_outcomes``).

The state after the cohort, the eliminations and the final selection do not depend on ``u_tie``.
The decision of the real data (the root) is the one ``recommend`` makes, with the data's own uniform;
when it was a tie the root lists the alternatives (``PathNode.alternatives``) with chance 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import Enum
from fractions import Fraction

import numpy as np

from ..constants import Reason, Status
from ..designs import Design
from ..designs.home import home_of
from ..engine.replay import DecisionContext, move_word, replay_data
from ..errors import DataError
from ..oc.exact_states import cohort_outcomes
from ..outcomes import TrialData

#: Refuse trees bigger than this many nodes (the tree grows like (cohort_size + 1) ** cohorts).
MAX_NODES = 200_000


class RandomChoice(str, Enum):
    """How a decision on a pathway was left to chance (the design's own randomness, ``u_tie``)."""

    NONE = ""  #: the decision does not depend on u_tie
    TIE = "tie"  #: BOIN for combinations: candidate cells with equal scores, one taken at random
    TIED_ORDERINGS = "tied orderings"  #: PO-CRM: the most probable orderings tie, one taken at random
    ORDERING_DRAW = "ordering drawn"  #: PO-CRM (ordering_choice = "random"): ordering drawn by probability
    RANDOMISATION = "randomised"  #: U-BOIN's stage 2: the cohort randomised among doses by utility


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
    #: chance of this branch of the decision's random choice (1.0 when the decision did not depend on it)
    chance: float = 1.0
    #: next doses (0-based, -1 for a stop) the random choice could give, in order of u_tie (empty: none)
    alternatives: tuple[int, ...] = ()
    choice: RandomChoice = RandomChoice.NONE
    eff: int = 0  #: responses in the cohort (phase I/II designs)
    both: int = 0  #: responses with a DLT in the cohort (phase I/II designs)

    @property
    def outcomes(self) -> str:
        """N (neither), T (DLT), E (response without DLT), B (both) per patient of the cohort."""
        n_t, n_e = self.tox - self.both, self.eff - self.both
        return "N" * (self.n - n_t - n_e - self.both) + "T" * n_t + "E" * n_e + "B" * self.both


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

    def token(self, x: PathNode) -> str:
        """A cohort in outcome notation: ``"2NNT"`` (dose level 2), ``"1.2NNT"`` (cell 1.2 of a grid)."""
        return f"{self.data.dose_token(x.dose)}{x.outcomes}"

    def path_label(self, node: int) -> str:
        """e.g. ``"2NNN 3NTN"`` (``"1.2NNN 2.2NTN"`` on a grid): the future cohorts leading to ``node``."""
        return " ".join(self.token(x) for x in self.path_to(node))

    @property
    def has_random_choices(self) -> bool:
        """Whether some future decision splits into branches of a random choice."""
        return any(x.chance < 1.0 for x in self.nodes)

    def decision_word(self, x: PathNode) -> str:
        return decision_word(x, self.design)

    def to_frame(self):
        """:meth:`rows` as a DataFrame (one row per node, root included)."""
        from ..display import frame

        return frame(self.rows())

    def _repr_html_(self) -> str:
        from ..display import html_table, number, paragraph

        start = self.data.to_notation() or "the start"
        head = paragraph(f"{self.design.name}: pathways of the next {self.cohorts} cohort(s) from {start}")
        cols = ["path", "next_dose", "decision", "selected_dose", "prob", "chance"]
        rows = [[number(r[c], 4) for c in cols] for r in self.rows()[1:]]
        return head + html_table(cols, rows)

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
                    **({"responses": x.eff, "both": x.both} if self.design.uses_efficacy else {}),
                    "next_dose": labels[x.next_dose] if x.next_dose >= 0 else None,
                    "decision": decision_word(x, self.design),
                    "reason_code": x.reason.name,
                    "selected_dose": labels[x.selected] if x.selected >= 0 else None,
                    "prob": None if math.isnan(x.prob) else x.prob,
                    "random_choice": x.choice.value,
                    "chance": x.chance,
                    "alternatives": " ".join(labels[d] if d >= 0 else "stop" for d in x.alternatives),
                }
            )
        return out


def decision_word(x: PathNode, design: Design | None = None) -> str:
    """ "start", "escalate", "stay", "de-escalate" or "stop"; on a grid (``design`` a combination design)
    "escalate" only when no drug goes down, "de-escalate" only when none goes up, else "move"."""
    return move_word(x.status, x.dose, x.next_dose, design)


def chance_text(chance: float) -> str:
    """``"1/2"``, ``"2/3"`` (``"1"``) for the simple fractions ties give, else the probability to 4
    decimals."""
    frac = Fraction(chance).limit_denominator(64)
    if abs(float(frac) - chance) < 1e-12:
        return str(frac.numerator) if frac.denominator == 1 else f"{frac.numerator}/{frac.denominator}"
    return f"{chance:.4f}"


#: The single interval of u_tie of a decision that has no random choice.
NO_CHOICE = (RandomChoice.NONE, ((0.5, 1.0),))


def choice_uniforms(
    ctx: DecisionContext, n_at, tox_at
) -> tuple[RandomChoice, tuple[tuple[float, float], ...]]:
    """Where the decision on the counts ``n_at``/``tox_at`` (after the cohort) may use ``u_tie``: the
    kind of random choice and, per interval of u_tie on which the kernel's choice is constant, a uniform
    inside it and the interval's length (summing to 1). The design's home reads these from its kernel's
    mapping of u_tie (see the module docstring)."""
    return home_of(ctx.design).choice_uniforms(ctx, n_at, tox_at)


def _branches(ctx: DecisionContext, dose: int, n: int, y: int, eff: int = 0, both: int = 0):
    """The decisions after a cohort of n with y DLTs (``eff`` responses, ``both`` of them with a DLT) at
    ``dose`` from the state ``ctx`` (not changed): a list of (context after the cohort, step, chance),
    one per distinct (next dose, status), in order of u_tie, and the kind of random choice (NONE when
    there is one branch)."""
    n_after, tox_after = ctx.n_at.copy(), ctx.tox_at.copy()
    n_after[dose] += n
    tox_after[dose] += y
    probe = ctx
    if eff or both:  # a phase I/II home reads the responses after the cohort from the context
        probe = ctx.copy()
        probe.resp_at[0, dose] += eff
        probe.resp_at[1, dose] += both
    choice, uniforms = choice_uniforms(probe, n_after, tox_after)
    out: list[list] = []
    for u, weight in uniforms:
        child = ctx.copy()
        step = child.treat(dose, n, y, full=True, u_tie=u, eff=eff, efftox=both)
        for b in out:
            if (b[1].next_dose, b[1].status) == (step.next_dose, step.status):
                b[2] += weight
                break
        else:
            out.append([child, step, weight])
    if len(out) == 1:
        return [(out[0][0], out[0][1], 1.0)], RandomChoice.NONE
    return [tuple(b) for b in out], choice


def _binom(n: int, y: int, p: float) -> float:
    return math.comb(n, y) * p**y * (1.0 - p) ** (n - y)


def dose_paths(
    design: Design,
    data: TrialData,
    cohorts: int = 2,
    true_tox=None,
    cohort_size: int | None = None,
    true_eff=None,
    correlation: float = 0.0,
) -> DosePaths:
    """Enumerate the next ``cohorts`` cohorts from the state after ``data``.

    ``true_tox`` (one probability per dose; per cell of a grid, in index order) gives each path its exact
    probability, times the chances of the random choices on it; a phase I/II design needs ``true_eff``
    (response probabilities) with it, and reads ``correlation`` (the copula's). ``cohort_size`` overrides
    the design's cohort size for the future cohorts (never beyond ``max_n``). Only escalation cohorts
    count: an arm's extension patients in ``data`` are left out.
    """
    efficacy = design.uses_efficacy
    if efficacy and true_tox is not None and true_eff is None:
        raise DataError(
            f"scenario: {design.kind} decides on responses too; give the response probabilities (true_eff) "
            "with the DLT probabilities"
        )
    if not isinstance(cohorts, int) or isinstance(cohorts, bool) or cohorts < 1:
        raise DataError(f"cohorts: expected a whole number >= 1, got {cohorts!r}")
    size = design.cohort_size if cohort_size is None else cohort_size
    if not isinstance(size, int) or size < 1:
        raise DataError(f"cohort_size: expected a whole number >= 1, got {size!r}")
    if cohorts > design.max_n:
        raise DataError(
            f"cohorts: {cohorts} is more than the design's max_n = {design.max_n} patients; ask for fewer"
        )
    p = None
    if true_tox is not None:
        p = np.asarray(true_tox, dtype=float)
        if p.shape != (design.n_doses,) or np.any(p < 0) or np.any(p > 1):
            raise DataError(f"scenario: need {design.n_doses} DLT probabilities in [0, 1], got {list(p)}")
    pb = q = None
    if efficacy and p is not None:
        from ..oc.utility import prob_both

        q = np.asarray(true_eff, dtype=float)
        if q.shape != (design.n_doses,) or np.any(q < 0) or np.any(q > 1):
            raise DataError(
                f"scenario: need {design.n_doses} response probabilities in [0, 1], got {list(q)}"
            )
        pb = [prob_both(float(a), float(c), float(correlation)) for a, c in zip(p, q, strict=True)]
    data = data.escalation()  # an arm's extension patients are not escalation cohorts
    # the uniforms `recommend` uses; on a grid each decision is probed for ties, as `recommend` does
    probe = design.uses_tie_uniform
    ctx, steps = replay_data(design, data, data.tie_uniforms(), probe=probe)
    alternatives: tuple[int, ...] = ()
    if steps:
        last = steps[-1]
        status, reason, cur, nxt = last.status, last.reason, last.dose, last.next_dose
        if len(last.alternatives) > 1:
            alternatives = tuple(d if st == Status.CONTINUE else -1 for d, st in last.alternatives)
    else:
        status, reason, cur, nxt = Status.CONTINUE, Reason.NONE, -1, design.start_dose - 1
    selected = ctx.select(full=True) if status == Status.STOP_SELECT else -1
    root_choice = RandomChoice.NONE
    if alternatives:
        root_choice = home_of(design).root_choice(design)
    nodes = [
        PathNode(
            0,
            -1,
            0,
            cur,
            0,
            0,
            nxt if status == Status.CONTINUE else -1,
            status,
            reason,
            selected,
            1.0,
            1.0,
            alternatives,
            root_choice,
        )
    ]
    if p is None:
        nodes[0] = replace(nodes[0], prob=math.nan)
    frontier = [(0, ctx)] if status == Status.CONTINUE else []
    for depth in range(1, cohorts + 1):
        new_frontier = []
        for parent, pctx in frontier:
            dose = nodes[parent].next_dose
            n = min(size, design.max_n - pctx.n_total)
            if not efficacy:
                cohort = [(y, 0, 0, None) for y in range(n + 1)]
            elif p is None:
                cohort = [(e_y[0], e_y[1], e_y[2], None) for e_y in cohort_outcomes(n, 0.5, 0.5, 0.25)]
            else:
                cohort = cohort_outcomes(n, float(p[dose]), float(q[dose]), pb[dose])
            for y, e, b, pr in cohort:
                branches, choice = _branches(pctx, dose, n, y, e, b)
                alts = tuple(s.next_dose if s.status == Status.CONTINUE else -1 for _, s, _ in branches)
                for child, step, chance in branches:
                    cont = step.status == Status.CONTINUE
                    sel = child.select(full=True) if step.status == Status.STOP_SELECT else -1
                    prob = math.nan
                    if p is not None:
                        pr_cohort = _binom(n, y, float(p[dose])) if pr is None else pr
                        prob = nodes[parent].prob * pr_cohort * chance
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
                            chance,
                            alts if choice != RandomChoice.NONE else (),
                            choice,
                            e,
                            b,
                        )
                    )
                    if cont:
                        new_frontier.append((len(nodes) - 1, child))
                if len(nodes) > MAX_NODES:  # random choices split outcomes into more branches
                    raise DataError(
                        f"cohorts: {cohorts} cohorts of {size} make more than {MAX_NODES:,} paths with "
                        "the branches of the design's random choices; ask for fewer cohorts"
                    )
        frontier = new_frontier
        # the reachable paths, not the (n + 1)^k possible ones, decide: stopped trials end their branches,
        # so a 3+3 with a dozen cohorts is small; a path that goes on opens at most n + 1 outcomes next
        # (more only through random choices, which the check above catches)
        outcomes = (size + 1) * (size + 2) * (size + 3) // 6 if efficacy else size + 1
        ahead = len(nodes) + len(frontier) * outcomes
        if depth < cohorts and frontier and ahead > MAX_NODES:
            raise DataError(
                f"cohorts: {cohorts} cohorts of {size} reach about {ahead:,} paths by cohort {depth + 1} "
                f"(more than {MAX_NODES:,}); ask for at most {depth} cohorts"
            )
    return DosePaths(design, data, cohorts, tuple(nodes), None if p is None else tuple(map(float, p)))
