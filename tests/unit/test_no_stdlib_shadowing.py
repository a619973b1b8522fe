"""No folder or module of the repository shadows a standard-library module: spawned worker processes
inherit the test run's sys.path, and a `tests/platform/` package once made `import platform` (hence uuid,
hence pytest) fail in every spawned process: process pools, Dask nannies and multiprocessing tests."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_test_or_source_folder_is_named_like_a_stdlib_module():
    stdlib = set(sys.stdlib_module_names)
    clashes = []
    for base in (ROOT / "tests", ROOT / "benchmarks", ROOT):
        for p in base.iterdir():
            name = p.stem if p.suffix == ".py" else p.name
            if (p.is_dir() or p.suffix == ".py") and name in stdlib:
                clashes.append(str(p.relative_to(ROOT)))
    assert clashes == [], f"rename these, they shadow standard-library modules: {clashes}"
