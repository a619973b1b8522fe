"""designs.validate.build: a TOML table missing a required field is a one-line SpecError naming the
field, never a TypeError from the dataclass (a BOP2 cohort without alpha used to give a traceback)."""

from dataclasses import dataclass

import pytest

from dosefind.designs.validate import build
from dosefind.errors import SpecError
from dosefind.extension import rule_from_dict


@dataclass(frozen=True, kw_only=True)
class Needs:
    alpha: float
    n: int = 3


def test_missing_required_field_names_it():
    with pytest.raises(SpecError, match=r"cohorts\[1\]\.alpha: missing"):
        build(Needs, "cohorts[1]", {"n": 4})
    assert build(Needs, "x", {"alpha": 0.1}).n == 3


def test_bop2_rule_without_alpha_is_a_spec_error():
    with pytest.raises(SpecError, match="alpha"):
        rule_from_dict({"rule": "bop2", "p0": 0.1, "p1": 0.3, "n": 25, "looks": [10, 16, 25]})
