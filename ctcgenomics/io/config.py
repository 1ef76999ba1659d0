"""Workflow configuration: strict validation against its JSON schema, defaults filled in.

A misspelled key (``stagez:``, ``qc.wgs.min_read:``) used to be ignored silently, so the
run went on with the default the user meant to change. Every object of the schema is
closed (``additionalProperties: false``), and an unknown key is an error that names the
key, where it is and the closest valid key.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator, MutableMapping
from pathlib import Path

import jsonschema
import yaml


class ConfigError(ValueError):
    """The workflow configuration does not match its schema."""


def load_config_schema(path: str | os.PathLike[str]) -> dict:
    """Read a YAML/JSON schema file."""
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def _with_defaults(validator_class):
    """Extend a validator class to fill in ``default`` values of missing properties.

    The jsonschema documentation's recipe: defaults are set before the properties are
    validated, so nested objects with ``default: {}`` get their own defaults too.
    """
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema) -> Iterator:
        if isinstance(instance, MutableMapping):
            for name, sub in properties.items():
                if "default" in sub and name not in instance:
                    default = sub["default"]
                    instance[name] = dict(default) if isinstance(default, dict) else default
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def _where(path: list) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _message(error: jsonschema.ValidationError, source: str) -> str:
    where = _where(list(error.absolute_path))
    if error.validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(known))
        parts = []
        for key in extra:
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            place = "at the top level" if where == "(top level)" else f"in {where}"
            parts.append(f"unknown key '{key}' {place}{hint}")
        return (
            f"{source}: " + "; ".join(parts) + f". Valid keys there: {', '.join(known)}"
            " (see workflow/schemas/config.schema.yaml)."
        )
    description = error.schema.get("description", "") if isinstance(error.schema, dict) else ""
    hint = f" ({' '.join(str(description).split())})" if description else ""
    return f"{source}: config key {where}: {error.message}{hint}"


def validate_config(
    config: MutableMapping, schema: dict | str | os.PathLike[str], *, source: str = "config"
) -> MutableMapping:
    """Validate ``config`` in place against ``schema`` and fill in its defaults.

    Parameters
    ----------
    config
        The configuration mapping (Snakemake's ``config``); changed in place.
    schema
        The schema, or the path of its YAML file.
    source
        Where the configuration came from, for messages (e.g. ``config/config.yaml``).

    Returns
    -------
    Mapping
        ``config``, with defaults filled in.

    Raises
    ------
    ConfigError
        Naming every problem: an unknown key with the closest valid one, or a value that
        breaks a rule of the schema with the key's path and its description.
    """
    if not isinstance(schema, dict):
        schema = load_config_schema(schema)
    validator = _with_defaults(jsonschema.Draft202012Validator)(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        raise ConfigError("\n".join(_message(e, source) for e in errors))
    return config


def open_objects(schema: dict, path: str = "") -> list[str]:
    """Paths of the schema's objects that do not say whether other keys are allowed.

    Used by the tests to keep every object of the configuration schema closed.
    """
    found = []
    if schema.get("type") == "object" and "properties" in schema:
        if "additionalProperties" not in schema:
            found.append(path or "(top level)")
    for name, sub in schema.get("properties", {}).items():
        if isinstance(sub, dict):
            found += open_objects(sub, f"{path}.{name}" if path else name)
    return found
