"""Stage parameters built from a mapping: one way for every stage (docs/design.md, Parameters).

Each stage's frozen parameter class holds the defaults; the workflow passes the config's
stage section as JSON and the class is built from it here. An unknown key is an error
that names the key, where it is and the closest valid key, as the config validation does.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


class ParamsError(ValueError):
    """A parameter mapping names an unknown key or is not a mapping."""


def check_keys(values: Mapping[str, Any], known: typing.Iterable[str], section: str) -> None:
    """Raise :class:`ParamsError` for keys of ``values`` that are not in ``known``.

    Parameters
    ----------
    values
        The mapping given (e.g. the config's ``snv:`` section).
    known
        The valid keys.
    section
        Where the keys are, for the message (e.g. ``"snv.filters"``).
    """
    if not isinstance(values, Mapping):
        raise ParamsError(
            f"{section}: parameters must be a mapping (key: value), got {type(values).__name__}"
        )
    known = sorted(known)
    unknown = sorted(set(values) - set(known))
    if not unknown:
        return
    parts = []
    for key in unknown:
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        parts.append(f"unknown key '{key}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    raise ParamsError(f"{section}: " + "; ".join(parts) + f". Valid keys there: {', '.join(known)}")


def build(cls: type[T], values: Mapping[str, Any] | None, section: str) -> T:
    """Instance of the dataclass ``cls`` from ``values``, nested dataclasses from sub-mappings.

    Keys missing from ``values`` keep the class's default; a list becomes a tuple where the
    field is a tuple.
    """
    values = {} if values is None else values
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    check_keys(values, fields, section)
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for name, value in values.items():
        kind = hints.get(name)
        if dataclasses.is_dataclass(kind) and isinstance(value, Mapping):
            value = build(kind, value, f"{section}.{name}")  # type: ignore[arg-type]
        elif isinstance(value, list) and typing.get_origin(kind) is tuple:
            value = tuple(value)
        kwargs[name] = value
    return cls(**kwargs)


def as_mapping(params: Any) -> dict[str, Any]:
    """Plain nested dict of a parameters dataclass (tuples as lists), e.g. for JSON."""

    def plain(value: Any) -> Any:
        if isinstance(value, tuple):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    return {k: plain(v) for k, v in dataclasses.asdict(params).items()}


def read_params(text: str | None = None, path: str | Path | None = None) -> dict[str, Any]:
    """Read the mapping of ``--params-json TEXT`` or ``--params FILE`` (JSON or YAML).

    Raises
    ------
    ParamsError
        Naming the option or file when the text is not a JSON/YAML mapping.
    """
    if path is not None:
        import yaml

        try:
            values = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as err:
            raise ParamsError(f"--params {path}: cannot read it as JSON/YAML ({err})") from None
        where = f"--params {path}"
    else:
        try:
            values = json.loads(text or "{}")
        except json.JSONDecodeError as err:
            raise ParamsError(f"--params-json is not valid JSON ({err})") from None
        where = "--params-json"
    values = {} if values is None else values
    if not isinstance(values, dict):
        raise ParamsError(f"{where}: expected a mapping (key: value), got {type(values).__name__}")
    return values
