"""Copy-number figures: the genome-wide heatmap and per-cell profiles."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from anndata import AnnData
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ctcgenomics.pl._common import TAB10, PathLike, categories, doc_params, finish, new_figure

# Copy number 0..8+: blues for losses, white for 2 copies, reds for gains.
CN_COLOURS = ("#2166ac", "#92c5de", "#f7f7f7", "#fddbc7", "#f4a582", "#d6604d", "#b2182b",
              "#8b0d1f", "#67001f")  # fmt: skip
NOT_CALLED = "#bdbdbd"
# Cells are labelled while the labels stay legible.
MAX_LABELLED = 60


def _require(
    adata: AnnData, what: str, *, layers: tuple[str, ...] = (), obs: tuple[str, ...] = ()
) -> None:
    """Name the keys a called AnnData lacks (call_copy_number first)."""
    from ctcgenomics.cnv._errors import CNVInputError

    if not isinstance(adata, AnnData):
        raise TypeError(f"{what} takes the copy-number AnnData, got {type(adata).__name__}")
    missing = [f"var['{c}']" for c in ("chrom",) if c not in adata.var.columns]
    missing += [f"layers['{k}']" for k in layers if k not in adata.layers]
    missing += [f"obs['{k}']" for k in obs if k not in adata.obs.columns]
    if missing:
        raise CNVInputError(
            f"{what} needs {', '.join(missing)}; run ctc.cnv.call_copy_number(adata) first"
        )


def _contigs(chroms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First bin of each contig and the contigs' mid points (bins in genome order)."""
    starts = np.r_[0, np.flatnonzero(chroms[1:] != chroms[:-1]) + 1]
    ends = np.r_[starts[1:], len(chroms)]
    return starts, (starts + ends) / 2 - 0.5


def _cluster(matrix: np.ndarray) -> np.ndarray:
    """Row order of average-linkage clustering; a missing value counts as its row's median."""
    from scipy.cluster.hierarchy import leaves_list, linkage

    if matrix.shape[0] < 3:
        return np.arange(matrix.shape[0])
    filled = np.array(matrix, dtype=float)
    med = np.nanmedian(np.where(np.isfinite(filled), filled, np.nan), axis=1)
    med = np.where(np.isfinite(med), med, 2.0)
    bad = ~np.isfinite(filled)
    filled[bad] = np.take(med, np.nonzero(bad)[0])
    return leaves_list(linkage(filled, method="average", metric="euclidean"))


def _cell_order(obs: pd.DataFrame, cn: np.ndarray, groupby: Sequence[str]) -> np.ndarray:
    """Cells grouped by the ``groupby`` columns present, clustered within each group."""
    keys = [k for k in groupby if k in obs.columns]
    if not keys:
        return _cluster(cn)
    codes = np.column_stack(
        [obs[k].astype(str).map({v: i for i, v in enumerate(categories(obs[k]))}).to_numpy()
         for k in keys]
    )  # fmt: skip
    order: list[int] = []
    for group in np.unique(codes, axis=0):  # groups in lexicographic order of the codes
        idx = np.flatnonzero((codes == group).all(axis=1))
        order.extend(idx[_cluster(cn[idx])].tolist())
    return np.asarray(order, dtype=int)


@doc_params
def cnv_heatmap(
    adata: AnnData,
    *,
    layer: str = "copy_number",
    groupby: Sequence[str] = ("role", "clone"),
    annotations: Sequence[str] = ("draw", "role", "clone"),
    used_bins: str | None = "used",
    save: PathLike | None = None,
    dpi: int = 120,
    show: bool = False,
) -> Figure:
    """Genome-wide heatmap of integer copy number, cells x bins.

    Cells are grouped by the ``groupby`` columns of ``obs`` (categorical order, else
    sorted) and clustered within each group (average linkage; a bin not called counts
    as the cell's median). Colour bars show the ``annotations`` columns, lines separate
    contigs, bins not called are grey, and cells are named while there are at most 60.

    Parameters
    ----------
    adata
        Copy-number AnnData from :func:`ctcgenomics.cnv.call_copy_number`
        (``var["chrom"]`` and ``layers[layer]``).
    layer
        Layer of integer copy number (NaN where not called).
    groupby
        ``obs`` columns that group the rows; absent ones are skipped.
    annotations
        ``obs`` columns drawn as colour bars (an absent one shows as ``none``).
    used_bins
        Boolean ``var`` column of the bins to draw (all bins if absent or ``None``).
    {save_show}

    Returns
    -------
    matplotlib.figure.Figure
        The annotation-bar axes first (cells named on the first), then the heatmap
        axes (its image holds the drawn rows), then the colour scale.
    """
    _require(adata, "cnv_heatmap", layers=(layer,))
    cn = np.asarray(adata.layers[layer], dtype=float)
    var = adata.var
    if used_bins is not None and used_bins in var.columns:
        keep = var[used_bins].astype(bool).to_numpy()
        cn, var = cn[:, keep], var.loc[keep]
    chroms = var["chrom"].astype(str).to_numpy()
    order = _cell_order(adata.obs, cn, groupby)
    cn, obs = cn[order], adata.obs.iloc[order]
    names = adata.obs_names.to_numpy()[order]
    n_cells, n_bins = cn.shape
    height = min(2.0 + 0.18 * n_cells, 14.0)
    fig = new_figure((11, height), show=show)
    grid = fig.add_gridspec(1, len(annotations) + 1,
                            width_ratios=[0.35] * len(annotations) + [12], wspace=0.03)  # fmt: skip
    legend = []
    offset = 0  # each bar has its own colours, so the legend is unambiguous
    for k, col in enumerate(annotations):
        ax = fig.add_subplot(grid[0, k])
        values = obs[col].astype(str) if col in obs else pd.Series("none", index=obs.index)
        levels = categories(values)
        colours = [TAB10[(offset + i) % len(TAB10)] for i in range(len(levels))]
        offset += len(levels)
        codes = values.map({v: i for i, v in enumerate(levels)}).to_numpy()
        ax.imshow(codes[:, None], aspect="auto", interpolation="nearest",
                  cmap=ListedColormap(colours), vmin=-0.5, vmax=len(levels) - 0.5)  # fmt: skip
        ax.set_xticks([0], [col], rotation=90)
        ax.set_yticks([])
        if k == 0 and n_cells <= MAX_LABELLED:
            ax.set_yticks(range(n_cells), [str(c) for c in names], fontsize=6)
        legend += [Patch(color=c, label=f"{col}: {v}")
                   for v, c in zip(levels, colours, strict=True)]  # fmt: skip
    ax = fig.add_subplot(grid[0, len(annotations)])
    top = len(CN_COLOURS) - 1
    cmap = ListedColormap(CN_COLOURS).with_extremes(bad=NOT_CALLED)
    norm = BoundaryNorm(np.arange(-0.5, len(CN_COLOURS)), cmap.N)
    img = ax.imshow(np.ma.masked_invalid(np.clip(cn, 0, top)), aspect="auto",
                    interpolation="nearest", cmap=cmap, norm=norm)  # fmt: skip
    ax.set_yticks([])
    starts, mids = _contigs(chroms)
    for s in starts[1:]:
        ax.axvline(s - 0.5, color="k", lw=0.6)
    ax.set_xticks(mids, [c.removeprefix("chr") for c in chroms[starts]], fontsize=7)
    ax.set_xlabel(f"genomic bins ({n_bins}), by chromosome")
    bar = fig.colorbar(img, ax=ax, ticks=range(len(CN_COLOURS)), fraction=0.02, pad=0.01)
    bar.ax.set_yticklabels([*map(str, range(top)), f"{top}+"])
    bar.set_label("copy number (grey: not called)")
    # Legend below the figure, a fixed distance in inches whatever the figure height.
    fig.legend(handles=legend, loc="upper center", ncol=max(min(len(legend), 6), 1), fontsize=7,
               bbox_to_anchor=(0.5, -0.45 / height), frameon=False)  # fmt: skip
    grouped = [k for k in groupby if k in obs.columns]
    how = f"by {', '.join(grouped)}, clustered within" if grouped else "clustered"
    fig.suptitle(f"Copy number of {n_cells} cells ({how})", fontsize=10)
    return finish(fig, save=save, dpi=dpi, show=show)


def cnv_profiles(
    adata: AnnData,
    save: PathLike,
    *,
    cells: Sequence[str] | None = None,
    per_page: int = 6,
) -> Path:
    """Write a multi-page PDF of per-cell profiles: scaled ratios and integer copy number.

    A document of many pages is written page by page (each page freed once written),
    so this function always saves and returns the path.

    Parameters
    ----------
    adata
        Copy-number AnnData (``layers["ratio"]``, ``layers["copy_number"]``,
        ``obs["ploidy"]``).
    save
        PDF path, written atomically.
    cells
        Cells to draw, in this order (default all).
    per_page
        Cells per page.

    Returns
    -------
    pathlib.Path
        The PDF written.
    """
    from matplotlib.backends.backend_pdf import PdfPages

    from ctcgenomics.io import atomic_path

    _require(adata, "cnv_profiles", layers=("ratio", "copy_number"), obs=("ploidy",))
    names = list(adata.obs_names) if cells is None else list(cells)
    unknown = [c for c in names if c not in adata.obs_names]
    if unknown:
        raise KeyError(f"cnv_profiles: cells {unknown[:5]} are not in the AnnData's obs_names")
    chroms = adata.var["chrom"].astype(str).to_numpy()
    starts, mids = _contigs(chroms)
    ratio = np.asarray(adata.layers["ratio"], dtype=float)
    cn = np.asarray(adata.layers["copy_number"], dtype=float)
    x = np.arange(adata.n_vars)
    path = Path(save)
    with atomic_path(path) as tmp, PdfPages(tmp, metadata={"Creator": None}) as pdf:
        for page in range(0, max(len(names), 1), per_page):
            chunk = names[page : page + per_page]
            rows = max(len(chunk), 1)
            fig = Figure(figsize=(11, 2.0 * rows))
            axes = fig.subplots(rows, 1, squeeze=False, sharex=True)
            # One shared x axis labelled once and a fixed layout: tick-label layout
            # (tight_layout, contig labels on every panel) was most of the drawing time.
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
            bottom.set_xticks(mids, list(chroms[starts]), fontsize=6)
            bottom.set_xlim(-0.5, adata.n_vars - 0.5)
            for ax in axes[len(chunk) :, 0]:
                ax.set_visible(False)
            pdf.savefig(fig)
    return path
