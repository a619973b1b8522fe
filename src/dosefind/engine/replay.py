"""Run one trial cohort by cohort from Python, calling the same decision kernels as the engine.

Used by the tests (dose paths, properties) and by live recommendations, which replay the real trial's
cohorts through :func:`decide` to rebuild the design's state (eliminations, the CRM posterior).

Tie-breaking uniforms. A decision that breaks a tie at random (BOIN for combinations, PO-CRM) reads the
uniform ``u_tie`` it is given. Where each replay takes it from:

* a simulated trial (:func:`replay_simulated_trial`, or :func:`replay_trial` with ``u_ties``): decision i
  gets latent value i of stream ``STREAM_DESIGN`` of the trial's key, exactly as the simulation loop
  (``engine.trial.escalate``) draws it, so the replay is the simulated trial;
* patients without a trial key (:func:`replay_trial` without ``u_ties``) and real data
  (:func:`replay_data` without ``u_ties``): the live rule, a pure function of the data the decision is
  made on (``TrialData.tie_uniforms``: SHA-256 of the content hash of the cohorts so far, see
  :mod:`dosefind.live.recommend`); :func:`replay_trial` writes its trial in the outcome notation for this,
  so it decides as ``recommend`` would on that notation.

Only :meth:`DecisionContext.treat`, the step underneath, has a fixed default (0.5) for callers that
pass no uniform.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from ..constants import Reason, Status, reason_from_code
from ..designs import Design
from ..designs import layout as L
from ..errors import EngineError
from ..outcomes.notation import parse_outcomes
from ..outcomes.trial import tie_uniform
from ..scenario import Scenario
from .copula import responds_tab, response_table
from .decisions import decide, init_admissible, select_dose
from .posterior import new_cache
from .rng import STREAM_DESIGN, STREAM_EFF, STREAM_TOX, latent_uniforms


@dataclass
class Cohort:
    dose: int  #: 0-based dose given
    n: int
    tox: int
    next_dose: int
    status: Status
    reason: Reason
    base_next: int
    base_reason: Reason
    admissible: tuple[bool, ...] = ()  #: admissible doses after this decision
    u_tie: float = 0.5  #: the tie-breaking uniform the decision was given
    eff: int = 0  #: responses in the cohort (phase I/II designs)
    efftox: int = 0  #: responses among the cohort's patients with a DLT
    #: (next dose, status) the decision takes for other values of ``u_tie`` too, in order of u (filled by
    #: ``replay_data(..., probe_ties=True)``; empty when not probed, one entry when u does not matter)
    alternatives: tuple[tuple[int, Status], ...] = ()


@dataclass
class DecisionContext:
    """The compiled design and the mutable trial state it decides on."""

    design: Design
    n_cap: int | None = None
    n_at: np.ndarray = field(init=False)
    tox_at: np.ndarray = field(init=False)
    #: [2, D]: responses per dose, and responses among patients with a DLT (phase I/II designs)
    resp_at: np.ndarray = field(init=False)
    admissible: np.ndarray = field(init=False)
    #: the result of the replay's side work (:func:`replay_data`'s ``side``), None without
    side_result: object = field(default=None, init=False)

    def __post_init__(self):
        self.compiled = self.design.compile(self.n_cap)
        D = self.design.n_doses
        self.n_at = np.zeros(D, dtype=np.int64)
        self.tox_at = np.zeros(D, dtype=np.int64)
        self.resp_at = np.zeros((2, D), dtype=np.int64)
        self.admissible = np.ones(D, dtype=np.int8)
        init_admissible(self.compiled.ip, self.admissible)
        self.ckeys, self.cvals, self.work = self._new_cache()

    def _new_cache(self):
        K = int(self.compiled.ip[L.IP_CRM_N_NODES])
        D = self.design.n_doses
        return new_cache(D, 0, max(K, 6 * D, 1), self.design.decision_row_width())

    def copy(self) -> DecisionContext:
        """An independent trial state on the same compiled design.

        The posterior cache is shared: its entries are pure functions of the state, so sharing them
        only saves work.
        """
        twin = copy.copy(self)
        twin.n_at = self.n_at.copy()
        twin.tox_at = self.tox_at.copy()
        twin.resp_at = self.resp_at.copy()
        twin.admissible = self.admissible.copy()
        return twin

    def record(self, dose: int, n: int, tox: int, eff: int = 0, efftox: int = 0) -> None:
        """Add a cohort's counts at ``dose`` (0-based) to the state, without deciding."""
        self.n_at[dose] += n
        self.tox_at[dose] += tox
        self.resp_at[0, dose] += eff
        self.resp_at[1, dose] += efftox

    def fork(self) -> DecisionContext:
        """:meth:`copy` with a posterior cache of its own (its scratch row included), so the twin can
        decide in another thread at the same time."""
        twin = self.copy()
        twin.ckeys, twin.cvals, twin.work = twin._new_cache()
        return twin

    def last_row(self) -> np.ndarray:
        """The posterior row the last decision computed (the context's cache has no capacity, so every
        decision writes its state's row into the scratch row); a design that caches no posterior leaves
        it as it was."""
        return self.cvals[-1].copy()

    @property
    def n_total(self) -> int:
        return int(self.n_at.sum())

    def treat(
        self,
        dose: int,
        n: int,
        tox: int,
        full: bool = True,
        u_tie: float = 0.5,
        eff: int = 0,
        efftox: int = 0,
    ) -> Cohort:
        """Record a cohort at ``dose`` (0-based) and return the design's decision.

        ``eff`` responses among the cohort's ``n`` patients, ``efftox`` of them with a DLT (read by phase
        I/II designs only).

        ``u_tie`` is the uniform a design uses to break a tie at random (BOIN for combinations, PO-CRM):
        the simulation draws it per decision, live use derives it from the data (see the module
        docstring); the default 0.5 is only for callers that have none.
        """
        nxt, status, reason, bn, br = self.decide_raw(dose, n, tox, full, u_tie, eff=eff, efftox=efftox)
        return Cohort(
            dose,
            n,
            tox,
            int(nxt),
            Status(status),
            reason_from_code(reason),
            int(bn),
            reason_from_code(br),
            tuple(bool(a) for a in self.admissible),
            float(u_tie),
            int(eff),
            int(efftox),
        )

    def decide_raw(
        self,
        dose: int,
        n: int,
        tox: int,
        full: bool = True,
        u_tie: float = 0.5,
        n_total: int | None = None,
        *,
        eff: int = 0,
        efftox: int = 0,
    ):
        """:meth:`treat` without the Cohort record: the kernel's (next dose, status, reason, base next
        dose, base reason) as integers (exact operating characteristics call it once per branch, with
        ``n_total``, the patients after this cohort, when they know it)."""
        self.record(dose, n, tox, eff, efftox)
        c = self.compiled
        return decide(
            c.ip,
            c.fp,
            c.tables,
            c.grid,
            c.mods,
            c.modf,
            self.n_at,
            self.tox_at,
            self.resp_at,
            self.admissible,
            dose,
            n,
            tox,
            self.n_total if n_total is None else n_total,
            self.ckeys,
            self.cvals,
            self.work,
            full,
            float(u_tie),
        )

    def select(self, full: bool = True) -> int:
        c = self.compiled
        return int(
            select_dose(
                c.ip,
                c.fp,
                c.tables,
                c.grid,
                self.n_at,
                self.tox_at,
                self.resp_at,
                self.admissible,
                self.ckeys,
                self.cvals,
                self.work,
                full,
            )
        )


@dataclass
class TrialTrace:
    cohorts: list[Cohort]
    selected: int
    status: Status
    n_at: np.ndarray
    tox_at: np.ndarray
    #: responses per dose (phase I/II designs; zeros for the others)
    eff_at: np.ndarray | None = None
    #: the trial in the outcome notation, when the replay wrote it (no ``u_ties`` given)
    notation: str = ""


def replay_trial(
    design: Design,
    true_tox,
    uniforms,
    outcome=None,
    u_ties=None,
    *,
    true_eff=None,
    eff_uniforms=None,
    rho=0.0,
) -> TrialTrace:
    """Simulate one trial from its patients' latent uniforms (``uniforms[i]`` for the i-th patient).

    ``outcome(u, p)`` says whether a patient with latent value u has a DLT at a dose with true
    probability p (default ``u < p``, the engine's rule); other software's conventions can be replayed.

    ``u_ties[i]`` is the tie-breaking uniform of the decision after cohort i (one per cohort; the
    ``max_n`` values of a trial's ``STREAM_DESIGN`` row always suffice): with a simulated trial's values
    the replay is that trial (:func:`replay_simulated_trial` draws both rows from the trial's key).
    Without ``u_ties`` there is no trial key to draw from, and each decision gets the live rule's uniform
    (:func:`~dosefind.outcomes.trial.tie_uniform` of the content hash of the trial so far, written in the
    outcome notation): the replay decides as ``recommend`` would on the notation of this trial.

    A design that decides on responses needs ``true_eff`` and ``eff_uniforms`` (patient i responds as the
    engine decides it from ``uniforms[i]`` and ``eff_uniforms[i]``: the Gaussian copula with correlation
    ``rho``, :mod:`dosefind.engine.copula`); the notation then marks responders E (B with a DLT).
    """
    outcome = outcome if outcome is not None else (lambda u, p: u < p)
    ctx = DecisionContext(design)
    p = np.asarray(true_tox, dtype=float)
    track_eff = design.uses_efficacy
    if track_eff:
        if true_eff is None or eff_uniforms is None:
            raise EngineError(f"{design.kind} decides on responses: give true_eff and eff_uniforms")
        q = np.asarray(true_eff, dtype=float)
        tab = response_table(q, float(rho))
    cur = design.start_dose - 1
    cells = design.dose_grid is not None
    tokens: list[str] = []
    cohorts = []
    while True:
        size = min(design.cohort_size, design.max_n - ctx.n_total)
        start = ctx.n_total
        dlt = [bool(outcome(float(u), float(p[cur]))) for u in uniforms[start : start + size]]
        resp = [False] * size
        if track_eff:
            resp = [
                bool(
                    responds_tab(
                        float(uniforms[k]), float(eff_uniforms[k]), tab, cur, float(q[cur]), float(rho)
                    )
                )
                for k in range(start, start + size)
            ]
        i = len(cohorts)
        if u_ties is None:
            tokens.append(design.doses[cur] if cells else str(cur + 1))
            if track_eff:  # responders E (B with a DLT), the others N- or T- (response assessed, none)
                marks = {(False, False): "N-", (True, False): "T-", (False, True): "E", (True, True): "B"}
                tokens[-1] += "".join(marks[(x, r)] for x, r in zip(dlt, resp, strict=True))
            else:
                tokens[-1] += "".join("T" if x else "N" for x in dlt)
            data = parse_outcomes(" ".join(tokens), design.doses, efficacy=track_eff, cells=cells)
            u = tie_uniform(data.content_hash)
        elif i < len(u_ties):
            u = float(u_ties[i])
        else:
            raise EngineError(
                f"u_ties has {len(u_ties)} uniforms but the trial reached decision {i + 1}; give one per "
                f"cohort (a trial's first max_n = {design.max_n} STREAM_DESIGN values always suffice)"
            )
        eff = sum(resp)
        efftox = sum(r and x for r, x in zip(resp, dlt, strict=True))
        step = ctx.treat(cur, size, sum(dlt), full=False, u_tie=u, eff=eff, efftox=efftox)
        cohorts.append(step)
        if step.status != Status.CONTINUE:
            break
        cur = step.next_dose
    selected = ctx.select(full=False) if step.status == Status.STOP_SELECT else -1
    return TrialTrace(
        cohorts,
        selected,
        step.status,
        ctx.n_at.copy(),
        ctx.tox_at.copy(),
        ctx.resp_at[0].copy(),
        " ".join(tokens),
    )


def replay_simulated_trial(design: Design, scenario: Scenario, seed: int, trial: int) -> TrialTrace:
    """Trial ``trial`` of the (seed, scenario) sequence that ``simulate_one(design, scenario, n, seed)``
    simulates (row t of a result with ``first_trial = k`` is trial k + t), cohort by cohort.

    Patient i's toxicity value and decision i's tie-breaking uniform are latent values i of streams
    ``STREAM_TOX`` and ``STREAM_DESIGN`` of the trial's key, as the simulation loop draws them, so the
    trace is the simulated trial: same doses, counts, status, reason and selected dose, for every design
    (also those whose decisions use their own randomness).
    """
    key = scenario.key
    u_tox = latent_uniforms(seed, key, 1, design.max_n, stream=STREAM_TOX, first_trial=trial)[0]
    u_ties = latent_uniforms(seed, key, 1, design.max_n, stream=STREAM_DESIGN, first_trial=trial)[0]
    if not design.uses_efficacy:
        return replay_trial(design, scenario.true_tox, u_tox, u_ties=u_ties)
    u_eff = latent_uniforms(seed, key, 1, design.max_n, stream=STREAM_EFF, first_trial=trial)[0]
    return replay_trial(
        design,
        scenario.true_tox,
        u_tox,
        u_ties=u_ties,
        true_eff=scenario.true_eff,
        eff_uniforms=u_eff,
        rho=scenario.correlation,
    )


def move_word(status: Status, dose: int, next_dose: int, design: Design | None = None) -> str:
    """ "start" (no dose given yet), "escalate", "stay", "de-escalate" or "stop" (0-based doses). On a
    grid (``design`` a combination design) "escalate" only when no drug goes down, "de-escalate" only when
    none goes up, else "move" (the cells are not ordered by toxicity)."""
    if status != Status.CONTINUE:
        return "stop"
    if dose < 0:
        return "start"
    word = "escalate" if next_dose > dose else "de-escalate" if next_dose < dose else "stay"
    if word == "stay" or design is None or design.dose_grid is None:
        return word
    (j0, k0), (j1, k1) = design.grid.coords(dose), design.grid.coords(next_dose)
    if j1 >= j0 and k1 >= k0:
        return "escalate"
    if j1 <= j0 and k1 <= k0:
        return "de-escalate"
    return "move"


#: Values of the tie-breaking uniform at which :func:`replay_data` probes a decision (midpoints of 16
#: equal intervals: a tie among up to 16 candidates chosen as ``int(u * m)`` is seen whole).
PROBE_U = tuple((i + 0.5) / 16 for i in range(16))


def probe_ties(ctx: DecisionContext, dose: int, n: int, tox: int, full: bool = True) -> tuple:
    """The distinct (next dose, status) the decision after a cohort takes as ``u_tie`` runs over
    :data:`PROBE_U`, in order of u; ``ctx`` (the state before the cohort) is not changed. Stops with the
    same status are one outcome whatever dose the base rule proposed before a modifier stopped the trial
    (the final selection does not read u_tie), so a tie in the proposal that every uniform turns into the
    same stop is no tie of the decision."""
    seen: list[tuple[int, Status]] = []
    keys: list[tuple[int, Status]] = []
    for u in PROBE_U:
        step = ctx.copy().treat(dose, n, tox, full, u)
        key = (step.next_dose if step.status == Status.CONTINUE else -1, step.status)
        if key not in keys:
            keys.append(key)
            seen.append((step.next_dose, step.status))
    return tuple(seen)


def cohort_responses(design: Design, data) -> list[tuple[int, int]]:
    """(responses, responses with a DLT) of each escalation cohort, for a design that decides on
    responses; zeros for the others. An unknown response is never read as none: a phase I/II design
    refuses data where an escalation patient's response is not recorded (E/B, or N-/T- in the notation)."""
    from ..errors import DataError

    out = []
    for i, c in enumerate(data.cohorts):
        if not design.uses_efficacy:
            out.append((0, 0))
            continue
        for p in c.patients:
            if p.efficacy is None:
                where = f"line {p.line}" if p.line is not None else f"cohort {i + 1}"
                raise DataError(
                    f"patient {p.patient_id} ({where}) has no recorded response, and {design.kind} decides "
                    "on responses: record it (E or B for a response, N- or T- for none; a CSV efficacy "
                    "column of 1/0)"
                )
        eff = sum(bool(p.efficacy) for p in c.patients)
        out.append((eff, sum(bool(p.efficacy) and p.dlt for p in c.patients)))
    return out


#: the largest decision table (patients x DLTs at one dose, one byte each) a replay may build
MAX_TABLE_BYTES = 512 * 2**20


def replay_data(
    design: Design, data, u_ties=None, probe: bool = False, side=None
) -> tuple[DecisionContext, list[Cohort]]:
    """Feed a real trial's cohorts (:class:`~dosefind.outcomes.TrialData`) through ``decide``, in order.

    ``u_ties[i]`` is the tie-breaking uniform of the decision after cohort i (default: the live rule,
    ``data.tie_uniforms()``, a pure function of the data up to that cohort). With ``probe``, each step's
    ``alternatives`` lists what the decision would have been for other uniforms (:func:`probe_ties`), so a
    report can say that candidates tied.
    ``side``: a callable that needs none of the decisions (the meeting table's work on the final counts,
    :meth:`~dosefind.designs.home.DesignHome.live_side_work`), run beside them; its result is the
    returned context's ``side_result``.
    Returns the context (state after the last cohort, ready for more) and the decision after each cohort.
    """
    from ..errors import DataError

    if tuple(data.dose_labels) != tuple(design.doses):
        raise DataError(
            f"the data's doses {list(data.dose_labels)} are not the design's doses {list(design.doses)}; "
            "read the data with the design it belongs to"
        )
    never = [i for i, ok in enumerate(design.initial_admissible()) if not ok]  # a grid's excluded cells
    for i, c in enumerate(data.cohorts):
        if c.dose in never:
            raise DataError(
                f"cohort {i + 1} was treated at {design.unit} {design.doses[c.dose]}, which the design "
                "excludes (no patient is ever treated there); correct the data or the design's exclusions"
            )
    if u_ties is None:
        u_ties = data.tie_uniforms()
    if len(u_ties) != len(data.cohorts):
        raise ValueError("u_ties needs one uniform per cohort")
    most_at_one_dose = int(data.counts()[0].max()) if data.cohorts else 0
    n_cap = max(design.max_n, most_at_one_dose)  # the decision tables are indexed by patients at one dose
    if (n_cap + 1) ** 2 > MAX_TABLE_BYTES:
        raise DataError(
            f"the data has {most_at_one_dose:,} patients at one {design.unit}; deciding on them needs a "
            f"table of {(n_cap + 1) ** 2 / 2**20:,.0f} MiB (more than {MAX_TABLE_BYTES / 2**20:,.0f} MiB), "
            "and "
            f"the design treats at most max_n = {design.max_n}: check the file (an arm's expansion patients "
            "go in rows with phase = extension)"
        )
    responses = cohort_responses(design, data)
    ctx = DecisionContext(design, n_cap)
    if design.independent_decisions and not probe and len(data.cohorts) > 1:
        return _replay_independent(ctx, data.cohorts, u_ties, responses, side)
    steps = []
    for i, c in enumerate(data.cohorts):
        u = float(u_ties[i])
        alternatives = probe_ties(ctx, c.dose, c.n, c.tox) if probe else ()
        eff, efftox = responses[i]
        step = ctx.treat(c.dose, c.n, c.tox, full=True, u_tie=u, eff=eff, efftox=efftox)
        step.alternatives = alternatives
        steps.append(step)
    if side is not None:
        ctx.side_result = side()
    return ctx, steps


def _replay_independent(
    ctx: DecisionContext, cohorts, u_ties, responses, side=None
) -> tuple[DecisionContext, list[Cohort]]:
    """:func:`replay_data`'s loop for a design whose decisions are independent of each other
    (``design.independent_decisions``): each cohort's decision is taken on a fork of the context holding
    the counts before it, on as many threads as there are cores (the kernels release the GIL). Each fork
    starts, as the sequential loop's context does before every decision, with nothing cached, so every
    decision is the sequential loop's to the last bit. ``side`` is started first, on the same threads.
    Returns the fork after the last cohort."""
    from concurrent.futures import ThreadPoolExecutor

    forks = []
    for i, c in enumerate(cohorts):
        forks.append(ctx.fork())
        ctx.record(c.dose, c.n, c.tox, *responses[i])

    def one(i: int) -> Cohort:
        c = cohorts[i]
        eff, efftox = responses[i]
        return forks[i].treat(c.dose, c.n, c.tox, full=True, u_tie=float(u_ties[i]), eff=eff, efftox=efftox)

    with ThreadPoolExecutor(max_workers=min(len(cohorts), usable_cores())) as pool:
        extra = pool.submit(side) if side is not None else None
        # the last cohorts' states have the most data (the slowest lines): started first
        futures = {i: pool.submit(one, i) for i in reversed(range(len(cohorts)))}
        steps = [futures[i].result() for i in range(len(cohorts))]
        if extra is not None:
            forks[-1].side_result = extra.result()
    for step in steps:
        step.alternatives = ()
    return forks[-1], steps


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system reports it)."""
    import os

    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1
