"""Import predictive evidence from CIViC's ClinicalEvidenceSummaries TSV (CC0).

Two layouts are read:

* current releases (since CIViC's molecular profiles, 2022): ``molecular_profile``
  (e.g. ``BRAF V600E``, ``EML4::ALK Fusion``, ``KRAS G12/G13``), ``therapies``,
  ``therapy_interaction_type``, ``significance``, ``citation_id`` + ``source_type``,
  ``variant_origin``, ``evidence_status``, ``is_flagged`` (also the
  ``AcceptedClinicalEvidenceSummaries.tsv`` monthly files);
* releases before 2022: ``gene`` + ``variant``, ``drugs``, ``drug_interaction_type``,
  ``clinical_significance``, ``pubmed_id``.

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
    "molecular_profile", "disease", "therapies", "therapy_interaction_type", "evidence_type",
    "evidence_direction", "evidence_level", "significance", "citation_id", "citation",
    "evidence_id",
)  # fmt: skip
"""Columns read from a current (molecular-profile) CIViC evidence file."""

CIVIC_LEGACY_COLUMNS: tuple[str, ...] = (
    "gene", "variant", "disease", "drugs", "drug_interaction_type", "evidence_type",
    "evidence_direction", "evidence_level", "clinical_significance", "pubmed_id",
    "citation", "evidence_id",
)  # fmt: skip
"""Columns read from a CIViC evidence file of the layout used before 2022."""

_SIGNIFICANCE = {
    "Sensitivity/Response": "sensitivity",
    "Sensitivity": "sensitivity",
    "Response": "sensitivity",
    "Resistance": "resistance",
    "Resistance or Non-Response": "resistance",
    "Reduced Sensitivity": "resistance",
}
_ORIGIN = {
    "Somatic": "somatic",
    "Rare Germline": "germline",
    "Common Germline": "germline",
    "Germline": "germline",
}
_VARIANT_WORDS = {
    "AMPLIFICATION": "AMPLIFICATION",
    "DELETION": "DELETION",
    "LOSS": "DELETION",
    "LOSS-OF-FUNCTION": "loss_of_function",
    "LOSS OF FUNCTION": "loss_of_function",
    # CIViC's gene-level "MUTATION" means activating/pathogenic mutations, so it is read
    # with the same "oncogenic" rule as the knowledge base, not as any change.
    "MUTATION": "oncogenic_mutation",
    "OVEREXPRESSION": "EXPRESSION_HIGH",
    "UNDEREXPRESSION": "EXPRESSION_LOW",
    "FUSION": "fusion",
    "FUSIONS": "fusion",
    "REARRANGEMENT": "fusion",
}
_AA3 = {
    "ALA": "A", "ARG": "R", "ASN": "N", "ASP": "D", "CYS": "C", "GLN": "Q", "GLU": "E",
    "GLY": "G", "HIS": "H", "ILE": "I", "LEU": "L", "LYS": "K", "MET": "M", "PHE": "F",
    "PRO": "P", "SER": "S", "THR": "T", "TRP": "W", "TYR": "Y", "VAL": "V",
}  # fmt: skip


class CivicFormatError(ValueError):
    """A CIViC file has neither the current nor the legacy evidence columns."""


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
    origin: str = "any"


@dataclass(frozen=True)
class CivicEvidence:
    """Predictive evidence read from one CIViC file."""

    path: str
    items: tuple[CivicItem, ...]
    n_rows: int
    n_skipped: int
    layout: str = "current"
    skipped: tuple[tuple[str, int], ...] = ()

    def info(self) -> dict[str, object]:
        """File, layout, rows read, items used and rows skipped (with reasons)."""
        return {
            "file": self.path,
            "layout": self.layout,
            "rows": self.n_rows,
            "items_used": len(self.items),
            "rows_skipped": self.n_skipped,
            "skipped_by_reason": dict(self.skipped),
        }

    def for_gene(self, gene: str) -> list[CivicItem]:
        """Items about ``gene``."""
        return [i for i in self.items if i.gene == gene]


def civic_variant_patterns(gene: str, variant: str) -> list[Pattern]:
    """Translate one CIViC variant name into knowledge-base patterns ([] if unsupported).

    Supported: protein changes (``V600E``, ``Val600Glu``, ``I843DEL``,
    ``D842_I843delinsVM``), codons (``V600``, ``G12/G13``), exon classes (``EXON 19
    DELETION``, ``EXON 20 INSERTION``, ``EXON 14 SKIPPING MUTATION``, ``EXON 11
    MUTATION``), copy number, ``MUTATION``, ``LOSS-OF-FUNCTION``, (UNDER/OVER)EXPRESSION
    and fusions (``EML4-ALK``, ``EML4::ALK FUSION``, ``ALK FUSIONS``). Aggregated rows list
    several variants separated by commas.
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
    upper = part.upper().strip()
    if upper in _VARIANT_WORDS:
        return [_VARIANT_WORDS[upper]]
    if re.fullmatch(r"[A-Z0-9]+ FUSIONS?", upper) and upper.split()[0] == gene:
        return ["fusion"]
    if m := re.fullmatch(r"([A-Z0-9]+)(?:-|::)([A-Z0-9]+)(?: FUSION)?", upper):
        a, b = m.groups()
        if gene in (a, b):
            other = b if a == gene else a
            return [f"fusion:{other}"]
    for three, one in _AA3.items():
        upper = re.sub(rf"(?<![A-Z]){three}(?=[0-9]|$)", one, upper)
    if re.fullmatch(r"[A-Z][0-9]+[A-Z*]", upper):
        return [f"p.{upper}"]
    if re.fullmatch(r"[A-Z][0-9]+(/[A-Z][0-9]+)*", upper):
        return [f"p.{c}" for c in upper.split("/")]
    if m := re.fullmatch(r"([A-Z][0-9]+(?:_[A-Z][0-9]+)?)(DEL|DUP)", upper):
        return [f"p.{m.group(1)}{m.group(2).lower()}"]
    if m := re.fullmatch(r"([A-Z][0-9]+_[A-Z][0-9]+)(INS|DELINS)([A-Z]+)", upper):
        return [f"p.{m.group(1)}{m.group(2).lower()}{m.group(3)}"]
    if m := re.fullmatch(r"EXON ([0-9]+) (DELETION|INSERTION|MUTATION|SKIPPING MUTATION)", upper):
        cls = m.group(2).split()[0].lower()
        return [f"exon{m.group(1)}_{cls}"]
    return []


def _split_profile(profile: str) -> tuple[str, str] | None:
    """``BRAF V600E`` -> (BRAF, V600E); ``EML4::ALK Fusion`` -> (ALK, EML4::ALK Fusion).

    Complex profiles (``... AND ...``, ``NOT``, ``OR``) return None: the matcher sees one
    alteration per row and cannot check a combination.
    """
    text = profile.strip()
    if re.search(r"\b(AND|OR|NOT)\b", text):
        return None
    gene, _, variant = text.partition(" ")
    if "::" in gene:
        partners = gene.split("::")
        # Attach the item to the kinase partner named last (CIViC writes 5'::3').
        return partners[-1], f"{gene} {variant}".strip()
    return (gene, variant) if variant else None


def _layout(columns: list[str]) -> str | None:
    if all(c in columns for c in CIVIC_REQUIRED_COLUMNS):
        return "current"
    if all(c in columns for c in CIVIC_LEGACY_COLUMNS):
        return "legacy"
    return None


def read_civic(path: str | os.PathLike[str]) -> CivicEvidence:
    """Read predictive evidence from a CIViC ClinicalEvidenceSummaries TSV.

    Kept: ``evidence_type`` Predictive, ``evidence_direction`` exactly ``Supports``, a
    significance of sensitivity or resistance (Reduced Sensitivity -> resistance), level
    A-E, an accepted and unflagged item (current layout) with an evidence ID and a source
    (citation or citation ID; items without are counted as ``no evidence ID`` / ``no
    source``), a molecular profile of one variant that the pattern grammar can express.
    Drugs listed with interaction ``Combination`` form one therapy; otherwise each drug
    is its own therapy. Germline items (``variant_origin`` Rare/Common Germline) match
    only germline alterations.

    Raises
    ------
    CivicFormatError
        If the file has neither layout's columns (names the missing ones of both).
    FileNotFoundError
        If the file does not exist.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"CIViC file {p} not found")
    frame = pd.read_csv(p, sep="\t", dtype=str, keep_default_na=False, quoting=0)
    frame.columns = [c.strip().strip('"') for c in frame.columns]
    layout = _layout(list(frame.columns))
    if layout is None:
        now = [c for c in CIVIC_REQUIRED_COLUMNS if c not in frame.columns]
        old = [c for c in CIVIC_LEGACY_COLUMNS if c not in frame.columns]
        raise CivicFormatError(
            f"{p}: not a CIViC clinical-evidence TSV: it lacks {now} of the current layout "
            f"(molecular profiles, since 2022) and {old} of the earlier layout. Give a "
            "ClinicalEvidenceSummaries.tsv (or AcceptedClinicalEvidenceSummaries.tsv) of a "
            "CIViC release; VariantSummaries or GeneSummaries files do not hold evidence."
        )
    diseases = civic_disease_map()
    items: list[CivicItem] = []
    skipped: dict[str, int] = {}
    for row in frame.to_dict("records"):
        rec = _normalise(row, layout)
        why = _skip_reason(rec)
        patterns = civic_variant_patterns(rec["gene"], rec["variant"]) if not why else []
        if not why and not patterns:
            why = "variant not expressible"
        if why:
            skipped[why] = skipped.get(why, 0) + 1
            continue
        drugs = [d.strip().lower() for d in rec["drugs"].split(",") if d.strip()]
        # Combination drugs sorted so that the same regimen listed in another order merges.
        combo = "Combination" in rec["interaction"]
        therapies = [tuple(sorted(drugs))] if combo else [(d,) for d in drugs]
        for pattern in patterns:
            for therapy in therapies:
                items.append(
                    CivicItem(
                        evidence_id=f"EID{rec['evidence_id']}",
                        gene=rec["gene"],
                        variant=rec["variant"],
                        pattern=pattern,
                        disease=rec["disease"],
                        oncotree=diseases.get(rec["disease"], ""),
                        therapy=therapy,
                        level=rec["level"],
                        direction=_SIGNIFICANCE[rec["significance"]],
                        pmid=rec["pmid"],
                        citation=rec["citation"],
                        origin=_ORIGIN.get(rec["origin"], "any"),
                    )
                )
    n_skipped = sum(skipped.values())
    log.info(
        "CIViC %s (%s layout): %d rows, %d evidence items used, %d skipped %s",
        p, layout, len(frame), len(items), n_skipped, skipped,
    )  # fmt: skip
    return CivicEvidence(
        str(p), tuple(items), len(frame), n_skipped, layout, tuple(sorted(skipped.items()))
    )


def _normalise(row: dict[str, str], layout: str) -> dict[str, str]:
    """One evidence row in common keys, whatever the layout."""
    if layout == "legacy":
        return {
            "gene": row["gene"].strip(),
            "variant": row["variant"].strip(),
            "complex": "",
            "disease": row["disease"],
            "drugs": row["drugs"],
            "interaction": row["drug_interaction_type"],
            "type": row["evidence_type"],
            "direction": row["evidence_direction"],
            "level": row["evidence_level"],
            "significance": row["clinical_significance"],
            "pmid": row["pubmed_id"] if row["pubmed_id"].isdigit() else "",
            "citation": row["citation"].strip(),
            "citation_id": row["pubmed_id"].strip(),
            "evidence_id": row["evidence_id"].strip(),
            "origin": row.get("variant_origin", ""),
            "status": row.get("evidence_status", "accepted") or "accepted",
            "flagged": "",
        }
    split = _split_profile(row["molecular_profile"])
    pubmed = row.get("source_type", "PubMed") in {"PubMed", ""}
    return {
        "gene": split[0] if split else "",
        "variant": split[1] if split else "",
        "complex": "" if split else row["molecular_profile"],
        "disease": row["disease"],
        "drugs": row["therapies"],
        "interaction": row["therapy_interaction_type"],
        "type": row["evidence_type"],
        "direction": row["evidence_direction"],
        "level": row["evidence_level"],
        "significance": row["significance"],
        "pmid": row["citation_id"] if pubmed and row["citation_id"].isdigit() else "",
        "citation": row["citation"].strip(),
        "citation_id": row["citation_id"].strip(),
        "evidence_id": row["evidence_id"].strip(),
        "origin": row.get("variant_origin", ""),
        "status": row.get("evidence_status", "accepted") or "accepted",
        "flagged": row.get("is_flagged", ""),
    }


def _skip_reason(rec: dict[str, str]) -> str:
    if rec["type"] != "Predictive":
        return "not predictive"
    if rec["direction"] != "Supports":
        return "does not support"
    if rec["significance"] not in _SIGNIFICANCE:
        return "significance not sensitivity/resistance"
    if rec["level"] not in {"A", "B", "C", "D", "E"}:
        return "no level A-E"
    if rec["status"] != "accepted":
        return "not accepted"
    if rec["flagged"].lower() == "true":
        return "flagged"
    if not rec["drugs"]:
        return "no therapy"
    # A therapy is never shown without its source: the evidence ID and the publication.
    if not rec["evidence_id"]:
        return "no evidence ID"
    if not rec["citation"] and not rec["citation_id"]:
        return "no source"
    if rec["complex"]:
        return "complex molecular profile"
    return ""
