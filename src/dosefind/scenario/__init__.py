"""Scenarios: true dose-toxicity curves."""

from .spec import Scenario, check_against

__all__ = ["Scenario", "check_against"]
