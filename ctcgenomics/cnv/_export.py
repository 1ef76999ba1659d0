"""Copy number in the files other tools read: IGV ``.seg``, bedGraph, cBioPortal CNA.

Everything is derived from the documented layers of a copy-number AnnData
(``layers["ratio"]``, ``layers["copy_number"]``, ``var`` chrom/start/end) and, for the
discrete CNA table, from the gene calls (:func:`ctcgenomics.cnv.gene_calls`), so the
exports agree with the report by construction.
"""

from __future__ import annotations

import itertools
import math
import os
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from anndata import AnnData

SEG_COLUMNS = ("ID", "chrom", "loc.start", "loc.end", "num.mark", "seg.mean")
"""Columns of an IGV/DNAcopy segment file (``.seg``)."""

CNA_CODES = {"DELETION": -2, "LOSS": -1, "NEUTRAL": 0, "GAIN": 1, "AMPLIFICATION": 2}
"""GISTIC-style discrete codes of cBioPortal's ``data_cna.txt`` per gene call."""


def _require(adata: AnnData, layers: tuple[str, ...]) -> None:
    missing = [f"var['{c}']" for c in ("chrom", "start", "end") if c not in adata.var]
    missing += [f"layers['{name}']" for name in layers if name not in adata.layers]
    if missing:
        raise KeyError(
            f"the copy-number AnnData lacks {', '.join(missing)}; give the cnv.h5ad of "
            "ctcg cnv call (or run ctc.cnv.call_copy_number first)"
        )


def _log2(ratio: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log2(ratio)
    out[~np.isfinite(out)] = np.nan
    return out


def to_seg(adata: AnnData) -> pd.DataFrame:
    """Segments of every cell as an IGV ``.seg`` table (log2 ratio).

    A segment is a run of bins of one contig with the same integer copy number (bins
    without a call split nothing and are left out). ``seg.mean`` is the log2 of the
    segment's mean ratio to the cell's average depth; coordinates are 1-based and
    inclusive, as DNAcopy and IGV write them.

    Parameters
    ----------
    adata
        Cells x bins copy-number AnnData.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SEG_COLUMNS`, one row per cell x segment.
    """
    _require(adata, ("ratio", "copy_number"))
    chrom = adata.var["chrom"].astype(str).to_numpy()
    start = adata.var["start"].to_numpy(dtype=np.int64)
    end = adata.var["end"].to_numpy(dtype=np.int64)
    cn_all = np.asarray(adata.layers["copy_number"], dtype=float)
    ratio_all = np.asarray(adata.layers["ratio"], dtype=float)
    rows = []
    for i, cell in enumerate(adata.obs_names.astype(str)):
        called = np.isfinite(cn_all[i]) & np.isfinite(ratio_all[i])
        idx = np.flatnonzero(called)
        if idx.size == 0:
            continue
        cn, ratio = cn_all[i, idx], ratio_all[i, idx]
        new = np.ones(idx.size, dtype=bool)
        new[1:] = (cn[1:] != cn[:-1]) | (chrom[idx][1:] != chrom[idx][:-1])
        bounds = np.append(np.flatnonzero(new), idx.size)
        for a, b in itertools.pairwise(bounds):
            mean = float(np.mean(ratio[a:b]))
            log2 = math.log2(mean) if mean > 0 else float("nan")
            rows.append((cell, chrom[idx[a]], int(start[idx[a]]) + 1, int(end[idx[b - 1]]),
                         b - a, log2))  # fmt: skip
    return pd.DataFrame(rows, columns=list(SEG_COLUMNS))


def to_bedgraph(adata: AnnData, cell: str, *, value: str = "log2") -> pd.DataFrame:
    """One cell's bins as a bedGraph table (0-based, half-open).

    Parameters
    ----------
    adata
        Cells x bins copy-number AnnData.
    cell
        The cell (an ``obs_names`` entry).
    value
        ``log2`` (log2 ratio) or ``copy_number``.

    Returns
    -------
    pandas.DataFrame
        Columns ``chrom start end value``; bins without a value are left out.
    """
    if value not in ("log2", "copy_number"):
        raise ValueError(f"value must be 'log2' or 'copy_number', got {value!r}")
    _require(adata, ("ratio",) if value == "log2" else ("copy_number",))
    if cell not in adata.obs_names:
        raise KeyError(f"cell {cell!r} is not in the copy-number AnnData ({adata.n_obs} cells)")
    i = adata.obs_names.get_loc(cell)
    row = np.asarray(adata.layers["ratio" if value == "log2" else "copy_number"][i], float)
    values = _log2(row) if value == "log2" else row
    keep = np.isfinite(values)
    return pd.DataFrame(
        {
            "chrom": adata.var["chrom"].astype(str).to_numpy()[keep],
            "start": adata.var["start"].to_numpy(dtype=np.int64)[keep],
            "end": adata.var["end"].to_numpy(dtype=np.int64)[keep],
            "value": values[keep],
        }
    )


def to_cbioportal_cna(gene_calls: pd.DataFrame) -> pd.DataFrame:
    """Gene calls of every cell as a cBioPortal discrete CNA table (``data_cna.txt``).

    Parameters
    ----------
    gene_calls
        Table of :func:`ctcgenomics.cnv.gene_calls` (``cell``, ``gene``, ``call``; cells
        failing copy-number QC, ``qc_pass`` False, are left out).

    Returns
    -------
    pandas.DataFrame
        ``Hugo_Symbol`` then one column per cell, values -2 (deep deletion), -1 (loss),
        0, 1 (gain), 2 (amplification); empty where a gene has no call in a cell.
    """
    missing = [c for c in ("cell", "gene", "call") if c not in gene_calls]
    if missing:
        raise KeyError(
            f"gene-call table lacks {missing}; give the genes.tsv of ctcg cnv call or the "
            "table of ctc.cnv.gene_calls"
        )
    calls = gene_calls
    if "qc_pass" in calls:
        calls = calls[calls["qc_pass"].astype(str).str.lower().isin({"true", "1"})]
    calls = calls[calls["call"].isin(list(CNA_CODES))]
    codes = calls.assign(code=calls["call"].map(CNA_CODES))
    table = codes.pivot_table(index="gene", columns="cell", values="code", aggfunc="first")
    table = table.astype("Int64").rename_axis(index="Hugo_Symbol", columns=None)
    return table.reset_index()


def write_table(
    frame: pd.DataFrame, path: str | os.PathLike[str], *, preamble: str = "", header: bool = True
) -> None:
    """Write a tab-separated export atomically.

    ``preamble`` is written first (e.g. a bedGraph ``track`` line); ``header`` writes the
    column names (bedGraph has none).
    """
    from ctcgenomics.io import atomic_open

    with atomic_open(path, newline="") as handle:
        if preamble:
            handle.write(preamble.rstrip("\n") + "\n")
        frame.to_csv(handle, sep="\t", index=False, header=header, float_format="%.4g", na_rep="")


def write_bedgraph_tracks(
    adata: AnnData, path: str | os.PathLike[str], *, description: str = ""
) -> None:
    """Write every cell's log2 ratio as one bedGraph file with a ``track`` line per cell.

    Genome browsers (IGV, UCSC) show each track as its own row; bins are 0-based,
    half-open.
    """
    from ctcgenomics.io import atomic_open

    with atomic_open(path, newline="") as handle:
        for cell in adata.obs_names.astype(str):
            handle.write(
                f'track type=bedGraph name="{cell}" description="{description} {cell} '
                'log2 ratio" visibility=full\n'
            )
            to_bedgraph(adata, cell).to_csv(
                handle, sep="\t", index=False, header=False, float_format="%.4g"
            )
