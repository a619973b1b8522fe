"""CRM: the spec below the engine (:mod:`.spec`); what it means in meetings above it (:mod:`.home`,
:mod:`.pymc_model`)."""

from .spec import DFCRM_PRIOR_SD, Crm

__all__ = ["DFCRM_PRIOR_SD", "Crm"]
