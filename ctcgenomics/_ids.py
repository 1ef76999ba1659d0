"""Validation of sample, cell and patient identifiers.

IDs end up in file paths and shell commands (Snakemake wildcards), so they are
checked against a conservative pattern before they reach either.
"""

from __future__ import annotations

import re

ID_PATTERN = r"^[A-Za-z0-9_.-]+$"
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
        If the identifier is empty, ``.``/``..`` or contains characters outside
        ``[A-Za-z0-9_.-]``.
    """
    text = "" if value is None else str(value)
    if not _ID_RE.match(text) or text in {".", ".."}:
        loc = f" ({where})" if where else ""
        raise InvalidIDError(
            f"invalid {what} {text!r}{loc}: IDs may contain only letters, digits, '_', '.' "
            f"and '-' (pattern {ID_PATTERN}); rename it, e.g. {_suggest(text)!r}"
        )
    return text


def _suggest(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")
    return cleaned if cleaned not in {"", ".", ".."} else "cell_1"
