"""Per-cell signatures (EMT, stemness, proliferation) and biomarker phenotypes.

All scores come from :func:`ctcgenomics.rna.score_gene_sets` on log-normalised
expression (deterministic, equal to ``scanpy.tl.score_genes`` with every bin gene as
control). Column names in ``adata.obs`` are documented in ``docs/rna.md``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from anndata import AnnData

from ctcgenomics._keys import layer_names, output_namer
from ctcgenomics.rna._genesets import SIGNATURE_SETS, load_gene_sets
from ctcgenomics.rna._params import RNAParams
from ctcgenomics.rna._score import score_gene_sets

log = logging.getLogger(__name__)

BIOMARKERS: tuple[str, ...] = ("ERBB2", "ESR1", "PGR", "AR")
"""Genes whose expression level guides therapy (HER2, ER, PR, AR)."""

DEFAULT_HIGH_CP10K: dict[str, float] = {"ERBB2": 20.0, "ESR1": 5.0, "PGR": 5.0, "AR": 5.0}
"""Counts per 10k at or above which a gene is ``high`` (assay-dependent; set in config)."""

ARV7_FEATURES: tuple[str, ...] = ("AR-V7", "AR_V7", "ARV7", "AR-CE3", "AR_CE3")
"""Feature names taken as AR-V7 isoform or cryptic-exon-3 junction counts."""


def _sets(names: Sequence[str], gene_sets: Mapping[str, Sequence[str]] | None) -> dict:
    available = gene_sets if gene_sets is not None else load_gene_sets()
    missing = [n for n in names if n not in available]
    if missing:
        raise ValueError(
            f"gene set(s) {missing} not in the loaded GMT files; add them or "
            "change rna.signature_sets in the config"
        )
    return {n: list(available[n]) for n in names}


def score_signature(
    adata: AnnData,
    set_names: Sequence[str],
    *,
    key_added: str,
    gene_sets: Mapping[str, Sequence[str]] | None = None,
    layer: str | None = None,
    copy: bool = False,
    min_genes: int = 3,
    n_bins: int = 25,
) -> AnnData | None:
    """Score the mean of one or several gene sets into ``obs[key_added]``.

    Parameters
    ----------
    adata
        Log-normalised cells x genes.
    set_names
        GMT set names; several are scored separately and averaged.
    key_added
        ``obs`` column (and ``uns`` key with ``params`` and the genes used).
    gene_sets
        Set name -> genes; default the packaged GMT files.
    layer, copy
        As in scanpy.
    min_genes
        Fewest genes of each set present in the matrix.
    n_bins
        Expression bins for control genes.
    """
    adata = adata.copy() if copy else adata
    sets = _sets(set_names, gene_sets)
    scores, used = score_gene_sets(adata, sets, layer=layer, min_genes=min_genes, n_bins=n_bins)
    adata.obs[key_added] = scores.mean(axis=1).to_numpy()
    adata.uns[key_added] = {
        "params": {
            "sets": list(set_names),
            "layer": layer,
            "method": "control-corrected mean, all bin genes",
        },
        "genes_used": {k: v for k, v in used.items()},
    }
    return adata if copy else None


def score_emt(
    adata: AnnData,
    *,
    key_added: str = "emt",
    epithelial: Sequence[str] = SIGNATURE_SETS["emt_epithelial"],
    mesenchymal: Sequence[str] = SIGNATURE_SETS["emt_mesenchymal"],
    gene_sets: Mapping[str, Sequence[str]] | None = None,
    layer: str | None = None,
    n_bins: int = 25,
    copy: bool = False,
) -> AnnData | None:
    """Two-sided EMT score: mesenchymal minus epithelial, with a hybrid E/M state.

    Adds ``obs[f"{key_added}_epithelial"]``, ``obs[f"{key_added}_mesenchymal"]``,
    ``obs[f"{key_added}_score"]`` (mesenchymal - epithelial; > 0 leans mesenchymal) and
    ``obs[f"{key_added}_state"]``: ``epithelial``, ``mesenchymal``, ``hybrid`` (both arms
    above their control genes) or ``neither``. ``epithelial``/``mesenchymal`` name GMT
    sets (averaged per arm); ``n_bins`` as in :func:`score_gene_sets`.
    """
    adata = adata.copy() if copy else adata
    sets = _sets([*epithelial, *mesenchymal], gene_sets)
    scores, used = score_gene_sets(adata, sets, layer=layer, min_genes=1, n_bins=n_bins)
    epi = scores[list(epithelial)].mean(axis=1).to_numpy()
    mes = scores[list(mesenchymal)].mean(axis=1).to_numpy()
    adata.obs[f"{key_added}_epithelial"] = epi
    adata.obs[f"{key_added}_mesenchymal"] = mes
    adata.obs[f"{key_added}_score"] = mes - epi
    state = np.select(
        [(epi > 0) & (mes > 0), epi > 0, mes > 0],
        ["hybrid", "epithelial", "mesenchymal"],
        default="neither",
    )
    adata.obs[f"{key_added}_state"] = pd.Categorical(
        state, categories=["epithelial", "hybrid", "mesenchymal", "neither"]
    )
    adata.uns[key_added] = {
        "params": {
            "epithelial": list(epithelial),
            "mesenchymal": list(mesenchymal),
            "layer": layer,
        },
        "genes_used": used,
    }
    return adata if copy else None


def score_hallmark_emt(
    adata: AnnData,
    *,
    key_added: str = "hallmark_emt",
    layer: str | None = None,
    copy: bool = False,
    **kwargs,
) -> AnnData | None:
    """MSigDB Hallmark EMT score into ``obs[key_added]`` (see :func:`score_signature`).

    Other keyword arguments go to :func:`score_signature`.
    """
    return score_signature(
        adata, SIGNATURE_SETS["hallmark_emt"], key_added=key_added, layer=layer, copy=copy, **kwargs
    )


def score_stemness(
    adata: AnnData,
    *,
    key_added: str = "stemness",
    layer: str | None = None,
    copy: bool = False,
    **kwargs,
) -> AnnData | None:
    """Mean of published stemness sets (Ben-Porath ES1, Wong ESC core, Lim MaSC).

    Other keyword arguments go to :func:`score_signature`.
    """
    return score_signature(
        adata, SIGNATURE_SETS["stemness"], key_added=key_added, layer=layer, copy=copy, **kwargs
    )


def score_proliferation(
    adata: AnnData,
    *,
    key_added: str = "proliferation",
    layer: str | None = None,
    copy: bool = False,
    **kwargs,
) -> AnnData | None:
    """Mean of Hallmark G2M checkpoint and E2F targets.

    Other keyword arguments go to :func:`score_signature`.
    """
    return score_signature(
        adata,
        SIGNATURE_SETS["proliferation"],
        key_added=key_added,
        layer=layer,
        copy=copy,
        **kwargs,
    )


def _counts(adata: AnnData, layer: str | None):
    x = adata.X if layer is None else adata.layers[layer]
    return x.tocsr() if sp.issparse(x) else sp.csr_matrix(np.asarray(x))


def _gene_cp10k(x, names: pd.Index, gene: str, lib: np.ndarray) -> np.ndarray | None:
    if gene not in names:
        return None
    col = np.asarray(x[:, names.get_loc(gene)].todense()).ravel()
    return col / np.where(lib > 0, lib, 1) * 1e4


def biomarker_status(
    adata: AnnData,
    *,
    key_added: str = "biomarker",
    layer: str | None = "counts",
    high_cp10k: Mapping[str, float] | None = None,
    arv7_min_counts: float = RNAParams.arv7_min_counts,
    values: str = "counts",
    copy: bool = False,
) -> AnnData | None:
    """Expression level of therapy biomarkers, CD44/CD24/ALDH1A1 status and AR-V7.

    Levels from counts per 10k: ``absent`` (0), ``low`` (> 0 and below the gene's
    ``high_cp10k``) or ``high``. ``values`` says what ``layer`` holds: ``counts``,
    ``normalised`` (rescaled to 10k per cell) or ``log1p`` (``expm1`` first, then
    rescaled). AR-V7 needs ``arv7_min_counts`` counts when ``values`` is ``counts``, and
    detection (> 0) otherwise.

    Adds ``obs[f"{gene}_cp10k"]`` and ``obs[f"{gene}_level"]`` for ERBB2, ESR1, PGR, AR
    (missing genes are NaN / ``not_measured``), ``obs["cd44_cd24"]`` (e.g. ``CD44+/CD24-``,
    the breast cancer stem-like phenotype of Al-Hajj et al. 2003), ``obs["aldh1a1_pos"]``,
    and ``obs["arv7"]`` (``positive``/``negative``/``not_measured``; measured only when the
    matrix has an AR-V7 isoform or junction feature named as in :data:`ARV7_FEATURES`);
    ``uns[key_added]["params"]``. A ``key_added`` other than ``biomarker`` prefixes every
    ``obs`` column with ``f"{key_added}_"``.
    """
    if values not in ("counts", "normalised", "log1p"):
        raise ValueError(f"values must be counts, normalised or log1p, got {values!r}")
    if layer is not None and layer not in adata.layers:
        raise KeyError(
            f"biomarker_status: layer {layer!r} not in adata.layers ({layer_names(adata)}); "
            "pass layer=None and values='log1p' for a log-normalised X"
        )
    adata = adata.copy() if copy else adata
    thresholds = {**DEFAULT_HIGH_CP10K, **(high_cp10k or {})}
    x = _counts(adata, layer)
    if values == "log1p":
        x = x.copy()
        x.data = np.expm1(x.data)
    out = output_namer(key_added, "biomarker")
    names = pd.Index(adata.var_names)
    lib = np.asarray(x.sum(axis=1)).ravel()
    for gene in BIOMARKERS:
        cp = _gene_cp10k(x, names, gene, lib)
        if cp is None:
            adata.obs[out(f"{gene}_cp10k")] = np.nan
            adata.obs[out(f"{gene}_level")] = "not_measured"
            continue
        adata.obs[out(f"{gene}_cp10k")] = cp
        adata.obs[out(f"{gene}_level")] = np.select(
            [cp <= 0, cp < thresholds[gene]], ["absent", "low"], default="high"
        )
    status = {}
    for gene in ("CD44", "CD24", "ALDH1A1"):
        cp = _gene_cp10k(x, names, gene, lib)
        status[gene] = np.zeros(adata.n_obs, bool) if cp is None else cp > 0
    adata.obs[out("cd44_cd24")] = np.char.add(
        np.where(status["CD44"], "CD44+/", "CD44-/"), np.where(status["CD24"], "CD24+", "CD24-")
    )
    adata.obs[out("aldh1a1_pos")] = status["ALDH1A1"]
    feats = [f for f in ARV7_FEATURES if f in names]
    if feats:
        arv7 = np.asarray(x[:, [names.get_loc(f) for f in feats]].sum(axis=1)).ravel()
        need = arv7_min_counts if values == "counts" else np.finfo(float).tiny
        adata.obs[out("arv7")] = np.where(arv7 >= need, "positive", "negative")
    else:
        adata.obs[out("arv7")] = "not_measured"
    adata.uns[key_added] = {
        "params": {
            "high_cp10k": thresholds,
            "layer": layer,
            "arv7_features": feats,
            "arv7_min_counts": arv7_min_counts,
            "values": values,
        }
    }
    return adata if copy else None
