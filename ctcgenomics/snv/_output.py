"""The genotype-matrix figure (VCF: :mod:`._vcf`; alteration rows: :mod:`._alteration_rows`)."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ctcgenomics.io._atomic import atomic_path

if TYPE_CHECKING:  # anndata is imported where an AnnData is made or read
    import anndata as ad

log = logging.getLogger(__name__)


def plot_genotypes(
    adata: ad.AnnData,
    path: str | os.PathLike[str],
    *,
    only_somatic: bool = True,
    max_variants: int = 80,
) -> Path:
    """Draw the cells x variants genotype matrix (PNG), written atomically."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    var = adata.var
    if adata.n_obs == 0 or adata.n_vars == 0:
        fig, ax = plt.subplots(figsize=(4, 1.5))
        ax.axis("off")
        ax.text(0.5, 0.5, "no cell or no candidate variant", ha="center", va="center")
        path = Path(path)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=120, format="png")
        plt.close(fig)
        return path
    cols = np.flatnonzero(var["somatic"].to_numpy(bool)) if only_somatic else np.arange(len(var))
    cols = cols[:max_variants]
    gt = np.asarray(adata.layers["genotype"])[:, cols].astype(float)
    labels = [
        (var["gene"].iloc[j] + " " + var["HGVSp"].iloc[j]).strip()
        if "gene" in var and (var["HGVSp"].iloc[j] or var["gene"].iloc[j])
        else f"{var['chrom'].iloc[j]}:{var['pos'].iloc[j]}"
        for j in cols
    ]
    fig, ax = plt.subplots(
        figsize=(max(4, 0.3 * len(cols) + 3.5), max(3, 0.28 * adata.n_obs + 1.5))
    )
    cmap = ListedColormap(["#d9d9d9", "#f7f7f7", "#fdae61", "#d7191c"])
    ax.imshow(gt + 1, cmap=cmap, vmin=0, vmax=3, aspect="auto", interpolation="nearest")
    ax.set_yticks(range(adata.n_obs), [str(c) for c in adata.obs_names], fontsize=7)
    ax.set_xticks(range(len(cols)), labels, rotation=90, fontsize=7)
    from matplotlib.patches import Patch

    colours = dict(zip(["not evaluable", "ref/ref", "het", "alt/alt"], cmap.colors, strict=True))
    ax.legend(
        handles=[Patch(facecolor=c, edgecolor="grey", label=k) for k, c in colours.items()],
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        fontsize=7,
        frameon=False,
    )
    ax.set_title("Per-cell genotypes", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    return path
