"""The whole RNA arm on one patient's cells, and its tables and plots."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from functools import partial
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import scanpy as sc
from anndata import AnnData

from ctcgenomics.io._atomic import atomic_path
from ctcgenomics.io.alterations import alteration_row, alterations_frame
from ctcgenomics.rna._classify import classify_cells
from ctcgenomics.rna._genesets import load_gene_sets
from ctcgenomics.rna._params import RNAParams
from ctcgenomics.rna._qc import qc_cells
from ctcgenomics.rna._signatures import (
    BIOMARKERS,
    biomarker_status,
    score_emt,
    score_hallmark_emt,
    score_proliferation,
    score_stemness,
)

log = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = RNAParams().to_mapping()
"""Default parameters (of :class:`~ctcgenomics.rna.RNAParams`; the ``rna:`` config section
overrides them key by key)."""

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


RETIRED_CLASSIFY_KEYS = (
    "marker_weight",
    "min_probability",
    "platelet_z",
    "cnv_min_cells",
    "cnv_min_reference",
    "reference_fraction",
    "seed_fraction",
    "null_quantile",
    "group_z",
    "n_iter",
    "n_folds",
    "outlier_z",
    "window_size",
)
"""``rna.classify`` keys of former run-relative rules: ignored with a warning."""


def merge_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults updated by ``params`` (:meth:`RNAParams.from_mapping`), as a plain dict.

    Raises
    ------
    ValueError
        For an unknown key (naming it and the closest known key).
    """
    out = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in (params or {}).items()}
    for key in RETIRED_CLASSIFY_KEYS:
        if key in out.get("classify", {}):
            log.warning(
                "config rna.classify.%s is retired (per-cell programme posterior); ignored", key
            )
            del out["classify"][key]
    return RNAParams.from_mapping(out).to_mapping()


def embed(
    adata: AnnData,
    *,
    n_top_genes: int = 2000,
    n_pcs: int = 30,
    n_neighbors: int = 15,
    resolution: float = 1.0,
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
        Overrides of :data:`DEFAULTS`.
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
            adata.X = adata.X.copy()
            adata.X.data = np.expm1(adata.X.data)
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
    score_emt(adata, gene_sets=gene_sets)
    score_hallmark_emt(adata, gene_sets=gene_sets)
    score_stemness(adata, gene_sets=gene_sets)
    score_proliferation(adata, gene_sets=gene_sets)
    biomarker_status(
        adata,
        layer="counts" if values == "counts" else None,
        values="counts" if values == "counts" else "log1p",
        high_cp10k=p["high_cp10k"],
        arv7_min_counts=p["arv7_min_counts"],
    )
    embed(adata, random_state=p["seed"], **p["embedding"])
    adata.uns["rna_params"] = {"params": _jsonable({**p, "values": values})}
    return adata


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


def expression_alterations(
    adata: AnnData, patient: str, *, draw_key: str = "draw", source: str = "ctcg rna"
) -> pd.DataFrame:
    """Expression phenotypes with prevalence across each draw's CTCs (kind ``expression``).

    One row per draw x phenotype, in the agreed alteration vocabulary:
    ``EXPRESSION_HIGH`` for ERBB2/ESR1/PGR/AR (``high`` level among the CTCs where the gene
    was measured), ``EXPRESSION_LOW`` for ERBB2 (HER2-low-like: detected below the high
    level) and ``AR-V7_POSITIVE`` (gene ``AR``) when AR-V7 isoform or junction counts
    exist. EMT and CD44/CD24 states are cell states, not alterations: they are in
    ``cells.tsv`` and the report.
    """
    for col in ("cell_class", *[f"{g}_level" for g in BIOMARKERS], "arv7"):
        if col not in adata.obs:
            raise KeyError(
                f"expression_alterations: obs[{col!r}] missing; run classify_cells and "
                "biomarker_status (or analyse) first"
            )
    rows = []
    draws = (
        adata.obs[draw_key].astype(str)
        if draw_key in adata.obs
        else pd.Series("NA", index=adata.obs_names)
    )
    thresholds = adata.uns["biomarker"]["params"]["high_cp10k"]
    for draw in sorted(draws.unique()):
        ctc = adata.obs[(draws == draw).to_numpy() & (adata.obs["cell_class"] == "CTC").to_numpy()]
        n = len(ctc)
        row = partial(alteration_row, patient=patient, draw=draw, kind="expression", source=source)
        for gene in BIOMARKERS:
            level = ctc[f"{gene}_level"]
            evaluable = int((level != "not_measured").sum())
            high = int((level == "high").sum())
            thr = thresholds[gene]
            rows.append(
                row(
                    gene=gene,
                    alteration="EXPRESSION_HIGH",
                    n_cells_altered=high,
                    n_cells_evaluable=evaluable,
                    evidence=f"{high}/{evaluable} CTCs >= {thr:g} counts per 10k",
                )
            )
            if gene == "ERBB2":
                low = int((level == "low").sum())
                rows.append(
                    row(
                        gene=gene,
                        alteration="EXPRESSION_LOW",
                        n_cells_altered=low,
                        n_cells_evaluable=evaluable,
                        evidence=f"{low}/{evaluable} CTCs detected below {thr:g} counts per "
                        "10k (HER2-low-like; not an IHC score)",
                    )
                )
        if n and (ctc["arv7"] != "not_measured").any():
            pos = int((ctc["arv7"] == "positive").sum())
            rows.append(
                row(
                    gene="AR",
                    alteration="AR-V7_POSITIVE",
                    n_cells_altered=pos,
                    n_cells_evaluable=n,
                    evidence=f"AR-V7 isoform/junction counts in {pos}/{n} CTCs",
                )
            )
    return alterations_frame(rows)


def _save(fig, path: str | os.PathLike[str]) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight", format="png")
    plt.close(fig)


def plot_emt_stemness(adata: AnnData, path: str | os.PathLike[str]) -> None:
    """Scatter of the two-sided EMT score against stemness, colour = class, marker = draw."""
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    draws = (
        adata.obs["draw"].astype(str)
        if "draw" in adata.obs
        else pd.Series("NA", index=adata.obs_names)
    )
    markers = dict(zip(sorted(draws.unique()), "osD^vP*X", strict=False))
    colours = {
        "CTC": "tab:red",
        "WBC": "tab:blue",
        "platelet": "tab:purple",
        "erythrocyte": "tab:orange",
        "unassigned": "tab:olive",
        "low-quality": "grey",
    }
    for (cls, draw), sub in adata.obs.groupby(
        [adata.obs["cell_class"].astype(str), draws.to_numpy()], observed=True
    ):
        ax.scatter(
            sub["emt_score"],
            sub["stemness"],
            s=18,
            c=colours.get(cls, "k"),
            marker=markers.get(draw, "o"),
            label=f"{cls} {draw}",
            alpha=0.8,
        )
    ax.axvline(0, lw=0.5, c="k")
    ax.set_xlabel("EMT score (mesenchymal - epithelial)")
    ax.set_ylabel("stemness score")
    ax.legend(fontsize=7, frameon=False)
    _save(fig, path)


def plot_markers(adata: AnnData, path: str | os.PathLike[str]) -> None:
    """Dot plot of class markers and biomarkers by cell class (scanpy)."""
    genes = [
        "EPCAM",
        "KRT8",
        "KRT18",
        "KRT19",
        "CDH1",
        "VIM",
        "PTPRC",
        "CD52",
        "LCP1",
        "PPBP",
        "PF4",
        "ERBB2",
        "ESR1",
        "PGR",
        "AR",
        "CD44",
        "CD24",
        "ALDH1A1",
    ]
    genes = [g for g in genes if g in adata.var_names]
    view = adata[:, genes].copy()
    view.obs["cell_class"] = view.obs["cell_class"].cat.remove_unused_categories()
    dp = sc.pl.dotplot(view, genes, groupby="cell_class", show=False, return_fig=True)
    dp.make_figure()
    _save(dp.fig, path)


def plot_umap(adata: AnnData, path: str | os.PathLike[str]) -> None:
    """UMAP coloured by class, draw, Leiden cluster and EMT score."""
    keys = [k for k in ("cell_class", "draw", "leiden", "emt_score") if k in adata.obs]
    if "X_umap" not in adata.obsm:
        fig, ax = plt.subplots()
        ax.text(0.5, 0.5, "too few cells for a UMAP", ha="center")
        ax.axis("off")
        _save(fig, path)
        return
    fig = sc.pl.umap(adata, color=keys, show=False, return_fig=True, ncols=2)
    _save(fig, path)
