"""Inputs users have besides BAMs: count tables and a matched bulk normal.

A count table holds cells x bins read counts with the bins' ``chrom, start, end``. Text
tables may be tab-, comma- or whitespace-separated, plain or gzipped: the delimiter is
read from the header line (``.csv``, ``.csv.gz``, ``.tsv``, ``.txt`` ... alike).

- **wide**: columns ``chrom, start, end`` then one column per cell (one row per bin), or
  cells in rows: cell IDs in the first column and one column per bin named by its region
  (``chr1:0-500000``, ``chr1_0_500000``);
- **long**: one row per cell x bin with ``cell, chrom, start, end, count``. CHISEL's
  ``#CHR START END CELL COUNT`` is read as is (its ``NORM_COUNT`` as the matched normal
  and ``A_COUNT``/``B_COUNT`` as allele counts when asked for), and so is the DLP+
  pipeline's HMMcopy ``reads.csv.gz`` (``chr, start, end, reads, gc, map, cell_id`` and
  derived columns such as ``copy``, ``state``, ``cor_gc``, which are not read): the cell
  column may be ``cell_id``, ``barcode``, ``sample`` or ``cell_name``, the count column
  ``counts``, ``reads`` or ``read_count``, when only one column matches. Per-bin ``gc``
  and ``map`` of a long table are kept with the bins (the median over cells, with a
  warning, where cells disagree); GC below 0 (HMMcopy's -1) is unknown and such bins
  are left out by the GC filter;
- **h5ad**: cells x bins with ``var`` holding ``chrom, start, end`` (or bins x cells with
  them in ``obs``; or bins named by region, ``chr1:0-500000``), counts in
  ``layers["counts"]`` or ``X``;
- **HMMcopy readCounter wig**: a folder of per-cell ``.wig``/``.wig.gz`` files (or one
  file), ``fixedStep`` tracks with 1-based ``start``; cell ID = file name without
  ``.wig``; ``gcCounter``/``mapCounter`` files there (named with ``gc``/``map``, holding
  fractions) are the bins' GC and mappability (:mod:`ctcgenomics.cnv._wig`).

Other tools' coordinate names are read as ours (case-insensitive: ``chr``,
``chromosome``, ``seqnames``, ``contig``; ``chromStart``; ``stop``, ``chromEnd``).
Coordinates are 0-based half-open (this project's files, BED, CHISEL). A table whose
adjacent bins abut as 1-based closed intervals (``end + 1 == next start``, as QDNAseq's
``exportBins``, HMMcopy/DLP and R/Bioconductor tables write them) is converted
(``start - 1``) and the conversion logged. A wide table's bin annotations (``gc``,
``mappability``/``map``, ``n_fraction``; QDNAseq's ``feature``, ``bases``, ``blacklist``,
``residual``, ``use``) are not cells: ``gc``, ``mappability`` and ``n_fraction`` are kept
with the bins (``gc`` and ``mappability`` given in percent are scaled to fractions), the
others are left out, and so is a column without a name (row names, as R's ``write.csv``
and pandas' index write them).

A table's ``mappability`` filters bins (``min_mappability``) when no mappability track is
configured; a ``gc``/``mappability`` column without any value is dropped with a warning.
Bins on contigs that are not chromosomes (chrM/MT, EBV, unplaced scaffolds, ``GL...``,
decoys such as ``hs37d5``; the names ``ctcg bins`` leaves out) are left out and logged.

Bins must match the reference's bins (or the matched normal's) exactly; the first
mismatching bin is named in the error. Contig names that differ only by a ``chr`` prefix
(``1`` against ``chr1``, ``MT`` against ``chrM``) are matched to the reference's names
(:func:`match_contig_names`), and a last bin reaching past the reference's contig end
(readCounter's) is clipped to it (:func:`clip_contig_ends`).
"""

from __future__ import annotations

import gzip
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ctcgenomics.cnv._errors import CNVInputError
from ctcgenomics.cnv._table_long import (
    CELL_NAMES,
    LONG_RENAMES,
    is_long,
    long_columns,
    read_long,
)
from ctcgenomics.cnv._table_parts import (
    COORDINATE_NAMES,
    KEPT_ANNOTATIONS,
    CountTable,
    bin_columns,
    coordinate_renames,
    counts_matrix,
    fraction,
)
from ctcgenomics.cnv._wig import WIG_SUFFIXES, read_wig_files

log = logging.getLogger(__name__)

__all__ = [
    "CountTable",
    "check_same_bins",
    "clip_contig_ends",
    "match_contig_names",
    "read_count_table",
    "read_normal",
]

_DROPPED_ANNOTATIONS = frozenset(
    {"feature", "name", "bin", "bin_id", "bins", "bases", "blacklist", "blacklisted",
     "residual", "used", "width"}
)  # fmt: skip
"""Wide-table bin annotations of other tools that are neither cells nor used here."""

_NOT_READ = {
    ".rds": "write it as a table in R (write.table(..., sep='\\t') or QDNAseq's exportBins)",
    ".rda": "write it as a table in R (write.table(..., sep='\\t'))",
    ".rdata": "write it as a table in R (write.table(..., sep='\\t'))",
    ".xlsx": "save the sheet as CSV or TSV",
    ".xls": "save the sheet as CSV or TSV",
    ".bam": "count it first: ctcg cnv count --bam ... (or call with --counts)",
    ".h5": "an HDF5 file other than h5ad (10x Cell Ranger DNA's cnv_data.h5 ...) is not read; "
    "export the raw reads per cell and bin as a table",
}
"""Suffixes of files that are not count tables -> the fix."""


def _gzipped(path: Path) -> bool:
    """Whether a file is gzip-compressed (by its first bytes, whatever its name)."""
    with open(path, "rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def _delimiter(path: Path, where: str) -> tuple[str, list[str]]:
    """Return a text table's delimiter (from its header line) and the header's fields."""
    try:
        with gzip.open(path, "rt") if _gzipped(path) else open(path) as handle:
            header = next((line for line in handle if line.strip()), "")
    except (UnicodeDecodeError, OSError) as err:
        raise CNVInputError(
            f"{where}: not a text table ({err.__class__.__name__}); give a tab- or "
            "comma-separated table (plain or gzipped), an .h5ad or a folder of .wig files"
        ) from None
    header = header.rstrip("\r\n")
    if "\t" in header:
        sep = "\t"
    elif "," in header:
        sep = ","
    elif len(header.split()) > 1:
        sep = r"\s+"
    else:
        raise CNVInputError(
            f"{where}: the header line {header[:80]!r} has one column; a count table is "
            "tab-, comma- or space-separated with chrom, start, end and cells (wide) or "
            "cell, chrom, start, end, count (long)"
        )
    if sep == "\t" and path.name.lower().endswith((".csv", ".csv.gz")):
        log.info("%s: named .csv but tab-separated; read as tab-separated", where)
    fields = [
        f.strip().strip('"') for f in (header.split() if sep == r"\s+" else header.split(sep))
    ]
    return sep, fields


def _read_text(path: Path, where: str) -> pd.DataFrame:
    """Read a text table, its contig column (and cell IDs) as text."""
    sep, fields = _delimiter(path, where)
    # pandas reads a repeated 'X' as 'X.1' (empty names become distinct 'Unnamed: k')
    _refuse_repeated_names([f for f in fields if f], where, "in the header")
    text = set(COORDINATE_NAMES["chrom"]) | set(CELL_NAMES)
    dtype = {f: str for f in fields if f.lower() in text}
    usecols = long_columns(fields)
    if usecols is not None and len(usecols) < len(fields):
        skipped = [f for f in fields if f not in usecols]
        log.info("%s: column(s) %s are not read (other tools' per-cell values)", where, skipped)
    compression = "gzip" if _gzipped(path) else None
    frame = pd.read_csv(
        path, sep=sep, comment=None, dtype=dtype, usecols=usecols, compression=compression
    )
    first = str(frame.columns[0])
    if first.startswith("#") and first not in LONG_RENAMES:
        frame = frame.rename(columns={first: first.lstrip("#")})
    return frame


def read_count_table(path: str | os.PathLike[str]) -> CountTable:
    """Read a cells x bins count table (wide or long text table, h5ad, or wig files).

    Parameters
    ----------
    path
        A text table (``.tsv``, ``.csv``, ``.txt``, gzipped or not; the delimiter is
        read from the header), ``.h5ad``, or a folder of HMMcopy readCounter ``.wig``
        files (one per cell) or one such file.

    Returns
    -------
    CountTable
        Bins 0-based half-open (1-based closed bins converted).

    Raises
    ------
    CNVInputError
        On missing bin columns, a count that is missing, negative or not whole (naming
        the cell, bin and line), a cell missing a bin (long tables), or an h5ad without
        ``chrom, start, end``.
    """
    path = Path(path)
    where = str(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.name.endswith(WIG_SUFFIXES))
        return _finish(read_wig_files(files, where), where)
    if not path.is_file():
        raise CNVInputError(f"{where}: count table not found")
    if path.name.endswith(WIG_SUFFIXES):
        return _finish(read_wig_files([path], where), where)
    if path.suffix.lower() in _NOT_READ:
        raise CNVInputError(f"{where}: not a count table; {_NOT_READ[path.suffix.lower()]}")
    if path.suffix == ".h5ad":
        return _finish(_read_h5ad(path, where), where)
    frame = _read_text(path, where)
    table = read_long(frame, where) if is_long(frame) else _read_wide(frame, where)
    return _finish(table, where)


def _finish(table: CountTable, where: str) -> CountTable:
    """Drop empty bin annotations; leave out contigs that are not chromosomes.

    A ``gc`` (or ``mappability``, ``n_fraction``) column without a single value (all
    empty, or HMMcopy's -1 throughout) is dropped with a warning: kept, it would leave out
    every bin.

    Bins on contigs that are not chromosomes (chrM/MT, GL..., decoys) are left out.

    HMMcopy's readCounter, without ``-c``, counts every contig of the BAM: the
    mitochondrial genome (hundreds of copies) reads as an amplification, decoys and
    unplaced scaffolds as deletions, and they pull the ploidy fit. The names are those
    ``ctcg bins`` leaves out (:func:`ctcgenomics.io.bins.chromosome_contigs`).
    """
    from ctcgenomics.io.bins import chromosome_contigs

    _refuse_repeated_names(table.cells, where, "as a cell")
    for col in ("gc", "mappability", "n_fraction"):
        values = table.bins[col].to_numpy(dtype=float) if col in table.bins else [0.0]
        if not np.isfinite(values).any():
            log.warning("%s: column %s has no value in any bin; not used", where, col)
            table.bins = table.bins.drop(columns=col)
    table = _in_genomic_order(table, where)
    contigs = list(pd.unique(table.bins["chrom"]))
    kept = set(chromosome_contigs(contigs))
    if len(kept) == len(contigs):
        return table
    keep = table.bins["chrom"].isin(kept).to_numpy()
    left_out = [c for c in contigs if c not in kept]
    log.info(
        "%s: %d bin(s) on %d contig(s) that are not chromosomes left out (%s)",
        where, int((~keep).sum()), len(left_out), ", ".join(left_out[:5]),
    )  # fmt: skip
    alleles = table.alleles
    if alleles is not None:
        alleles = alleles[alleles["chrom"].astype(str).isin(kept)]
    return _take_bins(table, keep, alleles)


def _refuse_repeated_names(names: Sequence[str], where: str, what: str) -> None:
    """Refuse a name given twice: two cells of one name, or one cell's counts twice.

    A repeated column of a text table was read by pandas as a new cell ``X.1`` (a CTC of
    draw D1 when the sheet lacks it); a repeated h5ad cell reached the caller as two.
    """
    seen = pd.Index([str(n) for n in names])
    repeated = list(pd.unique(seen[seen.duplicated()]))
    if repeated:
        raise CNVInputError(
            f"{where}: {repeated[0]!r} appears {int((seen == repeated[0]).sum())} times "
            f"{what} ({len(repeated)} repeated name(s) in all: {repeated[:5]}); give each "
            "cell (column) one unique name, or keep one copy of a cell listed twice"
        )


def _in_genomic_order(table: CountTable, where: str) -> CountTable:
    """Bins sorted by contig (order of first appearance) and start, as the caller needs.

    A table's rows carry their coordinates, so their order is not information: tables
    sorted by another key (cell-major long tables, ``sort -k1,1`` putting chr10 before
    chr2, a reversed export) are sorted here rather than refused.
    """
    bins = table.bins
    first = {c: k for k, c in enumerate(pd.unique(bins["chrom"]))}
    key = pd.DataFrame({"c": bins["chrom"].map(first).to_numpy(), "s": bins["start"].to_numpy()})
    order = np.lexsort((key["s"].to_numpy(), key["c"].to_numpy()))
    _refuse_repeated_bins(bins, order, where)
    if np.array_equal(order, np.arange(len(order))):
        return table
    log.info("%s: bins sorted by contig and start (the table lists them in another order)", where)
    return _take_bins(table, order, table.alleles)


def _refuse_repeated_bins(bins: pd.DataFrame, order: np.ndarray, where: str) -> None:
    """Refuse a bin listed twice (two tables concatenated, a run merged twice).

    Sorted, a repeated bin used to reach the caller as "bins are not in genomic order ...
    sort them first", which the table already was.
    """
    chrom = bins["chrom"].astype(str).to_numpy()[order]
    start = bins["start"].to_numpy()[order]
    same = np.flatnonzero((chrom[1:] == chrom[:-1]) & (start[1:] == start[:-1]))
    if not len(same):
        return
    first, second = sorted(int(order[k]) for k in (same[0], same[0] + 1))
    end = bins["end"].to_numpy()[first]
    raise CNVInputError(
        f"{where}: bin {chrom[same[0]]}:{start[same[0]]}-{end} is listed twice (bins {first + 1} "
        f"and {second + 1} of the table), {len(same)} repeated bin(s) in all; keep one row "
        "per bin (a table concatenated twice, or two runs merged?)"
    )


def _take_bins(table: CountTable, index: np.ndarray, alleles: pd.DataFrame | None) -> CountTable:
    """Return the table on the bins ``index`` selects (a mask or an order), with ``alleles``."""
    return CountTable(
        table.bins.iloc[index].reset_index(drop=True),
        table.counts[:, index],
        table.cells,
        table.obs,
        None if table.normal is None else table.normal[index],
        alleles,
    )


def _read_h5ad(path: Path, where: str) -> CountTable:
    """Cells x bins (bins in ``var``) or bins x cells (bins in ``obs``) AnnData."""
    import anndata

    adata = anndata.read_h5ad(path)
    adata.var = adata.var.rename(columns=coordinate_renames(adata.var.columns))
    adata.obs = adata.obs.rename(columns=coordinate_renames(adata.obs.columns))
    if not {"chrom", "start", "end"} <= set(adata.var.columns):
        if {"chrom", "start", "end"} <= set(adata.obs.columns):
            adata = adata.T
        elif (regions := _regions(adata.var_names)) is not None:
            adata.var = pd.concat([adata.var, regions.set_axis(adata.var_names)], axis=1)
        elif (regions := _regions(adata.obs_names)) is not None:
            adata.obs = pd.concat([adata.obs, regions.set_axis(adata.obs_names)], axis=1)
            adata = adata.T
        else:
            raise CNVInputError(
                f"{where}: neither var nor obs holds chrom, start, end (var columns: "
                f"{list(adata.var.columns)[:8]}); store the bins in var (cells x bins) with "
                "their coordinates"
            )
    matrix = adata.layers["counts"] if "counts" in adata.layers else adata.X
    if hasattr(matrix, "toarray"):
        matrix = matrix.toarray()
    var = adata.var.reset_index(drop=True)
    var["start"], var["end"] = _integers(var["start"]), _integers(var["end"])
    bins = bin_columns(var, where)
    for col in var.columns:  # keep gc, n_fraction, mappability ... if the table has them
        if col in ("chrom", "start", "end"):
            continue
        ours = KEPT_ANNOTATIONS.get(str(col).lower(), col)
        values = var[col].to_numpy()
        bins[ours] = fraction(values, col, where) if ours in ("gc", "mappability") else values
    cells = [str(c) for c in adata.obs_names]
    return CountTable(bins, counts_matrix(matrix, where, cells, bins), cells, adata.obs.copy())


def _integers(values: pd.Series) -> pd.Series:
    """Whole-number float coordinates (as R and some h5ad writers store them) as integers."""
    if pd.api.types.is_float_dtype(values) and np.all(np.isfinite(values)):
        if np.all(values == np.rint(values)):
            return values.astype(np.int64)
    return values


_REGION = re.compile(r"^(?P<chrom>[^:\s]+?)[:_](?P<start>\d[\d,]*)[-_](?P<end>\d[\d,]*)$")
"""A bin named by its region: ``chr1:0-500000``, ``1:1-500,000``, ``chr1_0_500000``."""


def _regions(names: pd.Index) -> pd.DataFrame | None:
    """Return ``chrom, start, end`` of bins named by their regions, else ``None``."""
    found = pd.Series([str(n) for n in names]).str.extract(_REGION)
    if not len(found) or found["chrom"].isna().any():
        return None
    for col in ("start", "end"):
        found[col] = found[col].str.replace(",", "").astype(np.int64)
    return found


def _cells_by_regions(frame: pd.DataFrame, where: str) -> pd.DataFrame | None:
    """Turn a cells x bins table (first column cell IDs, bins named by region) around."""
    regions = _regions(frame.columns[1:])
    if regions is None:
        return None
    log.info("%s: cells in rows, bins in columns named by region; read as bins x cells", where)
    counts = frame.iloc[:, 1:].T.reset_index(drop=True)
    counts.columns = frame.iloc[:, 0].astype(str).to_list()
    return pd.concat([regions, counts], axis=1)


def _read_wide(frame: pd.DataFrame, where: str) -> CountTable:
    frame = frame.rename(columns=coordinate_renames(frame.columns))
    if "chrom" not in frame.columns and (turned := _cells_by_regions(frame, where)) is not None:
        frame = turned
    for col in ("start", "end"):
        if col in frame.columns:
            frame[col] = _integers(frame[col])
    bins = bin_columns(frame, where)
    cell_cols = _wide_annotations(frame, bins, where)
    if not cell_cols:
        raise CNVInputError(f"{where}: no cell columns after chrom, start, end")
    cells = [str(c) for c in cell_cols]
    return CountTable(
        bins,
        counts_matrix(frame[cell_cols].to_numpy().T, where, cells, bins),
        cells,
        pd.DataFrame(index=pd.Index(cells)),
    )


def _wide_annotations(frame: pd.DataFrame, bins: pd.DataFrame, where: str) -> list[str]:
    """Move a wide table's bin annotations into ``bins``; return the cell columns."""
    cells, dropped = [], []
    for col in frame.columns:
        name = str(col).lower()
        if col in ("chrom", "start", "end"):
            continue
        if name in KEPT_ANNOTATIONS:
            bins[KEPT_ANNOTATIONS[name]] = fraction(frame[col], col, where)
        elif name == "use":
            bins["table_use"] = _use_flags(frame[col], where)
        elif name in _DROPPED_ANNOTATIONS or name.startswith("unnamed: "):
            dropped.append(str(col))  # "Unnamed: 0": row names (R's write.csv, pandas' index)
        elif not pd.api.types.is_numeric_dtype(frame[col]) or frame[col].dtype == bool:
            raise CNVInputError(
                f"{where}: column {col!r} is not numeric, so it is not a cell's read counts "
                f"(first value {frame[col].iloc[0]!r}); remove it, or name the bin "
                f"annotations {sorted(KEPT_ANNOTATIONS)} or {sorted(_DROPPED_ANNOTATIONS)}"
            )
        else:
            cells.append(col)
    if dropped:
        log.info("%s: bin annotation column(s) %s are not cells; left out", where, dropped)
    return cells


def _use_flags(values: pd.Series, where: str) -> np.ndarray:
    """QDNAseq's ``use`` column (``TRUE``/``FALSE``, or 1/0) as booleans.

    QDNAseq sets it ``FALSE`` for bins its filters drop (N bases, blacklist, low
    mappability, residuals); such bins hold reference gaps whose zero reads would
    otherwise read as deletions in every cell.
    """
    text = values.astype(str).str.strip().str.upper()
    known = {"TRUE": True, "T": True, "1": True, "1.0": True,
             "FALSE": False, "F": False, "0": False, "0.0": False}  # fmt: skip
    bad = ~text.isin(list(known))
    if bad.any():
        raise CNVInputError(
            f"{where}: column 'use' holds {values[bad].iloc[0]!r}; QDNAseq's use column is "
            "TRUE/FALSE (bins to use); fix it or remove the column"
        )
    flags = text.map(known).to_numpy(dtype=bool)
    log.info(
        "%s: %d bin(s) marked use = FALSE in the table are left out", where, int((~flags).sum())
    )
    return flags


def _contig_key(name: str) -> str:
    name = name.removeprefix("chr")
    return "M" if name == "MT" else name


def match_contig_names(
    bins: pd.DataFrame, reference: pd.DataFrame, *, what: str, reference_name: str
) -> pd.DataFrame:
    """Rename ``bins``' contigs to the reference's where they differ only by ``chr``.

    ``1`` and ``chr1`` (and ``MT`` and ``chrM``) name the same contig in GRCh37/hg19
    and GRCh38 tables. Contigs with no counterpart are left as they are (the bin check
    names them).

    Returns
    -------
    pandas.DataFrame
        ``bins`` with the reference's contig names (a copy when any was renamed).
    """
    ours = pd.unique(bins["chrom"].astype(str))
    theirs = {_contig_key(c): c for c in pd.unique(reference["chrom"].astype(str))}
    known = set(theirs.values())
    renames = {
        c: theirs[_contig_key(c)] for c in ours if c not in known and _contig_key(c) in theirs
    }
    if not renames:
        return bins
    first = next(iter(renames.items()))
    log.info(
        "%s: %d contig name(s) read as %s's (%s -> %s ...)",
        what, len(renames), reference_name, first[0], first[1],
    )  # fmt: skip
    return bins.assign(chrom=bins["chrom"].astype(str).replace(renames))


def clip_contig_ends(
    bins: pd.DataFrame, reference: pd.DataFrame, *, what: str, reference_name: str
) -> pd.DataFrame:
    """Clip each contig's last bin to the reference's where it reaches past it.

    HMMcopy's readCounter writes the last bin of a contig at the full bin size, past the
    contig's end; a bin table of the reference ends it there.

    Returns
    -------
    pandas.DataFrame
        ``bins``, a copy with the clipped ends when any was clipped.
    """
    bins = bins.reset_index(drop=True)
    last = ~bins["chrom"].duplicated(keep="last").to_numpy()
    ref = reference.loc[~reference["chrom"].duplicated(keep="last"), ["chrom", "start", "end"]]
    ref = ref.astype({"chrom": str}).set_index("chrom")
    rows = np.flatnonzero(last & bins["chrom"].astype(str).isin(ref.index).to_numpy())
    mine = bins.iloc[rows]
    theirs = ref.loc[mine["chrom"].astype(str)]
    clip = (mine["start"].to_numpy() == theirs["start"].to_numpy()) & (
        mine["end"].to_numpy() > theirs["end"].to_numpy()
    )
    if not clip.any():
        return bins
    out = bins.copy()
    out.loc[rows[clip], "end"] = theirs["end"].to_numpy()[clip]
    log.info(
        "%s: the last bin of %d contig(s) reaches past its end in %s; clipped to it",
        what, int(clip.sum()), reference_name,
    )  # fmt: skip
    return out


def check_same_bins(
    bins: pd.DataFrame, reference: pd.DataFrame, *, what: str, reference_name: str
) -> None:
    """Raise unless ``bins`` and ``reference`` list the same intervals in the same order.

    Raises
    ------
    CNVInputError
        Naming the first bin that differs (or the first missing one) and the fix.
    """
    a = bins.loc[:, ["chrom", "start", "end"]].astype({"chrom": str}).reset_index(drop=True)
    b = reference.loc[:, ["chrom", "start", "end"]].astype({"chrom": str}).reset_index(drop=True)
    n = min(len(a), len(b))
    differs = (
        (a["chrom"].to_numpy()[:n] != b["chrom"].to_numpy()[:n])
        | (a["start"].to_numpy()[:n] != b["start"].to_numpy()[:n])
        | (a["end"].to_numpy()[:n] != b["end"].to_numpy()[:n])
    )
    if differs.any():
        k = int(np.flatnonzero(differs)[0])
        raise CNVInputError(
            f"{what}: bin {k + 1} is {a.iloc[k]['chrom']}:{a.iloc[k]['start']}-{a.iloc[k]['end']} "
            f"but {reference_name} has {b.iloc[k]['chrom']}:{b.iloc[k]['start']}-"
            f"{b.iloc[k]['end']} there; count with the same bin table (same reference, bin "
            "size and order)"
        )
    if len(a) != len(b):
        longer, name = (a, what) if len(a) > len(b) else (b, reference_name)
        row = longer.iloc[n]
        raise CNVInputError(
            f"{what} has {len(a)} bins, {reference_name} {len(b)}: the first bin only in {name} "
            f"is {row['chrom']}:{row['start']}-{row['end']}; count with the same bin table"
        )


def read_normal(path: str | os.PathLike[str], bins: pd.DataFrame) -> np.ndarray:
    """Read a matched bulk normal's counts per bin (``chrom start end count``).

    A ``ctcg cnv count`` output of the normal's BAM works as is; tab- or comma-separated,
    1-based closed bins converted, contigs named with or without ``chr`` matched to
    ``bins``'. Bins must match ``bins``.

    Raises
    ------
    CNVInputError
        On missing columns or bins that differ from ``bins`` (the first one is named).
    """
    where = f"matched normal {path}"
    path = Path(path)
    sep, _ = _delimiter(path, where)
    frame = pd.read_csv(path, sep=sep, comment="#", dtype={"chrom": str})
    if "chrom" not in frame.columns:  # a header line starting with #: the comment ate it
        frame = pd.read_csv(path, sep=sep, dtype=str).iloc[:0]
        frame = pd.read_csv(
            path, sep=sep, dtype={c: str for c in frame.columns if "chr" in c.lower()}
        )
    frame = frame.rename(columns={"#chrom": "chrom", "NORM_COUNT": "count", "COUNT": "count"})
    frame = frame.rename(columns=coordinate_renames(frame.columns))
    if "count" not in frame.columns:
        raise CNVInputError(f"{where}: needs columns chrom, start, end, count")
    own = match_contig_names(
        bin_columns(frame, where), bins, what=where, reference_name="the count table"
    )
    check_same_bins(own, bins, what=where, reference_name="the count table")
    values = frame["count"].to_numpy(dtype=float)
    if not np.isfinite(values).all() or (values < 0).any():
        k = int(np.flatnonzero(~(np.isfinite(values) & (values >= 0)))[0])
        raise CNVInputError(
            f"{where}: line {k + 2}: count {values[k]!r} is not a finite number >= 0; "
            "give the normal's reads per bin"
        )
    return values
