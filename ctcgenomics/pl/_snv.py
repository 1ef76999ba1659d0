"""The cells x variants genotype matrix."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from anndata import AnnData
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ctcgenomics._keys import layer_names
from ctcgenomics.pl._common import PathLike, doc_params, finish, new_figure, note

# Genotype codes -1 (not evaluable), 0 ref/ref, 1 heterozygous, 2 alt/alt.
GENOTYPES = ("not evaluable", "ref/ref", "heterozygous", "alt/alt")
GT_COLOURS = ("#d9d9d9", "#f7f7f7", "#fdae61", "#d7191c")
MAX_LABELLED = 60


def _labels(var: pd.DataFrame) -> list[str]:
    """``gene HGVSp`` where annotated, else ``chrom:pos``, else the variant's name."""
    out = []
    for name, row in var.iterrows():
        text = f"{row.get('gene', '') or ''} {row.get('HGVSp', '') or ''}".strip()
        if not text and "chrom" in var and "pos" in var:
            text = f"{row['chrom']}:{row['pos']}"
        out.append(text or str(name))
    return out


def _variant_columns(var: pd.DataFrame, variants: str | Sequence | np.ndarray | None) -> np.ndarray:
    if variants is None:
        return np.arange(len(var))
    if isinstance(variants, str):
        if variants not in var.columns:
            return np.arange(len(var))  # e.g. no "somatic" flag: every variant
        return np.flatnonzero(var[variants].astype(bool).to_numpy())
    sel = np.asarray(variants)
    if sel.dtype == bool:
        if len(sel) != len(var):
            raise ValueError(f"genotype_matrix: variants mask has {len(sel)} values, "
                             f"the AnnData {len(var)} variants")  # fmt: skip
        return np.flatnonzero(sel)
    index = var.index.astype(str)
    missing = [str(v) for v in sel if str(v) not in set(index)]
    if missing:
        raise KeyError(f"genotype_matrix: variants {missing[:5]} are not in var_names")
    return np.array([index.get_loc(str(v)) for v in sel], dtype=int)


@doc_params
def genotype_matrix(
    adata: AnnData,
    *,
    layer: str = "genotype",
    variants: str | Sequence[str] | np.ndarray | None = "somatic",
    labels: Sequence[str] | None = None,
    max_variants: int | None = 80,
    ax: Axes | None = None,
    save: PathLike | None = None,
    dpi: int = 120,
    show: bool = False,
) -> Figure | Axes:
    """Cells x variants matrix of per-cell genotypes.

    Rows are ordered by ``obs["draw"]``, ``obs["role"]`` and cell name (the columns
    present) and named ``cell (role, draw)`` while there are at most 60; colours are
    grey (not evaluable), white (ref/ref), orange (heterozygous) and red (alt/alt).

    Parameters
    ----------
    adata
        SNV AnnData from :func:`ctcgenomics.snv.genotype` (``layers[layer]`` with
        -1 not evaluable, 0 ref/ref, 1 heterozygous, 2 alt/alt).
    layer
        Layer of genotype codes.
    variants
        Boolean ``var`` column naming the variants to draw (all variants if the
        column is absent), a boolean mask, a list of ``var_names``, or ``None`` for all.
    labels
        Column labels, one per drawn variant (default ``gene HGVSp``, else
        ``chrom:pos``, else the variant's name).
    max_variants
        Draw at most this many variants (the title says how many were left out).
    {ax}
    {save_show}

    Returns
    -------
    matplotlib.figure.Figure or matplotlib.axes.Axes
        The figure, or ``ax`` when given; the matrix is the first image of the axes.
    """
    if not isinstance(adata, AnnData):
        raise TypeError(f"genotype_matrix takes the SNV AnnData, got {type(adata).__name__}")
    if adata.n_vars and layer not in adata.layers:
        raise KeyError(
            f"genotype_matrix needs layers['{layer}'] (has {layer_names(adata)}); "
            "run ctc.snv.genotype(adata) first"
        )
    cols = _variant_columns(adata.var, variants)
    if labels is not None and len(labels) != len(cols):
        raise ValueError(f"genotype_matrix: {len(labels)} labels for {len(cols)} variants")
    n_total = len(cols)
    if max_variants is not None:
        cols = cols[:max_variants]
    names = list(labels)[: len(cols)] if labels is not None else _labels(adata.var.iloc[cols])
    obs = adata.obs
    given_ax = ax
    if adata.n_obs == 0 or len(cols) == 0:
        fig, ax = note("no cell or no variant to show", ax=ax, show=show)
        return finish(fig, ax=given_ax, save=save, dpi=dpi, show=show)
    keys = [obs[c].astype(str).to_numpy() for c in ("role", "draw") if c in obs]
    order = np.lexsort((adata.obs_names.to_numpy().astype(str), *keys))
    gt = np.asarray(adata.layers[layer])[np.ix_(order, cols)].astype(float)
    gt = np.where(np.isfinite(gt), gt, -1)
    labelled = len(order) <= MAX_LABELLED
    if ax is None:
        height = 1.5 + 0.16 * len(order) if labelled else 10.0
        fig = new_figure((min(2.5 + 0.45 * len(cols), 16.0), height), show=show)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    ax.imshow(np.clip(gt, -1, 2) + 1, aspect="auto", interpolation="nearest",
              cmap=ListedColormap(GT_COLOURS), vmin=-0.5, vmax=3.5)  # fmt: skip
    ax.set_xticks(range(len(cols)), names, rotation=60, ha="right", fontsize=7)
    if labelled:
        role = obs["role"].astype(str).to_numpy() if "role" in obs else np.full(len(obs), "")
        draw = obs["draw"].astype(str).to_numpy() if "draw" in obs else np.full(len(obs), "")
        rows = [f"{adata.obs_names[i]} ({role[i]}, {draw[i]})".replace(" (, )", "") for i in order]
        ax.set_yticks(range(len(order)), rows, fontsize=6)
    else:
        ax.set_yticks([])
        ax.set_ylabel(f"{len(order)} cells, by draw and role")
    ax.legend(
        handles=[Patch(facecolor=c, edgecolor="grey", label=n)
                 for c, n in zip(GT_COLOURS, GENOTYPES, strict=True)],
        loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7, frameon=False,
    )  # fmt: skip
    more = f" (first {len(cols)} of {n_total} variants)" if n_total > len(cols) else ""
    ax.set_title(f"Per-cell genotypes{more}")
    return finish(fig, ax=given_ax, save=save, dpi=dpi, show=show)
