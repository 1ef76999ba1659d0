"""Input paths given on the command line or in a list file (one path per line).

Aggregation steps of a cohort take thousands of per-cell files. Linux limits one
command-line argument (the shell command Snakemake runs) to 128 KiB, so past a few
thousand cells the paths must come from a file instead: ``--<name>-from FILE``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ctcgenomics.cli import CLIError


def add_from_option(parser: argparse.ArgumentParser, name: str, what: str) -> None:
    """Add ``--{name}-from FILE``: a text file listing the ``what`` paths, one per line."""
    parser.add_argument(
        f"--{name}-from",
        metavar="FILE",
        help=f"text file with the {what}, one path per line (instead of or besides --{name})",
    )


def read_path_list(path: str | Path) -> list[str]:
    """Return the paths listed in ``path``, one per line (blank lines, ``#`` comments skipped)."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as err:
        raise CLIError(f"cannot read the list of input files {path}: {err.strerror}") from err
    return [line for line in (raw.strip() for raw in lines) if line and not line.startswith("#")]


def input_paths(
    given: list[str] | None, list_file: str | None, option: str, given_as: str | None = None
) -> list[str]:
    """Return the paths given to ``--{option}``, then those listed in ``--{option}-from``.

    Raises
    ------
    CLIError
        When neither gives a path.
    """
    paths = list(given or [])
    if list_file:
        listed = read_path_list(list_file)
        if not listed:
            raise CLIError(f"{list_file} (--{option}-from) lists no files; it needs one per line")
        paths += listed
    if not paths:
        given_as = given_as or f"--{option} PATH ..."
        raise CLIError(f"no input files: give {given_as} or --{option}-from FILE")
    return paths
