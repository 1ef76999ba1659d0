"""The report's figures, drawn with matplotlib and returned as inline PNG data URIs."""

from __future__ import annotations

import base64
import io
import logging

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.patches import Patch
from scipy.cluster.hierarchy import leaves_list, linkage

log = logging.getLogger(__name__)

# Copy-number colours: blue for losses, white for 2 copies, reds for gains (capped at 8+).
_CN_COLOURS = ["#2166ac", "#92c5de", "#f7f7f7", "#fddbc7", "#f4a582", "#d6604d", "#b2182b",
               "#8b0d1f", "#67001f"]  # fmt: skip
_GT_COLOURS = ["#d9d9d9", "#f7f7f7", "#fdae61", "#d7191c"]
_TAB = plt.get_cmap("tab10").colors


def to_data_uri(fig) -> str:
    """Render a figure as a base64 PNG ``data:`` URI and close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _category_colours(values: pd.Series, offset: int = 0) -> tuple[np.ndarray, dict[str, tuple]]:
    levels = sorted(set(values.astype(str)))
    colours = {lvl: _TAB[(offset + i) % len(_TAB)] for i, lvl in enumerate(levels)}
    codes = values.astype(str).map({lvl: i for i, lvl in enumerate(levels)}).to_numpy()
    return codes, colours


def cluster_order(matrix: np.ndarray) -> np.ndarray:
    """Row order from average-linkage clustering (NaN replaced by each row's median)."""
    if matrix.shape[0] < 3:
        return np.arange(matrix.shape[0])
    filled = matrix.copy()
    med = np.nanmedian(np.where(np.isfinite(filled), filled, np.nan), axis=1)
    med = np.where(np.isfinite(med), med, 2.0)
    bad = ~np.isfinite(filled)
    filled[bad] = np.take(med, np.nonzero(bad)[0])
    return leaves_list(linkage(filled, method="average", metric="euclidean"))


def cnv_heatmap(cn: np.ndarray, chroms: np.ndarray, cells: pd.DataFrame) -> str:
    """Genome-wide copy-number heatmap of all cells, clustered, with draw/role/clone bars.

    Parameters
    ----------
    cn
        Cells x bins integer copy number (NaN where not called).
    chroms
        Chromosome of each bin, in genome order.
    cells
        One row per cell with ``cell``, ``draw``, ``role`` and ``clone``.
    """
    order = cluster_order(cn)
    cn, cells = cn[order], cells.iloc[order].reset_index(drop=True)
    n_cells, n_bins = cn.shape
    height = min(2.0 + 0.18 * n_cells, 14.0)
    fig = plt.figure(figsize=(11, height))
    grid = fig.add_gridspec(1, 4, width_ratios=[0.35, 0.35, 0.35, 12], wspace=0.03)
    legend = []
    offset = 0  # each annotation bar gets its own colours, so the legend is unambiguous
    for k, col in enumerate(("draw", "role", "clone")):
        ax = fig.add_subplot(grid[0, k])
        codes, colours = _category_colours(cells[col], offset)
        offset += len(colours)
        ax.imshow(codes[:, None], aspect="auto", interpolation="nearest",
                  cmap=ListedColormap([colours[c] for c in sorted(colours)]),
                  vmin=-0.5, vmax=len(colours) - 0.5)  # fmt: skip
        ax.set_xticks([0], [col], rotation=90)
        ax.set_yticks([])
        if k == 0 and n_cells <= 60:
            ax.set_yticks(range(n_cells), cells["cell"], fontsize=6)
        legend += [Patch(color=c, label=f"{col}: {lvl}") for lvl, c in colours.items()]
    ax = fig.add_subplot(grid[0, 3])
    cmap = ListedColormap(_CN_COLOURS).with_extremes(bad="#bdbdbd")
    norm = BoundaryNorm(np.arange(-0.5, len(_CN_COLOURS)), cmap.N)
    img = ax.imshow(np.ma.masked_invalid(np.minimum(cn, len(_CN_COLOURS) - 1)), aspect="auto",
                    interpolation="nearest", cmap=cmap, norm=norm)  # fmt: skip
    ax.set_yticks([])
    starts = np.r_[0, np.nonzero(chroms[1:] != chroms[:-1])[0] + 1]
    for s in starts[1:]:
        ax.axvline(s - 0.5, color="k", lw=0.6)
    ends = np.r_[starts[1:], n_bins]
    ax.set_xticks((starts + ends) / 2 - 0.5, [str(c).removeprefix("chr") for c in chroms[starts]],
                  fontsize=7)  # fmt: skip
    ax.set_xlabel(f"genomic bins ({n_bins}), by chromosome")
    bar = fig.colorbar(img, ax=ax, ticks=range(len(_CN_COLOURS)), fraction=0.02, pad=0.01)
    bar.ax.set_yticklabels([*map(str, range(len(_CN_COLOURS) - 1)), f"{len(_CN_COLOURS) - 1}+"])
    bar.set_label("copy number")
    # Legend below the figure, a fixed distance in inches, clear of the rotated
    # annotation labels and the x label whatever the figure height.
    fig.legend(handles=legend, loc="upper center", ncol=min(len(legend), 6), fontsize=7,
               bbox_to_anchor=(0.5, -0.45 / height), frameon=False)  # fmt: skip
    fig.suptitle(f"Copy number of {n_cells} cells (clustered)", fontsize=10)
    return to_data_uri(fig)


def genotype_matrix(gt: np.ndarray, labels: list[str], cells: pd.DataFrame) -> str:
    """Cells x variants genotype matrix (rows grouped by draw and role)."""
    order = np.lexsort((cells["cell"].to_numpy(), cells["role"].to_numpy(),
                        cells["draw"].to_numpy()))  # fmt: skip
    gt, cells = gt[order], cells.iloc[order]
    # Per-cell labels only while they stay legible; large runs get a capped height.
    labelled = len(cells) <= 60
    height = 1.5 + 0.16 * len(cells) if labelled else 10.0
    fig, ax = plt.subplots(figsize=(min(2.5 + 0.45 * len(labels), 16.0), height))
    cmap = ListedColormap(_GT_COLOURS)
    ax.imshow(np.clip(gt, -1, 2) + 1, aspect="auto", interpolation="nearest", cmap=cmap,
              vmin=-0.5, vmax=3.5)  # fmt: skip
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=7)
    if labelled:
        names = [f"{c} ({r}, {d})" for c, r, d in
                 zip(cells["cell"], cells["role"], cells["draw"], strict=True)]  # fmt: skip
        ax.set_yticks(range(len(cells)), names, fontsize=6)
    else:
        ax.set_yticks([])
        ax.set_ylabel(f"{len(cells)} cells, by draw and role")
    names = ["not evaluable", "ref/ref", "heterozygous", "alt/alt"]
    ax.legend(
        handles=[Patch(color=c, label=n) for c, n in zip(_GT_COLOURS, names, strict=True)],
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        fontsize=7,
        frameon=False,
    )
    ax.set_title("Per-cell genotypes")
    return to_data_uri(fig)


def emt_stemness(rna: pd.DataFrame) -> str:
    """EMT score (mesenchymal minus epithelial) against stemness, colour = class."""
    fig, ax = plt.subplots(figsize=(6, 4.5))
    draws = sorted(rna["draw"].astype(str).unique())
    markers = dict(zip(draws, "osD^vP*X", strict=False))
    classes = sorted(rna["cell_class"].astype(str).unique())
    for i, cls in enumerate(classes):
        for draw in draws:
            sub = rna[(rna["cell_class"].astype(str) == cls) & (rna["draw"].astype(str) == draw)]
            if len(sub):
                ax.scatter(
                    sub["emt_score"],
                    sub["stemness"],
                    s=16,
                    color=_TAB[i % 10],
                    marker=markers.get(draw, "o"),
                    alpha=0.75,
                    label=f"{cls}, {draw}",
                )
    ax.axvline(0, lw=0.5, c="k")
    ax.set_xlabel("EMT score (mesenchymal - epithelial)")
    ax.set_ylabel("stemness score")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.set_title("Cell states")
    return to_data_uri(fig)


def timeline(draws: list[dict], series: list[dict], *, max_lines: int = 10) -> str:
    """CTC counts per draw (top) and alteration prevalence with 95% CI (bottom)."""
    labels = [f"{d['draw']}\n{d['draw_date']}" for d in draws]
    x = np.arange(len(draws))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6.5), sharex=True,
                                      gridspec_kw={"height_ratios": [1, 2]})  # fmt: skip
    width = 0.27
    for k, (key, name) in enumerate((("ctc_count", "enumerated"), ("ctc_sequenced", "sequenced"),
                                     ("ctc_pass_qc", "passing QC"))):  # fmt: skip
        vals = [np.nan if d.get(key) is None else d[key] for d in draws]
        top.bar(x + (k - 1) * width, vals, width, label=name, color=_TAB[k])
    top.set_ylabel("CTCs")
    top.legend(fontsize=7, frameon=False)
    altered = [s for s in series if any((p["n_cells_altered"] or 0) > 0 for p in s["points"])]
    altered.sort(key=lambda s: -max((p["prevalence"] or 0) for p in s["points"]))
    index = {d["draw"]: i for i, d in enumerate(draws)}
    for i, s in enumerate(altered[:max_lines]):
        pts = [p for p in s["points"] if p["prevalence"] is not None]
        if not pts:
            continue
        xs = np.array([index[p["draw"]] for p in pts], dtype=float) + (i - max_lines / 2) * 0.015
        prev = np.array([p["prevalence"] for p in pts])
        err = np.array([[p["prevalence"] - p["ci_low"] for p in pts],
                        [p["ci_high"] - p["prevalence"] for p in pts]])  # fmt: skip
        bottom.errorbar(
            xs,
            prev,
            yerr=np.clip(err, 0, None),
            marker="o",
            capsize=3,
            color=_TAB[i % 10],
            label=f"{s['gene']} {s['alteration']}",
        )
    bottom.set_ylim(-0.05, 1.05)
    bottom.set_ylabel("prevalence among CTCs (95% CI)")
    bottom.set_xticks(x, labels)
    if altered:
        bottom.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    else:
        bottom.text(0.5, 0.5, "no alteration detected", ha="center", transform=bottom.transAxes)
    fig.suptitle("Serial draws")
    return to_data_uri(fig)
