import gzip

import pysam
import pytest

from ctcgenomics.align import (
    BamInputError,
    ReferenceMismatchError,
    align_cell,
    import_bam,
    prepare_reference,
)
from ctcgenomics.align._bwa import failed_reason
from ctcgenomics.align._reference import ReferenceFastaError


def test_paired_alignment_places_reads_at_their_origin(pairs, genome, tmp_path):
    r1, r2, starts = pairs
    res = align_cell(r1, r2, genome, tmp_path / "c1.bam", cell="c1", threads=2)
    assert res.failed_reason is None and res.n_reads == len(starts)
    bam = pysam.AlignmentFile(str(res.bam))
    assert bam.header["HD"]["SO"] == "coordinate"
    assert bam.header["RG"][0]["ID"] == "c1" and bam.header["RG"][0]["SM"] == "c1"
    assert (tmp_path / "c1.bam.bai").exists()
    placed = {}
    for read in bam.fetch("chr17"):
        if read.is_read1 and not read.is_secondary and not read.is_supplementary:
            placed[read.query_name] = read.reference_start
    correct = sum(placed.get(f"r{i}") == s for i, s in enumerate(starts))
    assert correct / len(starts) > 0.97  # the rest fall in repeats of the real sequence


def test_duplicates_are_marked(pairs, genome, tmp_path):
    r1, r2, _ = pairs
    # Emit every pair twice (new names): markdup must flag about half of the reads.
    d1, d2 = tmp_path / "d_R1.fq.gz", tmp_path / "d_R2.fq.gz"
    for src, dst in ((r1, d1), (r2, d2)):
        lines = gzip.open(src, "rt").read().splitlines()
        with gzip.open(dst, "wt") as out:
            for copy in ("a", "b"):
                for i in range(0, len(lines), 4):
                    name = lines[i].split("/")[0] + copy + "/" + lines[i].split("/")[1]
                    out.write("\n".join([name, *lines[i + 1 : i + 4]]) + "\n")
    res = align_cell(d1, d2, genome, tmp_path / "dup.bam", cell="dup", threads=2)
    reads = [r for r in pysam.AlignmentFile(str(res.bam)).fetch() if not r.is_secondary]
    dup_frac = sum(r.is_duplicate for r in reads) / len(reads)
    assert 0.45 < dup_frac < 0.55


def test_single_end(pairs, genome, tmp_path):
    r1, _, starts = pairs
    res = align_cell(r1, None, genome, tmp_path / "se.bam", cell="se")
    n = sum(1 for r in pysam.AlignmentFile(str(res.bam)).fetch() if not r.is_unmapped)
    assert n >= 0.97 * len(starts)


def test_empty_fastq_fails_the_cell_not_the_run(genome, tmp_path):
    empty = tmp_path / "empty.fq.gz"
    with gzip.open(empty, "wt"):
        pass
    res = align_cell(empty, None, genome, tmp_path / "e.bam", cell="e")
    assert "no reads" in res.failed_reason
    assert "no reads" in failed_reason(tmp_path / "e.bam")
    assert pysam.AlignmentFile(str(tmp_path / "e.bam")).mapped == 0


def test_truncated_fastq_strict_raises_without_output(pairs, genome, tmp_path):
    r1, r2, _ = pairs
    cut = tmp_path / "cut_R1.fq.gz"
    data = r1.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated"):
        align_cell(cut, r2, genome, tmp_path / "t.bam", cell="t", on_input_error="raise")
    assert not (tmp_path / "t.bam").exists()
    assert not list(tmp_path.glob(".t.bam*"))  # no partial temporary file left
    res = align_cell(cut, r2, genome, tmp_path / "t.bam", cell="t")
    assert "truncated" in res.failed_reason


def test_bad_cell_id_rejected(pairs, genome, tmp_path):
    r1, r2, _ = pairs
    with pytest.raises(ValueError, match="invalid cell"):
        align_cell(r1, r2, genome, tmp_path / "x.bam", cell="bad;rm -rf")


def test_import_bam_checks_contigs(pairs, genome, tmp_path):
    r1, r2, _ = pairs
    res = align_cell(r1, r2, genome, tmp_path / "src.bam", cell="src")
    out = import_bam(res.bam, genome, tmp_path / "imported.bam", cell="src")
    assert pysam.AlignmentFile(str(out)).mapped > 0
    # The same reads under a header from another assembly (chr17 of full length).
    header = pysam.AlignmentFile(str(res.bam)).header.to_dict()
    header["SQ"] = [{"SN": "chr17", "LN": 83_257_441}]
    other = tmp_path / "other.bam"
    with pysam.AlignmentFile(str(other), "wb", header=header):
        pass
    with pytest.raises(ReferenceMismatchError, match="different lengths: chr17 83,257,441 bp"):
        import_bam(other, genome, tmp_path / "o.bam", cell="o")
    header["SQ"] = [{"SN": "17", "LN": 7_843_138}]
    with pysam.AlignmentFile(str(other), "wb", header=header):
        pass
    with pytest.raises(ReferenceMismatchError, match="not in the reference: 17"):
        import_bam(other, genome, tmp_path / "o.bam", cell="o")


def test_truncated_bam_names_file_and_cell(pairs, genome, tmp_path):
    """A truncated BAM gave a bare 'OSError: no BGZF EOF marker' naming neither."""
    r1, r2, _ = pairs
    res = align_cell(r1, r2, genome, tmp_path / "src.bam", cell="src")
    data = res.bam.read_bytes()
    cut = tmp_path / "cut.bam"
    cut.write_bytes(data[: len(data) - 40])  # the copy stopped before the EOF block
    with pytest.raises(BamInputError, match=r"BAM .*cut\.bam of cell c9 cannot be read.*trunc"):
        import_bam(cut, genome, tmp_path / "strict.bam", cell="c9", on_input_error="raise")
    assert not (tmp_path / "strict.bam").exists()
    # Default: the cell fails (empty BAM with the reason), the cohort goes on.
    out = import_bam(cut, genome, tmp_path / "c9.bam", cell="c9")
    assert pysam.AlignmentFile(str(out)).mapped == 0
    assert "cut.bam of cell c9" in failed_reason(out)
    assert sorted(p.name for p in tmp_path.glob("c9.bam*")) == ["c9.bam", "c9.bam.bai"]


def test_reference_without_index_is_indexed(tmp_path):
    fa = tmp_path / "mini.fa"
    fa.write_text(">a\n" + "ACGT" * 500 + "\n>b\n" + "GGCA" * 500 + "\n")
    genome = prepare_reference(fa, tmp_path / "ref")
    assert (tmp_path / "ref" / "genome.fa.fai").exists()
    assert (tmp_path / "ref" / "genome.dict").exists()
    assert (tmp_path / "ref" / "genome.fa.bwt").exists()
    assert list(pysam.FastaFile(str(genome)).references) == ["a", "b"]


def test_reference_with_duplicate_contigs_is_an_error(tmp_path):
    fa = tmp_path / "dup.fa"
    fa.write_text(">a\nACGT\n>b\nACGT\n>a\nTTTT\n")
    with pytest.raises(ReferenceFastaError, match=r"'a' appears twice \(lines 1 and 5\)"):
        prepare_reference(fa, tmp_path / "ref")
    assert not (tmp_path / "ref" / "genome.fa").exists()
