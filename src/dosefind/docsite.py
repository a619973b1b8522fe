"""Pages of the documentation site that are generated from the code, so they cannot drift from it
(issue 18 item 3): the CLI reference (one page per command, read from the typer app), one page per
registered design (its rules from the spec module, its fields and defaults from the frozen spec, its
decision table and conventions), the conformance results (the quick checks run at build time, the full
ones listed), and the home page (README.md with its links made site-relative).

``mkdocs_hooks.py`` at the repository root hands these pages to MkDocs; the functions return markdown and
need no MkDocs, so tests call them directly. Imported only by that hook and the tests.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
from pathlib import Path

#: the conventions note of a design kind, where it has one (docs/notes/)
NOTES = {
    "blrm": "blrm-conventions.md",
    "efftox": "efftox-conventions.md",
    "tite_crm": "tite-crm-dfcrm-conventions.md",
    "tite_boin": "tite-boin-conventions.md",
    "rolling_six": "rolling-six-rules.md",
    "tpi": "interval-designs-conventions.md",
    "mtpi": "interval-designs-conventions.md",
    "mtpi2": "interval-designs-conventions.md",
    "keyboard": "interval-designs-conventions.md",
    "i3plus3": "interval-designs-conventions.md",
    "table": "interval-designs-conventions.md",
}


# ---- CLI reference -----------------------------------------------------------------------------------
def _click_root():
    import typer

    from .cli import app

    return typer.main.get_command(app)


def top_commands() -> list[str]:
    """The top-level commands and groups, in the CLI's order."""
    return list(_click_root().commands)


def design_kinds() -> list[str]:
    """Every registered design kind, in registration order."""
    from .designs.registry import DESIGNS

    return list(DESIGNS)


def cli_commands() -> list[str]:
    """Every command path of the CLI, e.g. ``["simulate", ..., "log show", ...]``."""
    root = _click_root()
    out = []
    for name, cmd in root.commands.items():
        out.append(name)
        for sub in getattr(cmd, "commands", {}):
            out.append(f"{name} {sub}")
    return out


def _escape_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _param_rows(cmd) -> list[str]:
    rows = []
    for p in cmd.params:
        if getattr(p, "hidden", False):
            continue
        if p.param_type_name == "argument":
            name = f"`{(p.name or '').upper()}`"
            kind = "argument"
        else:
            name = ", ".join(f"`{o}`" for o in [*p.opts, *p.secondary_opts])
            kind = "flag" if getattr(p, "is_flag", False) else "option"
        default = getattr(p.default, "value", p.default)  # an Enum default shows its value
        if callable(default) or default is None or (getattr(p, "is_flag", False) and default is False):
            shown = ""
        else:
            shown = f"`{default}`"
        help_text = getattr(p, "help", None) or ""
        if getattr(p, "required", False):
            help_text = (help_text + " (required)").strip()
        rows.append(f"| {name} | {kind} | {shown} | {_escape_cell(help_text)} |")
    return rows


def _command_section(path: str, cmd, level: int) -> str:
    head = "#" * level
    text = inspect.cleandoc(cmd.help or "")
    usage = " ".join(cmd.collect_usage_pieces(_context(cmd)))
    lines = [
        f"{head} `dosefind {path}`",
        "",
        text,
        "",
        "```text",
        f"dosefind {path} {usage}".rstrip(),
        "```",
        "",
    ]
    rows = _param_rows(cmd)
    if rows:
        lines += ["| name | kind | default | meaning |", "|---|---|---|---|", *rows, ""]
    return "\n".join(lines)


def _context(cmd):
    import click

    return click.Context(cmd, info_name=cmd.name)


def cli_pages() -> dict[str, str]:
    """``{"cli/<command>.md": markdown}``: one page per top-level command (a group's page holds its
    subcommands), and ``cli/index.md`` listing them."""
    root = _click_root()
    pages = {}
    index = [
        "# Command-line reference",
        "",
        "Generated from the CLI itself when the site is built; `dosefind COMMAND --help` prints the same.",
        "",
        "| command | what it does |",
        "|---|---|",
    ]
    for name, cmd in root.commands.items():
        first = inspect.cleandoc(cmd.help or "").split("\n\n")[0].replace("\n", " ")
        index.append(f"| [`dosefind {name}`]({name}.md) | {_escape_cell(first)} |")
        subs = getattr(cmd, "commands", None)
        if subs:
            body = [f"# `dosefind {name}`", "", inspect.cleandoc(cmd.help or ""), ""]
            for sub_name, sub in subs.items():
                body.append(_command_section(f"{name} {sub_name}", sub, 2))
            pages[f"cli/{name}.md"] = "\n".join(body)
        else:
            pages[f"cli/{name}.md"] = _command_section(name, cmd, 1)
    pages["cli/index.md"] = "\n".join(index) + "\n"
    return pages


# ---- designs -------------------------------------------------------------------------------------------
def _type_text(tp) -> str:
    return tp if isinstance(tp, str) else getattr(tp, "__name__", str(tp))


def _default_text(f: dataclasses.Field) -> str:
    if f.default is not dataclasses.MISSING:
        value = f.default
    elif f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        value = f.default_factory()  # type: ignore[misc]
    else:
        return "required"
    if value is None:
        return "none"
    if isinstance(value, tuple) and not value:
        return "none"
    if isinstance(value, str) and not value:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"`{value!r}`" if not isinstance(value, (int, float)) else f"`{value}`"


def design_page(kind: str) -> str:
    """The page of one registered design: its rules (the spec module's docstring), its fields with
    types and defaults, and where to read its conventions."""
    from .designs.registry import DESIGNS

    cls = DESIGNS[kind]
    module = importlib.import_module(cls.__module__)
    rules = inspect.cleandoc(module.__doc__ or "")
    rules = re.sub(r":(?:class|func|meth|mod|attr):`~?([^`]+)`", r"`\1`", rules).replace("``", "`")
    title = rules.split("\n")[0].rstrip(".") if rules else kind
    lines = [
        f"# {title}",
        "",
        f'`kind = "{kind}"` in a design file (`[design]` or `[[designs]]`); Python: '
        f"`{cls.__module__.rsplit('.', 1)[0]}.{cls.__name__}`.",
        "",
        "## Rules",
        "",
        "\n".join(rules.split("\n")[1:]).strip() or "See the fields below.",
        "",
        "## Fields and defaults",
        "",
        "| field | type | default |",
        "|---|---|---|",
    ]
    hidden = getattr(cls, "later_fields", {})
    for f in dataclasses.fields(cls):
        if f.name == "n_doses" or not f.init:
            continue
        note = " (kept out of saved specs at its default)" if f.name in hidden else ""
        lines.append(f"| `{f.name}` | `{_escape_cell(_type_text(f.type))}` | {_default_text(f)}{note} |")
    lines += [
        "",
        "## In practice",
        "",
        "- `dosefind table --design FILE` prints its decision table where it has one; `dosefind recommend`,"
        " `paths` and `report` run the same decision code as `dosefind simulate`.",
        "- Every design passes the shared contract test (`tests/properties/test_design_contract.py`).",
    ]
    if kind in NOTES:
        lines.append(
            f"- Conventions and how they compare with the reference packages: "
            f"[{NOTES[kind]}](../notes/{NOTES[kind]})."
        )
    return "\n".join(lines) + "\n"


def design_pages() -> dict[str, str]:
    """``{"designs/<kind>.md": markdown}`` for every registered design, and ``designs/index.md``."""
    from .designs.registry import DESIGNS

    pages = {f"designs/{kind}.md": design_page(kind) for kind in DESIGNS}
    index = [
        "# Designs",
        "",
        "One page per design kind the library registers.",
        "",
        "| kind | design |",
        "|---|---|",
    ]
    for kind in DESIGNS:
        title = pages[f"designs/{kind}.md"].split("\n", 1)[0].lstrip("# ")
        index.append(f"| [`{kind}`]({kind}.md) | {_escape_cell(title)} |")
    pages["designs/index.md"] = "\n".join(index) + "\n"
    return pages


# ---- conformance ---------------------------------------------------------------------------------------
def conformance_page(run_quick: bool = True) -> str:
    """The conformance checks: every check with what it compares; the quick ones run now, one row per
    compared quantity (deviation, tolerance and its basis, pass/fail)."""
    from .conformance.checks import CHECKS, run_checks

    lines = [
        "# Conformance",
        "",
        "dosefind checks itself against the reference packages (recorded outputs shipped with the package),",
        "published tables and closed forms. `dosefind verify --quick` runs the deterministic checks in",
        "seconds, `dosefind verify` all of them (the rest compare simulated operating characteristics",
        "within Monte Carlo error). The test suite calls the same checks.",
        "",
        "| check | mode | compares |",
        "|---|---|---|",
    ]
    for c in CHECKS.values():
        lines.append(f"| `{c.name}` | {'quick' if c.quick else 'full'} | {_escape_cell(c.about)} |")
    if run_quick:
        from . import __version__

        rows = run_checks(quick=True)
        lines += [
            "",
            f"## Quick checks, run when this site was built (dosefind {__version__})",
            "",
            "| check | design | reference | quantity | deviation | tolerance | basis | result |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            cells = [
                r.check,
                r.design,
                r.reference,
                r.quantity,
                f"{r.deviation:.3g}",
                f"{r.tolerance:.3g}",
                r.basis,
                "pass" if r.passed else "FAIL",
            ]
            lines.append("| " + " | ".join(_escape_cell(str(c)) for c in cells) + " |")
    return "\n".join(lines) + "\n"


# ---- home ----------------------------------------------------------------------------------------------
def home_page(readme: Path) -> str:
    """README.md with its links into docs/ made relative to the site (``docs/x.md`` -> ``x.md``) and links
    to other repository files pointed at their path as text."""
    text = readme.read_text(encoding="utf-8")
    text = re.sub(r"\]\(docs/", "](", text)

    def repo_link(m):
        label, target = m.group(1), m.group(2)
        if target.startswith(("http://", "https://", "#")) or target.endswith(".md") and "/" not in target:
            return m.group(0)
        return f"{label} (`{target}` in the repository)"

    return re.sub(r"\[([^\]]+)\]\(([^)]+)\)", repo_link, text)


ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|obj):<code>(~?)([^<]+)</code>")


def plain_roles(html_text: str) -> str:
    """Sphinx roles left in rendered docstrings (``:class:`~dosefind.oc.sums.TrialSums```) as code:
    ``TrialSums`` (with ``~``) or the full path."""
    return ROLE.sub(
        lambda m: f"<code>{m.group(2).rsplit('.', 1)[-1] if m.group(1) else m.group(2)}</code>", html_text
    )
