"""Phase I/II arms: escalation (single agent or a two-drug grid), then efficacy expansion cohorts at the
selected dose with Simon / BOP2 / predictive-probability rules and safety monitoring."""

from .oc import ArmStudyResult, arm_oc, simulate_arm_spec
from .simulate import ArmResult, simulate_arm
from .spec import Arm, ArmScenario, ArmSpec, ExpansionCohort, SafetyMonitor, load_arm

__all__ = [
    "Arm",
    "ArmResult",
    "ArmScenario",
    "ArmSpec",
    "ArmStudyResult",
    "ExpansionCohort",
    "SafetyMonitor",
    "arm_oc",
    "load_arm",
    "simulate_arm",
    "simulate_arm_spec",
]
