"""Long count tables: one row per cell x bin (CHISEL, DLP+/HMMcopy ``reads.csv`` and ours).

The cell column is ``cell`` or one of ``cell_id``, ``barcode``, ``sample``, ``cell_name``
(CHISEL's ``CELL``); the count column ``count`` or one of ``counts``, ``reads``,
``read_count`` (CHISEL's ``COUNT``); other names are used only when exactly one column
matches. Per-bin ``gc`` and ``map``/``mappability`` are kept with the bins (the median
over cells, with a warning, where cells disagree; negative GC, HMMcopy's -1, is
missing). Other tools' per-cell derived columns (``copy``, ``state``, ``cor_gc``,
``ideal``, ``valid`` ...) are not read.
"""

from __future__ import annotations

import logging
from typing import NoReturn

import numpy as np
import pandas as pd

from ctcgenomics.cnv._errors import CNVInputError
from ctcgenomics.cnv._table_parts import (
    COORDINATE_NAMES,
    KEPT_ANNOTATIONS,
    CountTable,
    bin_columns,
    coordinate_renames,
    counts_matrix,
    fraction,
)

log = logging.getLogger(__name__)

LONG_RENAMES = {
    "#CHR": "chrom", "CHR": "chrom", "#chrom": "chrom", "START": "start", "END": "end",
    "CELL": "cell", "COUNT": "count", "NORM_COUNT": "normal_count", "A_COUNT": "a_count",
    "B_COUNT": "b_count",
}  # fmt: skip
"""CHISEL's column names -> ours."""

CELL_NAMES = ("cell", "cell_id", "barcode", "sample", "cell_name")
COUNT_NAMES = ("count", "counts", "reads", "read_count")


def _pick(frame: pd.DataFrame, ours: str, names: tuple[str, ...], where: str) -> str | None:
    """Return the column that is ``ours``, or else the one other tool's name for it."""
    if ours in frame.columns:
        return ours
    found = [c for c in frame.columns if str(c).lower() in names]
    if len(found) > 1:
        raise CNVInputError(
            f"{where}: columns {found} could each be the {ours} column of a long table; "
            f"rename the one to use to {ours!r}"
        )
    return found[0] if found else None


_LONG_VALUES = {"normal_count", "a_count", "b_count", *KEPT_ANNOTATIONS}


def long_columns(fields: list[str]) -> list[str] | None:
    """Return the header fields a long table is read from, or ``None`` if it is not long.

    A long table of another tool (DLP+'s reads.csv holds about 20 columns) is read
    without its derived per-cell columns: a tenth of the memory for 1,000 cells.
    """
    names = [LONG_RENAMES.get(f, f) for f in fields]
    coordinates = {n for group in COORDINATE_NAMES.values() for n in group}
    lower = [n.lower() for n in names]
    needed = (CELL_NAMES, COUNT_NAMES, COORDINATE_NAMES["chrom"])
    if not all(any(n in group for n in lower) for group in needed):
        return None  # read every column; is_long decides on the values
    wanted = coordinates | set(CELL_NAMES) | set(COUNT_NAMES) | _LONG_VALUES
    return [f for f, n in zip(fields, lower, strict=True) if n in wanted]


def is_long(frame: pd.DataFrame) -> bool:
    """Whether a table is long: a contig and a cell column, and a count column or text IDs."""
    renamed = frame.rename(columns=LONG_RENAMES)
    renamed = renamed.rename(columns=coordinate_renames(renamed.columns))
    cells = [c for c in renamed.columns if str(c).lower() in CELL_NAMES]
    counts = [c for c in renamed.columns if str(c).lower() in COUNT_NAMES]
    if not cells or "chrom" not in renamed.columns:
        return False
    text = any(not pd.api.types.is_numeric_dtype(renamed[c]) for c in cells)
    return bool(counts) or text


def _first_bad_row(
    frame: pd.DataFrame, bad: np.ndarray, what: str, fix: str, where: str
) -> NoReturn:
    """Raise, naming the first bad record's line (header = line 1), cell and bin."""
    row = int(np.flatnonzero(bad)[0])
    rec = frame.iloc[row]
    raise CNVInputError(
        f"{where}: line {row + 2} (cell {rec['cell']}, bin {rec['chrom']}:{rec['start']}-"
        f"{rec['end']}) has {what} ({rec['count']}), {int(bad.sum())} row(s) in all; {fix}"
    )


def _check_counts(frame: pd.DataFrame, where: str) -> None:
    """Name the first record whose count is not a whole number of reads >= 0."""
    values = pd.to_numeric(frame["count"], errors="coerce").to_numpy(dtype=float)
    nan = ~np.isfinite(values)
    if nan.any():
        _first_bad_row(
            frame, nan, "no read count (empty, NaN or text)",
            "fill bins without reads with 0, or remove the cell's rows (HMMcopy's reads "
            "column holds raw counts for every bin)", where,
        )  # fmt: skip
    if (values < 0).any():
        _first_bad_row(frame, values < 0, "a negative count", "counts are reads per bin", where)
    frac = np.abs(values - np.rint(values)) > 1e-6
    if frac.any():
        _first_bad_row(
            frame, frac, "a fractional count",
            "give the raw read counts (HMMcopy: reads, not cor_gc or copy)", where,
        )  # fmt: skip
    frame["count"] = values


def _ordered_bins(frame: pd.DataFrame, where: str) -> tuple[pd.DataFrame, int]:
    """Distinct bins (contigs in order of appearance, by start); the 1-based shift."""
    if not {"chrom", "start", "end"} <= set(frame.columns):
        bin_columns(frame, where)  # raises, naming the missing columns
    uniq = frame.loc[:, ["chrom", "start", "end"]].drop_duplicates()
    contig = pd.Index(pd.unique(uniq["chrom"])).get_indexer(uniq["chrom"])
    uniq = uniq.assign(_c=contig).sort_values(["_c", "start", "end"], kind="stable")
    uniq = uniq.drop(columns="_c").reset_index(drop=True)
    bins = bin_columns(uniq, where)
    return bins, int(uniq["start"].iloc[0] - bins["start"].iloc[0])


def _per_bin(
    values: pd.Series, bin_index: np.ndarray, bins: pd.DataFrame, col: str, where: str
) -> np.ndarray:
    """Return one value per bin of a long table's column (the median where cells differ)."""
    per = values.groupby(bin_index).agg(["min", "max", "median"]).sort_index()
    differs = np.flatnonzero(((per["min"] != per["max"]) & per["max"].notna()).to_numpy())
    if len(differs):
        b = bins.iloc[int(per.index[differs[0]])]
        log.warning(
            "%s: %s differs between cells in %d bin(s) (first %s:%d-%d); using the median "
            "over cells",
            where, col, len(differs), b["chrom"], b["start"], b["end"],
        )  # fmt: skip
    return per["median"].to_numpy(dtype=float)


def _annotations(
    frame: pd.DataFrame, bin_index: np.ndarray, bins: pd.DataFrame, where: str
) -> None:
    """Keep the per-bin gc / mappability / n_fraction columns with ``bins``."""
    for col in frame.columns:
        ours = KEPT_ANNOTATIONS.get(str(col).lower())
        if ours is None or ours in bins.columns:
            continue
        values = pd.to_numeric(frame[col], errors="coerce")
        if ours == "gc":
            values = values.where(values >= 0)  # HMMcopy/DLP: gc -1 = no GC known
        bins[ours] = fraction(_per_bin(values, bin_index, bins, str(col), where), col, where)


def read_long(frame: pd.DataFrame, where: str) -> CountTable:
    """Read a long table (one row per cell x bin) into a :class:`CountTable`.

    Raises
    ------
    CNVInputError
        Naming the line of the first bad record: no or a bad count, a bin twice for one
        cell, a bin missing for a cell; or ambiguous cell or count columns.
    """
    frame = frame.rename(columns=LONG_RENAMES)
    frame = frame.rename(columns=coordinate_renames(frame.columns))
    cell_col = _pick(frame, "cell", CELL_NAMES, where)
    count_col = _pick(frame, "count", COUNT_NAMES, where)
    if cell_col is None or count_col is None:
        raise CNVInputError(
            f"{where}: a long count table needs a cell column ({', '.join(CELL_NAMES)}) and "
            f"a count column ({', '.join(COUNT_NAMES)}); columns: {list(frame.columns)[:10]}"
        )
    frame = frame.rename(columns={cell_col: "cell", count_col: "count"})
    frame = frame.reset_index(drop=True)
    if "chrom" in frame.columns:
        frame["chrom"] = frame["chrom"].astype(str)
    bins, shift = _ordered_bins(frame, where)
    frame["start"] -= shift
    frame["cell"] = frame["cell"].astype(str)
    _check_counts(frame, where)
    used = {"cell", "count", "chrom", "start", "end", "normal_count", "a_count", "b_count"}
    ignored = [
        str(c) for c in frame.columns if c not in used and str(c).lower() not in KEPT_ANNOTATIONS
    ]
    if ignored:
        log.info("%s: column(s) %s are not read (other tools' per-cell values)", where, ignored)
    return _long_matrix(frame, bins, where)


def _long_matrix(frame: pd.DataFrame, bins: pd.DataFrame, where: str) -> CountTable:
    """Cells x bins counts, per-bin annotations, normal and allele counts of a long table."""
    cells = list(dict.fromkeys(frame["cell"]))
    key = pd.MultiIndex.from_frame(frame[["chrom", "start", "end"]])
    bin_index = pd.MultiIndex.from_frame(bins[["chrom", "start", "end"]]).get_indexer(key)
    cell_index = pd.Index(cells).get_indexer(frame["cell"])
    dup = pd.Index(cell_index.astype(np.int64) * len(bins) + bin_index).duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup)[0])
        rec = frame.iloc[row]
        raise CNVInputError(
            f"{where}: line {row + 2}: cell {rec['cell']} has bin {rec['chrom']}:"
            f"{rec['start']}-{rec['end']} twice; keep one row per cell and bin"
        )
    counts = np.zeros((len(cells), len(bins)), dtype=float)
    seen = np.zeros_like(counts, dtype=bool)
    counts[cell_index, bin_index] = frame["count"].to_numpy(dtype=float)
    seen[cell_index, bin_index] = True
    if not seen.all():
        c, b = np.argwhere(~seen)[0]
        raise CNVInputError(
            f"{where}: cell {cells[c]} has no row for bin {bins.iloc[b]['chrom']}:"
            f"{bins.iloc[b]['start']}-{bins.iloc[b]['end']} ({int((~seen).sum())} cell x bin "
            "rows missing in all); every cell needs every bin (a row with count 0 where no "
            "reads were counted)"
        )
    _annotations(frame, bin_index, bins, where)
    normal = None
    if "normal_count" in frame.columns:
        normal = _per_bin(frame["normal_count"], bin_index, bins, "the normal count", where)
    alleles = None
    if {"a_count", "b_count"} <= set(frame.columns):
        alleles = frame.loc[:, ["cell", "chrom", "start", "end", "a_count", "b_count"]]
    obs = pd.DataFrame(index=pd.Index(cells))
    return CountTable(bins, counts_matrix(counts, where, cells, bins), cells, obs, normal, alleles)
