"""Actionability: match CTC alterations to therapies, resistance and prognosis.

Research use only. Every match carries its evidence level, sources and the version and
date of the knowledge base; see ``docs/actionability.md`` for the matching rules and the
JSON/TSV output contract.
"""

from ctcgenomics.actionability._civic import CivicEvidence, CivicFormatError, read_civic
from ctcgenomics.actionability._context import (
    CONTEXT_STATUSES,
    PatientContext,
    evaluate_context,
    patient_context,
    therapy_drugs,
)
from ctcgenomics.actionability._germline import germline_findings
from ctcgenomics.actionability._hgvs import MalformedHGVSpError, ProteinChange, parse_hgvsp
from ctcgenomics.actionability._kb import (
    LEVEL_ORDER,
    KnowledgeBase,
    KnowledgeBaseError,
    load_kb,
    validate_kb,
)
from ctcgenomics.actionability._match import (
    CONFIRM_GERMLINE,
    CONFIRM_TISSUE,
    MATCH_COLUMNS,
    UNMATCHED_REASONS,
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
    THERAPY_SCHEMA_VERSION,
    TSV_COLUMNS,
    therapy_table,
    write_therapy_table,
)

__all__ = [
    "CONFIRM_GERMLINE",
    "CONFIRM_TISSUE",
    "CONTEXT_STATUSES",
    "LEVEL_ORDER",
    "MATCH_COLUMNS",
    "THERAPY_SCHEMA_VERSION",
    "TSV_COLUMNS",
    "UNMATCHED_REASONS",
    "CivicEvidence",
    "CivicFormatError",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "MalformedHGVSpError",
    "MatchResult",
    "OncoTree",
    "PatientContext",
    "ProteinChange",
    "UnknownTumourTypeError",
    "clonality",
    "current_drugs",
    "discordances",
    "enumeration_rows",
    "evaluate_context",
    "germline_findings",
    "is_oncogenic",
    "load_kb",
    "match",
    "oncotree",
    "parse_hgvsp",
    "parse_pattern",
    "patient_context",
    "read_civic",
    "resolve_gene",
    "serial_changes",
    "therapy_drugs",
    "therapy_table",
    "validate_kb",
    "write_therapy_table",
]
