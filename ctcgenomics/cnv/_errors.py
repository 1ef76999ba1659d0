"""Errors raised by the copy-number module; each message names the file, record and fix."""

from __future__ import annotations

from ctcgenomics._errors import ReferenceMismatchError

__all__ = ["BlacklistError", "CNVInputError", "ReferenceMismatchError"]


class CNVInputError(ValueError):
    """An input file of copy-number calling is malformed or inconsistent."""


class BlacklistError(CNVInputError):
    """A blacklist BED does not fit the bins' reference or coordinate system."""
