"""Errors shared by several steps (one class per kind of fault)."""

from __future__ import annotations


class ReferenceMismatchError(ValueError):
    """A BAM (or a track, a bin table) was made against another reference than the one given.

    Raised by the alignment step (imported BAMs), copy-number counting (BAM vs bin table)
    and SNV calling (BAMs vs FASTA); the message names the file, the differing contigs and
    the fix.
    """
