"""Paediatric dose levels from the adult RP2D (:mod:`.scaling`) and the adult dose-toxicity data on the
paediatric dose scale, as a BLRM prior and a CRM skeleton (:mod:`.adult`); the input file of
``dosefind paediatric`` (:mod:`.io`)."""

from .adult import (
    AdultData,
    AdultModel,
    AdultPosterior,
    Discount,
    PaediatricPrior,
    adult_mean_prob,
    check_skeleton,
    fit_adult,
    map_adult_to_paediatric,
    paediatric_parameters,
    read_adult_csv,
    weakly_informative,
)
from .scaling import (
    ADULT_BSA_M2,
    ADULT_WEIGHT_KG,
    ALLOMETRIC_EXPONENT,
    Band,
    DoseRow,
    Formulation,
    PaediatricDoses,
    Scaling,
    mosteller_bsa,
    paediatric_doses,
)

__all__ = [
    "ADULT_BSA_M2",
    "ADULT_WEIGHT_KG",
    "ALLOMETRIC_EXPONENT",
    "AdultData",
    "AdultModel",
    "AdultPosterior",
    "Band",
    "Discount",
    "DoseRow",
    "Formulation",
    "PaediatricDoses",
    "PaediatricPrior",
    "Scaling",
    "adult_mean_prob",
    "check_skeleton",
    "fit_adult",
    "map_adult_to_paediatric",
    "mosteller_bsa",
    "paediatric_doses",
    "paediatric_parameters",
    "read_adult_csv",
    "weakly_informative",
]
