"""Task runner: `nox -s tests`, `nox -s lint`, `nox -s nojit`, `nox -s benchmarks`."""

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session):
    """The whole suite, slow and PyMC tests included (what CI runs: two processes, each test file on one)."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", "-n", "2", "--dist", "loadfile", *session.posargs)


@nox.session
def fast(session):
    """Everything but the slow statistical checks."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", "-m", "not slow", *session.posargs)


@nox.session
def lint(session):
    session.install("ruff")
    session.run("ruff", "check", "src", "tests", "benchmarks", "noxfile.py")


@nox.session
def nojit(session):
    """Kernels as plain Python (NUMBA_DISABLE_JIT=1), for coverage of the kernel source lines.

    Pure-Python uint64 arithmetic wraps with a RuntimeWarning where numba wraps silently, hence the
    warning filter; the tests chosen are those with small simulations.
    """
    session.install("-e", ".[test]", "coverage")
    session.env["NUMBA_DISABLE_JIT"] = "1"
    session.run(
        "python",
        "-m",
        "coverage",
        "run",
        "--source=dosefind",
        "-m",
        "pytest",
        "-W",
        "ignore::RuntimeWarning",
        "-m",
        "not slow",
        "tests/unit",
        "tests/engine/test_kernel_vs_oracle.py",
        "tests/properties",
        *session.posargs,
    )
    session.run("python", "-m", "coverage", "report", "-m")


@nox.session
def benchmarks(session):
    session.install("-e", ".")
    session.run("python", "benchmarks/bench_engine.py", *session.posargs)
