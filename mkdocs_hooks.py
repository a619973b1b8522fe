"""MkDocs hook: adds the pages generated from the code (dosefind.docsite) to the site and to the nav."""

from pathlib import Path

from mkdocs.structure.files import File

from dosefind import docsite

ROOT = Path(__file__).resolve().parent


def _pages():
    pages = {"index.md": docsite.home_page(ROOT / "README.md"), "conformance.md": docsite.conformance_page()}
    pages.update(docsite.cli_pages())
    pages.update(docsite.design_pages())
    return pages


def on_config(config):
    generated = {
        "Designs": ["designs/index.md", *(f"designs/{k}.md" for k in docsite.design_kinds())],
        "Command line": ["cli/index.md", *(f"cli/{c}.md" for c in docsite.top_commands())],
    }
    for entry in config["nav"]:
        for title, pages in generated.items():
            if isinstance(entry, dict) and title in entry:
                entry[title] = pages
    return config


def on_files(files, config):
    for uri, text in _pages().items():
        files.append(File.generated(config, uri, content=text))
    return files


def on_page_content(html, page, config, files):
    return docsite.plain_roles(html)
