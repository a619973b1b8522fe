"""The one place that sets numba JIT flags.

Every kernel in dosefind is a module-level function decorated with :func:`kernel`. Caching is on so a
warm start costs no compilation; ``fastmath`` is off so results are bit-reproducible; setting the
environment variable ``NUMBA_DISABLE_JIT=1`` runs every kernel as plain Python (used for coverage).
"""

from __future__ import annotations

from numba import njit


def kernel(fn=None, *, parallel: bool = False):
    """Decorate a numba kernel with the package's JIT flags."""

    def wrap(f):
        return njit(cache=True, nogil=True, fastmath=False, parallel=parallel, error_model="numpy")(f)

    return wrap(fn) if fn is not None else wrap
