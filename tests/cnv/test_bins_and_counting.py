"""Bad input: other references, blacklists in other coordinates, bins vs contigs."""

import numpy as np
import pandas as pd
import pysam
import pytest

import ctcgenomics as ctc
from ctcgenomics.cnv._bins import bin_mask
from ctcgenomics.cnv._counting import count_cell, write_counts
from ctcgenomics.cnv._errors import BlacklistError
from ctcgenomics.io.bins import BinSizeError, make_bin_table

BINS = pd.DataFrame(
    {
        "chrom": ["chr1"] * 4 + ["chr2"] * 2,
        "start": [0, 1000, 2000, 3000, 0, 1000],
        "end": [1000, 2000, 3000, 4000, 1000, 2000],
        "gc": [0.4, 0.5, 0.45, 0.5, 0.42, 0.9],
        "n_fraction": [0.0, 0.0, 0.5, 0.0, 0.0, 0.0],
    }
)


def _bam(path, contigs, reads):
    header = {
        "HD": {"VN": "1.6", "SO": "coordinate"},
        "SQ": [{"SN": n, "LN": ln} for n, ln in contigs],
    }
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for i, (tid, pos, flag, mapq) in enumerate(sorted(reads, key=lambda r: (r[0], r[1]))):
            a = pysam.AlignedSegment()
            a.query_name = f"r{i}"
            a.query_sequence = "A" * 50
            a.flag = flag
            a.reference_id = tid
            a.reference_start = pos
            a.mapping_quality = mapq
            a.cigartuples = [(0, 50)]
            a.query_qualities = pysam.qualitystring_to_array("I" * 50)
            out.write(a)
    pysam.index(str(path))
    return path


def test_count_cell_counts_primary_nondup_mapq(tmp_path):
    reads = [
        (0, 10, 0, 60),
        (0, 20, 0, 60),
        (0, 1500, 0, 60),
        (0, 1600, 0x400, 60),
        (0, 1700, 0x100, 60),
        (0, 3100, 0, 5),
        (1, 1200, 0, 60),
    ]
    bam = _bam(tmp_path / "c.bam", [("chr1", 4000), ("chr2", 2000)], reads)
    counts, status = count_cell(bam, BINS, min_mapq=20)
    assert status == "ok"
    np.testing.assert_array_equal(counts, [2, 1, 0, 0, 0, 1])


def test_bam_of_another_reference_is_refused(tmp_path):
    renamed = _bam(tmp_path / "a.bam", [("1", 4000), ("2", 2000)], [(0, 10, 0, 60)])
    with pytest.raises(ctc.cnv.ReferenceMismatchError, match="'chr' naming"):
        count_cell(renamed, BINS)
    longer = _bam(tmp_path / "b.bam", [("chr1", 9000), ("chr2", 2000)], [(0, 10, 0, 60)])
    with pytest.raises(ctc.cnv.ReferenceMismatchError, match="chr1 is 9,000 bp"):
        count_cell(longer, BINS)


def test_bam_without_index_is_indexed_and_counted(tmp_path):
    # `ctcg cnv count` on a user's unindexed BAM ended in pysam's "fetch called on
    # bamfile without index"; the SNV step indexes it, and so does counting now.
    bam = _bam(tmp_path / "c.bam", [("chr1", 4000), ("chr2", 2000)], [(0, 10, 0, 60)])
    (tmp_path / "c.bam.bai").unlink()
    counts, status = count_cell(bam, BINS)
    assert status == "ok" and counts.tolist() == [1, 0, 0, 0, 0, 0]
    assert (tmp_path / "c.bam.bai").exists()


def test_file_that_is_no_bam_is_named(tmp_path):
    empty = tmp_path / "empty.bam"
    empty.write_bytes(b"")
    with pytest.raises(ctc.cnv.CNVInputError, match=r"empty\.bam: not a readable BAM"):
        count_cell(empty, BINS)


def test_empty_cell_is_reported_not_fatal(tmp_path):
    bam = _bam(tmp_path / "e.bam", [("chr1", 4000), ("chr2", 2000)], [])
    counts, status = count_cell(bam, BINS)
    assert status == "no_mapped_reads" and counts.sum() == 0
    # Also with the pandas-free bin intervals of `ctcg cnv count`: one zero per bin.
    arrays = {k: BINS[k].to_numpy() for k in ("chrom", "start", "end")}
    counts, status = count_cell(bam, arrays)
    assert status == "no_mapped_reads" and counts.tolist() == [0] * len(BINS)


def test_counts_roundtrip(tmp_path):
    path = tmp_path / "c.tsv"
    write_counts(path, BINS, np.arange(6), cell="C1", status="ok")
    frame, tags = ctc.cnv.read_bin_counts(path)
    assert tags == {"cell": "C1", "status": "ok"}
    np.testing.assert_array_equal(frame["count"], np.arange(6))
    assert frame[["chrom", "start", "end"]].equals(BINS[["chrom", "start", "end"]])
    # The pandas-free bin intervals give the same counts and the same file.
    arrays = {k: BINS[k].to_numpy() for k in ("chrom", "start", "end")}
    write_counts(tmp_path / "d.tsv", arrays, np.arange(6), cell="C1", status="ok")
    assert (tmp_path / "d.tsv").read_bytes() == path.read_bytes()


def test_count_cell_with_bin_intervals_equals_the_table(tmp_path):
    reads = [(0, 10, 0, 60), (0, 1500, 0, 60), (1, 1200, 0, 60), (0, 3100, 0, 5)]
    bam = _bam(tmp_path / "c.bam", [("chr1", 4000), ("chr2", 2000)], reads)
    arrays = {k: BINS[k].to_numpy() for k in ("chrom", "start", "end")}
    by_table, _ = count_cell(bam, BINS, min_mapq=20)
    by_arrays, _ = count_cell(bam, arrays, min_mapq=20)
    np.testing.assert_array_equal(by_table, by_arrays)
    renamed = _bam(tmp_path / "a.bam", [("1", 4000), ("2", 2000)], [(0, 10, 0, 60)])
    with pytest.raises(ctc.cnv.ReferenceMismatchError, match="'chr' naming"):
        count_cell(renamed, arrays)


def test_bin_size_larger_than_contigs(tmp_path):
    fasta = tmp_path / "g.fa"
    fasta.write_text(">chrA\n" + "ACGT" * 250 + "\n>chrB\n" + "ACGT" * 2500 + "\n")
    with pytest.raises(BinSizeError, match="larger than every contig"):
        make_bin_table(fasta, 50_000)
    bins = make_bin_table(fasta, 4_000)  # chrA (1 kb) is skipped with a warning
    assert set(bins["chrom"]) == {"chrB"}


def _bed(tmp_path, text):
    path = tmp_path / "bl.bed"
    path.write_text(text)
    return path


def test_blacklist_masks_bins(tmp_path):
    bl = ctc.cnv.read_blacklist(_bed(tmp_path, "track x\nchr1\t900\t2000\nchr2\t0\t100\n"), BINS)
    mask = bin_mask(BINS, ctc.cnv.CNVConfig(), blacklist=bl)
    assert mask["exclude_reason"].tolist() == ["", "blacklist", "n_fraction", "", "", "gc"]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("1\t100\t200\n", "'chr' prefix"),
        ("chrX_other\t100\t200\n", "another genome"),
        ("chr1\t100\t90000\n", "another genome build or coordinate system"),
        ("chr1\t200\t100\n", "empty or inverted"),
        ("chr1 100 200\n", "not a BED record"),
    ],
)
def test_blacklist_in_wrong_coordinates_is_a_clear_error(tmp_path, text, match):
    with pytest.raises(BlacklistError, match=match):
        ctc.cnv.read_blacklist(_bed(tmp_path, text), BINS)


def test_mappability_is_length_weighted(tmp_path):
    path = tmp_path / "map.bedgraph"
    path.write_text("chr1\t0\t500\t1.0\nchr1\t500\t1000\t0.5\nchr1\t1000\t4000\t0.9\n")
    m = ctc.cnv.read_mappability(path, BINS)
    np.testing.assert_allclose(m[:4], [0.75, 0.9, 0.9, 0.9])
    assert np.isnan(m[4:]).all()
    mask = bin_mask(BINS, ctc.cnv.CNVConfig(min_mappability=0.8), mappability=m)
    assert "mappability" in mask["exclude_reason"].iloc[0]


def test_cnv_count_command_reports_a_failed_alignment(tmp_path):
    """A cell whose alignment failed gets zero counts and its reason, not an error."""
    from ctcgenomics.align._bwa import write_failed_bam
    from ctcgenomics.cli import main

    ref = tmp_path / "ref.fa"
    ref.write_text(">chr1\n" + "ACGT" * 1000 + "\n>chr2\n" + "ACGT" * 500 + "\n")
    pysam.faidx(str(ref))
    bam = write_failed_bam(tmp_path / "f.bam", ref, cell="F1", reason="no reads in R1")
    bins = tmp_path / "bins.tsv"
    BINS.to_csv(bins, sep="\t", index=False)
    out = tmp_path / "F1.tsv"
    args = ["cnv", "count", "--bam", str(bam), "--bins", str(bins), "--cell", "F1"]
    with pytest.raises(SystemExit) as end:
        main([*args, "--out", str(out)])
    assert end.value.code == 0
    frame, tags = ctc.cnv.read_bin_counts(out)
    assert tags == {"cell": "F1", "status": "alignment_failed:no reads in R1"}
    assert frame["count"].tolist() == [0] * len(BINS)


def test_no_usable_bin_names_the_filter_and_a_percent_gc():
    # GC written in percent left every bin out with "check the bin table" and no clue.
    percent = BINS.assign(gc=BINS["gc"] * 100)
    with pytest.raises(ctc.cnv.CNVInputError, match=r"\{'gc': 6, 'n_fraction': 1\}.*percent\?"):
        bin_mask(percent, ctc.cnv.CNVConfig())


@pytest.mark.parametrize(
    ("value", "message"),
    [(np.nan, r"cell B has no count \(NaN or inf\) \(nan\) at bin chr1:1000-2000"),
     (-1.0, "cell B has a negative count"),
     (2.5, "cell B has a fractional count")],
)  # fmt: skip
def test_counts_anndata_refuses_what_is_not_a_read_count(value, message):
    # NaN became -2**31 in layers["counts"] (the cell then silently not called) and
    # fractions were truncated; the table reader refused both, the API took them.
    counts = np.full((2, len(BINS)), 10.0)
    counts[1, 1] = value
    cells = pd.DataFrame({"role": ["wbc", "ctc"]}, index=["A", "B"])
    with pytest.raises(ctc.cnv.CNVInputError, match=message):
        ctc.cnv.counts_anndata(counts, BINS, cells)


def test_counts_anndata_takes_whole_floats_and_a_list_of_cell_ids():
    adata = ctc.cnv.counts_anndata(np.full((2, len(BINS)), 7.0), BINS, ["A", "B"])
    assert list(adata.obs_names) == ["A", "B"]
    assert adata.layers["counts"].dtype == np.int32 and (adata.layers["counts"] == 7).all()
