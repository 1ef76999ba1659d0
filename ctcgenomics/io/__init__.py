"""Readers and writers: sample sheets, the alterations table, atomic output."""

from __future__ import annotations

from ctcgenomics._lazy import lazy_exports
from ctcgenomics.io._atomic import atomic_open, atomic_path

# The alterations table needs pandas; it loads on first use so that per-cell jobs
# importing only the atomic writers or bin tables (`ctcg cnv count`) do not pay for it.
_LAZY = {
    name: "ctcgenomics.io.alterations"
    for name in (
        "AlterationTableError",
        "alteration_row",
        "merge_alterations",
        "prevalence_ci",
        "read_alterations",
        "write_alterations",
    )
}

__all__ = [
    "AlterationTableError",
    "alteration_row",
    "atomic_open",
    "atomic_path",
    "merge_alterations",
    "prevalence_ci",
    "read_alterations",
    "write_alterations",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
