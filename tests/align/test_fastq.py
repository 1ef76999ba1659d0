import gzip

import pytest

from ctcgenomics.align import FastqError, check_fastq


def _write(path, names, gz=True):
    opener = gzip.open if gz else open
    with opener(path, "wt") as f:
        for n in names:
            f.write(f"@{n}\nACGT\n+\nIIII\n")
    return path


def test_counts_paired_and_single(tmp_path):
    r1 = _write(tmp_path / "a_R1.fq.gz", ["x/1", "y/1", "z/1"])
    r2 = _write(tmp_path / "a_R2.fq.gz", ["x/2", "y/2", "z/2"])
    assert check_fastq(r1, r2).n_reads == 3
    assert check_fastq(r1, r2).paired
    plain = _write(tmp_path / "b.fq", ["a", "b"], gz=False)
    assert check_fastq(plain).n_reads == 2
    assert not check_fastq(plain).paired


def test_missing_file_names_path(tmp_path):
    with pytest.raises(FastqError, match="does not exist"):
        check_fastq(tmp_path / "nope.fq.gz")


def test_truncated_gzip_is_reported(tmp_path):
    full = _write(tmp_path / "full.fq.gz", [f"r{i}" for i in range(2000)])
    data = full.read_bytes()
    cut = tmp_path / "cut.fq.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(FastqError, match="truncated or corrupt"):
        check_fastq(cut)


def test_pairs_with_different_counts(tmp_path):
    r1 = _write(tmp_path / "R1.fq.gz", ["a", "b", "c"])
    r2 = _write(tmp_path / "R2.fq.gz", ["a", "b"])
    with pytest.raises(FastqError, match="different read counts"):
        check_fastq(r1, r2)


def test_pairs_with_different_names(tmp_path):
    r1 = _write(tmp_path / "R1.fq.gz", ["a", "b"])
    r2 = _write(tmp_path / "R2.fq.gz", ["a", "c"])
    with pytest.raises(FastqError, match="read 2 is named 'b'"):
        check_fastq(r1, r2)


def test_malformed_record(tmp_path):
    bad = tmp_path / "bad.fq"
    bad.write_text("@a\nACGT\n+\nII\n")
    with pytest.raises(FastqError, match="quality lengths differ"):
        check_fastq(bad)
