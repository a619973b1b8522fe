"""PO-CRM: the continual reassessment method for partial orders (Wages, Conaway & O'Quigley 2011,
Biometrics 67:1555-1563), the model-based design for a two-drug grid.

The cells of the grid are only partially ordered by toxicity (cell j.k is at most as toxic as every cell
with both levels at least as high). PO-CRM lists M complete orderings compatible with that partial order
(linear extensions). Under ordering m the cell at position r (0-based, least toxic first) gets the skeleton
value s_r, so ``alpha[m, c] = s[rank_m(c)]``, and the DLT probability of cell c is the one-parameter
power model

    p_c = alpha[m, c] ** exp(b),    b ~ N(0, prior_sd^2)    (``estimation = "bayes"``, the default)

with prior probability ``ordering_prior[m]`` for ordering m. The posterior of b under each ordering and
the ordering's evidence (marginal likelihood) are computed by the same trapezoid quadrature as the CRM
(:mod:`dosefind.engine.posterior`); posterior ordering probabilities are proportional to prior x evidence.

``estimation = "likelihood"`` is the pocrm R package (version 0.13, ``pocrm.imp``/``pocrm.sim``):
p_c = alpha[m, c] ** a with a > 0 estimated by maximum likelihood on (0, 100] under each ordering, and
ordering weights proportional to prior x the maximised likelihood.

Orderings (``orderings``): lists of the included cells' labels from least to most toxic. The default is
the six "typical" orderings of Wages & Conaway (2013, Pharmaceutical Statistics 12:217-224), generated for
any J x K grid by :func:`typical_orderings` (duplicates dropped: a 2 x 2 grid has only two).

Allocation after each cohort:

1. Stage 1 (``stage1``: a list of cells, one per cohort; default: the zones path -- cells by increasing
   j + k, drug A rising within a zone, as in the pocrm.sim example): while no DLT has been seen, the
   cohort after n patients goes to ``stage1[n // cohort_size]`` (the last entry once the list is used
   up). With likelihood estimation the model needs a patient with and one without a DLT: while every
   patient so far had a DLT the design stays at the first stage-1 cell (pocrm.sim steps one combination
   number down, which from the first combination is the same cell).
2. Stage 2, from the first DLT on: ``ordering_choice = "max"`` (default; pocrm) takes the most probable
   ordering, ties broken uniformly at random with the decision's uniform ``u_tie`` (as ``which.is.max``);
   ``"random"`` draws the ordering with its posterior probability (an option for exploring orderings;
   the package always takes the most probable). The next cell is the one whose estimate
   alpha[m, c] ** exp(E b) (plug-in at the posterior mean of b; at the MLE with likelihood estimation) is
   closest to the target, lowest index on ties. No restriction on skipping or on the size of the move
   (the package has none).
3. ``stop_n`` (the package's ``stop``; off by default): in stage 2 the trial stops when the cell chosen
   for the next cohort already has ``stop_n`` patients; in stage 1 when some cell has more than ``stop_n``.

Final selection: without any DLT, the cell stage 1 would treat next (pocrm.sim declares the top of the
escalation path the MTD); otherwise the model's cell under the most probable ordering (also with
``ordering_choice = "random"``), ties between orderings broken by a uniform that is a pure function of
the data (the selection has no random stream of its own).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...constants import DesignKind
from ...errors import SpecError
from .. import layout as L
from .. import validate as v
from ..combination import CombinationDesign
from ..crm import DFCRM_PRIOR_SD, Crm
from ..grid import DoseGrid
from ..skeleton import calibrate_skeleton, resolve_skeleton

#: Upper end of the search interval of the power a with likelihood estimation (pocrm.sim's optimize).
LIKELIHOOD_A_MAX = 100.0

#: Names of the typical orderings, in the order :func:`typical_orderings` lists them.
TYPICAL_ORDERING_NAMES = (
    "rows",
    "columns",
    "diagonals, drug A rising",
    "diagonals, drug B rising",
    "alternating diagonals, drug A rising first",
    "alternating diagonals, drug B rising first",
)


def _typical_keys(j: int, k: int) -> tuple[tuple[int, int], ...]:
    s = j + k
    return (
        (j, k),  # across rows: drug B escalated within each level of drug A
        (k, j),  # up columns: drug A escalated within each level of drug B
        (s, j),  # diagonal by diagonal (zones), drug A rising along each
        (s, k),  # the same, drug B rising along each
        (s, j if s % 2 == 1 else k),  # alternating, drug A rising on the first diagonal with two cells
        (s, k if s % 2 == 1 else j),  # alternating, drug B rising first
    )


def _included(grid: DoseGrid) -> list[tuple[int, int]]:
    mask = grid.excluded_mask
    return [(j, k) for j in range(grid.n_rows) for k in range(grid.n_cols) if not mask[j * grid.n_cols + k]]


def _generated(grid: DoseGrid, i: int) -> tuple[str, ...]:
    """The i-th typical ordering (index into TYPICAL_ORDERING_NAMES), as labels."""
    order = sorted(_included(grid), key=lambda jk: _typical_keys(*jk)[i])
    return tuple(f"{j + 1}.{k + 1}" for j, k in order)


def typical_orderings(grid: DoseGrid) -> tuple[tuple[str, ...], ...]:
    """The six typical orderings of Wages & Conaway (2013) for ``grid``, duplicates dropped.

    Cell j.k (0-based j, k here) is ordered, over the included cells, by: (1) rows, (j, k): 1.1, 1.2, ...,
    1.K, 2.1, ...; (2) columns, (k, j); (3) zones (anti-diagonals j + k) with drug A rising along each:
    1.1, 1.2, 2.1, 1.3, 2.2, 3.1, ...; (4) zones with drug B rising: 1.1, 2.1, 1.2, 3.1, 2.2, 1.3, ...;
    (5) and (6) zones with the direction alternating from one diagonal to the next, starting with drug A
    rising, or drug B rising, on the diagonal 1.2 / 2.1. (Wages & Conaway name them across rows, up
    columns, up / down diagonals and alternating diagonals; which diagonal direction is "up" depends
    on how the grid is drawn, so dosefind names the drug that rises.) Every one is a linear extension
    of the grid's partial order. Cells excluded from the grid are left out.
    """
    out: list[tuple[str, ...]] = []
    for i in range(len(TYPICAL_ORDERING_NAMES)):
        labels = _generated(grid, i)
        if labels not in out:
            out.append(labels)
    return tuple(out)


def zones_path(grid: DoseGrid, start: str = "1.1") -> tuple[str, ...]:
    """Default stage-1 path: ``start``, then every included cell of a higher zone (j + k), zone by zone,
    drug A rising within a zone (the path of the pocrm.sim help example)."""
    s0 = sum(grid.coords(grid.index(start)))
    zones = _generated(grid, 2)
    return (start,) + tuple(lab for lab in zones if sum(grid.coords(grid.index(lab))) > s0)


def is_linear_extension(grid: DoseGrid, order) -> bool:
    """True when ``order`` (cell labels) never puts a cell before one it dominates in both drugs."""
    pos = {grid.index(lab): i for i, lab in enumerate(order)}
    for c, i in pos.items():
        j, k = grid.coords(c)
        for c2, i2 in pos.items():
            j2, k2 = grid.coords(c2)
            if c2 != c and j2 >= j and k2 >= k and i2 < i:
                return False
    return True


@dataclass(frozen=True, kw_only=True)
class PoCrm(CombinationDesign):
    """PO-CRM on a two-drug grid; see the module docstring for the rules."""

    skeleton: tuple[float, ...] | None = None
    skeleton_halfwidth: float | None = None
    skeleton_nu: int | None = None
    orderings: tuple[tuple[str, ...], ...] | None = None
    ordering_prior: tuple[float, ...] | None = None
    prior_sd: float = DFCRM_PRIOR_SD
    estimation: str = "bayes"
    ordering_choice: str = "max"
    stage1: tuple[str, ...] | None = None
    stop_n: int | None = None
    n_nodes: int | None = None
    prior_range: float = 8.0

    kind = "pocrm"
    uses_tie_uniform = True

    def __post_init__(self):
        super().__post_init__()
        set_ = object.__setattr__
        grid = self.grid
        mask = grid.excluded_mask
        included = [c for c in range(grid.n_cells) if not mask[c]]
        R = len(included)
        # ---- skeleton ----
        skeleton = resolve_skeleton(
            self.skeleton,
            self.skeleton_halfwidth,
            self.skeleton_nu,
            R,
            lambda hw, nu: calibrate_skeleton(self.target, hw, nu, R, unit="included cells"),
            missing_fix=f"give skeleton = [s1, ..., s{R}] (one value per included cell, increasing) or "
            "skeleton_halfwidth and skeleton_nu (Lee & Cheung calibration)",
            nu_fix=f"skeleton_nu is the prior MTD position, 1 to {R} (the number of included cells)",
        )
        set_(self, "skeleton", skeleton)
        sk = self.skeleton
        if len(sk) != R:
            raise SpecError(
                "skeleton",
                f"has {len(sk)} values for {R} included cells",
                "give one value per included cell: the skeleton is assigned to the cells along each ordering",
            )
        if any(b <= a for a, b in zip(sk, sk[1:], strict=False)):
            raise SpecError(
                "skeleton", f"must be strictly increasing, got {list(sk)}", "sort the values, lowest first"
            )
        # ---- orderings ----
        if self.orderings is None:
            orders = typical_orderings(grid)
        else:
            orders = self._check_orderings(included)
        set_(self, "orderings", orders)
        M = len(orders)
        if self.ordering_prior is None:
            set_(self, "ordering_prior", tuple(1.0 / M for _ in range(M)))
        else:
            prior = v.prob_vector("ordering_prior", self.ordering_prior, open_interval=False)
            if len(prior) != M:
                raise SpecError(
                    "ordering_prior",
                    f"has {len(prior)} values for {M} orderings",
                    "give one prior probability per ordering, or leave it out (uniform)",
                )
            if min(prior) <= 0.0 or abs(sum(prior) - 1.0) > 1e-9:
                raise SpecError(
                    "ordering_prior",
                    f"must be positive and sum to 1, got {list(prior)} (sum {sum(prior):g})",
                    "give positive probabilities that sum to 1 (drop an ordering rather than give it 0)",
                )
            set_(self, "ordering_prior", prior)
        # ---- model and rules ----
        set_(self, "prior_sd", v.real("prior_sd", self.prior_sd, low=0.0, low_open=True))
        v.choice("estimation", self.estimation, ["bayes", "likelihood"])
        v.choice("ordering_choice", self.ordering_choice, ["max", "random"])
        if self.stage1 is None:
            set_(self, "stage1", zones_path(grid, self.start))
        else:
            set_(self, "stage1", self._check_stage1())
        if self.stop_n is not None:
            set_(
                self,
                "stop_n",
                v.integer("stop_n", self.stop_n, low=1, fix="use a whole number >= 1 or leave it out"),
            )
        if self.n_nodes is not None:
            set_(self, "n_nodes", v.integer("n_nodes", self.n_nodes, low=33, high=20001))
        set_(self, "prior_range", v.real("prior_range", self.prior_range, low=4.0, high=40.0))

    def _check_orderings(self, included) -> tuple[tuple[str, ...], ...]:
        grid = self.grid
        raw = self.orderings
        if isinstance(raw, (str, bytes)) or not isinstance(raw, (list, tuple)) or not raw:
            raise SpecError(
                "orderings",
                f"expected a list of orderings, got {raw!r}",
                'write e.g. orderings = [["1.1", "1.2", "2.1", "2.2"], ["1.1", "2.1", "1.2", "2.2"]]',
            )
        want = sorted(included)
        out: list[tuple[str, ...]] = []
        for i, order in enumerate(raw):
            field = f"orderings[{i}]"
            if isinstance(order, (str, bytes)) or not isinstance(order, (list, tuple)):
                raise SpecError(
                    field, f"expected a list of cell labels, got {order!r}", 'write e.g. ["1.1", "1.2"]'
                )
            cells = [grid.index(lab, field=field) for lab in order]
            if sorted(cells) != want:
                missing = [grid.label(c) for c in want if c not in cells]
                extra = [grid.label(c) for c in cells if c not in want or cells.count(c) > 1]
                problem = (
                    f"lists {len(cells)} cells for {len(want)} included cells"
                    + (f"; missing {missing}" if missing else "")
                    + (f"; excluded or repeated {sorted(set(extra))}" if extra else "")
                )
                raise SpecError(field, problem, "list every included cell exactly once, least toxic first")
            labels = tuple(grid.label(c) for c in cells)
            if not is_linear_extension(grid, labels):
                raise SpecError(
                    field,
                    "puts a cell before a cell that is lower in both drugs",
                    "an ordering must respect the grid: raising either drug never lowers toxicity",
                )
            if labels in out:
                raise SpecError(field, f"repeats orderings[{out.index(labels)}]", "list every ordering once")
            out.append(labels)
        return tuple(out)

    def _check_stage1(self) -> tuple[str, ...]:
        grid = self.grid
        raw = self.stage1
        if isinstance(raw, (str, bytes)) or not isinstance(raw, (list, tuple)) or not raw:
            raise SpecError(
                "stage1",
                f"expected a list of cell labels, got {raw!r}",
                'write e.g. stage1 = ["1.1", "1.2", "2.1", "2.2"] (one cell per cohort)',
            )
        mask = grid.excluded_mask
        labels = []
        for i, lab in enumerate(raw):
            c = grid.index(lab, field=f"stage1[{i}]")
            if mask[c]:
                raise SpecError(f"stage1[{i}]", f"cell {lab} is excluded from the grid", "use included cells")
            labels.append(grid.label(c))
        if labels[0] != self.start:
            raise SpecError(
                "stage1",
                f"starts at {labels[0]} but the design starts at {self.start}",
                f'set start = "{labels[0]}" or begin stage1 with "{self.start}"',
            )
        return tuple(labels)

    # ---- model -------------------------------------------------------------------------------------
    @property
    def n_included(self) -> int:
        return len(self.skeleton)

    def ranks(self) -> np.ndarray:
        """int [M, n_cells]: position of each cell in each ordering (0 = least toxic; -1 excluded)."""
        out = np.full((len(self.orderings), self.grid.n_cells), -1, dtype=np.int64)
        for m, order in enumerate(self.orderings):
            for r, lab in enumerate(order):
                out[m, self.grid.index(lab)] = r
        return out

    def alpha(self) -> np.ndarray:
        """float [M, n_cells]: the skeleton value of each cell under each ordering (nan for excluded)."""
        ranks = self.ranks()
        sk = np.asarray(self.skeleton)
        return np.where(ranks >= 0, sk[np.maximum(ranks, 0)], np.nan)

    def _crm(self) -> Crm:
        """The single-agent CRM over the skeleton: its quadrature grid serves every ordering."""
        return Crm(
            target=self.target,
            max_n=self.max_n,
            cohort_size=self.cohort_size,
            n_doses=self.n_included,
            skeleton=self.skeleton,
            prior_sd=self.prior_sd,
            n_nodes=self.n_nodes,
            prior_range=self.prior_range,
        )

    def nodes_for(self, n_cap: int) -> int:
        """Quadrature nodes: those of the CRM with the same skeleton and prior (accurate to 1e-7)."""
        return self._crm().nodes_for(n_cap)

    def _compile_base(self, ip, fp, tables, n_cap):
        D = self.grid.n_cells
        R = self.n_included
        M = len(self.orderings)
        S = len(self.stage1)
        bayes = self.estimation == "bayes"
        ip[L.IP_KIND] = DesignKind.POCRM
        ip[L.IP_POCRM_N_ORDERINGS] = M
        ip[L.IP_POCRM_ESTIMATION] = 0 if bayes else 1
        ip[L.IP_POCRM_ORDERING_CHOICE] = 0 if self.ordering_choice == "max" else 1
        ip[L.IP_POCRM_STOP_N] = 0 if self.stop_n is None else self.stop_n
        ip[L.IP_POCRM_STAGE1_LEN] = S
        ip[L.IP_POCRM_N_INCLUDED] = R
        fp[L.FP_POCRM_PRIOR_SD] = self.prior_sd
        fp[L.FP_POCRM_A_MAX] = LIKELIHOOD_A_MAX
        if bayes:
            nodes = self._crm().quadrature_grid(n_cap).T  # rows as POCRM_ROW_* (the CRM grid's columns)
        else:
            nodes = np.zeros((L.GRID_FIRST + 3 * R, 0))
        K = nodes.shape[1]
        ip[L.IP_POCRM_N_NODES] = K
        # work: node values, then per ordering the log weight and the parameter estimate, then the
        # tried cells (index, patients, DLTs, rank under the ordering being fitted)
        ip[L.IP_POCRM_WORK] = max(K, 1) + 2 * M + 4 * D
        top = L.POCRM_ROW_LOGP + 3 * R
        grid = np.zeros((top + M + 3, max(K, D, M, S, R)))
        grid[:top, :K] = nodes
        grid[top : top + M, :D] = self.ranks()
        grid[top + M + L.POCRM_ROW_PRIOR, :M] = np.log(np.asarray(self.ordering_prior))
        grid[top + M + L.POCRM_ROW_STAGE1, :S] = [self.grid.index(lab) for lab in self.stage1]
        grid[top + M + L.POCRM_ROW_LOG_SKELETON, :R] = np.log(np.asarray(self.skeleton))
        return grid

    # ---- serialisation -------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        out = super().to_dict()
        out["orderings"] = [list(o) for o in self.orderings]
        return out

    @classmethod
    def from_dict(cls, data: dict) -> PoCrm:
        data = dict(data)
        for key in ("orderings", "ordering_prior", "stage1"):
            value = data.get(key)
            if isinstance(value, list):
                data[key] = tuple(tuple(o) if isinstance(o, list) else o for o in value)
        return super().from_dict(data)

    def ordering_names(self) -> list[str]:
        """A name per ordering: the typical ordering's name where it is one, else "ordering m"."""
        typical = {
            _generated(self.grid, i): name for i, name in reversed(list(enumerate(TYPICAL_ORDERING_NAMES)))
        }
        return [typical.get(order, f"ordering {m + 1}") for m, order in enumerate(self.orderings)]

    def describe(self) -> str:
        base = super().describe()
        return f"{base}, {len(self.orderings)} orderings, {self.estimation}"
