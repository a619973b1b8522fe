"""Published worked examples replayed cohort by cohort through the shared decision code."""

from dosefind import Boin, Status, ThreePlusThree
from dosefind.engine.replay import DecisionContext


def _replay(design, cohorts):
    """cohorts: list of (dose label, 'NNT' outcomes) -> list of (status, next dose label) per cohort."""
    ctx = DecisionContext(design)
    out = []
    for dose, outcomes in cohorts:
        step = ctx.treat(dose - 1, len(outcomes), outcomes.count("T"))
        out.append((step.status, step.next_dose + 1))
    return ctx, out


def test_three_plus_three_escalation_readme_example():
    """escalation's README (get_three_plus_three(num_doses = 5), no de-escalation): '1NNN' -> dose 2;
    '1NNN 2NNN 3NNT' -> stay at 3 and continue; '1NNN 2NNN 3NNT 3NTN' -> stop, MTD dose 2."""
    design = ThreePlusThree(n_doses=5, deescalation=False)
    _, steps = _replay(design, [(1, "NNN")])
    assert steps[-1] == (Status.CONTINUE, 2)
    _, steps = _replay(design, [(1, "NNN"), (2, "NNN"), (3, "NNT")])
    assert steps[-1] == (Status.CONTINUE, 3)
    ctx, steps = _replay(design, [(1, "NNN"), (2, "NNN"), (3, "NNT"), (3, "NTN")])
    assert steps[-1][0] == Status.STOP_SELECT
    assert ctx.select() + 1 == 2


# The BOIN protocol template (and get.boundary(target = 0.3, ncohort = 10, cohortsize = 3)) publishes:
PUBLISHED_N = [3, 6, 9, 12, 15, 18, 21, 24, 27, 30]
ESCALATE_LE = [0, 1, 2, 2, 3, 4, 4, 5, 6, 7]
DEESCALATE_GE = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
ELIMINATE_GE = [3, 4, 5, 7, 8, 9, 10, 11, 12, 14]


def _published_action(n, y):
    i = PUBLISHED_N.index(n)
    if y >= ELIMINATE_GE[i]:
        return "eliminate"
    if y <= ESCALATE_LE[i]:
        return "escalate"
    if y >= DEESCALATE_GE[i]:
        return "de-escalate"
    return "stay"


def test_boin_trial_follows_the_published_table():
    """A 30-patient trial on 5 doses, each cohort's decision read off the published table by hand:
    escalate while <= the escalation cut-off, de-escalate at the de-escalation cut-off, eliminate the
    dose and all above at the elimination cut-off (never returning there), and stay at the highest
    admissible dose when escalation is blocked."""
    design = Boin(target=0.3, n_doses=5, cohort_size=3, max_n=30)
    trial = [
        (1, "NNN"),
        (2, "NNT"),
        (2, "NNN"),
        (3, "NTT"),
        (2, "NNN"),
        (3, "TNT"),
        (2, "NTN"),
        (2, "NNN"),
        (2, "TNN"),
        (2, "NNN"),
    ]
    expected = [
        ("escalate", 2),  # 0/3 at dose 1
        ("stay", 2),  # 1/3
        ("escalate", 3),  # 1/6
        ("de-escalate", 2),  # 2/3 at dose 3
        ("escalate", 3),  # 1/9 at dose 2
        ("eliminate", 2),  # 4/6 at dose 3: doses 3-5 eliminated, back to 2
        ("escalate", 2),  # 2/12 at dose 2 says escalate, but dose 3 is eliminated: stay
        ("escalate", 2),  # 2/15
        ("escalate", 2),  # 3/18: <= 4
        (None, None),  # 3/21 -> n = 30 reached: stop and select
    ]
    ctx = DecisionContext(design)
    counts = {}
    for (dose, outcomes), (action, nxt) in zip(trial, expected, strict=True):
        n, y = counts.get(dose, (0, 0))
        n, y = n + 3, y + outcomes.count("T")
        counts[dose] = (n, y)
        step = ctx.treat(dose - 1, 3, outcomes.count("T"))
        if action is None:
            assert step.status == Status.STOP_SELECT
            break
        assert _published_action(n, y) == action, (dose, n, y)
        assert step.status == Status.CONTINUE and step.next_dose + 1 == nxt, (dose, n, y, step)
    assert list(ctx.admissible) == [1, 1, 0, 0, 0]
    # final selection (isotonic over doses 1-2: 0/3 and 3/21 -> dose 2 is closest to 0.3)
    assert ctx.select() + 1 == 2


def _run_until_stop(design, cohorts):
    ctx = DecisionContext(design)
    for k, (dose, o) in enumerate(cohorts, 1):
        step = ctx.treat(dose - 1, len(o), o.count("T"))
        if step.status != Status.CONTINUE:
            return k, step
    return None, step


def test_boin_n_earlystop_only_when_staying():
    """BOIN package rule: with n.earlystop = 12 the trial stops once the dose just treated has 12
    patients and the decision is to stay; an escalation at 12 patients continues the trial."""
    stay = [(1, "NNN"), (2, "NTN"), (2, "NNT"), (2, "TNN"), (2, "NTN")]  # dose 2: 1/3, 2/6, 3/9, 4/12: stay
    k, step = _run_until_stop(Boin(target=0.3, n_doses=3, max_n=36, n_earlystop=12), stay)
    assert k == 5 and step.status == Status.STOP_SELECT
    k, _ = _run_until_stop(Boin(target=0.3, n_doses=3, max_n=36), stay)
    assert k is None  # without n_earlystop the same trial goes on
    design = Boin(target=0.3, n_doses=3, max_n=36, n_earlystop=12)
    ctx = DecisionContext(design)
    ctx.n_at[:] = [9, 0, 0]
    ctx.tox_at[:] = [2, 0, 0]
    step = ctx.treat(0, 3, 0)  # dose 1 now 2/12: escalate (2 <= 2), so the trial continues
    assert step.status == Status.CONTINUE and step.next_dose == 1


def test_the_worked_examples_check_fails_on_a_wrong_move_and_names_it(monkeypatch):
    """``dosefind verify``'s worked_examples check (the same examples as above, in one place) passes, and
    fails naming the cohort when an expected move is changed."""
    from dosefind.conformance import CHECKS
    from dosefind.conformance import checks as C

    assert all(r.passed for r in CHECKS["worked_examples"].run())
    examples = C._worked_examples()
    design_text, ref, quantity, design, cohorts, expected, selected = examples[3]
    wrong = list(expected)
    wrong[3] = (Status.CONTINUE, 4)  # the meeting's de-escalation to 80 mg/m2 read as "stay at 100"
    examples[3] = (design_text, ref, quantity, design, cohorts, wrong, selected)
    monkeypatch.setattr(C, "_worked_examples", lambda: examples)
    rows = CHECKS["worked_examples"].run()
    assert [r.passed for r in rows] == [True, True, True, False]
    assert "cohort 4: CONTINUE 3, expected CONTINUE 4" in rows[3].detail
