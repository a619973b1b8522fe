"""dosefind: adaptive phase I/II dose-finding trials."""

__version__ = "0.1.0"

from .constants import Reason, Status  # noqa: E402
from .designs import (  # noqa: E402
    Boin,
    Crm,
    DontSkip,
    StopAtN,
    StopWhenNAtDose,
    StopWhenTooToxic,
    ThreePlusThree,
    design_from_dict,
)
from .engine import SimResult, simulate, simulate_one  # noqa: E402
from .errors import DataError, DosefindError, SpecError  # noqa: E402
from .oc import operating_characteristics, simulate_spec  # noqa: E402
from .scenario import Scenario  # noqa: E402
from .specfile import Spec, load_design, load_spec  # noqa: E402

__all__ = [
    "Boin",
    "Crm",
    "DataError",
    "DontSkip",
    "DosefindError",
    "Reason",
    "Scenario",
    "SimResult",
    "Spec",
    "SpecError",
    "Status",
    "StopAtN",
    "StopWhenNAtDose",
    "StopWhenTooToxic",
    "ThreePlusThree",
    "design_from_dict",
    "load_design",
    "load_spec",
    "operating_characteristics",
    "simulate",
    "simulate_one",
    "simulate_spec",
    "__version__",
]
