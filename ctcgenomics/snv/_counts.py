"""Per-cell allele counts: one sequential pass over each BAM, chunk by chunk.

pysam's pileup engine visits every column and every read in Python, which is slow;
instead each read is decoded once (CIGAR walk in Python, a few microseconds) and the
aligned bases of all reads of a chunk are expanded and tallied at once with numpy.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field

import numpy as np
import pysam

from ctcgenomics.snv._sites import Chunk

log = logging.getLogger(__name__)

BASES = "ACGT"
_CODE = np.full(256, -1, dtype=np.int8)
for _i, _b in enumerate(BASES):
    _CODE[ord(_b)] = _i
    _CODE[ord(_b.lower())] = _i
_CODE2 = np.where(_CODE >= 0, 2 * _CODE, -1).astype(np.int8)  # 2 x code: (base, strand) bin

# unmapped | secondary | QC fail | duplicate | supplementary
_SKIP_FLAGS = 0x4 | 0x100 | 0x200 | 0x400 | 0x800
_MATCH_OPS = (0, 7, 8)  # M, =, X
_CIGAR_RE = re.compile(r"(\d+)([MIDNSHP=X])")


@dataclass(frozen=True)
class CountParams:
    """Read and base filters used when counting alleles.

    Parameters
    ----------
    min_base_quality
        Bases below this Phred quality are not counted.
    min_mapping_quality
        Reads below this MAPQ are skipped.
    count_orphans
        Count paired reads whose pair is not proper (bcftools' ``-A``).
    """

    min_base_quality: int = 20
    min_mapping_quality: int = 20
    count_orphans: bool = False


@dataclass
class ChunkCounts:
    """Allele counts of one cell in one chunk.

    ``bases[i, b, s]`` counts base ``b`` (A, C, G, T) on strand ``s`` (0 forward,
    1 reverse) at position ``chunk.start + i`` (over the reference given, which may run
    past ``chunk.end``). ``indels`` maps
    ``(anchor, ref, alt)`` (anchor 0-based; VCF-style alleles) to forward/reverse
    counts; ``insertion_reads`` counts reads with any insertion right after an anchor.
    """

    chunk: Chunk
    bases: np.ndarray
    indels: dict[tuple[int, str, str], list[int]] = field(default_factory=dict)
    insertion_reads: dict[int, int] = field(default_factory=dict)


@functools.lru_cache(maxsize=1024)
def _cigar_ref_length(cigar: str) -> int:
    """Return the reference length of a CIGAR (cached: a BAM has few distinct mate CIGARs)."""
    return sum(int(n) for n, op in _CIGAR_RE.findall(cigar) if op in "MDN=X")


def _mate_end(read: pysam.AlignedSegment) -> int | None:
    """Return the mate's reference end from the MC tag (set by samtools fixmate/markdup)."""
    try:  # one tag lookup (has_tag then get_tag would search the tags twice)
        mate_cigar = read.get_tag("MC")
    except KeyError:
        return None
    return read.next_reference_start + _cigar_ref_length(mate_cigar)


def count_chunk(
    bam: pysam.AlignmentFile,
    chunk: Chunk,
    ref_seq: str,
    params: CountParams,
    *,
    fasta: pysam.FastaFile | None = None,
) -> ChunkCounts:
    """Count bases and indels of one BAM in one chunk.

    Reads are filtered by flag (unmapped, secondary, supplementary, QC-fail,
    duplicate), MAPQ and, unless ``count_orphans``, improper pairs; bases by quality.
    Where the two mates of a pair overlap, the overlap is counted once (from the
    mate that starts first), as bcftools does, so one molecule is not two reads.

    Parameters
    ----------
    bam
        Open, indexed alignment file.
    chunk
        Window to count. Indels are kept when anchored in it.
    ref_seq
        Reference sequence from the window's start (upper case), for indel alleles. It
        may run past the window's end: bases are counted over its whole length, since an
        indel anchored at the window's last base needs the depth of the next base.
    params
        Filters.
    fasta
        Reference, to name a deletion that runs past ``ref_seq`` (else it is skipped).
    """
    length = chunk.end - chunk.start
    span = len(ref_seq)
    seq_parts: list[str] = []
    qual_parts: list = []
    blocks: list[tuple[int, int, int, int, int]] = []  # ref, query offset, len, strand, mask
    indels: dict[tuple[int, str, str], list[int]] = {}
    insertion_reads: dict[int, int] = {}
    offset = 0
    min_mapq = params.min_mapping_quality
    for read in bam.fetch(chunk.contig, chunk.start, chunk.start + span):
        flag = read.flag
        if flag & _SKIP_FLAGS or read.mapping_quality < min_mapq:
            continue
        if flag & 0x1 and not flag & 0x2 and not params.count_orphans:
            continue
        seq = read.query_sequence
        qual = read.query_qualities
        if seq is None or qual is None:
            continue
        strand = 1 if flag & 0x10 else 0
        rpos = read.reference_start
        # Mate overlap: the mate starting later skips positions the earlier mate covers.
        mask_until = -1
        if flag & 0x1 and read.next_reference_id == read.reference_id:
            nstart = read.next_reference_start
            if nstart < rpos or (nstart == rpos and flag & 0x80):
                mend = _mate_end(read)
                if mend is not None:
                    mask_until = mend - chunk.start
        # joined once per chunk below (bytes.join takes the quality arrays as they are)
        seq_parts.append(seq)
        qual_parts.append(qual)
        cigar = read.cigartuples
        if len(cigar) == 1 and cigar[0][0] in _MATCH_OPS:  # fast path: no indel, no clip
            blocks.append((rpos - chunk.start, offset, cigar[0][1], strand, mask_until))
            offset += len(seq)
            continue
        qpos = 0
        for op, ln in cigar:
            if op in _MATCH_OPS:
                blocks.append((rpos - chunk.start, offset + qpos, ln, strand, mask_until))
                rpos += ln
                qpos += ln
            elif op == 1:  # insertion after the previous reference base
                anchor = rpos - 1
                if chunk.start <= anchor < chunk.end and anchor - chunk.start >= mask_until:
                    rb = ref_seq[anchor - chunk.start]
                    key = (anchor, rb, rb + seq[qpos : qpos + ln].upper())
                    indels.setdefault(key, [0, 0])[strand] += 1
                    insertion_reads[anchor] = insertion_reads.get(anchor, 0) + 1
                qpos += ln
            elif op == 2:
                anchor = rpos - 1
                rel = anchor - chunk.start
                if 0 <= rel < length and rel >= mask_until:
                    deleted = _deleted_allele(ref_seq, rel, ln, fasta, chunk.contig, anchor)
                    if deleted:
                        key = (anchor, deleted, ref_seq[rel])
                        indels.setdefault(key, [0, 0])[strand] += 1
                rpos += ln
            elif op == 3:
                rpos += ln
            elif op == 4:
                qpos += ln
        offset += len(seq)
    if not blocks:
        return ChunkCounts(chunk, np.zeros((span, 4, 2), np.int32), indels, insertion_reads)
    seqs = np.frombuffer("".join(seq_parts).encode(), dtype=np.uint8)
    quals = np.frombuffer(b"".join(qual_parts), dtype=np.uint8)
    # Per base of the joined reads: 2 x base code, or -1 (N, low quality): filtered once
    # here, not after expansion.
    val = np.where(quals >= params.min_base_quality, _CODE2[seqs], np.int8(-1))
    blk = np.asarray(blocks, dtype=np.int64)
    ref0, q0, lens, strand, mask = blk.T
    # Clip each aligned block to the window and to past the earlier mate's end (overlap
    # counted once) as a whole, before expanding it base by base.
    lo = np.maximum(ref0, np.maximum(mask, 0))
    lens = np.maximum(np.minimum(ref0 + lens, span) - lo, 0)
    q0 = q0 + (lo - ref0)
    starts = np.cumsum(lens) - lens
    # Expand blocks into bases (one numpy pass per chunk): joined-read index of each base,
    # and its bin 8 x position + strand (+ 2 x base code below); position minus read
    # index is constant within a block. int32 halves memory traffic where it fits.
    itype = np.int32 if 8 * (len(val) + span) < 2**31 else np.int64
    q_idx = np.arange(int(lens.sum()), dtype=itype) + np.repeat((q0 - starts).astype(itype), lens)
    flat = q_idx * 8 + np.repeat(((lo - q0) * 8 + strand).astype(itype), lens)
    code2 = val[q_idx]
    keep = code2 >= 0
    flat = flat[keep] + code2[keep]
    bases = np.bincount(flat, minlength=span * 8).astype(np.int32).reshape(span, 4, 2)
    return ChunkCounts(chunk, bases, indels, insertion_reads)


def _deleted_allele(
    ref_seq: str, rel: int, ln: int, fasta: pysam.FastaFile | None, contig: str, anchor: int
) -> str:
    """REF allele (anchor + deleted bases) of a deletion; "" when it cannot be named."""
    if rel + ln < len(ref_seq):
        return ref_seq[rel : rel + ln + 1]
    if fasta is None:
        return ""
    # A deletion anchored in the window may run past its end (and past ref_seq).
    allele = fasta.fetch(contig, anchor, anchor + ln + 1).upper()
    return allele if len(allele) == ln + 1 else ""
