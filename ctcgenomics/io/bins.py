"""Genomic bin tables and per-bin read counts.

Bins are 0-based, half-open intervals tiling each contig. The bin table carries the
GC fraction (over A/C/G/T bases) and the N fraction of each bin; copy-number calling
and the QC's MAPD both count reads in these bins.
"""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd
import pysam

log = logging.getLogger(__name__)

BIN_COLUMNS: tuple[str, ...] = ("chrom", "start", "end", "gc", "n_fraction")


class BinSizeError(ValueError):
    """The bin size does not fit the reference."""


def _base_fractions(seq: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GC fraction (over ACGT) and N fraction of each [edges[i], edges[i+1]) slice."""
    upper = seq & 0xDF  # ASCII upper-case (soft-masked repeats are lower-case)
    is_gc = (upper == ord("G")) | (upper == ord("C"))
    is_at = (upper == ord("A")) | (upper == ord("T"))
    cum_gc = np.concatenate([[0], np.cumsum(is_gc)])
    cum_acgt = np.concatenate([[0], np.cumsum(is_gc | is_at)])
    gc = np.diff(cum_gc[edges])
    acgt = np.diff(cum_acgt[edges])
    length = np.diff(edges)
    with np.errstate(invalid="ignore", divide="ignore"):
        gc_frac = np.where(acgt > 0, gc / np.maximum(acgt, 1), np.nan)
    return gc_frac, 1.0 - acgt / length


def make_bin_table(
    fasta: str | os.PathLike[str],
    bin_size: int,
    *,
    contigs: list[str] | None = None,
    min_last_fraction: float = 0.5,
) -> pd.DataFrame:
    """Tile a reference into fixed-size bins with GC and N content.

    Parameters
    ----------
    fasta
        Reference FASTA (plain or bgzipped), faidx-indexed (an index is built if
        missing and the folder is writable).
    bin_size
        Bin width in bp.
    contigs
        Contigs to tile; default all.
    min_last_fraction
        The shorter last bin of a contig is kept if it is at least this fraction of
        ``bin_size``.

    Returns
    -------
    pandas.DataFrame
        Columns ``chrom, start, end, gc, n_fraction`` (0-based, half-open).

    Raises
    ------
    BinSizeError
        If ``bin_size`` is not positive or larger than every contig.
    """
    if bin_size <= 0:
        raise BinSizeError(f"bin size must be a positive number of bp, got {bin_size}")
    frames = []
    with pysam.FastaFile(os.fspath(fasta)) as ref:
        names = contigs if contigs is not None else list(ref.references)
        for name in names:
            length = ref.get_reference_length(name)
            n_full = length // bin_size
            rest = length - n_full * bin_size
            ends = [bin_size * (i + 1) for i in range(n_full)]
            if rest >= min_last_fraction * bin_size:
                ends.append(length)
            if not ends:
                log.warning(
                    "%s: contig %s (%d bp) is shorter than the bin size %d bp: no bins",
                    fasta,
                    name,
                    length,
                    bin_size,
                )
                continue
            edges = np.array([0, *ends], dtype=np.int64)
            seq = np.frombuffer(ref.fetch(name, 0, int(edges[-1])).encode("ascii"), dtype=np.uint8)
            gc, n_frac = _base_fractions(seq, edges)
            frames.append(
                pd.DataFrame(
                    {
                        "chrom": name,
                        "start": edges[:-1],
                        "end": edges[1:],
                        "gc": gc,
                        "n_fraction": n_frac,
                    }
                )
            )
    if not frames:
        raise BinSizeError(
            f"{fasta}: bin size {bin_size} bp is larger than every contig; choose a bin size "
            "smaller than the contigs (config key bins.size)"
        )
    return pd.concat(frames, ignore_index=True)


def read_bin_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a bin table TSV written by :func:`make_bin_table` and check its columns."""
    frame = pd.read_csv(path, sep="\t", dtype={"chrom": str})
    missing = [c for c in BIN_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: bin table lacks column(s) {missing}; rebuild it with ctcg bins")
    return frame


def assign_to_bins(bins: pd.DataFrame, positions: dict[str, np.ndarray]) -> np.ndarray:
    """Count positions per bin.

    Parameters
    ----------
    bins
        Bin table (``chrom, start, end``); the bins of one contig contiguous and sorted.
    positions
        0-based positions per contig; those outside every bin are ignored.

    Returns
    -------
    numpy.ndarray
        Integer counts, one per row of ``bins``.
    """
    counts = np.zeros(len(bins), dtype=np.int64)
    all_starts = bins["start"].to_numpy()
    all_ends = bins["end"].to_numpy()
    for chrom, idx in bins.groupby("chrom", sort=False).indices.items():
        pos = np.asarray(positions.get(chrom, ()), dtype=np.int64)
        if pos.size == 0:
            continue
        starts, ends = all_starts[idx], all_ends[idx]
        which = np.searchsorted(ends, pos, side="right")
        inside = (which < len(idx)) & (pos >= starts[np.minimum(which, len(idx) - 1)])
        counts[idx] += np.bincount(which[inside], minlength=len(idx))[: len(idx)]
    return counts


def count_reads_in_bins(
    bam: str | os.PathLike[str],
    bins: pd.DataFrame,
    *,
    min_mapq: int = 20,
) -> np.ndarray:
    """Count fragments per bin: primary, non-duplicate, QC-passed reads with MAPQ >= min_mapq.

    A pair is counted once (at the leftmost position of read 1 or of the unpaired read),
    so paired and single-end libraries give comparable counts.

    Parameters
    ----------
    bam
        Coordinate-sorted, indexed BAM.
    bins
        Bin table (``chrom, start, end``), bins of one contig contiguous and sorted.
    min_mapq
        Minimum mapping quality.

    Returns
    -------
    numpy.ndarray
        Integer counts, one per row of ``bins``.
    """
    skip = (
        0x4 | 0x100 | 0x200 | 0x400 | 0x800 | 0x80
    )  # unmapped, secondary, qcfail, dup, suppl, read2
    positions: dict[str, np.ndarray] = {}
    with pysam.AlignmentFile(os.fspath(bam), "rb") as handle:
        present = set(handle.references)
        for chrom, frame in bins.groupby("chrom", sort=False):
            if chrom not in present:
                continue
            positions[chrom] = np.fromiter(
                (
                    read.reference_start
                    for read in handle.fetch(
                        chrom, int(frame["start"].min()), int(frame["end"].max())
                    )
                    if not read.flag & skip and read.mapping_quality >= min_mapq
                ),
                dtype=np.int64,
            )
    return assign_to_bins(bins, positions)
