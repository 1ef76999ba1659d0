"""Per-bin read counts over a bin table (:mod:`ctcgenomics.io.bins`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pysam

from ctcgenomics.io.bins import _interval_columns, contig_runs


def assign_to_bins(bins: Mapping[str, Any], positions: dict[str, np.ndarray]) -> np.ndarray:
    """Count positions per bin.

    Parameters
    ----------
    bins
        Bin table (``chrom, start, end``; a DataFrame or :func:`read_bin_intervals`);
        the bins of one contig sorted.
    positions
        0-based positions per contig; those outside every bin are ignored.

    Returns
    -------
    numpy.ndarray
        Integer counts, one per row of ``bins``.
    """
    chrom, all_starts, all_ends = _interval_columns(bins)
    counts = np.zeros(len(chrom), dtype=np.int64)
    for name, idx in contig_runs(chrom):
        pos = np.asarray(positions.get(name, ()), dtype=np.int64)
        if pos.size == 0:
            continue
        starts, ends = all_starts[idx], all_ends[idx]
        which = np.searchsorted(ends, pos, side="right")
        inside = (which < len(idx)) & (pos >= starts[np.minimum(which, len(idx) - 1)])
        counts[idx] += np.bincount(which[inside], minlength=len(idx))[: len(idx)]
    return counts


def count_reads_in_bins(
    bam: str | os.PathLike[str],
    bins: Mapping[str, Any],
    *,
    min_mapq: int,
) -> np.ndarray:
    """Count fragments per bin: primary, non-duplicate, QC-passed reads with MAPQ >= min_mapq.

    A pair is counted once (at the leftmost position of read 1 or of the unpaired read),
    so paired and single-end libraries give comparable counts.

    Parameters
    ----------
    bam
        Coordinate-sorted, indexed BAM.
    bins
        Bin table (``chrom, start, end``; a DataFrame or :func:`read_bin_intervals`),
        the bins of one contig sorted.
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
    chrom, starts, ends = _interval_columns(bins)
    positions: dict[str, np.ndarray] = {}
    with pysam.AlignmentFile(os.fspath(bam), "rb") as handle:
        present = set(handle.references)
        for name, idx in contig_runs(chrom):
            if name not in present:
                continue
            positions[name] = np.fromiter(
                (
                    read.reference_start
                    for read in handle.fetch(name, int(starts[idx].min()), int(ends[idx].max()))
                    if not read.flag & skip and read.mapping_quality >= min_mapq
                ),
                dtype=np.int64,
            )
    return assign_to_bins(bins, positions)
