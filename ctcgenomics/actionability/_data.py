"""Loaders for the packaged knowledge files under ``ctcgenomics/data/knowledge``.

Every table is read once per process (``functools.cache``): they are small and
immutable, and matching a cohort calls them for every alteration.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

KNOWLEDGE_DIR = Path(str(resources.files("ctcgenomics") / "data" / "knowledge"))
"""Directory of the packaged knowledge base and its companion tables."""

ANNOTATION_DIR = Path(str(resources.files("ctcgenomics") / "data" / "annotation"))

KB_PATH = KNOWLEDGE_DIR / "kb.yaml"
"""The packaged knowledge base."""

KB_SCHEMA_PATH = KNOWLEDGE_DIR / "kb.schema.json"
"""JSON schema of the knowledge base."""

PSEUDO_GENES: frozenset[str] = frozenset({"CTC", "MSI", "TMB", "EMT"})
"""Gene-column values that name a sample- or cell-state finding rather than a gene
(``EMT`` is used by the RNA module for epithelial-mesenchymal states)."""


def _read_table(name: str) -> pd.DataFrame:
    return pd.read_csv(
        KNOWLEDGE_DIR / name, sep="\t", comment="#", dtype=str, keep_default_na=False
    )


@cache
def gene_aliases() -> dict[str, str]:
    """Return upper-case alias -> approved HGNC symbol for the knowledge-base genes."""
    table = _read_table("gene_aliases.tsv")
    return {a.upper(): s for a, s in zip(table["alias"], table["symbol"], strict=True)}


@cache
def gene_roles() -> dict[str, str]:
    """Return symbol -> ``oncogene`` or ``tsg`` (used by the "oncogenic" rule)."""
    table = _read_table("genes.tsv")
    return dict(zip(table["symbol"], table["role"], strict=True))


@dataclass(frozen=True)
class ExonRange:
    """Codons of one exon on the transcript HGVSp refers to (1-based, inclusive)."""

    gene: str
    exon: int
    first_codon: int
    last_codon: int
    source: str


@cache
def exon_ranges() -> dict[tuple[str, int], ExonRange]:
    """Return (gene, exon) -> :class:`ExonRange` for exon-level biomarkers."""
    table = _read_table("exon_codons.tsv")
    out = {}
    for row in table.itertuples(index=False):
        rng = ExonRange(
            row.gene, int(row.exon), int(row.first_codon), int(row.last_codon), row.source
        )
        out[(rng.gene, rng.exon)] = rng
    return out


@cache
def civic_disease_map() -> dict[str, str]:
    """Return CIViC disease name -> OncoTree code (``*`` for pan-cancer evidence)."""
    table = _read_table("civic_disease_oncotree.tsv")
    return dict(zip(table["disease"], table["oncotree"], strict=True))


@dataclass(frozen=True)
class TherapyClass:
    """A class of therapies named by label contexts and free-text therapy lines."""

    name: str
    terms: tuple[str, ...]
    drugs: frozenset[str]
    any_drug: bool


@cache
def therapy_classes() -> dict[str, TherapyClass]:
    """Return class id -> :class:`TherapyClass` (``therapy_classes.tsv``)."""
    table = _read_table("therapy_classes.tsv")
    out = {}
    for name, terms, drugs in zip(table["class"], table["terms"], table["drugs"], strict=True):
        members = frozenset(d.strip().lower() for d in drugs.split(",") if d.strip())
        words = tuple(t.strip().lower() for t in terms.split(";") if t.strip())
        out[name] = TherapyClass(name, words, members - {"*"}, "*" in members)
    return out


@cache
def drug_class_terms() -> dict[str, tuple[str, ...]]:
    """Return lower-case class term (e.g. ``aromatase inhibitor``) -> generic drug names."""
    out: dict[str, set[str]] = {}
    for cls in therapy_classes().values():
        if cls.any_drug:
            continue
        for term in cls.terms:
            out.setdefault(term, set()).update(cls.drugs)
    return {t: tuple(sorted(d)) for t, d in out.items()}


@cache
def predisposition_genes() -> frozenset[str]:
    """Return the cancer-predisposition genes (``predisposition_genes.tsv``)."""
    return frozenset(_read_table("predisposition_genes.tsv")["gene"])


@dataclass(frozen=True)
class DomainRange:
    """Residues of a protein domain (1-based, inclusive)."""

    gene: str
    domain: str
    first_codon: int
    last_codon: int
    source: str


@cache
def protein_domains() -> dict[tuple[str, str], DomainRange]:
    """Return (gene, domain) -> :class:`DomainRange` (``protein_domains.tsv``)."""
    table = _read_table("protein_domains.tsv")
    return {
        (r.gene, r.domain): DomainRange(
            r.gene, r.domain, int(r.first_codon), int(r.last_codon), r.source
        )
        for r in table.itertuples(index=False)
    }


@cache
def genome_gene_symbols() -> frozenset[str]:
    """Return every gene name of the packaged GENCODE v44 table (to recognise real symbols)."""
    table = pd.read_csv(
        ANNOTATION_DIR / "gencode_v44_genes_hg38.tsv.gz",
        sep="\t",
        header=None,
        usecols=[3],
        dtype=str,
    )
    return frozenset(table[3].dropna().str.upper())


_HOTSPOT_RE = re.compile(
    r"(?:^|;)(HOTSPOT3D|HOTSPOT)_GENE=([^;]+);(?:HOTSPOT3D|HOTSPOT)_HGVSp=([^;\s]+)"
)


@cache
def hotspot_alleles() -> frozenset[tuple[str, str]]:
    """Return (gene, HGVSp) pairs of cancerhotspots.org hotspot alleles.

    ``HOTSPOT`` records (recurrence at one residue, Chang et al. 2016/2018) are taken
    whole. ``HOTSPOT3D`` records are taken only for missense alleles: the aggregated
    table labels a residue found by both methods as ``HOTSPOT3D`` only (PIK3CA E545, NRAS
    G12/G13/Q61 and KIT V559/L576 appear there and nowhere else), and it lists every
    substitution at a hotspot residue, including stop codons that are not activating.
    """
    pairs = set()
    with gzip.open(ANNOTATION_DIR / "cancer_hotspots_hg38.vcf.gz", "rt") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            match = _HOTSPOT_RE.search(line.split("\t", 8)[7])
            if not match:
                continue
            kind, gene, hgvsp = match.groups()
            if kind == "HOTSPOT3D" and (hgvsp.endswith("*") or hgvsp.endswith("=")):
                continue
            pairs.add((gene, hgvsp))
    return frozenset(pairs)
