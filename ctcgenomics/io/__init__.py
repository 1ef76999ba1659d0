"""Readers and writers: sample sheets, the alterations table, atomic output."""

from ctcgenomics.io._atomic import atomic_open, atomic_path
from ctcgenomics.io.alterations import (
    ALTERATION_COLUMNS,
    ALTERATION_KINDS,
    AlterationTableError,
    alteration_row,
    alterations_frame,
    prevalence_ci,
    read_alterations,
    write_alterations,
)

__all__ = [
    "ALTERATION_COLUMNS",
    "ALTERATION_KINDS",
    "AlterationTableError",
    "alteration_row",
    "alterations_frame",
    "atomic_open",
    "atomic_path",
    "prevalence_ci",
    "read_alterations",
    "write_alterations",
]
