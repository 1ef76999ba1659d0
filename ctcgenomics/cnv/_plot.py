"""Figures: genome-wide copy-number heatmap and per-cell profiles (matplotlib)."""

from __future__ import annotations

import os

import anndata as ad
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.colors import BoundaryNorm, ListedColormap
from scipy.cluster.hierarchy import leaves_list, linkage

# Copy number 0..8+: blues below 2 (diploid white), reds above.
_CN_COLOURS = [
    "#08306b",
    "#6baed6",
    "#f7f7f7",
    "#fdd0a2",
    "#fc8d59",
    "#e34a33",
    "#b30000",
    "#7f0000",
    "#3f0000",
]


def _contig_edges(var: pd.DataFrame) -> tuple[np.ndarray, list[str], np.ndarray]:
    chroms = var["chrom"].astype(str).to_numpy()
    change = np.flatnonzero(np.r_[True, chroms[1:] != chroms[:-1]])
    ends = np.r_[change[1:], len(chroms)]
    return change, list(chroms[change]), (change + ends) / 2


def _cell_order(adata: ad.AnnData, cn: np.ndarray) -> np.ndarray:
    """WBCs first, then CTCs grouped by clone, each group in dendrogram order."""
    obs = adata.obs
    group = (
        obs["clone"].astype(str) if "clone" in obs else pd.Series("", index=obs.index)
    ).to_numpy()
    role = obs["role"].astype(str).to_numpy() if "role" in obs else np.full(len(obs), "ctc")
    key = np.where(role == "wbc", "0", "1") + group
    order = []
    for k in sorted(set(key)):
        idx = np.flatnonzero(key == k)
        if len(idx) > 2:
            x = np.nan_to_num(cn[idx], nan=2.0)
            idx = idx[leaves_list(linkage(x, method="average", metric="cityblock"))]
        order.extend(idx.tolist())
    return np.asarray(order, dtype=int)


def _require(
    adata: ad.AnnData, what: str, *, layers: tuple[str, ...] = (), obs: tuple[str, ...] = ()
) -> None:
    """Name the keys a called AnnData lacks (call_copy_number first)."""
    from ctcgenomics.cnv._errors import CNVInputError

    missing = [f"var['{c}']" for c in ("chrom", "start") if c not in adata.var.columns]
    missing += [f"layers['{k}']" for k in layers if k not in adata.layers]
    missing += [f"obs['{k}']" for k in obs if k not in adata.obs.columns]
    if missing:
        raise CNVInputError(
            f"{what} needs {', '.join(missing)}; run ctc.cnv.call_copy_number(adata) first"
        )


def plot_heatmap(
    adata: ad.AnnData, path: str | os.PathLike[str] | None = None, *, max_cn: int = 8
) -> plt.Figure:
    """Genome-wide heatmap of integer copy number (cells x bins).

    Cells are ordered WBCs first, then CTCs by clone and dendrogram; annotation strips
    show draw, role and clone; vertical lines separate contigs.

    Parameters
    ----------
    adata
        Called AnnData (``layers["copy_number"]``).
    path
        If given, the figure is saved there (format from the suffix).
    max_cn
        Copy numbers above this share the darkest colour.
    """
    _require(adata, "plot_heatmap", layers=("copy_number",))
    cn = np.asarray(adata.layers["copy_number"], dtype=float)
    order = _cell_order(adata, cn)
    n = len(order)
    fig = plt.figure(figsize=(12, 1.5 + 0.18 * max(n, 4)))
    grid = fig.add_gridspec(1, 4, width_ratios=[0.25, 0.25, 0.25, 12], wspace=0.02)
    cmap = ListedColormap(_CN_COLOURS[: max_cn + 1])
    norm = BoundaryNorm(np.arange(-0.5, max_cn + 1.5), cmap.N)
    for j, col in enumerate(("draw", "role", "clone")):
        ax = fig.add_subplot(grid[0, j])
        values = (
            adata.obs[col].astype(str).to_numpy()[order] if col in adata.obs else np.full(n, "")
        )
        cats = sorted(set(values))
        codes = np.array([cats.index(v) for v in values])[:, None]
        ax.imshow(codes, aspect="auto", cmap="tab10", vmin=0, vmax=9, interpolation="nearest")
        ax.set_xticks([0])
        ax.set_xticklabels([col], rotation=90)
        ax.set_yticks([])
        for k, cat in enumerate(cats):
            rows = np.flatnonzero(codes[:, 0] == k)
            if len(rows):
                ax.text(0, rows[len(rows) // 2], cat[:6], ha="center", va="center", fontsize=6)
    ax = fig.add_subplot(grid[0, 3])
    image = ax.imshow(
        np.clip(cn[order], 0, max_cn), aspect="auto", cmap=cmap, norm=norm, interpolation="nearest"
    )
    starts, names, mids = _contig_edges(adata.var)
    for s in starts[1:]:
        ax.axvline(s - 0.5, color="black", lw=0.5)
    ax.set_xticks(mids)
    ax.set_xticklabels(names, rotation=90, fontsize=7)
    ax.set_yticks(np.arange(n))
    ax.set_yticklabels(adata.obs_names.to_numpy()[order], fontsize=6)
    ax.yaxis.tick_right()
    cbar = fig.colorbar(image, ax=ax, fraction=0.02, pad=0.08, ticks=range(max_cn + 1))
    cbar.set_label("copy number")
    ax.set_title("Integer copy number per cell (grey: not called)")
    if path is not None:
        fig.savefig(path, dpi=120, bbox_inches="tight")
    return fig


def plot_profiles(
    adata: ad.AnnData,
    path: str | os.PathLike[str],
    *,
    cells: list[str] | None = None,
    per_page: int = 6,
) -> None:
    """Write a multi-page PDF: per cell, scaled ratios (dots) and integer copy number.

    Parameters
    ----------
    adata
        Called AnnData (``layers["ratio"]``, ``layers["copy_number"]``,
        ``obs["ploidy"]``).
    path
        PDF path.
    cells
        Cells to draw (default all).
    per_page
        Cells per page.
    """
    _require(adata, "plot_profiles", layers=("ratio", "copy_number"), obs=("ploidy",))
    names = list(adata.obs_names) if cells is None else list(cells)
    starts, contigs, mids = _contig_edges(adata.var)
    ratio = np.asarray(adata.layers["ratio"], dtype=float)
    cn = np.asarray(adata.layers["copy_number"], dtype=float)
    x = np.arange(adata.n_vars)
    with PdfPages(path) as pdf:
        for page in range(0, max(len(names), 1), per_page):
            chunk = names[page : page + per_page]
            rows = max(len(chunk), 1)
            # One shared x axis labelled once and a fixed layout: tick-label layout
            # (tight_layout, contig labels on every panel) was most of the drawing time.
            fig, axes = plt.subplots(rows, 1, figsize=(11, 2.0 * rows), squeeze=False, sharex=True)
            fig.subplots_adjust(left=0.07, right=0.99, top=1 - 0.3 / rows, bottom=0.25 / rows,
                                hspace=0.45)  # fmt: skip
            for ax, cell in zip(axes[:, 0], chunk, strict=False):
                i = adata.obs_names.get_loc(cell)
                row = adata.obs.iloc[i]
                ploidy = float(row.get("ploidy", np.nan))
                scale = ploidy if np.isfinite(ploidy) else 2.0
                ax.scatter(x, ratio[i] * scale, s=2, color="#555555", rasterized=True)
                ax.step(x, cn[i], where="mid", color="#d7301f", lw=1.2)
                ax.vlines(starts[1:] - 0.5, 0, 1, transform=ax.get_xaxis_transform(),
                          color="#bbbbbb", lw=0.5)  # fmt: skip
                ax.set_ylim(-0.3, min(np.nanmax(np.r_[cn[i], 4]) + 1.5, 12))
                ax.set_ylabel("copy number", fontsize=7)
                ax.set_title(
                    f"{cell}  role={row.get('role', '')} draw={row.get('draw', '')} "
                    f"ploidy={ploidy:.2f} conf={row.get('ploidy_confidence', np.nan):.2f} "
                    f"MAPD={row.get('mapd', np.nan):.2f} QC={row.get('qc_reason', '') or 'pass'}",
                    fontsize=8,
                )
            bottom = axes[len(chunk) - 1 if chunk else 0, 0]
            bottom.set_xticks(mids)
            bottom.set_xticklabels(contigs, fontsize=6)
            bottom.set_xlim(-0.5, adata.n_vars - 0.5)
            for ax in axes[len(chunk) :, 0]:
                ax.set_visible(False)
            pdf.savefig(fig)
            plt.close(fig)
