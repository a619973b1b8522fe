"""The one place that sets numba JIT flags.

Every kernel in dosefind is a module-level function decorated with :func:`kernel`. Caching is on so a
warm start costs no compilation; ``fastmath`` is off so results are bit-reproducible; setting the
environment variable ``NUMBA_DISABLE_JIT=1`` runs every kernel as plain Python (used for coverage).

Cache location. numba invalidates a cached kernel only when the kernel's own source file changes, not
when a kernel it calls (in another file) changes: after an edit of ``decisions.py``, the cached trial
loop would silently keep the old decisions. So the cache lives in a directory named after a hash of
every source file the kernels are compiled from (``engine/*.py``, ``designs/layout.py``,
``constants.py``): any change to them starts a fresh cache. The base directory is ``NUMBA_CACHE_DIR``
if set, else ``$XDG_CACHE_HOME/dosefind`` (default ``~/.cache/dosefind``); stale directories can be
deleted at any time.

One compilation per argument types, not per constant. A kernel called from another kernel with a
constant argument (``decide(..., 0, 0, 0, False, x)``) would be compiled by numba for the constant's
literal type (``Literal[int](0)``), apart from the version Python callers and kernels passing a
variable get, and each literal type travels down to the callees: the decision tree was compiled three
times, 83 of 298 compiled versions were such copies. :class:`KernelDispatcher` types a call from a kernel
by its arguments' plain types, so every kernel compiles once per plain signature; a constant argument is
converted to its plain type as any call converts it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba
from numba import njit, types
from numba.core.registry import CPUDispatcher

_PACKAGE = Path(__file__).resolve().parent.parent


def kernel_sources_hash() -> str:
    """SHA-256 (16 hex digits) of the source files numba compiles the kernels from."""
    files = sorted((_PACKAGE / "engine").glob("*.py")) + [
        _PACKAGE / "designs" / "layout.py",
        _PACKAGE / "constants.py",
    ]
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def _cache_dir() -> str:
    base = os.environ.get("NUMBA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "dosefind"
    )
    return os.path.join(base, f"numba-{kernel_sources_hash()}")


numba.config.CACHE_DIR = _cache_dir()


def kernels_cached() -> bool:
    """Whether this version's kernels were compiled before (the cache directory holds compiled kernels):
    if not, the first simulation compiles them, which takes about a minute."""
    path = Path(numba.config.CACHE_DIR)
    return path.is_dir() and any(path.rglob("*.nbi"))


class KernelDispatcher(CPUDispatcher):
    """numba's CPU dispatcher, typing calls from other kernels by their arguments' plain (non-literal)
    types, so a constant argument does not compile a copy of the kernel and of everything it calls."""

    def get_call_template(self, args, kws):
        args = tuple(types.unliteral(a) for a in args)
        kws = {k: types.unliteral(v) for k, v in kws.items()}
        return super().get_call_template(args, kws)


def kernel(fn=None):
    """Decorate a numba kernel with the package's JIT flags.

    No kernel is ``parallel``: the chunk loops run one chunk per Python thread
    (:func:`dosefind.engine.simulate.run_chunked`), the kernels releasing the GIL (``nogil``). numba's
    parallel compilation of a chunk loop cost about 40 s per loop on an empty cache (four loops), for
    the same speed."""

    def wrap(f):
        disp = njit(cache=True, nogil=True, fastmath=False, error_model="numpy")(f)
        if isinstance(disp, CPUDispatcher):  # not under NUMBA_DISABLE_JIT=1 (a plain function)
            disp.__class__ = KernelDispatcher
        return disp

    return wrap(fn) if fn is not None else wrap
