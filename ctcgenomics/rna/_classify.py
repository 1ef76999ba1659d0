"""Cell classes: CTC, WBC, platelet, low-quality, each with a confidence.

Decision order (see ``docs/rna.md``):

1. ``low-quality``: the cell failed QC (:func:`ctcgenomics.rna.qc_cells`).
2. Marker scores (epithelial, breast tissue, leukocyte, platelet) per cell; ``platelet``
   when the platelet score is a robust outlier and exceeds the other panels.
3. Marker evidence ``mean(z_epithelial, z_tissue) - z_leukocyte`` orders the remaining
   cells. Where there are enough cells, an orthogonal malignancy signal decides:
   expression-inferred copy number (infercnvpy) with the lowest-evidence cells (the run's
   WBCs) as reference, and each cell's correlation with the mean copy-number profile of
   the highest-evidence cells (leave-one-out for those cells), as in Tirosh et al. 2016
   Science 352:189. Leukocytes share the reference's flat profile, tumour cells share
   the tumour's aneuploidy.
4. ``CTC`` versus ``WBC``: a two-component Gaussian mixture on the final score (no
   labels, nothing learned across runs); the posterior of the called class is the
   confidence.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from anndata import AnnData
from scipy.stats import norm
from sklearn.mixture import GaussianMixture

from ctcgenomics.rna._genes import gene_table
from ctcgenomics.rna._genesets import SIGNATURE_SETS, load_gene_sets
from ctcgenomics.rna._score import score_gene_sets

log = logging.getLogger(__name__)

CLASSES = ("CTC", "WBC", "platelet", "low-quality")
"""Values of ``obs[key_added]``."""

PLATELET_CORE = ("PPBP", "PF4", "GP9", "ITGA2B", "TUBB1", "GNG11", "GP1BA", "TREML1")
"""Platelet-specific genes; a platelet call needs two of them detected."""

_AUTOSOMES_X = [f"chr{i}" for i in range(1, 23)] + ["chrX"]


def robust_z(values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """``(v - median) / (1.4826 * MAD)`` with centre and scale from ``values[mask]``.

    Median/MAD rather than mean/SD so a minority of outlying cells (the CTCs among
    many leukocytes) does not pull the scale.
    """
    v = np.asarray(values, dtype=np.float64)
    ref = v if mask is None else v[mask]
    med = np.median(ref)
    mad = 1.4826 * np.median(np.abs(ref - med))
    if not np.isfinite(mad) or mad <= 0:
        mad = np.std(ref) or 1.0
    return (v - med) / mad


def add_gene_positions(adata: AnnData) -> int:
    """Add ``var["chromosome"|"start"|"end"]`` from GENCODE v44; return genes placed."""
    table = gene_table().drop_duplicates("gene_name").set_index("gene_name")
    for col in ("chromosome", "start", "end"):
        adata.var[col] = table[col].reindex(adata.var_names).to_numpy()
    return int(adata.var["chromosome"].notna().sum())


def cnv_tumour_correlation(
    adata: AnnData,
    reference: np.ndarray,
    seed: np.ndarray,
    *,
    window_size: int = 100,
    layer: str | None = None,
) -> np.ndarray:
    """Correlation of each cell's inferred CNV profile with the seed cells' mean profile.

    Parameters
    ----------
    adata
        Log-normalised cells x genes.
    reference, seed
        Boolean masks: reference (presumed normal) cells and presumed tumour cells.
    window_size
        infercnvpy smoothing window (genes).
    layer
        Layer to use instead of ``X``.

    Returns
    -------
    numpy.ndarray
        Pearson correlation per cell (seed cells against the mean of the *other* seeds).
    """
    import infercnvpy as cnv  # imported here: heavy, only needed when CNV is used

    sub = AnnData(
        X=adata.X if layer is None else adata.layers[layer],
        obs=pd.DataFrame(index=adata.obs_names),
        var=pd.DataFrame(index=adata.var_names),
    )
    add_gene_positions(sub)
    sub = sub[:, sub.var["chromosome"].isin(_AUTOSOMES_X).to_numpy()].copy()
    sub.obs["cnv_ref"] = np.where(reference, "reference", "query")
    cnv.tl.infercnv(
        sub,
        reference_key="cnv_ref",
        reference_cat="reference",
        window_size=window_size,
        n_jobs=1,
        calculate_gene_values=False,
    )
    prof = sub.obsm["X_cnv"]
    prof = prof.toarray() if sp.issparse(prof) else np.asarray(prof, dtype=np.float64)
    prof = prof - prof.mean(axis=1, keepdims=True)
    total = prof[seed].sum(axis=0)
    n_seed = int(seed.sum())
    corr = np.empty(prof.shape[0])
    for i, row in enumerate(prof):
        # leave-one-out: a seed cell is compared with the other seeds only
        target = (total - row) / (n_seed - 1) if seed[i] else total / n_seed
        denom = np.linalg.norm(row) * np.linalg.norm(target - target.mean())
        corr[i] = float(np.dot(row, target - target.mean()) / denom) if denom > 0 else 0.0
    return corr


def _mixture_posterior(
    score: np.ndarray, random_state: int, min_separation: float = 2.0
) -> tuple[np.ndarray, float]:
    """Posterior of the higher-mean component of a 2-component GMM on the score.

    When the two components are not separated (Ashman's D < ``min_separation``, i.e. the
    scores are not bimodal, as with a handful of CTCs among many leukocytes) the mixture
    would split the majority in two; then a cell is a CTC only as an outlier:
    ``Phi(z - 3)`` with ``z`` the robust z of its score.

    Returns
    -------
    posterior : numpy.ndarray
    separation : float
        Ashman's D of the fit (NaN when no mixture was fitted).
    """
    s = score.reshape(-1, 1)
    if len(s) >= 6 and np.unique(s).size >= 4:
        gmm = GaussianMixture(2, random_state=random_state, n_init=3).fit(s)
        mu = gmm.means_.ravel()
        var = gmm.covariances_.ravel()
        sep = float(np.sqrt(2) * abs(mu[0] - mu[1]) / np.sqrt(var.sum()))
        if sep >= min_separation:
            post = gmm.predict_proba(s)[:, int(np.argmax(mu))]
            # keep the posterior monotone in the score (a GMM tail can invert the order)
            order = np.argsort(score, kind="stable")
            post[order] = np.maximum.accumulate(post[order])
            return post, sep
    else:
        sep = float("nan")
    return norm.cdf(robust_z(score) - 3.0), sep


def classify_cells(
    adata: AnnData,
    *,
    key_added: str = "cell_class",
    qc_key: str = "qc_pass",
    gene_sets: Mapping[str, Sequence[str]] | None = None,
    layer: str | None = None,
    platelet_z: float = 3.0,
    use_cnv: bool = True,
    cnv_min_cells: int = 12,
    cnv_min_reference: int = 5,
    reference_fraction: float = 0.4,
    seed_fraction: float = 0.25,
    marker_weight: float = 0.0,
    window_size: int = 100,
    min_probability: float = 0.5,
    random_state: int = 0,
    copy: bool = False,
) -> AnnData | None:
    """Classify cells as CTC, WBC, platelet or low-quality with a confidence.

    Parameters
    ----------
    adata
        Log-normalised cells x genes (``X`` or ``layer``) with ``obs[qc_key]``.
    key_added
        ``obs`` column of the class; also ``obs[f"{key_added}_confidence"]``,
        ``obs["ctc_probability"]``, ``obs["ctc_score"]``, ``obs["marker_evidence"]``,
        ``obs["score_epithelial"|"score_breast_tissue"|"score_leukocyte"|"score_platelet"]``
        and, when used, ``obs["cnv_correlation"]``; ``uns[key_added]["params"]``.
    qc_key
        Boolean ``obs`` column; failing cells are ``low-quality``. Missing: all pass.
    gene_sets
        Set name -> genes (default the packaged GMT files).
    layer
        Layer to use instead of ``X``.
    platelet_z
        Robust z of the platelet score above which a cell is a platelet candidate.
    use_cnv, cnv_min_cells, cnv_min_reference
        Use inferred copy number when at least this many cells / reference cells.
    reference_fraction, seed_fraction
        Fractions of cells (lowest / highest marker evidence) used as the CNV reference
        and as the presumed tumour profile.
    marker_weight
        Weight of the marker evidence added to the CNV correlation's robust z.
    window_size
        infercnvpy window.
    min_probability
        CTC when the mixture posterior is at least this.
    random_state
        Seed of the mixture fit.
    copy
        Return a copy.
    """
    adata = adata.copy() if copy else adata
    sets = gene_sets if gene_sets is not None else load_gene_sets()
    panels = {
        k: list(sets[SIGNATURE_SETS[k][0]])
        for k in ("epithelial", "breast_tissue", "leukocyte", "platelet")
    }
    scores, _ = score_gene_sets(adata, panels, layer=layer, min_genes=1)
    for k in panels:
        adata.obs[f"score_{k}"] = scores[k].to_numpy()
    ok = adata.obs[qc_key].to_numpy(bool) if qc_key in adata.obs else np.ones(adata.n_obs, bool)
    z = {k: robust_z(scores[k].to_numpy(), ok) for k in panels}
    evidence = (z["epithelial"] + z["breast_tissue"]) / 2 - z["leukocyte"]
    adata.obs["marker_evidence"] = evidence
    # Broad genes in the panel (CLU, SPARC) can lift the score alone; a platelet must also
    # show at least two of the platelet-specific core genes.
    core = [g for g in PLATELET_CORE if g in adata.var_names]
    x = adata.X if layer is None else adata.layers[layer]
    sub = x[:, [adata.var_names.get_loc(g) for g in core]] if core else None
    n_core = np.asarray((sub > 0).sum(axis=1)).ravel() if sub is not None else np.zeros(adata.n_obs)
    platelet = (
        ok
        & (z["platelet"] >= platelet_z)
        & (scores["platelet"].to_numpy() > 0)
        & (z["platelet"] > np.maximum(z["leukocyte"], z["epithelial"]))
        & (n_core >= 2)
    )
    cand = ok & ~platelet
    n = int(cand.sum())
    final = np.full(adata.n_obs, np.nan)
    cnv_used = False
    separation = float("nan")
    adata.obs["cnv_correlation"] = np.nan
    if n:
        ev = evidence[cand]
        n_ref = int(np.floor(reference_fraction * n))
        if use_cnv and n >= cnv_min_cells and n_ref >= cnv_min_reference:
            order = np.argsort(ev, kind="stable")
            ref = np.zeros(n, bool)
            ref[order[:n_ref]] = True
            seed = np.zeros(n, bool)
            seed[order[-max(3, int(np.ceil(seed_fraction * n))) :]] = True
            log.info(
                "inferring copy number: %d reference cells, %d seed cells of %d",
                n_ref,
                int(seed.sum()),
                n,
            )
            corr = cnv_tumour_correlation(
                adata[cand], ref, seed, window_size=window_size, layer=layer
            )
            adata.obs.loc[adata.obs_names[cand], "cnv_correlation"] = corr
            final[cand] = robust_z(corr, ref) + marker_weight * ev
            cnv_used = True
        else:
            log.info("%d cells: too few for copy-number inference; markers decide", n)
            final[cand] = ev
        prob = np.full(adata.n_obs, np.nan)
        prob[cand], separation = _mixture_posterior(final[cand], random_state)
    else:
        prob = np.full(adata.n_obs, np.nan)
    prob[platelet] = 0.0  # a platelet call is a call of not-CTC
    label = np.where(ok, "WBC", "low-quality").astype(object)
    label[cand & (prob >= min_probability)] = "CTC"
    label[platelet] = "platelet"
    conf = np.ones(adata.n_obs)
    conf[cand] = np.where(label[cand] == "CTC", prob[cand], 1 - prob[cand])
    conf[platelet] = 1.0 / (1.0 + np.exp(-(z["platelet"][platelet] - platelet_z)))
    adata.obs["ctc_score"] = final
    adata.obs["ctc_probability"] = prob
    adata.obs[key_added] = pd.Categorical(label, categories=list(CLASSES))
    adata.obs[f"{key_added}_confidence"] = conf
    adata.uns[key_added] = {
        "params": {
            "platelet_z": platelet_z,
            "use_cnv": use_cnv,
            "cnv_min_cells": cnv_min_cells,
            "cnv_min_reference": cnv_min_reference,
            "reference_fraction": reference_fraction,
            "seed_fraction": seed_fraction,
            "marker_weight": marker_weight,
            "window_size": window_size,
            "min_probability": min_probability,
            "random_state": random_state,
            "layer": layer,
        },
        "cnv_used": cnv_used,
        "decided_by": "cnv_correlation" if cnv_used else "marker_evidence",
        "mixture_separation": separation,
        "counts": {c: int((label == c).sum()) for c in CLASSES},
    }
    log.info(
        "classes: %s (decided by %s)",
        adata.uns[key_added]["counts"],
        adata.uns[key_added]["decided_by"],
    )
    return adata if copy else None
