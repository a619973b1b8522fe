"""Designs: immutable specs (frozen dataclasses) plus composable modifiers."""

from .a_plus_b import APlusB
from .base import CompiledDesign, Design
from .blrm import Blrm
from .blrm_comb import BlrmComb
from .boin import Boin, boin_boundaries
from .boin12 import Boin12
from .boin_comb import BoinComb
from .crm import Crm
from .efftox import EffTox
from .i3plus3 import I3Plus3
from .keyboard import Keyboard
from .modifiers import DontSkip, Modifier, StopAtN, StopWhenNAtDose, StopWhenTooToxic
from .mtpi import Mtpi
from .mtpi2 import Mtpi2
from .pocrm import PoCrm, typical_orderings
from .registry import DESIGNS, design_from_dict
from .rolling_six import RollingSix
from .skeleton import calibrate_skeleton, max_skeleton_halfwidth
from .table.user import DecisionTableDesign
from .three_plus_three import ThreePlusThree
from .tite_boin import TiteBoin
from .tite_crm import TiteCrm
from .tpi import Tpi
from .uboin import UBoin

__all__ = [
    "APlusB",
    "Boin",
    "Boin12",
    "BoinComb",
    "CompiledDesign",
    "Crm",
    "DecisionTableDesign",
    "EffTox",
    "I3Plus3",
    "Keyboard",
    "Mtpi",
    "Mtpi2",
    "DESIGNS",
    "Design",
    "DontSkip",
    "Modifier",
    "PoCrm",
    "StopAtN",
    "StopWhenNAtDose",
    "StopWhenTooToxic",
    "ThreePlusThree",
    "Blrm",
    "BlrmComb",
    "RollingSix",
    "TiteBoin",
    "TiteCrm",
    "Tpi",
    "UBoin",
    "boin_boundaries",
    "calibrate_skeleton",
    "design_from_dict",
    "max_skeleton_halfwidth",
    "typical_orderings",
]
