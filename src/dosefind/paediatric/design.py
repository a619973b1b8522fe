"""Paediatric design specs from a :class:`~dosefind.paediatric.adult.PaediatricPrior`: a BLRM whose prior is
the mapped adult information (``[[design.prior]]`` components), or a CRM whose skeleton is the adult
posterior mean at the exposure-equivalent doses."""

from __future__ import annotations

from ..designs.blrm.spec import Blrm, PriorComponent
from ..designs.crm.spec import Crm
from .adult import PaediatricPrior

#: significant figures of the prior's numbers and the skeleton written into a design
DIGITS = 6


def _sig(x: float, digits: int = DIGITS) -> float:
    return float(f"{x:.{digits}g}")


def rounded_components(prior: PaediatricPrior) -> tuple[PriorComponent, ...]:
    """The mixture components with their numbers to ``DIGITS`` significant figures (weights kept exact)."""
    return tuple(
        PriorComponent(
            c.weight,
            (_sig(c.mean[0]), _sig(c.mean[1])),
            (_sig(c.sd[0]), _sig(c.sd[1])),
            _sig(c.corr),
        )
        for c in prior.components
    )


def blrm_design(
    prior: PaediatricPrior,
    dose_unit: str,
    *,
    max_n: int = 24,
    cohort_size: int = 3,
    start_dose: int = 1,
    name: str = "Paediatric BLRM",
    intervals: tuple[float, float] = (0.16, 0.33),
    ewoc: float = 0.25,
    target: float | None = None,
) -> Blrm:
    """A paediatric BLRM on the prior's doses with the mapped mixture prior and its reference dose
    (``target``: the rate the operating characteristics measure against; default the interval midpoint)."""
    return Blrm(
        name=name,
        target=target,
        doses=prior.doses,
        dose_unit=dose_unit,
        reference_dose=prior.reference_dose,
        prior=rounded_components(prior),
        intervals=intervals,
        ewoc=ewoc,
        max_n=max_n,
        cohort_size=cohort_size,
        start_dose=start_dose,
    )


def crm_design(
    prior: PaediatricPrior,
    dose_unit: str,
    *,
    target: float = 0.25,
    max_n: int = 24,
    cohort_size: int = 3,
    start_dose: int = 1,
    name: str = "Paediatric CRM",
) -> Crm:
    """A paediatric CRM (empiric model, dfcrm's defaults) whose skeleton is the adult posterior mean of p
    at the exposure-equivalent doses; the doses are labels "<dose> <unit>"."""
    unit = f" {dose_unit}" if dose_unit else ""
    return Crm(
        name=name,
        target=target,
        doses=tuple(f"{d:g}{unit}" for d in prior.doses),
        skeleton=tuple(_sig(s) for s in prior.skeleton),
        max_n=max_n,
        cohort_size=cohort_size,
        start_dose=start_dose,
    )
