"""Tiny synthetic reference, reads and annotation with known truth (no aligner needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pysam

COMP = str.maketrans("ACGT", "TGCA")


def revcomp(s: str) -> str:
    return s.translate(COMP)[::-1]


# Designed CDS, 40 codons: codon 5 CGC (R), 7 TGG (W), 10 CTG (L), 25 GAA (E), stop TAA.
CODONS = ["ATG", "GCT", "AAA", "GAT", "CGC", "TCT", "TGG", "GGT", "CCA", "CTG"]
CODONS += ["ACC", "GTT", "AAC", "GAG", "CAT", "TTC", "ATC", "GCC", "AGC", "CCG"]
CODONS += ["TAC", "GGA", "AAG", "GTC", "GAA", "TCC", "ACT", "CAG", "GCA", "TTT"]
CODONS += ["ATT", "GGC", "AAT", "CTC", "GTG", "ACA", "CCT", "GAC", "TGC", "TAA"]
CDS = "".join(CODONS)
EXON1 = (1500, 1560)  # 0-based half-open; gene on the minus strand: exon 1 is 3'-most
EXON2 = (1200, 1260)


def make_reference(tmp: Path, seed: int = 3) -> tuple[Path, str]:
    rng = np.random.default_rng(seed)
    seq = list("".join(rng.choice(list("ACGT"), size=3000)))
    # minus-strand gene: CDS[0:60] on exon 1, CDS[60:120] on exon 2
    seq[EXON1[0] : EXON1[1]] = revcomp(CDS[:60])
    seq[EXON2[0] : EXON2[1]] = revcomp(CDS[60:])
    seq = "".join(seq)
    fa = tmp / "syn.fa"
    fa.write_text(">syn\n" + "\n".join(seq[i : i + 60] for i in range(0, len(seq), 60)) + "\n")
    pysam.faidx(str(fa))
    return fa, seq


def write_gtf(path: Path, *, shift: int = 0, contig: str = "syn") -> Path:
    lines = []
    attrs = 'gene_id "G1"; transcript_id "T1"; gene_name "SYN1"; tag "Ensembl_canonical";'
    for s, e in (EXON1, EXON2):
        for ftype in ("exon", "CDS"):
            lines.append(f"{contig}\ttest\t{ftype}\t{s + 1 + shift}\t{e + shift}\t.\t-\t.\t{attrs}")
    lines.append(
        f"{contig}\ttest\tstart_codon\t{EXON1[1] - 2 + shift}\t{EXON1[1] + shift}\t.\t-\t.\t{attrs}"
    )
    path.write_text("\n".join(lines) + "\n")
    return path


def write_gff3(path: Path) -> Path:
    lines = [
        "##gff-version 3",
        "syn\ttest\tgene\t1201\t1560\t.\t-\t.\tID=G1;gene_name=SYN1",
        "syn\ttest\tmRNA\t1201\t1560\t.\t-\t.\tID=T1;Parent=G1",
    ]
    for s, e in (EXON1, EXON2):
        lines.append(f"syn\ttest\texon\t{s + 1}\t{e}\t.\t-\t.\tParent=T1")
        lines.append(f"syn\ttest\tCDS\t{s + 1}\t{e}\t.\t-\t0\tParent=T1")
    path.write_text("\n".join(lines) + "\n")
    return path


def write_bam(
    path: Path,
    ref_seq: str,
    reads: list[tuple[int, str, str, bool]],
    *,
    cell: str,
    index: bool = True,
    sort: bool = True,
) -> Path:
    """Write reads ``(start, cigar, sequence, reverse)`` as a BAM (MAPQ 60, quality 35)."""
    header = {
        "HD": {"VN": "1.6", "SO": "coordinate" if sort else "unsorted"},
        "SQ": [{"SN": "syn", "LN": len(ref_seq)}],
        "RG": [{"ID": cell, "SM": cell}],
    }
    order = sorted(range(len(reads)), key=lambda i: reads[i][0]) if sort else range(len(reads))
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for n, i in enumerate(order):
            start, cigar, seq, rev = reads[i]
            a = pysam.AlignedSegment(out.header)
            a.query_name = f"r{n}"
            a.flag = 16 if rev else 0
            a.reference_id = 0
            a.reference_start = start
            a.mapping_quality = 60
            a.cigarstring = cigar
            a.query_sequence = seq
            a.query_qualities = pysam.qualitystring_to_array("F" * len(seq))
            a.set_tag("RG", cell)
            out.write(a)
    if index:
        pysam.index(str(path))
    return path


def ref_reads(ref_seq: str, start: int, n: int, length: int = 50) -> list:
    """``n`` reference reads starting at ``start`` (alternating strands)."""
    return [(start, f"{length}M", ref_seq[start : start + length], i % 2 == 1) for i in range(n)]


def snv_reads(ref_seq: str, start: int, pos0: int, alt: str, n: int, length: int = 50) -> list:
    seq = ref_seq[start:pos0] + alt + ref_seq[pos0 + 1 : start + length]
    return [(start, f"{length}M", seq, i % 2 == 1) for i in range(n)]


def del_reads(ref_seq: str, start: int, anchor0: int, dlen: int, n: int, length: int = 50):
    left = anchor0 + 1 - start
    seq = ref_seq[start : anchor0 + 1] + ref_seq[anchor0 + 1 + dlen : start + length + dlen]
    cig = f"{left}M{dlen}D{length - left}M"
    return [(start, cig, seq, i % 2 == 1) for i in range(n)]


def snv_cells(tmp: Path, seq: str, n_ctc: int = 4, n_wbc: int = 4) -> tuple[list, Path, str]:
    """BAMs and cell sheet of patient P1: a subclonal variant at 1000 in half the CTCs.

    No WBC carries it (so it is hardly germline). Returns the BAMs, the sheet and the
    alternate base.
    """
    bams = []
    alt = "A" if seq[1000] != "A" else "C"
    for i in range(n_ctc):
        n_alt = 12 if i < n_ctc // 2 else 0
        reads = ref_reads(seq, 975, 24 - n_alt) + snv_reads(seq, 975, 1000, alt, n_alt)
        bams.append(write_bam(tmp / f"CTC{i}.bam", seq, reads, cell=f"CTC{i}"))
    for i in range(n_wbc):
        bams.append(write_bam(tmp / f"WBC{i}.bam", seq, ref_reads(seq, 975, 24), cell=f"WBC{i}"))
    sheet = tmp / "cells.tsv"
    rows = ["patient\tdraw\tcell\trole"]
    rows += [f"P1\tD1\tCTC{i}\tctc" for i in range(n_ctc)]
    rows += [f"P1\tD1\tWBC{i}\twbc" for i in range(n_wbc)]
    sheet.write_text("\n".join(rows) + "\n")
    return bams, sheet, alt


def snv_command(bams: list, fa: Path, sheet: Path, out: Path, *extra: str) -> list[str]:
    """``ctcg snv`` arguments for patient P1 writing snv.vcf.gz, snv.h5ad and alterations.tsv
    into ``out``."""
    return [
        "snv",
        "--bams",
        *map(str, bams),
        "--reference",
        str(fa),
        "--cells",
        str(sheet),
        "--patient",
        "P1",
        "--vcf",
        str(out / "snv.vcf.gz"),
        "--h5ad",
        str(out / "snv.h5ad"),
        "--alterations",
        str(out / "alterations.tsv"),
        *extra,
    ]
