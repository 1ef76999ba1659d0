"""What every figure function shares: a new figure, saving and showing."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from anndata import AnnData
from matplotlib.axes import Axes
from matplotlib.figure import Figure

PathLike = str | os.PathLike[str]

# Colours of categories (draw, role, clone, cell class) where no fixed colour is set.
TAB10 = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip


_DOCS = {
    "{ax}": """ax
        Draw into these axes (and return them) instead of a new figure.""",
    "{save_show}": """save
        Write the figure there (format from the suffix); nothing is written otherwise.
    dpi
        Resolution of a saved raster image.
    show
        Show the figure with the active matplotlib backend.""",
}


def doc_params(func):
    """Fill the ``{ax}`` and ``{save_show}`` parameters every figure documents alike."""
    for key, text in _DOCS.items():
        if func.__doc__:  # None under python -OO
            func.__doc__ = func.__doc__.replace(key, text)
    return func


def note(text: str, *, ax: Axes | None = None, show: bool = False) -> tuple[Figure, Axes]:
    """Return a figure (or the given axes' figure) that only says why there is no plot."""
    fig = ax.figure if ax is not None else new_figure((4, 1.5), show=show)
    ax = ax if ax is not None else fig.add_subplot()
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center")
    return fig, ax


def new_figure(figsize: tuple[float, float], *, show: bool) -> Figure:
    """Return a new figure, made through pyplot only when it is to be shown.

    A bare :class:`Figure` is not registered with pyplot, so drawing never starts a
    GUI backend, needs no ``plt.close`` and leaks nothing in a loop over patients;
    Jupyter still displays it when it is a cell's value.
    """
    if show:
        import matplotlib.pyplot as plt

        return plt.figure(figsize=figsize)
    return Figure(figsize=figsize)


def finish(
    fig: Figure,
    *,
    ax: Axes | None = None,
    save: PathLike | None = None,
    dpi: int = 120,
    show: bool = False,
) -> Figure | Axes:
    """Save the figure if asked (atomically, format from the suffix), show it if asked.

    Returns ``ax`` when the caller drew into its own axes, else the figure.
    """
    if save is not None:
        from ctcgenomics.io import atomic_path

        path = Path(save)
        fmt = path.suffix.lstrip(".") or "png"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight", metadata=_metadata(fmt))
    if show:
        import matplotlib.pyplot as plt

        plt.show()
    elif ax is None and getattr(fig.canvas, "manager", None) is not None:
        # A figure scanpy drew through pyplot: hand it back
        # detached, so a notebook does not show it twice and a loop does not keep
        # every figure open. The Figure stays usable (savefig, edits).
        import matplotlib.pyplot as plt

        plt.close(fig)
    return ax if ax is not None else fig


def _metadata(fmt: str) -> dict | None:
    # No software/date stamps in PNG/PDF: the same data gives the same bytes.
    if fmt == "png":
        return {"Software": None}
    if fmt == "pdf":
        return {"Creator": None, "Producer": None, "CreationDate": None}
    return None


def obs_of(data: AnnData | pd.DataFrame, what: str) -> pd.DataFrame:
    """Return the per-cell table of an AnnData (its ``obs``), or a table as given."""
    if isinstance(data, AnnData):
        return data.obs
    if isinstance(data, pd.DataFrame):
        return data
    raise TypeError(f"{what} takes an AnnData or a pandas DataFrame, got {type(data).__name__}")


def require_columns(table: pd.DataFrame, columns: tuple[str, ...], what: str, fix: str) -> None:
    """Name the columns a figure needs and the table lacks, and how to get them."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{what} needs column(s) {missing} (has {list(table.columns)}); {fix}")


def categories(values: pd.Series) -> list[str]:
    """Levels in their categorical order, else sorted."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.astype(str))
        ordered = [str(c) for c in values.cat.categories if str(c) in present]
        return ordered + sorted(present - set(ordered))  # e.g. "nan" last
    return sorted(set(values.astype(str)))
