"""Actionability: match CTC alterations to therapies, resistance and prognosis.

Research use only. Every match carries its evidence level, sources and the version and
date of the knowledge base; see ``docs/actionability.md`` for the matching rules and the
JSON/TSV output contract.
"""

from ctcgenomics.actionability._civic import read_civic
from ctcgenomics.actionability._context import patient_context
from ctcgenomics.actionability._germline import germline_findings
from ctcgenomics.actionability._kb import KnowledgeBase, load_kb
from ctcgenomics.actionability._match import MatchResult, clonality, match
from ctcgenomics.actionability._oncotree import UnknownTumourTypeError, oncotree
from ctcgenomics.actionability._params import MatchParams
from ctcgenomics.actionability._patient import discordances, serial_changes
from ctcgenomics.actionability._report import therapy_table, write_therapy_table

__all__ = [
    "KnowledgeBase",
    "MatchParams",
    "MatchResult",
    "UnknownTumourTypeError",
    "clonality",
    "discordances",
    "germline_findings",
    "load_kb",
    "match",
    "oncotree",
    "patient_context",
    "read_civic",
    "serial_changes",
    "therapy_table",
    "write_therapy_table",
]
