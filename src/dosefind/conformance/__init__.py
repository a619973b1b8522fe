"""Conformance checks against shipped reference data (``dosefind verify``; the test suite runs the same
checks)."""

from .checks import CHECKS, Check, CheckResult, run_checks

__all__ = ["CHECKS", "Check", "CheckResult", "run_checks"]
