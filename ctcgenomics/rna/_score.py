"""Gene-set scores per cell: the Seurat/scanpy control-corrected mean, made deterministic.

:func:`scanpy.tl.score_genes` scores a set as the mean expression of its genes minus the
mean of control genes drawn at random from the same expression bins. The random draw
makes scores depend on the seed and adds noise when few genes are detected (typical of
CTC libraries), and scanpy recomputes gene means and copies the matrix for every set.
:func:`score_gene_sets` computes the same statistic with *every* non-signature gene of
the hit bins as the control set, i.e. exactly ``score_genes(..., ctrl_size=<bin size>)``
and the expectation of scanpy's score over its random draws. It is therefore
reproducible without a seed, and all sets are scored from one pass over the matrix.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from anndata import AnnData

log = logging.getLogger(__name__)


class GeneSetOverlapError(ValueError):
    """None of a gene set's genes is in the matrix."""


def _matrix(adata: AnnData, layer: str | None):
    x = adata.X if layer is None else adata.layers[layer]
    if x is None:
        raise ValueError("the AnnData has no expression matrix (X is None)")
    return x


def _column_means(x) -> np.ndarray:
    return np.asarray(x.mean(axis=0, dtype=np.float64)).ravel()


def expression_bins(x, n_bins: int = 25) -> np.ndarray:
    """Bin genes by mean expression exactly as :func:`scanpy.tl.score_genes` does.

    Parameters
    ----------
    x
        Cells x genes matrix (dense, CSR or CSC).
    n_bins
        Number of bins (scanpy's ``n_bins``).

    Returns
    -------
    numpy.ndarray
        Integer bin of every gene (``rank(method="min") // round(n_genes / (n_bins - 1))``).
    """
    avg = pd.Series(_column_means(x))
    n_items = max(int(np.round(len(avg) / (n_bins - 1))), 1)
    return (avg.rank(method="min") // n_items).to_numpy().astype(np.int64)


def score_gene_sets(
    adata: AnnData,
    gene_sets: Mapping[str, Sequence[str]],
    *,
    layer: str | None = None,
    n_bins: int = 25,
    min_genes: int = 1,
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Score several gene sets per cell (control-corrected mean, deterministic).

    For a set ``S`` and cell ``c``: ``mean_{g in S} x_cg - mean_{g in C} x_cg`` where ``C``
    is every gene outside ``S`` in the expression bins (see :func:`expression_bins`) that
    contain a gene of ``S``. Use log-normalised expression (``X`` after
    ``sc.pp.normalize_total`` + ``sc.pp.log1p``) so that scores do not scale with
    library size.

    Parameters
    ----------
    adata
        Cells x genes; ``var_names`` are gene symbols.
    gene_sets
        Set name -> gene symbols. Genes absent from the matrix are ignored.
    layer
        Layer to score instead of ``X``.
    n_bins
        Expression bins for the control genes.
    min_genes
        Fewest genes of a set that must be present.

    Returns
    -------
    scores : pandas.DataFrame
        Cells x sets.
    used : dict
        Set name -> genes actually used.

    Raises
    ------
    GeneSetOverlapError
        Naming every set with fewer than ``min_genes`` genes in the matrix.
    """
    x = _matrix(adata, layer)
    if adata.n_obs == 0 or adata.n_vars == 0:
        raise ValueError(
            f"cannot score an empty matrix ({adata.n_obs} cells x {adata.n_vars} genes)"
        )
    names = pd.Index(adata.var_names)
    used: dict[str, list[str]] = {}
    missing: list[str] = []
    for name, genes in gene_sets.items():
        present = [g for g in dict.fromkeys(genes) if g in names]
        if len(present) < min_genes:
            missing.append(f"{name} ({len(present)}/{len(set(genes))} genes present)")
        used[name] = present
    if missing:
        raise GeneSetOverlapError(
            "too few signature genes in the matrix for gene set(s): "
            + "; ".join(missing)
            + f". Need at least {min_genes}; check that var_names are gene symbols (Ensembl "
            "IDs are converted by ctcgenomics.rna.read_counts) and the species is human."
        )
    bins = expression_bins(x, n_bins)
    n_bin = int(bins.max()) + 1
    # One sparse product gives every cell's summed expression per bin (single pass).
    member = sp.csr_matrix(
        (np.ones(len(bins)), (np.arange(len(bins)), bins)), shape=(len(bins), n_bin)
    )
    bin_sums = x @ member
    bin_sums = bin_sums.toarray() if sp.issparse(bin_sums) else np.asarray(bin_sums)
    bin_sizes = np.bincount(bins, minlength=n_bin).astype(np.float64)
    union = sorted({names.get_loc(g) for genes in used.values() for g in genes})
    col_of = {g: i for i, g in enumerate(union)}
    sub = x[:, union]
    sub = sub.toarray() if sp.issparse(sub) else np.asarray(sub)
    sub = sub.astype(np.float64, copy=False)
    out = {}
    for name, genes in used.items():
        idx = np.array([names.get_loc(g) for g in genes])
        cols = [col_of[i] for i in idx]
        sig = sub[:, cols]
        hit = np.unique(bins[idx])
        ctrl_sum = bin_sums[:, hit].sum(axis=1) - sig.sum(axis=1)
        n_ctrl = bin_sizes[hit].sum() - len(idx)
        if n_ctrl <= 0:
            raise GeneSetOverlapError(
                f"gene set {name}: no control genes left in its expression bins; "
                "score it on a matrix with more genes"
            )
        out[name] = sig.mean(axis=1) - ctrl_sum / n_ctrl
    return pd.DataFrame(out, index=adata.obs_names), used
