"""Genomic bin tables.

Bins are 0-based, half-open intervals tiling each contig. The bin table carries the
GC fraction (over A/C/G/T bases) and the N fraction of each bin; copy-number calling
and the QC's MAPD both count reads in these bins (:mod:`ctcgenomics.io.bin_counts`).
"""

from __future__ import annotations

import csv
import logging
import os
import re
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


# Contigs that are not assembled chromosomes, by the GRCh37/GRCh38 naming conventions
# (UCSC and Ensembl/NCBI): the mitochondrial genome, EBV, unplaced/unlocalised scaffolds,
# alternate haplotypes and decoys (UCSC names them chrN_<accession>_random/_alt, chrUn_...).
_NOT_CHROMOSOME = re.compile(
    r"^(chr)?(M|MT|EBV)$|_|^HLA-|^(GL|KI|JH|KN|KV|KZ|ML|MU)\d|^hs37d5$|^NC_007605|decoy",
    re.IGNORECASE,
)


def chromosome_contigs(names: list[str]) -> list[str]:
    """Return the contigs that are not known non-chromosomal sequence (see below).

    Copy number is called on chromosomes: the mitochondrial genome (hundreds of copies
    per cell), EBV, unplaced and unlocalised scaffolds, alternate haplotypes and decoys
    (reads shared with the primary assembly, low mapping quality) would read as focal
    amplifications or deletions. They are recognised by the GRCh37/GRCh38 naming
    conventions (``chrM``/``MT``, names with ``_``, ``HLA-``, ``GL``/``KI``... accessions,
    ``hs37d5``); other names are kept (pseudo-chromosomes, other species), and when
    nothing else is left every contig is.
    """
    kept = [n for n in names if not _NOT_CHROMOSOME.search(n)]
    return kept or list(names)


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
        Contigs to tile; default all but known non-chromosomal sequence
        (:func:`chromosome_contigs`; those left out are logged).
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
        names = contigs if contigs is not None else chromosome_contigs(list(ref.references))
        left_out = [n for n in ref.references if n not in set(names)]
        if left_out and contigs is None:
            log.info(
                "%s: %d contigs left out of the bins (not chromosomes: %s%s)",
                fasta,
                len(left_out),
                ", ".join(left_out[:5]),
                ", ..." if len(left_out) > 5 else "",
            )
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


def __getattr__(name: str) -> object:
    # The read counters live in ``bin_counts``; this import path keeps working for them
    # (resolved on first use: ``bin_counts`` imports this module).
    if name in ("assign_to_bins", "count_reads_in_bins"):
        from ctcgenomics.io import bin_counts

        return getattr(bin_counts, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
