"""Actionability: match CTC alterations to therapies, resistance and prognosis.

Research use only. Every match carries its evidence level, sources and the version and
date of the knowledge base; see ``docs/actionability.md`` for the matching rules and the
JSON/TSV output contract.
"""

from ctcgenomics.actionability._civic import CivicEvidence, CivicFormatError, read_civic
from ctcgenomics.actionability._hgvs import MalformedHGVSpError, ProteinChange, parse_hgvsp
from ctcgenomics.actionability._kb import (
    LEVEL_ORDER,
    KnowledgeBase,
    KnowledgeBaseError,
    load_kb,
    validate_kb,
)
from ctcgenomics.actionability._match import (
    MATCH_COLUMNS,
    MatchResult,
    clonality,
    match,
    resolve_gene,
)
from ctcgenomics.actionability._oncotree import OncoTree, UnknownTumourTypeError, oncotree
from ctcgenomics.actionability._patient import (
    current_drugs,
    discordances,
    enumeration_rows,
    serial_changes,
)
from ctcgenomics.actionability._patterns import is_oncogenic, parse_pattern
from ctcgenomics.actionability._report import (
    REPORT_SCHEMA_VERSION,
    TSV_COLUMNS,
    build_report,
    write_report,
)

__all__ = [
    "LEVEL_ORDER",
    "MATCH_COLUMNS",
    "REPORT_SCHEMA_VERSION",
    "TSV_COLUMNS",
    "CivicEvidence",
    "CivicFormatError",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "MalformedHGVSpError",
    "MatchResult",
    "OncoTree",
    "ProteinChange",
    "UnknownTumourTypeError",
    "build_report",
    "clonality",
    "current_drugs",
    "discordances",
    "enumeration_rows",
    "is_oncogenic",
    "load_kb",
    "match",
    "oncotree",
    "parse_hgvsp",
    "parse_pattern",
    "read_civic",
    "resolve_gene",
    "serial_changes",
    "validate_kb",
    "write_report",
]
