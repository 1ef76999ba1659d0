"""Cell classes: CTC, WBC, platelet, low-quality, each with a confidence.

Decision order (see ``docs/rna.md``):

1. ``low-quality``: the cell failed QC (:func:`ctcgenomics.rna.qc_cells`).
2. Marker scores (epithelial, breast tissue, leukocyte, platelet) per cell; ``platelet``
   when the platelet score is a robust outlier and exceeds the other panels.
3. Marker evidence ``mean(z_epithelial, z_tissue) - z_leukocyte`` picks the presumed
   WBC reference (lowest evidence) and the first presumed-tumour seed (highest).
4. Malignancy score: expression-inferred copy number (infercnvpy) against the reference,
   and each cell's correlation with the seed cells' mean profile (Tirosh et al. 2016
   Science 352:189). The reference is *cross-fitted*: its cells are split in folds and
   each fold is scored by a run that uses only the other folds as reference, so
   reference cells are scored exactly like any other leukocyte and form an unbiased
   empirical null.
5. ``CTC`` when the score exceeds the ``null_quantile`` of that null; the seed then
   becomes the called CTCs and the reference grows by the clearly null-like cells, for a
   few rounds. Finally a call is dropped when its score is a low outlier of the called
   group (robust z below ``-group_z``): the null is narrower than the run's leukocytes,
   and the leukocytes that pass it sit in the lower tail of the called cells.
   Confidence: posterior of a two-group (called / not called) kernel-density model of
   the score.

Nothing is learned from labels, and library depth / genes detected never enter.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from anndata import AnnData
from scipy.stats import norm

from ctcgenomics.rna._genes import gene_table
from ctcgenomics.rna._genesets import SIGNATURE_SETS, load_gene_sets
from ctcgenomics.rna._null import empirical_pvalue, two_group_posterior, typical_of_called
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


def _positioned(adata: AnnData, layer: str | None, exclude: Sequence[str] = ()) -> AnnData:
    """Bare copy of the matrix restricted to genes placed on chr1-22/X, minus ``exclude``."""
    sub = AnnData(
        X=adata.X if layer is None else adata.layers[layer],
        obs=pd.DataFrame(index=adata.obs_names),
        var=pd.DataFrame(index=adata.var_names),
    )
    add_gene_positions(sub)
    keep = sub.var["chromosome"].isin(_AUTOSOMES_X).to_numpy() & ~sub.var_names.isin(exclude)
    return sub[:, keep].copy()


def _cnv_profiles(sub: AnnData, reference: np.ndarray, window_size: int) -> np.ndarray:
    """Per-cell infercnvpy profile against ``reference`` cells, centred per cell."""
    import infercnvpy as cnv  # imported here: heavy, only needed when CNV is used

    sub.obs["cnv_ref"] = np.where(reference, "reference", "query")
    cnv.tl.infercnv(
        sub,
        reference_key="cnv_ref",
        reference_cat="reference",
        window_size=window_size,
        # no zeroing of small values: the null needs the leukocytes' continuous noise,
        # else most of them score exactly 0 and any faint signal beats its quantile
        dynamic_threshold=None,
        n_jobs=1,
        calculate_gene_values=False,
    )
    prof = sub.obsm.pop("X_cnv")
    prof = prof.toarray() if sp.issparse(prof) else np.asarray(prof, dtype=np.float64)
    return prof - prof.mean(axis=1, keepdims=True)


def _seed_correlation(prof: np.ndarray, seed: np.ndarray) -> np.ndarray:
    """Pearson correlation of every profile with the seed mean (leave-one-out for seeds)."""
    total = prof[seed].sum(axis=0)
    n_seed = int(seed.sum())
    corr = np.zeros(prof.shape[0])
    for i, row in enumerate(prof):
        if seed[i] and n_seed < 2:
            continue
        target = (total - row) / (n_seed - 1) if seed[i] else total / n_seed
        target = target - target.mean()
        denom = np.linalg.norm(row) * np.linalg.norm(target)
        corr[i] = float(np.dot(row, target) / denom) if denom > 0 else 0.0
    return corr


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
        Reference cells are in-sample here; use :func:`crossfit_cnv_correlation` for a
        null distribution.
    """
    prof = _cnv_profiles(_positioned(adata, layer), np.asarray(reference, bool), window_size)
    return _seed_correlation(prof, np.asarray(seed, bool))


def crossfit_cnv_correlation(
    adata: AnnData,
    reference: np.ndarray,
    seed: np.ndarray,
    *,
    n_folds: int = 2,
    window_size: int = 100,
    layer: str | None = None,
    exclude_genes: Sequence[str] = (),
    random_state: int = 0,
) -> np.ndarray:
    """:func:`cnv_tumour_correlation` with every reference cell scored out of the reference.

    The reference cells are split into ``n_folds`` random folds; each fold is scored by an
    infercnvpy run whose reference is the other folds, so a reference cell's profile is
    not shrunk towards zero by its own contribution to the reference mean. Non-reference
    cells get the mean of their scores over the ``n_folds`` runs. The reference cells'
    scores are then an empirical null: how presumed leukocytes score when they are
    queries, as every other leukocyte of the run is.

    Parameters
    ----------
    adata
        Log-normalised cells x genes.
    reference, seed
        Boolean masks (seed cells inside the reference are ignored as seeds).
    n_folds
        Folds of the reference (>= 2); each run keeps ``(n_folds - 1) / n_folds`` of it.
    window_size, layer
        As in :func:`cnv_tumour_correlation`.
    exclude_genes
        Genes left out of the profiles: pass the marker genes that chose the reference
        and seed, or the selection leaks into the score (reference cells are the ones
        with the highest leukocyte-marker expression, so every other cell would look
        "tumour-like" in the windows holding those genes).
    random_state
        Seed of the fold split.

    Returns
    -------
    numpy.ndarray
        Cross-fitted correlation per cell.
    """
    reference = np.asarray(reference, bool)
    seed = np.asarray(seed, bool) & ~reference
    if n_folds < 2 or reference.sum() < 2 * n_folds:
        raise ValueError(
            f"cross-fitting needs n_folds >= 2 and >= 2 reference cells per fold; got "
            f"{n_folds} folds for {int(reference.sum())} reference cells"
        )
    sub = _positioned(adata, layer, exclude_genes)
    rng = np.random.default_rng(random_state)
    folds = np.array_split(rng.permutation(np.flatnonzero(reference)), n_folds)
    total = np.zeros(adata.n_obs)
    runs = np.zeros(adata.n_obs)
    for fold in folds:
        ref = reference.copy()
        ref[fold] = False
        corr = _seed_correlation(_cnv_profiles(sub, ref, window_size), seed)
        total[~ref] += corr[~ref]
        runs[~ref] += 1
    return total / runs


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
    cnv_min_reference: int = 6,
    reference_fraction: float = 0.3,
    seed_fraction: float = 0.25,
    null_quantile: float = 0.95,
    group_z: float | None = 2.5,
    n_iter: int = 3,
    n_folds: int = 2,
    outlier_z: float = 3.0,
    window_size: int = 100,
    random_state: int = 0,
    copy: bool = False,
) -> AnnData | None:
    """Classify cells as CTC, WBC, platelet or low-quality with a confidence.

    Parameters
    ----------
    adata
        Log-normalised cells x genes (``X`` or ``layer``) with ``obs[qc_key]``.
    key_added
        ``obs`` column of the class; also ``obs[f"{key_added}_confidence"]`` (posterior
        of the called class), ``obs["ctc_probability"]`` (posterior of CTC under a
        two-group kernel-density model of the score, see
        :func:`ctcgenomics.rna._null.two_group_posterior`), ``obs["ctc_score"]``
        (the score that decides), ``obs["ctc_pvalue"]`` (empirical one-sided p-value
        against the null), ``obs["ctc_null"]`` (cell is in the null), ``obs["marker_evidence"]``,
        ``obs["score_epithelial"|"score_breast_tissue"|"score_leukocyte"|"score_platelet"]``
        and ``obs["cnv_correlation"]``; ``uns[key_added]`` with ``params``, the
        threshold and the sizes of null and seed.
    qc_key
        Boolean ``obs`` column; failing cells are ``low-quality``. Missing: all pass.
    gene_sets
        Set name -> genes (default the packaged GMT files).
    layer
        Layer to use instead of ``X``.
    platelet_z
        Robust z of the platelet score above which a cell is a platelet candidate.
    use_cnv, cnv_min_cells, cnv_min_reference
        Use inferred copy number when at least this many candidate cells / reference
        cells; otherwise marker evidence decides as a robust outlier (``outlier_z``).
    reference_fraction, seed_fraction
        Fractions of cells (lowest / highest marker evidence) that start as the
        presumed-WBC reference (the null) and the presumed-tumour seed.
    null_quantile
        A cell is a CTC when its score exceeds this quantile of the null scores.
    group_z
        ... and its score is not below ``median - group_z * MAD`` (robust, 1.4826-scaled)
        of the called cells' scores (:func:`ctcgenomics.rna._null.typical_of_called`);
        ``None`` skips this check.
    n_iter
        Rounds of: score, call, seed := called CTCs, reference := initial reference plus
        uncalled cells scoring below the null median.
    n_folds
        Cross-fitting folds of the reference (:func:`crossfit_cnv_correlation`).
    outlier_z
        Marker-only fallback: CTC when the robust z of the marker evidence exceeds this.
    window_size
        infercnvpy window.
    random_state
        Seed of the fold split.
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
    prob = np.full(adata.n_obs, np.nan)
    pval = np.full(adata.n_obs, np.nan)
    in_null = np.zeros(adata.n_obs, bool)
    called = np.zeros(adata.n_obs, bool)
    info: dict = {"cnv_used": False, "threshold": float("nan")}
    adata.obs["cnv_correlation"] = np.nan
    n_ref = int(np.floor(reference_fraction * n))
    if n and use_cnv and n >= cnv_min_cells and n_ref >= max(cnv_min_reference, 2 * n_folds):
        res = _cnv_decision(
            adata[cand],
            evidence[cand],
            n_ref=n_ref,
            seed_fraction=seed_fraction,
            null_quantile=null_quantile,
            group_z=group_z,
            n_iter=n_iter,
            n_folds=n_folds,
            window_size=window_size,
            layer=layer,
            exclude_genes=sorted({g for genes in panels.values() for g in genes}),
            random_state=random_state,
        )
        score, ref, call, info = res
        adata.obs.loc[adata.obs_names[cand], "cnv_correlation"] = score
        final[cand] = score
        null = score[ref]
        pval[cand] = empirical_pvalue(score, null)
        prob[cand] = two_group_posterior(score, call)
        in_null[np.flatnonzero(cand)[ref]] = True
        called[np.flatnonzero(cand)[call]] = True
        info["cnv_used"] = True
    elif n:
        log.info("%d cells: too few for copy-number inference; markers decide", n)
        # too few cells for a null distribution: a CTC must be a robust outlier
        zc = robust_z(evidence[cand])
        final[cand] = evidence[cand]
        pval[cand] = norm.sf(zc)
        prob[cand] = norm.cdf(zc - outlier_z)
        called[cand] = zc > outlier_z
    prob[platelet] = 0.0  # a platelet call is a call of not-CTC
    label = np.where(ok, "WBC", "low-quality").astype(object)
    label[called] = "CTC"
    label[platelet] = "platelet"
    conf = np.ones(adata.n_obs)
    conf[cand] = np.where(called[cand], prob[cand], 1 - prob[cand])
    conf[platelet] = 1.0 / (1.0 + np.exp(-(z["platelet"][platelet] - platelet_z)))
    adata.obs["ctc_score"] = final
    adata.obs["ctc_pvalue"] = pval
    adata.obs["ctc_probability"] = prob
    adata.obs["ctc_null"] = in_null
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
            "null_quantile": null_quantile,
            "group_z": group_z,
            "n_iter": n_iter,
            "n_folds": n_folds,
            "outlier_z": outlier_z,
            "window_size": window_size,
            "random_state": random_state,
            "layer": layer,
        },
        **info,
        "decided_by": "cnv_correlation" if info["cnv_used"] else "marker_evidence",
        "counts": {c: int((label == c).sum()) for c in CLASSES},
    }
    log.info(
        "classes: %s (decided by %s)",
        adata.uns[key_added]["counts"],
        adata.uns[key_added]["decided_by"],
    )
    return adata if copy else None


def _cnv_decision(
    adata: AnnData,
    evidence: np.ndarray,
    *,
    n_ref: int,
    seed_fraction: float,
    null_quantile: float,
    group_z: float | None,
    n_iter: int,
    n_folds: int,
    window_size: int,
    layer: str | None,
    exclude_genes: Sequence[str],
    random_state: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Iterate cross-fitted CNV scoring and the null-quantile call on candidate cells.

    Returns the final score, the null (reference) mask, the CTC call and a summary.
    """
    n = adata.n_obs
    order = np.argsort(evidence, kind="stable")
    ref0 = np.zeros(n, bool)
    ref0[order[:n_ref]] = True
    seed = np.zeros(n, bool)
    seed[order[-max(3, int(np.ceil(seed_fraction * n))) :]] = True
    seed &= ~ref0
    ref = ref0.copy()
    rounds: dict[str, list[int]] = {"null": [], "seed": [], "ctc": []}
    for it in range(max(1, n_iter)):
        score = crossfit_cnv_correlation(
            adata,
            ref,
            seed,
            n_folds=n_folds,
            window_size=window_size,
            layer=layer,
            exclude_genes=exclude_genes,
            random_state=random_state,
        )
        threshold = float(np.quantile(score[ref], null_quantile))
        call = score > threshold
        for key, mask in (("null", ref), ("seed", seed), ("ctc", call)):
            rounds[key].append(int(mask.sum()))
        log.info(
            "round %d: null %d, seed %d cells -> %d CTCs", it + 1, ref.sum(), seed.sum(), call.sum()
        )
        # Next round: the called CTCs are the tumour profile (the marker-picked seed can be
        # mostly leukocytes when CTCs are few); cells clearly inside the null join it.
        new_seed = call & ~ref
        new_ref = ref0 | (~call & (score <= np.median(score[ref])))
        if it == n_iter - 1 or new_seed.sum() < 3:
            break
        if np.array_equal(new_seed, seed) and np.array_equal(new_ref, ref):
            break
        seed, ref = new_seed, new_ref
    n_null_call = int(call.sum())
    if group_z is not None:
        call = typical_of_called(score, call, group_z)
    log.info(
        "%d of %d calls dropped as low outliers of the called group",
        n_null_call - call.sum(),
        n_null_call,
    )
    summary = {"threshold": threshold, "rounds": rounds, "n_above_null": n_null_call}
    return score, ref, call, summary
