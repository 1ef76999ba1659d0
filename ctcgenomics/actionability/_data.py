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


@cache
def drug_class_terms() -> dict[str, tuple[str, ...]]:
    """Return lower-case drug-class term -> generic drug names."""
    table = _read_table("drug_classes.tsv")
    return {
        t.lower(): tuple(d.split(",")) for t, d in zip(table["term"], table["drugs"], strict=True)
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


_HOTSPOT_RE = re.compile(r"(?:^|;)HOTSPOT_GENE=([^;]+);HOTSPOT_HGVSp=([^;\s]+)")


@cache
def hotspot_alleles() -> frozenset[tuple[str, str]]:
    """Return (gene, HGVSp) pairs that are cancerhotspots.org single-residue hotspots.

    Only the ``HOTSPOT`` records (recurrence at one residue, Chang et al. 2016/2018) are
    used; 3D-cluster hotspots (``HOTSPOT3D``) are weaker evidence and are ignored.
    """
    pairs = set()
    with gzip.open(ANNOTATION_DIR / "cancer_hotspots_hg38.vcf.gz", "rt") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            match = _HOTSPOT_RE.search(line.split("\t", 8)[7])
            if match:
                pairs.add((match.group(1), match.group(2)))
    return frozenset(pairs)
