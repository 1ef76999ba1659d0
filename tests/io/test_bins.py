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
