"""Read count matrices as users have them into a validated cells x genes AnnData."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scanpy as sc
import scipy.sparse as sp
from anndata import AnnData

from ctcgenomics._keys import layer_names
from ctcgenomics.rna._genes import (
    GENOME_PREFIX,
    harmonize_gene_names,
    human_symbols,
    looks_like_ensembl,
)

log = logging.getLogger(__name__)

FORMATS = ("auto", "10x_h5", "10x_mtx", "h5ad", "csv", "tsv")
VALUES = ("counts", "normalised", "log1p")
"""Accepted declarations of what a matrix holds (RNA sheet column ``values``)."""
"""Accepted values of ``fmt``."""


class CountMatrixError(ValueError):
    """A count matrix cannot be read or fails validation."""


def detect_format(path: str | os.PathLike[str]) -> str:
    """Guess the format from the path: folder, ``.h5``, ``.h5ad``, ``.csv``/``.tsv``/``.txt``."""
    p = Path(path)
    if p.is_dir():
        return "10x_mtx"
    name = p.name.lower().removesuffix(".gz")
    for suffix, fmt in (
        (".h5ad", "h5ad"),
        (".h5", "10x_h5"),
        (".csv", "csv"),
        (".tsv", "tsv"),
        (".txt", "tsv"),
    ):
        if name.endswith(suffix):
            return fmt
    raise CountMatrixError(
        f"{path}: cannot tell the format from the name; give one of {FORMATS[1:]} "
        "(sheet column 'format' or --format)"
    )


def _find(folder: Path, stems: tuple[str, ...]) -> Path | None:
    for stem in stems:
        for cand in (folder / stem, folder / f"{stem}.gz"):
            if cand.exists():
                return cand
    return None


def _read_10x_mtx(folder: Path) -> AnnData:
    parts = {
        "matrix.mtx": _find(folder, ("matrix.mtx",)),
        "features.tsv (or genes.tsv)": _find(folder, ("features.tsv", "genes.tsv")),
        "barcodes.tsv": _find(folder, ("barcodes.tsv",)),
    }
    missing = [k for k, v in parts.items() if v is None]
    if missing:
        raise CountMatrixError(
            f"{folder}: 10x matrix folder lacks {', '.join(missing)} (plain or .gz); a 10x "
            "folder needs matrix.mtx, features.tsv/genes.tsv and barcodes.tsv - copy the "
            "whole filtered_feature_bc_matrix folder"
        )
    adata = sc.read_10x_mtx(folder, var_names="gene_ids", make_unique=False)
    return _ids_to_symbols_10x(adata)


def _ids_to_symbols_10x(adata: AnnData) -> AnnData:
    # 10x ships its own symbol per ID; use it, the GENCODE table fills any gaps.
    if "gene_symbols" in adata.var:
        symbols = adata.var["gene_symbols"].astype(str)
        adata.var_names = pd.Index(
            np.where(symbols.ne("") & symbols.ne("nan"), symbols, adata.var_names)
        )
    return adata


FEATURECOUNTS_COLUMNS = ("Chr", "Start", "End", "Strand", "Length")
"""Annotation columns featureCounts writes between ``Geneid`` and the samples."""


def _comment_lines(path: Path) -> int:
    """Leading lines starting with ``#`` (featureCounts writes its command line there)."""
    import gzip

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    n = 0
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("#"):
                break
            n += 1
    return n


def _header_fields(path: Path, sep: str, skip: int) -> list[str]:
    """Return the header line's fields as written (pandas renames duplicates to ``name.1``)."""
    import csv
    import gzip
    import itertools

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        return next(itertools.islice(csv.reader(handle, delimiter=sep), skip, None), [])


def _read_table(path: Path, sep: str) -> tuple[AnnData, str]:
    skip = _comment_lines(path)
    frame = pd.read_csv(path, sep=sep, index_col=0, skiprows=skip)
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise CountMatrixError(f"{path}: the table is empty ({frame.shape[0]} x {frame.shape[1]})")
    header = _header_fields(path, sep, skip)
    # a header with or without a field over the row names (R's write.table omits it)
    if len(header) in (frame.shape[1], frame.shape[1] + 1):
        frame.columns = pd.Index(header[-frame.shape[1] :])
    frame = _drop_tool_annotation(frame, path)
    # case-insensitive (_gene_share): mouse-style or lower-case symbols tell it too
    frame = _gene_label_column(frame, path)
    rows, cols = _gene_share(frame.index), _gene_share(frame.columns)
    if max(rows, cols) == 0:
        raise CountMatrixError(
            f"{path}: neither the row nor the column labels are human gene symbols or Ensembl "
            "IDs; the first column must hold gene (or cell) names and the header the others"
        )
    orientation = "genes x cells" if rows >= cols else "cells x genes"
    log.info(
        "%s: detected %s (%.0f%% of row labels and %.0f%% of column labels are genes)",
        path,
        orientation,
        100 * rows,
        100 * cols,
    )
    if orientation == "genes x cells":
        frame = frame.T
    try:
        values = frame.to_numpy(dtype=np.float64)
    except ValueError as err:
        raise CountMatrixError(f"{path}: non-numeric values in the count table ({err})") from None
    adata = AnnData(
        X=sp.csr_matrix(values),
        obs=pd.DataFrame(index=frame.index.astype(str)),
        var=pd.DataFrame(index=frame.columns.astype(str)),
    )
    return adata, orientation


def _drop_tool_annotation(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Drop featureCounts' annotation columns and HTSeq's ``__no_feature``-style rows."""
    lead = [c for c in frame.columns[: len(FEATURECOUNTS_COLUMNS)] if c in FEATURECOUNTS_COLUMNS]
    if len(lead) == len(FEATURECOUNTS_COLUMNS):
        log.info("%s: featureCounts table; dropped its columns %s", path, lead)
        frame = frame.drop(columns=lead)
    special = frame.index.astype(str).str.startswith("__")
    if special.any():
        log.info("%s: dropped HTSeq summary row(s) %s", path, list(frame.index[special]))
        frame = frame.loc[~special]
    return frame


def _gene_label_column(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Genes as rows with more than one label column (``gene_id,gene_name,cell1,...``).

    Leading non-numeric columns are annotation: the row labels become whichever of the
    first column and these holds the most gene names, and the others are dropped.
    """
    numeric = [pd.api.types.is_numeric_dtype(t) for t in frame.dtypes]
    n_lead = next((i for i, ok in enumerate(numeric) if ok), len(numeric))
    if n_lead == 0 or n_lead == len(numeric) or not all(numeric[n_lead:]):
        return frame  # no annotation columns, or non-numeric values among the counts
    candidates = {str(frame.index.name or "first column"): frame.index.astype(str)}
    candidates.update({str(c): pd.Index(frame.iloc[:, i].astype(str)) for i, c in
                       enumerate(frame.columns[:n_lead])})  # fmt: skip
    best = max(candidates, key=lambda k: _gene_share(candidates[k]))
    log.info(
        "%s: %d annotation column(s) before the counts; gene labels taken from %r",
        path,
        n_lead,
        best,
    )
    out = frame.iloc[:, n_lead:]
    out.index = candidates[best]
    return out


def _gene_share(labels: pd.Index) -> float:
    """Share of labels that are human symbols (any case) or Ensembl IDs."""
    labels = pd.Index(labels).astype(str).str.replace(GENOME_PREFIX, r"\2", regex=True)
    known = human_symbols()[1]
    return float(np.mean(labels.str.upper().isin(known) | looks_like_ensembl(labels)))


def _h5ad_gene_labels(adata: AnnData, path: Path, gene_symbols: str | None = None) -> pd.Index:
    """``var_names``, ``var[gene_symbols]``, or the ``var`` column of gene names.

    Some exports (R objects converted without row names, CELLxGENE-like files) keep
    positions or other IDs as ``var_names`` and the symbols in a column such as
    ``gene_symbols`` or ``feature_name``.
    """
    names = pd.Index(adata.var_names.astype(str))
    if gene_symbols:
        if gene_symbols not in adata.var:
            raise CountMatrixError(
                f"{path}: gene_symbols {gene_symbols!r} is not a var column (columns: "
                f"{list(adata.var.columns)}); fix the RNA sheet's gene_symbols column, or "
                "leave it empty to use var_names"
            )
        col = adata.var[gene_symbols]
        blank = col.isna().to_numpy() | col.astype(str).str.strip().isin(["", "nan"]).to_numpy()
        return pd.Index(np.where(blank, names, col.astype(str)))
    if _gene_share(names) >= 0.1:
        return names
    columns = [c for c in adata.var.columns if not pd.api.types.is_numeric_dtype(adata.var[c])]
    shares = {c: _gene_share(pd.Index(adata.var[c].astype(str))) for c in columns}
    best = max(shares, key=shares.get, default=None)
    if best is None or shares[best] < 0.5:
        return names
    log.warning(
        "%s: var_names are not gene names (%.0f%% genes); gene names taken from var[%r] "
        "(%.0f%% genes)",
        path,
        100 * _gene_share(names),
        best,
        100 * shares[best],
    )
    return pd.Index(adata.var[best].astype(str))


def validate_counts(adata: AnnData, *, source: str = "matrix") -> None:
    """Reject empty matrices, NaN, infinite or negative values and duplicated barcodes.

    Raises
    ------
    CountMatrixError
        Naming the file (``source``), the offending cells and the fix.
    """
    if adata.n_obs == 0 or adata.n_vars == 0:
        raise CountMatrixError(
            f"{source}: empty matrix ({adata.n_obs} cells x {adata.n_vars} genes); check the "
            "path and any cell filter"
        )
    dup = adata.obs_names[adata.obs_names.duplicated()]
    if len(dup):
        raise CountMatrixError(
            f"{source}: {len(dup)} duplicated cell barcode(s), e.g. {list(dup[:5])}; make "
            "barcodes unique (e.g. prefix them with the sample) before merging matrices"
        )
    x = adata.X
    data = x.data if sp.issparse(x) else np.asarray(x)
    if np.isnan(data).any():
        raise CountMatrixError(
            f"{source}: the matrix contains NaN values; counts must be numbers >= 0"
        )
    if np.isinf(data).any():
        coo = sp.coo_matrix(x)
        rows = np.unique(coo.row[np.isinf(coo.data)])
        raise CountMatrixError(
            f"{source}: infinite values in cell(s) {list(adata.obs_names[rows[:5]])} (an "
            "overflow upstream, e.g. a float16 export or exp() of large values); give finite "
            "counts, normalised or log1p values"
        )
    if (data < 0).any():
        coo = sp.coo_matrix(x)
        rows = np.unique(coo.row[coo.data < 0])
        raise CountMatrixError(
            f"{source}: negative values in cell(s) {list(adata.obs_names[rows[:5]])}; give "
            "counts, normalised or log1p values, not scaled or batch-corrected ones"
        )


def _open_matrix(path: Path, fmt: str, reader, **kwargs) -> AnnData:
    """Open an HDF5-based matrix, naming the file and the fix when it cannot be read.

    h5py's own errors (e.g. 'file signature not found') name neither.
    """
    try:
        return reader(path, **kwargs)
    except OSError as err:
        raise CountMatrixError(
            f"{path} cannot be read as {fmt} ({err}): the file is damaged or in another "
            "format; copy it again, or fix the RNA sheet's path/format columns"
        ) from None


LOG_MAX = 30.0
"""Largest value of a log-scale matrix (log1p of 1e6 counts per million is 13.8; log2 20)."""


def describe_values(adata: AnnData, *, max_cells: int = 2000) -> dict[str, float]:
    """Summaries that tell counts, normalised and log values apart (first ``max_cells``).

    Returns ``max``, ``integer_fraction`` (of non-zero values), ``row_sum_cv`` (coefficient
    of variation of per-cell sums: ~0 after normalising to a fixed total) and
    ``unit_cv`` (variation across cells of each cell's smallest non-zero value: a
    normalised matrix divides every cell's counts by its own factor, so its smallest value
    differs from cell to cell, while counts, including estimated counts, share one unit).
    """
    x = sp.csr_matrix(adata.X[:max_cells])
    data = x.data[x.data > 0]
    if data.size == 0:
        return {"max": 0.0, "integer_fraction": 1.0, "row_sum_cv": 0.0, "unit_cv": 0.0}
    sums = np.asarray(x.sum(axis=1)).ravel()
    sums = sums[sums > 0]
    units = np.array(
        [
            x.data[x.indptr[i] : x.indptr[i + 1]][x.data[x.indptr[i] : x.indptr[i + 1]] > 0].min()
            for i in range(x.shape[0])
            if (x.data[x.indptr[i] : x.indptr[i + 1]] > 0).any()
        ]
    )

    def cv(v: np.ndarray) -> float:
        return float(np.std(v) / np.mean(v)) if len(v) > 1 and np.mean(v) > 0 else 0.0

    return {
        "max": float(data.max()),
        "integer_fraction": float(np.mean(np.abs(data - np.round(data)) < 1e-6)),
        "row_sum_cv": cv(sums),
        "unit_cv": cv(units),
    }


LOG_BASES = (float(np.e), 2.0, 10.0)
"""Bases a log-scale matrix may use: log1p (natural), log2(x + 1) (e.g. log2(TPM + 1))
and log10(x + 1)."""


def log_base(adata: AnnData, *, max_cells: int = 2000) -> float | None:
    """Find the base ``b`` of log-scale values ``log_b(v + 1)`` of per-cell normalised ``v``.

    A log of values normalised to a fixed total per cell (log1p of counts per 10k,
    log2(TPM + 1)) gives equal per-cell totals of ``b ** x - 1`` only for its own base
    (CV < 0.01), so the base is read off the matrix. ``None`` when no base does (a log
    of raw counts, or a gene subset): then the base cannot be told from the values.
    """
    x = sp.csr_matrix(adata.X[:max_cells], dtype=np.float64)
    if x.nnz == 0:
        return None
    for base in LOG_BASES:
        lin = x.copy()
        lin.data = np.expm1(lin.data * np.log(base))
        sums = np.asarray(lin.sum(axis=1)).ravel()
        sums = sums[sums > 0]
        if len(sums) > 1 and np.std(sums) / np.mean(sums) < 0.01:
            return base
    return None


def check_values(adata: AnnData, declared: str, *, source: str = "matrix") -> dict[str, float]:
    """Refuse a matrix whose values do not fit the sheet's ``values`` declaration.

    - ``counts``: raw or estimated counts (integers, or RSEM-style fractions sharing one
      unit). Refused when log-scale (max <= 30 with non-integers) or normalised
      (per-cell totals all equal, or a per-cell scale unit).
    - ``normalised``: counts per 10k/million, TPM... Refused when all integers with
      unequal totals (raw counts) or log-scale.
    - ``log1p``: log-normalised. Refused when any value exceeds 30 (not log-scale) or
      all values are integers.

    Raises
    ------
    CountMatrixError
        Naming the file, what the values look like and the declaration to use.
    """
    if declared not in VALUES:
        raise CountMatrixError(
            f"{source}: values {declared!r} is not one of {VALUES}; set the RNA sheet's "
            "values column"
        )
    d = describe_values(adata)
    summary = (
        f"max {d['max']:.4g}, {100 * d['integer_fraction']:.0f}% of non-zero values integer, "
        f"per-cell totals CV {d['row_sum_cv']:.3f}"
    )
    is_int = d["integer_fraction"] >= 0.999
    looks_log = d["max"] <= LOG_MAX and not is_int
    looks_normalised = (
        not is_int
        and not looks_log
        and (d["row_sum_cv"] < 0.01 or (d["integer_fraction"] < 0.05 and d["unit_cv"] > 0.05))
    )
    wrong = None
    if declared == "counts" and looks_log:
        wrong = "log-transformed"
    elif declared == "counts" and looks_normalised:
        wrong = "normalised (per-cell scaled)"
    elif declared == "normalised" and is_int and d["row_sum_cv"] >= 0.01:
        wrong = "raw counts (integers with unequal totals)"
    elif declared == "normalised" and looks_log:
        wrong = "log-transformed"
    elif declared == "log1p" and d["max"] > LOG_MAX:
        wrong = "not log-scale (values above 30)"
    elif declared == "log1p" and is_int:
        wrong = "integer counts"
    if wrong:
        fit = {
            "log-transformed": "log1p (any log(x + 1), e.g. log2(TPM + 1): the base is read "
            "off the values)",
            "normalised (per-cell scaled)": "normalised (TPM, FPKM, CPM)",
            "not log-scale (values above 30)": "counts or normalised",
        }.get(wrong, "counts")
        raise CountMatrixError(
            f"{source}: declared values: {declared}, but the matrix looks {wrong} ({summary}). "
            f"Set values: {fit} in the RNA sheet if that is what it holds, or give the "
            f"matrix the sheet declares."
        )
    if declared == "counts" and not is_int:
        log.info("%s: non-integer counts taken as estimated counts (%s)", source, summary)
    if declared == "log1p":
        base = log_base(adata)
        d["log_base"] = base if base is not None else float(np.e)
        if base is None:
            log.warning(
                "%s: values: log1p, but no log base (e, 2, 10) gives equal per-cell totals, "
                "so the base cannot be told from the values: natural log (log1p) assumed. "
                "Expression levels (biomarker calls) are wrong if it is log2(x + 1); the "
                "cell classes do not depend on it",
                source,
            )
        elif base != float(np.e):
            log.warning(
                "%s: log-scale values of base %g (e.g. log2(TPM + 1)): per-cell totals of "
                "%g**x - 1 are equal; they are inverted with that base",
                source,
                base,
                base,
            )
    return d


def read_counts(
    path: str | os.PathLike[str],
    *,
    fmt: str = "auto",
    layer: str | None = None,
    obs_filter: str | None = None,
    values: str = "counts",
    gene_symbols: str | None = None,
) -> AnnData:
    """Read a count matrix into cells x genes AnnData with gene symbols.

    Parameters
    ----------
    path
        10x ``.h5``, 10x ``matrix.mtx`` folder, ``.h5ad`` or CSV/TSV (gzipped or not;
        genes x cells or cells x genes, detected from the labels and logged).
    fmt
        One of :data:`FORMATS`; ``"auto"`` guesses from the path.
    layer
        For ``.h5ad``: layer holding raw counts (default ``X``).
    obs_filter
        :meth:`pandas.DataFrame.query` expression on ``obs`` (``.h5ad`` only) selecting
        cells, e.g. ``'patient == "P7" or cell_type == "WBC"'``.
    values
        What the matrix holds (:data:`VALUES`): ``counts`` (raw or estimated counts),
        ``normalised`` (counts per 10k/million, TPM) or ``log1p`` (log-normalised). A
        matrix that does not fit is refused (:func:`check_values`).
    gene_symbols
        For ``.h5ad``: the ``var`` column holding gene symbols (scanpy's
        ``gene_symbols=``), e.g. when ``var_names`` are Ensembl IDs of another release;
        empty symbols fall back to the ``var_name``. Default: ``var_names`` (or the
        column holding the most gene names when ``var_names`` are not genes).

    Returns
    -------
    AnnData
        ``X`` float32 CSR counts; ``var_names`` unique symbols (Ensembl IDs converted,
        duplicates summed, symbol case repaired when needed); ``uns["rna_read"]``
        records source, format, orientation, gene-name repairs (``gene_names``) and
        unknown IDs.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(
            f"count matrix {p} does not exist; check the RNA sheet's path column"
        )
    fmt = detect_format(p) if fmt in (None, "", "auto") else fmt
    if fmt not in FORMATS:
        raise CountMatrixError(f"{p}: unknown format {fmt!r}; use one of {FORMATS}")
    orientation = "cells x genes"
    if fmt == "10x_mtx":
        adata = _read_10x_mtx(p)
    elif fmt == "10x_h5":
        adata = _ids_to_symbols_10x(_open_matrix(p, fmt, sc.read_10x_h5, gex_only=True))
        adata.var_names = pd.Index(adata.var_names.astype(str))
    elif fmt == "h5ad":
        adata = _open_matrix(p, fmt, ad.read_h5ad)
        if layer:
            if layer not in adata.layers:
                raise CountMatrixError(f"{p}: no layer {layer!r}; layers are {layer_names(adata)}")
            adata.X = adata.layers[layer]
        names = _h5ad_gene_labels(adata, p, gene_symbols)
        adata = AnnData(X=adata.X, obs=adata.obs, var=pd.DataFrame(index=names))
    else:
        adata, orientation = _read_table(p, "," if fmt == "csv" else "\t")
    if gene_symbols and fmt != "h5ad":
        raise CountMatrixError(
            f"{p}: gene_symbols ({gene_symbols!r}) names a var column of an .h5ad; a {fmt} "
            "matrix carries its own gene names (10x: the features' symbols; CSV/TSV: the "
            "label column holding most gene names). Leave the RNA sheet's gene_symbols empty"
        )
    if obs_filter:
        try:
            keep = adata.obs.query(obs_filter).index
        except Exception as err:
            raise CountMatrixError(
                f"{p}: cell filter {obs_filter!r} failed ({err}); obs columns are "
                f"{list(adata.obs.columns)}"
            ) from None
        adata = adata[adata.obs_names.isin(keep)].copy()
    validate_counts(adata, source=str(p))
    adata.X = sp.csr_matrix(adata.X, dtype=np.float32)
    summary = check_values(adata, values, source=str(p))
    adata, unknown = harmonize_gene_names(
        adata, log_base=summary.get("log_base") if values == "log1p" else None
    )
    adata.uns["rna_read"] = {
        "source": str(p),
        "format": fmt,
        "orientation": orientation,
        "n_unknown_ids": len(unknown),
        "unknown_ids": unknown[:1000],
        "obs_filter": obs_filter or "",
        "values": values,
        "value_summary": summary,
        "gene_names": adata.uns.pop("gene_names", {}),
    }
    log.info("%s: %d cells x %d genes (%s)", p, adata.n_obs, adata.n_vars, fmt)
    return adata
