"""Genomic bin tables and per-bin read counts.

Bins are 0-based, half-open intervals tiling each contig. The bin table carries the
GC fraction (over A/C/G/T bases) and the N fraction of each bin; copy-number calling
and the QC's MAPD both count reads in these bins.
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pysam

if TYPE_CHECKING:
    import pandas as pd

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
    import pandas as pd  # deferred, like every pandas use here: counting jobs avoid it

    if bin_size <= 0:
        raise BinSizeError(f"bin size must be a positive number of bp, got {bin_size}")
    if not Path(fasta).is_file():
        raise FileNotFoundError(
            f"reference FASTA {fasta} does not exist; give the prepared genome.fa "
            "(ctc.align.prepare_reference) or fix the path"
        )
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
    import pandas as pd

    frame = pd.read_csv(path, sep="\t", dtype={"chrom": str})
    missing = [c for c in BIN_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: bin table lacks column(s) {missing}; rebuild it with ctcg bins")
    return frame


def read_bin_intervals(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read only ``chrom, start, end`` of a bin table TSV, without pandas.

    For per-cell jobs (``ctcg cnv count``), where importing pandas would take most of
    the run time. The columns are checked as :func:`read_bin_table` does.

    Returns
    -------
    dict
        ``{"chrom": str array, "start": int64 array, "end": int64 array}``; accepted
        wherever a bin table is (:func:`count_reads_in_bins`, :func:`assign_to_bins`).
    """
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter="\t")
        header = next(reader, [])
        missing = [c for c in BIN_COLUMNS if c not in header]
        if missing:
            raise ValueError(
                f"{path}: bin table lacks column(s) {missing}; rebuild it with ctcg bins"
            )
        i_chrom, i_start, i_end = (header.index(c) for c in ("chrom", "start", "end"))
        chrom, start, end = [], [], []
        for line, row in enumerate(reader, start=2):
            try:
                chrom.append(row[i_chrom])
                start.append(int(row[i_start]))
                end.append(int(row[i_end]))
            except (IndexError, ValueError):
                raise ValueError(
                    f"{path}, line {line}: expected chrom, integer start and end; rebuild "
                    "the bin table with ctcg bins"
                ) from None
    return {
        "chrom": np.array(chrom, dtype=str),
        "start": np.array(start, dtype=np.int64),
        "end": np.array(end, dtype=np.int64),
    }


def contig_runs(chrom: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Row indices of each contig, contigs in order of first appearance.

    The rows of a contig need not be contiguous (tables written here keep them so).
    """
    chrom = np.asarray(chrom)
    if len(chrom) == 0:
        return []
    names, first, inverse = np.unique(chrom, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rows = np.argsort(inverse, kind="stable")
    bounds = np.cumsum(np.bincount(inverse, minlength=len(names)))
    groups = np.split(rows, bounds[:-1])
    return [(str(names[k]), groups[k]) for k in order]


def _interval_columns(bins: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``chrom, start, end`` of a bin table (DataFrame or mapping of arrays) as arrays."""
    missing = [c for c in ("chrom", "start", "end") if c not in bins]
    if missing:
        raise ValueError(
            f"bin table lacks column(s) {missing}: give chrom, start, end (0-based, half-open), "
            "e.g. from ctc.io.bins.make_bin_table or ctcg bins"
        )
    return (
        np.asarray(bins["chrom"]).astype(str),
        np.asarray(bins["start"], dtype=np.int64),
        np.asarray(bins["end"], dtype=np.int64),
    )


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
