"""Validation of sample, cell and patient identifiers.

IDs end up in file paths and shell commands (Snakemake wildcards), so they are
checked against a conservative pattern before they reach either. The first character
must be a letter or digit: an ID such as ``-rf`` would read as an option on a command
line, and ``.x`` as a hidden file.
"""

from __future__ import annotations

import re

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
_ID_RE = re.compile(ID_PATTERN)


class InvalidIDError(ValueError):
    """An identifier contains characters that are unsafe in paths or shells."""


def validate_id(value: object, *, what: str = "ID", where: str = "") -> str:
    """Return ``value`` as a string if it is a safe identifier, else raise.

    Parameters
    ----------
    value
        The identifier to check.
    what
        What the identifier names (``"cell"``, ``"patient"``), for the message.
    where
        Where it was read (file and line), for the message.

    Returns
    -------
    str
        The validated identifier.

    Raises
    ------
    InvalidIDError
        If the identifier is empty, does not start with a letter or digit, or contains
        characters outside ``[A-Za-z0-9_.-]``.
    """
    text = "" if value is None else str(value)
    if not _ID_RE.match(text):
        loc = f" ({where})" if where else ""
        raise InvalidIDError(
            f"invalid {what} {text!r}{loc}: IDs start with a letter or digit and contain "
            f"only letters, digits, '_', '.' and '-' (pattern {ID_PATTERN}); rename it, "
            f"e.g. {_suggest(text)!r}"
        )
    return text


def _suggest(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).lstrip("_.-").rstrip("_")
    return cleaned or "cell_1"
