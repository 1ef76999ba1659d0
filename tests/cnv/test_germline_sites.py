"""Heterozygous germline SNPs found in the pooled cells and per-cell allele counts there.

Simulator reads (real hg38 sequence, 1.5 Mb) with planted germline heterozygous SNPs
(rate 2e-3, each on haplotype a or b), MDA-like amplification with amplification
errors (cell-private artefacts), 3 diploid WBCs and 3 CTCs that lost haplotype b on
the second half (LOH), about 1x per cell. Checked against the simulation truth: which
sites are germline heterozygous (recall, precision) and each cell's expected alt
fraction there (truth ``EAF``).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pysam
import pytest

from ctcgenomics.cnv._germline import (
    HetSiteParams,
    count_site_alleles,
    germline_allele_counts,
    het_posterior,
)

REF = Path(__file__).parents[2] / "ctcgenomics/data/reference/hg38_chr17_1-7843138.fa.gz"
LENGTH = 1_500_000
HALF = 750_000


def _spec(reference: str) -> dict:
    def cell(i: int, role: str, clone: str) -> dict:
        return {"id": f"{role}{i}", "draw": "D1", "role": role, "clone": clone}

    return {
        "seed": 5,
        "reference": reference,
        "read_length": 100,
        "insert_size": {"mean": 300, "sd": 40},
        "sequencing_error_rate": 0.001,
        "duplicate_rate": 0.05,
        "germline": {"het_snp_rate": 0.002},
        "clones": {
            "normal": {},
            "L": {
                "segments": [{"chrom": "chr17", "start": HALF, "end": LENGTH, "cn_a": 1, "cn_b": 0}]
            },
        },
        "cell_defaults": {
            "patient": "P1",
            "assay": "wgs",
            "wga": "MDA",
            "n_read_pairs": 7_500,
            "dropout_rate": 0.05,
            # MDA-like, with amplification errors at 10x the default rate (more artefacts
            # than real cells carry, to test that they are not taken for germline SNPs).
            "amplification": {
                "bias_sd": 0.1,
                "bias_length": 200_000,
                "block_sd": 0.3,
                "error_rate": 1.0e-4,
            },
        },
        "cells": [cell(i, "wbc", "normal") for i in (1, 2, 3)]
        + [cell(i, "ctc", "L") for i in (1, 2, 3)],
    }


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    from ctcgenomics.align import align_cell, prepare_reference
    from ctcgenomics.simulate import simulate

    work = tmp_path_factory.mktemp("germline")
    with pysam.FastaFile(str(REF)) as ref:
        seq = ref.fetch("chr17", 0, LENGTH)
    fasta = work / "ref.fa"
    fasta.write_text(">chr17\n" + "\n".join(seq[i : i + 80] for i in range(0, LENGTH, 80)) + "\n")
    genome = prepare_reference(fasta, work / "ref")
    out = simulate(_spec(str(genome)), work / "sim")
    bams = {}
    for cell, (fq1, fq2) in out.fastq.items():
        bam = work / "bam" / f"{cell}.bam"
        bam.parent.mkdir(exist_ok=True)
        align_cell(fq1, fq2, genome, bam, cell=cell)
        bams[cell] = str(bam)
    truth = []
    with pysam.VariantFile(str(out.variants)) as vcf:
        cells = list(vcf.header.samples)
        for rec in vcf:
            eaf = [rec.samples[c].get("EAF") for c in cells]
            truth.append((rec.chrom, rec.pos, rec.ref, rec.alts[0], rec.info["ORIGIN"], *eaf))
    truth = pd.DataFrame(truth, columns=["chrom", "pos", "ref", "alt", "origin", *cells])
    sites, counts = germline_allele_counts(bams, genome)
    return {"genome": genome, "bams": bams, "truth": truth, "sites": sites, "counts": counts}


def test_het_sites_recall_and_precision(sim):
    truth, sites = sim["truth"], sim["sites"]
    germ = truth[truth["origin"] == "germline"]
    assert len(germ) > 2000  # the simulator planted them (rate 2e-3 over 1.5 Mb)
    key = lambda f: set(zip(f["chrom"], f["pos"], f["alt"], strict=True))  # noqa: E731
    found, true = key(sites), key(germ)
    precision = len(found & true) / len(found)
    recall = len(found & true) / len(true)
    # Sites kept at posterior >= 0.95: the model expects at most ~5 % of them false.
    assert precision >= 0.95, (precision, sorted(found - true)[:10])
    # Recall is bounded by the depth (~5x pooled): only about half of the true sites
    # show the second allele twice. Where at least 3 cells show it and a read shows the
    # reference, the sites are clear and must be found.
    rows = []
    for bam in sim["bams"].values():
        got = count_site_alleles(bam, germ)
        rows.append(pd.DataFrame({"site": np.arange(len(germ)), "ref": got["ref_count"],
                                  "alt_cell": got["alt_count"] > 0}))  # fmt: skip
    per = pd.concat(rows).groupby("site").sum()
    clear = (per["alt_cell"] >= 3) & (per["ref"] >= 1)
    clear_keys = key(germ[clear.to_numpy()])
    assert len(clear_keys) > 300
    assert len(found & clear_keys) / len(clear_keys) >= 0.9
    assert recall >= 0.3, recall
    # None of the amplification errors (cell-private) is taken for a germline SNP.
    artefacts = key(truth[truth["origin"] == "amplification_error"])
    assert len(artefacts) > 100 and not found & artefacts


def test_allele_counts_match_truth(sim):
    truth, counts = sim["truth"], sim["counts"]
    germ = truth[truth["origin"] == "germline"].reset_index(drop=True)
    assert set(counts["cell"]) == set(sim["bams"])
    for cell, bam in sim["bams"].items():
        # Every planted site, not only the called ones: those were selected for alt reads.
        got = count_site_alleles(bam, germ)
        eaf = germ[cell].to_numpy(dtype=float)
        n = (got["ref_count"] + got["alt_count"]).to_numpy()
        alt = got["alt_count"].to_numpy()
        # Alleles absent from the cell (LOH, truth EAF 0 or 1) read only as errors.
        assert alt[eaf == 0].sum() <= 0.01 * n[eaf == 0].sum() + 1, cell
        assert (n - alt)[eaf == 1].sum() <= 0.01 * n[eaf == 1].sum() + 1, cell
        # Where both alleles are present the alt fraction is the truth's (pooled over sites).
        mid = (eaf > 0) & (eaf < 1)
        assert abs(alt[mid].sum() / n[mid].sum() - eaf[mid] @ n[mid] / n[mid].sum()) < 0.05, cell
        # The output holds the same counts at the called sites.
        mine = counts[counts["cell"] == cell].merge(germ[["pos"]].assign(i=germ.index), on="pos")
        assert (mine["alt_count"].to_numpy() == alt[mine["i"]]).all(), cell
    ctcs = counts[counts["cell"].str.startswith("ctc") & (counts["pos"] > HALF)]
    assert len(ctcs) > 100  # the LOH half has sites with CTC reads


def test_counts_agree_with_pysam_coverage(sim):
    """The read walk gives what pysam's column counter gives, with the same filters."""
    sites = sim["sites"].iloc[:400]
    bam = sim["bams"]["ctc1"]
    got = count_site_alleles(bam, sites)
    idx = {b: i for i, b in enumerate("ACGT")}

    def keep(read) -> bool:
        return not (read.flag & 0xF04) and read.mapping_quality >= 20

    with pysam.AlignmentFile(bam) as h:
        for row, g in zip(sites.itertuples(), got.itertuples(), strict=True):
            cov = h.count_coverage(row.chrom, row.pos - 1, row.pos, quality_threshold=20,
                                   read_callback=keep)  # fmt: skip
            ref, alt = cov[idx[row.ref]][0], cov[idx[row.alt]][0]
            # Overlapping mates count once here, twice in count_coverage.
            assert g.ref_count <= ref and g.alt_count <= alt
            assert ref + alt - (g.ref_count + g.alt_count) <= 1


def test_given_vcf_sites_genotyped_and_population(sim, tmp_path):
    truth = sim["truth"]
    germ = truth[truth["origin"] == "germline"].iloc[:300]
    header = pysam.VariantHeader()
    header.contigs.add("chr17", length=LENGTH)
    header.add_meta("FORMAT", items=[("ID", "GT"), ("Number", 1), ("Type", "String"),
                                     ("Description", "Genotype")])  # fmt: skip
    header.add_meta("INFO", items=[("ID", "AF"), ("Number", "A"), ("Type", "Float"),
                                   ("Description", "Allele frequency")])  # fmt: skip
    header.add_sample("normal")
    path = tmp_path / "normal.vcf.gz"
    with pysam.VariantFile(str(path), "wz", header=header) as out:
        for i, r in enumerate(germ.itertuples()):
            rec = out.new_record(contig="chr17", start=r.pos - 1, alleles=(r.ref, r.alt))
            rec.samples["normal"]["GT"] = (0, 1) if i % 3 else (1, 1)  # every third hom
            out.write(rec)
    sites, counts = germline_allele_counts(sim["bams"], sites=path)
    assert len(sites) == sum(1 for i in range(len(germ)) if i % 3)
    assert (sites["posterior"] == 1).all() and set(counts["pos"]) <= set(sites["pos"])
    # A sites-only VCF: candidates, tested on the cells (prior 2p(1-p) from AF).
    plain = tmp_path / "pop.vcf"
    with gzip.open(path, "rt") as fh:
        lines = [ln.split("\t")[:8] for ln in fh if not ln.startswith("##")]
    hdr = [ln for ln in gzip.open(path, "rt") if ln.startswith("##")]
    body = ["\t".join([*ln[:7], "AF=0.4" if ln[0] != "#CHROM" else ln[7]]) for ln in lines]
    plain.write_text("".join(hdr) + "\n".join(body) + "\n")
    sites2, _ = germline_allele_counts(sim["bams"], sites=plain)
    assert 0 < len(sites2) <= len(germ)
    assert set(sites2["pos"]) <= set(germ["pos"])


def test_het_posterior_prefers_reads_spread_over_cells():
    params = HetSiteParams()
    # Site 0: 3 alt reads in 3 cells; site 1: 3 alt reads in one cell; 1 ref read each.
    site = np.array([0, 0, 0, 0, 1, 1])
    ref = np.array([0, 0, 0, 1, 0, 1])
    alt = np.array([1, 1, 1, 0, 3, 0])
    post = het_posterior(site, ref, alt, 2, params)
    assert post[0] > 0.99 and post[1] < params.min_posterior
    # A single alt read never passes at the human heterozygosity prior.
    assert het_posterior(np.array([0]), np.array([3]), np.array([1]), 1, params)[0] < 0.5
