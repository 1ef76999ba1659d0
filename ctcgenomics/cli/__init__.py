"""Command-line interface ``ctcg``.

Each subcommand lives in its own module ``ctcgenomics/cli/cmd_<name>.py`` that
defines ``register(subparsers)``; the parser's ``func`` attribute is called with the
parsed arguments and returns an exit code. Modules are discovered at start-up, so
adding a step never touches this file. ``ctcg <name> ...`` imports only
``cmd_<name>`` when that module registers ``<name>`` (the start-up of a per-cell job);
``ctcg --help`` and commands registered under another name import every module. The
CLI only parses, reads, calls the library and writes; ``sys.exit`` is used only here.
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


def _command_modules() -> list[str]:
    """Names of the ``cmd_*`` modules of this package (found without importing them)."""
    package = sys.modules[__name__]
    return sorted(
        m.name for m in pkgutil.iter_modules(package.__path__) if m.name.startswith("cmd_")
    )


def _requested_command(argv: Sequence[str]) -> str | None:
    """Return the subcommand named on the command line: the first word not an option."""
    for word in argv:
        if word == "--":
            return None
        if not word.startswith("-"):
            return word
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """Build the ``ctcg`` argument parser.

    Parameters
    ----------
    argv
        The command line (without the program name). When its subcommand ``<name>`` is
        registered by ``cmd_<name>``, only that module is imported; otherwise (``None``,
        ``--help``, a command registered under another name) every subcommand is.
    """
    parser = argparse.ArgumentParser(
        prog="ctcg",
        description="ctcgenomics: single-cell genomics of circulating tumour cells (research use).",
    )
    parser.add_argument("--version", action="version", version=f"ctcgenomics {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", metavar="<command>")
    modules = _command_modules()
    wanted = _requested_command(argv) if argv is not None else None
    if wanted is not None and f"cmd_{wanted}" in modules:
        importlib.import_module(f"{__name__}.cmd_{wanted}").register(subparsers)
        if wanted in subparsers.choices:
            return parser
        return build_parser(None)  # it registers other names only: the full parser
    for name in modules:
        importlib.import_module(f"{__name__}.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``ctcg`` console script."""
    # The command line draws figures into files only; the library never picks a backend
    # itself (that would change the backend of a notebook importing it).
    os.environ.setdefault("MPLBACKEND", "Agg")
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
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
