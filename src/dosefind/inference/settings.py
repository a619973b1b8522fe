"""Settings of every PyMC fit (NUTS), validated on construction."""

from __future__ import annotations

from dataclasses import dataclass

from ..designs import validate as v

#: Fewest draws per chain accepted: below this ESS and R-hat estimates are themselves too noisy.
MIN_DRAWS = 100


@dataclass(frozen=True)
class McmcSettings:
    """NUTS settings of every PyMC fit. Validated on construction (:class:`SpecError` naming the field).

    ``draws`` and ``tune`` are per chain; ``cores`` is the number of chains run in parallel (1, the
    default, was faster end to end on a 2-core machine: the models are one- to few-dimensional and
    worker start-up dominates).
    """

    draws: int = 2000
    tune: int = 1000
    chains: int = 4
    target_accept: float = 0.9
    seed: int = 1
    cores: int = 1

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "draws", v.integer("draws", self.draws, low=MIN_DRAWS, fix=_FIX["draws"]))
        set_(self, "tune", v.integer("tune", self.tune, low=0, fix=_FIX["tune"]))
        set_(self, "chains", v.integer("chains", self.chains, low=2, fix=_FIX["chains"]))
        accept = v.real(
            "target_accept", self.target_accept, low=0.5, high=1.0, high_open=True, fix=_FIX["accept"]
        )
        set_(self, "target_accept", accept)
        set_(self, "seed", v.integer("seed", self.seed, low=0, fix=_FIX["seed"]))
        set_(self, "cores", v.integer("cores", self.cores, low=1, fix=_FIX["cores"]))


_FIX = {
    "draws": f"use at least {MIN_DRAWS} draws per chain (default 2000; e.g. --draws 2000)",
    "tune": "use a non-negative number of tuning steps (default 1000)",
    "chains": "R-hat compares several chains: use at least 2 (default 4; e.g. --chains 4)",
    "accept": "use an acceptance target in [0.5, 1), e.g. 0.9 (default) or 0.99 after divergences",
    "seed": "use a non-negative whole number as the random seed",
    "cores": "use 1 (chains in turn) or more (chains in parallel)",
}
