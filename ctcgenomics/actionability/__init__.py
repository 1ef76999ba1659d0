"""Actionability: match CTC alterations to therapies, resistance and prognosis.

Research use only. Every match carries its evidence level, sources and the version and
date of the knowledge base; see ``docs/actionability.md`` for the matching rules and the
JSON/TSV output contract.
"""

from __future__ import annotations

from ctcgenomics._lazy import lazy_exports

# Imported on first use: `ctcg snv` needs only the HGVSp parser of this package for its
# alterations table, not the knowledge base, matcher and report modules.
_EXPORTS: dict[str, str] = {
    "KnowledgeBase": "ctcgenomics.actionability._kb",
    "MatchParams": "ctcgenomics.actionability._params",
    "MatchResult": "ctcgenomics.actionability._match",
    "UnknownTumourTypeError": "ctcgenomics.actionability._oncotree",
    "clonality": "ctcgenomics.actionability._match",
    "discordances": "ctcgenomics.actionability._patient",
    "germline_findings": "ctcgenomics.actionability._germline",
    "load_kb": "ctcgenomics.actionability._kb",
    "match": "ctcgenomics.actionability._match",
    "oncotree": "ctcgenomics.actionability._oncotree",
    "patient_context": "ctcgenomics.actionability._context",
    "read_civic": "ctcgenomics.actionability._civic",
    "serial_changes": "ctcgenomics.actionability._patient",
    "therapy_table": "ctcgenomics.actionability._report",
    "write_therapy_table": "ctcgenomics.actionability._report",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
