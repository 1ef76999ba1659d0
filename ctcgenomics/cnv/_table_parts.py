"""Pieces every count-table reader shares: the result type, bin columns and count checks.

Bin coordinates leave here 0-based half-open; bins that abut as 1-based closed intervals
are converted (see :func:`bin_columns`). Counts leave here as non-negative integers, or an
error names the file, the cell, the bin and the fix.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ctcgenomics.cnv._errors import CNVInputError

log = logging.getLogger(__name__)

COORDINATE_NAMES = {
    "chrom": ("chrom", "chr", "#chrom", "#chr", "chromosome", "seqnames", "contig"),
    "start": ("start", "chromstart", "chrom_start", "bin_start"),
    "end": ("end", "stop", "chromend", "chrom_end", "bin_end"),
}
"""Bin coordinate column names of other tools' tables (case-insensitive)."""

KEPT_ANNOTATIONS = {
    "gc": "gc", "gc_content": "gc", "mappability": "mappability", "map": "mappability",
    "n_fraction": "n_fraction",
}  # fmt: skip
"""Bin annotations kept with the bins (lower-cased name -> ours)."""


@dataclass
class CountTable:
    """A count table read by :func:`ctcgenomics.cnv.read_count_table`.

    Attributes
    ----------
    bins
        ``chrom, start, end`` (0-based half-open), in table order, with ``gc``,
        ``mappability`` or ``n_fraction`` when the table gives them.
    counts
        Cells x bins integer counts.
    cells
        Cell IDs (row order of ``counts``).
    obs
        Per-cell metadata found in the table (h5ad ``obs``), index = cell IDs.
    normal
        Matched-normal counts per bin when the table carries them (long TSV with
        ``normal_count``), else ``None``.
    alleles
        Long allele-count table (``cell, chrom, start, end, a_count, b_count``) when the
        table carries them, else ``None``.
    """

    bins: pd.DataFrame
    counts: np.ndarray
    cells: list[str]
    obs: pd.DataFrame
    normal: np.ndarray | None = None
    alleles: pd.DataFrame | None = None


def coordinate_renames(columns: pd.Index) -> dict[str, str]:
    """Map other tools' coordinate columns (CHR, seqnames, Start ...) to ours."""
    out = {}
    for ours, names in COORDINATE_NAMES.items():
        if ours in columns:
            continue
        found = [c for c in columns if str(c).lower() in names]
        if len(found) == 1:
            out[found[0]] = ours
    return out


def bin_columns(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """``chrom, start, end`` of a table's bins, 0-based half-open.

    Bins that abut as 1-based closed intervals (``end + 1 == next start``) are converted
    (``start - 1``) and the conversion logged.

    Raises
    ------
    CNVInputError
        On missing or non-integer coordinate columns, or an empty or inverted bin.
    """
    frame = frame.rename(columns=coordinate_renames(frame.columns))
    missing = [c for c in ("chrom", "start", "end") if c not in frame.columns]
    if missing:
        raise CNVInputError(
            f"{where}: missing bin column(s) {missing} (columns: {list(frame.columns)[:8]}); "
            "a count table needs chrom, start, end (0-based half-open, or 1-based closed "
            "bins that abut) and one count column per cell, or a long table with a cell "
            "(cell_id, barcode ...) and a count (reads ...) column"
        )
    out = frame.loc[:, ["chrom", "start", "end"]].copy()
    out["chrom"] = out["chrom"].astype(str)
    for col in ("start", "end"):
        if not pd.api.types.is_integer_dtype(out[col]):
            raise CNVInputError(f"{where}: column {col} must hold integers (bin coordinates)")
    bad = out["end"] <= out["start"]
    if bad.any():
        row = out[bad].iloc[0]
        raise CNVInputError(
            f"{where}: bin {row['chrom']}:{row['start']}-{row['end']} is empty or inverted"
        )
    out = out.reset_index(drop=True)
    if one_based_closed(out):
        log.info(
            "%s: adjacent bins abut as 1-based closed intervals (end + 1 == next start); "
            "converted to 0-based half-open (start - 1)",
            where,
        )
        out["start"] -= 1
    return out


def one_based_closed(bins: pd.DataFrame) -> bool:
    """Whether the bins tile their contigs as 1-based closed intervals.

    Bins that tile a contig abut exactly: ``end == next start`` when 0-based half-open,
    ``end + 1 == next start`` when 1-based closed. Tables with gaps (filtered bins) are
    judged on the pairs that abut either way; a table with no abutting pair is left as
    it is. Judged on the bins sorted by contig and start, whatever the table's row order.
    """
    bins = bins.sort_values(["chrom", "start"], kind="stable")
    same = bins["chrom"].to_numpy()[1:] == bins["chrom"].to_numpy()[:-1]
    gap = bins["start"].to_numpy()[1:] - bins["end"].to_numpy()[:-1]
    half_open = int(np.sum(same & (gap == 0)))
    closed = int(np.sum(same & (gap == 1)))
    return closed > 0 and half_open == 0


def counts_matrix(
    values: np.ndarray,
    where: str,
    cells: list[str] | None = None,
    bins: pd.DataFrame | None = None,
) -> np.ndarray:
    """Cells x bins counts as integers, or an error naming the first bad cell and bin.

    Raises
    ------
    CNVInputError
        On NaN or infinite, negative or fractional counts.
    """
    values = np.asarray(values, dtype=float)
    checks = (
        (~np.isfinite(values), "no count (NaN or inf)", "fill bins without reads with 0"),
        (values < 0, "a negative count", "counts must be >= 0 (reads per bin)"),
        (
            np.abs(values - np.rint(values)) > 1e-6,
            "a fractional count",
            "give raw read counts, not normalised or GC-corrected values",
        ),
    )
    for bad, what, fix in checks:
        bad = np.nan_to_num(bad, nan=True).astype(bool)
        if bad.any():
            c, b = np.argwhere(bad)[0]
            cell = cells[c] if cells is not None else f"row {c + 1}"
            place = (
                f"bin {bins['chrom'].iloc[b]}:{bins['start'].iloc[b]}-{bins['end'].iloc[b]}"
                if bins is not None
                else f"bin {b + 1}"
            )
            raise CNVInputError(
                f"{where}: cell {cell} has {what} ({values[c, b]:g}) at {place}, and "
                f"{int(bad.sum())} such value(s) in all; {fix}"
            )
    return np.rint(values).astype(np.int64)


def fraction(values: pd.Series | np.ndarray, col: object, where: str) -> np.ndarray:
    """Return a GC or mappability column as fractions (tables in percent are scaled).

    Negative values (HMMcopy's and DLP's ``gc = -1`` for bins without GC) are missing:
    such bins are left out by the GC filter.
    """
    out = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, copy=True)
    negative = int(np.sum(out < 0))
    if negative:
        log.info("%s: %d bin(s) with %s < 0 read as unknown (left out)", where, negative, col)
        out[out < 0] = np.nan
    finite = out[np.isfinite(out)]
    if finite.size and finite.max() > 1:
        if finite.max() > 100:
            raise CNVInputError(
                f"{where}: column {col!r} is neither a fraction nor a percent "
                f"(maximum {finite.max():g}); give GC/mappability as 0-1 or 0-100"
            )
        log.info("%s: column %r is in percent; scaled to fractions", where, col)
        out = out / 100
    return out
