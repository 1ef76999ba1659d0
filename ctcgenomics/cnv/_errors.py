"""Errors raised by the copy-number module; each message names the file, record and fix."""

from __future__ import annotations


class CNVInputError(ValueError):
    """An input file of copy-number calling is malformed or inconsistent."""


class ReferenceMismatchError(CNVInputError):
    """A BAM or track was made against another reference than the bin table."""


class BlacklistError(CNVInputError):
    """A blacklist BED does not fit the bins' reference or coordinate system."""
