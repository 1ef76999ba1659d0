"""The one form every stage CLI takes its parameters in: ``--params-json`` or ``--params``."""

from __future__ import annotations

import argparse
from typing import Any

from ctcgenomics._params import ParamsError, read_params


def add_params_options(parser: argparse.ArgumentParser, section: str) -> None:
    """Add ``--params-json JSON`` / ``--params FILE`` (the config's ``section`` parameters)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--params-json",
        metavar="JSON",
        help=f"parameters in the layout of the config's {section}, as JSON; keys left out "
        "keep the library defaults (docs/design.md, Parameters)",
    )
    group.add_argument("--params", metavar="FILE", help="the same parameters as a JSON/YAML file")


def params_mapping(args: argparse.Namespace) -> dict[str, Any]:
    """Return the mapping of ``--params-json`` or ``--params`` (``{}`` without), or a CLIError."""
    from ctcgenomics.cli import CLIError

    try:
        return read_params(args.params_json, args.params)
    except ParamsError as err:
        raise CLIError(str(err)) from None


def params_from_args(args: argparse.Namespace, cls: Any, **extra: Any) -> Any:
    """``cls.from_mapping`` of the given parameters (``extra`` keys added), or a CLIError."""
    from ctcgenomics.cli import CLIError

    values = params_mapping(args)
    try:
        return cls.from_mapping({**values, **extra})
    except (ValueError, TypeError) as err:
        where = f"--params {args.params}" if args.params else "--params-json"
        raise CLIError(f"{where}: {err}") from None
