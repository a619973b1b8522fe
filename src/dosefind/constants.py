"""Package-wide constants and enums. Nothing here imports anything else from dosefind."""

from __future__ import annotations

from enum import IntEnum

#: Width of every credible interval dosefind reports (two-sided, equal-tailed).
CREDIBLE_MASS = 0.90

#: Absolute tolerance used when deciding that two true DLT rates are equally close to the target.
TIE_TOLERANCE = 1e-9


class Status(IntEnum):
    """What a design decides after a cohort."""

    CONTINUE = 0  #: treat the next cohort at the returned dose
    STOP_SELECT = 1  #: stop and select a dose with the design's final-selection rule
    STOP_NO_DOSE = 2  #: stop and select no dose (all doses too toxic)


class Reason(IntEnum):
    """Why a decision was made. Codes are shared by the numba kernels and the live explanation."""

    NONE = 0
    # BOIN
    BOIN_ESCALATE = 1  #: observed rate <= lambda_e
    BOIN_STAY = 2  #: lambda_e < observed rate < lambda_d
    BOIN_DEESCALATE = 3  #: observed rate >= lambda_d
    BOIN_STAY_TOP = 4  #: would escalate but already at the highest dose
    BOIN_STAY_NEXT_ELIMINATED = 5  #: would escalate but the next dose is eliminated
    BOIN_STAY_BOTTOM = 6  #: would de-escalate but already at the lowest dose
    BOIN_LOWEST_ELIMINATED = 7  #: lowest dose eliminated, stop
    BOIN_EXTRASAFE = 8  #: extra-safe rule on the lowest dose, stop
    BOIN_DEESCALATE_ELIMINATED = 9  #: current dose eliminated, de-escalate
    BOIN_EARLYSTOP_N = 10  #: n_earlystop patients at the current dose
    # TITE-BOIN (designs/tite_boin): the BOIN codes above, and
    TITE_SUSPEND = 11  #: more than the allowed share of the current dose's patients pending: suspend accrual
    TITE_SUSPEND_BOTTOM = 12  #: would de-escalate at the lowest dose with patients pending: suspend accrual
    # BOIN with backfill (engine/backfill.py)
    BF_POOLED = (
        13  #: the current dose's decision conflicted with a backfilled lower dose: pooled data decided
    )
    # 3+3
    TPT_ESCALATE = 20  #: 0/3 or <=1/6, escalate
    TPT_EXPAND = 21  #: 1/3 (or 0/3 at the top dose / on de-escalation), treat 3 more at the same dose
    TPT_DEESCALATE = 22  #: >=2 DLTs, de-escalate to expand the dose below
    TPT_MTD_FOUND = 23  #: MTD determined, stop
    TPT_ALL_TOXIC = 24  #: >=2 DLTs at the lowest dose, stop with no MTD
    # A+B (designs/a_plus_b): the 3+3 codes above, and
    APB_STAGE = 19  #: the stage of A (or B) patients at this dose is not complete: treat more there
    # rolling six (designs/rolling_six)
    R6_SAME = 25  #: enrol at the same level (fewer than 6 there, escalation not yet allowed)
    R6_ESCALATE = 26  #: the grid says escalate
    R6_HOLD = 27  #: 6 enrolled and a pending result could still decide: suspend accrual
    R6_DEESCALATE = 28  #: >= 2 DLTs at the level: close it and every level above, go one level down
    R6_MTD = 29  #: would escalate but the level above is closed (or this is the top): this level is the MTD
    R6_ALL_TOXIC = 34  #: >= 2 DLTs at the lowest level: stop with no MTD
    R6_FILL_CLOSED = 35  #: would escalate but the level above is closed (or this is the top): fill towards 6
    # CRM
    CRM_MODEL = 30  #: the model's dose (closest estimated DLT probability to the target)
    CRM_NO_SKIP = 31  #: escalation limited to one level above the reference dose
    CRM_COHERENCE = 32  #: no escalation right after a DLT in the last cohort
    CRM_SAFETY_STOP = 33  #: posterior P(DLT rate at lowest dose > threshold) above the stated confidence
    # modifiers and global rules
    MAX_N = 40  #: maximum sample size reached
    STOP_AT_N = 41  #: stop_at_n modifier
    STOP_N_AT_DOSE = 42  #: stop_when_n_at_dose modifier
    DONT_SKIP = 43  #: dont_skip modifier limited the move
    TOO_TOXIC = 44  #: stop_when_too_toxic modifier
    NO_ADMISSIBLE_DOSE = 45  #: no admissible dose remains
    # PO-CRM
    POCRM_STAGE1 = 60  #: stage 1, no DLT yet: the next cell of the start-up path
    POCRM_ALL_DLT = 61  #: stage 1, likelihood estimation: every patient so far had a DLT, stay at the start
    POCRM_MODEL = 62  #: the model's cell (estimate closest to the target) under the chosen ordering
    POCRM_STOP_N = 63  #: the cell chosen next already has stop_n patients (stage 1: more than stop_n)
    # BOIN12 (designs/boin12, engine/boin12.py): phase I/II, toxicity and response
    B12_DEESCALATE = 64  #: observed DLT rate >= lambda_d: de-escalate
    B12_STAY_BOTTOM = 65  #: observed DLT rate >= lambda_d at the lowest dose: stay there
    B12_EXPLORE = 66  #: exploration rule: explore_n patients here, DLT rate below lambda_d, next dose untried
    B12_ESCALATE = 67  #: the next higher dose has the highest desirability among the admissible neighbours
    B12_STAY = 68  #: the current dose has the highest desirability among the admissible neighbours
    B12_DESIRABILITY_DOWN = 69  #: the next lower dose has the highest desirability among the neighbours
    B12_NSTAR_STAY = 70  #: DLT rate between the boundaries with n_star patients: current dose beats lower
    B12_NSTAR_DOWN = 71  #: DLT rate between the boundaries with n_star patients: lower dose beats current
    B12_LOWEST_TOXIC = 72  #: the lowest dose is eliminated for toxicity: stop with no dose
    B12_NONE_ADMISSIBLE = 73  #: every dose is eliminated (toxicity or futility): stop with no dose
    B12_NO_NEIGHBOUR = 74  #: no admissible dose among the current one and its neighbours
    # EffTox (designs/efftox, engine/efftox.py): phase I/II, Thall & Cook 2004 (75-79; 80-84 reserved)
    EFFTOX_BEST = 75  #: the acceptable dose with the highest utility of the posterior mean probabilities
    EFFTOX_NO_SKIP = 76  #: the best acceptable dose would skip an untried dose: the best within reach
    EFFTOX_NONE_ACCEPTABLE = 77  #: no dose is acceptable: stop with no dose
    # U-BOIN (designs/uboin, engine/uboin.py): phase I/II, BOIN in stage 1, randomisation in stage 2
    UB_ESCALATE = 85  #: stage 1: observed DLT rate <= lambda_e, escalate to the next admissible dose
    UB_STAY = 86  #: stage 1: lambda_e < observed DLT rate < lambda_d, stay
    UB_DEESCALATE = 87  #: stage 1: observed DLT rate >= lambda_d, de-escalate
    UB_STAY_TOP = 88  #: stage 1: would escalate, but no admissible dose above: stay
    UB_STAY_BOTTOM = 89  #: stage 1: would de-escalate at the lowest dose: stay
    UB_RANDOMISE = 14  #: stage 2: randomised among the admissible tried doses by posterior mean utility
    UB_LOWEST_TOXIC = 15  #: the lowest dose is eliminated for toxicity: stop with no dose
    UB_NONE_ADMISSIBLE = 16  #: every dose is eliminated (toxicity or futility): stop with no dose
    UB_FUTILE_HERE = 17  #: stage 1: the current dose was just found futile: leave it
    # BOIN for combinations (50-59), PO-CRM (60-69), arm extension and safety (70-89): defined with
    # their designs
    BOIN_COMB_ESCALATE = 50  #: observed rate <= lambda_e, escalate to the better adjacent higher cell
    BOIN_COMB_STAY = 51  #: lambda_e < observed rate < lambda_d
    BOIN_COMB_DEESCALATE = 52  #: observed rate >= lambda_d, de-escalate to the better adjacent lower cell
    BOIN_COMB_STAY_NO_ESCALATION = 53  #: would escalate but no adjacent higher cell is open
    BOIN_COMB_STAY_BOTTOM = 54  #: would de-escalate but no adjacent lower cell exists (cell 1.1)
    BOIN_COMB_LOWEST_ELIMINATED = 55  #: cell 1.1 eliminated, stop
    BOIN_COMB_EXTRASAFE = 56  #: extra-safe rule at cell 1.1, stop
    BOIN_COMB_EARLYSTOP_N = 57  #: n_earlystop patients at the current cell, stop
    BOIN_COMB_DEESCALATE_ELIMINATED = 58  #: current cell (and those above it) eliminated, de-escalate
    # table-driven designs (designs/table): the action read from the (patients, DLTs) table, or why the
    # move was blocked; a design of the family may declare its own codes for the four actions instead
    TABLE_ESCALATE = 90  #: the table says escalate (E)
    TABLE_STAY = 91  #: the table says stay (S)
    TABLE_DEESCALATE = 92  #: the table says de-escalate (D)
    TABLE_DEESCALATE_ELIMINATED = 93  #: the table says de-escalate and eliminate this and higher doses (DU)
    TABLE_STAY_TOP = 94  #: E at the highest dose: stay
    TABLE_STAY_NEXT_ELIMINATED = 95  #: E, but the next dose is eliminated: stay
    TABLE_STAY_BOTTOM = 96  #: D at the lowest dose: stay
    TABLE_LOWEST_ELIMINATED = 97  #: DU at the lowest dose: no dose left, stop


#: Reason codes a design may declare for itself (:func:`declare_reason`); kernels store reasons as int8.
DESIGN_REASON_CODES = range(100, 128)


class DesignReason(int):
    """A reason code declared by a design outside the built-in :class:`Reason` codes. It behaves like a
    :class:`Reason` member where dosefind reads one: an int with a ``name``."""

    def __new__(cls, value: int, name: str):
        obj = int.__new__(cls, value)
        obj.name = name
        return obj

    def __repr__(self) -> str:
        return f"<DesignReason.{self.name}: {int(self)}>"


_DECLARED: dict[int, DesignReason] = {}


def declare_reason(code: int, name: str) -> DesignReason:
    """Declare a design's own reason code (from :data:`DESIGN_REASON_CODES`) under an UPPER_CASE name.

    Declaring the same code with the same name again is harmless; another name for a code already
    declared, or a code outside the range, raises ValueError."""
    if int(code) not in DESIGN_REASON_CODES:
        raise ValueError(
            f"reason code {code} is outside the range designs may declare "
            f"({DESIGN_REASON_CODES.start}-{DESIGN_REASON_CODES.stop - 1})"
        )
    known = _DECLARED.get(int(code))
    if known is not None and known.name != name:
        raise ValueError(f"reason code {code} is already declared as {known.name}")
    _DECLARED[int(code)] = known or DesignReason(int(code), name)
    return _DECLARED[int(code)]


def reason_from_code(code: int) -> Reason | DesignReason:
    """The :class:`Reason` (or declared :class:`DesignReason`) of a kernel's reason code."""
    code = int(code)
    if code in _DECLARED:
        return _DECLARED[code]
    return Reason(code)


class DesignKind(IntEnum):
    THREE_PLUS_THREE = 0
    BOIN = 1
    CRM = 2
    BOIN_COMB = 3
    POCRM = 4
    TABLE = 5  #: the table-driven family (designs/table): any design that compiles a (patients, DLTs) table
    TITE_CRM = 6  #: TITE-CRM: the CRM's kernels on complete data, engine/tite.py with pending patients
    TITE_BOIN = 7  #: TITE-BOIN: BOIN's kernels on complete data, engine/tite_boin.py with pending patients
    ROLLING_SIX = 8  #: rolling six (engine/rolling_six.py), with or without pending patients
    BLRM = 9  #: Bayesian logistic regression model with overdose control (engine/blrm.py)
    A_PLUS_B = 10  #: Lin & Shih's A+B family (engine/a_plus_b.py)
    BOIN12 = 11  #: BOIN12, phase I/II utility-based (engine/boin12.py); decides on responses too
    EFFTOX = 13  #: EffTox, phase I/II (Thall & Cook 2004; engine/efftox.py); decides on responses too
    UBOIN = 12  #: U-BOIN, phase I/II: BOIN then randomisation by utility (engine/uboin.py)
    BLRM_COMB = 14  #: two-drug BLRM with overdose control (engine/blrm_comb.py)


class ModifierKind(IntEnum):
    STOP_AT_N = 1
    STOP_WHEN_N_AT_DOSE = 2
    DONT_SKIP = 3
    STOP_WHEN_TOO_TOXIC = 4


class CohortDecision(IntEnum):
    """What became of an expansion cohort of an arm."""

    NOT_OPENED = 0  #: the extension did not open (no dose selected, or too few responses)
    ACTIVE = 1  #: the rule declared the treatment active (efficacy boundary reached)
    FUTILE = 2  #: the rule stopped for futility (or the final analysis was negative)
    SAFETY = 3  #: safety monitoring at the selected dose stopped the extension first
