import numpy as np
import pysam
import pytest

from ctcgenomics.io.bins import BinSizeError, assign_to_bins, count_reads_in_bins, make_bin_table


def test_bins_gc_and_n_from_sequence(tmp_path):
    fa = tmp_path / "t.fa"
    # bin 1: all GC; bin 2: half N, rest AT; last bin (6 bp) shorter than half a bin: dropped
    fa.write_text(">c\n" + "GCGC" * 5 + "NNNNNNNNNN" + "ATATA" * 2 + "ACGTAC" + "\n")
    pysam.faidx(str(fa))
    bins = make_bin_table(fa, 20)
    assert list(bins["start"]) == [0, 20] and list(bins["end"]) == [20, 40]
    assert bins["gc"].tolist() == [1.0, 0.0]
    assert bins["n_fraction"].tolist() == [0.0, 0.5]


def test_bin_larger_than_every_contig(tmp_path):
    fa = tmp_path / "t.fa"
    fa.write_text(">c\nACGTACGT\n")
    pysam.faidx(str(fa))
    with pytest.raises(BinSizeError, match="larger than every contig"):
        make_bin_table(fa, 1000)


def test_assign_to_bins():
    import pandas as pd

    bins = pd.DataFrame({"chrom": ["a", "a", "b"], "start": [0, 10, 0], "end": [10, 20, 10]})
    counts = assign_to_bins(bins, {"a": np.array([0, 9, 10, 25]), "b": np.array([3])})
    assert counts.tolist() == [2, 1, 1]


def test_count_reads_matches_truth(genome, tmp_path):
    from ctcgenomics.align import align_cell
    from tests._reads import write_pairs

    r1, r2, starts = write_pairs(genome, tmp_path, 2000, seed=5)
    bam = align_cell(r1, r2, genome, tmp_path / "c.bam", cell="c").bam
    bins = make_bin_table(genome, 500_000)
    counts = count_reads_in_bins(bam, bins, min_mapq=0)
    truth = np.histogram(starts, bins=np.r_[bins["start"], bins["end"].iloc[-1]])[0]
    assert np.abs(counts - truth).sum() <= 0.03 * len(starts)


def test_read_bin_intervals_matches_the_table_and_checks_columns(tmp_path):
    from ctcgenomics.io.bins import read_bin_intervals, read_bin_table

    path = tmp_path / "bins.tsv"
    path.write_text(
        "chrom\tstart\tend\tgc\tn_fraction\n1\t0\t10\t0.4\t0\n1\t10\t20\t0.5\t0\nX\t0\t10\t0.6\t0\n"
    )
    table, light = read_bin_table(path), read_bin_intervals(path)
    for column in ("chrom", "start", "end"):
        assert light[column].tolist() == table[column].tolist()  # "1" stays a string
    path.write_text("chrom\tstart\tend\n1\t0\t10\n")
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['gc', 'n_fraction'\]"):
        read_bin_intervals(path)
    path.write_text("chrom\tstart\tend\tgc\tn_fraction\n1\t0\tten\t0.4\t0\n")
    with pytest.raises(ValueError, match="line 2: expected chrom, integer start and end"):
        read_bin_intervals(path)


def test_assign_to_bins_accepts_arrays_and_interleaved_contigs():
    import pandas as pd

    from ctcgenomics.io.bins import contig_runs

    frame = pd.DataFrame({"chrom": ["a", "b", "a"], "start": [0, 0, 10], "end": [10, 10, 20]})
    arrays = {k: frame[k].to_numpy() for k in frame}
    positions = {"a": np.array([0, 9, 10, 25]), "b": np.array([3])}
    assert assign_to_bins(frame, positions).tolist() == [2, 1, 1]
    assert assign_to_bins(arrays, positions).tolist() == [2, 1, 1]
    assert [(c, i.tolist()) for c, i in contig_runs(frame["chrom"])] == [("a", [0, 2]), ("b", [1])]


def test_bins_leave_out_mitochondrial_scaffold_alt_and_decoy_contigs(tmp_path, caplog):
    # chrM (hundreds of copies per cell) and scaffolds would read as amplifications.
    contigs = ["chr1", "chr2", "chrX", "chrM", "chr1_KI270706v1_random", "chrUn_GL000195v1",
               "chr6_GL000250v2_alt", "chrEBV", "HLA-A*01:01:01:01", "chrB", "GL000192.1",
               "hs37d5", "MT"]  # fmt: skip
    fa = tmp_path / "g.fa"
    fa.write_text("".join(f">{c}\n" + "ACGT" * 50 + "\n" for c in contigs))
    pysam.faidx(str(fa))
    with caplog.at_level("INFO"):
        bins = make_bin_table(fa, 100)
    # Other names (pseudo-chromosomes, other species) are kept.
    assert list(dict.fromkeys(bins["chrom"])) == ["chr1", "chr2", "chrX", "chrB"]
    assert "9 contigs left out" in caplog.text
    assert set(make_bin_table(fa, 100, contigs=contigs)["chrom"]) == set(contigs)
    # A reference of such names only (a test slice) keeps them all.
    fa2 = tmp_path / "seg.fa"
    fa2.write_text(">chr17_segment\n" + "ACGT" * 50 + "\n")
    pysam.faidx(str(fa2))
    assert set(make_bin_table(fa2, 100)["chrom"]) == {"chr17_segment"}
