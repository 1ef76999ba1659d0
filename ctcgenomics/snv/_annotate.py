"""Variant annotation: gene, consequence and HGVSp (hotspot table, or a user GTF/GFF3)."""

from __future__ import annotations

import functools
import gzip
import logging
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pysam

if TYPE_CHECKING:  # anndata is imported where an AnnData is made or read
    import anndata as ad

log = logging.getLogger(__name__)

# The standard genetic code, written out: no well-kept light dependency ships it
# (Biopython would be a large dependency for one table).
_BASES = "TCAG"
_AA = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG"
CODON_TABLE = {
    a + b + c: _AA[16 * i + 4 * j + k]
    for i, a in enumerate(_BASES)
    for j, b in enumerate(_BASES)
    for k, c in enumerate(_BASES)
}
_COMP = str.maketrans("ACGTNacgtn", "TGCANtgcan")


class AnnotationError(ValueError):
    """A GTF/GFF3 does not match the reference (other assembly, contig names)."""


def revcomp(seq: str) -> str:
    """Reverse complement of a DNA sequence."""
    return seq.translate(_COMP)[::-1]


def translate(seq: str) -> str:
    """Translate a coding sequence (standard code; ``X`` for incomplete/ambiguous codons)."""
    return "".join(CODON_TABLE.get(seq[i : i + 3].upper(), "X") for i in range(0, len(seq) - 2, 3))


@dataclass
class Transcript:
    """A coding transcript from a GTF/GFF3 (0-based half-open blocks)."""

    transcript_id: str
    gene: str
    contig: str
    strand: str
    exons: list[tuple[int, int]] = field(default_factory=list)
    cds: list[tuple[int, int]] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)
    has_start_codon: bool = False

    @property
    def cds_length(self) -> int:
        """Length of the coding sequence in bp."""
        return sum(e - s for s, e in self.cds)

    def cds_blocks(self) -> list[tuple[int, int]]:
        """CDS blocks in transcript order (5' to 3')."""
        return sorted(self.cds, reverse=self.strand == "-")

    def cds_offset(self, pos0: int) -> int | None:
        """0-based offset in the CDS of genomic position ``pos0``, or None."""
        off = 0
        for s, e in self.cds_blocks():
            if s <= pos0 < e:
                return off + (pos0 - s if self.strand == "+" else e - 1 - pos0)
            off += e - s
        return None

    def cds_sequence(self, fasta: pysam.FastaFile) -> str:
        """Coding sequence (sense strand) from the reference."""
        parts = [fasta.fetch(self.contig, s, e).upper() for s, e in sorted(self.cds)]
        seq = "".join(parts)
        return revcomp(seq) if self.strand == "-" else seq


_ATTR_GTF = re.compile(r'(\S+)\s+"([^"]*)"')


def read_gtf(path: str | os.PathLike[str]) -> list[Transcript]:
    """Read coding transcripts from a GTF or GFF3 (plain or gzipped).

    Only ``exon``, ``CDS`` and ``start_codon`` features are used; transcripts without a
    CDS are dropped. GFF3 ``Parent`` links CDS/exons to transcripts; gene names come
    from ``gene_name`` (GTF) or ``gene_name``/``Name`` of the parent gene (GFF3).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: GTF/GFF3 not found; fix config key snv.gtf")
    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    tx: dict[str, Transcript] = {}
    gff_gene_names: dict[str, str] = {}
    gff_tx_gene: dict[str, str] = {}
    with opener(path, "rt") as fh:
        for ln, line in enumerate(fh, start=1):
            if line.startswith("#") or not line.strip():
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 9:
                raise AnnotationError(f"{path}, line {ln}: a GTF/GFF3 line needs 9 columns")
            contig, _, ftype, start, end, _, strand, _, attrs = parts[:9]
            if "=" in attrs and '"' not in attrs:  # GFF3
                a = dict(kv.split("=", 1) for kv in attrs.strip(";").split(";") if "=" in kv)
                if ftype == "gene":
                    gff_gene_names[a.get("ID", "")] = a.get("gene_name", a.get("Name", ""))
                    continue
                if ftype in ("mRNA", "transcript"):
                    gff_tx_gene[a.get("ID", "")] = a.get("Parent", "")
                    t = tx.setdefault(
                        a.get("ID", ""), Transcript(a.get("ID", ""), "", contig, strand)
                    )
                    t.tags |= set(a.get("tag", "").split(","))
                    continue
                parents = a.get("Parent", "").split(",")
                tids = parents
            else:
                a = dict(_ATTR_GTF.findall(attrs))
                tags = set(re.findall(r'tag\s+"([^"]*)"', attrs))
                if "transcript_id" not in a:
                    continue
                tids = [a["transcript_id"]]
            for tid in tids:
                t = tx.setdefault(tid, Transcript(tid, a.get("gene_name", ""), contig, strand))
                if "=" not in attrs or '"' in attrs:
                    t.tags |= tags
                s0, e0 = int(start) - 1, int(end)
                if ftype == "exon":
                    t.exons.append((s0, e0))
                elif ftype == "CDS":
                    t.cds.append((s0, e0))
                elif ftype == "start_codon":
                    t.has_start_codon = True
    for tid, t in tx.items():
        if not t.gene and tid in gff_tx_gene:
            t.gene = gff_gene_names.get(gff_tx_gene[tid], "")
    out = [t for t in tx.values() if t.cds]
    for t in out:
        if not t.exons:
            t.exons = list(t.cds)
    return out


def check_gtf_assembly(
    transcripts: list[Transcript], fasta: pysam.FastaFile, *, path: str = "GTF", n_check: int = 200
) -> None:
    """Raise if the annotation does not fit the reference (another assembly or naming).

    Checks that some contigs are shared, and that complete coding sequences (with a
    ``start_codon`` feature, or all when none has one) start with ATG on this reference
    for at least half of up to ``n_check`` transcripts: on another assembly the
    coordinates point at unrelated sequence and almost none do.
    """
    lengths = dict(zip(fasta.references, fasta.lengths, strict=True))
    shared = [t for t in transcripts if t.contig in lengths]
    if transcripts and not shared:
        contigs = sorted({t.contig for t in transcripts})[:3]
        raise AnnotationError(
            f"{path}: no contig in common with the reference (annotation has {contigs}, "
            f"reference {sorted(lengths)[:3]}); use an annotation of the same assembly with "
            "the same contig names (e.g. 'chr17' vs '17')"
        )
    inside = [t for t in shared if max(e for _, e in t.cds) <= lengths[t.contig]]
    with_start = [t for t in inside if t.has_start_codon] or inside
    sample = with_start[:n_check]
    if not sample:
        return
    atg = sum(t.cds_sequence(fasta)[:3] == "ATG" for t in sample)
    if atg / len(sample) < 0.5:
        raise AnnotationError(
            f"{path}: only {atg} of {len(sample)} coding sequences start with ATG on this "
            "reference: the annotation is for another assembly (e.g. hg19 vs hg38); use one "
            "matching the reference (e.g. GENCODE for GRCh38)"
        )


def _pick_transcripts(transcripts: list[Transcript]) -> dict[str, Transcript]:
    """One transcript per gene: Ensembl canonical / MANE Select, else the longest CDS."""
    best: dict[str, Transcript] = {}
    for t in transcripts:
        key = t.gene or t.transcript_id
        cur = best.get(key)
        rank = (bool(t.tags & {"Ensembl_canonical", "MANE_Select"}), t.cds_length)
        if cur is None or rank > (
            bool(cur.tags & {"Ensembl_canonical", "MANE_Select"}),
            cur.cds_length,
        ):
            best[key] = t
    return best


def _consequence_from_hgvsp(hgvsp: str) -> str:
    if not hgvsp:
        return ""
    if hgvsp.endswith("_splice"):
        return "splice_site_variant"
    if "fs" in hgvsp:
        return "frameshift_variant"
    if "delins" in hgvsp or "ins" in hgvsp or "dup" in hgvsp:
        return "inframe_insertion"
    if "del" in hgvsp:
        return "inframe_deletion"
    m = re.match(r"p\.([A-Z*])(\d+)([A-Z*=]+)$", hgvsp)
    if m:
        ref_aa, alt_aa = m.group(1), m.group(3)
        if alt_aa == "*":
            return "stop_gained"
        if ref_aa == "*":
            return "stop_lost"
        if alt_aa in ("=", ref_aa):
            return "synonymous_variant"
        return "start_lost" if m.group(2) == "1" else "missense_variant"
    return "protein_altering_variant"


def annotate_variant(
    t: Transcript, fasta: pysam.FastaFile, pos: int, ref: str, alt: str
) -> tuple[str, str]:
    """Consequence (Sequence Ontology term) and HGVSp short form of one allele.

    ``pos`` is the 1-based VCF position. Protein positions of indels are those of the
    first affected codon; in-frame indels are reported as ``del``/``ins`` of that
    codon (no 3' shifting), frameshifts as ``p.R175fs``.
    """
    p0 = pos - 1
    in_exon = any(s <= p0 < e for s, e in t.exons)
    cds_lo = min(s for s, _ in t.cds)
    cds_hi = max(e for _, e in t.cds)
    if len(ref) == len(alt) == 1:
        off = t.cds_offset(p0)
        if off is None:
            return _noncoding(t, p0, in_exon, cds_lo, cds_hi), ""
        cds = t.cds_sequence(fasta)
        codon_i = off // 3
        codon = cds[3 * codon_i : 3 * codon_i + 3]
        base = alt if t.strand == "+" else revcomp(alt)
        mut = codon[: off % 3] + base + codon[off % 3 + 1 :]
        aa_ref, aa_alt = CODON_TABLE.get(codon, "X"), CODON_TABLE.get(mut, "X")
        if aa_ref == aa_alt:
            return "synonymous_variant", f"p.{aa_ref}{codon_i + 1}="
        hgvsp = f"p.{aa_ref}{codon_i + 1}{aa_alt}"
        return _consequence_from_hgvsp(hgvsp), hgvsp
    # indels: affected reference bases (after the shared anchor base)
    affected = range(p0 + 1, p0 + max(len(ref), 2))
    offs = [o for o in (t.cds_offset(x) for x in affected) if o is not None]
    if len(alt) > len(ref):
        offs = [o for o in (t.cds_offset(x) for x in (p0, p0 + 1)) if o is not None]
    if not offs:
        return _noncoding(t, p0 + 1, in_exon, cds_lo, cds_hi), ""
    codon_i = min(offs) // 3
    cds = t.cds_sequence(fasta)
    aa = CODON_TABLE.get(cds[3 * codon_i : 3 * codon_i + 3], "X")
    diff = len(alt) - len(ref)
    if diff % 3:
        return "frameshift_variant", f"p.{aa}{codon_i + 1}fs"
    if diff < 0:
        return "inframe_deletion", f"p.{aa}{codon_i + 1}del"
    return "inframe_insertion", f"p.{aa}{codon_i + 1}ins"


def _noncoding(t: Transcript, p0: int, in_exon: bool, cds_lo: int, cds_hi: int) -> str:
    if in_exon:
        five = (p0 < cds_lo) == (t.strand == "+")
        return "5_prime_UTR_variant" if five else "3_prime_UTR_variant"
    for s, e in t.exons:
        if s - 2 <= p0 < s or e <= p0 < e + 2:
            return "splice_site_variant"
    lo, hi = min(s for s, _ in t.exons), max(e for _, e in t.exons)
    return "intron_variant" if lo <= p0 < hi else "intergenic_variant"


# Up to this many sites are looked up through the gene table's tabix index (~0.1 ms
# each); more (an exome) read the whole table once (~0.1 s).
_TABIX_MAX_SITES = 500


def _packaged_gene_path() -> str:
    path = resources.files("ctcgenomics.data") / "annotation" / "gencode_v44_genes_hg38.tsv.gz"
    return str(path)


@functools.lru_cache(maxsize=1)
def _gene_table() -> pd.DataFrame:
    genes = pd.read_csv(_packaged_gene_path(), sep="\t")
    genes.columns = [c.lstrip("#") for c in genes.columns]
    return genes


def _packaged_genes_at(keys: list[tuple[str, int, str, str]]) -> list[str]:
    """First protein-coding gene of the packaged table at each (contig, 1-based pos).

    Read through the table's tabix index: a panel has a few hundred sites, and parsing
    all ~63k genes would cost more than the rest of the annotation. Same answer as the
    whole-table lookup of :func:`annotate` (same order, same overlap rule).
    """
    names = [""] * len(keys)
    with pysam.TabixFile(_packaged_gene_path()) as tbx:
        header = tbx.header[-1].lstrip("#").split("\t")
        col = {name: header.index(name) for name in ("start", "end", "gene_name", "gene_type")}
        contigs = set(tbx.contigs)
        order = sorted(
            (i for i, key in enumerate(keys) if key[0] in contigs), key=lambda i: keys[i][:2]
        )
        # One fetch per run of nearby sites (a panel target holds several), not per site.
        for run in _site_runs(order, keys):
            contig, lo, hi = keys[run[0]][0], keys[run[0]][1], keys[run[-1]][1]
            genes = []  # protein-coding genes over the run, in file order
            for line in tbx.fetch(contig, lo - 1, hi):
                fields = line.split("\t")
                if fields[col["gene_type"]] == "protein_coding":
                    genes.append(
                        (
                            int(fields[col["start"]]),
                            int(fields[col["end"]]),
                            fields[col["gene_name"]],
                        )
                    )
            for i in run:
                pos = keys[i][1]
                # genes with start < pos <= end (the index's 0-based starts)
                names[i] = next((name for s, e, name in genes if s < pos <= e), "")
    return names


def _site_runs(order: list[int], keys: list[tuple[str, int, str, str]]) -> list[list[int]]:
    """Split sites sorted by position into runs on one contig less than 10 kb apart."""
    runs: list[list[int]] = []
    for i in order:
        last = runs[-1][-1] if runs else None
        if last is not None and keys[last][0] == keys[i][0] and keys[i][1] - keys[last][1] < 10_000:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def annotate(
    adata: ad.AnnData,
    *,
    hotspots: pd.DataFrame | None = None,
    gtf: str | os.PathLike[str] | None = None,
    reference: str | os.PathLike[str] | None = None,
    genes: pd.DataFrame | None = None,
    copy: bool = False,
) -> ad.AnnData | None:
    """Add ``var`` columns ``gene``, ``consequence``, ``HGVSp``, ``hotspot``.

    Hotspot alleles take gene and HGVSp from the hotspot table; other variants are
    annotated from ``gtf`` (needs ``reference``), using each gene's Ensembl-canonical /
    MANE Select transcript (else the longest CDS). Without a GTF, non-hotspot variants get
    the overlapping gene from the packaged GENCODE gene table and no consequence.

    Parameters
    ----------
    adata
        Cells x variants with ``var`` ``chrom, pos, ref, alt``.
    hotspots
        From :func:`~ctcgenomics.snv.load_hotspots`.
    gtf
        GTF/GFF3 of the reference's assembly (e.g. GENCODE).
    reference
        Reference FASTA (for codons).
    genes
        Gene table (``contig, start, end, gene_name, gene_type``); packaged GENCODE v44
        by default.
    copy
        Return a copy instead of modifying ``adata``.

    Raises
    ------
    AnnotationError
        If the GTF is for another assembly or uses other contig names.
    """
    adata = adata.copy() if copy else adata
    var = adata.var
    n = adata.n_vars
    gene = np.array([""] * n, dtype=object)
    csq = np.array([""] * n, dtype=object)
    hgvsp = np.array([""] * n, dtype=object)
    hot = np.zeros(n, dtype=bool)
    keys = list(
        zip(
            var["chrom"].astype(str),
            var["pos"].astype(int),
            var["ref"].astype(str),
            var["alt"].astype(str),
            strict=True,
        )
    )
    if genes is None and len(keys) <= _TABIX_MAX_SITES:
        gene[:] = _packaged_genes_at(keys)
    else:
        if genes is None:
            genes = _gene_table()
        pc = genes[genes["gene_type"] == "protein_coding"]
        by_contig = {
            c: (g["start"].to_numpy(), g["end"].to_numpy(), g["gene_name"].to_numpy())
            for c, g in pc.groupby("contig", sort=False)
        }
        for i, (c, p, _, _) in enumerate(keys):
            if c in by_contig:
                starts, ends, names = by_contig[c]
                hit = np.flatnonzero((starts < p) & (ends >= p))
                if len(hit):
                    gene[i] = names[hit[0]]
    if gtf is not None:
        if reference is None:
            raise ValueError("annotating from a GTF needs the reference FASTA")
        transcripts = read_gtf(gtf)
        with pysam.FastaFile(str(reference)) as fasta:
            check_gtf_assembly(transcripts, fasta, path=str(gtf))
            chosen = list(_pick_transcripts(transcripts).values())
            for i, (c, p, r, a) in enumerate(keys):
                for t in chosen:
                    lo, hi = min(s for s, _ in t.exons), max(e for _, e in t.exons)
                    if t.contig == c and lo - 2 <= p - 1 < hi + 2:
                        csq[i], hgvsp[i] = annotate_variant(t, fasta, p, r, a)
                        gene[i] = t.gene or gene[i]
                        break
    if hotspots is not None and len(hotspots):
        table = hotspots.set_index(["contig", "pos", "ref", "alt"])
        for i, k in enumerate(keys):
            if k in table.index:
                rec = table.loc[k]
                rec = rec.iloc[0] if isinstance(rec, pd.DataFrame) else rec
                hot[i] = True
                gene[i] = rec["gene"] or gene[i]
                if rec["hgvsp"]:
                    hgvsp[i] = rec["hgvsp"]
                    csq[i] = _consequence_from_hgvsp(rec["hgvsp"])
    var["gene"] = gene.astype(str)
    var["consequence"] = csq.astype(str)
    var["HGVSp"] = hgvsp.astype(str)
    var["hotspot"] = hot
    return adata if copy else None
