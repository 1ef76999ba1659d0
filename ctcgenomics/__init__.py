"""ctcgenomics: single-cell genomics of circulating tumour cells.

Subpackages are imported lazily, so ``import ctcgenomics as ctc`` is fast and
``ctc.cnv``, ``ctc.snv``, ``ctc.rna``... load only when first used.

Research use only: results support, and never replace, the judgement of
clinicians and researchers.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBPACKAGES = (
    "io",
    "align",
    "qc",
    "cnv",
    "snv",
    "rna",
    "actionability",
    "report",
    "simulate",
    "pl",
)

__all__ = ["__version__", *_SUBPACKAGES]


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
