"""The simulation engine: numba kernels over arrays, and the Python API that drives them."""

from .result import SimResult
from .simulate import PosteriorCache, simulate, simulate_one

__all__ = ["PosteriorCache", "SimResult", "simulate", "simulate_one"]
