"""A naive platform loop in plain Python, child by child, written from the rules in
docs/platforms.md (not from the kernel): escalation by hand through DecisionContext
(tests/arm/test_arm_engine.py's oracle_escalation), or, for rolling six, TITE-BOIN and TITE-CRM, child
by child through the independent rules of tests/oracles.py (``rolling_six_decide``, ``tite_boin_decide``,
``tite_crm_rule``; no modifiers), the arm's clock, looks and the safety monitor as an explicit list of
events. It asserts the allocation invariants on every child and records every allocation."""

from __future__ import annotations

import math

import numpy as np

from dosefind.arm.simulate import arm_arrays
from dosefind.constants import CohortDecision
from dosefind.engine.arm import EXT_BASE
from dosefind.engine.copula import responds
from dosefind.engine.rng import (
    STREAM_ARRIVAL,
    STREAM_EFF,
    STREAM_EVENT_TIME,
    STREAM_TOX,
    latent_uniform,
    mix64,
    trial_key,
)
from dosefind.platforms.spec import Platform, PlatformScenario
from tests.arm.test_arm_engine import _z, oracle_escalation
from tests.oracles import rolling_six_decide, tite_boin_decide, tite_crm_rule

S_HIST, S_AGE, S_ALLOC, S_BIOMARKER = 5, 6, 7, 8


def _profile(platform: Platform, pk, k):
    pop = platform.population
    names = pop.biomarker_names
    have = set()
    if pop.profiles:
        u = latent_uniform(pk, k, S_BIOMARKER)
        acc = 0.0
        for s, p in pop.profiles:
            acc += p
            if u < acc:
                have = set(s)
                break
    else:
        for b, (n, p) in enumerate(pop.biomarkers):
            if latent_uniform(pk, k, S_BIOMARKER + b) < p:
                have.add(n)
    assert have <= set(names)

    def category(shares, stream):
        if len(shares) <= 1:
            return shares[0][0] if shares else None
        u = latent_uniform(pk, k, stream)
        acc = 0.0
        for n, p in shares[:-1]:
            acc += p
            if u < acc:
                return n
        return shares[-1][0]

    return have, category(pop.histology, S_HIST), category(pop.age_group, S_AGE)


def _eligible(arm, have, hist, age):
    """An arm's eligibility, or a cohort's own (the same three rules)."""
    if arm.biomarkers and not (have & set(arm.biomarkers)):
        return False
    if arm.histology and hist not in arm.histology:
        return False
    return not (arm.age_group and age not in arm.age_group)


class _Arm:
    def __init__(self, platform, i, scen_name, pk):
        pa = platform.arms[i]
        self.pa = pa
        self.arm = pa.arm
        self.sc = pa.scenario(scen_name)
        self.key = np.uint64(pk) ^ np.uint64(mix64(np.uint64(i)))
        tm = platform.arm_timing(i)
        self.window = tm.dlt_window_days
        self.resp_days = tm.response_assessment_days
        d = self.arm.design
        self.pending = d.uses_pending
        if self.pending:  # escalates child by child on the platform's clock
            assert not d.modifiers
            self.tite_crm = d.kind == "tite_crm"
            if self.tite_crm:
                assert d.skeleton is not None and d.start_dose == 1
                safety = None
                if d.safety_confidence is not None:
                    safety = (d.safety_confidence, d.safety_threshold, d.safety_min_n)
                self.rule = tite_crm_rule(d.skeleton, d.target, self.window, scheme=d.scheme, safety=safety)
                self.stage1 = d.x0 is not None
            else:
                self.rule = (
                    rolling_six_decide(d.rules)
                    if d.kind == "rolling_six"
                    else tite_boin_decide(d.target, d.version, d.suspend_rule, d.max_pending, d.cutoff_eli)
                )
            self.patients, self.sel = [], -1
            self.doses, self.dlt, self.tdlt = [], [], []
            self.cur, self.in_cohort, self.adm, self.checked = d.start_dose - 1, 0, [True] * d.n_doses, False
            if self.tite_crm and self.stage1:
                self.cur = d.x0[0] - 1
        else:
            self.patients, self.sel = oracle_escalation(self.arm, self.sc, self.key)
        rules = {e.cohort: e for e in pa.cohort_eligibility}
        self.cohort_rule = [rules.get(c.name) for c in self.arm.cohorts]
        self.profiles = []  # each escalation patient's (biomarkers, histology, age group)
        self.x = arm_arrays(self.arm, self.sc)
        self.phase = "waiting"
        self.entries = []
        self.t_open = 0.0
        self.treated = 0
        self.time = {
            "open": math.nan,
            "esc": math.nan,
            "ext": math.nan,
            "close": math.nan,
            "to_sel": math.nan,
        }
        C = len(self.arm.cohorts)
        self.count = [0] * C
        self.resp = [0] * C
        self.look = [0] * C
        self.decision = [int(CohortDecision.NOT_OPENED)] * C
        self.day = [math.nan] * C
        self.new_n = [0] * C
        self.new_tox = [0] * C
        self.safety_stop = False

    # -- escalation on the clock
    def admits(self, c, profile):
        rule = self.cohort_rule[c]
        return rule is None or _eligible(rule, *profile)

    def free(self, now, profile):
        if self.phase == "escalating" and self.pending:
            return now >= self.t_open and self._pending_free(now)
        if self.phase == "escalating":
            return len(self.entries) < len(self.patients) and now >= self.t_open
        if self.phase == "extension":
            return self._next_cohort(profile) is not None
        return False

    def _next_cohort(self, profile):
        C = len(self.decision)
        for step in range(1, C + 1):
            c = (self.ptr + step) % C
            if self.decision[c] < 0 and not self.paused[c] and self.admits(c, profile):
                return c
        return None

    def _rule(self, c, count, resp, look):
        b = self.arm.cohorts[c].boundaries
        if look < b.n_looks and count == b.looks[look]:
            if resp <= b.futility[look]:
                return int(CohortDecision.FUTILE), look
            if resp >= b.efficacy[look]:
                return int(CohortDecision.ACTIVE), look
            return -1, look + 1
        return -1, look

    # -- a design that decides with pending patients, child by child
    def _data(self, t):
        D = self.arm.design.n_doses
        n, y, m, st = [0] * D, [0] * D, [0] * D, [0.0] * D
        for j, d in enumerate(self.doses):
            n[d] += 1
            if self.dlt[j] and self.entries[j] + self.tdlt[j] <= t:
                y[d] += 1
            elif t < self.entries[j] + self.window:
                m[d] += 1
                st[d] += (t - self.entries[j]) / self.window
        return n, y, m, st

    def _pending_free(self, now):
        """Within a cohort the slot is free; at a cohort's end the rule decides on the data of today: a
        suspension closes the arm until the first data change after which it no longer suspends, a stop
        ends the escalation."""
        if not self.doses or self.in_cohort < self.arm.design.cohort_size:
            self.next = self.cur
            return True
        if self.tite_crm:
            return self._tite_crm_free(now)
        decide = self.rule[0]
        nxt, stop, susp = decide(*self._data(now), self.cur, self.adm)
        if susp and stop is None:
            events = sorted(
                e
                for e in (
                    self.entries[j] + (self.tdlt[j] if self.dlt[j] else self.window)
                    for j in range(len(self.doses))
                )
                if e > now
            )
            lift = now
            for e in events:
                lift = e
                nxt, stop, susp = decide(*self._data(e), self.cur, self.adm)
                if not susp or stop is not None:
                    break
            self.t_open = lift
            if stop is None:
                return False
        if stop is not None:
            self._pending_end(stop)
            return False
        self.next = nxt
        return True

    def _seen(self, t):
        return any(self.dlt[j] and self.entries[j] + self.tdlt[j] <= t for j in range(len(self.doses)))

    def _tite_crm_free(self, now):
        """TITE-CRM at an arrival: the two-stage start (x0's levels until a DLT is seen; a move up
        waits tgrp days after the previous entry, and an arrival before is lost), then the rule."""
        d, i = self.arm.design, len(self.doses)
        if self.stage1:
            if self._seen(now):
                self.stage1 = False
            else:
                wait = d.tgrp_days if d.tgrp_days is not None else self.window
                up = d.x0[i] - 1 != self.doses[i - 1]
                if up and now - self.entries[i - 1] < wait and i < d.max_n - 1:
                    return False
                self.next = d.x0[i] - 1
                return True
        nxt, stop = self.rule[0](self.doses, self.entries, self.dlt, self.tdlt, now, self.cur)
        if stop:
            self._pending_end("none")
            return False
        self.next = nxt
        return True

    def _pending_check(self, now):
        """At a cohort's end, once every outcome is known (the last window over), the rule decides
        without waiting for a child."""
        if self.phase != "escalating" or self.checked or not self.doses:
            return
        if self.in_cohort < self.arm.design.cohort_size:
            return
        e = max(
            self.entries[j] + (self.tdlt[j] if self.dlt[j] else self.window) for j in range(len(self.doses))
        )
        if e > now:
            return
        self.checked = True
        if self.tite_crm:
            if self.stage1 and not self._seen(e):
                return
            _nxt, stop = self.rule[0](self.doses, self.entries, self.dlt, self.tdlt, e, self.cur)
            if stop:
                self._pending_end("none")
            return
        _nxt, stop, _susp = self.rule[0](*self._data(e), self.cur, self.adm)
        if stop is not None:
            self._pending_end(stop)

    def _pending_treat(self, now, profile):
        d = self.arm.design
        if self.doses and self.in_cohort == d.cohort_size:
            self.cur, self.in_cohort = self.next, 0
        i = len(self.doses)
        p = self.sc.true_tox[self.cur]
        self.doses.append(self.cur)
        self.entries.append(now)
        self.profiles.append(profile)
        self.dlt.append(latent_uniform(self.key, i, STREAM_TOX) < p)
        self.tdlt.append(self.window * latent_uniform(self.key, i, STREAM_EVENT_TIME))
        self.in_cohort += 1
        self.checked = False
        if len(self.doses) == d.max_n:
            self._pending_end(None)

    def _pending_end(self, stop):
        D = self.arm.design.n_doses
        n_all = [self.doses.count(d) for d in range(D)]
        y_all = [sum(1 for j, x in enumerate(self.doses) if x == d and self.dlt[j]) for d in range(D)]
        if self.tite_crm:  # stopped at an arrival (the safety stop), or max_n: the rule's final selection
            self.sel = -1 if stop is not None else self.rule[1](self.doses, self.dlt)
        else:
            if stop is None:  # max_n: the last decision on complete data
                _nxt, stop, _s = self.rule[0](n_all, y_all, [0] * D, [0.0] * D, self.cur, self.adm)
                stop = stop or "select"
            self.sel = self.rule[1](n_all, y_all, self.adm) if stop == "select" else -1
        q, rho = self.sc.true_eff, self.sc.correlation
        self.patients = []
        for j, d in enumerate(self.doses):
            u = latent_uniform(self.key, j, STREAM_TOX)
            r = responds(u, latent_uniform(self.key, j, STREAM_EFF), _z(q[d]), q[d], rho)
            self.patients.append((d, bool(self.dlt[j]), bool(r)))
        at_sel = [self.entries[j] for j, x in enumerate(self.doses) if x == self.sel]
        if at_sel:
            self.time["to_sel"] = at_sel[0]
        self._end_escalation(self.entries[-1] + self.window)

    def treat(self, now, profile):
        if self.phase == "escalating" and self.pending:
            self._pending_treat(now, profile)
        elif self.phase == "escalating":
            i = len(self.entries)
            self.entries.append(now)
            self.profiles.append(profile)
            if self.sel >= 0 and self.patients[i][0] == self.sel and math.isnan(self.time["to_sel"]):
                self.time["to_sel"] = now
            n = len(self.patients)
            if (i + 1) % self.arm.design.cohort_size == 0 or i + 1 == n:
                self.t_open = now + self.window
            if i + 1 == n:
                self._end_escalation(now + self.window)
        else:
            self._enroll(now, profile)
        self.treated += 1

    def _end_escalation(self, esc_end):
        self.time["esc"] = esc_end
        at_sel = [j for j, p in enumerate(self.patients) if p[0] == self.sel]
        open_day = (
            max([esc_end] + [self.entries[j] + self.resp_days for j in at_sel]) if self.sel >= 0 else esc_end
        )
        if self.sel < 0 or sum(self.patients[j][2] for j in at_sel) < self.arm.open_min_responses:
            self.phase, self.time["close"] = "closed", open_day
            return
        self.time["ext"] = open_day
        for c, cohort in enumerate(self.arm.cohorts):
            self.decision[c] = -1
            rule = self.cohort_rule[c]
            counts = (
                cohort.count_escalation
                if rule is None or rule.count_escalation is None
                else rule.count_escalation
            )
            if counts:
                for j in (j for j in at_sel if self.admits(c, self.profiles[j])):
                    self.count[c] += 1
                    self.resp[c] += int(self.patients[j][2])
                    self.decision[c], self.look[c] = self._rule(c, self.count[c], self.resp[c], self.look[c])
                    if self.decision[c] >= 0:
                        self.day[c] = open_day
                        break
        self.end = open_day
        if all(d >= 0 for d in self.decision):
            self.phase, self.time["close"] = "closed", open_day
            return
        self.phase = "to_open"
        self.ext_day = open_day
        self.ptr = len(self.decision) - 1
        self.paused = [False] * len(self.decision)
        self.pending = {}  # cohort -> (day, decision)
        self.outcomes = []  # (day observed, dlt)
        self.n_safe = int(sum(1 for p in self.patients if p[0] == self.sel))
        self.y_safe = int(sum(p[1] for p in self.patients if p[0] == self.sel))

    def _enroll(self, now, profile):
        c = self._next_cohort(profile)
        i = EXT_BASE * (c + 1) + self.new_n[c]
        u = latent_uniform(self.key, i, STREAM_TOX)
        p = self.sc.true_tox[self.sel]
        dlt = u < p
        q = self.sc.response_of(self.arm.cohorts[c].name)[self.sel]
        r = bool(responds(u, latent_uniform(self.key, i, STREAM_EFF), _z(q), q, self.sc.correlation))
        self.new_n[c] += 1
        self.new_tox[c] += int(dlt)
        self.count[c] += 1
        self.resp[c] += int(r)
        res, nxt = self._rule(c, self.count[c], self.resp[c], self.look[c])
        if res >= 0 or nxt != self.look[c]:
            self.paused[c] = True
            self.pending[c] = (now + self.resp_days, res)
        self.look[c] = nxt
        if self.arm.safety is not None:
            v = latent_uniform(self.key, i, STREAM_EVENT_TIME)
            self.outcomes.append((now + self.window * v if dlt else now + self.window, int(dlt)))
        self.ptr = c

    # -- the extension's events up to a day
    def advance(self, now):
        if self.pending:
            self._pending_check(now)
        if self.phase == "to_open" and self.ext_day <= now:
            self.phase = "extension"
        if self.phase != "extension":
            return
        limit = now
        while True:
            looks = [(d, c) for c, (d, _) in self.pending.items()]
            tl, cl = min(looks) if looks else (math.inf, None)
            ts = min((o[0] for o in self.outcomes), default=math.inf)
            if cl is not None and tl <= ts and tl <= limit:
                _, res = self.pending.pop(cl)
                self.paused[cl] = False
                if res >= 0:
                    self.decision[cl] = res
                    self.day[cl] = tl
                    self.end = tl
                    if all(d >= 0 for d in self.decision):
                        limit = tl
            elif ts <= limit:
                j = min(range(len(self.outcomes)), key=lambda m: self.outcomes[m][0])
                _, dlt = self.outcomes.pop(j)
                self.n_safe += 1
                self.y_safe += dlt
                if self.x["safety"][self.n_safe, self.y_safe] == 1:
                    self.safety_stop = True
                    if any(d < 0 for d in self.decision):
                        for c, d in enumerate(self.decision):
                            if d < 0:
                                self.decision[c] = int(CohortDecision.SAFETY)
                                self.day[c] = ts
                        self.end = ts
                    self.phase, self.time["close"] = "closed", self.end
                    return
            else:
                break
        if all(d >= 0 for d in self.decision):
            self.phase, self.time["close"] = "closed", self.end


def oracle_platform(platform: Platform, scenario: PlatformScenario, seed: int, t: int) -> dict:
    """One platform trial by hand: every arm's outcome columns, the platform's totals and the list of
    (child, arm) allocations."""
    pk = np.uint64(trial_key(seed, scenario.key, t))
    arms = [_Arm(platform, i, s, pk) for i, s in enumerate(scenario.arm_scenarios)]
    index = {a.pa.name: i for i, a in enumerate(arms)}
    rate = platform.timing.rate_per_day
    assert platform.timing.accrual == "poisson" and isinstance(platform.timing.patients_per_month, float)
    arrival, k = 0.0, 0
    screened = not_matched = 0
    allocations = []
    A = len(arms)
    monthly = np.zeros((A + 2, 120), dtype=np.int64)  # children by calendar month (docs/platforms.md)

    def month(day):
        return min(int(day / (365.25 / 12)), 119)

    while k < platform.max_children:
        arrival = arrival + (-math.log(latent_uniform(pk, k, STREAM_ARRIVAL))) / rate
        k += 1
        for i in platform.opening_order():
            a = arms[i]
            if a.phase == "waiting":
                after = a.pa.opens_after
                od = a.pa.opens_day if after is None else arms[index[after]].time["close"]
                if (
                    not math.isnan(od)
                    and od <= arrival
                    and (after is None or arms[index[after]].phase == "closed")
                ):
                    a.phase, a.t_open, a.time["open"] = "escalating", od, od
            a.advance(arrival)
        if all(a.phase == "closed" for a in arms):
            if arrival < max(a.time["close"] for a in arms):
                screened += 1
                not_matched += 1
                monthly[A, month(arrival)] += 1
                monthly[A + 1, month(arrival)] += 1
                continue
            break
        screened += 1
        monthly[A, month(arrival)] += 1
        profile = _profile(platform, pk, k - 1)
        cand = [i for i, a in enumerate(arms) if _eligible(a.pa, *profile) and a.free(arrival, profile)]
        if not cand:
            not_matched += 1
            monthly[A + 1, month(arrival)] += 1
            continue
        rule = platform.allocation
        if rule == "priority":
            pick = cand[0]
        elif rule == "least_enrolled":
            pick = min(cand, key=lambda i: (arms[i].treated, i))
        else:
            u = latent_uniform(pk, k - 1, S_ALLOC)
            if rule == "random":
                pick = cand[min(int(u * len(cand)), len(cand) - 1)]
            else:
                w = [arms[i].pa.weight for i in cand]
                x, acc, pick = u * sum(w), 0.0, cand[-1]
                for i, wi in zip(cand, w, strict=True):
                    acc += wi
                    if x < acc:
                        pick = i
                        break
        a = arms[pick]
        assert _eligible(a.pa, *profile) and a.phase in ("escalating", "extension")
        assert a.free(arrival, profile)
        if a.phase == "extension":  # the cohort that takes the child admits them
            assert a.admits(a._next_cohort(profile), profile)
        allocations.append((k - 1, pick))
        monthly[pick, month(arrival)] += 1
        a.treat(arrival, profile)
    out = {
        "screened": screened,
        "not_matched": not_matched,
        "allocations": allocations,
        "monthly": monthly,
        "arms": [],
    }
    for a in arms:
        look = [
            a.look[c] if d in (int(CohortDecision.ACTIVE), int(CohortDecision.FUTILE)) else -1
            for c, d in enumerate(a.decision)
        ]
        out["arms"].append(
            dict(
                selected=a.sel,
                n_esc=len(a.patients),
                treated=a.treated,
                time=[a.time[x] for x in ("open", "esc", "ext", "close", "to_sel")],
                counted=a.count,
                responses=a.resp,
                decision=a.decision,
                look=look,
                new_n=a.new_n,
                tox=a.new_tox,
                cohort_day=a.day,
                safety_stop=a.safety_stop,
            )
        )
    return out
