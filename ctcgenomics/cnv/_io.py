"""Reading and writing the copy-number AnnData (``cnv.h5ad``)."""

from __future__ import annotations

import os

import anndata as ad
import pandas as pd

from ctcgenomics.io._atomic import atomic_path
from ctcgenomics.io.provenance import stamp


def _h5ad_safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].astype(str)
    out.index = out.index.astype(str)
    return out


def write_cnv_h5ad(adata: ad.AnnData, path: str | os.PathLike[str]) -> None:
    """Write the copy-number AnnData atomically (object columns stored as strings)."""
    adata = adata.copy()
    adata.obs = _h5ad_safe(adata.obs)
    adata.var = _h5ad_safe(adata.var)
    for key in ("ctc_cnv", "clone"):
        if key in adata.uns:
            adata.uns[key] = {
                k: _h5ad_safe(v) if isinstance(v, pd.DataFrame) else v
                for k, v in adata.uns[key].items()
            }
    stamp(adata, "cnv", adata.uns.get("ctc_cnv", {}).get("params"))
    with atomic_path(path) as tmp:
        adata.write_h5ad(tmp, compression="gzip")


def read_cnv_h5ad(path: str | os.PathLike[str]) -> ad.AnnData:
    """Read a ``cnv.h5ad`` written by :func:`write_cnv_h5ad`."""
    return ad.read_h5ad(path)
