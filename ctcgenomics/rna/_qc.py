"""Per-cell QC with scanpy; low-quality cells are flagged with the reason."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import scanpy as sc
from anndata import AnnData

from ctcgenomics._keys import output_namer
from ctcgenomics.rna._params import RNAQCParams

log = logging.getLogger(__name__)


def qc_cells(
    adata: AnnData,
    *,
    min_genes: int = RNAQCParams.min_genes,
    min_counts: float = RNAQCParams.min_counts,
    max_mito_frac: float = RNAQCParams.max_mito_frac,
    max_ribo_frac: float = RNAQCParams.max_ribo_frac,
    key_added: str = "qc",
    layer: str | None = None,
    copy: bool = False,
) -> AnnData | None:
    """Compute QC metrics and flag low-quality cells.

    Uses :func:`scanpy.pp.calculate_qc_metrics` on raw counts with mitochondrial
    (``MT-``) and ribosomal (``RPS``/``RPL``) genes as control sets.

    Parameters
    ----------
    adata
        Cells x genes with raw counts in ``X`` (or ``layer``).
    min_genes, min_counts
        Fewest genes detected / total counts of a passing cell.
    max_mito_frac, max_ribo_frac
        Largest mitochondrial / ribosomal fraction of counts of a passing cell.
    key_added
        Prefix of the pass/fail ``obs`` columns and the ``uns`` key; a key other than
        ``qc`` prefixes the metric columns (and ``var["mt"]``, ``var["ribo"]``) too.
    layer
        Counts layer instead of ``X``.
    copy
        Return a copy instead of writing in place.

    Returns
    -------
    AnnData or None
        Adds ``var["mt"]``, ``var["ribo"]``, ``obs["n_genes"]``, ``obs["total_counts"]``,
        ``obs["mito_frac"]``, ``obs["ribo_frac"]``, ``obs[f"{key_added}_pass"]`` (bool) and
        ``obs[f"{key_added}_fail_reason"]`` (``;``-joined, empty when passing);
        ``uns[key_added]["params"]``.
    """
    adata = adata.copy() if copy else adata
    out = output_namer(key_added, "qc")
    var = adata.var_names.str.upper()
    adata.var[out("mt")] = var.str.startswith("MT-")
    adata.var[out("ribo")] = var.str.match(r"^RP[SL]\d")
    metrics, _ = sc.pp.calculate_qc_metrics(
        adata,
        qc_vars=(out("mt"), out("ribo")),
        percent_top=None,
        log1p=False,
        inplace=False,
        layer=layer,
    )
    adata.obs[out("n_genes")] = metrics["n_genes_by_counts"].to_numpy()
    adata.obs[out("total_counts")] = metrics["total_counts"].to_numpy()
    adata.obs[out("mito_frac")] = metrics[f"pct_counts_{out('mt')}"].to_numpy() / 100.0
    adata.obs[out("ribo_frac")] = metrics[f"pct_counts_{out('ribo')}"].to_numpy() / 100.0
    checks = {
        f"n_genes<{min_genes}": adata.obs[out("n_genes")] < min_genes,
        f"total_counts<{min_counts:g}": adata.obs[out("total_counts")] < min_counts,
        f"mito_frac>{max_mito_frac:g}": adata.obs[out("mito_frac")] > max_mito_frac,
        f"ribo_frac>{max_ribo_frac:g}": adata.obs[out("ribo_frac")] > max_ribo_frac,
    }
    reasons = pd.Series("", index=adata.obs_names)
    for label, failed in checks.items():
        reasons[failed.to_numpy()] = reasons[failed.to_numpy()].map(
            lambda r, lab=label: f"{r};{lab}" if r else lab
        )
    adata.obs[f"{key_added}_fail_reason"] = reasons.to_numpy()
    adata.obs[f"{key_added}_pass"] = (reasons == "").to_numpy()
    n_mt = int(adata.var[out("mt")].sum())
    if n_mt == 0:
        log.warning("no mitochondrial (MT-) genes in the matrix: the mitochondrial filter is inert")
    adata.uns[key_added] = {
        "params": {
            "min_genes": min_genes,
            "min_counts": min_counts,
            "max_mito_frac": max_mito_frac,
            "max_ribo_frac": max_ribo_frac,
            "n_mito_genes": n_mt,
            "n_ribo_genes": int(adata.var[out("ribo")].sum()),
        },
        "n_pass": int(np.sum(adata.obs[f"{key_added}_pass"])),
    }
    log.info("QC: %d of %d cells pass", adata.uns[key_added]["n_pass"], adata.n_obs)
    return adata if copy else None
