"""Germline findings: predisposition genes with origin=germline, never somatic; empty runs."""

import anndata as ad
import numpy as np
import pandas as pd
import pysam
import pytest
from synthetic import EXON1, make_reference, ref_reads, snv_reads, write_bam, write_gtf

import ctcgenomics as ctc
from ctcgenomics.cli import main
from ctcgenomics.snv._alteration_rows import load_predisposition_genes


def _calls(var_rows):
    """A genotyped AnnData with 2 CTCs and 1 WBC (all carriers) and the given variants."""
    var = pd.DataFrame(var_rows)
    var.index = [f"v{i}" for i in range(len(var))]
    for col, default in (
        ("qual", 50.0),
        ("p_variant", 0.0),
        ("p_germline", 1.0),
        ("consequence", ""),
        ("HGVSp", ""),
    ):
        if col not in var:
            var[col] = default
    obs = pd.DataFrame({"role": ["ctc", "ctc", "wbc"], "draw": "D1"}, index=["c1", "c2", "w1"])
    gt = np.ones((3, len(var)), dtype=np.int8)
    return ad.AnnData(np.zeros((3, len(var))), obs=obs, var=var, layers={"genotype": gt})


def test_germline_predisposition_variant_is_a_germline_row():
    base = {"chrom": "chr13", "ref": "C", "alt": "T", "somatic": False, "germline": True}
    adata = _calls(
        [
            {**base, "pos": 1, "gene": "BRCA2", "consequence": "stop_gained", "HGVSp": "p.Q1*"},
            {**base, "pos": 2, "gene": "BRCA2", "consequence": "synonymous_variant"},
            {**base, "pos": 3, "gene": "BRCA2", "population_af": 0.2},
            {**base, "pos": 4, "gene": "GAPDH", "consequence": "stop_gained"},
            {**base, "pos": 6, "gene": "BRCA2"},  # no protein consequence known
            {
                **base,
                "pos": 5,
                "gene": "TP53",
                "HGVSp": "p.R175H",
                "germline": False,
                "somatic": True,
                "p_variant": 0.999,
                "p_germline": 0.0,
            },
        ]
    )
    adata.var["population_af"] = [np.nan, np.nan, 0.2, np.nan, np.nan, np.nan]
    rows = ctc.snv.alteration_rows(adata, patient="P1")
    assert list(rows["origin"]) == ["somatic", "germline"]
    germ = rows[rows["origin"] == "germline"].iloc[0]
    assert (germ["gene"], germ["alteration"], germ["kind"]) == ("BRCA2", "p.Q1*", "mutation")
    assert "confirm in a certified laboratory" in germ["evidence"]
    assert germ["n_cells_altered"] == 3  # CTCs and the WBC: constitutional
    assert "BRCA1" in load_predisposition_genes()


def test_cli_writes_germline_finding_with_origin(tmp_path):
    """A germline stop-gain (het in every cell, WBCs included) of a gene in the given
    predisposition list is written with origin=germline, and is not a somatic PASS."""
    fa, seq = make_reference(tmp_path)
    gtf = write_gtf(tmp_path / "g.gtf")
    # codon 7 TGG (W) -> TGA on the minus-strand gene: CDS offset 20, genomic pos0
    pos0 = EXON1[1] - 1 - 20
    alt = {"A": "T", "C": "G", "G": "C", "T": "A"}["A"]
    assert seq[pos0] == "C"
    bams = []
    rows = ["patient\tdraw\tcell\trole\twga"]
    for name, role in (("CTC0", "ctc"), ("CTC1", "ctc"), ("CTC2", "ctc"), ("WBC0", "wbc"),
                       ("WBC1", "wbc")):  # fmt: skip
        reads = ref_reads(seq, pos0 - 25, 14) + snv_reads(seq, pos0 - 25, pos0, alt, 14)
        bams.append(write_bam(tmp_path / f"{name}.bam", seq, reads, cell=name))
        rows.append(f"P1\tD1\t{name}\t{role}\tMDA")
    sheet = tmp_path / "cells.tsv"
    sheet.write_text("\n".join(rows) + "\n")
    genes = tmp_path / "genes.tsv"
    genes.write_text("gene\tsources\nSYN1\ttest\n")
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exc:
        main(
            ["snv", "--bams", *map(str, bams), "--reference", str(fa), "--cells", str(sheet),
             "--patient", "P1", "--hotspots", "none", "--gtf", str(gtf),
             "--predisposition-genes", str(genes), "--vcf", str(out / "snv.vcf.gz"),
             "--h5ad", str(out / "snv.h5ad"), "--alterations", str(out / "alt.tsv")]
        )  # fmt: skip
    assert exc.value.code == 0
    table = pd.read_csv(out / "alt.tsv", sep="\t", dtype=str)
    assert list(table["origin"]) == ["germline"]
    assert table["alteration"].iloc[0] == "p.W7*"
    with pysam.VariantFile(str(out / "snv.vcf.gz")) as vf:
        rec = next(iter(vf.fetch("syn", pos0, pos0 + 1)))
        assert "Germline" in rec.filter.keys() and "SOMATIC" not in rec.info


def test_cli_without_bams_writes_valid_empty_outputs(tmp_path):
    """A patient whose CTCs are all low-pass WGS: no panel BAM, empty but valid outputs."""
    fa, _ = make_reference(tmp_path)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exc:
        main(
            ["snv", "--bams", "--reference", str(fa), "--patient", "P9",
             "--vcf", str(out / "snv.vcf.gz"), "--h5ad", str(out / "snv.h5ad"),
             "--alterations", str(out / "alt.tsv"), "--figure", str(out / "g.png")]
        )  # fmt: skip
    assert exc.value.code == 0
    with pysam.VariantFile(str(out / "snv.vcf.gz")) as vf:
        assert list(vf) == [] and list(vf.header.samples) == []
    back = ad.read_h5ad(out / "snv.h5ad")
    assert back.n_obs == 0 and back.n_vars == 0
    table = ctc.io.read_alterations(out / "alt.tsv")
    assert len(table) == 0
    assert (out / "g.png").stat().st_size > 0
