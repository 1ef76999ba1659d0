"""Bad or awkward input: missing index, empty cells, multi-allelic sites, mismatched contigs."""

import subprocess

import numpy as np
import pandas as pd
import pysam
import pytest
from synthetic import del_reads, make_reference, ref_reads, snv_reads, write_bam

import ctcgenomics as ctc
from ctcgenomics.io._bam_index import BamIndexError
from ctcgenomics.snv._genotype import NOT_EVALUABLE
from ctcgenomics.snv._pileup import left_align
from ctcgenomics.snv._sites import SiteFileError

POS0 = 1000  # 0-based site used below


@pytest.fixture
def syn(tmp_path):
    fa, seq = make_reference(tmp_path)
    return tmp_path, fa, seq


def _cell_reads(seq, *, alt_c=0, alt_g=0, dels=0, ref=20):
    reads = ref_reads(seq, POS0 - 25, ref)
    other = {"A": "C", "C": "G", "G": "T", "T": "A"}
    a1 = other[seq[POS0]]
    a2 = other[a1] if other[a1] != seq[POS0] else other[other[a1]]
    reads += snv_reads(seq, POS0 - 25, POS0, a1, alt_c)
    reads += snv_reads(seq, POS0 - 25, POS0, a2, alt_g)
    reads += del_reads(seq, POS0 - 25, POS0, 2, dels)
    return reads, a1, a2


def test_missing_index_is_created(syn):
    tmp, fa, seq = syn
    reads, _, _ = _cell_reads(seq, alt_c=10)
    bam = write_bam(tmp / "c1.bam", seq, reads, cell="c1", index=False)
    assert not (tmp / "c1.bam.bai").exists()
    adata = ctc.snv.count_alleles({"c1": bam}, fa)
    assert (tmp / "c1.bam.bai").exists()
    assert adata.n_vars >= 1


def test_unsorted_bam_without_index_fails_clearly(syn):
    tmp, fa, seq = syn
    reads = ref_reads(seq, 500, 5) + ref_reads(seq, 100, 5)
    bam = write_bam(tmp / "u.bam", seq, reads, cell="u", index=False, sort=False)
    with pytest.raises(BamIndexError, match=r"u\.bam.*samtools sort"):
        ctc.snv.count_alleles({"u": bam}, fa)


def test_multiallelic_snvs_and_indel_at_one_position(syn):
    tmp, fa, seq = syn
    bams = {}
    for i in range(4):
        reads, a1, a2 = _cell_reads(seq, alt_c=8, alt_g=6, dels=7, ref=15)
        bams[f"c{i}"] = write_bam(tmp / f"c{i}.bam", seq, reads, cell=f"c{i}")
    adata = ctc.snv.call(bams, fa, hotspots=None)
    v = adata.var
    anchor = seq[POS0]
    # The deletion of the 2 bases after POS0 is reported left-aligned (as bcftools norm).
    d_anchor, d_ref, d_alt = left_align((POS0, seq[POS0 : POS0 + 3], anchor), seq, 0)
    alleles = {(r.pos, r.ref, r.alt) for r in v.itertuples()}
    assert {(POS0 + 1, anchor, a1), (POS0 + 1, anchor, a2), (d_anchor + 1, d_ref, d_alt)} <= (
        alleles
    )
    j_c = list(v.index).index(f"syn:{POS0 + 1}:{anchor}>{a1}")
    j_d = list(v.index).index(f"syn:{d_anchor + 1}:{d_ref}>{d_alt}")
    assert np.all(adata.layers["alt"][:, j_c] == 8)
    assert np.all(adata.layers["ref"][:, j_c] == 15 + 7)  # deletion reads keep the anchor base
    assert np.all(adata.layers["alt"][:, j_d] == 7)
    # reference support of the deletion: reads with a base after the anchor
    assert np.all(adata.layers["ref"][:, j_d] == 15 + 8 + 6)
    vcf = ctc.snv.write_vcf(adata, tmp / "m.vcf.gz", fa)
    lines = subprocess.run(
        ["bcftools", "view", "-H", str(vcf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert sum(line.split("\t")[1] == str(POS0 + 1) for line in lines) == 2
    assert sum(line.split("\t")[1] == str(d_anchor + 1) for line in lines) >= 1
    with pysam.VariantFile(str(vcf)) as vf:
        recs = [r for r in vf if r.pos == POS0 + 1 or (r.pos == d_anchor + 1 and r.ref == d_ref)]
        assert len(recs) == 3
        assert all(r.samples["c0"]["AD"][1] in (8, 6, 7) for r in recs)


def test_cell_without_coverage_is_not_evaluable(syn):
    tmp, fa, seq = syn
    bams = {}
    for i in range(3):
        reads, _, _ = _cell_reads(seq, alt_c=10, ref=10)
        bams[f"c{i}"] = write_bam(tmp / f"c{i}.bam", seq, reads, cell=f"c{i}")
    bams["empty"] = write_bam(tmp / "empty.bam", seq, [], cell="empty")
    cells = pd.DataFrame({"role": "ctc", "draw": "D1"}, index=list(bams))
    adata = ctc.snv.call(bams, fa, cells=cells, hotspots=None)
    gt = adata[["empty"]].layers["genotype"]
    assert np.all(gt == NOT_EVALUABLE)
    assert adata.obs.loc["empty", "n_bases"] == 0
    rows = ctc.snv.alteration_rows(adata, patient="P1")
    assert (rows["n_cells_evaluable"] <= 3).all()


def test_bam_of_other_reference_is_rejected(syn, tmp_path):
    tmp, fa, seq = syn
    bam = write_bam(tmp / "x.bam", seq + "ACGT", ref_reads(seq, 100, 3), cell="x")
    with pytest.raises(ctc.snv.ReferenceMismatchError, match="length"):
        ctc.snv.count_alleles({"x": bam}, fa)


def test_bad_bed_names_line(tmp_path):
    bed = tmp_path / "t.bed"
    bed.write_text("syn\t10\t20\nsyn\tx\t30\n")
    with pytest.raises(SiteFileError, match="line 2"):
        ctc.snv.read_bed(bed)


def test_forced_user_site_is_reported_without_support(syn):
    tmp, fa, seq = syn
    reads = ref_reads(seq, 1500, 20)
    bam = write_bam(tmp / "c.bam", seq, reads, cell="c")
    site = tmp / "sites.vcf"
    alt = "A" if seq[1510] != "A" else "C"
    site.write_text(
        "##fileformat=VCFv4.2\n##contig=<ID=syn,length=3000>\n"
        f"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nsyn\t1511\t.\t{seq[1510]}\t{alt}\t.\t.\t.\n"
    )
    adata = ctc.snv.call({"c": bam}, fa, sites=[site], hotspots=None, targets=None)
    rec = adata.var.loc[f"syn:1511:{seq[1510]}>{alt}"]
    assert rec["forced"] == "user" and not rec["somatic"]
    j = list(adata.var_names).index(f"syn:1511:{seq[1510]}>{alt}")
    assert adata.layers["ref"][0, j] == 20 and adata.layers["genotype"][0, j] == 0


def test_call_without_bams_names_the_fix():
    with pytest.raises(ValueError, match="no BAM given"):
        ctc.snv.call({}, "genome.fa")
    with pytest.raises(TypeError, match="map cell IDs to BAM paths"):
        ctc.snv.call(["c1.bam"], "genome.fa")


def test_cell_table_and_bam_list_must_agree(syn):
    tmp, fa, seq = syn
    reads, _, _ = _cell_reads(seq, alt_c=10)
    bam = write_bam(tmp / "c1.bam", seq, reads, cell="c1")
    cells = pd.DataFrame({"role": ["ctc", "wbc"], "draw": "D1"}, index=["c1", "w9"])
    with pytest.raises(ValueError, match=r"w9.*no BAM"):
        ctc.snv.call({"c1": bam}, fa, cells=cells, hotspots=None)
    with pytest.raises(ValueError, match=r"no row for BAM cell\(s\) \['c1'\]"):
        ctc.snv.call({"c1": bam}, fa, cells=cells.loc[["w9"]], hotspots=None)
    with pytest.raises(ValueError, match="'ctc' or 'wbc'"):
        ctc.snv.call({"c1": bam}, fa, cells=pd.DataFrame({"role": ["tumour"]}, index=["c1"]))


def test_public_steps_check_their_input():
    import anndata as ad

    bare = ad.AnnData(np.zeros((2, 3)))
    with pytest.raises(KeyError, match="layers lacks"):
        ctc.snv.genotype(bare)
    with pytest.raises(KeyError, match=r"run ctc\.snv\.genotype"):
        ctc.snv.apply_filters(bare)
    with pytest.raises(KeyError, match="alteration_rows"):
        ctc.snv.alteration_rows(bare, patient="P1")


def _vcf(path, contig, length, records):
    lines = [
        "##fileformat=VCFv4.2",
        f"##contig=<ID={contig},length={length}>",
        '##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
    ]
    lines += [f"{contig}\t{p}\t.\t{r}\t{a}\t.\t.\tAF=0.2" for p, r, a in records]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_germline_or_population_vcf_of_another_build_is_rejected(syn):
    tmp, fa, seq = syn
    reads, _, _ = _cell_reads(seq, alt_c=10)
    bams = {"c1": write_bam(tmp / "c1.bam", seq, reads, cell="c1")}
    other = "A" if seq[1000] != "A" else "C"
    # other contig names
    renamed = _vcf(tmp / "chr.vcf", "chrsyn", len(seq), [(1001, seq[1000], other)])
    with pytest.raises(SiteFileError, match="no contig name in common"):
        ctc.snv.call(bams, fa, hotspots=None, population_vcf=renamed)
    # same name, other length: another build
    longer = _vcf(tmp / "long.vcf", "syn", len(seq) + 500, [(1001, seq[1000], other)])
    with pytest.raises(SiteFileError, match="another genome build"):
        ctc.snv.call(bams, fa, hotspots=None, germline_sites=longer)
    # no contig lengths, but REF alleles that disagree with this reference
    wrong = [
        (p, "ACGT"[("ACGT".index(seq[p - 1]) + 1) % 4], seq[p - 1]) for p in range(100, 160, 6)
    ]
    lines = ["##fileformat=VCFv4.2", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    lines += [f"syn\t{p}\t.\t{r}\t{a}\t.\t.\t." for p, r, a in wrong]
    (tmp / "ref.vcf").write_text("\n".join(lines) + "\n")
    with pytest.raises(SiteFileError, match=r"REF alleles disagree.*another genome build"):
        ctc.snv.call(bams, fa, hotspots=None, germline_sites=tmp / "ref.vcf")


def test_population_vcf_makes_a_listed_common_allele_germline(syn):
    """Two shallow WBCs without the allele cannot rule out germline; a population VCF that
    lists the allele as common does, and the same allele unlisted stays somatic-leaning."""
    tmp, fa, seq = syn
    bams = {}
    for i in range(3):
        reads, a1, _ = _cell_reads(seq, alt_c=12, ref=12)
        bams[f"c{i}"] = write_bam(tmp / f"c{i}.bam", seq, reads, cell=f"c{i}")
    for i in range(2):
        bams[f"w{i}"] = write_bam(
            tmp / f"w{i}.bam", seq, ref_reads(seq, POS0 - 25, 4), cell=f"w{i}"
        )
    cells = pd.DataFrame({"role": ["ctc"] * 3 + ["wbc"] * 2, "draw": "D1"}, index=list(bams))
    pop = _vcf(tmp / "pop.vcf", "syn", len(seq), [(POS0 + 1, seq[POS0], a1)])
    listed = ctc.snv.call(bams, fa, cells=cells, hotspots=None, population_vcf=pop)
    key = f"syn:{POS0 + 1}:{seq[POS0]}>{a1}"
    assert listed.var.loc[key, "germline"] and not listed.var.loc[key, "somatic"]
    assert listed.var.loc[key, "population_af"] == pytest.approx(0.2)
    plain = ctc.snv.call(bams, fa, cells=cells, hotspots=None)
    assert plain.var.loc[key, "p_germline"] < listed.var.loc[key, "p_germline"]


def test_no_candidate_at_all_gives_valid_empty_outputs(syn):
    tmp, fa, seq = syn
    bams = {
        c: write_bam(tmp / f"{c}.bam", seq, ref_reads(seq, 100, 20), cell=c) for c in ("c", "w")
    }
    cells = pd.DataFrame({"role": ["ctc", "wbc"], "draw": "D1"}, index=list(bams))
    adata = ctc.snv.call(bams, fa, cells=cells, hotspots=None)
    assert adata.shape == (2, 0)
    assert len(ctc.snv.alteration_rows(adata, patient="P1")) == 0
    ctc.snv.write_vcf(adata, tmp / "e.vcf.gz", fa)
    adata.write_h5ad(tmp / "e.h5ad")


def test_duplicate_cell_rows_are_refused_naming_the_cell(syn):
    # A cell listed twice (once as a CTC, once as a WBC) made pandas fail with "cannot
    # reindex on an axis with duplicate labels", naming neither the table nor the cell.
    tmp, fa, seq = syn
    reads, _, _ = _cell_reads(seq, alt_c=10)
    bams = {c: write_bam(tmp / f"{c}.bam", seq, reads, cell=c) for c in ("c1", "c2")}
    cells = pd.DataFrame({"role": ["ctc", "ctc", "wbc"], "draw": "D1"}, index=["c1", "c2", "c1"])
    with pytest.raises(ValueError, match=r"more than one row for cell\(s\) \['c1'\]"):
        ctc.snv.call(bams, fa, cells=cells, hotspots=None)


def test_cell_table_with_integer_ids_matches_the_bams(syn):
    # The check compared the IDs as strings but the table kept its integer index: every
    # cell's role became NaN and the run failed with "role value(s) ['nan']".
    tmp, fa, seq = syn
    reads, _, _ = _cell_reads(seq, alt_c=10)
    bams = {"1": write_bam(tmp / "1.bam", seq, reads, cell="1")}
    bams["2"] = write_bam(tmp / "2.bam", seq, ref_reads(seq, POS0 - 25, 20), cell="2")
    cells = pd.DataFrame({"role": ["ctc", "wbc"], "draw": "D1"}, index=[1, 2])
    adata = ctc.snv.call(bams, fa, cells=cells, hotspots=None)
    assert list(adata.obs["role"]) == ["ctc", "wbc"]


def test_targets_are_checked_against_the_reference(syn, caplog):
    tmp, fa, seq = syn
    reads, _, _ = _cell_reads(seq, alt_c=10)
    bams = {"c1": write_bam(tmp / "c1.bam", seq, reads, cell="c1")}
    bed = tmp / "t.bed"
    # Each of these used to run on no target at all and write empty outputs, silently.
    bed.write_text("track name=panel\n")
    with pytest.raises(SiteFileError, match=r"t\.bed: no region in the BED"):
        ctc.snv.call(bams, fa, targets=bed, hotspots=None)
    bed.write_text("chrsyn\t900\t1100\n")
    with pytest.raises(SiteFileError, match=r"no region is on a contig.*chrsyn.*syn"):
        ctc.snv.call(bams, fa, targets=bed, hotspots=None)
    bed.write_text("syn\t900\t1100\nsyn\t5000\t5200\n")
    with pytest.raises(SiteFileError, match=r"line 2: region syn:5000-5200 starts past the end"):
        ctc.snv.call(bams, fa, targets=bed, hotspots=None)
    # a region reaching past the end is clipped, a contig the FASTA lacks left out: both said
    bed.write_text("syn\t900\t1100\nsyn\t2900\t3100\nchrX\t10\t20\n")
    with caplog.at_level("WARNING", logger="ctcgenomics.snv._sites"):
        adata = ctc.snv.call(bams, fa, targets=bed, hotspots=None)
    assert adata.n_vars >= 1
    assert "clipped to it: line 2 (syn:2900-3100)" in caplog.text
    assert "chrX (first on line 3)" in caplog.text


def test_bam_with_other_contig_names_names_both(syn):
    tmp, fa, seq = syn
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": "chrsyn", "LN": len(seq)}]}
    bam = tmp / "x.bam"
    with pysam.AlignmentFile(str(bam), "wb", header=header):
        pass
    pysam.index(str(bam))
    with pytest.raises(ctc.snv.ReferenceMismatchError, match=r"reference has syn.*chrsyn vs syn"):
        ctc.snv.count_alleles({"x": bam}, fa)


def test_copy_number_on_other_contig_names_is_refused(syn):
    # Bins on "chrsyn" against sites on "syn": every site took two copies while obs said
    # its copy number came from its own CNV cell.
    import anndata as ad

    tmp, fa, seq = syn
    reads, _, _ = _cell_reads(seq, alt_c=10)
    bams = {"c1": write_bam(tmp / "c1.bam", seq, reads, cell="c1")}
    var = pd.DataFrame({"chrom": "chrsyn", "start": [0, 1500], "end": [1500, 3000]})
    var.index = ["b0", "b1"]
    cnv = ad.AnnData(
        np.zeros((1, 2), np.float32),
        obs=pd.DataFrame({"role": "ctc", "draw": "D1"}, index=["c1"]),
        var=var,
        layers={"copy_number": np.array([[1.0, 2.0]])},
    )
    with pytest.raises(ctc.snv.ReferenceMismatchError, match=r"\['chrsyn'\].*\['syn'\]"):
        ctc.snv.call(bams, fa, hotspots=None, copy_number=cnv)


def test_population_vcf_past_the_contig_end_is_another_build(syn):
    # Records beyond the contig's end were skipped by the REF check, so a VCF of a longer
    # build without contig lines was accepted (its alleles matched nothing).
    tmp, fa, seq = syn
    reads, _, _ = _cell_reads(seq, alt_c=10)
    bams = {"c1": write_bam(tmp / "c1.bam", seq, reads, cell="c1")}
    lines = [
        "##fileformat=VCFv4.2",
        '##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
    ]
    lines += [f"syn\t{p}\t.\tA\tC\t.\t.\tAF=0.1" for p in range(5000, 6000, 100)]
    (tmp / "pop.vcf").write_text("\n".join(lines) + "\n")
    with pytest.raises(SiteFileError, match=r"syn:5000 past the end of syn.*another genome build"):
        ctc.snv.call(bams, fa, hotspots=None, population_vcf=tmp / "pop.vcf")


def test_missing_index_in_a_read_only_folder_says_so(syn, monkeypatch):
    # samtools index failing for want of write permission was reported as "sort it by
    # coordinate (samtools sort)", which is not the fix.
    import os

    tmp, fa, seq = syn
    reads, _, _ = _cell_reads(seq, alt_c=10)
    bam = write_bam(tmp / "c1.bam", seq, reads, cell="c1", index=False)
    writable = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if p == tmp else writable(p, mode))
    with pytest.raises(BamIndexError, match=r"c1\.bam: no index .* is not writable"):
        ctc.snv.count_alleles({"c1": bam}, fa)
