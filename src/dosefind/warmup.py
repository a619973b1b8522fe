"""Compile the simulation kernels ahead of use, in parts that separate processes can share.

numba compiles a kernel the first time it is called with a new signature and caches the machine code on
disk (``engine/jit.py``). Two processes that start on an empty cache at the same moment both compile the
same kernels, so a test run on two workers (or a Dask cluster's workers) pays the compilation twice. This
module runs, through the command line's own code, the smallest run of every bundled scenario, arm,
platform and basket, which compiles every kernel those commands reach with the signatures they use. The
runs are split into ``parts`` disjoint lists, so ``parts`` processes compile side by side, each its own
kernels, and write them to the shared cache:

    python -m dosefind.warmup --part 0 --parts 2 & python -m dosefind.warmup --part 1 --parts 2

On a warm cache every run only loads its kernels (seconds). ``tests/conftest.py`` calls this before a
test run on several workers.
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
from pathlib import Path

#: the runs, each the arguments of one ``dosefind`` command on a bundled file; ordered so that parts taken
#: as every ``parts``-th run get similar work (the first runs compile the shared trial loop; on two parts
#: the arm and the platform kernels, the longest chain, land in different parts). Exact OCs and live use
#: call the decision kernels from Python, entry points of their own, left out: measured, adding an exact
#: run and a recommendation lengthened the warm-up by 120 s and saved less in the tests, which compile
#: them beside other work
RUNS: tuple[tuple[str, ...], ...] = (
    # the four that compile most (seconds on one core of a fresh cache: about 260, 310, 130, 20)
    ("simulate", "scenarios/target30-6dose.toml", "--trials", "2", "--quiet"),
    ("simulate", "scenarios/arm-combo.toml", "--trials", "2", "--quiet"),
    ("platform", "simulate", "examples/platforms/esmart-like.toml", "--trials", "2"),
    ("basket", "simulate", "examples/baskets/rare-seven.toml", "--trials", "2"),
    ("simulate", "scenarios/timed-6dose.toml", "--trials", "2", "--quiet"),
    ("simulate", "scenarios/arm-paediatric-timed.toml", "--trials", "2", "--quiet"),
    ("simulate", "scenarios/paediatric-timed.toml", "--trials", "2", "--quiet"),
    ("simulate", "scenarios/blrm-6dose.toml", "--trials", "2", "--quiet"),
    ("simulate", "scenarios/combo-3x3.toml", "--trials", "2", "--quiet"),
    ("simulate", "scenarios/efftox-5dose.toml", "--design", "examples/designs/efftox.toml", "--trials", "2"),
    ("simulate", "scenarios/interval-6dose.toml", "--trials", "2", "--quiet"),
    ("simulate", "scenarios/uboin-6dose.toml", "--trials", "2", "--quiet"),
    ("simulate", "scenarios/bf-boin.toml", "--trials", "2", "--quiet"),
    ("simulate", "scenarios/boin12-6dose.toml", "--trials", "2", "--quiet"),
    ("basket", "simulate", "examples/baskets/mem-five.toml", "--trials", "2"),
    ("basket", "simulate", "examples/baskets/enrichment-seven.toml", "--trials", "2"),
)


def runs_of_part(part: int, parts: int) -> list[tuple[str, ...]]:
    """Every ``parts``-th run, starting at ``part`` (0-based)."""
    if parts < 1 or not 0 <= part < parts:
        raise ValueError(f"part: {part} is not in 0..{parts - 1}; give --part between 0 and --parts - 1")
    return [run for i, run in enumerate(RUNS) if i % parts == part]


def warm(part: int = 0, parts: int = 1, root: Path | None = None) -> list[tuple[str, float]]:
    """Run this part's commands from ``root`` (the folder holding ``scenarios/`` and ``examples/``, by
    default the source checkout); return (command, seconds) for each. A run that fails raises: the
    command's own error, as the command line would print it."""
    from .cli import app

    where = Path(root) if root is not None else Path(__file__).resolve().parents[2]
    if not (where / "scenarios").is_dir():
        raise FileNotFoundError(f"{where}: no scenarios/ folder here; give root, the repository's root")
    timings = []
    for run in runs_of_part(part, parts):
        args = [str(where / a) if a.endswith(".toml") else a for a in run]
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
            try:
                app(args, standalone_mode=False)
            except SystemExit as e:  # typer's own exit on a refused run
                if e.code:
                    raise RuntimeError(f"dosefind {' '.join(run)}: {err.getvalue().strip()}") from None
        timings.append((" ".join(run), time.perf_counter() - start))
    return timings


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m dosefind.warmup", description=__doc__.splitlines()[0])
    parser.add_argument("--part", type=int, default=0, help="which part to run (0-based)")
    parser.add_argument("--parts", type=int, default=1, help="how many parts the runs are split into")
    parser.add_argument("--root", type=Path, default=None, help="the folder holding scenarios/")
    a = parser.parse_args(argv)
    try:
        for command, seconds in warm(a.part, a.parts, a.root):
            print(f"{seconds:7.1f} s  dosefind {command}")
    except (ValueError, FileNotFoundError, RuntimeError) as e:
        print(f"dosefind.warmup: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
