"""``python -m dosefind.cli``: the same as the ``dosefind`` command."""

from . import main

main()
