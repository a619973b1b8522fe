"""Scenarios: true dose-toxicity curves, explicit or drawn by published random-scenario generators."""

from .generators import GENERATORS, generate
from .spec import Scenario, check_against
from .timing import Timing

__all__ = ["GENERATORS", "Scenario", "check_against", "generate", "Timing"]
