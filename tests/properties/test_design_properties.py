"""Hypothesis invariants every design must satisfy (the shared contract)."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from dosefind import (
    Boin,
    Crm,
    DontSkip,
    Scenario,
    Status,
    StopAtN,
    StopWhenNAtDose,
    StopWhenTooToxic,
    ThreePlusThree,
)
from dosefind.designs import APlusB, I3Plus3, Keyboard, Mtpi, Mtpi2, Tpi, calibrate_skeleton
from dosefind.engine import simulate_one
from dosefind.engine.replay import replay_trial
from dosefind.engine.rng import latent_uniforms

targets = st.sampled_from([0.2, 0.25, 0.3, 1 / 3])


@st.composite
def curves(draw, n_doses):
    vals = draw(st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=n_doses, max_size=n_doses))
    if draw(st.booleans()):
        vals = sorted(vals)
    return tuple(vals)


@st.composite
def modifiers(draw, n_doses, max_n):
    out = []
    if draw(st.booleans()):
        out.append(
            StopWhenNAtDose(
                n=draw(st.integers(min(3, max_n), max_n)), dose=draw(st.sampled_from(["recommended", "any"]))
            )
        )
    if draw(st.booleans()):
        out.append(DontSkip(escalation=True, deescalation=draw(st.booleans())))
    if draw(st.booleans()):
        out.append(StopAtN(n=draw(st.integers(1, max_n))))
    if draw(st.booleans()):
        out.append(
            StopWhenTooToxic(threshold=draw(st.floats(0.2, 0.5)), confidence=draw(st.floats(0.7, 0.99)))
        )
    return tuple(out)


@st.composite
def designs(draw):
    kind = draw(st.sampled_from(["boin", "crm", "tpt", "interval", "apb"]))
    D = draw(st.integers(2, 7))
    target = draw(targets)
    if kind == "tpt":
        return ThreePlusThree(
            n_doses=D,
            target=target,
            deescalation=draw(st.booleans()),
            expand_top_dose=draw(st.booleans()),
            modifiers=draw(modifiers(D, 6 * D)),
        )
    if kind == "apb":
        a, b = draw(st.integers(1, 5)), draw(st.integers(1, 5))
        c = draw(st.integers(1, a))
        d = draw(st.integers(c, a))
        e = draw(st.integers(d, a + b - 1))
        return APlusB(
            n_doses=D,
            target=target,
            a=a,
            b=b,
            c=c,
            d=d,
            e=e,
            deescalation=draw(st.booleans()),
            expand_top_dose=draw(st.booleans()),
            modifiers=draw(modifiers(D, (a + b) * D)),
        )
    cohort = draw(st.integers(1, 4))
    max_n = draw(st.integers(cohort, 45))
    mods = draw(modifiers(D, max_n))
    start = draw(st.integers(1, D))
    if kind == "boin":
        return Boin(
            target=target,
            n_doses=D,
            cohort_size=cohort,
            max_n=max_n,
            start_dose=start,
            modifiers=mods,
            extrasafe=draw(st.booleans()),
            n_earlystop=draw(st.one_of(st.none(), st.integers(3, 40))),
        )
    if kind == "interval":
        cls = draw(st.sampled_from([Tpi, Mtpi, Mtpi2, Keyboard, I3Plus3]))
        return cls(
            target=target, n_doses=D, cohort_size=cohort, max_n=max_n, start_dose=start, modifiers=mods
        )
    sk = calibrate_skeleton(target, 0.05, draw(st.integers(1, D)), D)
    return Crm(
        target=target,
        n_doses=D,
        cohort_size=cohort,
        max_n=max_n,
        start_dose=start,
        skeleton=sk,
        modifiers=mods,
        coherence=draw(st.sampled_from(["last_cohort", "off"])),
        no_skip_escalation=draw(st.booleans()),
        dose_choice=draw(st.sampled_from(["plugin", "posterior_mean"])),
        safety_confidence=draw(st.one_of(st.none(), st.floats(0.7, 0.99))),
    )


@given(data=st.data())
def test_engine_invariants(data):
    design = data.draw(designs())
    curve = data.draw(curves(design.n_doses))
    seed = data.draw(st.integers(0, 2**40))
    res = simulate_one(design, Scenario("h", curve), 40, seed)
    D = design.n_doses
    assert np.all((res.selected >= -1) & (res.selected < D))
    assert np.all(res.tox_at_dose <= res.n_at_dose) and np.all(res.tox_at_dose >= 0)
    n_total = res.n_total
    assert np.all(n_total <= design.max_n)
    # stopping because of max_n happens exactly at max_n
    from dosefind.constants import Reason

    at_max = res.reason == Reason.MAX_N
    assert np.all(n_total[at_max] == design.max_n)
    # a trial that stopped with no dose selected has selected == -1
    assert np.all(res.selected[res.status == Status.STOP_NO_DOSE] == -1)
    # the start dose is always used
    assert np.all(res.n_at_dose[:, design.start_dose - 1] > 0)
    # the same design and seed: identical for 1 and 2 threads
    again = simulate_one(design, Scenario("h", curve), 40, seed, threads=1, chunks=1)
    np.testing.assert_array_equal(res.selected, again.selected)
    np.testing.assert_array_equal(res.n_at_dose, again.n_at_dose)


@given(data=st.data())
def test_trial_paths(data):
    """Replayed trial paths: doses admissible, no skipping where forbidden, CRM coherence, and the
    replay equals the engine's result for the same patients."""
    design = data.draw(designs())
    curve = data.draw(curves(design.n_doses))
    seed = data.draw(st.integers(0, 2**40))
    scen = Scenario("h", curve)
    res = simulate_one(design, scen, 5, seed)
    u = latent_uniforms(seed, scen.key, 5, design.max_n)
    no_skip_up = any(isinstance(m, DontSkip) and m.escalation for m in design.modifiers)
    no_skip_down = any(isinstance(m, DontSkip) and m.deescalation for m in design.modifiers)
    for t in range(5):
        trace = replay_trial(design, curve, u[t])
        assert trace.selected == res.selected[t]
        np.testing.assert_array_equal(trace.n_at, res.n_at_dose[t])
        doses = [c.dose for c in trace.cohorts]
        for prev, step in zip(trace.cohorts, trace.cohorts[1:], strict=False):
            assert prev.admissible[step.dose], "a dose was given after it had been eliminated"
            assert 0 <= step.dose < design.n_doses
            if design.kind in ("three_plus_three", "a_plus_b") or no_skip_up:
                assert step.dose <= prev.dose + 1
            if no_skip_down:
                assert step.dose >= prev.dose - 1
            if design.kind == "crm" and design.no_skip_escalation and design.skip_reference == "last_dose":
                assert step.dose <= prev.dose + 1
            if design.kind == "crm" and design.coherence == "last_cohort" and prev.tox > 0:
                assert step.dose <= prev.dose, doses
            if design.kind == "boin":
                assert abs(step.dose - prev.dose) <= 1
        if design.kind == "three_plus_three":
            assert all(c.n == 3 for c in trace.cohorts)
            assert np.all(trace.n_at <= 6)
        if design.kind == "a_plus_b":
            assert np.all(trace.n_at <= design.a + design.b)
