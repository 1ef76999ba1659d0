"""Copy number inferred from expression (infercnvpy) and its correlation with a tumour profile.

Supporting evidence beside the per-cell programme call (see ``docs/rna.md``): each cell's
inferred copy-number profile against a reference of normal cells, correlated with the
mean profile of presumed tumour cells (Tirosh et al. 2016 Science 352:189). The
reference is cross-fitted so reference cells are scored as queries, like every other
normal cell of the run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from anndata import AnnData

from ctcgenomics.rna._genes import gene_table

log = logging.getLogger(__name__)

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


CNV_MIN_REFERENCE = 50
"""Fewest confidently called blood cells to serve as the diploid reference."""
CNV_MIN_SEEDS = 10
"""Fewest confidently called CTCs whose mean profile the other cells are compared with."""
CNV_CONFIDENT = 0.99
"""Posterior above which a programme call is confident enough for reference or seed."""
CNV_MAX_LOG_LR = np.log(100.0)
"""Cap of the copy-number log likelihood ratio: one cell's profile never outweighs more
than 100:1, however far its correlation lies in the tails of the fitted normals."""


def cnv_evidence(
    adata: AnnData,
    reference: np.ndarray,
    seed: np.ndarray,
    *,
    exclude_genes: Sequence[str] = (),
    layer: str | None = None,
    window_size: int = 100,
    min_reference: int = CNV_MIN_REFERENCE,
    min_seeds: int = CNV_MIN_SEEDS,
) -> tuple[np.ndarray | None, np.ndarray | None, dict[str, object]]:
    """Log likelihood ratio, tumour vs not, from expression-inferred copy number.

    Each cell's infercnvpy profile against the ``reference`` cells (confidently called
    blood cells: diploid), cross-fitted so reference cells are scored as queries
    (:func:`crossfit_cnv_correlation`), is correlated with the mean profile of the
    ``seed`` cells (confidently called CTCs, each against the others). Tumour cells that
    share the clone's copy-number changes correlate; diploid cells do not. The two
    distributions are estimated in the run: normal with median and MAD of the reference
    cells' correlations (diploid) and of the seeds' (tumour); the log likelihood ratio is
    capped at :data:`CNV_MAX_LOG_LR`.

    Parameters
    ----------
    adata
        Log-normalised cells x genes (gene symbols).
    reference, seed
        Boolean masks of the diploid reference and of the confident tumour cells.
    exclude_genes
        Genes left out of the profiles (the programme genes that made the calls).
    layer, window_size
        As in :func:`cnv_tumour_correlation`.
    min_reference, min_seeds
        Fewer reference or seed cells: no evidence (``None``).

    Returns
    -------
    log_lr, correlation : numpy.ndarray or None
        Per cell; ``None`` when the run cannot support the term.
    info : dict
        ``status`` (``used`` or why not), counts, the fitted normals.
    """
    reference = np.asarray(reference, bool)
    seed = np.asarray(seed, bool) & ~reference
    info: dict[str, object] = {
        "n_reference": int(reference.sum()),
        "n_seeds": int(seed.sum()),
    }
    if reference.sum() < min_reference or seed.sum() < min_seeds:
        info["status"] = (
            f"not used: {int(reference.sum())} confident blood cells (need {min_reference}) "
            f"and {int(seed.sum())} confident CTCs (need {min_seeds})"
        )
        return None, None, info
    placed = _positioned(adata, layer, exclude_genes).n_vars
    if placed < 2 * window_size:
        info["status"] = f"not used: {placed} genes with a position (need {2 * window_size})"
        return None, None, info
    corr = crossfit_cnv_correlation(
        adata, reference, seed, window_size=window_size, layer=layer, exclude_genes=exclude_genes
    )

    def fit(values: np.ndarray) -> tuple[float, float]:
        med = float(np.median(values))
        mad = 1.4826 * float(np.median(np.abs(values - med)))
        return med, max(mad, 0.02)

    mu0, sd0 = fit(corr[reference])
    mu1, sd1 = fit(corr[seed])
    info.update({"diploid": [mu0, sd0], "tumour": [mu1, sd1]})
    if mu1 - mu0 < 2 * sd0:
        info["status"] = (
            "not used: confident CTCs share no copy-number profile (median correlation "
            f"{mu1:.2f} vs {mu0:.2f} in blood cells)"
        )
        return None, corr, info
    info["status"] = "used"
    return cnv_log_lr(corr, info), corr, info


def cnv_log_lr(correlation: np.ndarray, fit: dict[str, object]) -> np.ndarray:
    """Capped log likelihood ratio, tumour vs diploid, of copy-number correlations.

    ``fit`` holds ``diploid`` and ``tumour`` as ``[median, scale]`` of normals (as
    :func:`cnv_evidence` reports them).
    """
    from scipy.stats import norm

    mu0, sd0 = fit["diploid"]  # type: ignore[misc]
    mu1, sd1 = fit["tumour"]  # type: ignore[misc]
    log_lr = norm.logpdf(correlation, mu1, sd1) - norm.logpdf(correlation, mu0, sd0)
    return np.clip(log_lr, -CNV_MAX_LOG_LR, CNV_MAX_LOG_LR)
