"""Clones of CTCs by copy-number profile (SciPy hierarchical clustering)."""

from __future__ import annotations

from collections.abc import Sequence

import anndata as ad
import numpy as np
import pandas as pd

from ctcgenomics._reference_cells import role_labels
from ctcgenomics.cnv._config import CNVConfig
from ctcgenomics.cnv._errors import CNVInputError

CLONE_COLUMNS = (
    "clone", "n_cells", "median_ploidy", "n_draws", "draws", "cells_per_draw", "persistent",
)  # fmt: skip


def _profiles(adata: ad.AnnData) -> tuple[np.ndarray, np.ndarray]:
    """Copy-number matrix over used bins with missing values set to the bin median."""
    used = adata.var["used"].to_numpy() if "used" in adata.var else np.ones(adata.n_vars, bool)
    x = np.asarray(adata.layers["copy_number"], dtype=float)[:, used]
    med = np.nanmedian(np.where(np.isfinite(x), x, np.nan), axis=0) if len(x) else np.array([])
    med = np.nan_to_num(med, nan=2.0)
    return np.where(np.isfinite(x), x, med[None, :]), used


def profile_distances(x: np.ndarray) -> np.ndarray:
    """Condensed mean absolute copy-number differences between the rows of ``x``.

    Runs of bins in which every profile keeps its value are one weighted column: the
    cityblock distance is unchanged (``|w*a - w*b| = w*|a - b|``, exact in float64 for
    copy numbers), and the pairwise cost, quadratic in cells, falls from the number of
    bins to the number of breakpoints shared by the run.
    """
    from scipy.spatial.distance import pdist  # 25 ms of start-up: only when clustering

    n_bins = max(x.shape[1], 1)
    if x.shape[1] == 0:
        return pdist(np.zeros((len(x), 1)), metric="cityblock")
    starts = np.flatnonzero(np.r_[True, np.any(x[:, 1:] != x[:, :-1], axis=0)])
    weights = np.diff(np.r_[starts, x.shape[1]])
    return pdist(x[:, starts] * weights, metric="cityblock") / n_bins


def call_clones(
    adata: ad.AnnData,
    *,
    config: CNVConfig | None = None,
    key_added: str = "clone",
    copy: bool = False,
    use_groups: bool = True,
    reference_key: str = "role",
    reference_cat: str | Sequence[str] = "wbc",
) -> ad.AnnData | None:
    """Name the clones of QC-passing CTCs.

    With ``obs["group"]`` (the groups of :func:`call_copy_number`'s joint segmentation)
    and ``use_groups``, those are the clones. Otherwise CTCs are clustered by integer
    profile: mean absolute copy-number difference per used bin (cityblock / bins),
    SciPy hierarchical clustering (``clone_linkage``) cut at ``clone_max_distance``.
    Clones are named ``C1, C2, ...`` by decreasing size; clusters smaller than
    ``min_clone_size`` are ``unassigned``. WBCs (``obs[reference_key]`` in
    ``reference_cat``, by default ``role == "wbc"``) get ``normal``; cells not called or
    failing QC get an empty string.

    Returns
    -------
    anndata.AnnData or None
        ``obs[key_added]``; ``uns[key_added]`` with ``table`` (columns
        :data:`CLONE_COLUMNS`: which draws each clone appears in and whether it
        persists across draws), ``consensus`` (bins x clones median copy number) and
        ``params``.
    """
    cfg = config or CNVConfig()
    if "copy_number" not in adata.layers:
        raise CNVInputError(
            "call_clones needs layers['copy_number'] (and obs 'ploidy', 'qc_pass'); run "
            "ctc.cnv.call_copy_number(adata) first"
        )
    adata = adata.copy() if copy else adata
    obs = adata.obs
    roles = pd.Series(role_labels(obs, reference_key, reference_cat), index=obs.index)
    qc = obs["qc_pass"].astype(bool) if "qc_pass" in obs else pd.Series(True, obs.index)
    labels = pd.Series("", index=obs.index, dtype=object)
    labels[(roles == "wbc") & qc] = "normal"
    ctc = ((roles != "wbc") & qc).to_numpy()
    x, used = _profiles(adata)
    idx = np.flatnonzero(ctc)
    joint = "group" in obs and use_groups
    if joint and len(idx):
        # The groups of the joint segmentation (call_copy_number) are the clones: cells
        # grouped by their depth and allele profiles, merged when their alleles agree.
        grp = obs["group"].to_numpy()[idx].astype(int)
        raw = np.where(grp >= 0, grp + 1, -(np.arange(len(idx)) + 1))
    elif len(idx) == 1:
        raw = np.array([1])
    elif len(idx) > 1:
        from scipy.cluster.hierarchy import fcluster, linkage

        dist = profile_distances(x[idx])
        raw = fcluster(
            linkage(dist, method=cfg.clone_linkage), t=cfg.clone_max_distance, criterion="distance"
        )
    else:
        raw = np.array([], dtype=int)
    sizes = pd.Series(raw).value_counts()
    names = {}
    for rank, (lab, size) in enumerate(sizes.items(), start=1):
        names[lab] = f"C{rank}" if size >= cfg.min_clone_size else "unassigned"
    labels.iloc[idx] = [names[r] for r in raw]
    obs[key_added] = labels.to_numpy()

    consensus = {}
    rows = []
    draws = obs["draw"].astype(str) if "draw" in obs else pd.Series("", obs.index)
    for clone in [n for n in dict.fromkeys(names.values()) if n != "unassigned"]:
        members = (labels == clone).to_numpy()
        full = np.full(adata.n_vars, np.nan)
        full[used] = np.rint(np.median(x[members], axis=0))
        consensus[clone] = full
        per_draw = draws[members].value_counts().sort_index()
        rows.append(
            (
                clone,
                int(members.sum()),
                float(np.median(obs.loc[members, "ploidy"])) if "ploidy" in obs else np.nan,
                len(per_draw),
                ",".join(per_draw.index),
                ";".join(f"{d}:{n}" for d, n in per_draw.items()),
                len(per_draw) > 1,
            )
        )
    table = pd.DataFrame(rows, columns=list(CLONE_COLUMNS))
    adata.uns[key_added] = {
        "table": table,
        "consensus": pd.DataFrame(consensus, index=adata.var_names),
        "params": {
            "linkage": cfg.clone_linkage,
            "max_distance": cfg.clone_max_distance,
            "min_clone_size": cfg.min_clone_size,
            "metric": "mean_abs_cn_difference",
        },
    }
    return adata if copy else None
