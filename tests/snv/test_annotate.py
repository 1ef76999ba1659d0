"""Consequence and HGVSp from a GTF/GFF3 on a synthetic reference with a designed gene."""

import anndata as ad
import numpy as np
import pandas as pd
import pysam
import pytest
from synthetic import CODONS, EXON1, EXON2, make_reference, write_gff3, write_gtf

import ctcgenomics as ctc
from ctcgenomics.snv._annotate import check_gtf_assembly, read_gtf


@pytest.fixture
def syn(tmp_path):
    fa, seq = make_reference(tmp_path)
    return tmp_path, fa, seq


def _adata(rows):
    var = pd.DataFrame(rows, columns=["chrom", "pos", "ref", "alt"])
    var.index = [f"v{i}" for i in range(len(var))]
    return ad.AnnData(np.zeros((1, len(var))), var=var)


COMP = {"A": "T", "C": "G", "G": "C", "T": "A"}


def _minus_snv(seq, cds_offset, alt_sense):
    """VCF (pos, ref, alt) of a sense-strand change at a CDS offset in exon 1 (minus strand)."""
    pos0 = EXON1[1] - 1 - cds_offset
    return pos0 + 1, seq[pos0], COMP[alt_sense]


def test_translation_of_designed_cds(syn):
    _, fa, _ = syn
    t = read_gtf(write_gtf(syn[0] / "a.gtf"))[0]
    with pysam.FastaFile(str(fa)) as fasta:
        assert t.cds_sequence(fasta) == "".join(CODONS)
        check_gtf_assembly([t], fasta)


@pytest.mark.parametrize("fmt", ["gtf", "gff3"])
def test_consequences_and_hgvsp(syn, fmt):
    tmp, fa, seq = syn
    gtf = write_gtf(tmp / "a.gtf") if fmt == "gtf" else write_gff3(tmp / "a.gff3")
    assert CODONS[4] == "CGC" and CODONS[6] == "TGG" and CODONS[9] == "CTG"
    rows = [
        ("syn", *_minus_snv(seq, 12, "A")),  # codon 5 CGC>AGC: R5S
        ("syn", *_minus_snv(seq, 19, "A")),  # codon 7 TGG>TAG: W7*
        ("syn", *_minus_snv(seq, 29, "A")),  # codon 10 CTG>CTA: L10=
    ]
    # 1-bp deletion of CDS offset 72 (codon 25, GAA = E) in exon 2
    pos0 = EXON2[1] - 1 - (72 - 60)
    rows.append(("syn", pos0, seq[pos0 - 1 : pos0 + 1], seq[pos0 - 1]))
    rows.append(("syn", 1401, seq[1400], COMP[seq[1400]]))  # intron
    rows.append(("syn", EXON1[0], seq[EXON1[0] - 1], COMP[seq[EXON1[0] - 1]]))  # splice site
    adata = _adata(rows)
    ctc.snv.annotate(
        adata,
        gtf=gtf,
        reference=fa,
        genes=pd.DataFrame(columns=["contig", "start", "end", "gene_name", "gene_type"]),
    )
    v = adata.var
    assert list(v["HGVSp"][:4]) == ["p.R5S", "p.W7*", "p.L10=", "p.E25fs"]
    assert list(v["consequence"]) == [
        "missense_variant",
        "stop_gained",
        "synonymous_variant",
        "frameshift_variant",
        "intron_variant",
        "splice_site_variant",
    ]
    assert set(v["gene"]) == {"SYN1"}


def test_gtf_of_another_assembly_is_rejected(syn):
    tmp, fa, _ = syn
    adata = _adata([("syn", 1548, "G", "T")])
    with pytest.raises(ctc.snv.AnnotationError, match="another assembly"):
        ctc.snv.annotate(adata, gtf=write_gtf(tmp / "shifted.gtf", shift=37), reference=fa)
    with pytest.raises(ctc.snv.AnnotationError, match="no contig in common"):
        ctc.snv.annotate(adata, gtf=write_gtf(tmp / "named.gtf", contig="17"), reference=fa)


def test_hotspot_annotation_from_packaged_table():
    hot = ctc.snv.load_hotspots()
    adata = _adata([("chr17", 7675088, "C", "T"), ("chr3", 179234297, "A", "G")])
    ctc.snv.annotate(adata, hotspots=hot)
    assert list(adata.var["HGVSp"]) == ["p.R175H", "p.H1047R"]
    assert list(adata.var["gene"]) == ["TP53", "PIK3CA"]
    assert list(adata.var["consequence"]) == ["missense_variant", "missense_variant"]
    assert adata.var["hotspot"].all()


def test_packaged_gene_lookup_by_index_matches_the_whole_table():
    # A panel's few hundred sites are looked up through the gene table's tabix index; an
    # exome's reads the whole table. Both must name the same gene at gene edges (0-based
    # start, 1-based VCF positions), inside genes, between genes and on unknown contigs.
    from ctcgenomics.snv._annotate import _gene_table

    table = _gene_table()
    coding = table[table["gene_type"] == "protein_coding"].sample(60, random_state=3)
    rows = [
        (r.contig, int(p), "A", "C")
        for r in coding.itertuples()
        for p in (r.start, r.start + 1, r.end, r.end + 1, (r.start + r.end) // 2)
    ]
    rows += [("chr1", 1, "A", "C"), ("1", 7675000, "A", "C"), ("chrUn_x", 10, "A", "C")]
    by_index = ctc.snv.annotate(_adata(rows), copy=True).var["gene"].tolist()
    by_table = ctc.snv.annotate(_adata(rows), genes=table, copy=True).var["gene"].tolist()
    assert by_index == by_table
    assert sum(bool(g) for g in by_index) >= 3 * len(coding)  # start+1, end, middle at least
    assert by_index[-3:] == ["", "", ""]
