"""Biomarker patterns of the knowledge base and how they match observed alterations.

Pattern grammar (one string per pattern; documented in ``docs/actionability.md``):

============================  ===========  ==============================================
pattern                       granularity  matches
============================  ===========  ==============================================
``p.H1047R`` (any HGVSp)      allele       exactly this protein change
``p.G12`` / ``p.G12X``        codon        any missense change of codon 12 (ref G)
``exon19_deletion``           exon         in-frame net deletion inside exon 19
``exon20_insertion``          exon         in-frame net insertion/duplication in exon 20
``exon14_skipping``           exon         ``exon14_skipping`` or a splice site in exon 14
``exon2_mutation``            exon         any non-synonymous change inside exon 2
``kinase_domain_mutation``    domain       activating change inside the kinase domain
``oncogenic_mutation``        gene         see :func:`is_oncogenic`
``loss_of_function``          gene         truncating change, TSG hotspot or deep deletion
``any_mutation``              gene         any non-synonymous mutation
``AMPLIFICATION`` etc.        gene         that copy-number call
``fusion`` / ``fusion:EML4``  gene         a fusion with the gene (partner), either order
``EXPRESSION_HIGH`` etc.      phenotype    that expression phenotype
``MSI-H``                     phenotype    a microsatellite-instability-high call
``CTC_COUNT>=5``              threshold    CTCs per 7.5 mL at or above the cut-off
``TMB>=10``                   threshold    mutations per Mb at or above the cut-off
============================  ===========  ==============================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ctcgenomics.actionability._data import (
    exon_ranges,
    gene_roles,
    hotspot_alleles,
    protein_domains,
)
from ctcgenomics.actionability._hgvs import ProteinChange, parse_hgvsp

GRANULARITY_ORDER: tuple[str, ...] = (
    "allele", "codon", "exon", "domain", "threshold", "phenotype", "gene",
)  # fmt: skip
"""From most to least specific (ties between matches are broken in this order)."""

COPY_NUMBER_CALLS = frozenset({"AMPLIFICATION", "GAIN", "LOSS", "DELETION", "LOH"})
PHENOTYPES = frozenset({"EXPRESSION_HIGH", "EXPRESSION_LOW", "AR-V7_POSITIVE", "MSI-H"})
_MUTATION_CLASSES = frozenset({"oncogenic_mutation", "loss_of_function", "any_mutation"})


@dataclass(frozen=True)
class Observation:
    """One observed alteration, normalised for matching.

    Attributes
    ----------
    gene
        Approved symbol (for fusions, the partner being matched).
    kind
        ``mutation``, ``copy_number``, ``expression``, ``fusion`` or ``enumeration``.
    alteration
        Alteration string as in the table (normalised HGVSp for mutations).
    change
        Parsed protein change for mutation rows, else ``None``.
    partners
        Both fusion partners in table order (fusions only).
    value
        Numeric value of ``CTC_COUNT=``/``TMB=`` findings.
    origin
        ``germline``, ``somatic`` or ``unknown``.
    """

    gene: str
    kind: str
    alteration: str
    change: ProteinChange | None = None
    partners: tuple[str, ...] = ()
    value: float | None = None
    origin: str = "unknown"


@dataclass(frozen=True)
class Pattern:
    """A parsed knowledge-base pattern."""

    text: str
    family: str
    granularity: str
    change: ProteinChange | None = None
    codon: int = 0
    ref: str = ""
    exon: int = 0
    exon_class: str = ""
    domain: str = ""
    partner: str = ""
    threshold: float = 0.0


_CODON_RE = re.compile(r"^p\.([A-Z])(\d+)X?$")
_EXON_RE = re.compile(r"^exon(\d+)_(deletion|insertion|skipping|mutation)$")
_DOMAIN_RE = re.compile(r"^([a-z]+)_domain_mutation$")
_THRESH_RE = re.compile(r"^(CTC_COUNT|TMB)>=([0-9.]+)$")


def parse_pattern(text: str) -> Pattern:
    """Parse one pattern string of the grammar above.

    Raises
    ------
    ValueError
        If the string is not a pattern (the JSON schema normally catches this first).
    """
    if m := _CODON_RE.match(text):
        return Pattern(text, "codon", "codon", codon=int(m.group(2)), ref=m.group(1))
    if text.startswith("p."):
        return Pattern(text, "allele", "allele", change=parse_hgvsp(text, where="knowledge base"))
    if m := _EXON_RE.match(text):
        return Pattern(text, "exon", "exon", exon=int(m.group(1)), exon_class=m.group(2))
    if m := _DOMAIN_RE.match(text):
        return Pattern(text, "domain", "domain", domain=m.group(1))
    if text in _MUTATION_CLASSES:
        return Pattern(text, text, "gene")
    if text in COPY_NUMBER_CALLS:
        return Pattern(text, "copy_number", "gene")
    if text == "fusion" or text.startswith("fusion:"):
        return Pattern(text, "fusion", "gene", partner=text.partition(":")[2])
    if text in PHENOTYPES:
        return Pattern(text, "phenotype", "phenotype")
    if m := _THRESH_RE.match(text):
        return Pattern(text, m.group(1).lower(), "threshold", threshold=float(m.group(2)))
    raise ValueError(f"not a knowledge-base alteration pattern: {text!r}")


def is_oncogenic(gene: str, change: ProteinChange) -> bool:
    """Decide whether a mutation is "oncogenic" (the rule stated below).

    A protein change is oncogenic when (a) it is a single-residue hotspot allele of the
    gene in cancerhotspots.org (packaged ``cancer_hotspots_hg38.vcf.gz``, ``HOTSPOT``
    records), or (b) the gene is a tumour suppressor (``genes.tsv`` role ``tsg``) and the
    change is truncating (nonsense, frameshift, splice site, exon skipping). Everything
    else (private missense variants, variants of unknown significance) is not.
    """
    if not isinstance(change, ProteinChange):
        raise TypeError(f"change must be a ProteinChange (parse_hgvsp), got {change!r}")
    if (gene, change.text) in hotspot_alleles():
        return True
    return gene_roles().get(gene) == "tsg" and change.truncating


def _in_exon(gene: str, exon: int, change: ProteinChange) -> bool:
    if change.consequence == "exon_skipping":
        return change.exon == exon
    rng = exon_ranges().get((gene, exon))
    if rng is None:
        return False
    return rng.first_codon <= change.start and change.end <= rng.last_codon


def _match_exon(pat: Pattern, obs: Observation) -> bool:
    change = obs.change
    if change is None or not _in_exon(obs.gene, pat.exon, change):
        return False
    net = change.net_length_change
    if pat.exon_class == "deletion":
        return change.consequence in {"inframe_deletion", "delins"} and net < 0
    if pat.exon_class == "insertion":
        return change.consequence in {"inframe_insertion", "delins"} and net > 0
    if pat.exon_class == "skipping":
        return change.consequence in {"exon_skipping", "splice"}
    return change.consequence != "synonymous"


def _match_domain(pat: Pattern, obs: Observation) -> bool:
    """Match an activating change inside the domain: a hotspot allele or in-frame insertion."""
    change = obs.change
    rng = protein_domains().get((obs.gene, pat.domain))
    if change is None or rng is None or change.start == 0:
        return False
    if not (rng.first_codon <= change.start and change.end <= rng.last_codon):
        return False
    if (obs.gene, change.text) in hotspot_alleles():
        return True
    return change.net_length_change > 0 and change.consequence in {"inframe_insertion", "delins"}


def pattern_matches(pat: Pattern, obs: Observation) -> bool:
    """Return whether the observed alteration satisfies the pattern (gene already checked)."""
    fam = pat.family
    if obs.kind == "mutation" and obs.change is not None:
        change = obs.change
        if fam == "allele":
            return pat.change is not None and change.text == pat.change.text
        if fam == "codon":
            return (
                change.consequence == "missense"
                and change.start == pat.codon
                and change.ref == pat.ref
            )
        if fam == "exon":
            return _match_exon(pat, obs)
        if fam == "domain":
            return _match_domain(pat, obs)
        if fam == "oncogenic_mutation":
            return is_oncogenic(obs.gene, change)
        if fam == "loss_of_function":
            return change.truncating or (obs.gene, change.text) in hotspot_alleles()
        if fam == "any_mutation":
            return change.consequence != "synonymous"
        return False
    if obs.kind == "copy_number":
        if fam == "copy_number":
            return obs.alteration == pat.text
        return fam == "loss_of_function" and obs.alteration == "DELETION"
    if obs.kind == "fusion":
        if fam != "fusion":
            return False
        others = [p for p in obs.partners if p != obs.gene]
        return not pat.partner or pat.partner in others
    if fam == "phenotype":
        return obs.alteration == pat.text
    if fam in {"ctc_count", "tmb"}:
        return obs.value is not None and obs.value >= pat.threshold
    return False
