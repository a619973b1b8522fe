"""Scenarios: the true dose-toxicity curve a design is simulated under."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..designs import validate as v
from ..errors import SpecError


@dataclass(frozen=True)
class Scenario:
    """A named truth: the DLT probability at each dose (dose 1 first).

    Non-monotone curves are allowed (they are legitimate stress cases) and reported by
    :meth:`notes`; probabilities outside [0, 1] are errors.
    """

    name: str
    true_tox: tuple[float, ...]
    description: str = ""
    #: response probability at each dose (designs whose decisions read responses: backfill); optional
    true_eff: tuple[float, ...] | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise SpecError("name", f"expected a non-empty name, got {self.name!r}", 'write e.g. name = "S1"')
        object.__setattr__(self, "true_tox", v.prob_vector("true_tox", self.true_tox))
        if self.true_eff is not None:
            eff = v.prob_vector("true_eff", self.true_eff)
            if len(eff) != len(self.true_tox):
                raise SpecError(
                    "true_eff",
                    f"{len(eff)} response probabilities for {len(self.true_tox)} doses",
                    "give one response probability per dose, as for true_tox",
                )
            object.__setattr__(self, "true_eff", eff)
        if not isinstance(self.description, str):
            raise SpecError("description", "expected text", "write a short description in quotes")

    @property
    def n_doses(self) -> int:
        return len(self.true_tox)

    @property
    def is_monotone(self) -> bool:
        return all(b >= a for a, b in zip(self.true_tox, self.true_tox[1:], strict=False))

    def notes(self) -> list[str]:
        """Flags worth showing to the user (non-monotone truth)."""
        if self.is_monotone:
            return []
        return [
            f"scenario {self.name!r}: true DLT probabilities are not non-decreasing in dose "
            f"({list(self.true_tox)}); kept as a stress case"
        ]

    @property
    def key(self) -> int:
        """Stable 63-bit key from the name: the scenario coordinate of every patient's latent values."""
        return int(hashlib.sha256(self.name.encode()).hexdigest()[:15], 16)

    def to_dict(self) -> dict:
        out = {"name": self.name, "true_tox": list(self.true_tox)}
        if self.true_eff is not None:
            out["true_eff"] = list(self.true_eff)
        if self.description:
            out["description"] = self.description
        return out

    @classmethod
    def from_dict(cls, data: dict, field: str = "scenario") -> Scenario:
        if not isinstance(data, dict):
            raise SpecError(
                field, f"expected a table, got {data!r}", "write [[scenarios]] with name and true_tox"
            )
        v.no_unknown_keys(field, data, ["name", "true_tox", "true_eff", "description"])
        for key in ("name", "true_tox"):
            if key not in data:
                raise SpecError(f"{field}.{key}", "missing", f"add {key} = ... to every [[scenarios]] block")
        try:
            return cls(
                name=data["name"],
                true_tox=tuple(data["true_tox"]) if isinstance(data["true_tox"], list) else data["true_tox"],
                description=data.get("description", ""),
                true_eff=tuple(data["true_eff"])
                if isinstance(data.get("true_eff"), list)
                else data.get("true_eff"),
            )
        except SpecError as e:
            raise SpecError(f"{field}.{e.field}", e.problem, e.fix) from None


def check_against(scenarios, n_doses: int) -> None:
    """Every scenario must give one probability per dose of the design."""
    names = set()
    for i, s in enumerate(scenarios):
        if s.n_doses != n_doses:
            raise SpecError(
                f"scenarios[{i}].true_tox",
                f"scenario {s.name!r} has {s.n_doses} doses but the design has {n_doses}",
                "give one true DLT probability per dose",
            )
        if s.name in names:
            raise SpecError(
                f"scenarios[{i}].name",
                f"duplicate scenario name {s.name!r}",
                "give every scenario a distinct name",
            )
        names.add(s.name)
