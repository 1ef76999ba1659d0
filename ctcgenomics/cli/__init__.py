"""Command-line interface ``ctcg``.

Each subcommand lives in its own module ``ctcgenomics/cli/cmd_<name>.py`` that
defines ``register(subparsers)``; the parser's ``func`` attribute is called with the
parsed arguments and returns an exit code. Modules are discovered at start-up, so
adding a step never touches this file. The CLI only parses, reads, calls the
library and writes; ``sys.exit`` is used only here.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence

from ctcgenomics import __version__

log = logging.getLogger("ctcgenomics")


class CLIError(Exception):
    """An error the user can fix; printed without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    """Build the ``ctcg`` argument parser with every discovered subcommand."""
    parser = argparse.ArgumentParser(
        prog="ctcg",
        description="ctcgenomics: single-cell genomics of circulating tumour cells (research use).",
    )
    parser.add_argument("--version", action="version", version=f"ctcgenomics {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", metavar="<command>")
    package = sys.modules[__name__]
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            module = importlib.import_module(f"{__name__}.{info.name}")
            module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``ctcg`` console script."""
    # The command line draws figures into files only; the library never picks a backend
    # itself (that would change the backend of a notebook importing it).
    os.environ.setdefault("MPLBACKEND", "Agg")
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s [%(name)s] %(message)s",
        datefmt="%H:%M:%S",
    )
    if not getattr(args, "func", None):
        parser.print_help()
        sys.exit(2)
    try:
        code = args.func(args)
    except CLIError as err:
        log.error("%s", err)
        sys.exit(1)
    except (ValueError, FileNotFoundError, OSError) as err:
        # Library errors carry the file, record and fix in their message.
        log.error("%s: %s", type(err).__name__, err)
        if args.verbose:
            raise
        sys.exit(1)
    sys.exit(code or 0)
