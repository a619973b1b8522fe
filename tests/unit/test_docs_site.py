"""The documentation site (issue 18 item 3): every CLI command and every registered design has a page
generated from the code, and the site builds with warnings as errors."""

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dosefind import docsite
from dosefind.conformance.checks import CHECKS
from dosefind.designs.registry import DESIGNS

ROOT = Path(__file__).resolve().parents[2]


def test_every_cli_command_has_a_page_with_its_options():
    pages = docsite.cli_pages()
    for path in docsite.cli_commands():
        top = path.split()[0]
        page = pages[f"cli/{top}.md"]
        assert f"`dosefind {path}`" in page, path
    simulate = pages["cli/simulate.md"]
    for option in ("`--trials`", "`--seed`", "`--exact`", "`--format`"):
        assert option in simulate
    assert "Format." not in simulate  # enum defaults show their value
    index = pages["cli/index.md"]
    assert all(f"({top}.md)" in index for top in docsite.top_commands())


def test_every_registered_design_has_a_page_with_every_field():
    pages = docsite.design_pages()
    for kind, cls in DESIGNS.items():
        page = pages[f"designs/{kind}.md"]
        assert f'`kind = "{kind}"`' in page
        for f in dataclasses.fields(cls):
            if f.init and f.name != "n_doses":
                assert f"| `{f.name}` |" in page, (kind, f.name)
        assert f"({kind}.md)" in pages["designs/index.md"]
    boin = pages["designs/boin.md"]
    assert "| `cutoff_eli` | `float` | `0.95` |" in boin
    assert "| `target` | `float` | required |" in boin


def test_the_conformance_page_lists_every_check():
    page = docsite.conformance_page(run_quick=False)
    assert all(f"`{name}`" in page for name in CHECKS)


def test_home_page_links_stay_inside_the_site():
    page = docsite.home_page(ROOT / "README.md")
    assert "](docs/" not in page
    assert "(examples/meeting/README.md)" not in page


def test_sphinx_roles_become_code():
    html = "see :class:<code>~dosefind.oc.sums.TrialSums</code> and :func:<code>dosefind.x.f</code>"
    assert docsite.plain_roles(html) == "see <code>TrialSums</code> and <code>dosefind.x.f</code>"


@pytest.mark.slow
def test_the_site_builds_with_warnings_as_errors(tmp_path):
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    r = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "WARNING" not in r.stderr
    site = tmp_path / "site"
    for kind in DESIGNS:
        assert (site / "designs" / kind / "index.html").exists()
    for top in docsite.top_commands():
        assert (site / "cli" / top / "index.html").exists()
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert "simulate_spec" in api and ":class:<code>" not in api
