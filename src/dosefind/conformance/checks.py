"""Conformance checks: dosefind against the reference packages, published tables and closed forms.

Each check is a function returning :class:`CheckResult` rows (one per design or case: what was compared,
against which reference, the deviation, the tolerance and how it was derived, pass or fail). The same
functions run from ``dosefind verify`` and from the test suite (``tests/published``), so there is one
source. ``quick`` checks are deterministic and take seconds; the others simulate operating
characteristics and compare them with the reference packages' within Monte Carlo error.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import resources

import numpy as np

from ..designs import Boin, Crm, ThreePlusThree, calibrate_skeleton
from ..designs import layout as L
from ..errors import DosefindError
from ..scenario import Scenario
from . import reference as R

#: the six scenarios of the recorded R runs (Liu & Yuan 2015 style; target 0.30, 6 doses)
SCENARIOS = {
    "S1": (0.26, 0.34, 0.47, 0.64, 0.66, 0.77),
    "S2": (0.18, 0.25, 0.32, 0.36, 0.60, 0.69),
    "S3": (0.09, 0.16, 0.23, 0.34, 0.51, 0.74),
    "S4": (0.07, 0.13, 0.20, 0.29, 0.37, 0.54),
    "S5": (0.03, 0.09, 0.16, 0.25, 0.32, 0.40),
    "S6": (0.04, 0.05, 0.08, 0.11, 0.15, 0.31),
}
BOIN_RUNS = {"B1": {}, "B2": {"n_earlystop": 12}, "B3": {"extrasafe": True}}
BOIN_REF = "BOIN 2.7.2 (R)"
DFCRM_REF = "dfcrm 0.2-2.1 (R)"
EXACT = "exact (integer or discrete result)"


@dataclass(frozen=True)
class CheckResult:
    """One compared quantity: ``deviation`` is measured so that it passes when <= ``tolerance``."""

    check: str
    design: str
    reference: str
    quantity: str
    deviation: float
    tolerance: float
    basis: str  #: how the tolerance was derived
    passed: bool
    detail: str = ""  #: what differed, when something did

    def as_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Check:
    name: str
    quick: bool
    run: Callable[[], list[CheckResult]]
    about: str


CHECKS: dict[str, Check] = {}


def check(name: str, *, quick: bool):
    """Register a check function under ``name``."""

    def wrap(fn):
        CHECKS[name] = Check(name, quick, fn, (fn.__doc__ or "").strip().splitlines()[0])
        return fn

    return wrap


def _row(name, design, ref, quantity, deviation, tolerance, basis, detail="") -> CheckResult:
    deviation = float(deviation)
    ok = bool(deviation <= tolerance) and not math.isnan(deviation)
    return CheckResult(
        name, design, ref, quantity, deviation, float(tolerance), basis, ok, "" if ok else detail
    )


def data_text(name: str) -> str:
    """A shipped reference file (``dosefind/conformance/data``) as text; ``.gz`` files are decompressed."""
    raw = resources.files(__package__).joinpath("data", name).read_bytes()
    return (gzip.decompress(raw) if name.endswith(".gz") else raw).decode("utf-8")


def _rows(name: str) -> list[dict]:
    lines = [ln for ln in data_text(name).splitlines() if not ln.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


def _ints(text):
    return [int(x) for x in text.split()]


def _parse(row):
    return [None if x == "-" else int(x) for x in row.split(",")]


def boin_design(run: str) -> Boin:
    return Boin(target=0.3, n_doses=6, cohort_size=3, max_n=36, **BOIN_RUNS[run])


def crm_design(model: str) -> Crm:
    """dfcrm crmsim(restrict = TRUE): plug-in dose choice, no skipping above the last cohort's dose, no
    escalation after a last-cohort DLT rate >= target, no stopping, unrestricted final choice."""
    return Crm(
        target=0.3,
        n_doses=6,
        cohort_size=3,
        max_n=36,
        skeleton=R.SKELETON,
        model=model,
        coherence="last_cohort_rate",
    )


# ---- quick: deterministic -------------------------------------------------------------------------------
@check("boin_boundaries", quick=True)
def boin_boundaries() -> list[CheckResult]:
    """BOIN escalation, de-escalation and elimination boundaries (and the decision table) vs get.boundary."""
    out = []
    for target, rows in R.BOUNDARIES.items():
        design = Boin(target=target, n_doses=5, max_n=36)
        esc, deesc, elim = (_parse(r) for r in rows)
        table = design.decision_table(36)
        wrong = []
        for n in range(1, 37):
            if tuple(design.integer_boundaries(n)) != (esc[n - 1], deesc[n - 1], elim[n - 1]):
                wrong.append(n)
                continue
            ys = range(n + 1)
            if [y for y in ys if table[n, y] & L.BOIN_ESC] != [y for y in ys if y <= esc[n - 1]] or [
                y for y in ys if table[n, y] & L.BOIN_DEESC
            ] != [y for y in ys if y >= deesc[n - 1]]:
                wrong.append(n)
        out.append(
            _row(
                "boin_boundaries",
                f"BOIN target {target:.4g}",
                f"{BOIN_REF} get.boundary",
                "boundaries for n = 1..36 (number of n that differ)",
                len(wrong),
                0,
                EXACT,
                f"differ at n = {wrong}",
            )
        )
    stop = _parse(R.EXTRASAFE_STOP)
    table = Boin(target=0.3, n_doses=5, max_n=36, extrasafe=True).decision_table(36)
    wrong = []
    for n in range(1, 37):
        flagged = [y for y in range(n + 1) if table[n, y] & L.BOIN_EXTRASAFE_STOP]
        if (min(flagged) if flagged else None) != stop[n - 1]:
            wrong.append(n)
    out.append(
        _row(
            "boin_boundaries",
            "BOIN target 0.3, extrasafe",
            f"{BOIN_REF} get.boundary",
            "extra-safe stopping boundary, n = 1..36 (number of n that differ)",
            len(wrong),
            0,
            EXACT,
            f"differ at n = {wrong}",
        )
    )
    return out


@check("boin_select_mtd", quick=True)
def boin_select_mtd() -> list[CheckResult]:
    """BOIN's final selection (isotonic estimate) vs select.mtd on recorded trial data."""
    from ..engine.replay import DecisionContext

    wrong = []
    for target, npts, ntox, kw, mtd in R.SELECT_MTD:
        design = Boin(target=target, n_doses=len(npts), max_n=60, **kw)
        ctx = DecisionContext(design)
        ctx.n_at[:] = npts
        ctx.tox_at[:] = ntox
        # select.mtd applies the extra-safe rule at the end; in dosefind it is part of the last decision
        if (
            kw.get("extrasafe")
            and npts[0] >= 3
            and ctx.compiled.tables[0, npts[0], ntox[0]] & L.BOIN_EXTRASAFE_STOP
        ):
            got = None
        else:
            sel = ctx.select()
            got = None if sel < 0 else sel + 1
        if got != mtd:
            wrong.append(f"{npts}/{ntox}: {got} vs {mtd}")
    return [
        _row(
            "boin_select_mtd",
            "BOIN (targets 0.25, 0.3)",
            f"{BOIN_REF} select.mtd",
            f"selected dose in {len(R.SELECT_MTD)} cases (number that differ)",
            len(wrong),
            0,
            EXACT,
            "; ".join(wrong),
        )
    ]


@check("dfcrm_getprior", quick=True)
def dfcrm_getprior() -> list[CheckResult]:
    """CRM skeletons by indifference intervals vs dfcrm getprior."""
    out = []
    for (hw, target, nu, k, model), expected in R.GETPRIOR:
        want = np.array([float(x) for x in expected.split(",")])
        got = np.asarray(calibrate_skeleton(target, hw, nu, k, model))
        rel = float(np.max(np.abs(got - want) / np.abs(want)))
        out.append(
            _row(
                "dfcrm_getprior",
                f"CRM {model}, halfwidth {hw}, target {target}, nu {nu}, {k} doses",
                f"{DFCRM_REF} getprior",
                "skeleton (largest relative difference)",
                rel,
                1e-10,
                "R printed 12 significant digits",
                f"got {got.tolist()}",
            )
        )
    return out


@check("dfcrm_crm_posterior", quick=True)
def dfcrm_crm_posterior() -> list[CheckResult]:
    """CRM posterior mean and variance of the model parameter, and the model's dose, vs dfcrm crm."""
    from ..engine.posterior import crm_posterior_summary

    out = []
    for i, (skeleton, target, tox, level, model, est, var, mtd) in enumerate(R.CRM_CASES, 1):
        design = Crm(target=target, n_doses=len(skeleton), max_n=36, skeleton=skeleton, model=model)
        n = np.zeros(len(skeleton), dtype=int)
        y = np.zeros(len(skeleton), dtype=int)
        for lv, t in zip(level, tox, strict=True):
            n[lv - 1] += 1
            y[lv - 1] += t
        post = crm_posterior_summary(design, n, y)
        dev = max(abs(post["mean_b"] - est), abs(post["var_b"] - var))
        dose = int(np.argmin(np.abs(post["plugin"] - target))) + 1
        if dose != mtd:
            dev = math.inf
        out.append(
            _row(
                "dfcrm_crm_posterior",
                f"CRM {model}, case {i} ({len(level)} patients)",
                f"{DFCRM_REF} crm",
                "posterior mean and variance of beta (largest absolute difference; model's dose must match)",
                dev,
                1e-4,
                "R integrates with rel.tol 1.2e-4; against 1e-7 quadrature at most 3.3e-5 on 600 trials",
                f"mean {post['mean_b']:.6g} vs {est:.6g}, var {post['var_b']:.6g} vs {var:.6g}, "
                f"dose {dose} vs {mtd}",
            )
        )
    return out


def _rbinom_outcome(u, p):
    """R's rbinom(1, 1, p) by inversion of one uniform: DLT iff u >= 1 - p (p <= 0.5), u < p otherwise."""
    return u >= 1 - p if p <= 0.5 else u < p


@check("boin_trial_replay", quick=True)
def boin_trial_replay() -> list[CheckResult]:
    """R's own random numbers replayed through dosefind's BOIN: patients, DLTs and selection per trial."""
    from ..engine.replay import replay_trial

    by_run: dict[str, list] = {}
    for row in _rows("r_boin_trials.csv.gz"):
        u = [float(x) for x in row["uniforms"].split()]
        trace = replay_trial(boin_design(row["run"]), SCENARIOS[row["scenario"]], u)
        sel = int(row["selected"]) - 1 if row["selected"] != "99" else -1
        same = (
            list(trace.n_at) == _ints(row["n"])
            and list(trace.tox_at) == _ints(row["y"])
            and trace.selected == sel
        )
        by_run.setdefault(row["run"], []).append(None if same else f"{row['scenario']} seed {row['seed']}")
    return [
        _replay_row(
            "boin_trial_replay",
            f"BOIN {run}" + "".join(f", {k} = {v}" for k, v in BOIN_RUNS[run].items()),
            f"{BOIN_REF} get.oc, trial by trial",
            "patients, DLTs per dose and selected dose",
            trials,
        )
        for run, trials in by_run.items()
    ]


def _replay_row(name: str, design: str, reference: str, what: str, trials: list) -> CheckResult:
    """One replay check's row: ``trials`` holds None for a trial replayed identically, else its label."""
    return _row(
        name,
        design,
        reference,
        f"{what} in {len(trials)} trials (number that differ)",
        sum(t is not None for t in trials),
        0,
        EXACT,
        "first differing: " + ", ".join(t for t in trials if t is not None)[:200],
    )


@check("crmsim_trial_replay", quick=True)
def crmsim_trial_replay() -> list[CheckResult]:
    """R's own random numbers replayed through dosefind's CRM: dose of every patient and the final MTD."""
    from ..engine.replay import replay_trial

    designs = {m: crm_design(m) for m in ("empiric", "logistic")}
    by_model: dict[str, list] = {}
    for row in _rows("r_crm_trials.csv.gz"):
        u = [float(x) for x in row["uniforms"].split()]
        trace = replay_trial(designs[row["model"]], SCENARIOS[row["scenario"]], u, outcome=_rbinom_outcome)
        levels = [c.dose + 1 for c in trace.cohorts for _ in range(c.n)]
        same = levels == _ints(row["level"]) and trace.selected == int(row["MTD"]) - 1
        by_model.setdefault(row["model"], []).append(
            None if same else f"{row['scenario']} seed {row['seed']}"
        )
    return [
        _replay_row(
            "crmsim_trial_replay",
            f"CRM {model} (crmsim restrict = TRUE)",
            f"{DFCRM_REF} crmsim, trial by trial",
            "dose of every patient and the selected dose",
            trials,
        )
        for model, trials in by_model.items()
    ]


@check("three_plus_three_exact", quick=True)
def three_plus_three_exact() -> list[CheckResult]:
    """3+3 operating characteristics by dynamic programming over the engine's decisions vs the closed-form
    enumeration of cohort outcomes (written independently of the engine)."""
    from ..oc.exact import exact_three_plus_three
    from ..oc.exact_states import exact_operating_characteristics

    out = []
    for deesc in (True, False):
        worst = 0.0
        for name, curve in SCENARIOS.items():
            oc, _ = exact_operating_characteristics(
                ThreePlusThree(n_doses=6, deescalation=deesc), Scenario(name, curve)
            )
            ref = exact_three_plus_three(curve, deescalation=deesc)
            for key in ("prob_select", "mean_n_at_dose", "mean_tox_at_dose"):
                worst = max(worst, float(np.max(np.abs(np.subtract(oc.values[key], ref[key])))))
            for key in ("prob_select_none", "mean_n"):
                worst = max(worst, abs(oc.values[key] - ref[key]))
        out.append(
            _row(
                "three_plus_three_exact",
                f"3+3, 6 doses, {'with' if deesc else 'without'} de-escalation",
                "closed-form enumeration (oc.exact)",
                "selection, mean patients and DLTs per dose in S1-S6 (largest absolute difference)",
                worst,
                1e-12,
                "floating-point rounding of sums of products of binomial probabilities",
            )
        )
    return out


#: escalation's dose-path settings that dosefind can state (escalation_crm_paths.csv; V2 and V3 stop once
#: n patients had the recommended dose, a rule dosefind does not have)
ESCALATION_REF = "escalation 0.2.3 + dfcrm 0.2-2.1 (R), complete dose-path enumeration"
_SKEL_V = (0.05, 0.1, 0.25, 0.4, 0.6)
_SKEL_E = (0.05, 0.12, 0.25, 0.40, 0.55)
ESCALATION_SETTINGS = {
    "V0": dict(skeleton=_SKEL_V, cohort_size=3, max_n=6),
    "V1": dict(skeleton=_SKEL_V, cohort_size=3, max_n=12, safety_confidence=0.9, safety_threshold=0.35),
    "E1": dict(skeleton=_SKEL_E, cohort_size=3, max_n=15),
    "E2": dict(skeleton=_SKEL_E, cohort_size=1, max_n=10),
    "E3": dict(skeleton=_SKEL_E, cohort_size=3, max_n=15, no_skip_escalation=True),
    "E4": dict(skeleton=_SKEL_E, cohort_size=3, max_n=12, model="logistic"),
    "E5": dict(skeleton=_SKEL_E, cohort_size=3, max_n=12, start_dose=2),
}
ESCALATION_CURVES = {
    "skel": _SKEL_V,
    "high": (0.45, 0.6, 0.68, 0.75, 0.81),
    "T1": (0.05, 0.1, 0.2, 0.35, 0.5),
    "T2": (0.15, 0.3, 0.45, 0.6, 0.7),
    "T3": (0.02, 0.05, 0.08, 0.12, 0.25),
}


def escalation_crm_design(setting: str) -> Crm:
    """The CRM of escalation's ``get_dfcrm`` (dfcrm defaults, target 0.25, five doses): no skipping rule
    and no coherence unless the setting adds ``dont_skip_doses`` (the last dose given + 1)."""
    options = {"no_skip_escalation": False, "coherence": "off", **ESCALATION_SETTINGS[setting]}
    return Crm(target=0.25, n_doses=5, **options)


@check("escalation_crm_paths", quick=True)
def escalation_crm_paths() -> list[CheckResult]:
    """CRM exact operating characteristics (dynamic programme over trial states) vs escalation's complete
    dose-path enumeration, the vignette's published example included."""
    from ..oc.exact_states import exact_operating_characteristics

    ref: dict = {}
    for r in _rows("escalation_crm_paths.csv"):
        ref.setdefault((r["setting"], r["scenario"]), {})[(r["quantity"], r["dose"])] = float(r["value"])
    out = []
    for setting in ESCALATION_SETTINGS:
        design = escalation_crm_design(setting)
        worst = 0.0
        where = ""
        for (s, curve), q in ref.items():
            if s != setting:
                continue
            oc, _ = exact_operating_characteristics(design, Scenario(curve, ESCALATION_CURVES[curve]))
            v = oc.values
            pairs = [(v["prob_select_none"], q[("prob_recommend", "NoDose")], "no dose")]
            pairs.append((v["mean_n"], q[("expected_sample_size", "")], "mean n"))
            for d in range(5):
                pairs.append((v["prob_select"][d], q[("prob_recommend", str(d + 1))], f"P(select {d + 1})"))
                pairs.append((v["mean_n_at_dose"][d], q[("expected_n", str(d + 1))], f"n at {d + 1}"))
                pairs.append((v["mean_tox_at_dose"][d], q[("expected_tox", str(d + 1))], f"DLTs at {d + 1}"))
            for mine, theirs, what in pairs:
                if abs(mine - theirs) > worst:
                    worst = abs(mine - theirs)
                    where = f"{curve}: {what} {mine:.15g} vs {theirs:.15g}"
        opts = ESCALATION_SETTINGS[setting]
        out.append(
            _row(
                "escalation_crm_paths",
                f"CRM {setting}: {opts['max_n'] // opts['cohort_size']} cohorts of {opts['cohort_size']}"
                + (", " + opts["model"] if "model" in opts else "")
                + (", no skipping" if opts.get("no_skip_escalation") else "")
                + (", safety stop" if "safety_confidence" in opts else "")
                + (f", start dose {opts['start_dose']}" if "start_dose" in opts else ""),
                ESCALATION_REF,
                "selection, no dose, patients and DLTs per dose, mean n (largest absolute difference)",
                worst,
                1e-12,
                "rounding of sums of path probabilities (both exact; every path's dose the same)",
                where,
            )
        )
    return out


def _worked_examples():
    """(design text, reference, quantity, design, cohorts as (1-based dose, outcomes), per cohort the
    expected (status, 1-based next dose or None where the example does not say), selected dose or None)."""
    from ..constants import Status

    go, stop = Status.CONTINUE, Status.STOP_SELECT
    return [
        (
            "3+3, 5 doses, no de-escalation",
            "escalation's README (get_three_plus_three(num_doses = 5))",
            "1NNN -> dose 2; 1NNN 2NNN 3NNT -> stay at 3; 1NNN 2NNN 3NNT 3NTN -> stop, select dose 2",
            ThreePlusThree(n_doses=5, deescalation=False),
            [(1, "NNN"), (2, "NNN"), (3, "NNT"), (3, "NTN")],
            [(go, 2), (go, 3), (go, 3), (stop, None)],
            2,
        ),
        (
            "BOIN, target 0.30, 5 doses, max n 30",
            "BOIN protocol template / get.boundary(target = 0.3, ncohort = 10, cohortsize = 3)",
            "each cohort's move read off the published table by hand, elimination, final selection",
            Boin(target=0.3, n_doses=5, cohort_size=3, max_n=30),
            [(1, "NNN"), (2, "NNT"), (2, "NNN"), (3, "NTT"), (2, "NNN"), (3, "TNT")]
            + [(2, "NTN"), (2, "NNN"), (2, "TNN"), (2, "NNN")],
            [(go, 2), (go, 2), (go, 3), (go, 2), (go, 3), (go, 2), (go, 2), (go, 2), (go, 2), (stop, None)],
            2,
        ),
        (
            "BOIN, target 0.30, 3 doses, n_earlystop = 12",
            "BOIN package rule (n.earlystop)",
            "stop once the dose just treated has 12 patients and the decision is to stay",
            Boin(target=0.3, n_doses=3, max_n=36, n_earlystop=12),
            [(1, "NNN"), (2, "NTN"), (2, "NNT"), (2, "TNN"), (2, "NTN")],
            [(go, 2), (go, 2), (go, 2), (go, 2), (stop, None)],
            None,
        ),
        (
            "BOIN, arm A of examples/meeting (5 doses, start dose 2, extra-safe, n_earlystop = 12)",
            "dosefind's worked example (examples/meeting/README.md)",
            "the meeting's recommendation: de-escalate from 100 to 80 mg/m2 after 2/3 DLTs",
            Boin(
                target=0.3, n_doses=5, start_dose=2, cohort_size=3, max_n=24, n_earlystop=12, extrasafe=True
            ),
            [(2, "NNN"), (3, "NTN"), (3, "NNN"), (4, "TNT")],
            [(go, 3), (go, 3), (go, 4), (go, 3)],
            None,
        ),
    ]


@check("worked_examples", quick=True)
def worked_examples() -> list[CheckResult]:
    """Worked examples from reference packages, a protocol template and dosefind's own docs, replayed
    cohort by cohort through the shared decision code: every move, stop and final selection."""
    from ..constants import Status
    from ..engine.replay import DecisionContext

    out = []
    for design_text, ref, quantity, design, cohorts, expected, selected in _worked_examples():
        ctx = DecisionContext(design)
        wrong = []
        for k, ((dose, outcomes), (status, nxt)) in enumerate(zip(cohorts, expected, strict=True), 1):
            step = ctx.treat(dose - 1, len(outcomes), outcomes.count("T"))
            got_next = step.next_dose + 1 if step.status == Status.CONTINUE else None
            if step.status != status or (nxt is not None and got_next != nxt):
                wrong.append(f"cohort {k}: {step.status.name} {got_next}, expected {status.name} {nxt}")
        if selected is not None and ctx.select() + 1 != selected:
            wrong.append(f"selected dose {ctx.select() + 1}, expected {selected}")
        out.append(
            _row(
                "worked_examples",
                design_text,
                ref,
                quantity + " (decisions that differ)",
                len(wrong),
                0,
                EXACT,
                "; ".join(wrong),
            )
        )
    return out


@check("simon_tables", quick=True)
def simon_tables() -> list[CheckResult]:
    """Simon's optimal and minimax two-stage designs vs Simon (1989) and clinfun's ph2simon."""
    from ..extension import SimonDesign, simon_search

    by_source: dict[str, list] = {}
    for p0, p1, alpha, beta, which, r1, n1, r, n, en, pet, decimals, source in R.SIMON_ROWS:
        s = simon_search(p0, p1, alpha, beta)
        c = s.optimal if which == "optimal" else s.minimax
        ok = (
            c.design == SimonDesign(n1=n1, r1=r1, n=n, r=r)
            and c.type_one_error <= alpha
            and c.power >= 1 - beta
        )
        if ok and en is not None:
            pet_dec = 4 if decimals < 4 else decimals
            ok = abs(round(c.en_p0, decimals) - en) <= 10**-decimals / 2 + 1e-12 and (
                abs(round(c.pet_p0, pet_dec) - pet) <= 10**-pet_dec / 2 + 1e-12
            )
        by_source.setdefault(source, []).append(None if ok else f"{p0}/{p1}/{alpha}/{beta} {which}")
    return [
        _row(
            "simon_tables",
            "Simon two-stage (optimal, minimax)",
            source,
            f"design (r1/n1, r/n), EN(p0), PET(p0) as printed, {len(rows)} rows (number that differ)",
            sum(x is not None for x in rows),
            0,
            "exact designs; EN and PET within half a unit of the last printed digit",
            "; ".join(x for x in rows if x is not None),
        )
        for source, rows in by_source.items()
    ]


BASKEXACT_REF = "baskexact 1.0.1 (R)"


def _fujikawa_setting(r: dict, looks: bool):
    """Cohorts and Fujikawa design of one baskexact setting row (two-stage rows carry n1 and the interim)."""
    from ..basket import Cohort, Fujikawa

    k, n, p0 = int(r["k"]), int(r["n"]), float(r["p0"])
    shape = (float(r["shape1"]), float(r["shape2"]))
    if not looks:
        cohorts = tuple(Cohort(f"b{i + 1}", n, p0) for i in range(k))
        return cohorts, Fujikawa(
            threshold=float(r["lambda"]), prior=shape, epsilon=float(r["epsilon"]), tau=float(r["tau"])
        )
    cohorts = tuple(Cohort(f"b{i + 1}", n, p0, (int(r["n1"]), n)) for i in range(k))
    eff = float(r["prob_effstop"])
    return cohorts, Fujikawa(
        threshold=float(r["lambda"]),
        prior=shape,
        epsilon=float(r["epsilon"]),
        tau=float(r["tau"]),
        futility=float(r["prob_futstop"]),
        efficacy=None if eff >= 1.0 else eff,  # baskexact's effstop 1: no efficacy stop
        interim="predictive" if r["interim"] == "postpred" else "posterior",
    )


def _fujikawa_oc(setting_rows: list[dict], looks: bool) -> float:
    """Largest |dosefind's exact OC - baskexact's| over one setting's rejection probabilities, FWER (and
    expected sizes)."""
    from ..basket import BasketScenario
    from ..basket.exact import exact_rows

    cohorts, design = _fujikawa_setting(setting_rows[0], looks)
    scenario = BasketScenario("s", tuple(float(v) for v in setting_rows[0]["p1"].split()))
    mine = {(e["metric"], e["cohort"]): e["value"] for e in exact_rows(design, cohorts, scenario)}
    names = {"reject": "prob_go", "ess": "mean_n"}
    worst = 0.0
    for r in setting_rows:
        q = r["quantity"]
        key = ("fwer", "") if q == "fwer" else (names[q.split("_")[0]], "b" + q.split("_")[1])
        worst = max(worst, abs(mine[key] - float(r["value"])))
    return worst


@check("baskexact_fujikawa", quick=True)
def baskexact_fujikawa() -> list[CheckResult]:
    """Fujikawa's basket design vs baskexact 1.0.1's exact values: one stage and two stages (interim look on
    the predictive or the posterior probability)."""
    from ..basket.decide import analyze, decide, go_counts, predictive

    one = _rows("baskexact_fujikawa.csv")
    two = _rows("baskexact_fujikawa_twostage.csv")
    out = []
    basis = "exact enumeration on both sides; baskexact integrates the divergences with R's integrate()"
    settings = sorted({r["setting"] for r in one}, key=int)
    worst = max(
        _fujikawa_oc([r for r in one if r["setting"] == s and not r["quantity"].startswith("post")], False)
        for s in settings
    )
    out.append(
        _row(
            "baskexact_fujikawa",
            f"Fujikawa, one stage, {len(settings)} settings",
            BASKEXACT_REF,
            "rejection probability per basket and FWER (largest absolute difference)",
            worst,
            1e-10,
            basis,
        )
    )
    worst = 0.0
    posts = [r for r in one if r["quantity"].startswith("post")]
    for r in posts:
        cohorts, design = _fujikawa_setting(r, False)
        x = np.array([[int(v) for v in r["r"].split()]])
        p, _ = analyze(design, cohorts, np.full_like(x, int(r["n"])), x)
        worst = max(worst, abs(p[0, int(r["quantity"].split("_")[1]) - 1] - float(r["value"])))
    out.append(
        _row(
            "baskexact_fujikawa",
            f"Fujikawa, {len(posts)} posterior probabilities",
            BASKEXACT_REF,
            "P(p > p0 | data) with borrowing (largest absolute difference)",
            worst,
            1e-9,
            basis,
        )
    )
    settings = sorted({r["setting"] for r in two}, key=int)
    worst = max(_fujikawa_oc([r for r in two if r["setting"] == s and r["r1"] == ""], True) for s in settings)
    out.append(
        _row(
            "baskexact_fujikawa",
            f"Fujikawa, two stages, {len(settings)} settings",
            BASKEXACT_REF,
            "rejection probability and expected size per basket, FWER (largest absolute difference)",
            worst,
            1e-10,
            basis,
        )
    )
    worst, wrong, count = 0.0, [], 0
    for s in settings:
        rows = [r for r in two if r["setting"] == s and r["r1"] != ""]
        cohorts, design = _fujikawa_setting(rows[0], True)
        z = go_counts(design, cohorts)
        for r1 in sorted({r["r1"] for r in rows}):
            at = {r["quantity"]: float(r["value"]) for r in rows if r["r1"] == r1}
            x = np.array([[int(v) for v in r1.split()]])
            n = np.full_like(x, cohorts[0].looks[0])
            post, _ = analyze(design, cohorts, n, x)
            compared = predictive(design, cohorts, n, x) if design.interim == "predictive" else post
            status = decide(design, 0, False, compared, x)[0]
            word = "pp" if design.interim == "predictive" else "post"
            if not np.all(z == at["crit"]):
                wrong.append(f"setting {s} go counts")
            for i in range(len(cohorts)):
                count += 1
                worst = max(worst, abs(compared[0, i] - at[f"{word}_{i + 1}"]))
                if {1: -1, 0: 0, 2: 1}[int(status[i])] != at[f"interim_{i + 1}"]:
                    wrong.append(f"setting {s} r1 {r1} basket {i + 1} decision")
    out.append(
        _row(
            "baskexact_fujikawa",
            f"Fujikawa, two stages, {count} interim analyses",
            BASKEXACT_REF,
            "predictive or posterior probability at the interim (largest absolute difference)",
            worst,
            1e-8,
            "baskexact's integrate() error, magnified most by the predictive tail (measured 2.2e-9)",
        )
    )
    out.append(
        _row(
            "baskexact_fujikawa",
            "Fujikawa, two stages",
            BASKEXACT_REF,
            "go counts and interim decisions that differ",
            len(wrong),
            0,
            EXACT,
            "; ".join(wrong),
        )
    )
    return out


BASKET_MEM_REF = "basket 0.10.11 (R), mem_exact"


def mem_setting(r: dict):
    """Cohorts, MEM design and data (n, x) of one recorded ``mem_exact`` setting row."""
    from ..basket import Cohort, Mem

    k = int(r["k"])
    x = [int(v) for v in r["responses"].split()]
    n = [int(v) for v in r["size"].split()]
    p0 = [float(v) for v in r["p0"].split()]
    upper = [float(v) for v in r["prior"].split()]
    inclusion = [[1.0] * k for _ in range(k)]
    e = 0
    for j in range(k):  # R's upper.tri order: column by column
        for i in range(j):
            inclusion[i][j] = inclusion[j][i] = upper[e]
            e += 1
    cohorts = tuple(Cohort(f"b{i + 1}", max(n[i], 1), p0[i]) for i in range(k))
    design = Mem(prior=(float(r["shape1"]), float(r["shape2"])), prior_inclusion=inclusion)
    return cohorts, design, n, x


@check("basket_mem", quick=True)
def basket_mem() -> list[CheckResult]:
    """The MEM basket design vs the R package basket 0.10.11's mem_exact: exact posterior probabilities,
    PEP and MAP matrices; posterior means within the package's Monte Carlo error."""
    from ..basket.mem import mem_summary

    rows = _rows("basket_mem.csv")
    settings = sorted({r["setting"] for r in rows}, key=int)
    worst = {"post_prob": 0.0, "pep": 0.0, "mean": 0.0}
    wrong: list[str] = []
    for s in settings:
        mine = [r for r in rows if r["setting"] == s]
        cohorts, design, n, x = mem_setting(mine[0])
        got = mem_summary(design, cohorts, n, x)
        ref = {r["quantity"]: float(r["value"]) for r in mine if r["value"] != "NA"}
        for r in mine:
            q = r["quantity"]
            if q not in ref:
                continue  # the package's pep holds the upper triangle only (NA below)
            idx = [int(v) - 1 for v in q.split("_")[-2:] if v.isdigit()]
            if q.startswith("post_prob_"):
                worst["post_prob"] = max(worst["post_prob"], abs(got["prob_above_q0"][idx[-1]] - ref[q]))
            elif q.startswith("pep_"):
                worst["pep"] = max(worst["pep"], abs(got["pep"][idx[0], idx[1]] - ref[q]))
            elif q.startswith(("map_", "maximizer_")):
                if got[q.split("_")[0]][idx[0], idx[1]] != ref[q]:
                    wrong.append(f"setting {s} {q}")
            elif q.startswith("mean_") and not q.startswith("mean_mcse"):
                mcse = ref[f"mean_mcse_{idx[-1] + 1}"]
                worst["mean"] = max(worst["mean"], abs(got["mean"][idx[-1]] - ref[q]) / mcse)
    basis = (
        "exact sums over every exchangeability matrix on both sides, 15 digits printed; rounding of R's "
        "1 - pbeta and exp(log_marg) (measured 1.2e-14)"
    )
    where = f"MEM, {len(settings)} settings"
    return [
        _row(
            "basket_mem",
            where,
            BASKET_MEM_REF,
            "P(q > p0 | data) per basket (largest absolute difference)",
            worst["post_prob"],
            1e-12,
            basis,
        ),
        _row(
            "basket_mem",
            where,
            BASKET_MEM_REF,
            "posterior exchangeability probabilities (largest absolute difference)",
            worst["pep"],
            1e-12,
            basis,
        ),
        _row(
            "basket_mem",
            where,
            BASKET_MEM_REF,
            "MAP and maximizer MEM entries that differ",
            len(wrong),
            0,
            EXACT,
            "; ".join(wrong),
        ),
        _row(
            "basket_mem",
            where,
            BASKET_MEM_REF,
            "posterior mean (largest |difference| in units of the package's MCSE)",
            worst["mean"],
            Z,
            "the package's mean is of 100,000 posterior draws; dosefind's is exact",
        ),
    ]


# ---- full: operating characteristics within Monte Carlo error ---------------------------------------------
R_TRIALS = {"B1": 20000, "B2": 20000, "B3": 20000, "C1": 3000, "C2": 3000}
OUR_TRIALS = 40_000
OC_SEED = 2024
Z = 4.5  # two-sided 7e-6 per comparison; 210 comparisons


def _r_oc() -> dict:
    out: dict = {}
    for r in _rows("r_reference_oc.csv"):
        out.setdefault((r["run"], r["scenario"]), {})[r["dose"]] = r
    return out


def oc_vs_r(run: str) -> list[CheckResult]:
    """Selection percentages and mean patients per dose of one recorded R run, scenario by scenario."""
    from ..engine import simulate_one
    from ..oc.metrics import operating_characteristics

    ref = _r_oc()
    design = boin_design(run) if run.startswith("B") else crm_design("empiric" if run == "C1" else "logistic")
    out = []
    n_r = R_TRIALS[run]
    for name, curve in SCENARIOS.items():
        oc = operating_characteristics(simulate_one(design, Scenario(name, curve), OUR_TRIALS, OC_SEED))
        r = ref[(run, name)]
        ours = oc.values["prob_select"] + [oc.values["prob_select_none"]]
        theirs = [float(r[str(d + 1)]["sel_pct"]) / 100 for d in range(6)]
        theirs.append(float(r["none"]["sel_pct"]) / 100 if "none" in r else 0.0)
        z = 0.0
        for a, b in zip(ours, theirs, strict=True):
            pooled = (a * OUR_TRIALS + b * n_r) / (OUR_TRIALS + n_r)
            se = math.sqrt(pooled * (1 - pooled) * (1 / OUR_TRIALS + 1 / n_r))
            z = max(z, abs(a - b) / se if se > 0 else (0.0 if abs(a - b) <= 1e-12 else math.inf))
        for d in range(6):  # R's spread is not recorded: ours, scaled to the two runs' sizes
            se = oc.mcse["mean_n_at_dose"][d] * math.sqrt(1 + OUR_TRIALS / n_r)
            diff = abs(oc.values["mean_n_at_dose"][d] - float(r[str(d + 1)]["mean_npts"]))
            z = max(z, diff / se if se > 0 else (0.0 if diff <= 1e-9 else math.inf))
        label = (
            f"BOIN {run}"
            if run.startswith("B")
            else f"CRM {'empiric' if run == 'C1' else 'logistic'} ({run})"
        )
        out.append(
            _row(
                f"oc_vs_r_{run}",
                f"{label}, scenario {name}",
                (f"{BOIN_REF} get.oc" if run.startswith("B") else f"{DFCRM_REF} crmsim")
                + f", {n_r:,} trials",
                f"selection % and mean patients per dose, {OUR_TRIALS:,} trials (largest |z|)",
                z,
                Z,
                "combined Monte Carlo SE of both runs; z 4.5: two-sided 7e-6 per comparison, 210 comparisons",
            )
        )
    return out


for _run in R_TRIALS:
    CHECKS[f"oc_vs_r_{_run}"] = Check(
        f"oc_vs_r_{_run}",
        False,
        (lambda run=_run: oc_vs_r(run)),
        f"operating characteristics of run {_run} vs the R package's, within Monte Carlo error",
    )


def run_checks(quick: bool = False, only: list[str] | None = None) -> list[CheckResult]:
    """The results of every check (``quick``: the deterministic ones only; ``only``: these names)."""
    if only:
        unknown = [n for n in only if n not in CHECKS]
        if unknown:
            raise DosefindError(f"--check: unknown check {unknown[0]!r}; use one of {', '.join(CHECKS)}")
        chosen = [CHECKS[n] for n in only]
    else:
        chosen = [c for c in CHECKS.values() if c.quick or not quick]
    results: list[CheckResult] = []
    for c in chosen:
        results.extend(c.run())
    return results
