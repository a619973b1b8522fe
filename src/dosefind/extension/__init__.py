"""Efficacy extension rules of a phase I/II arm: after escalation, an expansion cohort at the recommended
dose is monitored by Simon's two-stage design, BOP2 or Lee & Liu's predictive probability design.

Every rule compiles to :class:`Boundaries` (cumulative looks and the response counts that stop the arm);
:func:`exact_oc` gives its exact operating characteristics.
"""

from .bop2 import bop2_boundaries, calibrate_bop2
from .boundaries import Boundaries, ExtensionOC, exact_oc
from .predictive import predictive_boundaries, predictive_probability, predictive_search
from .rules import RULES, Bop2Rule, PredictiveRule, SimonRule, rule_from_dict
from .simon import SimonDesign, simon_search

__all__ = [
    "RULES",
    "Bop2Rule",
    "Boundaries",
    "ExtensionOC",
    "PredictiveRule",
    "SimonDesign",
    "SimonRule",
    "bop2_boundaries",
    "calibrate_bop2",
    "exact_oc",
    "predictive_boundaries",
    "predictive_probability",
    "predictive_search",
    "rule_from_dict",
    "simon_search",
]
