import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))

settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "thorough", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="session")
def six_dose_spec():
    from dosefind import load_spec

    return load_spec(SCENARIOS / "target30-6dose.toml")


def pytest_configure(config):
    """Before a run on several workers (pytest-xdist), compile the kernels once, in as many processes as
    workers, each its part (``dosefind.warmup``): otherwise every worker, and every command-line process
    the tests start before the cache is written, compiles the same kernels on an empty cache. Off with
    DOSEFIND_NO_WARMUP=1 or NUMBA_DISABLE_JIT=1; a failure is reported and the tests compile as they go."""
    import subprocess
    import time

    workers = getattr(config.option, "numprocesses", None)
    if hasattr(config, "workerinput") or not workers:
        return
    if os.environ.get("DOSEFIND_NO_WARMUP") == "1" or os.environ.get("NUMBA_DISABLE_JIT") == "1":
        return
    parts = max(1, min(int(workers) if str(workers).isdigit() else os.cpu_count() or 1, 4))
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "dosefind.warmup", f"--part={i}", f"--parts={parts}", f"--root={ROOT}"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(parts)
    ]
    failed = [out for p in procs for out, _ in [p.communicate()] if p.returncode != 0]
    took = time.perf_counter() - start
    sys.__stderr__.write(f"dosefind.warmup: kernels ready in {took:.0f} s on {parts} processes\n")
    for out in failed:
        sys.__stderr__.write(f"dosefind.warmup failed (the tests compile as they go):\n{out}\n")
