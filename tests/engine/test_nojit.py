"""The kernels as plain Python (NUMBA_DISABLE_JIT=1) in CI: the kernel-vs-oracle checks of BOIN, 3+3,
BOIN12, U-BOIN, the arm loop and the platform loop run again with numba switched off, so the kernels'
source lines execute under the interpreter (where an integer overflow raises instead of wrapping) and
can be line-covered (``nox -s nojit`` runs the wider set with coverage). The CRM cases are left to
``nox -s nojit``: as plain Python they take minutes."""

import os
import subprocess
import sys

import pytest

from ..conftest import ROOT

CHECKS = [
    "tests/engine/test_kernel_vs_oracle.py::test_boin_matches_oracle",
    "tests/engine/test_kernel_vs_oracle.py::test_boin_with_modifiers_matches_oracle",
    "tests/engine/test_kernel_vs_oracle.py::test_three_plus_three_matches_oracle",
    "tests/engine/test_kernel_vs_oracle.py::test_three_plus_three_with_modifiers_matches_oracle",
    "tests/arm/test_arm_engine.py::test_kernel_equals_oracle",
    "tests/platforms/test_platform.py::test_kernel_equals_naive_oracle[False-random]",
    "tests/platforms/test_platform.py::test_kernel_equals_naive_oracle[True-least_enrolled]",
    "tests/platforms/test_platform.py::test_pending_arms_equal_naive_oracle[priority]",
    # BOIN12 (responses in the state): both rule sets, the scenario with eliminations and stops
    "tests/engine/test_boin12.py::test_boin12_matches_oracle[mid-kw0]",
    "tests/engine/test_boin12.py::test_boin12_matches_oracle[toxic-kw1]",
    # U-BOIN (both stages, the randomisation on the design's uniforms)
    "tests/engine/test_uboin.py::test_uboin_matches_oracle[mid-kw0]",
    "tests/engine/test_uboin.py::test_uboin_matches_oracle[toxic-kw1]",
    # the certified CRM decision: its bound against the exact path on walks of states (a coarse grid)
    "tests/engine/test_crm_certify.py::test_mean_lies_within_its_bound[options4]",
    "tests/engine/test_crm_certify.py::test_a_buffer_used_by_another_design_is_refreshed",
    "tests/engine/test_crm_certify.py::test_designs_it_does_not_serve_get_no_certificate",
]


@pytest.mark.slow
def test_kernels_without_jit_equal_their_oracles():
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-W",
        "ignore::RuntimeWarning",
        *CHECKS,
    ]
    run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "skipped" not in run.stdout.splitlines()[-1], run.stdout[-400:]
