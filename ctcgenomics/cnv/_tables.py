"""Inputs users have besides BAMs: count tables (TSV or h5ad) and a matched bulk normal.

A count table holds cells x bins read counts with the bins' ``chrom, start, end``:

- **wide TSV**: columns ``chrom, start, end`` then one column per cell (one row per bin);
- **long TSV**: one row per cell x bin with ``cell, chrom, start, end, count`` (CHISEL's
  ``#CHR START END CELL COUNT`` is accepted as is; its ``NORM_COUNT`` is read as the
  matched normal and ``A_COUNT``/``B_COUNT`` as allele counts when asked for);
- **h5ad**: cells x bins with ``var`` holding ``chrom, start, end`` (or bins x cells with
  them in ``obs``), counts in ``layers["counts"]`` or ``X``.

Other tools' coordinate names are read as ours (case-insensitive: ``chr``,
``chromosome``, ``seqnames``, ``contig``; ``chromStart``; ``stop``, ``chromEnd``).
Coordinates are 0-based half-open (this project's files, BED, CHISEL). A table whose
adjacent bins abut as 1-based closed intervals (``end + 1 == next start``, as QDNAseq's
``exportBins`` and R/Bioconductor tables write them) is converted (``start - 1``) and the
conversion logged. A wide table's bin annotations (``gc``, ``mappability``,
``n_fraction``; QDNAseq's ``feature``, ``bases``, ``blacklist``, ``residual``, ``use``) are
not cells: ``gc``, ``mappability`` and ``n_fraction`` are kept with the bins (``gc`` and
``mappability`` given in percent are scaled to fractions), the others are left out.

Bins must match the reference's bins (or the matched normal's) exactly; the first
mismatching bin is named in the error.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ctcgenomics.cnv._errors import CNVInputError

log = logging.getLogger(__name__)

_LONG_RENAMES = {
    "#CHR": "chrom", "CHR": "chrom", "#chrom": "chrom", "START": "start", "END": "end",
    "CELL": "cell", "COUNT": "count", "NORM_COUNT": "normal_count", "A_COUNT": "a_count",
    "B_COUNT": "b_count",
}  # fmt: skip


_COORDINATE_NAMES = {
    "chrom": ("chrom", "chr", "#chrom", "#chr", "chromosome", "seqnames", "contig"),
    "start": ("start", "chromstart", "chrom_start", "bin_start"),
    "end": ("end", "stop", "chromend", "chrom_end", "bin_end"),
}
"""Bin coordinate column names of other tools' tables (case-insensitive)."""


_KEPT_ANNOTATIONS = {
    "gc": "gc", "gc_content": "gc", "mappability": "mappability", "map": "mappability",
    "n_fraction": "n_fraction",
}  # fmt: skip
"""Wide-table bin annotations kept with the bins (lower-cased name -> ours)."""

_DROPPED_ANNOTATIONS = frozenset(
    {"feature", "name", "bin", "bin_id", "bins", "bases", "blacklist", "blacklisted",
     "residual", "use", "used", "width"}
)  # fmt: skip
"""Wide-table bin annotations of other tools that are neither cells nor used here."""


def _coordinate_renames(columns: pd.Index) -> dict[str, str]:
    """Map other tools' coordinate columns (CHR, seqnames, Start ...) to ours."""
    out = {}
    for ours, names in _COORDINATE_NAMES.items():
        if ours in columns:
            continue
        found = [c for c in columns if str(c).lower() in names]
        if len(found) == 1:
            out[found[0]] = ours
    return out


@dataclass
class CountTable:
    """A count table read by :func:`read_count_table`.

    Attributes
    ----------
    bins
        ``chrom, start, end`` (0-based half-open), in table order.
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


def _bin_columns(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    frame = frame.rename(columns=_coordinate_renames(frame.columns))
    missing = [c for c in ("chrom", "start", "end") if c not in frame.columns]
    if missing:
        raise CNVInputError(
            f"{where}: missing bin column(s) {missing}; a count table needs chrom, start, end "
            "(0-based half-open) and one count column per cell, or a long table with cell and "
            "count columns"
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
    if _one_based_closed(out):
        log.info(
            "%s: adjacent bins abut as 1-based closed intervals (end + 1 == next start); "
            "converted to 0-based half-open (start - 1)",
            where,
        )
        out["start"] -= 1
    return out


def _one_based_closed(bins: pd.DataFrame) -> bool:
    """Whether the bins tile their contigs as 1-based closed intervals.

    Bins that tile a contig abut exactly: ``end == next start`` when 0-based half-open,
    ``end + 1 == next start`` when 1-based closed. Tables with gaps (filtered bins) are
    judged on the pairs that abut either way; a table with no abutting pair is left as
    it is.
    """
    same = bins["chrom"].to_numpy()[1:] == bins["chrom"].to_numpy()[:-1]
    gap = bins["start"].to_numpy()[1:] - bins["end"].to_numpy()[:-1]
    half_open = int(np.sum(same & (gap == 0)))
    closed = int(np.sum(same & (gap == 1)))
    return closed > 0 and half_open == 0


def _counts_matrix(values: np.ndarray, where: str) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if not np.isfinite(values).all():
        raise CNVInputError(f"{where}: counts must be finite numbers (found NaN or inf)")
    if (values < 0).any():
        raise CNVInputError(f"{where}: counts must be >= 0")
    if not np.allclose(values, np.rint(values)):
        raise CNVInputError(f"{where}: counts must be whole numbers of reads")
    return np.rint(values).astype(np.int64)


def _read_long(frame: pd.DataFrame, where: str) -> CountTable:
    frame = frame.rename(columns=_LONG_RENAMES)
    frame = frame.rename(columns=_coordinate_renames(frame.columns))
    if "count" not in frame.columns:
        raise CNVInputError(f"{where}: a long count table needs a count (or COUNT) column")
    frame["cell"] = frame["cell"].astype(str)
    frame["chrom"] = frame["chrom"].astype(str)
    cells = list(dict.fromkeys(frame["cell"]))
    bins = _bin_columns(frame.drop_duplicates(["chrom", "start", "end"]), where)
    key = pd.MultiIndex.from_frame(frame[["chrom", "start", "end"]])
    bin_index = pd.MultiIndex.from_frame(bins).get_indexer(key)
    cell_index = pd.Index(cells).get_indexer(frame["cell"])
    dup = pd.Series(list(zip(cell_index, bin_index, strict=True))).duplicated()
    if dup.any():
        row = frame.iloc[int(np.flatnonzero(dup)[0])]
        raise CNVInputError(
            f"{where}: cell {row['cell']} has bin {row['chrom']}:{row['start']}-{row['end']} twice"
        )
    counts = np.zeros((len(cells), len(bins)), dtype=float)
    seen = np.zeros_like(counts, dtype=bool)
    counts[cell_index, bin_index] = frame["count"].to_numpy(dtype=float)
    seen[cell_index, bin_index] = True
    if not seen.all():
        c, b = np.argwhere(~seen)[0]
        raise CNVInputError(
            f"{where}: cell {cells[c]} has no count for bin {bins.iloc[b]['chrom']}:"
            f"{bins.iloc[b]['start']}-{bins.iloc[b]['end']}; every cell needs every bin"
        )
    normal = None
    if "normal_count" in frame.columns:
        per_bin = frame.groupby(bin_index)["normal_count"].agg(["min", "max", "median"])
        differs = np.flatnonzero((per_bin["min"] != per_bin["max"]).to_numpy())
        if len(differs):
            b = bins.iloc[int(per_bin.index[differs[0]])]
            log.warning(
                "%s: the normal count differs between cells in %d bin(s) (first %s:%d-%d); "
                "using the median over cells",
                where,
                len(differs),
                b["chrom"],
                b["start"],
                b["end"],
            )
        normal = per_bin["median"].sort_index().to_numpy(dtype=float)
    alleles = None
    if {"a_count", "b_count"} <= set(frame.columns):
        alleles = frame.loc[:, ["cell", "chrom", "start", "end", "a_count", "b_count"]]
    return CountTable(
        bins,
        _counts_matrix(counts, where),
        cells,
        pd.DataFrame(index=pd.Index(cells)),
        normal,
        alleles,
    )


def read_count_table(path: str | os.PathLike[str]) -> CountTable:
    """Read a cells x bins count table (wide or long TSV, or h5ad).

    Parameters
    ----------
    path
        ``.tsv``/``.tsv.gz``/``.txt`` (tab-separated) or ``.h5ad``.

    Returns
    -------
    CountTable

    Raises
    ------
    CNVInputError
        On missing bin columns, non-integer or negative counts, a cell missing a bin
        (long tables), or an h5ad without ``chrom, start, end``.
    """
    path = Path(path)
    where = str(path)
    if not path.is_file():
        raise CNVInputError(f"{where}: count table not found")
    if path.suffix == ".h5ad":
        import anndata

        adata = anndata.read_h5ad(path)
        adata.var = adata.var.rename(columns=_coordinate_renames(adata.var.columns))
        adata.obs = adata.obs.rename(columns=_coordinate_renames(adata.obs.columns))
        if not {"chrom", "start", "end"} <= set(adata.var.columns):
            if {"chrom", "start", "end"} <= set(adata.obs.columns):
                adata = adata.T
            else:
                raise CNVInputError(
                    f"{where}: neither var nor obs holds chrom, start, end; store the bins in "
                    "var (cells x bins) with their coordinates"
                )
        matrix = adata.layers["counts"] if "counts" in adata.layers else adata.X
        if hasattr(matrix, "toarray"):
            matrix = matrix.toarray()
        bins = _bin_columns(adata.var.reset_index(drop=True), where)
        extra = [c for c in adata.var.columns if c not in ("chrom", "start", "end")]
        for col in extra:  # keep gc, n_fraction, mappability ... if the table has them
            values = adata.var[col].to_numpy()
            bins[col] = _fraction(values, col, where) if col in ("gc", "mappability") else values
        return CountTable(
            bins,
            _counts_matrix(matrix, where),
            [str(c) for c in adata.obs_names],
            adata.obs.copy(),
        )
    frame = pd.read_csv(path, sep="\t", comment=None, dtype={"chrom": str, "#CHR": str})
    if frame.columns[0].startswith("#") and frame.columns[0] not in _LONG_RENAMES:
        frame = frame.rename(columns={frame.columns[0]: frame.columns[0].lstrip("#")})
    if {"cell", "CELL"} & set(frame.columns):
        return _read_long(frame, where)
    frame = frame.rename(columns=_coordinate_renames(frame.columns))
    bins = _bin_columns(frame, where)
    cell_cols = _wide_annotations(frame, bins, where)
    if not cell_cols:
        raise CNVInputError(f"{where}: no cell columns after chrom, start, end")
    return CountTable(
        bins,
        _counts_matrix(frame[cell_cols].to_numpy().T, where),
        [str(c) for c in cell_cols],
        pd.DataFrame(index=pd.Index([str(c) for c in cell_cols])),
    )


def _wide_annotations(frame: pd.DataFrame, bins: pd.DataFrame, where: str) -> list[str]:
    """Move a wide table's bin annotations into ``bins``; return the cell columns."""
    cells, dropped = [], []
    for col in frame.columns:
        name = str(col).lower()
        if col in ("chrom", "start", "end"):
            continue
        if name in _KEPT_ANNOTATIONS:
            bins[_KEPT_ANNOTATIONS[name]] = _fraction(frame[col], col, where)
        elif name in _DROPPED_ANNOTATIONS:
            dropped.append(str(col))
        elif not pd.api.types.is_numeric_dtype(frame[col]) or frame[col].dtype == bool:
            raise CNVInputError(
                f"{where}: column {col!r} is not numeric, so it is not a cell's read counts "
                f"(first value {frame[col].iloc[0]!r}); remove it, or name the bin "
                f"annotations {sorted(_KEPT_ANNOTATIONS)} or {sorted(_DROPPED_ANNOTATIONS)}"
            )
        else:
            cells.append(col)
    if dropped:
        log.info("%s: bin annotation column(s) %s are not cells; left out", where, dropped)
    return cells


def _fraction(values: pd.Series | np.ndarray, col: object, where: str) -> np.ndarray:
    """Return a GC or mappability column as fractions (tables in percent are scaled)."""
    out = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    finite = out[np.isfinite(out)]
    if finite.size and finite.max() > 1:
        if finite.max() > 100:
            raise CNVInputError(f"{where}: column {col!r} is neither a fraction nor a percent")
        log.info("%s: column %r is in percent; scaled to fractions", where, col)
        out = out / 100
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

    A ``ctcg cnv count`` output of the normal's BAM works as is. Bins must match ``bins``.

    Raises
    ------
    CNVInputError
        On missing columns or bins that differ from ``bins`` (the first one is named).
    """
    where = f"matched normal {path}"
    frame = pd.read_csv(path, sep="\t", comment="#", dtype={"chrom": str})
    frame = frame.rename(columns={"#chrom": "chrom", "NORM_COUNT": "count", "COUNT": "count"})
    if "count" not in frame.columns:
        raise CNVInputError(f"{where}: needs columns chrom, start, end, count")
    check_same_bins(_bin_columns(frame, where), bins, what=where, reference_name="the count table")
    values = frame["count"].to_numpy(dtype=float)
    if not np.isfinite(values).all() or (values < 0).any():
        raise CNVInputError(f"{where}: counts must be finite and >= 0")
    return values
