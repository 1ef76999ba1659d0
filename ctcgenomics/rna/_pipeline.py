"""The whole RNA arm on one patient's cells, and its tables (figures: ``ctc.pl``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import scanpy as sc
from anndata import AnnData

from ctcgenomics.rna._classify import classify_cells
from ctcgenomics.rna._defaults import merge_params
from ctcgenomics.rna._genesets import load_gene_sets
from ctcgenomics.rna._params import EmbeddingParams
from ctcgenomics.rna._qc import qc_cells
from ctcgenomics.rna._score import GeneSetOverlapError
from ctcgenomics.rna._signatures import (
    BIOMARKERS,
    biomarker_status,
    score_emt,
    score_hallmark_emt,
    score_proliferation,
    score_stemness,
)

log = logging.getLogger(__name__)

CELL_COLUMNS = (
    "draw",
    "cell_class",
    "cell_class_confidence",
    "ctc_probability",
    "ctc_score",
    "programme_tumour",
    "programme_blood",
    "programme_platelet",
    "programme_erythrocyte",
    "qc_pass",
    "qc_fail_reason",
    "n_genes",
    "total_counts",
    "mito_frac",
    "ribo_frac",
    "emt_epithelial",
    "emt_mesenchymal",
    "emt_score",
    "emt_state",
    "hallmark_emt",
    "stemness",
    "proliferation",
    *[f"{g}_{s}" for g in BIOMARKERS for s in ("cp10k", "level")],
    "cd44_cd24",
    "aldh1a1_pos",
    "arv7",
    "leiden",
)
"""Columns of the per-cell TSV (present ones, in this order)."""


def _n_varying_genes(x: Any) -> int:
    """Genes whose value is not the same in every cell (dense or sparse ``x``)."""
    lo, hi = x.min(axis=0), x.max(axis=0)
    if hasattr(lo, "toarray"):
        lo, hi = lo.toarray(), hi.toarray()
    return int((np.asarray(hi).ravel() > np.asarray(lo).ravel()).sum())


def embed(
    adata: AnnData,
    *,
    n_top_genes: int = EmbeddingParams.n_top_genes,
    n_pcs: int = EmbeddingParams.n_pcs,
    n_neighbors: int = EmbeddingParams.n_neighbors,
    resolution: float = EmbeddingParams.resolution,
    random_state: int = 0,
) -> None:
    """PCA, neighbours, UMAP and Leiden clusters (scanpy), sized to the number of cells.

    Adds ``obsm["X_pca"]``, ``obsm["X_umap"]``, ``obs["leiden"]``.
    """
    n_comps = max(1, min(n_pcs, adata.n_obs - 1, adata.n_vars - 1))
    if adata.n_obs < 4:
        log.warning("%d cells: too few for an embedding; skipped", adata.n_obs)
        adata.obs["leiden"] = "0"
        return
    n_varying = _n_varying_genes(adata.X)
    if n_varying < 2:
        # all-empty cells (a wrong layer, empty droplets): scanpy's gene selection crashed
        log.warning("%d gene(s) vary across cells: too few for an embedding; skipped", n_varying)
        adata.obs["leiden"] = "0"
        return
    sc.pp.highly_variable_genes(adata, n_top_genes=min(n_top_genes, adata.n_vars))
    sc.pp.pca(adata, n_comps=n_comps, mask_var="highly_variable", random_state=random_state)
    sc.pp.neighbors(adata, n_neighbors=min(n_neighbors, adata.n_obs - 1), random_state=random_state)
    sc.tl.umap(adata, random_state=random_state)
    sc.tl.leiden(
        adata, resolution=resolution, flavor="igraph", n_iterations=2, random_state=random_state
    )


def analyse(
    adata: AnnData,
    params: Mapping[str, Any] | None = None,
    *,
    tumour_type: str,
    values: str | None = None,
) -> AnnData:
    """Run QC, normalisation, classification, signatures and embedding in place.

    Parameters
    ----------
    adata
        Cells x genes as read by :func:`ctcgenomics.rna.read_counts`.
    params
        Overrides of :data:`~ctcgenomics.rna._defaults.DEFAULTS`.
    tumour_type
        The patient's OncoTree code (chooses the tumour marker programmes).
    values
        What ``X`` holds (``counts``, ``normalised``, ``log1p``); default
        ``uns["rna_read"]["values"]``, else ``counts``.

    Returns
    -------
    AnnData
        The same object: ``X`` log1p counts per 10k (``layers["counts"]`` when the input
        was counts), every ``obs`` column listed in :data:`CELL_COLUMNS`.
    """
    p = merge_params(params)
    if values is None:
        values = adata.uns.get("rna_read", {}).get("values", "counts")
    if values not in ("counts", "normalised", "log1p"):
        raise ValueError(f"values must be counts, normalised or log1p, got {values!r}")
    gene_sets = load_gene_sets(p["gene_set_files"] or None)
    qc = dict(p["qc"])
    if values != "counts":
        # totals of normalised values are not library sizes; genes detected still are
        qc["min_counts"] = 0
        if values == "log1p":
            # log1p, or log2(TPM + 1) and the like: the base read_counts found
            summary = adata.uns.get("rna_read", {}).get("value_summary", {})
            base = float(summary.get("log_base", np.e))
            adata.X = adata.X.copy()
            adata.X.data = np.expm1(adata.X.data * np.log(base))
    qc_cells(adata, **qc)
    if values == "counts":
        adata.layers["counts"] = adata.X.copy()
    sc.pp.normalize_total(adata, target_sum=1e4)
    sc.pp.log1p(adata)
    classify_cells(
        adata,
        tumour_type=tumour_type,
        calibration=p["calibration"],
        values="log1p",
        **p["classify"],
    )
    skipped = score_cell_states(adata, gene_sets)
    biomarker_status(
        adata,
        layer="counts" if values == "counts" else None,
        values="counts" if values == "counts" else "log1p",
        high_cp10k=p["high_cp10k"],
        arv7_min_counts=p["arv7_min_counts"],
    )
    embed(adata, random_state=p["seed"], **p["embedding"])
    adata.uns["rna_params"] = {
        "params": _jsonable({**p, "values": values}),
        "signatures_not_scored": skipped,
    }
    return adata


STATE_COLUMNS = {
    "emt": ("emt_epithelial", "emt_mesenchymal", "emt_score", "emt_state"),
    "hallmark_emt": ("hallmark_emt",),
    "stemness": ("stemness",),
    "proliferation": ("proliferation",),
}
"""Cell-state signatures of the pipeline and the ``obs`` columns each writes."""


def score_cell_states(adata: AnnData, gene_sets: Mapping[str, Any] | None = None) -> dict[str, str]:
    """EMT, Hallmark EMT, stemness and proliferation scores, each on its own.

    A signature with too few of its genes in the matrix (a sparse targeted panel) is
    not scored: its columns are NaN and a warning names it and the genes it needs,
    while the cell classes and the other signatures stand. Returns signature -> reason
    for those not scored.
    """
    funcs = {
        "emt": score_emt,
        "hallmark_emt": score_hallmark_emt,
        "stemness": score_stemness,
        "proliferation": score_proliferation,
    }
    skipped: dict[str, str] = {}
    for name, func in funcs.items():
        try:
            func(adata, gene_sets=gene_sets)
        except GeneSetOverlapError as err:
            log.warning("%s not scored (its columns are NaN): %s", name, err)
            skipped[name] = str(err)
            for col in STATE_COLUMNS[name]:
                adata.obs[col] = np.nan
            if name == "emt":
                adata.obs["emt_state"] = pd.Categorical(
                    [None] * adata.n_obs,
                    categories=["epithelial", "hybrid", "mesenchymal", "neither"],
                )
    return skipped


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def cells_table(adata: AnnData) -> pd.DataFrame:
    """Per-cell TSV content: barcode plus the :data:`CELL_COLUMNS` present."""
    cols = [c for c in CELL_COLUMNS if c in adata.obs]
    frame = adata.obs[cols].copy()
    frame.insert(0, "cell", adata.obs_names)
    return frame
