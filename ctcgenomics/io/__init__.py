"""Readers and writers: sample sheets, the alterations table, atomic output."""

from __future__ import annotations

import importlib
from typing import Any

from ctcgenomics.io._atomic import atomic_open, atomic_path

# The alterations table needs pandas; it loads on first use so that per-cell jobs
# importing only the atomic writers or bin tables (`ctcg cnv count`) do not pay for it.
_LAZY = {
    name: "ctcgenomics.io.alterations"
    for name in (
        "ALTERATION_COLUMNS",
        "ALTERATION_KINDS",
        "AlterationTableError",
        "alteration_row",
        "alterations_frame",
        "prevalence_ci",
        "read_alterations",
        "write_alterations",
    )
}

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


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
