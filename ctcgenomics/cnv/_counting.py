"""Per-cell read counts in bins, checked against the bins' reference."""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pysam

from ctcgenomics.cnv._config import CNVConfig
from ctcgenomics.cnv._errors import CNVInputError, ReferenceMismatchError
from ctcgenomics.io._atomic import atomic_open
from ctcgenomics.io._bam_index import ensure_index
from ctcgenomics.io.bin_counts import count_reads_in_bins
from ctcgenomics.io.bins import _interval_columns, contig_runs

if TYPE_CHECKING:
    import anndata
    import pandas as pd

log = logging.getLogger(__name__)

COUNT_COLUMNS = ("chrom", "start", "end", "count")


def _bam_contigs(bam: str | os.PathLike[str]) -> dict[str, int]:
    """Contig lengths of a BAM's header; a file that is no BAM is named (pysam does not)."""
    try:
        with pysam.AlignmentFile(os.fspath(bam), "rb") as handle:
            return dict(zip(handle.references, handle.lengths, strict=True))
    except (OSError, ValueError) as err:
        raise CNVInputError(
            f"{bam}: not a readable BAM ({err}); give the cell's sorted BAM (samtools view "
            "-H shows whether it has a header), or align its FASTQ with ctcg align"
        ) from err


def check_bam_reference(bam: str | os.PathLike[str], bins: Mapping[str, Any]) -> None:
    """Check that ``bam`` was aligned to the reference the bins were made from.

    Every contig of the bins must be in the BAM header with a length that the bins
    imply (at least the last bin end and less than one bin more).

    Parameters
    ----------
    bam
        Indexed BAM.
    bins
        Bin table (``chrom, start, end``; a DataFrame or
        :func:`~ctcgenomics.io.bins.read_bin_intervals`).

    Raises
    ------
    ReferenceMismatchError
        Naming the BAM, the differing contigs and the fix.
    """
    header = _bam_contigs(bam)
    chroms, starts, ends = _interval_columns(bins)
    width = int((ends - starts).max())
    missing, wrong = [], []
    for chrom, idx in contig_runs(chroms):
        last_end = int(ends[idx].max())
        if chrom not in header:
            missing.append(chrom)
        elif not last_end <= header[chrom] < last_end + width:
            wrong.append(f"{chrom} is {header[chrom]:,} bp in the BAM, bins end at {last_end:,}")
    if missing or wrong:
        detail = []
        if missing:
            alt = [c for c in missing if (c[3:] if c.startswith("chr") else f"chr{c}") in header]
            detail.append(
                f"contig(s) {', '.join(missing[:5])} of the bins are not in the BAM"
                + (" (the BAM uses another 'chr' naming)" if alt else "")
            )
        if wrong:
            detail.append("; ".join(wrong[:3]))
        raise ReferenceMismatchError(
            f"{bam}: aligned to another reference than the bin table ({'; '.join(detail)}); "
            "realign the cell to the configured reference or rebuild the bins from the "
            "BAM's reference"
        )


def count_cell(
    bam: str | os.PathLike[str],
    bins: Mapping[str, Any],
    *,
    min_mapq: int = CNVConfig.min_mapq,
) -> tuple[np.ndarray, str]:
    """Count reads per bin in one cell's BAM.

    Counts primary, non-duplicate, QC-passed reads with MAPQ >= ``min_mapq`` (one per
    fragment) through the BAM index, after checking the BAM's reference.

    Parameters
    ----------
    bam
        Sorted, indexed BAM of one cell.
    bins
        Bin table (``chrom, start, end``; a DataFrame, or
        :func:`~ctcgenomics.io.bins.read_bin_intervals` to avoid loading pandas).
    min_mapq
        Minimum mapping quality.

    Returns
    -------
    counts : numpy.ndarray
        Integer counts per bin.
    status : str
        ``"ok"``, or why the cell has no usable reads (e.g. the aligner's failure
        reason, ``"no_mapped_reads"``), so a bad cell is reported, not fatal.

    Raises
    ------
    ReferenceMismatchError
        If the BAM is aligned to another reference.
    """
    from ctcgenomics.align._bwa import failed_reason

    n_bins = len(np.asarray(bins["start"]))  # len(bins) would count a mapping's keys
    _bam_contigs(bam)
    reason = failed_reason(bam)
    if reason is not None:
        log.warning("%s: alignment failed earlier (%s); counts are zero", bam, reason)
        return np.zeros(n_bins, dtype=np.int64), f"alignment_failed:{reason}"
    check_bam_reference(bam, bins)
    ensure_index(bam)  # as the SNV step does: an unindexed BAM failed with pysam's words
    # The index gives mapped-read totals at no cost: skip counting an empty cell.
    mapped = sum(
        int(line.split("\t")[2])
        for line in pysam.idxstats(os.fspath(bam)).splitlines()
        if line and not line.startswith("*")
    )
    if mapped == 0:
        log.warning("%s: no mapped reads", bam)
        return np.zeros(n_bins, dtype=np.int64), "no_mapped_reads"
    counts = count_reads_in_bins(bam, bins, min_mapq=min_mapq)
    return counts, "ok"


def write_counts(
    path: str | os.PathLike[str],
    bins: Mapping[str, Any],
    counts: np.ndarray,
    *,
    cell: str,
    status: str = "ok",
) -> None:
    """Write one cell's counts as TSV (a ``# cell=... status=...`` line, then the table)."""
    counts = np.asarray(counts, dtype=np.int64)
    columns = [np.asarray(bins[c]) for c in ("chrom", "start", "end")]
    if len(counts) != len(columns[0]):
        raise CNVInputError(f"{len(counts)} counts for {len(columns[0])} bins of cell {cell}")
    with atomic_open(path, newline="") as handle:
        handle.write(f"# cell={cell}\tstatus={status}\n")
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(COUNT_COLUMNS)
        writer.writerows(
            zip(columns[0].tolist(), columns[1].tolist(), columns[2].tolist(), counts.tolist(),
                strict=True)
        )  # fmt: skip


def read_count_tags(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read the ``# cell=... status=...`` tags of a counts TSV (its first line only)."""
    with open(path, encoding="utf-8") as handle:
        first = handle.readline()
    tags = {}
    if first.startswith("#"):
        for item in first[1:].strip().split("\t"):
            key, _, value = item.partition("=")
            tags[key.strip()] = value.strip()
    return tags


def read_bin_counts(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Read a counts TSV written by :func:`write_counts`; returns the table and its tags."""
    import pandas as pd

    tags = read_count_tags(path)
    frame = pd.read_csv(path, sep="\t", comment="#", dtype={"chrom": str})
    if list(frame.columns) != list(COUNT_COLUMNS):
        raise CNVInputError(
            f"{path}: a counts file needs the columns {list(COUNT_COLUMNS)}; rerun ctcg cnv count"
        )
    return frame, tags


def counts_anndata(
    counts: np.ndarray,
    bins: pd.DataFrame,
    cells: pd.DataFrame | Sequence[str],
    *,
    status: Sequence[str] | None = None,
) -> anndata.AnnData:
    """Assemble a cells x bins AnnData from a count matrix.

    Parameters
    ----------
    counts
        Reads per bin, cells x bins: whole numbers >= 0 (integers or floats such as
        ``1.0``); NaN, negative or fractional values are refused by cell and bin.
    bins
        Bin table (``chrom, start, end, gc`` and optionally ``n_fraction``,
        ``mappability``).
    cells
        One row per cell, index = cell IDs; columns such as ``patient, draw, role``; or
        just the cell IDs (every cell then a CTC to the caller).
    status
        Counting status per cell (``"ok"`` or a failure reason).

    Returns
    -------
    anndata.AnnData
        ``X`` and ``layers["counts"]`` hold the counts; ``var`` the bin table.
    """
    import pandas as pd

    from ctcgenomics.cnv._table_parts import counts_matrix

    if not isinstance(cells, pd.DataFrame):
        cells = pd.DataFrame(index=pd.Index([str(c) for c in cells]))
    counts = np.asarray(counts)
    if counts.shape != (len(cells), len(bins)):
        raise CNVInputError(
            f"count matrix is {counts.shape}, expected {len(cells)} cells x {len(bins)} bins"
        )
    # NaN became -2**31 in the int32 layer (the cell silently not called), fractions
    # were truncated: refused as read_count_table refuses them
    counts = counts_matrix(counts, "counts", [str(c) for c in cells.index], bins)
    var = bins.reset_index(drop=True).copy()
    var.index = [
        f"{c}:{s}-{e}" for c, s, e in zip(var["chrom"], var["start"], var["end"], strict=True)
    ]
    obs = cells.copy()
    obs.index = obs.index.astype(str)
    obs["count_status"] = list(status) if status is not None else "ok"
    import anndata  # deferred: counting jobs need not load it

    adata = anndata.AnnData(X=counts.astype(np.float32), obs=obs, var=var)
    adata.layers["counts"] = counts.astype(np.int32)
    return adata


def read_count_files(
    paths: Mapping[str, str | os.PathLike[str]], cells: pd.DataFrame
) -> tuple[np.ndarray, list[str]]:
    """Read per-cell counts files (made with the same bins) into one matrix.

    Parameters
    ----------
    paths
        Cell ID -> counts TSV.
    cells
        Cell metadata, index = cell IDs (``patient, draw, role`` ...).

    Returns
    -------
    counts : numpy.ndarray
        Cells x bins, in the order of ``cells.index``.
    status : list of str
        Counting status per cell.

    Raises
    ------
    CNVInputError
        If files disagree on the bins.
    """
    matrix, status, bins = [], [], None
    for cell in cells.index:
        frame, tags = read_bin_counts(paths[cell])
        if bins is None:
            bins = frame.loc[:, ["chrom", "start", "end"]]
        elif not frame.loc[:, ["chrom", "start", "end"]].equals(bins):
            raise CNVInputError(
                f"{paths[cell]}: bins differ from those of {paths[cells.index[0]]}; count all "
                "cells with the same bin table"
            )
        matrix.append(frame["count"].to_numpy())
        status.append(tags.get("status", "ok"))
    return np.vstack(matrix), status


#: Flank (bp) added on both sides of a gene for the gene-level read-out: the gene's own
#: reads are few at low pass (ERBB2 is 40 kb), amplicons reach beyond the gene (100-500
#: kb), and a flank of this size stays inside a typical ERBB2 amplicon.
GENE_FLANK = 50_000
REGION_COLUMNS = ("gene", "chrom", "start", "end", "count")


def count_regions(
    bam: str | os.PathLike[str],
    regions: Mapping[str, Any],
    *,
    min_mapq: int = CNVConfig.min_mapq,
) -> np.ndarray:
    """Count fragments over (possibly overlapping) regions, with the filters of bins.

    Primary, non-duplicate, QC-passed reads with MAPQ >= ``min_mapq``, one per fragment
    (read 1 or unpaired), whose leftmost position is in ``[start, end)``.

    Parameters
    ----------
    bam
        Sorted, indexed BAM.
    regions
        ``chrom, start, end`` (a DataFrame or mapping of arrays).

    Returns
    -------
    numpy.ndarray
        Counts per region (0 for contigs not in the BAM).
    """
    skip = 0x4 | 0x100 | 0x200 | 0x400 | 0x800 | 0x80
    chroms = np.asarray(regions["chrom"]).astype(str)
    starts = np.asarray(regions["start"], dtype=np.int64)
    ends = np.asarray(regions["end"], dtype=np.int64)
    out = np.zeros(len(chroms), dtype=np.int64)
    with pysam.AlignmentFile(os.fspath(bam), "rb") as handle:
        present = set(handle.references)
        for k, (c, s, e) in enumerate(zip(chroms, starts, ends, strict=True)):
            if c not in present:
                continue
            out[k] = sum(
                1
                for read in handle.fetch(c, int(s), int(e))
                if not read.flag & skip
                and read.mapping_quality >= min_mapq
                and s <= read.reference_start < e
            )
    return out


def write_region_counts(
    path: str | os.PathLike[str], regions: Mapping[str, Any], counts: np.ndarray, *, cell: str
) -> None:
    """Write one cell's gene-region counts (``# cell=...``, then gene chrom start end count)."""
    cols = [np.asarray(regions[c]) for c in ("gene", "chrom", "start", "end")]
    with atomic_open(path, newline="") as handle:
        handle.write(f"# cell={cell}\n")
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(REGION_COLUMNS)
        writer.writerows(zip(*(c.tolist() for c in cols), np.asarray(counts).tolist(), strict=True))


def read_region_counts(paths: Mapping[str, str | os.PathLike[str]]) -> pd.DataFrame:
    """Read gene-region counts of several cells into a cells x genes table.

    Returns
    -------
    pandas.DataFrame
        Index = cells, columns = genes; ``attrs["regions"]`` holds the regions (gene,
        chrom, start, end) of the first file.

    Raises
    ------
    CNVInputError
        If files list different regions.
    """
    import pandas as pd

    rows, regions = {}, None
    for cell, path in paths.items():
        frame = pd.read_csv(path, sep="\t", comment="#", dtype={"chrom": str})
        if list(frame.columns) != list(REGION_COLUMNS):
            raise CNVInputError(f"{path}: a gene-region counts file needs {list(REGION_COLUMNS)}")
        reg = frame.loc[:, ["gene", "chrom", "start", "end"]]
        if regions is None:
            regions = reg
        elif not reg.equals(regions):
            raise CNVInputError(
                f"{path}: regions differ from those of the other cells; count every cell "
                "with the same --genes"
            )
        rows[cell] = frame["count"].to_numpy()
    out = pd.DataFrame.from_dict(rows, orient="index", columns=list(regions["gene"]))
    out.attrs["regions"] = regions.reset_index(drop=True)
    return out
