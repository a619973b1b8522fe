"""PO-CRM: the spec below the engine (:mod:`.spec`); what it means in meetings above it (:mod:`.home`,
:mod:`.pymc_model`)."""

from .spec import (
    LIKELIHOOD_A_MAX,
    TYPICAL_ORDERING_NAMES,
    PoCrm,
    is_linear_extension,
    typical_orderings,
    zones_path,
)

__all__ = [
    "LIKELIHOOD_A_MAX",
    "TYPICAL_ORDERING_NAMES",
    "PoCrm",
    "is_linear_extension",
    "typical_orderings",
    "zones_path",
]
