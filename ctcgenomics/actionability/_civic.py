"""Import predictive evidence from CIViC's ClinicalEvidenceSummaries TSV (CC0).

CIViC evidence levels A-E are kept as they are (never translated to the OncoKB-style
levels of the packaged knowledge base); each item becomes a pattern on a gene plus a
disease mapped to OncoTree, so it matches alterations with the same rules.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ctcgenomics.actionability._data import civic_disease_map
from ctcgenomics.actionability._patterns import Pattern, parse_pattern

log = logging.getLogger(__name__)

CIVIC_REQUIRED_COLUMNS: tuple[str, ...] = (
    "gene", "variant", "disease", "drugs", "drug_interaction_type", "evidence_type",
    "evidence_direction", "evidence_level", "clinical_significance", "pubmed_id",
    "citation", "evidence_id",
)  # fmt: skip

_SIGNIFICANCE = {
    "Sensitivity/Response": "sensitivity",
    "Sensitivity": "sensitivity",
    "Response": "sensitivity",
    "Resistance": "resistance",
    "Resistance or Non-Response": "resistance",
    "Reduced Sensitivity": "resistance",
}
_VARIANT_WORDS = {
    "AMPLIFICATION": "AMPLIFICATION",
    "DELETION": "DELETION",
    "LOSS": "DELETION",
    "LOSS-OF-FUNCTION": "loss_of_function",
    # CIViC's gene-level "MUTATION" means activating/pathogenic mutations, so it is read
    # with the same "oncogenic" rule as the knowledge base, not as any change.
    "MUTATION": "oncogenic_mutation",
    "OVEREXPRESSION": "EXPRESSION_HIGH",
    "UNDEREXPRESSION": "EXPRESSION_LOW",
    "FUSION": "fusion",
    "FUSIONS": "fusion",
    "REARRANGEMENT": "fusion",
}


class CivicFormatError(ValueError):
    """A CIViC file lacks the ClinicalEvidenceSummaries columns."""


@dataclass(frozen=True)
class CivicItem:
    """One predictive evidence item, normalised."""

    evidence_id: str
    gene: str
    variant: str
    pattern: Pattern
    disease: str
    oncotree: str
    therapy: tuple[str, ...]
    level: str
    direction: str
    pmid: str
    citation: str


@dataclass(frozen=True)
class CivicEvidence:
    """Predictive evidence read from one CIViC file."""

    path: str
    items: tuple[CivicItem, ...]
    n_rows: int
    n_skipped: int

    def info(self) -> dict[str, object]:
        """File, rows read, items used and rows skipped (for the output header)."""
        return {
            "file": self.path,
            "rows": self.n_rows,
            "items_used": len(self.items),
            "rows_skipped": self.n_skipped,
        }

    def for_gene(self, gene: str) -> list[CivicItem]:
        """Items about ``gene``."""
        return [i for i in self.items if i.gene == gene]


def civic_variant_patterns(gene: str, variant: str) -> list[Pattern]:
    """Translate one CIViC variant name into knowledge-base patterns ([] if unsupported).

    Supported: protein changes (``V600E``), codons (``V600``, ``G12/G13``), exon classes
    (``EXON 19 DELETION``, ``EXON 20 INSERTION``, ``EXON 14 SKIPPING MUTATION``,
    ``EXON 2 MUTATION``), copy number, ``MUTATION``, ``LOSS-OF-FUNCTION``,
    (UNDER/OVER)EXPRESSION and fusions (``EML4-ALK``, ``ALK FUSIONS``). Aggregated rows
    list several variants separated by commas.
    """
    out: list[Pattern] = []
    for part in (p.strip() for p in variant.split(",")):
        for text in _variant_to_patterns(gene, part):
            try:
                out.append(parse_pattern(text))
            except ValueError:
                continue
    return out


def _variant_to_patterns(gene: str, part: str) -> list[str]:
    upper = part.upper()
    if upper in _VARIANT_WORDS:
        return [_VARIANT_WORDS[upper]]
    if re.fullmatch(r"[A-Z]+[0-9]? FUSIONS?", upper) and upper.split()[0] == gene:
        return ["fusion"]
    if m := re.fullmatch(r"([A-Z0-9]+)-([A-Z0-9]+)", upper):
        a, b = m.groups()
        if gene in (a, b):
            other = b if a == gene else a
            return [f"fusion:{other}"]
    if re.fullmatch(r"[A-Z][0-9]+[A-Z*]", upper):
        return [f"p.{upper}"]
    if re.fullmatch(r"[A-Z][0-9]+(/[A-Z][0-9]+)*", upper):
        return [f"p.{c}" for c in upper.split("/")]
    if m := re.fullmatch(r"EXON ([0-9]+) (DELETION|INSERTION|MUTATION|SKIPPING MUTATION)", upper):
        cls = m.group(2).split()[0].lower()
        return [f"exon{m.group(1)}_{cls}"]
    return []


def read_civic(path: str | os.PathLike[str]) -> CivicEvidence:
    """Read predictive evidence from a CIViC ClinicalEvidenceSummaries TSV.

    Kept: ``evidence_type`` Predictive, ``evidence_direction`` exactly ``Supports``, a
    clinical significance of sensitivity or resistance, and a variant the pattern
    grammar can express. Drugs listed with interaction ``Combination`` form one therapy;
    otherwise each drug is its own therapy.

    Raises
    ------
    CivicFormatError
        If a required column is missing.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"CIViC file {p} not found")
    frame = pd.read_csv(p, sep="\t", dtype=str, keep_default_na=False)
    missing = [c for c in CIVIC_REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise CivicFormatError(
            f"{p}: not a CIViC ClinicalEvidenceSummaries TSV, missing column(s) {missing}; "
            "download 'ClinicalEvidenceSummaries.tsv' from civicdb.org releases"
        )
    diseases = civic_disease_map()
    items: list[CivicItem] = []
    skipped = 0
    for row in frame.itertuples(index=False):
        direction = _SIGNIFICANCE.get(row.clinical_significance)
        patterns = civic_variant_patterns(row.gene, row.variant)
        if (
            row.evidence_type != "Predictive"
            or row.evidence_direction != "Supports"
            or direction is None
            or not patterns
            or not row.drugs
            or row.evidence_level not in {"A", "B", "C", "D", "E"}
        ):
            skipped += 1
            continue
        drugs = [d.strip().lower() for d in row.drugs.split(",") if d.strip()]
        # Combination drugs sorted so that the same regimen listed in another order merges.
        combo = "Combination" in row.drug_interaction_type
        therapies = [tuple(sorted(drugs))] if combo else [(d,) for d in drugs]
        for pattern in patterns:
            for therapy in therapies:
                items.append(
                    CivicItem(
                        evidence_id=f"EID{row.evidence_id}",
                        gene=row.gene,
                        variant=row.variant,
                        pattern=pattern,
                        disease=row.disease,
                        oncotree=diseases.get(row.disease, ""),
                        therapy=therapy,
                        level=row.evidence_level,
                        direction=direction,
                        pmid=row.pubmed_id if row.pubmed_id.isdigit() else "",
                        citation=row.citation,
                    )
                )
    log.info(
        "CIViC %s: %d rows, %d evidence items used, %d skipped", p, len(frame), len(items), skipped
    )
    return CivicEvidence(str(p), tuple(items), len(frame), skipped)
