"""Scenarios: true dose-toxicity curves, explicit or drawn by published random-scenario generators."""

from .generators import GENERATORS, generate
from .spec import Scenario, check_against

__all__ = ["GENERATORS", "Scenario", "check_against", "generate"]
