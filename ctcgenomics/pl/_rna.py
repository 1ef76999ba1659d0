"""RNA figures: EMT against stemness, the marker dot plot and the UMAP."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from anndata import AnnData
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ctcgenomics.pl._common import (
    TAB10,
    PathLike,
    categories,
    doc_params,
    finish,
    new_figure,
    note,
    obs_of,
    require_columns,
)

# Fixed colours for the classes of ctc.rna.classify_cells, so a class keeps its colour
# across patients and figures; any other class takes the next free tab10 colour.
CLASS_COLOURS = {
    "CTC": "#d62728",
    "WBC": "#1f77b4",
    "platelet": "#9467bd",
    "erythrocyte": "#ff7f0e",
    "unassigned": "#bcbd22",
    "low-quality": "#7f7f7f",
}
MARKERS = "osD^vP*X"
# Genes of the dot plot: epithelial (CTC), leukocyte and platelet markers, then the
# biomarkers the report reads (ERBB2, ESR1, PGR, AR) and stemness markers. A choice
# of what to show, not used in any call.
DOTPLOT_GENES = ("EPCAM", "KRT8", "KRT18", "KRT19", "CDH1", "VIM", "PTPRC", "CD52", "LCP1", "PPBP",
                 "PF4", "ERBB2", "ESR1", "PGR", "AR", "CD44", "CD24", "ALDH1A1")  # fmt: skip


def class_colours(classes: Sequence[str]) -> dict[str, str]:
    """Return a colour per class: fixed for known classes, free tab10 colours for others."""
    free = [c for c in TAB10 if c not in CLASS_COLOURS.values()]
    out, k = {}, 0
    for cls in classes:
        if cls in CLASS_COLOURS:
            out[cls] = CLASS_COLOURS[cls]
        else:
            out[cls] = free[k % len(free)]
            k += 1
    return out


@doc_params
def emt_stemness(
    data: AnnData | pd.DataFrame,
    *,
    x: str = "emt_score",
    y: str = "stemness",
    color: str = "cell_class",
    marker: str = "draw",
    ax: Axes | None = None,
    save: PathLike | None = None,
    dpi: int = 120,
    show: bool = False,
) -> Figure | Axes:
    """Scatter of the two-sided EMT score against stemness: colour = class, marker = draw.

    Parameters
    ----------
    data
        RNA AnnData after :func:`ctcgenomics.rna.score_emt` and
        :func:`ctcgenomics.rna.score_stemness` (columns of ``obs``), or the per-cell
        RNA table (``cells.tsv``).
    x, y
        Columns of the two scores.
    color
        Column whose classes set the colour (one fixed colour per known class).
    marker
        Column whose levels set the marker (all cells one marker if absent).
    {ax}
    {save_show}

    Returns
    -------
    matplotlib.figure.Figure or matplotlib.axes.Axes
        The figure, or ``ax`` when given; one scatter collection per (class, draw).
    """
    obs = obs_of(data, "emt_stemness")
    require_columns(obs, (x, y, color), "emt_stemness",
                    "score with ctc.rna.score_emt, ctc.rna.score_stemness and "
                    "classify with ctc.rna.classify_cells first")  # fmt: skip
    given_ax = ax
    if ax is None:
        fig = new_figure((6, 4.5), show=show)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    cls = obs[color].astype(str)
    draws = obs[marker].astype(str) if marker in obs else pd.Series("", index=obs.index)
    shapes = dict(zip(categories(draws), MARKERS, strict=False))
    colours = class_colours(categories(cls))
    for c in colours:
        for d in shapes:
            sub = obs[((cls == c) & (draws == d)).to_numpy()]
            if len(sub):
                ax.scatter(sub[x], sub[y], s=16, color=colours[c], marker=shapes[d], alpha=0.75,
                           label=f"{c}, {d}" if d else c)  # fmt: skip
    ax.axvline(0, lw=0.5, c="k")
    ax.set_xlabel("EMT score (mesenchymal - epithelial)" if x == "emt_score" else x)
    ax.set_ylabel("stemness score" if y == "stemness" else y)
    if ax.collections:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.set_title("Cell states")
    return finish(fig, ax=given_ax, save=save, dpi=dpi, show=show)


@doc_params
def rna_markers(
    adata: AnnData,
    *,
    genes: Sequence[str] = DOTPLOT_GENES,
    groupby: str = "cell_class",
    save: PathLike | None = None,
    dpi: int = 120,
    show: bool = False,
) -> Figure:
    """Dot plot of class markers and biomarkers by cell class (scanpy's ``dotplot``).

    Parameters
    ----------
    adata
        RNA AnnData (log-normalised ``X``) with ``obs[groupby]``.
    genes
        Genes to show; those not in ``var_names`` are skipped.
    groupby
        ``obs`` column of the groups (rows).
    {save_show}

    Returns
    -------
    matplotlib.figure.Figure
    """
    import scanpy as sc

    require_columns(adata.obs, (groupby,), "rna_markers",
                    "classify with ctc.rna.classify_cells first")  # fmt: skip
    present = [g for g in genes if g in adata.var_names]
    if not present:
        fig, _ = note("none of the marker genes was measured", show=show)
        return finish(fig, save=save, dpi=dpi, show=show)
    view = adata[:, present].copy()
    view.obs[groupby] = view.obs[groupby].astype("category").cat.remove_unused_categories()
    dp = sc.pl.dotplot(view, present, groupby=groupby, show=False, return_fig=True)
    dp.make_figure()
    return finish(dp.fig, save=save, dpi=dpi, show=show)


@doc_params
def rna_umap(
    adata: AnnData,
    *,
    color: Sequence[str] = ("cell_class", "draw", "leiden", "emt_score"),
    save: PathLike | None = None,
    dpi: int = 120,
    show: bool = False,
) -> Figure:
    """UMAP of the cells coloured by class, draw, Leiden cluster and EMT score (scanpy).

    Parameters
    ----------
    adata
        RNA AnnData with ``obsm["X_umap"]`` (a note is drawn instead when absent:
        too few cells for an embedding).
    color
        ``obs`` columns, one panel each; absent ones are skipped.
    {save_show}

    Returns
    -------
    matplotlib.figure.Figure
    """
    if "X_umap" not in adata.obsm:
        fig, _ = note("too few cells for a UMAP", show=show)
        return finish(fig, save=save, dpi=dpi, show=show)
    import scanpy as sc

    keys = [k for k in color if k in adata.obs]
    fig = sc.pl.umap(adata, color=keys or None, show=False, return_fig=True, ncols=2)
    return finish(fig, save=save, dpi=dpi, show=show)
